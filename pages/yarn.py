"""Yarn requirements: which yarns run short in which week, what to order by when, and why."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.ingest.schema import KINDS
from bk.services.lookup import match_styles, search_yarns
from bk.services.shortage import short_yarns
from bk.services.today import action_view
from bk.services.yarn import picker_yarns, plan_change, schedule_changes
from ui import charts, services, state
from ui.charts import LBS, Chart, colours, keep
from ui.evidence import evidence_panel
from ui.format import bucket_labels, fmt_lbs, fmt_usd, plain, short_date, yarn_picker_labels
from ui.shell import require_shell
from ui.table import show_facts, show_table, shown_form, table_height
from ui.widgets import Figure, downloads, figures, lazy_expander

require_shell()
OBSERVED, EFAB_RULE, MACHINES = "observed pace", "eFab rule", "machine schedule"
KNITTING = {OBSERVED: "observed", EFAB_RULE: "efab", MACHINES: "machines"}
PICKER_MAX = 100  # yarns listed in the picker at once

st.title("Yarn requirements")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()

what_ifs: list[dict] = st.session_state.setdefault("what_if_orders", [])
left, right = st.columns([2, 1])
schedule = left.segmented_control(
    "Knitting schedule", list(KNITTING), default=OBSERVED, key="knitting",
    help="Observed pace (opens here: it predicts best): each open KO knits at the pace it has shown since its "
         "start, else at its work centre's observed pace. eFab rule: every open KO knits at once from its start "
         "date at its style rate (eFab's own report). Machine schedule: each KO's yarn is drawn when the capacity "
         "plan knits it, one KO after another on its machine.") or OBSERVED
with_forecast = right.toggle("Include forecast demand", key="with_forecast",
                             help="Add the sales forecast (net of what open orders cover) through the BOM.")
# the plan without what-ifs; the default view is the app's (services.plan_view), shared with the Overview and
# Yarn inventory
base: dict = (services.plan_view(snapshot) if schedule == OBSERVED
              else {"knitting": KNITTING[schedule]} if KNITTING[schedule] != "efab" else {})
if with_forecast:
    base["with_forecast"] = True
params = {**base, "extra_knit_orders": what_ifs} if what_ifs else base
try:
    plan = services.run("yarn.plan", snapshot, **params)
except BkError as exc:
    st.error(plain(exc))
    st.stop()

linked = st.query_params.get("yarn")  # the Overview links here with ?yarn=<id>
linked_yarn = int(linked) if linked is not None and str(linked).strip().isdigit() else None
weeks = services.derived("yarn.weeks", snapshot, lambda: bucket_labels(plan["buckets"]), sources=(plan,))
summary = plan["summary"]
# the plan's actions as every page lists them (no PO value as a spend), and its short yarns (the one shortage)
actions = services.derived("yarn.actions", snapshot, lambda: action_view(plan["actions"]), sources=(plan,))
short = services.derived("shortage.short_yarns", snapshot, lambda: short_yarns(plan), sources=(plan,))
balance = plan["projected_balance"]
st.subheader("Actions")
figures([
    Figure("Buy", fmt_usd(summary["buy_usd"]), f"{summary['buys']} new orders, {fmt_lbs(summary['buy_lbs'])} "
           f"({fmt_lbs(summary['premium_lbs'])} of it the MOQ's rise over the need)"),
    Figure("Buys past order-by", summary["buys_past_order_by"], "Buys whose order-by date has passed: place them now"),
    Figure("Expedite", summary["expedites"], f"{fmt_lbs(summary['expedite_lbs'])} on open POs needed earlier"),
    Figure("Chase", summary["chases"], f"{fmt_lbs(summary['chase_lbs'])} on POs past due longer than the past-due "
           "limit: confirm a date or close them (not counted as arriving)"),
    Figure("Reconcile", summary["reconciles"], "Stock or yarn records to fix first: never bought"),
    Figure("Defer", summary["defers"], f"{fmt_lbs(summary['defer_lbs'])} on POs not needed yet"),
    Figure("Yarns short", len(short), "Yarns whose planning balance goes below zero (stock and every open PO), as on "
           f"Yarn inventory ({fmt_lbs(short['shortage_lbs'].sum())} at the deepest points)"),
    Figure("Actions without a price", summary["unpriced_actions"])], per_row=4)
source = KINDS[summary["receipts_source"]].title if summary["receipts_source"] in KINDS else "PO"
view = {OBSERVED: "each KO's observed pace", EFAB_RULE: "eFab's knitting rule",
        MACHINES: "the machine schedule (capacity plan)"}[schedule]
st.caption(f"As of {short_date(snapshot.as_of)}; KOs knitted on {view}"
           + (", sales forecast included" if with_forecast else "") + ". One action per yarn, sorted by order-by "
           f"date. Decisions use the planning balance: stock + open POs (from the {source} export), each PO at "
           "most its balance; past-due POs count in this week while recent, older ones are chased instead. Buy = "
           "what stock and every open PO cannot cover over the 9 weeks, raised to the supplier's MOQ once (and "
           "order multiple); order-by = first short week − lead time (supplier list, or the supplier's median PO "
           "lead time where the two disagree by more than half). "
           f"{summary['kos_without_bom']} open KOs ({fmt_lbs(summary['lbs_without_bom'])}) have no BOM at all.")
if with_forecast and "forecast_netting" in plan:
    st.caption(f"{summary['forecast_only_buys']} buys ({fmt_usd(summary['forecast_only_usd'])}) exist only because "
               "of the forecast. The forecast reaches yarn net of open orders, finished and greige stock and open KOs "
               "(per greige style, below).")
    netting = lazy_expander("Forecast net of orders, stock and knit orders", key="forecast_netting_box")
    if netting is not None:
        with netting:
            show_table(plan["forecast_netting"], "forecast_netting", key="forecast_netting", search=False,
                       max_height_px=300)
if summary["stalled_kos"]:
    st.warning(f"{summary['stalled_kos']} open KOs ({fmt_lbs(summary['stalled_lbs'])}) are stalled: their start has "
               "passed and nothing has been knitted. The observed pace times them at their work centre's pace.")
if what_ifs:
    st.warning(f"Including {len(what_ifs)} what-if knit order(s): nothing is written to the snapshot.")
    unplanned = plan["kos_without_bom"]
    unplanned = unplanned[unplanned["knit_order"].astype(str).str.startswith("WHAT-IF")]
    if len(unplanned):
        st.error(plain("No BOM for the what-if style(s) " + ", ".join(unplanned["style"].astype(str))
                       + ": they add no yarn demand."))


BARS = {"Demand": "#d62728", "Scheduled receipts (eFab)": "#2ca02c"}
PLANNING, EFAB = "Planning balance (every open PO): the plan's", "eFab's balance (scheduled receipts only)"
LIMITS = (("safety_stock_lbs", "Safety stock (forecast error)", [6, 4]),
          ("reorder_point_lbs", "Reorder point", [10, 3, 2, 3]))


def balance_chart(pick: int, safety: pd.Series | None) -> Chart:
    """One yarn's projected balance by week: demand (negative) and scheduled receipts as bars, the planning balance
    (solid) and eFab's (dotted) as lines; with ``safety``, its safety stock and reorder point as dashed grey rules."""
    rows = balance[balance["yarn_id"] == pick]
    x = [weeks.get(b, b) for b in rows["bucket"]]
    parts = [pd.DataFrame({"week": x, "what": what, "lbs": lbs}) for what, lbs in (
        ("Demand", -rows["demand_lbs"]), ("Scheduled receipts (eFab)", rows["receipts_lbs"]),
        (PLANNING, rows["planning_balance_lbs"]), (EFAB, rows["balance_lbs"]))]
    names = {**BARS, PLANNING: "#1f77b4", EFAB: "#9467bd"}
    dashes = {**{name: [1, 0] for name in BARS}, PLANNING: [1, 0], EFAB: [2, 3]}
    limits = []
    if safety is not None:  # safety stock and reorder point from the forecast's out-of-sample error
        for column, name, dash in LIMITS:
            label = f"{name} {safety[column]:,.0f} lbs"
            limits.append(label)
            names[label], dashes[label] = "#7f7f7f", dash
            parts.append(pd.DataFrame({"week": [None], "what": [label], "lbs": [float(safety[column])]}))
    data = pd.concat(parts, ignore_index=True).astype({"lbs": float})
    # one legend: each name's colour and dash (colour and dash encode the same names, in the same order)
    legend = {"orient": "bottom", "labelLimit": 0, "columns": 2, "symbolType": "stroke", "symbolStrokeWidth": 3}
    colour = {"field": "what", "type": "nominal", "title": None, **colours(names), "legend": legend}
    dash = {"field": "what", "type": "nominal", "title": None,
            "scale": {"domain": list(dashes), "range": list(dashes.values())}, "legend": legend}
    week = {"field": "week", "type": "nominal", "sort": x, "title": "week (Monday)",
            "axis": {"labelAngle": -35, "labelOverlap": False, "labelLimit": 0}}
    y = {"field": "lbs", "type": "quantitative", "title": "lbs", "axis": {"format": LBS}}
    tips = [{"field": "what", "title": "what"}, {"field": "lbs", "title": "lbs", "format": LBS}]
    layer = [
        {"transform": keep("what", *BARS), "mark": {"type": "bar"},
         "encoding": {"x": week, "y": y, "color": colour, "tooltip": [{"field": "week"}, *tips]}},
        {"transform": keep("what", PLANNING, EFAB),
         "mark": {"type": "line", "point": True},
         "encoding": {"x": week, "y": y, "color": colour, "strokeDash": dash,
                      "strokeWidth": {"condition": {"test": f"datum.what === {PLANNING!r}", "value": 3}, "value": 2},
                      "tooltip": [{"field": "week"}, *tips]}}]
    if limits:
        layer.append({"transform": keep("what", *limits),
                      "mark": {"type": "rule", "strokeWidth": 2},
                      "encoding": {"y": y, "color": colour, "strokeDash": dash, "tooltip": tips}})
    described = " and its safety stock and reorder point" if limits else ""
    spec = {"description": f"Projected balance of yarn {pick} by week: demand (negative) and scheduled receipts "
                           f"as bars, the planning balance and eFab's balance as lines{described}",
            "height": 460, "layer": layer}
    return Chart(data, spec)


