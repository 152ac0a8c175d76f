"""Fabric pipeline (stage WIP, aging) and sales-order netting on hand-made frames with the answers written out."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.errors import MissingDataError
from bk.services import pipeline

AS_OF = date(2025, 8, 28)


def object_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of the generic object dtype (mixed types that parquet and the cache cannot hold reliably)."""
    return [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]


def so(rows, on_hold=None):
    """sales_orders rows: (SO #, status, quoted date, cFVersion, fBase, uom, balance)."""
    f = pd.DataFrame(rows, columns=["sales_order", "status", "quoted_date", "sales_style", "finished_style", "uom",
                                    "balance_qty"])
    f["quoted_date"] = pd.to_datetime(f["quoted_date"])
    if on_hold is not None:
        f["on_hold"] = pd.array(on_hold, dtype="boolean")
    return f.astype({"status": "category", "uom": "category", "sales_order": "string"})


def finished_rolls(rows):
    """F01/I01 rolls: (finished style, yds, lbs)."""
    return pd.DataFrame(rows, columns=["finished_style", "qty_yds", "qty_lbs"]).astype({"finished_style": "category"})


def greige_rolls(rows):
    """G00 rolls: (greige style, lbs)."""
    return pd.DataFrame(rows, columns=["style", "qty_lbs"]).astype({"style": "category"})


def styles(rows):
    """eFab_Styles rows: (fstyle, cf_base, greige style, created)."""
    f = pd.DataFrame(rows, columns=["fstyle", "cf_base", "style", "created_date"])
    f["created_date"] = pd.to_datetime(f["created_date"])
    return f


def orders_of(frames, **kw):
    return pipeline.net_sales_orders(frames, as_of=AS_OF, **kw)["orders"].set_index("sales_order")


# ------------------------------------------------------------------------------------------- netting


def test_earliest_quoted_order_is_served_first_and_stock_is_not_counted_twice():
    # one F01 pool of 400 yds (200 lbs: 2 yds/lb) for two open orders of 300 yds; S9 is quoted earlier
    f = {"sales_orders": so([("S1", "Open", "2025-09-20", "A-1", "A-1/0", "yds", 300.0),
                             ("S9", "Open", "2025-09-10", "A-1", "A-1/0", "yds", 300.0),
                             ("S3", "Closed", "2025-09-01", "A-1", "A-1/0", "yds", 999.0),
                             ("S4", "Open", "2025-09-01", "A-1", "A-1/0", "yds", -20.0)]),
         "stage_f01": finished_rolls([("A-1/0", 250.0, 125.0), ("A-1/0", 150.0, 75.0)])}
    orders = orders_of(f)
    assert list(orders.index) == ["S9", "S1"]  # closed and over-shipped orders are not open
    assert orders.loc["S9", "covered_f01_yds"] == 300 and orders.loc["S9", "uncovered_yds"] == 0
    assert orders.loc["S1", "covered_f01_yds"] == 100 and orders.loc["S1", "uncovered_yds"] == 200
    assert orders.loc["S1", "coverage_pct"] == pytest.approx(100 / 3)
    assert orders.loc["S1", "uncovered_lbs"] == 100  # the style's own 400 yds / 200 lbs = 2 yds/lb
    assert orders["covered_f01_yds"].sum() == 400  # the pool, once


def test_ties_on_quoted_date_go_by_so_number_and_orders_without_a_date_come_last():
    f = {"sales_orders": so([("S9", "Open", None, "A-1", "A-1/0", "yds", 50.0),
                             ("S7", "Open", "2025-09-10", "A-1", "A-1/0", "yds", 50.0),
                             ("S5", "open ", "2025-09-10", "A-1", "A-1/0", "yds", 50.0)]),
         "stage_f01": finished_rolls([("A-1/0", 60.0, 30.0)])}
    orders = orders_of(f)
    assert list(orders.index) == ["S5", "S7", "S9"]
    assert orders["covered_f01_yds"].tolist() == [50.0, 10.0, 0.0]


