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


def open_expanders(at: AppTest, *starts: str) -> AppTest:
    """Open the page's lazy expanders (their body runs only while open) whose label starts with one of
    ``starts`` (every one when none given), as a click would, and rerun."""
    for e in at.expander:
        if not starts or e.label.startswith(starts):
            at.session_state[e.proto.id.split("-", 2)[2]] = True  # '$$ID-<hash>-<key>'
    return at.run()


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab ``label`` of the lazy tabs ``key`` (only the selected tab's body runs), and rerun."""
    at.session_state[key] = label
    return at.run()
