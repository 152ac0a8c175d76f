"""The evidence of one yarn action, shown right under the action table when its row is selected: the reason, the
yarn's position, its projected balance, the knit orders behind the demand and its open POs."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui import charts
from ui.charts import Chart
from ui.format import fmt_lbs, short_date
from ui.table import show_table
from ui.widgets import Figure, figures


def heading(row: pd.Series) -> str:
    """'buy · yarn 18884 · 8,192 lbs · order by 2 Sep 2025' (with its PO, and 'from forecast' when it is)."""
    when = (f"order by {short_date(row['order_by'])}" if pd.notna(row["order_by"]) else
            f"needed from the week of {short_date(row['need_week'])}" if pd.notna(row["need_week"]) else "")
    parts = [str(row["action"]), f"yarn {row['yarn_id']}"]
    if pd.notna(row.get("po_number")):
        parts.append(f"PO {row['po_number']}")
    parts += [f"{row['lbs']:,.0f} lbs", when]
    if row.get("forecast_driven"):
        parts.append("from forecast")
    return " · ".join(p for p in parts if p)


def evidence_panel(row: pd.Series, evidence: dict, *, weeks: dict[str, str], short: pd.DataFrame,
                   forecast_rows: pd.DataFrame | None, chart: Callable[[int], Chart]) -> None:
    """One action's evidence (``row`` of the plan's actions; ``evidence`` = the ``yarn.evidence`` operation)."""
    yarn_id = int(row["yarn_id"])
    with st.container(border=True):
        st.markdown(f"**{heading(row)}**")
        st.write(row["reason"])
        positions = evidence["positions"].set_index("yarn_id")
        pos = positions.loc[yarn_id].to_dict() if yarn_id in positions.index else {}
        shortage = short.set_index("yarn_id")["shortage_lbs"]
        moq, multiple = pos.get("moq_lbs"), pos.get("order_multiple_lbs")
        lead = pos.get("lead_time_days")
        figures([
            Figure("On hand", fmt_lbs(pos.get("on_hand_lbs", 0.0))),
            Figure("Open POs", fmt_lbs(pos.get("open_po_lbs", 0.0))),
            Figure("Short", fmt_lbs(shortage.get(yarn_id, 0.0)),
                   "Deepest planning balance below zero: the figure of Yarn inventory and the Overview"),
            Figure("MOQ", "unknown" if moq is None or pd.isna(moq) else fmt_lbs(moq),
                   "order multiple: " + ("none known" if multiple is None or pd.isna(multiple) else fmt_lbs(multiple))),
            Figure("Lead time", "unknown" if lead is None or pd.isna(lead) else f"{lead:.0f} days",
                   None if pd.isna(pos.get("lead_time_source")) else str(pos.get("lead_time_source")))])
        charts.show(chart(yarn_id), key="evidence_chart")
        left, right = st.columns(2)
        with left:
            st.markdown("**Demand by knit order and week** (BOM from = where the yarn split comes from)")
            pegs = evidence["pegging"]
            peg = pegs[pegs["yarn_id"] == yarn_id].drop(columns="yarn_id")
            show_table(peg.assign(bucket=peg["bucket"].map(weeks)), "pegging", key="evidence_pegging", search=False,
                       max_height_px=300)
        with right:
            st.markdown("**Supply by PO**")
            supply = evidence["supply"]
            show_table(supply[supply["yarn_id"] == yarn_id].drop(columns="yarn_id"), "yarn_supply",
                       key="evidence_supply", search=False, max_height_px=300)
        if row.get("forecast_driven") and forecast_rows is not None:
            st.markdown("**Forecast demand behind it** (series and model of the sales forecast)")
            fc = forecast_rows[forecast_rows["yarn_id"] == yarn_id].drop(columns="yarn_id")
            show_table(fc.assign(week=fc["week"].map(weeks).fillna(fc["week"])), "forecast_evidence",
                       key="evidence_forecast", search=False, max_height_px=300)
