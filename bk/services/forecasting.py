"""Sales forecasting: aligned weekly/monthly series from the Sales Activity Report, class-specific models
(``forecast_models``), nested rolling-origin accuracy against naive and the zero forecast, and forecasts with
80 %/95 % intervals from the as-of period on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services.forecast_models import (  # noqa: F401 -- re-exported: callers use forecasting.<model names>
    BENCHMARKS,
    CLASSES,
    INTERMITTENT_MODELS,
    MODELS,
    SMOOTH_MODELS,
    Z80,
    Z95,
    Fit,
    candidate_models,
    demand_class,
    forecast,
)

# a first/last period with less than this share of its weekdays inside the data is dropped; from this share
# up to a whole period it is scaled up to a whole period (sales ÷ share)
PARTIAL_MIN_SHARE = 0.9
MIN_TRAIN = 4  # no backtest origin with fewer periods of history
BOTTOM = "style_customer"  # the bottom level of the hierarchy: one series per (style, customer)
LEVELS = ("total", "customer", "family", "style", BOTTOM)  # family: the base style (sales style before its '-')
KEY_SEP = " | "


# ------------------------------------------------------------------------------------------------ series


def sales_series(sales: pd.DataFrame, *, level: str = "style", freq: str = "W") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quantity in yds per period (rows: period start, Monday for weeks / 1st for months) and series
    (columns: ``series_key`` at the level); missing periods
    are zero.

    Lines in other units (each, kg) are left out of the yds sums and returned as the second frame.
    """
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}")
    s = sales.dropna(subset=["invoice_date"])
    uom = s["uom"].astype("string").str.lower().str.strip()
    other = s.loc[uom != "yds", ["sales_order", "invoice_date", "sales_style", "qty", "uom"]].reset_index(drop=True)
    yds = s.loc[uom == "yds"]
    dates = yds["invoice_date"]
    period = period_starts(dates, freq)
    key = series_key(yds, level)
    wide = yds["qty"].astype("float64").groupby([period, key]).sum().unstack(fill_value=0.0)
    if len(s):
        all_dates = s["invoice_date"]
        first, last = all_dates.min(), all_dates.max()
        if freq == "W":
            index = pd.date_range(first - pd.Timedelta(days=first.weekday()), last, freq="7D").normalize()
        else:
            index = pd.date_range(first.to_period("M").to_timestamp(), last, freq="MS")
        wide = wide.reindex(index, fill_value=0.0)
    wide.index.name = "period"
    wide.columns = wide.columns.astype(str)
    return wide.astype("float64"), other


