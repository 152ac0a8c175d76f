"""Warm at save, kept per snapshot: `bk save` fills the tier-2 cache with every default view (and the comparison
with the snapshot before), a restarted server trusts those entries (the signing key file), entries of the
newest BK_KEEP_WARM snapshots are pinned out of the LRU, and a comparison served warm never reads the earlier
snapshot."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat

import pytest

from bk.cli import save
from bk.ingest.snapshot import SnapshotStore
from bk.optimization import manager as manager_module
from bk.optimization.cache import KEY_FILE, ResultCache
from bk.optimization.manager import DEFAULT_VIEWS, ServiceManager, comparison_view, fill_store, kept_ids
from tests.conftest import DEMO

RESULT = {"summary": {"n": 1}}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("BK_CACHE_KEY", raising=False)
    monkeypatch.delenv("BK_KEEP_WARM", raising=False)
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def counting_operations(monkeypatch, calls: list[str]) -> None:
    """Every service operation a manager made from now on counts its computations in ``calls``."""
    real = manager_module.operations()

    def wrap(name, fn):
        def run(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return run

    monkeypatch.setattr(manager_module, "operations", lambda: {n: wrap(n, f) for n, f in real.items()})


def test_the_key_file_is_owner_only_and_a_restarted_cache_trusts_its_entries(env):
    first = ResultCache(env / "cache")
    first.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    key_path = env / "cache" / KEY_FILE
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert key_path.read_text() == first.signing_key and len(first.signing_key) == 64
    restarted = ResultCache(env / "cache")  # a new process: reads the key, does not make another
    assert restarted.signing_key == first.signing_key
    assert restarted.get_or_compute("pipeline.wip", "d0", {}, lambda: pytest.fail("recomputed")) == (RESULT, True)
    assert not [p for p in (env / "cache").iterdir() if p.name.startswith(f".{KEY_FILE}")]  # no temporary left


def test_a_key_file_others_can_read_is_not_used(env):
    first = ResultCache(env / "cache")
    first.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    os.chmod(env / "cache" / KEY_FILE, 0o644)
    restarted = ResultCache(env / "cache")
    assert restarted.signing_key != first.signing_key
    assert restarted.get_or_compute("pipeline.wip", "d0", {}, lambda: {"recomputed": True})[1] is False


def test_bk_cache_key_wins_over_the_key_file(env, monkeypatch):
    ResultCache(env / "cache")
    monkeypatch.setenv("BK_CACHE_KEY", "shared by the replicas")
    assert ResultCache(env / "cache").signing_key == "shared by the replicas"


def test_pinned_entries_survive_an_lru_squeeze(tmp_path):
    cache = ResultCache(tmp_path / "cache", size_limit_bytes=40_000, cull_limit=50, signing_key="k")
    cache.get_or_compute("yarn.plan", "kept", {}, lambda: {"blob": "p" * 3000}, pin="2025-08-28_abc")
    cache.get_or_compute("yarn.plan", "old", {}, lambda: {"blob": "o" * 3000})
    for i in range(60):  # 60 × 3 KB through a 40 KB LRU
        cache.get_or_compute("yarn.plan", f"filler{i}", {}, lambda: {"blob": "f" * 3000})
    assert not cache.has("yarn.plan", "old", {})  # the squeeze evicted the unpinned one
    value, hit = cache.get_or_compute("yarn.plan", "kept", {}, lambda: pytest.fail("evicted"), pin="2025-08-28_abc")
    assert hit and value == {"blob": "p" * 3000}


def test_a_pinned_entry_never_expires_and_a_released_one_ages_out(tmp_path):
    now = [1000.0]
    cache = ResultCache(tmp_path / "cache", ttl_s={"frame": 60, "default": 60}, clock=lambda: now[0],
                        signing_key="k")
    cache.get_or_compute("yarn.plan", "a", {}, lambda: RESULT, data_type="frame", pin="A")
    cache.get_or_compute("yarn.plan", "b", {}, lambda: RESULT, data_type="frame", pin="B")
    now[0] += 10 * 24 * 3600
    assert cache.get_or_compute("yarn.plan", "a", {}, lambda: pytest.fail("expired"), pin="A")[1]
    assert cache.release_pins({"A"}) == 1  # B is no longer kept: into the LRU, with the TTL from now
    assert cache.has("yarn.plan", "a", {}, pinned_only=True) and not cache.has("yarn.plan", "b", {}, pinned_only=True)
    assert cache.get_or_compute("yarn.plan", "b", {}, lambda: pytest.fail("dropped"))[1]
    now[0] += 61
    assert cache.get_or_compute("yarn.plan", "b", {}, lambda: {"recomputed": True}) == ({"recomputed": True}, False)


def test_an_lru_entry_of_a_kept_snapshot_is_moved_to_the_pinned_ones(tmp_path):
    cache = ResultCache(tmp_path / "cache", signing_key="k")
    cache.get_or_compute("yarn.plan", "a", {}, lambda: RESULT)
    assert not cache.has("yarn.plan", "a", {}, pinned_only=True)
    assert cache.get_or_compute("yarn.plan", "a", {}, lambda: pytest.fail("recomputed"), pin="A") == (RESULT, True)
    assert cache.has("yarn.plan", "a", {}, pinned_only=True)


def test_kept_ids_and_the_comparison_view(monkeypatch):
    ids = ["d1", "d2", "d3", "d4"]  # oldest first
    assert kept_ids(ids, 2) == ["d4", "d3"]
    monkeypatch.setenv("BK_KEEP_WARM", "3")
    assert kept_ids(ids) == ["d4", "d3", "d2"]
    assert comparison_view(ids, "d3") == ("briefing.diff", {"earlier_snapshot_id": "d2"})
    assert comparison_view(ids, "d1") is None and comparison_view(ids, "demo") is None


def test_the_store_digest_from_manifests_equals_the_loaded_one_with_inherited_master_data(tmp_path):
    store = SnapshotStore(tmp_path / "snapshots")
    files = sorted(DEMO.iterdir())
    first = store.save([(f.name, f.read_bytes()) for f in files], as_of=pd_date("2025-08-26"))
    without_bom = [(f.name, f.read_bytes()) for f in files if f.name != "BOM_updated.csv"]
    second = store.save(without_bom, as_of=pd_date("2025-08-27"))
    loaded = store.load(second.snapshot_id)
    assert loaded.inherited == {"bom": first.snapshot_id}
    assert store.digest(second.snapshot_id) == loaded.digest
    assert store.digest(first.snapshot_id) == store.load(first.snapshot_id).digest != loaded.digest


def pd_date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_bk_save_warms_every_view_and_a_restarted_server_serves_them_without_computing(env, monkeypatch):
    assert save([str(DEMO)], as_of=pd_date("2025-08-26")) == 0
    assert save([str(DEMO)], as_of=pd_date("2025-08-27")) == 0
    store = SnapshotStore(env / "snapshots")
    ids = [i.snapshot_id for i in store.list()]
    calls: list[str] = []
    counting_operations(monkeypatch, calls)

    def never_loaded(snapshot_id):
        raise AssertionError(f"read {snapshot_id} for a warm comparison")

    # a server started after the save: a new cache object, no key handed over
    server = ServiceManager.from_environment(snapshot_loader=never_loaded, snapshot_digest=store.digest,
                                             kept=lambda: kept_ids(ids))
    for snapshot_id in ids:  # the older snapshot too
        snapshot = store.load(snapshot_id)
        assert server.is_warm(snapshot_id, snapshot.digest)
        for operation, params in DEFAULT_VIEWS:
            server.run(operation, snapshot, **params)
    newest = store.load(ids[-1])
    diff = server.run("briefing.diff", newest, earlier_snapshot_id=ids[0])
    assert set(diff) >= {"summary", "causes"}
    assert calls == []
    stats = server.cache.stats_dict()
    assert stats["forecast.levels"] == {"hits": 2, "misses": 0, "errors": 0, "hit_rate": 1.0}
    # the newest snapshot's plan with the loop closed (the day before) was warmed at save too
    view = {"knitting": "observed", "earlier_snapshot_id": ids[0]}
    assert server.cache.has("yarn.plan", hashlib.sha256(f"{newest.digest}:{store.digest(ids[0])}".encode())
                            .hexdigest(), view)
    assert stats["briefing.diff"]["hits"] == 1


def test_the_fill_skips_what_is_stored_and_releases_snapshots_no_longer_kept(env, monkeypatch):
    monkeypatch.setenv("BK_KEEP_WARM", "1")
    store = SnapshotStore(env / "snapshots")
    files = [(f.name, f.read_bytes()) for f in sorted(DEMO.iterdir())]
    old = store.save(files, as_of=pd_date("2025-08-26")).snapshot_id
    assert fill_store(env / "snapshots", [old], operations=["pipeline.wip"]) == {old: ["pipeline.wip"]}
    new = store.save(files, as_of=pd_date("2025-08-27")).snapshot_id
    done = fill_store(env / "snapshots", [new], operations=["pipeline.wip", "briefing.diff"])
    assert done == {new: ["pipeline.wip", "briefing.diff"]}  # the old one is no longer kept: not filled
    cache = ResultCache(env / "cache")
    params = dict(DEFAULT_VIEWS)["pipeline.wip"]
    assert cache.has("pipeline.wip", store.digest(new), params, pinned_only=True)
    assert not cache.has("pipeline.wip", store.digest(old), params, pinned_only=True)
    assert cache.has("pipeline.wip", store.digest(old), params)  # released into the LRU, not lost
    assert fill_store(env / "snapshots", [new], operations=["pipeline.wip"]) == {new: []}  # nothing to do


def test_a_deleted_cache_folder_gets_a_new_key_and_nothing_is_trusted_from_before(env):
    first = ResultCache(env / "cache")
    shutil.rmtree(env / "cache")
    again = ResultCache(env / "cache")
    assert again.signing_key != first.signing_key
