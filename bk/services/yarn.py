"""Yarn requirements, the public entry of the yarn plan: the plan of one snapshot run through the planning
layers (``bk.services.planning``: calendar → demand → schedule → supply → balance → actions → reconcile), the
what-if, reconciliation with eFab's reports, comparing two plans, and the CLI's tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bk.errors import BkError, MissingDataError
from bk.services import capacity, forecast_yarn
from bk.services.lookup import isin
from bk.services.planning.actions import (
    actions_with_evidence,
    pegging,
    purchase_actions,
    purchase_suggestions,
)
from bk.services.planning.balance import balance_flows, balance_frame, long_balance, with_forecast_columns
from bk.services.planning.calendar import bucket_edges, bucket_labels
from bk.services.planning.demand import bom_differences, forecast_by_yarn, prepared_bom
from bk.services.planning.reconcile import reconcile_ko, reconcile_receipts
from bk.services.planning.reliability import supplier_slips
from bk.services.planning.schedule import Schedule, knit_order_demand, machine_ko_buckets, observed_ko_buckets
from bk.services.planning.supply import (
    deliveries,
    on_hand_by_yarn,
    open_pos,
    receipts,
    receipts_by_yarn,
    yarn_terms,
)
from bk.services.remnants import is_remnant
from bk.services.styles import RATE_MEDIAN
from bk.services.suppliers import lead_time_findings

KNITTING = ("efab", "machines", "observed")  # when KOs draw their yarn: eFab's rule, machine schedule, observed pace
# The app's view of the plan (yarn page default, Overview, Yarn inventory, warming): the schedule that predicts best.
# Scored against what happened next on real days, eFab's rule expects about twice the knitting the mill does and
# the machine schedule 1.7 times; the observed pace is read from what each KO did. The CLI keeps eFab's rule (it
# reproduces eFab's reports).
APP_VIEW: dict = {"knitting": "observed"}


def _with_pace(kos: pd.DataFrame, paces: pd.DataFrame) -> pd.DataFrame:
    """The plan's KOs with their observed pace (lbs/day, where it comes from) and the stalled flag."""
    ids = kos["knit_order"].astype("string").str.strip().to_numpy()
    out = kos.copy()
    out["pace_lbs_per_day"] = paces["pace_lbs_per_day"].reindex(ids).to_numpy(dtype=float)
    out["pace_source"] = pd.array(paces["pace_source"].reindex(ids).to_numpy(dtype=object), dtype="string")
    out["stalled"] = paces["stalled"].reindex(ids).fillna(False).to_numpy(dtype=bool)
    return out


def _require(frames: Mapping[str, pd.DataFrame], kind: str, title: str) -> pd.DataFrame:
    if kind not in frames:
        raise MissingDataError(f"the yarn plan needs the {title} export ({kind}); upload it on the Data page")
    return frames[kind]


