"""Forecast → yarn: the weekly sales forecast per sales style (yds) carried to greige lbs and through the BOM to
yarn lbs per bucket of the yarn plan, after forecast consumption by open sales orders and knit orders."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services import forecasting
from bk.services.pipeline import (
    LBS_PER_KG,
    SOURCE_MEDIAN,
    SOURCE_ROLLS,
    SOURCE_SPEC,
    UOM_ALIASES,
    _GreigeLookup,
    spec_yds_per_lb,
    yds_per_lb,
)
from bk.services.planning.calendar import LATER, bucket_labels
from bk.services.planning.demand import prepare_bom
from bk.services.planning.schedule import knit_order_demand
from bk.services.styles import norm_key, week_monday

KNIT_TO_FINISH_WEEKS = 2  # knitting → finished goods (dyeing, finishing, inspection); no export dates it
STOCK_STAGES = ("f01", "i01", "g02", "g00")
CONSUMPTION_NOTE = ("Per greige style over the whole horizon (not week by week): the forecast (lbs) is consumed by "
                    "the open sales orders quoted within it (no date or past due: the first week); what is left "
                    "is netted against the finished and WIP stock (F01, I01 finished lbs taken as greige lbs; "
                    "G02, G00 greige lbs) and the open knit-order balances, after these have served the open "
                    "orders. What remains is the latest part of the forecast, knitted {lead} weeks (knit → "
                    "finish) before it sells; what would be knitted before the as-of week is in the as-of week. "
                    "Forecast beyond the 9 weekly buckets is not counted ('later' stays 0).")


def _key(text: str | None) -> str | None:
    return None if text is None else "".join(str(text).split()).upper()


def _family_matches(key: str, candidates) -> list[str]:
    """``candidates`` equal to ``key`` or extending it with a non-digit (CT2222/1 → CT2222/1AT, never
    CT2222/10): the knit-order and BOM styles a greige style from eFab_Styles stands for."""
    out = []
    for c in candidates:
        if c == key or (c.startswith(key) and len(c) > len(key) and not c[len(key)].isdigit()):
            out.append(c)
    return out


def _bom_styles(key: str | None, bom_keys: list[str]) -> tuple[list[str], str]:
    """The BOM styles a greige style stands for and how they were found: the style itself, else the BOM
    styles extending it (``_family_matches``), else those of the same base (before '/'; the last resort of the
    planning rules); none when nothing matches."""
    if key is None:
        return [], "none"
    if key in bom_keys:
        return [key], "exact"
    extending = _family_matches(key, bom_keys)
    if extending:
        return extending, "extending style"
    base = key.split("/", 1)[0]
    same_base = [k for k in bom_keys if k.split("/", 1)[0] == base]
    return same_base, "same base" if same_base else "none"


def sales_style_yds_per_lb(frames: Mapping[str, pd.DataFrame], sales_styles) -> pd.DataFrame:
    """Yards per pound for each sales style (BASE-VER): the mean over its finished styles (BASE-VER/FIN) of
    pipeline's roll ratios (F01/I01 Σ yds ÷ Σ lbs), else of their QuadS specs, else the median roll ratio of all
    styles. One row per sales style: sales_style, yds_per_lb, yds_per_lb_source."""
    ratio, median = yds_per_lb(frames)
    spec = spec_yds_per_lb(frames)
    by_base: dict[str, dict[str, list[float]]] = {}
    for source, values in ((SOURCE_ROLLS, ratio.items()), (SOURCE_SPEC, spec.items())):
        for finished, v in values:
            base = _key(str(finished).rsplit("/", 1)[0])
            by_base.setdefault(base, {}).setdefault(source, []).append(float(v))
    rows = []
    for s in sales_styles:
        found = by_base.get(_key(s), {})
        source = SOURCE_ROLLS if SOURCE_ROLLS in found else SOURCE_SPEC if SOURCE_SPEC in found else SOURCE_MEDIAN
        value = float(np.mean(found[source])) if source in found else median
        rows.append({"sales_style": s, "yds_per_lb": value, "yds_per_lb_source": source})
    return pd.DataFrame(rows, columns=["sales_style", "yds_per_lb", "yds_per_lb_source"])


def _bucket_of(days: pd.Series, as_of: date) -> pd.Series:
    """Bucket label of each date: before the as-of week or missing → the as-of week; past the 9 weeks → later."""
    labels = bucket_labels(as_of)
    first = pd.Timestamp(week_monday(as_of))
    weeks = ((pd.to_datetime(days) - first).dt.days // 7).fillna(0).clip(lower=0).astype(int)
    return weeks.map(lambda k: labels[k] if k < len(labels) - 1 else LATER)


def open_order_lbs(frames: Mapping[str, pd.DataFrame], *, as_of: date, greige: _GreigeLookup,
                   per_lb: Mapping[str, float]) -> pd.DataFrame:
    """Open sales orders (status Open, balance > 0) in greige lbs per bucket: one row per (greige_key, bucket)
    with so_lbs. yds ÷ the sales style's yds/lb; lbs as they are; kg × 2.20462; other units left out."""
    so = frames.get("sales_orders")
    if so is None or so.empty:
        return pd.DataFrame({"greige_key": pd.Series(dtype=object), "bucket": pd.Series(dtype=object),
                             "so_lbs": pd.Series(dtype="float64")})
    status = so["status"].astype("string").str.strip().str.lower()
    balance = so["balance_qty"].astype("float64")
    o = so.loc[((status == "open") & (balance > 0)).fillna(False).to_numpy(dtype=bool)]
    rows = []
    for sales_style, finished, uom, qty, quoted in zip(o["sales_style"].astype("string").str.strip(),
                                                       o["finished_style"].astype("string").str.strip(),
                                                       o["uom"].astype("string").str.strip().str.lower(),
                                                       o["balance_qty"].astype("float64"), o["quoted_date"],
                                                       strict=True):
        sales_style = None if pd.isna(sales_style) else str(sales_style)
        finished = None if pd.isna(finished) or str(finished).upper() in ("", "N/A") else str(finished)
        g_style, _ = greige.find(sales_style, finished)
        unit = UOM_ALIASES.get("" if pd.isna(uom) else str(uom))
        ratio = per_lb.get(sales_style, math.nan) if sales_style else math.nan
        lbs = {"yds": qty / ratio if ratio and math.isfinite(ratio) else math.nan, "lbs": qty,
               "kg": qty * LBS_PER_KG}.get(unit, math.nan)
        if g_style is None or not math.isfinite(lbs):
            continue
        rows.append({"greige_key": _key(g_style), "quoted_date": quoted, "so_lbs": lbs})
    f = pd.DataFrame(rows, columns=["greige_key", "quoted_date", "so_lbs"])
    f["bucket"] = _bucket_of(f["quoted_date"], as_of) if len(f) else pd.Series(dtype=object)
    return f.groupby(["greige_key", "bucket"], as_index=False)["so_lbs"].sum()


