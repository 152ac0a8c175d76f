"""Morning briefing: what changed since an earlier snapshot and the causes of each shortage change (what to do today:
bk.services.today, re-exported here).

Causes are an ordered attribution. The yarn plan is recomputed while the earlier snapshot's inputs are swapped
for the later one's in this order (each step keeps the swaps before it):

    s0  the earlier snapshot, at its as-of date                     (its own plan)
    s1  + the later knit orders                                       -> demand   = s1 - s0
    s2  + the later open POs (expected yarn report, yarn POs)         -> receipts = s2 - s1
    s3  + the later yarn inventory (stock on hand)                    -> stock    = s3 - s2
    s4  + everything else (BOM, rates, suppliers, ...) and the later
        as-of date: the later snapshot's own plan                     -> other    = s4 - s3

so shortage change = s4 - s0 = demand + receipts + stock + other exactly. "Other" therefore holds master-data
changes and the calendar (a day passing moves knitting and receipts between weeks). Every plan is the app's
(``yarn.APP_VIEW``, the observed knitting pace) unless ``plan_params`` says otherwise, and a shortage is the one
every page shows (``shortage.shortage_lbs``: the deepest planning balance below zero) above ``SHORT_LBS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.ingest.schema import ISO_WEEK_COLUMN
from bk.services import yarn
from bk.services.planning.calendar import LATER
from bk.services.planning.supply import on_hand_by_yarn, receipts
from bk.services.shortage import SHORT_LBS, shortage_lbs
from bk.services.styles import week_monday
from bk.services.today import ACTION_VIEW, action_view, purchase_actions, today, today_view  # noqa: F401 (re-export)
from bk.text import day

CHANGE_LBS = 0.01  # smaller changes of a shortage are rounding, not a change
ROUNDING_LBS = 0.5  # a KO or PO balance moving by less is the exports' rounding, not knitting or a receipt
STOCK_THRESHOLD_LBS = 100.0
SCHEDULE_LBS = 0.5  # a PO week with less than this is not a delivery
DEMAND_KINDS = ("knit_orders",)
RECEIPT_KINDS = ("expected_yarn", "yarn_po")
STOCK_KINDS = ("yarn_inventory",)
ATTRIBUTION_ORDER = ("demand", "receipts", "stock", "other")
KO_CHANGES = ("added", "finished", "rescheduled", "balance_changed")
PO_CHANGES = ("added", "closed", "received", "past_due", "rescheduled")
# each change code in words, as the pages show it
CHANGE_WORDS = {"added": "added", "finished": "finished", "rescheduled": "rescheduled",
                "balance_changed": "balance changed", "closed": "closed", "received": "received",
                "past_due": "became past due", "new": "new shortage", "cleared": "shortage cleared",
                "deeper": "deeper", "shallower": "shallower"}
SHORTAGE_CHANGES = ("new", "cleared", "deeper", "shallower")
CAUSE_COLUMNS = ["yarn_id", "old_shortage_lbs", "new_shortage_lbs", "shortage_change_lbs", "demand", "receipts",
                 "stock", "other", "kos", "pos"]


# ------------------------------------------------------------------------------------------ knit orders


def _open_kos(knit_orders: pd.DataFrame) -> pd.DataFrame:
    kos = knit_orders.loc[knit_orders["balance_lbs"] > 0, ["knit_order", "style", "balance_lbs", "start_date"]]
    kos = kos.assign(knit_order=kos["knit_order"].astype("string").str.strip())
    return kos.groupby("knit_order", as_index=True).agg(
        style=("style", "first"), balance_lbs=("balance_lbs", "sum"), start_date=("start_date", "min"))


def knit_order_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Open knit orders (balance > 0) compared by KO number: one row per (KO, change).

    change: added (open now, not open before), finished (open before, not now), rescheduled (open in both,
    start date differs) and balance_changed (open in both, balance differs by more than ``ROUNDING_LBS``); a KO
    can be both rescheduled and balance_changed. Columns: knit_order, style, change, what (the change in words:
    'knitted 1,200 lbs', 'balance up 300 lbs', 'rescheduled from 25 Aug 2025 to 15 Dec 2025'),
    old_balance_lbs, new_balance_lbs, old_start, new_start.
    """
    a, b = _open_kos(old), _open_kos(new)
    both = a.join(b, how="outer", suffixes=("_old", "_new"))
    in_old, in_new = both["balance_lbs_old"].notna(), both["balance_lbs_new"].notna()
    same_start = (both["start_date_old"] == both["start_date_new"]) | (
        both["start_date_old"].isna() & both["start_date_new"].isna())
    masks = {
        "added": in_new & ~in_old,
        "finished": in_old & ~in_new,
        "rescheduled": in_old & in_new & ~same_start,
        "balance_changed": in_old & in_new & ((both["balance_lbs_new"] - both["balance_lbs_old"]).abs()
                                              > ROUNDING_LBS),
    }
    parts = []
    for change, mask in masks.items():
        rows = both.loc[mask.to_numpy(dtype=bool)]
        parts.append(pd.DataFrame({
            "knit_order": rows.index.astype("string"), "style": rows["style_new"].fillna(rows["style_old"]),
            "change": change, "what": [_ko_words(change, r) for r in rows.itertuples()],
            "old_balance_lbs": rows["balance_lbs_old"].fillna(0.0),
            "new_balance_lbs": rows["balance_lbs_new"].fillna(0.0), "old_start": rows["start_date_old"],
            "new_start": rows["start_date_new"]}, columns=KO_CHANGE_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"knit_order": "string", "style": "string", "change": "string", "what": "string"})


