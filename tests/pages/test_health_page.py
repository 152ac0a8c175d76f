"""AppTest of the App health page: the app and the data scored apart, their components, data problems (missing
exports, findings) listed apart from app alerts, buttons and a load test."""

from __future__ import annotations

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.optimization.manager import EXPECTED_KINDS
from tests.conftest import DEMO
from tests.pages.conftest import no_exceptions, open_tab, page
from tests.pages.readable import assert_readable, table_with


def test_health_page_shows_the_app_and_the_data_apart_and_runs_a_load_test():
    at = page("health.py").run()
    no_exceptions(at)
    assert at.title[0].value == "App health"
    scores = {m.label: m.value for m in at.metric}
    for label in ("App health", "Data health"):
        assert 0 <= float(scores[label].split(" / ")[0]) <= 100
    tables = [df.value for df in at.dataframe if "Component" in df.value.columns]
    assert [set(t["Component"]) for t in tables] == [
        {"Knitting as planned", "Buys followed by a PO", "Receipts on time"},  # plan health (the demo days)
        {"memory", "latency", "cache", "errors"}, {"freshness", "quality", "completeness"}]
    assert [h.value for h in at.subheader] == ["Plan health", "The app", "The data"]
    assert any(md.value.startswith("**Data problems**") for md in at.markdown)
    assert any(md.value.startswith("**App problems**") for md in at.markdown)
    assert_readable(at)
    next(b for b in at.button if b.label == "Collect garbage now").click().run()
    no_exceptions(at)
    next(b for b in at.button if b.label.startswith("Run a 5-second load test")).click().run()
    no_exceptions(at)
    assert any("Load test:" in i.value for i in at.info)
    ops = table_with(at, "Operation", "Calls", "Errors", "Refused for data", "p95 (ms)")
    assert len(ops) > 0
    assert_readable(at)


def test_a_snapshot_without_its_bom_is_a_data_problem_not_an_app_one(isolated_store):
    files = [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir()) if p.name != "BOM_updated.csv"]
    SnapshotStore(isolated_store).save(files)
    at = page("health.py").run()
    no_exceptions(at)
    missing = table_with(at, "Page", "Export", "Page cannot open")
    assert ("Yarn requirements", True) in set(zip(missing["Page"], missing["Page cannot open"], strict=True))
    assert any(c.value.startswith("Missing exports: ") for c in at.caption)
    data = next(df.value for df in at.dataframe if "Component" in df.value.columns
                and "completeness" in set(df.value["Component"]))
    detail = data.set_index("Component").loc["completeness", "Figure behind it"]
    full, _ = load_paths([DEMO])
    present = sum(k in full.exports for k in EXPECTED_KINDS) - 1  # the demo less its BOM
    assert "bom" in full.exports
    assert detail.startswith(f"{present}/{len(EXPECTED_KINDS)} exports present")
    assert_readable(at)


def test_charts_and_tables_below_the_alerts_are_drawn_one_tab_at_a_time():
    at = page("health.py").run()
    next(b for b in at.button if b.label.startswith("Run a 5-second load test")).click().run()  # operations
    no_exceptions(at)
    assert [t.label for t in at.tabs] == ["Memory and garbage collections", "Latency", "Cache"]
    cache_labels = {"Tier 1 hit rate (shared results)", "Tier 2 hit rate (disk)", "Updated"}
    assert not cache_labels & {m.label for m in at.metric}  # closed tabs are not drawn
    latency_title = "Latency (ms): warm"
    assert not [c for c in at.get("plotly_chart") if latency_title in c.proto.spec]

    def operation_tables():  # the load test's, then the Latency tab's
        return [df.value for df in at.dataframe if {"Operation", "Warm p95 (ms)"} <= set(df.value.columns)]
    assert len(operation_tables()) == 1

    open_tab(at, "health_tab", "Latency")
    no_exceptions(at)
    assert [c for c in at.get("plotly_chart") if latency_title in c.proto.spec]
    assert len(operation_tables()) == 2
    assert "yarn.plan" in set(operation_tables()[1]["Operation"])

    open_tab(at, "health_tab", "Cache")
    no_exceptions(at)
    assert cache_labels <= {m.label for m in at.metric}
    assert not [c for c in at.get("plotly_chart") if latency_title in c.proto.spec]
