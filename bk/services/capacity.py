"""Capacity planning: each machine knits its open KOs one after another on the 5.5-day week; unassigned KOs are
placed on a suggested machine and carried in the load apart from the committed KOs; utilisation per machine and
work centre on the working days left, projected finish and late risk, and the yarn timing that follows."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bk.errors import MissingDataError
from bk.services.planning.calendar import bucket_labels
from bk.services.styles import (
    RATE_EXACT,
    RATE_FAMILY,
    RATE_MEDIAN,
    family_key,
    knit_rates,
    norm_key,
    week_monday,
)

DAY_CAPACITY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)  # machine-days: Mon-Fri full, Saturday half, Sunday none
WEEK_CAPACITY = sum(DAY_CAPACITY)  # 5.5
_PREFIX = np.concatenate([[0.0], np.cumsum(DAY_CAPACITY)])  # capacity used before each weekday
# Rate when the snapshot has no usable Production Lbs at all: about the median of the 2025-08-28 file (544.4).
DEFAULT_LBS_PER_DAY = 544.0
# A KO needing more than ten years of one machine is a record error (a Balance of 1e11 lbs): reported, not queued.
MAX_MACHINE_DAYS = WEEK_CAPACITY * 52 * 10
ASSIGNED, SUGGESTED = "assigned", "suggested"
FINDING_COLUMNS = ["severity", "knit_order", "column", "message"]


def _units(days: np.ndarray) -> np.ndarray:
    """Machine-days of capacity from Monday of the as-of week up to the start of each day (days after it)."""
    weeks, weekday = np.divmod(days.astype("int64"), 7)
    return WEEK_CAPACITY * weeks + _PREFIX[weekday]


def _day_of(units: np.ndarray) -> np.ndarray:
    """Day offset (from Monday of the as-of week) on which each capacity position (just before it) is used."""
    u = np.maximum(np.asarray(units, dtype="float64") - 1e-9, 0.0)
    weeks = np.floor(u / WEEK_CAPACITY)
    rest = u - WEEK_CAPACITY * weeks
    weekday = np.minimum(np.searchsorted(_PREFIX[1:], rest, side="right"), 5)
    return (7 * weeks + weekday).astype("int64")


def _dates(monday0: date, day_offsets: np.ndarray) -> np.ndarray:
    return (np.datetime64(monday0, "D") + day_offsets.astype("timedelta64[D]")).astype("datetime64[ns]")


def days_left(as_of: date) -> float:
    """Machine-days of one machine left in the as-of week, the as-of day included (Thursday: 2.5)."""
    return float(WEEK_CAPACITY - _PREFIX[as_of.weekday()])


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str) -> pd.DataFrame:
    if kind not in frames:
        raise MissingDataError(f"capacity planning needs the {title} export ({kind}); upload it on the Data page")
    return frames[kind]


def style_work_centers(greige: pd.DataFrame | None, styles: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Work centre of each style from the QuadS greige list: exact key (no spaces, upper case), then the
    base before '/'; returns (work_center, how it matched: 'style', 'base' or 'none')."""
    if greige is None or len(greige) == 0:
        return pd.Series(pd.NA, index=styles.index, dtype="string"), pd.Series("none", index=styles.index)
    g = greige.loc[greige["work_center"].notna(), ["style", "base", "work_center"]]
    centres = pa.array(g["work_center"].astype("string"))

    def lookup(known: pd.Series, wanted: pd.Series) -> pa.Array:
        # Arrow: index_in gives the first row of a repeated style, without a round trip through Python objects
        return pc.take(centres, pc.index_in(pa.array(wanted), value_set=pa.array(known)))

    exact = lookup(norm_key(g["style"]), norm_key(styles))
    base = lookup(norm_key(g["base"]), family_key(styles))
    found, found_base = exact.is_valid().to_numpy(zero_copy_only=False), base.is_valid().to_numpy(
        zero_copy_only=False)
    wc = pd.Series(pd.array(pc.coalesce(exact, base), dtype="string"), index=styles.index)
    how = np.where(found, "style", np.where(found_base, "base", "none"))
    return wc, pd.Series(how, index=styles.index)


