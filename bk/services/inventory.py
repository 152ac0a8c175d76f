"""Inventory analyzer: yarn positions, shortages, usage and weeks of cover, ABC, safety stock and reorder
points, roll-ups and chart data (what changed between two snapshots is ``briefing.diff``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services import suppliers as suppliers_service

ABC_CUTS = (0.80, 0.95)  # A: the items making up the first 80 % of annual consumption value, B: next 15 %, C: rest
PLANNING_TOLERANCE_LBS = 0.015  # the export rounds each column to 0.01 lbs: three roundings stay below this
WEEKS_PER_YEAR = 52.0
SIGMA_METHODS = ("cv", "ko_buckets")
COVER_BINS = (0.0, 2.0, 4.0, 8.0, 13.0, 26.0, 52.0, np.inf)
COVER_LABELS = ("0–2", "2–4", "4–8", "8–13", "13–26", "26–52", "52+")
NO_USAGE_LABEL = "no usage (∞)"
VALUE_BY_SUPPLIER_TOP = 15

POSITION_COLUMNS = (
    "yarn_id", "supplier", "description", "color", "yarn_type",
    "on_hand_lbs", "allocated_lbs", "on_order_lbs", "planning_balance_lbs", "planning_balance_calc_lbs",
    "planning_diff_lbs", "planning_identity_ok", "cost_per_lb", "value_usd", "consumed_lbs",
    "shortage_now", "shortage_lbs", "first_shortage_week", "shortage_projected",
    "weeks_since_reconcile", "weekly_usage_lbs", "usage_source", "weeks_of_cover",
    "annual_consumption_lbs", "annual_value_usd", "abc",
    "lead_time_days", "lead_time_source", "lead_time_defaulted",
    "sigma_weekly_lbs", "sigma_source", "safety_stock_lbs", "reorder_point_lbs", "below_reorder",
)
_ROLLUP_SUMS = ("on_hand_lbs", "allocated_lbs", "on_order_lbs", "planning_balance_lbs", "value_usd",
                "annual_value_usd", "shortage_lbs")


# --------------------------------------------------------------------------------------------- helpers


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str, *, who: str) -> pd.DataFrame:
    frame = frames.get(kind)
    if frame is None:
        raise MissingDataError(f"{who} needs the {title} export ({kind}); upload it on the Data page")
    return frame


def _on_uniques(values: pd.Series, fn) -> pd.Series:
    """``fn`` (a Series -> Series text transform) applied once per distinct value: the exports repeat names."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    done = fn(pd.Series(np.asarray(uniques, dtype=object), dtype="string")).to_numpy(dtype=object, na_value=None)
    out = np.empty(len(codes), dtype=object)
    out[codes >= 0] = done[codes[codes >= 0]] if len(done) else None
    out[codes < 0] = None
    return pd.Series(out, index=values.index, dtype="string")


