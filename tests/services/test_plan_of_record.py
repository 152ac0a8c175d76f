"""The plan of record (issue 23): supply as it is, past due aged, one netted action per yarn, the PO's vendor
and price, whole pounds; each cause the domain review found, on hand-made frames (as-of Thu 2025-07-31)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bk.services import yarn
from bk.services.planning import supply
from tests.services.test_yarn_actions import AS_OF, FAST, LABELS, W0, actions_of, snap

W1 = LABELS[1]  # week of 2025-08-04 (the expected-yarn column week_2025_32_lbs)


def with_vendor(f, vendors: dict[str, tuple[str, float]]):
    """The expected-yarn lines' vendor and price by PO number."""
    exp = f["expected_yarn"]
    exp["supplier"] = pd.array([vendors.get(p, (None, np.nan))[0] for p in exp["po_number"]], dtype="string")
    exp["price_per_lb"] = [vendors.get(p, (None, np.nan))[1] for p in exp["po_number"]]
    return f


def with_requested(f, dates: dict[str, str]):
    """A Yarn PO export giving each PO's requested delivery date (the age of its past-due pounds)."""
    exp = f["expected_yarn"]
    f["yarn_po"] = pd.DataFrame({"po_number": exp["po_number"], "yarn_id": exp["yarn_id"],
                                 "requested_date": pd.to_datetime([dates.get(p) for p in exp["po_number"]]),
                                 "supplier": pd.array([None] * len(exp), dtype="string"),
                                 "ordered_at": pd.to_datetime([None] * len(exp))})
    return f


def test_a_negative_past_due_nets_the_later_week_not_a_phantom_buy():
    # eFab: balance 1,000 = -4,000 past due + 5,000 in the week of 08-04; the KO needs 800 from 08-11
    f = snap(kos=[("K1", "A/1", 800.0, "2025-08-11")], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 2.0)],
             pos=[("Y1", 1, -4000.0, 0.0, 5000.0, 0.0, 0.0)])
    result = yarn.plan(f, as_of=AS_OF)
    assert result["actions"].empty
    delivered = result["deliveries"].set_index("po_number").loc["Y1"]
    assert delivered[W1] == 1000.0 and delivered["past_due_lbs"] == 0.0 and delivered[LABELS].sum() == 1000.0
    assert result["open_pos"].set_index("po_number").loc["Y1", "past_due_lbs"] == -4000.0  # eFab's view kept


def test_a_defer_never_exceeds_the_po_balance():
    # the same PO, the KO needs it only from 09-15 (6 weeks after it arrives): defer its 1,000 lbs, not 5,000
    f = snap(kos=[("K1", "A/1", 800.0, "2025-09-15")], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 2.0)],
             pos=[("Y1", 1, -4000.0, 0.0, 5000.0, 0.0, 0.0)])
    defer = actions_of(yarn.plan(f, as_of=AS_OF), "defer").loc[1]
    assert defer["lbs"] == 1000 and defer["po_number"] == "Y1" and "6 weeks before" in defer["reason"]


def test_a_timing_gap_open_pos_cover_is_an_expedite_not_a_buy():
    # 500 lbs needed this week, 9,000 on a PO in the week of 08-11: pull it in, buy nothing
    f = snap(kos=[("K1", "A/1", 500.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 2.0)],
             pos=[("Y1", 1, 0.0, 0.0, 0.0, 9000.0, 0.0)], supplier_rows=[("S", 7.0, 5000.0, np.nan, False)])
    result = yarn.plan(f, as_of=AS_OF)
    assert result["actions"]["action"].tolist() == ["expedite"]
    expedite = actions_of(result, "expedite").loc[1]
    assert expedite["lbs"] == 500 and expedite["po_number"] == "Y1"
    assert expedite["need_week"] == pd.Timestamp("2025-07-28") and "9,000 lbs" in expedite["reason"]


