"""Forecast → yarn: sales style → greige style → lbs → netting over the horizon (open orders, finished and WIP
stock, knit orders) → knitting week → BOM → yarn lbs per bucket; buys the forecast alone causes."""

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


def frames(*, so_rows=(), ko_rows=(), f01_rows=(), g00_rows=()):
    return {
        "styles": pd.DataFrame({"fstyle": ["A-1", "B-1"], "cf_base": ["A", "B"], "style": ["GA/1", "GB/1"]}),
        "bom": pd.DataFrame({"style": ["GA/1", "GA/1", "GB/1"], "yarn_id": [100, 200, 200],
                             "bom_fraction": [0.6, 0.4, 1.0]}),
        # QuadS specs: A 0.5 lbs/yd = 2 yds/lb, B 0.25 lbs/yd = 4 yds/lb (F01 rolls of A, when given, say 2 too)
        "finished_styles": pd.DataFrame({"finished_style": ["A-1/0", "B-1/0"], "lbs_per_yd": [0.5, 0.25]}),
        "stage_f01": pd.DataFrame(list(f01_rows), columns=["finished_style", "qty_yds", "qty_lbs"]),
        "stage_g00": pd.DataFrame(list(g00_rows), columns=["style", "qty_lbs"]),
        "sales_orders": pd.DataFrame(list(so_rows), columns=["status", "sales_order", "quoted_date", "sales_style",
                                                             "finished_style", "uom", "balance_qty"]),
        "knit_orders": pd.DataFrame(list(ko_rows), columns=["style", "knit_order", "balance_lbs", "start_date"]),
    }


def forecast(rows):
    return {"forecasts": pd.DataFrame(rows, columns=["series", "period", "mean", "model"])}


# A: 100 yds = 50 lbs in each of the first two weeks; B: 40 yds = 10 lbs in the first week
FC = forecast([("A-1", W1, 100.0, "sba"), ("A-1", W2, 100.0, "sba"), ("B-1", W1, 40.0, "naive")])


def demand_of(result, yarn):
    d = result["demand"].set_index("yarn_id")
    return d.loc[yarn].tolist() if yarn in d.index else [0.0] * len(LABELS)


def run(f, lead=0, fc=FC):
    return fy.yarn_forecast_demand(f, as_of=AS_OF, forecast=fc, production_lead_weeks=lead)


def test_the_chain_without_orders_or_stock():
    r = run(frames())
    assert list(r["demand"].columns) == ["yarn_id", *LABELS]
    # A: 50 lbs a week -> yarn 100: 30, yarn 200: 20; B: 10 lbs -> yarn 200
    assert demand_of(r, 100) == pytest.approx([30, 30] + [0] * 8)
    assert demand_of(r, 200) == pytest.approx([30, 20] + [0] * 8)
    styles = r["styles"].set_index("sales_style")
    assert styles.loc["A-1", ["greige_style", "yds_per_lb"]].tolist() == ["GA/1", 2.0]
    assert styles.loc["B-1", "yds_per_lb"] == 4.0 and styles.loc["B-1", "bom_match"] == "exact"
    ev = r["evidence"]
    assert set(ev.columns) >= {"yarn_id", "style", "series", "model", "week", "lbs"}
    assert ev["lbs"].sum() == pytest.approx(r["demand"][LABELS].to_numpy().sum())
    assert ev.loc[ev["style"] == "B-1", "model"].unique().tolist() == ["naive"]


def test_orders_consume_the_forecast_over_the_horizon_not_week_by_week():
    so = [("Open", "S1", W2, "A-1", "A-1/0", "yds", 100.0),    # week 2: 50 lbs of A's 100 over the horizon
          ("Closed", "S3", W1, "A-1", "A-1/0", "yds", 500.0),  # not open: consumes nothing
          ("Open", "S4", pd.Timestamp("2025-12-01"), "A-1", "A-1/0", "yds", 500.0)]  # past the horizon: nothing
    r = run(frames(so_rows=so))
    # A's 50 lbs left are the latest part of its forecast: week 2 (week by week it would have been week 1)
    assert demand_of(r, 100) == pytest.approx([0, 30] + [0] * 8)
    assert demand_of(r, 200) == pytest.approx([10, 20] + [0] * 8)
    netting = r["netting"].set_index("greige_style")
    assert netting.loc["GA/1", ["forecast_lbs", "so_lbs", "consumed_lbs", "net_lbs"]].tolist() == \
        pytest.approx([100, 50, 50, 50])


