"""Attack 10 (cache integrity): a planted entry naming a file outside the cache folder is neither read nor
deleted; an entry not signed with this server's key is not trusted; bad entries are dropped and
recomputed."""

from __future__ import annotations

import os
import sqlite3
import time

import diskcache.core
import pandas as pd
import pytest

from bk.optimization.cache import ResultCache, decode, encode

RESULT = {"summary": {"aging_days": 90}, "stages": pd.DataFrame({"stage": ["G00"], "lbs": [1.0]})}


def _plant_file_entry(cache: ResultCache, key: str, filename: str) -> None:
    db = sqlite3.connect(cache.directory / "cache.db")
    now = time.time()
    db.execute("INSERT OR REPLACE INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, "
               "size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 10, ?, ?, NULL)",
               (key, now, now, diskcache.core.MODE_BINARY, filename))
    db.commit()
    db.close()


@pytest.fixture
def victim(tmp_path):
    folder = tmp_path / "victim"
    folder.mkdir()
    target = folder / "victim.txt"
    target.write_text("precious")
    return target


@pytest.mark.parametrize("filename", ["../victim/victim.txt", "/{abs}", "ab/../../victim/victim.txt"])
def test_an_entry_naming_a_file_outside_the_folder_is_neither_read_nor_deleted(tmp_path, victim, filename):
    cache = ResultCache(tmp_path / "cache")
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)  # the database exists
    key = cache.key("pipeline.wip", "d1", {})
    _plant_file_entry(cache, key, filename.format(abs=str(victim).lstrip("/")))
    reads = []
    real_open = open

    def spy(path, *args, **kwargs):
        reads.append(str(path))
        return real_open(path, *args, **kwargs)

    import builtins

    builtins.open, saved = spy, builtins.open
    try:
        value, hit = cache.get_or_compute("pipeline.wip", "d1", {}, lambda: RESULT)
    finally:
        builtins.open = saved
    assert not hit and value["summary"] == {"aging_days": 90}
    assert victim.read_text() == "precious" and victim.parent.is_dir()
    assert not [r for r in reads if "victim" in r]
    assert cache.stats_dict()["pipeline.wip"]["errors"] == 1
    assert cache.get_or_compute("pipeline.wip", "d1", {}, lambda: None)[1] is True  # recomputed and stored


def test_a_symlink_inside_the_folder_to_a_file_outside_is_refused(tmp_path, victim):
    cache = ResultCache(tmp_path / "cache")
    cache.get_or_compute("op", "d0", {}, lambda: RESULT)
    os.symlink(victim, tmp_path / "cache" / "link.val")
    _plant_file_entry(cache, cache.key("op", "d1", {}), "link.val")
    value, hit = cache.get_or_compute("op", "d1", {}, lambda: RESULT)
    assert not hit and victim.read_text() == "precious"


