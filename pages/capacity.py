"""Knitting capacity: can the machines carry the open knit orders (committed and suggested), where the hot spots
are, which orders will be late (and which have no date to judge), where unassigned orders could go, which
remnants to close and which orders run off their work centre."""

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from bk.optimization.manager import DEFAULT_VIEWS
from bk.services import capacity
from ui import services, state
from ui.format import fmt_lbs, plain, plot_label, short_date, week_label
from ui.shell import require_shell
from ui.table import show_table
from ui.widgets import Figure, figures, lazy_expander, lazy_tabs

require_shell()
DEFAULT_VIEW = dict(DEFAULT_VIEWS)["capacity.plan"]  # warmed in the background, shared with the Overview

ALL = "All work centres"
HOT = capacity.HOT_SPOT_UTILISATION
BUSIEST_MACHINES = 40  # machine rows shown when no work centre is picked
# idle is pale grey, not "good" green; blues up to the hot-spot line, then orange to red
HEAT_COLOURS = [[0.0, "#f2f2f2"], [0.3, "#c6dbef"], [HOT - 0.001, "#2171b5"], [HOT, "#fd8d3c"], [1.0, "#a50f15"]]

st.title("Knitting capacity")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
horizon = st.slider("Horizon (weeks)", 4, 26, DEFAULT_VIEW["horizon_weeks"])
try:
    plan = services.run("capacity.plan", snapshot, **{**DEFAULT_VIEW, "horizon_weeks": horizon})
except BkError as exc:
    st.error(plain(exc))
    st.stop()
s = plan["summary"]
schedule = plan["schedule"]
hot_spots = services.derived("capacity.hot_spots", snapshot, lambda: capacity.hot_spots(plan), sources=(plan,))
for finding in plan["findings"].itertuples(index=False):
    (st.warning if finding.severity == "warning" else st.info)(finding.message)
figures([  # two rows of four at most: labels stay whole at 1280 px
    Figure("Machines", s["machines"]),
    Figure("Scheduled KOs", s["assigned_kos"], "Open KOs on a machine (remnants to close not counted)"),
    Figure("Unassigned KOs", s["unassigned_kos"],
           f"{s['unassigned_kos_in_load']} of them are in the load on a suggested machine"),
    Figure("To close", s["remnant_kos"], f"Remnants: open KOs with less than {s['remnant_threshold_lbs']:g} lbs left "
           f"({s['remnant_lbs']:,.1f} lbs in all); not scheduled, never late, their yarn not needed"),
    Figure("Late KOs", s["late_kos"], "Scheduled or suggested KOs whose last part finishes after the quoted date "
           f"({s['late_suggested_kos']} of them unassigned, on a suggested machine)"),
    Figure("No quoted date", s["no_date_kos"], "Scheduled KOs without a quoted date: lateness unknown"),
    Figure("Capacity hot spots", len(hot_spots),
           f"Work centres with a week at {HOT:.0%} or more of their machine-days in the next "
           f"{capacity.HOT_SPOT_WEEKS} weeks (committed and suggested load)")], per_row=4)
if s["stalled_kos"]:
    st.warning(f"{s['stalled_kos']} open KOs ({fmt_lbs(s['stalled_lbs'])}) are stalled: their start has passed and "
               "nothing has been knitted. The yarn plan's observed pace times them at their work centre's pace.")
