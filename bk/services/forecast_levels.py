"""Forecast accuracy at every level a planner explores (total, customer, family, style; weeks and months), the
level and series proven good enough to reach the yarn plan, and booked orders beside the forecast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.services import forecasting
from bk.services.forecasting import PROVEN_RATIO, forecast_all, period_starts, series_key

PAGE_LEVELS = ("total", "customer", "family", "style")  # broadest first: the page drills down in this order
FREQS = {"W": "weeks", "M": "months"}
ORIGINS = {"W": 8, "M": 2}  # scored windows per frequency (six months of history leave two monthly ones)
MODEL_NAMES = {
    "naive": "naive (last period repeated)", "seasonal_naive": "seasonal naive (same week last year)",
    "moving_average": "moving average (last 4 periods)", "ses": "simple exponential smoothing",
    "holt": "Holt's trend smoothing", "damped": "damped trend smoothing", "arima": "ARIMA (0,1,1)",
    "theta": "Theta method", "croston": "Croston", "sba": "Croston, bias-corrected (SBA)",
    "tsb": "TSB (demand probability × size)", "adida": "ADIDA (aggregated periods)",
    "imapa": "IMAPA (several aggregation levels)", "zero": "zero forecast",
}
LEVEL_NAMES = {"total": "total", "customer": "customer", "family": "fabric family (base style)", "style": "style"}


def model_name(code: str) -> str:
    """A model's name in words (``MODEL_NAMES``); an unknown code as it is."""
    return MODEL_NAMES.get(str(code), str(code))


def level_key(level: str, freq: str) -> str:
    return f"{level}|{FREQS[freq]}"


def beats_both(accuracy: pd.DataFrame, *, ratio: float = 1.0) -> pd.Series:
    """Per series: the selected model's out-of-sample WAPE is below ``ratio`` × the better of naive and zero
    (False where any of them is unknown, e.g. nothing sold in the scored windows)."""
    best = np.minimum(accuracy["wape_naive"], accuracy["wape_zero"])
    return (accuracy["wape_selected"] < ratio * best).fillna(False).astype(bool)


def _pooled(accuracy: pd.DataFrame) -> dict[str, float]:
    """Σ|error| ÷ Σ|actual| over the series: the selected model, naive and zero on the same windows."""
    actual = float(accuracy["abs_actual"].sum())
    return {f"wape_{w}": float(accuracy[f"abs_error_{w}"].sum() / actual) if actual > 0 else float("nan")
            for w in ("selected", "naive", "zero")}


def all_levels(sales: pd.DataFrame, *, as_of: date | None, horizon: int = 4, freqs=("W", "M"),
               levels=PAGE_LEVELS) -> dict[str, dict]:
    """``forecast_all`` at every level and frequency, keyed ``level_key`` ('style|weeks')."""
    return {level_key(lv, f): forecast_all(sales, as_of=as_of, level=lv, freq=f, horizon=horizon,
                                           n_origins=ORIGINS[f])
            for f in freqs for lv in levels}


def level_table(results: Mapping[str, dict]) -> pd.DataFrame:
    """One row per level and frequency: level, periods, key, series, series_beating_both, wape_selected,
    wape_naive, wape_zero (pooled out of sample, the same windows for all three), margin (1 − selected ÷ the
    better benchmark: how much the forecast beats both; negative when it does not) and beats_both."""
    rows = []
    for key, r in results.items():
        level, periods = key.split("|")
        acc = r["accuracy"]
        pooled = _pooled(acc)
        best = min(pooled["wape_naive"], pooled["wape_zero"])
        margin = 1 - pooled["wape_selected"] / best if best > 0 else float("nan")
        rows.append({"level": level, "periods": periods, "key": key, "series": int(len(acc)),
                     "series_beating_both": int(beats_both(acc).sum()), **pooled, "margin": margin,
                     "beats_both": bool(margin > 0)})
    return pd.DataFrame(rows, columns=["level", "periods", "key", "series", "series_beating_both", "wape_selected",
                                       "wape_naive", "wape_zero", "margin", "beats_both"])


