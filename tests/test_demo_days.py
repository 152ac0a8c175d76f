"""The demo's export days: deterministic, each a complete snapshot, and moving like the mill (DOMAIN.md §8).

The dynamics are read back from the committed day files with plain pandas, not with the generator's state."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.demo import demo_days, demo_files
from bk.ingest.snapshot import load_paths
from tests.conftest import DEMO_DAYS, ROOT

DAYS = sorted(DEMO_DAYS.iterdir())
PAIRS = list(zip(DAYS, DAYS[1:], strict=False))


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.fillna("0").str.replace(",", "").str.replace("$", "").str.strip(), errors="coerce")


def knit_orders(day) -> pd.DataFrame:
    frame = pd.read_csv(day / "eFab_Knit_Orders.csv", encoding="utf-8-sig", dtype=str)
    return pd.DataFrame({"balance": _number(frame["Balance (lbs)"]).to_numpy(),
                         "start": pd.to_datetime(frame["Start Date"], format="%m/%d/%Y").to_numpy()},
                        index=frame["Order #"].str.split("&nbsp;").str[0].str.strip())


def purchase_orders(day) -> pd.DataFrame:
    frame = pd.read_csv(day / "YarnPO.csv", dtype=str)
    return pd.DataFrame({"yarn": frame["Desc#"].astype(int).to_numpy(), "balance": _number(frame["Balance"]).to_numpy(),
                         "requested": pd.to_datetime(frame["Requested"]).to_numpy()}, index=frame["PO#"].str.strip())


def stock(day) -> pd.DataFrame:
    frame = pd.read_csv(day / "yarn_inventory.csv", encoding="utf-8-sig", dtype=str).set_index("Desc#")
    return frame[["Received", "Consumed", "Theoretical Balance"]].apply(_number)


def test_same_seed_same_bytes_and_the_first_day_is_the_single_day_demo():
    one = demo_days(days=3, every=(4, 3), scale=0.05, seed=3)
    assert one == demo_days(days=3, every=(4, 3), scale=0.05, seed=3)
    assert list(one) == [date(2025, 8, 28), date(2025, 9, 1), date(2025, 9, 4)]
    assert one[date(2025, 8, 28)] == demo_files(scale=0.05, seed=3)
    other = demo_days(days=3, every=(4, 3), scale=0.05, seed=4)
    assert one[date(2025, 9, 4)]["eFab_Knit_Orders.csv"] != other[date(2025, 9, 4)]["eFab_Knit_Orders.csv"]
    # the exports that do not move are the first day's
    assert one[date(2025, 9, 4)]["BOM_updated.csv"] == one[date(2025, 8, 28)]["BOM_updated.csv"]
    assert one[date(2025, 9, 4)]["yarn_inventory.csv"] != one[date(2025, 8, 28)]["yarn_inventory.csv"]


def test_demo_command_writes_one_folder_per_export_day(tmp_path):
    for out in ("a", "b"):
        result = subprocess.run([sys.executable, "-m", "bk", "demo", "--out", str(tmp_path / out), "--days", "3",
                                 "--every", "4,3", "--scale", "0.05", "--seed", "3"], cwd=ROOT, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
    folders = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert folders == ["2025-08-28", "2025-09-01", "2025-09-04"]
    for folder in folders:
        files = sorted(p.name for p in (tmp_path / "a" / folder).iterdir())
        assert len(files) == 18
        for name in files:
            assert (tmp_path / "a" / folder / name).read_bytes() == (tmp_path / "b" / folder / name).read_bytes()


@pytest.mark.parametrize("day", DAYS, ids=lambda p: p.name)
def test_every_day_is_a_clean_snapshot_dated_by_its_folder_with_the_identities(day):
    snapshot, failures = load_paths([day])
    assert failures == [] and [f for f in snapshot.findings if f.severity == "error"] == []
    assert snapshot.as_of == date.fromisoformat(day.name) and snapshot.as_of_source == "contents"
    inv, exp = snapshot.frames["yarn_inventory"], snapshot.frames["expected_yarn"]
    assert np.allclose(inv["theoretical_balance_lbs"] + inv["allocated_lbs"] + inv["on_order_lbs"],
                       inv["planning_balance_lbs"], atol=0.011)
    on_order = inv.set_index("yarn_id")["on_order_lbs"]
    po_bal = exp.groupby("yarn_id")["po_balance_lbs"].sum()
    assert np.allclose(on_order.loc[po_bal.index], po_bal, atol=0.01) and on_order.drop(po_bal.index).eq(0).all()
    weeks = [c for c in exp.columns if c.startswith("week_")]
    assert np.allclose(exp[["past_due_lbs", "this_week_lbs", *weeks, "later_lbs"]].sum(axis=1), exp["po_balance_lbs"])
    assert np.allclose(exp["po_order_lbs"] - exp["received_lbs"], exp["po_balance_lbs"])


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=lambda p: p.name)
def test_knit_orders_move_like_the_mill(old, new):
    before, after = knit_orders(old), knit_orders(new)
    open_before = before.loc[before["balance"] > 0.5]
    listed = open_before.index.intersection(after.index)
    knitted = open_before.loc[listed, "balance"] - after.loc[listed, "balance"]
    assert (knitted >= -0.05).all()  # balances only fall
    assert (knitted < 1).mean() > 0.5  # more than half of the open KOs made no progress
    finished = before.index[before["balance"] == 0]
    assert not finished.isin(after.index).any()  # listed at 0, then gone
    assert after.loc[after["balance"] == 0].index.isin(open_before.index).all()  # 0 today: open the day before
    assert (~after.index.isin(before.index)).sum() > 0  # new knit orders


def test_some_knit_orders_never_move_though_their_start_is_past_and_some_finish():
    assert sum(int((knit_orders(day)["balance"] == 0).sum()) for day in DAYS[1:]) >= 5
    first, last = knit_orders(DAYS[0]), knit_orders(DAYS[-1])
    both = first.index.intersection(last.index)
    stalled = both[(first.loc[both, "balance"] - last.loc[both, "balance"]).abs().lt(0.05)
                   & (first.loc[both, "start"] < pd.Timestamp(DAYS[0].name)) & (first.loc[both, "balance"] > 0)]
    assert len(stalled) >= 5


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=lambda p: p.name)
def test_pos_are_received_in_part_and_in_full_rescheduled_and_placed(old, new):
    before, after = purchase_orders(old), purchase_orders(new)
    both = before.index.intersection(after.index)
    assert (after.loc[both, "balance"] <= before.loc[both, "balance"]).all()
    gone, added = before.index.difference(after.index), after.index.difference(before.index)
    assert len(added) > 0  # buyers placed new POs
    moved = {"partly received": (after.loc[both, "balance"] < before.loc[both, "balance"]).sum(),
             "rescheduled": (after.loc[both, "requested"] > before.loc[both, "requested"]).sum(),
             "received in full": len(gone)}
    assert sum(moved.values()) > 0, moved
    # stock: what arrived and what knitting consumed, yarn by yarn
    s0, s1 = stock(old), stock(new)
    change = s1["Theoretical Balance"] - s0["Theoretical Balance"]
    assert np.allclose(change, (s1["Received"] - s0["Received"]) + (s1["Consumed"] - s0["Consumed"]), atol=0.02)
    assert (s1["Consumed"] < s0["Consumed"] - 0.005).sum() > 10  # knitting used yarn


def test_over_the_days_pos_are_partly_received_and_rescheduled():
    counts = {"partly": 0, "rescheduled": 0, "full": 0}
    for old, new in PAIRS:
        before, after = purchase_orders(old), purchase_orders(new)
        both = before.index.intersection(after.index)
        counts["partly"] += int((after.loc[both, "balance"] < before.loc[both, "balance"] - 0.5).sum())
        counts["rescheduled"] += int((after.loc[both, "requested"] > before.loc[both, "requested"]).sum())
        counts["full"] += len(before.index.difference(after.index))
    assert min(counts.values()) > 0, counts
