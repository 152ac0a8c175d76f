"""The health figures do not cry wolf: no leak slope during warm-up or on < 5 min of samples, cold runs kept
apart from warm ones, SLO alerts on the warm p95 only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bk.ingest.snapshot import Snapshot
from bk.optimization.cache import ResultCache
from bk.optimization.manager import ServiceManager
from bk.optimization.memory import MemoryMonitor
from bk.optimization.profiler import Profiler


class Clock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def _monitor(clock, rss):
    return MemoryMonitor(threshold_mb=10_000, clock=clock, rss_mb=lambda: rss["mb"], warmup_s=300,
                         leak_min_span_s=300)


def test_cache_filling_during_warm_up_is_not_a_leak_slope():
    clock, rss = Clock(), {"mb": 150.0}
    m = _monitor(clock, rss)
    for _ in range(290):  # the first 290 s: 348 MB/min of growth, as a fresh server filling its caches
        clock.now += 1
        rss["mb"] += 5.8
        m.sample()
    assert m.leak_slope_mb_per_min() > 300  # the raw slope the page used to alert on
    assert m.leak_slope_after_warmup() is None
    assert m.snapshot()["leak_slope_after_warmup_mb_per_min"] is None


def test_the_slope_needs_five_minutes_of_samples_after_warm_up_then_is_measured():
    clock, rss = Clock(), {"mb": 300.0}
    m = _monitor(clock, rss)
    clock.now += 300  # warm-up over
    for _ in range(24):  # 4 minutes after warm-up, flat: still too short a span
        clock.now += 10
        m.sample()
    assert m.leak_slope_after_warmup() is None
    for _ in range(12):  # 2 more minutes, growing 1 MB per 10 s = 6 MB/min
        clock.now += 10
        rss["mb"] += 1
        m.sample()
    slope = m.leak_slope_after_warmup()
    assert slope is not None and 0 < slope < 6  # flat 4 min then 6 MB/min: least squares in between


def test_a_steady_leak_after_warm_up_is_reported_at_its_rate():
    clock, rss = Clock(), {"mb": 200.0}
    m = _monitor(clock, rss)
    for _ in range(300):  # warm-up: a jump that must not bias the slope
        clock.now += 1
        rss["mb"] += 1
        m.sample()
    for _ in range(40):  # 400 s, +2 MB per 10 s = 12 MB/min
        clock.now += 10
        rss["mb"] += 2
        m.sample()
    assert m.leak_slope_after_warmup() == pytest.approx(12.0)


def test_cold_and_warm_durations_are_apart_and_only_warm_p95_alerts():
    p = Profiler(slo_ms={"forecast.all": 3000.0})
    p.record("forecast.all", 16_000.0, cold=True)  # the first computation
    for ms in (40.0, 50.0, 60.0):
        p.record("forecast.all", ms)  # cache hits
    stats = p.percentiles("forecast.all")
    assert (stats["cold_count"], stats["warm_count"]) == (1, 3)
    assert stats["cold_p95"] == 16_000.0 and stats["warm_p50"] == 50.0
    assert stats["p95"] > 3000  # all samples together would alert
    assert p.bottlenecks() == []
    for _ in range(20):
        p.record("forecast.all", 4000.0)  # slow even when warm: that is a real problem
    assert [b["operation"] for b in p.bottlenecks()] == ["forecast.all"]


def test_measure_asks_a_callable_whether_the_block_was_cold():
    p = Profiler()
    computed = {"yes": False}
    with p.measure("page:X", cold=lambda: computed["yes"]):
        computed["yes"] = True
    with p.measure("page:X", cold=lambda: False):
        pass
    stats = p.percentiles("page:X")
    assert (stats["cold_count"], stats["warm_count"]) == (1, 1)


def test_the_manager_records_a_miss_cold_and_a_tier2_hit_warm(tmp_path: Path):
    manager = ServiceManager(cache=ResultCache(tmp_path))
    manager._operations = {"op.x": lambda frames, *, as_of, n: {"n": n}}
    snapshot = Snapshot({}, date(2025, 8, 28), "given")
    assert manager.missed_in_thread(reset=True) is False
    manager.run("op.x", snapshot, n=1)
    manager.run("op.x", snapshot, n=1)
    assert manager.missed_in_thread(reset=True) is True and manager.missed_in_thread() is False
    stats = manager.profiler.percentiles("op.x")
    assert (stats["cold_count"], stats["warm_count"]) == (1, 1)
    # the health score judges warm page loads only: a slow cold run does not cost points
    manager.profiler.record("page:Overview", 90_000.0, cold=True)
    assert manager.health()["components"]["speed"]["points"] == 25
