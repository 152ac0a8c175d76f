"""Accuracy at every level against naive and zero on hand-written series, the level proven for the yarn plan,
style shares, and booked orders beside the forecast."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import forecast_levels as fl

MONDAYS = pd.date_range("2025-01-06", periods=20, freq="7D")  # 20 whole weeks (Mon .. Fri covered)


def sales(**series) -> pd.DataFrame:
    """One invoice line per Monday per customer (its style is '<customer>-1'), and a 0-yd line on the last
    Friday so that the last week is whole."""
    rows = [(day, customer, f"{customer}-1", float(q)) for customer, qty in series.items()
            for day, q in zip(MONDAYS, qty, strict=True)]
    rows.append((MONDAYS[-1] + pd.Timedelta(days=4), next(iter(series)), f"{next(iter(series))}-1", 0.0))
    f = pd.DataFrame(rows, columns=["invoice_date", "customer", "sales_style", "qty"])
    return f.assign(uom="yds", sales_order="S1")


t = np.arange(20)
UP = 100 + 10 * t                       # a straight line: Holt follows it exactly, naive lags 10 yds a week
FLICKER = np.where(t % 2 == 1, 200, 0)  # 0, 200, 0, 200 …: nothing beats forecasting zero


def test_a_level_that_beats_naive_and_zero():
    r = fl.all_levels(sales(Up=UP), as_of=None, horizon=1, freqs=("W",), levels=("total",))
    row = fl.level_table(r).iloc[0]
    # scored weeks 12 .. 19: actual 800 + 10 × (12 + … + 19) = 2,040 yds; naive is 10 yds short each week
    assert row["wape_naive"] == pytest.approx(80 / 2040)
    assert row["wape_zero"] == pytest.approx(1.0)
    assert row["wape_selected"] == pytest.approx(0.0, abs=1e-9)
    assert row["beats_both"] and row["margin"] == pytest.approx(1.0) and row["series_beating_both"] == 1
    assert fl.flagged_series(r["total|weeks"]["accuracy"]).empty


def test_a_level_that_does_not_beat_zero():
    r = fl.all_levels(sales(Flicker=FLICKER), as_of=None, horizon=1, freqs=("W",), levels=("total",))
    row = fl.level_table(r).iloc[0]
    # scored weeks 12 .. 19: 800 yds sold; naive is 200 off every week, the best model (mean 100) 100 off
    assert row["wape_naive"] == pytest.approx(2.0)
    assert row["wape_zero"] == pytest.approx(1.0)
    assert row["wape_selected"] == pytest.approx(1.0)
    assert not row["beats_both"] and row["series_beating_both"] == 0
    flagged = fl.flagged_series(r["total|weeks"]["accuracy"])
    assert flagged["series"].tolist() == ["total"]
    assert flagged.iloc[0][["wape_selected", "wape_naive", "wape_zero"]].tolist() == pytest.approx([1.0, 2.0, 1.0])
    health = r["total|weeks"]["summary"]["health"]
    assert health["status"] == "poor" and "no better than forecasting zero" in health["message"]


def test_the_page_opens_at_the_level_with_the_widest_margin_and_the_yarn_plan_takes_only_proven_series():
    r = fl.all_levels(sales(Up=UP, Flicker=FLICKER), as_of=None, horizon=1, freqs=("W",),
                      levels=("customer",))
    assert fl.flagged_series(r["customer|weeks"]["accuracy"])["series"].tolist() == ["Flicker"]
    choice = fl.proven_choice(r)
    assert choice["level"] == "customer" and choice["series_used"] == ["Up"]
    assert choice["series_beating_both"] == 1
    assert choice["share_of_sales"] == pytest.approx(2040 / (2040 + 800))
    assert choice["wape_naive"] == pytest.approx(80 / 2040) and choice["wape_selected"] == pytest.approx(0, abs=1e-9)
    table = pd.DataFrame({"key": ["total|weeks", "style|weeks", "style|months"], "margin": [0.3, 0.05, -0.2]})
    assert fl.best_level(table) == "total|weeks"


def test_no_proven_series_means_no_forecast_for_the_yarn_plan():
    s = sales(Flicker=FLICKER)
    r = fl.all_levels(s, as_of=None, horizon=1, freqs=("W",), levels=("total",))
    choice = fl.proven_choice(r)
    assert choice["level"] is None and choice["series_used"] == []
    assert fl.proven_style_forecast(s, r, choice).empty


def test_a_higher_level_is_split_over_its_styles_by_their_share_of_sales():
    s = pd.DataFrame({"invoice_date": pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-08"]),
                      "customer": ["C", "C", "D"], "sales_style": ["A-1", "A-1", "B-1"],
                      "qty": [200.0, 100.0, 100.0], "uom": ["yds"] * 3})
    shares = fl.style_shares(s, "total").set_index("style")["share"]
    assert shares.to_dict() == pytest.approx({"A-1": 0.75, "B-1": 0.25})
    results = {"total|weeks": {"forecasts": pd.DataFrame({
        "series": ["total"], "period": [pd.Timestamp("2025-09-01")], "steps_ahead": [1], "mean": [40.0],
        "model": ["holt"]})}}
    choice = {"level": "total", "key": "total|weeks", "series_used": ["total"]}
    out = fl.proven_style_forecast(s, results, choice).set_index("series")
    assert out["mean"].to_dict() == pytest.approx({"A-1": 30.0, "B-1": 10.0})
    assert out.loc["A-1", "model"] == "Holt's trend smoothing on the total 'total' × the style's share"


def test_booked_orders_beside_the_forecast_by_quoted_date():
    periods = pd.to_datetime(["2025-09-01", "2025-09-08"])
    result = {"forecasts": pd.DataFrame({"series": ["A-1", "A-1", "B-1", "B-1"], "period": list(periods) * 2,
                                         "mean": [100.0, 100.0, 10.0, 10.0]})}
    so = pd.DataFrame({
        "status": ["Open", "Open", "Open", "Open", "Closed", "Open"],
        "sales_style": ["A-1", "A-1", "A-1", "A-1", "A-1", "B-1"],
        "sold_to": ["C"] * 6,
        "uom": ["yds", "yds", "yds", "lbs", "yds", "yds"],
        "balance_qty": [30.0, 50.0, 500.0, 99.0, 70.0, 25.0],
        # past due -> first week; Wednesday of week 2 -> week 2; past the last week -> none; B without a date
        "quoted_date": pd.to_datetime(["2025-08-20", "2025-09-10", "2025-10-01", "2025-09-01", "2025-09-01", None]),
    })
    out = fl.booked_and_forecast({"sales_orders": so}, result, level="style", freq="W").set_index(["series",
                                                                                                  "period"])
    assert out["booked_yds"].tolist() == [30.0, 50.0, 25.0, 0.0]
    assert out["not_yet_ordered_yds"].tolist() == [70.0, 50.0, 0.0, 10.0]
    total = fl.booked_and_forecast({"sales_orders": so}, {"forecasts": pd.DataFrame({
        "series": ["total"], "period": periods[:1], "mean": [200.0]})}, level="total", freq="W")
    assert total["booked_yds"].tolist() == [55.0]  # 30 (A, past due) + 25 (B, no date): in the first week


def test_model_names_in_words():
    assert fl.model_name("tsb").startswith("TSB") and fl.model_name("adida").startswith("ADIDA")
    assert fl.model_name("moving_average") == "moving average (last 4 periods)"


def test_real_snapshot_levels_and_to_yarn(real_snapshot):
    from bk.services.forecasting import PROVEN_RATIO

    keys = fl.report_keys(real_snapshot.frames, as_of=real_snapshot.as_of)
    levels = keys["levels"]
    for level in ("total", "customer", "family", "style"):
        for periods in ("weeks", "months"):
            row = levels[f"{level}|{periods}"]
            assert row["series"] >= 1 and row["wape_zero"] == pytest.approx(1.0)
    to_yarn = keys["to_yarn"]
    assert to_yarn["series_used"] == to_yarn["series_beating_both"] >= 1
    assert to_yarn["wape_selected"] <= PROVEN_RATIO * min(to_yarn["wape_naive"], to_yarn["wape_zero"])
    assert date.fromisoformat(keys["first_forecast_period"]) <= real_snapshot.as_of


def accuracy(rows):
    """Hand-written accuracy rows: (series, Σ|actual|, Σ|error| of the chosen model, of naive, of zero)."""
    f = pd.DataFrame(rows, columns=["series", "abs_actual", "abs_error_selected", "abs_error_naive", "abs_error_zero"])
    for who in ("selected", "naive", "zero"):
        f[f"wape_{who}"] = f[f"abs_error_{who}"] / f["abs_actual"]
    return f


def test_only_series_ten_percent_better_than_both_benchmarks_reach_the_yarn_plan():
    results = {
        # total: 85 against naive 90 and zero 100: better than both, but by less than 10 %
        "total|weeks": {"accuracy": accuracy([("total", 100.0, 85.0, 90.0, 100.0)])},
        # styles: A 50 vs 80 / 60 (proven: 50 ≤ 0.9 × 60), B 95 vs 200 / 100 (not), C 10 vs 30 / 40 (proven)
        "style|weeks": {"accuracy": accuracy([("A", 60.0, 50.0, 80.0, 60.0), ("B", 100.0, 95.0, 200.0, 100.0),
                                              ("C", 40.0, 10.0, 30.0, 40.0)])},
        "style|months": {"accuracy": accuracy([("A", 60.0, 0.0, 80.0, 60.0)])},  # months never reach the plan
    }
    assert fl.beats_both(results["total|weeks"]["accuracy"]).tolist() == [True]
    assert fl.beats_both(results["total|weeks"]["accuracy"], ratio=0.9).tolist() == [False]
    choice = fl.proven_choice(results)
    assert choice["level"] == "style" and choice["series_used"] == ["A", "C"] and choice["series_beating_both"] == 2
    assert choice["share_of_sales"] == pytest.approx(100 / 200)
    # pooled over A and C: (50 + 10) ÷ 100 against naive (80 + 30) ÷ 100 and zero (60 + 40) ÷ 100
    assert (choice["wape_selected"], choice["wape_naive"], choice["wape_zero"]) == pytest.approx((0.6, 1.1, 1.0))
    assert choice["levels"]["total"] == {"series": 1, "series_beating_both": 0, "share_of_sales": 0.0}