KO_CHANGE_COLUMNS = ["knit_order", "style", "change", "what", "old_balance_lbs", "new_balance_lbs", "old_start",
                     "new_start"]


def _day(value) -> str:
    return "no date" if pd.isna(value) else day(pd.Timestamp(value))


def _ko_words(change: str, row) -> str:
    if change == "balance_changed":
        delta = row.balance_lbs_new - row.balance_lbs_old
        return f"knitted {-delta:,.0f} lbs" if delta < 0 else f"balance up {delta:,.0f} lbs"
    if change == "rescheduled":
        return f"rescheduled from {_day(row.start_date_old)} to {_day(row.start_date_new)}"
    if change == "finished":
        return f"finished ({row.balance_lbs_old:,.0f} lbs were open)"
    return f"added ({row.balance_lbs_new:,.0f} lbs)"


# ------------------------------------------------------------------------------------------------ POs


def _po_schedule(expected: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Open PO lines by PO number: balance_lbs and the Mondays with a delivery (this week + dated weeks)."""
    open_lines = expected.loc[expected["po_balance_lbs"] > 0].copy()
    open_lines["po_number"] = open_lines["po_number"].astype("string").str.strip()
    week_cols = {c: date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
                 for c in expected.columns if (m := ISO_WEEK_COLUMN.match(c))}
    first = week_monday(as_of)
    long = [(first, open_lines["this_week_lbs"])] + [(monday, open_lines[c]) for c, monday in week_cols.items()]
    weeks: dict[str, set] = {po: set() for po in open_lines["po_number"].unique()}
    for monday, lbs in long:
        for po in open_lines.loc[(lbs > SCHEDULE_LBS).to_numpy(dtype=bool), "po_number"]:
            weeks[po].add(monday)
    # eFab's negative "Unscheduled or Past Due" nets its week view: only positive past-due lbs are past due
    past_due = (open_lines["past_due_lbs"].clip(lower=0.0) if "past_due_lbs" in open_lines
                else pd.Series(0.0, index=open_lines.index))
    out = open_lines.assign(_past_due=past_due).groupby("po_number").agg(
        balance_lbs=("po_balance_lbs", "sum"), yarn_id=("yarn_id", "first"), past_due_lbs=("_past_due", "sum"))
    out["weeks"] = out.index.map(lambda po: frozenset(weeks[po]))
    out.attrs["covered"] = frozenset([first, *week_cols.values()])
    return out


def purchase_order_changes(old: pd.DataFrame, new: pd.DataFrame, *, old_as_of: date,
                           new_as_of: date) -> pd.DataFrame:
    """Open POs of the expected-yarn report (PO Bal > 0) compared by PO number: one row per (PO, change).

    change: added, closed, received (open in both, balance lower by more than ``ROUNDING_LBS``: 11,640 →
    11,639.7 is rounding), past_due (open in both, its "Unscheduled or Past Due" lbs up by more than
    ``ROUNDING_LBS``: it became past due) and rescheduled (open in both, the weeks it is due differ among the weeks
    both reports show: each report's "This Week" is its as-of week, then its date-named weeks; past-due and later
    lbs are not compared). A PO can have several changes.
    Columns: po_number, yarn_id, change, what (in words: 'received 500 lbs', 'became past due (5,820 lbs)'),
    old_balance_lbs, new_balance_lbs.
    """
    a, b = _po_schedule(old, old_as_of), _po_schedule(new, new_as_of)
    covered = a.attrs["covered"] & b.attrs["covered"]
    both = a.join(b, how="outer", suffixes=("_old", "_new"))
    in_old, in_new = both["balance_lbs_old"].notna(), both["balance_lbs_new"].notna()
    empty: frozenset = frozenset()

    def window(weeks):
        return (weeks if isinstance(weeks, frozenset) else empty) & covered

    moved = pd.Series([window(x) != window(y) for x, y in zip(both["weeks_old"], both["weeks_new"], strict=True)],
                      index=both.index, dtype=bool)
    masks = {
        "added": in_new & ~in_old,
        "closed": in_old & ~in_new,
        "received": in_old & in_new & (both["balance_lbs_old"] - both["balance_lbs_new"] > ROUNDING_LBS),
        "past_due": in_old & in_new & (both["past_due_lbs_new"] - both["past_due_lbs_old"] > ROUNDING_LBS),
        "rescheduled": in_old & in_new & moved,
    }
    parts = []
    for change, mask in masks.items():
        rows = both.loc[mask.to_numpy(dtype=bool)]
        parts.append(pd.DataFrame({
            "po_number": rows.index.astype("string"),
            "yarn_id": rows["yarn_id_new"].fillna(rows["yarn_id_old"]).astype("Int64"), "change": change,
            "what": [_po_words(change, r) for r in rows.itertuples()],
            "old_balance_lbs": rows["balance_lbs_old"].fillna(0.0),
            "new_balance_lbs": rows["balance_lbs_new"].fillna(0.0)}, columns=PO_CHANGE_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"po_number": "string", "change": "string", "what": "string", "yarn_id": "Int64"})


PO_CHANGE_COLUMNS = ["po_number", "yarn_id", "change", "what", "old_balance_lbs", "new_balance_lbs"]


def _po_words(change: str, row) -> str:
    if change == "received":
        return f"received {row.balance_lbs_old - row.balance_lbs_new:,.0f} lbs"
    if change == "past_due":
        return f"became past due ({row.past_due_lbs_new - row.past_due_lbs_old:,.0f} lbs)"
    if change == "closed":
        return f"closed ({row.balance_lbs_old:,.0f} lbs were open)"
    if change == "added":
        return f"added ({row.balance_lbs_new:,.0f} lbs)"
    return "rescheduled"


# ---------------------------------------------------------------------------------------------- stock


def stock_changes(old: pd.DataFrame, new: pd.DataFrame, *, threshold_lbs: float = STOCK_THRESHOLD_LBS) -> pd.DataFrame:
    """Yarns whose stock on hand (Theoretical Balance) moved by more than ``threshold_lbs``.

    One row per yarn: yarn_id, old_on_hand_lbs, new_on_hand_lbs, change_lbs (a yarn missing on one day counts
    as 0 there), largest moves first.
    """
    a, b = on_hand_by_yarn(old), on_hand_by_yarn(new)  # the plans' own figures, kept per frame
    both = pd.DataFrame({"old_on_hand_lbs": a, "new_on_hand_lbs": b}).fillna(0.0)
    both["change_lbs"] = both["new_on_hand_lbs"] - both["old_on_hand_lbs"]
    out = both.loc[both["change_lbs"].abs() > threshold_lbs].reset_index(names="yarn_id")
    out = out.astype({"yarn_id": "int64"})
    return out.reindex(out["change_lbs"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ------------------------------------------------------------------------------------------ shortages


def shortage_changes(old_plan: dict, new_plan: dict) -> pd.DataFrame:
    """Yarns short (shortage_lbs > 0.5) on either day: one row per yarn whose shortage state changed.

    change: new (short now, not before), cleared (short before, not now), deeper / shallower (short on both days,
    shortage up / down by more than 0.5 lb). Columns: yarn_id, change, old_shortage_lbs, new_shortage_lbs.
    """
    a, b = shortage_lbs(old_plan), shortage_lbs(new_plan)
    both = pd.DataFrame({"old_shortage_lbs": a, "new_shortage_lbs": b}).fillna(0.0)
    old_short, new_short = both["old_shortage_lbs"] > SHORT_LBS, both["new_shortage_lbs"] > SHORT_LBS
    delta = both["new_shortage_lbs"] - both["old_shortage_lbs"]
    change = np.select([new_short & ~old_short, old_short & ~new_short, old_short & new_short & (delta > SHORT_LBS),
                        old_short & new_short & (delta < -SHORT_LBS)], list(SHORTAGE_CHANGES), default="")
    both["change"] = change
    out = both.loc[both["change"] != ""].reset_index(names="yarn_id")
    return out[["yarn_id", "change", "old_shortage_lbs", "new_shortage_lbs"]].astype(
        {"yarn_id": "int64", "change": "string"}).sort_values(["change", "yarn_id"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------- causes


def _swap(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame], kinds) -> dict[str, pd.DataFrame]:
    mixed = dict(old)
    for kind in kinds:
        if kind in new:
            mixed[kind] = new[kind]
        else:
            mixed.pop(kind, None)
    return mixed


def _ko_yarn_demand(result: dict) -> pd.DataFrame:
    demand = result["ko_demand"]
    labels = [c for c in demand.columns if c.startswith("week_of_") or c == LATER]
    out = demand.assign(knit_order=demand["knit_order"].astype("string"))
    return out.groupby(["yarn_id", "knit_order"])[labels].sum()


def _po_yarn_receipts(frames: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Receipts per (yarn, PO) bucketed exactly as the plan does: supply.receipts run with one id per line."""
    kind = next((k for k in RECEIPT_KINDS if k in frames), None)
    if kind is None:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["yarn_id", "po_number"]))
    lines = frames[kind].reset_index(drop=True)
    lines = lines.loc[lines["yarn_id"].notna()].reset_index(drop=True)
    per_line, _ = receipts({kind: lines.assign(yarn_id=np.arange(len(lines)))}, as_of=as_of)
    line = per_line["yarn_id"].to_numpy()
    per_line = per_line.assign(yarn_id=lines["yarn_id"].to_numpy()[line].astype("int64"),
                               po_number=lines["po_number"].astype("string").str.strip().to_numpy()[line])
    return per_line.groupby(["yarn_id", "po_number"]).sum()


