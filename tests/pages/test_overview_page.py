"""AppTest of the Overview briefing on two saved snapshots (the second without KO K2508810) and on the demo."""

from __future__ import annotations

import io
import re
import time
from datetime import date

import pandas as pd
import pytest

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.services import yarn
from tests.conftest import DEMO, DEMO_FIRST
from tests.pages.conftest import figures, no_exceptions, open_expanders, page, tables
from tests.pages.readable import assert_readable, table_with

STOCK_CUT_LBS = 2000.0


def _stock_yarn() -> tuple[int, float]:
    """A demo yarn with demand that is not short and whose planning balance stays above zero by less than
    STOCK_CUT_LBS at its lowest: 2,000 lbs less on hand makes it short. (yarn id, on hand lbs)."""
    snapshot, _ = load_paths([DEMO])
    plan = yarn.plan(snapshot.frames, as_of=snapshot.as_of, **yarn.APP_VIEW)
    pb = plan["planning_balance"]
    fits = pb[(pb["total_demand_lbs"] > 0) & (pb["min_balance_lbs"] > 100) & (pb["min_balance_lbs"] < 1500)
              & (pb["on_hand_lbs"] > STOCK_CUT_LBS)]
    row = fits.iloc[0]
    return int(row["yarn_id"]), float(row["on_hand_lbs"])


def _two_days(store_dir) -> tuple[int, float]:
    """The demo saved twice (as-of 28 Aug 2025): the second without KO K2508810 and with 2,000 lbs less of one
    yarn on hand. Returns that yarn and its on hand before."""
    store = SnapshotStore(store_dir)
    files = {p.name: p.read_bytes() for p in DEMO_FIRST.iterdir()}
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    lines = files["eFab_Knit_Orders.csv"].decode("utf-8-sig").splitlines()
    gone = [i for i, line in enumerate(lines) if line.startswith("DM5181/2,K2508810&nbsp;<i class=")]
    assert len(gone) == 1
    files["eFab_Knit_Orders.csv"] = ("\ufeff" + "\n".join(lines[:gone[0]] + lines[gone[0] + 1:]) + "\n").encode()
    yarn_id, on_hand = _stock_yarn()
    inventory = pd.read_csv(io.BytesIO(files["yarn_inventory.csv"]), encoding="utf-8-sig", dtype=str,
                            keep_default_na=False)
    row = inventory["Desc#"] == str(yarn_id)
    inventory.loc[row, "Theoretical Balance"] = f"{on_hand - STOCK_CUT_LBS:.2f}"
    files["yarn_inventory.csv"] = inventory.to_csv(index=False).encode("utf-8-sig")
    time.sleep(1.1)  # saved_at has whole seconds: the second save must sort after the first
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    return yarn_id, on_hand


def test_overview_briefing_between_two_saved_snapshots(isolated_store):
    yarn_id, on_hand = _two_days(isolated_store)
    at = page("overview.py").run()
    no_exceptions(at)
    assert [h.value for h in at.header] == ["Today", "Since an earlier snapshot", "Files and findings"]
    # both snapshots named, by date (the time saved too: they share a date), never by id
    assert re.fullmatch(r"28 Aug 2025, saved \d+ \w{3} \d{4} \d\d:\d\d:\d\d compared with 28 Aug 2025, saved .*",
                        next(h.value for h in at.subheader if "compared with" in h.value))
    metrics = {m.label: m.value for m in figures(at)}
    assert [m.label for m in figures(at)][:3] == ["Data age", "Complete", "App health"]
    assert metrics["Knit orders: finished"] == "1"
    assert metrics["Knit orders: added"] == "0" and metrics["Knit orders: rescheduled"] == "0"
    assert metrics["Purchase orders: rescheduled"] == "0" and metrics["Purchase orders: received"] == "0"
    assert {"Expedite", "Buys past order-by", "Buy this week", "Late KOs", "Capacity hot spots", "Reconcile"} <= set(
        metrics)
    assert_readable(at)
    causes = table_with(at, "Shortage change (lbs)", "Demand (lbs)")
    assert list(causes.columns)[:7] == ["Yarn", "Short now (lbs)", "Shortage change (lbs)", "Demand (lbs)",
                                        "Receipts (lbs)", "Stock (lbs)", "Other (lbs)"]
    rows = causes.set_index("Yarn")
    # oracle: each day's own plan as the pages run it (APP_VIEW), its planning balance
    store = SnapshotStore(isolated_store)
    plans = [yarn.plan(store.load(i.snapshot_id).frames, as_of=i.as_of, **yarn.APP_VIEW) for i in store.list()]
    before, now = (p["planning_balance"].set_index("yarn_id")["shortage_lbs"] for p in plans)
    changed = (now - before.reindex(now.index, fill_value=0.0)).abs() > 0.01
    assert sorted(rows.index) == sorted(now.index[changed])
    assert (rows["Shortage change (lbs)"] - (now - before).reindex(rows.index)).abs().max() <= 0.5
    # the yarn with 2,000 lbs less on hand became short: by stock, and the page says so in words
    assert now[yarn_id] > 0.5 and before[yarn_id] == 0
    assert rows.loc[yarn_id, "Short now (lbs)"] == round(now[yarn_id])  # the plan's figure, whole lbs
    assert rows.loc[yarn_id, "Stock (lbs)"] == pytest.approx(now[yarn_id], abs=0.5)
    assert f"stock on hand {on_hand:,.0f} → {on_hand - STOCK_CUT_LBS:,.0f} lbs" in rows.loc[yarn_id, "What happened"]
    assert (rows["What happened"].str.len() > 0).all()  # never empty
    assert int(metrics["Shortages: new"]) == int(((now > 0.5) & (before.reindex(now.index) <= 0.5)).sum()) >= 1


