"""Untrusted files are parsed in a child process with an address-space and CPU-time limit, so that whatever a file
makes the parser do, the server (or the CLI) lives: a worker that dies, runs out of memory or out of time becomes
an ``InvalidExportError`` naming the file ("could not be read within 2 GB / 60 s").

A worker is a fresh interpreter (``python -m bk.ingest.sandbox``, fork + exec: nothing of the parent's heap,
threads or locks), not a ``multiprocessing`` spawn child, which would re-run the parent's ``__main__``, and under
``streamlit run`` that is the app script. It imports the parser once (~0.5 s) and reads file after file; one that
hit a limit, died or grew fat is replaced, one idle for ``IDLE_EXIT_S`` exits by itself. Requests and answers are
length-prefixed bytes over a socket: JSON headers, the file's bytes in, the parsed export as parquet bytes out
(``bk.ingest.parsed``), never a pickle. The limits are settings: ``BK_PARSE_MEMORY_MB`` (default 2048) is the
worker's address-space limit, ``BK_PARSE_SECONDS`` (default 60) the time a file may take (wall clock, watched by
the parent; CPU time, enforced by the kernel with RLIMIT_CPU).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from bk.errors import InvalidExportError, ParseCancelledError
from bk.ingest.reader import Export, read_source, safe_display_name

LOG = logging.getLogger("bk.sandbox")
MAX_WORKERS = 2  # parses at once per process; more wait for a worker
IDLE_EXIT_S = 300.0  # a worker idle this long exits (the parent replaces workers idle a little less long)
START_TIMEOUT_S = 120.0  # importing pandas on a busy machine
RECYCLE_RSS_MB = 600  # a worker whose heap grew past this after a parse is replaced, not kept
POLL_S = 0.1  # how often a waiting parent looks at the deadline and at whether the viewer left
PARSE_NICE = 10  # a worker's CPU priority below the server's: viewers' pages first, anonymous uploads after
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Limits:
    """What one parse may use: the worker's address space (MB) and the time (s)."""

    memory_mb: int
    seconds: float

    @classmethod
    def from_env(cls) -> Limits:
        """``BK_PARSE_MEMORY_MB`` (default 2048) and ``BK_PARSE_SECONDS`` (default 60)."""
        return cls(int(float(os.environ.get("BK_PARSE_MEMORY_MB", "2048"))),
                   float(os.environ.get("BK_PARSE_SECONDS", "60")))

    def __str__(self) -> str:
        memory = (f"{self.memory_mb // 1024} GB" if self.memory_mb % 1024 == 0 else f"{self.memory_mb:,} MB")
        return f"{memory} / {self.seconds:g} s"


