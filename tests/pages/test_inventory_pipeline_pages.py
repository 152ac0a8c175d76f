"""AppTest of the Yarn inventory page (incl. the diff of two snapshots) and the Fabric pipeline page."""

from __future__ import annotations

from datetime import date

import pandas as pd

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.services import yarn
from tests.conftest import DEMO_FIRST, app_plan
from tests.pages.conftest import (
    as_numbers,
    chart,
    charts,
    figures,
    no_exceptions,
    open_expanders,
    open_tab,
    page,
    tables,
)
from tests.pages.readable import assert_readable, table_with, unreadable


def test_inventory_page_on_the_demo():
    at = page("inventory.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Yarn inventory"
    labels = [m.label for m in figures(at)]
    assert labels == ["Yarns short", "Below zero in eFab", "Below reorder point", "Stock value"]
    assert_readable(at)
    positions = table_with(at, "Yarn", "Description", "Short (lbs)", "Below zero in eFab (lbs)")
    assert list(positions.columns)[:3] == ["Yarn", "Description", "Supplier"]
    # the filter lists as many yarns as the headline counts, each with the plan's planning-balance shortage
    short = int(next(m.value for m in figures(at) if m.label == "Yarns short"))
    at.segmented_control[0].set_value("Short").run()
    no_exceptions(at)
    shown = table_with(at, "Yarn", "Short (lbs)").set_index("Yarn")["Short (lbs)"]
    pb = app_plan()["planning_balance"]
    expected = pb.loc[pb["shortage_lbs"] > 0.5].set_index("yarn_id")["shortage_lbs"]
    assert len(shown) == short == len(expected)
    assert (shown - expected.reindex(shown.index)).abs().max() <= 0.5
    open_expanders(at, "Assumptions")
    assert_readable(at)  # the assumptions in words: no NormalDist.inv_cdf, no demand_cv
    open_tab(at, "inv_tab", "ABC and cover")
    no_exceptions(at)
    pareto = chart(at, "ABC (Pareto)")
    ranked = pareto.data.sort_values("rank")
    # largest first, class A before B before C, the cumulative share rising to 100 %
    assert ranked["annual_value_usd"].is_monotonic_decreasing and ranked["cumulative_pct"].is_monotonic_increasing
    assert list(dict.fromkeys(ranked["abc"])) == ["class A", "class B", "class C"]
    assert abs(ranked["cumulative_pct"].iloc[-1] - 100) < 1e-6
    cover = chart(at, "Weeks of cover")
    assert not cover.data["weeks_of_cover"].str.contains("no usage").any() and cover.data["yarns"].gt(0).all()
    open_tab(at, "inv_tab", "By supplier / type / colour")
    no_exceptions(at)
    by_supplier = chart(at, "Stock value by supplier")
    table = table_with(at, "Supplier", "Value ($)")
    top = table.assign(value=as_numbers(table["Value ($)"])).nlargest(20, "value")
    assert by_supplier.data.iloc[:, 0].tolist() == top["Supplier"].tolist()  # the table's top 20, largest first
    assert by_supplier.data["value_usd"].round().tolist() == top["value"].round().tolist()
    open_tab(at, "inv_tab", "Compare snapshots")
    no_exceptions(at)
    # the demo days compare with each other only (the demo is never compared with real data)
    compare = next(s for s in at.selectbox if s.label == "Compare with")
    assert compare.options and all(o.startswith("Demo data (synthetic) · ") for o in compare.options)
    assert not at.segmented_control  # the positions tab's body no longer runs


def test_inventory_compares_snapshots_with_the_overviews_figures(isolated_store):
    store = SnapshotStore(isolated_store)
    files = {p.name: p.read_bytes() for p in DEMO_FIRST.iterdir()}
    store.save(list(files.items()), as_of=date(2025, 8, 21))
    # a week later knit order K2508810 is gone
    lines = files["eFab_Knit_Orders.csv"].decode("utf-8-sig").splitlines()
    gone = [i for i, line in enumerate(lines) if line.startswith("DM5181/2,K2508810&nbsp;<i class=")]
    files["eFab_Knit_Orders.csv"] = ("\ufeff" + "\n".join(lines[:gone[0]] + lines[gone[0] + 1:]) + "\n").encode()
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    at = page("inventory.py")
    at.session_state["inv_tab"] = "Compare snapshots"
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="diff_with").options == ["21 Aug 2025"]  # no demo, no id
    assert any(m.value == "**28 Aug 2025 compared with 21 Aug 2025**" for m in at.markdown)
    assert_readable(at)
    overview = page("overview.py").run()
    no_exceptions(overview)
    assert next(h.value for h in overview.subheader if "compared with" in h.value) == (
        "28 Aug 2025 compared with 21 Aug 2025")
    # one comparison: every count and every cause row the same on both pages
    counts = {m.label: m.value for m in figures(at) if ": " in m.label}
    assert counts and counts == {m.label: m.value for m in figures(overview) if m.label in counts}
    assert counts["Knit orders: finished"] == "1"
    mine, theirs = (table_with(x, "Shortage change (lbs)", "What happened") for x in (at, overview))
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True))


