"""Shared test fixtures: where the real exports live (skip when absent) and the repository root.

The real exports are read from ``../shared`` beside the repository, or from ``BK_SHARED_DIR`` when set (CI
points it at an empty folder to prove that the suite passes on a fresh clone without them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# no per-example deadline: a deadline is a timing assertion, and timings are measured in bench/, not in tests
settings.register_profile("bk", deadline=None)
settings.load_profile("bk")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BK_SHARED_DIR") or ROOT.parent / "shared")
REAL_SNAPSHOT = SHARED / "snapshots" / "2025-08-28"
DEMO_DAYS = ROOT / "data" / "demo"  # one folder per export day of the demo mill (python -m bk demo --days)
DEMO_FIRST = min(DEMO_DAYS.iterdir())  # the first day: exactly the single-day demo
DEMO = max(DEMO_DAYS.iterdir())  # the newest day: what the app opens on


def app_plan(day: Path = DEMO) -> dict:
    """The yarn plan the app shows for a demo day (an oracle computed here, not by the page): ``yarn.APP_VIEW``,
    the loop closed on the demo day before it (``ui.services.plan_view``)."""
    from bk.ingest.snapshot import load_paths
    from bk.services import yarn

    days = sorted(DEMO_DAYS.iterdir())
    snapshot, _ = load_paths([day], trusted=True)
    closed = {}
    if days.index(day):
        earlier, _ = load_paths([days[days.index(day) - 1]], trusted=True)
        closed = {"earlier_frames": earlier.frames, "earlier_as_of": earlier.as_of}
    return yarn.plan(snapshot.frames, as_of=snapshot.as_of, **yarn.APP_VIEW, **closed)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL_SNAPSHOT.is_dir():
        pytest.skip(f"real exports not present at {REAL_SNAPSHOT}")
    return REAL_SNAPSHOT


@pytest.fixture(scope="session")
def real_snapshot(real_dir):
    from bk.ingest.snapshot import load_paths

    snapshot, failures = load_paths([real_dir])
    assert not failures, failures
    return snapshot
