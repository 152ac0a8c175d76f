"""Optimization layer: optimize_frame, percentiles, cache (LRU, TTL, no pickles, corruption), breaker, health."""

from __future__ import annotations

import pickle
import sqlite3

import diskcache
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from bk.errors import MissingDataError, ServiceUnavailableError
from bk.optimization.breaker import CircuitBreaker
from bk.optimization.cache import ResultCache
from bk.optimization.memory import MemoryMonitor, optimize_frame
from bk.optimization.profiler import Profiler, load_test


def test_optimize_frame_is_lossless_and_smaller():
    df = pd.DataFrame({"supplier": pd.Series(["UNIFI", "DECA", "UNIFI", None] * 500, dtype="string"),
                       "yarn_id": pd.Series([18884, 19020, 5, None] * 500, dtype="Int64"),
                       "whole": [1.0, 2.0, 3.0, 4.0] * 500, "price": [4.07, 1.1, np.nan, 2.5] * 500,
                       "when": pd.to_datetime(["2025-08-28"] * 2000)})
    before = df.copy()
    out, report = optimize_frame(df)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert len(out) == len(df) == report.rows
    assert isinstance(out["supplier"].dtype, pd.CategoricalDtype)
    assert str(out["yarn_id"].dtype) == "Int16" and out["whole"].dtype == np.float64
    assert out["price"].dtype == np.float64  # float32 only when asked for
    assert out["supplier"].astype("string").equals(df["supplier"]) and out["yarn_id"].equals(
        df["yarn_id"].astype("Int16"))
    assert report.bytes_after < report.bytes_before


def test_float32_only_when_every_value_survives():
    exact = pd.DataFrame({"x": [0.5, 0.25, 1024.0, 1.5]})
    assert optimize_frame(exact, float32=True)[0]["x"].dtype == np.float32
    assert optimize_frame(pd.DataFrame({"x": [0.1, 1234.5678901234, np.nan]}), float32=True)[0]["x"].dtype \
        == np.float32  # float32 keeps ~7 digits: within 1e-6 relative
    too_big = pd.DataFrame({"x": [0.1, 1e39]})  # 1e39 overflows float32
    assert optimize_frame(too_big, float32=True)[0]["x"].dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-10**12, 10**12)), min_size=1, max_size=50),
       st.lists(st.sampled_from(["a", "b", None, "c"]), min_size=1, max_size=50))
def test_optimize_frame_round_trips_values(ints, texts):
    n = min(len(ints), len(texts))
    df = pd.DataFrame({"i": pd.Series(ints[:n], dtype="Int64"), "t": pd.Series(texts[:n], dtype="string")})
    out, _ = optimize_frame(df)
    assert out["i"].astype("Int64").equals(df["i"]) and out["t"].astype("string").equals(df["t"])


def test_percentiles_against_numpy_on_a_known_sample():
    p = Profiler()
    for ms in range(1, 101):
        p.record("op", float(ms))
    stats = p.percentiles("op")
    assert (stats["p50"], stats["p95"], stats["p99"], stats["max"]) == (50.5, pytest.approx(95.05),
                                                                       pytest.approx(99.01), 100.0)
    assert stats["count"] == 100 and p.bottlenecks() == []  # p95 95 ms is within the default 200 ms SLO
    p.slo_ms["op"] = 90.0
    assert [b["operation"] for b in p.bottlenecks()] == ["op"]


def test_bottlenecks_worst_first_and_errors_counted():
    p = Profiler(slo_ms={"slow": 10.0, "slower": 10.0, "fine": 1000.0})
    for _ in range(5):
        p.record("slow", 20.0)
        p.record("slower", 50.0)
        p.record("fine", 5.0)
    with pytest.raises(RuntimeError):
        with p.measure("fine"):
            raise RuntimeError("boom")
    assert [b["operation"] for b in p.bottlenecks()] == ["slower", "slow"]
    assert p.percentiles("fine")["errors"] == 1 and p.error_rate() == pytest.approx(1 / 16)


def test_missing_data_and_control_flow_are_not_errors():
    p = Profiler()
    p.record("page:Yarn", 5.0)
    with pytest.raises(MissingDataError):
        with p.measure("page:Yarn"):
            raise MissingDataError("no BOM export in this snapshot")
    with pytest.raises(StopException):  # st.stop() after a page showed its st.error
        with p.measure("page:Yarn"):
            raise StopException()
    with pytest.raises(KeyError):
        with p.measure("page:Yarn"):
            raise KeyError("a real bug")
    # 4 calls: 1 real failure (KeyError), 1 refusal (missing export), 1 st.stop, 1 fine
    assert p.percentiles("page:Yarn")["count"] == 4
    assert p.percentiles("page:Yarn")["errors"] == 1 and p.percentiles("page:Yarn")["refusals"] == 1
    assert p.error_rate() == pytest.approx(1 / 4) and p.refusals() == 1


