"""Tier-2 result cache: a diskcache LRU of service results keyed by (operation, snapshot digest, params).

Values are stored as bytes only — frames as parquet, everything else as JSON — in a tagged container, and a
``Disk`` that refuses to unpickle: diskcache unpickles what it reads (CVE-2025-69872), so a pickle planted in
the directory is dropped as a miss, never loaded. A missing, read-only or corrupt directory degrades to
computing every time, and ``status()`` says why.

Integrity: every file an entry names must resolve inside the cache folder (a planted ``../victim`` is neither
read nor deleted), the container must be well formed, and every entry carries an HMAC-SHA256 of its key and
bytes under the signing key (``BK_CACHE_KEY``, else the key file ``signing.key`` created once in the cache
folder, owner-only; the warming worker is handed the same key). An entry planted by anyone without the key, or
edited, fails the check and is dropped and recomputed; a restarted server trusts what it cached before. Keys carry
the code version, so a new release never serves old results.

Pinned entries: results of the newest snapshots (``BK_KEEP_WARM``) are written to a second diskcache in
``pinned/`` without a size limit or expiry (a result is a pure function of the snapshot's files, the parameters
and the code, all in its key), tagged with the snapshot's id, so the LRU never evicts them; ``release_pins``
moves the entries of snapshots no longer kept into the LRU, where they age out as any other.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import json
import logging
import math
import os
import re
import secrets
import sqlite3
import struct
import threading
import time
from collections.abc import Callable, Collection
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
KEY_FILE = "signing.key"
PINNED_DIR = "pinned"
_KEY_TEXT = re.compile(r"[0-9a-f]{64}")


def signing_key(directory: Path | None = None) -> str:
    """The secret entries are signed with: ``BK_CACHE_KEY`` if set, else the key file in the cache folder
    (created on first use: a restarted server trusts its own entries), else — the folder unusable — a random one
    for this process only."""
    given = os.environ.get(CACHE_KEY_ENV)
    if given:
        return given
    if directory is not None:
        try:
            return key_file(Path(directory))
        except (OSError, ValueError) as exc:
            log.warning("no usable signing key file in the cache folder (%s); a key for this process only",
                        type(exc).__name__)
    return secrets.token_hex(32)


def key_file(directory: Path) -> str:
    """The key stored in ``directory/signing.key``, created once (0600, written in full before it appears under
    its name: a temporary file hard-linked into place, so two processes starting together agree on one key).
    Raises OSError when the folder cannot hold it, ValueError when the file is not a key we wrote."""
    path = directory / KEY_FILE
    for _ in range(2):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = directory / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, secrets.token_hex(32).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # fails when another process made the key first: then theirs is read
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
            continue
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid() or info.st_mode & 0o077:
                raise ValueError("the signing key file is readable by others or not ours")
            text = os.read(fd, 128).decode("ascii", errors="replace").strip()
        finally:
            os.close(fd)
        if not _KEY_TEXT.fullmatch(text):
            raise ValueError("the signing key file is not a key")
        return text
    raise OSError("the signing key file could not be created")


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
    """Service results on disk with LRU eviction, a size limit and a TTL per data type; the results of kept
    snapshots pinned beside it (never evicted, never expired)."""

    directory: Path
    size_limit_bytes: int = 512 * 2**20
    ttl_s: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL_S))
    clock: Callable[[], float] = time.time
    cull_limit: int = 10
    signing_key: str | None = field(default=None, repr=False)  # None: BK_CACHE_KEY, else the folder's key file

    def __post_init__(self):
        self.directory = Path(self.directory)
        if self.signing_key is None:
            self.signing_key = signing_key(self.directory)
        self._caches: tuple[diskcache.Cache, diskcache.Cache] | None = None  # (LRU, pinned)
        self._lock = threading.Lock()
        self._open_lock = threading.Lock()
        self.stats: dict[str, OpStats] = {}
        self.degraded_reason: str | None = None

    def _open(self) -> tuple[diskcache.Cache, diskcache.Cache] | None:
        """The LRU diskcache and the pinned one, opened once, as one pair (a session thread never sees one
        without the other); None when the folder is unusable."""
        pair = self._caches
        if pair is not None and self.directory.is_dir():
            return pair
        with self._open_lock:
            if self._caches is not None and self.directory.is_dir():
                return self._caches
            try:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.chmod(self.directory, 0o700)
                lru = self._diskcache(self.directory, eviction_policy="least-recently-used",
                                      size_limit=self.size_limit_bytes)
                pinned = self._diskcache(self.directory / PINNED_DIR, eviction_policy="none", size_limit=2**62)
                os.chmod(self.directory / PINNED_DIR, 0o700)
                self._caches = (lru, pinned)
                self.degraded_reason = None
            except (OSError, sqlite3.Error) as exc:
                self._caches = None
                self.degraded_reason = self._without_path(f"cache directory unusable ({exc}); computing every time")
            return self._caches

    def _diskcache(self, folder: Path, **settings) -> diskcache.Cache:
        return diskcache.Cache(str(folder), disk=RefusePickleDisk, cull_limit=self.cull_limit,
                               # no mmap: a cache file overwritten while mapped kills the process (SIGBUS)
                               sqlite_mmap_size=0, **settings)

    @staticmethod
    def key(operation: str, digest: str, params: dict) -> str:
        """(operation, snapshot digest, params) under this version of the code: a result computed by an older
        release is never served by a newer one (a deploy would otherwise show old numbers until the TTL)."""
        canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
        return f"{operation}:{digest}:{code_version()}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"

    def _stat(self, operation: str) -> OpStats:
        return self.stats.setdefault(operation, OpStats())

    def get_or_compute(self, operation: str, digest: str, params: dict, compute: Callable[[], object], *,
                       data_type: str = "default", pin: str | None = None) -> tuple[object, bool]:
        """The cached value, or ``compute()`` stored for next time; and whether it was a hit. ``pin`` (a kept
        snapshot's id) stores the result among the pinned entries, tagged with it (an LRU hit is moved there)."""
        key = self.key(operation, digest, params)
        value = self._read(operation, key, pin=pin)
        if value is not _MISS:
            with self._lock:
                self._stat(operation).hits += 1
            return value, True
        with self._lock:
            self._stat(operation).misses += 1
        result = compute()
        self._write(operation, key, result, data_type, pin=pin)
        return result, False

    def has(self, operation: str, digest: str, params: dict, *, pinned_only: bool = False) -> bool:
        """Whether an entry is stored for the key (not decoded, not counted; an LRU entry may have expired)."""
        caches = self._open()
        if caches is None:
            return False
        cache, pinned = caches
        key = self.key(operation, digest, params)
        try:
            return key in pinned or (not pinned_only and key in cache)
        except (OSError, sqlite3.Error):
            return False

    def _read(self, operation: str, key: str, *, pin: str | None = None):
        caches = self._open()
        if caches is None:
            return _MISS
        cache, pinned = caches
        value = self._read_from(pinned, operation, key)
        if value is _MISS:
            value = self._read_from(cache, operation, key, raw=pin is not None)
            if value is not _MISS and pin is not None:  # a kept snapshot's entry found in the LRU: pin it
                data, value = value
                self._store(pinned, operation, key, self._with_expiry(data, math.inf), tag=pin)
                self._discard(cache, key)
        return value

    def _read_from(self, cache, operation: str, key: str, *, raw: bool = False):
        """The verified value of ``key`` in one of the two diskcaches (with its bytes when ``raw``), or _MISS;
        an entry that fails a check is dropped."""
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
        return (data, value) if raw else value

    def _write(self, operation: str, key: str, value, data_type: str, *, pin: str | None = None) -> None:
        caches = self._open()
        if caches is None:
            return
        cache, pinned = caches
        ttl = math.inf if pin is not None else self.ttl_s.get(data_type, self.ttl_s.get("default", 3600))
        try:
            data = encode(value, expires_at=self.clock() + ttl)
        except (TypeError, ValueError) as exc:
            self._note_error(operation, exc)
            return
        self._store(pinned if pin is not None else cache, operation, key, data, tag=pin)

    def _store(self, cache, operation: str, key: str, data: bytes, *, tag: str | None = None) -> None:
        try:
            cache.set(key, self._mac(key, data) + data, tag=tag)
        except (TypeError, ValueError, OSError, sqlite3.Error) as exc:
            self._note_error(operation, exc)

    @staticmethod
    def _with_expiry(data: bytes, expires_at: float) -> bytes:
        """A verified container with another expiry (it is signed again when stored)."""
        return data[:len(MAGIC)] + struct.pack("<d", expires_at) + data[len(MAGIC) + 8:]

    def release_pins(self, keep: Collection[str], *, data_type: str = "frame") -> int:
        """Move the pinned entries of snapshots not in ``keep`` (ids) into the LRU with the usual TTL from now,
        where they age out like any other; returns how many moved. Entries that fail a check are dropped."""
        caches = self._open()
        if caches is None:
            return 0
        cache, pinned = caches
        moved = 0
        ttl = self.ttl_s.get(data_type, self.ttl_s.get("default", 3600))
        try:
            keys = list(pinned.iterkeys())
        except (OSError, sqlite3.Error) as exc:
            self._note_error("release_pins", exc)
            return 0
        for key in keys:
            operation = key.split(":", 1)[0] if isinstance(key, str) else "?"
            try:
                tag = pinned.get(key, default=None, tag=True)[1]
            except (ValueError, OSError, sqlite3.Error):
                tag = None  # unreadable: checked (and dropped) below
            if tag in keep:
                continue
            found = self._read_from(pinned, operation, key, raw=True)
            self._discard(pinned, key)
            if found is not _MISS:
                self._store(cache, operation, key, self._with_expiry(found[0], self.clock() + ttl))
                moved += 1
        return moved

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
            self._caches = None

    def clear(self) -> None:
        caches = self._open()
        if caches is not None:
            for cache in caches:
                cache.clear()

    def status(self) -> dict:
        """Whether it works, why not, entries and bytes on disk (never the folder's path)."""
        caches = self._open()
        entries = volume = pinned = 0
        if caches is not None:
            try:
                pinned = len(caches[1])
                entries, volume = len(caches[0]) + pinned, caches[0].volume() + caches[1].volume()
            except (OSError, sqlite3.Error) as exc:
                self.degraded_reason = self._without_path(f"cache unreadable ({exc})")
        # no directory: the status is shown to every viewer (App health, its JSON report)
        return {"ok": self.degraded_reason is None, "degraded_reason": self.degraded_reason, "entries": entries,
                "pinned_entries": pinned, "volume_bytes": volume}

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