def net_forecast(forecast_lbs: np.ndarray, *, so_lbs: float, stock_lbs: float, ko_lbs: float) -> dict:
    """One greige style's forecast (lbs per week, in order) netted over the horizon.

    consumed = min(Σ forecast, orders); unconsumed = Σ forecast − consumed; free supply = max(0, stock + knit
    orders − orders) (stock and knit orders serve the open orders first); netted = min(unconsumed, free supply);
    net = unconsumed − netted, taken from the latest weeks of the forecast (stock covers the earliest).
    Returns consumed_lbs, unconsumed_lbs, free_supply_lbs, netted_lbs, net_lbs and net_by_week (array)."""
    f = np.clip(np.asarray(forecast_lbs, dtype=float), 0.0, None)
    total = float(f.sum())
    consumed = min(total, max(0.0, so_lbs))
    unconsumed = total - consumed
    free = max(0.0, stock_lbs + ko_lbs - max(0.0, so_lbs))
    netted = min(unconsumed, free)
    net = unconsumed - netted
    # the net is the last `net` lbs of the forecast: from the end backwards, each week up to its forecast
    later_cum = np.cumsum(f[::-1])[::-1]  # forecast of this week and the weeks after it
    by_week = np.clip(np.minimum(f, net - (later_cum - f)), 0.0, None)
    return {"consumed_lbs": consumed, "unconsumed_lbs": unconsumed, "free_supply_lbs": free, "netted_lbs": netted,
            "net_lbs": net, "net_by_week": by_week}


