"""Tier-2 result cache: a diskcache LRU of service results keyed by (operation, snapshot digest, params).

Values are stored as bytes only — frames as parquet, everything else as JSON — in a tagged container, and a
``Disk`` that refuses to unpickle: diskcache unpickles what it reads (CVE-2025-69872), so a pickle planted in
the directory is dropped as a miss, never loaded. A missing, read-only or corrupt directory degrades to
computing every time, and ``status()`` says why.

Integrity: every file an entry names must resolve inside the cache folder (a planted ``../victim`` is neither
read nor deleted), the container must be well formed, and every entry carries an HMAC-SHA256 of its key and
bytes under the process's signing key (``BK_CACHE_KEY``, else a random one made at start and handed to the
warming worker it spawns). An entry planted by anyone without the key, or written before a restart, fails the
check and is dropped and recomputed. Keys carry the code version, so a new release never serves old results.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import sqlite3
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import diskcache
import pandas as pd

log = logging.getLogger(__name__)
MAGIC = b"BKC1"
DEFAULT_TTL_S = {"frame": 3600, "forecast": 6 * 3600, "default": 3600}


class RefusePickleDisk(diskcache.Disk):
    """A diskcache Disk that reads raw bytes and str keys only; pickled entries raise instead of loading."""

    def get(self, key, raw):
        if not raw:
            raise ValueError("refusing to unpickle a cache key")
        return super().get(key, raw)

    def fetch(self, mode, filename, value, read):
        if mode == diskcache.core.MODE_PICKLE:
            raise ValueError("refusing to unpickle a cache value")
        if filename is not None and not self.inside(filename):
            raise ValueError("a cache entry names a file outside the cache folder")
        return super().fetch(mode, filename, value, read)

    def remove(self, file_path):
        if not self.inside(file_path):
            log.warning("cache entry names a file outside the cache folder; not deleted")
            return
        super().remove(file_path)

    def inside(self, filename) -> bool:
        """``filename`` (relative to the cache folder, symlinks resolved) is a file inside the folder."""
        if not isinstance(filename, str) or not filename or "\x00" in filename:
            return False
        root = os.path.realpath(self._directory)
        full = os.path.realpath(os.path.join(self._directory, filename))
        return full != root and os.path.commonpath([root, full]) == root


# ---------------------------------------------------------------------------------------- serialisation


def encode(value, *, expires_at: float) -> bytes:
    """Our byte container: MAGIC, expiry, a JSON header, then one parquet blob per frame."""
    blobs: list[bytes] = []

    def walk(v):
        if isinstance(v, pd.DataFrame):
            buf = io.BytesIO()
            frame = v.copy()
            frame.columns = [str(c) for c in frame.columns]
            frame.to_parquet(buf, index=True)
            blobs.append(buf.getvalue())
            return {"__frame__": len(blobs) - 1}
        if isinstance(v, pd.Series):
            return {"__series__": walk(v.to_frame(name=str(v.name) if v.name is not None else "value"))}
        if isinstance(v, dict):
            return {"__dict__": [[str(k), walk(x)] for k, x in v.items()]}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        if isinstance(v, float) and v != v:
            return {"__nan__": True}
        if hasattr(v, "item") and not isinstance(v, (str, bytes)):
            return v.item()
        if hasattr(v, "isoformat"):
            return {"__date__": v.isoformat(), "__type__": type(v).__name__}
        return v

    header = json.dumps(walk(value)).encode()
    parts = [MAGIC, struct.pack("<dI", expires_at, len(header)), header]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def decode(data: bytes) -> tuple[object, float]:
    """The value and its expiry; raises ValueError for anything that is not our well-formed container."""
    if not isinstance(data, (bytes, bytearray)) or not data.startswith(MAGIC):
        raise ValueError("not a bk cache entry")
    try:
        return _decode(data)
    except (ValueError, struct.error, IndexError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ValueError(f"malformed bk cache entry ({type(exc).__name__})") from exc


def _decode(data: bytes) -> tuple[object, float]:
    expires_at, header_len = struct.unpack_from("<dI", data, 4)
    pos = 4 + struct.calcsize("<dI")
    header = json.loads(data[pos:pos + header_len])
    pos += header_len
    blobs = []
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        blobs.append(pd.read_parquet(io.BytesIO(data[pos:pos + n])))
        pos += n

    def build(v):
        if isinstance(v, dict):
            if "__frame__" in v:
                index = v["__frame__"]
                if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(blobs):
                    raise ValueError("frame reference out of range")
                return blobs[index]
            if "__series__" in v:
                frame = build(v["__series__"])
                if not isinstance(frame, pd.DataFrame) or frame.shape[1] != 1:
                    raise ValueError("series entry is not a one-column frame")
                return frame.iloc[:, 0]
            if "__dict__" in v:
                return {k: build(x) for k, x in v["__dict__"]}
            if "__nan__" in v:
                return float("nan")
            if "__date__" in v:
                text = v["__date__"]
                return pd.Timestamp(text) if v.get("__type__") != "date" else pd.Timestamp(text).date()
        if isinstance(v, list):
            return [build(x) for x in v]
        return v

    return build(header), expires_at


# ----------------------------------------------------------------------------------------------- cache


_MAC_BYTES = 32
CACHE_KEY_ENV = "BK_CACHE_KEY"


def signing_key() -> str:
    """The secret entries are signed with: ``BK_CACHE_KEY`` if set (replicas or restarts that should trust each
    other's entries), else a random one made now; the warming worker is handed the same one."""
    return os.environ.get(CACHE_KEY_ENV) or secrets.token_hex(32)


@functools.cache
def code_version() -> str:
    """16 hex digits of the sha256 of the kernel's source (bk/**/*.py) and the pandas version."""
    h = hashlib.sha256(pd.__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class OpStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass
class ResultCache:
    """Service results on disk with LRU eviction, a size limit and a TTL per data type."""

    directory: Path
    size_limit_bytes: int = 512 * 2**20
    ttl_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL_S))
    clock: Callable[[], float] = time.time
    cull_limit: int = 10
    signing_key: str = field(default_factory=lambda: signing_key(), repr=False)

    def __post_init__(self):
        self.directory = Path(self.directory)
        self._cache: diskcache.Cache | None = None
        self._lock = threading.Lock()
        self.stats: dict[str, OpStats] = {}
        self.degraded_reason: str | None = None

    def _open(self) -> diskcache.Cache | None:
        if self._cache is not None and self.directory.is_dir():
            return self._cache
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.directory, 0o700)
            self._cache = diskcache.Cache(str(self.directory), disk=RefusePickleDisk,
                                          eviction_policy="least-recently-used", size_limit=self.size_limit_bytes,
                                          cull_limit=self.cull_limit,
                                          # no mmap: a cache file overwritten while mapped kills the process (SIGBUS)
                                          sqlite_mmap_size=0)
            self.degraded_reason = None
        except (OSError, sqlite3.Error) as exc:
            self._cache = None
            self.degraded_reason = self._without_path(f"cache directory unusable ({exc}); computing every time")
        return self._cache

    @staticmethod
    def key(operation: str, digest: str, params: dict) -> str:
        """(operation, snapshot digest, params) under this version of the code: a result computed by an older
        release is never served by a newer one (a deploy would otherwise show old numbers until the TTL)."""
        canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
        return f"{operation}:{digest}:{code_version()}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"

    def _stat(self, operation: str) -> OpStats:
        return self.stats.setdefault(operation, OpStats())

    def get_or_compute(self, operation: str, digest: str, params: dict, compute: Callable[[], object], *,
                       data_type: str = "default") -> tuple[object, bool]:
        """The cached value, or ``compute()`` stored for next time; and whether it was a hit."""
        key = self.key(operation, digest, params)
        value = self._read(operation, key)
        if value is not _MISS:
            with self._lock:
                self._stat(operation).hits += 1
            return value, True
        with self._lock:
            self._stat(operation).misses += 1
        result = compute()
        self._write(operation, key, result, data_type)
        return result, False

    def has(self, operation: str, digest: str, params: dict) -> bool:
        """Whether an entry is stored for the key (not decoded, not counted; it may still have expired)."""
        cache = self._open()
        if cache is None:
            return False
        try:
            return self.key(operation, digest, params) in cache
        except (OSError, sqlite3.Error):
            return False

    def _read(self, operation: str, key: str):
        cache = self._open()
        if cache is None:
            return _MISS
        try:
            data = cache.get(key, default=None)
        except (ValueError, OSError, sqlite3.Error) as exc:
            self._note_error(operation, exc)
            self._discard(cache, key)
            return _MISS
        if data is None:
            return _MISS
        if not isinstance(data, bytes) or not hmac.compare_digest(data[:_MAC_BYTES], self._mac(key, data[_MAC_BYTES:])):
            log.warning("cache entry of %s is not signed by this server; dropped and recomputed", operation)
            self._note_error(operation, ValueError("unsigned or tampered entry"))
            self._discard(cache, key)
            return _MISS
        data = data[_MAC_BYTES:]
        try:
            value, expires_at = decode(data)
        except (ValueError, struct.error, OSError) as exc:
            self._note_error(operation, exc)
            self._discard(cache, key)
            return _MISS
        if expires_at <= self.clock():
            self._discard(cache, key)
            return _MISS
        return value

    def _write(self, operation: str, key: str, value, data_type: str) -> None:
        cache = self._open()
        if cache is None:
            return
        ttl = self.ttl_s.get(data_type, self.ttl_s.get("default", 3600))
        try:
            data = encode(value, expires_at=self.clock() + ttl)
            cache.set(key, self._mac(key, data) + data)
        except (TypeError, ValueError, OSError, sqlite3.Error) as exc:
            self._note_error(operation, exc)

    def _mac(self, key: str, data: bytes) -> bytes:
        return hmac.new(self.signing_key.encode(), key.encode() + b"\0" + data, hashlib.sha256).digest()

    def _discard(self, cache, key: str) -> None:
        try:
            cache.delete(key)
        except (OSError, sqlite3.Error):
            pass

    def _note_error(self, operation: str, exc: Exception) -> None:
        with self._lock:
            self._stat(operation).errors += 1
        if isinstance(exc, sqlite3.DatabaseError | OSError):
            self.degraded_reason = self._without_path(f"cache error ({type(exc).__name__}: {exc}); computing instead")
            self._cache = None

    def clear(self) -> None:
        cache = self._open()
        if cache is not None:
            cache.clear()

    def status(self) -> dict:
        """Whether it works, why not, entries and bytes on disk (never the folder's path)."""
        cache = self._open()
        entries = volume = 0
        if cache is not None:
            try:
                entries, volume = len(cache), cache.volume()
            except (OSError, sqlite3.Error) as exc:
                self.degraded_reason = self._without_path(f"cache unreadable ({exc})")
        # no directory: the status is shown to every viewer (App health, its JSON report)
        return {"ok": self.degraded_reason is None, "degraded_reason": self.degraded_reason, "entries": entries,
                "volume_bytes": volume}

    def _without_path(self, text: str) -> str:
        """``text`` with the cache folder's path replaced by ``BK_CACHE_DIR`` (reasons are shown to viewers)."""
        for form in {str(self.directory), str(self.directory.resolve())}:
            text = text.replace(form, "BK_CACHE_DIR")
        return text

    def stats_dict(self) -> dict:
        with self._lock:
            return {op: {"hits": s.hits, "misses": s.misses, "errors": s.errors, "hit_rate": s.hit_rate}
                    for op, s in self.stats.items()}


_MISS = object()