def _changed_ids(before: pd.DataFrame, after: pd.DataFrame, yarn_id: int, *, tolerance: float = 0.005) -> list[str]:
    """Ids (second index level) whose bucket values for ``yarn_id`` differ, largest total change first."""
    pieces = []
    for frame in (before, after):
        pieces.append(frame.xs(yarn_id, level="yarn_id") if yarn_id in frame.index.get_level_values(0)
                      else frame.iloc[:0].droplevel(0))
    a, b = pieces
    index = a.index.union(b.index)
    columns = a.columns.union(b.columns)
    diff = b.reindex(index=index, columns=columns, fill_value=0.0) - a.reindex(index=index, columns=columns,
                                                                              fill_value=0.0)
    if diff.empty:
        return []
    largest = diff.abs().max(axis=1)
    total = diff.sum(axis=1).abs()
    changed = total[largest > tolerance].sort_values(ascending=False, kind="mergesort")
    return [str(i) for i in changed.index]


def shortage_causes(old_frames: Mapping[str, pd.DataFrame], new_frames: Mapping[str, pd.DataFrame], *,
                    old_as_of: date, new_as_of: date, old_plan: dict | None = None,
                    new_plan: dict | None = None, plan_params: Mapping | None = None) -> pd.DataFrame:
    """Every yarn whose shortage changed, with the change split by the ordered attribution of the module doc.

    One row per yarn: yarn_id, old_shortage_lbs, new_shortage_lbs, shortage_change_lbs, demand, receipts, stock,
    other (lbs; demand + receipts + stock + other = shortage_change_lbs), kos (KO numbers whose demand for this
    yarn changed, largest first; only when demand ≠ 0), pos (PO numbers whose receipts of this yarn changed;
    only when receipts ≠ 0). Largest changes first. Every plan is run with ``plan_params`` (default
    ``yarn.APP_VIEW``). Raises what the yarn plan raises (MissingDataError).
    """
    params = dict(yarn.APP_VIEW if plan_params is None else plan_params)
    s0 = old_plan if old_plan is not None else yarn.plan(old_frames, as_of=old_as_of, **params)
    mix1 = _swap(old_frames, new_frames, DEMAND_KINDS)
    mix2 = _swap(mix1, new_frames, RECEIPT_KINDS)
    mix3 = _swap(mix2, new_frames, STOCK_KINDS)
    s1 = yarn.plan(mix1, as_of=old_as_of, **params)
    s2 = yarn.plan(mix2, as_of=old_as_of, **params)
    s3 = yarn.plan(mix3, as_of=old_as_of, **params)
    s4 = new_plan if new_plan is not None else yarn.plan(new_frames, as_of=new_as_of, **params)
    levels = pd.DataFrame({f"s{i}": shortage_lbs(s) for i, s in enumerate((s0, s1, s2, s3, s4))}).fillna(0.0)
    out = pd.DataFrame({"yarn_id": levels.index.astype("int64"), "old_shortage_lbs": levels["s0"].to_numpy(),
                        "new_shortage_lbs": levels["s4"].to_numpy()})
    out["shortage_change_lbs"] = out["new_shortage_lbs"] - out["old_shortage_lbs"]
    out["demand"] = (levels["s1"] - levels["s0"]).to_numpy()
    out["receipts"] = (levels["s2"] - levels["s1"]).to_numpy()
    out["stock"] = (levels["s3"] - levels["s2"]).to_numpy()
    # s4 - s3, written as the remainder so that the identity holds to the last bit
    out["other"] = out["shortage_change_lbs"] - out["demand"] - out["receipts"] - out["stock"]
    out = out.loc[out["shortage_change_lbs"].abs() > CHANGE_LBS]
    out = out.reindex(out["shortage_change_lbs"].abs().sort_values(ascending=False, kind="mergesort").index)
    ko_before, ko_after = _ko_yarn_demand(s0), _ko_yarn_demand(s1)
    po_before, po_after = _po_yarn_receipts(mix1, old_as_of), _po_yarn_receipts(mix2, old_as_of)
    out["kos"] = [_changed_ids(ko_before, ko_after, y) if abs(d) > CHANGE_LBS else []
                  for y, d in zip(out["yarn_id"], out["demand"], strict=True)]
    out["pos"] = [_changed_ids(po_before, po_after, y) if abs(r) > CHANGE_LBS else []
                  for y, r in zip(out["yarn_id"], out["receipts"], strict=True)]
    return out[CAUSE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- diff


def _on_hand(frames: Mapping[str, pd.DataFrame]) -> pd.Series:
    inventory = frames.get("yarn_inventory")
    if inventory is None:
        return pd.Series(dtype="float64")
    return on_hand_by_yarn(inventory).astype("float64")


def _cause_detail(causes: pd.DataFrame, kos: pd.DataFrame, pos: pd.DataFrame, *, old_on_hand: pd.Series,
                  new_on_hand: pd.Series, same_day: bool) -> pd.Series:
    """Per cause row, what happened, never empty: its KOs and POs with what happened to each ('K1 knitted
    1,200 lbs; P3 became past due (5,820 lbs)'), then the parts no KO or PO explains (stock on hand before →
    now; other: master data or a day passing)."""
    what_ko = kos.groupby("knit_order")["what"].agg(lambda c: ", ".join(c)).to_dict()
    what_po = pos.groupby("po_number")["what"].agg(lambda c: ", ".join(c)).to_dict()
    text = []
    for row in causes.itertuples(index=False):
        parts = [f"{k} {what_ko.get(k, 'demand moved between weeks')}" for k in row.kos]
        parts += [f"{p} {what_po.get(p, 'delivery moved between weeks')}" for p in row.pos]
        if abs(row.demand) > CHANGE_LBS and not row.kos:
            parts.append("knit orders' demand moved between weeks")
        if abs(row.receipts) > CHANGE_LBS and not row.pos:
            parts.append("open POs' deliveries moved between weeks")
        if abs(row.stock) > CHANGE_LBS:
            parts.append(f"stock on hand {old_on_hand.get(row.yarn_id, 0.0):,.0f} → "
                         f"{new_on_hand.get(row.yarn_id, 0.0):,.0f} lbs")
        if abs(row.other) > CHANGE_LBS:
            parts.append("master data changed (BOM, knit rates, suppliers)" if same_day else
                         "a day passing (knitting and deliveries move between weeks) or master data")
        text.append("; ".join(parts))
    return pd.Series(text, index=causes.index, dtype="string")


def diff(old_frames: Mapping[str, pd.DataFrame], new_frames: Mapping[str, pd.DataFrame], *, old_as_of: date,
         new_as_of: date, stock_threshold_lbs: float = STOCK_THRESHOLD_LBS, plan_params: Mapping | None = None) -> dict:
    """What changed from an earlier snapshot to a later one: the one comparison of two snapshots (the Overview and
    Yarn inventory show it, ``python -m bk diff`` writes it).

    Keys: ``knit_orders`` (knit_order_changes), ``purchase_orders`` (purchase_order_changes; empty without an
    expected-yarn report on both days), ``stock`` (stock_changes), ``shortages`` (shortage_changes), ``causes``
    (shortage_causes plus ``detail``: what happened, never empty), ``summary`` (old/new as-of dates and the count
    of every change kind). The plans are run with ``plan_params`` (default ``yarn.APP_VIEW``, the later day then
    with the loop closed on the earlier one, as the pages plan it).
    """
    params = dict(yarn.APP_VIEW if plan_params is None else plan_params)
    old_plan = yarn.plan(old_frames, as_of=old_as_of, **params)
    # the later day as the app plans it: the loop closed on the earlier day (KO paces, suppliers' slips since),
    # so that compared with the day before its shortages are the yarn page's; the change this makes is "other"
    closed = {"earlier_frames": old_frames, "earlier_as_of": old_as_of} if plan_params is None else {}
    new_plan = yarn.plan(new_frames, as_of=new_as_of, **params, **closed)
    kos = knit_order_changes(old_frames["knit_orders"], new_frames["knit_orders"])
    if "expected_yarn" in old_frames and "expected_yarn" in new_frames:
        pos = purchase_order_changes(old_frames["expected_yarn"], new_frames["expected_yarn"], old_as_of=old_as_of,
                                     new_as_of=new_as_of)
    else:
        pos = pd.DataFrame({"po_number": pd.Series(dtype="string"), "yarn_id": pd.Series(dtype="Int64"),
                            "change": pd.Series(dtype="string"), "what": pd.Series(dtype="string"),
                            "old_balance_lbs": pd.Series(dtype="float64"),
                            "new_balance_lbs": pd.Series(dtype="float64")})
    stock = stock_changes(old_frames["yarn_inventory"], new_frames["yarn_inventory"], threshold_lbs=stock_threshold_lbs)
    shortages = shortage_changes(old_plan, new_plan)
    causes = shortage_causes(old_frames, new_frames, old_as_of=old_as_of, new_as_of=new_as_of, old_plan=old_plan,
                             new_plan=new_plan, plan_params=params)
    causes["detail"] = _cause_detail(causes, kos, pos, old_on_hand=_on_hand(old_frames),
                                     new_on_hand=_on_hand(new_frames), same_day=old_as_of == new_as_of)
    summary = {
        "old_as_of": old_as_of.isoformat(), "new_as_of": new_as_of.isoformat(),
        "attribution_order": list(ATTRIBUTION_ORDER),
        "knit_orders": {c: int((kos["change"] == c).sum()) for c in KO_CHANGES},
        "purchase_orders": {c: int((pos["change"] == c).sum()) for c in PO_CHANGES},
        "stock_changes": int(len(stock)),
        "shortages": {c: int((shortages["change"] == c).sum()) for c in SHORTAGE_CHANGES},
        "causes": int(len(causes)),
    }
    return {"knit_orders": kos, "purchase_orders": pos, "stock": stock, "shortages": shortages, "causes": causes,
            "summary": summary}


def diff_json(result: dict) -> dict:
    """The command-line contract of ``python -m bk diff``: counts, shortage yarn lists and causes (lbs, 2 dp).

    Rounded so that demand + receipts + stock + other = shortage_change_lbs still holds (other takes the rest).
    """
    summary, shortages = result["summary"], result["shortages"]
    causes = []
    for row in result["causes"].itertuples(index=False):
        change = round(float(row.shortage_change_lbs), 2)
        demand, receipts, stock = (round(float(v), 2) for v in (row.demand, row.receipts, row.stock))
        causes.append({"yarn_id": int(row.yarn_id), "shortage_change_lbs": change, "demand": demand,
                       "receipts": receipts, "stock": stock, "other": round(change - demand - receipts - stock, 2),
                       "kos": [str(k) for k in row.kos], "pos": [str(p) for p in row.pos]})
    return {
        "knit_orders": {c: summary["knit_orders"][c] for c in KO_CHANGES},
        "purchase_orders": {c: summary["purchase_orders"][c] for c in ("added", "closed", "rescheduled")},
        "shortages": {
            "new": sorted(int(y) for y in shortages.loc[shortages["change"] == "new", "yarn_id"]),
            "cleared": sorted(int(y) for y in shortages.loc[shortages["change"] == "cleared", "yarn_id"]),
            "deeper": summary["shortages"]["deeper"], "shallower": summary["shortages"]["shallower"],
        },
        "causes": causes,
    }


def briefing_diff(frames: Mapping[str, pd.DataFrame], *, as_of: date, earlier_frames: Mapping[str, pd.DataFrame],
                  earlier_as_of: date, stock_threshold_lbs: float = STOCK_THRESHOLD_LBS) -> dict:
    """``diff`` as a two-snapshot operation of the service manager: the active snapshot against an earlier one."""
    return diff(earlier_frames, frames, old_as_of=earlier_as_of, new_as_of=as_of,
                stock_threshold_lbs=stock_threshold_lbs)



OPERATIONS = {"briefing.diff": briefing_diff, "briefing.today": today_view}
