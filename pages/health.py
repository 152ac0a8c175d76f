"""App health for the manager: how far the plans can be trusted (Plan health), then one score for the app and
its data with each part in plain words and what needs attention, then what the data lacks. Engineering
controls and figures (garbage collection, load test, profiler tables, memory charts, the JSON report) sit in
the closed "For engineers" section at the bottom, drawn only while it is open."""

import json
import time

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.optimization.health import PAGE_TARGET_MS
from bk.services import plan_health
from ui import auth, charts, metrics, services, state
from ui.charts import Chart, colours
from ui.coverage import missing_exports
from ui.format import findings_frame, plain
from ui.shell import require_shell
from ui.table import show_table
from ui.widgets import Figure, figures, lazy_expander, lazy_tabs

require_shell()
GC_SYMBOLS = ("circle", "square", "diamond")  # one marker per GC generation
GC_SOURCES = {"streamlit_post_script": "after a page run", "automatic": "automatic", "manual": "by hand",
              "threshold": "memory over the threshold"}
PERCENTILES = {"warm_p50": "Warm p50", "warm_p95": "Warm p95", "cold_p50": "Cold p50", "cold_p95": "Cold p95"}


def _per_operation(stats: dict) -> pd.DataFrame:
    """{operation: {figure: value}} as one row per operation, figures numeric (None → empty)."""
    frame = pd.DataFrame(stats).T.reset_index(names="operation")
    for column in frame.columns[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


st.title("App health")
manager = services.manager()
metrics.start_exporter()
snapshot = state.active_snapshot()

with st.sidebar:
    refresh = st.toggle("Live refresh (2 s)", value=True)


def _components(score: dict) -> pd.DataFrame:
    """A score's parts as the health_components table lists them (plan health and app health alike)."""
    return pd.DataFrame([{"component": c["name"], "points": c["points"], "max": c["max"], "detail": c["detail"]}
                         for c in score["components"].values()], columns=["component", "points", "max", "detail"])


PLAN_LINES = {"score": "Plan health (0-100)", "knitting_pct": "Knitting as planned (%)",
              "buys_followed_pct": "Buys followed (%)", "on_time_pct": "Receipts on time (%)"}


def plan_trend_chart(trend: pd.DataFrame) -> Chart:
    """The plan health score (solid, wide) and its three parts' shares (dotted) by the day each plan was checked."""
    rows = trend.melt(id_vars="checked_on", value_vars=list(PLAN_LINES), var_name="line", value_name="value")
    rows = rows.assign(line=rows["line"].map(PLAN_LINES))
    score = PLAN_LINES["score"]
    colour = {"field": "line", "type": "nominal", "title": None,
              **colours(dict(zip(PLAN_LINES.values(), ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"), strict=True))),
              "legend": {"orient": "bottom", "labelLimit": 0, "columns": 4, "symbolType": "stroke"}}
    # a date without a time zone reaches the browser as its local midnight: the local scale shows that day
    encoding = {"x": {"field": "checked_on", "type": "temporal", "title": "checked on",
                      "axis": {"format": "%-d %b %Y", "tickCount": {"interval": "day", "step": 1}}},
                "y": {"field": "value", "type": "quantitative", "title": "score / %", "scale": {"domain": [0, 100]}},
                "color": colour,
                "tooltip": [{"field": "checked_on", "type": "temporal", "title": "checked on", "format": "%-d %b %Y"},
                            {"field": "line", "title": "line"}, {"field": "value", "title": "value"}]}
    spec = {"description": "Plan health by the day the plan was checked: the plan health score (0-100) and the "
                           "shares of knitting as planned, buys followed and receipts on time (%)",
            "title": "Plan health by the day the plan was checked", "height": 380, "encoding": encoding, "layer": [
                {"transform": [{"filter": {"field": "line", "equal": score}}],
                 "mark": {"type": "line", "point": True, "strokeWidth": 3}},
                {"transform": [{"filter": {"not": {"field": "line", "equal": score}}}],
                 "mark": {"type": "line", "point": True, "strokeWidth": 2, "strokeDash": [2, 3]}}]}
    return Chart(rows, spec)


def plan_health_section() -> None:
    """How far the plans can be trusted: each earlier snapshot's plan scored against the next snapshot."""
    st.subheader("Plan health")
    if snapshot is None:
        st.info("No snapshot: no plan to judge.")
        return
    try:
        results = services.plan_trend(snapshot)
    except BkError as exc:
        st.error(plain(exc))
        return
    if not results:
        st.info("Plan health needs an earlier snapshot: save the exports of another day on the Data page, and each "
                "day's plan is checked against what the next day's exports show.")
        return
    latest = services.derived("health.plan_score", snapshot, lambda: plan_health.plan_score(results[-1]),
                              sources=(results,))
    score = "no figures" if latest["score"] is None else f"{latest['score']} / 100"
    figures([Figure("Plan health", score, f"{latest['status'].capitalize()}: the plan of {latest['period']}, checked "
                    "against what happened. Knitting counts 40 points, buys followed 30, receipts on time 30.")],
            per_row=4)
    st.caption(f"The plan of {latest['period']}: {latest['status']}.")
    parts = services.derived("health.plan_components", snapshot, lambda: _components(latest), sources=(latest,))
    show_table(parts, "health_components", key="plan_components", search=False)
    trend = services.derived("health.plan_trend", snapshot, lambda: plan_health.trend(results), sources=(results,))
    if len(trend) > 1:
        charts.show(services.derived("health.plan_trend_chart", snapshot, lambda: plan_trend_chart(trend),
                                     sources=(trend,)), key="plan_trend_chart")
    worst = services.derived("health.plan_suppliers", snapshot, lambda: plan_health.worst_suppliers(results),
                             sources=(results,))
    st.markdown(f"**Suppliers by pounds on time**, worst first, over the last {len(results)} checks")
    if worst.empty:
        st.info("No PO pounds were due in these checks.")
    else:
        show_table(worst, "plan_suppliers", key="plan_suppliers", search=False)


@st.fragment(run_every=2 if refresh else None)
def live() -> None:
    """The one score, its parts with the figure behind each, and what needs attention (refreshed every 2 s)."""
    health = manager.health(snapshot, leak_alert_mb_per_min=services.alert_thresholds()["leak_mb_per_min"])
    st.subheader("The app and its data")
    figures([Figure("App health", f"{health['score']} / 100", (
        "The sum of the points of the parts below. First visits to a page (loading and computing) are not "
        f"counted as slow; pages are judged on their last 100 loads against {PAGE_TARGET_MS / 1000:.1f} s, "
        "memory on its typical use over 5 minutes. A part's points change only when it moves by 2 points or "
        "more, so the score moves when something changed, not with every refresh."))], per_row=4)
    st.caption(f"{health['status'].capitalize()}: 80 and more is good, 50 to 79 fair, below 50 poor.")
    show_table(_components(health), "health_components", key="app_components", search=False)
    st.markdown("**What needs attention**")
    for alert in health["alerts"]:
        st.warning(alert)
    if not health["alerts"]:
        st.success("Nothing needs attention: the app answers quickly, nothing fails and memory is within budget.")


def data_problems() -> None:
    """The active snapshot's missing exports and findings: what the data lacks, not what the app does wrong."""
    st.markdown("**Data problems**: fix them in the exports, not in the app")
    if snapshot is None:
        st.info("No snapshot: nothing to judge.")
        return
    missing = services.derived("health.missing", snapshot, lambda: missing_exports(snapshot.exports,
                                                                                  as_of=snapshot.as_of))
    if missing.empty:
        st.success("Every export the pages use is in this snapshot.")
    else:
        pages = missing["page"].nunique()
        st.caption(f"{pages} page{'s' if pages != 1 else ''} cannot show everything: an export "
                   f"{'they need is' if pages != 1 else 'it needs is'} missing from this snapshot.")
        show_table(missing, "missing_exports", key="health_missing", search=False)

    def errors_and_warnings() -> pd.DataFrame:
        findings = findings_frame(snapshot.findings)
        return findings[findings["severity"].isin(["error", "warning"])]

    findings = services.derived("health.findings", snapshot, errors_and_warnings)
    if findings.empty:
        st.success("No error or warning when the files were read.")
    # the list on demand, as on the Overview (its files and findings): the count says whether to look
    elif (box := lazy_expander(f"{len(findings)} errors and warnings when the files were read",
                               key="health_findings_box")) is not None:
        with box:
            show_table(findings, "findings", key="health_findings")


def engineers() -> None:
    """Controls and raw figures for engineers, in a closed section at the bottom: run only while it is open."""
    box = lazy_expander("For engineers", key="health_engineers")
    if box is None:
        return
    with box:
        controls()
        engineer_figures()


def json_report() -> str:  # built when the button is clicked, not on every refresh
    report = {"health": manager.health(snapshot), "profiler": manager.profiler.report(),
              "memory": {k: v for k, v in manager.monitor.snapshot().items() if k != "rss"},
              "cache": manager.cache.status() if manager.cache else None}
    return json.dumps(report, indent=2, default=str)


def controls() -> None:
    buttons = st.columns(3)
    if buttons[0].button("Collect garbage now"):
        freed = manager.monitor.collect(source="manual")
        st.toast(f"gc.collect() freed {freed} objects")
    with st.sidebar:
        may_load_test = auth.may_load_test()
    if buttons[1].button("Run a 5-second load test", disabled=not may_load_test) and snapshot is not None:
        with st.spinner("4 workers calling every service operation for 5 s…"):
            try:
                st.session_state["load_test"] = services.load_test(snapshot, workers=4, duration_s=5.0)
            except BkError as exc:
                st.error(plain(exc))
    buttons[2].download_button("Download JSON report", json_report, file_name="bk-health.json",
                               mime="application/json", on_click="ignore")
    if "load_test" in st.session_state:
        lt = st.session_state["load_test"]
        st.info(f"Load test: {lt['calls']} calls in {lt['duration_s']:.1f} s = {lt['throughput_per_s']:.1f}/s, "
                f"{lt['errors']} errors")
        show_table(_per_operation(lt["operations"]), "operations", key="load_test_ops", search=False)


@st.fragment(run_every=2 if refresh else None)
def engineer_figures() -> None:
    mem = manager.monitor.snapshot()
    slope = mem["leak_slope_after_warmup_mb_per_min"]
    if slope is None:
        st.caption(f"Leak check: measuring. The memory slope needs {mem['leak_min_span_s'] / 60:.0f} min of "
                   f"samples after warm-up (from {time.strftime('%H:%M:%S', time.localtime(mem['warm_since']))}); "
                   "growth while caches fill is not a leak.")
    else:
        st.caption(f"Leak check: memory slope {slope:+.1f} MB/min after warm-up.")
    # one tab at a time (only the open tab is drawn on each refresh)
    lazy_tabs({"Memory and garbage collections": lambda: memory_charts(mem),
               "Latency": latency, "Cache": cache}, key="health_tab")


def memory_chart(rss: pd.DataFrame) -> Chart:
    """The process's resident memory over time (its last 600 samples)."""
    rows = pd.DataFrame({"time": pd.to_datetime(rss["time"], unit="s", utc=True), "rss_mb": rss["rss_mb"]})
    spec = {"description": "Resident memory (MB) of the app over time", "title": "Resident memory (MB)",
            "height": 340, "mark": {"type": "line"},
            "encoding": {"x": {"field": "time", "type": "temporal", "title": "time", "axis": {"format": "%H:%M:%S"}},
                         "y": {"field": "rss_mb", "type": "quantitative", "title": "MB"},
                         "tooltip": [{"field": "time", "type": "temporal", "format": "%H:%M:%S"},
                                     {"field": "rss_mb", "title": "MB", "format": ",.1f"}]}}
    return Chart(rows, spec)


def gc_chart(events: pd.DataFrame) -> Chart:
    """Each garbage collection's pause over time (its last 500), coloured by what started it, shaped by
    generation."""
    generations = [f"generation {g}" for g in range(len(GC_SYMBOLS))]
    rows = pd.DataFrame({"time": pd.to_datetime(events["time"], unit="s", utc=True), "pause_ms": events["pause_ms"],
                         "source": events["source"].map(lambda s: GC_SOURCES.get(s, s)).astype(str),
                         "generation": "generation " + events["generation"].astype(int).astype(str)})
    legend = {"orient": "bottom", "direction": "vertical", "labelLimit": 0, "title": None}
    spec = {"description": "Garbage collections over time: each one's pause (ms), by what started it and its "
                           "generation",
            "title": "Garbage collections (pause ms)", "height": 340, "mark": {"type": "point", "filled": True, "size": 50},
            "encoding": {"x": {"field": "time", "type": "temporal", "title": "time", "axis": {"format": "%H:%M:%S"}},
                         "y": {"field": "pause_ms", "type": "quantitative", "title": "pause (ms)"},
                         "color": {"field": "source", "type": "nominal", "legend": legend,
                                   "scale": {"range": ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]}},
                         "shape": {"field": "generation", "type": "nominal", "legend": legend,
                                   "scale": {"domain": generations, "range": list(GC_SYMBOLS)}},
                         "tooltip": [{"field": "time", "type": "temporal", "format": "%H:%M:%S"},
                                     {"field": "source", "title": "started"}, {"field": "generation"},
                                     {"field": "pause_ms", "title": "pause (ms)", "format": ",.2f"}]}}
    return Chart(rows, spec)


def memory_charts(mem: dict) -> None:  # built on every refresh: they change every 2 s
    left, right = st.columns(2)
    rss = pd.DataFrame(mem["rss"])
    if len(rss):
        charts.show(memory_chart(rss.tail(600)), where=left)
    gc_events = pd.DataFrame(mem["gc_events"])
    if len(gc_events):
        charts.show(gc_chart(gc_events.tail(500)), where=right)


def latency_chart(ops: pd.DataFrame) -> Chart:
    """Each operation's warm and cold p50 and p95 (ms) as grouped bars."""
    rows = ops.melt(id_vars="operation", value_vars=list(PERCENTILES), var_name="percentile", value_name="ms")
    rows = rows.assign(percentile=rows["percentile"].map(PERCENTILES))
    order = list(PERCENTILES.values())
    spec = {"description": "Latency (ms) of each service operation: warm p50 and p95 (from caches, judged against "
                           "the SLO) and cold p50 and p95 (first runs, cache misses)",
            "title": {"text": "Latency (ms): warm (from caches, judged against the SLO) and cold (first runs, cache "
                              "misses)", "limit": 0},
            "height": 320, "mark": {"type": "bar"},
            "encoding": {"x": {"field": "operation", "type": "nominal", "title": None,
                               "axis": {"labelAngle": -30, "labelLimit": 240}},
                         "xOffset": {"field": "percentile", "type": "nominal", "sort": order},
                         "y": {"field": "ms", "type": "quantitative", "title": "ms"},
                         "color": {"field": "percentile", "type": "nominal", "title": None, "sort": order,
                                   "scale": {"domain": order}, "legend": {"orient": "bottom"}},
                         "tooltip": [{"field": "operation"}, {"field": "percentile"},
                                     {"field": "ms", "format": ",.1f"}]}}
    return Chart(rows, spec)


def latency() -> None:
    report = manager.profiler.report()["operations"]
    ops = _per_operation(report) if report else pd.DataFrame()
    if not len(ops):
        st.info("No service operation has run yet.")
        return
    charts.show(latency_chart(ops))
    show_table(ops, "operations", key="operations", search=False)


def cache() -> None:
    tier1 = metrics.streamlit_cache_counters()
    tier2 = manager.cache.stats_dict() if manager.cache else {}
    hits2 = sum(s["hits"] for s in tier2.values())
    total2 = hits2 + sum(s["misses"] for s in tier2.values())
    figures([Figure("Tier 1 hit rate (shared results)", "n/a" if not tier1 or tier1["hit_rate"] is None
                    else f"{tier1['hit_rate']:.0%}"),
             Figure("Tier 2 hit rate (disk)", f"{hits2 / total2:.0%}" if total2 else "n/a"),
             Figure("Updated", time.strftime("%H:%M:%S"))])
    if tier2:
        show_table(_per_operation(tier2), "cache_stats", key="cache_stats", search=False)


plan_health_section()
live()
data_problems()
engineers()