def test_stock_and_knit_orders_net_the_forecast_after_serving_the_orders():
    stock = {"f01_rows": [("A-1/0", 120.0, 60.0)], "g00_rows": [("GA/1", 20.0)],
             "ko_rows": [("GA/1", "K1", 10.0, W1)]}  # 90 lbs of supply for A's 100 lbs of forecast
    r = run(frames(**stock))
    assert demand_of(r, 100) == pytest.approx([0, 6] + [0] * 8)  # 10 lbs left, in the latest week
    n = r["netting"].set_index("greige_style").loc["GA/1"]
    assert (n["stock_f01_lbs"], n["stock_g00_lbs"], n["ko_lbs"], n["netted_lbs"], n["net_lbs"]) == \
        pytest.approx((60, 20, 10, 90, 10))
    # an order of 40 lbs consumes 40 of the forecast and takes 40 of the supply first: still 10 lbs net
    so = [("Open", "S1", W1, "A-1", "A-1/0", "yds", 80.0)]
    assert demand_of(run(frames(so_rows=so, **stock)), 100) == pytest.approx([0, 6] + [0] * 8)
    # an order of 100 lbs takes the whole forecast: nothing is left to net
    so = [("Open", "S1", W1, "A-1", "A-1/0", "yds", 200.0)]
    assert demand_of(run(frames(so_rows=so, **stock)), 100) == pytest.approx([0] * 10)


def test_the_knit_to_finish_lead_time_moves_demand_earlier():
    r = run(frames(), lead=1)  # week 2's sales are knitted in week 1; week 1's cannot be earlier than now
    assert demand_of(r, 100) == pytest.approx([60] + [0] * 9)
    assert r["evidence"].loc[r["evidence"]["sales_week"] == LABELS[1], "week"].unique().tolist() == [LABELS[0]]


def test_net_forecast_by_hand():
    n = fy.net_forecast(np.array([10.0, 20.0, 30.0]), so_lbs=15.0, stock_lbs=20.0, ko_lbs=5.0)
    # 60 forecast, 15 consumed, 45 left; supply 25 serves the 15 of orders first: 10 free; 35 net, latest first
    assert (n["consumed_lbs"], n["unconsumed_lbs"], n["free_supply_lbs"], n["netted_lbs"], n["net_lbs"]) == \
        pytest.approx((15, 45, 10, 10, 35))
    assert n["net_by_week"].tolist() == pytest.approx([0, 5, 30])


def test_forecast_past_the_buckets_and_styles_without_bom_add_nothing():
    fc = forecast([("A-1", pd.Timestamp("2025-11-03"), 100.0, "sba"), ("C-1", W1, 100.0, "naive")])
    f = frames()
    f["styles"] = pd.concat([f["styles"], pd.DataFrame({"fstyle": ["C-1"], "cf_base": ["C"], "style": ["GC/1"]})])
    r = run(f, fc=fc)
    assert r["demand"].empty and list(r["demand"].columns) == ["yarn_id", *LABELS]
    assert r["styles"].set_index("sales_style").loc["C-1", "status"] == "no BOM for the greige style"


def test_bom_styles_exact_extending_then_same_base():
    keys = ["GA/1", "GA/1AT", "GA/10", "GB/2"]
    assert fy._bom_styles("GA/1", keys) == (["GA/1"], "exact")
    assert fy._bom_styles("GX/1", keys) == ([], "none")
    assert fy._bom_styles("GA/1", keys[1:]) == (["GA/1AT"], "extending style")  # never GA/10
    assert fy._bom_styles("GB/1", keys) == (["GB/2"], "same base")


def test_input_frames_are_not_changed():
    f = frames(so_rows=[("Open", "S1", W1, "A-1", "A-1/0", "yds", 100.0)], f01_rows=[("A-1/0", 20.0, 10.0)])
    before = {k: v.copy() for k, v in f.items()}
    run(f)
    for k, v in f.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_real_snapshot_forecast_yarn_demand(real_snapshot):
    from bk.services.forecasting import PROVEN_RATIO

    r = fy.yarn_forecast_demand(real_snapshot.frames, as_of=real_snapshot.as_of)
    d = r["demand"]
    labels = bucket_labels(real_snapshot.as_of)
    assert list(d.columns) == ["yarn_id", *labels] and d["yarn_id"].is_unique
    assert (d[labels].to_numpy() >= 0).all() and (d["later"] == 0).all()
    assert r["evidence"]["lbs"].sum() == pytest.approx(d[labels].to_numpy().sum())
    s = r["summary"]
    assert s["consumed_lbs"] + s["netted_lbs"] + s["net_lbs"] == pytest.approx(s["forecast_lbs"])
    # only a proven forecast reaches the yarn plan, and only its proven series
    c = r["choice"]
    if c["level"] is not None:
        assert len(c["series_used"]) == c["series_beating_both"]
        assert c["wape_selected"] <= PROVEN_RATIO * min(c["wape_naive"], c["wape_zero"])
    else:
        assert d.empty


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