def stock_lbs(frames: Mapping[str, pd.DataFrame], greige: _GreigeLookup) -> pd.DataFrame:
    """Finished and WIP stock in greige lbs per greige style and stage: one row per (greige_key, stage) with lbs.
    F01 and I01 by their finished style (via eFab_Styles; finished lbs taken as greige lbs), G02 by its greige
    style, G00 by its style."""
    rows = []
    for stage, kind, column in (("f01", "stage_f01", "finished_style"), ("i01", "stage_i01", "finished_style"),
                                ("g02", "stage_g02", "style"), ("g00", "stage_g00", "style")):
        f = frames.get(kind)
        if f is None or f.empty or column not in f or "qty_lbs" not in f:
            continue
        lbs = f["qty_lbs"].astype("float64").fillna(0.0).groupby(f[column].astype("string").str.strip()).sum()
        for style, value in lbs.items():
            if stage in ("f01", "i01"):
                g_style, _ = greige.find(str(style).rsplit("/", 1)[0], str(style))
            else:
                g_style = str(style)
            if g_style is not None and value > 0:
                rows.append({"greige_key": _key(g_style), "stage": stage, "lbs": float(value)})
    f = pd.DataFrame(rows, columns=["greige_key", "stage", "lbs"])
    return f.groupby(["greige_key", "stage"], as_index=False)["lbs"].sum()


def _resolve_styles(frames: Mapping[str, pd.DataFrame], forecast_yds: pd.Series
                    ) -> tuple[pd.DataFrame, pd.DataFrame, _GreigeLookup]:
    """One row per sales style of ``forecast_yds`` (index: sales style, values: yds): its greige style, BOM
    styles, yds/lb and status; with the prepared BOM and the greige lookup."""
    greige = _GreigeLookup(frames.get("styles"))
    ratios = sales_style_yds_per_lb(frames, list(forecast_yds.index)).set_index("sales_style")
    bom, _ = prepare_bom(frames["bom"])
    bom_keys = sorted(set(bom["style_key"].dropna().astype(str)))
    style_rows = []
    for s, total in forecast_yds.items():
        g_style, how = greige.find(str(s), None)
        g_key = _key(g_style)
        bom_styles, match = _bom_styles(g_key, bom_keys)
        status = "no greige style in eFab_Styles" if g_key is None else "no BOM for the greige style" \
            if not bom_styles else "ok"
        style_rows.append({"sales_style": str(s), "greige_style": g_style, "greige_lookup": how,
                           "greige_key": g_key, "bom_match": match, "bom_styles": ", ".join(bom_styles),
                           "n_bom_styles": len(bom_styles), "yds_per_lb": float(ratios.loc[s, "yds_per_lb"]),
                           "yds_per_lb_source": ratios.loc[s, "yds_per_lb_source"], "forecast_yds": float(total),
                           "status": status})
    styles = pd.DataFrame(style_rows, columns=["sales_style", "greige_style", "greige_lookup", "greige_key",
                                               "bom_match", "bom_styles", "n_bom_styles", "yds_per_lb",
                                               "yds_per_lb_source", "forecast_yds", "status"])
    return styles, bom, greige


