"""Attack 10 (cache integrity): a planted entry naming a file outside the cache folder is neither read nor
deleted; a planted entry in our own format with the wrong shape is not trusted; bad entries are dropped and
recomputed."""

from __future__ import annotations

import os
import sqlite3
import time

import diskcache.core
import pandas as pd
import pytest

from bk.optimization.cache import ResultCache, decode, encode, shape

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
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)  # the database exists, the shape is known
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


def test_a_planted_entry_in_our_format_with_the_wrong_shape_is_recomputed(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    planted = encode({"surprise": 1}, expires_at=time.time() + 3600)
    cache._open().set(cache.key("pipeline.wip", "d1", {}), planted)
    value, hit = cache.get_or_compute("pipeline.wip", "d1", {}, lambda: RESULT)
    assert not hit and set(value) == {"summary", "stages"}
    assert cache.stats_dict()["pipeline.wip"] == {"hits": 0, "misses": 2, "errors": 1, "hit_rate": 0.0}
    again, hit = cache.get_or_compute("pipeline.wip", "d1", {}, lambda: None)
    assert hit and set(again) == {"summary", "stages"}  # the good result replaced the planted one


def test_a_new_process_trusts_no_entry_before_computing_once(tmp_path):
    first = ResultCache(tmp_path / "cache")
    first.get_or_compute("pipeline.wip", "d0", {}, lambda: RESULT)
    first._open().set(first.key("pipeline.wip", "d1", {}), encode({"surprise": 1}, expires_at=time.time() + 60))
    restarted = ResultCache(tmp_path / "cache")
    value, hit = restarted.get_or_compute("pipeline.wip", "d1", {}, lambda: RESULT)
    assert not hit and set(value) == {"summary", "stages"}
    assert restarted.get_or_compute("pipeline.wip", "d0", {}, lambda: None)[1] is True  # shape known now


@pytest.mark.parametrize("header", [b'{"__frame__": 3}', b'{"__frame__": "0"}', b'{"__series__": 1}',
                                    b'{"__dict__": [[1]]}', b"[not json"])
def test_malformed_containers_are_value_errors(header):
    import struct

    data = b"BKC1" + struct.pack("<dI", time.time() + 60, len(header)) + header
    with pytest.raises(ValueError):
        decode(data)


def test_shape_compares_keys_and_kinds_not_data():
    other = {"summary": {"aging_days": 30, "x": 1}, "stages": pd.DataFrame({"a": [1, 2]})}
    assert shape(RESULT) == shape(other)
    assert shape(RESULT) != shape({"summary": {}, "stages": [1]})
    assert shape(RESULT) != shape({"summary": {}})
