"""The store listing every rerun asks for is read from disk again only when the store changes."""

from __future__ import annotations

from datetime import date

from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from ui import state


def test_saved_snapshots_is_reread_only_when_a_save_changes_the_store(isolated_store):
    assert state.saved_snapshots() == ()  # no store folder yet
    store = SnapshotStore(isolated_store)
    files = [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir())]
    first = store.save(files, as_of=date(2025, 8, 21))
    listing = state.saved_snapshots()
    assert [i.snapshot_id for i in listing] == [first.snapshot_id]
    assert state.saved_snapshots() is listing  # unchanged store: the same listing, no disk reads
    second = store.save(files, as_of=date(2025, 8, 28))
    assert [i.snapshot_id for i in state.saved_snapshots()] == [first.snapshot_id, second.snapshot_id]