def test_overview_on_the_demo_compares_with_the_previous_demo_day():
    at = page("overview.py").run()
    no_exceptions(at)
    # the demo store: five export days, the newest (Thu 11 Sep 2025) open, compared with the day before it
    assert [h.value for h in at.header] == ["Today", "Since an earlier snapshot", "Files and findings"]
    compare = next(s for s in at.selectbox if s.label == "Compare with")
    assert compare.options == ["Demo data (synthetic) · 8 Sep 2025", "Demo data (synthetic) · 4 Sep 2025",
                               "Demo data (synthetic) · 1 Sep 2025", "Demo data (synthetic) · 28 Aug 2025"]
    assert any(s.value == "Demo data (synthetic) · 11 Sep 2025 compared with Demo data (synthetic) · 8 Sep 2025"
               for s in at.subheader)
    assert any("synthetic demo data" in i.value for i in at.info)
    assert int(next(m.value for m in figures(at) if m.label == "Expedite")) > 0
    assert_readable(at)


def test_overview_today_lists_the_yarn_plans_actions():
    """Today's buy table is the plan's action list: its PO expedites are the plan's, by PO number."""
    at = page("overview.py").run()
    no_exceptions(at)
    today = table_with(at, "Yarn", "Action", "Order-by passed", "Order by", "PO", "Why")
    assert list(today.columns)[:4] == ["Yarn", "Action", "Order-by passed", "Order by"]
    snapshot, _ = load_paths([DEMO])
    earlier, _ = load_paths([sorted(DEMO.parent.iterdir())[-2]])  # the day before: the app closes the loop with it
    actions = yarn.plan(snapshot.frames, as_of=snapshot.as_of, **yarn.APP_VIEW, earlier_frames=earlier.frames,
                        earlier_as_of=earlier.as_of)["actions"]
    po_expedites = actions[actions["action"] == "expedite"]
    shown_pos = today.loc[today["Action"] == "expedite", "PO"]
    assert len(po_expedites) > 0 and sorted(shown_pos) == sorted(po_expedites["po_number"])
    assert set(today["Action"]) <= {"buy", "expedite"}  # no defer, no reconcile in this table
    metrics = {m.label: int(m.value) for m in figures(at)
               if m.label in ("Expedite", "Buy this week", "Buys past order-by")}
    # one definition each: expedite = the plan's expedite actions; passed buys are their own figure
    assert metrics["Expedite"] == len(po_expedites) == (today["Action"] == "expedite").sum()
    buys = today[today["Action"] == "buy"]
    assert metrics["Buys past order-by"] == int(buys["Order-by passed"].sum()) == int(
        ((actions["action"] == "buy") & actions["expedite"]).sum())
    assert metrics["Buy this week"] == int((~buys["Order-by passed"]).sum())
    # every buy listed is due by Sunday 14 Sep (as-of Thu 11 Sep 2025, the newest demo day); a PO's value is no
    # spend
    assert (buys["Order by"] <= date(2025, 9, 14)).all()
    assert today.loc[today["Action"] == "expedite", "Cost ($)"].isna().all()


def test_headline_counts_shared_with_yarn_requirements_are_one_value():
    overview, yarn_page = page("overview.py").run(), page("yarn.py").run()
    no_exceptions(overview)
    no_exceptions(yarn_page)
    a = {m.label: m.value for m in figures(overview)}
    b = {m.label: m.value for m in figures(yarn_page)}
    shared = {"Expedite", "Buys past order-by", "Reconcile"}
    assert shared <= set(a) & set(b)
    assert {k: a[k] for k in shared} == {k: b[k] for k in shared}


def test_overview_lists_the_files_and_findings_on_demand():
    at = page("overview.py").run()
    no_exceptions(at)
    assert not [f for f in tables(at) if {"Export", "File"} <= set(f.columns)]  # closed: not drawn
    box = next(e.label for e in at.expander if e.label.startswith("Files ("))
    open_expanders(at, "Files (")
    no_exceptions(at)
    files = table_with(at, "Export", "File", "Rows")
    assert box.startswith(f"Files ({len(files)}) and data-quality findings (")
    assert not [m for m in figures(at) if m.label in ("As of", "Files", "Rows", "Warnings", "Errors")]  # said once
    findings = table_with(at, "Severity", "File", "Row", "Column")
    assert set(findings["Severity"]) <= {"error", "warning"}  # info hidden until asked for


def test_today_lists_the_buys_and_opens_the_other_lists_on_demand():
    """The buy and expedite table is drawn; late KOs and the records to reconcile open on demand, each as long
    as its count above (the demo has both)."""
    at = page("overview.py").run()
    no_exceptions(at)
    counts = {m.label: int(m.value) for m in figures(at) if m.label in ("Late KOs", "Reconcile")}
    assert counts["Late KOs"] > 0 and counts["Reconcile"] > 0
    assert [s.value for s in at.subheader if s.value.startswith(("Buy", "Late", "Reconcile"))] == [
        "Buy and expedite this week"]
    lists = {e.label: e for e in at.expander if e.label in ("Late knit orders", "Reconcile")}
    assert set(lists) == {"Late knit orders", "Reconcile"}
    assert all(len(e.children) == 0 for e in lists.values())  # closed: nothing drawn
    open_expanders(at, "Late knit orders", "Reconcile")
    no_exceptions(at)
    assert len(table_with(at, "Knit order")) == counts["Late KOs"]
    reconcile = [e for e in at.expander if e.label == "Reconcile"][0]
    assert len(reconcile.dataframe) == 1 and len(reconcile.dataframe[0].value) == counts["Reconcile"]
