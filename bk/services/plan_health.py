"""Plan health: how far a day's plan can be trusted, scored 0-100 from back-tests (``bk.services.backtest``).

Three components, each with the figure behind it:

- **Knitting** (40 points): how close the pounds the plan said would be knitted came to the pounds the mill
  knitted, 40 x min(planned / actual, actual / planned): twice too much and half too little both score 20.
- **Buys followed** (30 points): 30 x the share of the plan's buys that a buyer's new PO followed.
- **Receipts on time** (30 points): 30 x the share of the PO pounds due by the next snapshot that arrived.

A component without a figure (nothing knitted nor planned, no buy, no pound due) is left out and the score is
taken over the others (100 x points / the points they could give). 75 and more: good; 50-74: fair; below:
poor. A whole store's history is one back-test per consecutive pair of snapshots (``trend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from bk.text import day

WEIGHTS = {"knitting": 40, "buys": 30, "receipts": 30}
GOOD, FAIR = 75, 50
COMPONENT_NAMES = {"knitting": "Knitting as planned", "buys": "Buys followed by a PO",
                   "receipts": "Receipts on time"}


def _day(iso: str) -> str:
    return day(date.fromisoformat(iso))


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def status(score: int | None) -> str:
    """'good', 'fair' or 'poor' for a score (None: 'no figures')."""
    if score is None:
        return "no figures"
    return "good" if score >= GOOD else "fair" if score >= FAIR else "poor"


def plan_score(result: dict) -> dict:
    """The plan-health score of one back-test (``backtest.backtest`` output): ``score`` (0-100, whole, or None
    when no component has a figure), ``status``, ``period`` ('28 Aug 2025 to 1 Sep 2025') and ``components``
    {knitting|buys|receipts: {name, points, max, share (0-1), detail (plain words)}} for those with figures."""
    components: dict[str, dict] = {}
    period = f"{_day(result['old_as_of'])} to {_day(result['new_as_of'])}"
    k = result["knitting"]
    planned, actual = float(k["planned_lbs"]), float(k["actual_lbs"])
    if planned > 0 or actual > 0:
        closeness = min(planned, actual) / max(planned, actual)
        done = f"{actual / planned * 100:.0f} % of it" if planned > 0 else "with none planned"
        components["knitting"] = {
            "share": closeness,
            "detail": f"The plan said {planned:,.0f} lbs would be knitted; the mill knitted {actual:,.0f} lbs "
                      f"({done}). {k['kos_no_progress']} of {k['kos_compared']} knit orders made no progress."}
    b = result["buys"]
    if b["count"]:
        share = b["followed_by_po"] / b["count"]
        components["buys"] = {
            "share": share,
            "detail": f"{b['followed_by_po']} of {b['count']} buys were followed by a new PO ({_pct(share)}); "
                      f"buyers placed new POs for {b['yarns_ordered']} yarns."}
    r = result["receipts"]
    if r["lbs_due"] > 0:
        share = r["lbs_received"] / r["lbs_due"]
        components["receipts"] = {
            "share": share,
            "detail": f"{r['lbs_received']:,.0f} of {r['lbs_due']:,.0f} lbs due on {r['pos_due']} POs arrived "
                      f"({_pct(share)})."}
    for key, part in components.items():
        part.update(name=COMPONENT_NAMES[key], max=WEIGHTS[key], points=WEIGHTS[key] * part["share"])
    possible = sum(p["max"] for p in components.values())
    score = round(100 * sum(p["points"] for p in components.values()) / possible) if possible else None
    for part in components.values():
        part["points"] = round(part["points"])
    return {"score": score, "status": status(score), "period": period, "components": components}


def headline(result: dict) -> str:
    """One line on how the earlier snapshot's plan did, in plain words."""
    k, b, r = result["knitting"], result["buys"], result["receipts"]
    parts = []
    if k["planned_lbs"] > 0 and k["actual_lbs"] > 0:
        parts.append(f"the mill knitted {k['actual_lbs'] / k['planned_lbs'] * 100:.0f} % of the pounds it planned")
    elif k["planned_lbs"] > 0:
        parts.append("nothing was knitted of the pounds it planned")
    if r["lbs_due"] > 0:
        parts.append(f"{r['lbs_received'] / r['lbs_due'] * 100:.0f} % of the PO pounds due arrived on time")
    if b["count"]:
        parts.append(f"{b['followed_by_po']} of {b['count']} buys were followed by a PO")
    said = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + (parts[-1] if parts else "")
    return (f"The plan of {_day(result['old_as_of'])}, checked on {_day(result['new_as_of'])}: "
            + (said if said else "nothing was due to check") + ".")


def trend(results: Sequence[dict]) -> pd.DataFrame:
    """One row per back-test (a consecutive pair of snapshots), oldest first: checked_on (the later snapshot's
    date), plan_of (the earlier one's), score and each component's share in whole percent (NaN without a
    figure): knitting_pct, buys_followed_pct, on_time_pct."""
    rows = []
    for result in results:
        s = plan_score(result)
        c = s["components"]

        def pct(key: str, c=c) -> float:
            return round(c[key]["share"] * 100) if key in c else np.nan

        rows.append({"checked_on": pd.Timestamp(result["new_as_of"]), "plan_of": pd.Timestamp(result["old_as_of"]),
                     "score": s["score"] if s["score"] is not None else np.nan, "knitting_pct": pct("knitting"),
                     "buys_followed_pct": pct("buys"), "on_time_pct": pct("receipts")})
    columns = ["checked_on", "plan_of", "score", "knitting_pct", "buys_followed_pct", "on_time_pct"]
    return pd.DataFrame(rows, columns=columns).sort_values("checked_on", kind="stable").reset_index(drop=True)


def worst_suppliers(results: Sequence[dict], *, top: int = 10) -> pd.DataFrame:
    """Suppliers by on-time share over every back-test given, worst first: supplier, pos_due (POs due, summed
    over the back-tests: a PO still due counts again), due_lbs, received_lbs, on_time_pct (whole percent),
    slip_days (median over the back-tests where the supplier rescheduled POs; NaN when none); the ``top`` first,
    suppliers with pounds due only."""
    per: dict[str, dict] = {}
    for result in results:
        for s in result["suppliers"]:
            row = per.setdefault(s["supplier"], {"pos_due": 0, "due_lbs": 0.0, "received_lbs": 0.0, "slips": []})
            row["pos_due"] += s["pos_due"]
            row["due_lbs"] += s["lbs_due"]
            row["received_lbs"] += s["lbs_received"]
            if s["median_slip_days"] is not None:
                row["slips"].append(s["median_slip_days"])
    rows = [{"supplier": name, "pos_due": r["pos_due"], "due_lbs": round(r["due_lbs"]),
             "received_lbs": round(r["received_lbs"]), "on_time_pct": round(r["received_lbs"] / r["due_lbs"] * 100),
             "slip_days": float(np.median(r["slips"])) if r["slips"] else np.nan}
            for name, r in per.items() if r["due_lbs"] > 0]
    columns = ["supplier", "pos_due", "due_lbs", "received_lbs", "on_time_pct", "slip_days"]
    out = pd.DataFrame(rows, columns=columns)
    out = out.sort_values(["on_time_pct", "due_lbs", "supplier"], ascending=[True, False, True], kind="stable")
    return out.head(top).reset_index(drop=True)
