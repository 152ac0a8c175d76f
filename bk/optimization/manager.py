"""Service manager: runs the named service operations on a snapshot through the tier-2 cache, the profiler
and a circuit breaker, keeps the memory monitor running, and scores the app's health.

Warming (computing every page's default view before anyone opens it) runs in a child process at low
priority when the snapshot can be named on a command line (``python -m bk.optimization.manager``): it fills
the shared tier-2 cache without holding the server's GIL and without importing statsmodels into the server.
Without a cache or a source, it falls back to a thread that warms the light views only (never the forecast).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bk.errors import BkError
from bk.ingest.schema import KINDS, OPTIONAL_KINDS
from bk.ingest.snapshot import Snapshot
from bk.optimization.breaker import BreakerRegistry, error_details_level
from bk.optimization.cache import CACHE_KEY_ENV, ResultCache
from bk.optimization.health import HealthInputs, health_score
from bk.optimization.memory import memory_monitor
from bk.optimization.profiler import Profiler
from bk.services.yarn import APP_VIEW

log = logging.getLogger(__name__)
SERVICE_MODULES = ("bk.services.yarn", "bk.services.inventory", "bk.services.pipeline", "bk.services.capacity",
                   "bk.services.forecasting", "bk.services.forecast_levels", "bk.services.forecast_yarn",
                   "bk.services.briefing")
# The operations each page opens with: computed in the background when a snapshot is saved or picked.
# The worker computes them in this order: the heavy forecast first (a page never computes it itself), then the
# light views a page computes in a fraction of a second if it gets there before the worker.
DEFAULT_VIEWS: list[tuple[str, dict]] = [
    ("forecast.levels", {"horizon": 4}),  # the forecasting page opens with every level
    ("yarn.plan", APP_VIEW),  # the yarn page's default view, shared with Yarn inventory and Overview
    ("yarn.evidence", APP_VIEW),
    ("inventory.analyze", {"service_level": 0.95, "demand_cv": 0.5}),
    ("pipeline.wip", {"aging_days": 90}),
    ("pipeline.netting", {}),
    ("capacity.plan", {"horizon_weeks": 12, "bottleneck_threshold": 0.85}),  # also the Overview's hot spots
]
SLO_MS = {"forecast.all": 3000.0, "forecast.levels": 3000.0}
# heavy operations (seconds of CPU) are never warmed inside the server process
HEAVY_PREFIXES = ("forecast.",)
WARM_NICE = 5
WARM_WAIT_S = 180.0  # a page waits at most this long for the worker computing its view, then computes itself
# export kinds a complete snapshot has (as the Overview's "Complete" counts them: stage P01 is optional)
EXPECTED_KINDS = tuple(k for k in KINDS if k not in OPTIONAL_KINDS)


def is_heavy(operation: str) -> bool:
    return operation.startswith(HEAVY_PREFIXES)


def operations() -> dict[str, Callable]:
    """Every service operation by name (``yarn.plan`` …), from each service module's ``OPERATIONS``."""
    ops: dict[str, Callable] = {}
    for name in SERVICE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a service not written yet
                continue
            raise
        ops.update(getattr(module, "OPERATIONS", {}))
    return ops