def best_level(table: pd.DataFrame) -> str:
    """The key of the level that beats both benchmarks by the widest margin (the widest margin when none
    beats them; the broadest level on ties)."""
    t = table.dropna(subset=["margin"])
    if t.empty:
        return str(table["key"].iloc[0])
    return str(t.loc[t["margin"].idxmax(), "key"])


def flagged_series(accuracy: pd.DataFrame) -> pd.DataFrame:
    """The series whose forecast does not beat both naive and zero out of sample, with their figures:
    series, demand_class, model (in words), wape_selected, wape_naive, wape_zero, total_qty; largest first."""
    a = accuracy.loc[~beats_both(accuracy)]
    out = pd.DataFrame({"series": a["series"], "demand_class": a["demand_class"],
                        "model": a["selected"].map(model_name).astype("string"),
                        "wape_selected": a["wape_selected"], "wape_naive": a["wape_naive"],
                        "wape_zero": a["wape_zero"], "total_qty": a["total_qty"]})
    return out.sort_values("total_qty", ascending=False, kind="stable").reset_index(drop=True)


def proven_choice(results: Mapping[str, dict], *, freq: str = "W") -> dict:
    """The level whose forecast reaches the yarn plan, and its series that may.

    A series is proven when its selected model's out-of-sample WAPE is at most ``PROVEN_RATIO`` (90 %) of the
    better of naive and zero. Among the levels of ``freq`` with proven series, the one whose proven series
    carried the most of the scored sales (ties: the finer level) is used, with its proven series only; pooled
    over those series the forecast then beats both benchmarks by 10 % or more. ``level`` is None when no series
    of any level is proven (then no forecast reaches the yarn plan).

    Keys: level, key, series_used (list), series_beating_both, share_of_sales (of the scored sales at that
    level), wape_selected, wape_naive, wape_zero (pooled over the series used), levels (per level: series,
    series_beating_both, share_of_sales)."""
    best, per_level = None, {}
    order = list(PAGE_LEVELS)
    for key, r in results.items():
        level, periods = key.split("|")
        if periods != FREQS[freq]:
            continue
        acc = r["accuracy"]
        proven = beats_both(acc, ratio=PROVEN_RATIO)
        total = float(acc["abs_actual"].sum())
        share = float(acc.loc[proven, "abs_actual"].sum() / total) if total > 0 else 0.0
        per_level[level] = {"series": int(len(acc)), "series_beating_both": int(proven.sum()), "share_of_sales": share}
        rank = (share, order.index(level) if level in order else -1)
        if proven.any() and (best is None or rank > best[0]):
            best = (rank, level, key, acc.loc[proven])
    if best is None:
        return {"level": None, "key": None, "series_used": [], "series_beating_both": 0, "share_of_sales": 0.0,
                "wape_selected": float("nan"), "wape_naive": float("nan"), "wape_zero": float("nan"),
                "levels": per_level}
    _, level, key, used = best
    return {"level": level, "key": key, "series_used": [str(s) for s in used["series"]],
            "series_beating_both": per_level[level]["series_beating_both"],
            "share_of_sales": per_level[level]["share_of_sales"], **_pooled(used), "levels": per_level}


def style_shares(sales: pd.DataFrame, level: str) -> pd.DataFrame:
    """Each style's share of its series' sales (yds, the whole history) at ``level``: one row per (series,
    style) with share; the shares of a series add up to 1."""
    s = sales.dropna(subset=["invoice_date"])
    yds = s.loc[s["uom"].astype("string").str.lower().str.strip() == "yds"]
    g = pd.DataFrame({"series": series_key(yds, level), "style": series_key(yds, "style"),
                      "qty": yds["qty"].astype("float64")}).groupby(["series", "style"], as_index=False)["qty"].sum()
    g = g.loc[g["qty"] > 0]
    g["share"] = g["qty"] / g.groupby("series")["qty"].transform("sum")
    return g[["series", "style", "share"]].astype({"series": "string", "style": "string"}).reset_index(drop=True)


