"""When each KO draws its yarn: eFab's day-by-day knitting rule, the machine schedule of the capacity plan, or
each KO's observed pace; open KOs scheduled and exploded through the demand of record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from bk.services import capacity
from bk.services.lookup import isin
from bk.services.planning.calendar import N_WEEKS, bucket_labels, check_bucket_columns
from bk.services.planning.demand import BOM_NONE, demand_splits
from bk.services.planning.pace import WORKING_DAYS_PER_WEEK, observed_pace
from bk.services.styles import knit_rates, norm_key, week_monday

# eFab's knitting week: Mon-Fri carry 2/11 of the weekly rate each, Saturday 1/11, Sunday nothing
EFAB_DAY_WEIGHTS = (2, 2, 2, 2, 2, 1, 0)
EFAB_DAYS_PER_WEEK = 6.0  # weekly rate = 6 x the style's lbs/day


@dataclass(frozen=True)
class Schedule:
    """eFab's knitting rule; the defaults are eFab's values."""

    days_per_week: float = EFAB_DAYS_PER_WEEK
    day_weights: tuple[int, ...] = EFAB_DAY_WEIGHTS
    # False: the export's Balance column (eFab's demand report agrees with it for 145 of 152 KOs on 2025-08-28);
    # True: max(0, ordered - G00 - shipped + seconds) (agrees for 139 of 152)
    computed_balance: bool = False


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


def machine_ko_buckets(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> pd.DataFrame:
    """Lbs of each open KO per bucket when its machine knits it (``capacity.machine_buckets`` of the capacity
    plan of ``frames``): the ``ko_buckets`` of the machine schedule."""
    return capacity.machine_buckets(capacity.plan(frames, as_of=as_of), as_of=as_of)


def ko_work_centres(frames: Mapping[str, pd.DataFrame], knit_orders: pd.DataFrame) -> pd.Series:
    """Work centre of each KO, indexed by knit_order: its machine's (Machine Report), else its style's (QuadS
    greige list)."""
    ids = knit_orders["knit_order"].astype("string").str.strip()
    machines = frames.get("machines")
    by_machine = pd.Series(pd.NA, index=knit_orders.index, dtype="string")
    if machines is not None and len(machines) and "machine" in knit_orders:
        wc = machines.dropna(subset=["machine"]).drop_duplicates("machine").set_index("machine")["work_center"]
        by_machine = knit_orders["machine"].map(wc).astype("string")
    by_style, _ = capacity.style_work_centers(frames.get("greige_styles"),
                                              knit_orders["style"].astype("string").str.strip())
    out = by_machine.fillna(by_style)
    out.index = pd.Index(ids.to_numpy(), name="knit_order")
    return out[~out.index.duplicated()]


def observed_ko_buckets(frames: Mapping[str, pd.DataFrame], *, as_of: date,
                        earlier: tuple[pd.DataFrame, date] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each open KO knitted at its observed pace (``pace.observed_pace``) from max(as-of, its start), Mon-Fri
    whole days and Saturday half: (``ko_buckets`` indexed by knit_order with the bucket columns, the pace frame).
    ``earlier`` is an earlier snapshot's knit orders and as-of date (pace from the balance change between)."""
    knit_orders = frames["knit_orders"]
    paces = observed_pace(knit_orders, as_of=as_of, rates=frames.get("style_rates"),
                          work_centres=ko_work_centres(frames, knit_orders), earlier=earlier)
    weekly = paces["pace_lbs_per_day"].to_numpy(dtype=float) * WORKING_DAYS_PER_WEEK
    buckets = knit_schedule(paces["start"].to_numpy(dtype="datetime64[D]"), paces["balance_lbs"].to_numpy(dtype=float),
                            np.where(np.isfinite(weekly), weekly, 0.0), as_of=as_of)
    return pd.DataFrame(buckets, index=paces.index, columns=bucket_labels(as_of)), paces


def knit_order_demand(knit_orders: pd.DataFrame, bom: pd.DataFrame, rates: pd.DataFrame, *, as_of: date,
                      schedule: Schedule = Schedule(), efab_ko: pd.DataFrame | None = None,
                      efab_style: pd.DataFrame | None = None,
                      ko_buckets: pd.DataFrame | None = None,
                      buckets_source: str = "capacity schedule") -> dict[str, pd.DataFrame]:
    """Open KOs (balance > 0) scheduled and exploded through the demand of record (``demand_splits``).

    Returns ``kos`` (one row per open KO: knit_order, style, balance_lbs, start, lbs_per_day, rate_source,
    has_bom, bom_source, schedule_source, then one column per bucket) and ``ko_demand`` (one row per KO × yarn:
    knit_order, style, yarn_id, fraction, total_lbs, one column per bucket, bom_source). KOs without any
    source stay in ``kos`` with has_bom False. ``ko_buckets`` (indexed by knit_order, exactly the bucket
    columns, lbs knitted per bucket) replaces eFab's knitting rule for the KOs it lists (schedule_source
    ``buckets_source``); the others keep eFab's rule.
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
        check_bucket_columns(ko_buckets, labels, "ko_buckets")
        ids = kos["knit_order"].astype("string").str.strip()
        given = ko_buckets.copy()
        given.index = pd.Index(given.index.astype("string").str.strip())
        given = given.groupby(level=0).sum()
        hit = isin(ids, given.index)
        if hit.any():
            buckets[hit] = given.reindex(ids[hit].to_numpy())[labels].to_numpy(dtype=float)
            kos.loc[hit, "schedule_source"] = buckets_source
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
