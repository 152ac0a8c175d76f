"""Profiler: durations of every service operation in bounded buffers, percentiles against an SLO, bottlenecks,
an on-demand cProfile of one call, and an in-process load test.

Each duration is *cold* (something was computed or imported: a cache miss, a page's first run in the process)
or *warm* (served from caches). They are kept apart: SLOs and bottlenecks judge the warm p95, so a fresh
server's first loads are reported but never raise an alert."""

from __future__ import annotations

import cProfile
import io
import pstats
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from bk.errors import BkError

DEFAULT_SLO_MS = 200.0
RECENT_CALLS = 5000  # the latest calls with their time, for the health score's windows


@dataclass(frozen=True)
class Call:
    """One timed call, as the health score reads it (``Profiler.recent``)."""

    time: float  # epoch seconds at the end of the call
    operation: str
    ms: float
    cold: bool
    error: bool


@dataclass
class _Op:
    durations_ms: deque = field(default_factory=lambda: deque(maxlen=1000))
    count: int = 0
    errors: int = 0
    warm_ms: deque = field(default_factory=lambda: deque(maxlen=1000))
    cold_ms: deque = field(default_factory=lambda: deque(maxlen=1000))
    refusals: int = 0  # BkError: the kernel's answer about the data (a missing export, a bad file), not a failure


class Profiler:
    """Per-operation timings: ``with profiler.measure("yarn.plan"): ...`` or ``@profiler.timed("yarn.plan")``."""

    def __init__(self, *, buffer: int = 1000, slo_ms: dict[str, float] | None = None,
                 default_slo_ms: float = DEFAULT_SLO_MS, clock: Callable[[], float] = time.time):
        self.buffer = buffer
        self.clock = clock
        self._recent: deque[Call] = deque(maxlen=RECENT_CALLS)
        self.slo_ms = dict(slo_ms or {})
        self.default_slo_ms = default_slo_ms
        self._ops: dict[str, _Op] = {}
        self._lock = threading.Lock()

    def record(self, operation: str, duration_ms: float, *, error: bool = False, refused: bool = False,
               cold: bool = False) -> None:
        with self._lock:
            op = self._ops.setdefault(operation, _Op(deque(maxlen=self.buffer), warm_ms=deque(maxlen=self.buffer),
                                                     cold_ms=deque(maxlen=self.buffer)))
            op.durations_ms.append(duration_ms)
            (op.cold_ms if cold else op.warm_ms).append(duration_ms)
            op.count += 1
            op.errors += int(error)
            op.refusals += int(refused)
            self._recent.append(Call(self.clock(), operation, duration_ms, cold, error))

    @contextmanager
    def measure(self, operation: str, *, cold: bool | Callable[[], bool] = False):
        """Time the block; ``cold`` may be a callable asked at the end (did the block compute anything?). An error
        is an unexpected exception; a BkError (MissingDataError, a refused file) is a refusal about the data,
        counted apart; BaseExceptions that are not Exceptions (Streamlit's st.stop and st.switch_page,
        KeyboardInterrupt) are control flow, neither."""
        started = time.perf_counter()
        failed = refused = False
        try:
            yield
        except BkError:
            refused = True
            raise
        except Exception:
            failed = True
            raise
        finally:
            is_cold = cold() if callable(cold) else cold
            self.record(operation, (time.perf_counter() - started) * 1000, error=failed, refused=refused,
                        cold=is_cold)

    def timed(self, operation: str):
        def decorate(fn: Callable) -> Callable:
            def wrapper(*args, **kwargs):
                with self.measure(operation):
                    return fn(*args, **kwargs)
            wrapper.__wrapped__ = fn
            wrapper.__name__ = getattr(fn, "__name__", operation)
            return wrapper
        return decorate

    def slo(self, operation: str) -> float:
        return self.slo_ms.get(operation, self.default_slo_ms)

    def percentiles(self, operation: str) -> dict:
        """count, errors, refusals, p50/p95/p99/max (ms, numpy linear interpolation) of the buffered durations,
        plus ``warm_count``/``warm_p50``/``warm_p95`` and ``cold_count``/``cold_p50``/``cold_p95`` apart."""
        with self._lock:
            op = self._ops.get(operation)
            values = np.array(op.durations_ms if op else [], dtype=float)
            warm = np.array(op.warm_ms if op else [], dtype=float)
            cold = np.array(op.cold_ms if op else [], dtype=float)
            count, errors, refusals = (op.count, op.errors, op.refusals) if op else (0, 0, 0)
        phases = {}
        for phase, sample in (("warm", warm), ("cold", cold)):
            p = np.percentile(sample, [50, 95]) if len(sample) else (None, None)
            phases.update({f"{phase}_count": len(sample), f"{phase}_p50": None if p[0] is None else float(p[0]),
                           f"{phase}_p95": None if p[1] is None else float(p[1])})
        if not len(values):
            return {"count": count, "errors": errors, "refusals": refusals, "p50": None, "p95": None, "p99": None,
                    "max": None, **phases}
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        return {"count": count, "errors": errors, "refusals": refusals, "p50": float(p50), "p95": float(p95),
                "p99": float(p99), "max": float(values.max()), "slo_ms": self.slo(operation), **phases}

    def operations(self) -> list[str]:
        with self._lock:
            return sorted(self._ops)

    def bottlenecks(self) -> list[dict]:
        """Operations whose *warm* p95 exceeds their SLO, worst ratio first (cold runs never alert)."""
        rows = []
        for name in self.operations():
            p = self.percentiles(name)
            if p["warm_p95"] is not None and p["warm_p95"] > self.slo(name):
                rows.append({"operation": name, "p95_ms": p["warm_p95"], "slo_ms": self.slo(name),
                             "ratio": p["warm_p95"] / self.slo(name), "warm_count": p["warm_count"]})
        return sorted(rows, key=lambda r: r["ratio"], reverse=True)

    def recent(self) -> list[Call]:
        """The latest calls (up to ``RECENT_CALLS``), oldest first."""
        with self._lock:
            return list(self._recent)

    def refusals(self) -> int:
        """Calls refused for their data (BkError): not in the error rate."""
        with self._lock:
            return sum(op.refusals for op in self._ops.values())

    def error_rate(self) -> float:
        """Unexpected failures ÷ calls (refusals about the data and Streamlit's control flow are not failures)."""
        with self._lock:
            total = sum(op.count for op in self._ops.values())
            errors = sum(op.errors for op in self._ops.values())
        return errors / total if total else 0.0

    def report(self) -> dict:
        return {"operations": {name: self.percentiles(name) for name in self.operations()},
                "bottlenecks": self.bottlenecks(), "error_rate": self.error_rate()}

    def reset(self) -> None:
        with self._lock:
            self._ops.clear()
            self._recent.clear()


