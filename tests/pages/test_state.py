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


def test_names_and_choices_come_from_one_listing_while_another_session_saves(monkeypatch):
    """Each call of the store listing sees one more snapshot (another session saving meanwhile): the sidebar's
    choices and a comparison's earlier snapshots still name every snapshot they list (a KeyError once broke the
    Data page in the ten-session browser test)."""
    from bk.ingest.snapshot import SnapshotInfo

    saved = [SnapshotInfo(f"2025-08-{d}_abc", date(2025, 8, d), f"2025-08-{d}T06:00:00", []) for d in (21, 22, 25, 26)]
    calls = {"n": 0}

    def growing() -> tuple:
        calls["n"] += 1
        return tuple(saved[:min(calls["n"] + 1, len(saved))])

    monkeypatch.setattr(state, "saved_snapshots", growing)
    choices = state.snapshot_choices()
    assert [c for c, _ in choices if not state.is_demo(c)] == ["2025-08-22_abc", "2025-08-21_abc"]
    assert dict(choices)["2025-08-22_abc"] == "22 Aug 2025"
    assert state.earlier_snapshots("2025-08-25_abc") == [("2025-08-22_abc", "22 Aug 2025"),
                                                          ("2025-08-21_abc", "21 Aug 2025")]
