"""Service manager: runs the named service operations on a snapshot through the tier-2 cache, the profiler
and a circuit breaker, keeps the memory monitor running, and scores the app's health.

Warming (computing every page's default view before anyone opens it) runs in a child process at low
priority when the snapshot can be named on a command line (``python -m bk.optimization.manager``): it fills
the shared tier-2 cache without holding the server's GIL and without importing statsmodels into the server.
Without a cache or a source, it falls back to a thread that warms the light views only (never the forecast).
A saved snapshot is warmed when it is saved (``fill_store``: the Data page's worker, or ``bk save`` itself),
with its comparison with the snapshot saved before; the results of the newest ``BK_KEEP_WARM`` snapshots are
pinned in the tier-2 cache, and a server's first warming fills what those snapshots lack.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bk.errors import BkError
from bk.ingest.schema import KINDS, OPTIONAL_KINDS
from bk.ingest.snapshot import Snapshot
from bk.optimization.breaker import BreakerRegistry, error_details_level
from bk.optimization.cache import CACHE_KEY_ENV, ResultCache
from bk.optimization.health import (
    MEMORY_WINDOW_S,
    PAGE_PREFIX,
    HealthInputs,
    Steadier,
    health_score,
)
from bk.optimization.memory import memory_monitor
from bk.optimization.profiler import Profiler
from bk.services.yarn import APP_VIEW

log = logging.getLogger(__name__)
SERVICE_MODULES = ("bk.services.yarn", "bk.services.inventory", "bk.services.pipeline", "bk.services.capacity",
                   "bk.services.forecasting", "bk.services.forecast_levels", "bk.services.forecast_yarn",
                   "bk.services.briefing", "bk.services.backtest")
# The operations each page opens with: computed in the background when a snapshot is saved or picked.
# The worker computes them in this order: the heavy forecast first (a page never computes it itself), then the
# light views a page computes in a fraction of a second if it gets there before the worker, then what a page
# offers one click away (the forecast's other levels, the machine schedule). A saved snapshot also gets its
# comparison with the previous one (``comparison_view``: its parameter depends on the store).
DEFAULT_VIEWS: list[tuple[str, dict]] = [
    ("forecast.levels", {"horizon": 4}),  # the forecasting page opens with every level
    ("yarn.plan", APP_VIEW),  # the yarn page's default view, shared with Yarn inventory and Overview
    ("yarn.evidence", APP_VIEW),
    ("inventory.analyze", {"service_level": 0.95, "demand_cv": 0.5}),
    ("pipeline.wip", {"aging_days": 90}),
    ("pipeline.netting", {}),
    ("capacity.plan", {"horizon_weeks": 12, "bottleneck_threshold": 0.85}),  # also the Overview's hot spots
    ("yarn.plan", {}),  # the yarn page's other knitting schedules: eFab's rule, the machine schedule
    ("yarn.evidence", {}),
    ("yarn.plan", {"knitting": "machines"}),
    ("yarn.evidence", {"knitting": "machines"}),
]
KEEP_WARM_ENV = "BK_KEEP_WARM"  # the newest N saved snapshots keep their results out of the LRU (default 7)
SLO_MS = {"forecast.all": 3000.0, "forecast.levels": 3000.0}
# heavy operations (seconds of CPU) are never warmed inside the server process
HEAVY_PREFIXES = ("forecast.",)
WARM_NICE = 5
WARM_WAIT_S = 180.0  # a page waits at most this long for the worker computing its view, then computes itself
# export kinds a complete snapshot has (as the Overview's "Complete" counts them: stage P01 is optional)
EXPECTED_KINDS = tuple(k for k in KINDS if k not in OPTIONAL_KINDS)


def is_heavy(operation: str) -> bool:
    return operation.startswith(HEAVY_PREFIXES)


def keep_warm_count() -> int:
    """``BK_KEEP_WARM``: how many of the newest saved snapshots keep their results pinned (default 7)."""
    try:
        return max(0, int(os.environ.get(KEEP_WARM_ENV, "7")))
    except ValueError:
        return 7


def kept_ids(ids_oldest_first: Sequence[str], count: int | None = None) -> list[str]:
    """The ids of the newest ``count`` (``BK_KEEP_WARM``) snapshots, newest first."""
    count = keep_warm_count() if count is None else count
    return list(reversed(ids_oldest_first))[:count]


def comparison_view(ids_oldest_first: Sequence[str], snapshot_id: str) -> tuple[str, dict] | None:
    """The Overview's default comparison of a saved snapshot: with the one saved just before it (None: first)."""
    ids = list(ids_oldest_first)
    if snapshot_id not in ids or ids.index(snapshot_id) == 0:
        return None
    return "briefing.diff", {"earlier_snapshot_id": ids[ids.index(snapshot_id) - 1]}


