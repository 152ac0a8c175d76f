"""The open KOs as the capacity plan sees them: knitting rate, machine-days, the style's work centre, the earliest
capacity position (max of as-of and start date on the mill's calendar), remnant and implausible flags."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bk.services import remnants, workdays
from bk.services.styles import RATE_MEDIAN, family_key, knit_rates, norm_key

# Rate when the snapshot has no usable Production Lbs at all: about the median of the 2025-08-28 file (544.4).
DEFAULT_LBS_PER_DAY = 544.0
# A KO needing more than ten years of one machine is a record error (a Balance of 1e11 lbs): reported, not queued.
MAX_MACHINE_DAYS = workdays.DEFAULT_WORK_WEEK * 52 * 10


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


def open_knit_orders(kos: pd.DataFrame, rates: pd.DataFrame | None, greige: pd.DataFrame | None, *, as_of: date,
                      line: workdays.Timeline, remnant_lbs: float, findings: list[dict]) -> pd.DataFrame:
    """The open KOs with rate, machine-days, work centre, earliest capacity position and the remnant flag;
    findings appended."""
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
    offset = ((start - pd.Timestamp(line.monday0)) // pd.Timedelta(days=1)).clip(lower=0, upper=10**6)
    open_kos["sort_start"] = start
    open_kos["earliest_units"] = np.maximum(line.units(as_of.weekday()), line.units(offset.to_numpy(dtype="int64")))
    open_kos["remnant"] = remnants.is_remnant(open_kos["balance_lbs"], threshold_lbs=remnant_lbs).to_numpy()
    implausible = ~(open_kos["machine_days"] <= MAX_MACHINE_DAYS)
    open_kos["implausible"] = implausible.to_numpy()
    for r in open_kos.loc[implausible].itertuples(index=False):
        findings.append({"severity": "warning", "knit_order": r.knit_order, "column": "Balance (lbs)",
                         "message": f"{r.knit_order}: Balance {r.balance_lbs:,.0f} lbs at {r.lbs_per_day:,.1f} lbs/day "
                                    f"needs {r.machine_days:,.0f} machine-days (more than ten years on one machine); "
                                    "left out of the machine plan: check the Balance in the knit orders export"})
    return open_kos