if actions.empty:
    st.info("Nothing to buy, chase, expedite, reconcile or defer in the horizon.")
else:
    table = shown_form(actions, "yarn_actions")
    order = list(table.index)  # row positions as shown -> the frame's index
    if linked_yarn is not None and st.session_state.get("_yarn_linked") != linked_yarn:
        # a ?yarn= link (once per link) selects that yarn's action; the planner's own selection wins after
        st.session_state["_yarn_linked"] = linked_yarn
        rows_of = [i for i, label in enumerate(order) if actions.loc[label, "yarn_id"] == linked_yarn]
        if rows_of:
            st.session_state["action_table"] = {"selection": {"rows": rows_of[:1], "columns": []}}
    st.caption("Select an action's row to see why: its reason, the knit orders behind the demand, its POs and its "
               "projected balance, right under the table.")
    # nothing is selected on arrival (a ?yarn= link selects its yarn's action): the panel's chart and two tables
    # are a third of the page's time in the browser, paid on every visit for an action the planner may not want
    event = st.dataframe(table.table, hide_index=True, width="stretch", column_config=table.config,
                         key="action_table", on_select="rerun", selection_mode="single-row", placeholder="",
                         height=table_height(table.table.num_rows, 420))
    evidence = services.run("yarn.evidence", snapshot, **params)
    downloads(evidence["actions"], "purchase_actions")
    chosen = event.selection.rows if event is not None else []
    if not chosen:
        st.info("Select an action's row to see its evidence.")
    else:
        row = actions.loc[order[chosen[0]]]
        evidence_panel(row, evidence, weeks=weeks, short=short, forecast_rows=plan.get("forecast_evidence"),
                       chart=lambda y: services.derived("yarn.balance", snapshot, lambda: balance_chart(y, None),
                                                        sources=(plan, None), pick=y))

