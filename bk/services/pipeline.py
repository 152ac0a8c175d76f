"""Fabric pipeline: work in progress by stage (G00 → G02 → I01 → F01, P01), its age and value, and open sales
orders netted against it, earliest quoted date first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import MissingDataError

# kind: (stage, label, date column, style column); the flow order of the fabric
STAGES = {
    "stage_g00": ("G00", "greige at the mill", "knit_date", "style"),
    "stage_g02": ("G02", "greige at the dyer/finisher", "ship_date", "style"),
    "stage_i01": ("I01", "finished, awaiting inspection", "received_date", "finished_style"),
    "stage_f01": ("F01", "finished goods in the warehouse", "received_date", "finished_style"),
    "stage_p01": ("P01", "allocated / packed", "received_date", "finished_style"),
}
AGE_EDGES = (30, 90, 180, 365)  # inclusive upper bounds in whole days
AGE_LABELS = ("0–30 d", "31–90 d", "91–180 d", "181–365 d", ">365 d")
NO_DATE_LABEL = "no date"
LBS_PER_KG = 2.20462
EPS = 1e-9  # yds/lbs below this are float remainders of netting, not stock
NETTING_STAGES = ("p01", "f01", "i01", "g02", "g00", "ko")
UOM_ALIASES = {"yds": "yds", "yd": "yds", "yard": "yds", "yards": "yds",
               "lbs": "lbs", "lb": "lbs", "pounds": "lbs", "kg": "kg", "kgs": "kg"}
GREIGE_ORDER_PREFIX = "(greige)"
MIN_BASE_PREFIX = 4  # a base-prefix match needs at least this many characters
SOURCE_ROLLS, SOURCE_SPEC, SOURCE_MEDIAN = "style's F01/I01 rolls", "QuadS finished spec", "median of all styles"
VALUE_NOTE = ("value = lbs × the yarn content cost of the greige style: Σ BOM fraction × the yarn "
              "inventory's Cost/Pound ÷ Σ fraction, known when every BOM yarn has a cost; G00 by its style, G02 by "
              "its gStyle. Finished stages (I01, F01, P01) carry no cost in the exports: their value is unknown.")


# --------------------------------------------------------------------------------------------- helpers


def _on_uniques(values: pd.Series, fn) -> np.ndarray:
    """``fn`` (a Series -> Series text transform) applied once per distinct value (the exports repeat names);
    an object array with None for missing values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    done = fn(pd.Series(np.asarray(uniques, dtype=object), dtype="string")).to_numpy(dtype=object, na_value=None)
    done = np.append(done, None)  # code -1 (missing) takes the last element
    return done[np.where(codes >= 0, codes, len(done) - 1)]


def _strip(values: pd.Series) -> np.ndarray:
    """Text stripped; '' and missing -> None (object array)."""
    return _on_uniques(values, lambda u: u.str.strip().replace("", None))


def _loose(values: pd.Series) -> np.ndarray:
    """Style text without any white space (ingest already turned runs of white space into single spaces);
    '' and missing -> None (object array)."""
    return _on_uniques(values, lambda u: u.str.replace(" ", "", regex=False).replace("", None))


def _loose_key(text: str) -> str:
    return "".join(text.split())


@dataclass
class _Pool:
    """Quantities by style (stripped) that netting consumes; ``loose`` finds keys without white space."""

    qty: dict[str, float]
    loose: dict[str, list[str]]
    prefix: bool  # greige pools also match styles that start with the key (e.g. CT2222/1 -> CT2222/1AT)
    found: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, styles: pd.Series, qty: pd.Series, *, prefix: bool) -> _Pool:
        keys = _strip(styles)
        amounts = qty.to_numpy(dtype=float, na_value=np.nan)
        ok = (keys != None) & (amounts > 0)  # noqa: E711 -- element-wise on an object array
        sums = pd.Series(amounts[ok]).groupby(keys[ok]).sum()
        loose: dict[str, list[str]] = {}
        for k in sums.index:
            loose.setdefault(_loose_key(k), []).append(k)
        return cls({str(k): float(v) for k, v in sums.items()}, loose, prefix)

    def keys_for(self, style: str | None) -> list[str]:
        """Pool styles serving ``style``: the same name, else the same without spaces, else (greige pools)
        the styles that start with it followed by a non-digit (CT2222/1 -> CT2222/1AT, never CT2222/10)."""
        if not style:
            return []
        if style not in self.found:
            self.found[style] = self._keys_for(style)
        return self.found[style]

    def _keys_for(self, style: str) -> list[str]:
        if style in self.qty:
            return [style]
        key = _loose_key(style)
        if key in self.loose:
            return sorted(self.loose[key])
        if not self.prefix:
            return []
        return sorted(k for lk, ks in self.loose.items() if len(lk) > len(key) and lk.startswith(key)
                      and not lk[len(key)].isdigit() for k in ks)


