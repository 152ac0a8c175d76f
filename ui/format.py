"""The display vocabulary, in one place: column labels with units, number formats by unit, per-table column
order (decision columns first, pinned), small fact tables instead of JSON, and safe downloads (text only).

Pages never label or format a column themselves: they call ``ui.table.show_table(frame, "<table>")``, which
uses :func:`display_frame` from here. Downloads keep the machine-friendly snake_case names.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import streamlit as st

from bk.ingest.schema import KINDS
from bk.services.forecast_levels import MODEL_NAMES
from bk.text import day

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Markdown (and Streamlit's :colour[...] / :material/...: / $LaTeX$) punctuation: escaped, it shows as itself
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


# an export's kind code after its title in a kernel message ('the Bill of materials (bom) export'): the title is
# what a planner reads; the code is for the command line
_CODES = "|".join(map(re.escape, sorted(KINDS, key=len, reverse=True)))
_KIND_CODE = re.compile(rf" \((?:{_CODES})\)")


def screen_text(text: object) -> str:
    """A kernel message as a page shows it: without the export kind codes after export titles."""
    return _KIND_CODE.sub("", str(text))


def plain(text: object) -> str:
    """Text (a message with file names or cells from the exports) for st.error/st.markdown: every Markdown
    character escaped, so ``![pix](https:evil.example)`` is shown as written, never an image or a link; export
    kind codes left out (``screen_text``)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", screen_text(text))


# ------------------------------------------------------------------------------------------ units and labels
# unit -> how a number of that unit is shown. 'share' is a 0–1 fraction shown as a percentage.
UNITS = ("lbs", "yds", "usd", "usd_per_lb", "pct", "share", "count", "id", "days", "weeks", "ratio",
         "lbs_per_day", "yds_per_lb", "date", "bool", "text")