class ServiceManager:
    """Runs named service operations on a snapshot: tier-2 cache → circuit breaker → profiler → service."""

    def __init__(self, *, cache: ResultCache | None = None, profiler: Profiler | None = None,
                 breakers: BreakerRegistry | None = None,
                 snapshot_loader: Callable[[str], Snapshot] | None = None, memory_budget_mb: float = 500.0):
        self._operations: dict[str, Callable] | None = None
        self.cache = cache
        self.profiler = profiler or Profiler(slo_ms=SLO_MS)
        self.breakers = breakers or BreakerRegistry()
        self.snapshot_loader = snapshot_loader
        self.memory_budget_mb = memory_budget_mb
        self.monitor = memory_monitor()
        self._warming: set[str] = set()
        self._workers: dict[str, _Worker] = {}
        self._thread = threading.local()

    @classmethod
    def from_environment(cls, *, error_details: object = "type", **kwargs) -> ServiceManager:
        """Cache under ``BK_CACHE_DIR`` (default data/cache); memory budget ``BK_MEMORY_BUDGET_MB``;
        ``error_details`` = Streamlit's ``client.showErrorDetails`` (what breaker messages may show)."""
        kwargs.setdefault("breakers", BreakerRegistry(error_details=error_details_level(error_details)))
        directory = Path(os.environ.get("BK_CACHE_DIR", Path(__file__).resolve().parents[2] / "data" / "cache"))
        size = int(float(os.environ.get("BK_CACHE_SIZE_MB", "512")) * 2**20)
        budget = float(os.environ.get("BK_MEMORY_BUDGET_MB", "500"))
        return cls(cache=ResultCache(directory, size_limit_bytes=size), memory_budget_mb=budget, **kwargs)

    @property
    def operations(self) -> dict[str, Callable]:
        if self._operations is None:
            self._operations = operations()
        return self._operations

    def missed_in_thread(self, *, reset: bool = False) -> bool:
        """Whether this thread asked the manager for anything (i.e. missed the page's tier-1 cache) since the
        last reset: what makes a page run *cold* for the profiler."""
        missed = getattr(self._thread, "missed", False)
        if reset:
            self._thread.missed = False
        return missed

    def run(self, operation: str, snapshot: Snapshot, **params):
        """The result of ``operation`` on the snapshot's frames at its as-of date (cached per digest+params)."""
        self._thread.missed = True
        if operation not in self.operations:
            raise BkError(f"unknown operation '{operation}'")
        fn = self.operations[operation]
        digest = snapshot.digest
        arguments = dict(params)
        if "earlier_snapshot_id" in arguments:
            # a two-snapshot operation: it gets the earlier snapshot's frames and date; cached on both digests
            earlier = self._earlier(arguments.pop("earlier_snapshot_id"))
            arguments.update(earlier_frames=earlier.frames, earlier_as_of=earlier.as_of)
            digest = hashlib.sha256(f"{snapshot.digest}:{earlier.digest}".encode()).hexdigest()

        def compute():
            with self.profiler.measure(operation, cold=True):
                return fn(snapshot.frames, as_of=snapshot.as_of, **arguments)

        def guarded():
            if self.cache is None:
                return compute()
            data_type = "forecast" if operation.startswith("forecast.") else "frame"
            self._await_worker(operation, digest, params)
            started = time.perf_counter()
            value, hit = self.cache.get_or_compute(operation, digest, params, compute, data_type=data_type)
            if hit:  # a warm answer of the operation (a miss was recorded cold by compute)
                self.profiler.record(operation, (time.perf_counter() - started) * 1000)
            return value

        # keyed by the snapshot too: failures on one (bad) snapshot never pause the operation for other snapshots
        return self.breakers.get(operation, snapshot.digest).call(guarded)

    def _earlier(self, snapshot_id: str) -> Snapshot:
        if self.snapshot_loader is None:
            raise BkError("comparing snapshots needs the snapshot store")
        return self.snapshot_loader(snapshot_id)

    def warm(self, snapshot: Snapshot, *, background: bool = True,
             source_args: Sequence[str] | None = None,
             operations: Sequence[str] | None = None) -> threading.Thread | subprocess.Popen | None:
        """Compute every page's default view for the snapshot so that first visits are cache hits.

        With ``source_args`` (how ``python -m bk.optimization.manager`` finds the snapshot: ``--store ROOT
        --snapshot ID`` or ``--paths DIR...``) and a tier-2 cache, a niced child process computes all of them,
        the forecast included, into that cache. Otherwise a thread (or this call, ``background=False``) computes
        the light views only. ``operations`` limits the views warmed. Once per snapshot and process; returns the
        process or thread started, if any.
        """
        if snapshot.digest in self._warming:
            return None
        self._warming.add(snapshot.digest)
        if source_args is not None and self.cache is not None and background:
            try:
                views = [(op, p) for op, p in DEFAULT_VIEWS if operations is None or op in operations]
                return self._warm_process(snapshot, [*source_args, "--operations", *(op for op, _ in views)],
                                          views)
            except OSError:
                log.exception("could not start the warming process; warming light views in a thread")
        light = [(op, p) for op, p in DEFAULT_VIEWS
                 if not is_heavy(op) and (operations is None or op in operations)]

        def work():
            warm_views(self, snapshot, light)
        if not background:
            work()
            return None
        thread = threading.Thread(target=work, name=f"bk-warm-{snapshot.digest[:8]}", daemon=True)
        thread.start()
        return thread

    def _await_worker(self, operation: str, digest: str, params: dict) -> None:
        """Wait for a warming worker's result instead of computing a view twice: when the worker is computing
        this very view now, or when the view is heavy (the forecast: kept out of the server) and still queued.
        A light view asked for while the worker is still starting (imports, reading the snapshot: seconds) is
        computed here: that takes a fraction of the wait."""
        worker = self._workers.get(digest)
        if worker is None or (operation, params) not in worker.views:
            return
        deadline = time.monotonic() + WARM_WAIT_S
        while worker.proc.poll() is None and time.monotonic() < deadline \
                and not self.cache.has(operation, digest, params):
            position = worker.views.index((operation, params))
            now = worker.current  # -1 while it starts up
            if now != position and not (is_heavy(operation) and now < position):
                return  # queued behind other views (or passed): computing it here is quicker
            time.sleep(0.05)

    def _warm_process(self, snapshot: Snapshot, source_args: Sequence[str],
                      views: list[tuple[str, dict]]) -> subprocess.Popen:
        env = {**os.environ, "BK_CACHE_DIR": str(self.cache.directory),
               "BK_CACHE_SIZE_MB": str(self.cache.size_limit_bytes / 2**20),
               CACHE_KEY_ENV: self.cache.signing_key}  # the worker signs what it stores with our key
        root = Path(__file__).resolve().parents[2]
        proc = subprocess.Popen(
            [sys.executable, "-m", "bk.optimization.manager", *source_args, "--digest", snapshot.digest],
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        worker = _Worker(proc, views)
        self._workers[snapshot.digest] = worker
        _LIVE_WORKERS.add(proc)

        def follow():  # track which view the worker is on, reap it (no zombie), log what went wrong
            tail: deque[str] = deque(maxlen=40)
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip()
                if line.startswith(_WARMING_MARK):
                    worker.current = int(line[len(_WARMING_MARK):])
                else:
                    tail.append(line)
            proc.wait()
            _LIVE_WORKERS.discard(proc)
            worker.current = len(views)
            if proc.returncode:
                log.warning("warming process for %s exited %s: %s", snapshot.digest[:8], proc.returncode,
                            "\n".join(tail))
        threading.Thread(target=follow, name=f"bk-warm-follow-{snapshot.digest[:8]}", daemon=True).start()
        return proc

    def health(self, snapshot: Snapshot | None = None) -> dict:
        """Health score with its components (see bk.optimization.health), plus the raw figures behind it."""
        ops = self.profiler.report()["operations"]
        cache_stats = self.cache.stats_dict() if self.cache else {}
        hits = sum(s["hits"] for s in cache_stats.values())
        total = hits + sum(s["misses"] for s in cache_stats.values())
        cache_status = self.cache.status() if self.cache else {"ok": False, "degraded_reason": "no cache configured"}
        findings = snapshot.findings if snapshot is not None else []
        age = (date.today() - snapshot.as_of).days if snapshot is not None else 0
        if snapshot is not None and snapshot.snapshot_id == "demo":
            age = 0  # the demo is not stale data
        states = self.breakers.states()
        inputs = HealthInputs(
            rss_mb=self.monitor.rss_mb(), memory_budget_mb=self.memory_budget_mb,
            p95_ms={k: v["warm_p95"] for k, v in ops.items() if v["warm_p95"] is not None},  # cold never counts
            slo_ms={k: self.profiler.slo(k) for k in ops},
            cache_hit_rate=hits / total if total else None, cache_degraded=not cache_status["ok"],
            error_rate=self.profiler.error_rate(), open_breakers=sum(s == "open" for s in states.values()),
            data_age_days=float(age), finding_errors=sum(f.severity == "error" for f in findings),
            finding_warnings=sum(f.severity == "warning" for f in findings),
            expected_exports=len(EXPECTED_KINDS) if snapshot is not None else 0,
            missing_exports=sum(k not in snapshot.exports for k in EXPECTED_KINDS) if snapshot is not None else 0,
            refusals=self.profiler.refusals())
        return {**health_score(inputs), "cache": cache_status, "cache_stats": cache_stats, "breakers": states,
                "profiler": ops}


@dataclass
class _Worker:
    proc: subprocess.Popen
    views: list[tuple[str, dict]]
    current: int = -1  # index in views of the one being computed (-1: starting, len(views): finished)


_WARMING_MARK = "warming view "
_LIVE_WORKERS: set[subprocess.Popen] = set()


@atexit.register
def _stop_workers() -> None:
    # a worker outliving its server would only fill a cache nobody reads
    for proc in list(_LIVE_WORKERS):
        if proc.poll() is None:
            proc.terminate()


def warm_views(manager: ServiceManager, snapshot: Snapshot, views: Sequence[tuple[str, dict]], *,
               announce: bool = False) -> list[str]:
    """Run each (operation, params) through the manager, skipping failures; returns the operations warmed.

    With ``announce`` each view's index is printed before it starts (how the server follows a worker).
    """
    done = []
    for index, (operation, params) in enumerate(views):
        if operation not in manager.operations:
            continue
        if announce:
            print(f"{_WARMING_MARK}{index}", flush=True)
        try:
            manager.run(operation, snapshot, **params)
        except BkError:
            continue  # e.g. a missing export: the page says so when opened
        except Exception:  # counted by the profiler and breaker; the page shows it when opened
            log.exception("warming %s failed", operation)
            continue
        done.append(operation)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bk.optimization.manager``: warm a snapshot's default views into the tier-2 cache."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bk.optimization.manager")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--paths", nargs="+", help="files/folders forming the snapshot (the demo)")
    source.add_argument("--store", help="snapshot store folder (with --snapshot)")
    parser.add_argument("--snapshot", help="snapshot id in the store")
    parser.add_argument("--digest", help="expected digest: stop when the snapshot read is another one")
    parser.add_argument("--operations", nargs="+", help="only these default views (default: all)")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(WARM_NICE)  # the server's requests first
    from bk.ingest.snapshot import SnapshotStore, load_paths

    if args.store:
        if not args.snapshot:
            parser.error("--store needs --snapshot")
        snapshot = SnapshotStore(args.store).load(args.snapshot)
    else:
        snapshot, _ = load_paths(args.paths)
    if args.digest and snapshot.digest != args.digest:
        print(f"snapshot digest {snapshot.digest[:10]} is not the expected {args.digest[:10]}; nothing warmed",
              file=sys.stderr)
        return 2
    views = [(op, p) for op, p in DEFAULT_VIEWS if not args.operations or op in args.operations]
    manager = ServiceManager.from_environment()
    done = warm_views(manager, snapshot, views, announce=True)
    print("warmed: " + " ".join(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
