"""The app's health score (bk.optimization.health) by hand, and its stability: what a fresh or idle server does
(a cold first visit, a garbage collection, a memory spike, points drifting) leaves the score as it was; a
sustained slowdown, sustained memory over budget or failures move it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bk.ingest.snapshot import Snapshot
from bk.optimization.cache import ResultCache
from bk.optimization.health import HealthInputs, Steadier, health_score
from bk.optimization.manager import ServiceManager
from bk.optimization.memory import MemoryMonitor


def score(**inputs) -> dict:
    return health_score(HealthInputs(**inputs))


def minutes_at(mb: float, *, start: int = 0, seconds: int = 300) -> list[tuple[float, float]]:
    """One memory sample a second, ``seconds + 1`` of them, all ``mb``."""
    return [(float(t), mb) for t in range(start, start + seconds + 1)]


def test_the_score_by_hand():
    result = score(
        page_loads=[("Overview", 100.0)] * 70 + [("Yarn inventory", 900.0)] * 30,  # 70 % quick: 25 × 0.2/0.4
        calls=[False] * 198 + [True] * 2,  # 1 % failed: 25 × (1 − 0.01/0.05) = 20
        rss=minutes_at(600.0),  # 100 MB over a 500 MB budget: 15 × (1 − 100/250) = 9
        cache_degraded=True,  # 0 of 5
        expected_exports=20, missing_exports=3,  # 10 × 17/20 = 8.5
        finding_errors=1, finding_warnings=40,  # 10 × (1 − (1 + 40/20)/10) = 7
        data_as_of=date(2025, 9, 2), today=date(2025, 9, 6))  # 4 days old: 10 × (1 − 3/6) = 5
    points = {k: c["points"] for k, c in result["components"].items()}
    assert points == {"speed": 12.5, "failures": 20.0, "memory": 9.0, "storage": 0.0, "complete": 8.5,
                      "clean": 7.0, "recent": 5.0}
    assert (result["score"], result["status"]) == (62, "fair")
    details = {k: c["detail"] for k, c in result["components"].items()}
    assert details["speed"] == "70% of the last 100 page loads took under 0.5 s"
    assert details["failures"] == "2 of the last 200 page loads and calculations failed unexpectedly"
    assert details["memory"] == "Typically 600 MB over the last 5 minutes, of a 500 MB budget"
    assert details["complete"] == "17 of the 20 exports the pages use are in this snapshot"
    assert details["clean"] == "1 error and 40 warnings when the files were read"
    assert details["recent"] == "The exports are of 2 Sep 2025, 4 days ago"
    assert [a.split(" ")[0] for a in result["alerts"]] == ["2", "The", "Pages", "Computed", "The"]
    assert result["alerts"][2] == ("Pages are slow: 30 of the last 100 page loads took 0.5 s or more, most of them "
                                   "on Yarn inventory (typically 0.9 s there).")
    assert result["alerts"][1] == ("The app has used more memory than its budget for the last 5 minutes: "
                                   "typically 600 MB of 500 MB. Restarting the app frees it.")
    # a paused calculation (open circuit breaker) takes all the failure points: 62 − 20 = 42
    paused = score(calls=[False] * 198 + [True] * 2, open_breakers=1)
    assert (paused["score"], paused["status"]) == (75, "fair")
    assert paused["components"]["failures"]["detail"].endswith("; 1 calculation paused after failing repeatedly")
    assert score(finding_warnings=8)["components"]["clean"]["detail"] == "8 warnings when the files were read"


def test_nothing_to_judge_is_full_points():
    result = score()
    assert (result["score"], result["status"], result["alerts"]) == (100, "good", [])
    assert result["components"]["speed"]["detail"].startswith("Not judged yet: 0 page loads so far, 20 needed")


def test_one_slow_load_in_a_hundred_does_not_move_the_score_a_sustained_slowdown_does():
    quick = [("Overview", 150.0)] * 100
    spike = quick[:60] + [("Overview", 4000.0)] + quick[:39]  # a run that paid for a garbage collection
    assert score(page_loads=spike)["score"] == score(page_loads=quick)["score"] == 100
    # 10 slow of the last 100: still 90 % quick, full points; 20 slow: 80 % → 25 × 0.3/0.4 = 18.75 → 18.8
    assert score(page_loads=quick[:90] + [("Yarn inventory", 800.0)] * 10)["score"] == 100
    slower = score(page_loads=quick + [("Yarn inventory", 800.0)] * 20)
    assert slower["components"]["speed"]["points"] == 18.8 and slower["score"] == 94
    # half the loads slow: no speed points
    assert score(page_loads=quick + [("Yarn inventory", 800.0)] * 50)["score"] == 75


def test_speed_is_judged_on_twenty_loads_or_more():
    slow = [("Data", 2000.0)] * 19
    assert score(page_loads=slow)["score"] == 100  # 19 loads: not judged
    assert score(page_loads=slow + [("Data", 2000.0)])["score"] == 75  # 20 slow loads: 0 of 25


def test_a_memory_dip_or_spike_or_two_minutes_over_budget_do_not_move_the_score():
    steady = minutes_at(450.0)
    gc_dip = steady[:100] + [(100.0, 180.0)] + steady[101:]  # one full collection frees memory for a second
    spike = steady[:200] + [(200.0, 900.0)] + steady[201:]
    two_minutes_over = [(t, 700.0 if t < 120 else mb) for t, mb in steady]
    spike_now = steady[:-1] + [(300.0, 900.0)]  # the latest sample: a page building a large table
    for series in (steady, gc_dip, spike, two_minutes_over, spike_now):
        result = score(rss=series)
        assert (result["score"], result["components"]["memory"]["points"]) == (100, 15.0)
    # what happened more than 5 minutes before the latest sample is out of the window
    assert score(rss=minutes_at(900.0) + minutes_at(450.0, start=301))["score"] == 100


def test_memory_over_budget_for_five_minutes_costs_points():
    result = score(rss=minutes_at(450.0) + minutes_at(625.0, start=301))  # 125 MB over: 15 × (1 − 125/250)
    assert result["components"]["memory"]["points"] == 7.5
    assert result["score"] == 92  # 92.5, rounded half to even
    assert score(rss=minutes_at(750.0))["components"]["memory"]["points"] == 0.0  # 1.5 × the budget
    # three minutes of the five over budget: the median is over
    assert score(rss=[(t, 600.0 if t >= 120 else 450.0) for t, _ in minutes_at(0)])["score"] == 94


def test_failures_count_over_the_last_200_calls():
    assert score(calls=[True] + [False] * 200)["score"] == 100  # the failure is 201 calls back
    assert score(calls=[True] * 10 + [False] * 190)["score"] == 75  # 5 % failed: 0 of 25


def test_points_follow_only_moves_of_two_points_or_more_and_reaching_full_or_zero():
    steadier = Steadier()

    def shown(rss_mb: float) -> tuple[float, int]:
        result = steadier.steady(score(rss=minutes_at(rss_mb)))
        return result["components"]["memory"]["points"], result["score"]

    assert shown(550.0) == (12.0, 97)  # 15 × (1 − 50/250)
    assert shown(560.0) == (12.0, 97)  # 11.4: 0.6 away, kept
    assert shown(580.0) == (12.0, 97)  # 10.2: 1.8 away, kept
    assert shown(590.0) == (9.6, 95)  # 2.4 away: follows (94.6 rounds to 95)
    assert shown(585.0) == (9.6, 95)  # 9.9: kept
    assert shown(400.0) == (15.0, 100)  # back within budget: full points at once


class Clock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def test_a_fresh_server_s_first_visits_and_cache_misses_do_not_move_the_score(tmp_path: Path):
    manager = ServiceManager(cache=ResultCache(tmp_path))
    clock, rss = Clock(), {"mb": 300.0}
    manager.monitor = MemoryMonitor(clock=clock, rss_mb=lambda: rss["mb"], threshold_mb=10_000)
    manager._operations = {"op.x": lambda frames, *, as_of: {"x": 1}}
    for _ in range(30):
        clock.now += 1
        manager.monitor.sample()
    before = manager.health()
    assert before["score"] == 100

    snapshot = Snapshot({}, date(2025, 8, 28), "demo")
    manager.run("op.x", snapshot)  # a tier-2 miss (the old score's cache hit rate fell to 0 % here)
    manager.profiler.record("page:Yarn requirements", 12_000.0, cold=True)  # first visit: imports, computing
    for _ in range(40):
        manager.profiler.record("page:Overview", 120.0)
    rss["mb"] = 340.0  # caches filling, within budget
    for _ in range(30):
        clock.now += 1
        manager.monitor.sample()
    after = manager.health()
    assert after["score"] == 100 and after["alerts"] == []
    assert after["components"]["speed"]["detail"] == "100% of the last 40 page loads took under 0.5 s"
    # then every load of one page is slow for as long as the rest: half of the last 80 loads → no speed points
    for _ in range(40):
        manager.profiler.record("page:Yarn inventory", 900.0)
    slowed = manager.health()
    assert (slowed["score"], slowed["components"]["speed"]["points"]) == (75, 0.0)
    assert "most of them on Yarn inventory" in slowed["alerts"][0]
