"""AppTest helpers: every page runs against a temporary snapshot store, never the project's data/snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60  # statsmodels imports and the first snapshot load take a few seconds on 2 cores


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    return tmp_path / "snapshots"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / name), default_timeout=TIMEOUT_S)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
