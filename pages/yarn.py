"""Yarn requirements: which yarns run short in which week, what to order by when, and why."""

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.format import plain
from ui.shell import require_shell
from ui.widgets import downloads

require_shell()
MAX_EXPANDERS = 40

st.title("Yarn requirements")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()

what_ifs: list[dict] = st.session_state.setdefault("what_if_orders", [])
try:
    plan = services.run("yarn.plan", snapshot, include_past_due=False, extra_knit_orders=what_ifs)
except BkError as exc:
    st.error(plain(exc))
    st.stop()

summary = plan["summary"]
actions = plan["actions"]
st.subheader("Actions")
c = st.columns(5)
c[0].metric("Buy", f"${summary['buy_usd']:,.0f}", help=f"{summary['buys']} new orders, {summary['buy_lbs']:,.0f} lbs; "
            f"{summary['buys_past_order_by']} already past their order-by date")
c[1].metric("Expedite", summary["expedites"], help=f"{summary['expedite_lbs']:,.0f} lbs on existing POs needed earlier")
c[2].metric("Reconcile", summary["reconciles"], help="stock or yarn records to fix: never bought")
c[3].metric("Defer", summary["defers"], help=f"{summary['defer_lbs']:,.0f} lbs on POs not needed yet")
c[4].metric("Actions without a price", summary["unpriced_actions"])
st.caption(f"As of {snapshot.as_of:%a %d %b %Y}, sorted by order-by date. Decisions use the planning balance: stock + "
           f"every open PO ({summary['receipts_source']}), past-due and unscheduled POs counted in this week. "
           "Buy = the deepest planning shortage raised to the supplier's MOQ once (and order multiple); order-by = "
           "first short week − lead time (supplier list → supplier's median PO lead time → default). "
           f"{summary['kos_without_bom']} open KOs ({summary['lbs_without_bom']:,.0f} lbs) have no BOM at all.")
if what_ifs:
    st.warning(f"Including {len(what_ifs)} what-if knit order(s): nothing is written to the snapshot.")
    unplanned = plan["kos_without_bom"]
    unplanned = unplanned[unplanned["knit_order"].astype(str).str.startswith("WHAT-IF")]
    if len(unplanned):
        st.error(plain("No BOM for the what-if style(s) " + ", ".join(unplanned["style"].astype(str))
                       + ": they add no yarn demand."))
if actions.empty:
    st.info("Nothing to buy, expedite, reconcile or defer in the horizon.")
else:
    st.dataframe(actions[["order_by", "need_week", "action", "yarn_id", "supplier", "po_number", "lbs", "cost_usd",
                          "reason"]], hide_index=True, width="stretch", key="action_table",
                 column_config={"order_by": st.column_config.DateColumn("Order by"),
                                "need_week": st.column_config.DateColumn("Needed (week of)"),
                                "lbs": st.column_config.NumberColumn("Lbs", format="%.0f"),
                                "cost_usd": st.column_config.NumberColumn("Cost ($)", format="%.0f")})
    evidence = services.run("yarn.evidence", snapshot, extra_knit_orders=what_ifs)
    downloads(evidence["actions"], "purchase_actions")
    positions = evidence["positions"].set_index("yarn_id")
    pegs, supply = evidence["pegging"], evidence["supply"]
    kinds = st.multiselect("Show the evidence of", ["buy", "expedite", "reconcile", "defer"],
                           default=["buy", "expedite"], key="evidence_kinds")
    shown = actions[actions["action"].isin(kinds)].head(MAX_EXPANDERS)
    for row in shown.itertuples():
        when = f"order by {row.order_by:%d %b}" if pd.notna(row.order_by) else (
            f"needed {row.need_week:%d %b}" if pd.notna(row.need_week) else "no date")
        po = f" {row.po_number}" if pd.notna(row.po_number) else ""
        with st.expander(f"{row.action} · yarn {row.yarn_id}{po} · {row.lbs:,.0f} lbs · {when}"):
            st.write(row.reason)
            pos = positions.loc[row.yarn_id].to_dict()
            cols = st.columns(4)
            cols[0].metric("On hand", f"{pos.get('on_hand_lbs', 0.0):,.0f} lbs")
            cols[1].metric("Open POs", f"{pos['open_po_lbs']:,.0f} lbs")
            cols[2].metric("MOQ", "unknown" if pd.isna(pos.get("moq_lbs")) else f"{pos['moq_lbs']:,.0f} lbs",
                           help="order multiple: " + ("none known" if pd.isna(pos.get("order_multiple_lbs"))
                                                      else f"{pos['order_multiple_lbs']:,.0f} lbs"))
            cols[3].metric("Lead time", f"{pos.get('lead_time_days', 0.0):g} days",
                           help=str(pos.get("lead_time_source")))
            st.markdown("**Demand by KO and week** (pegging; `bom_source` = where the yarn split comes from)")
            st.dataframe(pegs[pegs["yarn_id"] == row.yarn_id].drop(columns="yarn_id"),
                         hide_index=True, width="stretch")
            st.markdown("**Supply by PO**")
            st.dataframe(supply[supply["yarn_id"] == row.yarn_id].drop(columns="yarn_id"),
                         hide_index=True, width="stretch")
    if len(actions[actions["action"].isin(kinds)]) > MAX_EXPANDERS:
        st.caption(f"The first {MAX_EXPANDERS} shown; every action's evidence is in the downloads.")

