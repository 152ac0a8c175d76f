"""Real browser: the 5 KB far-corner xlsx bomb uploaded on the Data page is refused with a message naming the
file, the server stays up and a second session is still served."""

from __future__ import annotations

import pytest

from tests.browser.conftest import exceptions_on, open_page, screenshot, wait_for_app
from tests.reliability.hostile_files import far_corner_bomb

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_xlsx_bomb_upload_is_refused_and_others_are_still_served(fresh_server, browser, tmp_path):
    attacker = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_page(attacker, fresh_server["url"] + "/data", "Data")
    bomb = tmp_path / "yarn_inventory.xlsx"
    bomb.write_bytes(far_corner_bomb())
    attacker.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(bomb))
    attacker.get_by_text("reaches column 16,384").first.wait_for(timeout=60_000)
    wait_for_app(attacker)
    screenshot(attacker, "data-upload-xlsx-bomb")
    assert fresh_server["proc"].poll() is None
    assert exceptions_on(attacker) == []

    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_page(other, fresh_server["url"], "Overview")
    assert exceptions_on(other) == []
    assert fresh_server["proc"].poll() is None
    attacker.context.close()
    other.context.close()
