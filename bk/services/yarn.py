"""Yarn requirements: BOM explosion of open knit orders on eFab's knitting schedule, time-phased netting
against stock and open POs, purchase suggestions, pegging, what-if and reconciliation with eFab's reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from bk.errors import BkError, MissingDataError
from bk.ingest.schema import ISO_WEEK_COLUMN
from bk.services import suppliers as supplier_terms
from bk.services.memo import per_frame
from bk.services.styles import RATE_EXACT, RATE_MEDIAN, knit_rates, norm_key, week_monday

N_WEEKS = 9  # the as-of ISO week ("This Week") and the next 8, then "later"
LATER = "later"
# eFab's knitting week: Mon-Fri carry 2/11 of the weekly rate each, Saturday 1/11, Sunday nothing
EFAB_DAY_WEIGHTS = (2, 2, 2, 2, 2, 1, 0)
EFAB_DAYS_PER_WEEK = 6.0  # weekly rate = 6 x the style's lbs/day
BOM_NORMALISE_RANGE = (0.90, 1.10)
RECONCILE_REL, RECONCILE_ABS = 0.01, 0.15
DEFER_WEEKS = 4  # an open PO arriving this many weeks (or more) before it is first needed is excess
BOM_DIFF_POINTS = 1.05  # BOM file fractions are eFab's % truncated to 2 decimals: up to 1 point apart is no finding

# where a KO's yarn split comes from, in the order of the demand-of-record chain (DOMAIN.md §7)
BOM_EFAB_KO = "eFab KO report"
BOM_FILE = "BOM file"
BOM_EFAB_STYLE = "eFab style report"
BOM_PREFIX = "base-prefix BOM"
BOM_NONE = "none"


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
    if isinstance(bom["style"].dtype, pd.CategoricalDtype):  # strip the categories, not every row
        raw_codes = bom["style"].cat.codes.to_numpy()
        stripped = pd.Series(bom["style"].cat.categories, dtype="string").str.strip()
        cat_codes, styles = pd.factorize(stripped.replace("", pd.NA).to_numpy(dtype=object, na_value=None),
                                         sort=True)
        row_codes = np.where(raw_codes >= 0, cat_codes[raw_codes], -1) if len(cat_codes) else np.full(len(bom), -1)
    else:
        text = bom["style"].astype("string").str.strip().replace("", pd.NA)
        row_codes, styles = pd.factorize(text.to_numpy(dtype=object, na_value=None), sort=True)
    yarn = bom["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    value = pd.to_numeric(bom["bom_fraction"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    junk = (row_codes < 0) | np.isnan(yarn) | ~(value > 0)
    findings = []
    if junk.any():
        findings.append({"style": "", "yarn_id": pd.NA, "severity": "info",
                         "message": f"{int(junk.sum())} blank or junk BOM lines ignored"})
    style_codes, yarn, value = row_codes[~junk], yarn[~junk].astype("int64"), value[~junk]
    # repeated (style, yarn) lines summed, sorted by style then yarn (factorised ints: no string groupby)
    pair_codes, pairs = pd.factorize(style_codes.astype("int64") * (int(yarn.max(initial=0)) + 1) + yarn, sort=True)
    summed = np.bincount(pair_codes, weights=value, minlength=len(pairs))
    pair_style = pairs // (int(yarn.max(initial=0)) + 1)
    pair_yarn = pairs % (int(yarn.max(initial=0)) + 1)
    style_sum = np.bincount(pair_style, weights=summed, minlength=len(styles))[pair_style]
    low, high = normalise_range
    normalised = (style_sum >= low) & (style_sum <= high)
    b = pd.DataFrame({"style": pd.array(np.asarray(styles, dtype=object)[pair_style], dtype="string"),
                      "yarn_id": pair_yarn.astype("int64"), "bom_fraction": summed, "style_sum": style_sum,
                      "normalised": normalised,
                      "fraction": np.where(normalised, summed / np.where(style_sum > 0, style_sum, 1.0), summed)})
    off = ~normalised
    for style_name, total in dict(zip(b["style"].to_numpy(dtype=object)[off], style_sum[off], strict=True)).items():
        findings.append({"style": style_name, "yarn_id": pd.NA, "severity": "warning",
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


@per_frame
def _prepared_bom(bom: pd.DataFrame, inventory: pd.DataFrame, yarn_master: pd.DataFrame | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``prepare_bom`` knowing the yarns of the yarn inventory (and of the yarn master when given); kept per
    frame objects: read what it returns, never change it."""
    known = inventory["yarn_id"]
    if yarn_master is not None:
        known = pd.concat([known, yarn_master["yarn_id"]], ignore_index=True)
    return prepare_bom(bom, known_yarns=known)


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
    weeks_of_capacity = np.where(k < start_week[:, None], 0.0, remaining[weekday][:, None] + (k - start_week[:, None]))
    with np.errstate(invalid="ignore"):  # no rate (inf) x no capacity left (0) is nothing knitted, not NaN
        cum_capacity = np.where(weeks_of_capacity > 0, weekly_rate[:, None] * weeks_of_capacity, 0.0)
    knitted = np.minimum(balance[:, None], cum_capacity)
    buckets = np.diff(np.concatenate([np.zeros((len(balance), 1)), knitted], axis=1), axis=1)
    later = balance - knitted[:, -1]
    return np.concatenate([buckets, later[:, None]], axis=1)


