"""Attack 9 (operations): the metrics side port fails soft and registers once, load tests on App health are
gated like uploads and run one at a time, the health JSON has no cache folder path, and the README says what
an operator must set."""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request

import pytest
from streamlit.testing.v1 import AppTest

from bk.errors import BkError
from bk.optimization.cache import ResultCache
from tests.pages.conftest import ROOT, TIMEOUT_S, open_expanders
from ui import auth, metrics, services


class Registry:
    def __init__(self):
        self.collectors = []

    def register(self, collector):
        if self.collectors:
            raise ValueError("Duplicated timeseries in CollectorRegistry: {'bk_process_rss_megabytes'}")
        self.collectors.append(collector)


@pytest.fixture
def fresh_exporter(monkeypatch):
    import prometheus_client

    registry = Registry()
    monkeypatch.setattr(prometheus_client, "REGISTRY", registry)
    monkeypatch.setattr(metrics, "_EXPORTER", {"tried": False, "port": None, "collector": None})
    return registry


def test_a_busy_metrics_port_is_logged_once_and_never_registers_twice(fresh_exporter, monkeypatch, caplog):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    monkeypatch.setenv("BK_METRICS_PORT", str(busy.getsockname()[1]))
    try:
        with caplog.at_level(logging.WARNING, logger="bk.metrics"):
            results = [metrics.start_exporter() for _ in range(5)]  # every page run calls it
    finally:
        busy.close()
    assert results == [None] * 5
    assert len(fresh_exporter.collectors) == 1
    assert caplog.text.count("unavailable") == 1


def test_a_collector_registered_by_an_earlier_import_is_not_an_error(fresh_exporter, monkeypatch, caplog):
    fresh_exporter.register(object())  # what a reloaded module would find
    monkeypatch.setenv("BK_METRICS_PORT", "not-a-port")
    assert metrics.start_exporter() is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    monkeypatch.setattr(metrics, "_EXPORTER", {"tried": False, "port": None, "collector": None})
    started = []
    monkeypatch.setattr("prometheus_client.start_http_server", lambda port, addr: started.append((port, addr)))
    monkeypatch.setenv("BK_METRICS_PORT", str(free))
    assert metrics.start_exporter() == free and metrics.start_exporter() == free
    assert started == [(free, "127.0.0.1")]  # the side port is bound to loopback, once


def test_the_side_port_serves_bk_metrics(monkeypatch):
    import prometheus_client

    registry = prometheus_client.CollectorRegistry()
    monkeypatch.setattr(prometheus_client, "REGISTRY", registry)
    monkeypatch.setattr(metrics, "_EXPORTER", {"tried": False, "port": None, "collector": None})
    real_start = prometheus_client.start_http_server
    monkeypatch.setattr(prometheus_client, "start_http_server",
                        lambda port, addr: real_start(port, addr=addr, registry=registry))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    monkeypatch.setenv("BK_METRICS_PORT", str(free))
    assert metrics.start_exporter() == free
    with urllib.request.urlopen(f"http://127.0.0.1:{free}/metrics", timeout=10) as response:
        text = response.read().decode()
    assert "bk_process_rss_megabytes" in text


@pytest.fixture
def health_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "secret-cache-folder"))
    auth.SESSION_LIMITER.reset()
    auth.CLIENT_LIMITER.reset()
    services.manager.clear()
    yield tmp_path
    services.manager.clear()


def _health() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "health.py"), default_timeout=TIMEOUT_S).run()
    return open_expanders(at, "For engineers")  # the load test is in the engineers' section


def _load_button(at: AppTest):
    return next(b for b in at.button if b.label == "Run a 5-second load test")