def _text(values: pd.Series) -> pd.Series:
    """Text as the ``string`` dtype, stripped, '' -> NA (categoricals included)."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _style_key(values: pd.Series) -> pd.Series:
    """Style names compared without white space: stripped, inner spaces removed (ingest has already turned
    tabs and runs of white space into single spaces)."""
    return _on_uniques(values, lambda u: u.str.strip().str.replace(" ", "", regex=False))


def service_z(service_level: float) -> float:
    """z for a cycle service level: the standard normal's inverse CDF (1.6449 for 95 %), from the standard
    library (Wichura's AS241, equal to scipy.stats.norm.ppf within 1e-15): scipy.stats costs a second and
    tens of MB of server memory to import."""
    return NormalDist().inv_cdf(service_level)


def _check_params(*, service_level: float, demand_cv: float, horizon_weeks: float, default_lead_time_days: float,
                  sigma_method: str) -> None:
    if not 0.5 <= service_level < 1:
        raise ValueError(f"service_level is {service_level!r}; expected a probability in [0.5, 1), e.g. 0.95")
    if not demand_cv >= 0:
        raise ValueError(f"demand_cv is {demand_cv!r}; expected a coefficient of variation ≥ 0, e.g. 0.5")
    if not horizon_weeks > 0:
        raise ValueError(f"horizon_weeks is {horizon_weeks!r}; expected a number of weeks > 0, e.g. 9")
    if not default_lead_time_days >= 0:
        raise ValueError(f"default_lead_time_days is {default_lead_time_days!r}; expected days ≥ 0, e.g. 14")
    if sigma_method not in SIGMA_METHODS:
        raise ValueError(f"sigma_method is {sigma_method!r}; expected one of {', '.join(SIGMA_METHODS)}")


def stock(frames: Mapping[str, pd.DataFrame], *, who: str = "the inventory analyzer") -> pd.DataFrame:
    """The yarn inventory export, one row per yarn: yarn_id (int64), supplier, description, color, on_hand_lbs,
    allocated_lbs, on_order_lbs, planning_balance_lbs, cost_per_lb, consumed_lbs, reconcile_date, rows.

    Rows without a yarn id are dropped; repeated yarn ids (``rows`` > 1) have their quantities summed and keep
    the first row's text, cost and reconcile date. Raises MissingDataError without the yarn_inventory export.
    """
    inv = _require(frames, "yarn_inventory", "yarn inventory (yarn_inventory.csv)", who=who)
    n = len(inv)

    def col(name: str, default=np.nan) -> pd.Series:
        return inv[name] if name in inv else pd.Series(default, index=inv.index)

    raw = pd.DataFrame({
        "yarn_id": pd.array(col("yarn_id", pd.NA), dtype="Int64"),
        "supplier": _text(col("supplier", pd.NA)).array,
        "description": _text(col("description", pd.NA)).array,
        "color": _text(col("color", pd.NA)).array,
        "on_hand_lbs": col("theoretical_balance_lbs").astype("float64").to_numpy(),
        "allocated_lbs": col("allocated_lbs").astype("float64").to_numpy(),
        "on_order_lbs": col("on_order_lbs").astype("float64").to_numpy(),
        "planning_balance_lbs": col("planning_balance_lbs").astype("float64").to_numpy(),
        "cost_per_lb": col("cost_per_lb").astype("float64").to_numpy(),
        "consumed_lbs": col("consumed_lbs").astype("float64").to_numpy(),
        "reconcile_date": pd.to_datetime(col("reconcile_date", pd.NaT)).astype("datetime64[ns]").to_numpy(),
    }, index=pd.RangeIndex(n))
    raw = raw.loc[raw["yarn_id"].notna().to_numpy()]
    raw["yarn_id"] = raw["yarn_id"].astype("int64")
    if not raw["yarn_id"].duplicated().any():
        return raw.assign(rows=1).reset_index(drop=True)
    g = raw.groupby("yarn_id", sort=False)
    sums = g[["on_hand_lbs", "allocated_lbs", "on_order_lbs", "planning_balance_lbs", "consumed_lbs"]].sum(min_count=1)
    firsts = g[["supplier", "description", "color", "cost_per_lb", "reconcile_date"]].first()
    out = firsts.join(sums).assign(rows=g.size()).reset_index()
    return out[["yarn_id", "supplier", "description", "color", "on_hand_lbs", "allocated_lbs", "on_order_lbs",
                "planning_balance_lbs", "cost_per_lb", "consumed_lbs", "reconcile_date", "rows"]]


# ----------------------------------------------------------------------------------------------- pieces


def abc_classes(annual_value: pd.Series, *, cuts: tuple[float, float] = ABC_CUTS) -> pd.Series:
    """A/B/C class of each item by annual consumption value (same index, ``string`` dtype).

    Items are ranked by value, largest first (ties keep their input order). With ``share_before`` = the
    share of the total held by the items ranked above: A when ``share_before`` < 80 %, B when < 95 %, else C.
    So **the item that crosses 80 % is A** (and the one crossing 95 % is B); an item that starts exactly at
    80 % is B. Values 50, 30, 10, 6, 4 give A, A, B, B, C. Items with no (or negative) value rank last, where
    the share before them is 100 %: C.
    """
    values = annual_value.astype("float64").fillna(0.0).clip(lower=0.0)
    out = pd.Series("C", index=annual_value.index, dtype="string")
    total = float(values.sum())
    if total <= 0:
        return out
    order = np.argsort(-values.to_numpy(), kind="stable")
    ranked = values.to_numpy()[order]
    before = (np.cumsum(ranked) - ranked) / total
    eps = 1e-12  # an item starting exactly at a cut must not become A through float noise
    classes = np.where(before < cuts[0] - eps, "A", np.where(before < cuts[1] - eps, "B", "C"))
    result = np.empty(len(values), dtype=object)
    result[order] = classes
    return pd.Series(result, index=annual_value.index, dtype="string")


def ko_weekly_demand(frames: Mapping[str, pd.DataFrame], *, horizon_weeks: float) -> pd.Series:
    """Open knit-order demand per yarn in lbs per week: Σ over open KOs (balance > 0) of balance × BOM
    fraction of the KO's style (repeated BOM lines summed), divided by ``horizon_weeks``. Styles compare
    without white space. Empty without knit_orders or bom."""
    kos, bom = frames.get("knit_orders"), frames.get("bom")
    if kos is None or bom is None or kos.empty or bom.empty:
        return pd.Series(dtype="float64", name="ko_weekly_demand_lbs")
    open_kos = kos.loc[(kos["balance_lbs"] > 0).to_numpy(dtype=bool)]
    need = open_kos["balance_lbs"].astype("float64").groupby(_style_key(open_kos["style"]).to_numpy()).sum()
    style = _style_key(bom["style"])
    used = style.isin(need.index).to_numpy(dtype=bool) & bom["yarn_id"].notna().to_numpy(dtype=bool)
    fraction = bom["bom_fraction"].astype("float64").to_numpy()[used]
    lbs = style[used].map(need).to_numpy(dtype=float) * np.where(fraction > 0, fraction, 0.0)
    per_yarn = pd.Series(lbs).groupby(bom["yarn_id"].to_numpy()[used].astype("int64")).sum() / horizon_weeks
    return per_yarn[per_yarn > 0].rename("ko_weekly_demand_lbs")


def ko_bucket_sigma(frames: Mapping[str, pd.DataFrame]) -> pd.Series:
    """σ of weekly demand per yarn from eFab's KO demand report (yarn_demand_by_style_ko): the sample standard
    deviation of the yarn's 'This Week' and 'Week N' buckets (summed over KOs; 'Later' excluded)."""
    report = frames.get("yarn_demand_by_style_ko")
    if report is None or report.empty:
        return pd.Series(dtype="float64")
    weeks = ["this_week_lbs"] + sorted(c for c in report.columns if c.startswith("week_") and c.endswith("_lbs"))
    weeks = [c for c in weeks if c in report]
    if len(weeks) < 2:
        return pd.Series(dtype="float64")
    rows = report.loc[report["yarn_id"].notna().to_numpy(dtype=bool)]
    per_yarn = rows[weeks].astype("float64").groupby(rows["yarn_id"].astype("int64").to_numpy()).sum()
    return per_yarn.std(axis=1, ddof=1)


def lead_times(frames: Mapping[str, pd.DataFrame], supplier: pd.Series, *,
               default_lead_time_days: float) -> pd.DataFrame:
    """Lead time per row of ``supplier`` (same index): lead_time_days, lead_time_source, lead_time_defaulted.

    The one lead-time chain of bk/services/suppliers.py: supplier list (names matched ignoring case, spaces and
    punctuation, retired suppliers ignored) → the supplier's median observed YarnPO lead time →
    ``default_lead_time_days`` (``lead_time_defaulted`` True, the reason in ``lead_time_source``).
    """
    return suppliers_service.lead_times(frames, supplier, default_lead_time_days=default_lead_time_days)


def yarn_types(frames: Mapping[str, pd.DataFrame], yarn_ids: pd.Series) -> pd.Series:
    """Yarn type per yarn id (same index): yarn_master's Type, else expected_yarn's Type, else 'unknown'."""
    found: dict[int, str] = {}
    for kind in ("expected_yarn", "yarn_master"):  # the later kind overwrites: yarn_master wins
        frame = frames.get(kind)
        if frame is None or "yarn_type" not in frame or "yarn_id" not in frame:
            continue
        ids = frame["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
        types = _text(frame["yarn_type"]).to_numpy(dtype=object, na_value=None)
        ok = np.isfinite(ids) & (types != None)  # noqa: E711 -- element-wise on an object array
        # reversed so that the first row of a yarn wins within one export
        found.update(zip(ids[ok].astype("int64")[::-1].tolist(), types[ok][::-1].tolist(), strict=True))
    ids = yarn_ids.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(pd.array([found.get(int(i), "unknown") if np.isfinite(i) else "unknown" for i in ids],
                              dtype="string"), index=yarn_ids.index)


def _projected(projected_shortages: pd.DataFrame | None, yarn_ids: pd.Series) -> pd.Series:
    if projected_shortages is None:
        return pd.Series(pd.NaT, index=yarn_ids.index, dtype="datetime64[ns]")
    missing = {"yarn_id", "first_shortage_week"} - set(projected_shortages.columns)
    if missing:
        raise ValueError(f"projected_shortages lacks column(s) {', '.join(sorted(missing))}; expected yarn_id and "
                         "first_shortage_week (from the yarn requirements plan)")
    p = pd.DataFrame({"yarn_id": pd.array(projected_shortages["yarn_id"], dtype="Int64"),
                      "week": pd.to_datetime(projected_shortages["first_shortage_week"]).astype("datetime64[ns]")})
    first = p.dropna().groupby("yarn_id")["week"].min()
    return yarn_ids.map(first).astype("datetime64[ns]")


# -------------------------------------------------------------------------------------------- positions


def positions(frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float = 0.95,
              demand_cv: float = 0.5, sigma_method: str = "cv", default_lead_time_days: float = 14.0,
              horizon_weeks: float = 9.0, projected_shortages: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per yarn of the yarn inventory export (see ``stock``), columns ``POSITION_COLUMNS``:

    - on_hand_lbs (Theoretical Balance), allocated_lbs (≤ 0), on_order_lbs, planning_balance_lbs (the file's);
      planning_balance_calc_lbs = on hand + allocated + on order (allocated is already negative: added, never
      subtracted), planning_diff_lbs = calc − file, planning_identity_ok when |diff| ≤ 0.015 lbs.
    - value_usd = on hand × cost_per_lb. shortage_now = planning balance < 0, shortage_lbs its magnitude.
      first_shortage_week / shortage_projected come from ``projected_shortages`` (yarn_id, first_shortage_week:
      the yarn requirements plan), NaT/False when not given.
    - weekly_usage_lbs = |Consumed| ÷ weeks from the reconcile date to ``as_of`` (usage_source 'consumed since
      reconcile'); when that is unknown or zero, open KO demand (balance × BOM fraction) ÷ ``horizon_weeks``
      ('open KO demand'); else 0 ('none'). weeks_of_cover = max(on hand, 0) ÷ weekly usage, **np.inf when
      there is no usage** (a float column: the page shows inf as ∞).
    - annual_consumption_lbs = |Consumed| per week since reconcile × 52 (consumption only, no KO fallback),
      annual_value_usd = that × cost/lb, abc by ``abc_classes`` on annual_value_usd.
    - lead_time_days from the supplier list (``lead_times``); sigma_weekly_lbs = ``demand_cv`` × weekly usage
      (sigma_method 'cv'; the exports hold no weekly consumption history) or, with 'ko_buckets', the standard
      deviation of eFab's weekly KO demand buckets (falling back to the CV where a yarn has none);
      safety_stock_lbs = z·σ·√L and reorder_point_lbs = d·L + SS with L = lead time in weeks, d = weekly
      usage, z = the standard normal's inverse CDF at service_level. below_reorder = planning balance < reorder point.

    Raises MissingDataError without the yarn_inventory export, ValueError on a parameter out of range.
    """
    _check_params(service_level=service_level, demand_cv=demand_cv, horizon_weeks=horizon_weeks,
                  default_lead_time_days=default_lead_time_days, sigma_method=sigma_method)
    return _positions(stock(frames), frames, as_of=as_of, service_level=service_level, demand_cv=demand_cv,
                      sigma_method=sigma_method, default_lead_time_days=default_lead_time_days,
                      horizon_weeks=horizon_weeks, projected_shortages=projected_shortages)


def _positions(s: pd.DataFrame, frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float,
               demand_cv: float, sigma_method: str, default_lead_time_days: float, horizon_weeks: float,
               projected_shortages: pd.DataFrame | None) -> pd.DataFrame:
    # columns are computed as arrays and the frame built once: column-by-column assignment costs more here
    # than the arithmetic
    ids = s["yarn_id"].to_numpy(dtype="int64")
    on_hand, allocated, on_order, planning, cost, consumed = (
        s[c].to_numpy(dtype=float, na_value=np.nan) for c in
        ("on_hand_lbs", "allocated_lbs", "on_order_lbs", "planning_balance_lbs", "cost_per_lb", "consumed_lbs"))
    calc = on_hand + allocated + on_order
    diff = calc - planning
    first_week = _projected(projected_shortages, s["yarn_id"]).to_numpy()

    weeks = ((pd.Timestamp(as_of) - s["reconcile_date"]).dt.days / 7.0).to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        consumed_rate = np.where(weeks > 0, np.abs(consumed) / weeks, 0.0)
    consumed_rate = np.nan_to_num(consumed_rate, nan=0.0)
    ko = ko_weekly_demand(frames, horizon_weeks=horizon_weeks).to_dict()
    ko_rate = np.array([ko.get(i, 0.0) for i in ids.tolist()], dtype=float)
    use_consumed = consumed_rate > 0
    use_ko = ~use_consumed & (ko_rate > 0)
    usage = np.where(use_consumed, consumed_rate, np.where(use_ko, ko_rate, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(usage > 0, np.maximum(np.nan_to_num(on_hand, nan=0.0), 0.0) / usage, np.inf)
    annual_lbs = consumed_rate * WEEKS_PER_YEAR
    annual_value = annual_lbs * np.nan_to_num(cost, nan=0.0)

    lt = lead_times(frames, s["supplier"], default_lead_time_days=default_lead_time_days)
    lead_weeks = lt["lead_time_days"].to_numpy() / 7.0
    cv_sigma = demand_cv * usage
    if sigma_method == "ko_buckets":
        buckets = ko_bucket_sigma(frames).to_dict()
        bucket_sigma = np.array([buckets.get(i, np.nan) for i in ids.tolist()], dtype=float)
        sigma = np.where(np.isfinite(bucket_sigma), bucket_sigma, cv_sigma)
        sigma_source = np.where(np.isfinite(bucket_sigma), "KO demand weekly buckets",
                                "demand_cv × weekly usage (no KO buckets)")
    else:
        sigma, sigma_source = cv_sigma, np.full(len(ids), "demand_cv × weekly usage", dtype=object)
    z = service_z(service_level)
    safety = z * sigma * np.sqrt(lead_weeks)
    reorder = usage * lead_weeks + safety
    text = lambda values: pd.array(values, dtype="string")  # noqa: E731
    return pd.DataFrame({
        "yarn_id": ids, "supplier": s["supplier"].array, "description": s["description"].array,
        "color": s["color"].array, "yarn_type": yarn_types(frames, s["yarn_id"]).array,
        "on_hand_lbs": on_hand, "allocated_lbs": allocated, "on_order_lbs": on_order,
        "planning_balance_lbs": planning, "planning_balance_calc_lbs": calc, "planning_diff_lbs": diff,
        "planning_identity_ok": np.abs(diff) <= PLANNING_TOLERANCE_LBS, "cost_per_lb": cost,
        "value_usd": on_hand * cost, "consumed_lbs": consumed,
        "shortage_now": planning < 0, "shortage_lbs": np.nan_to_num(np.maximum(-planning, 0.0), nan=0.0),
        "first_shortage_week": first_week, "shortage_projected": ~np.isnat(first_week),
        "weeks_since_reconcile": weeks, "weekly_usage_lbs": usage,
        "usage_source": text(np.where(use_consumed, "consumed since reconcile",
                                      np.where(use_ko, "open KO demand", "none"))),
        "weeks_of_cover": cover.astype("float64"),
        "annual_consumption_lbs": annual_lbs, "annual_value_usd": annual_value,
        "abc": abc_classes(pd.Series(annual_value)).array,
        "lead_time_days": lt["lead_time_days"].to_numpy(), "lead_time_source": lt["lead_time_source"].array,
        "lead_time_defaulted": lt["lead_time_defaulted"].to_numpy(),
        "sigma_weekly_lbs": sigma, "sigma_source": text(sigma_source),
        "safety_stock_lbs": safety, "reorder_point_lbs": reorder, "below_reorder": planning < reorder,
    }, columns=list(POSITION_COLUMNS))


# ---------------------------------------------------------------------------------------------- analyze


def rollup(pos: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per value of ``by`` (missing -> 'unknown'): yarns, the lbs and $ sums, shortage_count,
    below_reorder_count; largest stock value first (ties by name)."""
    codes, names = pd.factorize(pos[by].astype("string").fillna("unknown"), sort=True)
    n = len(names)
    out = pd.DataFrame({by: pd.array(np.asarray(names, dtype=object), dtype="string"),
                        "yarns": np.bincount(codes, minlength=n).astype("int64")})
    for c in _ROLLUP_SUMS:
        out[c] = np.bincount(codes, weights=pos[c].fillna(0.0).to_numpy(dtype=float), minlength=n)
    out["shortage_count"] = np.bincount(codes, weights=pos["shortage_now"].to_numpy(dtype=float),
                                        minlength=n).astype("int64")
    out["below_reorder_count"] = np.bincount(codes, weights=pos["below_reorder"].to_numpy(dtype=float),
                                             minlength=n).astype("int64")
    order = np.lexsort((np.arange(n), -out["value_usd"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _pareto(pos: pd.DataFrame) -> pd.DataFrame:
    p = pos.loc[pos["annual_value_usd"] > 0, ["yarn_id", "description", "supplier", "annual_value_usd", "abc"]]
    p = p.sort_values("annual_value_usd", ascending=False, kind="stable").reset_index(drop=True)
    total = float(p["annual_value_usd"].sum())
    p.insert(0, "rank", np.arange(1, len(p) + 1, dtype="int64"))
    p["cumulative_share"] = p["annual_value_usd"].cumsum() / total if total > 0 else 0.0
    return p


def _value_by_supplier(by_supplier: pd.DataFrame) -> pd.DataFrame:
    v = by_supplier[["supplier", "value_usd"]]
    top, rest = v.head(VALUE_BY_SUPPLIER_TOP), v.iloc[VALUE_BY_SUPPLIER_TOP:]
    if len(rest):
        top = pd.concat([top, pd.DataFrame({"supplier": [f"{len(rest)} other suppliers"],
                                            "value_usd": [float(rest["value_usd"].sum())]})], ignore_index=True)
    total = float(v["value_usd"].sum())
    top = top.assign(share=top["value_usd"] / total if total else 0.0)
    return top.astype({"supplier": "string"}).reset_index(drop=True)


def _cover_distribution(pos: pd.DataFrame) -> pd.DataFrame:
    cover = pos["weeks_of_cover"]
    finite = cover.where(np.isfinite(cover))
    bucket = pd.cut(finite, bins=list(COVER_BINS), labels=list(COVER_LABELS), right=False)
    g = pos.groupby(bucket, observed=False)
    counts = g.size().reindex(list(COVER_LABELS), fill_value=0)
    lbs = g["on_hand_lbs"].sum().reindex(list(COVER_LABELS), fill_value=0.0)
    inf = np.isinf(cover)
    return pd.DataFrame({
        "weeks_of_cover": pd.array([*COVER_LABELS, NO_USAGE_LABEL], dtype="string"),
        "yarns": np.append(counts.to_numpy(), int(inf.sum())).astype("int64"),
        "on_hand_lbs": np.append(lbs.to_numpy(dtype=float), float(pos.loc[inf, "on_hand_lbs"].sum())),
    })


def report_keys_from(pos: pd.DataFrame) -> dict:
    """The six report keys from a positions frame (plain Python numbers)."""
    short = pos["planning_balance_lbs"] < 0
    return {
        "yarn_count": int(len(pos)),
        "shortage_count": int(short.sum()),
        "shortage_lbs": float(-pos.loc[short, "planning_balance_lbs"].sum()),
        "planning_balance_lbs": float(pos["planning_balance_lbs"].sum()),
        "on_hand_value_usd": float((pos["on_hand_lbs"] * pos["cost_per_lb"]).sum()),
        "below_reorder_count": int(pos["below_reorder"].sum()),
    }


def analyze(frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float = 0.95,
            projected_shortages: pd.DataFrame | None = None, demand_cv: float = 0.5, sigma_method: str = "cv",
            default_lead_time_days: float = 14.0, horizon_weeks: float = 9.0) -> dict:
    """The yarn inventory analysis (see ``positions`` for every column and rule).

    Keys (frames unless said): positions (one row per yarn); shortages_now (planning balance < 0, largest
    first); shortages_projected (yarns with a first shortage week, earliest first); below_reorder (planning
    balance < reorder point, furthest below first); by_supplier, by_yarn_type, by_color (``rollup``); pareto
    (rank, yarn_id, annual_value_usd, abc, cumulative_share: ABC Pareto chart); value_by_supplier (top 15 +
    the rest, share); cover_distribution (weeks-of-cover bins, yarns, on_hand_lbs; the ∞ row = no usage);
    identity_findings (yarns whose file planning balance ≠ on hand + allocated + on order); notes (list of
    str); assumptions (dict, JSON: every parameter and rule behind the numbers); summary (dict, JSON: the
    report keys plus counts).

    Raises MissingDataError without the yarn_inventory export, ValueError on a parameter out of range.
    """
    _check_params(service_level=service_level, demand_cv=demand_cv, horizon_weeks=horizon_weeks,
                  default_lead_time_days=default_lead_time_days, sigma_method=sigma_method)
    s = stock(frames)
    pos = _positions(s, frames, as_of=as_of, service_level=service_level, demand_cv=demand_cv,
                     sigma_method=sigma_method, default_lead_time_days=default_lead_time_days,
                     horizon_weeks=horizon_weeks, projected_shortages=projected_shortages)
    view = ["yarn_id", "supplier", "description", "yarn_type", "on_hand_lbs", "allocated_lbs", "on_order_lbs",
            "planning_balance_lbs", "shortage_lbs", "first_shortage_week", "weekly_usage_lbs", "weeks_of_cover"]
    shortages_now = pos.loc[pos["shortage_now"], view].sort_values(
        ["shortage_lbs", "yarn_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    shortages_projected = pos.loc[pos["shortage_projected"], [*view, "shortage_now"]].sort_values(
        ["first_shortage_week", "yarn_id"], kind="stable").reset_index(drop=True)
    below = pos.loc[pos["below_reorder"], [*view, "lead_time_days", "safety_stock_lbs", "reorder_point_lbs"]]
    below = below.assign(below_reorder_lbs=below["reorder_point_lbs"] - below["planning_balance_lbs"]).sort_values(
        ["below_reorder_lbs", "yarn_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    by_supplier = rollup(pos, "supplier")
    identity = pos.loc[~pos["planning_identity_ok"], ["yarn_id", "supplier", "on_hand_lbs", "allocated_lbs",
                                                      "on_order_lbs", "planning_balance_lbs",
                                                      "planning_balance_calc_lbs", "planning_diff_lbs"]]
    notes = []
    dropped = int(frames["yarn_inventory"]["yarn_id"].isna().sum()) if "yarn_id" in frames["yarn_inventory"] else 0
    if dropped:
        notes.append(f"{dropped} yarn inventory rows have no Desc# and are left out")
    repeated = s.loc[s["rows"] > 1, "yarn_id"].tolist()
    if repeated:
        notes.append(f"{len(repeated)} yarns appear on several rows; their quantities are summed: "
                     + ", ".join(map(str, repeated[:10])) + (" …" if len(repeated) > 10 else ""))
    if len(identity):
        notes.append(f"{len(identity)} yarns: the file's Planning Balance differs from Theoretical + Allocated + "
                     "On Order (see identity_findings)")
    if projected_shortages is None:
        notes.append("no projected shortages given: first_shortage_week is empty (run the yarn requirements plan)")
    z = service_z(service_level)
    weeks = pos["weeks_since_reconcile"].dropna()
    summary = report_keys_from(pos)
    summary.update({
        "projected_shortage_count": int(pos["shortage_projected"].sum()),
        "identity_mismatch_count": int(len(identity)),
        "no_usage_count": int(np.isinf(pos["weeks_of_cover"]).sum()),
        "lead_time_defaulted_count": int(pos["lead_time_defaulted"].sum()),
        "abc_counts": {k: int((pos["abc"] == k).sum()) for k in ("A", "B", "C")},
        "annual_value_usd": float(pos["annual_value_usd"].sum()),
    })
    assumptions = {
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "service_level": float(service_level),
        "z": round(z, 4),
        "z_rule": "z = the standard normal quantile of the service level (1.645 for 95 %)",
        "sigma_method": {"cv": "demand variability × usage", "ko_buckets": "eFab's weekly KO demand"}[sigma_method],
        "demand_cv": float(demand_cv),
        "sigma_rule": ("σ of weekly demand = demand variability (CV) × weekly usage: the exports hold no weekly "
                       "consumption history" if sigma_method == "cv" else
                       "σ of weekly demand = standard deviation of eFab's weekly KO demand buckets "
                       "(This Week + Week N); demand variability (CV) × weekly usage where a yarn has none"),
        "horizon_weeks": float(horizon_weeks),
        "weekly_usage_rule": ("|Consumed| ÷ weeks from the reconcile date to as-of; where unknown or zero, open KO "
                              f"demand (balance × BOM fraction) ÷ {horizon_weeks:g} weeks; else 0"),
        "weeks_since_reconcile": (None if weeks.empty else
                                  {"min": float(weeks.min()), "max": float(weeks.max())}),
        "usage_sources": {k: int((pos["usage_source"] == k).sum())
                          for k in ("consumed since reconcile", "open KO demand", "none")},
        "weeks_of_cover_rule": "max(on hand, 0) ÷ weekly usage; inf (∞) when there is no usage",
        "lead_time_rule": ("Supplier_ID lead time, names matched ignoring case, spaces and punctuation; retired "
                           f"suppliers ignored; {default_lead_time_days:g} days when unknown (flagged)"),
        "default_lead_time_days": float(default_lead_time_days),
        "safety_stock_rule": "SS = z · σ · √L, L = lead time in weeks",
        "reorder_point_rule": "ROP = d · L + SS, d = weekly usage; below reorder when planning balance < ROP",
        "abc_rule": ("annual consumption value = |Consumed| per week since reconcile × 52 × cost/lb; ranked "
                     "largest first: A while the share before the item is < 80 % (the item crossing 80 % is "
                     "A), B while < 95 %, else C; no consumption = C"),
        "planning_identity": ("Planning Balance = Theoretical Balance + Allocated + On Order (Allocated is "
                              f"negative); mismatch when |difference| > {PLANNING_TOLERANCE_LBS} lbs"),
        "value_rule": "value = on hand (Theoretical Balance) × Cost/Pound",
        "projected_shortages": ("from the yarn requirements plan" if projected_shortages is not None
                                else "not given"),
    }
    return {
        "positions": pos,
        "shortages_now": shortages_now,
        "shortages_projected": shortages_projected,
        "below_reorder": below,
        "by_supplier": by_supplier,
        "by_yarn_type": rollup(pos, "yarn_type"),
        "by_color": rollup(pos, "color"),
        "pareto": _pareto(pos),
        "value_by_supplier": _value_by_supplier(by_supplier),
        "cover_distribution": _cover_distribution(pos),
        "identity_findings": identity.reset_index(drop=True),
        "notes": notes,
        "assumptions": assumptions,
        "summary": summary,
    }


def with_horizon(positions: pd.DataFrame, plan_shortages: pd.DataFrame) -> pd.DataFrame:
    """Positions with the yarn requirements plan's view beside eFab's: one row per yarn of either.

    Adds first_shortage_week and horizon_shortage_lbs from ``plan_shortages`` (the ``shortages`` of
    ``yarn.plan``: yarn_id, first_shortage_week, shortage_lbs, and description/supplier when known) and
    short_in_horizon; yarns short in the plan but absent from the yarn inventory (BOM yarns never stocked)
    are appended with on hand 0 and the note 'not in the yarn inventory', so the count of yarns short in the
    horizon is the plan's count on every page. shortage_lbs stays eFab's shortage now (−planning balance).
    """
    missing = {"yarn_id", "first_shortage_week", "shortage_lbs"} - set(plan_shortages.columns)
    if missing:
        raise ValueError(f"plan_shortages lacks column(s) {', '.join(sorted(missing))}: pass yarn.plan's shortages")
    plan = plan_shortages.rename(columns={"shortage_lbs": "horizon_shortage_lbs"})
    plan = plan.drop_duplicates("yarn_id").set_index("yarn_id")
    out = positions.drop(columns=[c for c in ("first_shortage_week",) if c in positions.columns])
    out = out.assign(note="")
    extra_ids = [y for y in plan.index if y not in set(out["yarn_id"])]
    if extra_ids:
        known = [c for c in ("description", "supplier") if c in plan.columns]
        extra = plan.loc[extra_ids, known].reset_index()
        extra = extra.assign(on_hand_lbs=0.0, shortage_now=False, shortage_lbs=0.0,
                             note="not in the yarn inventory")
        if "below_reorder" in out.columns:
            extra["below_reorder"] = False
        out = pd.concat([out, extra.astype({c: out[c].dtype for c in extra.columns if c in out.columns})],
                        ignore_index=True)
    ids = out["yarn_id"]
    # reindex, not map: Series.map with an empty datetime mapper raises in pandas (no yarn short)
    out["first_shortage_week"] = plan["first_shortage_week"].astype("datetime64[ns]").reindex(ids.to_numpy()).to_numpy()
    out["horizon_shortage_lbs"] = plan["horizon_shortage_lbs"].astype("float64").reindex(ids.to_numpy()).fillna(
        0.0).to_numpy()
    out["short_in_horizon"] = ids.isin(plan.index)
    return out


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``inventory`` section of ``python -m bk report`` with default parameters: yarn_count,
    shortage_count, shortage_lbs (Σ |planning balance| of the shortages), planning_balance_lbs,
    on_hand_value_usd (Σ on hand × cost/lb), below_reorder_count; plain ints and floats."""
    return report_keys_from(positions(frames, as_of=as_of))


OPERATIONS = {"inventory.analyze": analyze}
