"""Capacity planning: each machine knits its open KOs one after another on the mill's calendar (a 5.5-day week,
holidays, shutdowns); long KOs are split across free machines of their work centre; unassigned KOs are placed on
a suggested machine and carried in the load apart from the committed KOs; remnants are to close, not planned;
utilisation per machine and work centre, hot spots, lateness, KOs off their work centre, and the yarn timing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services import placement, remnants, workdays
from bk.services.open_orders import DEFAULT_LBS_PER_DAY as DEFAULT_LBS_PER_DAY  # re-exported: the plan's API
from bk.services.open_orders import open_knit_orders
from bk.services.open_orders import style_work_centers as style_work_centers
from bk.services.placement import ASSIGNED, SUGGESTED
from bk.services.planning.calendar import bucket_labels
from bk.services.settings import env_number
from bk.services.styles import RATE_EXACT, RATE_FAMILY, RATE_MEDIAN, week_monday

MAX_KO_WEEKS_ENV, DEFAULT_MAX_KO_WEEKS = "BK_MAX_KO_WEEKS", 6.0
# A hot spot: a work centre-week in the next HOT_SPOT_WEEKS weeks (the as-of week first) loaded (committed +
# suggested) to at least HOT_SPOT_UTILISATION of its machines' machine-days: the one definition of the heatmap's
# marks, the capacity page's count and the Overview's "Capacity hot spots".
HOT_SPOT_UTILISATION, HOT_SPOT_WEEKS = 0.85, 4
LATE, ON_TIME, NO_DATE = "late", "on time", "no date"
FINDING_COLUMNS = ["severity", "knit_order", "column", "message"]


def max_ko_weeks() -> float:
    """Weeks of one machine above which a KO is split: ``BK_MAX_KO_WEEKS`` or 6."""
    return env_number(MAX_KO_WEEKS_ENV, DEFAULT_MAX_KO_WEEKS, low=0.1, high=520.0, example="6")


def calendar_of(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> workdays.Timeline:
    """The mill's calendar (settings and the optional ``calendar`` export) as positions from the as-of Monday."""
    cal = workdays.mill_calendar(frames.get("calendar"), years=range(as_of.year - 1, as_of.year + 11))
    return workdays.Timeline(cal, week_monday(as_of))


def days_left(as_of: date, *, timeline: workdays.Timeline | None = None) -> float:
    """Machine-days of one machine left in the as-of week, the as-of day included (Thursday: 2.5 on the regular
    5.5-day week; less when a holiday falls on a day left)."""
    line = timeline or workdays.Timeline(workdays.MillCalendar(), week_monday(as_of))
    return float(line.units(7) - line.units(as_of.weekday()))


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str) -> pd.DataFrame:
    if kind not in frames:
        raise MissingDataError(f"capacity planning needs the {title} export ({kind}); upload it on the Data page")
    return frames[kind]