st.subheader("Projected balance (eFab's view)")
balance = plan["projected_balance"]
acting = list(dict.fromkeys(actions["yarn_id"]))
yarn_ids = acting + sorted(set(balance["yarn_id"]) - set(acting))
if yarn_ids:
    chosen = st.selectbox("Yarn", yarn_ids, key="yarn_pick",
                          format_func=lambda y: f"{y} (action)" if y in set(acting) else str(y))
    rows = balance[balance["yarn_id"] == chosen]
    fig = go.Figure()
    fig.add_bar(x=rows["bucket"], y=-rows["demand_lbs"], name="Demand", marker_color="#d62728")
    fig.add_bar(x=rows["bucket"], y=rows["receipts_lbs"], name="Scheduled receipts", marker_color="#2ca02c")
    fig.add_scatter(x=rows["bucket"], y=rows["balance_lbs"], name="eFab balance (scheduled receipts only)",
                    mode="lines+markers")
    fig.add_scatter(x=rows["bucket"], y=rows["planning_balance_lbs"], name="Planning balance (every open PO)",
                    mode="lines+markers", line={"dash": "dot"})
    fig.update_layout(barmode="relative", height=360, margin={"t": 20, "b": 20}, yaxis_title="lbs")
    st.plotly_chart(fig, width="stretch")

st.subheader("What-if knit orders")
with st.form("what_if", clear_on_submit=True):
    cols = st.columns(4)
    bom_styles = sorted(snapshot.frames["bom"]["style"].dropna().astype(str).str.strip().unique()) \
        if "bom" in snapshot.exports else []
    style = cols[0].selectbox("Greige style", bom_styles, index=None, placeholder="type to search",
                              accept_new_options=True)
    lbs = cols[1].number_input("Lbs", min_value=0.0, step=100.0)
    start = cols[2].date_input("Start", value=snapshot.as_of + timedelta(days=7))
    rate = cols[3].number_input("Rate (lbs/day, optional)", min_value=0.0, step=50.0)
    if st.form_submit_button("Add what-if order"):
        if not style or not style.strip() or lbs <= 0:
            st.error("A what-if order needs a style and positive lbs.")
        else:
            what_ifs.append({"style": style.strip(), "balance_lbs": lbs, "start_date": start.isoformat(),
                             "rate_lbs_per_day": rate or None})
            st.rerun()
if what_ifs:
    st.dataframe(pd.DataFrame(what_ifs), hide_index=True)
    if st.button("Clear what-if orders"):
        what_ifs.clear()
        st.rerun()

with st.expander(f"Open knit orders without a BOM ({summary['kos_without_bom']})"):
    st.dataframe(plan["kos_without_bom"], hide_index=True, width="stretch")
    downloads(plan["kos_without_bom"], "kos_without_bom")
with st.expander("BOM findings"):
    st.dataframe(plan["bom_findings"], hide_index=True, width="stretch")
    st.markdown(f"**BOM file against eFab's percentages** ({summary['bom_differences']} style × yarn differences "
                "beyond truncation; eFab's percentages are used for the KOs its report lists)")
    st.dataframe(plan["bom_differences"], hide_index=True, width="stretch")
    st.write("Open KOs by BOM source:", summary["kos_by_bom_source"])

with st.expander("Reconciliation with eFab's own demand reports"):
    if not {"yarn_demand_by_style_ko", "yarn_demand"} & set(snapshot.exports):
        st.info("This snapshot has no eFab demand reports (Yarn_Demand_By_Style_KO / Yarn_Demand) to compare with.")
    else:
        recon = services.run("yarn.reconcile", snapshot)
        s = recon["summary"]
        if "ko_rows" in s:
            st.metric("KO × yarn rows reproduced", f"{(s['ko_rows_reproduced_share'] or 0):.1%}",
                      help=f"{s['ko_rows']} rows compared; KOs missing from the knit-order export excluded")
            st.write("Disagreements by likely cause:", s["causes"])
            disagreements = recon["reconciliation_ko"]
            disagreements = disagreements[disagreements["cause"] != ""]
            st.dataframe(disagreements, hide_index=True, width="stretch")
            downloads(disagreements, "reconciliation_ko")
        if "receipt_cells" in s:
            st.metric("Receipt cells equal to eFab", f"{s['receipt_cells_matching_share']:.1%}")
            receipts = recon["reconciliation_receipts"]
            st.dataframe(receipts[~receipts["match"]], hide_index=True, width="stretch")
