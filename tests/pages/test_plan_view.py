"""The app's view of the yarn plan closes the loop with the export day before the active one."""

from __future__ import annotations

from ui import services, state


def test_the_newest_demo_day_plans_with_the_day_before_and_the_first_day_alone():
    days = [snapshot_id for snapshot_id, _, _ in state.demo_days()]
    newest, first = state.load(days[-1]), state.load(days[0])
    assert services.plan_view(newest) == {"knitting": "observed", "earlier_snapshot_id": days[-2]}
    assert services.plan_view(first) == {"knitting": "observed"}


def test_the_plan_with_the_day_before_takes_paces_from_it():
    days = [snapshot_id for snapshot_id, _, _ in state.demo_days()]
    newest = state.load(days[-1])
    plan = services.manager().run("yarn.plan", newest, **services.plan_view(newest))
    sources = set(plan["kos"]["pace_source"].dropna())
    assert "own pace since the earlier snapshot" in sources
    assert plan["summary"]["earlier_as_of"] == state.load(days[-2]).as_of.isoformat()
