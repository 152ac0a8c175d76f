"""Inventory analyzer on hand-made frames with the answers written out."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import inventory

AS_OF = date(2025, 8, 28)


def inv(rows):
    cols = ["yarn_id", "supplier", "description", "color", "theoretical_balance_lbs", "allocated_lbs", "on_order_lbs",
            "planning_balance_lbs", "cost_per_lb", "consumed_lbs", "reconcile_date"]
    f = pd.DataFrame(rows, columns=cols)
    f["reconcile_date"] = pd.to_datetime(f["reconcile_date"])
    return f.astype({"yarn_id": "Int64", "supplier": "string"})


def test_abc_cutoffs_the_item_crossing_80_percent_is_a():
    values = pd.Series([50.0, 30.0, 10.0, 6.0, 4.0, 0.0], index=list("abcdef"))
    # shares before each item: 0, 50, 80, 90, 96 -> A, A, B, B, C; no consumption -> C
    assert inventory.abc_classes(values).tolist() == ["A", "A", "B", "B", "C", "C"]


def test_weeks_of_cover_usage_and_zero_usage_is_infinite():
    f = {"yarn_inventory": inv([
        (1, "S", "d", "c", 700.0, 0.0, 0.0, 700.0, 2.0, -700.0, "2025-07-31"),  # 4 weeks -> 175 lbs/week
        (2, "S", "d", "c", 500.0, 0.0, 0.0, 500.0, 2.0, 0.0, "2025-07-31"),
        (3, "S", "d", "c", 500.0, 0.0, 0.0, 500.0, 2.0, -100.0, None),  # 'Never': no usage known
    ])}
    pos = inventory.positions(f, as_of=AS_OF).set_index("yarn_id")
    assert pos.loc[1, "weekly_usage_lbs"] == 175 and pos.loc[1, "weeks_of_cover"] == 4
    assert np.isinf(pos.loc[2, "weeks_of_cover"]) and pos.loc[2, "usage_source"] == "no usage"
    assert np.isinf(pos.loc[3, "weeks_of_cover"])


def test_usage_falls_back_to_open_ko_demand_over_the_horizon():
    f = {"yarn_inventory": inv([(1, "S", "d", "c", 900.0, 0.0, 0.0, 900.0, 1.0, 0.0, None)]),
         "knit_orders": pd.DataFrame({"style": ["A/1"], "balance_lbs": [1800.0]}).astype({"style": "string"}),
         "bom": pd.DataFrame({"style": ["A/1"], "yarn_id": [1], "bom_fraction": [0.5]}).astype(
             {"style": "string", "yarn_id": "Int64"})}
    pos = inventory.positions(f, as_of=AS_OF, horizon_weeks=9).set_index("yarn_id")
    assert pos.loc[1, "usage_source"] == "open KO demand"
    assert pos.loc[1, "weekly_usage_lbs"] == pytest.approx(100.0)  # 1800 × 0.5 / 9
    assert pos.loc[1, "weeks_of_cover"] == pytest.approx(9.0)


def test_safety_stock_and_reorder_point_by_hand():
    # usage 700/4 = 175 lbs/week, σ = 0.5 × 175 = 87.5; lead time 14 days = 2 weeks; z(95 %) = 1.6449
    # SS = 1.6449 × 87.5 × √2 = 203.54; ROP = 175 × 2 + 203.54 = 553.54
    f = {"yarn_inventory": inv([(1, "Deca Global", "d", "c", 700.0, -300.0, 0.0, 400.0, 2.0, -700.0,
                                 "2025-07-31")]),
         "suppliers": pd.DataFrame({"supplier": ["DECA GLOBAL"], "lead_time_days": [14.0], "moq_lbs": [2500.0],
                                    "retired": [False]})}
    pos = inventory.positions(f, as_of=AS_OF, service_level=0.95).set_index("yarn_id")
    assert pos.loc[1, "lead_time_source"] == "supplier list"
    assert pos.loc[1, "safety_stock_lbs"] == pytest.approx(203.54, abs=0.01)
    assert pos.loc[1, "reorder_point_lbs"] == pytest.approx(553.54, abs=0.01)
    assert bool(pos.loc[1, "below_reorder"]) is True  # planning balance 400 < 553.54


def test_planning_balance_identity_is_recomputed_and_checked():
    f = {"yarn_inventory": inv([(1, "S", "d", "c", 100.0, -20.0, 50.0, 130.0, 1.0, 0.0, None),
                                (2, "S", "d", "c", 100.0, -20.0, 50.0, 170.0, 1.0, 0.0, None)])}
    result = inventory.analyze(f, as_of=AS_OF)
    assert result["positions"]["planning_balance_calc_lbs"].tolist() == [130.0, 130.0]
    assert result["identity_findings"]["yarn_id"].tolist() == [2]


def test_report_keys_by_hand():
    f = {"yarn_inventory": inv([(1, "S", "d", "c", 100.0, -300.0, 0.0, -200.0, 2.0, 0.0, None),
                                (2, "S", "d", "c", 50.0, 0.0, 0.0, 50.0, 4.0, 0.0, None),
                                (3, "S", "d", "c", 0.0, -10.0, 0.0, -10.0, 1.0, 0.0, None)])}
    assert inventory.report_keys(f, as_of=AS_OF) == {
        "yarn_count": 3, "shortage_count": 2, "shortage_lbs": 210.0, "planning_balance_lbs": -160.0,
        "on_hand_value_usd": 400.0, "below_reorder_count": 0}


def test_snapshot_diff():
    before = {"yarn_inventory": inv([(1, "S", "d", "c", 0, 0, 100.0, 100.0, 1, 0, None),
                                     (2, "S", "d", "c", 0, 0, 0.0, -50.0, 1, 0, None),
                                     (3, "S", "d", "c", 0, 0, 500.0, 500.0, 1, 0, None),
                                     (4, "S", "d", "c", 0, 0, 0.0, 7.0, 1, 0, None)])}
    now = {"yarn_inventory": inv([(1, "S", "d", "c", 0, 0, 100.0, -25.0, 1, 0, None),
                                  (2, "S", "d", "c", 0, 0, 0.0, 10.0, 1, 0, None),
                                  (3, "S", "d", "c", 0, 0, 200.0, 200.0, 1, 0, None),
                                  (5, "S", "d", "c", 0, 0, 300.0, 300.0, 1, 0, None)])}
    d = inventory.diff(before, now)
    assert d["new_shortages"]["yarn_id"].tolist() == [1]
    assert d["cleared_shortages"]["yarn_id"].tolist() == [2]
    assert d["po_received"]["yarn_id"].tolist() == [3] and d["po_slipped"].empty
    assert d["added"]["yarn_id"].tolist() == [5] and d["gone"]["yarn_id"].tolist() == [4]
    assert d["biggest_moves"]["yarn_id"].tolist()[0] == 3  # -300
