"""Real browser through every page: on the demo, then after uploading the real 2025-08-28 snapshot on the
Data page. No stException anywhere; a screenshot of each page goes to tests/_screenshots/ for review."""

from __future__ import annotations

import pytest

from bk.ingest.schema import KINDS
from tests.browser.conftest import exceptions_on, open_page, screenshot, wait_for_app
from tests.conftest import REAL_SNAPSHOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [("", "Overview"), ("yarn", "Yarn requirements"), ("inventory", "Yarn inventory"),
         ("pipeline", "Fabric pipeline"), ("capacity", "Knitting capacity"), ("forecasting", "Sales forecast"),
         ("data", "Data"), ("health", "App health")]


def visit_all(page, base: str, label: str) -> None:
    for path, title in PAGES:
        open_page(page, f"{base}/{path}", title, timeout_ms=180_000)
        page.wait_for_timeout(500)
        shot = screenshot(page, f"{label}-{path or 'overview'}")
        assert exceptions_on(page) == [], f"{title} on {label}: see {shot}"


def test_every_page_on_the_demo_then_on_the_uploaded_real_snapshot(server, page):
    visit_all(page, server["url"], "demo")
    if not REAL_SNAPSHOT.is_dir():
        pytest.skip(f"real exports not present at {REAL_SNAPSHOT}")
    open_page(page, server["url"] + "/data", "Data")
    files = sorted(str(p) for p in REAL_SNAPSHOT.iterdir())
    page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", files)
    # the last kind recognised, by its title (kind codes are not shown)
    page.get_by_text(KINDS["yarn_demand_by_style_ko"].title, exact=True).first.wait_for(state="attached",
                                                                                        timeout=180_000)
    wait_for_app(page, 180_000)
    page.get_by_role("button", name="Save snapshot").click()
    page.get_by_text("it is now active").first.wait_for(timeout=180_000)
    screenshot(page, "real-data-saved")
    visit_all(page, server["url"], "real")
    open_page(page, server["url"], "Overview")
    assert "synthetic demo data" not in page.locator("[data-testid='stMain']").inner_text()
    assert "21 exports · as of 28 Aug 2025" in page.locator("[data-testid='stSidebar']").inner_text()  # the real day
