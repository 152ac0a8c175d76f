"""Sales forecasting: where the forecast is worth reading (accuracy at every level against naive and zero),
the chosen level's series over time, then in tabs: forecasts from the as-of period on, booked orders beside the
forecast, accuracy, the value each model adds, coherent levels."""

import pandas as pd
import streamlit as st

from bk.errors import BkError
from bk.services.forecast_levels import (
    FREQS,
    LEVEL_NAMES,
    PAGE_LEVELS,
    booked_and_forecast,
    drill_down,
    model_name,
)
from ui import charts, services, state
from ui.charts import LBS, ZOOM, Chart, colours, keep
from ui.format import plain, short_date
from ui.shell import require_shell
from ui.table import show_table
from ui.widgets import Figure, downloads, figures, lazy_expander, lazy_tabs

require_shell()

st.title("Sales forecast")
snapshot = state.active_snapshot()
if snapshot is None:
    st.stop()
if "sales_activity" in snapshot.inherited:
    donor = state.snapshot_names().get(snapshot.inherited["sales_activity"], "an earlier snapshot")
    st.info(f"This snapshot has no Sales Activity Report: the sales history of the snapshot of {donor} is used "
            "(history is carried over like master data).")
horizon = st.slider("Horizon (periods ahead)", 1, 12, 4, key="fc_horizon")
try:
    with st.spinner("Backtesting every level…"):
        levels = services.run("forecast.levels", snapshot, horizon=horizon)
except BkError as exc:
    st.error(plain(exc))
    st.stop()

st.subheader("Where the forecast is worth reading")
table = levels["table"]
best_level, best_periods = levels["best"].split("|")
best = table.set_index("key").loc[levels["best"]]
if best["beats_both"]:
    st.caption(f"Opened at the level that beats forecasting zero and naive by the widest margin: "
               f"{LEVEL_NAMES[best_level]}, by {best_periods} ({best['margin']:.0%} better than the better of "
               "the two). Every figure is out of sample: each model was scored on weeks it had not seen. "
               "WAPE = Σ|error| ÷ Σ actual, all series of the level pooled, each series' model chosen on the windows "
               "before the ones scored.")
else:
    st.error("No level forecasts better than zero or naive out of sample: read these forecasts as a rough guide, "
             "not as demand.")
shown_levels = services.derived("forecast.levels_table", snapshot, lambda: table.assign(
    level=table["level"].map(LEVEL_NAMES)).drop(columns="key"), sources=(levels,))
show_table(shown_levels, "forecast_levels", key="fc_levels", search=False)

c = st.columns(2)
level = c[0].selectbox("Level", list(PAGE_LEVELS), index=PAGE_LEVELS.index(best_level), key="fc_level",
                       format_func=LEVEL_NAMES.__getitem__)
freq = c[1].segmented_control("Periods", ["W", "M"], default="W" if best_periods == "weeks" else "M",
                              key="fc_freq", format_func=FREQS.__getitem__) or "W"
key = f"{level}|{FREQS[freq]}"
result = levels["results"][key]
summary = result["summary"]
accuracy = result["accuracy"]
unit = FREQS[freq]
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
# the level's series count and pooled WAPEs (chosen, naive, zero) are its row in the table above: said once
figures([Figure("Cumulative WAPE over the horizon", f"{summary['wape_cum_selected_pooled']:.1%}",
                "|Σ forecast − Σ actual| over each whole horizon window, all series pooled, out of sample: what a "
                "yarn buy depends on", note=f"naive {summary['wape_cum_naive_pooled']:.1%}")], per_row=3)
status = {"ok": st.success, "warning": st.warning, "poor": st.error}[health["status"]]
status(f"Forecast at this level: {health['message']}. Accuracy is measured {horizon} {unit} ahead at most; the "
       f"forecast shown is {gap + 1}–{gap + horizon} {unit} ahead.")
st.caption("Each series gets a demand class (smooth, erratic, intermittent or lumpy, from how often it sells "
           "and how much the orders vary) and the models for its class: exponential smoothing, Holt, ARIMA and "
           "the Theta method, or Croston, its bias-corrected form, TSB, ADIDA and IMAPA. A model is used only if "
           "it beats naive (the last period repeated) on the windows it is chosen on; forecasting zero is a "
           "benchmark only.")

flagged = levels["flagged"][key]
st.subheader(f"Series that do not beat naive and zero ({len(flagged)} of {summary['series']})")
if len(flagged):  # the count is the finding; the list (a table in the browser on every visit) on demand
    listed = lazy_expander(f"The {len(flagged)} series, with their errors against naive and zero",
                           key="fc_flagged_box")
    if listed is not None:
        with listed:
            show_table(flagged, "forecast_flagged", key="fc_flagged", download=f"forecast_not_beating_{level}")
else:
    st.caption("Every series beats both benchmarks out of sample.")