def period_starts(dates: pd.Series, freq: str) -> pd.Series:
    """The period of each date: the Monday of its week ('W', at midnight) or the first of its month ('M')."""
    return (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize() if freq == "W" else \
        dates.dt.to_period("M").dt.to_timestamp()


def series_key(lines: pd.DataFrame, level: str) -> pd.Series:
    """The series each line belongs to at ``level`` (``lines`` has sales_style and customer): 'total', the
    customer, the family (the sales style's base: CT4183-BLR → CT4183), the style, or 'style | customer'."""
    style = lines["sales_style"].astype("string").str.strip()
    if level == "total":
        return pd.Series("total", index=lines.index, dtype="string")
    if level == "family":
        return style.str.split("-", n=1).str[0]
    if level == "style":
        return style
    customer = lines["customer"].astype("string").str.strip()
    return customer if level == "customer" else style + KEY_SEP + customer


def _period_end(start: pd.Timestamp, freq: str) -> pd.Timestamp:
    return start + (pd.Timedelta(days=7) if freq == "W" else pd.offsets.MonthBegin(1))


def period_coverage(index: pd.DatetimeIndex, *, first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DataFrame:
    """How much of each period the data covers: one row per period start with ``weekdays`` (Mon–Fri in the
    period), ``weekdays_covered`` (those from the first to the last invoice date), ``share`` and
    ``treatment``: 'full', 'scaled' (share ≥ PARTIAL_MIN_SHARE: sales ÷ share) or 'dropped' (less). Only the
    first and the last period can be partial."""
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    rows = []
    for start in index:
        days = pd.bdate_range(start, _period_end(start, freq) - pd.Timedelta(days=1))
        covered = int(((days >= first) & (days <= last)).sum())
        share = covered / len(days) if len(days) else 0.0
        treatment = "full" if covered == len(days) else "scaled" if share >= PARTIAL_MIN_SHARE else "dropped"
        rows.append({"period": start, "weekdays": len(days), "weekdays_covered": covered, "share": share,
                     "treatment": treatment})
    return pd.DataFrame(rows, columns=["period", "weekdays", "weekdays_covered", "share", "treatment"])


def aligned_series(sales: pd.DataFrame, *, level: str = "style", freq: str = "W"
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``sales_series`` with the partial first/last periods dealt with: a period with less than 90 % of its
    weekdays between the first and the last invoice date is dropped, one with 90 % or more is scaled up to a
    whole period. Returns (series, other-unit lines, ``period_coverage``)."""
    wide, other = sales_series(sales, level=level, freq=freq)
    dates = sales["invoice_date"].dropna()
    if wide.empty or dates.empty:
        return wide, other, period_coverage(wide.index, first=pd.Timestamp(0), last=pd.Timestamp(0), freq=freq)
    cover = period_coverage(wide.index, first=dates.min(), last=dates.max(), freq=freq)
    keep = (cover["treatment"] != "dropped").to_numpy()
    factor = np.where(cover["treatment"].to_numpy() == "scaled", 1.0 / cover["share"].to_numpy(), 1.0)
    aligned = wide.mul(factor, axis=0).loc[keep]
    return aligned, other, cover


# ---------------------------------------------------------------------------------------------- backtest


def backtest(y: np.ndarray, *, horizon: int, origins: list[int], models: list[str]) -> dict[str, np.ndarray]:
    """Errors (forecast − actual) per model: array (len(origins), horizon), NaN past the end of the data.

    At origin t a model sees y[:t] only; models with parameters (ETS, ARIMA) fit them at the first origin and
    re-use them later, which still never looks past the origin. A model that cannot fit is left out.
    """
    out: dict[str, np.ndarray] = {}
    for name in models:
        errors = np.full((len(origins), horizon), np.nan)
        state = None
        try:
            for i, t in enumerate(origins):
                fit = forecast(name, y[:t], horizon, state, intervals=False)
                state = fit.state
                actual = y[t:t + horizon]
                errors[i, :len(actual)] = fit.mean[:len(actual)] - actual
        except (ValueError, np.linalg.LinAlgError):
            continue  # too little history for this model at these origins
        out[name] = errors
    return out


def scores(errors: np.ndarray, y: np.ndarray, origins: list[int], horizon: int) -> dict[str, float]:
    """Per period: WAPE = Σ|e| ÷ Σ|actual| (NaN when the actuals are all zero); MASE = mean|e| ÷ the in-sample
    mean absolute one-step naive error before the first origin; bias = Σe ÷ Σactual.
    Cumulative over the horizon (what a yarn buy depends on), on the windows that are whole:
    ``wape_cum`` = Σ_windows |Σ_steps e| ÷ Σ_windows Σ_steps actual. The sums behind them are returned too,
    for pooling."""
    actual = np.full_like(errors, np.nan)
    for i, t in enumerate(origins):
        seg = y[t:t + horizon]
        actual[i, :len(seg)] = seg
    valid = ~np.isnan(errors)
    total = np.abs(actual[valid]).sum()
    scale = np.abs(np.diff(y[:origins[0]])).mean() if origins and origins[0] > 1 else np.nan
    whole = valid.all(axis=1)
    cum_error = np.abs(errors[whole].sum(axis=1)).sum()
    cum_actual = actual[whole].sum()
    return {
        "wape": float(np.abs(errors[valid]).sum() / total) if total > 0 else float("nan"),
        "mase": float(np.abs(errors[valid]).mean() / scale) if valid.any() and scale and scale > 0 else float("nan"),
        "bias": float(errors[valid].sum() / total) if total > 0 else float("nan"),
        "wape_cum": float(cum_error / cum_actual) if cum_actual > 0 else float("nan"),
        "abs_error": float(np.abs(errors[valid]).sum()), "abs_actual": float(total),
        "sum_error": float(errors[valid].sum()), "abs_error_cum": float(cum_error), "abs_actual_cum": float(cum_actual),
    }


def select(metrics: dict[str, dict[str, float]]) -> str:
    """The model with the smallest absolute error on the windows (= the lowest WAPE: the actuals are the same
    for every model), but only one that beats naive there; otherwise naive. The zero forecast is a benchmark,
    never selected."""
    base = metrics.get("naive", {}).get("abs_error", np.nan)
    best, best_error = "naive", base
    for name, m in metrics.items():
        e = m["abs_error"]
        if name in BENCHMARKS or not np.isfinite(e) or not np.isfinite(base):
            continue
        if e < best_error - 1e-9 * max(1.0, abs(best_error)):
            best, best_error = name, e
    return best


# ------------------------------------------------------------------------------------------- one series


def _series_result(key: str, y: np.ndarray, *, horizon: int, n_origins: int, gap: int) -> dict:
    """Nested rolling origin on one series.

    The last ``n_origins`` origins are the scored windows. The model scored there was chosen on the
    ``n_origins`` windows before them, with only the data before the scored windows (its demand class too);
    naive and zero are scored on the same windows. The forecast itself uses the same rule one step later: the
    model that beats naive on the scored windows, fitted on the whole history, for ``gap + horizon`` periods.
    """
    n = len(y)
    cls, adi, cv2 = demand_class(y)
    cut = n - n_origins
    score_origins = [t for t in range(max(cut, 0), n) if t >= MIN_TRAIN]
    select_origins = [t for t in range(cut - n_origins, cut) if t >= MIN_TRAIN]
    past = y[:max(cut, 0)]
    chosen_before = "naive"
    if select_origins:
        past_errors = backtest(past, horizon=horizon, origins=select_origins,
                               models=candidate_models(past, demand_class(past)[0]))
        chosen_before = select({m: scores(e, past, select_origins, horizon) for m, e in past_errors.items()})
    models = candidate_models(y, cls)
    errors = backtest(y, horizon=horizon, origins=score_origins,
                      models=list(dict.fromkeys([*models, chosen_before, "zero"]))) if score_origins else {}
    metrics = {m: scores(e, y, score_origins, horizon) for m, e in errors.items()}
    if chosen_before not in metrics:
        chosen_before = "naive"
    chosen = select({m: v for m, v in metrics.items() if m in models}) if metrics else "naive"
    steps = gap + horizon
    fit = forecast(chosen, y, steps)
    lower, upper, source = fit.lower, fit.upper, "model"
    if lower is None:
        lower, upper, source = _residual_intervals(fit.mean, errors.get(chosen), y)
    return {"key": key, "class": cls, "adi": adi, "cv2": cv2, "chosen": chosen, "chosen_before": chosen_before,
            "metrics": metrics, "models": models, "mean": fit.mean, "lower": lower, "upper": upper,
            "interval_source": source, "errors": errors, "origins": score_origins,
            "nonzero_periods": int((y > 0).sum()), "periods": n}


def _residual_intervals(mean: np.ndarray, errors: np.ndarray | None, y: np.ndarray):
    """Intervals from backtest errors: normal with σ of the errors at each step (σ·√h of the one-step error
    when a step has fewer than 3 errors); with no backtest, σ of the series' one-step changes."""
    h = len(mean)
    if errors is not None and np.isfinite(errors).sum() >= 3:
        one_step = np.nanstd(errors[:, 0]) if np.isfinite(errors[:, 0]).sum() >= 2 else np.nanstd(errors)
        sigma = np.array([np.nanstd(errors[:, k]) if k < errors.shape[1] and np.isfinite(errors[:, k]).sum() >= 3
                          else one_step * np.sqrt(k + 1) for k in range(h)])
    else:
        sigma = (np.std(np.diff(y)) if len(y) > 2 else 0.0) * np.sqrt(np.arange(1, h + 1))
    lower = {80: np.clip(mean - Z80 * sigma, 0, None), 95: np.clip(mean - Z95 * sigma, 0, None)}
    upper = {80: mean + Z80 * sigma, 95: mean + Z95 * sigma}
    return lower, upper, "backtest residuals"


# --------------------------------------------------------------------------------------------- all series


def _period_start(day: date, freq: str) -> pd.Timestamp:
    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday()) if freq == "W" else ts.to_period("M").to_timestamp()


def _future(history_end: pd.Timestamp, steps: int, freq: str) -> pd.DatetimeIndex:
    if freq == "W":
        return pd.DatetimeIndex([history_end + pd.Timedelta(weeks=k) for k in range(1, steps + 1)])
    return pd.date_range(history_end, periods=steps + 1, freq="MS")[1:]


def _gap_periods(history_end: pd.Timestamp, as_of: date | None, freq: str) -> int:
    """Periods between the last period of history and the as-of period (0 when history reaches it)."""
    if as_of is None:
        return 0
    target = _period_start(as_of, freq)
    if freq == "W":
        return max(0, (target - history_end).days // 7 - 1)
    return max(0, (target.year - history_end.year) * 12 + target.month - history_end.month - 1)


def forecast_all(sales: pd.DataFrame, *, as_of: date | None = None, level: str = "style", freq: str = "W",
                 horizon: int = 4, n_origins: int = 8, on_progress: Callable[[int, int], None] | None = None) -> dict:
    """Classify, backtest (nested rolling origin), select and forecast every series of the level.

    History is ``aligned_series`` (partial first/last periods dropped or scaled). When it ends before the
    as-of period the gap is forecast too (``gap_forecasts``) and ``forecasts`` start at the as-of period.

    Keys: history (wide, aligned), coverage (``period_coverage``), accuracy (one row per series: demand_class,
    adi, cv2, selected = the model forecasting now, scored_model = the model chosen before the scored windows,
    out-of-sample wape/mase/bias/wape_cum of that model, of naive and of zero, and the sums behind them),
    classes (``accuracy_by_class``), fva (series × model on the scored windows: the metrics the current
    selection was made on), forecasts (long: series, period, steps_ahead, mean, lo80, hi80, lo95, hi95, model,
    interval_source), gap_forecasts (same columns, the periods before the as-of period), backtest (long:
    series, origin, step, period, actual, selected, naive: the scored windows), other_units, summary.
    """
    history, other, cover = aligned_series(sales, level=level, freq=freq)
    if history.empty:
        raise MissingDataError("the Sales Activity Report has no invoice line in yds with an invoice date; "
                               "upload a report with sales history")
    keys = list(history.columns)
    values = history.to_numpy(dtype=float)
    history_end = history.index[-1]
    gap = _gap_periods(history_end, as_of, freq)
    # Measured on 2 cores: a fork pool made the 107 real series slower (7.6 s against 2.9 s serial), the fits
    # being too short to pay for the processes, so series run one after another.
    results: list[dict] = []
    for i, k in enumerate(keys):
        results.append(_series_result(k, values[:, i], horizon=horizon, n_origins=n_origins, gap=gap))
        if on_progress:
            on_progress(i + 1, len(keys))
    return _assemble(results, history, other, cover, horizon=horizon, gap=gap, freq=freq,
                     last_invoice=sales["invoice_date"].max())


def _metric(m: dict, name: str, key: str, default=np.nan):
    return m.get(name, {}).get(key, default)


def accuracy_by_class(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Pooled out-of-sample accuracy per demand class and for all series ('all'): series, actual yds,
    WAPE of the selected model, of naive and of zero, per period and cumulative over the horizon, and bias
    of the selected model. Pooled WAPE = Σ|error| ÷ Σ actual over the series of the group."""
    rows = []
    groups = [(c, accuracy[accuracy["demand_class"] == c]) for c in CLASSES] + [("all", accuracy)]
    for name, g in groups:
        act, act_cum = g["abs_actual"].sum(), g["abs_actual_cum"].sum()
        row = {"demand_class": name, "series": len(g), "actual_yds": float(act)}
        for who in ("selected", "naive", "zero"):
            row[f"wape_{who}"] = float(g[f"abs_error_{who}"].sum() / act) if act > 0 else np.nan
        for who in ("selected", "naive", "zero"):
            row[f"wape_cum_{who}"] = float(g[f"abs_error_cum_{who}"].sum() / act_cum) if act_cum > 0 else np.nan
        row["bias_selected"] = float(g["sum_error_selected"].sum() / act) if act > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _assemble(results: list[dict], history: pd.DataFrame, other: pd.DataFrame, cover: pd.DataFrame, *,
              horizon: int, gap: int, freq: str, last_invoice) -> dict:
    accuracy, fva, fc_rows, gap_rows, bt_rows = [], [], [], [], []
    periods = history.index
    history_end = periods[-1]
    future = _future(history_end, gap + horizon, freq)
    for r in results:
        m, chosen, before = r["metrics"], r["chosen"], r["chosen_before"]
        row = {"series": r["key"], "demand_class": r["class"], "adi": r["adi"], "cv2": r["cv2"], "selected": chosen,
               "scored_model": before}
        for who, name in (("selected", before), ("naive", "naive"), ("zero", "zero")):
            for k in ("wape", "mase", "bias", "wape_cum"):
                row[f"{k}_{who}"] = _metric(m, name, k)
            for k in ("abs_error", "sum_error", "abs_error_cum"):
                row[f"{k}_{who}"] = _metric(m, name, k, 0.0)
        row["abs_actual"] = _metric(m, "naive", "abs_actual", 0.0)
        row["abs_actual_cum"] = _metric(m, "naive", "abs_actual_cum", 0.0)
        row["nonzero_periods"] = r["nonzero_periods"]
        row["total_qty"] = float(history[r["key"]].sum())
        accuracy.append(row)
        for name in sorted(m, key=lambda n: (n not in BENCHMARKS, n != "naive", n)):
            fva.append({"series": r["key"], "model": name, "wape": m[name]["wape"], "mase": m[name]["mase"],
                        "bias": m[name]["bias"], "wape_cum": m[name]["wape_cum"], "selected": name == chosen})
        for k in range(gap + horizon):
            out = fc_rows if k >= gap else gap_rows
            out.append({"series": r["key"], "period": future[k], "steps_ahead": k + 1, "mean": r["mean"][k],
                        "lo80": r["lower"][80][k], "hi80": r["upper"][80][k], "lo95": r["lower"][95][k],
                        "hi95": r["upper"][95][k], "model": chosen, "interval_source": r["interval_source"]})
        y = history[r["key"]].to_numpy()
        sel_e, naive_e = r["errors"].get(before), r["errors"].get("naive")
        for i, t in enumerate(r["origins"]):
            for k in range(min(horizon, len(y) - t)):
                bt_rows.append({"series": r["key"], "origin": periods[t - 1], "step": k + 1, "period": periods[t + k],
                                "actual": y[t + k],
                                "selected": y[t + k] + sel_e[i, k] if sel_e is not None else np.nan,
                                "naive": y[t + k] + naive_e[i, k] if naive_e is not None else np.nan})
    acc = pd.DataFrame(accuracy).astype({"series": "string", "selected": "string", "scored_model": "string",
                                         "demand_class": "string"})
    classes = accuracy_by_class(acc)
    pooled = classes.set_index("demand_class").loc["all"]
    counts = acc["selected"].value_counts().to_dict()
    fc_columns = ["series", "period", "steps_ahead", "mean", "lo80", "hi80", "lo95", "hi95", "model",
                  "interval_source"]
    first_forecast = future[gap]
    summary = {
        "series": len(results), "horizon": horizon, "freq": freq,
        "history_start": periods[0].date().isoformat(), "history_end": history_end.date().isoformat(),
        "last_invoice_date": pd.Timestamp(last_invoice).date().isoformat(),
        "first_forecast_period": first_forecast.date().isoformat(), "gap_periods": gap,
        "periods_dropped": [p.date().isoformat() for p in cover.loc[cover["treatment"] == "dropped", "period"]],
        "periods_scaled": [p.date().isoformat() for p in cover.loc[cover["treatment"] == "scaled", "period"]],
        "demand_classes": {c: int((acc["demand_class"] == c).sum()) for c in CLASSES},
        "best_model_counts": {str(k): int(v) for k, v in counts.items()},
        "wape_selected_pooled": float(pooled["wape_selected"]), "wape_naive_pooled": float(pooled["wape_naive"]),
        "wape_zero_pooled": float(pooled["wape_zero"]),
        "wape_cum_selected_pooled": float(pooled["wape_cum_selected"]),
        "wape_cum_naive_pooled": float(pooled["wape_cum_naive"]), "wape_cum_zero_pooled": float(pooled["wape_cum_zero"]),
        "other_unit_lines": int(len(other)),
    }
    summary["health"] = forecast_health(summary)
    return {"history": history, "coverage": cover, "accuracy": acc, "classes": classes, "fva": pd.DataFrame(fva),
            "forecasts": pd.DataFrame(fc_rows, columns=fc_columns),
            "gap_forecasts": pd.DataFrame(gap_rows, columns=fc_columns),
            "backtest": pd.DataFrame(bt_rows, columns=["series", "origin", "step", "period", "actual", "selected",
                                                       "naive"]),
            "other_units": other, "summary": summary}


def coherent(sales: pd.DataFrame, *, as_of: date | None = None, horizon: int = 4, n_origins: int = 8) -> dict:
    """Coherent weekly forecasts by bottom-up reconciliation: every (style, customer) series is forecast
    (``forecast_all`` at the bottom level) and the style, customer and total forecasts are its sums, so they add
    up by construction (means only: the sums of intervals are not intervals).

    Keys: forecasts ({'style', 'customer', 'total'}: long frames series, period, steps_ahead, mean), total_accuracy
    (out of sample at the total level: 'direct' = the total series' own selected model, 'bottom_up' = the sum of
    the bottom series' out-of-sample forecasts on the same windows; each wape, bias, and naive's wape),
    bottom (the bottom-level ``forecast_all`` summary), method.
    """
    bottom = forecast_all(sales, as_of=as_of, level=BOTTOM, horizon=horizon, n_origins=n_origins)
    direct = forecast_all(sales, as_of=as_of, level="total", horizon=horizon, n_origins=n_origins)
    fc = bottom["forecasts"]
    parts = fc["series"].str.split(KEY_SEP, n=1, regex=False)
    fc = fc.assign(style=parts.str[0], customer=parts.str[1], total="total")
    forecasts = {level: fc.groupby([level, "period", "steps_ahead"], as_index=False)["mean"].sum().rename(
        columns={level: "series"}) for level in ("style", "customer", "total")}
    bt = bottom["backtest"].groupby(["origin", "step"])[["actual", "selected", "naive"]].sum()
    error, error_naive, actual = bt["selected"] - bt["actual"], bt["naive"] - bt["actual"], bt["actual"].sum()
    t = direct["accuracy"].iloc[0]
    return {
        "forecasts": forecasts,
        "total_accuracy": {
            "direct": {"wape": float(t["wape_selected"]), "bias": float(t["bias_selected"]),
                       "wape_naive": float(t["wape_naive"]), "model": str(t["selected"])},
            "bottom_up": {"wape": float(error.abs().sum() / actual) if actual > 0 else float("nan"),
                          "bias": float(error.sum() / actual) if actual > 0 else float("nan"),
                          "wape_naive": float(error_naive.abs().sum() / actual) if actual > 0 else float("nan"),
                          "model": f"sum of {bottom['summary']['series']} style × customer series"},
        },
        "bottom": bottom["summary"], "method": "bottom-up from style × customer",
    }


PROVEN_RATIO = 0.9  # a forecast earns its place when its WAPE is at most 90 % of the better benchmark's


def forecast_health(summary: Mapping) -> dict:
    """The forecast's health from the out-of-sample pooled figures, in plain words (``message``): 'ok' only when
    the selected models beat both benchmarks (forecasting zero; naive = repeating the last period) by 10 % or
    more; 'warning' when they beat both by less; 'poor' when they are no better than zero or naive."""
    sel, naive, zero = (summary[f"wape_{w}_pooled"] for w in ("selected", "naive", "zero"))
    beats_naive, beats_zero = bool(sel < naive), bool(sel < zero)
    figures = f"WAPE {sel:.0%} against {zero:.0%} for forecasting zero and {naive:.0%} for naive"
    if not (np.isfinite(sel) and np.isfinite(naive) and np.isfinite(zero)):
        status, message = "poor", "not enough history to measure the forecast out of sample"
    elif not beats_zero and not beats_naive:
        status, message = "poor", f"no better than forecasting zero or repeating the last period ({figures})"
    elif not beats_zero:
        status, message = "poor", f"no better than forecasting zero ({figures})"
    elif not beats_naive:
        status, message = "poor", f"no better than repeating the last period (naive; {figures})"
    elif sel > PROVEN_RATIO * min(naive, zero):
        status, message = "warning", f"only slightly better than forecasting zero or naive ({figures})"
    else:
        status, message = "ok", f"clearly better than forecasting zero or naive ({figures})"
    return {"status": status, "message": message, "beats_naive": beats_naive,
            "beats_naive_cumulative": bool(summary["wape_cum_selected_pooled"] < summary["wape_cum_naive_pooled"]),
            "beats_zero": beats_zero,
            "method": "nested rolling origin: model chosen on the windows before the scored ones"}


def _sales(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    if "sales_activity" not in frames:
        raise MissingDataError("forecasting needs the Sales Activity Report (sales_activity); upload it on the "
                               "Data page")
    return frames["sales_activity"]


def forecast_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, level: str = "style", freq: str = "W",
                  horizon: int = 4) -> dict:
    """The forecasting page's operation: ``forecast_all`` on the snapshot's Sales Activity Report."""
    return forecast_all(_sales(frames), as_of=as_of, level=level, freq=freq, horizon=horizon,
                        n_origins=8 if freq == "W" else 2)


def coherent_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon: int = 4) -> dict:
    """The forecasting page's coherent levels: ``coherent`` on the snapshot's Sales Activity Report."""
    return coherent(_sales(frames), as_of=as_of, horizon=horizon)


OPERATIONS = {"forecast.all": forecast_view, "forecast.coherent": coherent_view}
