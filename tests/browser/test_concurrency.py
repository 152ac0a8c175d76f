"""Ten browser sessions at once for 60 s against one real server: seven open pages, three upload and save
snapshots. Zero exceptions (on screen or in the server log), a consistent store, bounded server RSS; the figures
are printed for the note."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time

import psutil
import pytest

from bk.ingest.snapshot import SnapshotStore
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SESSIONS = 10
DURATION_S = float(os.environ.get("BK_CONCURRENCY_S", "60"))
PAGES = ["", "yarn", "inventory", "pipeline", "capacity", "forecasting", "health"]


async def _settle(page) -> None:
    await page.wait_for_selector("h1", timeout=180_000)
    await page.wait_for_timeout(300)
    await page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")",
                                 timeout=180_000)


async def _session(browser, base: str, n: int, deadline: float, tmp, stats: dict) -> None:
    rng = random.Random(n)
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    try:
        while time.monotonic() < deadline:
            if n % 3 == 0:
                await page.goto(f"{base}/data")
                await _settle(page)
                upload = tmp / f"Machine Report {n}-{stats['saves']}.csv"
                upload.write_bytes(f"WC,MACH\n9.38.20.F,{rng.randint(1, 10**6)}\n".encode())
                await page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(upload))
                await page.get_by_role("button", name="Save snapshot").wait_for(timeout=180_000)
                await page.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")",
                                             timeout=180_000)
                await page.get_by_role("button", name="Save snapshot").click()
                await page.get_by_text("it is now active").first.wait_for(timeout=180_000)
                stats["saves"] += 1
            else:
                await page.goto(f"{base}/{rng.choice(PAGES)}")
                await _settle(page)
                stats["pages"] += 1
            shown = page.locator("[data-testid='stException']")
            for i in range(await shown.count()):
                stats["exceptions"] += 1
                stats["exception_texts"].append(f"session {n} on {page.url}: {(await shown.nth(i).inner_text())[:600]}")
    except Exception as exc:  # reported by the assertion on stats["errors"]
        stats["errors"].append(f"session {n}: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await context.close()


async def _run(base: str, tmp, stats: dict) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        deadline = time.monotonic() + DURATION_S
        await asyncio.gather(*[_session(browser, base, n, deadline, tmp, stats) for n in range(SESSIONS)])
        await browser.close()


def test_ten_browser_sessions_for_a_minute(fresh_server, tmp_path):
    server = fresh_server
    proc = psutil.Process(server["proc"].pid)
    rss_start = proc.memory_info().rss / 2**20
    stats = {"pages": 0, "saves": 0, "exceptions": 0, "exception_texts": [], "errors": []}
    # in a thread of its own: the session's sync Playwright keeps an event loop on this one
    runner = threading.Thread(target=lambda: asyncio.run(_run(server["url"], tmp_path, stats)))
    runner.start()
    runner.join()
    rss_end = proc.memory_info().rss / 2**20
    store = SnapshotStore(server["work"] / "snapshots")
    infos = store.list()
    for info in infos:
        store.load(info.snapshot_id)  # every listed snapshot is whole and readable
    leftovers = [p.name for p in (server["work"] / "snapshots").iterdir() if p.name.startswith(".tmp")]
    print(f"\nconcurrency: {SESSIONS} browser sessions × {DURATION_S:.0f} s: {stats['pages']} page loads, "
          f"{stats['saves']} saves, {len(infos)} snapshots, {stats['exceptions']} exceptions, "
          f"{len(stats['errors'])} errors; server RSS {rss_start:.0f} → {rss_end:.0f} MB")
    assert stats["errors"] == [] and stats["exceptions"] == 0, stats["exception_texts"]
    # an unexpected error a page caught (one friendly line on screen) still logs its traceback
    log = (server["work"] / "streamlit.log").read_text()
    assert "Traceback" not in log, log[log.find("Traceback") - 200:][:3000]
    assert stats["pages"] + stats["saves"] >= SESSIONS and stats["saves"] >= 2
    assert leftovers == []
    assert rss_end < 1500
