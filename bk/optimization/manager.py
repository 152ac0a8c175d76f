"""Service manager: runs the named service operations on a snapshot through the tier-2 cache, the profiler
and a circuit breaker, keeps the memory monitor running, and scores the app's health."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bk.errors import BkError
from bk.ingest.schema import KINDS
from bk.ingest.snapshot import Snapshot
from bk.optimization.breaker import BreakerRegistry, error_details_level
from bk.optimization.cache import ResultCache
from bk.optimization.health import HealthInputs, health_score
from bk.optimization.memory import memory_monitor
from bk.optimization.profiler import Profiler

log = logging.getLogger(__name__)
SERVICE_MODULES = ("bk.services.yarn", "bk.services.inventory", "bk.services.pipeline", "bk.services.capacity",
                   "bk.services.forecasting", "bk.services.briefing")
# The operations each page opens with: computed in the background when a snapshot is saved or picked.
DEFAULT_VIEWS: list[tuple[str, dict]] = [
    ("yarn.plan", {"include_past_due": False, "extra_knit_orders": []}),
    ("inventory.analyze", {"service_level": 0.95, "demand_cv": 0.5}),
    ("pipeline.wip", {"aging_days": 90}),
    ("pipeline.netting", {}),
    ("capacity.plan", {"horizon_weeks": 12, "bottleneck_threshold": 0.85}),
    ("forecast.all", {"level": "style", "freq": "W", "horizon": 4}),
    ("briefing.today", {}),
]
SLO_MS = {"forecast.all": 3000.0}
# export kinds a complete snapshot has (as the Overview's "Complete" counts them: stage P01 is optional)
EXPECTED_KINDS = tuple(k for k in KINDS if k != "stage_p01")


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

    def run(self, operation: str, snapshot: Snapshot, **params):
        """The result of ``operation`` on the snapshot's frames at its as-of date (cached per digest+params)."""
        if operation == "inventory.diff":
            return self._diff(snapshot, **params)
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
            with self.profiler.measure(operation):
                return fn(snapshot.frames, as_of=snapshot.as_of, **arguments)

        def guarded():
            if self.cache is None:
                return compute()
            data_type = "forecast" if operation.startswith("forecast.") else "frame"
            value, _ = self.cache.get_or_compute(operation, digest, params, compute, data_type=data_type)
            return value

        # keyed by the snapshot too: failures on one (bad) snapshot never pause the operation for other snapshots
        return self.breakers.get(operation, snapshot.digest).call(guarded)

    def _earlier(self, snapshot_id: str) -> Snapshot:
        if self.snapshot_loader is None:
            raise BkError("comparing snapshots needs the snapshot store")
        return self.snapshot_loader(snapshot_id)

    def _diff(self, snapshot: Snapshot, *, earlier_snapshot_id: str, top_n: int = 20):
        from bk.services.inventory import diff

        earlier = self._earlier(earlier_snapshot_id)
        with self.profiler.measure("inventory.diff"):
            return diff(earlier.frames, snapshot.frames, top_n=top_n)

    def warm(self, snapshot: Snapshot, *, background: bool = True) -> threading.Thread | None:
        """Compute every page's default view for the snapshot (in a thread), so the first visit is a cache hit."""
        if snapshot.digest in self._warming:
            return None
        self._warming.add(snapshot.digest)

        def work():
            for operation, params in DEFAULT_VIEWS:
                if operation in self.operations:
                    try:
                        self.run(operation, snapshot, **params)
                    except BkError:
                        continue  # e.g. a missing export: the page says so when opened
                    except Exception:  # counted by the profiler and breaker; the page shows it when opened
                        log.exception("warming %s failed", operation)
        if not background:
            work()
            return None
        thread = threading.Thread(target=work, name=f"bk-warm-{snapshot.digest[:8]}", daemon=True)
        thread.start()
        return thread

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
            p95_ms={k: v["p95"] for k, v in ops.items() if v["p95"] is not None},
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