def plan(frames: Mapping[str, pd.DataFrame], *, as_of: date, include_past_due: bool = False,
         extra_knit_orders: pd.DataFrame | list[dict] | None = None, schedule: Schedule = Schedule(),
         ko_buckets: pd.DataFrame | None = None, forecast_demand: pd.DataFrame | None = None,
         knitting: str = "efab", with_forecast: bool = False,
         earlier_frames: Mapping[str, pd.DataFrame] | None = None, earlier_as_of: date | None = None) -> dict:
    """The whole yarn plan for one snapshot. Raises MissingDataError naming any export it lacks.

    Demand is the demand of record (``demand_splits``); ``ko_buckets`` replaces eFab's knitting rule for the
    KOs it lists; ``forecast_demand`` (one row per yarn_id with the bucket columns) is added to the demand.
    ``knitting="machines"`` takes ``ko_buckets`` from the capacity plan (each KO's yarn drawn when its machine
    knits it, one KO after another) instead of eFab's rule that knits every KO at once; ``with_forecast`` adds
    the sales forecast carried through the BOM (``forecast_yarn``, net of what open orders cover) as
    ``forecast_demand``, with its evidence under ``forecast_evidence``.
    Keys: ``actions`` (``purchase_actions``: buy / expedite / reconcile / defer, sorted by order-by),
    ``shortages`` (the buys, one row per yarn), ``planning_balance`` (wide, every open PO counted, past due in
    the as-of week: the decisions), ``yarn_balance`` (wide, eFab's view: past due left out unless
    ``include_past_due``), ``projected_balance`` (long eFab view: yarn_id, bucket, bucket_start, demand_lbs,
    receipts_lbs, balance_lbs, planning_balance_lbs), ``open_pos`` (PO lines by bucket), ``yarn_terms``,
    ``ko_demand`` (KO × yarn with bucket columns and bom_source), ``kos``, ``kos_without_bom``,
    ``bom_findings``, ``bom_differences`` (BOM file vs eFab %), ``buckets``, ``summary`` (JSON scalars).
    """
    inventory = _require(frames, "yarn_inventory", "Yarn inventory")
    knit_orders = _require(frames, "knit_orders", "Knit orders")
    bom_raw = _require(frames, "bom", "BOM")
    if knitting not in KNITTING:
        raise BkError(f"knitting schedule '{knitting}' is unknown: use one of {', '.join(KNITTING)}")
    # the loop closed: with an earlier snapshot, KO paces from the balance changes since, receipts from a supplier
    # whose POs slipped planned that much later
    history = earlier_frames is not None and earlier_as_of is not None and earlier_as_of < as_of
    earlier = (earlier_frames["knit_orders"], earlier_as_of) if history and "knit_orders" in earlier_frames else None
    observed, paces = observed_ko_buckets(frames, as_of=as_of, earlier=earlier)
    buckets_source = "capacity schedule"
    if knitting == "machines" and ko_buckets is None:
        ko_buckets = machine_ko_buckets(frames, as_of=as_of)
    elif knitting == "observed" and ko_buckets is None:
        ko_buckets, buckets_source = observed, "observed pace"
    forecast_evidence = forecast_netting = None
    if with_forecast and forecast_demand is None:
        carried = forecast_yarn.yarn_forecast_demand(frames, as_of=as_of)
        forecast_demand, forecast_evidence = carried["demand"], carried["evidence"]
        forecast_netting = carried.get("netting")
    rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                    "lbs_per_day": pd.Series(dtype="float64")}))
    remnant = is_remnant(knit_orders["balance_lbs"])
    if knitting != "efab":  # eFab's rule reproduces eFab's reports, which still demand the remnants' yarn
        knit_orders = knit_orders.loc[~remnant.to_numpy()]
    if extra_knit_orders is not None and len(extra_knit_orders):
        knit_orders = pd.concat([knit_orders, _what_if_orders(pd.DataFrame(extra_knit_orders))], ignore_index=True)
    labels = bucket_labels(as_of)
    bom, bom_findings = prepared_bom(bom_raw, inventory, frames.get("yarn_master"))
    efab_ko, efab_style = frames.get("yarn_demand_by_style_ko"), frames.get("yarn_demand_by_style")
    exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule, ko_buckets=ko_buckets,
                                 efab_ko=efab_ko, efab_style=efab_style, buckets_source=buckets_source)
    pos, supply_source = open_pos(frames, as_of=as_of)
    supply = receipts_by_yarn(pos, as_of)
    slips = (supplier_slips(earlier_frames, frames, old_as_of=earlier_as_of, new_as_of=as_of, new_pos=pos)
             if history and any(k in earlier_frames for k in ("expected_yarn", "yarn_po")) else {})
    delivered = deliveries(pos, frames, as_of=as_of, slip_days=slips)
    on_hand = on_hand_by_yarn(inventory)
    forecast = forecast_by_yarn(forecast_demand, labels)
    demand = pd.concat([exploded["ko_demand"][["yarn_id", *labels]], forecast], ignore_index=True)
    flows = balance_flows(on_hand, demand, supply, as_of)
    efab_view = with_forecast_columns(balance_frame(flows, as_of), forecast, labels)
    # the decisions: every PO line at most its balance, recent past due in the as-of week, old past due chased
    planning = with_forecast_columns(balance_frame(balance_flows(on_hand, demand, receipts_by_yarn(delivered, as_of),
                                                                 as_of), as_of, include_past_due=True),
                                     forecast, labels)
    balance = (efab_view if not include_past_due
               else with_forecast_columns(balance_frame(flows, as_of, include_past_due=True), forecast, labels))
    terms = yarn_terms(frames, planning["yarn_id"], pos)
    actions = purchase_actions(planning, delivered, terms, as_of=as_of)
    shortages = purchase_suggestions(actions, planning, terms)
    balance = balance.copy()
    balance.insert(1, "supplier", balance["yarn_id"].map(terms["supplier"]).astype("string"))
    kos = _with_pace(exploded["kos"], paces)
    long = long_balance(balance, as_of)
    long["planning_balance_lbs"] = planning[[f"balance_{b}" for b in labels]].to_numpy().ravel()
    counts = actions["action"].value_counts()
    of = {a: actions.loc[actions["action"] == a] for a in ("buy", "expedite", "chase", "reconcile", "defer")}
    result = {
        "actions": actions,
        "shortages": shortages,
        "yarn_balance": balance,
        "planning_balance": planning,
        "projected_balance": long,
        "open_pos": pos,
        "deliveries": delivered,
        "yarn_terms": terms.reset_index(),
        "ko_demand": exploded["ko_demand"],
        "kos": kos,
        "kos_without_bom": kos.loc[~kos["has_bom"], [c for c in ("knit_order", "style", "balance_lbs", "start",
                                                                 "quoted_date") if c in kos]].reset_index(drop=True),
        "bom_findings": bom_findings.copy(),
        "lead_time_findings": lead_time_findings(frames),
        "bom_differences": bom_differences(bom, efab_ko, efab_style),
        "buckets": pd.DataFrame({"bucket": labels, "bucket_start": pd.to_datetime(bucket_edges(as_of))}),
        "summary": {
            "as_of": as_of.isoformat(), "open_kos": int(len(kos)), "kos_without_bom": int((~kos["has_bom"]).sum()),
            "lbs_without_bom": float(kos.loc[~kos["has_bom"], "balance_lbs"].sum()),
            "kos_by_bom_source": {str(k): int(v) for k, v in kos["bom_source"].value_counts().items()},
            "kos_capacity_scheduled": int((kos["schedule_source"] == "capacity schedule").sum()),
            "rate_defaulted_kos": int((kos["rate_source"] == RATE_MEDIAN).sum()),
            "kos_balance_recomputed": int((kos["balance_lbs"] - kos["export_balance_lbs"]).abs().gt(0.05).sum()),
            "total_demand_lbs": float(planning["total_demand_lbs"].sum()),
            "forecast_demand_lbs": float(planning["forecast_demand_lbs"].sum()) if len(forecast) else 0.0,
            "yarns_short": int((efab_view["shortage_lbs"] > 0).sum()),
            "shortage_lbs": float(efab_view["shortage_lbs"].sum()),
            "net_shortage_lbs": float(np.maximum(0.0, -planning["min_balance_lbs"]).sum()),
            "buys": int(counts.get("buy", 0)), "buy_lbs": float(of["buy"]["lbs"].sum()),
            "buy_usd": float(np.nansum(of["buy"]["cost_usd"])),
            "forecast_only_buys": int(of["buy"]["forecast_only"].sum()),
            "forecast_only_usd": float(np.nansum(of["buy"].loc[of["buy"]["forecast_only"], "cost_usd"])),
            "buys_past_order_by": int(of["buy"]["expedite"].sum()),
            "expedites": int(counts.get("expedite", 0)), "expedite_lbs": float(of["expedite"]["lbs"].sum()),
            "expedite_usd": float(np.nansum(of["expedite"]["cost_usd"])),
            "chases": int(counts.get("chase", 0)), "chase_lbs": float(of["chase"]["lbs"].sum()),
            "premium_lbs": float(of["buy"]["premium_lbs"].sum()),
            "premium_usd": float(np.nansum(of["buy"]["premium_usd"])),
            "remnant_kos": int(remnant.sum()), "remnants_demanded": knitting == "efab",
            "earlier_as_of": earlier_as_of.isoformat() if history else None,
            "slipping_suppliers": {k: round(v) for k, v in sorted(slips.items())},
            "stalled_kos": int(kos["stalled"].sum()), "stalled_lbs": float(kos.loc[kos["stalled"], "balance_lbs"].sum()),
            "reconciles": int(counts.get("reconcile", 0)), "defers": int(counts.get("defer", 0)),
            "defer_lbs": float(of["defer"]["lbs"].sum()),
            "unpriced_actions": int((~actions["priced"] & (actions["action"] != "reconcile")).sum()),
            "expedite": int(of["buy"]["expedite"].sum() + counts.get("expedite", 0)),
            "suggested_order_usd": float(np.nansum(of["buy"]["cost_usd"])),
            "bom_differences": 0,
            "receipts_source": supply_source, "include_past_due": include_past_due,
            "what_if_orders": 0 if extra_knit_orders is None else int(len(extra_knit_orders)),
        },
    }
    result["summary"]["bom_differences"] = int(len(result["bom_differences"]))
    result["summary"]["knitting"] = knitting
    if forecast_evidence is not None:
        result["forecast_evidence"] = forecast_evidence
    if forecast_netting is not None:
        result["forecast_netting"] = forecast_netting  # per greige style: the forecast net of orders, stock, KOs
    return result