def series_view(series: str) -> tuple[str, Chart]:
    """One series: its caption (class, model, accuracy) and its chart (history, forecast with intervals, the gap
    to the as-of date, one-step-ahead out-of-sample forecasts)."""
    history = result["history"][series]
    fc = result["forecasts"][result["forecasts"]["series"] == series]
    gap_fc = result["gap_forecasts"][result["gap_forecasts"]["series"] == series]
    bt = result["backtest"][(result["backtest"]["series"] == series) & (result["backtest"]["step"] == 1)]
    row = accuracy[accuracy["series"] == series].iloc[0]
    caption = (f"{series}: {row['demand_class']} (ADI {row['adi']:.2f}, CV² {row['cv2']:.2f}); forecasting with "
               f"{model_name(row['selected'])}; out of sample ({model_name(row['scored_model'])}): WAPE "
               f"{row['wape_selected']:.1%} against naive {row['wape_naive']:.1%} and zero {row['wape_zero']:.1%}.")
    forecast = f"forecast ({model_name(fc['model'].iloc[0])})" if len(fc) else "forecast"
    gap, tested = "gap to the as-of date (forecast)", "out of sample, 1 step ahead"
    lines = {"actual (yds)": "#1f77b4", forecast: "#2ca02c", gap: "#9467bd", tested: "#d62728",
             "95 %": "#d9f0d3", "80 %": "#a6dba0"}  # the bands pale, the narrower one darker
    rows = pd.concat([
        pd.DataFrame({"period": history.index, "yds": history.to_numpy(dtype=float), "what": "actual (yds)"}),
        pd.DataFrame({"period": fc["period"], "lo": fc["lo95"], "hi": fc["hi95"], "what": "95 %"}),
        pd.DataFrame({"period": fc["period"], "lo": fc["lo80"], "hi": fc["hi80"], "what": "80 %"}),
        pd.DataFrame({"period": gap_fc["period"], "yds": gap_fc["mean"], "what": gap}),
        pd.DataFrame({"period": fc["period"], "yds": fc["mean"], "what": forecast}),
        pd.DataFrame({"period": bt["period"], "yds": bt["selected"], "what": tested})], ignore_index=True)
    legend = {"orient": "bottom", "labelLimit": 0, "columns": 3, "symbolType": "circle"}
    colour = {"field": "what", "type": "nominal", "title": None, **colours(lines), "legend": legend}
    tips = [{"field": "period", "type": "temporal", "format": "%d %b %Y"}, {"field": "what", "title": "line"}]
    y = {"field": "yds", "type": "quantitative", "title": "yds", "axis": {"format": LBS}}
    spec = {"description": f"{series}: sales by period, the forecast with its 80 and 95 % intervals, the gap to the "
                           "as-of date and the out-of-sample forecasts",
            "height": 420, "encoding": {"x": {"field": "period", "type": "temporal", "title": None},
                                        "color": colour}, "layer": [
        *({"transform": keep("what", band), "mark": {"type": "area"},
           "encoding": {"y": {**y, "field": "lo", "stack": None}, "y2": {"field": "hi"},
                        "tooltip": [*tips, {"field": "lo", "format": LBS}, {"field": "hi", "format": LBS}]}}
          for band in ("95 %", "80 %")),
        {"transform": keep("what", "actual (yds)", forecast), "mark": {"type": "line", "point": True}, "params": [ZOOM],
         "encoding": {"y": y, "tooltip": [*tips, {"field": "yds", "format": LBS}]}},
        {"transform": keep("what", gap), "mark": {"type": "line", "point": True, "strokeDash": [4, 3]},
         "encoding": {"y": y, "tooltip": [*tips, {"field": "yds", "format": LBS}]}},
        {"transform": keep("what", tested), "mark": {"type": "point", "filled": False, "size": 60, "strokeWidth": 2},
         "encoding": {"y": y, "tooltip": [*tips, {"field": "yds", "format": LBS}]}}]}
    return caption, Chart(rows, spec)


def value_added() -> tuple[pd.DataFrame, pd.DataFrame]:
    """WAPE of every candidate model per series (naive and zero first) with its class and model, as shown
    (model columns as WAPE shares: 'naive_share' reads 'Naive (%)') and for the download (model names)."""
    pivot = result["fva"].pivot_table(index="series", columns="model", values="wape")
    ordered = [c for c in ("naive", "zero") if c in pivot.columns] + \
        [c for c in pivot.columns if c not in ("naive", "zero")]
    pivot = pivot[ordered].join(accuracy.set_index("series")[["demand_class", "selected"]])
    shown = pivot.rename(columns={m: f"{m}_share" for m in ordered}).assign(
        selected=pivot["selected"].map(model_name))
    return shown.reset_index(), pivot.reset_index()