def _overlap(begin: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Capacity (machine-days) of each placement (rows) inside each interval (columns)."""
    return np.clip(np.minimum(end[:, None], hi[None, :]) - np.maximum(begin[:, None], lo[None, :]), 0.0, None)


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon_weeks: int = 12,
         bottleneck_threshold: float = HOT_SPOT_UTILISATION, window_weeks: int = 4,
         max_weeks_per_machine: float | None = None, remnant_lbs: float | None = None) -> dict:
    """Machine schedule of the open KOs (balance > 0), committed and suggested, on the mill's calendar.

    ``max_weeks_per_machine`` (default ``BK_MAX_KO_WEEKS``, 6) regular weeks of one machine above which a KO is
    split; ``remnant_lbs`` (default ``BK_REMNANT_LBS``, 5) the balance below which a KO is a remnant to close.

    Keys:
    - schedule: one row per placed part of a KO: placement ('assigned' on the KO's machine, 'split' for the
      other parts of a split KO, 'suggested' for an unassigned KO), machine, work_center, knit_order, part,
      parts, style, balance_lbs and machine_days (of the part), lbs_per_day, rate_source, start_date, start,
      finish (of the part), ko_finish (its last part's), quoted_date, status ('late' | 'on time' | 'no date'),
      days_late (calendar days after the quoted date; 0 on time, NA with no date), late, late_unknown,
      machine_known, off_work_centre. No part starts before max(as-of, start date).
    - kos: the same per KO (``lateness``), parts merged: on_machines lists every machine it runs on.
    - machine_load (long: machine, work_center, week_start, committed_days, suggested_days, load_days,
      capacity_days, utilization, committed_utilization); wc_load the same per work centre with machines.
      capacity_days is a machine's machine-days of that week on the calendar (the as-of week: the days left);
      split parts of committed KOs are committed load. weeks: week_start, machine_days, closed (holidays and
      shutdowns), begin_units, end_units.
    - wc_window (per work centre over window_weeks from as-of), bottlenecks (its rows over the threshold).
    - unassigned: one row per non-remnant KO without machine with its suggested machine, free_from,
      finish_if_placed, note.
    - remnants: the open KOs below the remnant threshold, to close (not scheduled, not late, not in the load).
    - off_work_centre: KOs on a machine of another work centre than their style's (both centres shown).
    - findings (severity, knit_order, column, message); positions (for machine_buckets); summary (JSON).
    Raises MissingDataError without the Machine report or the knit orders; BkError for a bad setting.
    """
    machines = _require(frames, "machines", "Machine report")
    kos = _require(frames, "knit_orders", "Knit orders")
    line = calendar_of(frames, as_of=as_of)
    monday0 = line.monday0
    now = float(line.units(as_of.weekday()))
    max_weeks = max_ko_weeks() if max_weeks_per_machine is None else max_weeks_per_machine
    max_days = max_weeks * line.week_total
    findings: list[dict] = []
    machine_wc = machines.dropna(subset=["machine"]).drop_duplicates("machine")
    machine_wc = pd.Series(machine_wc["work_center"].astype("string").to_numpy(),
                           index=machine_wc["machine"].astype("int64").to_numpy())
    remnant_lbs = remnants.remnant_lbs() if remnant_lbs is None else remnant_lbs
    open_kos = open_knit_orders(kos, frames.get("style_rates"), frames.get("greige_styles"), as_of=as_of,
                                line=line, remnant_lbs=remnant_lbs, findings=findings)
    plannable = open_kos.loc[~open_kos["implausible"] & ~open_kos["remnant"]]
    placed, notes = placement.place(plannable, machine_wc, max_days=max_days)
    keys = [p[0] for p in placed]
    begin = np.array([p[2] for p in placed], dtype="float64")
    end = np.array([p[3] for p in placed], dtype="float64")
    machine = np.array([p[1] for p in placed], dtype="int64")
    schedule = _schedule(open_kos.loc[keys], placed, machine_wc, line)
    is_suggested = (schedule["placement"] == SUGGESTED).to_numpy(dtype=bool)

    # weekly load per machine, committed and suggested apart, on the calendar's weeks
    n_weeks = max(horizon_weeks, 10)  # the yarn plan's 9 weeks and 'later' need ten week starts
    week_lo = line.units(7 * np.arange(n_weeks))
    week_hi = line.units(7 * np.arange(1, n_weeks + 1))
    lo, hi = week_lo[:horizon_weeks], week_hi[:horizon_weeks]
    cap = hi - np.maximum(lo, now)
    overlap = _overlap(begin, end, lo, hi)
    all_machines = np.array(sorted(set(machine_wc.index) | set(machine.tolist())), dtype="int64")
    row_of = np.searchsorted(all_machines, machine)
    committed = np.zeros((len(all_machines), horizon_weeks))
    proposed = np.zeros((len(all_machines), horizon_weeks))
    np.add.at(committed, row_of[~is_suggested], overlap[~is_suggested])
    np.add.at(proposed, row_of[is_suggested], overlap[is_suggested])
    week_starts = np.array([monday0 + timedelta(weeks=k) for k in range(n_weeks)], dtype="datetime64[D]")
    weeks = week_starts[:horizon_weeks]
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

    window_end = float(line.units(7 * window_weeks))
    window_overlap = _overlap(begin, end, np.array([now]), np.array([window_end]))[:, 0]
    placed_code = code[row_of]
    in_wc = placed_code >= 0
    window = pd.DataFrame({
        "work_center": pd.array(np.asarray(centres, dtype=object), dtype="string"), "machines": members,
        "committed_days": np.bincount(placed_code[in_wc & ~is_suggested],
                                      weights=window_overlap[in_wc & ~is_suggested], minlength=n_wc),
        "suggested_days": np.bincount(placed_code[in_wc & is_suggested],
                                      weights=window_overlap[in_wc & is_suggested], minlength=n_wc),
        "capacity_days": members * max(window_end - now, 0.0)})
    _utilisation(window)
    window = window.sort_values(["utilization", "work_center"], ascending=[False, True], kind="mergesort")
    bottlenecks = window[window["utilization"] > bottleneck_threshold].reset_index(drop=True)

    plannable_unassigned = open_kos.loc[open_kos["machine"].isna() & ~open_kos["remnant"]]
    unassigned = _unassigned_table(plannable_unassigned, schedule.loc[is_suggested], notes)
    positions = _positions(open_kos, schedule, keys, begin, end)
    per_ko = _per_ko(schedule)
    remnant_table = _remnant_table(open_kos.loc[open_kos["remnant"]])
    off = _off_work_centre(schedule)
    too_long = per_ko.loc[per_ko["longest_part_days"] > max_days + 1e-9, "knit_order"].tolist()
    _capacity_findings(findings, off=off, too_long=too_long, max_weeks=max_weeks)
    findings_frame = pd.DataFrame(findings, columns=FINDING_COLUMNS).astype(
        {"severity": "string", "knit_order": "string", "column": "string", "message": "string"})
    calendar_weeks = pd.DataFrame({
        "week_start": week_starts.astype("datetime64[ns]"), "machine_days": week_hi - np.maximum(week_lo, now),
        "closed": pd.array([", ".join(f"{why} ({d.day} {d:%b})" for d, why in line.calendar.exceptions(
            pd.Timestamp(w).date(), pd.Timestamp(w).date() + timedelta(days=6))) for w in week_starts],
            dtype="string"),
        "begin_units": week_lo, "end_units": week_hi})
    sug = schedule.loc[is_suggested]
    sug_earliest = open_kos.loc[[k for k, p in zip(keys, is_suggested, strict=True) if p], "sort_start"].to_numpy()
    planned = open_kos.loc[~open_kos["remnant"]]
    result = {"schedule": schedule, "kos": per_ko, "machine_load": machine_load, "wc_load": wc_load,
              "weeks": calendar_weeks, "wc_window": window.reset_index(drop=True), "bottlenecks": bottlenecks,
              "unassigned": unassigned, "remnants": remnant_table, "off_work_centre": off,
              "findings": findings_frame, "positions": positions}
    result["summary"] = {
        "as_of": as_of.isoformat(),
        "machines": int(machine_wc.index.nunique()), "work_centers": int(machine_wc.nunique()),
        "assigned_kos": int(planned["machine"].notna().sum()),
        "unassigned_kos": int(planned["machine"].isna().sum()),
        **lateness_counts(result),
        "late_suggested_kos": int(((per_ko["status"] == LATE) & (per_ko["placement"] == SUGGESTED)).sum()),
        "hot_spots": int(len(hot_spots(result))),
        "max_wc_utilization": float(window["utilization"].max()) if len(window) else 0.0,
        "max_wc_committed_utilization": float(window["committed_utilization"].max()) if len(window) else 0.0,
        "rate_defaulted_kos": int((planned["rate_source"] != RATE_EXACT).sum()),
        "family_rate_kos": int((planned["rate_source"] == RATE_FAMILY).sum()),
        "median_rate_kos": int((planned["rate_source"] == RATE_MEDIAN).sum()),
        "suggestions_before_start": int((sug["start"].to_numpy() < np.maximum(
            sug_earliest, np.datetime64(as_of, "ns"))).sum()),
        "unassigned_kos_suggested": int(unassigned["suggested_machine"].notna().sum()),
        "unassigned_kos_in_load": int(pd.Series(sug["knit_order"]).nunique()),
        "as_of_week_days_left": float(calendar_weeks["machine_days"].iloc[0]),
        "week_machine_days": line.week_total,
        "implausible_kos": int(open_kos["implausible"].sum()),
        "split_kos": int((per_ko["parts"] > 1).sum()),
        "long_part_kos": len(too_long),
        "max_ko_weeks": max_weeks,
        "kos_off_work_centre": int(len(off)),
        "remnant_kos": int(len(remnant_table)),
        "remnant_lbs": float(remnant_table["balance_lbs"].sum()), "remnant_threshold_lbs": float(remnant_lbs),
        "unknown_machines": sorted(int(m) for m in set(schedule.loc[~schedule["machine_known"], "machine"])),
        "window_weeks": window_weeks, "bottleneck_threshold": bottleneck_threshold,
    }
    return result


def _schedule(rows: pd.DataFrame, placed: list[tuple], machine_wc: pd.Series,
              line: workdays.Timeline) -> pd.DataFrame:
    """One row per placed part (``rows``: the open KOs of ``placed``, in its order)."""
    begin = np.array([p[2] for p in placed], dtype="float64")
    end = np.array([p[3] for p in placed], dtype="float64")
    machine = np.array([p[1] for p in placed], dtype="int64")
    days = end - begin
    total_days = rows["machine_days"].to_numpy(dtype="float64")
    share = np.divide(days, total_days, out=np.ones_like(days), where=total_days > 0)
    finish = line.dates(end)
    ko = rows["knit_order"].astype("string")
    code = pd.factorize(pd.Index(rows.index))[0]
    parts = np.bincount(code, minlength=code.max() + 1 if len(code) else 0)[code] if len(code) else code
    ko_finish = pd.Series(finish).groupby(code).transform("max").to_numpy(dtype="datetime64[ns]")
    quoted = rows["quoted_date"].to_numpy(dtype="datetime64[ns]")
    status, days_late = _status(ko_finish, quoted)
    wc = pd.array(machine_wc.reindex(machine).to_numpy(dtype=object, na_value=None), dtype="string")
    style_wc = rows["style_work_center"].astype("string").array
    kind = np.array([p[4] for p in placed], dtype=object)
    own = kind == ASSIGNED
    return pd.DataFrame({
        "placement": pd.array(kind, dtype="string"), "machine": machine, "work_center": wc,
        "knit_order": ko.array, "part": np.array([p[5] for p in placed], dtype="int64"),
        "parts": np.asarray(parts, dtype="int64"), "style": rows["style"].astype("string").array,
        "balance_lbs": rows["balance_lbs"].to_numpy(dtype="float64") * share,
        "lbs_per_day": rows["lbs_per_day"].to_numpy(dtype="float64"),
        "rate_source": rows["rate_source"].astype("string").array, "machine_days": days,
        "start_date": rows["start_date"].to_numpy(dtype="datetime64[ns]"),
        "start": line.dates(begin + 1e-9), "finish": finish, "ko_finish": ko_finish, "quoted_date": quoted,
        "status": pd.array(status, dtype="string"), "days_late": days_late,
        "late": status == LATE, "late_unknown": status == NO_DATE,
        "machine_known": np.isin(machine, machine_wc.index.to_numpy()),
        "style_work_center": style_wc,
        "off_work_centre": own & (pd.Series(style_wc) != pd.Series(wc)).fillna(False).to_numpy(dtype=bool)})


def _status(finish: np.ndarray, quoted: np.ndarray) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    """The one lateness rule: 'late' when the KO finishes after its quoted date, 'no date' without one, else
    'on time'; days late in calendar days (0 on time, NA without a date)."""
    no_date = np.isnat(quoted)
    late = ~no_date & (finish > quoted)
    status = np.where(no_date, NO_DATE, np.where(late, LATE, ON_TIME))
    days = ((finish - np.where(no_date, finish, quoted)) // np.timedelta64(1, "D")).astype("float64")
    days = np.where(no_date, np.nan, np.maximum(days, 0.0))
    return status, pd.array(np.where(np.isnan(days), None, days), dtype="Int64")


def _per_ko(schedule: pd.DataFrame) -> pd.DataFrame:
    """The schedule per KO: parts merged (its first part's placement and machine, every machine, the last finish)."""
    code, kos = pd.factorize(schedule["knit_order"].to_numpy(dtype=object))
    first = schedule.iloc[np.unique(code, return_index=True)[1]]  # numpy, not a groupby: at scale it cost 30x
    n = len(kos)
    days = schedule["machine_days"].to_numpy(dtype="float64")
    longest = np.zeros(n)
    np.maximum.at(longest, code, days)
    start = np.full(n, np.iinfo("int64").max)
    np.minimum.at(start, code, schedule["start"].to_numpy(dtype="datetime64[ns]").view("int64"))
    joined: list[list[str]] = [[] for _ in range(n)]
    for c, m in zip(code, schedule["machine"].to_numpy(), strict=True):
        joined[c].append(str(m))
    return pd.DataFrame({
        "knit_order": first["knit_order"].array, "style": first["style"].array,
        "placement": first["placement"].array, "machine": first["machine"].to_numpy(),
        "on_machines": pd.array([", ".join(j) for j in joined], dtype="string"),
        "parts": first["parts"].to_numpy(), "work_center": first["work_center"].array,
        "balance_lbs": np.bincount(code, weights=schedule["balance_lbs"].to_numpy(dtype="float64"), minlength=n),
        "machine_days": np.bincount(code, weights=days, minlength=n), "longest_part_days": longest,
        "start": start.view("datetime64[ns]"),
        "finish": first["ko_finish"].to_numpy(), "quoted_date": first["quoted_date"].to_numpy(),
        "status": first["status"].array, "days_late": first["days_late"].array})


def _remnant_table(rem: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "knit_order": rem["knit_order"].astype("string").array, "style": rem["style"].astype("string").array,
        "balance_lbs": rem["balance_lbs"].to_numpy(dtype="float64"), "machine": rem["machine"].astype("Int64").array,
        "quoted_date": rem["quoted_date"].to_numpy(dtype="datetime64[ns]"),
        "status": pd.array(["to close"] * len(rem), dtype="string")}).reset_index(drop=True)


def _off_work_centre(schedule: pd.DataFrame) -> pd.DataFrame:
    off = schedule.loc[schedule["off_work_centre"].to_numpy(dtype=bool)]
    return pd.DataFrame({
        "knit_order": off["knit_order"].array, "style": off["style"].array, "machine": off["machine"].to_numpy(),
        "machine_work_center": off["work_center"].array, "style_work_center": off["style_work_center"].array,
        "balance_lbs": off.groupby("knit_order", sort=False)["balance_lbs"].transform("sum").to_numpy(),
        "lbs_per_day": off["lbs_per_day"].to_numpy(), "rate_source": off["rate_source"].array}
    ).reset_index(drop=True)


def _kos(n: int) -> str:
    return f"{n} KO runs" if n == 1 else f"{n} KOs run"


def _capacity_findings(findings: list[dict], *, off: pd.DataFrame, too_long: list, max_weeks: float) -> None:
    if len(off):
        findings.append({"severity": "info", "knit_order": pd.NA, "column": "Machine", "message":
                         f"{_kos(len(off))} on a machine of another work centre than the style's (a data "
                         "error or a deliberate substitution): see 'Off work centre'; they knit at the style's rate"})
    if too_long:
        names = ", ".join(too_long[:8]) + (" …" if len(too_long) > 8 else "")
        findings.append({"severity": "warning", "knit_order": pd.NA, "column": "Balance (lbs)", "message":
                         f"{_kos(len(too_long))} longer than {max_weeks:g} weeks on one machine even when split "
                         f"(no more machines of the work centre are free sooner): {names}"})


def lateness(result: dict) -> pd.DataFrame:
    """One row per scheduled KO (committed and suggested; remnants are never in it): knit_order, style,
    placement, machine (its first part's), on_machines (every machine it runs on), parts, work_center,
    balance_lbs, machine_days, longest_part_days, start, finish (its last part's), quoted_date, status ('late': finishes after the quoted date; 'no date': no quoted
    date, lateness unknown; else 'on time') and days_late (calendar days; 0 on time, NA without a date).
    The one definition of a late KO behind the capacity page, the Overview and ``report``."""
    return result["kos"]


def late_kos(result: dict) -> pd.DataFrame:
    """The late rows of ``lateness``, most days late first."""
    kos = lateness(result)
    late = kos.loc[(kos["status"] == LATE).to_numpy(dtype=bool)]
    return late.sort_values(["days_late", "knit_order"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True)


def lateness_counts(result: dict) -> dict:
    """``late_kos`` (finish after the quoted date) and ``no_date_kos`` (no quoted date: lateness unknown) over
    every scheduled KO, committed and suggested."""
    status = lateness(result)["status"]
    return {"late_kos": int((status == LATE).sum()), "no_date_kos": int((status == NO_DATE).sum())}


def hot_spot_cells(load: pd.DataFrame, *, value: str = "utilization") -> np.ndarray:
    """True for each row of a weekly load frame (wc_load or machine_load) that is a hot spot: one of the first
    HOT_SPOT_WEEKS weeks, with capacity, loaded to at least HOT_SPOT_UTILISATION."""
    first = np.sort(load["week_start"].unique())[:HOT_SPOT_WEEKS]
    return (load["week_start"].isin(first).to_numpy(dtype=bool) & (load["capacity_days"].to_numpy() > 0)
            & (load[value].to_numpy(dtype="float64") >= HOT_SPOT_UTILISATION - 1e-9))


def hot_spots(result: dict) -> pd.DataFrame:
    """One row per work centre with a hot spot (``hot_spot_cells`` of wc_load): work_center, machines, hot_weeks,
    first_hot_week, utilization (its highest hot week), committed_utilization (that week), load_days and
    capacity_days (summed over its hot weeks); the highest first."""
    wc = result["wc_load"]
    hot = wc.loc[hot_spot_cells(wc)]
    rows: dict[str, dict] = {}  # a handful of rows: plain Python beats a groupby on string keys
    for r in hot.itertuples(index=False):
        row = rows.setdefault(r.work_center, {"work_center": r.work_center, "machines": r.machines, "hot_weeks": 0,
                                              "first_hot_week": r.week_start, "utilization": -1.0,
                                              "committed_utilization": 0.0, "load_days": 0.0, "capacity_days": 0.0})
        row["hot_weeks"] += 1
        row["first_hot_week"] = min(row["first_hot_week"], r.week_start)
        row["load_days"] += r.load_days
        row["capacity_days"] += r.capacity_days
        if r.utilization > row["utilization"]:
            row["utilization"], row["committed_utilization"] = r.utilization, r.committed_utilization
    out = pd.DataFrame(list(rows.values()), columns=["work_center", "machines", "hot_weeks", "first_hot_week",
                                                     "utilization", "committed_utilization", "load_days",
                                                     "capacity_days"])
    out = out.astype({"work_center": "string", "first_hot_week": "datetime64[ns]", "utilization": "float64",
                      "committed_utilization": "float64", "load_days": "float64", "capacity_days": "float64"})
    return out.sort_values(["utilization", "work_center"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True)


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
    row: dict = {}
    for i, k in enumerate(suggested["knit_order"].to_numpy(dtype=object)):
        row.setdefault(k, i)  # a split KO: its first part (the earliest start)
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
        "finish_if_placed": column(suggested["ko_finish"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT")),
        "parts": pd.array(column(suggested["parts"].to_numpy(dtype=object), pd.NA), dtype="Int64"),
        "note": pd.array(note, dtype="string")})


def _positions(open_kos: pd.DataFrame, schedule: pd.DataFrame, keys: list, begin: np.ndarray,
               end: np.ndarray) -> pd.DataFrame:
    """Capacity positions of every open KO: one row per placed part (its share of the balance), else the KO
    knitted alone from its earliest position ('not placed'; 'remnant' for a remnant, until the yarn plan drops
    remnants itself)."""
    alone = open_kos.loc[~open_kos.index.isin(keys)]
    start = alone["earliest_units"].to_numpy(dtype="float64")
    return pd.DataFrame({
        "knit_order": pd.array(np.concatenate([schedule["knit_order"].to_numpy(dtype=object),
                                               alone["knit_order"].to_numpy(dtype=object)]), dtype="string"),
        "balance_lbs": np.concatenate([schedule["balance_lbs"].to_numpy(dtype="float64"),
                                       alone["balance_lbs"].to_numpy(dtype="float64")]),
        "begin_units": np.concatenate([begin, start]),
        "end_units": np.concatenate([end, start + alone["machine_days"].to_numpy(dtype="float64")]),
        "placement": pd.array(["placed"] * len(schedule) + np.where(
            alone["remnant"].to_numpy(dtype=bool), "remnant", "not placed").tolist(), dtype="string")})


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
    lo = result["weeks"]["begin_units"].to_numpy(dtype="float64")[:len(labels)]
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
    lbs = pd.DataFrame(share * balance[:, None], index=pd.Index(pos["knit_order"], name="knit_order"),
                       columns=labels)
    return lbs.groupby(level=0, sort=False).sum()  # a split KO's parts in one row


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
               "family_rate_kos", "as_of_week_days_left", "no_date_kos", "hot_spots", "split_kos",
               "long_part_kos", "kos_off_work_centre", "remnant_kos")


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``capacity`` keys of ``python -m bk report``."""
    s = plan(frames, as_of=as_of)["summary"]
    return {k: s[k] for k in REPORT_KEYS}


OPERATIONS = {"capacity.plan": plan}
