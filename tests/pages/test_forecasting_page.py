"""AppTest of the Sales forecast page: styles on the demo, then the total level."""

from __future__ import annotations

import re

from tests.pages.conftest import no_exceptions, page
from tests.pages.readable import assert_readable, table_with


def test_forecast_page_on_the_demo_and_switching_level():
    at = page("forecasting.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Sales forecast"
    assert int(at.metric[0].value) >= 50
    assert at.metric[3].label == "WAPE, zero forecast" and at.metric[3].value == "100.0%"
    assert "out of sample" in at.metric[1].label
    assert_readable(at)
    history_note = [t.value for t in [*at.warning, *at.caption] if "History ends" in t.value]
    assert len(history_note) == 1 and not re.search(r"\d{4}-\d{2}-\d{2}", history_note[0])  # '18 Aug 2025'
    classes = at.dataframe[0].value
    assert list(classes["Demand class"]) == ["smooth", "erratic", "intermittent", "lumpy", "all"]
    assert classes["Series (count)"].iloc[:4].sum() == int(at.metric[0].value)
    accuracy = table_with(at, "Series", "Model used", "WAPE, chosen (%)", "WAPE, naive (%)")
    assert list(accuracy.columns)[:3] == ["Series", "Demand class", "Model used"]
    assert accuracy["WAPE, naive (%)"].max() > 1  # shown as a percentage, not a 0–1 fraction
    at.selectbox(key="fc_level").set_value("total").run()
    no_exceptions(at)
    assert at.metric[0].value == "1"
    assert at.selectbox(key="fc_series").options == ["total"]


def test_coherent_levels_on_the_demo():
    at = page("forecasting.py").run()
    at.toggle(key="fc_coherent").set_value(True).run()
    no_exceptions(at)
    labels = [m.label for m in at.metric]
    assert "Total WAPE, bottom-up" in labels and "Total WAPE, direct model" in labels
    assert_readable(at)
    total = at.dataframe[-2].value
    assert list(total["Series"].unique()) == ["total"]
    # the shown forecasts are rounded to whole yds: the style level adds up to the total within rounding
    style = at.dataframe[-1].value
    assert abs(style["Forecast (yds)"].sum() - total["Forecast (yds)"].sum()) <= 0.5 * (len(style) + len(total))
