"""Real browser: the served app opens, the Data page takes an upload and shows the file's kind."""

from __future__ import annotations

import pytest

from tests.browser.conftest import exceptions_on, open_page, screenshot, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MACHINES = b"WC,MACH\n9.38.20.F,161\n1.19.22.V,041\n"


def test_data_page_upload_shows_the_kind(server, page, tmp_path):
    open_page(page, server["url"] + "/data", "Data")
    upload = tmp_path / "Machine Report fin1.csv"
    upload.write_bytes(MACHINES)
    page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(upload))
    # st.dataframe draws on a canvas; its cells exist in a hidden accessible grid
    page.get_by_text("Machines", exact=True).first.wait_for(state="attached", timeout=60_000)  # its title
    wait_for_app(page)
    screenshot(page, "data-upload")
    assert exceptions_on(page) == []


def test_sidebar_lists_only_the_registered_pages(server, page):
    open_page(page, server["url"], "Overview")
    links = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    # each link is "<material icon name>\n\n<title>": keep the title
    assert [t.strip().splitlines()[-1] for t in links] == ["Overview", "Yarn requirements", "Yarn inventory",
                                                                 "Fabric pipeline", "Knitting capacity", "Sales forecast",
                                                                 "Data", "App health"]
    screenshot(page, "overview")
