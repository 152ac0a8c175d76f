"""Back-test: one day's plan scored against what the next snapshot shows happened (knitting, buys, receipts).

Every figure is a count over the two days' exports; the plan enters only through what it said would happen
(lbs knitted per KO in the window, the yarns it said to buy). Definitions (issue 24):

- knitting: KOs with balance > 0.5 lbs on the old day and listed on the new day are compared; one is without
  progress when its balance fell by less than 1 lb; actual lbs are the balance decreases (each >= 0); planned
  lbs are what the old plan knits of those KOs from the old as-of date to the day before the new one.
- buys: the yarns the buyers ordered are yarns of the old day's yarn inventory with a PO whose number is in
  the new day's PO exports and not in the old day's; a buy is followed when its yarn is among them.
- receipts: PO lines with pounds due on the old day (past due, or scheduled in a week whose Friday is on or
  before the new as-of date); received = the line's balance decrease (a line absent on the new day: its
  whole balance), counted up to what was due (pounds of later weeks delivered early are not "on time").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import BkError
from bk.ingest.schema import MASTER_KINDS
from bk.services import yarn
from bk.services.planning.calendar import bucket_labels, bucket_starts
from bk.services.planning.reliability import receipt_score
from bk.services.planning.schedule import EFAB_DAY_WEIGHTS
from bk.services.planning.supply import po_key

PROGRESS_MIN_LBS = 1.0  # a balance decrease below this is rounding, not knitting
OPEN_MIN_LBS = 0.5  # a KO with less left is finished for the back-test


def ko_progress(old_kos: pd.DataFrame, new_kos: pd.DataFrame) -> pd.DataFrame:
    """One row per KO open on the old day (balance > 0.5 lbs), indexed by knit_order: old_balance_lbs,
    listed_new (the KO is on the new day's export, whatever its balance), new_balance_lbs (NaN when not listed),
    knitted_lbs (the balance decrease, >= 0; NaN when not listed), no_progress (listed and down by < 1 lb)."""
    def balances(kos: pd.DataFrame) -> pd.Series:
        ids = kos["knit_order"].astype("string").str.strip()
        return kos["balance_lbs"].fillna(0.0).groupby(ids.to_numpy()).sum()

    old, new = balances(old_kos), balances(new_kos)
    old = old.loc[old > OPEN_MIN_LBS]
    out = pd.DataFrame({"old_balance_lbs": old})
    out.index.name = "knit_order"
    out["listed_new"] = out.index.isin(new.index)
    out["new_balance_lbs"] = new.reindex(out.index)
    out["knitted_lbs"] = (out["old_balance_lbs"] - out["new_balance_lbs"]).clip(lower=0.0)
    out["no_progress"] = out["listed_new"] & (out["knitted_lbs"] < PROGRESS_MIN_LBS)
    return out


def window_share(starts: pd.Series, *, bucket_starts: list[date], as_of: date, until: date,
                 day_weights: tuple[int, ...] = EFAB_DAY_WEIGHTS) -> np.ndarray:
    """Share of each KO's weekly bucket knitted before ``until`` (rows: KOs, columns: the weekly buckets).

    Within a week a KO knits from max(Monday, its start, as-of) to Sunday in proportion to the day weights; a
    week that ends before ``until`` counts whole, a week starting on or after it not at all."""
    w = np.asarray(day_weights, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(w)])  # cum[d] = weight of the days before weekday d
    first = np.datetime64(bucket_starts[0], "D")
    start = starts.to_numpy(dtype="datetime64[D]")
    begin_day = np.maximum((start - first).astype(np.int64), (np.datetime64(as_of, "D") - first).astype(np.int64))
    cut = (np.datetime64(until, "D") - first).astype(np.int64)
    share = np.zeros((len(start), len(bucket_starts)))
    for k in range(len(bucket_starts)):
        lo = np.clip(begin_day - 7 * k, 0, 7)  # first weekday knitted in week k
        hi = np.clip(cut - 7 * k, 0, 7)  # first weekday not in the window
        whole = cum[7] - cum[lo]
        part = np.clip(cum[np.maximum(hi, lo)] - cum[lo], 0.0, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            share[:, k] = np.where(whole > 0, part / whole, 0.0)
    return share


def planned_knitting(kos: pd.DataFrame, *, as_of: date, until: date,
                     day_weights: tuple[int, ...] = EFAB_DAY_WEIGHTS) -> pd.Series:
    """Lbs the plan's ``kos`` frame (``yarn.plan(...)["kos"]``) knits from ``as_of`` to the day before
    ``until``, per knit_order."""
    labels = bucket_labels(as_of)[:-1]
    share = window_share(kos["start"], bucket_starts=bucket_starts(as_of), as_of=as_of, until=until,
                         day_weights=day_weights)
    lbs = (kos[labels].to_numpy(dtype=float) * share).sum(axis=1)
    ids = kos["knit_order"].astype("string").str.strip().to_numpy()
    return pd.Series(lbs, index=ids).groupby(level=0).sum()


def knitting_score(old_kos: pd.DataFrame, new_kos: pd.DataFrame, planned: pd.Series) -> dict:
    """The ``knitting`` key: KOs compared, without progress, actual and planned lbs, and planned / actual."""
    progress = ko_progress(old_kos, new_kos)
    compared = progress.loc[progress["listed_new"]]
    actual = float(compared["knitted_lbs"].sum())
    planned_lbs = float(planned.reindex(compared.index).fillna(0.0).sum())
    return {"kos_compared": int(len(compared)), "kos_no_progress": int(compared["no_progress"].sum()),
            "actual_lbs": round(actual, 1), "planned_lbs": round(planned_lbs, 1),
            "ratio": round(planned_lbs / actual, 3) if actual > 0 else None}


def _po_numbers(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every (po_number, yarn_id) of the day's PO exports (Expected Yarn Report and Yarn PO)."""
    parts = [frames[k][["po_number", "yarn_id"]] for k in ("expected_yarn", "yarn_po") if k in frames]
    if not parts:
        return pd.DataFrame({"po_number": pd.Series(dtype="string"), "yarn_id": pd.Series(dtype="Int64")})
    out = pd.concat(parts, ignore_index=True)
    return out.assign(po_number=po_key(out["po_number"]),
                      yarn_id=out["yarn_id"].astype("Int64")).dropna()


def ordered_yarns(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame]) -> set[int]:
    """Yarns of the old day's yarn inventory with a PO number on the new day that the old day did not have."""
    before, after = _po_numbers(old), _po_numbers(new)
    fresh = after.loc[~after["po_number"].isin(set(before["po_number"]))]
    known = set(old["yarn_inventory"]["yarn_id"].dropna().astype(int)) if "yarn_inventory" in old else set()
    return {int(y) for y in fresh["yarn_id"]} & known