def _age_days(dates: pd.Series, as_of: date) -> pd.Series:
    """Whole days from each date to ``as_of``; future dates count as 0; NaT stays NaN."""
    days = (pd.Timestamp(as_of).normalize() - pd.to_datetime(dates).dt.normalize()).dt.days
    return days.astype("float64").clip(lower=0.0)


# --------------------------------------------------------------------------------------------- value


def greige_cost_per_lb(frames: Mapping[str, pd.DataFrame], *, styles: set[str] | None = None) -> pd.Series:
    """Yarn content cost per lb by greige style key (no white space): Σ fraction × yarn cost ÷ Σ fraction
    over the style's BOM lines (repeated lines summed), only for styles whose every yarn has a cost > 0 in
    yarn_inventory; limited to ``styles`` (keys without white space) when given. Empty without bom or
    yarn_inventory."""
    bom, inv = frames.get("bom"), frames.get("yarn_inventory")
    if bom is None or inv is None or bom.empty or inv.empty:
        return pd.Series(dtype="float64")
    ids = inv["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    cost_of = {int(i): c for i, c in zip(ids[::-1], inv["cost_per_lb"].to_numpy(dtype=float, na_value=np.nan)[::-1],
                                         strict=True) if np.isfinite(i) and c > 0}
    style = _loose(bom["style"])
    fraction = bom["bom_fraction"].to_numpy(dtype=float, na_value=np.nan)
    yarn = bom["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    ok = (style != None) & np.isfinite(yarn) & (fraction > 0)  # noqa: E711 -- element-wise on an object array
    if styles is not None:
        ok &= np.fromiter((k in styles for k in style), dtype=bool, count=len(style))
    cost = np.array([cost_of.get(int(y), np.nan) for y in yarn[ok]], dtype=float)
    lines = pd.DataFrame({"style": style[ok], "fraction": fraction[ok], "weighted": fraction[ok] * cost,
                          "missing": np.isnan(cost)})
    g = lines.groupby("style", sort=False)
    sums = g[["fraction", "weighted", "missing"]].sum()
    out = sums["weighted"] / sums["fraction"]
    return out[sums["missing"] == 0].astype("float64")


# ----------------------------------------------------------------------------------------------- WIP


def pipeline(frames: Mapping[str, pd.DataFrame], *, as_of: date, aging_days: int = 90) -> dict:
    """Fabric work in progress by stage, its age, its customers and processors, and the old rolls.

    Keys (frames unless said): stages (one row per stage present, in flow order G00, G02, I01, F01, P01:
    stage, label, lbs, yds (NaN where the stage has no yards: G00, G02), rolls, styles, median_age_days,
    aged_rolls, aged_lbs); flow (stage, step, lbs, rolls, share_pct, next_stage: a funnel or Sankey across
    the stages); ages (stage × age bucket 0–30, 31–90, 91–180, 181–365, >365 days, plus 'no date' when a
    roll has none: lbs, yds, rolls; age in whole days from the knit (G00), ship (G02) or received date to
    ``as_of``, future dates count as 0); by_customer, by_processor (stage × name: lbs, rolls; 'unknown' when
    blank; largest first); aged_rolls (per stage, rolls older than ``aging_days``: rolls, lbs, lbs_with_cost,
    value_usd (NaN when no cost is known), oldest_days, cost_source); aged_roll_list (those rolls, oldest
    first: stage, style, roll, customer, lbs, yds, age_days, cost_per_lb, value_usd); summary (JSON: as_of,
    aging_days, stage_lbs, total_lbs, aged_lbs, value_note). ``VALUE_NOTE`` says where the value comes from.

    Raises MissingDataError when no stage export is present, ValueError when ``aging_days`` < 0.
    """
    if not aging_days >= 0:
        raise ValueError(f"aging_days is {aging_days!r}; expected a number of days ≥ 0, e.g. 90")
    present = [k for k in STAGES if k in frames]
    if not present:
        raise MissingDataError("the fabric pipeline needs at least one stage export (eFab_Inventory_G00, G02, I01, "
                               "F01 or P01: stage_g00, stage_g02, stage_i01, stage_f01 or stage_p01); upload them on "
                               "the Data page")
    greige_keys = {kind: _loose(frames[kind][STAGES[kind][3]]) for kind in ("stage_g00", "stage_g02")
                   if kind in frames and STAGES[kind][3] in frames[kind]}
    cost = greige_cost_per_lb(frames, styles={k for keys in greige_keys.values() for k in keys if k}).to_dict()
    stages, ages, customers, processors, aged, aged_rows = [], [], [], [], [], []
    n_buckets = len(AGE_LABELS)
    for kind in present:
        stage, label, date_col, style_col = STAGES[kind]
        f = frames[kind]
        n = len(f)
        lbs = np.nan_to_num(_floats(f, "qty_lbs"), nan=0.0)
        has_yds = "qty_yds" in f
        yds = np.nan_to_num(_floats(f, "qty_yds"), nan=0.0) if has_yds else np.full(n, np.nan)
        age = _age_days(f[date_col], as_of).to_numpy(dtype=float) if date_col in f else np.full(n, np.nan)
        style = _strip(f[style_col]) if style_col in f else np.full(n, None, dtype=object)
        old = age > aging_days
        stages.append({"stage": stage, "label": label, "lbs": float(lbs.sum()),
                       "yds": float(yds.sum()) if has_yds else np.nan, "rolls": int(n),
                       "styles": len(set(style.tolist()) - {None}),
                       "median_age_days": float(np.nanmedian(age)) if np.isfinite(age).any() else np.nan,
                       "aged_rolls": int(old.sum()), "aged_lbs": float(lbs[old].sum())})
        bucket = np.where(np.isnan(age), n_buckets, np.searchsorted(AGE_EDGES, np.nan_to_num(age), side="left"))
        rolls_b = np.bincount(bucket, minlength=n_buckets + 1)
        shown = n_buckets + (1 if rolls_b[n_buckets] else 0)
        for i in range(shown):
            ages.append((stage, (*AGE_LABELS, NO_DATE_LABEL)[i], float(lbs[bucket == i].sum()),
                         float(yds[bucket == i].sum()) if has_yds else np.nan, int(rolls_b[i])))
        for column, sink in (("customer", customers), ("processor", processors)):
            if column in f:
                codes, names = pd.factorize(_strip(f[column]), use_na_sentinel=True)
                names = np.append(np.asarray(names, dtype=object), "unknown")
                codes = np.where(codes < 0, len(names) - 1, codes)
                totals = np.bincount(codes, weights=lbs, minlength=len(names))
                counts = np.bincount(codes, minlength=len(names))
                rows = sorted(((stage, str(names[i]), float(totals[i]), int(counts[i]))
                               for i in range(len(names)) if counts[i]), key=lambda r: (-r[2], r[1]))
                sink.extend(rows)
        if kind in greige_keys:
            roll_cost = np.array([cost.get(k, np.nan) if k else np.nan for k in greige_keys[kind]], dtype=float)
            source = "yarn content (BOM × yarn cost/lb)"
        else:
            roll_cost = np.full(n, np.nan)
            source = "unknown: no cost for finished fabric in the exports"
        known = np.isfinite(roll_cost) & old
        aged.append({"stage": stage, "rolls": int(old.sum()), "lbs": float(lbs[old].sum()),
                     "lbs_with_cost": float(lbs[known].sum()),
                     "value_usd": float((lbs[known] * roll_cost[known]).sum()) if known.any() else np.nan,
                     "oldest_days": float(age[old].max()) if old.any() else np.nan, "cost_source": source})
        if old.any():
            aged_rows.append({
                "stage": np.full(int(old.sum()), stage, dtype=object), "style": style[old],
                "roll": _strip(f["roll"])[old] if "roll" in f else np.full(int(old.sum()), None, dtype=object),
                "customer": (_strip(f["customer"])[old] if "customer" in f
                             else np.full(int(old.sum()), None, dtype=object)),
                "lbs": lbs[old], "yds": yds[old], "age_days": age[old], "cost_per_lb": roll_cost[old],
                "order": np.full(int(old.sum()), len(aged_rows))})
    stage_frame = _typed(pd.DataFrame(stages), text=("stage", "label"))
    total = float(stage_frame["lbs"].sum())
    flow = pd.DataFrame({
        "stage": stage_frame["stage"], "step": np.arange(1, len(stage_frame) + 1, dtype="int64"),
        "lbs": stage_frame["lbs"], "rolls": stage_frame["rolls"],
        "share_pct": 100.0 * stage_frame["lbs"] / total if total else 0.0,
        "next_stage": pd.array([*stage_frame["stage"].iloc[1:], ""], dtype="string")})
    aged_frame = _typed(pd.DataFrame(aged), text=("stage", "cost_source"))
    return {
        "stages": stage_frame,
        "flow": flow,
        "ages": _typed(pd.DataFrame(ages, columns=["stage", "age", "lbs", "yds", "rolls"]), text=("stage", "age")),
        "by_customer": _by_name(customers, "customer"),
        "by_processor": _by_name(processors, "processor"),
        "aged_rolls": aged_frame,
        "aged_roll_list": _roll_list(aged_rows),
        "summary": {"as_of": pd.Timestamp(as_of).date().isoformat(), "aging_days": aging_days,
                    "stage_lbs": {s["stage"].lower(): s["lbs"] for s in stages}, "total_lbs": total,
                    "aged_lbs": float(aged_frame["lbs"].sum()), "value_note": VALUE_NOTE},
    }


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


def _typed(frame: pd.DataFrame, *, text: tuple[str, ...]) -> pd.DataFrame:
    return frame.astype({c: "string" for c in text if c in frame})


def _by_name(rows: list[tuple], column: str) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["stage", column, "lbs", "rolls"])
    return out.astype({"stage": "string", column: "string", "lbs": "float64", "rolls": "int64"})