def booked_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Booked beside forecast per series and period, and the same summed over the level's series."""
    per_series = booked_and_forecast(snapshot.frames, result, level=level, freq=freq)
    per_period = per_series.groupby("period", as_index=False)[["booked_yds", "forecast_yds",
                                                               "not_yet_ordered_yds"]].sum()
    return per_series, per_period


keys = services.derived("forecast.series_keys", snapshot, lambda: list(
    accuracy.sort_values("total_qty", ascending=False)["series"]), sources=(result,))
series = st.selectbox("Series", keys, key="fc_series")


def chart_tab() -> None:
    caption, chart = services.derived("forecast.series_chart", snapshot, lambda: series_view(series),
                                      sources=(result,), series=series)
    st.caption(caption)
    charts.show(chart, key="fc_series_chart")
    below, children = services.derived("forecast.drill", snapshot, lambda: drill_down(
        levels, level=level, freq=freq, series=series), sources=(levels,), key=key, series=series)
    if below is not None and (inside := lazy_expander(f"Inside {series}: by {LEVEL_NAMES[below]}",
                                                     key="fc_drill_box")) is not None:
        with inside:
            show_table(children, "forecast_drill", key="fc_drill")


def forecasts_tab() -> None:
    forecasts_shown = services.derived("forecast.forecasts_words", snapshot, lambda: result["forecasts"].assign(
        model=result["forecasts"]["model"].map(model_name)), sources=(result,))
    st.caption(f"Forecasts from {first_period}, every series of the level")
    show_table(forecasts_shown, "forecasts", key="fc_forecasts", download=f"forecasts_{level}")


def booked_tab() -> None:
    booked_series, booked_period = services.derived("forecast.booked", snapshot, booked_frames, sources=(result,),
                                                    key=key)
    st.caption("Per period: open sales orders by quoted date (past due or without a date in the first period; in "
               "yds) beside the forecast, and the part of the forecast not yet ordered. Orders in other units are "
               "left out; orders of a style, family or customer (by Sold To) without sales history count in the "
               "total only.")
    show_table(booked_period, "forecast_booked", key="fc_booked_total", search=False)
    show_table(booked_series.loc[booked_series["series"] == series], "forecast_booked", key="fc_booked_series",
               caption=f"{series} only", search=False)


def accuracy_tab() -> None:
    shown_accuracy = services.derived("forecast.accuracy_words", snapshot, lambda: accuracy.assign(
        selected=accuracy["selected"].map(model_name), scored_model=accuracy["scored_model"].map(model_name)),
        sources=(result,))
    st.caption("Every series, out of sample")
    show_table(shown_accuracy, "forecast_accuracy", key="fc_accuracy", download=f"forecast_accuracy_{level}")
    st.caption("By demand class, out of sample")
    show_table(result["classes"], "forecast_classes", key="fc_classes")


def value_added_tab() -> None:
    fva_shown, fva_download = services.derived("forecast.value_added", snapshot, value_added, sources=(result,))
    st.caption("WAPE of each candidate model (%) on the windows the current model was chosen on, the series' "
               "demand class and the model it uses")
    show_table(fva_shown, "forecast_value_added", key="fc_fva")
    downloads(fva_download, f"forecast_value_added_{level}")


def coherent_tab() -> None:
    if not st.toggle("Reconcile style, customer and total bottom-up (style × customer series)", key="fc_coherent"):
        return
    try:
        with st.spinner("Forecasting every style × customer series…"):
            co = services.run("forecast.coherent", snapshot, horizon=horizon)
    except BkError as exc:
        st.error(plain(exc))
        return
    acc = co["total_accuracy"]
    figures([Figure("Total WAPE, direct model", f"{acc['direct']['wape']:.1%}", model_name(acc["direct"]["model"])),
             Figure("Total WAPE, bottom-up", f"{acc['bottom_up']['wape']:.1%}", acc["bottom_up"]["model"]),
             Figure("Total WAPE, naive", f"{acc['direct']['wape_naive']:.1%}")])
    st.caption(f"Method: {co['method']}; the style, customer and total forecasts below are sums of the same "
               "bottom forecasts, so they add up (means only). Accuracy: out of sample, weekly.")
    show_table(co["forecasts"]["total"], "forecasts", key="fc_co_total")
    pick = st.selectbox("Level", ["style", "customer"], key="fc_coherent_level")
    show_table(co["forecasts"][pick], "forecasts", key="fc_co_level")


# one open at a time: only the open tab's chart or tables are drawn. The page opens on the series' chart; the
# forecasts of every series (a long table: 0.03–0.05 s of drawing on every visit) are one click away
TABS = {"The series over time": chart_tab, "Forecasts": forecasts_tab,
        "Already ordered and still to come": booked_tab, "Accuracy (out of sample)": accuracy_tab,
        "Forecast value added": value_added_tab, "Coherent levels": coherent_tab}
lazy_tabs(TABS, key="fc_tab")
