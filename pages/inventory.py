"""Yarn inventory: positions, shortages now and projected, cover, ABC, reorder points, and what changed."""

import numpy as np
import plotly.express as px
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.widgets import downloads

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
    projected = services.run("yarn.plan", snapshot)["shortages"]
except BkError as exc:
    st.error(str(exc))
    st.stop()
summary = result["summary"]
with right:
    c = st.columns(4)
    c[0].metric("Yarns", summary["yarn_count"])
    c[1].metric("Short now", summary["shortage_count"], help=f"{summary['shortage_lbs']:,.0f} lbs below zero")
    c[2].metric("Short in the horizon", len(projected), help="From the yarn requirements plan")
    c[3].metric("Below reorder point", summary["below_reorder_count"])
    st.metric("Stock value", f"${summary['on_hand_value_usd']:,.0f}")
with st.expander("Assumptions behind these numbers", expanded=False):
    st.json(result["assumptions"])

positions = result["positions"].merge(projected[["yarn_id", "first_shortage_week"]], on="yarn_id", how="left",
                                      suffixes=("_unused", ""))
positions = positions.drop(columns=[c for c in positions.columns if c.endswith("_unused")])
tab_pos, tab_abc, tab_roll, tab_diff = st.tabs(["Positions", "ABC and cover", "By supplier / type / color",
                                                "Compare snapshots"])
with tab_pos:
    only = st.segmented_control("Show", ["All", "Short now", "Short in horizon", "Below reorder"], default="All")
    view = positions
    if only == "Short now":
        view = view[view["shortage_now"]]
    elif only == "Short in horizon":
        view = view[view["first_shortage_week"].notna()]
    elif only == "Below reorder":
        view = view[view["below_reorder"]]
    shown = view.assign(weeks_of_cover=view["weeks_of_cover"].replace(np.inf, np.nan))
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "weeks_of_cover": st.column_config.NumberColumn("Weeks of cover", format="%.1f",
                                                        help="Empty = no usage (∞)"),
        "first_shortage_week": st.column_config.DateColumn("First short week")})
    downloads(view, "yarn_positions")
with tab_abc:
    pareto = result["pareto"]
    if pareto.empty:
        st.info("No consumption recorded: ABC needs usage.")
    else:
        def pareto_chart():
            fig = px.bar(pareto.head(100), x=pareto.head(100).index, y="annual_value_usd", color="abc",
                         labels={"x": "yarns, by annual consumption value", "annual_value_usd": "$ per year"})
            return fig.add_scatter(x=pareto.head(100).index, y=pareto.head(100)["cumulative_share"]
                                   * pareto["annual_value_usd"].max(), mode="lines", name="cumulative share (scaled)")
        st.plotly_chart(services.figure("inventory.pareto", snapshot, pareto_chart, service_level=service_level,
                                        demand_cv=demand_cv), width="stretch")
    st.plotly_chart(services.figure("inventory.cover", snapshot, lambda: px.bar(
        result["cover_distribution"], x="weeks_of_cover", y="yarns", title="Weeks of cover"),
        service_level=service_level, demand_cv=demand_cv), width="stretch")
with tab_roll:
    by = st.radio("Group by", ["supplier", "yarn type", "color"], horizontal=True)
    table = result[{"supplier": "by_supplier", "yarn type": "by_yarn_type", "color": "by_color"}[by]]
    st.plotly_chart(services.figure("inventory.rollup", snapshot, lambda: px.bar(
        table.head(20), x=table.columns[0], y="value_usd", title=f"Stock value by {by}"),
        service_level=service_level, demand_cv=demand_cv, by=by), width="stretch")
    st.dataframe(table, hide_index=True, width="stretch")
    downloads(table, f"inventory_by_{by.replace(' ', '_')}")
with tab_diff:
    others = [(i, label) for i, label in state.snapshot_choices() if i != snapshot.snapshot_id]
    if not others:
        st.info("Save another snapshot to compare with.")
    else:
        labels = dict(others)
        earlier_id = st.selectbox("Compare with", list(labels), format_func=labels.__getitem__, key="diff_with")
        try:
            change = services.run("inventory.diff", snapshot, earlier_snapshot_id=earlier_id)
        except BkError as exc:
            st.error(str(exc))
        else:
            st.write({k.replace("_", " "): v for k, v in change["summary"].items()})
            for key in ("new_shortages", "cleared_shortages", "biggest_moves", "po_received", "po_slipped", "added",
                        "gone"):
                st.markdown(f"**{key.replace('_', ' ').capitalize()}** ({len(change[key])})")
                st.dataframe(change[key], hide_index=True, width="stretch")
