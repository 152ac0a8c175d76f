"""Streamlit-side state: the snapshot store, the active snapshot (sidebar picker) and its cached loading."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import streamlit as st

from bk.errors import BkError
from bk.ingest.schema import KINDS
from bk.ingest.snapshot import Snapshot, SnapshotStore, load_paths
from ui.format import plain

ROOT = Path(__file__).resolve().parents[1]
DEMO_ID = "demo"
DEMO_DIR = ROOT / "data" / "demo"


def snapshot_dir() -> Path:
    """Where snapshots are saved: ``BK_SNAPSHOT_DIR`` if set, else ``data/snapshots`` in the project."""
    return Path(os.environ.get("BK_SNAPSHOT_DIR", ROOT / "data" / "snapshots"))


def store() -> SnapshotStore:
    return SnapshotStore(snapshot_dir())


_LISTING: dict[str, tuple[int, tuple]] = {}


def saved_snapshots() -> tuple:
    """The store's snapshots, oldest first (``SnapshotStore.list``), read again only when the store folder
    changes: a save or delete renames a folder in it, which changes its mtime. Every rerun of every page asks
    for it (the sidebar picker), and reading each manifest from disk is a few milliseconds a time."""
    root = snapshot_dir()
    try:
        stamp = root.stat().st_mtime_ns
    except OSError:
        return ()
    known = _LISTING.get(str(root))
    if known is None or known[0] != stamp:
        known = _LISTING[str(root)] = (stamp, tuple(SnapshotStore(root).list()))
    return known[1]


@st.cache_resource(max_entries=4, show_spinner="Reading the snapshot…")
def _load(snapshot_id: str, root: str) -> Snapshot:
    # cache_resource: one shared, read-only copy per snapshot for all sessions (frames are never mutated)
    if snapshot_id == DEMO_ID:
        snapshot, failures = load_paths([DEMO_DIR])
        if failures:
            raise BkError("the demo data is damaged: " + "; ".join(map(str, failures)))
        snapshot.snapshot_id = DEMO_ID
        return snapshot
    return SnapshotStore(root).load(snapshot_id)


def load(snapshot_id: str) -> Snapshot:
    """A snapshot by id from the process-wide resource cache (raises BkError when it cannot be read)."""
    return _load(snapshot_id, str(snapshot_dir()))


DEMO_LABEL = "Demo data (synthetic)"


def _day(d) -> str:
    return f"{d.day} {d:%b %Y}"


def snapshot_label(snapshot_id: str, as_of: date | None = None, saved_at: str | None = None) -> str:
    """The one name of a snapshot on every screen: its as-of date, '28 Aug 2025', never its id; with
    ``saved_at`` (two snapshots of one day) also when it was saved: '28 Aug 2025, saved 29 Aug 2025 14:03:09'
    (to the second: two saves of a minute stay apart in a picker).
    The demo is 'Demo data (synthetic)'."""
    if snapshot_id == DEMO_ID:
        return DEMO_LABEL
    if as_of is None:
        return "a saved snapshot"
    label = _day(as_of)
    if saved_at:
        saved = datetime.fromisoformat(saved_at)
        label += f", saved {_day(saved)} {saved:%H:%M:%S}"
    return label


def snapshot_names() -> dict[str, str]:
    """id -> name of every saved snapshot (``snapshot_label``): the as-of date, with the time saved only where
    several snapshots share that date."""
    infos = saved_snapshots()
    days = Counter(i.as_of for i in infos)
    return {i.snapshot_id: snapshot_label(i.snapshot_id, i.as_of, i.saved_at if days[i.as_of] > 1 else None)
            for i in infos}


def source_args(snapshot_id: str) -> list[str]:
    """How a worker process finds this snapshot (``python -m bk.optimization.manager`` arguments)."""
    if snapshot_id == DEMO_ID:
        return ["--paths", str(DEMO_DIR)]
    return ["--store", str(snapshot_dir()), "--snapshot", snapshot_id]


def snapshot_choices() -> list[tuple[str, str]]:
    """(id, label) of the saved snapshots, newest first, then the demo."""
    names = snapshot_names()
    choices = [(i.snapshot_id, names[i.snapshot_id]) for i in reversed(saved_snapshots())]
    if DEMO_DIR.is_dir():
        choices.append((DEMO_ID, DEMO_LABEL))
    return choices


def comparable_snapshots(current_id: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, label) of the snapshots the current one can be compared with: real snapshots only compare with
    real snapshots, and the demo (one synthetic day) with nothing — never real data against the demo."""
    if current_id == DEMO_ID:
        return []
    return [(i, label) for i, label in choices if i not in (current_id, DEMO_ID)]


def earlier_snapshots(current_id: str) -> list[tuple[str, str]]:
    """(id, name) of the saved snapshots before the current one (as-of, then time saved), latest first: what a
    comparison compares it with. None for the demo or an unsaved snapshot."""
    infos = saved_snapshots()
    ids = [i.snapshot_id for i in infos]
    if current_id not in ids:
        return []
    names = snapshot_names()
    return [(i.snapshot_id, names[i.snapshot_id]) for i in infos[:ids.index(current_id)][::-1]]


def active_snapshot_id() -> str | None:
    choices = [c for c, _ in snapshot_choices()]
    current = st.session_state.get("snapshot_id")
    if current in choices:
        return current
    return choices[0] if choices else None


def select_snapshot(snapshot_id: str, *, message: str | None = None) -> None:
    """Make a snapshot active and rerun; the sidebar picker follows on that rerun, ``message`` is shown then."""
    st.session_state["snapshot_id"] = snapshot_id
    st.session_state["_pending_snapshot"] = snapshot_id
    if message:
        st.session_state["_flash"] = message
    st.rerun()


def flash() -> None:
    """Show (once) the message left by the action before the last rerun."""
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(message)


def active_snapshot() -> Snapshot | None:
    """The snapshot picked in the sidebar, loaded once per process; shows the error and returns None if broken."""
    snapshot_id = active_snapshot_id()
    if snapshot_id is None:
        st.info("No data yet: upload the day's exports on the Data page.")
        return None
    try:
        snapshot = load(snapshot_id)
    except BkError as exc:
        st.error(plain(exc))
        return None
    return snapshot


def sidebar_picker() -> Snapshot | None:
    """The sidebar snapshot picker: the latest saved snapshot by default, else the demo. Returns the active
    snapshot, loaded (None when there is none or it cannot be read: the sidebar says why)."""
    choices = snapshot_choices()
    with st.sidebar:
        if not choices:
            st.caption("No snapshot saved yet.")
            return None
        labels = dict(choices)
        ids = list(labels)
        current = active_snapshot_id()
        pending = st.session_state.pop("_pending_snapshot", None)
        if pending in ids:
            st.session_state["snapshot_picker"] = pending
        elif st.session_state.get("snapshot_picker") not in ids:
            st.session_state["snapshot_picker"] = current
        picked = st.selectbox("Snapshot", ids, format_func=labels.__getitem__, key="snapshot_picker")
        st.session_state["snapshot_id"] = picked
        snapshot = active_snapshot()
        if snapshot is not None:
            st.caption(f"{len(snapshot.exports)} exports · as of **{_day(snapshot.as_of)}**")
            if snapshot.inherited:
                st.caption("Taken from earlier snapshots: " + ", ".join(sorted(KINDS[k].title for k in snapshot.inherited)))
        return snapshot
