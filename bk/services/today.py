"""The morning's to-do list: the yarn plan's actions as every page lists them (money only where it is a spend) and
what is due this week, each headline count defined once (expedites, buys past order-by, late KOs, hot spots)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd

from bk.errors import MissingDataError
from bk.services import capacity, yarn
from bk.services.styles import week_monday

ACTION_VIEW = ["yarn_id", "action", "order_by_passed", "po_number", "lbs", "cost_usd", "order_by", "need_week",
               "supplier", "reason"]


def action_view(actions: pd.DataFrame) -> pd.DataFrame:
    """The plan's actions as every page lists them: the same rows and columns, with ``order_by_passed`` (a buy
    whose order-by date has passed: the plan's ``expedite`` flag, which only buys carry) instead of ``expedite``,
    and money only where it is a spend: ``cost_usd`` and ``premium_usd`` of a chase, expedite or defer (the PO's
    value, already ordered) left blank."""
    out = actions.copy()
    spend = (out["action"] == "buy").to_numpy(dtype=bool)
    for column in ("cost_usd", "premium_usd"):
        if column in out:
            out[column] = out[column].where(spend)
    out.insert(out.columns.get_loc("expedite"), "order_by_passed", out["expedite"].to_numpy(dtype=bool) & spend)
    return out.drop(columns="expedite")


def purchase_actions(plan_result: dict, *, as_of: date) -> pd.DataFrame:
    """The yarn plan's purchase actions (``plan_result["actions"]``, DOMAIN.md §7) as the briefing lists them:
    ACTION_VIEW columns of ``action_view``, one row per action, in the plan's order."""
    out = action_view(plan_result["actions"])
    for c in ACTION_VIEW:
        if c not in out.columns:
            out[c] = pd.NA
    out = out[ACTION_VIEW].astype({"action": "string", "reason": "string", "po_number": "string",
                                   "supplier": "string", "order_by_passed": "bool", "yarn_id": "int64"})
    out["need_week"] = pd.to_datetime(out["need_week"])
    out["order_by"] = pd.to_datetime(out["order_by"])
    return out.reset_index(drop=True)


LATE_COLUMNS = ["knit_order", "days_late", "finish", "quoted_date", "style", "on_machines", "work_center",
                "balance_lbs", "placement"]


def today(plan_result: dict, *, as_of: date, capacity_result: dict | None = None) -> dict:
    """What needs doing this week.

    Keys: ``buy`` (the plan's buys whose order-by falls on or before the Sunday of the as-of week, passed ones
    first, and every expedite action; then by order-by), ``reconcile`` (records to correct), ``late_kos``
    (``capacity.late_kos``: KOs finishing after their quoted date, committed and suggested, most days late
    first), ``hot_spots`` (``capacity.hot_spots``), ``counts``. Each count has one definition, shared with the
    page that shows it too: ``expedite``, ``chase``, ``reconcile`` (the plan's actions of that kind) and
    ``buys_past_order_by`` (its buys flagged ``expedite``) are counted as the plan's summary counts them (Yarn
    requirements shows those); ``buy`` = buys whose order-by falls in the as-of week and
    has not passed; ``late_kos``, ``no_date_kos`` (scheduled KOs without a quoted date) and ``hot_spots`` are
    capacity's (``capacity.lateness_counts``, ``capacity.hot_spots``; 0 when ``capacity_result`` is None).
    """
    actions = purchase_actions(plan_result, as_of=as_of)
    week_end = pd.Timestamp(week_monday(as_of) + timedelta(days=6))
    is_buy = actions["action"] == "buy"
    # a buy is due when its order-by falls in this week or before; an expedite is due now (the PO already
    # arrives after the yarn needs it: the call to the supplier cannot wait for a date)
    buy_due = is_buy & (actions["order_by"] <= week_end).fillna(False)
    due = (buy_due | (actions["action"] == "expedite")).to_numpy(dtype=bool)
    buy = actions.loc[due].sort_values(["order_by_passed", "order_by", "need_week"], ascending=[False, True, True],
                                       na_position="first", kind="stable")
    reconcile = actions.loc[(actions["action"] == "reconcile").to_numpy(dtype=bool)]
    if capacity_result is not None:  # the capacity page's own definitions, so both pages show one count
        late = capacity.late_kos(capacity_result)[LATE_COLUMNS]
        no_date = capacity.lateness_counts(capacity_result)["no_date_kos"]
        hot = capacity.hot_spots(capacity_result)
    else:
        late = pd.DataFrame(columns=LATE_COLUMNS)
        no_date = 0
        hot = pd.DataFrame(columns=["work_center", "machines", "hot_weeks", "first_hot_week", "utilization"])
    kind = actions["action"]
    # the plan's summary counts these the same way (expedites, chases, reconciles, buys_past_order_by)
    counts = {"buy": int((buy_due & ~actions["order_by_passed"]).sum()),
              "buys_past_order_by": int((is_buy & actions["order_by_passed"]).sum()),
              "expedite": int((kind == "expedite").sum()), "chase": int((kind == "chase").sum()),
              "reconcile": int(len(reconcile)), "late_kos": int(len(late)), "no_date_kos": int(no_date),
              "hot_spots": int(len(hot))}
    return {"buy": buy.reset_index(drop=True), "reconcile": reconcile.reset_index(drop=True),
            "late_kos": late.reset_index(drop=True), "hot_spots": hot.reset_index(drop=True), "counts": counts}


def today_view(frames: Mapping[str, pd.DataFrame], *, as_of: date, horizon_weeks: int = 12,
               bottleneck_threshold: float = capacity.HOT_SPOT_UTILISATION) -> dict:
    """``today`` as an operation: the yarn plan and, when the machine report is there, the capacity plan."""
    plan_result = yarn.plan(frames, as_of=as_of, **yarn.APP_VIEW)
    try:
        capacity_result = capacity.plan(frames, as_of=as_of, horizon_weeks=horizon_weeks,
                                        bottleneck_threshold=bottleneck_threshold)
    except MissingDataError:
        capacity_result = None
    return today(plan_result, as_of=as_of, capacity_result=capacity_result)
