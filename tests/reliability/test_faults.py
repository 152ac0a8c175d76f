"""Faults while the app runs: cache directory deleted, unusable or filled with garbage; a process killed in the
middle of a snapshot save. The service keeps answering, health says degraded, the store stays whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import diskcache

from bk.ingest.snapshot import SnapshotStore, load_paths
from bk.optimization.cache import ResultCache
from bk.optimization.manager import ServiceManager
from tests.conftest import DEMO, ROOT


def demo_manager(tmp_path):
    snapshot, _ = load_paths([DEMO])
    snapshot.snapshot_id = "demo"
    return ServiceManager(cache=ResultCache(tmp_path / "cache")), snapshot


def test_cache_directory_deleted_while_running(tmp_path):
    manager, snapshot = demo_manager(tmp_path)
    first = manager.run("pipeline.wip", snapshot)
    import shutil

    shutil.rmtree(tmp_path / "cache")
    again = manager.run("pipeline.wip", snapshot)
    assert again["summary"] == first["summary"]
    assert manager.cache.status()["ok"]  # recreated on next use


def test_garbage_cache_database_degrades_health_but_answers(tmp_path):
    manager, snapshot = demo_manager(tmp_path)
    manager.run("pipeline.wip", snapshot)
    (tmp_path / "cache" / "cache.db").write_bytes(os.urandom(64 * 1024))
    result = manager.run("pipeline.wip", snapshot, aging_days=30)  # the running process keeps answering
    assert result["summary"]["aging_days"] == 30
    restarted = ServiceManager(cache=ResultCache(tmp_path / "cache"))  # a restart finds the garbage
    assert restarted.run("pipeline.wip", snapshot, aging_days=45)["summary"]["aging_days"] == 45
    health = restarted.health(snapshot)
    assert health["cache"]["ok"] is False and health["components"]["storage"]["points"] == 0
    assert health["components"]["storage"]["detail"] == "No: the store of computed results on disk cannot be used"


def test_unwritable_cache_directory(tmp_path, monkeypatch):
    manager, snapshot = demo_manager(tmp_path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(diskcache, "Cache", refuse)
    manager.cache._cache = None
    assert manager.run("pipeline.wip", snapshot)["summary"]["aging_days"] == 90
    assert "Permission denied" in manager.health(snapshot)["cache"]["degraded_reason"]


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import bk.ingest.snapshot as s
    real = s._write_synced
    def slow(path, data):
        real(path, data)
        print("wrote", path.name, flush=True)
        time.sleep(0.5)
    s._write_synced = slow
    from pathlib import Path
    files = [(p.name, p.read_bytes()) for p in sorted(Path({demo!r}).iterdir())]
    s.SnapshotStore({store!r}).save(files)
""")


def test_a_save_killed_midway_leaves_nothing_half_written(tmp_path):
    store_dir = tmp_path / "snapshots"
    store = SnapshotStore(store_dir)
    before = store.save([("Machine Report fin1.csv", (DEMO / "Machine Report fin1.csv").read_bytes())],
                        as_of=date(2025, 8, 1))
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), demo=str(DEMO), store=str(store_dir))],
                             stdout=subprocess.PIPE, text=True)
    written = 0
    deadline = time.monotonic() + 60
    while written < 3 and time.monotonic() < deadline:
        if child.stdout.readline().startswith("wrote"):
            written += 1
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert written == 3
    assert [i.snapshot_id for i in store.list()] == [before.snapshot_id]  # the killed save is invisible
    assert store.latest().snapshot_id == before.snapshot_id
    assert store.remove_stale_temporaries() == 1
    assert sorted(p.name for p in store_dir.iterdir()) == [before.snapshot_id]
