"""Sales forecasting: aligned history, demand classes, out-of-sample accuracy against naive and zero, and
forecasts from the as-of period on."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from bk.errors import BkError
from ui import services, state
from ui.format import plain, short_date
from ui.shell import require_shell
from ui.table import show_table
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
unit = "weeks" if freq == "W" else "months"
gap = summary["gap_periods"]
periods_note = (f"Partial periods dropped: {', '.join(map(short_date, summary['periods_dropped'])) or 'none'}; "
                f"scaled up to a whole period: {', '.join(map(short_date, summary['periods_scaled'])) or 'none'}.")
history_end, first_period = short_date(summary["history_end"]), short_date(summary["first_forecast_period"])
if gap:
    st.warning(f"History ends {gap} {unit} before the as-of date (last whole period starts "
               f"{history_end}, last invoice {short_date(summary['last_invoice_date'])}). Those {gap} {unit} are "
               f"forecast too; the forecast shown starts at the as-of period, {first_period}. "
               + periods_note)
else:
    st.caption(f"History ends {history_end}; the forecast starts {first_period}. "
               + periods_note)

health = summary["health"]
m = st.columns(5)
m[0].metric("Series", summary["series"])
m[1].metric("WAPE, selected (out of sample)", f"{summary['wape_selected_pooled']:.1%}",
            help="Σ|error| ÷ Σ actual on the last 8 windows, each series' model chosen on the 8 windows before "
                 "them (nested rolling origin); all series pooled")
m[2].metric("WAPE, naive", f"{summary['wape_naive_pooled']:.1%}")
m[3].metric("WAPE, zero forecast", f"{summary['wape_zero_pooled']:.1%}")
m[4].metric("Cumulative WAPE over the horizon", f"{summary['wape_cum_selected_pooled']:.1%}",
            delta=f"naive {summary['wape_cum_naive_pooled']:.1%}", delta_color="off",
            help="|Σ forecast − Σ actual| over each whole horizon window: what a yarn buy depends on")
status = {"ok": st.success, "warning": st.warning, "poor": st.error}[health["status"]]
status(f"Forecast health: {health['status']} — beats naive per period: {health['beats_naive']}, over the horizon: "
       f"{health['beats_naive_cumulative']}; beats the zero forecast: {health['beats_zero']}. "
       f"Accuracy is {horizon} {unit} ahead at most; the shown forecast is {gap + 1}–{gap + horizon} {unit} ahead.")
st.caption("Each series gets a demand class (ADI / CV²: smooth, erratic, intermittent, lumpy) and the class's "
           "candidates (ETS/ARIMA/Theta, or Croston/SBA/TSB/ADIDA/IMAPA). A model is used only if it beats naive on "
           "the windows it is chosen on; otherwise naive. The zero forecast is a benchmark only.")

st.subheader("Out-of-sample accuracy by demand class")
show_table(result["classes"], "forecast_classes", key="fc_classes")



def series_view(series: str) -> tuple[str, go.Figure]:
    """One series: its caption (class, model, accuracy) and its chart (history, forecast with intervals, the gap
    to the as-of date, one-step-ahead out-of-sample forecasts)."""
    history = result["history"][series]
    fc = result["forecasts"][result["forecasts"]["series"] == series]
    gap_fc = result["gap_forecasts"][result["gap_forecasts"]["series"] == series]
    bt = result["backtest"][(result["backtest"]["series"] == series) & (result["backtest"]["step"] == 1)]
    row = accuracy[accuracy["series"] == series].iloc[0]
    caption = (f"{series}: {row['demand_class']} (ADI {row['adi']:.2f}, CV² {row['cv2']:.2f}); forecasting with "
               f"{row['selected']}; out of sample ({row['scored_model']}): WAPE {row['wape_selected']:.1%} against "
               f"naive {row['wape_naive']:.1%}.")
    fig = go.Figure()
    fig.add_scatter(x=history.index, y=history.to_numpy(), name="actual (yds)", mode="lines+markers")
    fig.add_scatter(x=list(fc["period"]) + list(fc["period"])[::-1], y=list(fc["hi95"]) + list(fc["lo95"])[::-1],
                    fill="toself", name="95 %", line={"width": 0}, opacity=0.2)
    fig.add_scatter(x=list(fc["period"]) + list(fc["period"])[::-1], y=list(fc["hi80"]) + list(fc["lo80"])[::-1],
                    fill="toself", name="80 %", line={"width": 0}, opacity=0.35)
    if len(gap_fc):
        fig.add_scatter(x=gap_fc["period"], y=gap_fc["mean"], name="gap to the as-of date (forecast)",
                        mode="lines", line={"dash": "dot"})
    fig.add_scatter(x=fc["period"], y=fc["mean"], name=f"forecast ({fc['model'].iloc[0] if len(fc) else ''})",
                    mode="lines+markers")
    fig.add_scatter(x=bt["period"], y=bt["selected"], name="out of sample, 1 step ahead", mode="markers",
                    marker={"symbol": "x"})
    fig.update_layout(height=420, margin={"t": 20})
    return caption, services.shared_figure(fig)


def value_added() -> tuple[pd.DataFrame, pd.DataFrame]:
    """WAPE of every candidate model per series (naive and zero first) with its class and model, as shown
    (model columns as WAPE shares: 'naive_share' reads 'Naive (%)') and for the download (model names)."""
    pivot = result["fva"].pivot_table(index="series", columns="model", values="wape")
    ordered = [c for c in ("naive", "zero") if c in pivot.columns] + \
        [c for c in pivot.columns if c not in ("naive", "zero")]
    pivot = pivot[ordered].join(accuracy.set_index("series")[["demand_class", "selected"]])
    return pivot.rename(columns={m: f"{m}_share" for m in ordered}).reset_index(), pivot.reset_index()


keys = services.derived("forecast.series_keys", snapshot, lambda: list(
    accuracy.sort_values("total_qty", ascending=False)["series"]), sources=(result,))
series = st.selectbox("Series", keys, key="fc_series")
caption, fig = services.derived("forecast.series_chart", snapshot, lambda: series_view(series), sources=(result,),
                                series=series)
st.caption(caption)
st.plotly_chart(fig, width="stretch")

st.subheader("Accuracy of every series (out of sample)")
show_table(accuracy, "forecast_accuracy", key="fc_accuracy", download=f"forecast_accuracy_{level}")
st.subheader("Forecast value added (the windows the current model was chosen on)")
fva_shown, fva_download = services.derived("forecast.value_added", snapshot, value_added, sources=(result,))
st.caption("WAPE of each candidate model (%), the series' demand class and the model it uses")
show_table(fva_shown, "forecast_value_added", key="fc_fva")
downloads(fva_download, f"forecast_value_added_{level}")
st.subheader(f"Forecasts from {first_period}")
show_table(result["forecasts"], "forecasts", key="fc_forecasts", download=f"forecasts_{level}")

st.subheader("Coherent levels")
if st.toggle("Reconcile style, customer and total bottom-up (style × customer series)", key="fc_coherent"):
    try:
        with st.spinner("Forecasting every style × customer series…"):
            co = services.run("forecast.coherent", snapshot, horizon=horizon)
    except BkError as exc:
        st.error(plain(exc))
        st.stop()
    acc = co["total_accuracy"]
    k = st.columns(3)
    k[0].metric("Total WAPE, direct model", f"{acc['direct']['wape']:.1%}", help=acc["direct"]["model"])
    k[1].metric("Total WAPE, bottom-up", f"{acc['bottom_up']['wape']:.1%}", help=acc["bottom_up"]["model"])
    k[2].metric("Total WAPE, naive", f"{acc['direct']['wape_naive']:.1%}")
    st.caption(f"Method: {co['method']}; the style, customer and total forecasts below are sums of the same "
               "bottom forecasts, so they add up (means only). Accuracy: out of sample, weekly.")
    show_table(co["forecasts"]["total"], "forecasts", key="fc_co_total")
    pick = st.selectbox("Level", ["style", "customer"], key="fc_coherent_level")
    show_table(co["forecasts"][pick], "forecasts", key="fc_co_level")
