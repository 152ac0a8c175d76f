"""Yarn requirements: BOM explosion of open knit orders on eFab's knitting schedule, time-phased netting
against stock and open POs, purchase suggestions, pegging, what-if and reconciliation with eFab's reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.errors import BkError, MissingDataError
from bk.ingest.schema import ISO_WEEK_COLUMN
from bk.services.styles import RATE_EXACT, RATE_MEDIAN, knit_rates, norm_key, week_monday

N_WEEKS = 9  # the as-of ISO week ("This Week") and the next 8, then "later"
LATER = "later"
# eFab's knitting week: Mon-Fri carry 2/11 of the weekly rate each, Saturday 1/11, Sunday nothing
EFAB_DAY_WEIGHTS = (2, 2, 2, 2, 2, 1, 0)
EFAB_DAYS_PER_WEEK = 6.0  # weekly rate = 6 x the style's lbs/day
BOM_NORMALISE_RANGE = (0.90, 1.10)
RECONCILE_REL, RECONCILE_ABS = 0.01, 0.15


@dataclass(frozen=True)
class Schedule:
    """eFab's knitting rule; the defaults are eFab's values."""

    days_per_week: float = EFAB_DAYS_PER_WEEK
    day_weights: tuple[int, ...] = EFAB_DAY_WEIGHTS
    # False: the export's Balance column (eFab's demand report agrees with it for 145 of 152 KOs on 2025-08-28);
    # True: max(0, ordered - G00 - shipped + seconds) (agrees for 139 of 152)
    computed_balance: bool = False


def bucket_starts(as_of: date) -> list[date]:
    """Monday of each of the 9 ISO-week buckets."""
    first = week_monday(as_of)
    return [first + timedelta(weeks=k) for k in range(N_WEEKS)]


def bucket_labels(as_of: date) -> list[str]:
    """``week_of_YYYY-MM-DD`` for the 9 weeks, then ``later``."""
    return [f"week_of_{d.isoformat()}" for d in bucket_starts(as_of)] + [LATER]


def _isin(values: pd.Series, allowed) -> np.ndarray:
    """Membership as a bool array; via object arrays because pandas' Arrow-string isin loops in Python."""
    allowed = pd.unique(np.asarray(pd.Series(allowed).astype(object)))
    return values.astype(object).isin(allowed).to_numpy(dtype=bool)


def _norm_supplier(text: pd.Series) -> pd.Series:
    return text.astype("string").str.lower().str.replace(r"[^a-z0-9]", "", regex=True)


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str) -> pd.DataFrame:
    if kind not in frames:
        raise MissingDataError(f"the yarn plan needs the {title} export ({kind}); upload it on the Data page")
    return frames[kind]


# ----------------------------------------------------------------------------------------------- BOM


