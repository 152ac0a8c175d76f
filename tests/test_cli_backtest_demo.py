"""`python -m bk backtest` on the demo's export days, against an independent count from the day files (plain
pandas on the exports as written, no bk code): KOs compared, without progress, actual lbs, yarns ordered."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import DEMO_DAYS, ROOT

DAYS = sorted(DEMO_DAYS.iterdir())


def _lbs(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.str.replace(",", ""), errors="coerce").fillna(0.0)


def balances(day) -> pd.Series:
    """Balance per KO: the Order # without eFab's HTML warning icon."""
    frame = pd.read_csv(day / "eFab_Knit_Orders.csv", encoding="utf-8-sig", dtype=str)
    ko = frame["Order #"].str.split("&nbsp;").str[0].str.strip()
    return _lbs(frame["Balance (lbs)"]).groupby(ko.to_numpy()).sum()


def po_lines(day) -> set[tuple[str, int]]:
    expected = pd.read_csv(day / "Expected_Yarn_Report.csv", encoding="utf-8-sig", dtype=str)
    po = pd.read_csv(day / "YarnPO.csv", dtype=str)
    return ({(n.strip().upper(), int(y)) for n, y in zip(expected["PO #"], expected["Desc"], strict=True)}
            | {(n.strip().upper(), int(y)) for n, y in zip(po["PO#"], po["Desc#"], strict=True)})


def oracle(old, new) -> dict:
    before, after = balances(old), balances(new)
    open_before = before[before > 0.5]
    compared = open_before.index.intersection(after.index)
    down = (open_before[compared] - after[compared]).clip(lower=0.0)
    old_numbers = {n for n, _ in po_lines(old)}
    inventory = set(pd.read_csv(old / "yarn_inventory.csv", encoding="utf-8-sig", dtype=str)["Desc#"].astype(int))
    ordered = {y for n, y in po_lines(new) if n not in old_numbers} & inventory
    return {"kos_compared": len(compared), "kos_no_progress": int((down < 1.0).sum()), "actual_lbs": down.sum(),
            "ordered": ordered}


@pytest.mark.parametrize(("old", "new"), [(DAYS[0], DAYS[1]), (DAYS[-2], DAYS[-1])], ids=lambda p: p.name)
def test_backtest_on_demo_days_matches_an_independent_count(tmp_path, old, new):
    out = tmp_path / "backtest.json"
    result = subprocess.run([sys.executable, "-m", "bk", "backtest", "--old", str(old), "--new", str(new), "--json",
                             str(out)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    got = json.loads(out.read_text())
    assert {"knitting", "buys", "receipts", "suppliers", "actions_changed"} <= set(got)
    assert (got["old_as_of"], got["new_as_of"]) == (old.name, new.name)  # dated by their contents
    k, b, r = got["knitting"], got["buys"], got["receipts"]
    want = oracle(old, new)
    assert k["kos_compared"] == want["kos_compared"] > 100
    assert k["kos_no_progress"] == want["kos_no_progress"]
    assert k["actual_lbs"] == pytest.approx(want["actual_lbs"], abs=0.1)
    assert b["yarns_ordered"] == len(want["ordered"]) > 0 and set(b["ordered_yarns"]) == want["ordered"]
    assert set(b["followed_yarns"]) <= want["ordered"] and b["followed_by_po"] == len(b["followed_yarns"])
    # plausible like the mill: the plan asks well above what is knitted, most KOs stand still, some buys followed
    assert 1.3 <= k["ratio"] <= 4.0 and k["ratio"] == pytest.approx(k["planned_lbs"] / k["actual_lbs"], abs=0.001)
    assert k["kos_no_progress"] > k["kos_compared"] / 2
    assert 0 < b["followed_by_po"] < b["count"]
    assert 0 <= r["lbs_received"] <= r["lbs_due"] and r["pos_due"] > 0
    assert sum(s["lbs_due"] for s in got["suppliers"]) == pytest.approx(r["lbs_due"], abs=1.0)