# column -> (label, unit); the label carries the unit so a header is never a bare number
LABELS: dict[str, tuple[str, str]] = {
    # identities
    "yarn_id": ("Yarn", "id"), "knit_order": ("Knit order", "text"), "style": ("Style", "text"),
    "sales_order": ("Sales order", "text"), "machine": ("Machine", "id"), "work_center": ("Work centre", "text"),
    "supplier": ("Supplier", "text"), "description": ("Description", "text"), "color": ("Colour", "text"),
    "yarn_type": ("Yarn type", "text"), "customer": ("Customer", "text"), "processor": ("Processor", "text"),
    "sold_to": ("Sold to", "text"), "sales_style": ("Sales style", "text"),
    "finished_style": ("Finished style", "text"), "greige_style": ("Greige style", "text"),
    "greige_lookup": ("Greige found by", "text"), "greige_pool_styles": ("Greige pool styles", "text"),
    "roll": ("Roll", "text"), "stage": ("Stage", "text"), "label": ("Stage name", "text"),
    "next_stage": ("Next stage", "text"), "series": ("Series", "text"), "model": ("Model", "text"),
    "uom": ("Unit", "text"), "age": ("Age", "text"), "bucket": ("Week", "text"), "abc": ("ABC class", "text"),
    "note": ("Note", "text"), "cause": ("Likely cause", "text"), "message": ("Message", "text"),
    "severity": ("Severity", "text"), "file": ("File", "text"), "row": ("Row", "id"), "column": ("Column", "text"),
    "kind": ("Export kind", "text"), "title": ("Export", "text"), "export": ("Export", "text"),
    "page": ("Page", "text"), "effect": ("What the page loses", "text"), "required": ("Page cannot open", "bool"),
    "snapshot": ("Snapshot", "text"), "saved": ("Saved", "text"), "exports": ("Exports", "text"), "rank": ("Rank", "count"),
    # pounds
    "on_hand_lbs": ("On hand (lbs)", "lbs"), "allocated_lbs": ("Allocated (lbs)", "lbs"),
    "on_order_lbs": ("On order (lbs)", "lbs"), "planning_balance_lbs": ("Planning balance (lbs)", "lbs"),
    "planning_balance_calc_lbs": ("Planning balance, recomputed (lbs)", "lbs"),
    "planning_diff_lbs": ("Planning balance difference (lbs)", "lbs"),
    "consumed_lbs": ("Consumed (lbs)", "lbs"), "shortage_lbs": ("Shortage (lbs)", "lbs"),
    "weekly_usage_lbs": ("Weekly usage (lbs)", "lbs"), "annual_consumption_lbs": ("Usage per year (lbs)", "lbs"),
    "sigma_weekly_lbs": ("σ weekly demand (lbs)", "lbs"), "safety_stock_lbs": ("Safety stock (lbs)", "lbs"),
    "reorder_point_lbs": ("Reorder point (lbs)", "lbs"), "below_reorder_lbs": ("Below reorder point (lbs)", "lbs"),
    "total_demand_lbs": ("Demand in horizon (lbs)", "lbs"), "total_receipts_lbs": ("Receipts in horizon (lbs)", "lbs"),
    "past_due_receipts_lbs": ("Past-due receipts (lbs)", "lbs"), "min_balance_lbs": ("Lowest balance (lbs)", "lbs"),
    "net_need_lbs": ("Net need (lbs)", "lbs"), "moq_lbs": ("Minimum order (lbs)", "lbs"),
    "suggested_order_lbs": ("Order (lbs)", "lbs"), "headline_balance_lbs": ("Balance at horizon end (lbs)", "lbs"),
    "balance_lbs": ("Balance (lbs)", "lbs"), "export_balance_lbs": ("Balance in export (lbs)", "lbs"),
    "demand_lbs": ("Demand (lbs)", "lbs"), "receipts_lbs": ("Receipts (lbs)", "lbs"), "total_lbs": ("Total (lbs)", "lbs"),
    "lbs": ("Lbs", "lbs"), "aged_lbs": ("Aged (lbs)", "lbs"), "lbs_with_cost": ("Lbs with a cost", "lbs"),
    "uncovered_lbs": ("Uncovered (lbs)", "lbs"), "efab_lbs": ("eFab (lbs)", "lbs"), "our_lbs": ("Ours (lbs)", "lbs"),
    "later": ("Later (lbs)", "lbs"), "qty": ("Quantity", "lbs"), "balance_qty": ("Balance (order unit)", "lbs"),
    # yards
    "yds": ("Yds", "yds"), "balance_yds": ("Balance (yds)", "yds"), "covered_yds": ("Covered (yds)", "yds"),
    "uncovered_yds": ("Uncovered (yds)", "yds"), "covered_f01_yds": ("From F01 (yds)", "yds"),
    "covered_i01_yds": ("From I01 (yds)", "yds"), "covered_g02_yds": ("From G02 (yds)", "yds"),
    "covered_g00_yds": ("From G00 (yds)", "yds"), "covered_ko_yds": ("From knit orders (yds)", "yds"),
    # money
    "cost_per_lb": ("Cost ($/lb)", "usd_per_lb"), "value_usd": ("Value ($)", "usd"),
    "annual_value_usd": ("Usage value per year ($)", "usd"), "order_cost_usd": ("Order cost ($)", "usd"),
    # shares and percentages
    "coverage_pct": ("Coverage (%)", "pct"), "share_pct": ("Share (%)", "pct"), "share": ("Share (%)", "share"),
    "cumulative_share": ("Cumulative share (%)", "share"), "utilization": ("Utilisation (%)", "share"),
    "fraction": ("BOM share (%)", "share"), "wape": ("WAPE (%)", "share"), "wape_selected": ("WAPE, chosen (%)", "share"),
    "wape_naive": ("WAPE, naive (%)", "share"), "wape_zero": ("WAPE, zero (%)", "share"),
    "margin": ("Margin (%)", "share"),
    "ko_rows_reproduced_share": ("KO rows reproduced (%)", "share"),
    "receipt_cells_matching_share": ("Receipt cells matching (%)", "share"),
    # dates
    "first_shortage_week": ("First short week", "date"), "order_by": ("Order by", "date"),
    "quoted_date": ("Quoted date", "date"), "start": ("Start", "date"), "start_date": ("Start in export", "date"),
    "finish": ("Finish", "date"), "free_from": ("Machine free from", "date"),
    "finish_if_placed": ("Finish if placed", "date"), "week_start": ("Week of", "date"),
    "bucket_start": ("Week of", "date"), "period": ("Period", "date"), "origin": ("Forecast made", "date"),
    "invoice_date": ("Invoice date", "date"), "as_of": ("As of", "date"), "saved_at": ("Saved", "date"),
    # durations and rates
    "lead_time_days": ("Lead time (days)", "days"), "age_days": ("Age (days)", "days"),
    "oldest_days": ("Oldest (days)", "days"), "median_age_days": ("Median age (days)", "days"),
    "machine_days": ("Machine days", "weeks"), "load_days": ("Load (machine days)", "weeks"),
    "capacity_days": ("Capacity (machine days)", "weeks"), "weeks_of_cover": ("Weeks of cover", "weeks"),
    "weeks_since_reconcile": ("Weeks since count", "weeks"), "lbs_per_day": ("Knit rate (lbs/day)", "lbs_per_day"),
    "yds_per_lb": ("Yds per lb", "yds_per_lb"),
    # counts
    "yarns": ("Yarns", "count"), "rolls": ("Rolls", "count"), "styles": ("Styles", "count"),
    "orders": ("Orders", "count"), "machines": ("Machines", "count"), "aged_rolls": ("Aged rolls", "count"),
    "shortage_count": ("Yarns short", "count"), "below_reorder_count": ("Yarns below reorder point", "count"),
    "nonzero_periods": ("Periods with sales", "count"), "step": ("Weeks ahead", "count"),
    "suggested_machine": ("Suggested machine", "id"), "files": ("Files", "count"), "rows": ("Rows", "count"),
    "errors": ("Errors", "count"), "warnings": ("Warnings", "count"), "info": ("Notes", "count"),
    # flags
    "horizon_shortage_lbs": ("Short (lbs)", "lbs"), "short_in_horizon": ("Short", "bool"),
    "shortage_now": ("Below zero in eFab", "bool"), "shortage_projected": ("Short", "bool"),
    "order_by_passed": ("Order-by passed", "bool"), "action_lbs": ("Action (lbs)", "lbs"),
    "what": ("What happened", "text"),
    "below_reorder": ("Below reorder point", "bool"), "expedite": ("Expedite", "bool"), "late": ("Late", "bool"),
    "late_unknown": ("Lateness unknown", "bool"), "machine_known": ("Machine known", "bool"),
    "has_bom": ("Has BOM", "bool"), "on_hold": ("On hold", "bool"), "nettable": ("Nettable", "bool"),
    "match": ("Matches", "bool"), "buckets_match": ("Weeks match", "bool"), "selected": ("Chosen", "bool"),
    "planning_identity_ok": ("Planning balance adds up", "bool"), "lead_time_defaulted": ("Lead time assumed", "bool"),
    "median_yds_per_lb": ("Median yds/lb used", "bool"),
    # provenance
    "rate_source": ("Rate from", "text"), "usage_source": ("Usage from", "text"),
    "lead_time_source": ("Lead time from", "text"), "sigma_source": ("σ from", "text"),
    "cost_source": ("Cost from", "text"), "yds_per_lb_source": ("Yds/lb from", "text"),
    "interval_source": ("Interval from", "text"), "wc_match": ("Work centre found by", "text"),
    "inherited_from": ("Taken from snapshot", "text"),
    # forecasts
    "mean": ("Forecast", "lbs"), "lo80": ("Low 80 %", "lbs"), "hi80": ("High 80 %", "lbs"), "lo95": ("Low 95 %", "lbs"),
    "hi95": ("High 95 %", "lbs"), "actual": ("Actual", "lbs"), "naive": ("Naive forecast", "lbs"),
    "mase": ("MASE", "ratio"), "mase_selected": ("MASE, chosen", "ratio"), "bias": ("Bias", "ratio"),
    "bias_selected": ("Bias, chosen", "ratio"), "abs_error_selected": ("Abs. error, chosen", "lbs"),
    "abs_error_naive": ("Abs. error, naive", "lbs"), "abs_actual": ("Abs. actual", "lbs"),
    "total_qty": ("Total quantity", "lbs"),
    # yarn requirements (actions, evidence, schedule comparison)
    "action": ("Action", "text"), "reason": ("Why", "text"), "po_number": ("PO", "text"),
    "need_week": ("Needed (week of)", "date"), "cost_usd": ("Cost ($)", "usd"),
    "forecast_driven": ("From forecast", "bool"), "bom_source": ("BOM from", "text"),
    "po_balance_lbs": ("Open on PO (lbs)", "lbs"), "past_due_lbs": ("Past due or unscheduled (lbs)", "lbs"),
    "net_shortage_lbs": ("Net shortage (lbs)", "lbs"), "order_multiple_lbs": ("Order multiple (lbs)", "lbs"),
    "price_source": ("Price from", "text"), "scheduled": ("PO scheduled", "text"), "priced": ("Priced", "bool"),
    "shift_weeks": ("Moved by (weeks)", "weeks"), "efab_first_week": ("Yarn drawn from, eFab rule", "date"),
    "observed_first_week": ("Yarn drawn from, observed pace", "date"),
    "machines_first_week": ("Yarn drawn from, machine schedule", "date"),
    "before_lbs": ("Buy before (lbs)", "lbs"), "after_lbs": ("Buy after (lbs)", "lbs"),
    "change_lbs": ("Change (lbs)", "lbs"), "before_usd": ("Buy before ($)", "usd"), "after_usd": ("Buy after ($)", "usd"),
    "forecast_lbs": ("Forecast (lbs)", "lbs"), "forecast_yds": ("Forecast (yds)", "yds"),
    "net_lbs": ("Net of open orders (lbs)", "lbs"), "bom_style": ("BOM style", "text"), "week": ("Week", "text"),
    "rate_lbs_per_day": ("Knit rate (lbs/day)", "lbs_per_day"),
    "file_pct": ("BOM file (%)", "pct"), "efab_pct": ("eFab (%)", "pct"), "difference_pct": ("Difference (points)", "pct"),
}

