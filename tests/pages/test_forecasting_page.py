"""AppTest of the Sales forecast page: styles on the demo, then the total level."""

from __future__ import annotations

import re

from tests.pages.conftest import (
    as_numbers,
    chart,
    charts,
    figures,
    no_exceptions,
    open_expanders,
    open_tab,
    page,
    tables,
)
from tests.pages.readable import assert_readable, table_with


def test_forecast_page_opens_at_the_best_level_and_drills_down_to_styles():
    at = page("forecasting.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Sales forecast"
    assert_readable(at)
    levels = table_with(at, "Level", "Periods", "Beats naive and zero", "Better than the better benchmark by (%)")
    assert len(levels) == 8  # total, customer, family, style × weeks, months
    better = as_numbers(levels["Better than the better benchmark by (%)"])
    widest = levels.loc[better.idxmax()]
    words = {"total": "total", "customer": "customer", "family": "fabric family (base style)", "style": "style"}
    assert words[at.selectbox(key="fc_level").value] == widest["Level"]  # opened at the widest margin
    assert better.abs().max() > 1  # a percentage, not a fraction
    at.selectbox(key="fc_level").set_value("style").run()
    at.segmented_control(key="fc_freq").set_value("W").run()
    no_exceptions(at)
    # the level's series and pooled WAPEs are its row of the levels table; the one metric is not in the table
    assert [m.label for m in figures(at)] == ["Cumulative WAPE over the horizon"]
    style = levels.set_index(["Level", "Periods"]).loc[("style", "weeks")]
    assert int(style["Series (count)"]) >= 50 and style["WAPE, zero (%)"] == "100%"
    assert_readable(at)
    history_note = [t.value for t in [*at.warning, *at.caption] if "History ends" in t.value]
    assert len(history_note) == 1 and not re.search(r"\d{4}-\d{2}-\d{2}", history_note[0])  # '18 Aug 2025'
    assert not [f for f in tables(at) if "Demand class" in f.columns and "Series (count)" in f.columns]
    assert chart(at, "sales by period") and not [f for f in tables(at) if "Forecast (yds)" in f.columns]  # chart first
    open_tab(at, "fc_tab", "Forecasts")
    no_exceptions(at)
    assert table_with(at, "Series", "Forecast (yds)") is not None and not charts(at)
    open_tab(at, "fc_tab", "Accuracy (out of sample)")
    no_exceptions(at)
    classes = table_with(at, "Demand class", "Series (count)")
    assert list(classes["Demand class"]) == ["smooth", "erratic", "intermittent", "lumpy", "all"]
    assert as_numbers(classes["Series (count)"]).iloc[:4].sum() == int(style["Series (count)"])
    accuracy = table_with(at, "Series", "Model used", "WAPE, chosen (%)", "WAPE, naive (%)", "Periods with sales")
    assert list(accuracy.columns)[:3] == ["Series", "Demand class", "Model used"]
    assert accuracy["WAPE, naive (%)"].max() > 1  # shown as a percentage, not a 0–1 fraction
    codes = {"moving_average", "tsb", "adida", "sba", "imapa", "ses", "holt", "damped", "arima", "theta", "croston"}
    assert not codes & set(accuracy["Model used"])  # model names in words
    flagged = [s.value for s in at.subheader if s.value.startswith("Series that do not beat naive and zero")]
    assert len(flagged) == 1
    open_tab(at, "fc_tab", "Already ordered and still to come")
    booked = table_with(at, "On open orders (yds)", "Forecast not yet ordered (yds)", "Forecast (yds)")
    assert (as_numbers(booked["Forecast not yet ordered (yds)"]) <= as_numbers(booked["Forecast (yds)"]) + 0.5).all()
    at.selectbox(key="fc_level").set_value("total").run()
    no_exceptions(at)
    assert at.selectbox(key="fc_series").options == ["total"]
    open_tab(at, "fc_tab", "The series over time")
    # the level below, on demand: one more table (the families inside the total) once opened
    assert any(e.label == "Inside total: by fabric family (base style)" for e in at.expander)
    shown = tables(at)
    open_expanders(at, "Inside total")
    no_exceptions(at)
    inside = [f for f in tables(at) if not any(f.equals(g) for g in shown)]
    assert len(inside) == 1 and len(inside[0]) > 1
    health = [e.value for e in [*at.success, *at.warning, *at.error] if e.value.startswith("Forecast at this level")]
    assert len(health) == 1


def test_coherent_levels_on_the_demo():
    at = page("forecasting.py").run()
    open_tab(at, "fc_tab", "Coherent levels")
    at.toggle(key="fc_coherent").set_value(True).run()
    no_exceptions(at)
    labels = [m.label for m in figures(at)]
    assert "Total WAPE, bottom-up" in labels and "Total WAPE, direct model" in labels
    assert_readable(at)
    total, style = [f for f in tables(at) if {"Series", "Forecast (yds)"} <= set(f.columns)
                    and "Model" not in f.columns]  # the coherent tables (the Forecasts tab's names its model)
    if set(style["Series"]) == {"total"}:
        total, style = style, total
    assert list(total["Series"].unique()) == ["total"] and len(set(style["Series"])) > 1
    # the shown forecasts are rounded to whole yds: the style level adds up to the total within rounding
    gap = as_numbers(style["Forecast (yds)"]).sum() - as_numbers(total["Forecast (yds)"]).sum()
    assert abs(gap) <= 0.5 * (len(style) + len(total))


def test_sales_history_missing_from_the_latest_snapshot_is_taken_from_an_earlier_one(isolated_store):
    from datetime import date

    from bk.ingest.snapshot import SnapshotStore
    from tests.conftest import DEMO

    files = [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir()) if p.is_file()]
    store = SnapshotStore(isolated_store)
    store.save(files, as_of=date(2025, 8, 21))
    store.save([f for f in files if not f[0].startswith("Sales Activity")], as_of=date(2025, 8, 28))
    at = page("forecasting.py").run()
    no_exceptions(at)
    said = [i.value for i in at.info if "has no Sales Activity Report" in i.value]
    assert len(said) == 1 and "21 Aug 2025" in said[0]
    levels = table_with(at, "Level", "Series (count)")  # the forecast is computed on the carried-over history
    assert (as_numbers(levels["Series (count)"]) >= 1).all()


