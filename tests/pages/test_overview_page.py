"""AppTest of the Overview briefing on two saved snapshots (the second without KO K2508861) and on the demo."""

from __future__ import annotations

import time
from datetime import date

import pytest

from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.pages.conftest import no_exceptions, page


def _two_days(store_dir) -> None:
    store = SnapshotStore(store_dir)
    files = {p.name: p.read_bytes() for p in DEMO.iterdir()}
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    lines = files["eFab_Knit_Orders.csv"].decode("utf-8-sig").splitlines()
    assert lines[40].startswith("DM6078/1A,K2508861,10/8/2025")  # open, 16,000 lbs
    files["eFab_Knit_Orders.csv"] = ("\ufeff" + "\n".join(lines[:40] + lines[41:]) + "\n").encode()
    time.sleep(1.1)  # saved_at has whole seconds: the second save must sort after the first
    store.save(list(files.items()), as_of=date(2025, 8, 28))


def test_overview_briefing_between_two_saved_snapshots(isolated_store):
    _two_days(isolated_store)
    at = page("overview.py").run()
    no_exceptions(at)
    assert [h.value for h in at.header] == ["Today", "Since Thu 28 Aug 2025", "Files and findings"]
    metrics = {m.label: m.value for m in at.metric}
    assert [m.label for m in at.metric][:6] == ["As of", "Files", "Rows", "Health", "Data age", "Complete"]
    assert metrics["Knit orders: finished"] == "1"
    assert metrics["Knit orders: added"] == "0" and metrics["Knit orders: rescheduled"] == "0"
    assert metrics["Purchase orders: rescheduled"] == "0"
    assert metrics["Shortages: cleared"] == "2" and metrics["Shortages: new"] == "0"
    assert {"Expedite", "Buy this week", "Late KOs", "Capacity hot spots", "Reconcile"} <= set(metrics)
    # K2508861 was the only demand of yarns 10145 and 10828 that ran short: dropping it clears both
    causes = next(d.value for d in at.dataframe if "shortage_change_lbs" in d.value.columns)
    rows = causes.set_index("yarn_id")
    assert sorted(rows.index) == [10145, 10828]
    assert rows.loc[10145, "demand"] == pytest.approx(-7727.4, abs=0.05)
    assert rows.loc[10828, "demand"] == pytest.approx(-1059.1, abs=0.05)
    assert (rows["receipts"] == 0).all() and (rows["stock"] == 0).all() and (rows["other"] == 0).all()
    assert set(rows["kos"]) == {"K2508861"} and set(rows["pos"]) == {""}
    assert set(rows["detail"]) == {"K2508861 finished"}


def test_overview_on_the_demo_asks_for_a_second_snapshot():
    at = page("overview.py").run()
    no_exceptions(at)
    assert [h.value for h in at.header] == ["Today", "Since the last snapshot", "Files and findings"]
    assert any("Save another snapshot" in i.value for i in at.info)
    assert any("synthetic demo data" in i.value for i in at.info)
    assert int(next(m.value for m in at.metric if m.label == "Expedite")) > 0