def test_stage_order_f01_i01_g02_g00_then_knit_orders():
    # 2 yds/lb from the style's rolls (F01 100 yds / 50 lbs, I01 100 / 50). Pools in yds: F01 100, I01 100,
    # G02 100 (50 lbs), G00 200 (100 lbs of greige A/1, via eFab_Styles), open KO 400 (200 lbs; the closed
    # KO adds nothing). Orders in date order, each taking what the earlier ones left:
    # S1 150 = F01 100 + I01 50; S2 150 = I01 50 + G02 100; S3 300 = G00 200 + KO 100;
    # S4 400 = KO 300, 100 yds (50 lbs) uncovered
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "A-1", "A-1/0", "yds", 150.0),
                             ("S2", "Open", "2025-09-02", "A-1", "A-1/0", "yds", 150.0),
                             ("S3", "Open", "2025-09-03", "A-1", "A-1/0", "yds", 300.0),
                             ("S4", "Open", "2025-09-04", "A-1", "A-1/0", "yds", 400.0)]),
         "stage_f01": finished_rolls([("A-1/0", 100.0, 50.0)]),
         "stage_i01": finished_rolls([("A-1/0", 100.0, 50.0)]),
         "stage_g02": pd.DataFrame({"finished_style": ["A-1/0", "B-1/0"], "style": ["A/1", "A/1"],
                                    "qty_lbs": [50.0, 500.0]}),
         "stage_g00": greige_rolls([("A/1", 100.0)]),
         "knit_orders": pd.DataFrame({"style": ["A/1", "A/1"], "balance_lbs": [200.0, 0.0]}),
         "styles": styles([("A-1", "A", "A/1", "2024-01-01")])}
    orders = orders_of(f)
    covered = orders[[f"covered_{s}_yds" for s in ("f01", "i01", "g02", "g00", "ko")]]
    assert covered.values.tolist() == [[100, 50, 0, 0, 0], [0, 50, 100, 0, 0], [0, 0, 0, 200, 100],
                                       [0, 0, 0, 0, 300]]
    assert orders["uncovered_yds"].tolist() == [0, 0, 0, 100] and orders.loc["S4", "uncovered_lbs"] == 50
    assert orders.loc["S4", "greige_style"] == "A/1" and orders.loc["S4", "greige_lookup"] == "eFab_Styles fStyle"


def test_greige_pools_serve_styles_that_extend_the_greige_style_but_not_another_version():
    # eFab_Styles says A-1 -> A/1; knit orders carry A/1AT (served) and A/10 (another version, not served)
    f = {"sales_orders": so([("S1", "Open", "2025-09-10", "A-1", "A-1/0", "lbs", 300.0)]),
         "knit_orders": pd.DataFrame({"style": ["A/10", "A/1AT"], "balance_lbs": [1000.0, 100.0]}),
         "styles": styles([("A-1", "A", "A/1", "2024-01-01")]),
         "stage_f01": finished_rolls([("A-1/0", 20.0, 10.0)])}
    row = orders_of(f).loc["S1"]
    assert row["covered_ko_yds"] == 200  # 100 lbs × 2 yds/lb
    assert row["greige_pool_styles"] == "A/1AT"


def test_greige_lookup_newest_row_then_base_then_base_prefix_and_greige_orders():
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "X-1", "X-1/0", "yds", 1.0),  # fStyle, newest row
                             ("S2", "Open", "2025-09-02", "99", "Y-7/0", "yds", 1.0),  # base Y -> cFBase
                             ("S3", "Open", "2025-09-03", "ZZZZ9A-2", "ZZZZ9A-2/0", "yds", 1.0),  # base prefix
                             ("S4", "Open", "2025-09-04", "W W-1", "W W-1/0", "yds", 1.0),  # without spaces
                             ("S5", "Open", "2025-09-05", "(Greige) G/5", "N/A", "lbs", 1.0)]),
         "styles": styles([("X-1", "X", "X/old", "2020-01-01"), ("X-1", "X", "X/1", "2024-01-01"),
                           ("Y-3", "Y", "Y/3", "2023-01-01"), ("Q-1", "ZZZZ9", "ZZZZ9/1", "2023-01-01"),
                           ("WW-1", "WW", "WW/1", "2023-01-01")])}
    orders = orders_of(f)
    assert orders["greige_style"].tolist() == ["X/1", "Y/3", "ZZZZ9/1", "WW/1", "G/5"]
    assert orders["greige_lookup"].tolist() == [
        "eFab_Styles fStyle", "eFab_Styles cFBase", "eFab_Styles cFBase (base prefix)",
        "eFab_Styles fStyle (without spaces)", "greige style named in the order"]
    assert pd.isna(orders.loc["S5", "finished_style"])


