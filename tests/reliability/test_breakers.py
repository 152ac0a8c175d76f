"""Attack 4 (one bad snapshot pauses an operation for everyone): breakers are keyed by operation and snapshot
digest, data errors (BkError) are not failures, and the refusal shows the failure only as showErrorDetails
allows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.errors import MissingDataError, ServiceUnavailableError
from bk.ingest.reader import Export
from bk.ingest.snapshot import Snapshot
from bk.optimization.breaker import BreakerRegistry, CircuitBreaker, error_details_level
from bk.optimization.manager import ServiceManager


def _snapshot(sha: str) -> Snapshot:
    frame = pd.DataFrame({"balance_lbs": [1.0]})
    return Snapshot({"knit_orders": Export("k.csv", "knit_orders", frame, [], sha, 1)}, date(2025, 8, 28), "given")


def _manager(error_details: str = "type") -> ServiceManager:
    manager = ServiceManager(breakers=BreakerRegistry(error_details=error_details))

    def plan(frames, *, as_of):
        if frames["knit_orders"]["balance_lbs"].iloc[0] > 1:
            raise OverflowError("date value out of range /srv/secret/path")
        if frames["knit_orders"]["balance_lbs"].iloc[0] < 0:
            raise MissingDataError("k.csv has no open knit orders; upload them on the Data page")
        return "planned"

    manager._operations = {"capacity.plan": plan}
    return manager


def test_a_bad_snapshot_pauses_only_itself():
    manager = _manager()
    bad, good = _snapshot("bad"), _snapshot("good")
    bad.exports["knit_orders"].frame.loc[0, "balance_lbs"] = 1e11
    for _ in range(3):
        with pytest.raises(OverflowError):
            manager.run("capacity.plan", bad)
    with pytest.raises(ServiceUnavailableError) as refused:
        manager.run("capacity.plan", bad)
    assert manager.run("capacity.plan", good) == "planned"  # another session's good snapshot is served
    message = str(refused.value)
    assert "capacity.plan is paused after 3 failures in a row on this snapshot (last: OverflowError)" in message
    assert "date value out of range" not in message and "/srv/secret" not in message
    states = manager.breakers.states()
    assert states[f"capacity.plan on {bad.digest[:12]}"] == "open"
    assert states[f"capacity.plan on {good.digest[:12]}"] == "closed"
    assert manager.health()["breakers"] == states


def test_data_errors_never_open_a_breaker():
    manager = _manager()
    snapshot = _snapshot("refused")
    snapshot.exports["knit_orders"].frame.loc[0, "balance_lbs"] = -1
    for _ in range(10):
        with pytest.raises(MissingDataError):
            manager.run("capacity.plan", snapshot)
    assert set(manager.breakers.states().values()) == {"closed"}


@pytest.mark.parametrize(("option", "shown"), [
    ("full", "(last: OverflowError: date value out of range /srv/x)"),
    ("stacktrace", "(last: OverflowError: date value out of range /srv/x)"),
    ("type", "(last: OverflowError)"), ("none", "on this snapshot;"), (False, "on this snapshot;"),
    (True, "(last: OverflowError: date value out of range /srv/x)"), ("nonsense", "on this snapshot;")])
def test_refusal_follows_show_error_details(option, shown):
    breaker = CircuitBreaker("capacity.plan", failure_threshold=1, error_details=error_details_level(option))
    with pytest.raises(OverflowError):
        breaker.call(lambda: (_ for _ in ()).throw(OverflowError("date value out of range /srv/x")))
    with pytest.raises(ServiceUnavailableError) as refused:
        breaker.call(lambda: "never")
    assert shown in str(refused.value)
    if option not in ("full", "stacktrace", True):
        assert "/srv/x" not in str(refused.value)


def test_registry_keeps_a_bounded_number_of_breakers_dropping_closed_ones_first():
    registry = BreakerRegistry(max_breakers=3, failure_threshold=1)
    opened = registry.get("op", "d0")
    with pytest.raises(ZeroDivisionError):
        opened.call(lambda: 1 / 0)
    for i in range(1, 6):
        registry.get("op", f"d{i}")
    assert list(registry.states()) == ["op on d0", "op on d4", "op on d5"]
    assert registry.get("op", "d0") is opened


def test_the_served_manager_reads_show_error_details(monkeypatch, tmp_path):
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path))
    manager = ServiceManager.from_environment(error_details="none")
    assert manager.breakers.get("x", "d").error_details == "none"
    assert ServiceManager.from_environment().breakers.get("x", "d").error_details == "type"