@per_frame
def _report_split(report: pd.DataFrame | None) -> dict[str, dict[tuple[str, int], float]]:
    """eFab's Percentage as fractions: {"knit_order": {(ko, yarn): f}, "style_key": {(style key, yarn): f}};
    the first positive percentage of each pair counts. Kept per report frame: read it, never change it."""
    out: dict[str, dict[tuple[str, int], float]] = {"knit_order": {}, "style_key": {}}
    if report is None or report.empty or "percentage" not in report:
        return out
    yarn = report["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    pct = pd.to_numeric(report["percentage"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    styles = norm_key(report["style"]).to_numpy(dtype=object, na_value=None)
    kos = (report["knit_order"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
           if "knit_order" in report else np.full(len(report), None, dtype=object))
    by_ko, by_style = out["knit_order"], out["style_key"]
    for ko, style, y, p in zip(kos, styles, yarn, pct, strict=True):
        if not (np.isfinite(y) and np.isfinite(p) and p > 0):
            continue
        if ko is not None:
            by_ko.setdefault((ko, int(y)), p / 100)
        if style is not None:
            by_style.setdefault((style, int(y)), p / 100)
    return out


@per_frame
def _report_lines(report: pd.DataFrame | None) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """``_report_split`` by KO and by style key: {"knit_order": {ko: [(yarn, f), ...]}, "style_key": {...}}."""
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for kind, pairs in _report_split(report).items():
        lines = out[kind] = {}
        for (key, yarn), fraction in pairs.items():
            lines.setdefault(key, []).append((yarn, fraction))
    return out


@per_frame
def _bom_lines(bom: pd.DataFrame) -> tuple[dict[str, list[tuple[int, float]]], dict[str, str]]:
    """The prepared BOM as {style key: [(yarn, fraction), ...]} (file order) and the first style key (in sort
    order) of each base before ``/``, the base-prefix stand-in."""
    lines: dict[str, list[tuple[int, float]]] = {}
    for key, yarn, fraction in zip(bom["style_key"].to_numpy(dtype=object, na_value=None),
                                   bom["yarn_id"].to_numpy(dtype="int64").tolist(),
                                   bom["fraction"].to_numpy(dtype=float).tolist(), strict=True):
        if key is not None:
            lines.setdefault(key, []).append((yarn, fraction))
    first: dict[str, str] = {}
    for key in lines:
        family = key.split("/", 1)[0]
        if family not in first or key < first[family]:
            first[family] = key
    return lines, first


def demand_splits(kos: pd.DataFrame, bom: pd.DataFrame, *, efab_ko: pd.DataFrame | None = None,
                  efab_style: pd.DataFrame | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """The demand of record: each KO's yarn split and where it comes from (DOMAIN.md §7).

    ``kos`` has knit_order and style; ``bom`` is the prepared BOM; ``efab_ko`` / ``efab_style`` are eFab's
    Yarn_Demand_By_Style_KO / _By_Style exports. In order: eFab's Percentage for a KO its KO report lists
    (the ERP's current BOM), the BOM file for the style, eFab's By_Style Percentage for the style, the BOM of
    the first BOM-file style of the same base (before ``/``). Returns ``bom_source`` per row of ``kos`` (same
    index; ``none`` when no source has the KO) and the split: one row per (row of kos, yarn) with ``row``
    (position in kos), yarn_id, fraction, bom_source.
    """
    ko_keys = kos["knit_order"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
    style_keys = norm_key(kos["style"]).to_numpy(dtype=object, na_value=None)
    families = [None if k is None else k.split("/", 1)[0] for k in style_keys]  # = styles.family_key
    by_ko = _report_lines(efab_ko)["knit_order"]
    by_style = _report_lines(efab_style)["style_key"]
    by_file, first_of_family = _bom_lines(bom)
    # the base-prefix stand-in is looked up only for KOs no other source has
    stand_in = {fam: first_of_family[fam] for ko, style, fam in zip(ko_keys, style_keys, families, strict=True)
                if fam in first_of_family and ko not in by_ko and style not in by_file and style not in by_style}
    source = np.full(len(kos), BOM_NONE, dtype=object)
    rows: list[int] = []
    yarns: list[int] = []
    fractions: list[float] = []
    sources: list[str] = []
    for r, (ko, style, fam) in enumerate(zip(ko_keys, style_keys, families, strict=True)):
        if ko in by_ko:
            name, lines = BOM_EFAB_KO, by_ko[ko]
        elif style in by_file:
            name, lines = BOM_FILE, by_file[style]
        elif style in by_style:
            name, lines = BOM_EFAB_STYLE, by_style[style]
        elif fam in stand_in:
            name, lines = BOM_PREFIX, by_file[stand_in[fam]]
        else:
            continue
        source[r] = name
        for yarn, fraction in lines:
            rows.append(r)
            yarns.append(yarn)
            fractions.append(fraction)
            sources.append(name)
    split = pd.DataFrame({"row": np.array(rows, dtype="int64"), "yarn_id": np.array(yarns, dtype="int64"),
                          "fraction": np.array(fractions, dtype=float),
                          "bom_source": pd.array(sources, dtype="string")})
    return pd.Series(source, index=kos.index, dtype="string"), split


def bom_differences(bom: pd.DataFrame, efab_ko: pd.DataFrame | None, efab_style: pd.DataFrame | None) -> pd.DataFrame:
    """The BOM file against eFab's percentages, for styles both have: one row per (style, yarn) whose shares
    differ by more than 1 point (the file truncates to two decimals) or that only one side lists.
    Columns: style, yarn_id, file_pct, efab_pct, difference_pct."""
    return _bom_differences(bom, efab_ko, efab_style).copy()


@per_frame
def _bom_differences(bom: pd.DataFrame, efab_ko: pd.DataFrame | None, efab_style: pd.DataFrame | None
                     ) -> pd.DataFrame:
    cols = {"style": "string", "yarn_id": "int64", "file_pct": "float64", "efab_pct": "float64",
            "difference_pct": "float64"}
    efab: dict[tuple[str, int], float] = {}
    for report in (efab_ko, efab_style):
        for pair, fraction in _report_split(report)["style_key"].items():
            efab.setdefault(pair, fraction)
    efab_styles = {style for style, _ in efab}
    pick = _isin(bom["style_key"], list(efab_styles)) if efab_styles else np.zeros(len(bom), dtype=bool)
    b = bom.loc[pick]
    raw = np.where(b["normalised"], b["fraction"] * b["style_sum"], b["fraction"])
    file_pairs = {(k, int(y)): float(f) for k, y, f in zip(b["style_key"].to_numpy(dtype=object),
                                                            b["yarn_id"].to_numpy(), raw, strict=True)}
    names = dict(zip(b["style_key"].to_numpy(dtype=object), b["style"].to_numpy(dtype=object), strict=True))
    out = []
    for pair in sorted(set(file_pairs) | {p for p in efab if p[0] in names}):
        file_pct, efab_pct = 100 * file_pairs.get(pair, 0.0), 100 * efab.get(pair, 0.0)
        if abs(file_pct - efab_pct) > BOM_DIFF_POINTS:
            out.append((names[pair[0]], pair[1], file_pct, efab_pct, file_pct - efab_pct))
    frame = pd.DataFrame(out, columns=list(cols)).astype(cols)
    return frame.sort_values(["style", "yarn_id"]).reset_index(drop=True)


def knit_order_demand(knit_orders: pd.DataFrame, bom: pd.DataFrame, rates: pd.DataFrame, *, as_of: date,
                      schedule: Schedule = Schedule(), efab_ko: pd.DataFrame | None = None,
                      efab_style: pd.DataFrame | None = None,
                      ko_buckets: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Open KOs (balance > 0) scheduled and exploded through the demand of record (``demand_splits``).

    Returns ``kos`` (one row per open KO: knit_order, style, balance_lbs, start, lbs_per_day, rate_source,
    has_bom, bom_source, schedule_source, then one column per bucket) and ``ko_demand`` (one row per KO × yarn:
    knit_order, style, yarn_id, fraction, total_lbs, one column per bucket, bom_source). KOs without any
    source stay in ``kos`` with has_bom False. ``ko_buckets`` (indexed by knit_order, exactly the bucket
    columns, lbs knitted per bucket) replaces eFab's knitting rule for the KOs it lists (schedule_source
    ``capacity schedule``); the others keep eFab's rule.
    """
    labels = bucket_labels(as_of)
    used = ("knit_order", "style", "balance_lbs", "start_date", "quoted_date", "rate_lbs_per_day", "qty_ordered_lbs",
            "g00_lbs", "shipped_lbs", "seconds_lbs")
    kos = knit_orders[[c for c in used if c in knit_orders.columns]].copy()  # the export's other columns: not copied
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
    kos["schedule_source"] = pd.Series("eFab rule", index=kos.index, dtype="string")
    if ko_buckets is not None and len(ko_buckets):
        _check_columns(ko_buckets, labels, "ko_buckets")
        ids = kos["knit_order"].astype("string").str.strip()
        given = ko_buckets.copy()
        given.index = pd.Index(given.index.astype("string").str.strip())
        given = given.groupby(level=0).sum()
        hit = _isin(ids, given.index)
        if hit.any():
            buckets[hit] = given.reindex(ids[hit].to_numpy())[labels].to_numpy(dtype=float)
            kos.loc[hit, "schedule_source"] = "capacity schedule"
    kos[labels] = buckets
    kos = kos.reset_index(drop=True)
    kos["bom_source"], split = demand_splits(kos, bom, efab_ko=efab_ko, efab_style=efab_style)
    kos["has_bom"] = (kos["bom_source"] != BOM_NONE).to_numpy(dtype=bool)
    rows = split["row"].to_numpy()
    fraction = split["fraction"].to_numpy(dtype=float)
    per_bucket = kos[labels].to_numpy(dtype=float)[rows] * fraction[:, None]
    demand = pd.DataFrame({"knit_order": kos["knit_order"].array.take(rows), "style": kos["style"].array.take(rows),
                           "yarn_id": split["yarn_id"].to_numpy(), "fraction": fraction,
                           "total_lbs": kos["balance_lbs"].to_numpy(dtype=float)[rows] * fraction,
                           **{label: per_bucket[:, i] for i, label in enumerate(labels)},
                           "bom_source": split["bom_source"].array})
    keep = ["knit_order", "style", "balance_lbs", "export_balance_lbs", "start", "start_date", "quoted_date",
            "lbs_per_day", "rate_source", "has_bom", "bom_source", "schedule_source", *labels]
    return {"kos": kos[[c for c in keep if c in kos]], "ko_demand": demand.reset_index(drop=True)}


def _check_columns(frame: pd.DataFrame, labels: list[str], name: str) -> None:
    missing = [c for c in labels if c not in frame.columns]
    if missing:
        raise BkError(f"{name} lacks the bucket column(s) {', '.join(missing)}; expected exactly "
                      f"{', '.join(labels)} (bucket_labels of the as-of date)")


# -------------------------------------------------------------------------------------------- supply


def open_pos(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> tuple[pd.DataFrame, str]:
    """Open-PO receipts, one row per PO line: po_number, yarn_id, supplier, price_per_lb, po_balance_lbs, the 10
    bucket columns and ``past_due_lbs`` (unscheduled or past due).

    From expected_yarn (its date columns go to their ISO week), else from yarn_po requested dates (no date:
    unscheduled). Returns the frame and the name of its source.
    """
    labels = bucket_labels(as_of)
    first = week_monday(as_of)

    def column(frame: pd.DataFrame, name: str, dtype: str) -> np.ndarray:
        if name not in frame:
            return pd.Series(pd.NA if dtype == "string" else np.nan, index=frame.index, dtype=dtype).to_numpy()
        return frame[name].astype(dtype).to_numpy()

    if "expected_yarn" in frames:
        exp = frames["expected_yarn"]
        # summed in numpy and made columns once: setting frame columns one by one costs more than the sums
        arrivals = np.zeros((len(exp), len(labels)))
        arrivals[:, 0] += exp["this_week_lbs"].to_numpy(dtype=float)
        arrivals[:, -1] += exp["later_lbs"].to_numpy(dtype=float)
        past_due = exp["past_due_lbs"].to_numpy(dtype=float).copy()
        for name in exp.columns:
            m = ISO_WEEK_COLUMN.match(name)
            if not m:
                continue
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            k = (monday - first).days // 7
            values = exp[name].to_numpy(dtype=float)
            if k < 0:
                past_due += values
            else:
                arrivals[:, min(k, N_WEEKS)] += values  # the last column is "later"
        out = pd.DataFrame({"po_number": column(exp, "po_number", "string"), "yarn_id": exp["yarn_id"].astype("Int64"),
                            "supplier": column(exp, "supplier", "string"),
                            "price_per_lb": column(exp, "price_per_lb", "float64"),
                            **{label: arrivals[:, i] for i, label in enumerate(labels)}, "past_due_lbs": past_due},
                           index=exp.index)
        out["po_balance_lbs"] = (exp["po_balance_lbs"].to_numpy(dtype=float) if "po_balance_lbs" in exp
                                 else out[[*labels, "past_due_lbs"]].sum(axis=1).to_numpy())
        source = "expected_yarn"
    elif "yarn_po" in frames:
        po = frames["yarn_po"]
        po = po.loc[~po["status"].astype("string").str.lower().isin(["closed", "cancelled", "received"])
                    & (po["balance_lbs"] > 0)]
        out = pd.DataFrame({"po_number": column(po, "po_number", "string"), "yarn_id": po["yarn_id"].astype("Int64"),
                            "supplier": column(po, "supplier", "string"),
                            "price_per_lb": column(po, "cost_per_lb", "float64")}, index=po.index)
        k = ((po["requested_date"] - pd.Timestamp(first)).dt.days // 7).to_numpy(dtype=float)
        bal = po["balance_lbs"].to_numpy(dtype=float)
        for i, label in enumerate(labels[:-1]):
            out[label] = np.where(k == i, bal, 0.0)
        out[LATER] = np.where(k >= N_WEEKS, bal, 0.0)
        out["past_due_lbs"] = np.where((k < 0) | np.isnan(k), bal, 0.0)
        out["po_balance_lbs"] = bal
        source = "yarn_po"
    else:
        raise MissingDataError("the yarn plan needs open purchase orders: upload the Expected Yarn Report "
                               "(expected_yarn) or the Yarn PO export (yarn_po) on the Data page")
    out = out.dropna(subset=["yarn_id"]).astype({"yarn_id": "int64"}).reset_index(drop=True)
    return out, source


@per_frame
def _on_hand(inventory: pd.DataFrame) -> pd.Series:
    """Stock per yarn_id of the yarn inventory (theoretical balance, lines summed); kept per frame object."""
    return inventory.dropna(subset=["yarn_id"]).groupby("yarn_id")["theoretical_balance_lbs"].sum()


def receipts(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> tuple[pd.DataFrame, str]:
    """Open-PO receipts per yarn: one row per yarn with the 10 bucket columns and ``past_due_lbs``
    (see ``open_pos``). Returns the frame and the name of its source."""
    pos, source = open_pos(frames, as_of=as_of)
    return _receipts_by_yarn(pos, as_of), source


def _receipts_by_yarn(pos: pd.DataFrame, as_of: date) -> pd.DataFrame:
    cols = [*bucket_labels(as_of), "past_due_lbs"]
    return pos.groupby("yarn_id", as_index=False)[cols].sum().astype({"yarn_id": "int64"})


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
    return _balance_frame(_balance_flows(on_hand, demand, supply, as_of), as_of, include_past_due=include_past_due)


@dataclass(frozen=True)
class _Flows:
    """Per yarn (sorted yarn_ids): stock, demand and receipts per bucket, past-due receipts; the inputs of both
    views of the projected balance."""

    yarns: pd.Index
    stock: np.ndarray
    demand: np.ndarray
    receipts: np.ndarray
    past_due: np.ndarray


def _balance_flows(on_hand: pd.Series, demand: pd.DataFrame, supply: pd.DataFrame, as_of: date) -> _Flows:
    labels = bucket_labels(as_of)
    yarns = pd.Index(sorted(set(on_hand.index) | set(demand["yarn_id"]) | set(supply["yarn_id"])), name="yarn_id")
    d = demand.groupby("yarn_id")[labels].sum().reindex(yarns, fill_value=0.0).to_numpy(dtype=float)
    s_frame = supply.groupby("yarn_id")[[*labels, "past_due_lbs"]].sum().reindex(yarns, fill_value=0.0)
    # column-major whatever blocks the frames had: a yarn's totals then add its weeks one after another (numpy
    # sums a contiguous row pairwise, which can differ in the last bit)
    return _Flows(yarns, on_hand.reindex(yarns).fillna(0.0).to_numpy(dtype=float), np.asfortranarray(d),
                  np.asfortranarray(s_frame[labels].to_numpy(dtype=float)), s_frame["past_due_lbs"].to_numpy(dtype=float))


def _balance_frame(flows: _Flows, as_of: date, *, include_past_due: bool = False) -> pd.DataFrame:
    labels = bucket_labels(as_of)
    yarns, stock, d, r, past_due = flows.yarns, flows.stock, flows.demand, flows.receipts, flows.past_due
    flow = r - d
    if include_past_due:
        flow[:, 0] += past_due
    balance = stock[:, None] + np.cumsum(flow, axis=1)
    columns: dict[str, np.ndarray] = {"yarn_id": yarns.to_numpy(dtype="int64"), "on_hand_lbs": stock,
                                      "past_due_receipts_lbs": past_due}
    for i, label in enumerate(labels):
        columns[f"demand_{label}"] = d[:, i]
        columns[f"receipts_{label}"] = r[:, i]
        columns[f"balance_{label}"] = balance[:, i]
    columns["total_demand_lbs"] = d.sum(axis=1)
    columns["total_receipts_lbs"] = r.sum(axis=1)
    columns["headline_balance_lbs"] = stock + r.sum(axis=1) + past_due - d.sum(axis=1)
    columns["min_balance_lbs"] = balance.min(axis=1)
    negative = balance < -1e-9
    has_short = negative.any(axis=1)
    first_k = np.where(has_short, negative.argmax(axis=1), 0)
    starts = np.array([np.datetime64(d_, "D") for d_ in bucket_starts(as_of)]
                      + [np.datetime64(bucket_starts(as_of)[-1] + timedelta(weeks=1), "D")])
    out = pd.DataFrame(columns)
    out["first_shortage_week"] = pd.to_datetime(np.where(has_short, starts[first_k], np.datetime64("NaT")))
    out["shortage_lbs"] = np.where(has_short, -balance.min(axis=1), 0.0)
    return out


def yarn_terms(frames: Mapping[str, pd.DataFrame], yarn_ids: pd.Series, pos: pd.DataFrame) -> pd.DataFrame:
    """What a buyer needs to know per yarn, indexed by yarn_id: supplier, description, known_yarn (in yarn
    inventory or yarn master), cost_per_lb and price_source (yarn inventory → yarn master → the latest open PO's
    price; blank or non-positive is no price), then ``suppliers.supplier_terms`` of the supplier (inventory →
    master → PO): lead_time_days, lead_time_source, lead_time_defaulted, moq_lbs, order_multiple_lbs, terms_note."""
    ids = pd.unique(np.asarray(yarn_ids, dtype="int64"))
    on_file, known = _yarn_records(frames.get("yarn_inventory"), frames.get("yarn_master"))
    supplier, description, price = (dict(values) for values in on_file)  # the kept ones stay as they are
    latest_po = _first_by_yarn(pos.iloc[::-1], "price_per_lb")
    for target, values in zip((supplier, description), latest_po[:2], strict=True):
        for y, v in values.items():
            target.setdefault(y, v)
    for y, v in latest_po[2].items():
        price.setdefault(y, (v, "open PO"))
    index = pd.Index(ids, name="yarn_id")
    id_list = ids.tolist()
    out = pd.DataFrame({
        "supplier": pd.array([supplier.get(y) for y in id_list], dtype="string"),
        "description": pd.array([description.get(y) for y in id_list], dtype="string"),
        "known_yarn": np.array([y in known for y in id_list], dtype=bool),
        "cost_per_lb": np.array([price.get(y, (np.nan, ""))[0] for y in id_list], dtype=float),
        "price_source": pd.array([price.get(y, (np.nan, "no price"))[1] for y in id_list], dtype="string"),
    }, index=index)
    terms = supplier_terms.supplier_terms(frames, out["supplier"])
    return pd.concat([out, terms], axis=1)


def _first_by_yarn(frame: pd.DataFrame | None, price_col: str) -> tuple[dict, dict, dict]:
    """The first non-blank supplier, first non-blank description and first positive price per yarn of one
    source (rows in file order): three {yarn_id: value} dicts, empty when the source has no yarn_id."""
    found: tuple[dict, dict, dict] = ({}, {}, {})
    if frame is None or frame.empty or "yarn_id" not in frame:
        return found
    yarn = frame["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
    has_id = np.isfinite(yarn)
    yarn_ids = yarn[has_id].astype("int64")

    def first(values: np.ndarray, ok: np.ndarray) -> dict:
        picked = pd.Series(values[ok], index=yarn_ids[ok])
        picked = picked[~picked.index.duplicated()]
        return dict(zip(picked.index.tolist(), picked.tolist(), strict=True))

    for column, target in (("supplier", found[0]), ("description", found[1])):
        if column in frame:
            text = frame[column].astype("string").str.strip().to_numpy(dtype=object, na_value="")[has_id]
            target.update(first(text, text != ""))
    if price_col in frame:
        cost = pd.to_numeric(frame[price_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[has_id]
        found[2].update(first(cost, np.isfinite(cost) & (cost > 0)))
    return found


@per_frame
def _yarn_records(inventory: pd.DataFrame | None, yarn_master: pd.DataFrame | None
                  ) -> tuple[tuple[dict, dict, dict], set[int]]:
    """Supplier, description and (price, source) per yarn, the yarn inventory's first then the yarn master's,
    and the yarns either knows; kept per frame objects: read what it returns, never change it."""
    supplier: dict[int, str] = {}
    description: dict[int, str] = {}
    price: dict[int, tuple[float, str]] = {}
    known: set[int] = set()
    for name, frame in (("yarn inventory", inventory), ("yarn master", yarn_master)):
        if frame is None or frame.empty or "yarn_id" not in frame:
            continue
        yarn = frame["yarn_id"].to_numpy(dtype=float, na_value=np.nan)
        known.update(yarn[np.isfinite(yarn)].astype("int64").tolist())
        suppliers, descriptions, prices = _first_by_yarn(frame, "cost_per_lb")
        for target, values in ((supplier, suppliers), (description, descriptions)):
            for y, v in values.items():
                target.setdefault(y, v)
        for y, v in prices.items():
            price.setdefault(y, (v, name))
    return (supplier, description, price), known


ACTION_ORDER = {"buy": 0, "expedite": 1, "reconcile": 2, "defer": 3}
ACTION_COLUMNS = {"yarn_id": "int64", "action": "string", "po_number": "string", "lbs": "float64",
                  "need_week": "datetime64[ns]", "order_by": "datetime64[ns]", "reason": "string",
                  "scheduled": "string", "supplier": "string", "cost_per_lb": "float64", "cost_usd": "float64",
                  "priced": "bool", "lead_time_days": "float64", "lead_time_source": "string",
                  "moq_lbs": "float64", "order_multiple_lbs": "float64", "net_shortage_lbs": "float64",
                  "expedite": "bool", "forecast_driven": "bool"}


def _lbs(x: float) -> str:
    return f"{x:,.0f} lbs"


def purchase_actions(planning: pd.DataFrame, efab: pd.DataFrame, pos: pd.DataFrame, terms: pd.DataFrame, *,
                     as_of: date, defer_weeks: int = DEFER_WEEKS) -> pd.DataFrame:
    """Buy / expedite / reconcile / defer, one row per action, each with a reason a buyer can read.

    ``planning`` and ``efab`` are ``projected_balance`` frames (every open PO counted, past due in the as-of
    week / eFab's view without them; both may carry forecast_demand_lbs); ``pos`` is ``open_pos``; ``terms``
    is ``yarn_terms``. Rules (DOMAIN.md §7):

    - buy: a known yarn with demand whose planning balance goes negative; lbs = the deepest negative balance
      raised to the MOQ once, then to the order multiple; need_week = first negative week; order_by = need
      week − lead time; order-by before as-of: expedite this buy.
    - expedite: a named open PO that arrives (or is unscheduled/past due) after eFab's balance first goes
      negative, in arrival order until eFab's shortage is covered.
    - reconcile: negative stock with no demand in the horizon, or a yarn unknown to yarn inventory and yarn
      master with demand or POs: a record to fix, never a buy.
    - defer: an open PO of a yarn with no demand in the horizon, or arriving ``defer_weeks`` or more weeks
      before the yarn first needs it.

    Columns: ACTION_COLUMNS (priced False says "no price"; cost_usd NaN then).
    """
    labels = bucket_labels(as_of)
    # plain datetimes in the loops (pandas Timestamps cost a lot per scalar)
    starts = [datetime.combine(d, datetime.min.time())
              for d in [*bucket_starts(as_of), bucket_starts(as_of)[-1] + timedelta(weeks=1)]]
    week_names = [f"week of {d:%Y-%m-%d}" for d in starts[:-1]] + [f"later (from {starts[-1]:%Y-%m-%d})"]
    as_of_ts = datetime.combine(as_of, datetime.min.time())
    plan_bal = planning.set_index("yarn_id")
    efab_bal = efab.set_index("yarn_id")
    bal = plan_bal[[f"balance_{b}" for b in labels]].to_numpy(dtype=float)
    dem = plan_bal[[f"demand_{b}" for b in labels]].to_numpy(dtype=float)
    forecast = (plan_bal["forecast_demand_lbs"].to_numpy(dtype=float) if "forecast_demand_lbs" in plan_bal
                else np.zeros(len(plan_bal)))
    row_of = {int(y): i for i, y in enumerate(plan_bal.index)}
    t = terms.reindex(plan_bal.index)
    total_demand_of = dem.sum(axis=1)
    net_of = np.maximum(0.0, -bal.min(axis=1))
    known_of = t["known_yarn"].to_numpy(dtype=bool)
    # only these yarns can get an action: unknown ones, negative stock, a shortage, or an open PO
    acting = (~known_of | (plan_bal["on_hand_lbs"].to_numpy(dtype=float) < -1e-9) | (net_of > 1e-9)
              | plan_bal.index.isin(pos["yarn_id"]))
    info_of = {int(y): r for y, r in zip(t.index[acting], t.loc[acting].to_dict("records"), strict=True)}
    on_hand_of = plan_bal["on_hand_lbs"].to_numpy(dtype=float)
    rows: list[dict] = []

    def add(yarn_id: int, action: str, lbs: float, reason: str, *, po_number=None, need_week=None,
            order_by=None, scheduled=None, net=0.0, expedite=False, forecast_driven=False) -> None:
        info = info_of[yarn_id]
        price = float(info["cost_per_lb"])
        priced = bool(np.isfinite(price))
        if action != "reconcile" and not priced:
            reason += "; no price"
        rows.append({"yarn_id": yarn_id, "action": action, "po_number": po_number, "lbs": float(lbs),
                     "need_week": need_week, "order_by": order_by, "reason": reason, "scheduled": scheduled,
                     "supplier": info["supplier"], "cost_per_lb": price,
                     "cost_usd": float(lbs) * price if priced and action != "reconcile" else np.nan,
                     "priced": priced,
                     "lead_time_days": info["lead_time_days"], "lead_time_source": info["lead_time_source"],
                     "moq_lbs": info["moq_lbs"], "order_multiple_lbs": info["order_multiple_lbs"],
                     "net_shortage_lbs": net, "expedite": expedite, "forecast_driven": forecast_driven})

    po_lines: dict[int, list[tuple[str, np.ndarray]]] = {}
    for number, y, arrivals in zip(pos["po_number"].to_numpy(dtype=object, na_value=None),
                                   pos["yarn_id"].to_numpy(dtype="int64"), pos[labels].to_numpy(dtype=float),
                                   strict=True):
        po_lines.setdefault(int(y), []).append((number or "(no number)", arrivals))

    # reconcile and buy, per yarn
    for i in np.flatnonzero(acting):
        yarn_id = int(plan_bal.index[i])
        info = info_of[yarn_id]
        on_hand = float(on_hand_of[i])
        total_demand = float(total_demand_of[i])
        net = float(net_of[i])
        if not info["known_yarn"]:
            add(yarn_id, "reconcile", net, f"yarn {yarn_id} is used by a BOM or an open PO but is in neither the "
                f"yarn inventory nor the yarn master: fix the yarn record (demand {_lbs(total_demand)}, "
                f"short {_lbs(net)}); never bought until it is known", net=net)
            continue
        if total_demand <= 1e-9:
            if on_hand < -1e-9:
                add(yarn_id, "reconcile", -on_hand, f"stock record is {on_hand:,.2f} lbs with no demand in the "
                    "horizon: count the yarn and fix the stock record (not a purchase)")
            continue
        if net <= 1e-9:
            continue
        k = int(np.argmax(bal[i] < -1e-9))
        need = starts[k]
        moq, multiple = float(info["moq_lbs"]), float(info["order_multiple_lbs"])
        lbs = max(net, moq) if np.isfinite(moq) else net
        if np.isfinite(multiple) and multiple > 0:
            lbs = float(np.ceil(lbs / multiple - 1e-9) * multiple)
        lead = float(info["lead_time_days"])
        order_by = need - timedelta(days=lead)
        late = bool(order_by < as_of_ts)
        fc = float(forecast[i])
        reason = (f"planning balance (on hand {_lbs(on_hand)} + every open PO) first goes negative in "
                  f"{week_names[k]} and bottoms at −{_lbs(net)}")
        reason += (f"; raised to the MOQ {_lbs(moq)}" if np.isfinite(moq) and moq > net
                   else "; MOQ " + (_lbs(moq) if np.isfinite(moq) else f"unknown ({info['terms_note']})"))
        if np.isfinite(multiple) and multiple > 0:
            reason += f", order multiple {_lbs(multiple)}"
        reason += f"; order by {order_by:%Y-%m-%d} ({lead:g} days lead time: {info['lead_time_source']})"
        if late:
            reason += "; order-by has passed: expedite this buy"
        after = [(n, float(arr[k + 1:].clip(min=0).sum())) for n, arr in po_lines.get(yarn_id, [])]
        after = [(n, x) for n, x in after if x > 1e-9]
        if after:
            reason += (f"; {_lbs(sum(x for _, x in after))} on open POs arrive after that week ("
                       + ", ".join(f"{n} {_lbs(x)}" for n, x in after)
                       + "): pulling them in would shrink this buy")
        if fc > 1e-9:
            reason += f"; demand includes {_lbs(fc)} of forecast"
        add(yarn_id, "buy", lbs, reason, need_week=need, order_by=order_by, net=net, expedite=late,
            forecast_driven=fc > 1e-9)

    # expedite and defer, per open PO line
    efab_b = efab_bal.reindex(plan_bal.index)[[f"balance_{b}" for b in labels]].to_numpy(dtype=float)
    receipts_po = pos[labels].to_numpy(dtype=float)
    past_due = pos["past_due_lbs"].to_numpy(dtype=float)
    efab_need: dict[int, float] = {}
    slots = np.argmax(np.column_stack([past_due, receipts_po]) > 1e-9, axis=1)
    order = np.argsort(slots, kind="stable")  # unscheduled/past due first, then by arrival week
    po_yarn = pos["yarn_id"].to_numpy(dtype="int64")
    po_numbers = pos["po_number"].to_numpy(dtype=object, na_value=None)
    for j in order:
        yarn_id = int(po_yarn[j])
        i = row_of.get(yarn_id)
        if i is None or not info_of[yarn_id]["known_yarn"]:
            continue
        po_number = po_numbers[j]
        po_name = "PO " + (str(po_number) if po_number is not None else "(no number)")
        arrivals = np.concatenate([[past_due[j]], receipts_po[j]])  # index 0 = unscheduled/past due
        positive = arrivals > 1e-9
        if not positive.any():
            continue
        first_slot = int(np.argmax(positive))
        scheduled = "unscheduled/past due" if first_slot == 0 else week_names[first_slot - 1]
        total = float(arrivals[positive].sum())
        fc = float(forecast[i])
        if dem[i].sum() <= 1e-9:
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}) but the yarn has no "
                "demand in the horizon: defer or cancel it", po_number=po_number, scheduled=scheduled)
            continue
        short = efab_b[i] < -1e-9
        if short.any():
            k = int(np.argmax(short))
            depth = -float(efab_b[i].min())
            covered = efab_need.get(yarn_id, 0.0)
            late_lbs = float(past_due[j] if past_due[j] > 0 else 0.0) + float(receipts_po[j, k + 1:].clip(min=0).sum())
            if late_lbs > 1e-9 and covered < depth - 1e-9:
                efab_need[yarn_id] = covered + late_lbs
                reason = (f"eFab's balance (scheduled receipts only) goes negative in {week_names[k]} "
                          f"(down to −{_lbs(depth)}); {po_name} has {_lbs(late_lbs)} "
                          + ("unscheduled or past due: confirm a date" if first_slot == 0 and past_due[j] > 0
                             else f"scheduled {scheduled}") + f", needed by {starts[k]:%Y-%m-%d}")
                if fc > 1e-9:
                    reason += f"; demand includes {_lbs(fc)} of forecast"
                add(yarn_id, "expedite", late_lbs, reason, po_number=po_number, need_week=starts[k],
                    scheduled=scheduled, expedite=True, forecast_driven=fc > 1e-9)
                continue
        # excess: without this PO, when would the planning balance first go negative?
        slot = max(first_slot - 1, 0)
        if slot >= len(labels) - 1:
            continue  # arrives 'later': too far out to judge
        cum_po = np.cumsum(np.concatenate([[arrivals[0] + arrivals[1]], arrivals[2:]]))
        without = bal[i] - cum_po
        need_idx = np.flatnonzero(without[slot:] < -1e-9)
        if len(need_idx) == 0:
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}) that the yarn does not "
                "need before the end of the horizon: defer it", po_number=po_number, scheduled=scheduled)
        elif need_idx[0] >= defer_weeks:
            weeks = int(need_idx[0])
            at_least = "at least " if slot + weeks == len(labels) - 1 else ""
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}), {at_least}{weeks} weeks "
                f"before the yarn first needs it ({week_names[slot + weeks]}): defer it", po_number=po_number,
                need_week=starts[slot + weeks], scheduled=scheduled)
    # typed column by column: a frame of the row dicts, then astype, cost more than the rules above
    columns = {c: _action_column([r[c] for r in rows], dtype) for c, dtype in ACTION_COLUMNS.items()}
    rank = np.array([ACTION_ORDER[r["action"]] for r in rows], dtype=float)
    sort_date = np.where(np.isnat(columns["order_by"]), columns["need_week"], columns["order_by"])
    day = np.where(np.isnat(sort_date), np.iinfo("int64").max, sort_date.astype("int64"))
    order = np.lexsort((columns["yarn_id"], rank, day))  # by order-by (else need week), undated last
    return pd.DataFrame({c: values[order] for c, values in columns.items()})


def _action_column(values: list, dtype: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    if dtype == "datetime64[ns]":
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[ns]")
    if dtype == "string":
        return pd.array(values, dtype="string")
    return np.array(values, dtype=dtype)


def purchase_suggestions(actions: pd.DataFrame, planning: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """The buys as one row per yarn (the former suggestion table): yarn_id, supplier, description, on_hand_lbs,
    total_demand_lbs, total_receipts_lbs, past_due_receipts_lbs, min_balance_lbs, first_shortage_week and
    shortage_lbs (of the planning balance), net_need_lbs, moq_lbs, suggested_order_lbs, lead_time_days,
    lead_time_source, order_by, expedite, cost_per_lb, order_cost_usd, note."""
    buys = actions.loc[actions["action"] == "buy"].set_index("yarn_id")
    bal = planning.set_index("yarn_id").reindex(buys.index)
    info = terms.reindex(buys.index)
    out = pd.DataFrame({
        "supplier": info["supplier"], "description": info["description"], "on_hand_lbs": bal["on_hand_lbs"],
        "total_demand_lbs": bal["total_demand_lbs"], "total_receipts_lbs": bal["total_receipts_lbs"],
        "past_due_receipts_lbs": bal["past_due_receipts_lbs"], "min_balance_lbs": bal["min_balance_lbs"],
        "first_shortage_week": buys["need_week"], "shortage_lbs": buys["net_shortage_lbs"],
        "net_need_lbs": buys["net_shortage_lbs"], "moq_lbs": buys["moq_lbs"], "suggested_order_lbs": buys["lbs"],
        "lead_time_days": buys["lead_time_days"], "lead_time_source": buys["lead_time_source"],
        "order_by": buys["order_by"], "expedite": buys["expedite"], "cost_per_lb": buys["cost_per_lb"],
        "order_cost_usd": buys["cost_usd"],
        "note": info["terms_note"].fillna("").astype("string").where(buys["priced"], "no price"),
    }).reset_index()
    week = out["first_shortage_week"].to_numpy(dtype="datetime64[ns]").astype("int64")
    order = np.lexsort((-out["shortage_lbs"].to_numpy(dtype=float), week))  # earliest week, then largest shortage
    return out.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ plan


def _forecast_by_yarn(forecast_demand: pd.DataFrame | None, labels: list[str]) -> pd.DataFrame:
    """Forecast yarn lbs per bucket as demand rows (yarn_id + bucket columns), one row per yarn."""
    if forecast_demand is None or not len(forecast_demand):
        return pd.DataFrame({"yarn_id": pd.Series(dtype="int64"), **{b: pd.Series(dtype="float64") for b in labels}})
    _check_columns(forecast_demand, labels, "forecast_demand")
    if "yarn_id" not in forecast_demand:
        raise BkError("forecast_demand lacks the column yarn_id; expected one row per yarn_id with the bucket columns")
    f = forecast_demand.loc[forecast_demand["yarn_id"].notna().to_numpy(dtype=bool), ["yarn_id", *labels]]
    f = f.astype({"yarn_id": "int64", **{b: "float64" for b in labels}}).fillna({b: 0.0 for b in labels})
    return f.groupby("yarn_id", as_index=False)[labels].sum()


def _with_forecast(balance: pd.DataFrame, forecast: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    if forecast.empty:
        return balance
    per_yarn = forecast.set_index("yarn_id").reindex(balance["yarn_id"]).fillna(0.0)[labels].to_numpy(dtype=float)
    extra = pd.DataFrame({**{f"forecast_demand_{b}": per_yarn[:, i] for i, b in enumerate(labels)},
                          "forecast_demand_lbs": per_yarn.sum(axis=1)}, index=balance.index)
    return pd.concat([balance, extra], axis=1)


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, include_past_due: bool = False,
         extra_knit_orders: pd.DataFrame | list[dict] | None = None, schedule: Schedule = Schedule(),
         ko_buckets: pd.DataFrame | None = None, forecast_demand: pd.DataFrame | None = None,
         knitting: str = "efab", with_forecast: bool = False) -> dict:
    """The whole yarn plan for one snapshot. Raises MissingDataError naming any export it lacks.

    Demand is the demand of record (``demand_splits``); ``ko_buckets`` replaces eFab's knitting rule for the
    KOs it lists; ``forecast_demand`` (one row per yarn_id with the bucket columns) is added to the demand.
    ``knitting="machines"`` takes ``ko_buckets`` from the capacity plan (each KO's yarn drawn when its machine
    knits it, one KO after another) instead of eFab's rule that knits every KO at once; ``with_forecast`` adds
    the sales forecast carried through the BOM (``forecast_yarn``, net of what open orders cover) as
    ``forecast_demand``, with its evidence under ``forecast_evidence``.
    Keys: ``actions`` (``purchase_actions``: buy / expedite / reconcile / defer, sorted by order-by),
    ``shortages`` (the buys, one row per yarn), ``planning_balance`` (wide, every open PO counted, past due in
    the as-of week: the decisions), ``yarn_balance`` (wide, eFab's view: past due left out unless
    ``include_past_due``), ``projected_balance`` (long eFab view: yarn_id, bucket, bucket_start, demand_lbs,
    receipts_lbs, balance_lbs, planning_balance_lbs), ``open_pos`` (PO lines by bucket), ``yarn_terms``,
    ``ko_demand`` (KO × yarn with bucket columns and bom_source), ``kos``, ``kos_without_bom``,
    ``bom_findings``, ``bom_differences`` (BOM file vs eFab %), ``buckets``, ``summary`` (JSON scalars).
    """
    inventory = _require(frames, "yarn_inventory", "Yarn inventory")
    knit_orders = _require(frames, "knit_orders", "Knit orders")
    bom_raw = _require(frames, "bom", "BOM")
    if knitting not in ("efab", "machines"):
        raise BkError(f"knitting schedule '{knitting}' is unknown: use 'efab' or 'machines'")
    if knitting == "machines" and ko_buckets is None:
        from bk.services import capacity  # capacity uses this module's buckets: imported here, not at the top

        ko_buckets = capacity.machine_buckets(capacity.plan(frames, as_of=as_of), as_of=as_of)
    forecast_evidence = None
    if with_forecast and forecast_demand is None:
        from bk.services import forecast_yarn

        carried = forecast_yarn.yarn_forecast_demand(frames, as_of=as_of)
        forecast_demand, forecast_evidence = carried["demand"], carried["evidence"]
    rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                    "lbs_per_day": pd.Series(dtype="float64")}))
    if extra_knit_orders is not None and len(extra_knit_orders):
        knit_orders = pd.concat([knit_orders, _what_if_orders(pd.DataFrame(extra_knit_orders))], ignore_index=True)
    labels = bucket_labels(as_of)
    bom, bom_findings = _prepared_bom(bom_raw, inventory, frames.get("yarn_master"))
    efab_ko, efab_style = frames.get("yarn_demand_by_style_ko"), frames.get("yarn_demand_by_style")
    exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule, ko_buckets=ko_buckets,
                                 efab_ko=efab_ko, efab_style=efab_style)
    pos, supply_source = open_pos(frames, as_of=as_of)
    supply = _receipts_by_yarn(pos, as_of)
    on_hand = _on_hand(inventory)
    forecast = _forecast_by_yarn(forecast_demand, labels)
    demand = pd.concat([exploded["ko_demand"][["yarn_id", *labels]], forecast], ignore_index=True)
    flows = _balance_flows(on_hand, demand, supply, as_of)  # once for both views
    efab_view = _with_forecast(_balance_frame(flows, as_of), forecast, labels)
    planning = _with_forecast(_balance_frame(flows, as_of, include_past_due=True), forecast, labels)
    balance = efab_view if not include_past_due else planning
    terms = yarn_terms(frames, planning["yarn_id"], pos)
    actions = purchase_actions(planning, efab_view, pos, terms, as_of=as_of)
    shortages = purchase_suggestions(actions, planning, terms)
    balance = balance.copy()
    balance.insert(1, "supplier", balance["yarn_id"].map(terms["supplier"]).astype("string"))
    kos = exploded["kos"]
    long = _long_balance(balance, as_of)
    long["planning_balance_lbs"] = planning[[f"balance_{b}" for b in labels]].to_numpy().ravel()
    counts = actions["action"].value_counts()
    of = {a: actions.loc[actions["action"] == a] for a in ("buy", "expedite", "reconcile", "defer")}
    result = {
        "actions": actions,
        "shortages": shortages,
        "yarn_balance": balance,
        "planning_balance": planning,
        "projected_balance": long,
        "open_pos": pos,
        "yarn_terms": terms.reset_index(),
        "ko_demand": exploded["ko_demand"],
        "kos": kos,
        "kos_without_bom": kos.loc[~kos["has_bom"], [c for c in ("knit_order", "style", "balance_lbs", "start",
                                                                 "quoted_date") if c in kos]].reset_index(drop=True),
        "bom_findings": bom_findings.copy(),
        "bom_differences": bom_differences(bom, efab_ko, efab_style),
        "buckets": pd.DataFrame({"bucket": labels, "bucket_start": pd.to_datetime(
            [*bucket_starts(as_of), bucket_starts(as_of)[-1] + timedelta(weeks=1)])}),
        "summary": {
            "as_of": as_of.isoformat(), "open_kos": int(len(kos)), "kos_without_bom": int((~kos["has_bom"]).sum()),
            "lbs_without_bom": float(kos.loc[~kos["has_bom"], "balance_lbs"].sum()),
            "kos_by_bom_source": {str(k): int(v) for k, v in kos["bom_source"].value_counts().items()},
            "kos_capacity_scheduled": int((kos["schedule_source"] == "capacity schedule").sum()),
            "rate_defaulted_kos": int((kos["rate_source"] == RATE_MEDIAN).sum()),
            "kos_balance_recomputed": int((kos["balance_lbs"] - kos["export_balance_lbs"]).abs().gt(0.05).sum()),
            "total_demand_lbs": float(planning["total_demand_lbs"].sum()),
            "forecast_demand_lbs": float(planning["forecast_demand_lbs"].sum()) if len(forecast) else 0.0,
            "yarns_short": int((efab_view["shortage_lbs"] > 0).sum()),
            "shortage_lbs": float(efab_view["shortage_lbs"].sum()),
            "net_shortage_lbs": float(np.maximum(0.0, -planning["min_balance_lbs"]).sum()),
            "buys": int(counts.get("buy", 0)), "buy_lbs": float(of["buy"]["lbs"].sum()),
            "buy_usd": float(np.nansum(of["buy"]["cost_usd"])),
            "buys_past_order_by": int(of["buy"]["expedite"].sum()),
            "expedites": int(counts.get("expedite", 0)), "expedite_lbs": float(of["expedite"]["lbs"].sum()),
            "expedite_usd": float(np.nansum(of["expedite"]["cost_usd"])),
            "reconciles": int(counts.get("reconcile", 0)), "defers": int(counts.get("defer", 0)),
            "defer_lbs": float(of["defer"]["lbs"].sum()),
            "unpriced_actions": int((~actions["priced"] & actions["action"].isin(["buy", "expedite", "defer"])).sum()),
            "expedite": int(of["buy"]["expedite"].sum() + counts.get("expedite", 0)),
            "suggested_order_usd": float(np.nansum(of["buy"]["cost_usd"])),
            "bom_differences": 0,
            "receipts_source": supply_source, "include_past_due": include_past_due,
            "what_if_orders": 0 if extra_knit_orders is None else int(len(extra_knit_orders)),
        },
    }
    result["summary"]["bom_differences"] = int(len(result["bom_differences"]))
    result["summary"]["knitting"] = knitting
    if forecast_evidence is not None:
        result["forecast_evidence"] = forecast_evidence
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
        bom, _ = _prepared_bom(_require(frames, "bom", "BOM"), inventory, None)
        knit_orders = _require(frames, "knit_orders", "Knit orders")
        rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                        "lbs_per_day": pd.Series(dtype="float64")}))
        # the demand of record, as the plan uses it
        exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule,
                                     efab_ko=frames["yarn_demand_by_style_ko"],
                                     efab_style=frames.get("yarn_demand_by_style"))
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
        # no start date: knitting starts at the as-of date, as for a real KO with a blank start
        "start_date": pd.to_datetime(extra.get("start_date", pd.Series(pd.NaT, index=extra.index)),
                                     errors="coerce").astype("datetime64[ns]"),
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
        # taken from the 10 labels: cheaper than making a string array of 10 x (number of yarns) Python strings
        "bucket": pd.array(labels, dtype="string").take(np.tile(np.arange(len(labels)), n)),
        "bucket_start": pd.to_datetime(np.tile(np.array(starts, dtype="datetime64[D]"), n)),
        "demand_lbs": balance[[f"demand_{b}" for b in labels]].to_numpy().ravel(),
        "receipts_lbs": balance[[f"receipts_{b}" for b in labels]].to_numpy().ravel(),
        "balance_lbs": balance[[f"balance_{b}" for b in labels]].to_numpy().ravel(),
    })


def pegging(result: dict, yarn_id: int) -> pd.DataFrame:
    """The KOs and styles behind one yarn's demand: one row per (KO, bucket) with lbs > 0, with the KO's
    bom_source (where its yarn split comes from)."""
    demand = result["ko_demand"]
    rows = demand.loc[demand["yarn_id"] == yarn_id]
    labels = [c for c in demand.columns if c.startswith("week_of_") or c == LATER]
    ids = [c for c in ("knit_order", "style", "fraction", "bom_source") if c in rows]
    long = rows.melt(id_vars=ids, value_vars=labels, var_name="bucket", value_name="lbs")
    long = long.loc[long["lbs"] > 1e-9]
    order = {b: i for i, b in enumerate(labels)}
    return long.sort_values(["bucket", "lbs"], key=lambda s: s.map(order) if s.name == "bucket" else -s).reset_index(
        drop=True)


def supply_by_po(result: dict, yarn_id: int) -> pd.DataFrame:
    """One yarn's open POs: one row per PO line with po_number, supplier, po_balance_lbs, past_due_lbs
    (unscheduled or past due) and the bucket columns."""
    pos = result["open_pos"]
    labels = list(result["buckets"]["bucket"])
    cols = ["po_number", "supplier", "po_balance_lbs", "past_due_lbs", *labels]
    return pos.loc[pos["yarn_id"] == yarn_id, cols].reset_index(drop=True)


def position(result: dict, yarn_id: int) -> dict:
    """One yarn's stock, open POs, demand and terms as JSON scalars: on_hand_lbs, open_po_lbs,
    total_demand_lbs, forecast_demand_lbs, net_shortage_lbs, eFab view shortage_lbs, moq_lbs,
    order_multiple_lbs, lead_time_days, lead_time_source, cost_per_lb, price_source, known_yarn."""
    planning = result["planning_balance"].set_index("yarn_id")
    efab = result["yarn_balance"].set_index("yarn_id")
    terms = result["yarn_terms"].set_index("yarn_id")
    pos = result["open_pos"]
    out: dict = {"yarn_id": int(yarn_id)}
    if yarn_id in planning.index:
        p = planning.loc[yarn_id]
        out.update(on_hand_lbs=float(p["on_hand_lbs"]), total_demand_lbs=float(p["total_demand_lbs"]),
                   forecast_demand_lbs=float(p.get("forecast_demand_lbs", 0.0)),
                   net_shortage_lbs=float(max(0.0, -p["min_balance_lbs"])),
                   shortage_lbs=float(efab.loc[yarn_id, "shortage_lbs"]))
    out["open_po_lbs"] = float(pos.loc[pos["yarn_id"] == yarn_id, "po_balance_lbs"].sum())
    if yarn_id in terms.index:
        t = terms.loc[yarn_id]
        for c in ("moq_lbs", "order_multiple_lbs", "lead_time_days", "cost_per_lb"):
            out[c] = None if pd.isna(t[c]) else float(t[c])
        out.update(lead_time_source=str(t["lead_time_source"]), price_source=str(t["price_source"]),
                   supplier=None if pd.isna(t["supplier"]) else str(t["supplier"]), known_yarn=bool(t["known_yarn"]))
    return out


def actions_with_evidence(result: dict) -> pd.DataFrame:
    """The action list with its why-trail as columns, for downloads: the actions, then on_hand_lbs,
    open_po_lbs, total_demand_lbs, price_source, pegging (KO, style, bom_source and lbs per KO, largest first)
    and open_pos (PO number, lbs, when) of the yarn."""
    actions = result["actions"].copy()
    planning = result["planning_balance"].set_index("yarn_id")
    terms = result["yarn_terms"].set_index("yarn_id")
    pos = result["open_pos"]
    labels = list(result["buckets"]["bucket"])
    yarns = actions["yarn_id"]
    actions["on_hand_lbs"] = planning["on_hand_lbs"].reindex(yarns).to_numpy()
    actions["total_demand_lbs"] = planning["total_demand_lbs"].reindex(yarns).to_numpy()
    actions["open_po_lbs"] = pos.groupby("yarn_id")["po_balance_lbs"].sum().reindex(yarns).fillna(0.0).to_numpy()
    actions["price_source"] = terms["price_source"].reindex(yarns).to_numpy()
    wanted = set(yarns)
    demand = result["ko_demand"]
    demand = demand.loc[_isin(demand["yarn_id"], list(wanted))] if wanted else demand.iloc[:0]
    peg: dict[int, str] = {}
    for yarn_id, rows in demand.sort_values("total_lbs", ascending=False).groupby("yarn_id", sort=False):
        peg[int(yarn_id)] = "; ".join(f"{k} {st} ({src}) {lbs:,.0f} lbs" for k, st, src, lbs in zip(
            rows["knit_order"], rows["style"], rows["bom_source"], rows["total_lbs"], strict=True))
    supply: dict[int, str] = {}
    in_plan = _isin(pos["yarn_id"], list(wanted)) if wanted else np.zeros(len(pos), dtype=bool)
    for yarn_id, rows in pos.loc[in_plan].groupby("yarn_id"):
        parts = []
        for _, r in rows.iterrows():
            when = ["unscheduled/past due"] if r["past_due_lbs"] > 1e-9 else []
            when += [b for b in labels if r[b] > 1e-9]
            parts.append(f"{r['po_number']} {r['po_balance_lbs']:,.0f} lbs ({', '.join(when) or 'no date'})")
        supply[int(yarn_id)] = "; ".join(parts)
    # to string before filling: with nothing to peg the map is all-NaN float, and "" is no float
    actions["pegging"] = yarns.map(peg).astype("string").fillna("")
    actions["open_pos"] = yarns.map(supply).astype("string").fillna("")
    return actions



# ------------------------------------------------------------------------------------- comparing two plans
def _first_week(kos: pd.DataFrame, labels: list[str], starts: pd.Series) -> pd.Series:
    """knit_order -> the start date of the first bucket in which the KO draws yarn (NaT when it draws none)."""
    values = kos[labels].to_numpy(dtype="float64")
    drawn = values > 1e-9
    first = np.where(drawn.any(axis=1), drawn.argmax(axis=1), -1)
    dates = starts.to_numpy(dtype="datetime64[ns]")
    out = np.where(first >= 0, dates[np.clip(first, 0, None)], np.datetime64("NaT"))
    return pd.Series(out.astype("datetime64[ns]"), index=kos["knit_order"].astype("string").to_numpy())


def _buys(result: dict) -> pd.DataFrame:
    cols = ["yarn_id", "description", "supplier", "first_shortage_week", "shortage_lbs", "suggested_order_lbs",
            "order_cost_usd"]
    return result["shortages"][[c for c in cols if c in result["shortages"].columns]].set_index("yarn_id")


def schedule_changes(efab_result: dict, other_result: dict) -> dict:
    """What changes when the plan ``other_result`` (e.g. ``knitting="machines"``) replaces ``efab_result``.

    Both are ``plan`` results of one snapshot and as-of. Keys:
    ``moves``: KOs whose yarn moves by a week or more (``capacity.yarn_moves`` on the two plans' ``kos``
    bucket columns) with style, balance_lbs and the first week each plan draws their yarn (efab_first_week,
    other_first_week), largest move first;
    ``appear``: yarns short in the horizon (a buy) under ``other_result`` only, with its shortage;
    ``vanish``: yarns short under ``efab_result`` only, with eFab's shortage.
    """
    from bk.services.capacity import yarn_moves  # capacity imports this module: imported here

    labels = list(efab_result["buckets"]["bucket"])
    if labels != list(other_result["buckets"]["bucket"]):
        raise ValueError("the two plans have different week buckets: compare plans of one snapshot and as-of")
    starts = efab_result["buckets"]["bucket_start"]
    ek, ok = efab_result["kos"], other_result["kos"]
    moves = yarn_moves(ek.set_index("knit_order")[labels], ok.set_index("knit_order")[labels])
    info = ek.drop_duplicates("knit_order").set_index(ek["knit_order"].drop_duplicates().astype("string"))
    keys = moves["knit_order"].to_numpy()
    moves.insert(1, "style", info["style"].reindex(keys).astype("string").to_numpy())
    moves.insert(2, "balance_lbs", info["balance_lbs"].reindex(keys).to_numpy(dtype="float64"))
    moves["efab_first_week"] = _first_week(ek, labels, starts).reindex(keys).to_numpy()
    moves["other_first_week"] = _first_week(ok, labels, starts).reindex(keys).to_numpy()
    before, after = _buys(efab_result), _buys(other_result)
    appear = after.loc[[y for y in after.index if y not in before.index]].reset_index()
    vanish = before.loc[[y for y in before.index if y not in after.index]].reset_index()
    return {"moves": moves.reset_index(drop=True), "appear": appear, "vanish": vanish}


def plan_change(before: dict, after: dict) -> dict:
    """Before → after of a change to the plan (a what-if order, another schedule): ``totals`` (one row per
    measure: yarns short in the horizon, buy lbs, buy $ with before, after, change) and ``yarns`` (the yarns
    whose buy changed: yarn_id, description, before_lbs, after_lbs, before_usd, after_usd, largest change first).
    """
    sb, sa = before["summary"], after["summary"]
    measures = [("Yarns short in the horizon", float(len(before["shortages"])), float(len(after["shortages"]))),
                ("Buy (lbs)", sb["buy_lbs"], sa["buy_lbs"]), ("Buy ($)", sb["buy_usd"], sa["buy_usd"])]
    totals = pd.DataFrame(measures, columns=["measure", "before", "after"])
    totals["change"] = totals["after"] - totals["before"]
    b, a = _buys(before), _buys(after)
    ids = list(dict.fromkeys([*b.index, *a.index]))
    yarns = pd.DataFrame({
        "yarn_id": pd.array(ids, dtype="int64"),
        "description": a["description"].reindex(ids).fillna(b["description"].reindex(ids)).astype("string")
        .to_numpy() if "description" in a else pd.array([pd.NA] * len(ids), dtype="string"),
        "before_lbs": b["suggested_order_lbs"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "after_lbs": a["suggested_order_lbs"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "before_usd": b["order_cost_usd"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "after_usd": a["order_cost_usd"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
    })
    yarns["change_lbs"] = yarns["after_lbs"] - yarns["before_lbs"]
    yarns = yarns.loc[yarns["change_lbs"].abs() > 0.5]
    order = np.argsort(-yarns["change_lbs"].abs().to_numpy(), kind="stable")
    return {"totals": totals, "yarns": yarns.iloc[order].reset_index(drop=True)}


def picker_yarns(result: dict, inventory: pd.DataFrame | None = None) -> pd.DataFrame:
    """The yarns of the plan's projected balance with what a planner searches them by: yarn_id, description,
    supplier, color (colour from the yarn inventory when given), yarns with an action first."""
    ids = list(dict.fromkeys([*result["actions"]["yarn_id"], *sorted(set(result["projected_balance"]["yarn_id"]))]))
    idx = pd.Index(ids, dtype="int64")
    terms = result["yarn_terms"].drop_duplicates("yarn_id").set_index("yarn_id").reindex(idx)
    out = pd.DataFrame({"yarn_id": idx, "description": terms["description"].astype("string").to_numpy(),
                        "supplier": terms["supplier"].astype("string").to_numpy()})
    colour = pd.Series(pd.NA, index=idx, dtype="string")
    if inventory is not None and "color" in inventory.columns:
        inv = inventory.dropna(subset=["yarn_id"]).drop_duplicates("yarn_id").set_index("yarn_id")
        colour = inv["color"].astype("string").reindex(idx)
        if "description" in inv.columns:
            out["description"] = out["description"].fillna(pd.Series(inv["description"].astype("string")
                                                                      .reindex(idx).to_numpy(), dtype="string"))
    out["color"] = colour.to_numpy()
    out["has_action"] = out["yarn_id"].isin(set(result["actions"]["yarn_id"]))
    return out


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
    # as strings even when no KO is open (an empty map would give floats)
    rate_source = ko_ids.map(pd.Series(kos["rate_source"].to_numpy(dtype=object),
                                       index=kos["knit_order"].astype("string"), dtype=object)).astype("string")
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
    return result["ko_demand"].drop(columns=["bom_source"], errors="ignore")


BY_YARN_PLAN_COLUMNS = ["total_demand_lbs", "open_po_lbs", "net_shortage_lbs", "buy_lbs", "action",
                        "lead_time_days", "lead_time_source"]


def by_yarn_table(result: dict) -> pd.DataFrame:
    """One row per yarn: on hand, past-due receipts, demand/receipts/balance per bucket (eFab's view), its
    first_shortage_week and shortage_lbs, the buy (suggested_order_lbs, order_by, expedite), then the plan
    columns: total_demand_lbs (all buckets incl. later), open_po_lbs (Σ PO Bal of the yarn's open POs),
    net_shortage_lbs (deepest negative planning balance, every open PO counted), buy_lbs, action (comma-joined
    actions), lead_time_days, lead_time_source; forecast_demand_<bucket> and forecast_demand_lbs when the plan
    had forecast demand."""
    balance = result["yarn_balance"]
    labels = list(result["buckets"]["bucket"])
    inv_cols = ["yarn_id", "supplier", "on_hand_lbs", "past_due_receipts_lbs"]
    per_bucket = [f"{m}_{b}" for b in labels for m in ("demand", "receipts", "balance")]
    table = balance[inv_cols + per_bucket + ["first_shortage_week", "shortage_lbs"]].copy()
    actions = result["actions"]
    buys = actions.loc[actions["action"] == "buy"].drop_duplicates("yarn_id").set_index("yarn_id")
    table["suggested_order_lbs"] = buys["lbs"].reindex(table["yarn_id"]).fillna(0.0).to_numpy()
    table["order_by"] = buys["order_by"].reindex(table["yarn_id"]).dt.date.to_numpy()
    expedited = set(actions.loc[actions["expedite"], "yarn_id"])
    table["expedite"] = table["yarn_id"].isin(expedited).to_numpy(dtype=bool)
    table["first_shortage_week"] = table["first_shortage_week"].dt.date
    planning = result["planning_balance"].set_index("yarn_id").reindex(table["yarn_id"])
    table["total_demand_lbs"] = planning["total_demand_lbs"].to_numpy()
    open_po = result["open_pos"].groupby("yarn_id")["po_balance_lbs"].sum()
    table["open_po_lbs"] = table["yarn_id"].map(open_po).fillna(0.0).to_numpy()
    table["net_shortage_lbs"] = np.maximum(0.0, -planning["min_balance_lbs"].to_numpy())
    table["buy_lbs"] = table["suggested_order_lbs"]
    order = {"buy": 0, "expedite": 1, "reconcile": 2, "defer": 3}
    joined = (actions.drop_duplicates(["yarn_id", "action"]).assign(_o=actions["action"].map(order))
              .sort_values(["yarn_id", "_o"]).groupby("yarn_id")["action"].agg(",".join))
    table["action"] = joined.astype("string").reindex(table["yarn_id"]).fillna("").to_numpy()
    terms = result["yarn_terms"].set_index("yarn_id").reindex(table["yarn_id"])
    table["lead_time_days"] = terms["lead_time_days"].to_numpy()
    table["lead_time_source"] = terms["lead_time_source"].to_numpy()
    if "forecast_demand_lbs" in result["planning_balance"].columns:
        fc = [f"forecast_demand_{b}" for b in labels] + ["forecast_demand_lbs"]
        table[fc] = planning[fc].to_numpy()
    return table.reset_index(drop=True)


def actions_table(result: dict) -> pd.DataFrame:
    """One row per action for the CLI's ``--actions``: yarn_id, action, po_number, lbs, need_week, order_by,
    reason, then supplier, cost_usd, lead_time_days, lead_time_source (dates as YYYY-MM-DD)."""
    a = result["actions"]
    out = a[["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "reason", "supplier", "cost_usd",
             "lead_time_days", "lead_time_source"]].copy()
    out["need_week"] = out["need_week"].dt.date
    out["order_by"] = out["order_by"].dt.date
    return out


def pegged_demand(frames: Mapping[str, pd.DataFrame], *, as_of: date, yarn_id: int, **plan_params) -> pd.DataFrame:
    """Pegging as an operation: the plan with ``plan_params``, then the KOs behind ``yarn_id``'s demand."""
    return pegging(plan(frames, as_of=as_of, **plan_params), int(yarn_id))


def action_evidence(frames: Mapping[str, pd.DataFrame], *, as_of: date, **plan_params) -> dict:
    """The why-trail of every action of the plan with ``plan_params``, as an operation (one plan run).

    Keys: ``actions`` (``actions_with_evidence``: the download), ``pegging`` (``pegging`` rows with yarn_id for
    every yarn with an action), ``supply`` (``supply_by_po`` rows with yarn_id), ``positions`` (one row per
    yarn with an action: ``position``)."""
    result = plan(frames, as_of=as_of, **plan_params)
    yarn_ids = list(dict.fromkeys(int(y) for y in result["actions"]["yarn_id"]))
    labels = list(result["buckets"]["bucket"])
    demand = result["ko_demand"]
    demand = demand.loc[_isin(demand["yarn_id"], yarn_ids) if yarn_ids else np.zeros(len(demand), dtype=bool)]
    long = demand.melt(id_vars=["yarn_id", "knit_order", "style", "fraction", "bom_source"], value_vars=labels,
                       var_name="bucket", value_name="lbs")
    long = long.loc[long["lbs"] > 1e-9].assign(_b=lambda d: d["bucket"].map({b: i for i, b in enumerate(labels)}))
    long = long.sort_values(["yarn_id", "_b", "lbs"], ascending=[True, True, False]).drop(columns="_b")
    pos = result["open_pos"]
    in_plan = _isin(pos["yarn_id"], yarn_ids) if yarn_ids else np.zeros(len(pos), dtype=bool)
    supply = pos.loc[in_plan, ["yarn_id", "po_number", "supplier", "po_balance_lbs", "past_due_lbs", *labels]]
    ids = pd.Index(yarn_ids, name="yarn_id", dtype="int64")
    planning = result["planning_balance"].set_index("yarn_id").reindex(ids)
    terms = result["yarn_terms"].set_index("yarn_id").reindex(ids)
    positions = pd.DataFrame({
        "on_hand_lbs": planning["on_hand_lbs"], "open_po_lbs": pos.groupby("yarn_id")["po_balance_lbs"].sum()
        .reindex(ids).fillna(0.0), "total_demand_lbs": planning["total_demand_lbs"],
        "net_shortage_lbs": np.maximum(0.0, -planning["min_balance_lbs"]),
        "shortage_lbs": result["yarn_balance"].set_index("yarn_id")["shortage_lbs"].reindex(ids),
        **{c: terms[c] for c in ("supplier", "moq_lbs", "order_multiple_lbs", "lead_time_days", "lead_time_source",
                                 "cost_per_lb", "price_source", "known_yarn")}}, index=ids).reset_index()
    return {"actions": actions_with_evidence(result), "pegging": long.reset_index(drop=True),
            "supply": supply.reset_index(drop=True), "positions": positions}


OPERATIONS = {"yarn.plan": plan, "yarn.reconcile": reconcile, "yarn.pegging": pegged_demand,
              "yarn.evidence": action_evidence}
