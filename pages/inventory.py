"""Yarn inventory: positions, shortages now and projected, cover, ABC, reorder points, and what changed."""

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.services.inventory import NO_USAGE_LABEL, with_horizon
from bk.services.shortage import short_yarns
from ui import charts, comparison, services, state
from ui.charts import USD, Chart, colours
from ui.format import fmt_lbs, fmt_usd, plain
from ui.shell import require_shell
from ui.table import show_facts, show_table
from ui.widgets import Figure, figures, lazy_expander, lazy_tabs

require_shell()

st.title("Yarn inventory")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()

left, right = st.columns([1, 3])
service_level = left.slider("Service level", 0.80, 0.995, 0.95, 0.005, format="%.3f",
                            help="Probability of not running out during the supplier lead time (sets z).")
demand_cv = left.slider("Demand variability (CV)", 0.1, 1.5, 0.5, 0.05,
                        help="σ of weekly demand as a share of weekly usage: the exports have no weekly history.")
try:
    result = services.run("inventory.analyze", snapshot, service_level=service_level, demand_cv=demand_cv)
except BkError as exc:
    st.error(plain(exc))
    st.stop()
try:
    plan = services.run("yarn.plan", snapshot, **services.plan_view(snapshot))
except BkError as exc:  # the page still works from yarn_inventory alone; it says what it cannot show
    plan_shortages = None
    st.info(f"Projected shortages are not shown: {plain(exc)}")
else:  # the one shortage of every page: the plan's planning balance (bk.services.shortage)
    plan_shortages = services.derived("shortage.short_yarns", snapshot, lambda: short_yarns(plan), sources=(plan,))
for note in services.missing_notes("inventory.analyze", snapshot):
    st.caption(f"Not shown — {plain(note)}")
summary = result["summary"]
no_plan = pd.DataFrame({"yarn_id": pd.Series(dtype="Int64"), "first_shortage_week": pd.Series(dtype="datetime64[ns]"),
                        "shortage_lbs": pd.Series(dtype="float64")})
positions = services.derived("inventory.positions", snapshot, lambda: with_horizon(
    result["positions"], no_plan if plan_shortages is None else plan_shortages), sources=(result, plan_shortages))
with right:
    figures([
        Figure("Yarns short", "" if plan_shortages is None else int(positions["short_in_horizon"].sum()),
               "Yarns whose planning balance (stock and every open PO, the observed knitting pace) goes below zero: "
               f"the figure of Yarn requirements ({fmt_lbs(positions['horizon_shortage_lbs'].sum())} at the deepest "
               "points)"),
        Figure("Below zero in eFab", summary["shortage_count"], "eFab's own figure: the yarn inventory export's "
               "Planning Balance (on hand + allocated + on order) below zero today "
               f"({fmt_lbs(summary['shortage_lbs'])})"),
        Figure("Below reorder point", summary["below_reorder_count"]),
        Figure("Stock value", fmt_usd(summary["on_hand_value_usd"]), f"{summary['yarn_count']:,} yarns")])
assumptions = lazy_expander("Assumptions behind these numbers", key="inv_assumptions")
if assumptions is not None:
    with assumptions:
        show_facts(result["assumptions"], key="assumptions")



def positions_tab() -> None:
    only = st.segmented_control("Show", ["All", "Short", "Below zero in eFab", "Below reorder"], default="All")
    view = positions
    if only == "Below zero in eFab":
        view = view[view["shortage_now"]]
    elif only == "Short":
        view = view[view["short_in_horizon"]]
    elif only == "Below reorder":
        view = view[view["below_reorder"]]
    show_table(view, "yarn_positions", key="positions", download="yarn_positions",
               caption="Short = the plan's planning balance, as on Yarn requirements; below zero in eFab = the "
                       "export's Planning Balance")