def reconcile(frames: Mapping[str, pd.DataFrame], *, as_of: date, schedule: Schedule = Schedule()) -> dict:
    """Our demand and receipts against eFab's own reports in the snapshot (each part only when present).

    Keys: ``reconciliation_ko`` (see reconcile_ko), ``reconciliation_receipts`` (see reconcile_receipts),
    ``summary`` (rows compared, share reproduced, disagreements by cause).
    """
    summary: dict = {}
    out: dict = {"summary": summary}
    if "yarn_demand_by_style_ko" in frames:
        inventory = _require(frames, "yarn_inventory", "Yarn inventory")
        bom, _ = prepared_bom(_require(frames, "bom", "BOM"), inventory, None)
        knit_orders = _require(frames, "knit_orders", "Knit orders")
        rates = frames.get("style_rates", pd.DataFrame({"style": pd.Series(dtype="string"),
                                                        "lbs_per_day": pd.Series(dtype="float64")}))
        # the demand of record, as the plan uses it
        exploded = knit_order_demand(knit_orders, bom, rates, as_of=as_of, schedule=schedule,
                                     efab_ko=frames["yarn_demand_by_style_ko"],
                                     efab_style=frames.get("yarn_demand_by_style"))
        recon = reconcile_ko(exploded, frames["yarn_demand_by_style_ko"], knit_orders, bom, as_of=as_of)
        out["reconciliation_ko"] = recon
        summary["ko_rows"] = int(len(recon))
        summary["ko_rows_reproduced_share"] = _share(recon)
        summary["causes"] = {str(k): int(v) for k, v in recon.loc[recon["cause"] != "", "cause"].value_counts().items()}
    if "yarn_demand" in frames:
        supply, _ = receipts(frames, as_of=as_of)
        recon = reconcile_receipts(supply, frames["yarn_demand"], as_of=as_of)
        out["reconciliation_receipts"] = recon
        summary["receipt_cells"] = int(len(recon))
        summary["receipt_cells_matching_share"] = float(recon["match"].mean()) if len(recon) else None
    return out


