"""Shared test fixtures: where the real exports live (skip when absent) and the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_SNAPSHOT = ROOT.parent / "shared" / "snapshots" / "2025-08-28"
DEMO = ROOT / "data" / "demo"


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