def deep_profile(fn: Callable, *args, top: int = 20, **kwargs) -> list[dict]:
    """cProfile one call; the ``top`` functions by cumulative time."""
    profile = cProfile.Profile()
    profile.runcall(fn, *args, **kwargs)
    stats = pstats.Stats(profile, stream=io.StringIO()).sort_stats("cumulative")
    rows = []
    for (filename, line, name), (_, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{name} ({filename.rsplit('/', 1)[-1]}:{line})", "calls": nc,
                     "total_ms": tt * 1000, "cumulative_ms": ct * 1000})
    return sorted(rows, key=lambda r: r["cumulative_ms"], reverse=True)[:top]


def load_test(operations: dict[str, Callable[[], object]], *, workers: int = 4, duration_s: float = 5.0,
              max_calls: int = 100_000) -> dict:
    """``workers`` threads call the operations round-robin for ``duration_s`` (bounded by ``max_calls``).

    Returns calls, errors, throughput (calls/s) and per-operation percentiles."""
    profiler = Profiler(buffer=max_calls)
    names = list(operations)
    deadline = time.perf_counter() + duration_s
    counter = {"n": 0}
    lock = threading.Lock()

    def worker(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            with lock:
                if counter["n"] >= max_calls:
                    return
                counter["n"] += 1
            name = names[i % len(names)]
            i += 1
            try:
                with profiler.measure(name):
                    operations[name]()
            except Exception:  # counted as an error of that operation; the load test goes on
                pass

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(worker, range(workers)))
    elapsed = time.perf_counter() - started
    report = profiler.report()
    calls = sum(p["count"] for p in report["operations"].values())
    return {"workers": workers, "duration_s": elapsed, "calls": calls,
            "errors": sum(p["errors"] for p in report["operations"].values()),
            "throughput_per_s": calls / elapsed if elapsed else 0.0, "operations": report["operations"]}


PROFILER = Profiler()
