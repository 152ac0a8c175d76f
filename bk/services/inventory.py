"""Inventory analyzer: yarn positions, usage and weeks of cover, ABC, safety stock and reorder points, roll-ups,
and the difference between two snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from bk.errors import MissingDataError
from bk.services.yarn import _norm_key, _norm_supplier, prepare_bom

ABC_CUTS = (0.80, 0.95)  # A: the first 80 % of annual consumption value, B: the next 15 %, C: the rest
PLANNING_TOLERANCE_LBS = 0.015


def _inventory(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    if "yarn_inventory" not in frames:
        raise MissingDataError("the inventory analyzer needs the Yarn inventory export (yarn_inventory); "
                               "upload it on the Data page")
    return frames["yarn_inventory"]


def abc_classes(annual_value: pd.Series, *, cuts: tuple[float, float] = ABC_CUTS) -> pd.Series:
    """A/B/C by annual consumption value. Items are sorted by value (largest first); an item is A when the
    items before it make up less than 80 % of the total, B when less than 95 %, else C; so the item that
    crosses 80 % is still A. Items with no consumption are C."""
    values = annual_value.fillna(0.0).clip(lower=0.0)
    total = values.sum()
    out = pd.Series("C", index=values.index, dtype="string")
    if total <= 0:
        return out
    ordered = values.sort_values(ascending=False, kind="mergesort")
    before = (ordered.cumsum() - ordered) / total
    classes = np.where(before < cuts[0], "A", np.where(before < cuts[1], "B", "C"))
    classes = np.where(ordered > 0, classes, "C")
    out.loc[ordered.index] = classes
    return out


def ko_weekly_demand(frames: Mapping[str, pd.DataFrame], *, horizon_weeks: float) -> pd.Series:
    """Open KO demand per yarn (balance × BOM fraction) spread evenly over ``horizon_weeks``: lbs per week."""
    if "knit_orders" not in frames or "bom" not in frames:
        return pd.Series(dtype="float64")
    bom, _ = prepare_bom(frames["bom"])
    kos = frames["knit_orders"]
    kos = kos.loc[kos["balance_lbs"] > 0, ["style", "balance_lbs"]].assign(style_key=lambda d: _norm_key(d["style"]))
    demand = kos.merge(bom[["style_key", "yarn_id", "fraction"]], on="style_key")
    return (demand["balance_lbs"] * demand["fraction"]).groupby(demand["yarn_id"]).sum() / horizon_weeks


def positions(frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float = 0.95,
              demand_cv: float = 0.5, default_lead_time_days: float = 14.0, horizon_weeks: float = 9.0,
              projected_shortages: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per yarn: stock position, value, usage, cover, ABC, safety stock and reorder point.

    Planning balance is recomputed as theoretical + allocated + on order (allocated is already negative) and
    compared with the file's value (``planning_identity_ok``). Weekly usage = |Consumed| ÷ weeks from the
    reconcile date to as-of; where that is unknown or zero, open KO demand ÷ ``horizon_weeks``. Weeks of cover
    = on hand ÷ weekly usage (inf with no usage). σ of weekly demand = ``demand_cv`` × weekly usage (there is
    no weekly consumption history in the exports); SS = z·σ·√L and ROP = d·L + SS with L = supplier lead time
    in weeks (``default_lead_time_days`` when the supplier is unknown or retired). ``below_reorder`` compares
    the planning balance (stock + on order − allocated) with the ROP.
    """
    inv = _inventory(frames).drop_duplicates("yarn_id").reset_index(drop=True)
    out = pd.DataFrame({
        "yarn_id": inv["yarn_id"].astype("int64"),
        "supplier": inv["supplier"].astype("string"),
        "description": inv["description"].astype("string") if "description" in inv else pd.NA,
        "color": inv["color"].astype("string") if "color" in inv else pd.NA,
        "on_hand_lbs": inv["theoretical_balance_lbs"].astype("float64"),
        "allocated_lbs": inv["allocated_lbs"].astype("float64"),
        "on_order_lbs": inv["on_order_lbs"].astype("float64"),
        "planning_balance_lbs": inv["planning_balance_lbs"].astype("float64"),
        "cost_per_lb": inv["cost_per_lb"].astype("float64"),
        "consumed_lbs": inv["consumed_lbs"].astype("float64"),
    })
    out["yarn_type"] = _yarn_types(frames, out["yarn_id"])
    out["planning_balance_calc_lbs"] = out["on_hand_lbs"] + out["allocated_lbs"] + out["on_order_lbs"]
    out["planning_identity_ok"] = (out["planning_balance_calc_lbs"] - out["planning_balance_lbs"]).abs() \
        <= PLANNING_TOLERANCE_LBS
    out["value_usd"] = out["on_hand_lbs"] * out["cost_per_lb"]
    out["shortage_now"] = out["planning_balance_lbs"] < 0
    reconcile = inv["reconcile_date"] if "reconcile_date" in inv else pd.Series(pd.NaT, index=inv.index)
    weeks = ((pd.Timestamp(as_of) - reconcile).dt.days / 7.0).astype("float64")
    consumed_rate = out["consumed_lbs"].abs() / weeks.where(weeks > 0)
    ko_rate = out["yarn_id"].map(ko_weekly_demand(frames, horizon_weeks=horizon_weeks)).astype("float64")
    use_consumed = consumed_rate.notna() & (consumed_rate > 0)
    use_ko = ~use_consumed & ko_rate.notna() & (ko_rate > 0)
    out["weekly_usage_lbs"] = np.where(use_consumed, consumed_rate, np.where(use_ko, ko_rate, 0.0))
    out["usage_source"] = pd.Series(np.where(use_consumed, "consumed since reconcile",
                                             np.where(use_ko, "open KO demand", "no usage")), dtype="string")
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(out["weekly_usage_lbs"] > 0, out["on_hand_lbs"] / out["weekly_usage_lbs"], np.inf)
    out["weeks_of_cover"] = cover
    out["annual_value_usd"] = out["weekly_usage_lbs"] * 52.0 * out["cost_per_lb"].fillna(0.0)
    out["abc"] = abc_classes(out["annual_value_usd"])
    lead, source = _lead_times(frames, out["supplier"], default_lead_time_days)
    out["lead_time_days"] = lead
    out["lead_time_source"] = source
    z = NormalDist().inv_cdf(service_level)
    lead_weeks = out["lead_time_days"] / 7.0
    out["sigma_weekly_lbs"] = demand_cv * out["weekly_usage_lbs"]
    out["safety_stock_lbs"] = z * out["sigma_weekly_lbs"] * np.sqrt(lead_weeks)
    out["reorder_point_lbs"] = out["weekly_usage_lbs"] * lead_weeks + out["safety_stock_lbs"]
    out["below_reorder"] = (out["weekly_usage_lbs"] > 0) & (out["planning_balance_lbs"] < out["reorder_point_lbs"])
    if projected_shortages is not None and len(projected_shortages):
        first = projected_shortages.set_index("yarn_id")["first_shortage_week"]
        out["first_shortage_week"] = out["yarn_id"].map(first).astype("datetime64[ns]")
    else:
        out["first_shortage_week"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    return out


def _yarn_types(frames: Mapping[str, pd.DataFrame], yarn_ids: pd.Series) -> pd.Series:
    types = pd.Series(dtype="string")
    for kind in ("yarn_master", "expected_yarn"):
        frame = frames.get(kind)
        if frame is not None and "yarn_type" in frame:
            more = frame.dropna(subset=["yarn_type"]).drop_duplicates("yarn_id").set_index("yarn_id")["yarn_type"]
            types = pd.concat([types, more.astype("string")[~more.index.isin(types.index)]])
    return yarn_ids.map(types).astype("string").fillna("unknown")


def _lead_times(frames: Mapping[str, pd.DataFrame], supplier: pd.Series, default_days: float):
    suppliers = frames.get("suppliers")
    lead = pd.Series(np.nan, index=supplier.index)
    if suppliers is not None and len(suppliers):
        active = suppliers.loc[~suppliers["retired"]]
        by_key = pd.Series(active["lead_time_days"].to_numpy(), index=_norm_supplier(active["supplier"]).to_numpy())
        by_key = by_key[~by_key.index.duplicated()]
        lead = _norm_supplier(supplier).astype(object).map(by_key).astype("float64")
    source = pd.Series(np.where(lead.notna(), "supplier list", "default (supplier unknown or retired)"),
                       index=supplier.index, dtype="string")
    return lead.fillna(default_days), source


def analyze(frames: Mapping[str, pd.DataFrame], *, as_of: date, service_level: float = 0.95,
            demand_cv: float = 0.5, default_lead_time_days: float = 14.0, horizon_weeks: float = 9.0,
            projected_shortages: pd.DataFrame | None = None) -> dict:
    """The inventory page: positions plus roll-ups, chart data, findings and the assumptions used.

    Keys: positions, by_supplier, by_yarn_type, by_color, pareto, cover_distribution, identity_findings,
    assumptions (JSON), summary (JSON).
    """
    pos = positions(frames, as_of=as_of, service_level=service_level, demand_cv=demand_cv,
                    default_lead_time_days=default_lead_time_days, horizon_weeks=horizon_weeks,
                    projected_shortages=projected_shortages)
    pareto = pos.loc[pos["annual_value_usd"] > 0, ["yarn_id", "annual_value_usd", "abc"]].sort_values(
        "annual_value_usd", ascending=False, kind="mergesort").reset_index(drop=True)
    total = pareto["annual_value_usd"].sum()
    pareto["cumulative_share"] = pareto["annual_value_usd"].cumsum() / total if total > 0 else 0.0
    finite = pos["weeks_of_cover"].replace(np.inf, np.nan)
    bins = [0, 2, 4, 8, 13, 26, 52, np.inf]
    labels = ["0–2", "2–4", "4–8", "8–13", "13–26", "26–52", "52+"]
    cover = pd.cut(finite, bins=bins, labels=labels, right=False).value_counts().reindex(labels, fill_value=0)
    cover_dist = pd.DataFrame({"weeks_of_cover": labels, "yarns": cover.to_numpy()})
    cover_dist.loc[len(cover_dist)] = ["no usage (∞)", int(np.isinf(pos["weeks_of_cover"]).sum())]
    z = NormalDist().inv_cdf(service_level)
    return {
        "positions": pos,
        "by_supplier": _rollup(pos, "supplier"),
        "by_yarn_type": _rollup(pos, "yarn_type"),
        "by_color": _rollup(pos, "color"),
        "pareto": pareto,
        "cover_distribution": cover_dist,
        "identity_findings": pos.loc[~pos["planning_identity_ok"], ["yarn_id", "planning_balance_lbs",
                                                                     "planning_balance_calc_lbs"]],
        "assumptions": {
            "service_level": service_level, "z": round(z, 4), "demand_cv": demand_cv,
            "sigma": "σ of weekly demand = demand_cv × weekly usage (no weekly history in the exports)",
            "lead_time": f"supplier list; {default_lead_time_days:g} days when unknown or retired",
            "weekly_usage": "|Consumed| ÷ weeks since the reconcile date; else open KO demand ÷ "
                            f"{horizon_weeks:g} weeks",
            "abc": "A = first 80 % of annual consumption value (the item crossing 80 % is A), B = next 15 %, C = rest",
            "reorder_point": "d·L + z·σ·√L, L in weeks; flagged when planning balance < reorder point",
        },
        "summary": report_keys_from(pos),
    }


def _rollup(pos: pd.DataFrame, by: str) -> pd.DataFrame:
    g = pos.groupby(pos[by].fillna("unknown"), observed=True)
    out = pd.DataFrame({
        "yarns": g.size(), "on_hand_lbs": g["on_hand_lbs"].sum(), "value_usd": g["value_usd"].sum(),
        "on_order_lbs": g["on_order_lbs"].sum(), "planning_balance_lbs": g["planning_balance_lbs"].sum(),
        "shortages": g["shortage_now"].sum(), "below_reorder": g["below_reorder"].sum(),
    }).reset_index().rename(columns={by: by})
    return out.sort_values("value_usd", ascending=False).reset_index(drop=True)


def report_keys_from(pos: pd.DataFrame) -> dict:
    short = pos["planning_balance_lbs"] < 0
    return {
        "yarn_count": int(len(pos)),
        "shortage_count": int(short.sum()),
        "shortage_lbs": float(-pos.loc[short, "planning_balance_lbs"].sum()),
        "planning_balance_lbs": float(pos["planning_balance_lbs"].sum()),
        "on_hand_value_usd": float((pos["on_hand_lbs"] * pos["cost_per_lb"]).sum()),
        "below_reorder_count": int(pos["below_reorder"].sum()),
    }


def report_keys(frames: Mapping[str, pd.DataFrame], *, as_of: date) -> dict:
    """The ``inventory`` keys of ``python -m bk report``."""
    return report_keys_from(positions(frames, as_of=as_of))


def diff(earlier: Mapping[str, pd.DataFrame], current: Mapping[str, pd.DataFrame], *, top_n: int = 20) -> dict:
    """What changed between two snapshots' yarn inventories.

    Keys: new_shortages, cleared_shortages (planning balance crossing zero), biggest_moves (top_n by
    |Δ planning balance|), po_received (on order down), po_slipped (on order up), added, gone, summary.
    """
    cols = ["yarn_id", "supplier", "planning_balance_lbs", "on_order_lbs", "theoretical_balance_lbs"]
    a = _inventory(earlier)[cols].drop_duplicates("yarn_id").set_index("yarn_id")
    b = _inventory(current)[cols].drop_duplicates("yarn_id").set_index("yarn_id")
    both = a.merge(b, left_index=True, right_index=True, suffixes=("_before", "_now"), how="inner")
    both["planning_change_lbs"] = both["planning_balance_lbs_now"] - both["planning_balance_lbs_before"]
    both["on_order_change_lbs"] = both["on_order_lbs_now"] - both["on_order_lbs_before"]
    both = both.reset_index()
    view = ["yarn_id", "supplier_now", "planning_balance_lbs_before", "planning_balance_lbs_now",
            "planning_change_lbs", "on_order_lbs_before", "on_order_lbs_now", "on_order_change_lbs"]
    new_short = both[(both["planning_balance_lbs_before"] >= 0) & (both["planning_balance_lbs_now"] < 0)]
    cleared = both[(both["planning_balance_lbs_before"] < 0) & (both["planning_balance_lbs_now"] >= 0)]
    moves = both.reindex(both["planning_change_lbs"].abs().sort_values(ascending=False).index).head(top_n)
    received = both[both["on_order_change_lbs"] < -0.5].sort_values("on_order_change_lbs")
    slipped = both[both["on_order_change_lbs"] > 0.5].sort_values("on_order_change_lbs", ascending=False)
    added = b.loc[~b.index.isin(a.index)].reset_index()
    gone = a.loc[~a.index.isin(b.index)].reset_index()
    result = {
        "new_shortages": new_short[view].reset_index(drop=True),
        "cleared_shortages": cleared[view].reset_index(drop=True),
        "biggest_moves": moves[view].reset_index(drop=True),
        "po_received": received[view].reset_index(drop=True),
        "po_slipped": slipped[view].reset_index(drop=True),
        "added": added.reset_index(drop=True),
        "gone": gone.reset_index(drop=True),
    }
    result["summary"] = {k: int(len(v)) for k, v in result.items()}
    return result


OPERATIONS = {"inventory.analyze": analyze}
