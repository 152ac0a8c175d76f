"""Tabs and expanders run their body only while open (Streamlit's stateful tabs and expanders): every tab and
every such expander of every page, opened one after another on the demo, runs without an exception and shows
readable tables; a closed one renders nothing."""

from __future__ import annotations

import pytest

from tests.pages.conftest import no_exceptions, open_expanders, open_tab, page
from tests.pages.readable import assert_readable

TABS = {
    "capacity.py": ("cap_tab", ["Utilisation", "Machine timeline", "Lateness", "Unassigned", "To close",
                                "Off work centre"]),
    "inventory.py": ("inv_tab", ["Positions", "ABC and cover", "By supplier / type / colour", "Compare snapshots"]),
    "pipeline.py": ("pipe_tab", ["Age", "Customers and processors", "Sales-order coverage"]),
    "health.py": ("health_tab", ["Memory and garbage collections", "Latency", "Cache"]),
}
INSIDE = {"health.py": "For engineers"}  # tabs inside a lazy expander: opened first


@pytest.mark.parametrize("name", sorted(TABS))
def test_every_tab_runs_when_opened_and_only_then(name):
    key, labels = TABS[name]
    at = page(name).run()
    if name in INSIDE:
        open_expanders(at, INSIDE[name])
    no_exceptions(at)
    assert [t.label for t in at.tabs] == labels
    seen: list[int] = []
    for label in labels:
        open_tab(at, key, label)
        no_exceptions(at)
        assert_readable(at)
        # the open tab holds the page's elements; the closed tabs are empty
        filled = [t.label for t in at.tabs if len(t.children)]
        assert filled == [label], filled
        seen.append(len(at.tabs[labels.index(label)].children))
    assert all(seen)


@pytest.mark.parametrize("name", ["overview.py", "yarn.py", "capacity.py", "inventory.py", "pipeline.py", "health.py"])
def test_every_lazy_expander_renders_its_body_when_opened(name):
    at = page(name).run()
    no_exceptions(at)
    closed = [e for e in at.expander if e.proto.id]  # stateful (lazy) expanders carry an id
    assert all(len(e.children) == 0 for e in closed)
    open_expanders(at)
    no_exceptions(at)
    assert_readable(at)
    assert all(len(e.children) > 0 for e in at.expander if e.proto.id)