closed = [c for c in plan["weeks"]["closed"].head(horizon).dropna() if c]
st.caption(
    "Each machine knits its open KOs one after another (by start date, then KO number), never before the KO's "
    f"start date, at the style's rate; a week has {s['week_machine_days']:g} machine-days"
    + (f", less in weeks with {'; '.join(closed)}" if closed else "")
    + ". Unassigned KOs are placed on the machine of their work centre where they can start first and counted "
    f"as **suggested** load. A KO longer than {s['max_ko_weeks']:g} weeks on one machine is split across free "
    f"machines of its work centre ({s['split_kos']} split). Rates: {s['family_rate_kos']} open KOs use their "
    f"style family's rate, {s['median_rate_kos']} the median rate. The as-of week has "
    f"{s['as_of_week_days_left']:g} machine-days left per machine.")

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
    number of rows with a hot spot (``capacity.hot_spot_cells``, marked ▲); no figure when there is no load."""
    if level == "work centre":
        load = plan["wc_load"].assign(row=lambda d: d["work_center"].astype(str).map(plot_label))
        note = "every work centre with load"
    else:
        load = plan["machine_load"]
        if wc_pick != ALL:
            load = load[load["work_center"].astype(str) == wc_pick]
        # machine numbers as category labels: one row per machine, never a numeric axis
        load = load.assign(row=lambda d: "M" + d["machine"].astype(str))
        note = f"machines of {wc_pick}" if wc_pick != ALL else "the busiest machines — pick a work centre to see its"
    load = load.assign(hot=capacity.hot_spot_cells(load))
    heat = load.pivot_table(index="row", columns="week_start", values=value, aggfunc="sum", sort=False)
    hot = load.pivot_table(index="row", columns="week_start", values="hot", aggfunc="max", sort=False)
    heat = heat.loc[heat.sum(axis=1) > 0]
    if level == "machine":
        heat = heat.loc[heat.sum(axis=1).sort_values(ascending=False).index[:BUSIEST_MACHINES]]
        heat = heat.loc[sorted(heat.index, key=lambda r: int(r[1:]))]
    else:
        heat = heat.sort_index()
    if heat.empty:
        return None, note, 0
    flagged = hot.reindex(index=heat.index, columns=heat.columns).fillna(False).to_numpy(dtype=bool)
    z = heat.to_numpy(dtype=float)
    shown = np.round(np.nan_to_num(z) * 100).astype(int).astype(str)
    text = np.where(flagged, np.char.add(shown, " % ▲"), "")
    fig = go.Figure(go.Heatmap(
        z=np.minimum(z, 1.0) * 100, x=[week_label(w) for w in heat.columns], y=list(heat.index), text=text,
        customdata=shown, texttemplate="%{text}", textfont={"size": 11, "color": "white"},
        colorscale=HEAT_COLOURS, zmin=0, zmax=100,
        colorbar={"title": "utilisation", "ticksuffix": " %", "tickvals": [0, 50, HOT * 100, 100]},
        hovertemplate="%{y}, %{x}: %{customdata} %<extra></extra>"))
    # every row labelled: category axis, one tick per row, rows tall enough to read
    fig.update_yaxes(type="category", tickmode="array", tickvals=list(heat.index), autorange="reversed",
                     tickfont={"size": 11})
    fig.update_xaxes(type="category", side="top")
    fig.update_layout(height=max(300, 22 * len(heat) + 90), margin={"t": 60, "b": 10, "l": 10, "r": 10})
    return services.shared_figure(fig), note, int(flagged.any(axis=1).sum())


def utilisation() -> None:
    left, right = st.columns(2)
    level = left.radio("Rows", ["work centre", "machine"], horizontal=True)
    load = right.radio("Load", ["committed + suggested", "committed only"], horizontal=True)
    value = "utilization" if load == "committed + suggested" else "committed_utilization"
    fig, note, n_hot = services.derived("capacity.heatmap", snapshot, lambda: heatmap(level, value),
                                        sources=(plan,), level=level, value=value, work_center=wc_pick)
    rule = (f"a week of the next {capacity.HOT_SPOT_WEEKS} at {HOT:.0%} or more of the machine-days, committed "
            "and suggested load")
    if fig is None:
        st.info("No load in the horizon.")
    else:
        st.plotly_chart(fig, width="stretch", key="cap_heat")
        what = "work centres" if level == "work centre" else "machines"
        st.caption(f"Rows: {note}. ▲ marks a hot spot: {rule} ({n_hot} {what} with one). Colours: pale = idle, "
                   f"blue = loaded below {HOT:.0%}, orange to red = {HOT:.0%} to full.")
    st.markdown(f"**Capacity hot spots** — work centres with {rule}")
    if hot_spots.empty:
        st.success(f"No work centre reaches {HOT:.0%} in the next {capacity.HOT_SPOT_WEEKS} weeks.")
    else:
        show_table(hot_spots, "hot_spots", key="hot_spots")
    every = lazy_expander(f"Every work centre, average over the next {s['window_weeks']} weeks",
                          key="cap_every_wc")
    if every is not None:
        with every:
            show_table(plan["wc_window"], "work_centers", key="wc_window", download="work_centre_utilisation")



def gantt(picked: list) -> tuple[go.Figure | None, pd.DataFrame]:
    """The machine timeline of the picked machines (committed, split parts and suggested apart), clipped at the
    horizon's end, and the parts it clipped (they finish later); no figure when nothing is picked."""
    as_of = pd.Timestamp(s["as_of"])
    limit = as_of + pd.Timedelta(weeks=horizon)
    # a KO finishing on a day occupies that day: draw its bar to the end of it
    shown = schedule[schedule["machine"].isin(picked)].assign(
        end=lambda d: (d["finish"] + pd.Timedelta(days=1)).clip(upper=limit),
        row=lambda d: np.where(d["placement"] == "suggested", "M" + d["machine"].astype(str) + " suggested",
                               "M" + d["machine"].astype(str)),
        status=lambda d: d["placement"].map({"assigned": "committed", "split": "split part",
                                             "suggested": "suggested"}).astype(str)
        + np.where(d["late"].fillna(False).to_numpy(dtype=bool), ", late", ""),
        label=lambda d: d["knit_order"].astype(str).map(plot_label) + np.where(
            d["finish"] >= limit, " ▶ " + d["finish"].map(short_date), ""))
    clipped = shown.loc[shown["finish"] >= limit, ["knit_order", "machine", "finish"]]
    if shown.empty:
        return None, clipped
    colours = {"committed": "#1f77b4", "committed, late": "#d62728", "split part": "#3a7fb0",
               "split part, late": "#e0524f", "suggested": "#9ecae1", "suggested, late": "#ff9896"}
    rows = sorted(shown["row"].unique(), key=lambda r: (int(r.split()[0][1:]), r))
    fig = px.timeline(shown.assign(style=shown["style"].astype(str).map(plot_label)), x_start="start",
                      x_end="end", y="row", color="status", text="label", color_discrete_map=colours,
                      category_orders={"row": rows, "status": list(colours)},
                      hover_data={"knit_order": True, "style": True, "balance_lbs": ":,.0f", "finish": True,
                                  "quoted_date": True, "row": False, "label": False, "end": False})
    fig.update_traces(textposition="inside", insidetextanchor="middle", textfont={"size": 11},
                      marker_line_width=1.5, marker_line_color="white")
    for trace in fig.data:
        if trace.name.startswith("suggested"):
            trace.marker.pattern = {"shape": "/", "fgcolor": "#444", "fgopacity": 0.5, "fillmode": "overlay"}
        elif trace.name.startswith("split"):
            trace.marker.pattern = {"shape": ".", "fgcolor": "#fff", "fgopacity": 0.6, "fillmode": "overlay"}
    fig.add_shape(type="line", x0=as_of, x1=as_of, y0=0, y1=1, yref="paper", name="as-of",
                  line={"color": "#222", "width": 2, "dash": "dash"})
    fig.add_annotation(x=as_of, y=1, yref="paper", text=f"as of {short_date(as_of)}", showarrow=False,
                       yanchor="bottom", font={"size": 11})
    fig.update_yaxes(title=None)
    fig.update_xaxes(title=None, showgrid=True, range=[as_of - pd.Timedelta(days=2), limit])
    fig.update_layout(height=max(300, 34 * len(rows) + 120), bargap=0.25,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right",
                              "title": None},
                      margin={"t": 50, "b": 30})
    return services.shared_figure(fig), clipped


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
    fig, clipped = services.derived("capacity.gantt", snapshot, lambda: gantt(picked), sources=(plan,),
                                    machines=sorted(picked))
    if fig is None:
        st.info("Pick machines to see their knit orders.")
    else:
        st.plotly_chart(fig, width="stretch", key="cap_gantt")
        beyond = ""
        if len(clipped):
            names = ", ".join(f"{plain(k)} ({short_date(f)})" for k, f in zip(clipped["knit_order"],
                                                                               clipped["finish"], strict=True))
            beyond = f" Cut at the horizon's end (▶ finish): {names}."
        st.caption("One row per machine; a machine's suggested placements (hatched, on its own row) are apart from "
                   "its committed KOs; dotted: the part of a long KO split onto another machine. Red: the KO "
                   "finishes after its quoted date. Dashed line: the as-of date." + beyond)
    show_table(schedule, "capacity_schedule", key="schedule", download="machine_schedule")