def test_a_planted_entry_in_our_format_without_the_signature_is_recomputed(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    planted = encode({"surprise": 1}, expires_at=time.time() + 3600)
    cache._open()[0].set(cache.key("pipeline.wip", "d1", {}), planted)
    value, hit = cache.get_or_compute("pipeline.wip", "d1", {}, lambda: RESULT)
    assert not hit and set(value) == {"summary", "stages"}
    assert cache.stats_dict()["pipeline.wip"] == {"hits": 0, "misses": 2, "errors": 1, "hit_rate": 0.0}
    again, hit = cache.get_or_compute("pipeline.wip", "d1", {}, lambda: None)
    assert hit and set(again) == {"summary", "stages"}  # the good result replaced the planted one


def test_a_signed_entry_moved_to_another_key_or_edited_is_recomputed(tmp_path):
    cache = ResultCache(tmp_path / "cache", signing_key="k")
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    stored = cache._open()[0].get(cache.key("pipeline.wip", "d0", {}))
    cache._open()[0].set(cache.key("pipeline.wip", "d1", {}), stored)  # a real entry, replayed under another key
    assert cache.get_or_compute("pipeline.wip", "d1", {}, lambda: {"recomputed": True})[0] == {"recomputed": True}
    cache._open()[0].set(cache.key("pipeline.wip", "d0", {}), stored[:-1] + bytes([stored[-1] ^ 1]))
    assert cache.get_or_compute("pipeline.wip", "d0", {}, lambda: {"recomputed": True})[0] == {"recomputed": True}


def test_only_a_process_with_the_same_signing_key_trusts_an_entry(tmp_path):
    first = ResultCache(tmp_path / "cache", signing_key="server")
    first.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    restarted = ResultCache(tmp_path / "cache", signing_key="after a restart")
    value, hit = restarted.get_or_compute("pipeline.wip", "d0", {}, lambda: {"recomputed": True})
    assert not hit and value == {"recomputed": True}
    worker = ResultCache(tmp_path / "cache", signing_key="after a restart")  # e.g. the warming worker
    assert worker.get_or_compute("pipeline.wip", "d0", {}, lambda: None) == ({"recomputed": True}, True)


@pytest.mark.parametrize("header", [b'{"__frame__": 3}', b'{"__frame__": "0"}', b'{"__series__": 1}',
                                    b'{"__dict__": [[1]]}', b"[not json"])
def test_malformed_containers_are_value_errors(header):
    import struct

    data = b"BKC1" + struct.pack("<dI", time.time() + 60, len(header)) + header
    with pytest.raises(ValueError):
        decode(data)




def test_with_the_key_file_a_restart_trusts_its_own_entries_and_still_drops_planted_or_edited_ones(
        tmp_path, monkeypatch):
    monkeypatch.delenv("BK_CACHE_KEY", raising=False)
    first = ResultCache(tmp_path / "cache")  # signs with the key file it creates
    for digest, pin in (("d0", None), ("d1", "kept-snapshot")):
        first.get_or_compute("pipeline.wip", digest, {}, lambda: RESULT, pin=pin)
    restarted = ResultCache(tmp_path / "cache")
    restarted._open()
    planted = encode({"surprise": 1}, expires_at=time.time() + 3600)
    restarted._open()[1].set(restarted.key("pipeline.wip", "d2", {}), bytes(32) + planted, tag="kept-snapshot")
    stored = restarted._open()[1].get(restarted.key("pipeline.wip", "d1", {}))
    edited = stored.replace(b'["aging_days", 90]', b'["aging_days", 91]')  # a figure changed in the header
    assert edited != stored
    restarted._open()[1].set(restarted.key("pipeline.wip", "d1", {}), edited, tag="kept-snapshot")
    value, hit = restarted.get_or_compute("pipeline.wip", "d0", {}, lambda: pytest.fail("not trusted"))
    assert hit and value["summary"] == {"aging_days": 90}  # its own entry, written before the restart
    for digest in ("d1", "d2"):  # edited and planted pinned entries: dropped and recomputed
        value, hit = restarted.get_or_compute("pipeline.wip", digest, {}, lambda: {"recomputed": True},
                                              pin="kept-snapshot")
        assert (value, hit) == ({"recomputed": True}, False)
    assert restarted.stats_dict()["pipeline.wip"]["errors"] == 2


def test_releasing_pins_never_launders_a_planted_entry_into_the_lru(tmp_path):
    cache = ResultCache(tmp_path / "cache", signing_key="k")
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT, pin="old")
    planted = encode({"surprise": 1}, expires_at=time.time() + 3600)
    cache._open()[1].set(cache.key("pipeline.wip", "d1", {}), bytes(32) + planted, tag="old")
    assert cache.release_pins(set()) == 1  # only the signed one moved
    assert cache.get_or_compute("pipeline.wip", "d1", {}, lambda: {"recomputed": True})[0] == {"recomputed": True}
    value, hit = cache.get_or_compute("pipeline.wip", "d0", {}, lambda: None)
    assert hit and value["summary"] == RESULT["summary"]