def proven_style_forecast(sales: pd.DataFrame, results: Mapping[str, dict], choice: dict) -> pd.DataFrame:
    """The weekly forecast per sales style that may reach the yarn plan: the proven series of the chosen level
    (``proven_choice``) split over their styles by each style's historical share (the style level: as it is).
    Columns: series (the style), period, steps_ahead, mean (yds), model (in words, with the level it came from)."""
    columns = ["series", "period", "steps_ahead", "mean", "model"]
    if choice["level"] is None:
        return pd.DataFrame(columns=columns)
    fc = results[choice["key"]]["forecasts"]
    fc = fc.loc[fc["series"].isin(choice["series_used"])]
    shares = style_shares(sales, choice["level"])
    out = fc.merge(shares, on="series", how="inner")
    label = LEVEL_NAMES.get(choice["level"], choice["level"])
    how = out["model"].map(model_name)
    if choice["level"] != "style":
        how = how + f" on the {label} '" + out["series"].astype(str) + "' × the style's share"
    return pd.DataFrame({"series": out["style"], "period": out["period"], "steps_ahead": out["steps_ahead"],
                         "mean": out["mean"] * out["share"], "model": how.astype("string")}, columns=columns)


def booked_and_forecast(frames: Mapping[str, pd.DataFrame], result: dict, *, level: str, freq: str) -> pd.DataFrame:
    """Per series and forecast period: booked_yds (open sales orders' balance in yds by quoted date; a date
    before the first period or none counts in the first period, past the last period in none), forecast_yds
    and not_yet_ordered_yds = max(0, forecast − booked). Orders in other units are left out. At the customer
    level an order counts for its Sold To. Columns: series, period, booked_yds, forecast_yds, not_yet_ordered_yds."""
    fc = result["forecasts"][["series", "period", "mean"]].rename(columns={"mean": "forecast_yds"})
    columns = ["series", "period", "booked_yds", "forecast_yds", "not_yet_ordered_yds"]
    so = frames.get("sales_orders")
    booked = pd.DataFrame(columns=["series", "period", "booked_yds"])
    if so is not None and len(so) and len(fc):
        status = so["status"].astype("string").str.strip().str.lower()
        balance = so["balance_qty"].astype("float64")
        uom = so["uom"].astype("string").str.strip().str.lower()
        o = so.loc[((status == "open") & (balance > 0) & (uom == "yds")).fillna(False).to_numpy(dtype=bool)]
        lines = pd.DataFrame({"sales_style": o["sales_style"], "customer": o.get("sold_to", pd.NA),
                              "qty": o["balance_qty"].astype("float64")}, index=o.index)
        periods = pd.DatetimeIndex(sorted(fc["period"].unique()))
        quoted = pd.to_datetime(o["quoted_date"]) if "quoted_date" in o else pd.Series(pd.NaT, index=o.index)
        start = period_starts(quoted, freq)
        start = start.dt.normalize().where(start >= periods[0], periods[0]).fillna(periods[0])
        lines["period"] = start.to_numpy()
        lines["series"] = series_key(lines, level).to_numpy()
        lines = lines.loc[lines["period"].isin(periods) & lines["series"].notna()]
        booked = lines.groupby(["series", "period"], as_index=False)["qty"].sum().rename(columns={"qty": "booked_yds"})
    out = fc.merge(booked.astype({"series": "string"}), on=["series", "period"], how="left")
    out["booked_yds"] = out["booked_yds"].astype("float64").fillna(0.0)
    out["not_yet_ordered_yds"] = (out["forecast_yds"] - out["booked_yds"]).clip(lower=0.0)
    return out[columns].astype({"series": "string"})


def levels_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon: int = 4) -> dict:
    """The forecasting page's operation: every level and frequency (``all_levels``) with ``level_table``, the
    best level's key and the flagged series per key. Keys: results, table, best, flagged."""
    sales = forecasting._sales(frames)
    results = all_levels(sales, as_of=as_of, horizon=horizon)
    table = level_table(results)
    return {"results": results, "table": table, "best": best_level(table),
            "flagged": {k: flagged_series(r["accuracy"]) for k, r in results.items()},
            "members": {lv: style_shares(sales, lv)[["series", "style"]] for lv in ("total", "customer", "family")}}


DRILL = {"total": "family", "family": "style", "customer": "style"}  # the next level down from each level


