"""Purchase actions (buy / expedite / reconcile / defer) with the reason for each, the buys as one row per yarn,
and the evidence behind a yarn: pegging to KOs, its open POs, its position."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from bk.services.lookup import isin
from bk.services.planning.calendar import LATER, bucket_labels, bucket_starts

DEFER_WEEKS = 4  # an open PO arriving this many weeks (or more) before it is first needed is excess

ACTION_ORDER = {"buy": 0, "expedite": 1, "reconcile": 2, "defer": 3}
ACTION_COLUMNS = {"yarn_id": "int64", "action": "string", "po_number": "string", "lbs": "float64",
                  "need_week": "datetime64[ns]", "order_by": "datetime64[ns]", "reason": "string",
                  "scheduled": "string", "supplier": "string", "cost_per_lb": "float64", "cost_usd": "float64",
                  "priced": "bool", "lead_time_days": "float64", "lead_time_source": "string",
                  "moq_lbs": "float64", "order_multiple_lbs": "float64", "net_shortage_lbs": "float64",
                  "expedite": "bool", "forecast_driven": "bool"}


def _lbs(x: float) -> str:
    return f"{x:,.0f} lbs"


def purchase_actions(planning: pd.DataFrame, efab: pd.DataFrame, pos: pd.DataFrame, terms: pd.DataFrame, *,
                     as_of: date, defer_weeks: int = DEFER_WEEKS) -> pd.DataFrame:
    """Buy / expedite / reconcile / defer, one row per action, each with a reason a buyer can read.

    ``planning`` and ``efab`` are ``projected_balance`` frames (every open PO counted, past due in the as-of
    week / eFab's view without them; both may carry forecast_demand_lbs); ``pos`` is ``open_pos``; ``terms``
    is ``yarn_terms``. Rules (DOMAIN.md §7):

    - buy: a known yarn with demand whose planning balance goes negative; lbs = the deepest negative balance
      raised to the MOQ once, then to the order multiple; need_week = first negative week; order_by = need
      week − lead time; order-by before as-of: expedite this buy.
    - expedite: a named open PO that arrives (or is unscheduled/past due) after eFab's balance first goes
      negative, in arrival order until eFab's shortage is covered.
    - reconcile: negative stock with no demand in the horizon, or a yarn unknown to yarn inventory and yarn
      master with demand or POs: a record to fix, never a buy.
    - defer: an open PO of a yarn with no demand in the horizon, or arriving ``defer_weeks`` or more weeks
      before the yarn first needs it.

    Columns: ACTION_COLUMNS (priced False says "no price"; cost_usd NaN then).
    """
    labels = bucket_labels(as_of)
    # plain datetimes in the loops (pandas Timestamps cost a lot per scalar)
    starts = [datetime.combine(d, datetime.min.time())
              for d in [*bucket_starts(as_of), bucket_starts(as_of)[-1] + timedelta(weeks=1)]]
    week_names = [f"week of {d:%Y-%m-%d}" for d in starts[:-1]] + [f"later (from {starts[-1]:%Y-%m-%d})"]
    as_of_ts = datetime.combine(as_of, datetime.min.time())
    plan_bal = planning.set_index("yarn_id")
    efab_bal = efab.set_index("yarn_id")
    bal = plan_bal[[f"balance_{b}" for b in labels]].to_numpy(dtype=float)
    dem = plan_bal[[f"demand_{b}" for b in labels]].to_numpy(dtype=float)
    forecast = (plan_bal["forecast_demand_lbs"].to_numpy(dtype=float) if "forecast_demand_lbs" in plan_bal
                else np.zeros(len(plan_bal)))
    row_of = {int(y): i for i, y in enumerate(plan_bal.index)}
    t = terms.reindex(plan_bal.index)
    total_demand_of = dem.sum(axis=1)
    net_of = np.maximum(0.0, -bal.min(axis=1))
    known_of = t["known_yarn"].to_numpy(dtype=bool)
    # only these yarns can get an action: unknown ones, negative stock, a shortage, or an open PO
    acting = (~known_of | (plan_bal["on_hand_lbs"].to_numpy(dtype=float) < -1e-9) | (net_of > 1e-9)
              | plan_bal.index.isin(pos["yarn_id"]))
    info_of = {int(y): r for y, r in zip(t.index[acting], t.loc[acting].to_dict("records"), strict=True)}
    on_hand_of = plan_bal["on_hand_lbs"].to_numpy(dtype=float)
    rows: list[dict] = []

    def add(yarn_id: int, action: str, lbs: float, reason: str, *, po_number=None, need_week=None,
            order_by=None, scheduled=None, net=0.0, expedite=False, forecast_driven=False) -> None:
        info = info_of[yarn_id]
        price = float(info["cost_per_lb"])
        priced = bool(np.isfinite(price))
        if action != "reconcile" and not priced:
            reason += "; no price"
        rows.append({"yarn_id": yarn_id, "action": action, "po_number": po_number, "lbs": float(lbs),
                     "need_week": need_week, "order_by": order_by, "reason": reason, "scheduled": scheduled,
                     "supplier": info["supplier"], "cost_per_lb": price,
                     "cost_usd": float(lbs) * price if priced and action != "reconcile" else np.nan,
                     "priced": priced,
                     "lead_time_days": info["lead_time_days"], "lead_time_source": info["lead_time_source"],
                     "moq_lbs": info["moq_lbs"], "order_multiple_lbs": info["order_multiple_lbs"],
                     "net_shortage_lbs": net, "expedite": expedite, "forecast_driven": forecast_driven})

    po_lines: dict[int, list[tuple[str, np.ndarray]]] = {}
    for number, y, arrivals in zip(pos["po_number"].to_numpy(dtype=object, na_value=None),
                                   pos["yarn_id"].to_numpy(dtype="int64"), pos[labels].to_numpy(dtype=float),
                                   strict=True):
        po_lines.setdefault(int(y), []).append((number or "(no number)", arrivals))

    # reconcile and buy, per yarn
    for i in np.flatnonzero(acting):
        yarn_id = int(plan_bal.index[i])
        info = info_of[yarn_id]
        on_hand = float(on_hand_of[i])
        total_demand = float(total_demand_of[i])
        net = float(net_of[i])
        if not info["known_yarn"]:
            add(yarn_id, "reconcile", net, f"yarn {yarn_id} is used by a BOM or an open PO but is in neither the "
                f"yarn inventory nor the yarn master: fix the yarn record (demand {_lbs(total_demand)}, "
                f"short {_lbs(net)}); never bought until it is known", net=net)
            continue
        if total_demand <= 1e-9:
            if on_hand < -1e-9:
                add(yarn_id, "reconcile", -on_hand, f"stock record is {on_hand:,.2f} lbs with no demand in the "
                    "horizon: count the yarn and fix the stock record (not a purchase)")
            continue
        if net <= 1e-9:
            continue
        k = int(np.argmax(bal[i] < -1e-9))
        need = starts[k]
        moq, multiple = float(info["moq_lbs"]), float(info["order_multiple_lbs"])
        lbs = max(net, moq) if np.isfinite(moq) else net
        if np.isfinite(multiple) and multiple > 0:
            lbs = float(np.ceil(lbs / multiple - 1e-9) * multiple)
        lead = float(info["lead_time_days"])
        order_by = need - timedelta(days=lead)
        late = bool(order_by < as_of_ts)
        fc = float(forecast[i])
        reason = (f"planning balance (on hand {_lbs(on_hand)} + every open PO) first goes negative in "
                  f"{week_names[k]} and bottoms at −{_lbs(net)}")
        reason += (f"; raised to the MOQ {_lbs(moq)}" if np.isfinite(moq) and moq > net
                   else "; MOQ " + (_lbs(moq) if np.isfinite(moq) else f"unknown ({info['terms_note']})"))
        if np.isfinite(multiple) and multiple > 0:
            reason += f", order multiple {_lbs(multiple)}"
        reason += f"; order by {order_by:%Y-%m-%d} ({lead:g} days lead time: {info['lead_time_source']})"
        if late:
            reason += "; order-by has passed: expedite this buy"
        after = [(n, float(arr[k + 1:].clip(min=0).sum())) for n, arr in po_lines.get(yarn_id, [])]
        after = [(n, x) for n, x in after if x > 1e-9]
        if after:
            reason += (f"; {_lbs(sum(x for _, x in after))} on open POs arrive after that week ("
                       + ", ".join(f"{n} {_lbs(x)}" for n, x in after)
                       + "): pulling them in would shrink this buy")
        if fc > 1e-9:
            reason += f"; demand includes {_lbs(fc)} of forecast"
        add(yarn_id, "buy", lbs, reason, need_week=need, order_by=order_by, net=net, expedite=late,
            forecast_driven=fc > 1e-9)

    # expedite and defer, per open PO line
    efab_b = efab_bal.reindex(plan_bal.index)[[f"balance_{b}" for b in labels]].to_numpy(dtype=float)
    receipts_po = pos[labels].to_numpy(dtype=float)
    past_due = pos["past_due_lbs"].to_numpy(dtype=float)
    efab_need: dict[int, float] = {}
    slots = np.argmax(np.column_stack([past_due, receipts_po]) > 1e-9, axis=1)
    order = np.argsort(slots, kind="stable")  # unscheduled/past due first, then by arrival week
    po_yarn = pos["yarn_id"].to_numpy(dtype="int64")
    po_numbers = pos["po_number"].to_numpy(dtype=object, na_value=None)
    for j in order:
        yarn_id = int(po_yarn[j])
        i = row_of.get(yarn_id)
        if i is None or not info_of[yarn_id]["known_yarn"]:
            continue
        po_number = po_numbers[j]
        po_name = "PO " + (str(po_number) if po_number is not None else "(no number)")
        arrivals = np.concatenate([[past_due[j]], receipts_po[j]])  # index 0 = unscheduled/past due
        positive = arrivals > 1e-9
        if not positive.any():
            continue
        first_slot = int(np.argmax(positive))
        scheduled = "unscheduled/past due" if first_slot == 0 else week_names[first_slot - 1]
        total = float(arrivals[positive].sum())
        fc = float(forecast[i])
        if dem[i].sum() <= 1e-9:
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}) but the yarn has no "
                "demand in the horizon: defer or cancel it", po_number=po_number, scheduled=scheduled)
            continue
        short = efab_b[i] < -1e-9
        if short.any():
            k = int(np.argmax(short))
            depth = -float(efab_b[i].min())
            covered = efab_need.get(yarn_id, 0.0)
            late_lbs = float(past_due[j] if past_due[j] > 0 else 0.0) + float(receipts_po[j, k + 1:].clip(min=0).sum())
            if late_lbs > 1e-9 and covered < depth - 1e-9:
                efab_need[yarn_id] = covered + late_lbs
                reason = (f"eFab's balance (scheduled receipts only) goes negative in {week_names[k]} "
                          f"(down to −{_lbs(depth)}); {po_name} has {_lbs(late_lbs)} "
                          + ("unscheduled or past due: confirm a date" if first_slot == 0 and past_due[j] > 0
                             else f"scheduled {scheduled}") + f", needed by {starts[k]:%Y-%m-%d}")
                if fc > 1e-9:
                    reason += f"; demand includes {_lbs(fc)} of forecast"
                add(yarn_id, "expedite", late_lbs, reason, po_number=po_number, need_week=starts[k],
                    scheduled=scheduled, expedite=True, forecast_driven=fc > 1e-9)
                continue
        # excess: without this PO, when would the planning balance first go negative?
        slot = max(first_slot - 1, 0)
        if slot >= len(labels) - 1:
            continue  # arrives 'later': too far out to judge
        cum_po = np.cumsum(np.concatenate([[arrivals[0] + arrivals[1]], arrivals[2:]]))
        without = bal[i] - cum_po
        need_idx = np.flatnonzero(without[slot:] < -1e-9)
        if len(need_idx) == 0:
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}) that the yarn does not "
                "need before the end of the horizon: defer it", po_number=po_number, scheduled=scheduled)
        elif need_idx[0] >= defer_weeks:
            weeks = int(need_idx[0])
            at_least = "at least " if slot + weeks == len(labels) - 1 else ""
            add(yarn_id, "defer", total, f"{po_name} brings {_lbs(total)} ({scheduled}), {at_least}{weeks} weeks "
                f"before the yarn first needs it ({week_names[slot + weeks]}): defer it", po_number=po_number,
                need_week=starts[slot + weeks], scheduled=scheduled)
    # typed column by column: a frame of the row dicts, then astype, cost more than the rules above
    columns = {c: _action_column([r[c] for r in rows], dtype) for c, dtype in ACTION_COLUMNS.items()}
    rank = np.array([ACTION_ORDER[r["action"]] for r in rows], dtype=float)
    sort_date = np.where(np.isnat(columns["order_by"]), columns["need_week"], columns["order_by"])
    day = np.where(np.isnat(sort_date), np.iinfo("int64").max, sort_date.astype("int64"))
    order = np.lexsort((columns["yarn_id"], rank, day))  # by order-by (else need week), undated last
    return pd.DataFrame({c: values[order] for c, values in columns.items()})


def _action_column(values: list, dtype: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    if dtype == "datetime64[ns]":
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[ns]")
    if dtype == "string":
        return pd.array(values, dtype="string")
    return np.array(values, dtype=dtype)


def purchase_suggestions(actions: pd.DataFrame, planning: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """The buys as one row per yarn (the former suggestion table): yarn_id, supplier, description, on_hand_lbs,
    total_demand_lbs, total_receipts_lbs, past_due_receipts_lbs, min_balance_lbs, first_shortage_week and
    shortage_lbs (of the planning balance), net_need_lbs, moq_lbs, suggested_order_lbs, lead_time_days,
    lead_time_source, order_by, expedite, cost_per_lb, order_cost_usd, note."""
    buys = actions.loc[actions["action"] == "buy"].set_index("yarn_id")
    bal = planning.set_index("yarn_id").reindex(buys.index)
    info = terms.reindex(buys.index)
    out = pd.DataFrame({
        "supplier": info["supplier"], "description": info["description"], "on_hand_lbs": bal["on_hand_lbs"],
        "total_demand_lbs": bal["total_demand_lbs"], "total_receipts_lbs": bal["total_receipts_lbs"],
        "past_due_receipts_lbs": bal["past_due_receipts_lbs"], "min_balance_lbs": bal["min_balance_lbs"],
        "first_shortage_week": buys["need_week"], "shortage_lbs": buys["net_shortage_lbs"],
        "net_need_lbs": buys["net_shortage_lbs"], "moq_lbs": buys["moq_lbs"], "suggested_order_lbs": buys["lbs"],
        "lead_time_days": buys["lead_time_days"], "lead_time_source": buys["lead_time_source"],
        "order_by": buys["order_by"], "expedite": buys["expedite"], "cost_per_lb": buys["cost_per_lb"],
        "order_cost_usd": buys["cost_usd"],
        "note": info["terms_note"].fillna("").astype("string").where(buys["priced"], "no price"),
    }).reset_index()
    week = out["first_shortage_week"].to_numpy(dtype="datetime64[ns]").astype("int64")
    order = np.lexsort((-out["shortage_lbs"].to_numpy(dtype=float), week))  # earliest week, then largest shortage
    return out.iloc[order].reset_index(drop=True)


def pegging(result: dict, yarn_id: int) -> pd.DataFrame:
    """The KOs and styles behind one yarn's demand: one row per (KO, bucket) with lbs > 0, with the KO's
    bom_source (where its yarn split comes from)."""
    demand = result["ko_demand"]
    rows = demand.loc[demand["yarn_id"] == yarn_id]
    labels = [c for c in demand.columns if c.startswith("week_of_") or c == LATER]
    ids = [c for c in ("knit_order", "style", "fraction", "bom_source") if c in rows]
    long = rows.melt(id_vars=ids, value_vars=labels, var_name="bucket", value_name="lbs")
    long = long.loc[long["lbs"] > 1e-9]
    order = {b: i for i, b in enumerate(labels)}
    return long.sort_values(["bucket", "lbs"], key=lambda s: s.map(order) if s.name == "bucket" else -s).reset_index(
        drop=True)


def supply_by_po(result: dict, yarn_id: int) -> pd.DataFrame:
    """One yarn's open POs: one row per PO line with po_number, supplier, po_balance_lbs, past_due_lbs
    (unscheduled or past due) and the bucket columns."""
    pos = result["open_pos"]
    labels = list(result["buckets"]["bucket"])
    cols = ["po_number", "supplier", "po_balance_lbs", "past_due_lbs", *labels]
    return pos.loc[pos["yarn_id"] == yarn_id, cols].reset_index(drop=True)


def position(result: dict, yarn_id: int) -> dict:
    """One yarn's stock, open POs, demand and terms as JSON scalars: on_hand_lbs, open_po_lbs,
    total_demand_lbs, forecast_demand_lbs, net_shortage_lbs, eFab view shortage_lbs, moq_lbs,
    order_multiple_lbs, lead_time_days, lead_time_source, cost_per_lb, price_source, known_yarn."""
    planning = result["planning_balance"].set_index("yarn_id")
    efab = result["yarn_balance"].set_index("yarn_id")
    terms = result["yarn_terms"].set_index("yarn_id")
    pos = result["open_pos"]
    out: dict = {"yarn_id": int(yarn_id)}
    if yarn_id in planning.index:
        p = planning.loc[yarn_id]
        out.update(on_hand_lbs=float(p["on_hand_lbs"]), total_demand_lbs=float(p["total_demand_lbs"]),
                   forecast_demand_lbs=float(p.get("forecast_demand_lbs", 0.0)),
                   net_shortage_lbs=float(max(0.0, -p["min_balance_lbs"])),
                   shortage_lbs=float(efab.loc[yarn_id, "shortage_lbs"]))
    out["open_po_lbs"] = float(pos.loc[pos["yarn_id"] == yarn_id, "po_balance_lbs"].sum())
    if yarn_id in terms.index:
        t = terms.loc[yarn_id]
        for c in ("moq_lbs", "order_multiple_lbs", "lead_time_days", "cost_per_lb"):
            out[c] = None if pd.isna(t[c]) else float(t[c])
        out.update(lead_time_source=str(t["lead_time_source"]), price_source=str(t["price_source"]),
                   supplier=None if pd.isna(t["supplier"]) else str(t["supplier"]), known_yarn=bool(t["known_yarn"]))
    return out


def actions_with_evidence(result: dict) -> pd.DataFrame:
    """The action list with its why-trail as columns, for downloads: the actions, then on_hand_lbs,
    open_po_lbs, total_demand_lbs, price_source, pegging (KO, style, bom_source and lbs per KO, largest first)
    and open_pos (PO number, lbs, when) of the yarn."""
    actions = result["actions"].copy()
    planning = result["planning_balance"].set_index("yarn_id")
    terms = result["yarn_terms"].set_index("yarn_id")
    pos = result["open_pos"]
    labels = list(result["buckets"]["bucket"])
    yarns = actions["yarn_id"]
    actions["on_hand_lbs"] = planning["on_hand_lbs"].reindex(yarns).to_numpy()
    actions["total_demand_lbs"] = planning["total_demand_lbs"].reindex(yarns).to_numpy()
    actions["open_po_lbs"] = pos.groupby("yarn_id")["po_balance_lbs"].sum().reindex(yarns).fillna(0.0).to_numpy()
    actions["price_source"] = terms["price_source"].reindex(yarns).to_numpy()
    wanted = set(yarns)
    demand = result["ko_demand"]
    demand = demand.loc[isin(demand["yarn_id"], list(wanted))] if wanted else demand.iloc[:0]
    peg: dict[int, str] = {}
    for yarn_id, rows in demand.sort_values("total_lbs", ascending=False).groupby("yarn_id", sort=False):
        peg[int(yarn_id)] = "; ".join(f"{k} {st} ({src}) {lbs:,.0f} lbs" for k, st, src, lbs in zip(
            rows["knit_order"], rows["style"], rows["bom_source"], rows["total_lbs"], strict=True))
    supply: dict[int, str] = {}
    in_plan = isin(pos["yarn_id"], list(wanted)) if wanted else np.zeros(len(pos), dtype=bool)
    for yarn_id, rows in pos.loc[in_plan].groupby("yarn_id"):
        parts = []
        for _, r in rows.iterrows():
            when = ["unscheduled/past due"] if r["past_due_lbs"] > 1e-9 else []
            when += [b for b in labels if r[b] > 1e-9]
            parts.append(f"{r['po_number']} {r['po_balance_lbs']:,.0f} lbs ({', '.join(when) or 'no date'})")
        supply[int(yarn_id)] = "; ".join(parts)
    # to string before filling: with nothing to peg the map is all-NaN float, and "" is no float
    actions["pegging"] = yarns.map(peg).astype("string").fillna("")
    actions["open_pos"] = yarns.map(supply).astype("string").fillna("")
    return actions