def test_load_test_counts_calls_and_errors():
    calls = {"n": 0}

    def ok():
        calls["n"] += 1

    def bad():
        raise ValueError("x")

    result = load_test({"ok": ok, "bad": bad}, workers=2, duration_s=0.2, max_calls=200)
    assert 10 < result["calls"] <= 200 and calls["n"] + result["operations"]["bad"]["count"] == result["calls"]
    assert result["operations"]["bad"]["errors"] == result["operations"]["bad"]["count"] > 0


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def test_ttl_expiry_with_a_fake_clock_gives_no_stale_hit(tmp_path):
    clock = Clock()
    cache = ResultCache(tmp_path / "c", ttl_s={"frame": 60, "default": 60}, clock=clock)
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert cache.get_or_compute("op", "d1", {}, compute, data_type="frame") == ({"n": 1}, False)
    clock.now += 59
    assert cache.get_or_compute("op", "d1", {}, compute, data_type="frame") == ({"n": 1}, True)
    clock.now += 2  # past the TTL: recomputed, never the old value
    assert cache.get_or_compute("op", "d1", {}, compute, data_type="frame") == ({"n": 2}, False)
    assert cache.stats_dict()["op"] == {"hits": 1, "misses": 2, "errors": 0, "hit_rate": pytest.approx(1 / 3)}


def test_lru_order_follows_reads_and_the_oldest_is_evicted_first(tmp_path, monkeypatch):
    import diskcache.core as core

    tick = {"t": 1000.0}
    monkeypatch.setattr(core.time, "time", lambda: tick["t"])  # diskcache's access times
    cache = ResultCache(tmp_path / "c")
    for name in ("a", "b", "c"):
        tick["t"] += 1
        cache.get_or_compute("op", name, {}, lambda name=name: name)
    tick["t"] += 1
    assert cache.get_or_compute("op", "a", {}, lambda: "recomputed") == ("a", True)  # a read refreshes "a"
    db = sqlite3.connect(tmp_path / "c" / "cache.db")
    order = [k.split(":")[1] for (k,) in db.execute("SELECT key FROM Cache ORDER BY access_time")]
    assert order == ["b", "c", "a"]
    disk = cache._open()[0]
    disk.reset("size_limit", 1)  # over the limit: the next write culls least recently used first
    disk.reset("cull_limit", 1)
    tick["t"] += 1
    cache.get_or_compute("op", "d", {}, lambda: "d")
    left = [k.split(":")[1] for (k,) in db.execute("SELECT key FROM Cache ORDER BY access_time")]
    assert "b" not in left and "a" in left