def read_untrusted(source: str | Path | bytes, *, name: str | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Export:
    """``read_export`` in a sandboxed worker: the same Export, or the same InvalidExportError, and an
    InvalidExportError naming the file when the worker dies or exceeds its limits (``Limits.from_env``).

    ``cancelled`` is asked every ``POLL_S`` while the file is read: when it answers True the worker is killed and
    ``ParseCancelledError`` raised (the viewer who uploaded the file has left). Parses at once are bounded by
    ``MAX_WORKERS``; a caller waits for a free worker.
    """
    name, data = read_source(source, name=name)
    return POOL.read(name, data, cancelled=cancelled)


def limit_refusal(name: str, limits: Limits, why: str) -> InvalidExportError:
    return InvalidExportError(name, f"could not be read within {limits} ({why}); a real export needs far less. "
                                    "Export it again, or ask the administrator about BK_PARSE_MEMORY_MB / "
                                    "BK_PARSE_SECONDS")


class _Worker:
    """One child process and the parent's end of its socket."""

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        self.stderr = tempfile.TemporaryFile()
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2",
               "PYTHONPATH": os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "bk.ingest.sandbox", str(child.fileno())],
                                         pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self.stderr, env=env, cwd=_ROOT)
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.ready = False
        self.idle_since = time.monotonic()

    def wait_ready(self, deadline: float, cancelled: Callable[[], bool] | None) -> bool:
        if not self.ready:
            self.ready = self._answer(deadline, cancelled) == {"ready": True}
        return self.ready

    def _answer(self, deadline: float, cancelled: Callable[[], bool] | None) -> dict | None:
        """The worker's next JSON header, ``{"outcome": "died"}`` when it closed its socket, None when the
        deadline passed."""
        while True:
            if self.conn.poll(POLL_S):
                try:
                    return json.loads(self.conn.recv_bytes())
                except (EOFError, OSError, ValueError):
                    return {"outcome": "died"}
            if cancelled is not None and cancelled():
                self.kill()
                raise ParseCancelledError("reading an upload was cancelled: its viewer left")
            if self.proc.poll() is not None:
                return {"outcome": "died"}
            if time.monotonic() > deadline:
                return None

    def read(self, name: str, data: bytes, limits: Limits, cancelled: Callable[[], bool] | None
             ) -> tuple[str, dict, bytes | None]:
        """('export' | 'refused' | 'limit' | 'died' | 'failed', header, parquet bytes or None)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        if not self.wait_ready(deadline, cancelled):
            return "died", {"why": "the reader did not start"}, None
        job = {"name": name, "memory_mb": limits.memory_mb, "seconds": limits.seconds}
        try:
            self.conn.send_bytes(json.dumps(job).encode())
            self.conn.send_bytes(data)
        except OSError:
            return "died", {}, None
        answer = self._answer(time.monotonic() + limits.seconds, cancelled)
        if answer is None:
            return "limit", {"why": "time"}, None
        payload = None
        if answer.get("outcome") == "export":
            if not self.conn.poll(limits.seconds):
                return "died", {}, None
            try:
                payload = self.conn.recv_bytes()
            except (EOFError, OSError):
                return "died", {}, None
        return answer.get("outcome", "failed"), answer, payload

    @property
    def reusable(self) -> bool:
        return self.ready and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            LOG.warning("parse worker %d did not stop after SIGKILL", self.proc.pid)
        self.conn.close()
        self.stderr.close()

    def stderr_tail(self) -> str:
        try:
            self.stderr.seek(max(0, self.stderr.seek(0, os.SEEK_END) - 2000))
            return self.stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""


class Pool:
    """At most ``max_workers`` workers, reused for file after file; a worker is used by one caller at a time."""

    def __init__(self, max_workers: int = MAX_WORKERS):
        self._slots = threading.BoundedSemaphore(max_workers)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self.started = 0  # workers started so far (a figure for tests and benchmarks)

    def read(self, name: str, data: bytes, *, cancelled: Callable[[], bool] | None = None) -> Export:
        """See ``read_untrusted``."""
        name = safe_display_name(name)
        limits = Limits.from_env()
        with self._slots:
            worker = self._take()
            try:
                outcome, answer, payload = worker.read(name, data, limits, cancelled)
            except BaseException:
                worker.kill()
                raise
            keep = outcome in ("export", "refused", "unshippable") and worker.reusable and not answer.get("recycle")
            if keep:
                self._give(worker)
            else:
                tail = worker.stderr_tail() if outcome in ("died", "failed") else ""
                worker.kill()
                LOG.info("parse worker for %s ended: %s %s (exit %s) %s", name, outcome, answer.get("why", ""),
                         worker.proc.returncode, tail[-500:])
        if outcome == "export":
            from bk.ingest.parsed import export_from_copy

            sha256 = hashlib.sha256(data).hexdigest()
            export = export_from_copy(payload or b"", name=name, sha256=sha256, any_parser=True)
            if export is None:
                raise InvalidExportError(name, "could not be passed back from its reader; please report this with "
                                               "the file")
            export.parsed_bytes = payload  # what a save stores as the parsed copy
            return export
        if outcome == "unshippable":
            # the worker read it within the limits, but its frame does not survive parquet: read here, bounded now
            from bk.ingest.reader import read_export

            return read_export(data, name=name)
        if outcome == "refused":
            raise InvalidExportError(name, answer["message"], row=answer.get("row"), column=answer.get("column"))
        if outcome == "failed":
            raise InvalidExportError(name, f"could not be read (unexpected {answer.get('error', 'error')}); please "
                                           "report this with the file")
        why = {"memory": "it needs more memory", "time": "it takes longer"}.get(answer.get("why", ""),
                                                                              "the reader stopped")
        if outcome == "died" and worker.proc.returncode is not None and worker.proc.returncode < 0:
            signal = -worker.proc.returncode
            why = {24: "it takes longer", 9: "it needs more memory", 6: "it needs more memory"}.get(signal, why)
        raise limit_refusal(name, limits, why)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.reusable and time.monotonic() - worker.idle_since < IDLE_EXIT_S - 60:
                    return worker
                worker.kill()
        self.started += 1
        return _Worker()

    def _give(self, worker: _Worker) -> None:
        worker.idle_since = time.monotonic()
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        """Stop the idle workers (those busy are stopped by their callers)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