def style_yarn_factors(styles: pd.DataFrame, bom: pd.DataFrame) -> pd.DataFrame:
    """Yarn lbs per yd of each sales style: one row per (sales_style, yarn_id) with ``lbs_per_yd`` =
    BOM fraction ÷ number of BOM styles ÷ the style's yds/lb."""
    ok = styles.loc[styles["n_bom_styles"] > 0, ["sales_style", "bom_styles", "n_bom_styles", "yds_per_lb"]]
    ex = ok.assign(style_key=ok["bom_styles"].str.split(", ")).explode("style_key")
    f = ex.merge(bom[["style_key", "yarn_id", "fraction"]], on="style_key", how="inner")
    f["lbs_per_yd"] = f["fraction"] / f["n_bom_styles"] / f["yds_per_lb"]
    return f.groupby(["sales_style", "yarn_id"], as_index=False)["lbs_per_yd"].sum()


def yarn_forecast_demand(frames: Mapping[str, pd.DataFrame], *, as_of: date, forecast: dict | None = None,
                         production_lead_weeks: int = KNIT_TO_FINISH_WEEKS) -> dict:
    """Yarn lbs per bucket that the sales forecast adds to the open knit orders' demand.

    Only proven forecasts: by default the forecast is ``forecast_levels.proven_style_forecast`` — the level
    and series that beat naive and zero out of sample by 10 % or more, 9 weeks ahead, split over their styles
    by historical share (no forecast when none does). ``forecast`` ({"forecasts": series (sales style),
    period, mean (yds), model}) replaces it. Chain: sales style → greige style (eFab_Styles) → greige lbs
    (÷ ``sales_style_yds_per_lb``) → netting per greige style over the horizon (``CONSUMPTION_NOTE``,
    ``net_forecast``) → knitting week = sales week − ``production_lead_weeks`` → BOM (``_bom_styles``; with
    several BOM styles the lbs are split evenly) → yarn lbs.

    Keys: demand (one row per yarn_id: yarn_id and exactly ``bucket_labels(as_of)``, lbs), evidence (one row
    per yarn × sales style × week with lbs > 0: yarn_id, style, series, model, week, lbs, greige_style,
    bom_style, forecast_yds, forecast_lbs, net_lbs, fraction, yds_per_lb, yds_per_lb_source), netting (one row
    per greige style: greige_style, forecast_lbs, so_lbs, consumed_lbs, unconsumed_lbs, stock_<f01|i01|g02|g00>_lbs,
    ko_lbs, free_supply_lbs, netted_lbs, net_lbs), styles (one row per forecast sales style: greige_style,
    bom_match, bom_styles, yds_per_lb, yds_per_lb_source, forecast_yds, status), choice (the proven level, or
    None when ``forecast`` was given), summary. Raises MissingDataError without the BOM.
    """
    from bk.services import forecast_levels

    if "bom" not in frames:
        raise MissingDataError("forecast yarn demand needs the BOM export (bom); upload it on the Data page")
    labels = bucket_labels(as_of)
    weeks = labels[:-1]
    choice = None
    if forecast is None:
        sales = forecasting._sales(frames)
        results, choice = forecast_levels.yarn_choice(sales, as_of=as_of)
        forecast = {"forecasts": forecast_levels.proven_style_forecast(sales, results, choice)}
    fc = forecast["forecasts"]
    fc = fc.assign(bucket=_bucket_of(pd.to_datetime(fc["period"]), as_of))
    fc = fc.loc[(fc["bucket"] != LATER) & (pd.to_datetime(fc["period"]) >= pd.Timestamp(week_monday(as_of)))]
    styles, bom, greige = _resolve_styles(frames, fc.groupby("series")["mean"].sum())
    per_lb = dict(zip(styles["sales_style"], styles["yds_per_lb"], strict=True))

    lines = fc.merge(styles, left_on="series", right_on="sales_style", how="inner")
    lines = lines.loc[lines["greige_key"].notna()].copy()
    lines["forecast_yds"] = lines["mean"].astype("float64")
    lines["forecast_lbs"] = lines["forecast_yds"] / lines["yds_per_lb"]
    lines = lines.groupby(["series", "model", "greige_key", "greige_style", "bucket", "yds_per_lb",
                           "yds_per_lb_source", "bom_styles", "n_bom_styles"], as_index=False, dropna=False)[
        ["forecast_yds", "forecast_lbs"]].sum()

    netting, net_week = _net_by_greige(frames, lines, as_of=as_of, greige=greige, bom=bom, per_lb=per_lb,
                                       weeks=weeks)
    # each sales style takes its share of its greige style's net in each week, knitted the lead time earlier
    g_week = lines.groupby(["greige_key", "bucket"])["forecast_lbs"].transform("sum")
    share = np.where(g_week > 0, lines["forecast_lbs"] / g_week, 0.0)
    key_week = list(zip(lines["greige_key"], lines["bucket"], strict=True))
    lines["net_lbs"] = np.array([net_week.get(k, 0.0) for k in key_week], dtype=float) * share
    position = lines["bucket"].map({b: i for i, b in enumerate(weeks)}).astype(int)
    lines["knit_bucket"] = [weeks[max(0, i - production_lead_weeks)] for i in position]

    expanded = lines.loc[lines["n_bom_styles"] > 0].assign(
        style_key=lambda f: f["bom_styles"].str.split(", ")).explode("style_key")
    expanded["net_lbs_style"] = expanded["net_lbs"] / expanded["n_bom_styles"]
    ev = expanded.merge(bom[["style_key", "yarn_id", "fraction"]], on="style_key", how="inner")
    ev["lbs"] = ev["net_lbs_style"] * ev["fraction"]
    ev = ev.loc[ev["lbs"] > 0]
    evidence = pd.DataFrame({
        "yarn_id": ev["yarn_id"].astype("int64"), "style": ev["series"].astype("string"),
        "series": ev["series"].astype("string"), "model": ev["model"].astype("string"),
        "week": ev["knit_bucket"].astype("string"), "sales_week": ev["bucket"].astype("string"),
        "lbs": ev["lbs"].astype("float64"), "greige_style": ev["greige_style"].astype("string"),
        "bom_style": ev["style_key"].astype("string"), "forecast_yds": ev["forecast_yds"],
        "forecast_lbs": ev["forecast_lbs"], "net_lbs": ev["net_lbs"], "fraction": ev["fraction"],
        "yds_per_lb": ev["yds_per_lb"], "yds_per_lb_source": ev["yds_per_lb_source"].astype("string"),
    }).sort_values(["yarn_id", "week", "style"]).reset_index(drop=True)
    wide = evidence.pivot_table(index="yarn_id", columns="week", values="lbs", aggfunc="sum", fill_value=0.0)
    demand = wide.reindex(columns=labels, fill_value=0.0).reset_index()
    demand.columns.name = None
    demand = demand.astype({c: "float64" for c in labels})
    summary = {
        "as_of": as_of.isoformat(), "first_week": weeks[0], "series": int(len(styles)),
        "series_with_bom": int((styles["status"] == "ok").sum()),
        "series_without_greige": int((styles["status"] == "no greige style in eFab_Styles").sum()),
        "series_without_bom": int((styles["status"] == "no BOM for the greige style").sum()),
        "forecast_yds": float(styles["forecast_yds"].sum()), "forecast_lbs": float(netting["forecast_lbs"].sum()),
        **{k: float(netting[k].sum()) for k in ("so_lbs", "consumed_lbs", "unconsumed_lbs", "free_supply_lbs",
                                                 "netted_lbs", "net_lbs")},
        "yarn_lbs": float(evidence["lbs"].sum()), "yarns": int(len(demand)),
        "production_lead_weeks": production_lead_weeks,
        "level": None if choice is None else choice["level"],
        "consumption": CONSUMPTION_NOTE.format(lead=production_lead_weeks),
    }
    return {"demand": demand, "evidence": evidence, "netting": netting, "styles": styles, "choice": choice,
            "summary": summary}