def test_sessions_opening_the_cache_at_once_all_read_it(tmp_path, monkeypatch):
    """Ten session threads reach a fresh cache together while its two diskcaches open slowly: none may see the
    LRU cache without its pinned partner (a browser session once got AttributeError on 'NoneType'.get)."""
    import threading
    import time as clock

    opened = ResultCache._diskcache

    def slow(self, folder, **settings):
        clock.sleep(0.05)
        return opened(self, folder, **settings)

    monkeypatch.setattr(ResultCache, "_diskcache", slow)
    cache = ResultCache(tmp_path / "c", signing_key="k")
    failures, results = [], []

    def session(n):
        clock.sleep(0.015 * n)  # arriving one after another, some while the first is still opening
        try:
            results.append(cache.get_or_compute("op", "d", {}, lambda: "value")[0])
        except Exception as exc:  # collected: the assertion below names it
            failures.append(repr(exc))

    threads = [threading.Thread(target=session, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert results == ["value"] * 10


def test_frames_round_trip_through_the_cache(tmp_path):
    cache = ResultCache(tmp_path / "c")
    frame = pd.DataFrame({"cat": pd.Categorical(["x", "y", "x"]), "when": pd.to_datetime(["2025-08-28"] * 3),
                          "n": pd.array([1, None, 3], dtype="Int64"), "s": pd.Series(["a", None, "c"], dtype="string")})
    value = {"table": frame, "summary": {"as_of": "2025-08-28", "nan": float("nan")}, "list": [1, 2]}
    cache.get_or_compute("op", "d", {"p": 1}, lambda: value)
    got, hit = cache.get_or_compute("op", "d", {"p": 1}, lambda: None)
    assert hit
    pd.testing.assert_frame_equal(got["table"], frame)
    assert np.isnan(got["summary"]["nan"]) and got["list"] == [1, 2]


class Trap:
    fired = False

    def __reduce__(self):
        return (Trap._fire, ())

    @staticmethod
    def _fire():
        Trap.fired = True
        return "pwned"


def test_a_planted_pickle_is_never_unpickled(tmp_path):
    cache = ResultCache(tmp_path / "c")
    key = cache.key("op", "d", {})
    plain = diskcache.Cache(str(tmp_path / "c"))  # a default Disk pickles non-bytes values
    plain.set(key, Trap())
    plain.close()
    Trap.fired = False
    value, hit = cache.get_or_compute("op", "d", {}, lambda: "computed")
    assert (value, hit) == ("computed", False) and Trap.fired is False
    assert pickle.dumps(Trap())  # the trap itself is a valid pickle


def test_corrupt_or_deleted_cache_directory_is_survived(tmp_path):
    cache = ResultCache(tmp_path / "c")
    cache.get_or_compute("op", "d", {}, lambda: 1)
    (tmp_path / "c" / "cache.db").write_bytes(b"garbage" * 1000)
    value, hit = cache.get_or_compute("op", "d2", {}, lambda: 2)
    assert value == 2 and hit is False
    assert cache.get_or_compute("op", "d3", {}, lambda: 3)[0] == 3  # still answering, whatever the file holds


def test_unusable_directory_degrades_and_says_so(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path / "c")

    def refuse(*a, **k):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(diskcache, "Cache", refuse)
    assert cache.get_or_compute("op", "d", {}, lambda: 5) == (5, False)
    assert cache.status()["ok"] is False and "readonly" in cache.status()["degraded_reason"]


def test_circuit_breaker_states():
    clock = Clock()
    breaker = CircuitBreaker("yarn.plan", clock=clock, error_details="full")

    def boom():
        raise RuntimeError("disk on fire")

    for _ in range(3):
        with pytest.raises(RuntimeError):
            breaker.call(boom)
    assert breaker.state == "open"
    with pytest.raises(ServiceUnavailableError, match="yarn.plan is paused after 3 failures.*disk on fire"):
        breaker.call(lambda: "never runs")
    clock.now += 60
    assert breaker.state == "half-open"
    with pytest.raises(RuntimeError):
        breaker.call(boom)  # the trial fails: open again
    assert breaker.state == "open"
    clock.now += 60
    assert breaker.call(lambda: "ok") == "ok" and breaker.state == "closed"


def test_memory_monitor_threshold_gc_once_and_leak_slope():
    clock = Clock()
    rss = {"mb": 100.0}
    m = MemoryMonitor(threshold_mb=500, cooldown_s=30, clock=clock, rss_mb=lambda: rss["mb"])
    for i in range(10):  # grows 2 MB per 10 s = 12 MB/min
        clock.now += 10
        rss["mb"] = 100 + 2 * i
        m.sample()
    assert m.leak_slope_mb_per_min(window_min=5) == pytest.approx(12.0)
    rss["mb"] = 600
    m.sample()
    clock.now += 5
    m.sample()  # inside the cool-down: no second collection
    assert m.threshold_collections == 1
    clock.now += 30
    m.sample()
    assert m.threshold_collections == 2


def test_gc_events_are_recorded_with_generation_pause_and_source():
    import gc

    m = MemoryMonitor()
    m.install_gc_callback()
    try:
        m.collect(source="manual")
    finally:
        m.remove_gc_callback()
    event = list(m.gc_events)[-1]
    assert event["generation"] == 2 and event["source"] == "manual" and event["pause_ms"] >= 0
    assert m._on_gc not in gc.callbacks


def test_cache_keys_change_with_the_code(monkeypatch):
    from bk.optimization import cache as cache_module

    before = cache_module.ResultCache.key("yarn.plan", "d", {"a": 1})
    monkeypatch.setattr(cache_module, "code_version", lambda: "another-release")
    after = cache_module.ResultCache.key("yarn.plan", "d", {"a": 1})
    assert before != after and ":another-release:" in after
    assert before.startswith("yarn.plan:d:")
