"""Yarn inventory: positions, shortages now and projected, cover, ABC, reorder points, and what changed."""

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.subplots import make_subplots

from bk.errors import BkError
from bk.services.inventory import NO_USAGE_LABEL, with_horizon
from bk.services.shortage import short_yarns
from ui import comparison, services, state
from ui.format import fmt_lbs, fmt_usd, plain, plot_labels
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


def abc_tab() -> None:
    pareto = result["pareto"]
    if pareto.empty:
        st.info("No consumption recorded: ABC needs usage.")
    else:
        def pareto_chart():
            colours = {"A": "#d62728", "B": "#ff7f0e", "C": "#7f7f7f"}
            fig = make_subplots(specs=[[{"secondary_y": True}]])
            for cls, rows in pareto.groupby("abc", sort=True):
                fig.add_bar(x=rows["rank"], y=rows["annual_value_usd"], name=f"class {cls}",
                            marker_color=colours.get(str(cls), "#1f77b4"),
                            customdata=rows[["yarn_id", "description"]],
                            hovertemplate="#%{x} yarn %{customdata[0]} %{customdata[1]}<br>$%{y:,.0f} per year"
                                          "<extra></extra>")
            fig.add_scatter(x=pareto["rank"], y=pareto["cumulative_share"] * 100, name="cumulative share",
                            mode="lines", line={"color": "#1f77b4"}, secondary_y=True,
                            hovertemplate="top %{x} yarns: %{y:.0f} % of usage value<extra></extra>")
            fig.update_yaxes(title_text="usage value per year ($)", tickformat="$,.0f", secondary_y=False)
            fig.update_yaxes(title_text="cumulative share of usage value", range=[0, 101], tickmode="array",
                             tickvals=[0, 20, 40, 60, 80, 95, 100], ticksuffix=" %", showgrid=False, secondary_y=True)
            for cut in (80, 95):
                fig.add_hline(y=cut, line_dash="dot", line_color="#555", line_width=1, secondary_y=True)
            fig.update_xaxes(title_text="yarns ranked by usage value per year (1 = largest)")
            fig.update_layout(title="ABC (Pareto): A = first 80 % of usage value, B = next 15 %, C = the rest",
                              height=380, margin={"t": 80, "b": 40}, barmode="overlay",
                              legend={"orientation": "h", "y": 1.12, "x": 0})
            return fig

        st.plotly_chart(services.figure("inventory.pareto", snapshot, pareto_chart, sources=(result,)), width="stretch")
    cover = result["cover_distribution"]
    finite = cover[cover["weeks_of_cover"] != NO_USAGE_LABEL]
    no_usage = cover.loc[cover["weeks_of_cover"] == NO_USAGE_LABEL, "yarns"].sum()
    st.plotly_chart(services.figure("inventory.cover", snapshot, lambda: px.bar(
        finite, x="weeks_of_cover", y="yarns", text="yarns",
        title="Weeks of cover (on hand ÷ weekly usage), yarns with usage",
        labels={"weeks_of_cover": "weeks of cover", "yarns": "yarns"}).update_layout(
        height=320, margin={"t": 50, "b": 40}), sources=(result,)), width="stretch")
    st.caption(f"Not drawn: {int(no_usage):,} yarns with no usage recorded (cover unlimited).")


def rollup_tab() -> None:
    by = st.radio("Group by", ["supplier", "yarn type", "colour"], horizontal=True)
    key = {"supplier": "by_supplier", "yarn type": "by_yarn_type", "colour": "by_color"}[by]
    table = result[key]
    top = table.sort_values("value_usd", ascending=False).head(20)
    st.plotly_chart(services.figure("inventory.rollup", snapshot, lambda: px.bar(
        plot_labels(top), x=table.columns[0], y="value_usd", title=f"Stock value by {by} (top 20)",
        labels={table.columns[0]: by, "value_usd": "stock value ($)"}).update_yaxes(tickformat="$,.0f"),
        sources=(result,), by=by), width="stretch")
    show_table(table, "inventory_rollup", key=f"rollup-{key}", download=f"inventory_{key}")


def compare_tab() -> None:
    earlier_id = comparison.pick_earlier(snapshot, key="diff_with")
    if earlier_id is not None:
        st.markdown(f"**{comparison.title(snapshot, earlier_id)}**")
        comparison.show(snapshot, earlier_id, key="inventory_diff")


TABS = {"Positions": positions_tab, "ABC and cover": abc_tab, "By supplier / type / colour": rollup_tab,
        "Compare snapshots": compare_tab}
lazy_tabs(TABS, key="inv_tab")