def test_load_tests_need_the_upload_token_when_one_is_configured(health_env, monkeypatch):
    monkeypatch.setenv("BK_UPLOAD_TOKEN", "s3cret")
    calls = []
    monkeypatch.setattr(services, "load_test", lambda snapshot, **kw: calls.append(kw) or
                        {"calls": 1, "duration_s": 5.0, "throughput_per_s": 0.2, "errors": 0, "operations": {}})
    at = _health()
    assert _load_button(at).disabled
    at.text_input(key="load_test_token_input").input("wrong").run()
    assert _load_button(at).disabled and any("token is wrong" in e.value for e in at.error)
    at.text_input(key="load_test_token_input").input("s3cret").run()
    assert not _load_button(at).disabled
    _load_button(at).click().run()
    assert calls == [{"workers": 4, "duration_s": 5.0}]
    auth.SESSION_LIMITER.reset()


def test_one_load_test_at_a_time(monkeypatch):
    release = threading.Event()
    started = threading.Event()

    def slow(ops, *, workers, duration_s):
        started.set()
        release.wait(10)
        return {"calls": 0}

    monkeypatch.setattr("bk.optimization.profiler.load_test", slow)
    monkeypatch.setattr(services, "manager", lambda: type("M", (), {"operations": {}})())
    first = threading.Thread(target=services.load_test, args=(None,), kwargs={"workers": 1, "duration_s": 1})
    first.start()
    assert started.wait(10)
    with pytest.raises(BkError, match="already running"):
        services.load_test(None, workers=1, duration_s=1)
    release.set()
    first.join()
    assert services.load_test(None, workers=1, duration_s=1) == {"calls": 0}  # free again


def test_health_report_has_no_cache_folder_path(health_env):
    # what App health shows and puts in its JSON report: manager.health() and cache.status()
    manager = services.manager()
    manager.cache.get_or_compute("op", "digest", {}, lambda: {"x": 1})
    report = {"health": manager.health(None), "cache": manager.cache.status()}
    text = json.dumps(report, default=str)
    assert "secret-cache-folder" not in text and str(health_env) not in text
    assert report["cache"]["ok"] is True and report["cache"]["entries"] == 1
    assert "directory" not in report["cache"] and "directory" not in report["health"]["cache"]


def test_cache_degraded_reason_has_no_path(tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    cache = ResultCache(blocker / "cache")
    status = cache.status()
    assert status["ok"] is False and "file-not-folder" not in status["degraded_reason"]
    assert "BK_CACHE_DIR" in status["degraded_reason"]


def test_readme_operating_notes_say_what_an_operator_must_set():
    readme = (ROOT / "README.md").read_text()
    notes = readme[readme.index("## Operating notes"):readme.index("## Layout")]
    for needle in ["--server.address 127.0.0.1", "/_stcore/metrics", "BK_UPLOAD_TOKEN", "BK_CLIENT_IP_HEADER",
                   "BK_UPLOAD_MEMORY_MB", "BK_PARSE_CACHE_MB", "showErrorDetails", "BK_METRICS_PORT"]:
        assert needle in notes, needle


def test_tier1_counts_are_the_service_result_caches_only():
    from ui.metrics import tier1_counts

    text = "\n".join([
        'cache_lookups_total{cache="ui.services._cached",cache_type="st_cache_resource",result="hit"} 7',
        'cache_lookups_total{cache="ui.services._cached",cache_type="st_cache_resource",result="miss"} 2',
        'cache_lookups_total{cache="ui.services._cached_forecast",cache_type="st_cache_resource",result="hit"} 1',
        'cache_lookups_total{cache="ui.state._load",cache_type="st_cache_resource",result="hit"} 50',
        'cache_lookups_total{cache="ui.services._derived",cache_type="st_cache_resource",result="miss"} 9',
        'cache_compute_duration_seconds_count{cache="ui.services._cached",trigger="miss"} 2',
        'cache_memory_bytes{cache_type="st_cache_resource",cache="ui.services._cached"} 3',
    ])
    assert tier1_counts(text) == {"hits": 8.0, "misses": 2.0, "hit_rate": 0.8}
