"""AppTest of the Overview briefing on two saved snapshots (the second without KO K2508810) and on the demo."""

from __future__ import annotations

import time
from datetime import date

import pytest

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.services import yarn
from tests.conftest import DEMO, DEMO_FIRST
from tests.pages.conftest import no_exceptions, page
from tests.pages.readable import assert_readable, table_with


def _two_days(store_dir) -> None:
    store = SnapshotStore(store_dir)
    files = {p.name: p.read_bytes() for p in DEMO_FIRST.iterdir()}
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    lines = files["eFab_Knit_Orders.csv"].decode("utf-8-sig").splitlines()
    # open, 1,000 lbs, its Order # with eFab's HTML warning icon; the only demand of yarns 10121 and 10626
    gone = [i for i, line in enumerate(lines) if line.startswith("DM5181/2,K2508810&nbsp;<i class=")]
    assert len(gone) == 1
    files["eFab_Knit_Orders.csv"] = ("\ufeff" + "\n".join(lines[:gone[0]] + lines[gone[0] + 1:]) + "\n").encode()
    time.sleep(1.1)  # saved_at has whole seconds: the second save must sort after the first
    store.save(list(files.items()), as_of=date(2025, 8, 28))


def test_overview_briefing_between_two_saved_snapshots(isolated_store):
    _two_days(isolated_store)
    at = page("overview.py").run()
    no_exceptions(at)
    assert [h.value for h in at.header] == ["Today", "Since Thu 28 Aug 2025", "Files and findings"]
    metrics = {m.label: m.value for m in at.metric}
    assert [m.label for m in at.metric][:6] == ["As of", "Files", "Rows", "App health", "Data age", "Complete"]
    assert metrics["Knit orders: finished"] == "1"
    assert metrics["Knit orders: added"] == "0" and metrics["Knit orders: rescheduled"] == "0"
    assert metrics["Purchase orders: rescheduled"] == "0"
    assert metrics["Shortages: cleared"] == "2" and metrics["Shortages: new"] == "0"
    assert {"Expedite", "Buy this week", "Late KOs", "Capacity hot spots", "Reconcile"} <= set(metrics)
    # K2508810 was the only demand of yarns 10121 and 10626, short by 229.66 and 259.67 lbs: dropping it
    # clears both, all of it demand
    assert_readable(at)
    causes = table_with(at, "Shortage change (lbs)", "Demand (lbs)")
    assert list(causes.columns)[:6] == ["Yarn", "Shortage change (lbs)", "Demand (lbs)", "Receipts (lbs)",
                                        "Stock (lbs)", "Other (lbs)"]
    rows = causes.set_index("Yarn")
    assert sorted(rows.index) == [10121, 10626]
    assert rows.loc[10121, "Demand (lbs)"] == pytest.approx(-229.66, abs=0.5)  # shown in whole lbs
    assert rows.loc[10626, "Demand (lbs)"] == pytest.approx(-259.67, abs=0.5)
    assert (rows["Receipts (lbs)"] == 0).all() and (rows["Stock (lbs)"] == 0).all()
    assert (rows["Other (lbs)"] == 0).all()
    assert set(rows["Knit orders"]) == {"K2508810"} and set(rows["POs"]) == {""}
    assert set(rows["What happened"]) == {"K2508810 finished"}


def test_overview_on_the_demo_compares_with_the_previous_demo_day():
    at = page("overview.py").run()
    no_exceptions(at)
    # the demo store: five export days, the newest (Thu 11 Sep 2025) open, the day before it Mon 8 Sep
    assert [h.value for h in at.header] == ["Today", "Since Mon 8 Sep 2025", "Files and findings"]
    compare = next(s for s in at.selectbox if s.label == "Compare with")
    assert compare.options == ["Demo data (synthetic) · 8 Sep 2025", "Demo data (synthetic) · 4 Sep 2025",
                               "Demo data (synthetic) · 1 Sep 2025", "Demo data (synthetic) · 28 Aug 2025"]
    assert any("synthetic demo data" in i.value for i in at.info)
    assert int(next(m.value for m in at.metric if m.label == "Expedite")) > 0
    assert_readable(at)


def test_overview_today_lists_the_yarn_plans_actions():
    """Today's buy table is the plan's action list: its PO expedites are the plan's, by PO number."""
    at = page("overview.py").run()
    no_exceptions(at)
    today = table_with(at, "Yarn", "Action", "Expedite", "Order by", "PO", "Why")
    assert list(today.columns)[:4] == ["Yarn", "Action", "Expedite", "Order by"]
    snapshot, _ = load_paths([DEMO])
    earlier, _ = load_paths([sorted(DEMO.parent.iterdir())[-2]])  # the day before: the app closes the loop with it
    actions = yarn.plan(snapshot.frames, as_of=snapshot.as_of, **yarn.APP_VIEW, earlier_frames=earlier.frames,
                        earlier_as_of=earlier.as_of)["actions"]
    po_expedites = actions[actions["action"] == "expedite"]
    shown_pos = today.loc[today["Action"] == "expedite", "PO"]
    assert len(po_expedites) > 0 and sorted(shown_pos) == sorted(po_expedites["po_number"])
    assert set(today["Action"]) <= {"buy", "expedite"}  # no defer, no reconcile in this table
    metrics = {m.label: int(m.value) for m in at.metric if m.label in ("Expedite", "Buy this week")}
    assert metrics["Expedite"] == int(today["Expedite"].sum())
    assert metrics["Buy this week"] == int((~today["Expedite"]).sum())
    # every buy listed is due by Sunday 14 Sep (as-of Thu 11 Sep 2025, the newest demo day)
    buys = today[today["Action"] == "buy"]
    assert (buys["Order by"] <= date(2025, 9, 14)).all()
