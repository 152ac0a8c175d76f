"""Demand classes, the intermittent models against hand computations, ETS/ARIMA/Theta (numpy, statsmodels
as the oracle) on series with known answers, aligned periods, the gap to the as-of date and the nested rolling origin."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bk.services import forecasting as fc
from tests.services.test_forecasting import sales


@pytest.mark.parametrize(("y", "expected"), [
    ([10, 11, 9, 10, 10, 12, 9, 11], "smooth"),        # ADI 1, CV² ≈ 0.01
    ([1, 50, 2, 60, 1, 40, 2, 55], "erratic"),         # ADI 1, CV² ≈ 0.9
    ([0, 0, 5, 0, 0, 5, 0, 0, 5], "intermittent"),    # ADI 3, CV² 0
    ([0, 0, 1, 0, 0, 50, 0, 0, 2], "lumpy"),          # ADI 3, CV² ≈ 1.7
    ([0, 0, 0, 0], "intermittent"),                    # never sold
])
def test_demand_classes(y, expected):
    assert fc.demand_class(np.array(y, dtype=float))[0] == expected


def test_adi_and_cv2_by_hand():
    cls, adi, cv2 = fc.demand_class(np.array([0, 2.0, 0, 6.0]))
    # 4 periods / 2 with demand; sizes 2 and 6: mean 4, population σ 2 -> CV² 0.25
    assert (cls, adi, cv2) == ("intermittent", 2.0, pytest.approx(0.25))


def test_class_specific_candidates():
    assert set(fc.candidate_models(np.array([0, 0, 5.0] * 5))) == {"naive", "moving_average", "croston", "sba",
                                                                   "tsb", "adida", "imapa"}
    smooth = fc.candidate_models(np.arange(10.0, 30.0))
    assert set(smooth) == {"naive", "moving_average", "ses", "holt", "damped", "arima", "theta"}


Y_INT = np.array([0, 4, 0, 0, 2, 0, 0, 6, 0], dtype=float)  # ADI 3 -> ADIDA on buckets of 3


def test_adida_by_hand():
    # buckets [4, 2, 6]; SES α 0.1: 4 -> 3.8 -> 4.02; spread over 3 periods
    assert fc.forecast("adida", Y_INT, 2).mean == pytest.approx([4.02 / 3] * 2)


def test_imapa_by_hand():
    # level 1: SES on the weeks from 0: .4 .36 .324 .4916 .44244 .398196 .9583764 .86253876
    # level 2: buckets (from the end) [4, 2, 0, 6]: 4 -> 3.8 -> 3.42 -> 3.678, ÷ 2 = 1.839; level 3: 1.34
    assert fc.forecast("imapa", Y_INT, 1).mean[0] == pytest.approx((0.86253876 + 1.839 + 4.02 / 3) / 3)


def test_ses_is_statsmodels_and_reapplies_given_parameters():
    y = np.array([1.0, 3.0, 6.0])
    # fitted: the last value (α → 1 on a rising series); given α .5 (the state of an earlier origin), by hand
    # with statsmodels' legacy start at the first value: 1 -> 2 -> 4
    assert fc.forecast("ses", y, 2).mean == pytest.approx([6, 6], abs=1e-3)
    assert fc.forecast("ses", y, 2, state={"smoothing_level": 0.5}).mean == pytest.approx([4, 4])
    # a level shift held for 15 weeks: SES follows it to the new level
    assert fc.forecast("ses", np.r_[[10.0] * 5, [20.0] * 15], 2).mean == pytest.approx([20, 20], abs=1e-3)


def test_holt_extends_an_exact_line_and_damped_bends_below_it():
    t = np.arange(20.0)
    y = 2 + 3 * t
    assert fc.forecast("holt", y, 3).mean == pytest.approx([62, 65, 68], rel=1e-6)
    damped = fc.forecast("damped", y, 3).mean
    assert (damped < [62, 65, 68]).all() and (np.diff(damped) > 0).all() and (np.diff(damped, 2) < 0).all()
    # given α β .5, statsmodels' legacy start (level 1, trend 2) predicts the first period too:
    # y0: pred 3, err -2 -> l 2, b 2 + .5(2 - 1 - 2) = 1.5; y1: pred 3.5, err -.5 -> l 3.25, b 1.375;
    # y2: pred 4.625, err 1.375 -> l 5.3125, b 1.375 + .5(5.3125 - 3.25 - 1.375) = 1.71875
    given = {"smoothing_level": 0.5, "smoothing_trend": 0.5}
    assert fc.forecast("holt", np.array([1.0, 3.0, 6.0]), 2, state=given).mean == pytest.approx([7.03125, 8.75])


def test_arima_on_a_random_walk_forecasts_the_last_value_with_widening_intervals():
    y = 50 + np.cumsum(np.random.default_rng(7).normal(0, 1, 200))
    fit = fc.forecast("arima", y, 4)
    assert fit.mean == pytest.approx([y[-1]] * 4, abs=0.25)  # θ ≈ 0 on a random walk, σ of a step 1
    width95, width80 = fit.upper[95] - fit.lower[95], fit.upper[80] - fit.lower[80]
    # a random walk's k-step error has variance k·σ²: the width grows as √k
    assert width95 / width95[0] == pytest.approx(np.sqrt([1, 2, 3, 4]), rel=0.05)
    assert width95 / width80 == pytest.approx([fc.Z95 / fc.Z80] * 4, rel=1e-6)  # normal intervals
    assert width95[0] == pytest.approx(2 * fc.Z95, rel=0.15)


def test_arima_estimates_the_moving_average_parameter():
    rng = np.random.default_rng(3)
    e = rng.normal(0, 1, 400)
    y = 100 + np.cumsum(e[1:] - 0.6 * e[:-1])  # Δy_t = e_t − 0.6 e_{t−1}: θ = −0.6
    assert fc.forecast("arima", y, 1).state["theta"] == pytest.approx(-0.6, abs=0.1)


def test_theta_on_a_trend_rises_by_half_the_slope_with_widening_intervals():
    y = 10 + 2 * np.arange(30.0) + np.random.default_rng(1).normal(0, 1, 30)
    fit = fc.forecast("theta", y, 4)
    assert fit.mean[0] > y[-5:].mean()
    # the Theta method's drift is half the trend line's slope (2): one yd more per week
    assert np.diff(fit.mean) == pytest.approx([1.0] * 3, abs=0.1)
    width = fit.upper[95] - fit.lower[95]
    assert (np.diff(width) > 0).all() and (fit.lower[80] > fit.lower[95]).all()


def test_a_flat_history_skips_the_optimisers():
    for name in fc.SMOOTH_MODELS:
        fit = fc.forecast(name, np.full(12, 7.0), 3)
        assert fit.mean.tolist() == [7.0] * 3, name
        assert fit.lower[95].tolist() == fit.upper[95].tolist() == [7.0] * 3, name


def test_the_backtest_fits_ets_and_arima_once_and_reapplies_them():
    y = 100 + np.cumsum(np.random.default_rng(2).normal(0, 5, 30))
    origins = list(range(20, 28))
    errors = fc.backtest(y, horizon=2, origins=origins, models=["holt", "arima"])
    assert sorted(errors) == ["arima", "holt"] and np.isfinite(errors["arima"]).all()
    for name in ("holt", "arima"):
        first = fc.forecast(name, y[:20], 2, intervals=False)
        for i, t in enumerate(origins):  # every later origin: the first origin's parameters on more history
            expected = fc.forecast(name, y[:t], 2, state=first.state, intervals=False).mean - y[t:t + 2]
            assert errors[name][i] == pytest.approx(expected), (name, t)
        refit = fc.forecast(name, y[:27], 2, intervals=False)
        assert refit.state != first.state  # a re-fit at the last origin would have given other parameters


@pytest.mark.parametrize(("name", "trend", "damped", "params"), [
    ("ses", None, False, {"smoothing_level": 0.3}),
    ("holt", "add", False, {"smoothing_level": 0.4, "smoothing_trend": 0.2}),
    ("damped", "add", True, {"smoothing_level": 0.4, "smoothing_trend": 0.2, "damping_trend": 0.9}),
])
def test_exponential_smoothing_equals_statsmodels_at_the_same_parameters(name, trend, damped, params):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = 50 + np.cumsum(np.random.default_rng(5).normal(0.5, 3, 25))
    oracle = ExponentialSmoothing(y, trend=trend, damped_trend=damped, initialization_method="legacy-heuristic")
    expected = oracle.fit(optimized=False, **params).forecast(4)
    assert fc.forecast(name, y, 4, state=params).mean == pytest.approx(np.clip(expected, 0, None), rel=1e-9)


def test_importing_the_module_does_not_import_statsmodels():
    code = "import sys, bk.services.forecasting; print('statsmodels' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]


def test_partial_weeks_are_dropped_and_partial_months_scaled():
    s = sales([("S1", "2025-01-02", "C", "A", 50.0, "yds"), ("S2", "2025-01-07", "C", "A", 10.0, "yds"),
               ("S3", "2025-01-14", "C", "A", 20.0, "yds"), ("S4", "2025-03-28", "C", "A", 30.0, "yds")])
    weekly, _, cover = fc.aligned_series(s, freq="W")
    # week of 30 Dec: Thu-Fri of 5 weekdays (0.4) dropped; week of 24 Mar: Mon-Fri covered: full
    assert cover.iloc[0][["weekdays_covered", "treatment"]].tolist() == [2, "dropped"]
    assert weekly.index[0] == pd.Timestamp("2025-01-06") and weekly.index[-1] == pd.Timestamp("2025-03-24")
    assert weekly["A"].iloc[:2].tolist() == [10.0, 20.0]
    monthly, _, mcover = fc.aligned_series(s, freq="M")
    # January: 22 of 23 weekdays (1 Jan not covered) -> scaled; March: to Fri 28, 20 of 21 -> scaled
    assert mcover["treatment"].tolist() == ["scaled", "full", "scaled"]
    assert monthly["A"].tolist() == pytest.approx([80 * 23 / 22, 0.0, 30 * 21 / 20])


def test_forecast_starts_at_the_as_of_week_and_the_gap_is_forecast():
    rows = [("S", pd.Timestamp("2025-01-06") + pd.Timedelta(days=7 * w + d), "C", "A", 10.0, "yds")
            for w in range(8) for d in (0, 4)]  # Mondays and Fridays 6 Jan .. 28 Feb: 8 whole weeks
    result = fc.forecast_all(sales(rows), as_of=date(2025, 3, 20), horizon=3, n_origins=2)
    s = result["summary"]
    assert (s["history_end"], s["gap_periods"], s["first_forecast_period"]) == ("2025-02-24", 2, "2025-03-17")
    assert result["gap_forecasts"]["period"].tolist() == list(pd.to_datetime(["2025-03-03", "2025-03-10"]))
    f = result["forecasts"]
    assert f["period"].tolist() == list(pd.to_datetime(["2025-03-17", "2025-03-24", "2025-03-31"]))
    assert f["steps_ahead"].tolist() == [3, 4, 5] and f["mean"].tolist() == pytest.approx([20.0] * 3)


def test_the_scored_model_is_chosen_before_the_scored_windows(monkeypatch):
    def early(y, h, state=None):  # right while the history is short, wrong later
        return fc.Fit(y[-1] + np.arange(1.0, h + 1) if len(y) < 20 else np.zeros(h))

    def late(y, h, state=None):
        return fc.Fit(np.zeros(h) if len(y) < 20 else y[-1] + np.arange(1.0, h + 1))

    monkeypatch.setitem(fc.MODELS, "early", early)
    monkeypatch.setitem(fc.MODELS, "late", late)
    monkeypatch.setattr(fc, "candidate_models", lambda y, cls=None: ["naive", "early", "late"])
    y = np.arange(1.0, 29.0)  # 28 periods: windows at origins 12..19 choose, 20..27 are scored
    r = fc._series_result("x", y, horizon=2, n_origins=8, gap=0)
    assert r["chosen_before"] == "early" and r["chosen"] == "late"
    # out of sample, 'early' forecasts zero: every error is the actual, WAPE 1
    assert r["metrics"]["early"]["wape"] == pytest.approx(1.0) and r["metrics"]["late"]["wape"] == 0.0
    acc = fc._assemble([r], pd.DataFrame({"x": y}, index=pd.date_range("2025-01-06", periods=28, freq="7D")),
                       pd.DataFrame(), fc.period_coverage(pd.DatetimeIndex([]), first=pd.Timestamp(0),
                                                          last=pd.Timestamp(0), freq="W"),
                       horizon=2, gap=0, freq="W", last_invoice=pd.Timestamp("2025-07-18"))["accuracy"].iloc[0]
    assert (acc["selected"], acc["scored_model"], acc["wape_selected"]) == ("late", "early", pytest.approx(1.0))


def test_class_table_pools_sums_not_ratios():
    acc = pd.DataFrame({"demand_class": ["smooth", "smooth", "lumpy"], "abs_actual": [100.0, 300.0, 50.0],
                        "abs_actual_cum": [80.0, 200.0, 40.0],
                        "abs_error_selected": [10.0, 90.0, 60.0], "abs_error_naive": [20.0, 100.0, 70.0],
                        "abs_error_zero": [100.0, 300.0, 50.0], "abs_error_cum_selected": [8.0, 20.0, 4.0],
                        "abs_error_cum_naive": [16.0, 40.0, 8.0], "abs_error_cum_zero": [80.0, 200.0, 40.0],
                        "sum_error_selected": [-10.0, 30.0, 5.0]})
    t = fc.accuracy_by_class(acc).set_index("demand_class")
    assert t.loc["smooth", "wape_selected"] == pytest.approx(100 / 400)
    assert t.loc["all", "wape_naive"] == pytest.approx(190 / 450) and t.loc["all", "wape_zero"] == 1.0
    assert t.loc["smooth", "wape_cum_selected"] == pytest.approx(28 / 280)
    assert t.loc["erratic", "series"] == 0 and np.isnan(t.loc["erratic", "wape_selected"])
    assert t.loc["all", "bias_selected"] == pytest.approx(25 / 450)


def test_coherent_levels_add_up_bottom_up():
    rng = np.random.default_rng(5)
    rows = [("S", pd.Timestamp("2025-01-06") + pd.Timedelta(weeks=w, days=d), c, st, float(rng.integers(0, 3) * q),
             "yds")
            for w in range(24) for d in (0, 4) for st, c, q in (("A-1", "C1", 10), ("A-1", "C2", 30),
                                                                ("B-1", "C1", 50))]
    r = fc.coherent(sales(rows), as_of=date(2025, 6, 23), horizon=3, n_origins=4)
    f = r["forecasts"]
    assert sorted(f["style"]["series"].unique()) == ["A-1", "B-1"]
    assert sorted(f["customer"]["series"].unique()) == ["C1", "C2"]
    total = f["total"].set_index("period")["mean"]
    for level in ("style", "customer"):
        sums = f[level].groupby("period")["mean"].sum()
        assert np.allclose(sums.to_numpy(), total.loc[sums.index].to_numpy())
    assert total.index[0] == pd.Timestamp("2025-06-23") and len(total) == 3
    acc = r["total_accuracy"]
    # naive is linear: the sum of the bottom series' naive forecasts is the total's naive forecast
    assert acc["bottom_up"]["wape_naive"] == pytest.approx(acc["direct"]["wape_naive"])
    assert np.isfinite(acc["bottom_up"]["wape"]) and np.isfinite(acc["direct"]["wape"])
