"""Attack 7 (memory from anonymous uploads): the parse cache is bounded by bytes, new parses are refused above
a memory budget with a clear message, and uploaded files are released when a session saves or ends."""

from __future__ import annotations

import pytest
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec
from streamlit.testing.v1 import AppTest

from bk.ingest.snapshot import SnapshotStore
from tests.pages.conftest import ROOT, TIMEOUT_S
from ui import uploads
from ui.uploads import ParseCache


def _machines(n: int, tag: str = "") -> bytes:
    return b"WC,MACH\n" + b"".join(f"9.38.20.{tag}{i},{i % 300}\n".encode() for i in range(n))


@pytest.fixture
def fresh_cache(monkeypatch):
    cache = ParseCache(200_000)  # room for three of the 2,000-row files below (about 57 KB each)
    monkeypatch.setattr(uploads, "CACHE", cache)
    return cache


def test_parse_cache_is_bounded_by_bytes_least_recently_used_first(fresh_cache):
    exports = {i: uploads.parse(f"m{i}.csv", _machines(2000, str(i))) for i in range(12)}
    assert all(e is not None and err is None for e, err in exports.values())
    assert 0 < fresh_cache.nbytes <= 200_000
    assert [name for _, name in fresh_cache._entries] == ["m9.csv", "m10.csv", "m11.csv"]
    uploads.parse("m9.csv", _machines(2000, "9"))  # a hit moves it to the end
    uploads.parse("m0.csv", _machines(2000, "0"))  # parsed again: m10 is now the least recently used
    assert [name for _, name in fresh_cache._entries] == ["m11.csv", "m9.csv", "m0.csv"]


def test_an_entry_larger_than_the_cache_is_not_kept(monkeypatch):
    cache = ParseCache(10_000)
    monkeypatch.setattr(uploads, "CACHE", cache)
    export, error = uploads.parse("big.csv", _machines(5000))
    assert export.rows == 5000 and error is None
    assert len(cache) == 0 and cache.nbytes == 0


def test_new_parses_are_refused_above_the_memory_budget(fresh_cache, monkeypatch):
    monkeypatch.setenv("BK_UPLOAD_MEMORY_MB", "600")
    monkeypatch.setattr(uploads, "rss_mb", lambda: 590.0)
    data = _machines(200_000)  # 3.4 MB: about 28 MB to parse
    fresh_cache.put(("other", "x.csv"), (None, "x"))
    export, error = uploads.parse("Machine Report fin1.csv", data)
    assert export is None
    assert error.startswith("Machine Report fin1.csv: not read now: the server is busy with other uploads (590 MB "
                            "in use, reading this 3.4 MB file needs about 28 MB more, the limit is 600 MB)")
    assert "BK_UPLOAD_MEMORY_MB" in error
    assert len(fresh_cache) == 0  # the cache was dropped to make room, the refusal is not cached
    monkeypatch.setattr(uploads, "rss_mb", lambda: 200.0)
    export, error = uploads.parse("Machine Report fin1.csv", data)
    assert error is None and export.rows == 200_000


def test_ended_sessions_lose_their_uploads(monkeypatch):
    manager = MemoryUploadedFileManager("/upload")
    for session in ("gone", "here"):
        manager.add_file(session, UploadedFileRec(f"f-{session}", "a.csv", "text/csv", b"x" * 1000))

    class Runtime:
        uploaded_file_mgr = manager

        def is_active_session(self, session_id):
            return session_id == "here"

    monkeypatch.setattr(uploads, "_runtime", Runtime)
    monkeypatch.setattr(uploads, "_SESSIONS", {"gone", "here"})
    assert uploads.release_ended_sessions() == 1
    assert manager.get_files("gone", ["f-gone"]) == []
    assert [f.name for f in manager.get_files("here", ["f-here"])] == ["a.csv"]
    assert uploads._SESSIONS == {"here"}


def test_saving_releases_the_uploads_and_empties_the_uploader(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    released = []
    real = uploads.release_own_uploads
    monkeypatch.setattr(uploads, "release_own_uploads", lambda: (released.append(1), real())[1])
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=TIMEOUT_S).run()
    at.file_uploader[0].set_value(("Machine Report fin1.csv", _machines(3), "text/csv")).run()
    next(b for b in at.button if b.label == "Save snapshot").click().run()
    assert not at.exception
    assert len(SnapshotStore(tmp_path / "snapshots").list()) == 1 and released == [1]
    assert at.file_uploader[0].value in (None, [])
    assert not any(b.label == "Save snapshot" for b in at.button)  # nothing uploaded any more


def test_a_parse_whose_viewer_left_is_stopped_and_not_cached(fresh_cache, monkeypatch):
    import types

    class Runtime:
        def is_active_session(self, session_id):
            return session_id != "gone"

    monkeypatch.setattr(uploads, "_runtime", Runtime)
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx",
                        lambda suppress_warning=False: types.SimpleNamespace(session_id="gone"))
    data = b"WC,MACH\n" + b"9.38.20.F,161\n" * 1_000_000  # long enough to be read when the check comes
    export, error = uploads.parse("Machine Report fin1.csv", data)
    assert export is None and error == "Machine Report fin1.csv: reading an upload was cancelled: its viewer left"
    assert len(fresh_cache) == 0
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx",
                        lambda suppress_warning=False: types.SimpleNamespace(session_id="here"))
    export, error = uploads.parse("Machine Report fin1.csv", data[:100])
    assert error is None and export.kind == "machines" and len(fresh_cache) == 1