def _net_by_greige(frames: Mapping[str, pd.DataFrame], lines: pd.DataFrame, *, as_of: date, greige: _GreigeLookup,
                   bom: pd.DataFrame, per_lb: Mapping[str, float], weeks: list[str]
                   ) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    """``net_forecast`` for every greige style of ``lines``: the netting frame and its net lbs by (greige_key,
    sales week). Orders, stock and knit orders of the greige style's family (the style or styles extending it,
    ``_family_matches``) count for it."""
    so = open_order_lbs(frames, as_of=as_of, greige=greige, per_lb=per_lb)
    so = so.loc[so["bucket"] != LATER].groupby("greige_key")["so_lbs"].sum()
    stock = stock_lbs(frames, greige).pivot_table(index="greige_key", columns="stage", values="lbs", aggfunc="sum")
    stock = stock.reindex(columns=list(STOCK_STAGES), fill_value=0.0).fillna(0.0)
    ko = _knit_order_lbs(frames, as_of=as_of, bom=bom)
    ko = ko.groupby("greige_key")["ko_lbs"].sum() if len(ko) else pd.Series(dtype="float64")
    rows, net_week = [], {}
    for key, g in lines.groupby("greige_key", sort=True):
        f = g.groupby("bucket")["forecast_lbs"].sum().reindex(weeks, fill_value=0.0).to_numpy()

        def family(values: pd.Series, key=key) -> float:
            return float(sum(values[k] for k in _family_matches(key, values.index)))

        by_stage = {s: family(stock[s]) for s in STOCK_STAGES}
        so_lbs, ko_lbs = family(so), family(ko)
        n = net_forecast(f, so_lbs=so_lbs, stock_lbs=sum(by_stage.values()), ko_lbs=ko_lbs)
        net_week.update({(key, w): float(v) for w, v in zip(weeks, n["net_by_week"], strict=True)})
        rows.append({"greige_key": key, "greige_style": g["greige_style"].iloc[0], "forecast_lbs": float(f.sum()),
                     "so_lbs": so_lbs, "consumed_lbs": n["consumed_lbs"], "unconsumed_lbs": n["unconsumed_lbs"],
                     **{f"stock_{s}_lbs": v for s, v in by_stage.items()}, "ko_lbs": ko_lbs,
                     "free_supply_lbs": n["free_supply_lbs"], "netted_lbs": n["netted_lbs"], "net_lbs": n["net_lbs"]})
    columns = ["greige_key", "greige_style", "forecast_lbs", "so_lbs", "consumed_lbs", "unconsumed_lbs",
               *(f"stock_{s}_lbs" for s in STOCK_STAGES), "ko_lbs", "free_supply_lbs", "netted_lbs", "net_lbs"]
    return pd.DataFrame(rows, columns=columns), net_week