findings = plan["lead_time_findings"]
if len(findings) and (box := lazy_expander(f"Lead times taken from the suppliers' PO history ({len(findings)} "
                                           "suppliers)", key="more-lead-times")) is not None:
    with box:
        for message in findings["message"]:
            st.markdown(f"- {plain(message)}")

# the short yarns' list on demand: their count is the Actions figure above and the same yarns are Yarn inventory's
# 'Short' view; a long grid costs 0.03-0.05 s of drawing on every visit of the page
if len(short) and (box := lazy_expander("Yarns short: how deep, from which week, and each one's action",
                                        key="shortages_box")) is not None:
    with box:
        show_table(short, "yarn_shortages", key="shortages", download="yarn_shortages",
                   caption="Short = the deepest planning balance below zero, the figure of Yarn inventory and the "
                           "Overview; the yarn's action beside it (blank: short only after the 9 weeks the plan "
                           "buys for)")

if schedule != EFAB_RULE and (box := lazy_expander(
        f"{schedule.capitalize()} against eFab's rule: the KOs whose yarn moves, the shortages that appear or vanish",
        key="schedule_against_efab")) is not None:
    with box:
        try:
            efab_plan = services.run("yarn.plan", snapshot, **({k: v for k, v in params.items()
                                                               if k not in ("knitting", "earlier_snapshot_id")}))
        except BkError as exc:
            st.error(plain(exc))
        else:
            def compared() -> dict:  # the other schedule's week under its own name (its label names the schedule)
                changes = schedule_changes(efab_plan, plan)
                return {**changes, "moves": changes["moves"].rename(
                    columns={"other_first_week": f"{KNITTING[schedule]}_first_week"})}

            changes = services.derived("yarn.schedule_changes", snapshot, compared, sources=(efab_plan, plan),
                                       schedule=schedule)
            st.caption("KO totals are the same under both schedules; only the week the yarn is drawn changes.")
            st.markdown(f"**KOs whose yarn moves by a week or more** ({len(changes['moves'])})")
            if len(changes["moves"]):
                show_table(changes["moves"], "schedule_moves", key="moves", download="yarn_moves_by_ko")
            for name, title in (("appear", f"Shortages that appear with the {schedule}"),
                                ("vanish", f"Shortages that vanish with the {schedule}")):
                st.markdown(f"**{title}** ({len(changes[name])})")
                if len(changes[name]):
                    show_table(changes[name], "schedule_buys", key=f"changes-{name}", search=False)