def previous_day_id(history: Sequence[tuple[str, date]], snapshot_id: str) -> str | None:
    """The snapshot of the export day before this one's: ``history`` is (id, as-of date) oldest first (the store's
    order); the last one saved of a day stands for it. None for the first day, or an id not in ``history``."""
    days: dict[date, str] = {}
    own = None
    for sid, day in history:
        days[day] = sid
        if sid == snapshot_id:
            own = day
            break
    else:
        return None
    earlier = sorted(d for d in days if d < own)
    return days[earlier[-1]] if earlier else None


def history_views(history: Sequence[tuple[str, date]], snapshot_id: str) -> list[tuple[str, dict]]:
    """The default views that depend on the store: the Overview's comparison with the snapshot saved before this
    one, and with the export day before it the app's yarn plan and its evidence with the loop closed (KO paces and
    suppliers' slips since then) and the back-test of that day's plan (the Overview's plan line, Plan health)."""
    views = []
    comparison = comparison_view([sid for sid, _ in history], snapshot_id)
    if comparison is not None:
        views.append(comparison)
    previous = previous_day_id(history, snapshot_id)
    if previous is not None:
        views += [(op, {**APP_VIEW, "earlier_snapshot_id": previous})
                  for op in ("yarn.plan", "yarn.evidence", "plan.backtest")]
    return views


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
                 snapshot_loader: Callable[[str], Snapshot] | None = None, memory_budget_mb: float = 500.0,
                 snapshot_digest: Callable[[str], str] | None = None,
                 kept: Callable[[], Collection[str]] | None = None):
        """``snapshot_loader`` reads a saved snapshot by id (the earlier side of a comparison), ``snapshot_digest``
        its digest without reading its frames (a warm comparison then never loads it), ``kept`` the ids of the
        snapshots whose results are pinned in the tier-2 cache (the newest ``BK_KEEP_WARM``)."""
        self._operations: dict[str, Callable] | None = None
        self.cache = cache
        self.snapshot_digest = snapshot_digest
        self.kept = kept
        self.profiler = profiler or Profiler(slo_ms=SLO_MS)
        self.breakers = breakers or BreakerRegistry()
        self.snapshot_loader = snapshot_loader
        self.memory_budget_mb = memory_budget_mb
        self.monitor = memory_monitor()
        self._warming: set[str] = set()
        self._workers: dict[str, _Worker] = {}
        self._thread = threading.local()
        self._steadier = Steadier()

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

    def pair_digest(self, snapshot: Snapshot, earlier_id: str, read: list[Snapshot] | None = None) -> str:
        """The cache digest of a two-snapshot operation: both snapshots' digests. The earlier one's comes from the
        store's manifests when ``snapshot_digest`` can say, else the snapshot is read (and kept in ``read``)."""
        if self.snapshot_digest is None:
            earlier = self._earlier(earlier_id)
            if read is not None:
                read.append(earlier)
            earlier_digest = earlier.digest
        else:
            earlier_digest = self.snapshot_digest(earlier_id)
        return hashlib.sha256(f"{snapshot.digest}:{earlier_digest}".encode()).hexdigest()

    def run(self, operation: str, snapshot: Snapshot, **params):
        """The result of ``operation`` on the snapshot's frames at its as-of date (cached per digest+params)."""
        self._thread.missed = True
        if operation not in self.operations:
            raise BkError(f"unknown operation '{operation}'")
        fn = self.operations[operation]
        digest = snapshot.digest
        arguments = dict(params)
        earlier_id = arguments.pop("earlier_snapshot_id", None)
        read: list[Snapshot] = []  # the earlier snapshot, once read
        if earlier_id is not None:
            # a two-snapshot operation: cached on both digests; the earlier snapshot is read only to compute
            # (when its digest can be had from the store's manifests)
            digest = self.pair_digest(snapshot, earlier_id, read)

        def compute():
            extra = {}
            if earlier_id is not None:
                earlier = read[0] if read else self._earlier(earlier_id)
                extra = {"earlier_frames": earlier.frames, "earlier_as_of": earlier.as_of}
            with self.profiler.measure(operation, cold=True):
                return fn(snapshot.frames, as_of=snapshot.as_of, **arguments, **extra)

        def guarded():
            if self.cache is None:
                return compute()
            data_type = "forecast" if operation.startswith("forecast.") else "frame"
            self._await_worker(operation, digest, params)
            started = time.perf_counter()
            value, hit = self.cache.get_or_compute(operation, digest, params, compute, data_type=data_type,
                                                   pin=self._pin(snapshot))
            if hit:  # a warm answer of the operation (a miss was recorded cold by compute)
                self.profiler.record(operation, (time.perf_counter() - started) * 1000)
            return value

        # keyed by the snapshot too: failures on one (bad) snapshot never pause the operation for other snapshots
        return self.breakers.get(operation, snapshot.digest).call(guarded)

    def _pin(self, snapshot: Snapshot) -> str | None:
        """The tag a result of this snapshot is pinned under (its id), when it is one of the kept snapshots."""
        return self._pin_id(snapshot.snapshot_id)

    def _pin_id(self, snapshot_id: str) -> str | None:
        if self.kept is None or snapshot_id in ("unsaved", "demo"):
            return None
        return snapshot_id if snapshot_id in self.kept() else None

    def is_warm(self, snapshot_id: str, digest: str) -> bool:
        """Whether the tier-2 cache holds every default view of the snapshot (pinned, when it is kept)."""
        if self.cache is None:
            return False
        pinned = self._pin_id(snapshot_id) is not None
        return all(self.cache.has(op, digest, p, pinned_only=pinned)
                   for op, p in DEFAULT_VIEWS if op in self.operations)

    def _earlier(self, snapshot_id: str) -> Snapshot:
        if self.snapshot_loader is None:
            raise BkError("comparing snapshots needs the snapshot store")
        return self.snapshot_loader(snapshot_id)

    def warm(self, snapshot: Snapshot, *, background: bool = True,
             source_args: Sequence[str] | None = None,
             operations: Sequence[str] | None = None,
             also: Sequence[str] = ()) -> threading.Thread | subprocess.Popen | None:
        """Compute every page's default view for the snapshot so that first visits are cache hits.

        With ``source_args`` (how ``python -m bk.optimization.manager`` finds the snapshot: ``--store ROOT
        --snapshot ID`` or ``--paths DIR...``) and a tier-2 cache, a niced child process computes all of them,
        the forecast included, into that cache, then what the saved snapshots ``also`` (ids in the same store)
        lack. Otherwise a thread (or this call, ``background=False``) computes the light views only.
        ``operations`` limits the views warmed. Once per snapshot and process, and nothing is started when the
        cache already holds every view and there is nothing ``also`` to fill; returns the process or thread
        started, if any.
        """
        if snapshot.digest in self._warming:
            return None
        self._warming.add(snapshot.digest)
        if not also and operations is None and self.is_warm(snapshot.snapshot_id, snapshot.digest):
            return None
        if source_args is not None and self.cache is not None and background:
            try:
                views = [(op, p) for op, p in DEFAULT_VIEWS if operations is None or op in operations]
                others = list(also) if source_args[:1] == ["--store"] else []
                selected = ["--operations", *dict.fromkeys(op for op, _ in views)] if operations is not None else []
                return self._warm_process(snapshot, [*source_args, *others, *selected], views)
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

    def health(self, snapshot: Snapshot | None = None, *, leak_alert_mb_per_min: float = 5.0) -> dict:
        """The app's health score with its components and alerts (see bk.optimization.health), held steady per
        process (``Steadier``), plus the raw figures behind it for engineers: ``cache``, ``cache_stats``,
        ``breakers`` and ``refusals`` (per-operation percentiles: ``profiler.report()``, 7 ms with full buffers,
        kept out of the page's 2 s refresh)."""
        calls = self.profiler.recent()
        cache_stats = self.cache.stats_dict() if self.cache else {}
        cache_status = self.cache.status() if self.cache else {"ok": False, "degraded_reason": "no cache configured"}
        findings = snapshot.findings if snapshot is not None else []
        demo = snapshot is not None and (snapshot.snapshot_id == "demo" or snapshot.snapshot_id.startswith("demo-"))
        states = self.breakers.states()
        inputs = HealthInputs(
            page_loads=[(c.operation[len(PAGE_PREFIX):], c.ms) for c in calls
                        if c.operation.startswith(PAGE_PREFIX) and not c.cold and not c.error],
            calls=[c.error for c in calls], rss=self.monitor.samples_since(MEMORY_WINDOW_S),
            memory_budget_mb=self.memory_budget_mb, leak_mb_per_min=self.monitor.leak_slope_after_warmup(),
            leak_alert_mb_per_min=leak_alert_mb_per_min, open_breakers=sum(s == "open" for s in states.values()),
            cache_degraded=not cache_status["ok"], snapshot=snapshot is not None,
            data_as_of=None if snapshot is None or demo else snapshot.as_of,
            finding_errors=sum(f.severity == "error" for f in findings),
            finding_warnings=sum(f.severity == "warning" for f in findings),
            expected_exports=len(EXPECTED_KINDS) if snapshot is not None else 0,
            missing_exports=sum(k not in snapshot.exports for k in EXPECTED_KINDS) if snapshot is not None else 0)
        scored = self._steadier.steady(health_score(inputs))
        return {**scored, "cache": cache_status, "cache_stats": cache_stats,
                "breakers": states, "refusals": self.profiler.refusals()}


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
               announce: bool = False, skip_stored: bool = False) -> list[str]:
    """Run each (operation, params) through the manager, skipping failures; returns the operations warmed.

    With ``announce`` each view's index is printed before it starts (how the server follows a worker), and the
    number of views once all are done; with ``skip_stored`` a view the tier-2 cache already holds (pinned, for a
    kept snapshot) is not read back.
    """
    done = []
    pinned = manager._pin(snapshot) is not None
    for index, (operation, params) in enumerate(views):
        if operation not in manager.operations:
            continue
        if announce:
            print(f"{_WARMING_MARK}{index}", flush=True)
        if skip_stored and manager.cache is not None and manager.cache.has(
                operation, _view_digest(manager, snapshot, params), params, pinned_only=pinned):
            continue
        try:
            manager.run(operation, snapshot, **params)
        except BkError:
            continue  # e.g. a missing export: the page says so when opened
        except Exception:  # counted by the profiler and breaker; the page shows it when opened
            log.exception("warming %s failed", operation)
            continue
        done.append(operation)
    if announce:
        print(f"{_WARMING_MARK}{len(views)}", flush=True)
    return done


