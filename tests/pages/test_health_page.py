"""AppTest of the App health page: score with components, buttons, a load test."""

from __future__ import annotations

from tests.pages.conftest import no_exceptions, page


def test_health_page_shows_the_score_and_runs_a_load_test():
    at = page("health.py").run()
    no_exceptions(at)
    assert at.title[0].value == "App health"
    score = next(m for m in at.metric if m.label == "Health score")
    assert 0 <= float(score.value.split(" / ")[0]) <= 100
    components = next(df.value for df in at.dataframe if "component" in df.value.columns)
    assert set(components["component"]) == {"memory", "latency", "cache", "errors", "freshness", "quality"}
    next(b for b in at.button if b.label == "Collect garbage now").click().run()
    no_exceptions(at)
    next(b for b in at.button if b.label.startswith("Run a 5-second load test")).click().run()
    no_exceptions(at)
    assert any("Load test:" in i.value for i in at.info)