POOL = Pool()
atexit.register(POOL.close)


# ------------------------------------------------------------------------------------------ the worker side


def _limit(memory_mb: int, seconds: float) -> None:
    """Set this process's address-space limit and a CPU-time limit ``seconds`` from now (soft limits; the kernel
    sends SIGXCPU, which ends the process, when the CPU limit passes)."""
    import math
    import resource

    _, hard_as = resource.getrlimit(resource.RLIMIT_AS)
    want = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (want if hard_as == resource.RLIM_INFINITY else min(want, hard_as), hard_as))
    used = resource.getrusage(resource.RUSAGE_SELF)
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used.ru_utime + used.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard_cpu == resource.RLIM_INFINITY else min(soft, hard_cpu),
                                             hard_cpu))


def _rss_mb() -> float:
    """This process's resident set now (ru_maxrss would not do: it carries the parent's peak across fork+exec)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _serve(fd: int) -> None:
    """Read jobs from the socket until it closes or stays idle ``IDLE_EXIT_S``; answer each with a JSON header
    (and the export's parquet bytes)."""
    from bk.ingest.parsed import parsed_copy
    from bk.ingest.reader import read_export

    conn = Connection(fd)
    if hasattr(os, "nice"):
        os.nice(PARSE_NICE)
    conn.send_bytes(json.dumps({"ready": True}).encode())
    while conn.poll(IDLE_EXIT_S):
        try:
            job = json.loads(conn.recv_bytes())
            data = conn.recv_bytes()
        except EOFError:
            return
        try:
            _limit(job["memory_mb"], job["seconds"])
            export = read_export(data, name=job["name"])
            payload = parsed_copy(export)
            del export
            recycle = _rss_mb() > RECYCLE_RSS_MB
            if payload is None:
                conn.send_bytes(json.dumps({"outcome": "unshippable", "recycle": recycle}).encode())
                continue
            conn.send_bytes(json.dumps({"outcome": "export", "recycle": recycle}).encode())
            conn.send_bytes(payload)
        except InvalidExportError as exc:
            conn.send_bytes(json.dumps({"outcome": "refused", "message": exc.detail, "row": exc.row,
                                        "column": exc.column}).encode())
        except MemoryError:
            conn.send_bytes(json.dumps({"outcome": "limit", "why": "memory"}).encode())
            return  # a worker that hit its limit is replaced: its heap may be in any state
        except Exception as exc:  # a bug in the parser: the parent refuses the file and logs this
            import traceback

            traceback.print_exc(file=sys.stderr)
            conn.send_bytes(json.dumps({"outcome": "failed", "error": type(exc).__name__}).encode())
            return


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