def picker() -> pd.DataFrame:
    yarns = picker_yarns(plan, snapshot.frames.get("yarn_inventory"))
    return yarns.assign(label=yarn_picker_labels(yarns))


def any_yarn_balance() -> None:
    """A yarn picker (search, the linked yarn first) and the picked yarn's projected balance."""
    yarns = services.derived("yarn.picker", snapshot, picker, sources=(plan,))
    if not len(yarns):
        return
    query = st.text_input("Find a yarn", key="yarn_search", placeholder="id, description, supplier or colour")
    found = search_yarns(yarns, query)
    if linked_yarn is not None and linked_yarn in set(yarns["yarn_id"]) and linked_yarn not in set(found["yarn_id"]):
        found = pd.concat([yarns[yarns["yarn_id"] == linked_yarn], found])
    if found.empty:
        st.info(f"No yarn of the plan matches '{plain(query)}'.")
        return
    labels = dict(zip(found["yarn_id"], found["label"], strict=True))
    options = list(labels)[:PICKER_MAX]  # yarns with an action first; a browser list of 1,000 is slow
    if linked_yarn in labels and linked_yarn not in options:
        options.insert(0, linked_yarn)
    listed = f"{len(labels):,} found" + (f", first {len(options):,} listed: type to narrow"
                                         if len(options) < len(labels) else "")
    pick = st.selectbox(f"Yarn ({listed})", options, key="yarn_pick",
                        index=options.index(linked_yarn) if linked_yarn in options else 0,
                        format_func=labels.__getitem__)
    safety = forecast_ss = None
    if with_forecast:
        try:
            forecast_ss = services.run("forecast.safety_stock", snapshot)
        except BkError as exc:
            st.caption(f"No forecast safety stock: {plain(exc)}")
        else:
            ss = forecast_ss["safety_stock"].set_index("yarn_id")
            if pick in ss.index:
                safety = ss.loc[pick]
                st.caption(f"Safety stock = z·σ·√L from the forecast's one-week-ahead errors (σ "
                           f"{safety['sigma_week_lbs']:,.0f} lbs/week, lead time {safety['lead_time_days']:g} "
                           f"days, {safety['service_level']:.0%} service); reorder point = weekly forecast × L + "
                           "safety stock.")
    charts.show(services.derived("yarn.balance", snapshot, lambda: balance_chart(pick, safety),
                                 sources=(plan, forecast_ss), pick=pick), key="balance_chart")


