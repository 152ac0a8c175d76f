"""AppTest of the App health page: Plan health first, then one score for the app and its data with its parts in
plain words, what needs attention, the data's problems, and the engineers' controls and figures in a closed
section at the bottom."""

from __future__ import annotations

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.optimization.manager import EXPECTED_KINDS
from tests.conftest import DEMO
from tests.pages.conftest import (
    as_numbers,
    chart,
    figures,
    no_exceptions,
    open_expanders,
    open_tab,
    page,
    tables,
)
from tests.pages.readable import assert_plain_words, assert_readable, table_with

PARTS = ["Pages answer quickly", "Nothing fails", "Memory stays within its budget", "Computed results are kept",
         "The exports are complete", "The exports read cleanly", "The data is recent"]
ENGINEERS = ["Collect garbage now", "Run a 5-second load test", "Download JSON report"]


def errors_and_warnings() -> list:
    """The demo day's read findings that are errors or warnings (what App health lists on demand)."""
    return [f for f in load_paths([DEMO])[0].findings if f.severity in ("error", "warning")]


def test_one_score_with_its_parts_in_plain_words_and_the_engineers_section_closed():
    at = page("health.py").run()
    no_exceptions(at)
    assert at.title[0].value == "App health"
    assert [h.value for h in at.subheader] == ["Plan health", "The app and its data"]
    scores = {m.label: m.value for m in figures(at)}
    assert set(scores) == {"Plan health", "App health"}  # one app score: no "Data health", no overall caption
    parts = table_with(at, "Component", "Points", "Out of", "Figure behind it")
    parts = next(f for f in tables(at) if "Pages answer quickly" in set(f.get("Component", [])))
    assert list(parts["Component"]) == PARTS
    assert list(parts["Out of"]) == ["25", "25", "15", "5", "10", "10", "10"]
    assert float(scores["App health"].split(" / ")[0]) == round(as_numbers(parts["Points"]).sum())
    assert parts.set_index("Component").loc["Nothing fails", "Figure behind it"].startswith(
        ("No unexpected failure in the last", "Nothing has run yet"))
    assert any(md.value == "**What needs attention**" for md in at.markdown)
    assert any(md.value.startswith("**Data problems**") for md in at.markdown)
    # the read findings (the demo's 8 errors and warnings) and the engineers' controls are not on the page until
    # their sections are opened
    findings = errors_and_warnings()
    assert [e.label for e in at.expander] == [f"{len(findings)} errors and warnings when the files were read",
                                             "For engineers"] and len(findings) == 8
    assert not any("Message" in f.columns for f in tables(at))
    assert not {b.label for b in at.button} & set(ENGINEERS) and not at.tabs
    assert_readable(at)
    assert_plain_words(at)


def test_the_engineers_section_holds_the_controls_the_figures_and_a_load_test():
    at = open_expanders(page("health.py").run(), "For engineers")
    no_exceptions(at)
    section = at.expander[-1]
    assert [b.label for b in section.button] + ["Download JSON report"] == ENGINEERS
    assert [t.label for t in section.tabs] == ["Memory and garbage collections", "Latency", "Cache"]
    next(b for b in at.button if b.label == "Collect garbage now").click().run()
    no_exceptions(at)
    next(b for b in at.button if b.label.startswith("Run a 5-second load test")).click().run()
    no_exceptions(at)
    assert any("Load test:" in i.value for i in at.expander[-1].info)
    ops = table_with(at, "Operation", "Calls", "Errors", "Refused for data", "p95 (ms)")
    assert len(ops) > 0
    assert_readable(at)


def test_a_snapshot_without_its_bom_is_a_data_problem_not_an_app_one(isolated_store):
    files = [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir()) if p.name != "BOM_updated.csv"]
    SnapshotStore(isolated_store).save(files)
    at = page("health.py").run()
    no_exceptions(at)
    missing = table_with(at, "Page", "Export", "Page cannot open")
    assert ("Yarn requirements", "✓") in set(zip(missing["Page"], missing["Page cannot open"], strict=True))
    assert any("cannot show everything: an export" in c.value for c in at.caption)
    parts = next(f for f in tables(at) if "The exports are complete" in set(f.get("Component", [])))
    detail = parts.set_index("Component").loc["The exports are complete", "Figure behind it"]
    full, _ = load_paths([DEMO])
    present = sum(k in full.exports for k in EXPECTED_KINDS) - 1  # the demo less its BOM
    assert "bom" in full.exports
    assert detail == f"{present} of the {len(EXPECTED_KINDS)} exports the pages use are in this snapshot"
    # a saved snapshot's age is judged and said with its date
    recent = parts.set_index("Component").loc["The data is recent", "Figure behind it"]
    assert recent.startswith("The exports are of ") and " ago" in recent
    assert_readable(at)
    assert_plain_words(at)


def test_charts_and_tables_in_the_engineers_section_are_drawn_one_tab_at_a_time():
    at = open_expanders(page("health.py").run(), "For engineers")
    next(b for b in at.button if b.label.startswith("Run a 5-second load test")).click().run()  # operations
    no_exceptions(at)
    cache_labels = {"Tier 1 hit rate (shared results)", "Tier 2 hit rate (disk)", "Updated"}
    assert not cache_labels & {m.label for m in figures(at)}  # closed tabs are not drawn
    latency = "Latency (ms) of each service operation"
    assert chart(at, latency) is None

    def operation_tables():  # the load test's, then the Latency tab's
        return [f for f in tables(at) if {"Operation", "Warm p95 (ms)"} <= set(f.columns)]
    assert len(operation_tables()) == 1

    open_tab(at, "health_tab", "Latency")
    no_exceptions(at)
    drawn = chart(at, latency)
    assert drawn is not None
    assert len(operation_tables()) == 2
    assert "yarn.plan" in set(operation_tables()[1]["Operation"])
    # one group of bars per operation of the tab's table, its warm and cold p50 and p95 in ms
    assert set(drawn.data["operation"]) == set(operation_tables()[1]["Operation"])
    assert list(drawn.spec["encoding"]["color"]["scale"]["domain"]) == ["Warm p50", "Warm p95", "Cold p50",
                                                                          "Cold p95"]
    assert set(drawn.data["percentile"]) == {"Warm p50", "Warm p95", "Cold p50", "Cold p95"}
    assert drawn.spec["encoding"]["y"]["title"] == "ms"

    open_tab(at, "health_tab", "Cache")
    no_exceptions(at)
    assert cache_labels <= {m.label for m in figures(at)}
    assert chart(at, latency) is None


def test_the_read_findings_open_on_demand_with_every_error_and_warning():
    at = open_expanders(page("health.py").run(), "8 errors and warnings")
    no_exceptions(at)
    shown = table_with(at, "File", "Message")
    assert sorted(shown["Message"]) == sorted(f.message for f in errors_and_warnings())
    assert_readable(at)
