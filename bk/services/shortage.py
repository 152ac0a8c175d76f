"""The one shortage of a yarn on every page: the deepest planning balance below zero of the yarn plan.

Every page that shows a yarn's shortage (the Overview's "Since" section, Yarn inventory, Yarn requirements) reads
it from here, on the plan the app opens with (``yarn.APP_VIEW``): ``plan["planning_balance"]`` (stock plus every
open PO at most its balance, recent past due in the as-of week, old past due left out), its ``shortage_lbs`` and
``first_shortage_week`` columns as the plan computes them. eFab's view (scheduled receipts only) is shown only
where a page says it reproduces eFab.
"""

from __future__ import annotations

import pandas as pd

SHORT_LBS = 0.5  # a yarn is short when its planning balance goes more than this below zero (less is rounding)
SHORT_COLUMNS = ["yarn_id", "description", "supplier", "shortage_lbs", "first_shortage_week", "action", "action_lbs",
                 "order_by"]


def shortage_lbs(plan_result: dict) -> pd.Series:
    """Per yarn of the plan's planning balance (index yarn_id): its shortage in lbs (0 when never below zero)."""
    balance = plan_result["planning_balance"]
    return balance.groupby("yarn_id")["shortage_lbs"].sum().astype("float64")


def short_yarns(plan_result: dict) -> pd.DataFrame:
    """The yarns short in the plan's planning balance (shortage_lbs > ``SHORT_LBS``), one row each, earliest first
    short week first, then the deepest.

    Columns: yarn_id, description, supplier, shortage_lbs and first_shortage_week (the plan's planning balance),
    action, action_lbs and order_by (the yarn's one netted action, blank when it has none: e.g. short only after
    the 9 weeks the plan buys for).
    """
    balance = plan_result["planning_balance"]
    short = balance.loc[balance["shortage_lbs"] > SHORT_LBS, ["yarn_id", "shortage_lbs", "first_shortage_week"]]
    ids = short["yarn_id"].to_numpy()
    terms = plan_result["yarn_terms"].drop_duplicates("yarn_id").set_index("yarn_id")
    actions = plan_result["actions"].drop_duplicates("yarn_id").set_index("yarn_id")
    out = pd.DataFrame({
        "yarn_id": short["yarn_id"].astype("int64").to_numpy(),
        "description": terms["description"].reindex(ids).astype("string").to_numpy()
        if "description" in terms else pd.array([pd.NA] * len(ids), dtype="string"),
        "supplier": terms["supplier"].reindex(ids).astype("string").to_numpy(),
        "shortage_lbs": short["shortage_lbs"].astype("float64").to_numpy(),
        "first_shortage_week": pd.to_datetime(short["first_shortage_week"]).to_numpy(),
        "action": actions["action"].reindex(ids).astype("string").to_numpy(),
        "action_lbs": actions["lbs"].reindex(ids).astype("float64").to_numpy(),
        "order_by": pd.to_datetime(actions["order_by"].reindex(ids)).to_numpy(),
    })
    out = out.sort_values(["first_shortage_week", "shortage_lbs", "yarn_id"], ascending=[True, False, True],
                          kind="stable")
    return out[SHORT_COLUMNS].reset_index(drop=True)
