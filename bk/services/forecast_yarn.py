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

CONSUMPTION_NOTE = ("In each week the forecast of a greige style (lbs) is reduced by the larger of its open sales "
                    "orders due that week and its open knit-order lbs knitted that week (orders due before the "
                    "as-of week or without a quoted date count in the as-of week); the knit orders are knit for "
                    "those orders, so the two are not added. Weeks do not consume each other. Forecast beyond the "
                    "9 weekly buckets is not counted ('later' stays 0).")


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


def consume(forecast_lbs: pd.Series, so_lbs: pd.Series, ko_lbs: pd.Series) -> pd.Series:
    """Forecast left after consumption, element by element: max(0, forecast − max(orders, knit orders))."""
    covered = np.maximum(so_lbs.fillna(0.0).to_numpy(), ko_lbs.fillna(0.0).to_numpy())
    return pd.Series(np.clip(forecast_lbs.to_numpy() - covered, 0.0, None), index=forecast_lbs.index)


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
                         production_lead_weeks: int = 0) -> dict:
    """Yarn lbs per bucket that the sales forecast adds to the open knit orders' demand.

    Chain: forecast per sales style and week (yds; ``forecast`` is a ``forecasting.forecast_all`` result at
    style level, weekly, starting at the as-of week; by default it is computed with 9 weeks of horizon) →
    greige style (eFab_Styles, see pipeline's greige lookup) → greige lbs (÷ ``sales_style_yds_per_lb``) →
    forecast consumption per greige style and week (``CONSUMPTION_NOTE``) → BOM (``_bom_styles``; with several
    BOM styles the lbs are split evenly among them) → yarn lbs. ``production_lead_weeks`` moves the
    demand that many weeks earlier (what moves before the as-of week lands in it).

    Keys: demand (one row per yarn_id: yarn_id and exactly ``bucket_labels(as_of)``, lbs), evidence (one row
    per yarn × sales style × week with lbs > 0: yarn_id, style (sales), series, model, week, lbs, greige_style,
    forecast_yds, forecast_lbs, consumed_lbs, net_lbs, fraction, yds_per_lb, yds_per_lb_source), styles (one row
    per forecast sales style: greige_style, bom_match, bom_styles, yds_per_lb, yds_per_lb_source, forecast_yds, status),
    summary. Raises MissingDataError without the sales activity report or the BOM.
    """
    if "bom" not in frames:
        raise MissingDataError("forecast yarn demand needs the BOM export (bom); upload it on the Data page")
    labels = bucket_labels(as_of)
    weeks = labels[:-1]
    if forecast is None:
        forecast = forecasting.forecast_all(forecasting._sales(frames), as_of=as_of, level="style", freq="W",
                                            horizon=len(weeks))
    fc = forecast["forecasts"]
    fc = fc.assign(week_start=pd.to_datetime(fc["period"]) - pd.Timedelta(weeks=production_lead_weeks))
    fc["bucket"] = _bucket_of(fc["week_start"], as_of)
    fc = fc.loc[fc["bucket"] != LATER]
    styles_fc = fc.groupby("series")["mean"].sum()

    styles, bom, greige = _resolve_styles(frames, styles_fc)
    per_lb = dict(zip(styles["sales_style"], styles["yds_per_lb"], strict=True))

    lines = fc.merge(styles, left_on="series", right_on="sales_style", how="inner")
    lines = lines.loc[lines["greige_key"].notna()].copy()
    lines["forecast_yds"] = lines["mean"].astype("float64")
    lines["forecast_lbs"] = lines["forecast_yds"] / lines["yds_per_lb"]
    lines = lines.groupby(["series", "model", "greige_key", "greige_style", "bucket", "yds_per_lb",
                           "yds_per_lb_source", "bom_styles", "n_bom_styles"], as_index=False, dropna=False)[
        ["forecast_yds", "forecast_lbs"]].sum()

    # what already covers each greige style and week: open sales orders, open knit orders (as knitted)
    so = open_order_lbs(frames, as_of=as_of, greige=greige, per_lb=per_lb)
    ko = _knit_order_lbs(frames, as_of=as_of, bom=bom)
    g = lines.groupby(["greige_key", "bucket"], as_index=False)["forecast_lbs"].sum()
    g["so_lbs"] = _sum_family(g, so, "so_lbs")
    g["ko_lbs"] = _sum_family(g, ko, "ko_lbs")
    g["net_lbs"] = consume(g["forecast_lbs"], g["so_lbs"], g["ko_lbs"])
    lines = lines.merge(g.rename(columns={"forecast_lbs": "greige_forecast_lbs"}), on=["greige_key", "bucket"])
    share = np.where(lines["greige_forecast_lbs"] > 0, lines["forecast_lbs"] / lines["greige_forecast_lbs"], 0.0)
    lines["net_lbs"] = lines["net_lbs"] * share
    lines["consumed_lbs"] = lines["forecast_lbs"] - lines["net_lbs"]

    # through the BOM: each BOM style the greige style stands for takes an even share
    expanded = lines.loc[lines["n_bom_styles"] > 0].assign(
        style_key=lambda f: f["bom_styles"].str.split(", ")).explode("style_key")
    expanded["net_lbs_style"] = expanded["net_lbs"] / expanded["n_bom_styles"]
    ev = expanded.merge(bom[["style_key", "yarn_id", "fraction"]], on="style_key", how="inner")
    ev["lbs"] = ev["net_lbs_style"] * ev["fraction"]
    ev = ev.loc[ev["lbs"] > 0]
    evidence = pd.DataFrame({
        "yarn_id": ev["yarn_id"].astype("int64"), "style": ev["series"].astype("string"),
        "series": ev["series"].astype("string"), "model": ev["model"].astype("string"),
        "week": ev["bucket"].astype("string"), "lbs": ev["lbs"].astype("float64"),
        "greige_style": ev["greige_style"].astype("string"), "bom_style": ev["style_key"].astype("string"),
        "forecast_yds": ev["forecast_yds"], "forecast_lbs": ev["forecast_lbs"], "consumed_lbs": ev["consumed_lbs"],
        "net_lbs": ev["net_lbs"], "fraction": ev["fraction"], "yds_per_lb": ev["yds_per_lb"],
        "yds_per_lb_source": ev["yds_per_lb_source"].astype("string"),
    }).sort_values(["yarn_id", "week", "style"]).reset_index(drop=True)
    wide = evidence.pivot_table(index="yarn_id", columns="week", values="lbs", aggfunc="sum", fill_value=0.0)
    demand = wide.reindex(columns=labels, fill_value=0.0).reset_index()
    demand.columns.name = None
    demand = demand.astype({c: "float64" for c in labels})
    total_fc = float(lines["forecast_lbs"].sum())
    summary = {
        "as_of": as_of.isoformat(), "first_week": weeks[0], "series": int(len(styles)),
        "series_with_bom": int((styles["status"] == "ok").sum()),
        "series_without_greige": int((styles["status"] == "no greige style in eFab_Styles").sum()),
        "series_without_bom": int((styles["status"] == "no BOM for the greige style").sum()),
        "forecast_yds": float(styles["forecast_yds"].sum()), "forecast_lbs": total_fc,
        "consumed_lbs": float(lines["consumed_lbs"].sum()), "net_lbs": float(lines["net_lbs"].sum()),
        "yarn_lbs": float(evidence["lbs"].sum()), "yarns": int(len(demand)),
        "production_lead_weeks": production_lead_weeks, "consumption": CONSUMPTION_NOTE,
    }
    return {"demand": demand, "evidence": evidence, "styles": styles, "consumption": g, "summary": summary}


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


def _sum_family(rows: pd.DataFrame, cover: pd.DataFrame, column: str) -> pd.Series:
    """For each (greige_key, bucket) of ``rows``: Σ ``column`` of ``cover`` over its styles of the same family
    (the key itself or styles extending it, see ``_family_matches``) in the same bucket."""
    if cover.empty:
        return pd.Series(0.0, index=rows.index)
    by_key = {k: f.set_index("bucket")[column] for k, f in cover.groupby("greige_key")}
    keys = list(by_key)
    found: dict[str, list[str]] = {}
    out = []
    for key, bucket in zip(rows["greige_key"], rows["bucket"], strict=True):
        if key not in found:
            found[key] = _family_matches(key, keys)
        out.append(sum(float(by_key[k].get(bucket, 0.0)) for k in found[key]))
    return pd.Series(out, index=rows.index, dtype="float64")


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