def test_the_series_chart_draws_the_forecasts_listed_for_the_series():
    at = page("forecasting.py").run()
    no_exceptions(at)
    series = at.selectbox(key="fc_series").value
    drawn = chart(at, f"{series}: sales by period")
    assert drawn is not None and drawn.spec["height"] == 420
    kinds = set(drawn.data["what"])
    forecast = next(k for k in kinds if k.startswith("forecast ("))  # named with its model, in words
    assert {"actual (yds)", "95 %", "80 %", "out of sample, 1 step ahead"} <= kinds
    line = drawn.data[drawn.data["what"] == forecast].sort_values("period")
    bands = {k: drawn.data[drawn.data["what"] == k].sort_values("period") for k in ("80 %", "95 %")}
    # the 80 % band inside the 95 % band, the forecast inside both
    assert (bands["95 %"]["lo"].to_numpy() <= bands["80 %"]["lo"].to_numpy() + 1e-9).all()
    assert (bands["80 %"]["hi"].to_numpy() <= bands["95 %"]["hi"].to_numpy() + 1e-9).all()
    assert (bands["80 %"]["lo"].to_numpy() <= line["yds"].to_numpy() + 1e-9).all()
    open_tab(at, "fc_tab", "Forecasts")
    listed = table_with(at, "Series", "Forecast (yds)")
    mine = as_numbers(listed.loc[listed["Series"] == series, "Forecast (yds)"]).tolist()
    assert len(mine) == len(line) > 0
    assert all(abs(a - b) <= 0.5 for a, b in zip(mine, line["yds"], strict=True))  # the same numbers, shown rounded
