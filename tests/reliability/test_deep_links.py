"""Attack 8 (deep links bypass the shell): on a fresh server, Streamlit's old pages/ folder mode runs a deep-linked
page script without app.py (no snapshot picker, raw file names in the sidebar); it must land in the shell."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT, TIMEOUT_S

PAGES = ["inventory", "yarn", "data", "health"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", PAGES)
def test_a_deep_link_on_a_fresh_server_lands_in_the_shell(name):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.switch_page(f"pages/{name}.py")  # the first request of the process is /<name>
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [s.label for s in at.sidebar.selectbox] == ["Snapshot"]  # the shell's picker is there
    titles = {"inventory": "Yarn inventory", "yarn": "Yarn requirements", "data": "Data", "health": "App health"}
    assert at.title[0].value == titles[name]
