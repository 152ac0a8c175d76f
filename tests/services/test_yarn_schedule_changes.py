"""schedule_changes / plan_change / picker_yarns on hand-made plan results: the expected answers written out."""

from __future__ import annotations

import pandas as pd
import pytest

from bk.services.yarn import picker_yarns, plan_change, schedule_changes

LABELS = ["week_of_2025-08-25", "week_of_2025-09-01", "week_of_2025-09-08", "later"]
STARTS = pd.to_datetime(["2025-08-25", "2025-09-01", "2025-09-08", "2025-09-15"])


def result(kos_rows, buys, *, buy_lbs=0.0, buy_usd=0.0, labels=LABELS):
    kos = pd.DataFrame(kos_rows, columns=["knit_order", "style", "balance_lbs", *labels])
    shortages = pd.DataFrame(buys, columns=["yarn_id", "description", "supplier", "first_shortage_week",
                                            "shortage_lbs", "suggested_order_lbs", "order_cost_usd"])
    return {"buckets": pd.DataFrame({"bucket": labels, "bucket_start": STARTS[: len(labels)]}), "kos": kos,
            "shortages": shortages, "summary": {"buy_lbs": buy_lbs, "buy_usd": buy_usd}}


def test_schedule_changes_lists_kos_moved_a_week_or_more_and_shortages_that_appear_or_vanish():
    efab = result([["K1", "A/0", 100.0, 100, 0, 0, 0],      # all in week 0
                   ["K2", "B/1", 60.0, 30, 30, 0, 0],       # mean week 0.5
                   ["K3", "C/0", 10.0, 0, 10, 0, 0]],       # week 1
                  [[1, "one", "S1", STARTS[1], 50.0, 100.0, 300.0],
                   [2, "two", "S2", STARTS[2], 5.0, 10.0, 20.0]])
    machines = result([["K1", "A/0", 100.0, 0, 0, 100, 0],  # week 2: moves +2
                       ["K2", "B/1", 60.0, 0, 60, 0, 0],    # week 1: moves 0.5 only
                       ["K3", "C/0", 10.0, 0, 0, 0, 10]],   # later = week 3: moves +2
                      [[1, "one", "S1", STARTS[2], 40.0, 100.0, 300.0],
                       [3, "three", "S3", STARTS[3], 7.0, 7.0, 14.0]])
    out = schedule_changes(efab, machines)
    moves = out["moves"]
    assert list(moves["knit_order"]) == ["K1", "K3"]
    assert list(moves["style"]) == ["A/0", "C/0"] and list(moves["balance_lbs"]) == [100.0, 10.0]
    assert list(moves["shift_weeks"]) == [2.0, 2.0]
    assert list(moves["efab_first_week"]) == [STARTS[0], STARTS[1]]
    assert list(moves["other_first_week"]) == [STARTS[2], STARTS[3]]
    assert list(out["appear"]["yarn_id"]) == [3] and list(out["appear"]["shortage_lbs"]) == [7.0]
    assert list(out["vanish"]["yarn_id"]) == [2] and list(out["vanish"]["shortage_lbs"]) == [5.0]
    assert len(efab["kos"]) == 3 and "efab_first_week" not in efab["kos"]  # inputs untouched


def test_schedule_changes_refuses_plans_of_different_weeks():
    a = result([], [])
    b = result([], [], labels=LABELS[:3])
    with pytest.raises(ValueError, match="different week buckets"):
        schedule_changes(a, b)


def test_plan_change_gives_before_after_totals_and_the_yarns_whose_buy_changed():
    before = result([], [[1, "one", "S1", STARTS[1], 50.0, 100.0, 300.0],
                         [2, "two", "S2", STARTS[2], 5.0, 10.0, 20.0]], buy_lbs=110.0, buy_usd=320.0)
    after = result([], [[1, "one", "S1", STARTS[1], 50.0, 100.0, 300.0],   # unchanged: not listed
                        [2, "two", "S2", STARTS[2], 25.0, 30.0, 60.0],      # +20 lbs
                        [4, "four", "S4", STARTS[0], 80.0, 80.0, 160.0]],   # new: +80 lbs
                   buy_lbs=210.0, buy_usd=520.0)
    change = plan_change(before, after)
    totals = change["totals"].set_index("measure")
    assert totals.loc["Yarns short in the horizon", ["before", "after", "change"]].tolist() == [2.0, 3.0, 1.0]
    assert totals.loc["Buy (lbs)", ["before", "after", "change"]].tolist() == [110.0, 210.0, 100.0]
    assert totals.loc["Buy ($)", ["before", "after", "change"]].tolist() == [320.0, 520.0, 200.0]
    yarns = change["yarns"]
    assert list(yarns["yarn_id"]) == [4, 2]
    assert list(yarns["before_lbs"]) == [0.0, 10.0] and list(yarns["after_lbs"]) == [80.0, 30.0]
    assert list(yarns["after_usd"]) == [160.0, 60.0] and list(yarns["description"]) == ["four", "two"]


def test_picker_yarns_carries_description_supplier_and_colour_actions_first():
    plan = {"actions": pd.DataFrame({"yarn_id": [30, 30]}),
            "projected_balance": pd.DataFrame({"yarn_id": [10, 10, 30, 20]}),
            "yarn_terms": pd.DataFrame({"yarn_id": [10, 20, 30], "description": ["cotton", None, "kevlar"],
                                        "supplier": ["S1", "S2", "S3"]})}
    inventory = pd.DataFrame({"yarn_id": [20, 30], "description": ["nylon", "kevlar 2"], "color": ["Black", "Red"]})
    out = picker_yarns(plan, inventory)
    assert list(out["yarn_id"]) == [30, 10, 20]
    assert list(out["description"]) == ["kevlar", "cotton", "nylon"]  # the plan's name, else the inventory's
    assert out["color"].tolist()[0] == "Red" and pd.isna(out["color"].tolist()[1])
    assert list(out["has_action"]) == [True, False, False]