def _knit_order_lbs(frames: Mapping[str, pd.DataFrame], *, as_of: date, bom: pd.DataFrame) -> pd.DataFrame:
    """Open knit-order lbs per (greige_key, bucket) on the yarn plan's knitting schedule."""
    kos = frames.get("knit_orders")
    if kos is None or kos.empty:
        return pd.DataFrame({"greige_key": pd.Series(dtype=object), "bucket": pd.Series(dtype=object),
                             "ko_lbs": pd.Series(dtype="float64")})
    rates = frames.get("style_rates")
    scheduled = knit_order_demand(kos, bom, rates, as_of=as_of)["kos"]
    labels = bucket_labels(as_of)
    long = scheduled.assign(greige_key=norm_key(scheduled["style"]).astype(object)).melt(
        id_vars="greige_key", value_vars=labels, var_name="bucket", value_name="ko_lbs")
    return long.groupby(["greige_key", "bucket"], as_index=False)["ko_lbs"].sum()


SAFETY_NOTE = ("σ per sales style = standard deviation of its out-of-sample one-week-ahead forecast errors "
               "(yds, the scored windows of the nested backtest), carried to yarn lbs per week through greige "
               "style, yds/lb and BOM; styles taken as independent: σ_yarn = √Σ (lbs per yd × σ_style)². Safety stock "
               "= z × σ_yarn × √(lead time in weeks); reorder point = mean weekly forecast yarn lbs × lead time "
               "+ safety stock. Lead time: the supplier list, else the default.")