def drill_down(levels: Mapping, *, level: str, freq: str, series: str) -> tuple[str | None, pd.DataFrame]:
    """The series one level below ``series`` (total → fabric families, a family → its styles, a customer → the
    styles it bought) with their accuracy: (that level, rows of ``flagged_series``'s columns plus beats_both).
    (None, empty) at the style level."""
    below = DRILL.get(level)
    if below is None:
        return None, pd.DataFrame()
    members = levels["members"][level]
    styles = set(members.loc[members["series"] == series, "style"].astype(str))
    acc = levels["results"][level_key(below, freq)]["accuracy"]
    keys = styles if below == "style" else {s.split("-", 1)[0] for s in styles}
    rows = acc.loc[acc["series"].astype(str).isin(keys)]
    out = pd.DataFrame({"series": rows["series"], "demand_class": rows["demand_class"],
                        "model": rows["selected"].map(model_name).astype("string"),
                        "wape_selected": rows["wape_selected"], "wape_naive": rows["wape_naive"],
                        "wape_zero": rows["wape_zero"], "beats_both": beats_both(rows),
                        "total_qty": rows["total_qty"]})
    return below, out.sort_values("total_qty", ascending=False, kind="stable").reset_index(drop=True)


YARN_WEEKS = 9  # the yarn plan's weekly buckets: proven-ness for the yarn plan is measured this far ahead


def yarn_choice(sales: pd.DataFrame, *, as_of: date | None) -> tuple[dict[str, dict], dict]:
    """Every weekly level backtested ``YARN_WEEKS`` ahead (the horizon the yarn plan uses) and the
    ``proven_choice`` among them: (results, choice)."""
    results = all_levels(sales, as_of=as_of, horizon=YARN_WEEKS, freqs=("W",))
    return results, proven_choice(results, freq="W")


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon: int = 4) -> dict:
    """The ``forecast`` keys of ``python -m bk report``, all out of sample (nested rolling origin): series
    (styles), wape_selected / wape_naive / wape_zero for the weekly total and pooled over the weekly styles,
    best_model_counts, first_forecast_period, history_end, demand_classes (over the styles); levels
    (``report_levels``, ``horizon`` periods ahead) and to_yarn (``proven_choice`` ``YARN_WEEKS`` weeks ahead:
    level, series_used, series_beating_both, share_of_sales, wape_selected, wape_naive, wape_zero, horizon_weeks)."""
    sales = forecasting._sales(frames)
    results = all_levels(sales, as_of=as_of, horizon=horizon)
    styles, total = results[level_key("style", "W")], results[level_key("total", "W")]
    s, t = styles["summary"], total["accuracy"].iloc[0]
    _, choice = yarn_choice(sales, as_of=as_of)
    return {
        "series": s["series"],
        "wape_selected": {"total": float(t["wape_selected"]), "styles": s["wape_selected_pooled"]},
        "wape_naive": {"total": float(t["wape_naive"]), "styles": s["wape_naive_pooled"]},
        "wape_zero": {"total": float(t["wape_zero"]), "styles": s["wape_zero_pooled"]},
        "best_model_counts": {"total": str(t["selected"]), "styles": s["best_model_counts"]},
        "first_forecast_period": s["first_forecast_period"], "history_end": s["history_end"],
        "demand_classes": s["demand_classes"],
        "levels": report_levels(results),
        "to_yarn": {"level": choice["level"], "series_used": len(choice["series_used"]),
                    "series_beating_both": choice["series_beating_both"], "share_of_sales": choice["share_of_sales"],
                    "wape_selected": choice["wape_selected"], "wape_naive": choice["wape_naive"],
                    "wape_zero": choice["wape_zero"], "horizon_weeks": YARN_WEEKS},
    }


def report_levels(results: Mapping[str, dict]) -> dict:
    """``forecast.levels`` of ``report``: {"<level>|<weeks|months>": {series, wape_selected, wape_naive,
    wape_zero}}."""
    return {row["key"]: {"series": int(row["series"]), "series_beating_both": int(row["series_beating_both"]),
                         "wape_selected": float(row["wape_selected"]), "wape_naive": float(row["wape_naive"]),
                         "wape_zero": float(row["wape_zero"])}
            for row in level_table(results).to_dict("records")}


OPERATIONS = {"forecast.levels": levels_view}
