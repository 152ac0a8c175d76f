"""Fabric pipeline: what sits in each stage, how old it is, and which sales orders it covers."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.widgets import downloads

st.title("Fabric pipeline")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
aging_days = st.number_input("Aging threshold (days)", min_value=7, max_value=2000, value=90, step=30)
try:
    wip = services.run("pipeline.wip", snapshot, aging_days=int(aging_days))
except BkError as exc:
    st.error(str(exc))
    st.stop()

stages = wip["stages"]
cols = st.columns(len(stages))
for col, row in zip(cols, stages.itertuples(), strict=True):
    col.metric(row.stage, f"{row.lbs:,.0f} lbs", help=f"{row.label}: {row.rolls:,} rolls, {row.styles:,} styles")
flow = services.figure("pipeline.flow", snapshot, lambda: go.Figure(
    go.Funnel(y=stages["stage"], x=stages["lbs"], textinfo="value")).update_layout(
    height=260, margin={"t": 10, "b": 10}, title="Lbs by stage (G00 → G02 → I01 → F01)"), aging_days=int(aging_days))
st.plotly_chart(flow, width="stretch")

tab_age, tab_who, tab_so = st.tabs(["Age", "Customers and processors", "Sales-order coverage"])
with tab_age:
    st.plotly_chart(services.figure("pipeline.ages", snapshot, lambda: px.bar(
        wip["ages"], x="stage", y="lbs", color="age", barmode="stack", title="Lbs by age of the roll"),
        aging_days=int(aging_days)), width="stretch")
    st.markdown(f"**Rolls older than {int(aging_days)} days** — {wip['summary']['value_note']}")
    st.dataframe(wip["aged_rolls"], hide_index=True, width="stretch")
    downloads(wip["aged_rolls"], "aged_rolls")
with tab_who:
    st.dataframe(wip["by_customer"], hide_index=True, width="stretch")
    st.dataframe(wip["by_processor"], hide_index=True, width="stretch")
with tab_so:
    try:
        netting = services.run("pipeline.netting", snapshot)
    except BkError as exc:
        st.error(str(exc))
    else:
        s = netting["summary"]
        c = st.columns(4)
        c[0].metric("Open sales orders", s["open_so_count"])
        c[1].metric("Balance", f"{s['so_balance_yds']:,.0f} yds")
        c[2].metric("Uncovered", f"{s['so_uncovered_yds']:,.0f} yds")
        c[3].metric("Not nettable (UOM)", s["not_nettable"])
        st.caption("Orders are served earliest quoted date first from F01, I01, G02, G00, then open knit orders; "
                   "each roll and KO counts once. Lbs convert with the style's own yds/lb from F01/I01 rolls, "
                   "else the median of all styles (noted).")
        st.dataframe(netting["orders"], hide_index=True, width="stretch",
                     column_config={"coverage_pct": st.column_config.ProgressColumn("Coverage", min_value=0,
                                                                                    max_value=100, format="%.0f%%")})
        downloads(netting["orders"], "sales_order_coverage")
