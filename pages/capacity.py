"""Knitting capacity: can the machines carry the open knit orders (committed and suggested), which work centres
are bottlenecks, which orders will be late, and where unassigned orders could go."""

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from bk.optimization.manager import DEFAULT_VIEWS
from ui import services, state
from ui.format import plain, plot_label, short_date, week_label
from ui.shell import require_shell
from ui.table import show_table
from ui.widgets import lazy_expander, lazy_tabs

require_shell()
DEFAULT_VIEW = dict(DEFAULT_VIEWS)["capacity.plan"]  # warmed in the background, shared with the Overview

ALL = "All work centres"
OVER = 1.0  # utilisation above this is an overload, flagged on the heatmap
BUSIEST_MACHINES = 40  # machine rows shown when no work centre is picked

st.title("Knitting capacity")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
c1, c2 = st.columns(2)
horizon = c1.slider("Horizon (weeks)", 4, 26, DEFAULT_VIEW["horizon_weeks"])
threshold = c2.slider("Bottleneck threshold", 0.5, 1.2, DEFAULT_VIEW["bottleneck_threshold"], 0.05, format="%.2f")
try:
    plan = services.run("capacity.plan", snapshot, horizon_weeks=horizon, bottleneck_threshold=threshold)
except BkError as exc:
    st.error(plain(exc))
    st.stop()
s = plan["summary"]
schedule = plan["schedule"]
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

# ----------------------------------------------------------------------------- links from the Overview
work_centers = sorted(plan["wc_load"]["work_center"].dropna().astype(str).unique().tolist())
linked_ko = st.query_params.get("knit_order")
linked_wc = st.query_params.get("work_center")
ko_row = schedule[schedule["knit_order"].astype(str) == linked_ko] if linked_ko else schedule.iloc[:0]
if linked_ko and ko_row.empty:
    st.info(f"Knit order {plain(linked_ko)} is not in the machine schedule (finished, or without a machine).")
if len(ko_row):
    st.subheader(f"Knit order {plain(linked_ko)}")
    show_table(ko_row, "capacity_schedule", key="linked_ko")
    linked_wc = linked_wc or str(ko_row["work_center"].iloc[0])
default_wc = linked_wc if linked_wc in work_centers else ALL
wc_pick = st.selectbox("Work centre", [ALL, *work_centers], index=[ALL, *work_centers].index(default_wc),
                       key="cap_wc", help="Filters the machine heatmap and the machine timeline")



def heatmap(level: str, value: str) -> tuple[go.Figure | None, str, int]:
    """The utilisation heatmap (work centres, or machines of the picked work centre), its row note and the
    number of rows with an overloaded week; no figure when there is no load."""
    if level == "work centre":
        heat = plan["wc_load"].pivot_table(index="work_center", columns="week_start", values=value, aggfunc="sum")
        heat = heat.loc[heat.sum(axis=1) > 0]
        heat.index = [plot_label(w) for w in heat.index.astype(str)]
        note = "every work centre with load"
    else:
        ml = plan["machine_load"]
        if wc_pick != ALL:
            ml = ml[ml["work_center"].astype(str) == wc_pick]
        heat = ml.pivot_table(index="machine", columns="week_start", values=value, aggfunc="sum")
        heat = heat.loc[heat.sum(axis=1) > 0]
        note = f"machines of {wc_pick}" if wc_pick != ALL else \
            f"the {min(BUSIEST_MACHINES, len(heat))} busiest machines — pick a work centre to see its machines"
        heat = heat.loc[heat.sum(axis=1).sort_values(ascending=False).index[:BUSIEST_MACHINES]]
        heat = heat.sort_index()
        # machine numbers as category labels: one row per machine, never a numeric axis
        heat.index = [f"M{m}" for m in heat.index]
    if heat.empty:
        return None, note, 0
    weeks = list(heat.columns)
    z = heat.to_numpy(dtype=float)
    over = np.nan_to_num(z) > OVER + 1e-6
    text = np.where(over, np.char.add(np.round(np.nan_to_num(z) * 100).astype(int).astype(str), " % ▲"), "")
    fig = go.Figure(go.Heatmap(
        z=z * 100, x=[week_label(w) for w in weeks], y=list(heat.index), text=text, texttemplate="%{text}",
        textfont={"size": 11, "color": "white"}, colorscale="RdYlGn_r", zmin=0, zmax=120,
        colorbar={"title": "utilisation", "ticksuffix": " %"},
        hovertemplate="%{y}, %{x}: %{z:.0f} %<extra></extra>"))
    # every row labelled: category axis, one tick per row, rows tall enough to read
    fig.update_yaxes(type="category", tickmode="array", tickvals=list(heat.index), autorange="reversed",
                     tickfont={"size": 11})
    fig.update_xaxes(type="category", side="top")
    fig.update_layout(height=max(300, 22 * len(heat) + 90), margin={"t": 60, "b": 10, "l": 10, "r": 10})
    return services.shared_figure(fig), note, int(over.any(axis=1).sum())


