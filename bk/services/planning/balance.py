"""Projected balances per yarn and bucket: eFab's view (scheduled receipts only) and the planning view (every
open PO, past due in the as-of week), wide and long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from bk.services.planning.calendar import bucket_edges, bucket_labels


def projected_balance(on_hand: pd.Series, demand: pd.DataFrame, supply: pd.DataFrame, *, as_of: date,
                      include_past_due: bool = False) -> pd.DataFrame:
    """Time-phased balance per yarn: B0 = on hand, Bk = Bk-1 - demand_k + receipts_k.

    ``on_hand`` is indexed by yarn_id; ``demand`` and ``supply`` have yarn_id and the bucket columns (supply
    also past_due_lbs). Past-due receipts are left out (as eFab does) unless ``include_past_due``, which adds
    them to the first week. One row per yarn: on_hand_lbs, past_due_receipts_lbs, demand_/receipts_/balance_
    per bucket, total_demand_lbs, total_receipts_lbs, headline_balance_lbs (on hand + all receipts incl.
    past due − all demand), min_balance_lbs, first_shortage_week (Monday, NaT if none), shortage_lbs.
    """
    return balance_frame(balance_flows(on_hand, demand, supply, as_of), as_of, include_past_due=include_past_due)


@dataclass(frozen=True)
class Flows:
    """Per yarn (sorted yarn_ids): stock, demand and receipts per bucket, past-due receipts; the inputs of both
    views of the projected balance."""

    yarns: pd.Index
    stock: np.ndarray
    demand: np.ndarray
    receipts: np.ndarray
    past_due: np.ndarray


def balance_flows(on_hand: pd.Series, demand: pd.DataFrame, supply: pd.DataFrame, as_of: date) -> Flows:
    labels = bucket_labels(as_of)
    yarns = pd.Index(sorted(set(on_hand.index) | set(demand["yarn_id"]) | set(supply["yarn_id"])), name="yarn_id")
    d = demand.groupby("yarn_id")[labels].sum().reindex(yarns, fill_value=0.0).to_numpy(dtype=float)
    s_frame = supply.groupby("yarn_id")[[*labels, "past_due_lbs"]].sum().reindex(yarns, fill_value=0.0)
    # column-major whatever blocks the frames had: a yarn's totals then add its weeks one after another (numpy
    # sums a contiguous row pairwise, which can differ in the last bit)
    return Flows(yarns, on_hand.reindex(yarns).fillna(0.0).to_numpy(dtype=float), np.asfortranarray(d),
                  np.asfortranarray(s_frame[labels].to_numpy(dtype=float)), s_frame["past_due_lbs"].to_numpy(dtype=float))


def balance_frame(flows: Flows, as_of: date, *, include_past_due: bool = False) -> pd.DataFrame:
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
    starts = np.array([np.datetime64(d_, "D") for d_ in bucket_edges(as_of)])
    out = pd.DataFrame(columns)
    out["first_shortage_week"] = pd.to_datetime(np.where(has_short, starts[first_k], np.datetime64("NaT")))
    out["shortage_lbs"] = np.where(has_short, -balance.min(axis=1), 0.0)
    return out


def with_forecast_columns(balance: pd.DataFrame, forecast: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    if forecast.empty:
        return balance
    per_yarn = forecast.set_index("yarn_id").reindex(balance["yarn_id"]).fillna(0.0)[labels].to_numpy(dtype=float)
    extra = pd.DataFrame({**{f"forecast_demand_{b}": per_yarn[:, i] for i, b in enumerate(labels)},
                          "forecast_demand_lbs": per_yarn.sum(axis=1)}, index=balance.index)
    return pd.concat([balance, extra], axis=1)


def long_balance(balance: pd.DataFrame, as_of: date) -> pd.DataFrame:
    labels = bucket_labels(as_of)
    starts = bucket_edges(as_of)
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
