"""Capacity on the real snapshot: every open KO exactly once, machine-days preserved, report keys sane."""

from __future__ import annotations

import numpy as np
import pytest

from bk.services import capacity


def test_every_open_ko_once_and_machine_days_preserved(real_snapshot):
    f = real_snapshot.frames
    result = capacity.plan(f, as_of=real_snapshot.as_of, horizon_weeks=104)
    kos = f["knit_orders"]
    open_kos = kos[kos["balance_lbs"] > 0]
    listed = list(result["schedule"]["knit_order"]) + list(result["unassigned"]["knit_order"])
    assert sorted(listed) == sorted(open_kos["knit_order"]) and len(set(listed)) == len(listed)
    rates = f["style_rates"][f["style_rates"]["lbs_per_day"] > 0]
    by_style = rates.assign(k=rates["style"].str.replace(" ", "").str.upper()).groupby("k")["lbs_per_day"].mean()
    by_family = rates.assign(k=rates["style"].str.replace(" ", "").str.upper().str.split("/").str[0]).groupby(
        "k")["lbs_per_day"].mean()
    assigned = open_kos[open_kos["machine"].notna()]
    key = assigned["style"].str.replace(" ", "").str.upper()
    rate = key.map(by_style).fillna(key.str.split("/").str[0].map(by_family)).fillna(rates["lbs_per_day"].median())
    expected_days = float((assigned["balance_lbs"] / rate).sum())
    assert result["machine_load"]["load_days"].sum() == pytest.approx(expected_days, rel=1e-6)


def test_report_keys_on_the_real_snapshot(real_snapshot):
    f = real_snapshot.frames
    keys = capacity.report_keys(f, as_of=real_snapshot.as_of)
    open_kos = int((f["knit_orders"]["balance_lbs"] > 0).sum())
    assert keys["machines"] == f["machines"]["machine"].nunique() == 286
    assert keys["assigned_kos"] + keys["unassigned_kos"] == open_kos
    assert 0 <= keys["late_kos"] <= keys["assigned_kos"]
    assert np.isfinite(keys["max_wc_utilization"]) and keys["max_wc_utilization"] >= 0