def test_pipeline_page_on_the_demo():
    at = page("pipeline.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Fabric pipeline"
    assert [m.label.split(" · ")[0] for m in figures(at)][:4] == ["G00", "G02", "I01", "F01"]
    assert figures(at)[0].label == "G00 · greige at the mill"  # the stage in words: no funnel repeats the figures
    assert len(charts(at)) == 1  # the open Age tab's chart; no funnel repeats the four figures
    # each stage's bar, its age buckets stacked, is the stage's figure; stages in the pipeline's order
    ages = chart(at, "Lbs by age")
    assert ages.spec["encoding"]["x"]["sort"] == ["G00", "G02", "I01", "F01"]
    per_stage = ages.data.groupby("stage")["lbs"].sum()
    for shown in figures(at)[:4]:
        assert abs(per_stage[shown.label.split(" · ")[0]] - float(shown.value.removesuffix(" lbs").replace(",", ""))) < 1
    young_first = ages.data.sort_values("stacked")["age"].drop_duplicates().tolist()
    assert young_first[:2] == ["0–30 d", "31–90 d"]
    assert all(m.value.endswith(" lbs") and "." not in m.value for m in figures(at)[:4])
    assert_readable(at)
    assert not [f for f in tables(at) if "Roll" in f.columns]  # the rolls: on demand under their count
    open_expanders(at, "The rolls")
    rolls = table_with(at, "Roll", "Stage", "Age (days)", "Lbs")
    assert (rolls["Age (days)"] > 90).all() and rolls["Age (days)"].is_monotonic_decreasing
    header = next(m.value for m in at.markdown if m.value.startswith("**Rolls older than 90 days"))
    assert f"{len(rolls):,} rolls" in header
    open_tab(at, "pipe_tab", "Sales-order coverage")
    no_exceptions(at)
    assert any("Open sales orders" == m.label for m in figures(at))
    assert_readable(at)
    coverage = table_with(at, "Sales order", "Coverage (%)")
    assert list(coverage.columns)[:5] == ["Sales order", "Sold to", "Finished style", "Quoted date", "Coverage (%)"]
    assert not coverage["On hold"].astype(bool).iloc[0]  # on-hold orders listed last
    open_tab(at, "pipe_tab", "Age")
    at.number_input[0].set_value(30).run()
    no_exceptions(at)
    open_expanders(at, "The rolls")
    rolls30 = table_with(at, "Roll", "Stage", "Age (days)", "Lbs")
    assert len(rolls30) > len(rolls) and (rolls30["Age (days)"] > 30).all()


def test_inventory_page_on_the_real_snapshot_agrees_with_the_yarn_plan(real_dir, isolated_store):
    info = SnapshotStore(isolated_store).save([(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())])
    at = page("inventory.py").run()
    no_exceptions(at)
    assert_readable(at)
    metrics = {m.label: m.value for m in figures(at)}
    # oracles: the plan the pages open with (its planning balance), and eFab's own column of the raw export
    snapshot, _ = load_paths([real_dir], as_of=info.as_of)
    pb = yarn.plan(snapshot.frames, as_of=info.as_of, **yarn.APP_VIEW)["planning_balance"]
    expected = pb.loc[pb["shortage_lbs"] > 0.5].set_index("yarn_id")["shortage_lbs"]
    raw = pd.read_csv(real_dir / "yarn_inventory.csv", encoding="utf-8-sig", thousands=",")
    efab = raw.groupby("Desc#")["Planning Balance"].sum()
    assert metrics["Yarns short"] == str(len(expected))
    assert metrics["Below zero in eFab"] == str(int((efab < -0.015).sum()))
    at.segmented_control[0].set_value("Short").run()
    shown = table_with(at, "Yarn", "Short (lbs)").set_index("Yarn")["Short (lbs)"]
    assert sorted(shown.index) == sorted(expected.index)
    assert (shown - expected.reindex(shown.index)).abs().max() <= 0.5


def test_pipeline_page_on_the_real_snapshot_is_readable(real_dir, isolated_store):
    SnapshotStore(isolated_store).save([(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())])
    at = page("pipeline.py").run()
    no_exceptions(at)
    open_expanders(at, "The rolls")
    assert [p for frame in tables(at) for p in unreadable(frame)] == []
    rolls = table_with(at, "Roll", "Stage", "Age (days)", "Lbs")
    assert len(rolls) == 4788  # rolls older than 90 days, one row each (was 4 stage totals)