# the selected action's balance is in its evidence; any other yarn's on demand (open at once for a linked yarn
# without an action: the Overview's and Yarn inventory's links)
if (box := lazy_expander("Projected balance of any yarn", key="any_yarn_balance",
                         expanded=linked_yarn is not None and linked_yarn not in set(actions["yarn_id"]))) is not None:
    with box:
        any_yarn_balance()

st.subheader("What-if knit orders")
# the form lists every BOM style (thousands): it renders only while open
what_if_form = lazy_expander("Add a what-if knit order", key="what_if_form")
if what_if_form is not None:
    with what_if_form:
        bom_styles = services.derived("yarn.bom_styles", snapshot, lambda: sorted(
            snapshot.frames["bom"]["style"].dropna().astype(str).str.strip().unique())
            if "bom" in snapshot.exports else [])
        typed = st.text_input("Style (type a greige style or its base, e.g. without the /version)",
                              key="what_if_typed")
        matches = match_styles(typed, bom_styles) if typed.strip() else bom_styles
        if typed.strip() and not matches:
            st.error(plain(f"No style with a BOM is near '{typed.strip()}': a what-if order needs a style from the "
                           "BOM file. Check the spelling or type the base of the style."))
        else:
            cols = st.columns(4)
            style = cols[0].selectbox("Greige style", matches, index=0 if typed.strip() else None,
                                      placeholder="type to search",
                                      # a new match list picks its best
                                      key=f"what_if_style-{typed.strip().lower()}")
            lbs = cols[1].number_input("Lbs", min_value=0.0, step=100.0, key="what_if_lbs")
            start = cols[2].date_input("Start", value=snapshot.as_of + timedelta(days=7), key="what_if_start")
            rate = cols[3].number_input("Rate (lbs/day, optional)", min_value=0.0, step=50.0, key="what_if_rate")
            if st.button("Add what-if order"):
                if not style or lbs <= 0:
                    st.error("A what-if order needs a style from the list and positive lbs.")
                else:
                    what_ifs.append({"style": style, "balance_lbs": lbs, "start_date": start.isoformat(),
                                     "rate_lbs_per_day": rate or None})
                    st.rerun()
