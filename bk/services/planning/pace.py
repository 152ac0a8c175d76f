"""Observed knitting pace: how fast each open KO really knits, from its own history, else its work centre's.

The mill knits well below the style rates (DOMAIN.md §8): over 11 days about half of what every open KO at its
style rate would knit, and more than half of the open KOs make no progress at all. A KO's pace is therefore
read from what it did: the lbs knitted since its start over the working days since (or, with an earlier
snapshot, its balance change since then over the working days between), never above its style rate. A KO with
no history of its own (not started yet, started only days ago) knits at its style rate times its work centre's
observed efficiency (lbs knitted / lbs the style rates would have knitted, stalled KOs included), or the
mill's where the work centre has too few measured KOs. A KO whose start has passed with no progress is
*stalled*: flagged, and timed at that efficiency too. A machine knits one KO at a time: the paces of the KOs
on one machine are scaled down together when they add up to more than the machine's fastest style rate.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from bk.services.styles import knit_rates
from bk.services.workdays import DEFAULT_WORK_WEEK, week_pattern

# the mill's default week (bk.services.workdays): Mon-Fri whole days, Saturday half a day (5.5 working days)
SATURDAY_SHARE = week_pattern(DEFAULT_WORK_WEEK)[5]
WORKING_DAYS_PER_WEEK = DEFAULT_WORK_WEEK
MIN_HISTORY_DAYS = 3.0  # fewer working days of history say nothing about a pace
PROGRESS_LBS = 1.0  # less knitted is no progress (balances move by tenths of a pound in rounding)
MIN_MEASURED_KOS = 3  # a work centre with fewer measured KOs takes the mill's efficiency

OWN_SINCE_START = "own pace since start"
OWN_SINCE_SNAPSHOT = "own pace since the earlier snapshot"
CENTRE_PACE = "work centre's observed pace"
MILL_PACE = "mill's observed pace"


def working_days(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working days in [start, end) per pair of datetime64[D] (Mon-Fri 1, Saturday ½); 0 where end <= start."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    lo, hi = np.minimum(start, end), end
    weekdays = np.busday_count(lo, hi, weekmask="1111100")
    saturdays = np.busday_count(lo, hi, weekmask="0000010")
    return np.where(end > start, weekdays + SATURDAY_SHARE * saturdays, 0.0).astype(float)


def _ko_ids(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def observed_pace(knit_orders: pd.DataFrame, *, as_of: date, rates: pd.DataFrame | None,
                  work_centres: pd.Series | None = None,
                  earlier: tuple[pd.DataFrame, date] | None = None) -> pd.DataFrame:
    """One row per open KO (balance > 0), indexed by knit_order: style, machine, work_center, balance_lbs,
    start (max(as-of, start date)), nominal_lbs_per_day (the style rate), knitted_lbs and history_days (what
    its pace is measured on; NaN without history), pace_lbs_per_day, pace_source, stalled (start passed, no
    progress), efficiency (pace / style rate).

    ``work_centres`` maps a knit_order to its work centre (machine's, else style's); ``earlier`` is the
    knit-order export of an earlier snapshot and its as-of date.
    """
    kos = knit_orders.loc[knit_orders["balance_lbs"].fillna(0.0) > 0].copy()
    kos.index = pd.Index(_ko_ids(kos["knit_order"]), name="knit_order")
    kos = kos.loc[~kos.index.duplicated()]
    as_of_day = np.datetime64(as_of, "D")
    start_date = (kos["start_date"].to_numpy(dtype="datetime64[D]") if "start_date" in kos
                  else np.full(len(kos), np.datetime64("NaT"), dtype="datetime64[D]"))
    started = ~np.isnat(start_date) & (start_date <= as_of_day)
    nominal = knit_rates(kos["style"].astype("string").str.strip(), rates)["lbs_per_day"].to_numpy(dtype=float)
    ordered = kos["qty_ordered_lbs"].to_numpy(dtype=float) if "qty_ordered_lbs" in kos else np.full(len(kos), np.nan)
    balance = kos["balance_lbs"].to_numpy(dtype=float)
    # own history since the KO's start: what it knitted over the working days it has been running
    knitted = np.where(started & np.isfinite(ordered), np.clip(ordered - balance, 0.0, None), np.nan)
    days = np.where(started, working_days(np.where(started, start_date, as_of_day), np.full(len(kos), as_of_day)),
                    np.nan)
    source = np.where(started, OWN_SINCE_START, "")
    if earlier is not None:
        before, before_as_of = earlier
        past = before.assign(_id=_ko_ids(before["knit_order"])).groupby("_id")["balance_lbs"].sum()
        then = past.reindex(kos.index).to_numpy(dtype=float)
        between = float(working_days(np.array([before_as_of], dtype="datetime64[D]"),
                                     np.array([as_of], dtype="datetime64[D]"))[0])
        seen = ~np.isnan(then) & (then > 0) & (between >= MIN_HISTORY_DAYS)
        knitted = np.where(seen, np.clip(then - balance, 0.0, None), knitted)
        days = np.where(seen, between, days)
        source = np.where(seen, OWN_SINCE_SNAPSHOT, source)
    measured = ~np.isnan(days) & ~np.isnan(knitted) & (days >= MIN_HISTORY_DAYS)
    progressed = measured & (knitted >= PROGRESS_LBS)
    stalled = measured & ~progressed
    wc = (pd.Series(pd.NA, index=kos.index, dtype="string") if work_centres is None
          else work_centres.reindex(kos.index).astype("string"))
    capacity = np.where(measured, nominal * days, np.nan)
    frame = pd.DataFrame({"wc": wc.fillna("").to_numpy(), "knitted": np.where(measured, knitted, np.nan),
                          "capacity": capacity}, index=kos.index)
    usable = frame.loc[measured & np.isfinite(capacity) & (capacity > 0)]
    mill_eff = float(usable["knitted"].sum() / usable["capacity"].sum()) if len(usable) else 1.0
    by_wc = usable.groupby("wc").agg(knitted=("knitted", "sum"), capacity=("capacity", "sum"), n=("knitted", "size"))
    by_wc = by_wc.loc[(by_wc["n"] >= MIN_MEASURED_KOS) & (by_wc.index != "")]
    wc_eff = (by_wc["knitted"] / by_wc["capacity"]).reindex(frame["wc"]).to_numpy(dtype=float)
    efficiency = np.minimum(np.where(np.isnan(wc_eff), mill_eff, wc_eff), 1.0)
    fallback = np.where(np.isnan(wc_eff), MILL_PACE, CENTRE_PACE)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(progressed, knitted / days, np.nan)
    own = np.where(np.isfinite(nominal), np.minimum(own, nominal), own)
    pace = np.where(progressed, own, nominal * efficiency)
    source = np.where(progressed, source, fallback)
    machine = kos["machine"] if "machine" in kos else pd.Series(pd.NA, index=kos.index)
    out = pd.DataFrame({
        "style": kos["style"].astype("string").str.strip(), "machine": machine.astype("Int64"),
        "work_center": wc, "balance_lbs": balance,
        "start": pd.to_datetime(np.where(started | np.isnat(start_date), as_of_day, start_date)),
        "nominal_lbs_per_day": nominal, "knitted_lbs": np.where(measured, knitted, np.nan),
        "history_days": np.where(measured, days, np.nan), "pace_lbs_per_day": pace,
        "pace_source": pd.array(source, dtype="string"), "stalled": stalled}, index=kos.index)
    _share_machines(out)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["efficiency"] = out["pace_lbs_per_day"] / out["nominal_lbs_per_day"]
    return out


def _share_machines(out: pd.DataFrame) -> None:
    """Scale down, in place, the paces of KOs sharing a machine whose sum exceeds its fastest style rate."""
    on_machine = out.loc[out["machine"].notna()]
    if on_machine.empty:
        return
    groups = on_machine.groupby("machine")
    total = groups["pace_lbs_per_day"].transform("sum")
    limit = groups["nominal_lbs_per_day"].transform("max")
    factor = np.where((total > limit) & (limit > 0), limit / total, 1.0)
    out.loc[on_machine.index, "pace_lbs_per_day"] = on_machine["pace_lbs_per_day"].to_numpy() * factor
