"""Report keys on the real snapshot against a direct computation from the raw CSV files (not via bk.ingest)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bk.services import inventory, pipeline


def raw_numbers(path, column):
    """The column's numbers, cleaned by hand: $ , spaces; (x) negative; blank 0."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        values = []
        for row in csv.DictReader(fh):
            text = (row[column] or "").strip().replace("$", "").replace(",", "").strip()
            negative = text.startswith("(") and text.endswith(")")
            text = text.strip("()")
            values.append(-float(text) if negative else float(text or 0))
    return np.array(values)


def test_inventory_report_keys_against_the_raw_file(real_snapshot, real_dir):
    keys = inventory.report_keys(real_snapshot.frames, as_of=real_snapshot.as_of)
    planning = raw_numbers(real_dir / "yarn_inventory.csv", "Planning Balance")
    on_hand = raw_numbers(real_dir / "yarn_inventory.csv", "Theoretical Balance")
    cost = raw_numbers(real_dir / "yarn_inventory.csv", "Cost/Pound")
    assert keys["yarn_count"] == len(planning) == 1199
    assert keys["shortage_count"] == int((planning < 0).sum())
    assert keys["shortage_lbs"] == pytest.approx(-planning[planning < 0].sum())
    assert keys["planning_balance_lbs"] == pytest.approx(planning.sum())
    assert keys["on_hand_value_usd"] == pytest.approx((on_hand * cost).sum())
    assert 0 <= keys["below_reorder_count"] <= keys["yarn_count"]


def test_pipeline_report_keys_against_the_raw_files(real_snapshot, real_dir):
    keys = pipeline.report_keys(real_snapshot.frames, as_of=real_snapshot.as_of)
    for stage in ("g00", "g02", "i01", "f01"):
        raw = raw_numbers(real_dir / f"eFab_Inventory_{stage.upper()}.csv", "Qty (lbs)").sum()
        assert keys["stage_lbs"][stage] == pytest.approx(raw)
    with open(real_dir / "eFab_SO_List.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    open_rows = [r for r in rows if r["Status"] == "Open" and float(r["Balance"].replace(",", "")) > 0]
    assert keys["open_so_count"] == len(open_rows)
    yds_rows = sum(float(r["Balance"].replace(",", "")) for r in open_rows if r["UOM"] == "yds")
    assert keys["so_balance_yds"] >= yds_rows  # plus lbs/kg converted
    assert 0 <= keys["so_uncovered_yds"] <= keys["so_balance_yds"]


def test_identities_on_positions(real_snapshot):
    pos = inventory.positions(real_snapshot.frames, as_of=real_snapshot.as_of)
    assert pos["planning_identity_ok"].all()
    assert set(pos["abc"]) <= {"A", "B", "C"}
    a_share = pos.loc[pos["abc"] == "A", "annual_value_usd"].sum() / pos["annual_value_usd"].sum()
    assert 0.8 <= a_share < 0.95