if what_ifs:
    orders = pd.DataFrame(what_ifs)
    show_table(orders.assign(start_date=pd.to_datetime(orders["start_date"])), "what_if_orders", key="what_ifs",
               search=False)
    try:
        before = services.run("yarn.plan", snapshot, **base)
    except BkError as exc:
        st.error(plain(exc))
    else:
        change = plan_change(before, plan)
        totals = change["totals"].set_index("measure")
        # (the plan's measure, its name here: the plan's "short in the horizon" counts the yarns it buys for)
        shown = {("Yarns short in the horizon", "Yarns to buy"): lambda v: f"{v:,.0f}",
                 ("Buy (lbs)", "Buy (lbs)"): fmt_lbs, ("Buy ($)", "Buy ($)"): fmt_usd}
        cols = st.columns(3)
        for col, ((measure, name), fmt) in zip(cols, shown.items(), strict=True):
            b, a, d = totals.loc[measure, ["before", "after", "change"]]
            col.metric(f"{name}: before → after", f"{fmt(b)} → {fmt(a)}",
                       delta=(("+" if d > 0 else "") + fmt(d)) if abs(d) > 0.5 else None, delta_color="inverse")
        st.markdown(f"**Yarns whose buy the what-if changes** ({len(change['yarns'])})")
        if len(change["yarns"]):
            show_table(change["yarns"], "plan_change_yarns", key="what_if_yarns", search=False)
    if st.button("Clear what-if orders"):
        what_ifs.clear()
        st.rerun()

# the sections below render only while open (a rerun of the page does not pay for closed ones)
without_bom = lazy_expander(f"Open knit orders without a BOM ({summary['kos_without_bom']})", key="more-without-bom")
if without_bom is not None:
    with without_bom:
        show_table(plan["kos_without_bom"], "kos_without_bom", key="kos_without_bom", download="kos_without_bom")
if (box := lazy_expander("BOM findings", key="more-bom-findings")) is not None:
    with box:
        show_table(plan["bom_findings"], "bom_findings", key="bom_findings")
        st.markdown(f"**BOM file against eFab's percentages** ({summary['bom_differences']} style × yarn "
                    "differences beyond truncation; eFab's percentages are used for the KOs its report lists)")
        show_table(plan["bom_differences"], "bom_differences", key="bom_differences")
        st.markdown("**Open KOs by where their BOM comes from**")
        show_facts(summary["kos_by_bom_source"], key="kos_by_bom_source", key_label="BOM from",
                   value_label="Open KOs")

if (box := lazy_expander("Reconciliation with eFab's own demand reports", key="more-reconciliation")) is not None:
    with box:
        if not {"yarn_demand_by_style_ko", "yarn_demand"} & set(snapshot.exports):
            st.info("This snapshot has no eFab demand reports (Yarn_Demand_By_Style_KO / Yarn_Demand) to compare "
                    "with.")
        else:
            recon = services.run("yarn.reconcile", snapshot)
            s = recon["summary"]
            if "ko_rows" in s:
                figures([Figure("KO × yarn rows reproduced", f"{(s['ko_rows_reproduced_share'] or 0):.1%}",
                                f"{s['ko_rows']} rows compared; KOs missing from the knit-order export excluded")],
                        per_row=4)
                st.markdown("**Disagreements by likely cause**")
                show_facts(s["causes"], key="recon_causes", key_label="Likely cause", value_label="KO × yarn rows")
                disagreements = recon["reconciliation_ko"]
                disagreements = disagreements[disagreements["cause"] != ""]
                show_table(disagreements, "reconciliation_ko", key="reconciliation_ko",
                           download="reconciliation_ko")
            if "receipt_cells" in s:
                figures([Figure("Receipt cells equal to eFab", f"{s['receipt_cells_matching_share']:.1%}")], per_row=4)
                receipts = recon["reconciliation_receipts"]
                receipts = receipts[~receipts["match"]]
                show_table(receipts.assign(bucket=receipts["bucket"].map(weeks).fillna(receipts["bucket"])),
                           key="reconciliation_receipts")
