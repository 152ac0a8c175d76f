"""Warming: light views in a thread (never the forecast in the server), everything in a niced worker process."""

from __future__ import annotations

import time
from datetime import date

import pytest

from bk.ingest.snapshot import Snapshot, load_paths
from bk.optimization.cache import ResultCache
from bk.optimization.manager import DEFAULT_VIEWS, ServiceManager, is_heavy
from tests.conftest import DEMO


def _fake_manager(calls: list[str], cache=None) -> ServiceManager:
    manager = ServiceManager(cache=cache)

    def op(name):
        def run(frames, *, as_of, **params):
            calls.append(name)
            return {"n": len(calls)}
        return run

    manager._operations = {name: op(name) for name, _ in DEFAULT_VIEWS}
    return manager


def test_warming_in_the_server_computes_the_light_views_and_never_the_forecast():
    calls: list[str] = []
    manager = _fake_manager(calls)
    snapshot = Snapshot({}, date(2025, 8, 28), "given")
    manager.warm(snapshot, background=False)
    assert calls == ["yarn.plan", "yarn.evidence", "inventory.analyze", "pipeline.wip", "pipeline.netting",
                     "capacity.plan"]
    assert [op for op, _ in DEFAULT_VIEWS if is_heavy(op)] == ["forecast.levels"]
    manager.warm(snapshot, background=False)  # once per snapshot and process
    assert len(calls) == 6


def test_without_a_cache_a_source_is_not_enough_for_a_worker_process():
    calls: list[str] = []
    manager = _fake_manager(calls)
    started = manager.warm(Snapshot({}, date(2025, 8, 28), "given"), source_args=["--paths", "x"])
    started.join(timeout=30)
    assert calls == ["yarn.plan", "yarn.evidence", "inventory.analyze", "pipeline.wip", "pipeline.netting",
                     "capacity.plan"]


def test_the_worker_process_fills_the_tier2_cache_the_server_then_hits(tmp_path):
    snapshot, failures = load_paths([DEMO])
    assert failures == []
    manager = ServiceManager(cache=ResultCache(tmp_path / "cache"))
    proc = manager.warm(snapshot, source_args=["--paths", str(DEMO)], operations=["pipeline.wip"])
    assert proc.wait(timeout=240) == 0
    params = next(p for op, p in DEFAULT_VIEWS if op == "pipeline.wip")
    # the server that spawned the worker reads (the same signing key)
    server = ServiceManager(cache=ResultCache(tmp_path / "cache", signing_key=manager.cache.signing_key))
    value, hit = server.cache.get_or_compute("pipeline.wip", snapshot.digest, params,
                                             lambda: pytest.fail("not warmed"), data_type="frame")
    assert hit and value["summary"] == server.operations["pipeline.wip"](snapshot.frames, as_of=snapshot.as_of,
                                                                          **params)["summary"]


def test_a_page_asking_for_a_view_the_worker_is_computing_waits_for_it_instead_of_computing(tmp_path):
    from bk.services.pipeline import OPERATIONS

    snapshot, _ = load_paths([DEMO])
    params = next(p for op, p in DEFAULT_VIEWS if op == "pipeline.wip")
    expected = OPERATIONS["pipeline.wip"](snapshot.frames, as_of=snapshot.as_of, **params)["summary"]
    server = ServiceManager(cache=ResultCache(tmp_path / "cache"))
    server._operations = {"pipeline.wip": lambda *a, **k: pytest.fail("computed in the server")}
    proc = server.warm(snapshot, source_args=["--paths", str(DEMO)], operations=["pipeline.wip"])
    worker = server._workers[snapshot.digest]
    deadline = time.monotonic() + 240
    while worker.current < 0 and time.monotonic() < deadline:  # until it announces the view it computes
        time.sleep(0.01)
    assert worker.current == 0
    assert server.run("pipeline.wip", snapshot, **params)["summary"] == expected
    assert proc.wait(timeout=240) == 0


def test_a_light_view_asked_while_the_worker_is_still_starting_is_computed_by_the_page(tmp_path):
    snapshot, _ = load_paths([DEMO])
    params = next(p for op, p in DEFAULT_VIEWS if op == "pipeline.wip")
    server = ServiceManager(cache=ResultCache(tmp_path / "cache"))
    server._operations = {"pipeline.wip": lambda frames, **k: {"computed": "in the server"}}
    proc = server.warm(snapshot, source_args=["--paths", str(DEMO)], operations=["pipeline.wip"])
    assert server._workers[snapshot.digest].current == -1  # still importing and reading the snapshot
    assert server.run("pipeline.wip", snapshot, **params) == {"computed": "in the server"}
    assert proc.wait(timeout=240) == 0


def test_the_worker_refuses_another_snapshot_than_the_one_named(tmp_path, monkeypatch):
    from bk.optimization import manager as manager_module

    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(manager_module.os, "nice", lambda n: 0)
    assert manager_module.main(["--paths", str(DEMO), "--digest", "0" * 64, "--operations", "pipeline.wip"]) == 2
    assert not (tmp_path / "cache").exists()



def test_a_light_view_queued_behind_others_is_computed_by_the_page_itself(tmp_path):
    snapshot, _ = load_paths([DEMO])
    params = next(p for op, p in DEFAULT_VIEWS if op == "pipeline.netting")
    server = ServiceManager(cache=ResultCache(tmp_path / "cache"))
    server._operations = {"pipeline.netting": lambda frames, **k: {"computed": "in the server"}}
    proc = server.warm(snapshot, source_args=["--paths", str(DEMO)], operations=["pipeline.wip", "pipeline.netting"])
    assert proc.poll() is None
    assert server.run("pipeline.netting", snapshot, **params) == {"computed": "in the server"}
    assert proc.wait(timeout=240) == 0
