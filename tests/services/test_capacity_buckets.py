"""Yarn timed by the machines: the lbs of each KO per yarn-plan bucket when the capacity plan knits it, and the
KOs whose yarn moves a week or more against eFab's parallel rule (hand-written, as-of Thu 2025-07-31)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import capacity
from bk.services.planning.calendar import bucket_labels

AS_OF = date(2025, 7, 31)
LABELS = bucket_labels(AS_OF)


def frames():
    ko = pd.DataFrame([
        ("K1", "S1/0", 300.0, None, 1),  # machine 1, units 3-6: Thu-Sat 2.5 days, Mon ½
        ("K2", "S1/0", 200.0, None, 1),  # after K1 on machine 1: units 6-8, all in the week of 08-04
        ("K3", "S2/0", 1200.0, "2025-08-01", None),  # suggested on machine 2 from Fri: 1.5 + 4.5 days
        ("K4", "QQ/1", 1000.0, "2025-09-22", None),  # no work centre: alone from Mon 09-22 at the median 100/day
        ("K5", "S1/0", 100.0, "2025-12-01", 2),  # starts after the 9 weeks
        ("K6", "S1/0", 1e11, None, 1),  # implausible: reported, knitted alone, almost all later
    ], columns=["knit_order", "style", "balance_lbs", "start_date", "machine"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    return {
        "knit_orders": ko.astype({"machine": "Int64", "style": "string", "knit_order": "string"}),
        "machines": pd.DataFrame({"machine": [1, 2], "work_center": ["A", "A"]}).astype({"machine": "Int64"}),
        "style_rates": pd.DataFrame({"style": ["S1/0", "S2/0", "S3/0"], "lbs_per_day": [100.0, 200.0, 100.0]}),
        "greige_styles": pd.DataFrame({"style": ["S1/0", "S2/0"], "base": ["S1", "S2"], "work_center": ["A", "A"]}),
    }


@pytest.fixture(scope="module")
def buckets():
    return capacity.machine_buckets(capacity.plan(frames(), as_of=AS_OF), as_of=AS_OF)


def row(**weeks):
    out = dict.fromkeys(LABELS, 0.0)
    out.update({LABELS[int(k[1:])] if k != "later" else "later": v for k, v in weeks.items()})
    return [out[label] for label in LABELS]


def test_columns_are_the_yarn_plan_buckets_and_one_row_per_open_ko(buckets):
    assert list(buckets.columns) == LABELS
    assert LABELS[0] == "week_of_2025-07-28" and LABELS[-2] == "week_of_2025-09-22" and LABELS[-1] == "later"
    assert buckets.index.name == "knit_order"
    assert sorted(buckets.index) == ["K1", "K2", "K3", "K4", "K5", "K6"]


def test_each_ko_is_knitted_when_its_machine_gets_to_it(buckets):
    assert buckets.loc["K1"].tolist() == pytest.approx(row(w0=250.0, w1=50.0))
    assert buckets.loc["K2"].tolist() == pytest.approx(row(w1=200.0))
    assert buckets.loc["K3"].tolist() == pytest.approx(row(w0=300.0, w1=900.0))  # suggested on machine 2
    assert buckets.loc["K4"].tolist() == pytest.approx(row(w8=550.0, later=450.0))  # not placed: alone from 09-22
    assert buckets.loc["K5"].tolist() == pytest.approx(row(later=100.0))


def test_every_row_sums_to_the_balance_even_for_an_implausible_ko(buckets):
    balances = frames()["knit_orders"].set_index("knit_order")["balance_lbs"]
    assert buckets.sum(axis=1).to_numpy() == pytest.approx(balances.loc[buckets.index].to_numpy(), rel=1e-12)
    assert buckets.loc["K6", "later"] / 1e11 == pytest.approx(1.0, rel=1e-6)
    assert buckets.loc["K6", LABELS[0]] == pytest.approx(250.0)  # 2.5 days left in the as-of week at 100 lbs/day


def test_a_plan_of_another_week_is_refused():
    result = capacity.plan(frames(), as_of=AS_OF)
    with pytest.raises(ValueError, match="2025-07-31"):
        capacity.machine_buckets(result, as_of=date(2025, 8, 7))


def test_yarn_moves_lists_kos_whose_weighted_week_shifts_by_a_week_or_more():
    cols = LABELS[:3]
    efab = pd.DataFrame([[100, 0, 0], [50, 50, 0], [0, 0, 100], [60, 40, 0], [50, 50, 0], [10, 0, 0]],
                        index=pd.Index(["K1", "K2", "K3", "K4", "K5", "K9"], name="knit_order"), columns=cols)
    machine = pd.DataFrame([[0, 100, 0], [50, 50, 0], [100, 0, 0], [0, 60, 40], [0, 100, 0], [0, 0, 20]],
                           index=pd.Index(["K1", "K2", "K3", "K4", "K5", "K8"], name="knit_order"), columns=cols)
    moves = capacity.yarn_moves(efab.astype(float), machine.astype(float))
    assert list(moves.columns) == ["knit_order", "efab_week", "machine_week", "shift_weeks"]
    assert moves["knit_order"].tolist() == ["K3", "K1", "K4"]  # K5 moves half a week; K8, K9 are in one frame only
    assert moves["efab_week"].tolist() == pytest.approx([2.0, 0.0, 0.4])
    assert moves["machine_week"].tolist() == pytest.approx([0.0, 1.0, 1.4])
    assert moves["shift_weeks"].tolist() == pytest.approx([-2.0, 1.0, 1.0])


def test_yarn_moves_counts_later_as_the_tenth_bucket():
    efab = pd.DataFrame([np.eye(len(LABELS))[0] * 10], index=pd.Index(["K1"], name="knit_order"), columns=LABELS)
    machine = pd.DataFrame([np.eye(len(LABELS))[-1] * 10], index=pd.Index(["K1"], name="knit_order"), columns=LABELS)
    moves = capacity.yarn_moves(efab, machine)
    assert moves["shift_weeks"].tolist() == [9.0]
    assert capacity.yarn_moves(efab, efab).empty
