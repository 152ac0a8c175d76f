"""Demand classes, the intermittent and smooth models against hand computations, aligned periods, the gap to
the as-of date and the nested rolling origin."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import forecasting as fc


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


def test_ses_holt_theta_arima_with_given_parameters_by_hand():
    y = np.array([1.0, 3.0, 6.0])
    # SES α .5: 1 -> 2 -> 4
    assert fc.forecast("ses", y, 2, state=np.array([0.5, 0, 1])).mean == pytest.approx([4, 4])
    # Holt α β .5: l 1, b 2; t1 pred 3 err 0 -> l 3 b 2; t2 pred 5 err 1 -> l 5.5, b 2 + .5(5.5 - 3 - 2) = 2.25
    assert fc.forecast("holt", y, 2, state=np.array([0.5, 0.5, 1])).mean == pytest.approx([7.75, 10])
    # damped α β .5, φ .8: t1 pred 1 + 1.6 = 2.6, err .4 -> l 2.8, b 1.6 + .5(2.8 - 1 - 1.6) = 1.7;
    # t2 pred 2.8 + 1.36 = 4.16, err 1.84 -> l 5.08, b 1.36 + .5(5.08 - 2.8 - 1.36) = 1.82
    assert fc.forecast("damped", y, 2, state=np.array([0.5, 0.5, 0.8])).mean == pytest.approx(
        [5.08 + 0.8 * 1.82, 5.08 + 1.44 * 1.82])
    # Theta α .5: SES level 4, LS slope 2.5: + 1.25·((k−1) + 2 − .125/.5) -> 4 + 2.1875, 4 + 3.4375
    assert fc.forecast("theta", y, 2, state=np.array([0.5, 0, 1])).mean == pytest.approx([6.1875, 7.4375])
    # ARIMA(0,1,1) θ .5: Δy = 2, 3; e = 2, 3 − 1 = 2 -> 6 + .5·2; σ 2, step 2 σ·√(1 + 1.5²)
    fit = fc.forecast("arima", y, 2, state=0.5)
    assert fit.mean == pytest.approx([7, 7])
    assert fit.upper[95] - fit.mean == pytest.approx([fc.Z95 * 2, fc.Z95 * 2 * np.sqrt(3.25)])


def test_arima_grid_finds_the_moving_average_parameter():
    rng = np.random.default_rng(3)
    e = rng.normal(0, 1, 400)
    y = 100 + np.cumsum(e[1:] - 0.6 * e[:-1])  # Δy_t = e_t − 0.6 e_{t−1}: θ = −0.6
    assert fc.forecast("arima", y, 1).state == pytest.approx(-0.6, abs=0.1)


def sales(rows):
    f = pd.DataFrame(rows, columns=["sales_order", "invoice_date", "customer", "sales_style", "qty", "uom"])
    f["invoice_date"] = pd.to_datetime(f["invoice_date"])
    return f.astype({"customer": "string", "sales_style": "string", "uom": "string"})


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