def buy_score(buy_yarns: set[int], ordered: set[int]) -> dict:
    """The ``buys`` key: buys, yarns ordered, buys followed by a PO, precision and recall."""
    followed = buy_yarns & ordered
    return {"count": len(buy_yarns), "yarns_ordered": len(ordered), "followed_by_po": len(followed),
            "precision": round(len(followed) / len(buy_yarns), 3) if buy_yarns else None,
            "recall": round(len(followed) / len(ordered), 3) if ordered else None,
            "followed_yarns": sorted(followed), "ordered_yarns": sorted(ordered)}


def yarn_actions(result: dict) -> pd.Series:
    """The plan's action per yarn (several actions of one yarn joined with '+', in a fixed order)."""
    order = {a: i for i, a in enumerate(("reconcile", "chase", "expedite", "buy", "defer"))}
    actions = result["actions"][["yarn_id", "action"]].dropna()
    return actions.groupby("yarn_id")["action"].agg(
        lambda a: "+".join(sorted(set(a), key=lambda x: order.get(x, 99))))


def actions_changed(old_result: dict, new_result: dict) -> list[dict]:
    """Yarns whose action differs between two plans: yarn_id, old and new action ('none' where it has none)."""
    a, b = yarn_actions(old_result), yarn_actions(new_result)
    both = pd.concat([a.rename("old"), b.rename("new")], axis=1).fillna("none")
    changed = both.loc[both["old"] != both["new"]]
    return [{"yarn_id": int(y), "old": str(r["old"]), "new": str(r["new"])} for y, r in changed.iterrows()]


def with_master(frames: Mapping[str, pd.DataFrame], other: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``frames`` with the master exports it lacks taken from ``other`` (master files may come with either day)."""
    return {**{k: other[k] for k in MASTER_KINDS if k in other and k not in frames}, **frames}


def backtest(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame], *, old_as_of: date,
             new_as_of: date, knitting: str = "efab") -> dict:
    """Plan the old day (knitting schedule ``knitting``), score it against the new day. JSON-ready dict with the
    keys knitting, buys, receipts, suppliers, actions_changed (see the module docstring)."""
    if new_as_of <= old_as_of:
        raise BkError(f"the new snapshot ({new_as_of}) must be later than the old one ({old_as_of})")
    for day, frames in (("old", old), ("new", new)):
        if "knit_orders" not in frames:
            raise BkError(f"the {day} snapshot has no Knit orders export: the back-test compares KO balances")
    old, new = with_master(old, new), with_master(new, old)
    old_plan = yarn.plan(old, as_of=old_as_of, knitting=knitting)
    new_plan = yarn.plan(new, as_of=new_as_of, knitting=knitting)
    planned = planned_knitting(old_plan["kos"], as_of=old_as_of, until=new_as_of)
    buys = set(old_plan["actions"].loc[old_plan["actions"]["action"] == "buy", "yarn_id"].astype(int))
    receipts, suppliers = receipt_score(old, new, old_as_of=old_as_of, new_as_of=new_as_of,
                                        old_pos=old_plan["open_pos"], new_pos=new_plan["open_pos"])
    return {"old_as_of": old_as_of.isoformat(), "new_as_of": new_as_of.isoformat(), "schedule": knitting,
            "days": (new_as_of - old_as_of).days,
            "knitting": knitting_score(old["knit_orders"], new["knit_orders"], planned),
            "buys": buy_score(buys, ordered_yarns(old, new)),
            "receipts": receipts, "suppliers": suppliers,
            "actions_changed": actions_changed(old_plan, new_plan)}


def backtest_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, earlier_frames: Mapping[str, pd.DataFrame],
                  earlier_as_of: date, knitting: str = "efab") -> dict:
    """``backtest`` as a two-snapshot operation of the service manager: the earlier snapshot's plan scored on the
    active one (cached on both snapshots' digests)."""
    return backtest(earlier_frames, frames, old_as_of=earlier_as_of, new_as_of=as_of, knitting=knitting)


OPERATIONS = {"plan.backtest": backtest_view}