def _share(recon: pd.DataFrame) -> float | None:
    present = recon.loc[recon["cause"] != "KO missing from the knit-order export"]
    return float(present["match"].mean()) if len(present) else None


# ---------------------------------------------------------------------------------------------------- what-if


def _what_if_orders(extra: pd.DataFrame) -> pd.DataFrame:
    """Hypothetical KOs (style, lbs, start, optional rate) as knit-order rows; the input is not changed."""
    if "style" not in extra or "balance_lbs" not in extra:
        raise BkError("a what-if knit order needs a style and lbs")
    out = pd.DataFrame({
        "style": extra["style"].astype("string"),
        "knit_order": extra.get("knit_order", pd.Series([f"WHAT-IF {i + 1}" for i in range(len(extra))],
                                                        index=extra.index)).astype("string"),
        # no start date: knitting starts at the as-of date, as for a real KO with a blank start
        "start_date": pd.to_datetime(extra.get("start_date", pd.Series(pd.NaT, index=extra.index)),
                                     errors="coerce").astype("datetime64[ns]"),
        "balance_lbs": pd.to_numeric(extra["balance_lbs"], errors="coerce").astype("float64"),
        "rate_lbs_per_day": pd.to_numeric(extra.get("rate_lbs_per_day", np.nan), errors="coerce"),
    })
    if (out["balance_lbs"].isna() | (out["balance_lbs"] <= 0)).any():
        raise BkError("what-if knit orders need positive lbs")
    return out


