"""`python -m bk diff` between the real day and a second day made by editing a copy; `python -m bk save`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.test_cli import bk


def _edit_csv(path: Path, change) -> None:
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False, encoding="utf-8-sig")


def _second_day(real_dir: Path, tmp_path: Path) -> Path:
    """The real exports with, by hand: KO K2508075 (open, 8500 lbs) gone, K2509999 added (K2508083's style,
    60,000 lbs from 28 Aug), K2508058 starting 15 Dec instead of 25 Aug, K2508056's balance 5250 -> 2000;
    PO Y2403002 gone, PO Y2403004's 2400 lbs of 5 Sep moved to 19 Sep; yarn 18870 with 1000 lbs less on hand."""
    day = tmp_path / "day2"
    shutil.copytree(real_dir, day)

    def knit_orders(k: pd.DataFrame) -> pd.DataFrame:
        k = k.loc[k["Order #"] != "K2508075"].copy()
        k.loc[k["Order #"] == "K2508058", "Start Date"] = "12/15/2025"
        k.loc[k["Order #"] == "K2508056", "Balance (lbs)"] = "2,000.0"
        added = k.loc[k["Order #"] == "K2508083"].assign(**{"Order #": "K2509999", "Start Date": "8/28/2025",
                                                             "Qty Ordered (lbs)": "60,000.0", "Shipped (lbs)": "",
                                                             "Balance (lbs)": "60,000.0", "Machine": ""})
        assert len(added) == 1 and len(k) == 193
        return pd.concat([added, k], ignore_index=True)

    def expected(e: pd.DataFrame) -> pd.DataFrame:
        e = e.loc[e["PO #"] != "Y2403002"].copy()
        row = e["PO #"] == "Y2403004"
        assert e.loc[row, "9/5/2025"].tolist() == ["2,400"] and e.loc[row, "9/19/2025"].tolist() == [""]
        e.loc[row, "9/19/2025"], e.loc[row, "9/5/2025"] = "2,400", ""
        return e

    def inventory(i: pd.DataFrame) -> pd.DataFrame:
        row = i["Desc#"] == "18870"
        assert i.loc[row, "Theoretical Balance"].tolist() == ["-162.21"]
        i.loc[row, "Theoretical Balance"] = "-1,162.21"
        return i

    _edit_csv(day / "eFab_Knit_Orders.csv", knit_orders)
    _edit_csv(day / "Expected_Yarn_Report.csv", expected)
    _edit_csv(day / "yarn_inventory.csv", inventory)
    return day


def _planning_shortage(path: Path) -> pd.Series:
    """yarn_id -> net_shortage_lbs of `yarn-demand --by yarn`: the deepest planning balance below zero, whole lbs."""
    return pd.read_csv(path).set_index("yarn_id")["net_shortage_lbs"]


def test_diff_between_the_real_day_and_a_hand_edited_second_day(real_dir, tmp_path):
    day2 = _second_day(real_dir, tmp_path)
    out, out_efab = tmp_path / "diff.json", tmp_path / "diff_efab.json"
    days = ["--old", str(real_dir), "--old-as-of", "2025-08-28", "--new", str(day2), "--new-as-of", "2025-08-28"]
    result = bk("diff", *days, "--json", str(out))
    assert result.returncode == 0, result.stderr
    diff = json.loads(out.read_text())
    assert diff["knit_orders"] == {"added": 1, "finished": 1, "rescheduled": 1, "balance_changed": 1}
    assert diff["purchase_orders"] == {"added": 0, "closed": 1, "rescheduled": 1}

    # the pages' comparison: both days planned on the observed pace, the shortage of the planning balance; new /
    # cleared = the set difference of the two days' `yarn-demand --schedule observed --by yarn`
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    for folder, csv in ((real_dir, before), (day2, after)):
        assert bk("yarn-demand", str(folder), "--as-of", "2025-08-28", "--schedule", "observed", "--by", "yarn",
                  "--out", str(csv)).returncode == 0
    a, b = _planning_shortage(before), _planning_shortage(after)
    assert set(diff["shortages"]["new"]) == set(b.index[b > 0.5]) - set(a.index[a > 0.5])
    assert set(diff["shortages"]["cleared"]) == set(a.index[a > 0.5]) - set(b.index[b > 0.5])

    causes = {c["yarn_id"]: c for c in diff["causes"]}
    assert causes, "the edits change some shortages"
    for c in diff["causes"]:
        assert c["demand"] + c["receipts"] + c["stock"] + c["other"] == pytest.approx(c["shortage_change_lbs"],
                                                                                   abs=1e-9)
        assert c["other"] == pytest.approx(0.0, abs=0.011)  # same date, same master data
        assert set(c["pos"]) <= {"Y2403002", "Y2403004"}
        assert bool(c["kos"]) == (abs(c["demand"]) > 0.01)
        # the shortage change per yarn equals the two CSVs' difference (whole lbs there)
        assert c["shortage_change_lbs"] == pytest.approx(b.get(c["yarn_id"], 0.0) - a.get(c["yarn_id"], 0.0), abs=1)
    assert causes[18870]["stock"] == pytest.approx(1000.0, abs=0.01)
    assert causes[18927]["kos"][0] == "K2509999" and causes[18927]["demand"] > 0  # the added 60,000 lbs KO first

    # on eFab's rule a KO's yarn moves only with the KO itself: only the four edited KOs are named
    assert bk("diff", *days, "--schedule", "efab", "--json", str(out_efab)).returncode == 0
    kos = {k for c in json.loads(out_efab.read_text())["causes"] for k in c["kos"]}
    assert kos and kos <= {"K2508075", "K2509999", "K2508058", "K2508056"}


def test_save_puts_a_snapshot_in_the_store(tmp_path, monkeypatch):
    store_dir = tmp_path / "store"
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(store_dir))
    result = bk("save", str(DEMO), "--as-of", "2025-08-21")
    assert result.returncode == 0, result.stderr
    infos = SnapshotStore(store_dir).list()
    assert [i.as_of.isoformat() for i in infos] == ["2025-08-21"]
    assert len(infos[0].files) == len(list(DEMO.iterdir()))
    # the Data page's save of the same files and date finds the same snapshot, not a second one
    same = SnapshotStore(store_dir).save([(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir())],
                                         as_of=infos[0].as_of)
    assert same.snapshot_id == infos[0].snapshot_id


def test_save_refuses_a_bad_file_and_writes_nothing(tmp_path, monkeypatch):
    store_dir = tmp_path / "store"
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(store_dir))
    folder = tmp_path / "day"
    shutil.copytree(DEMO, folder)
    (folder / "notes.csv").write_bytes(b"hello,world\n1,2\n")
    result = bk("save", str(folder))
    assert result.returncode == 1
    assert "notes.csv: no known export header in the first 15 rows" in result.stderr
    assert "nothing saved" in result.stderr
    assert not store_dir.exists() or list(store_dir.iterdir()) == []
