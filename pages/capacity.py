"""Knitting capacity: can the machines carry the open knit orders (committed and suggested), where the hot spots
are, which orders will be late (and which have no date to judge), where unassigned orders could go, which
remnants to close and which orders run off their work centre."""

import numpy as np
import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.optimization.manager import DEFAULT_VIEWS
from bk.services import capacity
from ui import charts, services, state
from ui.charts import LBS, Chart, colours
from ui.format import fmt_lbs, plain, short_date, week_label
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



def heatmap(level: str, value: str) -> tuple[Chart | None, str, int]:
    """The utilisation heatmap (work centres, or machines of the picked work centre), its row note and the
    number of rows with a hot spot (``capacity.hot_spot_cells``, marked ▲); no chart when there is no load."""
    if level == "work centre":
        load = plan["wc_load"].assign(row=lambda d: d["work_center"].astype(str))
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
    rows, weeks = [str(r) for r in heat.index], [week_label(w) for w in heat.columns]
    # one cell a row (row-major); a week without a value for the row is left blank
    cells = pd.DataFrame({"row": np.repeat(rows, len(weeks)), "week": np.tile(weeks, len(rows)),
                          "percent": np.round(z * 100).ravel(), "fill": np.minimum(z, 1.0).ravel() * 100,
                          "hot": flagged.ravel()}).dropna(subset=["percent"])
    shown = cells["percent"].astype(int).astype(str) + " %"
    cells = cells.assign(mark=np.where(cells["hot"], shown + " ▲", ""),
                         tip=cells["row"] + ", " + cells["week"] + ": " + shown)
    what = "work centre" if level == "work centre" else "machine"
    years = "–".join(sorted({str(pd.Timestamp(w).year) for w in heat.columns}))
    tip = {"field": "tip", "type": "nominal"}
    spec = {"description": f"Utilisation heatmap: each {what}'s load per week as a share of its machine-days "
                           "(the colour capped at 100 %), ▲ on a hot spot",
            "height": max(300, 22 * len(rows) + 90),
            "encoding": {"x": {"field": "week", "type": "ordinal", "sort": weeks,
                               "title": f"week starting (Monday), {years}",
                               # 'wk of 1 Sep 2025' written '1 Sep': upright, whole, the year in the title
                               "axis": {"orient": "top", "labelAngle": 0, "labelExpr": "slice(datum.label, 6, -5)",
                                        "labelFontSize": 11, "titleFontWeight": "normal", "domain": False,
                                        "ticks": False}},
                         "y": {"field": "row", "type": "ordinal", "sort": rows, "title": None,
                               "axis": {"labelFontSize": 11, "labelLimit": 0, "domain": False, "ticks": False}}},
            "layer": [
                {"mark": {"type": "rect"},
                 "encoding": {"color": {"field": "fill", "type": "quantitative", "title": "utilisation",
                                        "scale": {"domain": [stop * 100 for stop, _ in HEAT_COLOURS],
                                                  "range": [colour for _, colour in HEAT_COLOURS], "clamp": True,
                                                  "interpolate": "rgb"},
                                        "legend": {"values": [0, 50, HOT * 100, 100], "format": ".0f",
                                                   "labelExpr": "datum.label + ' %'"}},
                              "tooltip": tip}},
                {"transform": [{"filter": "datum.hot"}],
                 "mark": {"type": "text", "color": "white", "fontSize": 11},
                 "encoding": {"text": {"field": "mark", "type": "nominal"}, "tooltip": tip}}]}
    return Chart(cells.reset_index(drop=True), spec), note, int(flagged.any(axis=1).sum())


def utilisation() -> None:
    left, right = st.columns(2)
    level = left.radio("Rows", ["work centre", "machine"], horizontal=True)
    load = right.radio("Load", ["committed + suggested", "committed only"], horizontal=True)
    value = "utilization" if load == "committed + suggested" else "committed_utilization"
    chart, note, n_hot = services.derived("capacity.heatmap", snapshot, lambda: heatmap(level, value),
                                          sources=(plan,), level=level, value=value, work_center=wc_pick)
    rule = (f"a week of the next {capacity.HOT_SPOT_WEEKS} at {HOT:.0%} or more of the machine-days, committed "
            "and suggested load")
    if chart is None:
        st.info("No load in the horizon.")
    else:
        charts.show(chart, key="cap_heat")
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



