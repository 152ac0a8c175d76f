"""Knitting capacity: can the machines carry the open knit orders, which work centres are bottlenecks,
which orders will be late, and where unassigned orders could go."""

import pandas as pd
import plotly.express as px
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.widgets import downloads

st.title("Knitting capacity")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
c1, c2 = st.columns(2)
horizon = c1.slider("Horizon (weeks)", 4, 26, 12)
threshold = c2.slider("Bottleneck threshold", 0.5, 1.2, 0.85, 0.05, format="%.2f")
try:
    plan = services.run("capacity.plan", snapshot, horizon_weeks=horizon, bottleneck_threshold=threshold)
except BkError as exc:
    st.error(str(exc))
    st.stop()
s = plan["summary"]
m = st.columns(5)
m[0].metric("Machines", s["machines"])
m[1].metric("Scheduled KOs", s["assigned_kos"])
m[2].metric("Unassigned KOs", s["unassigned_kos"])
m[3].metric("Late KOs", s["late_kos"], help=f"{s['late_unknown_kos']} scheduled KOs have no quoted date")
m[4].metric(f"Busiest work centre ({s['window_weeks']} wk)", f"{s['max_wc_utilization']:.0%}")
st.caption("Each machine knits its open KOs one after another (by start date, then KO number) at the style's "
           f"rate; a week has 5.5 machine-days (Saturday half). {s['rate_defaulted_kos']} open KOs have no rate and "
           "use the median rate.")

tab_heat, tab_gantt, tab_late, tab_un = st.tabs(["Utilisation", "Machine timeline", "Late risk", "Unassigned"])
with tab_heat:
    level = st.radio("Rows", ["work centre", "machine"], horizontal=True)
    if level == "work centre":
        data = plan["wc_load"]
        heat = data.pivot_table(index="work_center", columns="week_start", values="utilization", aggfunc="sum")
    else:
        data = plan["machine_load"]
        heat = data.pivot_table(index="machine", columns="week_start", values="utilization", aggfunc="sum")
    heat = heat.loc[heat.sum(axis=1) > 0]
    if heat.empty:
        st.info("No load in the horizon.")
    else:
        heat.columns = [c.strftime("%d %b") for c in heat.columns]

        def heatmap():
            fig = px.imshow(heat, aspect="auto", color_continuous_scale="RdYlGn_r", zmin=0, zmax=1.2,
                            labels={"color": "utilisation"})
            return fig.update_layout(height=max(300, 14 * len(heat)))
        st.plotly_chart(services.figure("capacity.heat", snapshot, heatmap, horizon=horizon, threshold=threshold,
                                        level=level), width="stretch")
    st.markdown(f"**Bottlenecks** — work centres over {threshold:.0%} in the next {s['window_weeks']} weeks")
    st.dataframe(plan["bottlenecks"], hide_index=True, width="stretch")
    downloads(plan["wc_window"], "work_centre_utilisation")
with tab_gantt:
    schedule = plan["schedule"]
    machines = sorted(schedule["machine"].unique().tolist())
    picked = st.multiselect("Machines", machines, default=machines[:25])
    # a KO finishing on a day occupies that day: draw its bar to the end of it
    shown = schedule[schedule["machine"].isin(picked)].assign(
        end=lambda d: d["finish"] + pd.Timedelta(days=1), machine_label=lambda d: d["machine"].astype(str))
    if shown.empty:
        st.info("Pick machines to see their knit orders.")
    else:
        def timeline():
            fig = px.timeline(shown, x_start="start", x_end="end", y="machine_label", color="late",
                              hover_data=["knit_order", "style", "balance_lbs", "quoted_date"],
                              color_discrete_map={True: "#d62728", False: "#1f77b4"})
            return fig.update_layout(height=max(300, 22 * len(picked)), yaxis_title="machine")
        st.plotly_chart(services.figure("capacity.timeline", snapshot, timeline, horizon=horizon,
                                        threshold=threshold, picked=picked), width="stretch")
    downloads(schedule, "machine_schedule")
with tab_late:
    late = plan["schedule"][plan["schedule"]["late"]]
    if late.empty:
        st.success("No scheduled knit order finishes after its quoted date.")
    else:
        st.dataframe(late, hide_index=True, width="stretch")
        downloads(late, "late_knit_orders")
with tab_un:
    if plan["unassigned"].empty:
        st.success("Every open knit order has a machine.")
    else:
        st.dataframe(plan["unassigned"], hide_index=True, width="stretch")
        downloads(plan["unassigned"], "unassigned_knit_orders")
