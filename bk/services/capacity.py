"""Capacity planning: each machine knits its open KOs one after another on the 5.5-day week; load and
utilisation per machine and work centre, projected finish and late risk, suggestions for unassigned KOs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services.styles import RATE_EXACT, knit_rates, norm_key, week_monday

DAY_CAPACITY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)  # machine-days: Mon-Fri full, Saturday half, Sunday none
WEEK_CAPACITY = sum(DAY_CAPACITY)  # 5.5
_PREFIX = np.concatenate([[0.0], np.cumsum(DAY_CAPACITY)])  # capacity used before each weekday


def _units(day: date, monday0: date) -> float:
    """Machine-days of capacity from Monday of the as-of week up to the start of ``day``."""
    days = (day - monday0).days
    weeks, weekday = divmod(days, 7)
    return WEEK_CAPACITY * weeks + _PREFIX[weekday]


def _date_of(units: float, monday0: date) -> date:
    """The day on which the capacity position ``units`` (just before it) is used."""
    u = max(units - 1e-9, 0.0)
    weeks = math.floor(u / WEEK_CAPACITY)
    rest = u - WEEK_CAPACITY * weeks
    weekday = int(np.searchsorted(_PREFIX[1:], rest, side="right"))
    return monday0 + timedelta(days=7 * weeks + min(weekday, 5))


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str) -> pd.DataFrame:
    if kind not in frames:
        raise MissingDataError(f"capacity planning needs the {title} export ({kind}); upload it on the Data page")
    return frames[kind]


def style_work_centers(greige: pd.DataFrame | None, styles: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Work centre of each style from the QuadS greige list: exact key (no spaces, upper case), then the
    base before '/'; returns (work_center, how it matched: 'style', 'base' or 'none')."""
    if greige is None or len(greige) == 0:
        return pd.Series(pd.NA, index=styles.index, dtype="string"), pd.Series("none", index=styles.index)
    g = greige.dropna(subset=["work_center"])
    by_style = pd.Series(g["work_center"].astype(str).to_numpy(), index=norm_key(g["style"]).astype(object))
    by_style = by_style[~by_style.index.duplicated()]
    by_base = pd.Series(g["work_center"].astype(str).to_numpy(), index=norm_key(g["base"]).astype(object))
    by_base = by_base[~by_base.index.duplicated()]
    key = norm_key(styles).astype(object)
    exact = key.map(by_style)
    base = key.str.split("/").str[0].map(by_base)
    wc = exact.fillna(base).astype("string")
    how = np.where(exact.notna(), "style", np.where(base.notna(), "base", "none"))
    return wc, pd.Series(how, index=styles.index)


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon_weeks: int = 12,
         bottleneck_threshold: float = 0.85, window_weeks: int = 4) -> dict:
    """Machine schedule of the open KOs (balance > 0).

    Keys: schedule (one row per assigned KO: machine, work_center, knit_order, style, balance_lbs,
    lbs_per_day, rate_source, machine_days, start, finish, quoted_date, late, late_unknown), machine_load (long:
    machine, work_center, week_start, load_days, utilization), wc_load (long: work_center, week_start,
    machines, load_days, utilization), bottlenecks (work centres over the threshold in the window),
    unassigned (KOs without machine with a suggested machine), summary (JSON).
    Utilisation = load ÷ 5.5 machine-days a week; the window utilisation uses the capacity left from as-of.
    """
    machines = _require(frames, "machines", "Machine report")
    kos = _require(frames, "knit_orders", "Knit orders")
    rates = frames.get("style_rates")
    monday0 = week_monday(as_of)
    now = _units(as_of, monday0)
    machine_wc = machines.dropna(subset=["machine"]).drop_duplicates("machine").set_index("machine")["work_center"]
    machine_wc = machine_wc.astype("string")

    open_kos = kos.loc[kos["balance_lbs"] > 0].copy()
    open_kos["style"] = open_kos["style"].astype("string").str.strip()
    open_kos[["lbs_per_day", "rate_source"]] = knit_rates(open_kos["style"], rates)
    if open_kos["lbs_per_day"].isna().any():  # no positive rate at all: nothing can be scheduled
        raise MissingDataError("capacity planning needs knitting rates: the Knitting rates (Production Lbs) export "
                               "(style_rates) is missing or has no positive rate; upload it on the Data page")
    open_kos["machine_days"] = open_kos["balance_lbs"] / open_kos["lbs_per_day"]
    wc, how = style_work_centers(frames.get("greige_styles"), open_kos["style"])
    open_kos["style_work_center"] = wc
    open_kos["wc_match"] = how.to_numpy()
    open_kos["start_date"] = open_kos["start_date"] if "start_date" in open_kos else pd.NaT
    open_kos["quoted_date"] = open_kos["quoted_date"] if "quoted_date" in open_kos else pd.NaT

    assigned = open_kos.loc[open_kos["machine"].notna()].copy() if "machine" in open_kos else open_kos.iloc[:0]
    unassigned = open_kos.loc[open_kos["machine"].isna()].copy() if "machine" in open_kos else open_kos
    assigned["sort_start"] = assigned["start_date"].fillna(pd.Timestamp(as_of))
    assigned = assigned.sort_values(["machine", "sort_start", "knit_order"], kind="mergesort")
    free_at: dict[int, float] = {}
    rows = []
    for r in assigned.itertuples(index=False):
        m = int(r.machine)
        start_units = now if pd.isna(r.start_date) else max(now, _units(r.start_date.date(), monday0))
        begin = max(start_units, free_at.get(m, now))
        end = begin + float(r.machine_days)
        free_at[m] = end
        finish = _date_of(end, monday0)
        rows.append({"machine": m, "work_center": machine_wc.get(m, pd.NA), "knit_order": r.knit_order,
                     "style": r.style, "balance_lbs": r.balance_lbs, "lbs_per_day": r.lbs_per_day,
                     "rate_source": r.rate_source, "machine_days": r.machine_days, "begin_units": begin,
                     "end_units": end, "start": _date_of(begin + 1e-9, monday0), "finish": finish,
                     "quoted_date": r.quoted_date})
    schedule = pd.DataFrame(rows, columns=["machine", "work_center", "knit_order", "style", "balance_lbs",
                                           "lbs_per_day", "rate_source", "machine_days", "begin_units", "end_units",
                                           "start", "finish", "quoted_date"])
    schedule["start"] = pd.to_datetime(schedule["start"])
    schedule["finish"] = pd.to_datetime(schedule["finish"])
    schedule["late"] = (schedule["finish"] > schedule["quoted_date"]).fillna(False).astype(bool)
    schedule["late_unknown"] = schedule["quoted_date"].isna()
    schedule["machine_known"] = schedule["machine"].isin(machine_wc.index)
    schedule = schedule.astype({"work_center": "string", "knit_order": "string", "style": "string",
                                "rate_source": "string"})

    weeks = [monday0 + timedelta(weeks=k) for k in range(horizon_weeks)]
    load = _weekly_load(schedule, horizon_weeks)
    machine_load = pd.DataFrame({
        "machine": np.repeat(np.array(sorted(set(machine_wc.index) | set(schedule["machine"])), dtype="int64"),
                             horizon_weeks)})
    machine_load["week_start"] = pd.to_datetime(np.tile(np.array(weeks, dtype="datetime64[D]"),
                                                        len(machine_load) // max(horizon_weeks, 1)))
    machine_load["work_center"] = machine_load["machine"].map(machine_wc).astype("string")
    idx = pd.MultiIndex.from_arrays([machine_load["machine"], np.tile(np.arange(horizon_weeks),
                                                                      len(machine_load) // max(horizon_weeks, 1))])
    machine_load["load_days"] = load.reindex(idx).fillna(0.0).to_numpy()
    machine_load["utilization"] = machine_load["load_days"] / WEEK_CAPACITY

    known = machine_load[machine_load["work_center"].notna()]
    wc_load = known.groupby(["work_center", "week_start"], observed=True).agg(
        machines=("machine", "nunique"), load_days=("load_days", "sum")).reset_index()
    wc_load["utilization"] = wc_load["load_days"] / (WEEK_CAPACITY * wc_load["machines"])

    window_end = WEEK_CAPACITY * window_weeks
    in_window = _window_load(schedule, now, window_end)
    wc_machines = machine_wc.groupby(machine_wc).size()
    window = pd.DataFrame({"machines": wc_machines})
    window["load_days"] = schedule.assign(w=in_window).groupby("work_center")["w"].sum().reindex(window.index).fillna(0)
    window["capacity_days"] = window["machines"] * (window_end - now)
    window["utilization"] = window["load_days"] / window["capacity_days"]
    window = window.reset_index(names="work_center").sort_values("utilization", ascending=False)
    bottlenecks = window[window["utilization"] > bottleneck_threshold].reset_index(drop=True)

    suggestions = _suggest(unassigned, machine_wc, free_at, now, monday0)
    summary = {
        "machines": int(machine_wc.index.nunique()), "work_centers": int(machine_wc.nunique()),
        "assigned_kos": int(len(schedule)), "unassigned_kos": int(len(unassigned)),
        "late_kos": int(schedule["late"].sum()),
        "late_unknown_kos": int(schedule["late_unknown"].sum()),
        "max_wc_utilization": float(window["utilization"].max()) if len(window) else 0.0,
        "rate_defaulted_kos": int((open_kos["rate_source"] != RATE_EXACT).sum()),
        "unknown_machines": sorted(int(m) for m in set(schedule.loc[~schedule["machine_known"], "machine"])),
        "window_weeks": window_weeks, "bottleneck_threshold": bottleneck_threshold,
    }
    return {"schedule": schedule.drop(columns=["begin_units", "end_units"]), "machine_load": machine_load,
            "wc_load": wc_load, "wc_window": window.reset_index(drop=True), "bottlenecks": bottlenecks,
            "unassigned": suggestions, "summary": summary}


def _weekly_load(schedule: pd.DataFrame, horizon_weeks: int) -> pd.Series:
    """Machine-days per (machine, week index) from the capacity positions of each KO."""
    parts = []
    for k in range(horizon_weeks):
        lo, hi = WEEK_CAPACITY * k, WEEK_CAPACITY * (k + 1)
        overlap = (np.minimum(schedule["end_units"], hi) - np.maximum(schedule["begin_units"], lo)).clip(lower=0)
        parts.append(pd.DataFrame({"machine": schedule["machine"], "week": k, "days": overlap}))
    if not parts or schedule.empty:
        return pd.Series(dtype="float64")
    load = pd.concat(parts).groupby(["machine", "week"])["days"].sum()
    return load


def _window_load(schedule: pd.DataFrame, lo: float, hi: float) -> pd.Series:
    return (np.minimum(schedule["end_units"], hi) - np.maximum(schedule["begin_units"], lo)).clip(lower=0)


def _suggest(unassigned: pd.DataFrame, machine_wc: pd.Series, free_at: dict[int, float], now: float,
             monday0: date) -> pd.DataFrame:
    """For each unassigned KO, the machine of its style's work centre that frees up first."""
    rows = []
    free = dict(free_at)
    by_wc: dict[str, list[int]] = {}
    for m, w in machine_wc.dropna().items():  # once, not per KO: there are thousands at scale
        by_wc.setdefault(str(w), []).append(int(m))
    for r in unassigned.sort_values(["start_date", "knit_order"], na_position="last").itertuples(index=False):
        wc = r.style_work_center
        row = {"knit_order": r.knit_order, "style": r.style, "balance_lbs": r.balance_lbs,
               "machine_days": r.machine_days, "work_center": wc, "wc_match": r.wc_match,
               "suggested_machine": pd.NA, "free_from": pd.NaT, "finish_if_placed": pd.NaT, "note": ""}
        if pd.isna(wc):
            row["note"] = "style has no work centre in the greige list"
        else:
            candidates = by_wc.get(str(wc), [])
            if not candidates:
                row["note"] = f"no machine in work centre {wc}"
            else:
                best = min(candidates, key=lambda m: (free.get(m, now), m))
                begin = free.get(best, now)
                end = begin + float(r.machine_days)
                free[best] = end  # the next suggestion sees this one placed
                row.update(suggested_machine=best, free_from=pd.Timestamp(_date_of(begin + 1e-9, monday0)),
                           finish_if_placed=pd.Timestamp(_date_of(end, monday0)))
        rows.append(row)
    out = pd.DataFrame(rows, columns=["knit_order", "style", "balance_lbs", "machine_days", "work_center", "wc_match",
                                      "suggested_machine", "free_from", "finish_if_placed", "note"])
    return out.astype({"suggested_machine": "Int64", "knit_order": "string", "style": "string",
                       "work_center": "string", "wc_match": "string", "note": "string",
                       "free_from": "datetime64[ns]", "finish_if_placed": "datetime64[ns]"})


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``capacity`` keys of ``python -m bk report``."""
    s = plan(frames, as_of=as_of)["summary"]
    return {k: s[k] for k in ("machines", "work_centers", "assigned_kos", "unassigned_kos", "late_kos",
                              "max_wc_utilization")}


OPERATIONS = {"capacity.plan": plan}