# capacity, briefing, health and forecast tables (pages/capacity.py, overview.py, health.py, forecasting.py)
LABELS.update({
    "placement": ("Placement", "text"), "committed_days": ("Committed (machine days)", "weeks"),
    "part": ("Part", "count"), "parts": ("Parts", "count"), "ko_finish": ("KO finishes", "date"),
    "days_late": ("Days late", "count"), "style_work_center": ("Style's work centre", "text"),
    "machine_work_center": ("Machine's work centre", "text"), "hot_weeks": ("Hot weeks", "count"),
    "first_hot_week": ("First hot week", "date"), "longest_part_days": ("Longest part (machine days)", "weeks"),
    "off_work_centre": ("Off its work centre", "bool"), "on_machines": ("On machines", "text"),
    "suggested_days": ("Suggested (machine days)", "weeks"),
    "committed_utilization": ("Committed utilisation (%)", "share"),
    "action": ("Action", "text"), "po_number": ("PO", "text"), "need_week": ("Needed in week of", "date"),
    "reason": ("Why", "text"), "cost_usd": ("Cost ($)", "usd"), "change": ("Change", "text"),
    "detail": ("What happened", "text"), "kos": ("Knit orders", "text"), "pos": ("POs", "text"),
    "shortage_change_lbs": ("Shortage change (lbs)", "lbs"), "old_balance_lbs": ("Balance before (lbs)", "lbs"),
    "new_balance_lbs": ("Balance now (lbs)", "lbs"), "old_shortage_lbs": ("Shortage before (lbs)", "lbs"),
    "new_shortage_lbs": ("Shortage now (lbs)", "lbs"), "demand_class": ("Demand class", "text"),
    "adi": ("ADI (periods between sales)", "ratio"), "cv2": ("CV²", "ratio"),
    "scored_model": ("Model scored", "text"), "component": ("Component", "text"), "score": ("Score", "count"),
    "weight": ("Weight (%)", "share"), "status": ("Status", "text"), "operation": ("Operation", "text"),
    "p50": ("p50 (ms)", "count"), "p95": ("p95 (ms)", "count"), "p99": ("p99 (ms)", "count"),
    "calls": ("Calls", "count"), "hits": ("Hits", "count"), "misses": ("Misses", "count"),
    "points": ("Points", "weeks"), "max": ("Out of", "count"),
    "refusals": ("Refused for data", "count"), "count": ("Calls", "count"), "slo_ms": ("SLO (ms)", "count"),
    "hit_rate": ("Hit rate (%)", "share"),
    # warm (from caches) and cold (first runs, misses) latencies of the profiler, when it reports them apart
    "warm_count": ("Warm calls", "count"), "warm_p50": ("Warm p50 (ms)", "count"), "warm_p95": ("Warm p95 (ms)", "count"),
    "cold_count": ("Cold calls", "count"), "cold_p50": ("Cold p50 (ms)", "count"), "cold_p95": ("Cold p95 (ms)", "count"),
    "problem": ("Problem", "text"), "area": ("Area", "text"), "value": ("Value", "text"),
    "wape_zero": ("WAPE, zero (%)", "share"), "wape_cum_selected": ("WAPE over horizon, chosen (%)", "share"),
    "wape_cum_naive": ("WAPE over horizon, naive (%)", "share"),
    "wape_cum_zero": ("WAPE over horizon, zero (%)", "share"), "wape_cum": ("WAPE over horizon (%)", "share"),
    "mase_naive": ("MASE, naive", "ratio"), "mase_zero": ("MASE, zero", "ratio"), "bias_naive": ("Bias, naive", "ratio"),
    "bias_zero": ("Bias, zero", "ratio"), "steps_ahead": ("Periods ahead", "count"),
    "old_start": ("Start before", "date"), "new_start": ("Start now", "date"),
    "old_on_hand_lbs": ("On hand before (lbs)", "lbs"), "new_on_hand_lbs": ("On hand now (lbs)", "lbs"),
    "change_lbs": ("Change (lbs)", "lbs"),
    # shortage causes (briefing): the four parts of a shortage change
    "demand": ("Demand (lbs)", "lbs"), "receipts": ("Receipts (lbs)", "lbs"), "stock": ("Stock (lbs)", "lbs"),
    "other": ("Other (lbs)", "lbs"),
})

# number formats understood by st.column_config.NumberColumn, by unit (values are rounded to match first)
NUMBER_FORMAT = {"lbs": "localized", "yds": "localized", "usd": "$%,d", "usd_per_lb": "$%.2f", "pct": "%.0f%%",
                 "share": "%.0f%%", "count": "localized", "id": "%d", "days": "%.0f", "weeks": "%.1f", "ratio": "%.2f",
                 "lbs_per_day": "%.0f", "yds_per_lb": "%.2f"}
