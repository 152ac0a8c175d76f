"""Yarn requirements: which yarns run short in which week, what to order by when, and why."""

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.widgets import downloads

st.title("Yarn requirements")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()

what_ifs: list[dict] = st.session_state.setdefault("what_if_orders", [])
include_past_due = st.toggle("Count past-due receipts as arriving this week", value=False,
                             help="eFab leaves past-due PO receipts out of the weekly balance; switch on to count them.")
try:
    plan = services.run("yarn.plan", snapshot, include_past_due=include_past_due, extra_knit_orders=what_ifs)
except BkError as exc:
    st.error(str(exc))
    st.stop()

summary = plan["summary"]
c = st.columns(5)
c[0].metric("Yarns short", summary["yarns_short"])
c[1].metric("Expedite", summary["expedite"])
c[2].metric("Shortage", f"{summary['shortage_lbs']:,.0f} lbs")
c[3].metric("Suggested orders", f"${summary['suggested_order_usd']:,.0f}")
c[4].metric("Open KOs without BOM", summary["kos_without_bom"], help=f"{summary['lbs_without_bom']:,.0f} lbs")
st.caption(f"As of {snapshot.as_of:%a %d %b %Y}; weeks are ISO weeks starting Monday; receipts from "
           f"{summary['receipts_source']}; {summary['rate_defaulted_kos']} open KOs have no knitting rate and use "
           "the median rate. Suggested order = the deepest shortage, raised to the supplier's MOQ once; "
           "order-by = first shortage week − supplier lead time.")
if what_ifs:
    st.warning(f"Including {len(what_ifs)} what-if knit order(s): nothing is written to the snapshot.")
    unplanned = plan["kos_without_bom"]
    unplanned = unplanned[unplanned["knit_order"].astype(str).str.startswith("WHAT-IF")]
    if len(unplanned):
        st.error("No BOM for the what-if style(s) " + ", ".join(unplanned["style"].astype(str))
                 + ": they add no yarn demand.")

st.subheader("Shortages and purchase suggestions")
shortages = plan["shortages"]
if shortages.empty:
    st.info("No yarn runs short in the horizon.")
else:
    view = shortages[["yarn_id", "supplier", "description", "first_shortage_week", "shortage_lbs", "moq_lbs",
                      "suggested_order_lbs", "lead_time_days", "order_by", "expedite", "order_cost_usd", "note"]]
    st.dataframe(view, hide_index=True, width="stretch", key="shortage_table",
                 column_config={"first_shortage_week": st.column_config.DateColumn("First short week"),
                                "order_by": st.column_config.DateColumn("Order by"),
                                "shortage_lbs": st.column_config.NumberColumn("Shortage (lbs)", format="%.0f"),
                                "suggested_order_lbs": st.column_config.NumberColumn("Order (lbs)", format="%.0f"),
                                "order_cost_usd": st.column_config.NumberColumn("Cost ($)", format="%.0f")})
    downloads(shortages, "yarn_shortages")

st.subheader("Projected balance")
balance = plan["projected_balance"]
short_ids = set(shortages["yarn_id"])  # once, not once per option label
yarn_ids = list(shortages["yarn_id"]) + sorted(set(balance["yarn_id"]) - short_ids)
if yarn_ids:
    chosen = st.selectbox("Yarn", yarn_ids, key="yarn_pick",
                          format_func=lambda y: f"{y} (short)" if y in short_ids else str(y))

    def balance_chart():
        rows = balance[balance["yarn_id"] == chosen]
        fig = go.Figure()
        fig.add_bar(x=rows["bucket"], y=-rows["demand_lbs"], name="Demand", marker_color="#d62728")
        fig.add_bar(x=rows["bucket"], y=rows["receipts_lbs"], name="Receipts", marker_color="#2ca02c")
        fig.add_scatter(x=rows["bucket"], y=rows["balance_lbs"], name="Projected balance", mode="lines+markers")
        return fig.update_layout(barmode="relative", height=360, margin={"t": 20, "b": 20}, yaxis_title="lbs")
    st.plotly_chart(services.figure("yarn.balance", snapshot, balance_chart, yarn_id=chosen,
                                    include_past_due=include_past_due, what_ifs=what_ifs), width="stretch")
    st.markdown("**Pegging** — the knit orders behind this yarn's demand")
    peg = services.run("yarn.pegging", snapshot, yarn_id=int(chosen), include_past_due=include_past_due,
                       extra_knit_orders=what_ifs)
    if peg.empty:
        st.info("No open knit order uses this yarn.")
    else:
        st.dataframe(peg, hide_index=True, width="stretch")
        downloads(peg, f"pegging_{chosen}")

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