def _open_kos(kos: pd.DataFrame, rates: pd.DataFrame | None, greige: pd.DataFrame | None, *, as_of: date,
              monday0: date, findings: list[dict]) -> pd.DataFrame:
    """The open KOs with rate, machine-days, work centre and earliest capacity position; findings appended."""
    wanted = [c for c in ("knit_order", "style", "balance_lbs", "start_date", "quoted_date", "machine") if c in kos]
    open_kos = kos.loc[kos["balance_lbs"] > 0, wanted].copy()
    open_kos["style"] = open_kos["style"].astype("string").str.strip()
    rate = knit_rates(open_kos["style"], rates)
    open_kos["lbs_per_day"] = rate["lbs_per_day"].to_numpy()
    open_kos["rate_source"] = rate["rate_source"].array
    if open_kos["lbs_per_day"].isna().any():
        what = "no Production Lbs export" if rates is None else "no positive rate in Production Lbs"
        findings.append({"severity": "warning", "knit_order": pd.NA, "column": "lbs_per_day",
                         "message": f"{what}: every KO knits at the default {DEFAULT_LBS_PER_DAY:g} lbs/day; "
                                    "upload Production Lbs for real machine-days"})
        open_kos["lbs_per_day"] = open_kos["lbs_per_day"].fillna(DEFAULT_LBS_PER_DAY)
        open_kos["rate_source"] = open_kos["rate_source"].fillna(RATE_MEDIAN)
    open_kos["machine_days"] = open_kos["balance_lbs"] / open_kos["lbs_per_day"]
    wc, how = style_work_centers(greige, open_kos["style"])
    open_kos["style_work_center"] = wc
    open_kos["wc_match"] = how.to_numpy()
    # a blank start is the as-of date (eFab's rule): only a missing column is worth a warning
    if "start_date" not in open_kos:
        findings.append({"severity": "warning", "knit_order": pd.NA, "column": "Start Date",
                         "message": "the knit orders have no Start Date column: every KO starts at the as-of date; "
                                    "export the knit orders with Start Date"})
        open_kos["start_date"] = pd.NaT
    if "quoted_date" not in open_kos:
        open_kos["quoted_date"] = pd.NaT
    # ingest adds an optional column the export lacks as an empty one: no machine at all is a missing column
    if "machine" not in open_kos or (len(open_kos) and open_kos["machine"].isna().all()):
        findings.append({"severity": "warning", "knit_order": pd.NA, "column": "Machine",
                         "message": "the knit orders have no Machine column (or it is blank): every KO is unassigned and placed on "
                                    "a suggested machine; export the knit orders with Machine"})
        open_kos["machine"] = pd.array([pd.NA] * len(open_kos), dtype="Int64")
    open_kos["start_date"] = pd.to_datetime(open_kos["start_date"])
    open_kos["quoted_date"] = pd.to_datetime(open_kos["quoted_date"])
    start = open_kos["start_date"].fillna(pd.Timestamp(as_of))
    # days from monday0, clipped: a start before the as-of week or past year 9999 cannot overflow
    offset = ((start - pd.Timestamp(monday0)) // pd.Timedelta(days=1)).clip(lower=0, upper=10**6)
    now = WEEK_CAPACITY - days_left(as_of)
    open_kos["sort_start"] = start
    open_kos["earliest_units"] = np.maximum(now, _units(offset.to_numpy(dtype="int64")))
    implausible = ~(open_kos["machine_days"] <= MAX_MACHINE_DAYS)
    open_kos["implausible"] = implausible.to_numpy()
    for r in open_kos.loc[implausible].itertuples(index=False):
        findings.append({"severity": "warning", "knit_order": r.knit_order, "column": "Balance (lbs)",
                         "message": f"{r.knit_order}: Balance {r.balance_lbs:,.0f} lbs at {r.lbs_per_day:,.1f} lbs/day "
                                    f"needs {r.machine_days:,.0f} machine-days (more than ten years on one machine); "
                                    "left out of the machine plan: check the Balance in the knit orders export"})
    return open_kos


def _place_assigned(assigned: pd.DataFrame, busy: dict[int, list[tuple[float, float]]]) -> list[tuple]:
    """Each machine's KOs one after another, by start date (blank = as-of), then KO number."""
    assigned = assigned.sort_values(["machine", "sort_start", "knit_order"], kind="mergesort")
    out = []
    for key, m, earliest, days in zip(assigned.index, assigned["machine"].astype("int64"),
                                      assigned["earliest_units"], assigned["machine_days"], strict=True):
        taken = busy.setdefault(m, [])
        begin = max(earliest, taken[-1][1]) if taken else earliest
        taken.append((begin, begin + days))
        out.append((key, m, begin, begin + days, ASSIGNED))
    return out


def _first_gap(taken: list[tuple[float, float]], earliest: float, days: float) -> float:
    """Earliest position >= ``earliest`` where ``days`` fit between the machine's placements (sorted)."""
    t = earliest
    for b, e in taken:
        if e <= t:
            continue
        if b >= t + days:
            break
        t = e
    return t


def _place_suggested(unassigned: pd.DataFrame, machine_wc: pd.Series,
                     busy: dict[int, list[tuple[float, float]]]) -> tuple[list, dict]:
    """Each unassigned KO (by start date, then KO) on the machine of its style's work centre where it can start
    first (never before its start date, in a gap between placements if it fits; lower machine number on ties);
    later suggestions see the earlier ones placed."""
    by_wc: dict[str, list[int]] = {}
    for m, w in machine_wc.dropna().items():  # once, not per KO: there are thousands at scale
        by_wc.setdefault(str(w), []).append(int(m))
    out, notes = [], {}
    ordered = unassigned.sort_values(["sort_start", "knit_order"], kind="mergesort")
    for key, wc, earliest, days in zip(ordered.index, ordered["style_work_center"], ordered["earliest_units"],
                                       ordered["machine_days"], strict=True):
        if pd.isna(wc):
            notes[key] = "style has no work centre in the greige list"
            continue
        candidates = by_wc.get(str(wc), [])
        if not candidates:
            notes[key] = f"no machine in work centre {wc}"
            continue
        begin, best = min((_first_gap(busy.get(m, ()), earliest, days), m) for m in candidates)
        bisect.insort(busy.setdefault(best, []), (begin, begin + days))  # the next suggestion sees this one
        out.append((key, best, begin, begin + days, SUGGESTED))
    return out, notes


def _overlap(begin: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Capacity (machine-days) of each placement (rows) inside each interval (columns)."""
    return np.clip(np.minimum(end[:, None], hi[None, :]) - np.maximum(begin[:, None], lo[None, :]), 0.0, None)


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon_weeks: int = 12,
         bottleneck_threshold: float = 0.85, window_weeks: int = 4) -> dict:
    """Machine schedule of the open KOs (balance > 0), committed and suggested.

    Keys:
    - schedule: one row per placed KO: placement ('assigned' on the KO's machine, 'suggested' for an unassigned
      KO), machine, work_center, knit_order, style, balance_lbs, lbs_per_day, rate_source, machine_days,
      start_date, start, finish, quoted_date, late, late_unknown, machine_known. No placement starts before
      max(as-of, start date).
    - machine_load (long: machine, work_center, week_start, committed_days, suggested_days, load_days,
      capacity_days, utilization, committed_utilization); wc_load the same per work centre with machines.
      capacity_days is 5.5 a machine and week, the working days left from the as-of date in the as-of week.
    - wc_window (per work centre over window_weeks from as-of), bottlenecks (its rows over the threshold,
      committed + suggested load).
    - unassigned: one row per KO without machine with its suggested machine, free_from, finish_if_placed, note.
    - findings (severity, knit_order, column, message): missing optional columns or rates, implausible KOs.
    - positions: every open KO's capacity positions (for machine_buckets); summary (JSON).
    Raises MissingDataError without the Machine report or the knit orders.
    """
    machines = _require(frames, "machines", "Machine report")
    kos = _require(frames, "knit_orders", "Knit orders")
    monday0 = week_monday(as_of)
    now = WEEK_CAPACITY - days_left(as_of)
    findings: list[dict] = []
    machine_wc = machines.dropna(subset=["machine"]).drop_duplicates("machine")
    machine_wc = pd.Series(machine_wc["work_center"].astype("string").to_numpy(),
                           index=machine_wc["machine"].astype("int64").to_numpy())
    open_kos = _open_kos(kos, frames.get("style_rates"), frames.get("greige_styles"), as_of=as_of,
                         monday0=monday0, findings=findings)
    plannable = open_kos.loc[~open_kos["implausible"]]
    has_machine = plannable["machine"].notna()
    busy: dict[int, list[tuple[float, float]]] = {}
    placed = _place_assigned(plannable.loc[has_machine], busy)
    suggested, notes = _place_suggested(plannable.loc[~has_machine], machine_wc, busy)
    placed += suggested

    keys = [p[0] for p in placed]
    rows = open_kos.loc[keys]
    begin = np.array([p[2] for p in placed], dtype="float64")
    end = np.array([p[3] for p in placed], dtype="float64")
    machine = np.array([p[1] for p in placed], dtype="int64")
    finish = _dates(monday0, _day_of(end))
    quoted = rows["quoted_date"].to_numpy(dtype="datetime64[ns]")
    schedule = pd.DataFrame({
        "placement": pd.array([p[4] for p in placed], dtype="string"), "machine": machine,
        "work_center": pd.array(machine_wc.reindex(machine).to_numpy(dtype=object, na_value=None), dtype="string"),
        "knit_order": rows["knit_order"].astype("string").array, "style": rows["style"].astype("string").array,
        "balance_lbs": rows["balance_lbs"].to_numpy(dtype="float64"),
        "lbs_per_day": rows["lbs_per_day"].to_numpy(dtype="float64"),
        "rate_source": rows["rate_source"].astype("string").array,
        "machine_days": rows["machine_days"].to_numpy(dtype="float64"),
        "start_date": rows["start_date"].to_numpy(dtype="datetime64[ns]"),
        "start": _dates(monday0, _day_of(begin + 1e-9)), "finish": finish, "quoted_date": quoted,
        "late": finish > quoted,  # NaT compares False: no quoted date is not late but late_unknown
        "late_unknown": np.isnat(quoted), "machine_known": np.isin(machine, machine_wc.index.to_numpy())})
    is_suggested = (schedule["placement"] == SUGGESTED).to_numpy(dtype=bool)

    # weekly load per machine, committed and suggested apart
    lo = WEEK_CAPACITY * np.arange(horizon_weeks, dtype="float64")
    cap = np.full(horizon_weeks, WEEK_CAPACITY)
    if horizon_weeks:
        cap[0] = days_left(as_of)
    overlap = _overlap(begin, end, lo, lo + WEEK_CAPACITY)
    all_machines = np.array(sorted(set(machine_wc.index) | set(machine.tolist())), dtype="int64")
    row_of = np.searchsorted(all_machines, machine)
    committed = np.zeros((len(all_machines), horizon_weeks))
    proposed = np.zeros((len(all_machines), horizon_weeks))
    np.add.at(committed, row_of[~is_suggested], overlap[~is_suggested])
    np.add.at(proposed, row_of[is_suggested], overlap[is_suggested])
    weeks = np.array([monday0 + timedelta(weeks=k) for k in range(horizon_weeks)], dtype="datetime64[D]")
    wc_of_machine = machine_wc.reindex(all_machines).astype("string")
    machine_load = pd.DataFrame({
        "machine": np.repeat(all_machines, horizon_weeks),
        "work_center": pd.array(np.repeat(wc_of_machine.to_numpy(dtype=object), horizon_weeks), dtype="string"),
        "week_start": np.tile(weeks, len(all_machines)).astype("datetime64[ns]"),
        "committed_days": committed.ravel(), "suggested_days": proposed.ravel(),
        "capacity_days": np.tile(cap, len(all_machines))})
    _utilisation(machine_load)

    # per work centre: sums over its machines (numpy: a groupby per call costs more than the whole schedule)
    code, centres = pd.factorize(wc_of_machine.to_numpy(dtype=object, na_value=None), sort=True)
    known = code >= 0
    n_wc = len(centres)
    members = np.bincount(code[known], minlength=n_wc)
    wc_committed = np.zeros((n_wc, horizon_weeks))
    wc_proposed = np.zeros((n_wc, horizon_weeks))
    np.add.at(wc_committed, code[known], committed[known])
    np.add.at(wc_proposed, code[known], proposed[known])
    wc_load = pd.DataFrame({
        "work_center": pd.array(np.repeat(np.asarray(centres, dtype=object), horizon_weeks), dtype="string"),
        "week_start": np.tile(weeks, n_wc).astype("datetime64[ns]"),
        "machines": np.repeat(members, horizon_weeks), "committed_days": wc_committed.ravel(),
        "suggested_days": wc_proposed.ravel(), "capacity_days": np.outer(members, cap).ravel()})
    _utilisation(wc_load)

    window_overlap = _overlap(begin, end, np.array([now]), np.array([WEEK_CAPACITY * window_weeks]))[:, 0]
    placed_code = code[row_of]
    in_wc = placed_code >= 0
    window = pd.DataFrame({
        "work_center": pd.array(np.asarray(centres, dtype=object), dtype="string"), "machines": members,
        "committed_days": np.bincount(placed_code[in_wc & ~is_suggested],
                                      weights=window_overlap[in_wc & ~is_suggested], minlength=n_wc),
        "suggested_days": np.bincount(placed_code[in_wc & is_suggested],
                                      weights=window_overlap[in_wc & is_suggested], minlength=n_wc),
        "capacity_days": members * max(WEEK_CAPACITY * window_weeks - now, 0.0)})
    _utilisation(window)
    window = window.sort_values(["utilization", "work_center"], ascending=[False, True], kind="mergesort")
    bottlenecks = window[window["utilization"] > bottleneck_threshold].reset_index(drop=True)

    unassigned = _unassigned_table(open_kos.loc[open_kos["machine"].isna()], schedule.loc[is_suggested], notes)
    positions = _positions(open_kos, keys, begin, end)
    findings_frame = pd.DataFrame(findings, columns=FINDING_COLUMNS).astype(
        {"severity": "string", "knit_order": "string", "column": "string", "message": "string"})
    sug = schedule.loc[is_suggested]
    sug_earliest = open_kos.loc[[k for k, p in zip(keys, is_suggested, strict=True) if p], "sort_start"].to_numpy()
    committed_rows = schedule.loc[~is_suggested]
    summary = {
        "as_of": as_of.isoformat(),
        "machines": int(machine_wc.index.nunique()), "work_centers": int(machine_wc.nunique()),
        "assigned_kos": int(open_kos["machine"].notna().sum()),
        "unassigned_kos": int(open_kos["machine"].isna().sum()),
        "late_kos": int(committed_rows["late"].sum()),
        "late_unknown_kos": int(committed_rows["late_unknown"].sum()),
        "late_suggested_kos": int(sug["late"].sum()),
        "max_wc_utilization": float(window["utilization"].max()) if len(window) else 0.0,
        "max_wc_committed_utilization": float(window["committed_utilization"].max()) if len(window) else 0.0,
        "rate_defaulted_kos": int((open_kos["rate_source"] != RATE_EXACT).sum()),
        "family_rate_kos": int((open_kos["rate_source"] == RATE_FAMILY).sum()),
        "median_rate_kos": int((open_kos["rate_source"] == RATE_MEDIAN).sum()),
        "suggestions_before_start": int((sug["start"].to_numpy() < np.maximum(
            sug_earliest, np.datetime64(as_of, "ns"))).sum()),
        "unassigned_kos_suggested": int(unassigned["suggested_machine"].notna().sum()),
        "unassigned_kos_in_load": int(pd.Series(machine[is_suggested]).isin(all_machines).sum()),
        "as_of_week_days_left": days_left(as_of),
        "implausible_kos": int(open_kos["implausible"].sum()),
        "unknown_machines": sorted(int(m) for m in set(schedule.loc[~schedule["machine_known"], "machine"])),
        "window_weeks": window_weeks, "bottleneck_threshold": bottleneck_threshold,
    }
    return {"schedule": schedule, "machine_load": machine_load, "wc_load": wc_load,
            "wc_window": window.reset_index(drop=True), "bottlenecks": bottlenecks, "unassigned": unassigned,
            "findings": findings_frame, "positions": positions, "summary": summary}


def _utilisation(frame: pd.DataFrame) -> None:
    """Adds load_days, utilization and committed_utilization (0 where no capacity is left) in place."""
    committed = frame["committed_days"].to_numpy(dtype="float64")
    load = committed + frame["suggested_days"].to_numpy(dtype="float64")
    cap = frame["capacity_days"].to_numpy(dtype="float64")
    per_day = np.divide(1.0, cap, out=np.zeros_like(cap), where=cap > 0)
    frame["load_days"] = load
    frame["utilization"] = load * per_day
    frame["committed_utilization"] = committed * per_day


def _unassigned_table(unassigned: pd.DataFrame, suggested: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """One row per KO without machine: where it was placed, or why not."""
    u = unassigned.sort_values(["sort_start", "knit_order"], kind="mergesort")
    ko = u["knit_order"].to_numpy(dtype=object)
    row = {k: i for i, k in enumerate(suggested["knit_order"].to_numpy(dtype=object))}
    pick = np.array([row.get(k, -1) for k in ko], dtype="int64")
    found = pick >= 0

    def column(values: np.ndarray, missing) -> np.ndarray:
        out = np.full(len(ko), missing, dtype=values.dtype if values.dtype.kind == "M" else object)
        out[found] = values[pick[found]]
        return out

    note = np.array([notes.get(k, "") for k in u.index], dtype=object)
    note[u["implausible"].to_numpy(dtype=bool)] = "left out: implausible balance (see findings)"
    return pd.DataFrame({
        "knit_order": pd.array(ko, dtype="string"), "style": u["style"].astype("string").array,
        "balance_lbs": u["balance_lbs"].to_numpy(), "machine_days": u["machine_days"].to_numpy(),
        "start_date": u["start_date"].to_numpy(dtype="datetime64[ns]"),
        "work_center": u["style_work_center"].astype("string").array,
        "wc_match": pd.array(u["wc_match"].to_numpy(dtype=object), dtype="string"),
        "suggested_machine": pd.array(column(suggested["machine"].to_numpy(dtype=object), pd.NA), dtype="Int64"),
        "free_from": column(suggested["start"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT")),
        "finish_if_placed": column(suggested["finish"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT")),
        "note": pd.array(note, dtype="string")})


def _positions(open_kos: pd.DataFrame, keys: list, begin: np.ndarray, end: np.ndarray) -> pd.DataFrame:
    """Capacity positions of every open KO: its placement, else knitted alone from its earliest position."""
    begin_all = open_kos["earliest_units"].to_numpy(dtype="float64").copy()
    end_all = begin_all + open_kos["machine_days"].to_numpy(dtype="float64")
    placement = np.full(len(open_kos), "not placed", dtype=object)
    at = open_kos.index.get_indexer(keys)
    begin_all[at], end_all[at], placement[at] = begin, end, "placed"
    return pd.DataFrame({"knit_order": open_kos["knit_order"].astype("string").array,
                         "balance_lbs": open_kos["balance_lbs"].to_numpy(dtype="float64"),
                         "begin_units": begin_all, "end_units": end_all,
                         "placement": pd.array(placement, dtype="string")})


def machine_buckets(result: dict, *, as_of: date) -> pd.DataFrame:
    """Lbs of each open KO knitted in each yarn-plan bucket when the capacity plan ``result`` knits it.

    One row per open KO (index knit_order), columns ``planning.calendar.bucket_labels(as_of)``: the 9 ISO weeks
    from the as-of week, then ``later``. A placed KO (assigned or suggested) knits evenly over its capacity
    positions (Mon–Fri 1, Sat ½ a day, from max(as-of, start date), after the KOs before it on its machine). A
    KO with no placement (no work centre or no machine for its style, implausible balance) knits alone from
    max(as-of, start date) at its rate. Every row sums to the KO's balance.
    """
    if result["summary"]["as_of"] != as_of.isoformat():
        raise ValueError(f"the capacity plan is as of {result['summary']['as_of']}, not {as_of}")
    labels = bucket_labels(as_of)
    pos = result["positions"]
    lo = WEEK_CAPACITY * np.arange(len(labels), dtype="float64")
    hi = np.append(lo[1:], np.inf)
    begin, end = pos["begin_units"].to_numpy(), pos["end_units"].to_numpy()
    balance = pos["balance_lbs"].to_numpy()
    length = end - begin
    with np.errstate(invalid="ignore", divide="ignore"):
        share = _overlap(begin, end, lo, hi) / length[:, None]
    bad = ~np.isfinite(share).all(axis=1)  # zero or infinite length: all in the bucket where it starts
    if bad.any():
        first = np.clip(np.searchsorted(lo, begin[bad], side="right") - 1, 0, len(labels) - 1)
        share[bad] = 0.0
        share[np.flatnonzero(bad), first] = 1.0
    lbs = share * balance[:, None]
    return pd.DataFrame(lbs, index=pd.Index(pos["knit_order"], name="knit_order"), columns=labels)


def yarn_moves(efab_buckets: pd.DataFrame, machine: pd.DataFrame) -> pd.DataFrame:
    """KOs whose yarn moves by a week or more between eFab's parallel rule and the machine schedule.

    Both frames are indexed by knit_order with the bucket columns (weeks, then ``later`` counted as week 9).
    Each KO's week is the lbs-weighted mean bucket (0 = the as-of week); one row per KO in both frames whose
    weeks differ by at least one: knit_order, efab_week, machine_week, shift_weeks (machine − eFab; positive =
    later on the machines), largest move first.
    """
    def mean_week(frame: pd.DataFrame) -> pd.Series:
        values = frame.to_numpy(dtype="float64")
        total = values.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            week = (values * np.arange(values.shape[1])).sum(axis=1) / total
        return pd.Series(np.where(total > 0, week, np.nan), index=frame.index)

    both = efab_buckets.index.intersection(machine.index)
    efab = mean_week(efab_buckets.groupby(level=0).sum().loc[both]) if len(both) else pd.Series(dtype="float64")
    mach = mean_week(machine.groupby(level=0).sum().loc[both]) if len(both) else pd.Series(dtype="float64")
    out = pd.DataFrame({"knit_order": pd.array(both, dtype="string"), "efab_week": efab.to_numpy(dtype="float64"),
                        "machine_week": mach.to_numpy(dtype="float64")})
    out["shift_weeks"] = out["machine_week"] - out["efab_week"]
    out = out[out["shift_weeks"].abs() >= 1 - 1e-9]
    order = np.argsort(-out["shift_weeks"].abs().to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


REPORT_KEYS = ("machines", "work_centers", "assigned_kos", "unassigned_kos", "late_kos", "max_wc_utilization",
               "suggestions_before_start", "unassigned_kos_suggested", "unassigned_kos_in_load", "median_rate_kos",
               "family_rate_kos", "as_of_week_days_left")


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``capacity`` keys of ``python -m bk report``."""
    s = plan(frames, as_of=as_of)["summary"]
    return {k: s[k] for k in REPORT_KEYS}


OPERATIONS = {"capacity.plan": plan}