# ---------------------------------------------------------------------------------------- comparing two plans


def _first_week(kos: pd.DataFrame, labels: list[str], starts: pd.Series) -> pd.Series:
    """knit_order -> the start date of the first bucket in which the KO draws yarn (NaT when it draws none)."""
    values = kos[labels].to_numpy(dtype="float64")
    drawn = values > 1e-9
    first = np.where(drawn.any(axis=1), drawn.argmax(axis=1), -1)
    dates = starts.to_numpy(dtype="datetime64[ns]")
    out = np.where(first >= 0, dates[np.clip(first, 0, None)], np.datetime64("NaT"))
    return pd.Series(out.astype("datetime64[ns]"), index=kos["knit_order"].astype("string").to_numpy())


def _buys(result: dict) -> pd.DataFrame:
    cols = ["yarn_id", "description", "supplier", "first_shortage_week", "shortage_lbs", "suggested_order_lbs",
            "order_cost_usd"]
    return result["shortages"][[c for c in cols if c in result["shortages"].columns]].set_index("yarn_id")


def schedule_changes(efab_result: dict, other_result: dict) -> dict:
    """What changes when the plan ``other_result`` (e.g. ``knitting="machines"``) replaces ``efab_result``.

    Both are ``plan`` results of one snapshot and as-of. Keys:
    ``moves``: KOs whose yarn moves by a week or more (``capacity.yarn_moves`` on the two plans' ``kos``
    bucket columns) with style, balance_lbs and the first week each plan draws their yarn (efab_first_week,
    other_first_week), largest move first;
    ``appear``: yarns short in the horizon (a buy) under ``other_result`` only, with its shortage;
    ``vanish``: yarns short under ``efab_result`` only, with eFab's shortage.
    """
    labels = list(efab_result["buckets"]["bucket"])
    if labels != list(other_result["buckets"]["bucket"]):
        raise ValueError("the two plans have different week buckets: compare plans of one snapshot and as-of")
    starts = efab_result["buckets"]["bucket_start"]
    ek, ok = efab_result["kos"], other_result["kos"]
    moves = capacity.yarn_moves(ek.set_index("knit_order")[labels], ok.set_index("knit_order")[labels])
    info = ek.drop_duplicates("knit_order").set_index(ek["knit_order"].drop_duplicates().astype("string"))
    keys = moves["knit_order"].to_numpy()
    moves.insert(1, "style", info["style"].reindex(keys).astype("string").to_numpy())
    moves.insert(2, "balance_lbs", info["balance_lbs"].reindex(keys).to_numpy(dtype="float64"))
    moves["efab_first_week"] = _first_week(ek, labels, starts).reindex(keys).to_numpy()
    moves["other_first_week"] = _first_week(ok, labels, starts).reindex(keys).to_numpy()
    before, after = _buys(efab_result), _buys(other_result)
    appear = after.loc[[y for y in after.index if y not in before.index]].reset_index()
    vanish = before.loc[[y for y in before.index if y not in after.index]].reset_index()
    return {"moves": moves.reset_index(drop=True), "appear": appear, "vanish": vanish}