def test_negative_stock_with_demand_is_reconciled_not_an_moq_buy():
    f = snap(kos=[("K1", "A/1", 23.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", -482.0, 2.0)],
             supplier_rows=[("S", 7.0, 1500.0, np.nan, False)])
    result = yarn.plan(f, as_of=AS_OF)
    assert result["actions"]["action"].tolist() == ["reconcile"]
    reason = actions_of(result, "reconcile").loc[1, "reason"]
    assert "-482 lbs" in reason and "leaves 23 lbs to buy" in reason


def test_po_actions_name_the_pos_vendor_and_price():
    # the yarn's usual supplier S at $9/lb; the late PO is with vendor V at $3/lb
    f = with_vendor(snap(kos=[("K1", "A/1", 500.0, None)], bom=[("A/1", 1, 1.0)],
                         inventory=[(1, "S", "d", 0.0, 9.0)], pos=[("Y1", 1, 0.0, 0.0, 0.0, 900.0, 0.0)]),
                    {"Y1": ("V", 3.0)})
    expedite = actions_of(yarn.plan(f, as_of=AS_OF), "expedite").loc[1]
    assert expedite["supplier"] == "V" and expedite["cost_per_lb"] == 3.0 and expedite["cost_usd"] == 1500.0


def test_past_due_is_aged_recent_counts_old_is_chased(monkeypatch):
    # 1,000 lbs needed this week; PO Y1 (600) due 10 days ago, Y2 (700) due 91 days ago
    base = dict(kos=[("K1", "A/1", 1000.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 2.0)],
                pos=[("Y1", 1, 600.0, 0.0, 0.0, 0.0, 0.0), ("Y2", 1, 700.0, 0.0, 0.0, 0.0, 0.0)])
    f = with_requested(snap(**base), {"Y1": "2025-07-21", "Y2": "2025-05-01"})
    result = yarn.plan(f, as_of=AS_OF)
    planning = result["planning_balance"].set_index("yarn_id").loc[1]
    assert planning[f"balance_{W0}"] == -400.0  # only Y1 arrives
    chase = actions_of(result, "chase").loc[1]
    assert chase["po_number"] == "Y2" and chase["lbs"] == 700 and "91 days past due" in chase["reason"]
    assert "the yarn needs it" in chase["reason"] and result["summary"]["chases"] == 1
    assert actions_of(result, "buy").empty  # stock and every open PO cover the 1,000 lbs
    monkeypatch.setenv("BK_PAST_DUE_DAYS", "120")
    assert yarn.plan(f, as_of=AS_OF)["actions"].empty  # both count as arriving now


def test_unscheduled_pounds_with_a_requested_date_ahead_arrive_that_week():
    f = with_requested(snap(kos=[], pos=[("Y1", 1, 600.0, 0.0, 0.0, 0.0, 0.0)]), {"Y1": "2025-08-06"})
    pos, _ = supply.open_pos(f, as_of=AS_OF)
    delivered = supply.deliveries(pos, f, as_of=AS_OF).loc[0]
    assert delivered[W1] == 600.0 and delivered["past_due_lbs"] == 0.0 and delivered["chase_lbs"] == 0.0


def test_quantities_are_whole_pounds_and_dollars():
    f = snap(kos=[("K1", "A/1", 47.2000000001, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 2.345)])
    buy = actions_of(yarn.plan(f, as_of=AS_OF), "buy").loc[1]
    assert buy["lbs"] == 48.0 and buy["cost_usd"] == 113.0  # 48 x 2.345 = 112.56
    table = yarn.actions_table(yarn.plan(f, as_of=AS_OF))
    assert str(table["lbs"].dtype) == "Int64" and table.loc[0, "premium_lbs"] == 0


@settings(max_examples=40, deadline=None)
@given(stock=st.floats(0, 3000), demand=st.lists(st.floats(0, 800), min_size=3, max_size=3),
       po=st.lists(st.tuples(st.floats(-2000, 2000), st.floats(0, 2000), st.floats(0, 2000)), max_size=3),
       moq=st.sampled_from([np.nan, 500.0, 2500.0]))
def test_no_buy_where_stock_and_open_pos_cover_and_one_action_per_yarn(stock, demand, po, moq):
    kos = [(f"K{k}", "A/1", lbs, f"2025-0{8 if k else 7}-{'04' if k == 1 else ('11' if k == 2 else '28')}")
           for k, lbs in enumerate(demand) if lbs > 0]
    pos = [(f"Y{j}", 1, past, week32, week33, 0.0, 0.0)
           for j, (past, week32, week33) in enumerate(po) if past + week32 + week33 > 0]
    f = snap(kos=kos, bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", stock, 2.0)], pos=pos,
             supplier_rows=[("S", 7.0, moq, np.nan, False)])
    result = yarn.plan(f, as_of=AS_OF)
    actions = result["actions"]
    assert len(actions) <= 1
    balances = sum(x[2] + x[3] + x[4] for x in pos)
    need = sum(x[2] for x in kos)
    if len(actions) and actions.loc[0, "action"] == "buy":
        assert stock + balances < need
        assert actions.loc[0, "lbs"] >= need - stock - balances - 1e-6
    if len(actions) and actions.loc[0, "action"] == "defer":
        assert actions.loc[0, "lbs"] <= balances + 0.5


def test_observed_schedule_knits_at_each_kos_pace_and_flags_the_stalled():
    # K1 knitted 550 of 1,000 lbs in the 19.5 working days from 07-07 to the as-of day: 28.2 lbs/day;
    # K2 started 07-07 and knitted nothing: stalled, timed at the mill's efficiency (550 of 2 x 19.5 x 10,000)
    f = snap(kos=[("K1", "A/1", 450.0, "2025-07-07"), ("K2", "A/1", 300.0, "2025-07-07")], bom=[("A/1", 1, 1.0)],
             inventory=[(1, "S", "d", 5000.0, 2.0)])
    f["knit_orders"]["qty_ordered_lbs"] = [1000.0, 300.0]
    result = yarn.plan(f, as_of=AS_OF, knitting="observed")
    kos = result["kos"].set_index("knit_order")
    pace_k1 = 550 / 19.5
    assert kos.loc["K1", "pace_lbs_per_day"] == pytest.approx(pace_k1)
    # as-of Thursday: Thu + Fri + Sat/2 = 2.5 working days this week, then 5.5 a week
    assert kos.loc["K1", LABELS[0]] == pytest.approx(2.5 * pace_k1)
    assert kos.loc["K1", LABELS[1]] == pytest.approx(5.5 * pace_k1)
    assert kos.loc["K1", "schedule_source"] == "observed pace"
    assert bool(kos.loc["K2", "stalled"]) and not bool(kos.loc["K1", "stalled"])
    assert kos.loc["K2", "pace_lbs_per_day"] == pytest.approx(FAST * 550 / (19.5 * FAST * 2))
    assert result["summary"]["stalled_kos"] == 1 and result["summary"]["stalled_lbs"] == 300.0
    efab = yarn.plan(f, as_of=AS_OF)["kos"].set_index("knit_order")
    assert efab.loc["K1", LABELS[0]] == 450.0 and bool(efab.loc["K2", "stalled"])  # flagged on every schedule


def test_remnants_demand_no_yarn_in_the_planning_views_but_stay_in_efabs_reproduction():
    f = snap(kos=[("K1", "A/1", 3.0, None), ("K2", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)],
             inventory=[(1, "S", "d", 0.0, 2.0)])
    observed = yarn.plan(f, as_of=AS_OF, knitting="observed")
    assert observed["ko_demand"]["knit_order"].tolist() == ["K2"] and observed["summary"]["remnant_kos"] == 1
    assert actions_of(observed, "buy").loc[1, "lbs"] == 100
    efab = yarn.plan(f, as_of=AS_OF)
    assert sorted(efab["ko_demand"]["knit_order"]) == ["K1", "K2"] and actions_of(efab, "buy").loc[1, "lbs"] == 103


def test_the_loop_closes_paces_since_the_earlier_snapshot_and_slipping_suppliers_planned_later():
    # earlier day 07-21: K1 had 700 lbs left (now 450), PO Y1 of vendor V was due in the week of 07-21 and is now
    # scheduled for the week of 08-04: V slipped 14 days, so V's other PO (Y2, this week) is planned 2 weeks later
    f = with_vendor(snap(kos=[("K1", "A/1", 450.0, "2025-07-07")], bom=[("A/1", 1, 1.0)],
                         inventory=[(1, "S", "d", 0.0, 2.0)],
                         pos=[("Y1", 1, 0.0, 0.0, 300.0, 0.0, 0.0), ("Y2", 1, 0.0, 200.0, 0.0, 0.0, 0.0)]),
                    {"Y1": ("V", 2.0), "Y2": ("V", 2.0)})
    f["knit_orders"]["qty_ordered_lbs"] = [1000.0]
    earlier = {"knit_orders": f["knit_orders"].assign(balance_lbs=[700.0]),
               "expected_yarn": f["expected_yarn"].iloc[[0]].assign(this_week_lbs=300.0, week_2025_32_lbs=0.0)}
    result = yarn.plan(f, as_of=AS_OF, knitting="observed", earlier_frames=earlier,
                       earlier_as_of=pd.Timestamp("2025-07-21").date())
    kos = result["kos"].set_index("knit_order")
    # 250 lbs over Mon 07-21 .. Wed 07-30: 8.5 working days
    assert kos.loc["K1", "pace_lbs_per_day"] == pytest.approx(250 / 8.5)
    assert kos.loc["K1", "pace_source"] == "own pace since the earlier snapshot"
    assert result["summary"]["slipping_suppliers"] == {"v": 14}
    delivered = result["deliveries"].set_index("po_number")
    assert delivered.loc["Y2", LABELS[2]] == 200.0 and delivered.loc["Y2", W0] == 0.0
    assert delivered.loc["Y1", LABELS[3]] == 300.0  # its week of 08-04, two weeks later again


def test_a_buy_that_exists_only_for_the_forecast_says_so():
    def plan_with(stock: float):
        f = snap(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", stock, 2.0)],
                 supplier_rows=[("S", 7.0, 500.0, np.nan, False)])
        forecast = pd.DataFrame({"yarn_id": [1], **{b: [0.0] for b in LABELS}})
        forecast[LABELS[3]] = 200.0
        return yarn.plan(f, as_of=AS_OF, forecast_demand=forecast)

    both = actions_of(plan_with(0.0), "buy").loc[1]  # 300 short, 100 of it open orders: not only the forecast
    assert both["lbs"] == 500 and not both["forecast_only"] and both["forecast_driven"]
    only = plan_with(150.0)
    buy = actions_of(only, "buy").loc[1]  # stock covers the orders; the 150 short is forecast
    assert buy["forecast_only"] and buy["premium_lbs"] == 350 and "only because of the forecast" in buy["reason"]
    assert only["summary"]["forecast_only_buys"] == 1 and only["summary"]["forecast_only_usd"] == 1000.0