def prepare_bom(bom: pd.DataFrame, *, known_yarns: pd.Series | None = None,
                normalise_range: tuple[float, float] = BOM_NORMALISE_RANGE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean BOM: one row per (style, yarn) with ``fraction``; and its findings.

    Blank and junk lines (no yarn, no positive fraction) are dropped and counted; repeated (style, yarn) lines
    are summed; a style whose fractions sum within ``normalise_range`` is scaled to 1.0, others are kept as
    they are and reported. Columns: style, style_key, yarn_id, fraction, style_sum, normalised, known_yarn.
    """
    b = bom.loc[:, ["style", "yarn_id", "bom_fraction"]].copy()
    b["style"] = b["style"].astype("string").str.strip()
    junk = b["style"].isna() | b["yarn_id"].isna() | b["bom_fraction"].isna() | ~(b["bom_fraction"] > 0)
    findings = []
    if junk.any():
        findings.append({"style": "", "yarn_id": pd.NA, "severity": "info",
                         "message": f"{int(junk.sum())} blank or junk BOM lines ignored"})
    b = b.loc[~junk.to_numpy(dtype=bool)]
    b = b.groupby(["style", "yarn_id"], as_index=False, sort=True, observed=True)["bom_fraction"].sum()
    b["style_sum"] = b.groupby("style")["bom_fraction"].transform("sum")
    low, high = normalise_range
    b["normalised"] = (b["style_sum"] >= low) & (b["style_sum"] <= high)
    b["fraction"] = np.where(b["normalised"], b["bom_fraction"] / b["style_sum"], b["bom_fraction"])
    for style, total in b.loc[~b["normalised"]].groupby("style")["style_sum"].first().items():
        findings.append({"style": style, "yarn_id": pd.NA, "severity": "warning",
                         "message": f"fractions sum to {total:.3f}, outside {low:.2f}–{high:.2f}: used as they are"})
    b["known_yarn"] = True if known_yarns is None else _isin(b["yarn_id"], known_yarns.dropna())
    unknown = b.loc[~b["known_yarn"], "yarn_id"].unique()
    if len(unknown):
        findings.append({"style": "", "yarn_id": pd.NA, "severity": "warning",
                         "message": f"{len(unknown)} BOM yarns are not in the yarn inventory (no stock, no cost)"})
    b["style_key"] = norm_key(b["style"])
    out = b[["style", "style_key", "yarn_id", "fraction", "style_sum", "normalised", "known_yarn"]]
    out = out.astype({"yarn_id": "int64", "fraction": "float64"}).reset_index(drop=True)
    return out, pd.DataFrame(findings, columns=["style", "yarn_id", "severity", "message"]).astype(
        {"yarn_id": "Int64", "style": "string"})


# ------------------------------------------------------------------------------------------ schedule


def knit_schedule(start: np.ndarray, balance: np.ndarray, weekly_rate: np.ndarray, *, as_of: date,
                  schedule: Schedule = Schedule()) -> np.ndarray:
    """Lbs knitted per bucket (columns: 9 weeks + later) for each KO, on eFab's day-by-day rule.

    ``start`` are datetime64[D] days (already max(as_of, start date)); the start day itself is knitted.
    """
    weights = np.asarray(schedule.day_weights, dtype=float)
    per_week = weights.sum()
    # share of a week's capacity from weekday d (inclusive) to Sunday
    remaining = (per_week - np.concatenate([[0.0], np.cumsum(weights)[:-1]])) / per_week
    first = np.datetime64(week_monday(as_of), "D")
    days = (start.astype("datetime64[D]") - first).astype(np.int64)
    start_week = days // 7
    weekday = days % 7
    k = np.arange(N_WEEKS)[None, :]
    weeks_of_capacity = remaining[weekday][:, None] + (k - start_week[:, None])
    # an infinite rate (no rate known: knit at once) times no capacity yet (a Sunday start) is 0, not NaN
    cum_capacity = np.multiply(weekly_rate[:, None], weeks_of_capacity, out=np.zeros(weeks_of_capacity.shape),
                               where=(k >= start_week[:, None]) & (weeks_of_capacity > 0))
    knitted = np.minimum(balance[:, None], cum_capacity)
    buckets = np.diff(np.concatenate([np.zeros((len(balance), 1)), knitted], axis=1), axis=1)
    later = balance - knitted[:, -1]
    return np.concatenate([buckets, later[:, None]], axis=1)


def knit_order_demand(knit_orders: pd.DataFrame, bom: pd.DataFrame, rates: pd.DataFrame, *, as_of: date,
                      schedule: Schedule = Schedule()) -> dict[str, pd.DataFrame]:
    """Open KOs (balance > 0) scheduled and exploded through the prepared BOM.

    Returns ``kos`` (one row per open KO: knit_order, style, balance_lbs, start, lbs_per_day, rate_source,
    has_bom, then one column per bucket) and ``ko_demand`` (one row per KO × yarn: knit_order, style, yarn_id,
    fraction, total_lbs, then one column per bucket). KOs without a BOM stay in ``kos`` with has_bom False.
    """
    labels = bucket_labels(as_of)
    kos = knit_orders.copy()
    kos["export_balance_lbs"] = kos["balance_lbs"]
    if schedule.computed_balance and {"qty_ordered_lbs", "g00_lbs", "shipped_lbs"} <= set(kos.columns):
        seconds = kos["seconds_lbs"].fillna(0.0) if "seconds_lbs" in kos else 0.0
        computed = (kos["qty_ordered_lbs"] - kos["g00_lbs"].fillna(0.0) - kos["shipped_lbs"].fillna(0.0)
                    + seconds).clip(lower=0.0)
        kos["balance_lbs"] = computed.where(computed.notna(), kos["balance_lbs"])
    kos = kos.loc[kos["balance_lbs"] > 0].copy()
    if "rate_lbs_per_day" not in kos:
        kos["rate_lbs_per_day"] = np.nan
    kos["style"] = kos["style"].astype("string").str.strip()
    kos["style_key"] = norm_key(kos["style"])
    kos[["lbs_per_day", "rate_source"]] = knit_rates(kos["style"], rates, given=kos["rate_lbs_per_day"])
    as_of_day = pd.Timestamp(as_of)
    start = kos["start_date"].where(kos["start_date"] > as_of_day, as_of_day).fillna(as_of_day)
    kos["start"] = start.dt.normalize()
    weekly = schedule.days_per_week * kos["lbs_per_day"].to_numpy(dtype=float)
    weekly = np.where(np.isfinite(weekly) & (weekly > 0), weekly, np.inf)  # no rate at all: knit at once
    buckets = knit_schedule(kos["start"].to_numpy(dtype="datetime64[D]"), kos["balance_lbs"].to_numpy(dtype=float),
                            weekly, as_of=as_of, schedule=schedule)
    kos[labels] = buckets
    kos["has_bom"] = _isin(kos["style_key"], bom["style_key"])
    kos = kos.reset_index(drop=True)
    demand = kos.loc[kos["has_bom"], ["knit_order", "style", "style_key", "balance_lbs", *labels]].merge(
        bom[["style_key", "yarn_id", "fraction"]], on="style_key", how="inner")
    demand["total_lbs"] = demand["balance_lbs"] * demand["fraction"]
    demand[labels] = demand[labels].to_numpy() * demand["fraction"].to_numpy()[:, None]
    demand = demand[["knit_order", "style", "yarn_id", "fraction", "total_lbs", *labels]]
    keep = ["knit_order", "style", "balance_lbs", "export_balance_lbs", "start", "start_date", "quoted_date", "lbs_per_day",
            "rate_source", "has_bom", *labels]
    return {"kos": kos[[c for c in keep if c in kos]], "ko_demand": demand.reset_index(drop=True)}


# -------------------------------------------------------------------------------------------- supply


def receipts(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> tuple[pd.DataFrame, str]:
    """Open-PO receipts per yarn: one row per yarn with the 10 bucket columns and ``past_due_lbs``.

    From expected_yarn (its date columns go to their ISO week), else from yarn_po requested dates.
    Returns the frame and the name of its source.
    """
    labels = bucket_labels(as_of)
    first = week_monday(as_of)
    if "expected_yarn" in frames:
        exp = frames["expected_yarn"]
        out = pd.DataFrame({"yarn_id": exp["yarn_id"].astype("Int64")})
        for label in labels:
            out[label] = 0.0
        out[labels[0]] += exp["this_week_lbs"].to_numpy(dtype=float)
        out[LATER] += exp["later_lbs"].to_numpy(dtype=float)
        past_due = exp["past_due_lbs"].to_numpy(dtype=float).copy()
        for column in exp.columns:
            m = ISO_WEEK_COLUMN.match(column)
            if not m:
                continue
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            k = (monday - first).days // 7
            values = exp[column].to_numpy(dtype=float)
            if k < 0:
                past_due += values
            elif k >= N_WEEKS:
                out[LATER] += values
            else:
                out[labels[k]] += values
        out["past_due_lbs"] = past_due
        source = "expected_yarn"
    elif "yarn_po" in frames:
        po = frames["yarn_po"]
        po = po.loc[~po["status"].astype("string").str.lower().isin(["closed", "cancelled", "received"])
                    & (po["balance_lbs"] > 0)]
        out = pd.DataFrame({"yarn_id": po["yarn_id"].astype("Int64")})
        k = ((po["requested_date"] - pd.Timestamp(first)).dt.days // 7).to_numpy(dtype=float)
        bal = po["balance_lbs"].to_numpy(dtype=float)
        for i, label in enumerate(labels[:-1]):
            out[label] = np.where(k == i, bal, 0.0)
        out[LATER] = np.where((k >= N_WEEKS) | np.isnan(k), bal, 0.0)
        out["past_due_lbs"] = np.where(k < 0, bal, 0.0)
        source = "yarn_po"
    else:
        raise MissingDataError("the yarn plan needs open purchase orders: upload the Expected Yarn Report "
                               "(expected_yarn) or the Yarn PO export (yarn_po) on the Data page")
    out = out.dropna(subset=["yarn_id"]).groupby("yarn_id", as_index=False).sum()
    return out.astype({"yarn_id": "int64"}), source


# -------------------------------------------------------------------------------------------- netting


def projected_balance(on_hand: pd.Series, demand: pd.DataFrame, supply: pd.DataFrame, *, as_of: date,
                      include_past_due: bool = False) -> pd.DataFrame:
    """Time-phased balance per yarn: B0 = on hand, Bk = Bk-1 - demand_k + receipts_k.

    ``on_hand`` is indexed by yarn_id; ``demand`` and ``supply`` have yarn_id and the bucket columns (supply
    also past_due_lbs). Past-due receipts are left out (as eFab does) unless ``include_past_due``, which adds
    them to the first week. One row per yarn: on_hand_lbs, past_due_receipts_lbs, demand_/receipts_/balance_
    per bucket, total_demand_lbs, total_receipts_lbs, headline_balance_lbs (on hand + all receipts incl.
    past due − all demand), min_balance_lbs, first_shortage_week (Monday, NaT if none), shortage_lbs.
    """
    labels = bucket_labels(as_of)
    yarns = pd.Index(sorted(set(on_hand.index) | set(demand["yarn_id"]) | set(supply["yarn_id"])), name="yarn_id")
    d = demand.groupby("yarn_id")[labels].sum().reindex(yarns, fill_value=0.0).to_numpy(dtype=float)
    s_frame = supply.groupby("yarn_id")[[*labels, "past_due_lbs"]].sum().reindex(yarns, fill_value=0.0)
    r = s_frame[labels].to_numpy(dtype=float)
    past_due = s_frame["past_due_lbs"].to_numpy(dtype=float)
    stock = on_hand.reindex(yarns).fillna(0.0).to_numpy(dtype=float)
    flow = r - d
    if include_past_due:
        flow[:, 0] += past_due
    balance = stock[:, None] + np.cumsum(flow, axis=1)
    out = pd.DataFrame({"yarn_id": yarns.to_numpy(dtype="int64"), "on_hand_lbs": stock, "past_due_receipts_lbs": past_due})
    for i, label in enumerate(labels):
        out[f"demand_{label}"] = d[:, i]
        out[f"receipts_{label}"] = r[:, i]
        out[f"balance_{label}"] = balance[:, i]
    out["total_demand_lbs"] = d.sum(axis=1)
    out["total_receipts_lbs"] = r.sum(axis=1)
    out["headline_balance_lbs"] = stock + r.sum(axis=1) + past_due - d.sum(axis=1)
    out["min_balance_lbs"] = balance.min(axis=1)
    negative = balance < -1e-9
    has_short = negative.any(axis=1)
    first_k = np.where(has_short, negative.argmax(axis=1), 0)
    starts = np.array([np.datetime64(d_, "D") for d_ in bucket_starts(as_of)]
                      + [np.datetime64(bucket_starts(as_of)[-1] + timedelta(weeks=1), "D")])
    out["first_shortage_week"] = pd.to_datetime(np.where(has_short, starts[first_k], np.datetime64("NaT")))
    out["shortage_lbs"] = np.where(has_short, -balance.min(axis=1), 0.0)
    return out


def purchase_suggestions(balance: pd.DataFrame, inventory: pd.DataFrame, suppliers: pd.DataFrame | None, *,
                         as_of: date) -> pd.DataFrame:
    """One row per yarn short in the horizon: the whole need netted first, then rounded up to the MOQ once.

    need = shortage_lbs (the deepest negative balance); suggested_order_lbs = max(need, MOQ); order_by =
    first shortage week − lead time; expedite when order_by is before as_of; order_cost_usd = lbs × cost/lb.
    Supplier terms come from suppliers matched on the name ignoring case, spaces and punctuation; retired
    or unknown suppliers give no MOQ or lead time (note says so).
    """
    short = balance.loc[balance["shortage_lbs"] > 0].copy()
    inv = inventory.drop_duplicates("yarn_id").set_index("yarn_id")
    short["supplier"] = short["yarn_id"].map(inv["supplier"].astype("string")).astype("string")
    short["description"] = short["yarn_id"].map(inv["description"].astype("string")).astype("string") \
        if "description" in inv else pd.Series(pd.NA, index=short.index, dtype="string")
    short["cost_per_lb"] = short["yarn_id"].map(inv["cost_per_lb"]).astype("float64")
    terms = pd.DataFrame(columns=["key", "moq_lbs", "lead_time_days", "retired"])
    if suppliers is not None and len(suppliers):
        terms = pd.DataFrame({"key": _norm_supplier(suppliers["supplier"]), "moq_lbs": suppliers["moq_lbs"],
                              "lead_time_days": suppliers["lead_time_days"], "retired": suppliers["retired"]})
        terms = terms.sort_values("retired").drop_duplicates("key")
    matched = pd.DataFrame({"key": _norm_supplier(short["supplier"])}, index=short.index).merge(
        terms, on="key", how="left").set_index(short.index)
    active = matched["retired"].eq(False)
    short["moq_lbs"] = matched["moq_lbs"].where(active).astype("float64")
    short["lead_time_days"] = matched["lead_time_days"].where(active).astype("float64")
    short["net_need_lbs"] = short["shortage_lbs"]
    short["suggested_order_lbs"] = np.maximum(short["net_need_lbs"], short["moq_lbs"].fillna(0.0))
    lead = pd.to_timedelta(short["lead_time_days"], unit="D")
    short["order_by"] = (short["first_shortage_week"] - lead).astype("datetime64[ns]")
    short["expedite"] = (short["order_by"] < pd.Timestamp(as_of)).fillna(False).astype(bool)
    short["order_cost_usd"] = short["suggested_order_lbs"] * short["cost_per_lb"]
    note = np.where(matched["retired"].eq(True), "supplier retired: no MOQ or lead time",
                    np.where(matched["retired"].isna(), "supplier not in the supplier list: no MOQ or lead time", ""))
    short["note"] = pd.Series(note, index=short.index, dtype="string")
    cols = ["yarn_id", "supplier", "description", "on_hand_lbs", "total_demand_lbs", "total_receipts_lbs",
            "past_due_receipts_lbs", "min_balance_lbs", "first_shortage_week", "shortage_lbs", "net_need_lbs",
            "moq_lbs", "suggested_order_lbs", "lead_time_days", "order_by", "expedite", "cost_per_lb",
            "order_cost_usd", "note"]
    return short[cols].sort_values(["first_shortage_week", "shortage_lbs"], ascending=[True, False]).reset_index(
        drop=True)


# ------------------------------------------------------------------------------------------------ plan


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, include_past_due: bool = False,
         extra_knit_orders: pd.DataFrame | list[dict] | None = None, schedule: Schedule = Schedule()) -> dict:
    """The whole yarn plan for one snapshot. Raises MissingDataError naming any export it lacks.

    Keys: ``shortages`` (purchase suggestions, one row per short yarn), ``projected_balance`` (long: yarn_id,
    bucket, bucket_start, demand_lbs, receipts_lbs, balance_lbs), ``yarn_balance`` (wide, one row per yarn),
    ``ko_demand`` (KO × yarn with bucket columns), ``kos`` (scheduled open KOs), ``kos_without_bom``,
    ``bom_findings``, ``buckets`` (labels and Mondays), ``summary`` (JSON scalars).
    """
    inventory = _require(frames, "yarn_inventory", "Yarn inventory")
    knit_orders = _require(frames, "knit_orders", "Knit orders")
    bom_raw = _require(frames, "bom", "BOM")
    rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                    "lbs_per_day": pd.Series(dtype="float64")}))
    if extra_knit_orders is not None and len(extra_knit_orders):
        knit_orders = pd.concat([knit_orders, _what_if_orders(pd.DataFrame(extra_knit_orders))], ignore_index=True)
    bom, bom_findings = prepare_bom(bom_raw, known_yarns=inventory["yarn_id"])
    exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule)
    supply, supply_source = receipts(frames, as_of=as_of)
    on_hand = inventory.groupby("yarn_id")["theoretical_balance_lbs"].sum()
    balance = projected_balance(on_hand, exploded["ko_demand"], supply, as_of=as_of,
                                include_past_due=include_past_due)
    shortages = purchase_suggestions(balance, inventory, frames.get("suppliers"), as_of=as_of)
    balance.insert(1, "supplier", balance["yarn_id"].map(
        inventory.drop_duplicates("yarn_id").set_index("yarn_id")["supplier"].astype("string")).astype("string"))
    labels = bucket_labels(as_of)
    kos = exploded["kos"]
    result = {
        "shortages": shortages,
        "yarn_balance": balance,
        "projected_balance": _long_balance(balance, as_of),
        "ko_demand": exploded["ko_demand"],
        "kos": kos,
        "kos_without_bom": kos.loc[~kos["has_bom"], [c for c in ("knit_order", "style", "balance_lbs", "start",
                                                                 "quoted_date") if c in kos]].reset_index(drop=True),
        "bom_findings": bom_findings,
        "buckets": pd.DataFrame({"bucket": labels, "bucket_start": pd.to_datetime(
            [*bucket_starts(as_of), bucket_starts(as_of)[-1] + timedelta(weeks=1)])}),
        "summary": {
            "as_of": as_of.isoformat(), "open_kos": int(len(kos)), "kos_without_bom": int((~kos["has_bom"]).sum()),
            "lbs_without_bom": float(kos.loc[~kos["has_bom"], "balance_lbs"].sum()),
            "rate_defaulted_kos": int((kos["rate_source"] == RATE_MEDIAN).sum()),
            "kos_balance_recomputed": int((kos["balance_lbs"] - kos["export_balance_lbs"]).abs().gt(0.05).sum()),
            "yarns_short": int(len(shortages)), "expedite": int(shortages["expedite"].sum()),
            "shortage_lbs": float(shortages["shortage_lbs"].sum()),
            "suggested_order_usd": float(np.nansum(shortages["order_cost_usd"])),
            "receipts_source": supply_source, "include_past_due": include_past_due,
            "what_if_orders": 0 if extra_knit_orders is None else int(len(extra_knit_orders)),
        },
    }
    return result


def reconcile(frames: Mapping[str, pd.DataFrame], *, as_of: date, schedule: Schedule = Schedule()) -> dict:
    """Our demand and receipts against eFab's own reports in the snapshot (each part only when present).

    Keys: ``reconciliation_ko`` (see reconcile_ko), ``reconciliation_receipts`` (see reconcile_receipts),
    ``summary`` (rows compared, share reproduced, disagreements by cause).
    """
    summary: dict = {}
    out: dict = {"summary": summary}
    if "yarn_demand_by_style_ko" in frames:
        inventory = _require(frames, "yarn_inventory", "Yarn inventory")
        bom, _ = prepare_bom(_require(frames, "bom", "BOM"), known_yarns=inventory["yarn_id"])
        knit_orders = _require(frames, "knit_orders", "Knit orders")
        rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                        "lbs_per_day": pd.Series(dtype="float64")}))
        exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule)
        recon = reconcile_ko(exploded, frames["yarn_demand_by_style_ko"], knit_orders, bom, as_of=as_of)
        out["reconciliation_ko"] = recon
        summary["ko_rows"] = int(len(recon))
        summary["ko_rows_reproduced_share"] = _share(recon)
        summary["causes"] = {str(k): int(v) for k, v in recon.loc[recon["cause"] != "", "cause"].value_counts().items()}
    if "yarn_demand" in frames:
        supply, _ = receipts(frames, as_of=as_of)
        recon = reconcile_receipts(supply, frames["yarn_demand"], as_of=as_of)
        out["reconciliation_receipts"] = recon
        summary["receipt_cells"] = int(len(recon))
        summary["receipt_cells_matching_share"] = float(recon["match"].mean()) if len(recon) else None
    return out


def _share(recon: pd.DataFrame) -> float | None:
    present = recon.loc[recon["cause"] != "KO missing from the knit-order export"]
    return float(present["match"].mean()) if len(present) else None


def _what_if_orders(extra: pd.DataFrame) -> pd.DataFrame:
    """Hypothetical KOs (style, lbs, start, optional rate) as knit-order rows; the input is not changed."""
    if "style" not in extra or "balance_lbs" not in extra:
        raise BkError("a what-if knit order needs a style and lbs")
    out = pd.DataFrame({
        "style": extra["style"].astype("string"),
        "knit_order": extra.get("knit_order", pd.Series([f"WHAT-IF {i + 1}" for i in range(len(extra))],
                                                        index=extra.index)).astype("string"),
        "start_date": pd.to_datetime(extra.get("start_date"), errors="coerce").astype("datetime64[ns]"),
        "balance_lbs": pd.to_numeric(extra["balance_lbs"], errors="coerce").astype("float64"),
        "rate_lbs_per_day": pd.to_numeric(extra.get("rate_lbs_per_day", np.nan), errors="coerce"),
    })
    if (out["balance_lbs"].isna() | (out["balance_lbs"] <= 0)).any():
        raise BkError("what-if knit orders need positive lbs")
    return out


def _long_balance(balance: pd.DataFrame, as_of: date) -> pd.DataFrame:
    labels = bucket_labels(as_of)
    starts = [*bucket_starts(as_of), bucket_starts(as_of)[-1] + timedelta(weeks=1)]
    n = len(balance)
    return pd.DataFrame({
        "yarn_id": np.repeat(balance["yarn_id"].to_numpy(), len(labels)),
        "bucket": np.tile(np.array(labels, dtype=object), n),
        "bucket_start": pd.to_datetime(np.tile(np.array(starts, dtype="datetime64[D]"), n)),
        "demand_lbs": balance[[f"demand_{b}" for b in labels]].to_numpy().ravel(),
        "receipts_lbs": balance[[f"receipts_{b}" for b in labels]].to_numpy().ravel(),
        "balance_lbs": balance[[f"balance_{b}" for b in labels]].to_numpy().ravel(),
    }).astype({"bucket": "string"})


def pegging(result: dict, yarn_id: int) -> pd.DataFrame:
    """The KOs and styles behind one yarn's demand: one row per (KO, bucket) with lbs > 0."""
    demand = result["ko_demand"]
    rows = demand.loc[demand["yarn_id"] == yarn_id]
    labels = [c for c in demand.columns if c.startswith("week_of_") or c == LATER]
    long = rows.melt(id_vars=["knit_order", "style", "fraction"], value_vars=labels, var_name="bucket",
                     value_name="lbs")
    long = long.loc[long["lbs"] > 1e-9]
    order = {b: i for i, b in enumerate(labels)}
    return long.sort_values(["bucket", "lbs"], key=lambda s: s.map(order) if s.name == "bucket" else -s).reset_index(
        drop=True)


# ------------------------------------------------------------------------------------- reconciliation


def _report_buckets(report: pd.DataFrame, as_of: date) -> dict[str, str]:
    """Map eFab report columns (this_week_lbs, week_36_lbs, later_lbs) to our bucket labels."""
    labels = bucket_labels(as_of)
    mapping = {"this_week_lbs": labels[0], "later_lbs": LATER}
    for k, monday in enumerate(bucket_starts(as_of)):
        mapping[f"week_{monday.isocalendar().week}_lbs"] = labels[k]
    return {c: mapping[c] for c in report.columns if c in mapping}


def reconcile_ko(exploded: dict, report: pd.DataFrame, knit_orders: pd.DataFrame, bom: pd.DataFrame, *,
                 as_of: date) -> pd.DataFrame:
    """eFab's Yarn_Demand_By_Style_KO against ours: one row per (KO, yarn) of either side.

    Columns: knit_order, style, yarn_id, efab_lbs, our_lbs, match (totals within 1 % or 0.15 lb), buckets_match
    (every bucket within 1 lb or 1 %), cause (likely reason of a disagreement).
    """
    mapping = _report_buckets(report, as_of)
    efab = report.copy()
    efab["knit_order"] = efab["knit_order"].astype("string")
    efab = efab.rename(columns=mapping)
    labels = [lab for lab in bucket_labels(as_of) if lab in efab.columns]
    efab = efab.groupby(["knit_order", "yarn_id"], as_index=False).agg(
        efab_style=("style", "first"), efab_lbs=("total_lbs", "sum"), **{f"efab_{b}": (b, "sum") for b in labels})
    ours = exploded["ko_demand"].copy()
    ours["knit_order"] = ours["knit_order"].astype("string")
    ours = ours.groupby(["knit_order", "yarn_id"], as_index=False).agg(
        style=("style", "first"), our_lbs=("total_lbs", "sum"), **{f"our_{b}": (b, "sum") for b in labels})
    merged = efab.merge(ours, on=["knit_order", "yarn_id"], how="outer")
    merged["style"] = merged["style"].fillna(merged["efab_style"])
    merged[["efab_lbs", "our_lbs"]] = merged[["efab_lbs", "our_lbs"]].fillna(0.0)
    tol = np.maximum(RECONCILE_ABS, RECONCILE_REL * merged["efab_lbs"].abs())
    merged["match"] = (merged["efab_lbs"] - merged["our_lbs"]).abs() <= tol
    bucket_ok = np.ones(len(merged), dtype=bool)
    for b in labels:
        e, o = merged[f"efab_{b}"].fillna(0.0), merged[f"our_{b}"].fillna(0.0)
        bucket_ok &= ((e - o).abs() <= np.maximum(1.0, 0.01 * e.abs())).to_numpy()
    merged["buckets_match"] = bucket_ok
    ko_ids = merged["knit_order"].astype("string")
    in_export = _isin(ko_ids, knit_orders["knit_order"].astype("string"))
    kos = exploded["kos"]
    rate_source = ko_ids.map(pd.Series(kos["rate_source"].to_numpy(), index=kos["knit_order"].astype("string")))
    open_ko = rate_source.notna().to_numpy(dtype=bool)
    pair = norm_key(merged["style"].astype("string")) + "|" + merged["yarn_id"].astype("string")
    bom_pairs = (bom["style_key"] + "|" + bom["yarn_id"].astype("string")).unique()
    in_bom = _isin(pair, bom_pairs)
    ok = (merged["match"] & merged["buckets_match"]).to_numpy(dtype=bool)
    cause = np.select(
        [ok, ~in_export, ~open_ko, ~in_bom, merged["efab_lbs"].to_numpy() == 0, ~merged["match"].to_numpy(dtype=bool),
         (~rate_source.isin([RATE_EXACT, "given"])).to_numpy(dtype=bool)],
        ["", "KO missing from the knit-order export", "KO closed (balance 0) in the knit-order export",
         "BOM differs (yarn not in our BOM for this style)", "BOM differs (yarn not in eFab's report)",
         "balance or BOM fraction differs", "rate not in the file (family or median used)"],
        default="knitting rate or start date differs")
    merged["cause"] = pd.Series(cause, dtype="string")
    cols = ["knit_order", "style", "yarn_id", "efab_lbs", "our_lbs", "match", "buckets_match", "cause"]
    cols += [c for c in merged.columns if c.startswith(("efab_week", "our_week", "efab_later", "our_later"))]
    return merged[cols].sort_values(["match", "knit_order"]).reset_index(drop=True)


def reconcile_receipts(supply: pd.DataFrame, report: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Receipts per yarn and bucket: ours (from the expected-yarn report) against eFab's Yarn_Demand."""
    labels = bucket_labels(as_of)
    rows = []
    first = week_monday(as_of)
    efab_cols = {"receipts_this_week_lbs": labels[0], "receipts_later_lbs": LATER}
    for k in range(N_WEEKS):
        efab_cols[f"receipts_week_{(first + timedelta(weeks=k)).isocalendar().week}_lbs"] = labels[k]
    ours = supply.set_index("yarn_id")
    efab_cols["past_due_receipts_lbs"] = "past_due"
    present = [c for c in efab_cols if c in report]
    theirs_all = report.groupby("yarn_id")[present].sum()
    for column in present:
        label = efab_cols[column]
        mine = ours["past_due_lbs" if label == "past_due" else label].reindex(theirs_all.index).fillna(0.0)
        rows.append(pd.DataFrame({"yarn_id": theirs_all.index.astype("int64"), "bucket": label,
                                  "efab_lbs": theirs_all[column].to_numpy(), "our_lbs": mine.to_numpy()}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["yarn_id", "bucket", "efab_lbs", "our_lbs"])
    out["match"] = (out["efab_lbs"] - out["our_lbs"]).abs() <= 0.5
    return out.astype({"bucket": "string"})


# ---------------------------------------------------------------------------------------- CLI tables


def by_ko_table(result: dict) -> pd.DataFrame:
    """One row per (knit order, yarn): knit_order, style, yarn_id, fraction, total_lbs, 9 week columns, later."""
    return result["ko_demand"].copy()


def by_yarn_table(result: dict) -> pd.DataFrame:
    """One row per yarn: on hand, past-due receipts, demand/receipts/balance per bucket, then the suggestion."""
    balance = result["yarn_balance"]
    labels = list(result["buckets"]["bucket"])
    inv_cols = ["yarn_id", "supplier", "on_hand_lbs", "past_due_receipts_lbs"]
    per_bucket = [f"{m}_{b}" for b in labels for m in ("demand", "receipts", "balance")]
    table = balance[inv_cols + per_bucket + ["first_shortage_week", "shortage_lbs"]].copy()
    sugg = result["shortages"].set_index("yarn_id")
    table["suggested_order_lbs"] = table["yarn_id"].map(sugg["suggested_order_lbs"]).fillna(0.0)
    table["order_by"] = table["yarn_id"].map(sugg["order_by"])
    table["expedite"] = table["yarn_id"].map(sugg["expedite"]).fillna(False).astype(bool)
    table["first_shortage_week"] = table["first_shortage_week"].dt.date
    table["order_by"] = pd.to_datetime(table["order_by"]).dt.date
    return table


def pegged_demand(frames: Mapping[str, pd.DataFrame], *, as_of: date, yarn_id: int, **plan_params) -> pd.DataFrame:
    """Pegging as an operation: the plan with ``plan_params``, then the KOs behind ``yarn_id``'s demand."""
    return pegging(plan(frames, as_of=as_of, **plan_params), int(yarn_id))


OPERATIONS = {"yarn.plan": plan, "yarn.reconcile": reconcile, "yarn.pegging": pegged_demand}
