"""Sales forecasting: history, backtested forecasts with intervals, and how much each model adds over naive."""

import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.format import plain
from ui.shell import require_shell
from ui.widgets import downloads

require_shell()

st.title("Sales forecast")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
c = st.columns(3)
level = c[0].selectbox("Level", ["style", "customer", "total"], key="fc_level")
freq = c[1].segmented_control("Periods", ["W", "M"], default="W", key="fc_freq",
                              format_func={"W": "weeks", "M": "months"}.__getitem__) or "W"
horizon = c[2].slider("Horizon", 1, 12, 4, key="fc_horizon")
try:
    with st.spinner("Backtesting and fitting every series…"):
        result = services.run("forecast.all", snapshot, level=level, freq=freq, horizon=horizon)
except BkError as exc:
    st.error(plain(exc))
    st.stop()
summary = result["summary"]
accuracy = result["accuracy"]
m = st.columns(4)
m[0].metric("Series", summary["series"])
m[1].metric("WAPE, selected models", f"{summary['wape_selected_pooled']:.1%}",
            help="Σ|error| ÷ Σ actual over the rolling-origin backtest (last 8 periods), all series pooled")
m[2].metric("WAPE, naive", f"{summary['wape_naive_pooled']:.1%}")
m[3].metric("Lines in other units", summary["other_unit_lines"], help="each / kg lines are not added to yds")
st.caption("Each series keeps the model with the lowest backtest WAPE, but only if it beats naive. "
           "Intervals come from the model (ARIMA, Theta) or from the backtest errors.")

keys = list(accuracy.sort_values("total_qty", ascending=False)["series"])
series = st.selectbox("Series", keys, key="fc_series")
history = result["history"][series]
fc = result["forecasts"][result["forecasts"]["series"] == series]
bt = result["backtest"][(result["backtest"]["series"] == series) & (result["backtest"]["step"] == 1)]
fig = go.Figure()
fig.add_scatter(x=history.index, y=history.to_numpy(), name="actual (yds)", mode="lines+markers")
fig.add_scatter(x=list(fc["period"]) + list(fc["period"])[::-1], y=list(fc["hi95"]) + list(fc["lo95"])[::-1],
                fill="toself", name="95 %", line={"width": 0}, opacity=0.2)
fig.add_scatter(x=list(fc["period"]) + list(fc["period"])[::-1], y=list(fc["hi80"]) + list(fc["lo80"])[::-1],
                fill="toself", name="80 %", line={"width": 0}, opacity=0.35)
fig.add_scatter(x=fc["period"], y=fc["mean"], name=f"forecast ({fc['model'].iloc[0] if len(fc) else ''})",
                mode="lines+markers")
fig.add_scatter(x=bt["period"], y=bt["selected"], name="backtest, 1 step ahead", mode="markers",
                marker={"symbol": "x"})
fig.update_layout(height=420, margin={"t": 20})
st.plotly_chart(fig, width="stretch")

st.subheader("Accuracy of every series")
st.dataframe(accuracy, hide_index=True, width="stretch")
downloads(accuracy, f"forecast_accuracy_{level}")
st.subheader("Forecast value added")
fva = result["fva"]
pivot = fva.pivot_table(index="series", columns="model", values="wape")
ordered = ["naive"] + [c for c in pivot.columns if c != "naive"]
pivot = pivot[ordered].join(accuracy.set_index("series")[["selected", "wape_selected"]])
st.dataframe(pivot, width="stretch")
downloads(pivot.reset_index(), f"forecast_value_added_{level}")
st.subheader("Forecasts")
st.dataframe(result["forecasts"], hide_index=True, width="stretch")
downloads(result["forecasts"], f"forecasts_{level}")
