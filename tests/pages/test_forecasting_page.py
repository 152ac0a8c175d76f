"""AppTest of the Sales forecast page: styles on the demo, then the total level."""

from __future__ import annotations

from tests.pages.conftest import no_exceptions, page


def test_forecast_page_on_the_demo_and_switching_level():
    at = page("forecasting.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Sales forecast"
    assert int(at.metric[0].value) >= 50
    at.selectbox(key="fc_level").set_value("total").run()
    no_exceptions(at)
    assert at.metric[0].value == "1"
    assert at.selectbox(key="fc_series").options == ["total"]
