"""Per-kind derived columns and data-quality checks: the identities of DOMAIN.md §4, odd values, junk rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Add = Callable[..., None]
ROW_FINDINGS_PER_CHECK = 25  # then one summary finding
JUNK_RATE_STYLES = {"(blank)", "grand total", "total"}


def _per_row(add: Add, mask: pd.Series, rows: np.ndarray, severity: str, message: Callable[[int], str],
             *, column: str | None = None, summary: str) -> None:
    hits = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    for i in hits[:ROW_FINDINGS_PER_CHECK]:
        add(severity, message(int(i)), row=int(rows[i]), column=column)
    if len(hits) > ROW_FINDINGS_PER_CHECK:
        add(severity, f"{len(hits) - ROW_FINDINGS_PER_CHECK} more rows: {summary}", column=column)


def derive_and_check(kind: str, frame: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    """Add the kind's derived columns (schema.DERIVED_COLUMNS) and report its data-quality findings."""
    check = _CHECKS.get(kind)
    return frame if check is None else check(frame, add, rows)


def _yarn_inventory(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    parts = f["theoretical_balance_lbs"] + f["allocated_lbs"] + f["on_order_lbs"]
    off = (parts - f["planning_balance_lbs"]).abs() > 0.015
    _per_row(add, off, rows, "warning",
             lambda i: f"Planning Balance {f['planning_balance_lbs'].iat[i]:,.2f} ≠ Theoretical + Allocated + On Order "
             f"= {parts.iat[i]:,.2f}", column="Planning Balance", summary="planning-balance identity off")
    _per_row(add, f["allocated_lbs"] > 0, rows, "warning",
             lambda i: f"Allocated is {f['allocated_lbs'].iat[i]:,.2f}; eFab prints allocations as negative numbers",
             column="Allocated", summary="positive Allocated")
    if "total_cost_usd" in f:
        value = f["theoretical_balance_lbs"] * f["cost_per_lb"]
        cost_off = (value - f["total_cost_usd"]).abs() > np.maximum(0.02, 0.005 * value.abs())
        _per_row(add, cost_off & f["total_cost_usd"].notna(), rows, "info",
                 lambda i: f"Total Cost {f['total_cost_usd'].iat[i]:,.2f} ≠ Theoretical Balance × Cost/Pound",
                 column="Total Cost", summary="total cost off")
    _duplicates(f, "yarn_id", "Desc#", add, rows)
    return f


def _bom(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    out_of_range = (f["bom_fraction"] <= 0) | (f["bom_fraction"] > 1)
    _per_row(add, out_of_range, rows, "warning",
             lambda i: f"BOM_Percentage {f['bom_fraction'].iat[i]} is not a fraction in (0, 1]",
             column="BOM_Percentage", summary="fraction out of range")
    junk = f["style"].notna() & f["yarn_id"].isna()
    _per_row(add, junk, rows, "warning", lambda i: f"line for style '{f['style'].iat[i]}' has no yarn id",
             column="Desc#", summary="BOM lines without yarn")
    valid = f.dropna(subset=["style", "yarn_id", "bom_fraction"])
    sums = valid.groupby("style", observed=True, sort=True)["bom_fraction"].sum()
    odd = sums[(sums < 0.95) | (sums > 1.05)]
    for style, total in odd.head(ROW_FINDINGS_PER_CHECK).items():
        add("warning", f"style '{style}' fractions sum to {total:.3f}, outside 0.95–1.05", column="BOM_Percentage")
    if len(odd) > ROW_FINDINGS_PER_CHECK:
        add("warning", f"{len(odd) - ROW_FINDINGS_PER_CHECK} more styles sum outside 0.95–1.05",
            column="BOM_Percentage")
    return f


def _knit_orders(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    if "has_warning" in f and f["has_warning"].any():
        add("info", f"{int(f['has_warning'].sum())} knit orders carry an eFab warning icon "
            "(zero or negative knit price)", column="Order #")
    seconds = f["seconds_lbs"] if "seconds_lbs" in f else 0.0
    expected = (f["qty_ordered_lbs"] - f["g00_lbs"] - f["shipped_lbs"] + seconds).clip(lower=0)
    off = (expected - f["balance_lbs"]).abs() > 0.5
    _per_row(add, off, rows, "info",
             lambda i: f"Balance {f['balance_lbs'].iat[i]:,.1f} ≠ max(0, Ordered − G00 − Shipped + Seconds) "
             f"= {expected.iat[i]:,.1f}", column="Balance (lbs)", summary="KO balance identity off")
    _duplicates(f, "knit_order", "Order #", add, rows)
    return f


def _sales_orders(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    _per_row(add, f["balance_qty"] < 0, rows, "warning",
             lambda i: f"Balance {f['balance_qty'].iat[i]:,.1f} is negative (over-shipped)",
             column="Balance", summary="negative SO balances")
    off = (f["ordered_qty"] - f["shipped_qty"] - f["balance_qty"]).abs() > 0.5
    _per_row(add, off, rows, "warning", lambda i: "Balance ≠ Ordered − Picked/Shipped", column="Balance",
             summary="SO balance identity off")
    return f


def _expected_yarn(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    off = (f["po_order_lbs"] - f["received_lbs"] - f["po_balance_lbs"]).abs() > 1
    _per_row(add, off, rows, "warning", lambda i: "PO Bal ≠ PO Order Amt − Rec'd", column="PO Bal",
             summary="PO balance identity off")
    buckets = [c for c in f.columns if c.startswith("week_") or c in ("past_due_lbs", "this_week_lbs", "later_lbs")]
    scheduled = f[buckets].sum(axis=1)
    off = (scheduled - f["po_balance_lbs"]).abs() > 1
    _per_row(add, off, rows, "info",
             lambda i: f"scheduled receipts {scheduled.iat[i]:,.0f} ≠ PO Bal {f['po_balance_lbs'].iat[i]:,.0f}",
             column="PO Bal", summary="schedule does not add up to PO Bal")
    return f


def _style_rates(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    junk = f["style"].isna() | f["style"].str.lower().isin(JUNK_RATE_STYLES)
    if junk.any():
        add("info", f"{int(junk.sum())} pivot-table rows ('(blank)', 'Grand Total') skipped", column="Style")
    keep = ~junk.to_numpy(dtype=bool, na_value=True)
    f = f.loc[keep].reset_index(drop=True)
    kept_rows = rows[keep]
    bad = f["lbs_per_day"].isna() | (f["lbs_per_day"] <= 0)
    _per_row(add, bad, kept_rows, "warning",
             lambda i: f"rate {f['lbs_per_day'].iat[i]} lbs/day is missing or not positive; the median rate is used",
             column="Average of lbs/day", summary="missing or negative rates")
    return f


def _greige_styles(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    f = f.copy()
    f["style"] = (f["base"].str.strip() + "/" + f["version"].str.strip()).astype("string")
    return f


def _finished_styles(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    f = f.copy()
    f["finished_style"] = f["finished_style_name"].str.replace(r"\s*/\s*", "/", regex=True).astype("string")
    f["lbs_per_yd"] = f["oz_per_linyd"] / 16.0
    return f


def _machines(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    _duplicates(f, "machine", "MACH", add, rows)
    return f


def _stage(f: pd.DataFrame, add: Add, rows: np.ndarray) -> pd.DataFrame:
    _per_row(add, f["qty_lbs"] < 0, rows, "warning", lambda i: "negative roll weight", column="Qty (lbs)",
             summary="negative roll weights")
    return f


def _duplicates(f: pd.DataFrame, column: str, header: str, add: Add, rows: np.ndarray) -> None:
    dup = f[column].notna() & f[column].duplicated(keep="first")
    _per_row(add, dup, rows, "warning", lambda i: f"'{f[column].iat[i]}' appears more than once", column=header,
             summary="repeated ids")


_CHECKS = {
    "yarn_inventory": _yarn_inventory,
    "bom": _bom,
    "knit_orders": _knit_orders,
    "sales_orders": _sales_orders,
    "expected_yarn": _expected_yarn,
    "style_rates": _style_rates,
    "greige_styles": _greige_styles,
    "finished_styles": _finished_styles,
    "machines": _machines,
    "stage_g00": _stage,
    "stage_g02": _stage,
    "stage_i01": _stage,
    "stage_f01": _stage,
    "stage_p01": _stage,
}
