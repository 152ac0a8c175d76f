"""Forecast → yarn: sales style → greige style → lbs → BOM → yarn lbs per bucket, with forecast consumption by
open sales orders and knit orders."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import forecast_yarn as fy
from bk.services.planning.calendar import bucket_labels

AS_OF = date(2025, 9, 3)  # a Wednesday: buckets start Monday 1 Sep
W1, W2 = pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-08")
LABELS = bucket_labels(AS_OF)


def frames(*, so_rows=(), ko_rows=()):
    return {
        "styles": pd.DataFrame({"fstyle": ["A-1", "B-1"], "cf_base": ["A", "B"], "style": ["GA/1", "GB/1"]}),
        "bom": pd.DataFrame({"style": ["GA/1", "GA/1", "GB/1"], "yarn_id": [100, 200, 200],
                             "bom_fraction": [0.6, 0.4, 1.0]}),
        # A: its own finished rolls, 200 yds in 100 lbs = 2 yds/lb; B: QuadS spec 0.25 lbs/yd = 4 yds/lb
        "stage_f01": pd.DataFrame({"finished_style": ["A-1/0"], "qty_yds": [200.0], "qty_lbs": [100.0]}),
        "finished_styles": pd.DataFrame({"finished_style": ["B-1/0"], "lbs_per_yd": [0.25]}),
        "sales_orders": pd.DataFrame(list(so_rows), columns=["status", "sales_order", "quoted_date", "sales_style",
                                                             "finished_style", "uom", "balance_qty"]),
        "knit_orders": pd.DataFrame(list(ko_rows), columns=["style", "knit_order", "balance_lbs", "start_date"]),
    }


def forecast(rows):
    return {"forecasts": pd.DataFrame(rows, columns=["series", "period", "mean", "model"])}


FC = forecast([("A-1", W1, 100.0, "sba"), ("A-1", W2, 100.0, "sba"), ("B-1", W1, 40.0, "naive")])


def demand_of(result, yarn):
    d = result["demand"].set_index("yarn_id")
    return d.loc[yarn].tolist()


def test_the_chain_without_orders():
    r = fy.yarn_forecast_demand(frames(), as_of=AS_OF, forecast=FC)
    assert list(r["demand"].columns) == ["yarn_id", *LABELS]
    # A: 100 yds ÷ 2 = 50 lbs a week -> yarn 100: 30, yarn 200: 20; B: 40 yds ÷ 4 = 10 lbs -> yarn 200
    assert demand_of(r, 100) == pytest.approx([30, 30] + [0] * 8)
    assert demand_of(r, 200) == pytest.approx([30, 20] + [0] * 8)
    styles = r["styles"].set_index("sales_style")
    assert styles.loc["A-1", ["greige_style", "yds_per_lb"]].tolist() == ["GA/1", 2.0]
    assert styles.loc["B-1", "yds_per_lb"] == 4.0 and styles.loc["B-1", "bom_match"] == "exact"
    ev = r["evidence"]
    assert set(ev.columns) >= {"yarn_id", "style", "series", "model", "week", "lbs"}
    assert ev["lbs"].sum() == pytest.approx(r["demand"][LABELS].to_numpy().sum())
    assert ev.loc[ev["style"] == "B-1", "model"].unique().tolist() == ["naive"]


def test_an_order_covering_the_forecast_removes_it_and_half_removes_half():
    so = [("Open", "S1", W1, "A-1", "A-1/0", "yds", 100.0),   # week 1: 100 yds = all of A's 50 lbs
          ("Open", "S2", W2, "A-1", "A-1/0", "yds", 50.0),    # week 2: half of it
          ("Closed", "S3", W2, "A-1", "A-1/0", "yds", 500.0)]  # not open: covers nothing
    r = fy.yarn_forecast_demand(frames(so_rows=so), as_of=AS_OF, forecast=FC)
    assert demand_of(r, 100) == pytest.approx([0, 15] + [0] * 8)
    assert demand_of(r, 200) == pytest.approx([10, 10] + [0] * 8)  # week 1 is B's 10 lbs only
    assert r["summary"]["consumed_lbs"] == pytest.approx(75.0)


def test_a_knit_order_covers_the_forecast_of_its_greige_style_in_the_week_it_is_knitted():
    # no knitting rate known: the KO is knitted at once in its start week (week 1); 6 of B's 10 lbs
    r = fy.yarn_forecast_demand(frames(ko_rows=[("GB/1", "K1", 6.0, W1)]), as_of=AS_OF, forecast=FC)
    assert demand_of(r, 200) == pytest.approx([20 + 4, 20] + [0] * 8)


def test_orders_and_knit_orders_are_not_added_the_larger_covers():
    so = [("Open", "S1", W1, "B-1", "B-1/0", "yds", 16.0)]  # 4 lbs of B
    r = fy.yarn_forecast_demand(frames(so_rows=so, ko_rows=[("GB/1", "K1", 6.0, W1)]), as_of=AS_OF, forecast=FC)
    assert demand_of(r, 200)[0] == pytest.approx(20 + 10 - 6)


def test_consume_by_hand():
    left = fy.consume(pd.Series([10.0, 10.0, 10.0, 0.0]), pd.Series([10.0, 5.0, 2.0, 3.0]),
                      pd.Series([0.0, 2.0, 12.0, np.nan]))
    assert left.tolist() == [0.0, 5.0, 0.0, 0.0]


def test_forecast_past_the_buckets_and_styles_without_bom_add_nothing():
    fc = forecast([("A-1", pd.Timestamp("2025-11-03"), 100.0, "sba"), ("C-1", W1, 100.0, "naive")])
    f = frames()
    f["styles"] = pd.concat([f["styles"], pd.DataFrame({"fstyle": ["C-1"], "cf_base": ["C"], "style": ["GC/1"]})])
    r = fy.yarn_forecast_demand(f, as_of=AS_OF, forecast=fc)
    assert r["demand"].empty and list(r["demand"].columns) == ["yarn_id", *LABELS]
    assert r["styles"].set_index("sales_style").loc["C-1", "status"] == "no BOM for the greige style"


def test_bom_styles_exact_extending_then_same_base():
    keys = ["GA/1", "GA/1AT", "GA/10", "GB/2"]
    assert fy._bom_styles("GA/1", keys) == (["GA/1"], "exact")
    assert fy._bom_styles("GX/1", keys) == ([], "none")
    assert fy._bom_styles("GA/1", keys[1:]) == (["GA/1AT"], "extending style")  # never GA/10
    assert fy._bom_styles("GB/1", keys) == (["GB/2"], "same base")


def test_input_frames_are_not_changed():
    f = frames(so_rows=[("Open", "S1", W1, "A-1", "A-1/0", "yds", 100.0)])
    before = {k: v.copy() for k, v in f.items()}
    fy.yarn_forecast_demand(f, as_of=AS_OF, forecast=FC)
    for k, v in f.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_real_snapshot_forecast_yarn_demand(real_snapshot):
    r = fy.yarn_forecast_demand(real_snapshot.frames, as_of=real_snapshot.as_of)
    d = r["demand"]
    labels = bucket_labels(real_snapshot.as_of)
    assert list(d.columns) == ["yarn_id", *labels] and d["yarn_id"].is_unique
    assert (d[labels].to_numpy() >= 0).all() and (d["later"] == 0).all()
    assert r["evidence"]["lbs"].sum() == pytest.approx(d[labels].to_numpy().sum())
    s = r["summary"]
    assert s["series_with_bom"] > 0 and s["yarns"] > 0
    assert s["consumed_lbs"] + s["net_lbs"] == pytest.approx(s["forecast_lbs"])


def test_safety_stock_from_the_out_of_sample_errors_by_hand():
    bt = pd.DataFrame({"series": ["A-1"] * 4 + ["B-1"] * 4 + ["A-1"], "step": [1] * 8 + [2],
                       "actual": [50.0, 50, 50, 50, 20, 20, 20, 20, 0],
                       # A errors ±10 yds: σ 10 -> 5 lbs; B errors ±8 yds: σ 8 -> 2 lbs; step 2 left out
                       "selected": [60.0, 40, 60, 40, 28, 12, 28, 12, 999]})
    fcst = {"forecasts": pd.DataFrame({"series": ["A-1", "A-1", "B-1", "B-1"], "mean": [100.0, 60.0, 40.0, 40.0]}),
            "backtest": bt}
    f = frames()
    f["yarn_inventory"] = pd.DataFrame({"yarn_id": [100, 200], "supplier": ["Mill Co", "Far Away"]})
    f["suppliers"] = pd.DataFrame({"supplier": ["MILL CO"], "lead_time_days": [28.0]})
    ss = fy.forecast_safety_stock(f, as_of=AS_OF, forecast=fcst, default_lead_time_days=7.0).set_index("yarn_id")
    z = 1.6448536269514722
    # yarn 100: 0.6 × 5 = 3 lbs/week; 4 weeks: SS = z·3·2; mean A 80 yds = 40 lbs × .6 = 24 lbs/week
    assert ss.loc[100, "sigma_week_lbs"] == pytest.approx(3.0)
    assert ss.loc[100, "safety_stock_lbs"] == pytest.approx(z * 3 * 2)
    assert ss.loc[100, "reorder_point_lbs"] == pytest.approx(24 * 4 + z * 3 * 2)
    # yarn 200: √(2² + 2²) from A (0.4 × 5) and B (1 × 2); default lead time 1 week
    assert ss.loc[200, "sigma_week_lbs"] == pytest.approx(np.sqrt(8))
    assert ss.loc[200, "lead_time_days"] == 7.0 and ss.loc[200, "styles"] == 2
    assert ss.loc[200, "reorder_point_lbs"] == pytest.approx(16 + 10 + z * np.sqrt(8))


def test_real_snapshot_safety_stock(real_snapshot):
    ss = fy.forecast_safety_stock(real_snapshot.frames, as_of=real_snapshot.as_of)
    assert ss["yarn_id"].is_unique and len(ss) > 0
    assert (ss["safety_stock_lbs"] >= 0).all() and (ss["reorder_point_lbs"] >= ss["safety_stock_lbs"]).all()
