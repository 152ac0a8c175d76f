"""Memory: what compact dtypes save on a frame, and one process-wide monitor of RSS and garbage collections."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bk.ingest.dtypes import compact_frame

log = logging.getLogger(__name__)
WARMUP_S = 300.0  # caches fill during the first minutes of a process: that growth is not a leak
LEAK_MIN_SPAN_S = 300.0  # a slope needs at least five minutes of samples after warm-up
FLOAT32_MAX_RELATIVE_CHANGE = 1e-6


@dataclass
class FrameReport:
    """What optimize_frame did: rows, deep bytes before/after and the dtype of each changed column."""

    rows: int
    bytes_before: int
    bytes_after: int
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def reduction_pct(self) -> float:
        return 100.0 * (1 - self.bytes_after / self.bytes_before) if self.bytes_before else 0.0


def optimize_frame(df: pd.DataFrame, *, float32: bool = False) -> tuple[pd.DataFrame, FrameReport]:
    """A copy of ``df`` in compact dtypes (``bk.ingest.dtypes.compact_frame``, what every export is read in) and
    what that saved; the input is not changed.

    With ``float32`` floats also become float32 where no value moves by more than 1e-6 relative (off by default
    and never on read: sums of float32 drift, and planners compare totals to the cent).
    """
    before = int(df.memory_usage(deep=True).sum())
    result = compact_frame(df)
    if float32:
        for name in result.columns:
            result[name] = _float32(result[name])
    changes = {str(name): (str(df[name].dtype), str(result[name].dtype)) for name in df.columns
               if str(result[name].dtype) != str(df[name].dtype)}
    return result, FrameReport(len(df), before, int(result.memory_usage(deep=True).sum()), changes)


def _float32(col: pd.Series) -> pd.Series:
    if col.dtype != np.float64:
        return col
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(over="ignore"):  # an overflow becomes inf and fails the check below
        narrow = values.astype(np.float32).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(narrow - values) / np.abs(values)
    ok = np.where(np.isnan(values), np.isnan(narrow), (values == 0) | (rel <= FLOAT32_MAX_RELATIVE_CHANGE))
    return col.astype("float32") if ok.all() else col


# ------------------------------------------------------------------------------------------------ monitor


def current_rss_mb() -> float:
    import psutil

    return psutil.Process(os.getpid()).memory_info().rss / 2**20


class MemoryMonitor:
    """RSS samples and GC events in bounded buffers, a GC when RSS passes a threshold, and a leak slope.

    One instance per process (``memory_monitor()``); the sampler is a daemon thread started once. Clock and
    RSS reader are injectable for tests; ``sample()`` takes one sample synchronously.
    """

    def __init__(self, *, interval_s: float = 1.0, threshold_mb: float = 500.0, cooldown_s: float = 30.0,
                 samples: int = 3600, events: int = 2000, clock: Callable[[], float] = time.time,
                 rss_mb: Callable[[], float] = current_rss_mb, warmup_s: float = WARMUP_S,
                 leak_min_span_s: float = LEAK_MIN_SPAN_S):
        self.interval_s = interval_s
        self.threshold_mb = threshold_mb
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.rss_mb = rss_mb
        self.started_at = clock()
        self.warmup_s = warmup_s
        self.leak_min_span_s = leak_min_span_s
        self.samples: deque[tuple[float, float]] = deque(maxlen=samples)
        self.gc_events: deque[dict] = deque(maxlen=events)
        self.threshold_collections = 0
        self._last_forced = -float("inf")
        self._gc_start: dict[int, float] = {}
        self._source: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # -- GC events ---------------------------------------------------------------------------------

    def install_gc_callback(self) -> None:
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def remove_gc_callback(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        generation = info.get("generation", -1)
        if phase == "start":
            self._gc_start[generation] = time.perf_counter()
            return
        started = self._gc_start.pop(generation, None)
        pause_ms = (time.perf_counter() - started) * 1000 if started is not None else float("nan")
        self.gc_events.append({"time": self.clock(), "generation": generation, "pause_ms": pause_ms,
                               "collected": info.get("collected", 0), "uncollectable": info.get("uncollectable", 0),
                               "source": self._source or _caller_source()})

    def collect(self, *, source: str = "manual") -> int:
        """Run a full collection now, recorded with ``source``; returns the number of objects collected."""
        self._source = source
        try:
            return gc.collect()
        finally:
            self._source = None

    # -- RSS ---------------------------------------------------------------------------------------

    def sample(self) -> float:
        """Record one RSS sample; collect garbage (logged) if it is over the threshold and out of cool-down."""
        now, rss = self.clock(), float(self.rss_mb())
        with self._lock:
            self.samples.append((now, rss))
        if rss > self.threshold_mb and now - self._last_forced >= self.cooldown_s:
            self._last_forced = now
            self.threshold_collections += 1
            collected = self.collect(source="threshold")
            log.warning("RSS %.0f MB over %.0f MB: gc.collect() freed %d objects", rss, self.threshold_mb, collected)
        return rss

    def start(self) -> MemoryMonitor:
        """Start the sampler thread (once) and the GC callback."""
        self.install_gc_callback()
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="bk-memory-sampler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.remove_gc_callback()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample()
            except Exception:  # the sampler must never die: a failing psutil read is logged and retried
                log.exception("memory sample failed")

    def samples_since(self, seconds: float) -> list[tuple[float, float]]:
        """(time, MB) samples of the last ``seconds`` (counted back from the latest sample), oldest first."""
        with self._lock:
            if not self.samples:
                return []
            since = self.samples[-1][0] - seconds
            recent = []
            for sample in reversed(self.samples):
                if sample[0] < since:
                    break
                recent.append(sample)
        return recent[::-1]

    def leak_slope_mb_per_min(self, window_min: float = 10.0) -> float:
        """Least-squares slope of RSS (MB per minute) over the last ``window_min`` minutes; 0 with < 3 samples."""
        with self._lock:
            data = list(self.samples)
        if not data:
            return 0.0
        cutoff = data[-1][0] - window_min * 60
        recent = np.array([(t, r) for t, r in data if t >= cutoff])
        if len(recent) < 3 or np.ptp(recent[:, 0]) == 0:
            return 0.0
        slope_per_s = np.polyfit(recent[:, 0], recent[:, 1], 1)[0]
        return float(slope_per_s * 60)

    def leak_slope_after_warmup(self, window_min: float = 10.0) -> float | None:
        """RSS slope (MB/min) over the last ``window_min`` minutes of samples taken after warm-up, or None while
        those samples span less than ``leak_min_span_s``: a fresh server filling its caches is not a leak."""
        with self._lock:
            data = list(self.samples)
        warm_from = self.started_at + self.warmup_s
        if not data:
            return None
        cutoff = max(warm_from, data[-1][0] - window_min * 60)
        recent = np.array([(t, r) for t, r in data if t >= cutoff])
        if len(recent) < 3 or np.ptp(recent[:, 0]) < self.leak_min_span_s:
            return None
        return float(np.polyfit(recent[:, 0], recent[:, 1], 1)[0] * 60)

    def snapshot(self) -> dict:
        """Plain lists and numbers for a page or a JSON report."""
        with self._lock:
            samples = list(self.samples)
        return {"rss": [{"time": t, "rss_mb": r} for t, r in samples], "gc_events": list(self.gc_events),
                "threshold_mb": self.threshold_mb, "threshold_collections": self.threshold_collections,
                "leak_slope_mb_per_min": self.leak_slope_mb_per_min(),
                "leak_slope_after_warmup_mb_per_min": self.leak_slope_after_warmup(),
                "warm_since": self.started_at + self.warmup_s, "leak_min_span_s": self.leak_min_span_s}


def _caller_source() -> str:
    """'streamlit_post_script' when Streamlit's script runner asked for this collection, else 'automatic'."""
    try:
        frame = sys._getframe(1)
    except ValueError:
        return "automatic"
    depth = 0
    while frame is not None and depth < 12:
        if "scriptrunner" in frame.f_code.co_filename.replace("\\", "/"):
            return "streamlit_post_script"
        if frame.f_code.co_name == "collect" and "bk/optimization/memory" in frame.f_code.co_filename:
            return "manual"
        frame = frame.f_back
        depth += 1
    return "automatic"