def utilisation() -> None:
    left, right = st.columns(2)
    level = left.radio("Rows", ["work centre", "machine"], horizontal=True)
    load = right.radio("Load", ["committed + suggested", "committed only"], horizontal=True)
    value = "utilization" if load == "committed + suggested" else "committed_utilization"
    fig, note, n_over = services.derived("capacity.heatmap", snapshot, lambda: heatmap(level, value),
                                         sources=(plan,), level=level, value=value, work_center=wc_pick)
    if fig is None:
        st.info("No load in the horizon.")
    else:
        st.plotly_chart(fig, width="stretch", key="cap_heat")
        st.caption(f"Rows: {note}. Cells marked ▲ are over 100 % ({n_over} rows with an overloaded week): "
                   "more machine-days than the machines have that week.")
    st.markdown(f"**Bottlenecks** — work centres over {threshold:.0%} in the next {s['window_weeks']} weeks "
                "(committed and suggested machine-days apart)")
    if plan["bottlenecks"].empty:
        st.success(f"No work centre is over {threshold:.0%}.")
    else:
        show_table(plan["bottlenecks"], "work_centers", key="bottlenecks")
    every = lazy_expander("Every work centre, next weeks", key="cap_every_wc")
    if every is not None:
        with every:
            show_table(plan["wc_window"], "work_centers", key="wc_window", download="work_centre_utilisation")



def gantt(picked: list) -> go.Figure | None:
    """The machine timeline of the picked machines (committed and suggested rows apart); None when empty."""
    as_of = pd.Timestamp(s["as_of"])
    # a KO finishing on a day occupies that day: draw its bar to the end of it
    shown = schedule[schedule["machine"].isin(picked)].assign(
        end=lambda d: d["finish"] + pd.Timedelta(days=1),
        row=lambda d: np.where(d["placement"] == "suggested", "M" + d["machine"].astype(str) + " suggested",
                               "M" + d["machine"].astype(str)),
        status=lambda d: np.where(d["placement"] == "suggested", "suggested", "committed")
        + np.where(d["late"].fillna(False).to_numpy(dtype=bool), ", late", ""),
        label=lambda d: d["knit_order"].astype(str).map(plot_label))
    if shown.empty:
        return None
    colours = {"committed": "#1f77b4", "committed, late": "#d62728", "suggested": "#9ecae1",
               "suggested, late": "#ff9896"}
    rows = sorted(shown["row"].unique(), key=lambda r: (int(r.split()[0][1:]), r))
    fig = px.timeline(shown.assign(style=shown["style"].astype(str).map(plot_label)), x_start="start",
                      x_end="end", y="row", color="status", text="label", color_discrete_map=colours,
                      category_orders={"row": rows, "status": list(colours)},
                      hover_data={"knit_order": True, "style": True, "balance_lbs": ":,.0f",
                                  "quoted_date": True, "row": False, "label": False})
    fig.update_traces(textposition="inside", insidetextanchor="middle", textfont={"size": 11},
                      marker_line_width=1.5, marker_line_color="white")
    for trace in fig.data:
        if trace.name.startswith("suggested"):
            trace.marker.pattern = {"shape": "/", "fgcolor": "#444", "fgopacity": 0.5, "fillmode": "overlay"}
    fig.add_shape(type="line", x0=as_of, x1=as_of, y0=0, y1=1, yref="paper", name="as-of",
                  line={"color": "#222", "width": 2, "dash": "dash"})
    fig.add_annotation(x=as_of, y=1, yref="paper", text=f"as of {short_date(as_of)}", showarrow=False,
                       yanchor="bottom", font={"size": 11})
    fig.update_yaxes(title=None)
    fig.update_xaxes(title=None, showgrid=True)
    fig.update_layout(height=max(300, 34 * len(rows) + 120), bargap=0.25,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right",
                              "title": None},
                      margin={"t": 50, "b": 30})
    return fig


def machine_timeline() -> None:
    machines = sorted(schedule["machine"].dropna().unique().tolist())
    if len(ko_row):
        default = [m for m in ko_row["machine"].dropna().unique().tolist() if m in machines]
    elif wc_pick != ALL:
        default = sorted(schedule.loc[schedule["work_center"].astype(str) == wc_pick, "machine"].dropna().unique())
    else:
        busy = schedule.groupby("machine")["machine_days"].sum().sort_values(ascending=False)
        default = sorted(busy.index[:15].tolist())
    picked = st.multiselect("Machines", machines, default=default, key="cap_machines")
    fig = services.figure("capacity.gantt", snapshot, lambda: gantt(picked), sources=(plan,), machines=sorted(picked))
    if fig is None:
        st.info("Pick machines to see their knit orders.")
    else:
        st.plotly_chart(fig, width="stretch", key="cap_gantt")
        st.caption("One row per machine; a machine's suggested placements (hatched, on its own row) are apart from "
                   "its committed KOs. Red: finishes after the quoted date. Dashed line: the as-of date.")
    show_table(schedule, "capacity_schedule", key="schedule", download="machine_schedule")


def late_risk() -> None:
    late = schedule[schedule["late"].fillna(False).to_numpy(dtype=bool)]
    if late.empty:
        st.success("No scheduled knit order finishes after its quoted date.")
    else:
        show_table(late, "capacity_schedule", key="late", download="late_knit_orders")


def unassigned() -> None:
    if plan["unassigned"].empty:
        st.success("Every open knit order has a machine.")
    else:
        show_table(plan["unassigned"], "unassigned_kos", key="unassigned", download="unassigned_knit_orders")


TABS = {"Utilisation": utilisation, "Machine timeline": machine_timeline, "Late risk": late_risk,
        "Unassigned": unassigned}
# a knit order linked from the Overview opens on its machine's timeline
lazy_tabs(TABS, key="cap_tab", default="Machine timeline" if len(ko_row) else None)