def _roll_list(parts: list[dict]) -> pd.DataFrame:
    columns = ("stage", "style", "roll", "customer", "lbs", "yds", "age_days", "cost_per_lb")
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    else:
        data = {c: np.concatenate([p[c] for p in parts]) for c in (*columns, "order")}
        order = np.lexsort((data["order"], -data["age_days"]))  # oldest first, then flow order
        out = pd.DataFrame({c: data[c][order] for c in columns})
    out["value_usd"] = out["lbs"] * out["cost_per_lb"]
    return out.astype({c: "string" for c in ("stage", "style", "roll", "customer")})


# ------------------------------------------------------------------------------------- SO netting


def yds_per_lb(frames: Mapping[str, pd.DataFrame]) -> tuple[pd.Series, float]:
    """Yards per pound by finished style (stripped) from the F01 and I01 rolls that carry both: Σ yds ÷ Σ lbs;
    and the median of those per-style ratios (NaN when no roll carries both)."""
    parts = [frames[k] for k in ("stage_f01", "stage_i01")
             if k in frames and {"finished_style", "qty_yds", "qty_lbs"} <= set(frames[k].columns)]
    if not parts:
        return pd.Series(dtype="float64"), float("nan")
    yds = np.concatenate([_floats(p, "qty_yds") for p in parts])
    lbs = np.concatenate([_floats(p, "qty_lbs") for p in parts])
    style = np.concatenate([_strip(p["finished_style"]) for p in parts])
    ok = (yds > 0) & (lbs > 0) & (style != None)  # noqa: E711 -- element-wise on an object array
    g = pd.DataFrame({"style": style[ok], "yds": yds[ok], "lbs": lbs[ok]}).groupby("style")[["yds", "lbs"]].sum()
    ratio = (g["yds"] / g["lbs"]).astype("float64")
    return ratio, float(ratio.median()) if len(ratio) else float("nan")


