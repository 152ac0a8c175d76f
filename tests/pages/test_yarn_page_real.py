"""AppTests of the Yarn requirements page on the real 2025-08-28 snapshot (skipped when it is absent): the
actions and their evidence, and one fact has one value across pages — a yarn's shortage on Yarn requirements
and Yarn inventory, and a KO's start week on Capacity and the week its yarn is drawn with the machine schedule."""

from __future__ import annotations

import pandas as pd
import pytest

from bk.ingest.snapshot import SnapshotStore
from tests.pages.conftest import chart, figures, no_exceptions, open_expanders, page, tables
from tests.pages.readable import assert_readable, table_with


@pytest.fixture
def saved_real(real_dir, isolated_store):
    SnapshotStore(isolated_store).save([(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())])


def metric(at, label: str):
    return next(m for m in figures(at) if m.label == label)


def test_yarn_page_on_the_real_snapshot_shows_actions_evidence_and_reconciliation(saved_real):
    at = page("yarn.py").run()
    no_exceptions(at)
    assert_readable(at)
    actions = table_with(at, "Order by", "Action", "Why")
    # yarn 18870 (stock -162 lbs): fix the record and pull in PO Y2507009, not a new buy
    row = actions[actions["Yarn"] == 18870]
    assert row["Action"].tolist() == ["reconcile"] and "Y2507009" in row["Why"].iloc[0]
    # the briefing's link to yarn 18870 opens its evidence first
    linked = page("yarn.py")
    linked.query_params["yarn"] = "18870"
    linked.run()
    no_exceptions(linked)
    assert any(m.value.startswith("**reconcile · yarn 18870 ") for m in linked.markdown)  # its row selected
    pegging = table_with(linked, "Knit order", "BOM from")  # the evidence right under the table
    assert len(pegging) > 0
    open_expanders(at, "Reconciliation", "Add a what-if knit order")
    labels = [m.label for m in figures(at)]
    assert "KO × yarn rows reproduced" in labels and "Receipt cells equal to eFab" in labels
    causes = table_with(at, "Likely cause", "KO × yarn rows")  # causes as a small table, not JSON
    assert len(causes) > 0
    # typing a style without its version offers its versions
    at.text_input(key="what_if_typed").set_value("DFF446J").run()
    options = next(sb for sb in at.selectbox if sb.label == "Greige style").options
    assert len(options) >= 2 and all(o.upper().startswith("DFF446J/") for o in options)


def test_one_yarns_shortage_is_the_same_on_yarn_requirements_and_yarn_inventory(saved_real):
    yarn_at = page("yarn.py").run()
    inventory_at = page("inventory.py").run()
    no_exceptions(yarn_at)
    no_exceptions(inventory_at)
    count = metric(yarn_at, "Yarns short")
    assert count.value == metric(inventory_at, "Yarns short").value
    for m in (count, metric(inventory_at, "Yarns short")):  # one definition, stated on both pages
        assert "planning balance" in m.help and "goes below" in m.help
    assert not [f for f in tables(yarn_at) if "First short week" in f.columns]  # the list: on demand
    open_expanders(yarn_at, "Yarns short")
    on_yarn = table_with(yarn_at, "Yarn", "Short (lbs)", "First short week").set_index("Yarn")
    on_inventory = table_with(inventory_at, "Yarn", "Short (lbs)", "Below zero in eFab (lbs)").set_index("Yarn")
    assert len(on_yarn) == int(count.value) > 0
    shorts = on_inventory[on_inventory["Short (lbs)"] > 0]["Short (lbs)"]
    assert shorts.sort_index().to_dict() == on_yarn["Short (lbs)"].sort_index().to_dict()
    weeks = on_inventory.loc[on_yarn.index, "First short week"]
    assert (weeks == on_yarn["First short week"]).all()


def gantt_starts(at) -> dict[str, pd.Timestamp]:
    """knit_order -> start drawn on the Capacity page's machine timeline (the start of its bar; a KO split over
    machines: its first part's)."""
    timeline = chart(at, "Machine timeline")
    assert timeline is not None
    bars = timeline.data.dropna(subset=["knit_order", "start"])
    first = pd.to_datetime(bars["start"]).groupby(bars["knit_order"].astype(str)).min()
    return {ko: pd.Timestamp(start).tz_localize(None) if pd.Timestamp(start).tzinfo else pd.Timestamp(start)
            for ko, start in first.items()}


def test_a_kos_start_week_on_capacity_is_the_week_the_machine_schedule_draws_its_yarn(saved_real):
    capacity_at = page("capacity.py")
    capacity_at.session_state["cap_tab"] = "Machine timeline"
    capacity_at.run()
    no_exceptions(capacity_at)
    machines = next(ms for ms in capacity_at.multiselect if ms.label == "Machines")
    machines.set_value(machines.options).run()
    starts = gantt_starts(capacity_at)
    assert "K2507092" in starts

    yarn_at = page("yarn.py").run()
    yarn_at.segmented_control(key="knitting").set_value("machine schedule").run()
    open_expanders(yarn_at, "Machine schedule against eFab's rule")
    no_exceptions(yarn_at)
    assert_readable(yarn_at)
    moves = table_with(yarn_at, "Knit order", "Yarn drawn from, machine schedule").set_index("Knit order")
    # K2507092: eFab's rule draws its yarn from the week of 1 Sep; machine 44 knits it after K2502005
    assert str(moves.loc["K2507092", "Yarn drawn from, eFab rule"]) == "2025-09-01"
    compared = 0
    for ko, drawn in moves["Yarn drawn from, machine schedule"].items():
        if ko in starts and pd.notna(drawn):
            start = starts[ko]
            assert pd.Timestamp(drawn) == (start - pd.Timedelta(days=start.weekday())).normalize(), ko
            compared += 1
    assert compared >= 1 and pd.Timestamp(moves.loc["K2507092", "Yarn drawn from, machine schedule"]) > \
        pd.Timestamp("2025-09-01")