DECIMALS = {"lbs": 0, "yds": 0, "usd": 0, "usd_per_lb": 2, "pct": 0, "share": 0, "count": 0, "days": 0, "weeks": 1,
            "ratio": 2, "lbs_per_day": 0, "yds_per_lb": 2}
DATE_FORMAT = "D MMM YYYY"  # '2 Sep 2025', as short_date writes it
DATE_WIDTH_PX = 112  # '28 Sep 2025' whole, with the sort arrow ("Order by" was cut to "24 Aug 202")
# long text columns get a fixed width so the decision figures after them stay on screen (full text on hover)
TEXT_WIDTH = {"description": "medium", "supplier": "medium", "note": "large", "customer": "medium",
              "sold_to": "medium", "message": "large", "cause": "medium", "effect": "large", "export": "medium",
              "reason": "medium"}

_WEEK_COLUMN = re.compile(r"^(?:(demand|receipts|balance|efab|our)_)?week_of_(\d{4}-\d{2}-\d{2})$")
_LATER_COLUMN = re.compile(r"^(?:(demand|receipts|balance|efab|our)_)?later$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_WEEK = re.compile(r"^week_(\d{4})_(\d{2})_lbs$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")  # machine names: lower case words joined by _
_PREFIX = {None: "", "demand": "Demand ", "receipts": "Receipts ", "balance": "Balance ", "efab": "eFab ",
           "our": "Ours "}
_SUFFIX_UNIT = (("_lbs", " (lbs)", "lbs"), ("_yds", " (yds)", "yds"), ("_usd", " ($)", "usd"), ("_pct", " (%)", "pct"),
                ("_days", " (days)", "days"), ("_share", " (%)", "share"), ("_count", "", "count"))


def short_date(d) -> str:
    """A date as '1 Sep 2025' (no time, no leading zero)."""
    return day(pd.Timestamp(d))


def week_label(d) -> str:
    """A week bucket by its Monday: 'wk of 1 Sep 2025'."""
    return f"wk of {short_date(d)}"


def later_label(last_week_start) -> str:
    """The open-ended bucket after the last dated week: 'after 26 Oct 2025' (the Sunday the last week ends)."""
    return f"after {short_date(pd.Timestamp(last_week_start) + pd.Timedelta(days=6))}"


def bucket_labels(buckets: pd.DataFrame) -> dict[str, str]:
    """bucket name -> chart label for a yarn plan's ``buckets`` (bucket, bucket_start); 'later' as 'after <date>'."""
    # the plan dates 'later' by the Monday after the last week: it is still the open-ended bucket
    dated = buckets.dropna(subset=["bucket_start"])
    dated = dated[dated["bucket"] != "later"]
    out = {b: week_label(s) for b, s in zip(dated["bucket"], dated["bucket_start"], strict=True)}
    last = dated["bucket_start"].max() if len(dated) else None
    for b in buckets["bucket"]:
        if b not in out:
            out[b] = later_label(last) if last is not None and b == "later" else str(b)
    return out


def _last_week(columns) -> pd.Timestamp | None:
    weeks = [pd.Timestamp(m.group(2)) for c in columns if (m := _WEEK_COLUMN.match(str(c)))]
    return max(weeks) if weeks else None


def _first_upper(text: str) -> str:
    return text if text.startswith("eFab") else text[:1].upper() + text[1:]


def column_label(column: str, *, last_week: pd.Timestamp | None = None) -> tuple[str, str]:
    """(label, unit) of one service column: the vocabulary, else week patterns, else a humanised name."""
    column = str(column)
    if column in LABELS and column != "later":
        return LABELS[column]
    if m := _WEEK_COLUMN.match(column):
        return _first_upper(f"{_PREFIX[m.group(1)]}{week_label(m.group(2))} (lbs)"), "lbs"
    if m := _LATER_COLUMN.match(column):
        when = later_label(last_week) if last_week is not None else "later"
        return _first_upper(f"{_PREFIX[m.group(1)]}{when} (lbs)"), "lbs"
    if m := _ISO_WEEK.match(column):
        return f"ISO week {m.group(1)}-{m.group(2)} (lbs)", "lbs"
    if not _SNAKE.match(column):
        return column, "text"  # a style or yarn name used as a column: shown as it is
    for suffix, unit_text, unit in _SUFFIX_UNIT:
        if column.endswith(suffix):
            return (column[: -len(suffix)].replace("_", " ").capitalize() + unit_text), unit
    return column.replace("_", " ").capitalize(), "text"


# ------------------------------------------------------------------------------------------ tables
@dataclass(frozen=True)
class TableSpec:
    """How one table reads: decision columns first (``first``), of which ``pinned`` stay on screen while the
    rest scrolls; ``hide`` are internals kept in the download only; ``sort`` orders the rows."""

    first: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (column, ascending)
    notes: dict[str, str] = field(default_factory=dict)  # column -> help text shown on the header
    labels: dict[str, str] = field(default_factory=dict)  # column -> label where this table needs another
    bars: tuple[str, ...] = ()  # percentage columns drawn as a bar in the cell


_YARN_ID = ("yarn_id", "description")
TABLES: dict[str, TableSpec] = {
    # yarn inventory
    "yarn_positions": TableSpec(
        first=("yarn_id", "description", "supplier", "horizon_shortage_lbs", "first_shortage_week", "shortage_lbs",
               "weeks_of_cover", "planning_balance_lbs", "on_hand_lbs", "allocated_lbs", "on_order_lbs",
               "reorder_point_lbs", "below_reorder", "abc", "color", "yarn_type", "note"),
        pinned=_YARN_ID, hide=("planning_balance_calc_lbs", "planning_diff_lbs", "planning_identity_ok",
                               "shortage_projected", "short_in_horizon", "shortage_now"),
        sort=(("horizon_shortage_lbs", False), ("shortage_lbs", False), ("weeks_of_cover", True)),
        labels={"shortage_lbs": "Below zero in eFab (lbs)"},
        notes={"weeks_of_cover": "Blank = no usage recorded: cover unlimited",
               "horizon_shortage_lbs": "Deepest planning balance below zero (stock and every open PO, the observed "
                                       "knitting pace): the figure of Yarn requirements",
               "shortage_lbs": "eFab's own figure: the export's Planning Balance (on hand + allocated + on order) "
                               "below zero today",
               "first_shortage_week": "Week the planning balance first goes below zero"}),
    "inventory_rollup": TableSpec(first=("supplier", "yarn_type", "color", "shortage_count", "shortage_lbs",
                                         "below_reorder_count", "value_usd", "planning_balance_lbs"),
                                  pinned=("supplier", "yarn_type", "color")),
    "pareto": TableSpec(first=("rank", "yarn_id", "description", "abc", "annual_value_usd", "cumulative_share"),
                        pinned=("rank", "yarn_id")),
    "inventory_change": TableSpec(first=("yarn_id", "description", "supplier"), pinned=("yarn_id",)),
    # yarn requirements (for the yarn page)
    "yarn_shortages": TableSpec(
        first=("yarn_id", "description", "shortage_lbs", "first_shortage_week", "action", "action_lbs", "order_by",
               "expedite", "suggested_order_lbs", "order_cost_usd", "supplier", "note", "moq_lbs", "lead_time_days",
               "cost_per_lb"),
        pinned=("yarn_id", "description"), sort=(("first_shortage_week", True), ("shortage_lbs", False)),
        hide=("net_need_lbs",), labels={"shortage_lbs": "Short (lbs)", "expedite": "Order-by passed",
                                        "action": "The yarn's action"},
        notes={"shortage_lbs": "Deepest planning balance below zero (stock and every open PO): the figure of Yarn "
                               "inventory and the Overview",
               "action": "Blank: short only after the 9 weeks the plan buys for"}),
    "yarn_actions": TableSpec(
        first=("order_by", "action", "yarn_id", "lbs", "cost_usd", "reason", "need_week", "expected_arrival",
               "premium_lbs", "premium_usd", "forecast_driven", "supplier", "po_number", "order_by_passed",
               "cost_per_lb",
               "moq_lbs", "order_multiple_lbs", "lead_time_days", "lead_time_source"),
        pinned=("order_by", "action", "yarn_id", "lbs", "cost_usd", "reason"), hide=("priced",),
        labels={"premium_lbs": "MOQ premium (lbs)", "premium_usd": "MOQ premium ($)",
                "forecast_only": "Only for the forecast",
                "supplier": "Supplier / PO vendor", "cost_per_lb": "$/lb (PO price for PO actions)"},
        notes={"forecast_driven": "The shortage needs the sales forecast's demand: it is not in any open order",
               "order_by": "First short week − lead time", "cost_usd": "What a buy costs; blank for POs already "
                                                                      "ordered (chase, expedite, defer)",
               "expected_arrival": "A buy placed today: as-of + lead time; a PO action: the week it arrives",
               "premium_lbs": "What the MOQ and order multiple add above the need"}),
    "schedule_buys": TableSpec(
        first=("yarn_id", "description", "first_shortage_week", "shortage_lbs", "suggested_order_lbs",
               "order_cost_usd", "supplier"), pinned=("yarn_id",),
        labels={"shortage_lbs": "Net need to buy (lbs)", "first_shortage_week": "Needed from"}),
    "schedule_moves": TableSpec(
        first=("knit_order", "style", "balance_lbs", "efab_first_week", "observed_first_week", "machines_first_week",
               "shift_weeks"),
        pinned=("knit_order",), hide=("efab_week", "machine_week"),
        notes={"shift_weeks": "Lbs-weighted mean week under the chosen schedule − under eFab's rule (+ = later)"}),
    "plan_change_yarns": TableSpec(first=("yarn_id", "description", "change_lbs", "before_lbs", "after_lbs",
                                          "before_usd", "after_usd"), pinned=("yarn_id",)),
    "what_if_orders": TableSpec(first=("style", "balance_lbs", "start_date", "rate_lbs_per_day"),
                                labels={"start_date": "Start"}),
    "pegging": TableSpec(first=("knit_order", "style", "bucket", "lbs", "fraction", "bom_source"),
                         pinned=("knit_order",)),
    "yarn_supply": TableSpec(first=("po_number", "supplier", "po_balance_lbs", "past_due_lbs"), pinned=("po_number",)),
    "forecast_evidence": TableSpec(first=("series", "model", "week", "lbs", "style", "greige_style", "bom_style",
                                          "forecast_yds", "forecast_lbs", "net_lbs", "fraction"),
                                   pinned=("series",), hide=("sales_week",),
                                   labels={"week": "Knitted in", "net_lbs": "Net of orders, stock and KOs (lbs)"}),
    "forecast_netting": TableSpec(
        first=("greige_style", "forecast_lbs", "so_lbs", "consumed_lbs", "unconsumed_lbs", "stock_f01_lbs",
               "stock_i01_lbs", "stock_g02_lbs", "stock_g00_lbs", "ko_lbs", "free_supply_lbs", "netted_lbs",
               "net_lbs"), pinned=("greige_style",), hide=("greige_key",),
        labels={"so_lbs": "On open orders (lbs)", "consumed_lbs": "Consumed by orders (lbs)",
                "unconsumed_lbs": "Not yet ordered (lbs)", "stock_f01_lbs": "F01 (lbs)", "stock_i01_lbs": "I01 (lbs)",
                "stock_g02_lbs": "G02 (lbs)", "stock_g00_lbs": "G00 (lbs)", "ko_lbs": "Open knit orders (lbs)",
                "free_supply_lbs": "Stock and KOs left after orders (lbs)", "netted_lbs": "Netted (lbs)",
                "net_lbs": "Net to knit (lbs)"}),
    "bom_findings": TableSpec(first=("severity", "style", "yarn_id", "message")),
    "bom_differences": TableSpec(first=("style", "yarn_id", "file_pct", "efab_pct", "difference_pct"),
                                 pinned=("style",)),
    "kos_without_bom": TableSpec(first=("knit_order", "style", "balance_lbs", "start"), pinned=("knit_order",)),
    "reconciliation_ko": TableSpec(first=("knit_order", "style", "yarn_id", "cause", "efab_lbs", "our_lbs"),
                                   pinned=("knit_order",)),
    # pipeline
    "pipeline_stages": TableSpec(first=("stage", "label", "lbs", "rolls", "aged_rolls", "aged_lbs")),
    "aged_rolls": TableSpec(first=("roll", "stage", "style", "age_days", "lbs", "value_usd", "customer"),
                            pinned=("roll",), sort=(("age_days", False),)),
    "by_customer": TableSpec(first=("customer", "stage", "lbs", "rolls"), pinned=("customer",),
                             sort=(("lbs", False),)),
    "by_processor": TableSpec(first=("processor", "stage", "lbs", "rolls"), pinned=("processor",),
                              sort=(("lbs", False),)),
    "sales_order_coverage": TableSpec(
        first=("sales_order", "sold_to", "finished_style", "quoted_date", "coverage_pct", "uncovered_yds",
               "balance_yds", "covered_f01_yds", "covered_i01_yds", "covered_g02_yds", "covered_g00_yds",
               "covered_ko_yds", "note", "on_hold"),
        pinned=("sales_order",), hide=("greige_pool_styles", "median_yds_per_lb"), bars=("coverage_pct",),
        sort=(("on_hold", True), ("quoted_date", True))),
    # capacity (for the capacity page)
    "capacity_schedule": TableSpec(first=("knit_order", "machine", "placement", "part", "parts", "start", "finish",
                                          "ko_finish", "quoted_date", "status", "days_late", "style", "balance_lbs",
                                          "work_center", "machine_days"),
                                   pinned=("knit_order",), sort=(("start", True),), hide=("late", "late_unknown"),
                                   notes={"status": "late: the KO's last part finishes after its quoted date; "
                                                    "no date: no quoted date, so lateness is unknown"}),
    "capacity_kos": TableSpec(first=("knit_order", "status", "days_late", "finish", "quoted_date", "on_machines",
                                     "placement", "parts", "style", "work_center", "balance_lbs"),
                              pinned=("knit_order",), hide=("longest_part_days",),
                              notes={"finish": "The KO's last part", "days_late": "Calendar days after the quoted date"}),
    "remnants": TableSpec(first=("knit_order", "balance_lbs", "status", "machine", "style", "quoted_date"),
                          pinned=("knit_order",), sort=(("balance_lbs", True),)),
    "off_work_centre": TableSpec(first=("knit_order", "machine", "machine_work_center", "style_work_center", "style",
                                        "balance_lbs", "lbs_per_day", "rate_source"), pinned=("knit_order",)),
    "hot_spots": TableSpec(first=("work_center", "utilization", "hot_weeks", "first_hot_week",
                                  "committed_utilization", "load_days", "capacity_days", "machines"),
                           pinned=("work_center",), bars=("utilization",),
                           notes={"utilization": "Its highest week of the next 4 (committed and suggested load)"}),
    "unassigned_kos": TableSpec(first=("knit_order", "style", "balance_lbs", "suggested_machine",
                                       "finish_if_placed", "note"), pinned=("knit_order",)),
    "work_centers": TableSpec(first=("work_center", "utilization", "committed_utilization", "load_days",
                                     "committed_days", "suggested_days", "capacity_days", "machines"),
                              pinned=("work_center",), sort=(("utilization", False),), bars=("utilization",)),
    "late_kos": TableSpec(first=("knit_order", "days_late", "finish", "quoted_date", "on_machines", "style",
                                 "work_center", "balance_lbs"), pinned=("knit_order",),
                          sort=(("days_late", False),), notes={"finish": "The KO's last part"}),
    "today_actions": TableSpec(
        first=("yarn_id", "action", "order_by_passed", "order_by", "lbs", "cost_usd", "po_number", "need_week",
               "supplier", "reason"), pinned=("yarn_id", "action"),
        notes={"order_by_passed": "A buy whose order-by date has passed: place it now",
               "cost_usd": "What a buy costs; blank for a PO already ordered",
               "reason": "The yarn plan's reason for this action (Yarn requirements shows the evidence)"}),
    "today_reconcile": TableSpec(first=("yarn_id", "lbs", "supplier", "reason"), pinned=("yarn_id",),
                                 hide=("action", "order_by_passed", "po_number", "cost_usd", "order_by",
                                       "need_week"),
                                 labels={"lbs": "To correct (lbs)"}),
    "briefing_causes": TableSpec(
        first=("yarn_id", "new_shortage_lbs", "shortage_change_lbs", "demand", "receipts", "stock", "other", "detail",
               "kos", "pos", "old_shortage_lbs"),
        pinned=("yarn_id",), labels={"demand": "Demand (lbs)", "receipts": "Receipts (lbs)", "stock": "Stock (lbs)",
                                     "other": "Other (lbs)", "new_shortage_lbs": "Short now (lbs)",
                                     "old_shortage_lbs": "Short before (lbs)"},
        notes={"new_shortage_lbs": "Deepest planning balance below zero: the figure of Yarn requirements and Yarn "
                                   "inventory"}),
    "briefing_changes": TableSpec(first=("knit_order", "po_number", "yarn_id", "change", "what"),
                                  pinned=("knit_order", "po_number", "yarn_id")),
    "files": TableSpec(first=("title", "file", "rows", "errors", "warnings", "info", "inherited_from"),
                       pinned=("title",), hide=("kind",)),
    # forecasting (for the forecasting page)
    "forecast_accuracy": TableSpec(
        first=("series", "demand_class", "selected", "wape_selected", "wape_naive", "wape_zero", "wape_cum_selected",
               "wape_cum_naive", "total_qty", "nonzero_periods", "mase_selected", "bias_selected", "adi", "cv2",
               "scored_model"),
        pinned=("series",), sort=(("total_qty", False),),
        hide=("abs_error_selected", "sum_error_selected", "abs_error_cum_selected", "abs_error_naive",
              "sum_error_naive", "abs_error_cum_naive", "abs_error_zero", "sum_error_zero", "abs_error_cum_zero",
              "abs_actual", "abs_actual_cum", "mase_naive", "bias_naive", "wape_cum_zero", "mase_zero", "bias_zero"),
        labels={"total_qty": "Sales in history (yds)", "selected": "Model used", "scored_model": "Model scored"}),
    "forecast_classes": TableSpec(first=("demand_class", "series", "actual_yds", "wape_selected", "wape_naive",
                                         "wape_zero", "wape_cum_selected", "wape_cum_naive"),
                                  pinned=("demand_class",), labels={"series": "Series (count)"}),
    "forecasts": TableSpec(first=("series", "period", "mean", "lo80", "hi80", "lo95", "hi95", "steps_ahead", "model"),
                           pinned=("series", "period"),
                           labels={"mean": "Forecast (yds)", "lo80": "Low 80 % (yds)", "hi80": "High 80 % (yds)",
                                   "lo95": "Low 95 % (yds)", "hi95": "High 95 % (yds)"}),
    "forecast_value_added": TableSpec(first=("series", "demand_class", "selected"), pinned=("series",),
                                      labels={"selected": "Model used",
                                              **{f"{m}_share": f"{w} (%)" for m, w in MODEL_NAMES.items()}}),
    "forecast_levels": TableSpec(
        first=("level", "periods", "beats_both", "margin", "wape_selected", "wape_naive", "wape_zero", "series",
               "series_beating_both"), pinned=("level", "periods"),
        labels={"level": "Level", "periods": "Periods", "beats_both": "Beats naive and zero",
                "margin": "Better than the better benchmark by (%)", "series": "Series (count)",
                "series_beating_both": "Series beating both (count)"},
        notes={"margin": "1 − WAPE of the forecast ÷ the smaller WAPE of naive and zero, all out of sample; "
                         "negative: the forecast is worse than one of them"}),
    "forecast_flagged": TableSpec(first=("series", "model", "wape_selected", "wape_naive", "wape_zero",
                                         "demand_class", "total_qty"), pinned=("series",),
                                  labels={"model": "Model used", "total_qty": "Sales in history (yds)"}),
    "forecast_drill": TableSpec(first=("series", "beats_both", "model", "wape_selected", "wape_naive", "wape_zero",
                                       "demand_class", "total_qty"), pinned=("series",),
                                labels={"model": "Model used", "beats_both": "Beats naive and zero",
                                        "total_qty": "Sales in history (yds)"}),
    "forecast_booked": TableSpec(first=("series", "period", "booked_yds", "not_yet_ordered_yds", "forecast_yds"),
                                 pinned=("series", "period"),
                                 labels={"booked_yds": "On open orders (yds)",
                                         "not_yet_ordered_yds": "Forecast not yet ordered (yds)"}),
    # data
    "findings": TableSpec(first=("severity", "file", "row", "column", "message")),
    "missing_exports": TableSpec(first=("page", "export", "required", "effect")),
    # app health
    "health_components": TableSpec(first=("component", "points", "max", "detail"), pinned=("component",),
                                   labels={"points": "Points", "max": "Out of", "detail": "Figure behind it"}),
    "plan_suppliers": TableSpec(first=("supplier", "on_time_pct", "due_lbs", "received_lbs", "pos_due", "slip_days"),
                                pinned=("supplier",),
                                labels={"on_time_pct": "On time (%)", "due_lbs": "Due (lbs)",
                                        "received_lbs": "Arrived (lbs)", "pos_due": "POs due",
                                        "slip_days": "Rescheduled by (days)"},
                                notes={"pos_due": "POs with pounds due, counted in every check they were due in",
                                       "slip_days": "Median days the supplier's rescheduled POs moved"}),
    "operations": TableSpec(first=("operation", "count", "errors", "refusals", "warm_p95", "slo_ms", "p50", "p95", "p99",
                                   "max", "warm_count", "warm_p50", "cold_count", "cold_p50", "cold_p95"),
                            pinned=("operation",),
                            labels={"count": "Calls", "max": "Slowest (ms)", "slo_ms": "SLO (ms)",
                                    "refusals": "Refused for data"},
                            notes={"errors": "Unexpected failures (counted in the error rate)",
                                   "refusals": "Calls answered 'this export is missing / this file is bad': "
                                               "a data problem, not in the error rate"}),
    "cache_stats": TableSpec(first=("operation", "hit_rate", "hits", "misses", "errors"), pinned=("operation",),
                             labels={"hit_rate": "Hit rate (%)"}),
}


# keys of assumption / summary dicts that read badly when merely humanised
FACT_LABELS = {"z": "z (safety factor)", "z_rule": "z rule", "demand_cv": "Demand variability (CV)",
               "sigma_method": "σ method", "sigma_rule": "σ rule", "abc_rule": "ABC rule", "abc_counts": "Yarns by ABC class",
               "as_of": "As of", "value_note": "Value", "open_so_count": "Open sales orders",
               "so_balance_yds": "Sales-order balance (yds)", "so_uncovered_yds": "Uncovered (yds)",
               "so_covered_yds": "Covered (yds)", "not_nettable": "Not nettable (unit)",
               "covered_by_stage_yds": "Covered by stage (yds)", "po_received": "POs received",
               "po_slipped": "POs slipped"}


def _as_text(value) -> str:
    """One cell or fact as plain text: no JSON, no times at midnight, numbers with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""  # a missing value is blank, never 'None', 'nan' or 'NaT'
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | datetime):
        return short_date(value) if pd.Timestamp(value) == pd.Timestamp(value).normalize() else \
            f"{short_date(value)} {pd.Timestamp(value):%H:%M}"
    if isinstance(value, date):
        return short_date(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if math.isinf(value):
            return "∞"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return "; ".join(_as_text(v) for v in value)
    if isinstance(value, str) and _ISO_DAY.match(value):  # a JSON date ('2025-08-28') as every date is shown
        return short_date(value)
    return str(value)


def facts_table(facts: Mapping, *, key_label: str = "Assumption", value_label: str = "Value") -> pd.DataFrame:
    """A dict (assumptions, a summary, reconciliation causes) as a small two-column text table, never JSON.
    Keys are spelled out (``service_level`` → 'Service level'); nested values become 'k: v, …'."""
    rows = [{key_label: FACT_LABELS.get(str(k)) or column_label(str(k))[0],
             value_label: _as_text(v)} for k, v in facts.items()]
    return pd.DataFrame(rows, columns=[key_label, value_label])


def _safe_text(series: pd.Series) -> pd.Series:
    text = series.astype("string")
    starts = text.str.startswith(FORMULA_START, na=False)
    if not starts.any():  # the common case: no cell to look at twice
        return series
    risky = starts & pd.to_numeric(text, errors="coerce").isna()
    return text.where(~risky, "'" + text) if risky.any() else series


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (= + - @) with a quote, unless numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[column] = _safe_text(out[column])
    return out


def display_frame(frame: pd.DataFrame, table: str | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame as a planner reads it, and its ``column_config``: columns ordered by the table's spec and
    renamed to labels with units, numbers rounded to their unit, dates without times, ∞ as empty, nested
    values as text, formula-looking text neutralised (st.dataframe's own CSV export copies cells as shown).

    The input is not changed; the download should use the original frame (machine-friendly names).
    """
    spec = TABLES.get(table or "", TableSpec())
    columns = [c for c in spec.first if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns and c not in spec.hide]
    out = frame[columns]
    sort = [(c, asc) for c, asc in spec.sort if c in out.columns]
    if sort:
        out = out.sort_values([c for c, _ in sort], ascending=[a for _, a in sort], na_position="last",
                              kind="stable")
    last_week = _last_week(out.columns)
    config: dict = {}
    shown: dict = {}  # label -> values; one frame built at the end (assigning column by column is slow)
    used: set[str] = set()
    for column in columns:
        label, unit = column_label(column, last_week=last_week)
        label = spec.labels.get(column, label)
        while label in used:
            label += " "  # two columns with one label stay apart (and look alike)
        used.add(label)
        s = out[column]
        shown[label] = s
        if s.dtype == object and s.notna().any() and s.dropna().map(lambda v: isinstance(v, date)).all():
            s = pd.to_datetime(s)  # python dates (a manifest's as-of) are shown like every other date
        pinned = True if column in spec.pinned else None
        help_text = spec.notes.get(column)
        if pd.api.types.is_datetime64_any_dtype(s):
            shown[label] = pd.to_datetime(s).dt.normalize().dt.date
            config[label] = st.column_config.DateColumn(label, format=DATE_FORMAT, pinned=pinned, help=help_text,
                                                        width=DATE_WIDTH_PX)
        elif pd.api.types.is_bool_dtype(s):
            config[label] = st.column_config.CheckboxColumn(label, pinned=pinned, help=help_text)
        elif pd.api.types.is_numeric_dtype(s) and unit != "text":
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            values = np.where(np.isinf(values), np.nan, values)
            if unit == "share":
                values = values * 100
            if unit in DECIMALS:
                values = np.round(values, DECIMALS[unit])
            whole = unit in ("id", "count") and not np.isnan(values).any() and (values == np.round(values)).all()
            shown[label] = pd.array(values.astype("int64"), dtype="Int64") if whole else values
            if column in spec.bars:
                config[label] = st.column_config.ProgressColumn(label, format="%.0f%%", min_value=0, max_value=100,
                                                                pinned=pinned, help=help_text)
            else:
                config[label] = st.column_config.NumberColumn(label, format=NUMBER_FORMAT.get(unit, "localized"),
                                                              pinned=pinned, help=help_text)
        else:
            if s.dtype == object and s.map(lambda v: isinstance(v, Mapping | list | tuple | set)).any():
                s = s.map(lambda v: _as_text(v) if isinstance(v, Mapping | list | tuple | set) else v)
            if s.dtype == object or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype):
                s = _safe_text(s).astype("string").fillna("")  # a missing name is blank, not 'None'
            shown[label] = s
            config[label] = st.column_config.TextColumn(label, pinned=pinned, help=help_text,
                                                        width=TEXT_WIDTH.get(column))
    result = pd.DataFrame({label: values.array if isinstance(values, pd.Series) else values
                           for label, values in shown.items()}, index=out.index)
    result.columns.name = out.columns.name
    return result, config


