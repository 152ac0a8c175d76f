"""AppTest of the app shell: the Overview page on the demo data, and the registered pages only."""

from __future__ import annotations

import ast

from tests.pages.conftest import ROOT, app, figures, no_exceptions


def test_overview_shows_the_demo_snapshot():
    at = app().run()
    no_exceptions(at)
    assert at.title[0].value == "Overview"
    labels = [m.label for m in figures(at)]
    assert labels[:3] == ["Data age", "Complete", "App health"]
    assert figures(at)[0].value == "demo"
    # the as-of date and the number of exports once, in the sidebar
    exports = [c.value for c in at.sidebar.caption if " exports · as of " in c.value]
    assert len(exports) == 1 and int(exports[0].split()[0]) >= 18
    assert any("synthetic demo data" in i.value for i in at.info)


def test_every_registered_page_file_exists_and_no_page_is_left_unregistered():
    tree = ast.parse((ROOT / "app.py").read_text())
    registered = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"
    }
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert registered == on_disk
