"""Supplier reliability: what the POs due on one day delivered by the next snapshot, per PO line and per
supplier (on-time share, median slip of rescheduled POs); used by the back-test and, the loop closed, by the
plan (receipts from a supplier that slips are planned that much later).

A PO line is due when it has pounds past due, or scheduled in a week whose Friday is on or before the new as-of
date (within its balance: eFab's negative past due nets its week view). Received = the line's balance decrease
above rounding (a line absent on the new day: its whole balance), counted up to what was due (pounds of later
weeks delivered early are not "on time"). Slip: the days the line's first scheduled date moved, where it moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.services.planning.calendar import bucket_labels, bucket_starts
from bk.services.planning.supply import open_pos, po_key
from bk.services.suppliers import supplier_key

RECEIPT_MIN_LBS = 0.5  # a PO balance change below this is rounding, not a receipt


def _due_lines(pos: pd.DataFrame, *, as_of: date, until: date) -> pd.DataFrame:
    """Old-day PO lines (``open_pos``) with due_lbs (past due or scheduled in a week whose Friday is on or
    before ``until``, within the line's balance) and past_due_part_lbs (its past-due share)."""
    labels = bucket_labels(as_of)[:-1]
    fridays = [d + timedelta(days=4) for d in bucket_starts(as_of)]
    due_weeks = [label for label, friday in zip(labels, fridays, strict=True) if friday <= until]
    balance = pos["po_balance_lbs"].to_numpy(dtype=float)
    past = pos["past_due_lbs"].to_numpy(dtype=float)
    scheduled = pos[due_weeks].to_numpy(dtype=float).sum(axis=1) if due_weeks else np.zeros(len(pos))
    # a negative past-due figure is eFab netting its week view (weeks above the balance), not a negative receipt
    due = np.clip(past + scheduled, 0.0, np.maximum(balance, 0.0))
    out = pos[["po_number", "yarn_id", "supplier"]].copy()
    out["po_number"] = po_key(out["po_number"])
    out["po_balance_lbs"], out["due_lbs"] = balance, due
    out["past_due_part_lbs"] = np.minimum(np.clip(past, 0.0, None), due)
    return out.loc[out["due_lbs"] > RECEIPT_MIN_LBS].reset_index(drop=True)


def _scheduled_date(pos: pd.DataFrame, frames: Mapping[str, pd.DataFrame], *, as_of: date) -> pd.Series:
    """First date each PO line is scheduled, indexed by (po_number, yarn_id): the Yarn PO requested date where
    that export has it, else the Friday of the first week with pounds in ``pos``; NaT when only past due."""
    labels = bucket_labels(as_of)[:-1]
    fridays = np.array([np.datetime64(d + timedelta(days=4), "D") for d in bucket_starts(as_of)])
    lbs = pos[labels].to_numpy(dtype=float) > RECEIPT_MIN_LBS
    first = np.where(lbs.any(axis=1), fridays[lbs.argmax(axis=1)], np.datetime64("NaT"))
    key = pd.MultiIndex.from_arrays([po_key(pos["po_number"]),
                                     pos["yarn_id"].astype(int)], names=["po_number", "yarn_id"])
    dates = pd.Series(pd.to_datetime(first), index=key).groupby(level=[0, 1]).min()
    if "yarn_po" in frames and "requested_date" in frames["yarn_po"]:
        po = frames["yarn_po"].dropna(subset=["yarn_id"])
        requested = pd.Series(po["requested_date"].to_numpy(), index=pd.MultiIndex.from_arrays(
            [po_key(po["po_number"]), po["yarn_id"].astype(int)])).groupby(
            level=[0, 1]).min()
        dates = requested.combine_first(dates)
    return dates


def receipt_score(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame], *, old_as_of: date,
                  new_as_of: date, old_pos: pd.DataFrame | None = None,
                  new_pos: pd.DataFrame | None = None) -> tuple[dict, list[dict]]:
    """The ``receipts`` and ``suppliers`` keys (see the module docstring). ``old_pos``/``new_pos``: the days'
    ``open_pos`` where the caller has them already (a plan of that day)."""
    old_pos = open_pos(old, as_of=old_as_of)[0] if old_pos is None else old_pos
    new_pos = open_pos(new, as_of=new_as_of)[0] if new_pos is None else new_pos
    due = _due_lines(old_pos, as_of=old_as_of, until=new_as_of)
    key = ["po_number", "yarn_id"]
    new_bal = new_pos.assign(po_number=po_key(new_pos["po_number"])).groupby(
        key)["po_balance_lbs"].sum()
    idx = pd.MultiIndex.from_frame(due[key].astype({"yarn_id": int}))
    remaining = new_bal.reindex(idx).to_numpy(dtype=float)
    listed = ~np.isnan(remaining)
    decrease = np.where(listed, due["po_balance_lbs"].to_numpy() - remaining, due["po_balance_lbs"].to_numpy())
    decrease = np.where(decrease > RECEIPT_MIN_LBS, decrease, 0.0)
    due["received_lbs"] = np.minimum(decrease, due["due_lbs"].to_numpy())
    due["past_due_received_lbs"] = np.minimum(due["received_lbs"], due["past_due_part_lbs"])
    old_date = _scheduled_date(old_pos, old, as_of=old_as_of).reindex(idx)
    new_date = _scheduled_date(new_pos, new, as_of=new_as_of).reindex(idx)
    slip = (pd.Series(new_date.to_numpy()) - pd.Series(old_date.to_numpy())).dt.days.to_numpy(
        dtype=float, na_value=np.nan)
    due["slip_days"] = np.where(listed & np.isfinite(slip) & (slip != 0), slip, np.nan)

    def share(received: float, lbs: float) -> float | None:
        return round(received / lbs, 3) if lbs > 0 else None

    lbs_due, lbs_received = float(due["due_lbs"].sum()), float(due["received_lbs"].sum())
    receipts = {"pos_due": int(due["po_number"].nunique()), "lbs_due": round(lbs_due, 1),
                "lbs_received": round(lbs_received, 1), "on_time_share": share(lbs_received, lbs_due),
                "past_due_lbs": round(float(due["past_due_part_lbs"].sum()), 1),
                "past_due_lbs_received_share": share(float(due["past_due_received_lbs"].sum()),
                                                     float(due["past_due_part_lbs"].sum()))}
    suppliers = []
    name = due["supplier"].astype("string").str.strip().str.upper().fillna("UNKNOWN")
    for supplier, lines in due.groupby(name.to_numpy(), sort=True):
        s_due, s_received = float(lines["due_lbs"].sum()), float(lines["received_lbs"].sum())
        slips = lines["slip_days"].dropna()
        suppliers.append({"supplier": str(supplier), "pos_due": int(lines["po_number"].nunique()),
                          "lbs_due": round(s_due, 1), "lbs_received": round(s_received, 1),
                          "on_time_share": share(s_received, s_due),
                          "median_slip_days": float(slips.median()) if len(slips) else None})
    suppliers.sort(key=lambda s: (s["on_time_share"] if s["on_time_share"] is not None else 2.0, -s["lbs_due"]))
    return receipts, suppliers


def supplier_slips(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame], *, old_as_of: date,
                   new_as_of: date, new_pos: pd.DataFrame | None = None) -> dict[str, float]:
    """Median slip in days of each supplier's rescheduled POs between two snapshots, by supplier key
    (``suppliers.supplier_key``), only where it is positive (POs arriving later than scheduled)."""
    _, suppliers = receipt_score(old, new, old_as_of=old_as_of, new_as_of=new_as_of, new_pos=new_pos)
    out = {}
    for row in suppliers:
        key = supplier_key(pd.Series([row["supplier"]], dtype="string")).iloc[0]
        if row["median_slip_days"] is not None and row["median_slip_days"] > 0 and pd.notna(key):
            out[str(key)] = float(row["median_slip_days"])
    return out