_PRINTF = re.compile(r"%(,?)(?:\.(\d+))?([df%])")


def printf(value: float, fmt: str) -> str:
    """A number in a column's printf format as the data grid writes it: '$%,d' → '$12,345', '%.0f%%' → '40%',
    '%.2f' → '1.25' ('%,d' groups thousands, '%d' rounds as the values were rounded to their unit)."""
    def one(m: re.Match) -> str:
        comma, digits, kind = m.groups()
        if kind == "%":
            return "%"
        if kind == "d":
            return f"{round(value):{comma}d}"
        return f"{value:{comma}.{digits or 6}f}"
    return _PRINTF.sub(one, fmt)


def column_texts(values: pd.Series, config: Mapping) -> list[str]:
    """A shown column's cells as text by its ``column_config`` (``display_frame``'s): numbers in their format,
    'localized' with thousands grouped and at most 3 decimals, dates as '2 Sep 2025', ticks for true, blanks for
    missing values."""
    kind = config["type_config"]["type"]
    fmt = config["type_config"].get("format")

    def text(value) -> str:
        if pd.isna(value):  # None, NaN, NA and NaT alike (cells are scalars: nested values are text by now)
            return ""
        if kind in ("number", "progress"):
            if fmt in (None, "localized"):
                out = f"{float(value):,.3f}".rstrip("0").rstrip(".")
                return "0" if out == "-0" else out
            return printf(float(value), fmt)
        if kind == "date":
            return short_date(value)
        if kind == "checkbox":
            return "✓" if value else ""
        return str(value)
    return [text(v) for v in values.astype(object)]


