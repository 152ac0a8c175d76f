"""The server's start-up work (ui.startup): `streamlit run app.py` serves app.py's `st.App`, whose lifespan imports
what the pages import and reads the snapshot a new session opens before any browser asks."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

from bk.cli import save
from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.pages.conftest import ROOT, no_exceptions, page


def test_streamlit_run_finds_the_app_and_importing_it_runs_no_page():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.app_name == "app"
    # imported as the server does (no session): the App, its lifespan the start-up's, and nothing of a page run
    code = ("import app, streamlit as st, sys; from ui import startup; "
            "print(type(app.app).__name__, app.app._user_lifespan is startup.lifespan, 'ui.services' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["App", "True", "False"], out.stderr


def test_page_imports_are_the_absolute_imports_of_the_app_and_its_pages(tmp_path):
    from ui.startup import FIRST_PAGE, page_imports

    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("import streamlit as st\nfrom ui import state\n")
    (tmp_path / "pages" / "a.py").write_text("import pandas as pd, numpy\nfrom . import sibling\n"
                                              "def f():\n    from bk.services.yarn import plan\n")
    # a name imported from a package is listed as a module when it is one (ui.state), not when it is not (plan)
    assert page_imports(tmp_path) == ["bk.services.yarn", "numpy", "pandas", "streamlit", "ui", "ui.state"]
    real = page_imports()
    assert {"pandas", "ui.charts", "ui.services", "bk.services.today"} <= set(real)
    first = page_imports(pages=[FIRST_PAGE])  # imported first: the page a session opens on
    assert "bk.services.today" in first and "bk.services.forecast_levels" not in first
    assert set(first) < set(real)


def test_the_first_page_preloaded_is_the_apps_default_page():
    from ui.startup import FIRST_PAGE

    default = re.search(r'st\.Page\("pages/([a-z_]+\.py)"[^)]*default=True', (ROOT / "app.py").read_text())
    assert default and default.group(1) == FIRST_PAGE


def test_after_start_up_a_sessions_snapshot_and_overview_results_are_read_from_memory(isolated_store, monkeypatch):
    import streamlit as st

    from bk.optimization.manager import ServiceManager
    from ui import startup

    monkeypatch.delenv("BK_CACHE_KEY", raising=False)
    for day in (26, 27):  # two export days: the Overview also scores the earlier plan and compares the two
        assert save([str(DEMO)], as_of=date(2025, 8, day)) == 0
    _, newest = (i.snapshot_id for i in SnapshotStore(isolated_store).list())
    st.cache_resource.clear()  # a server just started
    assert startup.preload() == newest  # the snapshot the sidebar opens on: the newest saved

    def no_reading(*args, **kwargs):
        raise AssertionError("read again after start-up")

    monkeypatch.setattr(SnapshotStore, "load", no_reading)
    monkeypatch.setattr(ServiceManager, "run", no_reading)
    at = page("overview.py").run()  # a session's first page: its snapshot and every result already in memory
    no_exceptions(at)
    assert any(h.value.startswith("Since") for h in at.header)  # the comparison with the older day, served
    assert any(m.value.startswith("**How the last plan did.**") for m in at.markdown)


def test_a_failed_preload_is_logged_and_leaves_the_work_to_the_first_page(monkeypatch, caplog):
    from ui import startup

    def broken():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(startup, "preload", broken)
    startup._preload_logged()
    assert "start-up preload failed" in caplog.text and "disk gone" in caplog.text
