"""The store-dependent default views: the comparison, and the app's plan with the export day before."""

from datetime import date

from bk.optimization.manager import history_views, previous_day_id

# two saves of 09-01 (the later one stands for the day), one of 09-04
HISTORY = [("a", date(2025, 8, 28)), ("b1", date(2025, 9, 1)), ("b2", date(2025, 9, 1)), ("c", date(2025, 9, 4))]


def test_the_previous_export_day_is_its_last_save():
    assert previous_day_id(HISTORY, "c") == "b2"
    assert previous_day_id(HISTORY, "b2") == "a" and previous_day_id(HISTORY, "b1") == "a"
    assert previous_day_id(HISTORY, "a") is None and previous_day_id(HISTORY, "zz") is None


def test_history_views_compare_with_the_save_before_and_plan_with_the_day_before():
    assert history_views(HISTORY, "b2") == [
        ("briefing.diff", {"earlier_snapshot_id": "b1"}),
        ("yarn.plan", {"knitting": "observed", "earlier_snapshot_id": "a"}),
        ("yarn.evidence", {"knitting": "observed", "earlier_snapshot_id": "a"}),
        ("plan.backtest", {"knitting": "observed", "earlier_snapshot_id": "a"})]
    assert history_views(HISTORY, "a") == []