def test_lbs_order_uses_the_style_own_yds_per_lb_and_the_median_fallback_is_flagged():
    # rolls: B 30 yds / 10 lbs = 3, C 10 / 10 = 1, D 20 / 10 = 2 yds/lb -> median 2 for style E (no rolls)
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "E-1", "E-1/0", "lbs", 10.0),
                             ("S2", "Open", "2025-09-02", "B-1", "B-1/0", "lbs", 10.0)]),
         "stage_f01": finished_rolls([("B-1/0", 30.0, 10.0), ("C-1/0", 10.0, 10.0), ("D-1/0", 20.0, 10.0)])}
    orders = orders_of(f)
    assert orders.loc["S1", "balance_yds"] == 20 and orders.loc["S1", "balance_lbs"] == 10
    assert orders.loc["S1", "median_yds_per_lb"] and "median" in orders.loc["S1", "note"]
    assert orders.loc["S1", "yds_per_lb_source"] == "median of all styles"
    assert orders.loc["S2", "balance_yds"] == 30 and not orders.loc["S2", "median_yds_per_lb"]
    assert orders.loc["S2", "covered_f01_yds"] == 30  # B's own 30 yds
    assert pipeline.net_sales_orders(f, as_of=AS_OF)["summary"]["median_yds_per_lb_used"] == 1


def test_fabric_spec_comes_before_the_median_and_can_be_switched_off():
    # QuadS: E-1/0 weighs 0.25 lbs per yd -> 4 yds/lb
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "E-1", "E-1/0", "lbs", 10.0)]),
         "stage_f01": finished_rolls([("B-1/0", 30.0, 10.0)]),
         "finished_styles": pd.DataFrame({"finished_style": ["E-1/0"], "lbs_per_yd": [0.25]})}
    assert orders_of(f).loc["S1", "balance_yds"] == 40
    assert orders_of(f).loc["S1", "yds_per_lb_source"] == "QuadS finished spec"
    assert orders_of(f, use_fabric_spec=False).loc["S1", "balance_yds"] == 30  # the median (only B: 3 yds/lb)


def test_kg_converts_to_lbs_and_other_uoms_are_not_nettable():
    f = {"sales_orders": so([("S2", "Open", "2025-09-02", "B-1", "B-1/0", "kg", 10.0),
                             ("S3", "Open", "2025-09-03", "B-1", "B-1/0", "panels", 5.0)]),
         "stage_f01": finished_rolls([("B-1/0", 30.0, 10.0)])}
    result = pipeline.net_sales_orders(f, as_of=AS_OF)
    orders = result["orders"].set_index("sales_order")
    assert orders.loc["S2", "balance_lbs"] == pytest.approx(22.0462)  # 10 kg × 2.20462
    assert orders.loc["S2", "balance_yds"] == pytest.approx(66.1386)  # × 3 yds/lb
    assert orders.loc["S2", "covered_f01_yds"] == 30 and orders.loc["S2", "uncovered_yds"] == pytest.approx(36.1386)
    assert not orders.loc["S3", "nettable"] and pd.isna(orders.loc["S3", "balance_yds"])
    assert "cannot be netted" in orders.loc["S3", "note"]
    summary = result["summary"]
    assert (summary["open_so_count"], summary["not_nettable"], summary["nettable_count"]) == (2, 1, 1)
    assert summary["so_balance_yds"] == pytest.approx(66.1386)


def test_on_hold_is_carried_as_a_boolean_and_never_as_html():
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "B-1", "B-1/0", "yds", 5.0),
                             ("S2", "Open", "2025-09-02", "B-1", "B-1/0", "yds", 5.0)], on_hold=[True, False])}
    result = pipeline.net_sales_orders(f, as_of=AS_OF)
    assert result["orders"]["on_hold"].tolist() == [True, False]
    assert result["orders"]["on_hold"].dtype == "boolean"
    assert result["summary"]["on_hold_count"] == 1


def test_netting_frames_are_parquet_serialisable_and_the_input_is_unchanged():
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "B-1", "B-1/0", "yds", 5.0),
                             ("S3", "Open", None, "B-1", "B-1/0", "panels", 5.0)]),
         "stage_f01": finished_rolls([("B-1/0", 30.0, 10.0)])}
    before = {k: v.copy() for k, v in f.items()}
    result = pipeline.net_sales_orders(f, as_of=AS_OF)
    for k in f:
        pd.testing.assert_frame_equal(f[k], before[k])
    for key in ("orders", "by_style"):
        assert not object_columns(result[key]), (key, object_columns(result[key]))
        result[key].to_parquet(io.BytesIO())


def test_missing_sales_orders_names_the_export():
    with pytest.raises(MissingDataError, match=r"eFab_SO_List.*upload"):
        pipeline.net_sales_orders({}, as_of=AS_OF)
    with pytest.raises(MissingDataError, match="upload"):
        pipeline.pipeline({}, as_of=AS_OF)


# ------------------------------------------------------------------------------------------------ WIP


