"""Briefing: changes between two hand-made snapshots and the ordered attribution of each shortage change.

The base day (as-of Thu 2025-07-31, both days the same date so that "other" is master data only):
yarn 1 has 1000 lbs on hand, yarn 2 has 500. Style A/1 is all yarn 1, B/1 half yarn 1 half yarn 2.
KO K1 (A/1, 3000 lbs) knits this week (rates are high). PO P1 brings 1500 lbs of yarn 1 this week, PO P2
200 lbs of yarn 2 next week. Yarn 1 this week: 1000 - 3000 + 1500 = -500, so its shortage is 500 lbs;
yarn 2 never goes below 500.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import briefing, yarn

AS_OF = date(2025, 7, 31)
FAST = 10_000.0  # lbs/day: 60,000 a week, so every KO here knits in the as-of week


def day(*, kos=None, bom=None, on_hand=None, pos=None) -> dict[str, pd.DataFrame]:
    kos = kos if kos is not None else [("K1", "A/1", 3000.0, None)]
    bom = bom if bom is not None else [("A/1", 1, 1.0), ("B/1", 1, 0.5), ("B/1", 2, 0.5)]
    on_hand = on_hand if on_hand is not None else {1: 1000.0, 2: 500.0}
    pos = pos if pos is not None else [("P1", 1, 1500.0, 1500.0, 0.0, 0.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0)]
    ko = pd.DataFrame(kos, columns=["knit_order", "style", "balance_lbs", "start_date"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    exp = pd.DataFrame(pos, columns=["po_number", "yarn_id", "po_balance_lbs", "this_week_lbs", "week_2025_32_lbs",
                                     "week_2025_33_lbs"])
    exp["past_due_lbs"] = 0.0
    exp["later_lbs"] = 0.0
    return {
        "knit_orders": ko.astype({"knit_order": "string", "style": "string"}),
        "bom": pd.DataFrame(bom, columns=["style", "yarn_id", "bom_fraction"]).astype(
            {"style": "string", "yarn_id": "Int64"}),
        "style_rates": pd.DataFrame([("A/1", FAST), ("B/1", FAST)], columns=["style", "lbs_per_day"]).astype(
            {"style": "string"}),
        "yarn_inventory": pd.DataFrame(
            [(y, "S", "d", v, 2.0) for y, v in on_hand.items()],
            columns=["yarn_id", "supplier", "description", "theoretical_balance_lbs", "cost_per_lb"]).astype(
            {"yarn_id": "Int64", "supplier": "string", "description": "string"}),
        "expected_yarn": exp.astype({"yarn_id": "Int64", "po_number": "string"}),
    }


def causes_by_yarn(old, new) -> dict[int, dict]:
    result = briefing.diff(old, new, old_as_of=AS_OF, new_as_of=AS_OF)
    return {int(r["yarn_id"]): r for r in result["causes"].to_dict("records")}, result


def test_the_base_day_is_what_the_docstring_says():
    table = yarn.by_yarn_table(yarn.plan(day(), as_of=AS_OF)).set_index("yarn_id")
    assert table.loc[1, "shortage_lbs"] == pytest.approx(500.0)
    assert table.loc[2, "shortage_lbs"] == 0.0


def test_same_snapshot_twice_changes_nothing():
    causes, result = causes_by_yarn(day(), day())
    assert causes == {}
    assert result["summary"]["knit_orders"] == {"added": 0, "finished": 0, "rescheduled": 0, "balance_changed": 0}
    assert result["summary"]["shortages"] == {"new": 0, "cleared": 0, "deeper": 0, "shallower": 0}


def test_one_ko_added_is_demand_and_names_the_ko():
    # K2 (B/1, 1200 lbs): 600 more of yarn 1 this week (-500 -> -1100) and 600 of yarn 2 (500 - 600 = -100)
    new = day(kos=[("K1", "A/1", 3000.0, None), ("K2", "B/1", 1200.0, None)])
    causes, result = causes_by_yarn(day(), new)
    assert causes[1]["shortage_change_lbs"] == pytest.approx(600.0)
    assert (causes[1]["demand"], causes[1]["receipts"], causes[1]["stock"], causes[1]["other"]) == pytest.approx(
        (600.0, 0.0, 0.0, 0.0))
    assert causes[2]["shortage_change_lbs"] == pytest.approx(100.0)
    assert causes[2]["demand"] == pytest.approx(100.0) and causes[2]["other"] == pytest.approx(0.0)
    assert list(causes[1]["kos"]) == ["K2"] and list(causes[2]["kos"]) == ["K2"]
    assert list(causes[1]["pos"]) == [] and list(causes[2]["pos"]) == []
    assert result["summary"]["knit_orders"] == {"added": 1, "finished": 0, "rescheduled": 0, "balance_changed": 0}
    shortages = result["shortages"].set_index("yarn_id")["change"].to_dict()
    assert shortages == {1: "deeper", 2: "new"}


def test_one_po_moved_is_receipts_and_names_the_po():
    # P1's 1500 lbs move from this week to the week of 11 Aug: this week yarn 1 sits at 1000 - 3000 = -2000
    moved = [("P1", 1, 1500.0, 0.0, 0.0, 1500.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0)]
    causes, result = causes_by_yarn(day(), day(pos=moved))
    assert list(causes) == [1]
    c = causes[1]
    assert (c["shortage_change_lbs"], c["demand"], c["receipts"], c["stock"], c["other"]) == pytest.approx(
        (1500.0, 0.0, 1500.0, 0.0, 0.0))
    assert list(c["pos"]) == ["P1"] and list(c["kos"]) == []
    assert result["summary"]["purchase_orders"] == {"added": 0, "closed": 0, "received": 0, "past_due": 0,
                                                   "rescheduled": 1}
    assert result["purchase_orders"]["po_number"].tolist() == ["P1"]


def test_stock_dropped_is_stock():
    causes, result = causes_by_yarn(day(), day(on_hand={1: 700.0, 2: 500.0}))
    c = causes[1]
    assert (c["shortage_change_lbs"], c["demand"], c["receipts"], c["stock"], c["other"]) == pytest.approx(
        (300.0, 0.0, 0.0, 300.0, 0.0))
    assert list(c["kos"]) == [] and list(c["pos"]) == []
    stock = result["stock"]
    assert stock[["yarn_id", "old_on_hand_lbs", "new_on_hand_lbs", "change_lbs"]].values.tolist() == [
        [1, 1000.0, 700.0, -300.0]]


def test_bom_changed_is_other():
    # A/1 becomes half yarn 1, half yarn 2: yarn 1 needs 1500 (1000 - 1500 + 1500 = 1000, cleared);
    # yarn 2 needs 1500 this week (500 - 1500 = -1000, new)
    causes, result = causes_by_yarn(day(), day(bom=[("A/1", 1, 0.5), ("A/1", 2, 0.5), ("B/1", 1, 0.5),
                                                    ("B/1", 2, 0.5)]))
    assert (causes[1]["shortage_change_lbs"], causes[1]["demand"], causes[1]["other"]) == pytest.approx(
        (-500.0, 0.0, -500.0))
    assert (causes[2]["shortage_change_lbs"], causes[2]["demand"], causes[2]["other"]) == pytest.approx(
        (1000.0, 0.0, 1000.0))
    assert list(causes[1]["kos"]) == [] and list(causes[2]["kos"]) == []
    shortages = result["shortages"].set_index("yarn_id")["change"].to_dict()
    assert shortages == {1: "cleared", 2: "new"}


def test_the_order_of_attribution_is_demand_before_stock():
    # K2 adds 600 lbs of yarn 1 and stock rises by 800. Demand first: -500 -> -1100 (+600), then stock
    # -1100 -> -300 (-800). The other order would say stock -500 (clears it) and demand +300.
    new = day(kos=[("K1", "A/1", 3000.0, None), ("K2", "A/1", 600.0, None)], on_hand={1: 1800.0, 2: 500.0})
    causes, _ = causes_by_yarn(day(), new)
    c = causes[1]
    assert (c["shortage_change_lbs"], c["demand"], c["stock"]) == pytest.approx((-200.0, 600.0, -800.0))


def test_a_later_as_of_date_goes_to_other():
    # the same files read a week later: P1 is due in ISO week 32 (4 Aug). On 31 Jul that is next week, so this
    # week yarn 1 sits at 1000 - 3000 = -2000; on 7 Aug week 32 is the as-of week: 1000 - 3000 + 1500 = -500
    files = day(pos=[("P1", 1, 1500.0, 0.0, 1500.0, 0.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0)])
    result = briefing.diff(files, files, old_as_of=AS_OF, new_as_of=date(2025, 8, 7))
    causes = result["causes"]
    assert causes["yarn_id"].tolist() == [1]
    assert causes[["shortage_change_lbs", "demand", "receipts", "stock", "other"]].iloc[0].tolist() == pytest.approx(
        [-1500.0, 0.0, 0.0, 0.0, -1500.0])


def test_knit_order_changes_by_kind():
    old = day(kos=[("K1", "A/1", 3000.0, None), ("K2", "A/1", 100.0, "2025-08-01"), ("K3", "A/1", 50.0, None),
                   ("K4", "A/1", 0.0, None)])["knit_orders"]
    new = day(kos=[("K1", "A/1", 2500.0, "2025-08-04"), ("K2", "A/1", 100.0, "2025-08-01"), ("K4", "A/1", 10.0, None),
                   ("K5", "B/1", 70.0, None)])["knit_orders"]
    changes = briefing.knit_order_changes(old, new)
    got = sorted(zip(changes["knit_order"], changes["change"], strict=True))
    # K4 was closed (balance 0) and reopened: added; K3 is gone: finished; K1 moved and shrank
    assert got == [("K1", "balance_changed"), ("K1", "rescheduled"), ("K3", "finished"), ("K4", "added"),
                   ("K5", "added")]


def test_purchase_order_changes_by_kind():
    old = day(pos=[("P1", 1, 1500.0, 1500.0, 0.0, 0.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0),
                   ("P3", 2, 300.0, 0.0, 0.0, 300.0)])["expected_yarn"]
    new = day(pos=[("P1", 1, 1000.0, 1000.0, 0.0, 0.0), ("P3", 2, 300.0, 0.0, 300.0, 0.0),
                   ("P4", 1, 50.0, 0.0, 0.0, 50.0)])["expected_yarn"]
    changes = briefing.purchase_order_changes(old, new, old_as_of=AS_OF, new_as_of=AS_OF)
    got = sorted(zip(changes["po_number"], changes["change"], strict=True))
    assert got == [("P1", "received"), ("P2", "closed"), ("P3", "rescheduled"), ("P4", "added")]


def test_a_receipt_is_a_balance_fall_above_rounding_and_past_due_is_named():
    """Issue 25: 11,640 -> 11,639.7 is rounding, and half of that PO becoming past due is not a receipt."""
    old = day(pos=[("P1", 1, 11640.0, 0.0, 11640.0, 0.0), ("P2", 2, 800.0, 800.0, 0.0, 0.0)])["expected_yarn"]
    new = day(pos=[("P1", 1, 11639.7, 0.0, 5819.7, 0.0), ("P2", 2, 799.0, 799.0, 0.0, 0.0)])["expected_yarn"]
    new.loc[new["po_number"] == "P1", "past_due_lbs"] = 5820.0
    changes = briefing.purchase_order_changes(old, new, old_as_of=AS_OF, new_as_of=AS_OF)
    got = sorted(zip(changes["po_number"], changes["change"], changes["what"], strict=True))
    # P1 lost 0.3 lb (rounding) and 5,820 lbs became past due (the rest still due the week of 4 Aug: not
    # rescheduled); P2 fell by 1 lb: above rounding, a receipt
    assert got == [("P1", "past_due", "became past due (5,820 lbs)"), ("P2", "received", "received 1 lbs")]


def test_knit_order_changes_in_words_and_rounding_is_no_change():
    old = day(kos=[("K1", "A/1", 3000.0, "2025-07-28"), ("K2", "A/1", 100.0, None), ("K3", "A/1", 40.0, None)])
    new = day(kos=[("K1", "A/1", 1800.0, "2025-08-04"), ("K2", "A/1", 100.3, None), ("K3", "A/1", 60.0, None)])
    changes = briefing.knit_order_changes(old["knit_orders"], new["knit_orders"])
    got = sorted(zip(changes["knit_order"], changes["what"], strict=True))
    assert got == [("K1", "knitted 1,200 lbs"), ("K1", "rescheduled from 28 Jul 2025 to 4 Aug 2025"),
                   ("K3", "balance up 20 lbs")]  # K2's 0.3 lb is rounding


def test_what_happened_is_never_empty_and_names_a_stock_move():
    # yarn 1 loses 300 lbs on hand: nothing but stock moved; yarn 1 short 500 -> 800
    causes, _ = causes_by_yarn(day(), day(on_hand={1: 700.0, 2: 500.0}))
    assert list(causes) == [1]
    assert causes[1]["stock"] == pytest.approx(300.0)
    assert causes[1]["detail"] == "stock on hand 1,000 → 700 lbs"


def test_the_diffs_shortage_is_the_plans_planning_balance_on_the_apps_view():
    # the planning balance counts every open PO: P1's 1,500 lbs arrive past due (recent) and count this week,
    # which eFab's view leaves out; the diff reads the app's plan (observed pace) and its planning balance
    f = day(pos=[("P1", 1, 1500.0, 0.0, 0.0, 0.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0)])
    f["expected_yarn"].loc[f["expected_yarn"]["po_number"] == "P1", "past_due_lbs"] = 1500.0
    plan = yarn.plan(f, as_of=AS_OF, **yarn.APP_VIEW)
    efab_view = plan["yarn_balance"].set_index("yarn_id")["shortage_lbs"]
    planning = plan["planning_balance"].set_index("yarn_id")["shortage_lbs"]
    assert efab_view[1] != planning[1]  # the two views differ for yarn 1 here
    out = briefing.diff(day(on_hand={1: 5000.0, 2: 500.0}), f, old_as_of=AS_OF, new_as_of=AS_OF)
    new = out["causes"].set_index("yarn_id")["new_shortage_lbs"]
    assert new.get(1, 0.0) == pytest.approx(planning[1])


def test_diff_json_contract_and_identity_after_rounding():
    new = day(kos=[("K1", "A/1", 3000.0, None), ("K2", "B/1", 1200.0, None)], on_hand={1: 999.997, 2: 500.0})
    out = briefing.diff_json(briefing.diff(day(), new, old_as_of=AS_OF, new_as_of=AS_OF))
    assert set(out) == {"knit_orders", "purchase_orders", "shortages", "causes"}
    assert set(out["knit_orders"]) == {"added", "finished", "rescheduled", "balance_changed"}
    assert set(out["purchase_orders"]) == {"added", "closed", "rescheduled"}
    assert out["shortages"] == {"new": [2], "cleared": [], "deeper": 1, "shallower": 0}
    assert [c["yarn_id"] for c in out["causes"]] == [1, 2]
    for c in out["causes"]:
        assert set(c) == {"yarn_id", "shortage_change_lbs", "demand", "receipts", "stock", "other", "kos", "pos"}
        assert c["demand"] + c["receipts"] + c["stock"] + c["other"] == pytest.approx(c["shortage_change_lbs"],
                                                                                   abs=1e-9)
    assert out["causes"][0]["shortage_change_lbs"] == 600.0 and out["causes"][0]["stock"] == 0.0


def test_inputs_are_not_changed():
    old, new = day(), day(kos=[("K1", "A/1", 3000.0, None), ("K2", "B/1", 1200.0, None)])
    copies = {k: v.copy() for k, v in new.items()}
    briefing.diff(old, new, old_as_of=AS_OF, new_as_of=AS_OF)
    for kind, frame in copies.items():
        pd.testing.assert_frame_equal(new[kind], frame)


def test_today_lists_buys_due_this_week_and_reconcile_items():
    f = day(on_hand={1: 1000.0, 2: 500.0, 3: -40.0})
    f["suppliers"] = pd.DataFrame([("S", 3.0, 100.0, False)], columns=["supplier", "lead_time_days", "moq_lbs",
                                                                        "retired"])
    plan = yarn.plan(f, as_of=AS_OF)
    result = briefing.today(plan, as_of=AS_OF)
    # yarn 1 is short from the week of 28 Jul; order-by 25 Jul is past: the plan's buy, flagged expedite
    assert result["buy"][["yarn_id", "action", "order_by_passed"]].values.tolist() == [[1, "buy", True]]
    assert result["buy"]["lbs"].tolist() == pytest.approx([500.0])
    assert result["buy"]["cost_usd"].tolist() == pytest.approx([1000.0])  # 500 lbs at $2
    # the plan also defers P2 (yarn 2 has no demand): a defer is not a thing to do today
    assert "defer" in set(plan["actions"]["action"]) and "defer" not in set(result["buy"]["action"])
    assert result["reconcile"][["yarn_id", "action", "lbs"]].values.tolist() == [[3, "reconcile", 40.0]]
    # one definition per count: the passed buy is not an expedite (the plan has no PO to pull in)
    assert result["counts"] == {"buy": 0, "buys_past_order_by": 1, "expedite": 0, "chase": 0, "reconcile": 1,
                                "late_kos": 0, "no_date_kos": 0, "hot_spots": 0}
    assert result["counts"]["expedite"] == plan["summary"]["expedites"]
    assert result["counts"]["buys_past_order_by"] == plan["summary"]["buys_past_order_by"]


def test_today_reads_the_plans_actions_frame_and_keeps_what_is_due_this_week():
    """As-of Thu 31 Jul 2025: the week ends Sun 3 Aug. Hand-written actions, the plan's columns."""
    t = pd.Timestamp
    actions = pd.DataFrame([
        # yarn, action, po, lbs, need_week, order_by, expedite, cost
        (10, "buy", None, 100.0, t("2025-08-11"), t("2025-08-01"), False, 200.0),   # due Fri this week
        (11, "buy", None, 200.0, t("2025-09-01"), t("2025-08-04"), False, 400.0),   # due next Monday: not today
        (12, "buy", None, 300.0, t("2025-08-04"), t("2025-07-20"), True, 600.0),    # order-by passed
        (13, "expedite", "P9", 50.0, t("2025-08-18"), pd.NaT, True, 100.0),         # PO arrives late: call now
        (14, "defer", "P8", 70.0, pd.NaT, pd.NaT, False, 140.0),                    # never today
        (15, "reconcile", None, 40.0, pd.NaT, pd.NaT, False, np.nan),
    ], columns=["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "expedite", "cost_usd"])
    actions["reason"] = "r"
    actions["supplier"] = "S"
    result = briefing.today({"actions": actions}, as_of=AS_OF)
    # passed buys first, then the expedite (no order-by: due now), then this week's buys
    assert result["buy"][["yarn_id", "action"]].values.tolist() == [[12, "buy"], [13, "expedite"], [10, "buy"]]
    assert result["buy"]["po_number"].tolist()[1] == "P9"
    assert result["reconcile"]["yarn_id"].tolist() == [15]
    assert result["counts"] == {"buy": 1, "buys_past_order_by": 1, "expedite": 1, "chase": 0, "reconcile": 1,
                                "late_kos": 0, "no_date_kos": 0, "hot_spots": 0}
    # the expedite's PO value and the defer's are no spend: blank; the buys keep theirs
    assert result["buy"]["cost_usd"].isna().tolist() == [False, True, False]
    assert list(result["buy"].columns) == briefing.ACTION_VIEW


def test_cause_detail_says_what_happened_to_each_ko_and_po():
    new = day(kos=[("K2", "A/1", 2600.0, None)],
              pos=[("P1", 1, 1500.0, 0.0, 0.0, 1500.0), ("P2", 2, 200.0, 0.0, 200.0, 0.0)])
    result = briefing.diff(day(), new, old_as_of=AS_OF, new_as_of=AS_OF)
    causes = result["causes"].set_index("yarn_id")
    # K1 (3000) finished, K2 (2600) added: 1000 - 2600 + 1500 = -100, demand -400; then P1 leaves this week:
    # 1000 - 2600 = -1600, receipts +1500
    assert causes.loc[1, "demand"] == pytest.approx(-400.0) and causes.loc[1, "receipts"] == pytest.approx(1500.0)
    assert causes.loc[1, "detail"] == "K1 finished (3,000 lbs were open); K2 added (2,600 lbs); P1 rescheduled"


@pytest.mark.parametrize("seed", range(6))
def test_identity_and_end_points_on_random_pairs(seed):
    # oracle: the old and new shortage of every cause row are the two days' own plans,
    # and the four parts add up to the change
    rng = np.random.default_rng(seed)

    def random_day():
        kos = [(f"K{i}", str(rng.choice(["A/1", "B/1"])), float(rng.integers(100, 3000)),
                str(rng.choice(["", "2025-08-05", "2025-08-12"])) or None) for i in range(rng.integers(1, 5))]
        pos = [(f"P{i}", int(rng.integers(1, 3)), 0.0, *(float(x) for x in rng.integers(0, 800, 3)))
               for i in range(rng.integers(0, 4))]
        pos = [(p, y, a + b + c, a, b, c) for p, y, _, a, b, c in pos]
        f = rng.random()
        bom = [("A/1", 1, f), ("A/1", 2, 1 - f), ("B/1", 1, 0.5), ("B/1", 2, 0.5)] if f < 0.98 else None
        return day(kos=kos, pos=pos, bom=bom, on_hand={1: float(rng.integers(-200, 2000)),
                                                     2: float(rng.integers(0, 2000))})

    old, new = random_day(), random_day()
    new_as_of = date(2025, 8, int(rng.choice([1, 4, 7])))
    causes = briefing.diff(old, new, old_as_of=AS_OF, new_as_of=new_as_of)["causes"].set_index("yarn_id")
    # (the plan's yarn_balance: yarn.by_yarn_table copies its shortage_lbs but fails when no yarn is short)
    before = yarn.plan(old, as_of=AS_OF)["yarn_balance"].set_index("yarn_id")["shortage_lbs"]
    after = yarn.plan(new, as_of=new_as_of)["yarn_balance"].set_index("yarn_id")["shortage_lbs"]
    for yarn_id in sorted(set(before.index) | set(after.index)):
        change = after.get(yarn_id, 0.0) - before.get(yarn_id, 0.0)
        if abs(change) <= briefing.CHANGE_LBS:
            assert yarn_id not in causes.index
            continue
        row = causes.loc[yarn_id]
        assert row["shortage_change_lbs"] == pytest.approx(change, abs=1e-9)
        assert row["demand"] + row["receipts"] + row["stock"] + row["other"] == pytest.approx(change, abs=1e-9)


def test_the_manager_runs_a_two_snapshot_operation_and_caches_it_per_pair(tmp_path):
    from bk.ingest.snapshot import SnapshotStore
    from bk.optimization.cache import ResultCache
    from bk.optimization.manager import ServiceManager
    from tests.conftest import DEMO

    store = SnapshotStore(tmp_path / "store")
    files = {p.name: p.read_bytes() for p in DEMO.iterdir()}
    first = store.save(list(files.items()), as_of=date(2025, 8, 21))
    second = store.save(list(files.items()), as_of=date(2025, 8, 28))
    loaded = []

    def loader(snapshot_id):
        loaded.append(snapshot_id)
        return store.load(snapshot_id)

    manager = ServiceManager(cache=ResultCache(tmp_path / "cache"), snapshot_loader=loader)
    later = store.load(second.snapshot_id)
    result = manager.run("briefing.diff", later, earlier_snapshot_id=first.snapshot_id)
    assert result["summary"]["old_as_of"] == "2025-08-21" and result["summary"]["new_as_of"] == "2025-08-28"
    assert loaded == [first.snapshot_id]
    again = manager.run("briefing.diff", later, earlier_snapshot_id=first.snapshot_id)
    pd.testing.assert_frame_equal(again["causes"].drop(columns=["kos", "pos"]),
                                  result["causes"].drop(columns=["kos", "pos"]))
    assert manager.cache.stats_dict()["briefing.diff"]["hits"] == 1
    # against itself: another pair, another cache entry, nothing changed
    same = manager.run("briefing.diff", later, earlier_snapshot_id=second.snapshot_id)
    assert same["causes"].empty and manager.cache.stats_dict()["briefing.diff"]["misses"] == 2
