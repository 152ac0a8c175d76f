"""Inventory analyzer on hand-made frames with the answers written out."""

from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.errors import MissingDataError
from bk.services import inventory

AS_OF = date(2025, 8, 28)
FOUR_WEEKS_AGO = "2025-07-31"  # 28 days before AS_OF


def object_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of the generic object dtype (mixed types that parquet and the cache cannot hold reliably)."""
    return [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]


def inv(rows):
    """yarn_inventory rows: (yarn_id, supplier, on hand, allocated, on order, planning, cost, consumed, reconcile)."""
    cols = ["yarn_id", "supplier", "theoretical_balance_lbs", "allocated_lbs", "on_order_lbs",
            "planning_balance_lbs", "cost_per_lb", "consumed_lbs", "reconcile_date"]
    f = pd.DataFrame(rows, columns=cols)
    f["reconcile_date"] = pd.to_datetime(f["reconcile_date"])
    f["description"] = [f"yarn {i}" for i in f["yarn_id"]]
    f["color"] = "Natural"
    return f.astype({"yarn_id": "Int64", "supplier": "category"})


def suppliers(rows):
    return pd.DataFrame(rows, columns=["supplier", "lead_time_days", "retired"]).astype({"supplier": "string"})


# ------------------------------------------------------------------------------------------------- ABC


def test_abc_cutoffs_the_item_crossing_80_percent_is_a():
    values = pd.Series([50.0, 30.0, 10.0, 6.0, 4.0, 0.0], index=list("abcdef"))
    # share held by the items before each: 0, 50, 80, 90, 96 %; 'b' ends exactly at 80 % -> A,
    # 'c' starts at 80 % -> B, 'd' crosses 95 % -> B, 'e' starts at 96 % -> C; no consumption -> C
    assert inventory.abc_classes(values).tolist() == ["A", "A", "B", "B", "C", "C"]


def test_abc_the_item_crossing_80_percent_is_a_and_order_of_input_does_not_matter():
    values = pd.Series([5.0, 25.0, 60.0, 10.0], index=[1, 2, 3, 4])
    # ranked 60, 25, 10, 5; shares before: 0, 60, 85, 95 % -> A, A (60 -> 85 crosses 80), B, C (starts at 95)
    assert inventory.abc_classes(values).to_dict() == {1: "C", 2: "A", 3: "A", 4: "B"}


# ------------------------------------------------------------------------------------- usage and cover


def test_weekly_usage_from_consumption_and_infinite_cover_without_usage():
    f = {"yarn_inventory": inv([
        (1, "S", 700.0, 0.0, 0.0, 700.0, 2.0, -700.0, FOUR_WEEKS_AGO),  # 700 lbs / 4 weeks = 175 lbs/week
        (2, "S", 500.0, 0.0, 0.0, 500.0, 2.0, 0.0, FOUR_WEEKS_AGO),  # no consumption, no KOs
        (3, "S", 500.0, 0.0, 0.0, 500.0, 2.0, -100.0, None),  # no reconcile date ('Never')
        (4, "S", -50.0, 0.0, 0.0, -50.0, 2.0, -70.0, FOUR_WEEKS_AGO),  # negative stock: no cover left
    ])}
    pos = inventory.positions(f, as_of=AS_OF).set_index("yarn_id")
    assert pos.loc[1, "weekly_usage_lbs"] == pytest.approx(175.0)
    assert pos.loc[1, "weeks_of_cover"] == pytest.approx(4.0)
    assert pos.loc[1, "usage_source"] == "consumed since reconcile"
    assert pos.loc[2, "weeks_of_cover"] == np.inf and pos.loc[2, "usage_source"] == "none"
    assert pos.loc[3, "weeks_of_cover"] == np.inf
    assert pos.loc[4, "weeks_of_cover"] == 0.0
    assert pos["weeks_of_cover"].dtype == "float64"


def test_usage_falls_back_to_open_ko_demand_over_the_horizon():
    # KO balance 1800 lbs of style 'A /1'; its BOM lists yarn 1 twice (0.3 + 0.2: real lines, summed) -> 900 lbs
    # over a 9-week horizon = 100 lbs/week; the closed KO (balance 0) adds nothing; cover 900 / 100 = 9 weeks
    f = {"yarn_inventory": inv([(1, "S", 900.0, 0.0, 0.0, 900.0, 1.0, 0.0, FOUR_WEEKS_AGO)]),
         "knit_orders": pd.DataFrame({"style": ["A/1", "A/1"], "balance_lbs": [1800.0, 0.0]}),
         "bom": pd.DataFrame({"style": ["A /1", "A/1", "B/1"], "yarn_id": [1, 1, 1],
                              "bom_fraction": [0.3, 0.2, 1.0]}).astype({"style": "category", "yarn_id": "Int64"})}
    pos = inventory.positions(f, as_of=AS_OF, horizon_weeks=9).set_index("yarn_id")
    assert pos.loc[1, "usage_source"] == "open KO demand"
    assert pos.loc[1, "weekly_usage_lbs"] == pytest.approx(100.0)
    assert pos.loc[1, "weeks_of_cover"] == pytest.approx(9.0)
    assert pos.loc[1, "annual_value_usd"] == 0.0  # ABC is by consumption only


# ----------------------------------------------------------------------------- lead time, SS and ROP


def test_safety_stock_and_reorder_point_by_hand_with_the_supplier_lead_time():
    # usage 700 lbs / 4 weeks = 175 lbs/week; σ = 0.5 × 175 = 87.5; lead time 14 days = 2 weeks (supplier list,
    # 'Deca  global' = 'DECA GLOBAL'); z(95 %) = 1.6449
    # SS = 1.6449 × 87.5 × √2 = 1.6449 × 123.744 = 203.54 lbs; ROP = 175 × 2 + 203.54 = 553.54 lbs
    f = {"yarn_inventory": inv([(1, "Deca  global", 700.0, -300.0, 0.0, 400.0, 2.0, -700.0, FOUR_WEEKS_AGO)]),
         "suppliers": suppliers([("DECA GLOBAL", 14.0, False)])}
    pos = inventory.positions(f, as_of=AS_OF, service_level=0.95, demand_cv=0.5).set_index("yarn_id")
    assert pos.loc[1, "lead_time_days"] == 14.0 and not pos.loc[1, "lead_time_defaulted"]
    assert pos.loc[1, "sigma_weekly_lbs"] == pytest.approx(87.5)
    assert pos.loc[1, "safety_stock_lbs"] == pytest.approx(203.54, abs=0.01)
    assert pos.loc[1, "reorder_point_lbs"] == pytest.approx(553.54, abs=0.01)
    assert bool(pos.loc[1, "below_reorder"])  # planning balance 400 < 553.54


def test_lead_time_matching_ignores_case_and_spacing_and_skips_retired_suppliers():
    f = {"yarn_inventory": inv([(1, "unifi", 10.0, 0.0, 0.0, 10.0, 1.0, 0.0, None),
                                (2, "  Old Mill ", 10.0, 0.0, 0.0, 10.0, 1.0, 0.0, None),
                                (3, "Nobody Yarns", 10.0, 0.0, 0.0, 10.0, 1.0, 0.0, None)]),
         "suppliers": suppliers([("UNIFI", 8.0, False), ("OLD MILL", np.nan, True)])}
    pos = inventory.positions(f, as_of=AS_OF, default_lead_time_days=21).set_index("yarn_id")
    assert pos["lead_time_days"].to_dict() == {1: 8.0, 2: 21.0, 3: 21.0}
    assert pos["lead_time_defaulted"].to_dict() == {1: False, 2: True, 3: True}
    assert pos["lead_time_source"].to_dict() == {1: "supplier list", 2: "default: supplier retired",
                                                 3: "default: supplier not in the list"}


def test_sigma_from_ko_demand_buckets():
    # eFab's KO demand for yarn 1 over This Week, week 36, week 37: 100, 0, 200 (two KOs summed: 60 + 40 this
    # week) -> mean 100, sample σ = √((0² + 100² + 100²) / 2) = 100; yarn 2 has no rows -> CV fallback 0.5 × 175
    report = pd.DataFrame({"yarn_id": [1, 1], "this_week_lbs": [60.0, 40.0], "week_36_lbs": [0.0, 0.0],
                           "week_37_lbs": [200.0, 0.0], "later_lbs": [999.0, 0.0]})
    f = {"yarn_inventory": inv([(1, "S", 700.0, 0.0, 0.0, 700.0, 1.0, -700.0, FOUR_WEEKS_AGO),
                                (2, "S", 700.0, 0.0, 0.0, 700.0, 1.0, -700.0, FOUR_WEEKS_AGO)]),
         "yarn_demand_by_style_ko": report}
    pos = inventory.positions(f, as_of=AS_OF, sigma_method="ko_buckets").set_index("yarn_id")
    assert pos.loc[1, "sigma_weekly_lbs"] == pytest.approx(100.0)
    assert pos.loc[2, "sigma_weekly_lbs"] == pytest.approx(87.5)
    assert pos.loc[1, "sigma_source"] == "KO demand weekly buckets"


def test_parameters_out_of_range_are_refused_with_the_parameter_named():
    f = {"yarn_inventory": inv([(1, "S", 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, None)])}
    with pytest.raises(ValueError, match="service_level"):
        inventory.analyze(f, as_of=AS_OF, service_level=1.0)
    with pytest.raises(ValueError, match="horizon_weeks"):
        inventory.analyze(f, as_of=AS_OF, horizon_weeks=0)


# ------------------------------------------------------------------------------ identity and shortages


def test_planning_balance_is_recomputed_adding_allocated_and_a_mismatch_is_a_finding():
    # 100 on hand + (−20 allocated) + 50 on order = 130; the second row's file value 170 is what subtracting
    # the (already negative) allocation would give: a finding
    f = {"yarn_inventory": inv([(1, "S", 100.0, -20.0, 50.0, 130.0, 1.0, 0.0, None),
                                (2, "S", 100.0, -20.0, 50.0, 170.0, 1.0, 0.0, None)])}
    result = inventory.analyze(f, as_of=AS_OF)
    assert result["positions"]["planning_balance_calc_lbs"].tolist() == [130.0, 130.0]
    assert result["positions"]["planning_identity_ok"].tolist() == [True, False]
    findings = result["identity_findings"]
    assert findings["yarn_id"].tolist() == [2] and findings["planning_diff_lbs"].tolist() == [-40.0]
    assert result["summary"]["identity_mismatch_count"] == 1


def test_shortages_now_and_projected_from_the_yarn_plan():
    f = {"yarn_inventory": inv([(1, "S", 100.0, -300.0, 0.0, -200.0, 2.0, 0.0, None),
                                (2, "S", 50.0, 0.0, 0.0, 50.0, 4.0, 0.0, None),
                                (3, "S", 0.0, -10.0, 0.0, -10.0, 1.0, 0.0, None)])}
    projected = pd.DataFrame({"yarn_id": [2, 2, 9], "first_shortage_week": pd.to_datetime(
        ["2025-09-15", "2025-09-08", "2025-09-01"])})
    result = inventory.analyze(f, as_of=AS_OF, projected_shortages=projected)
    assert result["shortages_now"]["yarn_id"].tolist() == [1, 3]  # largest first
    assert result["shortages_now"]["shortage_lbs"].tolist() == [200.0, 10.0]
    assert result["shortages_projected"]["yarn_id"].tolist() == [2]
    assert result["shortages_projected"]["first_shortage_week"].tolist() == [pd.Timestamp("2025-09-08")]
    with pytest.raises(ValueError, match="first_shortage_week"):
        inventory.analyze(f, as_of=AS_OF, projected_shortages=pd.DataFrame({"yarn_id": [1]}))


def test_report_keys_by_hand():
    f = {"yarn_inventory": inv([(1, "S", 100.0, -300.0, 0.0, -200.0, 2.0, 0.0, None),
                                (2, "S", 50.0, 0.0, 0.0, 50.0, 4.0, 0.0, None),
                                (3, "S", 0.0, -10.0, 0.0, -10.0, 1.0, 0.0, None)])}
    keys = inventory.report_keys(f, as_of=AS_OF)
    # shortages: yarns 1 and 3 (200 + 10 lbs); value 100 × 2 + 50 × 4 + 0 = 400; no usage: ROP 0, so only
    # the two negative planning balances are below it
    assert keys == {"yarn_count": 3, "shortage_count": 2, "shortage_lbs": 210.0, "planning_balance_lbs": -160.0,
                    "on_hand_value_usd": 400.0, "below_reorder_count": 2}
    assert all(type(v) in (int, float) for v in keys.values())


# ------------------------------------------------------------------------------------ roll-ups and charts


def test_rollups_yarn_type_from_master_then_expected_yarn_then_unknown():
    f = {"yarn_inventory": inv([(1, "A", 10.0, 0.0, 0.0, 10.0, 1.0, 0.0, None),
                                (2, "A", 20.0, 0.0, 0.0, -5.0, 1.0, 0.0, None),
                                (3, "B", 30.0, 0.0, 0.0, 30.0, 3.0, 0.0, None)]),
         "yarn_master": pd.DataFrame({"yarn_id": [1], "yarn_type": ["Polyester"]}),
         "expected_yarn": pd.DataFrame({"yarn_id": [1, 2], "yarn_type": ["Cotton", "Cotton"]})}
    result = inventory.analyze(f, as_of=AS_OF)
    assert result["positions"]["yarn_type"].tolist() == ["Polyester", "Cotton", "unknown"]
    by_supplier = result["by_supplier"].set_index("supplier")
    assert list(by_supplier.index) == ["B", "A"]  # value 90 before 30
    assert by_supplier.loc["A", "yarns"] == 2 and by_supplier.loc["A", "value_usd"] == 30.0
    assert by_supplier.loc["A", "shortage_count"] == 1 and by_supplier.loc["A", "shortage_lbs"] == 5.0
    assert result["cover_distribution"].set_index("weeks_of_cover").loc["no usage (∞)", "yarns"] == 3


def test_every_frame_is_parquet_serialisable_and_the_input_is_unchanged():
    f = {"yarn_inventory": inv([(1, "A", 700.0, -100.0, 0.0, 600.0, 2.0, -700.0, FOUR_WEEKS_AGO),
                                (2, "B", 20.0, 0.0, 0.0, 20.0, 1.0, 0.0, None)])}
    before = f["yarn_inventory"].copy()
    result = inventory.analyze(f, as_of=AS_OF)
    pd.testing.assert_frame_equal(f["yarn_inventory"], before)
    for key, value in result.items():
        if isinstance(value, pd.DataFrame):
            assert all(isinstance(c, str) for c in value.columns), key
            assert not object_columns(value), (key, object_columns(value))
            value.to_parquet(io.BytesIO())
    assert result["assumptions"]["z"] == 1.6449 and math.isfinite(result["summary"]["on_hand_value_usd"])


def test_repeated_yarn_rows_are_summed_and_noted_and_any_index_works():
    f = {"yarn_inventory": inv([(1, "S", 100.0, -10.0, 0.0, 90.0, 2.0, 0.0, None),
                                (2, "T", 5.0, 0.0, 0.0, 5.0, 1.0, 0.0, None),
                                (1, "S", 50.0, 0.0, 20.0, 70.0, 2.0, 0.0, None)]).set_axis([7, 3, 5])}
    result = inventory.analyze(f, as_of=AS_OF)
    pos = result["positions"].set_index("yarn_id")
    assert list(pos.index) == [1, 2]
    assert pos.loc[1, ["on_hand_lbs", "allocated_lbs", "on_order_lbs", "planning_balance_lbs"]].tolist() == [
        150.0, -10.0, 20.0, 160.0]
    assert pos["supplier"].tolist() == ["S", "T"] and pos.loc[1, "value_usd"] == 300.0
    assert any("summed" in n for n in result["notes"])


def test_missing_yarn_inventory_names_the_export_and_says_to_upload_it():
    with pytest.raises(MissingDataError, match=r"yarn_inventory.*upload"):
        inventory.analyze({}, as_of=AS_OF)


def test_service_z_is_the_standard_normal_quantile_from_the_tables():
    from bk.services.inventory import service_z

    # textbook z values (standard normal table), 4 decimals
    for level, z in ((0.80, 0.8416), (0.90, 1.2816), (0.95, 1.6449), (0.975, 1.9600), (0.99, 2.3263),
                     (0.995, 2.5758), (0.5, 0.0)):
        assert round(service_z(level), 4) == z