def test_stage_wip_totals_age_bucket_edges_and_aged_value_from_yarn_content():
    # ages on 2025-08-28: 30, 31, 365, 366 days, no date; aging threshold 90 days
    g00 = pd.DataFrame({"style": ["A/1", "A/1", "B/1", "B/1", "A/1"], "qty_lbs": [10.0, 20.0, 30.0, 40.0, 5.0],
                        "knit_date": pd.to_datetime(["2025-07-29", "2025-07-28", "2024-08-28", "2024-08-27", None]),
                        "customer": ["X", "X", "Y", None, "Y"]}).astype({"style": "category"})
    f01 = pd.DataFrame({"finished_style": ["A-1/0"], "qty_yds": [100.0], "qty_lbs": [50.0],
                        "received_date": pd.to_datetime(["2025-01-01"])})
    # yarn content of A/1: 0.5 × $2 + 0.5 × $4 = $3/lb; B/1 uses yarn 9 which has no cost -> unknown
    bom = pd.DataFrame({"style": ["A/1", "A/1", "B/1"], "yarn_id": [1, 2, 9], "bom_fraction": [0.5, 0.5, 1.0]})
    yarn = pd.DataFrame({"yarn_id": [1, 2], "cost_per_lb": [2.0, 4.0]})
    result = pipeline.pipeline({"stage_g00": g00, "stage_f01": f01, "bom": bom, "yarn_inventory": yarn},
                               as_of=AS_OF, aging_days=90)
    stages = result["stages"].set_index("stage")
    assert list(stages.index) == ["G00", "F01"]
    assert stages.loc["G00", ["lbs", "rolls", "styles"]].tolist() == [105.0, 5, 2]
    assert np.isnan(stages.loc["G00", "yds"]) and stages.loc["F01", "yds"] == 100.0
    ages = result["ages"][result["ages"]["stage"] == "G00"].set_index("age")
    assert ages["lbs"].to_dict() == {"0–30 d": 10.0, "31–90 d": 20.0, "91–180 d": 0.0, "181–365 d": 30.0,
                                     ">365 d": 40.0, "no date": 5.0}
    aged = result["aged_rolls"].set_index("stage")
    assert aged.loc["G00", "rolls"] == 2 and aged.loc["G00", "lbs"] == 70.0  # 365 and 366 days old
    assert aged.loc["G00", "lbs_with_cost"] == 0.0 and np.isnan(aged.loc["G00", "value_usd"])  # both B/1
    assert aged.loc["F01", "rolls"] == 1 and np.isnan(aged.loc["F01", "value_usd"])
    assert aged.loc["F01", "cost_source"].startswith("unknown")
    result30 = pipeline.pipeline({"stage_g00": g00, "bom": bom, "yarn_inventory": yarn}, as_of=AS_OF, aging_days=30)
    aged30 = result30["aged_rolls"].set_index("stage")
    # now the 31-day roll (A/1, 20 lbs) is old too and has a cost: 20 × $3
    assert aged30.loc["G00", "value_usd"] == 60.0 and aged30.loc["G00", "lbs_with_cost"] == 20.0
    customers = result["by_customer"]
    assert customers[["customer", "lbs"]].values.tolist() == [["unknown", 40.0], ["Y", 35.0], ["X", 30.0]]
    assert result["flow"]["next_stage"].tolist() == ["F01", ""]
    assert result["summary"]["stage_lbs"] == {"g00": 105.0, "f01": 50.0}
    for key, value in result.items():
        if isinstance(value, pd.DataFrame):
            assert not object_columns(value), (key, object_columns(value))
            value.to_parquet(io.BytesIO())


def test_report_keys_by_hand():
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "B-1", "B-1/0", "yds", 50.0),
                             ("S2", "Open", "2025-09-02", "B-1", "B-1/0", "lbs", 10.0),
                             ("S3", "Open", "2025-09-03", "B-1", "B-1/0", "each", 10.0)]),
         "stage_f01": finished_rolls([("B-1/0", 30.0, 10.0)]),
         "stage_g00": greige_rolls([("B/1", 7.5)])}
    keys = pipeline.report_keys(f, as_of=AS_OF)
    # balance 50 yds + 10 lbs × 3 yds/lb = 80 yds (the 'each' order is not nettable); F01 covers 30 of it;
    # G00 B/1 is not linked (no eFab_Styles), so 50 yds stay uncovered
    assert keys == {"stage_lbs": {"g00": 7.5, "g02": 0.0, "i01": 0.0, "f01": 10.0, "p01": 0.0}, "open_so_count": 3,
                    "so_balance_yds": 80.0, "so_uncovered_yds": 50.0}
