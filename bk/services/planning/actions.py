"""Purchase actions (reconcile / buy / chase / expedite / defer), one netted action per yarn with its reason, the buys as one row per yarn,
and the evidence behind a yarn: pegging to KOs, its open POs, its position."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from bk.services.lookup import isin
from bk.services.planning.calendar import LATER, bucket_edges, bucket_labels
from bk.text import day as _day

DEFER_WEEKS = 4  # an open PO arriving this many weeks (or more) before it is first needed is excess

ACTION_ORDER = {"reconcile": 0, "buy": 1, "chase": 2, "expedite": 3, "defer": 4}
ACTION_COLUMNS = {"yarn_id": "int64", "action": "string", "po_number": "string", "lbs": "float64",
                  "need_week": "datetime64[ns]", "order_by": "datetime64[ns]", "reason": "string",
                  "scheduled": "string", "supplier": "string", "cost_per_lb": "float64", "cost_usd": "float64",
                  "priced": "bool", "lead_time_days": "float64", "lead_time_source": "string",
                  "moq_lbs": "float64", "order_multiple_lbs": "float64", "net_shortage_lbs": "float64",
                  "expedite": "bool", "forecast_driven": "bool", "forecast_only": "bool", "premium_lbs": "float64",
                  "premium_usd": "float64", "expected_arrival": "datetime64[ns]"}
ROUNDING_LBS = 0.5  # a need or an excess below this is rounding, not an action


def _lbs(x: float) -> str:
    return f"{x:,.0f} lbs"


@dataclass
class _PoLine:
    """One open PO line of a yarn as the planning balance counts it."""

    number: str
    vendor: str | None
    price: float
    arrivals: np.ndarray  # per bucket (9 weeks + later), the recent past due in the first
    chase: float
    days_past_due: float
    slip_days: float = 0.0

    @property
    def name(self) -> str:
        about = [self.vendor] if self.vendor else []
        if self.slip_days >= 3.5:  # moved by at least a week in the plan
            about.append(f"planned {self.slip_days:.0f} days late: the vendor's median slip since the last snapshot")
        return f"PO {self.number}" + (f" ({'; '.join(about)})" if about else "")


def purchase_actions(planning: pd.DataFrame, pos: pd.DataFrame, terms: pd.DataFrame, *, as_of: date,
                     defer_weeks: int = DEFER_WEEKS) -> pd.DataFrame:
    """One netted action per yarn that needs one, with a reason a buyer can read (DOMAIN.md §7, issue 23).

    ``planning`` is the planning balance (``balance_frame`` over ``supply.deliveries``: every PO line at most
    its balance, recent past due in the as-of week, old past due left out; eFab's view decides nothing);
    ``pos`` is ``supply.deliveries``; ``terms`` is ``yarn_terms``. The horizon is the 9 weekly buckets (demand of ``later`` is not bought yet). In this order:

    - reconcile: a yarn unknown to yarn inventory and yarn master, or negative stock: a record to fix first.
    - buy: what stock plus every open PO (chased ones included) cannot cover over the horizon, raised to the MOQ
      once then to the order multiple (the rise is ``premium_lbs`` / ``premium_usd``); need_week = the first
      week that even every PO in hand leaves short; order_by = need − lead time (past: ``expedite`` True);
      ``expected_arrival`` = as-of + lead time. A yarn its stock and open POs cover never gets a buy.
    - chase: PO pounds past due longer than ``BK_PAST_DUE_DAYS``: confirm a date or close the PO.
    - expedite: POs arriving after the week the planning balance first goes negative, in arrival order until
      the shortfall is covered (the PO's vendor and price).
    - defer: PO pounds arriving ``defer_weeks`` or more before the yarn first needs them, or for a yarn without
      demand; never more than the POs' balances.

    A buy also names the POs to chase or expedite in its reason. Lbs are whole pounds, dollars whole dollars.
    Columns: ACTION_COLUMNS (priced False says "no price"; cost_usd NaN then).
    """
    labels = bucket_labels(as_of)
    horizon = len(labels) - 1
    starts = [datetime.combine(d, datetime.min.time()) for d in bucket_edges(as_of)]
    week_names = [f"the week of {_day(d)}" for d in starts[:-1]] + [f"after {_day(starts[-1])}"]
    as_of_ts = datetime.combine(as_of, datetime.min.time())
    plan_bal = planning.set_index("yarn_id")
    bal = plan_bal[[f"balance_{b}" for b in labels]].to_numpy(dtype=float)
    dem = plan_bal[[f"demand_{b}" for b in labels]].to_numpy(dtype=float)
    forecast = (plan_bal["forecast_demand_lbs"].to_numpy(dtype=float) if "forecast_demand_lbs" in plan_bal
                else np.zeros(len(plan_bal)))
    fc_columns = [f"forecast_demand_{b}" for b in labels[:-1]]
    forecast_h = (plan_bal[fc_columns].to_numpy(dtype=float).sum(axis=1) if set(fc_columns) <= set(plan_bal)
                  else np.zeros(len(plan_bal)))  # forecast demand within the 9 weeks the buys cover
    on_hand_of = plan_bal["on_hand_lbs"].to_numpy(dtype=float)
    t = terms.reindex(plan_bal.index)
    known_of = t["known_yarn"].to_numpy(dtype=bool)
    lines = _po_lines(pos, labels)
    acting = (~known_of | (on_hand_of < -1e-9) | (bal[:, :horizon].min(axis=1) < -ROUNDING_LBS)
              | plan_bal.index.isin(pos["yarn_id"]))
    info_of = {int(y): r for y, r in zip(t.index[acting], t.loc[acting].to_dict("records"), strict=True)}
    rows: list[dict] = []

    def add(yarn_id: int, action: str, lbs: float, reason: str, *, line: _PoLine | None = None, need_week=None,
            order_by=None, scheduled=None, net=0.0, late=False, fc=0.0, premium=0.0, arrival=None,
            forecast_only=False) -> None:
        info = info_of[yarn_id]
        price = float(line.price) if line is not None and np.isfinite(line.price) and line.price > 0 else float(
            info["cost_per_lb"])
        priced = bool(np.isfinite(price))
        if action != "reconcile" and not priced:
            reason += "; no price"
        lbs = float(np.ceil(lbs - 1e-9)) if action == "buy" else float(np.round(lbs))
        money = action != "reconcile" and priced
        rows.append({"yarn_id": yarn_id, "action": action, "po_number": None if line is None else line.number,
                     "lbs": lbs, "need_week": need_week, "order_by": order_by, "reason": reason,
                     "scheduled": scheduled, "supplier": info["supplier"] if line is None else line.vendor,
                     "cost_per_lb": price, "cost_usd": float(np.round(lbs * price)) if money else np.nan,
                     "priced": priced, "lead_time_days": info["lead_time_days"],
                     "lead_time_source": info["lead_time_source"], "moq_lbs": info["moq_lbs"],
                     "order_multiple_lbs": info["order_multiple_lbs"], "net_shortage_lbs": float(np.round(net)),
                     "expedite": late, "forecast_driven": fc > 1e-9, "forecast_only": forecast_only,
                     "premium_lbs": float(np.round(premium)),
                     "premium_usd": float(np.round(premium * price)) if money else np.nan,
                     "expected_arrival": arrival})

    for i in np.flatnonzero(acting):
        yarn_id = int(plan_bal.index[i])
        info = info_of[yarn_id]
        on_hand, fc = float(on_hand_of[i]), float(forecast[i])
        need_h = float(dem[i, :horizon].sum())
        later_demand = float(dem[i, horizon])
        po = lines.get(yarn_id, [])
        po_lbs = sum(float(x.arrivals.sum()) + x.chase for x in po)
        remainder = need_h - on_hand - po_lbs
        chased = [x for x in po if x.chase > ROUNDING_LBS]
        if not info["known_yarn"]:
            add(yarn_id, "reconcile", max(remainder, 0.0), f"yarn {yarn_id} is used by a BOM or an open PO but is in "
                f"neither the yarn inventory nor the yarn master: fix the yarn record (demand {_lbs(need_h)} in the "
                f"next 9 weeks, open POs {_lbs(po_lbs)}); never bought until it is known", net=max(remainder, 0.0))
            continue
        if on_hand < -1e-9:
            short = need_h - po_lbs
            reason = (f"stock record is {on_hand:,.0f} lbs: count the yarn and fix the stock record before buying"
                      + (f"; with the stock counted as 0, demand {_lbs(need_h)} in the next 9 weeks against open POs "
                         f"{_lbs(po_lbs)} leaves {_lbs(short)} to buy" if short > ROUNDING_LBS else
                         (f"; open POs {_lbs(po_lbs)} cover the demand of the next 9 weeks ({_lbs(need_h)})"
                          if need_h > 0 else "; no demand in the next 9 weeks")))
            gap = np.flatnonzero(bal[i, :horizon] - on_hand < -ROUNDING_LBS)  # short even with the stock at 0
            if len(gap):
                late = [x for x in po if x.arrivals[gap[0] + 1:].sum() > ROUNDING_LBS]
                if late:
                    reason += (f"; needed from {week_names[gap[0]]}, before " + ", ".join(x.name for x in late)
                               + " arrive: pull them in")
            add(yarn_id, "reconcile", -on_hand, reason)
            continue
        if remainder > ROUNDING_LBS:
            args, keywords = _buy(info, i, remainder, on_hand, need_h, later_demand, po, chased, fc,
                                  float(forecast_h[i]), dem, starts, week_names, as_of_ts, horizon)
            add(yarn_id, "buy", *args, **keywords)
            continue
        if chased:
            first = max(chased, key=lambda x: x.days_past_due)
            lbs = sum(x.chase for x in chased)
            without = bal[i, :horizon]  # chased pounds are not in the planning balance
            short = np.flatnonzero(without < -ROUNDING_LBS)
            reason = "; ".join(f"{x.name} has {_lbs(x.chase)} {x.days_past_due:,.0f} days past due"
                               for x in sorted(chased, key=lambda x: -x.days_past_due))
            reason += ": confirm a delivery date or close the PO (not counted as arriving)"
            reason += (f"; the yarn needs it: without it the balance goes negative in {week_names[short[0]]}"
                       if len(short) else "; the yarn's demand is covered without it")
            add(yarn_id, "chase", lbs, reason, line=first, need_week=starts[short[0]] if len(short) else None,
                scheduled=f"{first.days_past_due:,.0f} days past due", fc=fc)
            continue
        short = np.flatnonzero(bal[i, :horizon] < -ROUNDING_LBS)
        if len(short):
            k = int(short[0])
            depth = -float(bal[i, :horizon].min())
            late = [(x, float(x.arrivals[k + 1:].sum()))
                    for x in sorted(po, key=lambda x: k + 1 + _first_slot(x.arrivals[k + 1:]))]
            late = [(x, lbs) for x, lbs in late if lbs > ROUNDING_LBS]
            taken, parts = 0.0, []
            for x, lbs in late:
                if taken >= depth - ROUNDING_LBS:
                    break
                use = min(lbs, depth - taken)
                taken += use
                slot = k + 1 + _first_slot(x.arrivals[k + 1:])
                parts.append(f"{x.name} {_lbs(use)} of the {_lbs(lbs)} it brings {week_names[slot]}")
            if parts:
                main = late[0][0]
                slot = k + 1 + _first_slot(main.arrivals[k + 1:])
                add(yarn_id, "expedite", taken, f"the planning balance goes negative in {week_names[k]} (down to "
                    f"−{_lbs(depth)}) while open POs arrive later: pull in " + "; ".join(parts)
                    + f"; needed by {_day(starts[k])}", line=main, need_week=starts[k], scheduled=week_names[slot],
                    fc=fc, arrival=starts[slot])
                continue
        excess = _excess(i, po, bal, dem, defer_weeks, horizon)
        if excess:
            lbs = sum(e for _, e, _, _ in excess)
            main, need = excess[0][0], excess[0][3]
            add(yarn_id, "defer", lbs, "; ".join(f"{x.name} brings {_lbs(e)} {why}" for x, e, why, _ in excess)
                + ": defer it", line=main, scheduled=week_names[_first_slot(main.arrivals)], fc=fc,
                need_week=None if need is None else starts[need], arrival=starts[_first_slot(main.arrivals)])
    # typed column by column: a frame of the row dicts, then astype, cost more than the rules above
    columns = {c: _action_column([r[c] for r in rows], dtype) for c, dtype in ACTION_COLUMNS.items()}
    rank = np.array([ACTION_ORDER[r["action"]] for r in rows], dtype=float)
    sort_date = np.where(np.isnat(columns["order_by"]), columns["need_week"], columns["order_by"])
    day = np.where(np.isnat(sort_date), np.iinfo("int64").max, sort_date.astype("int64"))
    order = np.lexsort((columns["yarn_id"], rank, day))  # by order-by (else need week), undated last
    return pd.DataFrame({c: values[order] for c, values in columns.items()})


def _po_lines(pos: pd.DataFrame, labels: list[str]) -> dict[int, list[_PoLine]]:
    """The PO lines of each yarn (``supply.deliveries``): arrivals per bucket with the recent past due in the
    as-of week, the pounds to chase and how long past due."""
    arrivals = pos[labels].to_numpy(dtype=float).copy()
    arrivals[:, 0] += pos["past_due_lbs"].to_numpy(dtype=float)
    chase = pos["chase_lbs"].to_numpy(dtype=float) if "chase_lbs" in pos else np.zeros(len(pos))
    days = pos["past_due_days"].to_numpy(dtype=float) if "past_due_days" in pos else np.full(len(pos), np.nan)
    slips = pos["slip_days"].to_numpy(dtype=float) if "slip_days" in pos else np.zeros(len(pos))
    out: dict[int, list[_PoLine]] = {}
    for j, (number, yarn_id, vendor, price) in enumerate(zip(
            pos["po_number"].to_numpy(dtype=object, na_value=None), pos["yarn_id"].to_numpy(dtype="int64"),
            pos["supplier"].to_numpy(dtype=object, na_value=None), pos["price_per_lb"].to_numpy(dtype=float),
            strict=True)):
        out.setdefault(int(yarn_id), []).append(_PoLine(number or "(no number)", vendor, float(price), arrivals[j],
                                                         float(chase[j]), float(days[j]), float(slips[j])))
    return out


def _first_slot(arrivals: np.ndarray) -> int:
    positive = np.flatnonzero(arrivals > ROUNDING_LBS)
    return int(positive[0]) if len(positive) else len(arrivals) - 1


def _buy(info, i, remainder, on_hand, need_h, later_demand, po, chased, fc, fc_h, dem, starts, week_names,
         as_of_ts, horizon) -> tuple[tuple, dict]:
    """The buy's arguments for ``add``: lbs, reason and keywords."""
    cover = on_hand + sum(float(x.arrivals.sum()) + x.chase for x in po)
    k = int(np.argmax(cover - np.cumsum(dem[i, :horizon]) < -ROUNDING_LBS))
    need = starts[k]
    moq, multiple = float(info["moq_lbs"]), float(info["order_multiple_lbs"])
    needed = float(np.ceil(remainder - 1e-9))  # whole pounds
    lbs = max(needed, moq) if np.isfinite(moq) else needed
    if np.isfinite(multiple) and multiple > 0:
        lbs = float(np.ceil(lbs / multiple - 1e-9) * multiple)
    lbs = float(np.ceil(lbs - 1e-9))
    premium = lbs - needed  # what the MOQ and the order multiple add
    lead = float(info["lead_time_days"])
    order_by = need - timedelta(days=round(lead))  # dates in whole days (observed medians can be x.5)
    late = bool(order_by < as_of_ts)
    reason = (f"stock {_lbs(max(on_hand, 0.0))} and open POs {_lbs(cover - max(on_hand, 0.0))} cover "
              f"{_lbs(need_h - remainder)} of the {_lbs(need_h)} the next 9 weeks need: buy the remaining "
              f"{_lbs(needed)}, needed from {week_names[k]}")
    if np.isfinite(moq) and moq > remainder + ROUNDING_LBS:
        reason += f"; raised to the MOQ {_lbs(moq)}"
    elif not np.isfinite(moq):
        reason += f"; MOQ unknown ({info['terms_note']})"
    if np.isfinite(multiple) and multiple > 0:
        reason += f", order multiple {_lbs(multiple)}"
    if premium > ROUNDING_LBS:
        reason += f" ({_lbs(premium)} more than needed)"
    reason += f"; order by {_day(order_by)} ({lead:g} days lead time: {info['lead_time_source']})"
    arrival = as_of_ts + timedelta(days=round(lead))
    reason += f"; ordered today it arrives about {_day(arrival)}"
    if late:
        reason += "; the order-by date has passed: place it now"
    if chased:
        reason += "; also chase " + ", ".join(f"{x.name} ({_lbs(x.chase)}, {x.days_past_due:,.0f} days past due)"
                                              for x in chased)
    after = [(x, float(x.arrivals[k + 1:].sum())) for x in po]
    after = [(x, lbs_) for x, lbs_ in after if lbs_ > ROUNDING_LBS]
    if after:
        reason += "; pull in " + ", ".join(f"{x.name} {_lbs(lbs_)}" for x, lbs_ in after) + " (they arrive later)"
    if later_demand > ROUNDING_LBS:
        reason += f"; {_lbs(later_demand)} more demand after the 9 weeks is not bought yet"
    forecast_only = fc_h > 1e-9 and remainder - fc_h <= ROUNDING_LBS
    if forecast_only:
        reason += (f"; this buy exists only because of the forecast ({_lbs(fc_h)} of forecast demand in the 9 weeks; "
                   f"without it stock and open POs cover the open orders)")
    elif fc > 1e-9:
        reason += f"; demand includes {_lbs(fc)} of forecast"
    return (lbs, reason), {"need_week": need, "order_by": order_by, "net": remainder, "late": late, "fc": fc,
                           "premium": premium, "arrival": arrival, "forecast_only": forecast_only}


def _excess(i, po, bal, dem, defer_weeks, horizon) -> list[tuple[_PoLine, float, str, int | None]]:
    """PO lines that arrive ``defer_weeks`` or more before the yarn needs them: (line, lbs, why, the bucket it is
    first needed in or None)."""
    out = []
    no_demand = dem[i].sum() <= ROUNDING_LBS
    for x in sorted(po, key=lambda x: _first_slot(x.arrivals)):
        total = float(x.arrivals.sum())
        if total <= ROUNDING_LBS:
            continue
        slot = _first_slot(x.arrivals)
        if no_demand:
            out.append((x, total, "and the yarn has no demand", None))
            continue
        if slot >= horizon:
            continue  # arrives after the horizon: too far out to judge
        without = bal[i, :horizon] - np.cumsum(x.arrivals[:horizon])
        need = np.flatnonzero(without[slot:] < -ROUNDING_LBS)
        if len(need) == 0:
            out.append((x, total, "that the yarn does not need in the next 9 weeks", None))
        elif need[0] >= defer_weeks:
            out.append((x, total, f"{int(need[0])} weeks before the yarn first needs it", slot + int(need[0])))
    return out


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

