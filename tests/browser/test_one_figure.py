"""Real browser, one figure per fact (issue 25): on a store of two days, the same yarn's shortage read from the
Overview, Yarn inventory and Yarn requirements is the plan's; every headline label two pages share shows one
value; selecting an action's row opens its evidence under the table."""

from __future__ import annotations

import re
import time

import pytest

from bk.ingest.snapshot import SnapshotStore
from bk.services import yarn
from tests.browser.conftest import _serve, open_page, wait_for_app
from tests.pages.test_overview_page import _two_days

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """A served app whose store holds the demo twice, the later day with 2,000 lbs less of one yarn on hand."""
    work = tmp_path_factory.mktemp("two_days")
    yarn_id, _ = _two_days(work / "snapshots")
    for served in _serve(work):
        yield {**served, "yarn_id": yarn_id, "store": SnapshotStore(work / "snapshots")}


@pytest.fixture
def pg(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context.new_page()
    context.close()


ROWS_JS = ("g => [...g.querySelectorAll('[role=row]')].map(r => [...r.querySelectorAll("
           "'[role=columnheader],[role=gridcell]')].map(c => c.innerText.trim()))")


PLAIN_JS = ("t => [...t.querySelectorAll('tr')].map(r => [...r.querySelectorAll('th,td')]"
            ".map(c => c.innerText.trim()))")


def grid_rows(pg, *headers: str, timeout_s: float = 60.0) -> list[dict[str, str]]:
    """The rows a table with these column headers shows: an st.dataframe's (its accessible grid: raw values, read
    at once) or a plain table's (texts as shown), waiting until the page has drawn it (a page may still be drawing
    its tables after its title)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for table in pg.locator("table.bk-table").all():
            rows = table.evaluate(PLAIN_JS)
            if rows and set(headers) <= set(rows[0]):
                return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
        for grid in pg.locator("[data-testid='stDataFrame']").all():
            rows = grid.evaluate(ROWS_JS)
            if rows and set(headers) <= set(rows[0]):
                grid.scroll_into_view_if_needed()  # the grid fills its cells only on screen
                pg.wait_for_timeout(300)
                rows = grid.evaluate(ROWS_JS)
                return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
        if time.monotonic() > deadline:
            raise AssertionError(f"no table with {headers}")
        pg.wait_for_timeout(250)


def metrics(pg, timeout_s: float = 60.0) -> dict[str, str]:
    """The page's headline figures by label (``ui.widgets.figures``), read once two reads half a second apart agree
    (the page has drawn them)."""
    deadline, last = time.monotonic() + timeout_s, None
    while True:
        out = {}
        for m in pg.locator(".bk-figure").all():
            out[m.locator(".bk-figure-label").inner_text().strip()] = (
                m.locator(".bk-figure-value").inner_text().strip())
        if out and out == last or time.monotonic() > deadline:
            return out
        last = out
        pg.wait_for_timeout(500)


def search(pg, text: str, headers: tuple[str, ...]) -> dict[str, str]:
    """Type into the search box above the table with ``headers`` and return its only row."""
    box = pg.get_by_placeholder("any id, name, supplier, colour…").first
    box.fill(text)
    box.press("Enter")
    # the caption above the table says 'n of N rows' once the search ran (n < N)
    pg.get_by_text(re.compile(r"^([\d,]+) of (?!\1 rows)[\d,]+ rows")).first.wait_for(timeout=60_000)
    wait_for_app(pg)
    rows = [r for r in grid_rows(pg, *headers) if r["Yarn"] == text]
    assert len(rows) == 1, (metrics(pg), pg.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").inner_text())
    return rows[0]


def test_one_yarns_shortage_is_the_plans_on_every_page(two_days, pg):
    yarn_id = two_days["yarn_id"]
    latest = two_days["store"].list()[-1]
    plan = yarn.plan(two_days["store"].load(latest.snapshot_id).frames, as_of=latest.as_of, **yarn.APP_VIEW)
    expected = round(float(plan["planning_balance"].set_index("yarn_id").loc[yarn_id, "shortage_lbs"]))
    assert expected > 0
    open_page(pg, two_days["url"], "Overview")
    cause = next(r for r in grid_rows(pg, "Yarn", "Short now (lbs)") if r["Yarn"] == str(yarn_id))
    open_page(pg, two_days["url"] + "/inventory", "Yarn inventory")
    position = search(pg, str(yarn_id), ("Yarn", "Short (lbs)", "Below zero in eFab (lbs)"))
    open_page(pg, two_days["url"] + "/yarn", "Yarn requirements")
    listed = pg.locator("[data-testid='stExpander'] summary", has_text="Yarns short")  # the list: on demand
    listed.scroll_into_view_if_needed()
    listed.click()
    wait_for_app(pg)
    short = search(pg, str(yarn_id), ("Yarn", "Short (lbs)", "The yarn's action"))
    assert [float(cause["Short now (lbs)"]), float(position["Short (lbs)"]), float(short["Short (lbs)"])] == [
        expected] * 3


def test_every_headline_label_two_pages_share_shows_one_value(two_days, pg):
    seen: dict[str, dict[str, str]] = {}
    for path, title in (("", "Overview"), ("yarn", "Yarn requirements"), ("inventory", "Yarn inventory"),
                        ("capacity", "Knitting capacity")):
        open_page(pg, f"{two_days['url']}/{path}", title)
        for label, value in metrics(pg).items():
            seen.setdefault(label, {})[title] = value
    open_page(pg, two_days["url"] + "/inventory", "Yarn inventory")
    pg.get_by_role("tab", name="Compare snapshots").click()
    wait_for_app(pg, 120_000)
    for label, value in metrics(pg).items():
        if ": " in label:  # the comparison's counts, also on the Overview
            seen.setdefault(label, {})["Yarn inventory, compared"] = value
    shared = {label: pages for label, pages in seen.items() if len(pages) > 1}
    assert {"Expedite", "Buys past order-by", "Reconcile", "Yarns short", "Late KOs", "Capacity hot spots",
            "Shortages: new", "Purchase orders: received"} <= set(shared)
    assert {label: set(pages.values()) for label, pages in shared.items() if len(set(pages.values())) > 1} == {}


def test_selecting_an_action_row_shows_its_evidence(two_days, pg):
    open_page(pg, two_days["url"] + "/yarn", "Yarn requirements")
    grid = pg.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    row = grid_rows(pg, "Order by", "Action", "Yarn", "Why")[2]
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 12, box["y"] + 35 * 3 + 17)  # the third row's selection marker, under the header
    wait_for_app(pg)
    heading = pg.locator("[data-testid='stMarkdownContainer'] strong").filter(
        has_text=re.compile(r"^(buy|chase|expedite|reconcile|defer) · yarn ")).first.inner_text()
    assert heading.startswith(f"{row['Action']} · yarn {row['Yarn']} ")
    assert grid_rows(pg, "PO", "Open on PO (lbs)") is not None  # its POs right under the table
