"""Knitting capacity: can the machines carry the open knit orders (committed and suggested), which work centres
are bottlenecks, which orders will be late, and where unassigned orders could go."""

import pandas as pd
import plotly.express as px
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.format import plain, plot_labels
from ui.shell import require_shell
from ui.widgets import downloads

require_shell()

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
    st.error(plain(exc))
    st.stop()
s = plan["summary"]
for finding in plan["findings"].itertuples(index=False):
    (st.warning if finding.severity == "warning" else st.info)(finding.message)
m = st.columns(6)
m[0].metric("Machines", s["machines"])
m[1].metric("Scheduled KOs", s["assigned_kos"])
m[2].metric("Unassigned KOs", s["unassigned_kos"],
            help=f"{s['unassigned_kos_in_load']} of them are in the load on a suggested machine")
m[3].metric("Late KOs", s["late_kos"], help=f"{s['late_unknown_kos']} scheduled KOs have no quoted date; "
            f"{s['late_suggested_kos']} suggested KOs would also finish late")
m[4].metric(f"Busiest work centre ({s['window_weeks']} wk)", f"{s['max_wc_utilization']:.0%}",
            help="committed and suggested load")
m[5].metric("Committed only", f"{s['max_wc_committed_utilization']:.0%}",
            help="the busiest work centre counting only KOs that already have a machine")
st.caption(
    "Each machine knits its open KOs one after another (by start date, then KO number), never before the KO's "
    "start date, at the style's rate; a week has 5.5 machine-days (Saturday half). Unassigned KOs are placed on "
    f"the machine of their work centre where they can start first and counted as **suggested** load. "
    f"Rates: {s['family_rate_kos']} open KOs use their style family's rate, {s['median_rate_kos']} the median "
    f"rate. The as-of week has {s['as_of_week_days_left']:g} machine-days left per machine.")

tab_heat, tab_gantt, tab_late, tab_un = st.tabs(["Utilisation", "Machine timeline", "Late risk", "Unassigned"])
with tab_heat:
    left, right = st.columns(2)
    level = left.radio("Rows", ["work centre", "machine"], horizontal=True)
    load = right.radio("Load", ["committed + suggested", "committed only"], horizontal=True)
    value = "utilization" if load == "committed + suggested" else "committed_utilization"
    if level == "work centre":
        heat = plan["wc_load"].pivot_table(index="work_center", columns="week_start", values=value, aggfunc="sum")
    else:
        heat = plan["machine_load"].pivot_table(index="machine", columns="week_start", values=value, aggfunc="sum")
    heat = heat.loc[heat.sum(axis=1) > 0]
    if heat.empty:
        st.info("No load in the horizon.")
    else:
        heat.columns = [c.strftime("%d %b") for c in heat.columns]
        fig = px.imshow(plot_labels(heat), aspect="auto", color_continuous_scale="RdYlGn_r", zmin=0, zmax=1.2,
                        labels={"color": "utilisation"})
        fig.update_layout(height=max(300, 14 * len(heat)))
        st.plotly_chart(fig, width="stretch")
    st.markdown(f"**Bottlenecks** — work centres over {threshold:.0%} in the next {s['window_weeks']} weeks "
                "(committed and suggested machine-days apart)")
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
        fig = px.timeline(plot_labels(shown), x_start="start", x_end="end", y="machine_label", color="placement",
                          hover_data=["knit_order", "style", "balance_lbs", "start_date", "quoted_date", "late"],
                          color_discrete_map={"assigned": "#1f77b4", "suggested": "#ff7f0e"})
        fig.update_layout(height=max(300, 22 * len(picked)), yaxis_title="machine")
        st.plotly_chart(fig, width="stretch")
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