def late_risk() -> None:
    kos, late = services.derived("capacity.lateness", snapshot, lambda: (capacity.lateness(plan),
                                                                         capacity.late_kos(plan)), sources=(plan,))
    no_date = kos[(kos["status"] == capacity.NO_DATE).to_numpy(dtype=bool)]
    st.caption(f"Of {len(kos)} scheduled KOs, {len(late)} finish after their quoted date, {len(no_date)} have no "
               f"quoted date (lateness unknown) and {len(kos) - len(late) - len(no_date)} are on time. A split KO "
               "finishes with its last part; remnants to close are never late.")
    if late.empty:
        st.success("No scheduled knit order finishes after its quoted date.")
    else:
        show_table(late, "capacity_kos", key="late", download="late_knit_orders")
    more = lazy_expander(f"No quoted date ({len(no_date)})", key="cap_no_date")
    if more is not None:
        with more:
            show_table(no_date, "capacity_kos", key="no_date", download="knit_orders_without_quoted_date")


def unassigned() -> None:
    if plan["unassigned"].empty:
        st.success("Every open knit order has a machine.")
    else:
        show_table(plan["unassigned"], "unassigned_kos", key="unassigned", download="unassigned_knit_orders")


def to_close() -> None:
    if plan["remnants"].empty:
        st.success("No knit order is down to a remnant.")
    else:
        st.caption(f"Remnants: open KOs with less than {s['remnant_threshold_lbs']:g} lbs left. In the mill they "
                   "are knitted out or closed: not scheduled, never late, out of the load, their yarn not needed.")
        show_table(plan["remnants"], "remnants", key="remnants", download="knit_orders_to_close")


def off_work_centre() -> None:
    if plan["off_work_centre"].empty:
        st.success("Every scheduled knit order runs on a machine of its style's work centre.")
    else:
        st.caption("KOs on a machine of another work centre than the greige list gives their style: a data error "
                   "or a deliberate substitution. They knit at the style's rate (no export gives a machine's own).")
        show_table(plan["off_work_centre"], "off_work_centre", key="off_wc", download="knit_orders_off_work_centre")


TABS = {"Utilisation": utilisation, "Machine timeline": machine_timeline, "Lateness": late_risk,
        "Unassigned": unassigned, "To close": to_close, "Off work centre": off_work_centre}
# a knit order linked from the Overview opens on its machine's timeline
lazy_tabs(TABS, key="cap_tab", default="Machine timeline" if len(ko_row) else None)