def spec_yds_per_lb(frames: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Yards per pound by finished style key (no white space) from the QuadS finished fabric list: 1 ÷ lbs
    per yd (= 16 ÷ oz per linear yd). Empty without finished_styles."""
    fs = frames.get("finished_styles")
    if fs is None or fs.empty or "lbs_per_yd" not in fs or "finished_style" not in fs:
        return {}
    per_yd = _floats(fs, "lbs_per_yd")
    keys = _loose(fs["finished_style"])
    ok = (keys != None) & (per_yd > 0)  # noqa: E711 -- element-wise on an object array
    out: dict[str, float] = {}
    for k, v in zip(keys[ok], 1.0 / per_yd[ok], strict=True):
        out.setdefault(k, float(v))
    return out


class _GreigeLookup:
    """The greige style of a sales order via eFab_Styles (fStyle / cFBase → style), the newest row first."""

    def __init__(self, styles: pd.DataFrame | None):
        self.by_fstyle: dict[str, str] = {}
        self.by_fstyle_loose: dict[str, str] = {}
        self.by_base_loose: dict[str, str] = {}
        if styles is None or styles.empty:
            return
        greige = _strip(styles["style"])
        created = (pd.to_datetime(styles["created_date"]).to_numpy(dtype="datetime64[ns]") if "created_date" in styles
                   else np.full(len(styles), np.datetime64("NaT"), dtype="datetime64[ns]"))
        stamp = np.where(np.isnat(created), np.iinfo(np.int64).min, created.astype("int64"))
        # oldest first, and among equal dates the later file row first: in dict(zip(...)) the last wins,
        # so a key takes the greige style of its newest row (the first such row in the file)
        order = np.lexsort((-np.arange(len(stamp)), stamp))
        order = order[greige[order] != None]  # noqa: E711 -- element-wise on an object array
        for target, keys in ((self.by_fstyle, _strip(styles["fstyle"])),
                             (self.by_fstyle_loose, _loose(styles["fstyle"])),
                             (self.by_base_loose, _loose(styles["cf_base"]))):
            target.update(zip(keys[order], greige[order], strict=True))
            target.pop(None, None)

    def find(self, sales_style: str | None, finished_style: str | None) -> tuple[str | None, str]:
        """(greige style, how it was found). A sales style '(Greige) X' names the greige style X itself.
        Otherwise the finished style without its finish ('CT2222-1/0' → 'CT2222-1'), then the sales style
        (cFVersion), each tried against fStyle as written, then without spaces, then its base (before the
        first '-') against cFBase; last, the longest cFBase (≥ 4 characters) that either base starts with.
        A key with several greige styles takes the one of its newest eFab_Styles row."""
        if sales_style and sales_style.lower().startswith(GREIGE_ORDER_PREFIX):
            named = sales_style[len(GREIGE_ORDER_PREFIX):].strip()
            if named:
                return named, "greige style named in the order"
        keys = [k for k in ((finished_style.rsplit("/", 1)[0].strip() if finished_style else None),
                            sales_style) if k]
        for key in keys:
            if key in self.by_fstyle:
                return self.by_fstyle[key], "eFab_Styles fStyle"
            loose, base = _loose_key(key), _loose_key(key.split("-", 1)[0])
            if loose in self.by_fstyle_loose:
                return self.by_fstyle_loose[loose], "eFab_Styles fStyle (without spaces)"
            if base in self.by_base_loose:
                return self.by_base_loose[base], "eFab_Styles cFBase"
        for key in keys:
            base = _loose_key(key.split("-", 1)[0])
            for n in range(len(base) - 1, MIN_BASE_PREFIX - 1, -1):
                if base[:n] in self.by_base_loose:
                    return self.by_base_loose[base[:n]], "eFab_Styles cFBase (base prefix)"
        return None, "not found"


def _style_yds_per_lb(finished: str | None, exact: dict[str, float], loose: dict[str, float],
                      spec: dict[str, float], median: float) -> tuple[float, str]:
    """(yds per lb, where it came from) for one finished style: its own rolls, the QuadS spec, the median."""
    if finished:
        key = _loose_key(finished)
        own = exact.get(finished, loose.get(key))
        if own is not None:
            return own, SOURCE_ROLLS
        if key in spec:
            return spec[key], SOURCE_SPEC
    return median, SOURCE_MEDIAN


def _finished(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    text = str(value).strip()
    return None if text.upper() in ("", "N/A", "NA", "NONE", "-") else text


def net_sales_orders(frames: Mapping[str, pd.DataFrame], *, as_of: date, use_fabric_spec: bool = True) -> dict:
    """Open sales orders netted against the fabric pipeline.

    Open = status 'Open' and balance > 0 (on-hold orders included, flagged in ``on_hold``). Orders are served
    earliest quoted date first (no date last; ties by SO number), each from F01, then I01, then G02 (rolls of
    the same finished style; G02 by its fStyle), then G00 and then open knit-order balances of its greige
    style (``_GreigeLookup``; G00/KO styles that extend it, e.g. CT2222/1 → CT2222/1AT, also serve); the rest
    is uncovered. Before all of these, P01 rolls (allocated / packed) serve the sales order they are packed for
    (P01's SO #, yards), never another order. Every pool is consumed as it serves, so no roll or KO lbs counts
    twice.

    Units: netting is in yards. lbs pools (G02, G00, KO) and lbs orders convert with the finished style's
    yds/lb: its own F01/I01 rolls (Σ yds ÷ Σ lbs, ``yds_per_lb``), else (``use_fabric_spec``) its QuadS
    finished spec (16 ÷ oz per linear yd), else the median of all styles' roll ratios (flagged:
    ``median_yds_per_lb`` = True and a note); ``yds_per_lb_source`` says which. kg orders are × 2.20462 lbs
    first; other UOMs (panels, each, …) are not nettable (``nettable`` False, NaN quantities, noted).

    Keys: orders (one row per open SO in serving order: sales_order, quoted_date, on_hold, sold_to,
    sales_style, finished_style, greige_style, greige_lookup, greige_pool_styles (the G00/KO styles that
    served it), uom, balance_qty, balance_yds, balance_lbs, yds_per_lb, yds_per_lb_source, median_yds_per_lb,
    nettable, covered_<p01|f01|i01|g02|g00|ko>_yds, covered_yds, uncovered_yds, uncovered_lbs, coverage_pct (of
    balance_yds), note); by_style (per finished style: orders, balance_yds, covered per stage, uncovered_yds,
    coverage_pct); summary (JSON: open_so_count, nettable_count, not_nettable, so_balance_yds, so_covered_yds,
    so_uncovered_yds, covered_by_stage_yds, coverage_pct, median_yds_per_lb, median_yds_per_lb_used,
    yds_per_lb_sources, greige_not_found, on_hold_count, stages_missing).

    Raises MissingDataError without the sales order export.
    """
    so = frames.get("sales_orders")
    if so is None:
        raise MissingDataError("sales-order netting needs the sales order export (eFab_SO_List, sales_orders); "
                               "upload it on the Data page")
    status = _on_uniques(so["status"], lambda u: u.str.strip().str.lower())
    balance = so["balance_qty"].astype("float64").to_numpy(dtype=float, na_value=np.nan)
    is_open = (status == "open") & (balance > 0)
    o = pd.DataFrame({
        "sales_order": _strip(so["sales_order"])[is_open],
        "quoted_date": (pd.to_datetime(so["quoted_date"]).to_numpy()[is_open] if "quoted_date" in so
                        else np.full(int(is_open.sum()), np.datetime64("NaT"), dtype="datetime64[ns]")),
        "on_hold": (pd.array(so["on_hold"], dtype="boolean")[is_open] if "on_hold" in so
                    else pd.array([pd.NA] * int(is_open.sum()), dtype="boolean")),
        "sold_to": (_strip(so["sold_to"])[is_open] if "sold_to" in so else None),
        "sales_style": _strip(so["sales_style"])[is_open],
        "finished_style": [_finished(v) for v in so["finished_style"].to_numpy(dtype=object)[is_open]],
        "uom": _on_uniques(so["uom"], lambda u: u.str.strip().str.lower())[is_open],
        "balance_qty": balance[is_open],
    })
    o["_so_key"] = o["sales_order"].fillna("")
    o = o.sort_values(["quoted_date", "_so_key"], na_position="last", kind="stable").drop(columns="_so_key")
    o = o.reset_index(drop=True)

    ratio, median = yds_per_lb(frames)
    ratio_exact = {str(k): float(v) for k, v in ratio.items()}
    ratio_loose = {_loose_key(k): v for k, v in ratio_exact.items()}
    spec = spec_yds_per_lb(frames) if use_fabric_spec else {}
    greige = _GreigeLookup(frames.get("styles"))
    kos = frames.get("knit_orders")
    open_kos = kos.loc[(kos["balance_lbs"] > 0).to_numpy(dtype=bool)] if kos is not None else None
    pools = {
        "p01": _stage_pool(frames, "stage_p01", "sales_order", "qty_yds", prefix=False),
        "f01": _stage_pool(frames, "stage_f01", "finished_style", "qty_yds", prefix=False),
        "i01": _stage_pool(frames, "stage_i01", "finished_style", "qty_yds", prefix=False),
        "g02": _stage_pool(frames, "stage_g02", "finished_style", "qty_lbs", prefix=False),
        "g00": _stage_pool(frames, "stage_g00", "style", "qty_lbs", prefix=True),
        "ko": (_Pool.of(open_kos["style"], open_kos["balance_lbs"].astype("float64"), prefix=True)
               if open_kos is not None else _Pool({}, {}, True)),
    }
    in_yds = {"p01": True, "f01": True, "i01": True, "g02": False, "g00": False, "ko": False}
    rows = []
    for r in o.itertuples(index=False):
        notes = []
        fin, sales_style = _finished(r.finished_style), _finished(r.sales_style)
        per_lb, source = _style_yds_per_lb(fin, ratio_exact, ratio_loose, spec, median)
        if source == SOURCE_MEDIAN:
            notes.append("yds/lb: median of all styles" if math.isfinite(median) else "yds/lb unknown")
        uom = UOM_ALIASES.get(_finished(r.uom) or "", None)
        qty = float(r.balance_qty)
        lbs = {"yds": qty / per_lb if per_lb else np.nan, "lbs": qty, "kg": qty * LBS_PER_KG}.get(uom, np.nan)
        need_yds = qty if uom == "yds" else lbs * per_lb if uom in ("lbs", "kg") else np.nan
        nettable = bool(np.isfinite(need_yds))
        if uom is None:
            notes.append(f"UOM '{r.uom}' cannot be netted")
        elif not nettable:
            notes.append(f"{r.uom} cannot be converted to yds: no yds/lb known")
        g_style, how = greige.find(sales_style, fin)
        if g_style is None:
            notes.append("no greige style found in eFab_Styles")
        covered = dict.fromkeys(NETTING_STAGES, 0.0)
        pool_styles: list[str] = []
        left = need_yds if nettable else 0.0
        for stage in NETTING_STAGES:
            key = (_finished(r.sales_order) if stage == "p01" else fin if stage in ("f01", "i01", "g02")
                   else g_style)
            pool = pools[stage]
            factor = 1.0 if in_yds[stage] else per_lb  # yds per pool unit
            if not math.isfinite(factor) or factor <= 0:
                continue
            for k in pool.keys_for(key):
                if left <= EPS:
                    break
                take = min(left, pool.qty[k] * factor)
                if take > EPS:
                    # what is left of a pool or an order below EPS is float dust, not stock
                    pool.qty[k] = 0.0 if take == pool.qty[k] * factor else pool.qty[k] - take / factor
                    covered[stage] += take
                    left = 0.0 if take == left else left - take
                    if stage in ("g00", "ko") and k not in pool_styles:
                        pool_styles.append(k)
        covered_yds = sum(covered.values())
        rows.append({
            "sales_order": r.sales_order, "quoted_date": r.quoted_date, "on_hold": r.on_hold, "sold_to": r.sold_to,
            "sales_style": sales_style, "finished_style": fin, "greige_style": g_style, "greige_lookup": how,
            "greige_pool_styles": ", ".join(pool_styles), "uom": r.uom, "balance_qty": qty,
            "balance_yds": need_yds if nettable else np.nan, "balance_lbs": lbs if nettable else np.nan,
            "yds_per_lb": per_lb, "yds_per_lb_source": source, "median_yds_per_lb": source == SOURCE_MEDIAN,
            "nettable": nettable,
            **{f"covered_{s}_yds": v for s, v in covered.items()},
            "covered_yds": covered_yds if nettable else np.nan,
            "uncovered_yds": left if nettable else np.nan,
            "uncovered_lbs": left / per_lb if nettable and per_lb else np.nan,
            "coverage_pct": min(100.0, 100.0 * covered_yds / need_yds) if nettable and need_yds > 0 else np.nan,
            "note": "; ".join(notes),
        })
    orders = _orders_frame(rows)
    missing = [STAGES[k][0] for k in ("stage_f01", "stage_i01", "stage_g02", "stage_g00") if k not in frames]
    if kos is None:
        missing.append("knit orders")
    return {"orders": orders, "by_style": _by_style(orders),
            "summary": _netting_summary(orders, median=median, missing=missing)}


def _stage_pool(frames: Mapping[str, pd.DataFrame], kind: str, style_col: str, qty_col: str, *,
                prefix: bool) -> _Pool:
    f = frames.get(kind)
    if f is None or f.empty or style_col not in f or qty_col not in f:
        return _Pool({}, {}, prefix)
    return _Pool.of(f[style_col], f[qty_col].astype("float64").fillna(0.0), prefix=prefix)


_ORDER_TEXT = ("sales_order", "sold_to", "sales_style", "finished_style", "greige_style", "greige_lookup",
               "greige_pool_styles", "uom", "yds_per_lb_source", "note")
_ORDER_FLOAT = ("balance_qty", "balance_yds", "balance_lbs", "yds_per_lb", *(f"covered_{s}_yds" for s in
                NETTING_STAGES), "covered_yds", "uncovered_yds", "uncovered_lbs", "coverage_pct")
_ORDER_COLUMNS = ("sales_order", "quoted_date", "on_hold", "sold_to", "sales_style", "finished_style",
                  "greige_style", "greige_lookup", "greige_pool_styles", "uom", "balance_qty", "balance_yds",
                  "balance_lbs", "yds_per_lb", "yds_per_lb_source", "median_yds_per_lb", "nettable",
                  *(f"covered_{s}_yds" for s in NETTING_STAGES), "covered_yds", "uncovered_yds", "uncovered_lbs",
                  "coverage_pct", "note")


def _orders_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(_ORDER_COLUMNS))
    frame = frame.astype({**{c: "string" for c in _ORDER_TEXT}, **{c: "float64" for c in _ORDER_FLOAT},
                          "median_yds_per_lb": "bool", "nettable": "bool", "on_hold": "boolean"})
    frame["quoted_date"] = pd.to_datetime(frame["quoted_date"]).astype("datetime64[ns]")
    return frame


def _by_style(orders: pd.DataFrame) -> pd.DataFrame:
    cols = ["balance_yds", *(f"covered_{s}_yds" for s in NETTING_STAGES), "uncovered_yds"]
    n = orders.loc[orders["nettable"]]
    key = n["finished_style"].fillna(n["sales_style"]).fillna("unknown").rename("finished_style")
    g = n.groupby(key, sort=True)
    out = g[cols].sum()
    out.insert(0, "orders", g.size().astype("int64"))
    out["coverage_pct"] = np.where(out["balance_yds"] > 0,
                                   100.0 * (1 - out["uncovered_yds"] / out["balance_yds"].where(
                                       out["balance_yds"] > 0)), np.nan)
    out = out.reset_index().astype({"finished_style": "string"})
    return out.sort_values(["uncovered_yds", "finished_style"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def _netting_summary(orders: pd.DataFrame, *, median: float, missing: list[str]) -> dict:
    n = orders.loc[orders["nettable"]]
    balance = float(n["balance_yds"].sum())
    covered = float(n["covered_yds"].sum())
    return {
        "open_so_count": int(len(orders)),
        "nettable_count": int(len(n)),
        "not_nettable": int((~orders["nettable"]).sum()),
        "so_balance_yds": balance,
        "so_covered_yds": covered,
        "so_uncovered_yds": float(n["uncovered_yds"].sum()),
        "covered_by_stage_yds": {s: float(n[f"covered_{s}_yds"].sum()) for s in NETTING_STAGES},
        "coverage_pct": 100.0 * covered / balance if balance > 0 else None,
        "median_yds_per_lb": median if math.isfinite(median) else None,
        "median_yds_per_lb_used": int(orders["median_yds_per_lb"].sum()),
        "yds_per_lb_sources": {k: int((orders["yds_per_lb_source"] == k).sum())
                               for k in (SOURCE_ROLLS, SOURCE_SPEC, SOURCE_MEDIAN)},
        "greige_not_found": int(orders["greige_style"].isna().sum()),
        "on_hold_count": int(orders["on_hold"].fillna(False).sum()),
        "stages_missing": missing,
    }


# ------------------------------------------------------------------------------------------- report


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``pipeline`` section of ``python -m bk report``: stage_lbs {g00, g02, i01, f01, p01} (Σ Qty (lbs); 0.0
    when a stage export is absent), open_so_count, so_balance_yds (nettable open SOs, lbs/kg converted) and
    so_uncovered_yds after netting; plain ints and floats. Raises MissingDataError without sales orders."""
    stage_lbs = {}
    for key in ("g00", "g02", "i01", "f01", "p01"):
        f = frames.get(f"stage_{key}")
        stage_lbs[key] = float(f["qty_lbs"].astype("float64").sum()) if f is not None and "qty_lbs" in f else 0.0
    s = net_sales_orders(frames, as_of=as_of)["summary"]
    return {"stage_lbs": stage_lbs, "open_so_count": int(s["open_so_count"]),
            "so_balance_yds": float(s["so_balance_yds"]), "so_uncovered_yds": float(s["so_uncovered_yds"])}


OPERATIONS = {"pipeline.wip": pipeline, "pipeline.netting": net_sales_orders}