def pareto_chart(pareto: pd.DataFrame) -> Chart:
    """Usage value per year of each yarn, largest first, coloured by ABC class, and the cumulative share of usage
    value on its own axis (0–100 %) with the class cuts at 80 and 95 %."""
    rows = pareto[["rank", "annual_value_usd", "abc", "yarn_id", "description"]].assign(
        abc="class " + pareto["abc"].astype(str), cumulative_pct=pareto["cumulative_share"] * 100)
    rank = {"field": "rank", "type": "quantitative", "title": "yarns ranked by usage value per year (1 = largest)",
            "scale": {"domain": [0, int(pareto["rank"].max()) + 1], "nice": False}}
    share = {"type": "quantitative", "title": "cumulative share of usage value", "scale": {"domain": [0, 101]},
             "axis": {"orient": "right", "values": [0, 20, 40, 60, 80, 95, 100], "labelExpr": "datum.value + ' %'",
                      "grid": False}}
    spec = {"description": "ABC (Pareto) of yarns by usage value per year with the cumulative share",
            "title": "ABC (Pareto): A = first 80 % of usage value, B = next 15 %, C = the rest", "height": 380,
            "resolve": {"scale": {"y": "independent"}}, "layer": [
                {"mark": {"type": "bar"}, "encoding": {
                    "x": rank,
                    "y": {"field": "annual_value_usd", "type": "quantitative", "title": "usage value per year ($)",
                          "axis": {"format": USD}},
                    "color": {"field": "abc", "type": "nominal", "title": None, "legend": {"orient": "top"},
                              **colours({f"class {c}": v for c, v in (("A", "#d62728"), ("B", "#ff7f0e"),
                                                                       ("C", "#7f7f7f"))})},
                    "tooltip": [{"field": "rank", "title": "#"}, {"field": "yarn_id", "title": "yarn"},
                                {"field": "description"},
                                {"field": "annual_value_usd", "title": "per year", "format": USD}]}},
                {"layer": [
                    {"mark": {"type": "line", "color": "#1f77b4"},
                     "encoding": {"x": rank, "y": {**share, "field": "cumulative_pct"},
                                  "tooltip": [{"field": "rank", "title": "top yarns"},
                                              {"field": "cumulative_pct", "title": "% of usage value",
                                               "format": ".0f"}]}},
                    {"data": {"values": [{"cut": 80}, {"cut": 95}]},
                     "mark": {"type": "rule", "strokeDash": [2, 2], "color": "#555"},
                     "encoding": {"y": {**share, "field": "cut"}}}]}]}
    return Chart(rows, spec)


def bars(rows: pd.DataFrame, category: str, value: str, *, title: str, category_title: str, value_title: str,
         value_format: str, across: bool = False) -> Chart:
    """One bar per row of ``rows`` in its order, its ``value`` written at its end; upright, or ``across`` the
    chart (long names readable, one row each)."""
    cat = {"field": category, "type": "nominal", "sort": None, "title": category_title,
           "axis": {"labelAngle": 0, "labelLimit": 260}}
    # room at the end of the longest bar for its value
    val = {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": value_format},
           "scale": {"domainMax": float(rows[value].max()) * 1.15 if len(rows) else 1}}
    tip = [{"field": category, "title": category_title}, {"field": value, "title": value_title,
                                                          "format": value_format}]
    label = {"type": "text", "align": "left", "dx": 4} if across else {"type": "text", "dy": -8}
    encoding = {"y": cat, "x": val} if across else {"x": cat, "y": val}
    return Chart(rows[[category, value]], {
        "description": title, "title": title, "height": 24 * len(rows) + 40 if across else 340,
        "encoding": encoding, "layer": [{"mark": {"type": "bar"}, "encoding": {"tooltip": tip}},
                                        {"mark": label, "encoding": {"text": {"field": value,
                                                                              "format": value_format}}}]})


def abc_tab() -> None:
    pareto = result["pareto"]
    if pareto.empty:
        st.info("No consumption recorded: ABC needs usage.")
    else:
        charts.show(services.derived("inventory.pareto", snapshot, lambda: pareto_chart(pareto), sources=(result,)),
                    key="inv_pareto")
    cover = result["cover_distribution"]
    finite = cover[cover["weeks_of_cover"] != NO_USAGE_LABEL]
    no_usage = cover.loc[cover["weeks_of_cover"] == NO_USAGE_LABEL, "yarns"].sum()
    charts.show(services.derived("inventory.cover", snapshot, lambda: bars(
        finite, "weeks_of_cover", "yarns", title="Weeks of cover (on hand ÷ weekly usage), yarns with usage",
        category_title="weeks of cover", value_title="yarns", value_format=",d"), sources=(result,)),
        key="inv_cover")
    st.caption(f"Not drawn: {int(no_usage):,} yarns with no usage recorded (cover unlimited).")


def rollup_tab() -> None:
    by = st.radio("Group by", ["supplier", "yarn type", "colour"], horizontal=True)
    key = {"supplier": "by_supplier", "yarn type": "by_yarn_type", "colour": "by_color"}[by]
    table = result[key]
    top = table.sort_values("value_usd", ascending=False).head(20)
    charts.show(services.derived("inventory.rollup", snapshot, lambda: bars(
        top, table.columns[0], "value_usd", title=f"Stock value by {by} (top 20)", category_title=by,
        value_title="stock value ($)", value_format=USD, across=True), sources=(result,), by=by), key="inv_rollup")
    show_table(table, "inventory_rollup", key=f"rollup-{key}", download=f"inventory_{key}")


def compare_tab() -> None:
    earlier_id = comparison.pick_earlier(snapshot, key="diff_with")
    if earlier_id is not None:
        st.markdown(f"**{comparison.title(snapshot, earlier_id)}**")
        comparison.show(snapshot, earlier_id, key="inventory_diff")


TABS = {"Positions": positions_tab, "ABC and cover": abc_tab, "By supplier / type / colour": rollup_tab,
        "Compare snapshots": compare_tab}
lazy_tabs(TABS, key="inv_tab")