def gantt(picked: list) -> tuple[Chart | None, pd.DataFrame]:
    """The machine timeline of the picked machines (committed, split parts and suggested apart), clipped at the
    horizon's end, and the parts it clipped (they finish later); no chart when nothing is picked."""
    as_of = pd.Timestamp(s["as_of"])
    first, limit = as_of - pd.Timedelta(days=2), as_of + pd.Timedelta(weeks=horizon)
    # a KO finishing on a day occupies that day: draw its bar to the end of it
    shown = schedule[schedule["machine"].isin(picked)].assign(
        end=lambda d: (d["finish"] + pd.Timedelta(days=1)).clip(upper=limit),
        row=lambda d: np.where(d["placement"] == "suggested", "M" + d["machine"].astype(str) + " suggested",
                               "M" + d["machine"].astype(str)),
        status=lambda d: d["placement"].map({"assigned": "committed", "split": "split part",
                                             "suggested": "suggested"}).astype(str)
        + np.where(d["late"].fillna(False).to_numpy(dtype=bool), ", late", ""),
        label=lambda d: d["knit_order"].astype(str) + np.where(
            d["finish"] >= limit, " ▶ " + d["finish"].map(short_date), ""))
    clipped = shown.loc[shown["finish"] >= limit, ["knit_order", "machine", "finish"]]
    if shown.empty:
        return None, clipped
    palette = {"committed": "#1f77b4", "committed, late": "#d62728", "split part": "#3a7fb0",
               "split part, late": "#e0524f", "suggested": "#9ecae1", "suggested, late": "#ff9896"}
    rows = sorted(shown["row"].unique(), key=lambda r: (int(r.split()[0][1:]), r))
    bars = pd.DataFrame({
        "what": "knit order", "row": shown["row"], "start": shown["start"], "end": shown["end"],
        "label_at": shown["start"].clip(lower=first), "status": shown["status"], "label": shown["label"],
        "knit_order": shown["knit_order"].astype(str), "style": shown["style"].astype(str),
        "balance_lbs": shown["balance_lbs"], "finish": shown["finish"], "quoted_date": shown["quoted_date"]})
    line = pd.DataFrame({"what": ["as of"], "start": [as_of], "label": [f"as of {short_date(as_of)}"]})
    data = pd.concat([bars, line], ignore_index=True)
    # the frame's dates (no time zone) reach Vega as the browser's local midnights: the bounds too. domainMin /
    # domainMax, not domain: an explicit domain in one layer of several compiles to a broken union in Vega-Lite 5
    scale = {bound: {"year": d.year, "month": d.month, "date": d.day} for bound, d in (("domainMin", first),
                                                                                      ("domainMax", limit))}
    x = {"field": "start", "type": "temporal", "title": None}
    day = {"type": "temporal", "format": "%-d %b %Y"}
    only = {"filter": {"field": "what", "equal": "knit order"}}
    y = {"field": "row", "type": "ordinal", "sort": rows, "title": None,
         "scale": {"paddingInner": 0.25, "paddingOuter": 0.15}, "axis": {"labelFontSize": 11, "labelLimit": 0}}
    light = f"indexof({[k for k in palette if k.startswith('suggested')]}, datum.status) >= 0"
    spec = {"description": "Machine timeline: the knit orders of each picked machine from start to finish "
                           "(committed, split parts and suggested placements), the as-of date dashed",
            "height": max(300, 34 * len(rows) + 120), "encoding": {"x": x}, "layer": [
                {"transform": [only],
                 "mark": {"type": "bar", "clip": True, "stroke": "white", "strokeWidth": 1.5},
                 "encoding": {
                     # the scale and axis given once: the same domain in two layers is a conflict to Vega-Lite
                     "x": {**x, "scale": scale, "axis": {"format": "%-d %b", "grid": True, "labelFontSize": 11}},
                     "x2": {"field": "end"}, "y": y,
                     "color": {"field": "status", "type": "nominal", "title": None, **colours(palette),
                               "legend": {"orient": "top", "direction": "horizontal", "labelLimit": 0,
                                          "symbolType": "square"}},
                     # the part of a long KO split onto another machine: a dotted outline
                     "strokeDash": {"condition": {"test": "indexof(datum.status, 'split') === 0",
                                                  "value": [2, 2]}, "value": [1, 0]},
                     "tooltip": [{"field": "knit_order", "title": "knit order"}, {"field": "style"},
                                 {"field": "status"},
                                 {"field": "balance_lbs", "type": "quantitative", "title": "balance (lbs)",
                                  "format": LBS},
                                 {"field": "finish", **day}, {"field": "quoted_date", "title": "quoted date", **day}]}},
                {"transform": [only],
                 # inside the bar from its start (or the chart's left edge), cut to the bar's width
                 "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "clip": True,
                          "limit": {"expr": "max(scale('x', datum.end) - scale('x', datum.label_at) - 6, 1)"}},
                 "encoding": {"x": {**x, "field": "label_at"}, "y": y,
                              "text": {"field": "label", "type": "nominal"},
                              "color": {"condition": {"test": light, "value": "#222"}, "value": "white"},
                              "tooltip": {"field": "knit_order", "title": "knit order"}}},
                {"transform": [{"filter": {"field": "what", "equal": "as of"}}],
                 "mark": {"type": "rule", "color": "#222", "strokeWidth": 2, "strokeDash": [6, 4]}},
                {"transform": [{"filter": {"field": "what", "equal": "as of"}}],
                 "mark": {"type": "text", "align": "left", "baseline": "bottom", "dx": 4, "dy": -4, "fontSize": 11,
                          "color": "#222", "y": 0},
                 "encoding": {"text": {"field": "label", "type": "nominal"}}}]}
    return Chart(data, spec), clipped


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
    chart, clipped = services.derived("capacity.gantt", snapshot, lambda: gantt(picked), sources=(plan,),
                                      machines=sorted(picked))
    if chart is None:
        st.info("Pick machines to see their knit orders.")
    else:
        charts.show(chart, key="cap_gantt")
        beyond = ""
        if len(clipped):
            names = ", ".join(f"{plain(k)} ({short_date(f)})" for k, f in zip(clipped["knit_order"],
                                                                               clipped["finish"], strict=True))
            beyond = f" Cut at the horizon's end (▶ finish): {names}."
        st.caption("One row per machine; a machine's suggested placements (pale, on its own row) are apart from "
                   "its committed KOs; dotted outline: the part of a long KO split onto another machine. Red: the KO "
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