def forecast_safety_stock(frames: Mapping[str, pd.DataFrame], *, as_of: date, forecast: dict | None = None,
                          service_level: float = 0.95, default_lead_time_days: float = 14.0) -> pd.DataFrame:
    """Yarn safety stock and reorder point from the forecast's out-of-sample error (``SAFETY_NOTE``).

    One row per yarn reached by a forecast style: yarn_id, sigma_week_lbs, mean_week_lbs, lead_time_days,
    lead_time_source, safety_stock_lbs, reorder_point_lbs, styles (how many sales styles feed it),
    service_level. ``forecast`` as in ``yarn_forecast_demand``. Raises MissingDataError without the BOM.
    """
    from bk.services.inventory import lead_times, service_z

    if "bom" not in frames:
        raise MissingDataError("forecast safety stock needs the BOM export (bom); upload it on the Data page")
    if forecast is None:
        forecast = forecasting.forecast_all(forecasting._sales(frames), as_of=as_of, level="style", freq="W",
                                            horizon=len(bucket_labels(as_of)) - 1)
    bt = forecast["backtest"]
    one_step = bt.loc[bt["step"] == 1]
    errors = (one_step["selected"] - one_step["actual"]).groupby(one_step["series"])
    sigma = errors.std(ddof=0).where(errors.count() >= 2)
    fc = forecast["forecasts"]
    mean_week = fc.groupby("series")["mean"].mean()
    styles, bom, _ = _resolve_styles(frames, mean_week)
    f = style_yarn_factors(styles, bom)
    f["sigma_lbs"] = f["lbs_per_yd"] * f["sales_style"].map(sigma).astype("float64")
    f["mean_lbs"] = f["lbs_per_yd"] * f["sales_style"].map(mean_week).astype("float64")
    g = f.groupby("yarn_id").agg(sigma_week_lbs=("sigma_lbs", lambda v: float(np.sqrt(np.nansum(v ** 2)))),
                                 mean_week_lbs=("mean_lbs", "sum"), styles=("sales_style", "nunique")).reset_index()
    inventory = frames.get("yarn_inventory")
    supplier = pd.Series(pd.NA, index=g.index, dtype="string")
    if inventory is not None and "supplier" in inventory:
        by_yarn = inventory.drop_duplicates("yarn_id").set_index("yarn_id")["supplier"].astype("string")
        supplier = g["yarn_id"].map(by_yarn).astype("string")
    lead = lead_times(frames, supplier, default_lead_time_days=default_lead_time_days)
    g["lead_time_days"] = lead["lead_time_days"].to_numpy()
    g["lead_time_source"] = lead["lead_time_source"].to_numpy()
    weeks = g["lead_time_days"] / 7.0
    g["safety_stock_lbs"] = service_z(service_level) * g["sigma_week_lbs"] * np.sqrt(weeks)
    g["reorder_point_lbs"] = g["mean_week_lbs"] * weeks + g["safety_stock_lbs"]
    g["service_level"] = service_level
    return g[["yarn_id", "sigma_week_lbs", "mean_week_lbs", "lead_time_days", "lead_time_source", "safety_stock_lbs",
              "reorder_point_lbs", "styles", "service_level"]]


def safety_stock_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float = 0.95) -> dict:
    """``{"safety_stock": forecast_safety_stock(...)}`` with the lead-time default shared by every page."""
    from bk.services.suppliers import default_lead_days

    return {"safety_stock": forecast_safety_stock(frames, as_of=as_of, service_level=service_level,
                                                  default_lead_time_days=default_lead_days())}


OPERATIONS = {"forecast.safety_stock": safety_stock_view}