def yarn_picker_labels(yarns: pd.DataFrame) -> pd.Series:
    """'id · description · supplier · colour' per yarn (blank parts left out), ' (action)' when it has one."""
    parts = [yarns["yarn_id"].astype("string")] + [yarns[c].astype("string").str.strip()
                                                   for c in ("description", "supplier", "color") if c in yarns]
    label = parts[0]
    for part in parts[1:]:
        label = label + (" · " + part).where(part.fillna("") != "", "")
    return label + yarns["has_action"].map({True: " (action)", False: ""}).astype("string")


# ------------------------------------------------------------------------------------------ single figures
def fmt_lbs(value: float) -> str:
    return f"{value:,.0f} lbs"


def fmt_usd(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def fmt_pct(value: float, *, share: bool = False) -> str:
    """A percentage: 39.8 → '40 %'; with ``share=True`` the value is a 0–1 fraction."""
    return f"{value * 100 if share else value:.0f} %"


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def findings_frame(findings) -> pd.DataFrame:
    """Findings as a table: file, row, column, severity, message; errors first, then warnings, then notes."""
    frame = pd.DataFrame(
        [{"file": f.file, "row": f.row, "column": f.column, "severity": f.severity, "message": f.message}
         for f in findings],
        columns=["file", "row", "column", "severity", "message"],
    ).astype({"row": "Int64"})
    rank = frame["severity"].map(SEVERITY_ORDER).fillna(len(SEVERITY_ORDER))
    return frame.iloc[rank.argsort(kind="stable")].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ downloads
def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralise_formulas(frame).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()