def _view_digest(manager: ServiceManager, snapshot: Snapshot, params: dict) -> str:
    earlier_id = params.get("earlier_snapshot_id")
    return snapshot.digest if earlier_id is None else manager.pair_digest(snapshot, earlier_id)


def fill_store(root: str | Path, first: Sequence[str], *, operations: Sequence[str] | None = None,
               announce_first: bool = False, manager: ServiceManager | None = None) -> dict[str, list[str]]:
    """Warm saved snapshots of the store at ``root`` into the tier-2 cache (``BK_CACHE_DIR``): the ids in
    ``first``, in that order, then every other kept snapshot (the newest ``BK_KEEP_WARM``); each gets every
    default view and its comparison with the snapshot saved before it, skipping what the cache holds already.
    The entries of kept snapshots are pinned; snapshots no longer kept have theirs released to the LRU.
    Returns the views computed per snapshot id."""
    from bk.ingest.snapshot import SnapshotStore

    store = SnapshotStore(root)
    history = [(i.snapshot_id, i.as_of) for i in store.list()]
    ids = [sid for sid, _ in history]
    kept = kept_ids(ids)
    # within one run the store is as listed: each digest from the manifests once, and the snapshot just warmed
    # (the next one's earlier side) not read again
    load = functools.lru_cache(maxsize=2)(store.load)
    manager = manager or ServiceManager.from_environment(snapshot_loader=load,
                                                         snapshot_digest=functools.cache(store.digest),
                                                         kept=lambda: kept)
    done: dict[str, list[str]] = {}
    for position, snapshot_id in enumerate(dict.fromkeys([*first, *kept])):
        if snapshot_id not in ids:
            continue
        snapshot = load(snapshot_id)
        views = [(op, p) for op, p in [*DEFAULT_VIEWS, *history_views(history, snapshot_id)]
                 if not operations or op in operations]
        done[snapshot_id] = warm_views(manager, snapshot, views, announce=announce_first and position == 0,
                                       skip_stored=True)
        del snapshot
    if manager.cache is not None:
        manager.cache.release_pins(set(kept))
    return done


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bk.optimization.manager``: warm a snapshot's default views into the tier-2 cache (with
    ``--store``: then what the other kept snapshots lack)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bk.optimization.manager")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--paths", nargs="+", help="files/folders forming the snapshot (the demo)")
    source.add_argument("--store", help="snapshot store folder (with --snapshot)")
    parser.add_argument("--snapshot", nargs="+", help="snapshot ids in the store, the one to announce first")
    parser.add_argument("--digest", help="expected digest: stop when the snapshot read is another one")
    parser.add_argument("--operations", nargs="+", help="only these default views (default: all)")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(WARM_NICE)  # the server's requests first
    from bk.ingest.snapshot import SnapshotStore, load_paths

    if args.store:
        if not args.snapshot:
            parser.error("--store needs --snapshot")
        digest = SnapshotStore(args.store).digest(args.snapshot[0])  # from its manifest: fill_store reads it
    else:
        snapshot, _ = load_paths(args.paths, trusted=True)  # the server passes its demo folder here
        digest = snapshot.digest
    if args.digest and digest != args.digest:
        print(f"snapshot digest {digest[:10]} is not the expected {args.digest[:10]}; nothing warmed",
              file=sys.stderr)
        return 2
    if args.store:
        done = fill_store(args.store, args.snapshot, operations=args.operations, announce_first=True)
        print("warmed: " + "; ".join(f"{i}: {' '.join(ops)}" for i, ops in done.items()))
        return 0
    views = [(op, p) for op, p in DEFAULT_VIEWS if not args.operations or op in args.operations]
    manager = ServiceManager.from_environment()
    done = warm_views(manager, snapshot, views, announce=True)
    print("warmed: " + " ".join(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
