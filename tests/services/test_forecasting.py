"""Forecasting models on series with known answers, honest backtests, selection, and the sales series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bk.services import forecasting as fc


def test_every_model_forecasts_a_constant_series():
    y = np.full(20, 5.0)
    for name in ("naive", "moving_average", "ses", "holt", "damped", "arima", "theta", "croston", "tsb", "adida",
                 "imapa"):
        assert fc.forecast(name, y, 3).mean == pytest.approx([5.0] * 3, abs=0.05), name
    assert fc.forecast("sba", y, 1).mean[0] == pytest.approx(5 * 0.95)  # SBA deflates Croston by 1 - α/2


def test_linear_trend():
    y = 10 + 2.0 * np.arange(20)  # 10 .. 48
    assert fc.forecast("naive", y, 3).mean.tolist() == [48, 48, 48]
    assert fc.forecast("holt", y, 3).mean == pytest.approx([50, 52, 54], abs=0.5)
    assert fc.forecast("moving_average", y, 1).mean[0] == pytest.approx((42 + 44 + 46 + 48) / 4)


def test_croston_sba_tsb_against_a_hand_computation():
    y = np.array([0, 0, 3, 0, 0, 0, 6, 0, 2, 0], dtype=float)
    # Croston, α = 0.1: start z = 3, p = 3 (first demand in period 3)
    # period 7 (interval 4): z = 3 + 0.1(6 - 3) = 3.3;  p = 3 + 0.1(4 - 3) = 3.1
    # period 9 (interval 2): z = 3.3 + 0.1(2 - 3.3) = 3.17; p = 3.1 + 0.1(2 - 3.1) = 2.99
    assert fc.forecast("croston", y, 2).mean == pytest.approx([3.17 / 2.99] * 2)
    assert fc.forecast("sba", y, 1).mean[0] == pytest.approx(3.17 / 2.99 * 0.95)
    # TSB, α = β = 0.1: z = 3, d = 1/3 at period 3; then d: .3, .27, .243, (demand 6) .3187 & z 3.3,
    # .28683, (demand 2) .358147 & z 3.17, .3223323  -> forecast .3223323 × 3.17
    assert fc.forecast("tsb", y, 1).mean[0] == pytest.approx(0.3223323 * 3.17, rel=1e-6)


def test_forecasts_are_never_negative():
    y = np.array([100, 80, 60, 40, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1], dtype=float) * 10
    for name in ("holt", "damped", "arima", "theta"):
        fit = fc.forecast(name, y, 8)
        assert (fit.mean >= 0).all(), name
        if fit.lower is not None:
            assert (fit.lower[95] >= 0).all()


def test_seasonal_naive_only_with_two_seasons():
    assert "seasonal_naive" not in fc.candidate_models(np.ones(60))
    assert "seasonal_naive" in fc.candidate_models(np.ones(104))
    with pytest.raises(ValueError):
        fc.forecast("seasonal_naive", np.ones(60), 2)


def test_backtest_windows_never_see_the_future(monkeypatch):
    seen = []

    def spy(y, h, state=None):
        seen.append((len(y), float(y.max())))
        return fc.Fit(np.full(h, y[-1]))

    monkeypatch.setitem(fc.MODELS, "spy", spy)
    y = np.arange(1.0, 21.0)
    y[-1] = 1e6  # a spike in the last period must not reach any training window
    origins = list(range(12, 20))
    errors = fc.backtest(y, horizon=3, origins=origins, models=["spy"])["spy"]
    assert [n for n, _ in seen] == origins
    assert all(top < 1e6 for _, top in seen)
    assert np.isnan(errors[-1, 1:]).all() and not np.isnan(errors[-1, 0])


def test_selection_falls_back_to_naive_unless_a_model_beats_it():
    metrics = {"naive": {"abs_error": 30.0}, "holt": {"abs_error": 31.0}, "tsb": {"abs_error": float("nan")},
               "zero": {"abs_error": 1.0}}
    assert fc.select(metrics) == "naive"  # zero is a benchmark, never selected
    metrics["theta"] = {"abs_error": 25.0}
    metrics["arima"] = {"abs_error": 28.0}
    assert fc.select(metrics) == "theta"
    assert fc.select({"naive": {"abs_error": 5.0}, "sba": {"abs_error": 5.0}}) == "naive"  # a tie does not beat it


def test_scores_by_hand():
    y = np.array([10.0, 12, 11, 13, 20, 10])
    errors = np.array([[2.0, -4.0], [5.0, np.nan]])  # origins 4 and 5, horizon 2
    s = fc.scores(errors, y, [4, 5], 2)
    assert s["wape"] == pytest.approx(11 / 40)  # |2|+|-4|+|5| over 20+10+10
    assert s["bias"] == pytest.approx(3 / 40)
    assert s["mase"] == pytest.approx((11 / 3) / ((2 + 1 + 2) / 3))  # in-sample naive MAE before origin 4
    # cumulative over the horizon: only the whole window (origin 4) counts, |2 - 4| over 20 + 10
    assert s["wape_cum"] == pytest.approx(2 / 30)


def sales(rows):
    f = pd.DataFrame(rows, columns=["sales_order", "invoice_date", "customer", "sales_style", "qty", "uom"])
    f["invoice_date"] = pd.to_datetime(f["invoice_date"])
    return f.astype({"customer": "string", "sales_style": "string", "uom": "string"})


def test_weekly_series_fill_missing_weeks_and_keep_other_units_apart():
    s = sales([("S1", "2025-01-06", "C1", "A-1", 10.0, "yds"), ("S2", "2025-01-08", "C2", "A-1", 5.0, "yds"),
               ("S3", "2025-01-22", "C1", "B-1", 7.0, "yds"), ("S4", "2025-01-21", "C1", "A-1", 99.0, "kg")])
    wide, other = fc.sales_series(s, level="style")
    assert list(wide.index) == list(pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]))
    assert wide["A-1"].tolist() == [15.0, 0.0, 0.0] and wide["B-1"].tolist() == [0.0, 0.0, 7.0]
    assert other["uom"].tolist() == ["kg"]
    total, _ = fc.sales_series(s, level="total")
    assert total["total"].tolist() == [15.0, 0.0, 7.0]
    by_customer, _ = fc.sales_series(s, level="customer", freq="M")
    assert by_customer.loc[pd.Timestamp("2025-01-01"), "C1"] == 17.0


def test_forecast_all_on_a_small_frame_gives_intervals_and_fva():
    rng = np.random.default_rng(1)
    rows = [("S", pd.Timestamp("2025-01-06") + pd.Timedelta(weeks=w), "C", "A-1", 100 + 3 * w + rng.normal(0, 5), "yds")
            for w in range(30)]
    result = fc.forecast_all(sales(rows), horizon=4)
    f = result["forecasts"]
    assert len(f) == 4 and (f["lo95"] <= f["lo80"]).all() and (f["lo80"] <= f["mean"]).all()
    assert (f["mean"] <= f["hi80"]).all() and (f["hi80"] <= f["hi95"]).all()
    fva = result["fva"]
    assert fva["model"].iloc[0] == "naive" and fva["selected"].sum() == 1
    acc = result["accuracy"].iloc[0]
    assert acc["demand_class"] == "smooth" and acc["wape_zero"] == pytest.approx(1.0)
    scored = fva.set_index("model").loc[acc["selected"], "wape"]
    assert acc["selected"] == "naive" or scored < fva.set_index("model").loc["naive", "wape"]


def test_real_sales_activity_report(real_snapshot):
    result = fc.forecast_all(real_snapshot.frames["sales_activity"], as_of=real_snapshot.as_of, horizon=4)
    s = result["summary"]
    assert s["series"] >= 100
    assert s["other_unit_lines"] == 8  # 7 'each' and 1 'kg' lines kept apart
    # invoices run Thu 2 Jan .. Thu 26 Jun: both edge weeks are partial and dropped
    assert s["periods_dropped"] == ["2024-12-30", "2025-06-23"] and s["history_end"] == "2025-06-16"
    assert s["first_forecast_period"] == "2025-08-25" and s["gap_periods"] == 9  # the as-of week (28 Aug)
    assert sum(s["demand_classes"].values()) == s["series"]
    assert s["wape_selected_pooled"] <= s["wape_naive_pooled"]