_MONITOR: MemoryMonitor | None = None
_MONITOR_LOCK = threading.Lock()


def memory_monitor(**kwargs) -> MemoryMonitor:
    """The process's monitor, created and started on first use (later kwargs are ignored)."""
    global _MONITOR
    with _MONITOR_LOCK:
        if _MONITOR is None:
            threshold = float(os.environ.get("BK_GC_THRESHOLD_MB", kwargs.pop("threshold_mb", 500.0)))
            _MONITOR = MemoryMonitor(threshold_mb=threshold, **kwargs).start()
        return _MONITOR


class HeapFreezer:
    """Keeps the full collection Streamlit runs after every script run (``runner.postScriptGC``) cheap.

    A served process holds ~170k long-lived objects (imports, snapshot, shared results); a full collection
    walks all of them, 90–110 ms on this project's hardware, after *every* rerun, and the browser waits for it
    (the run's last message is sent while the collection holds the GIL). ``between_runs``, called at the start
    of each run, moves the survivors of earlier collections into the permanent generation (``gc.freeze``) once
    they number ``freeze_from`` or more, so the collection after a run walks at most that many old objects plus
    what the run allocated. Browser sessions (a few hundred old objects each) stay below it: when one closes,
    the next collection frees it. Frozen objects are still freed by reference counting; only garbage *cycles*
    among them wait: every ``rescan_every_s`` the heap is thawed (``gc.unfreeze``) so that run's collection
    walks everything once and reclaims them.
    """

    def __init__(self, *, rescan_every_s: float = 300.0, freeze_from: int = 20_000,
                 clock: Callable[[], float] = time.monotonic,
                 old_objects: Callable[[], int] = lambda: len(gc.get_objects(generation=2))):
        self.rescan_every_s = rescan_every_s
        self.freeze_from = freeze_from
        self._clock = clock
        self._old_objects = old_objects
        self._frozen_since: float | None = None
        self._lock = threading.Lock()

    def between_runs(self) -> str:
        """'thawed' (this run's collection rescans everything), 'froze' (old objects moved to the permanent
        generation) or 'kept' (too few old objects to be worth it)."""
        with self._lock:
            now = self._clock()
            if self._frozen_since is not None and now - self._frozen_since >= self.rescan_every_s:
                gc.unfreeze()
                self._frozen_since = None
                return "thawed"
            if self._old_objects() < self.freeze_from:
                return "kept"
            gc.freeze()
            if self._frozen_since is None:
                self._frozen_since = now
            return "froze"


_FREEZER = HeapFreezer()


def heap_freezer() -> HeapFreezer:
    """The process's freezer (one per process: gc's permanent generation is process-wide)."""
    return _FREEZER
