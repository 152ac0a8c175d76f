"""Service manager: builds the service operations for a snapshot and runs them through cache, profiler and
circuit breaker."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bk.errors import BkError
from bk.ingest.snapshot import Snapshot

SERVICE_MODULES = ("bk.services.yarn", "bk.services.inventory", "bk.services.pipeline", "bk.services.capacity",
                   "bk.services.forecasting")


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
    """Runs named service operations on a snapshot."""

    def __init__(self, *, snapshot_loader: Callable[[str], Snapshot] | None = None) -> None:
        self._operations: dict[str, Callable] | None = None
        self.snapshot_loader = snapshot_loader

    @classmethod
    def from_environment(cls, **kwargs) -> ServiceManager:
        return cls(**kwargs)

    @property
    def operations(self) -> dict[str, Callable]:
        if self._operations is None:
            self._operations = operations()
        return self._operations

    def run(self, operation: str, snapshot: Snapshot, **params):
        """The result of ``operation`` on the snapshot's frames at its as-of date."""
        if operation == "inventory.diff":
            return self._diff(snapshot, **params)
        if operation not in self.operations:
            raise BkError(f"unknown operation '{operation}'")
        return self.operations[operation](snapshot.frames, as_of=snapshot.as_of, **params)

    def _diff(self, snapshot: Snapshot, *, earlier_snapshot_id: str, top_n: int = 20):
        from bk.services.inventory import diff

        if self.snapshot_loader is None:
            raise BkError("comparing snapshots needs the snapshot store")
        earlier = self.snapshot_loader(earlier_snapshot_id)
        return diff(earlier.frames, snapshot.frames, top_n=top_n)
