"""A real `streamlit run app.py` server on a free port and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "tests" / "_screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install playwright)")
    if missing:
        reason = "real-browser test needs " + " and ".join(missing)
        if os.environ.get("BK_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)


def _serve(work: Path):
    """Start `streamlit run app.py` on a free port with its own snapshot store; yield its details; stop it."""
    _require_browser()
    port = _free_port()
    env = {**os.environ, "BK_SNAPSHOT_DIR": str(work / "snapshots"), "BK_CACHE_DIR": str(work / "cache")}
    log = open(work / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((work / "streamlit.log").read_text())
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not become healthy in 90 s")
    try:
        yield {"url": url, "proc": proc, "work": work}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("server"))


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own, for a test that fills the snapshot store."""
    yield from _serve(tmp_path)


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def open_page(pg, url: str, heading: str, timeout_ms: int = 90_000) -> None:
    """Load a page and wait for its title to show and the script run to finish."""
    pg.goto(url)
    pg.get_by_role("heading", name=heading).first.wait_for(timeout=timeout_ms)
    wait_for_app(pg, timeout_ms)


def wait_for_app(pg, timeout_ms: int = 60_000) -> None:
    """Wait until the script run is finished (Streamlit shows a 'running' status widget meanwhile)."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    pg.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms
    )
    pg.wait_for_timeout(300)


def screenshot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def exceptions_on(pg) -> list[str]:
    return [e.inner_text() for e in pg.query_selector_all("[data-testid='stException']")]