def plan_change(before: dict, after: dict) -> dict:
    """Before → after of a change to the plan (a what-if order, another schedule): ``totals`` (one row per
    measure: yarns short in the horizon, buy lbs, buy $ with before, after, change) and ``yarns`` (the yarns
    whose buy changed: yarn_id, description, before_lbs, after_lbs, before_usd, after_usd, largest change first).
    """
    sb, sa = before["summary"], after["summary"]
    measures = [("Yarns short in the horizon", float(len(before["shortages"])), float(len(after["shortages"]))),
                ("Buy (lbs)", sb["buy_lbs"], sa["buy_lbs"]), ("Buy ($)", sb["buy_usd"], sa["buy_usd"])]
    totals = pd.DataFrame(measures, columns=["measure", "before", "after"])
    totals["change"] = totals["after"] - totals["before"]
    b, a = _buys(before), _buys(after)
    ids = list(dict.fromkeys([*b.index, *a.index]))
    yarns = pd.DataFrame({
        "yarn_id": pd.array(ids, dtype="int64"),
        "description": a["description"].reindex(ids).fillna(b["description"].reindex(ids)).astype("string")
        .to_numpy() if "description" in a else pd.array([pd.NA] * len(ids), dtype="string"),
        "before_lbs": b["suggested_order_lbs"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "after_lbs": a["suggested_order_lbs"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "before_usd": b["order_cost_usd"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
        "after_usd": a["order_cost_usd"].reindex(ids).fillna(0.0).to_numpy(dtype="float64"),
    })
    yarns["change_lbs"] = yarns["after_lbs"] - yarns["before_lbs"]
    yarns = yarns.loc[yarns["change_lbs"].abs() > 0.5]
    order = np.argsort(-yarns["change_lbs"].abs().to_numpy(), kind="stable")
    return {"totals": totals, "yarns": yarns.iloc[order].reset_index(drop=True)}


def picker_yarns(result: dict, inventory: pd.DataFrame | None = None) -> pd.DataFrame:
    """The yarns of the plan's projected balance with what a planner searches them by: yarn_id, description,
    supplier, color (colour from the yarn inventory when given), yarns with an action first."""
    ids = list(dict.fromkeys([*result["actions"]["yarn_id"], *sorted(set(result["projected_balance"]["yarn_id"]))]))
    idx = pd.Index(ids, dtype="int64")
    terms = result["yarn_terms"].drop_duplicates("yarn_id").set_index("yarn_id").reindex(idx)
    out = pd.DataFrame({"yarn_id": idx, "description": terms["description"].astype("string").to_numpy(),
                        "supplier": terms["supplier"].astype("string").to_numpy()})
    colour = pd.Series(pd.NA, index=idx, dtype="string")
    if inventory is not None and "color" in inventory.columns:
        inv = inventory.dropna(subset=["yarn_id"]).drop_duplicates("yarn_id").set_index("yarn_id")
        colour = inv["color"].astype("string").reindex(idx)
        if "description" in inv.columns:
            out["description"] = out["description"].fillna(pd.Series(inv["description"].astype("string")
                                                                      .reindex(idx).to_numpy(), dtype="string"))
    out["color"] = colour.to_numpy()
    out["has_action"] = out["yarn_id"].isin(set(result["actions"]["yarn_id"]))
    return out


# ------------------------------------------------------------------------------------------------- CLI tables


def by_ko_table(result: dict) -> pd.DataFrame:
    """One row per (knit order, yarn): knit_order, style, yarn_id, fraction, total_lbs, 9 week columns, later."""
    return result["ko_demand"].drop(columns=["bom_source"], errors="ignore")


BY_YARN_PLAN_COLUMNS = ["total_demand_lbs", "open_po_lbs", "net_shortage_lbs", "buy_lbs", "action",
                        "lead_time_days", "lead_time_source"]


def by_yarn_table(result: dict) -> pd.DataFrame:
    """One row per yarn: on hand, past-due receipts, demand/receipts/balance per bucket (eFab's view), its
    first_shortage_week and shortage_lbs, the buy (suggested_order_lbs, order_by, expedite), then the plan
    columns: total_demand_lbs (all buckets incl. later), open_po_lbs (Σ PO Bal of the yarn's open POs),
    net_shortage_lbs (deepest negative planning balance: POs at most their balance, old past due left out),
    buy_lbs, action (the yarn's one netted action), lead_time_days, lead_time_source; forecast_demand_<bucket> and forecast_demand_lbs when the plan
    had forecast demand."""
    balance = result["yarn_balance"]
    labels = list(result["buckets"]["bucket"])
    inv_cols = ["yarn_id", "supplier", "on_hand_lbs", "past_due_receipts_lbs"]
    per_bucket = [f"{m}_{b}" for b in labels for m in ("demand", "receipts", "balance")]
    table = balance[inv_cols + per_bucket + ["first_shortage_week", "shortage_lbs"]].copy()
    actions = result["actions"]
    buys = actions.loc[actions["action"] == "buy"].drop_duplicates("yarn_id").set_index("yarn_id")
    table["suggested_order_lbs"] = buys["lbs"].reindex(table["yarn_id"]).fillna(0.0).to_numpy()
    table["order_by"] = buys["order_by"].reindex(table["yarn_id"]).dt.date.to_numpy()
    expedited = set(actions.loc[actions["expedite"], "yarn_id"])
    table["expedite"] = table["yarn_id"].isin(expedited).to_numpy(dtype=bool)
    table["first_shortage_week"] = table["first_shortage_week"].dt.date
    planning = result["planning_balance"].set_index("yarn_id").reindex(table["yarn_id"])
    table["total_demand_lbs"] = planning["total_demand_lbs"].to_numpy()
    open_po = result["open_pos"].groupby("yarn_id")["po_balance_lbs"].sum()
    table["open_po_lbs"] = table["yarn_id"].map(open_po).fillna(0.0).to_numpy()
    table["net_shortage_lbs"] = np.maximum(0.0, -planning["min_balance_lbs"].to_numpy())
    table["buy_lbs"] = table["suggested_order_lbs"]
    action = actions.drop_duplicates("yarn_id").set_index("yarn_id")["action"]  # one netted action per yarn
    table["action"] = action.astype("string").reindex(table["yarn_id"]).fillna("").to_numpy()
    for column in ("suggested_order_lbs", "total_demand_lbs", "open_po_lbs", "net_shortage_lbs", "buy_lbs"):
        table[column] = table[column].round()
    terms = result["yarn_terms"].set_index("yarn_id").reindex(table["yarn_id"])
    table["lead_time_days"] = terms["lead_time_days"].to_numpy()
    table["lead_time_source"] = terms["lead_time_source"].to_numpy()
    if "forecast_demand_lbs" in result["planning_balance"].columns:
        fc = [f"forecast_demand_{b}" for b in labels] + ["forecast_demand_lbs"]
        table[fc] = planning[fc].to_numpy()
    return table.reset_index(drop=True)


def actions_table(result: dict) -> pd.DataFrame:
    """One row per action for the CLI's ``--actions``: yarn_id, action, po_number, lbs, need_week, order_by,
    reason, then supplier, cost_usd, lead_time_days, lead_time_source, premium_lbs (the MOQ's rise over the need)
    and expected_arrival (a buy placed today; a PO's scheduled week). Dates as YYYY-MM-DD, lbs and $ whole."""
    a = result["actions"]
    out = a[["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "reason", "supplier", "cost_usd",
             "lead_time_days", "lead_time_source", "premium_lbs", "expected_arrival"]].copy()
    for column in ("need_week", "order_by", "expected_arrival"):
        out[column] = out[column].dt.date
    for column in ("lbs", "cost_usd", "premium_lbs"):
        out[column] = out[column].round().astype("Int64")
    return out


# ------------------------------------------------------------------------------------------------- operations


def pegged_demand(frames: Mapping[str, pd.DataFrame], *, as_of: date, yarn_id: int, **plan_params) -> pd.DataFrame:
    """Pegging as an operation: the plan with ``plan_params``, then the KOs behind ``yarn_id``'s demand."""
    return pegging(plan(frames, as_of=as_of, **plan_params), int(yarn_id))


def action_evidence(frames: Mapping[str, pd.DataFrame], *, as_of: date, **plan_params) -> dict:
    """The why-trail of every action of the plan with ``plan_params``, as an operation (one plan run).

    Keys: ``actions`` (``actions_with_evidence``: the download), ``pegging`` (``pegging`` rows with yarn_id for
    every yarn with an action), ``supply`` (``supply_by_po`` rows with yarn_id), ``positions`` (one row per
    yarn with an action: ``position``)."""
    result = plan(frames, as_of=as_of, **plan_params)
    yarn_ids = list(dict.fromkeys(int(y) for y in result["actions"]["yarn_id"]))
    labels = list(result["buckets"]["bucket"])
    demand = result["ko_demand"]
    demand = demand.loc[isin(demand["yarn_id"], yarn_ids) if yarn_ids else np.zeros(len(demand), dtype=bool)]
    long = demand.melt(id_vars=["yarn_id", "knit_order", "style", "fraction", "bom_source"], value_vars=labels,
                       var_name="bucket", value_name="lbs")
    long = long.loc[long["lbs"] > 1e-9].assign(_b=lambda d: d["bucket"].map({b: i for i, b in enumerate(labels)}))
    long = long.sort_values(["yarn_id", "_b", "lbs"], ascending=[True, True, False]).drop(columns="_b")
    pos = result["open_pos"]
    in_plan = isin(pos["yarn_id"], yarn_ids) if yarn_ids else np.zeros(len(pos), dtype=bool)
    supply = pos.loc[in_plan, ["yarn_id", "po_number", "supplier", "po_balance_lbs", "past_due_lbs", *labels]]
    ids = pd.Index(yarn_ids, name="yarn_id", dtype="int64")
    planning = result["planning_balance"].set_index("yarn_id").reindex(ids)
    terms = result["yarn_terms"].set_index("yarn_id").reindex(ids)
    positions = pd.DataFrame({
        "on_hand_lbs": planning["on_hand_lbs"], "open_po_lbs": pos.groupby("yarn_id")["po_balance_lbs"].sum()
        .reindex(ids).fillna(0.0), "total_demand_lbs": planning["total_demand_lbs"],
        "net_shortage_lbs": np.maximum(0.0, -planning["min_balance_lbs"]),
        "shortage_lbs": result["yarn_balance"].set_index("yarn_id")["shortage_lbs"].reindex(ids),
        **{c: terms[c] for c in ("supplier", "moq_lbs", "order_multiple_lbs", "lead_time_days", "lead_time_source",
                                 "cost_per_lb", "price_source", "known_yarn")}}, index=ids).reset_index()
    return {"actions": actions_with_evidence(result), "pegging": long.reset_index(drop=True),
            "supply": supply.reset_index(drop=True), "positions": positions}


OPERATIONS = {"yarn.plan": plan, "yarn.reconcile": reconcile, "yarn.pegging": pegged_demand,
              "yarn.evidence": action_evidence}
