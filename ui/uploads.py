"""Uploads on the Data page: parsed in the sandbox (a worker process with memory and time limits, cancelled when
its viewer leaves), a process-wide parse cache bounded by bytes, a memory budget that refuses new parses when the
server is full, and release of uploaded files when a session saves or ends.

Anonymous viewers may upload (saving is what needs the token), so every byte an upload holds is bounded:
Streamlit's upload manager keeps each session's files until the session is shut down, which can be minutes
after its tab closed; we drop them as soon as the session is no longer connected, or once it has saved.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import threading
from collections import OrderedDict

import psutil

from bk.errors import InvalidExportError, ParseCancelledError
from bk.ingest.reader import Export, safe_display_name
from bk.ingest.sandbox import read_untrusted

LOG = logging.getLogger("bk.uploads")
PARSE_COST_FACTOR = 8  # peak extra RSS of a parse per byte of file (now in the worker; the frame comes back here)
MAX_PARALLEL_PARSES = 2  # the sandbox's worker pool has as many workers
RELEASE_EVERY_S = 10.0

Parsed = tuple[Export | None, str | None]  # the export, or the message saying why the file was refused


def parse_cache_bytes() -> int:
    """``BK_PARSE_CACHE_MB`` (default 128) in bytes."""
    return int(float(os.environ.get("BK_PARSE_CACHE_MB", "128")) * 2**20)


def upload_memory_mb() -> float:
    """``BK_UPLOAD_MEMORY_MB`` (default 1024): the process RSS above which no new upload is parsed."""
    return float(os.environ.get("BK_UPLOAD_MEMORY_MB", "1024"))


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


class ParseCache:
    """Parsed uploads by (content digest, file name), least recently used first out, at most ``max_bytes``
    (frames measured with ``memory_usage(deep=True)``); an entry larger than the whole budget is not kept."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], tuple[Parsed, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def get(self, key: tuple[str, str]) -> Parsed | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key][0]

    def put(self, key: tuple[str, str], value: Parsed) -> None:
        size = _size(value)
        with self._lock:
            if key in self._entries:
                self.nbytes -= self._entries.pop(key)[1]
            if size > self.max_bytes:
                return
            self._entries[key] = (value, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.nbytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _size(value: Parsed) -> int:
    export, error = value
    if export is None:
        return len(error or "") + 64
    return int(export.frame.memory_usage(deep=True, index=True).sum()) + 200 * len(export.findings) + 1024


CACHE = ParseCache(parse_cache_bytes())
_PARSING = threading.BoundedSemaphore(MAX_PARALLEL_PARSES)


def parse(name: str, data: bytes) -> Parsed:
    """The parsed upload from the cache, else parsed now in the sandbox unless the memory budget would be exceeded
    (then ``(None, message)`` naming the file, and nothing is cached: the same upload is tried again next run).
    A parse whose viewer disconnects meanwhile is stopped (its worker killed) and not cached either."""
    key = (hashlib.sha256(data).hexdigest(), name)
    cached = CACHE.get(key)
    if cached is not None:
        return cached
    budget = upload_memory_mb()
    needed_mb = PARSE_COST_FACTOR * len(data) / 2**20
    if rss_mb() + needed_mb > budget:
        CACHE.clear()  # the cache is the one thing we may drop; then see whether that was enough
        gc.collect()
        now = rss_mb()
        if now + needed_mb > budget:
            LOG.warning("upload of %.1f MB not parsed: RSS %.0f MB, budget %.0f MB", len(data) / 2**20, now, budget)
            return None, (f"{safe_display_name(name)}: not read now: the server is busy with other uploads "
                          f"({now:.0f} MB in use, reading this {len(data) / 2**20:.1f} MB file needs about "
                          f"{needed_mb:.0f} MB more, the limit is {budget:.0f} MB). Try again in a few minutes, or "
                          "ask the administrator to raise BK_UPLOAD_MEMORY_MB.")
    with _PARSING:
        try:
            value: Parsed = (read_untrusted(data, name=name, cancelled=_viewer_left()), None)
        except InvalidExportError as exc:
            value = (None, str(exc))
        except ParseCancelledError as exc:
            LOG.info("upload %s: %s", safe_display_name(name), exc)
            return None, f"{safe_display_name(name)}: {exc}"
    CACHE.put(key, value)
    return value


def _viewer_left():
    """A check that answers True once the session running this script is no longer connected (None outside a
    served session, e.g. in tests)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx, runtime = get_script_run_ctx(suppress_warning=True), _runtime()
    if ctx is None or runtime is None:
        return None
    session_id = ctx.session_id
    return lambda: not runtime.is_active_session(session_id)


# ------------------------------------------------------------------------------ releasing uploaded files

_SESSIONS: set[str] = set()
_SESSIONS_LOCK = threading.Lock()
_REAPER: threading.Thread | None = None


def _runtime():
    from streamlit.runtime import Runtime

    return Runtime.instance() if Runtime.exists() else None


def track_session() -> None:
    """Remember this session as one holding uploads (its files are released when it is no longer connected)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _SESSIONS_LOCK:
        _SESSIONS.add(ctx.session_id)
    _start_reaper()


def release_own_uploads() -> None:
    """Drop this session's uploaded files from Streamlit's upload manager (after a save)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.uploaded_file_mgr.remove_session_files(ctx.session_id)


def release_ended_sessions() -> int:
    """Drop the uploaded files of tracked sessions that are no longer connected; how many sessions."""
    runtime = _runtime()
    if runtime is None:
        return 0
    with _SESSIONS_LOCK:
        ended = [s for s in _SESSIONS if not runtime.is_active_session(s)]
        _SESSIONS.difference_update(ended)
    for session_id in ended:
        runtime.uploaded_file_mgr.remove_session_files(session_id)
    if ended:
        LOG.info("released the uploads of %d ended sessions", len(ended))
    return len(ended)


def _start_reaper() -> None:
    global _REAPER
    with _SESSIONS_LOCK:
        if _REAPER is not None and _REAPER.is_alive():
            return

        def loop():
            while True:
                threading.Event().wait(RELEASE_EVERY_S)
                try:
                    release_ended_sessions()
                except RuntimeError:  # the runtime is stopping
                    return

        _REAPER = threading.Thread(target=loop, name="bk-upload-reaper", daemon=True)
        _REAPER.start()
