"""Inventory pipeline: fabric work in progress by stage (G00 → G02 → I01 → F01, P01), its age, and open sales
orders netted against it, earliest quoted date first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services.yarn import _norm_key

STAGES = {  # kind: (label, date column, style column)
    "stage_g00": ("G00 greige at the mill", "knit_date", "style"),
    "stage_g02": ("G02 greige at the dyer", "ship_date", "style"),
    "stage_i01": ("I01 finished, awaiting inspection", "received_date", "finished_style"),
    "stage_f01": ("F01 finished goods", "received_date", "finished_style"),
    "stage_p01": ("P01 allocated / packed", "received_date", "finished_style"),
}
AGE_BINS = [-np.inf, 30, 90, 180, 365, np.inf]
AGE_LABELS = ["0–30 d", "31–90 d", "91–180 d", "181–365 d", ">365 d"]
LBS_PER_KG = 2.20462


def wip(frames: Mapping[str, pd.DataFrame], *, as_of: date, aging_days: int = 90) -> dict:
    """Stage totals, age buckets, customers/processors and old rolls.

    Keys: stages (one row per stage present: lbs, yds, rolls, styles), ages (stage × age bucket lbs/rolls),
    by_customer, by_processor, aged_rolls (rolls older than ``aging_days`` with lbs and greige value where the
    greige price is known), summary. Value: G00/G02 rolls × the greige style's price per lb from the QuadS
    greige list; finished stages have no cost in the exports, so their value is not given.
    """
    present = [k for k in STAGES if k in frames]
    if not present:
        raise MissingDataError("the pipeline needs at least one stage export (eFab_Inventory_G00/G02/I01/F01); "
                               "upload them on the Data page")
    price = _greige_prices(frames)
    stages, ages, customers, processors, aged = [], [], [], [], []
    for kind in present:
        label, date_col, style_col = STAGES[kind]
        f = frames[kind]
        age = (pd.Timestamp(as_of) - f[date_col]).dt.days if date_col in f else pd.Series(np.nan, index=f.index)
        lbs = f["qty_lbs"].astype("float64")
        yds = f["qty_yds"].astype("float64") if "qty_yds" in f else pd.Series(np.nan, index=f.index)
        stage = kind.removeprefix("stage_").upper()
        stages.append({"stage": stage, "label": label, "lbs": float(lbs.sum()),
                       "yds": float(yds.sum()) if "qty_yds" in f else None, "rolls": int(len(f)),
                       "styles": int(f[style_col].nunique()), "median_age_days": float(age.median())
                       if age.notna().any() else None})
        bucket = pd.cut(age, AGE_BINS, labels=AGE_LABELS)
        a = pd.DataFrame({"lbs": lbs, "bucket": bucket}).groupby("bucket", observed=False)["lbs"].agg(["sum", "size"])
        ages.append(pd.DataFrame({"stage": stage, "age": AGE_LABELS, "lbs": a["sum"].to_numpy(),
                                  "rolls": a["size"].to_numpy()}))
        if "customer" in f:
            c = lbs.groupby(f["customer"].astype("string").fillna("unknown")).sum()
            customers.append(pd.DataFrame({"stage": stage, "customer": c.index, "lbs": c.to_numpy()}))
        if "processor" in f:
            p = lbs.groupby(f["processor"].astype("string").fillna("unknown")).sum()
            processors.append(pd.DataFrame({"stage": stage, "processor": p.index, "lbs": p.to_numpy()}))
        old = age > aging_days
        if old.any():
            value = np.nan
            if kind in ("stage_g00", "stage_g02") and len(price):
                value = (lbs[old] * _norm_key(f.loc[old, "style"]).astype(object).map(price).astype("float64")).sum()
            aged.append({"stage": stage, "rolls": int(old.sum()), "lbs": float(lbs[old].sum()),
                         "value_usd": None if value is np.nan or pd.isna(value) else float(value),
                         "oldest_days": float(age[old].max())})
    stage_frame = pd.DataFrame(stages)
    return {
        "stages": stage_frame,
        "ages": pd.concat(ages, ignore_index=True).astype({"stage": "string", "age": "string"}),
        "by_customer": _concat(customers, ["stage", "customer", "lbs"]),
        "by_processor": _concat(processors, ["stage", "processor", "lbs"]),
        "aged_rolls": pd.DataFrame(aged, columns=["stage", "rolls", "lbs", "value_usd", "oldest_days"]),
        "summary": {"aging_days": aging_days, "stage_lbs": {s["stage"].lower(): s["lbs"] for s in stages},
                    "value_note": "greige value = lbs × QuadS greige price; finished stages carry no cost"},
    }


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["stage", "lbs"], ascending=[True, False]).reset_index(drop=True).astype(
        {c: "string" for c in columns if c != "lbs"})


def _greige_prices(frames: Mapping[str, pd.DataFrame]) -> pd.Series:
    g = frames.get("greige_styles")
    if g is None or "price_usd" not in g:
        return pd.Series(dtype="float64")
    p = g.dropna(subset=["price_usd"])
    keys = _norm_key(p["style"]).astype(object)
    return pd.Series(p["price_usd"].to_numpy(dtype=float), index=keys).groupby(level=0).first()


# ---------------------------------------------------------------------------------- sales-order netting


def yds_per_lb(frames: Mapping[str, pd.DataFrame]) -> tuple[pd.Series, float]:
    """Yards per pound by finished style from rolls carrying both (F01, I01): Σ yds ÷ Σ lbs; and the median."""
    parts = [frames[k][["finished_style", "qty_yds", "qty_lbs"]] for k in ("stage_f01", "stage_i01") if k in frames]
    if not parts:
        return pd.Series(dtype="float64"), float("nan")
    rolls = pd.concat(parts, ignore_index=True)
    rolls = rolls[(rolls["qty_yds"] > 0) & (rolls["qty_lbs"] > 0)]
    g = rolls.groupby(_norm_key(rolls["finished_style"]).astype(object))[["qty_yds", "qty_lbs"]].sum()
    ratio = g["qty_yds"] / g["qty_lbs"]
    return ratio, float(ratio.median()) if len(ratio) else float("nan")


def _greige_of(frames: Mapping[str, pd.DataFrame], sales_style: pd.Series, finished: pd.Series) -> pd.Series:
    """Greige style of each SO via eFab_Styles (fStyle/cFBase → style): exact key, then without spaces (both
    normalised), then the base before the version; NA when none matches."""
    styles = frames.get("styles")
    if styles is None:
        return pd.Series(pd.NA, index=sales_style.index, dtype="string")
    lookup = {}
    for col in ("cf_base", "fstyle"):
        keys = _norm_key(styles[col]).astype(object)
        for k, g in zip(keys, styles["style"].astype(str), strict=True):
            lookup.setdefault(k, g)
    s_key = _norm_key(sales_style).astype(object)
    f_key = _norm_key(finished.str.rsplit("/", n=1).str[0]).astype(object)
    base_key = s_key.str.split("-").str[0]
    out = s_key.map(lookup)
    out = out.fillna(f_key.map(lookup))
    out = out.fillna(base_key.map(lookup))
    return out.astype("string")


def net_sales_orders(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """Open SO balances (status Open, balance > 0) served earliest quoted date first (then SO number) from
    F01, then I01, then G02 (by finished style), then G00 and open KOs (by greige style); the rest is uncovered.
    Each pool is consumed, so no stock is counted twice. Quantities in yds; lbs convert with the style's own
    yds/lb (F01/I01 rolls), else the median of all styles (flagged); kg → lbs × 2.20462; other UOMs are listed
    as not nettable.

    Keys: orders (one row per open SO: covered_<stage>_yds, uncovered_yds/lbs, coverage_pct, note), summary.
    """
    if "sales_orders" not in frames:
        raise MissingDataError("sales-order netting needs the sales order export (eFab_SO_List); upload it on the "
                               "Data page")
    so = frames["sales_orders"]
    status = so["status"].astype("string").str.strip().str.lower()
    open_so = so.loc[(status == "open") & (so["balance_qty"] > 0)].copy()
    open_so["quoted_date"] = open_so["quoted_date"] if "quoted_date" in open_so else pd.NaT
    open_so = open_so.sort_values(["quoted_date", "sales_order"], na_position="last", kind="mergesort")
    ratio, median = yds_per_lb(frames)
    fin_key = _norm_key(open_so["finished_style"]).astype(object)
    own = fin_key.map(ratio).astype("float64")
    open_so["yds_per_lb"] = own.fillna(median)
    open_so["yds_per_lb_source"] = np.where(own.notna(), "style's rolls", "median of all styles")
    open_so["greige_style"] = _greige_of(frames, open_so["sales_style"].astype("string"),
                                         open_so["finished_style"].astype("string"))
    uom = open_so["uom"].astype("string").str.lower().str.strip()
    qty = open_so["balance_qty"].astype("float64")
    balance_yds = np.select([uom == "yds", uom == "lbs", uom == "kg"],
                            [qty, qty * open_so["yds_per_lb"], qty * LBS_PER_KG * open_so["yds_per_lb"]], np.nan)
    open_so["balance_yds"] = balance_yds
    pools = _pools(frames)
    open_so["fin_key"] = fin_key
    open_so["greige_key"] = _norm_key(open_so["greige_style"]).astype(object)
    rows = []
    for r in open_so.itertuples(index=False):
        need = r.balance_yds
        covered = dict.fromkeys(("f01", "i01", "g02", "g00", "ko"), 0.0)
        note = []
        if not np.isfinite(need):
            note.append(f"UOM '{r.uom}' cannot be netted")
            need = 0.0
        if r.yds_per_lb_source != "style's rolls":
            note.append("yds/lb from the median of all styles")
        fin, greige, ratio_ = r.fin_key, r.greige_key, r.yds_per_lb
        for stage, key, unit in (("f01", fin, "yds"), ("i01", fin, "yds"), ("g02", fin, "lbs"),
                                 ("g00", greige, "lbs"), ("ko", greige, "lbs")):
            if need <= 0 or key is None or pd.isna(key):
                continue
            pool = pools[stage]
            have = pool.get(key, 0.0)
            have_yds = have if unit == "yds" else have * ratio_
            take = min(need, have_yds)
            if take > 0:
                pool[key] = have - (take if unit == "yds" else take / ratio_)
                covered[stage] = take
                need -= take
        if pd.isna(r.greige_style):
            note.append("no greige style found in eFab_Styles")
        uncovered = need if np.isfinite(r.balance_yds) else np.nan
        rows.append({
            "sales_order": r.sales_order, "quoted_date": r.quoted_date, "sales_style": r.sales_style,
            "finished_style": r.finished_style, "greige_style": r.greige_style, "uom": r.uom, "balance_qty": r.balance_qty,
            "balance_yds": r.balance_yds, "yds_per_lb": ratio_, "yds_per_lb_source": r.yds_per_lb_source,
            **{f"covered_{k}_yds": v for k, v in covered.items()},
            "uncovered_yds": uncovered, "uncovered_lbs": uncovered / ratio_ if ratio_ else np.nan,
            "coverage_pct": 100 * (1 - uncovered / r.balance_yds) if np.isfinite(r.balance_yds) and r.balance_yds
            else np.nan,
            "note": "; ".join(note),
        })
    orders = pd.DataFrame(rows)
    if orders.empty:
        orders = pd.DataFrame(columns=["sales_order", "balance_yds", "uncovered_yds", "coverage_pct", "note"])
    orders = orders.astype({c: "string" for c in ("sales_order", "sales_style", "finished_style", "greige_style",
                                                  "uom", "yds_per_lb_source", "note") if c in orders})
    return {"orders": orders, "summary": _netting_summary(orders)}


def _pools(frames: Mapping[str, pd.DataFrame]) -> dict[str, dict]:
    def pool(kind: str, style_col: str, qty_col: str, rows: pd.DataFrame | None = None) -> dict:
        f = rows if rows is not None else frames.get(kind)
        if f is None or len(f) == 0:
            return {}
        return f[qty_col].astype("float64").groupby(_norm_key(f[style_col]).astype(object)).sum().to_dict()

    kos = frames.get("knit_orders")
    open_kos = kos.loc[kos["balance_lbs"] > 0] if kos is not None else None
    return {"f01": pool("stage_f01", "finished_style", "qty_yds"),
            "i01": pool("stage_i01", "finished_style", "qty_yds"),
            "g02": pool("stage_g02", "finished_style", "qty_lbs"),
            "g00": pool("stage_g00", "style", "qty_lbs"),
            "ko": pool("knit_orders", "style", "balance_lbs", open_kos)}


def _netting_summary(orders: pd.DataFrame) -> dict:
    nettable = orders["balance_yds"].notna() if len(orders) else pd.Series(dtype=bool)
    return {
        "open_so_count": int(len(orders)),
        "so_balance_yds": float(orders.loc[nettable, "balance_yds"].sum()) if len(orders) else 0.0,
        "so_uncovered_yds": float(orders.loc[nettable, "uncovered_yds"].sum()) if len(orders) else 0.0,
        "not_nettable": int((~nettable).sum()) if len(orders) else 0,
        "median_yds_per_lb_used": int(orders["note"].str.contains("median", na=False).sum()) if len(orders) else 0,
    }


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``pipeline`` keys of ``python -m bk report``."""
    stage_lbs = {k: float(frames[f"stage_{k}"]["qty_lbs"].sum()) if f"stage_{k}" in frames else 0.0
                 for k in ("g00", "g02", "i01", "f01")}
    netting = net_sales_orders(frames, as_of=as_of)["summary"]
    return {"stage_lbs": stage_lbs, "open_so_count": netting["open_so_count"],
            "so_balance_yds": netting["so_balance_yds"], "so_uncovered_yds": netting["so_uncovered_yds"]}


OPERATIONS = {"pipeline.wip": wip, "pipeline.netting": net_sales_orders}
