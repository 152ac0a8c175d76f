"""Pages on any saved snapshot, the older ones included, are served from the entries `bk save` wrote: no page
computes a service result (every operation counted), on a server started after the saves."""

from __future__ import annotations

from datetime import date

import pytest

from bk.cli import save
from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.optimization.test_warm_at_save import counting_operations
from tests.pages.conftest import no_exceptions, page

PAGES = ["overview.py", "yarn.py", "inventory.py", "pipeline.py", "capacity.py", "forecasting.py"]


@pytest.fixture
def warm_store(isolated_store, monkeypatch):
    monkeypatch.delenv("BK_CACHE_KEY", raising=False)
    for day in (26, 27):
        assert save([str(DEMO)], as_of=date(2025, 8, day)) == 0
    return [i.snapshot_id for i in SnapshotStore(isolated_store).list()]


@pytest.mark.parametrize("which", [0, 1], ids=["older", "newest"])
def test_every_page_on_a_saved_snapshot_is_served_from_its_warm_entries(warm_store, monkeypatch, which):
    import streamlit as st

    st.cache_resource.clear()  # a server started after the saves: its own manager, empty tier-1 caches
    calls: list[str] = []
    counting_operations(monkeypatch, calls)
    for name in PAGES:
        at = page(name)
        at.session_state["snapshot_id"] = warm_store[which]
        at.run()
        no_exceptions(at)
        if name == "overview.py" and which == 1:  # the newest compares with the older one: served warm too
            assert any(h.value.startswith("Since") for h in at.header)
        if name == "yarn.py":  # the other knitting schedule is one click away, and warm as well
            at.session_state["knitting"] = "machine schedule"
            no_exceptions(at.run())
    assert calls == []
