"""Streamlit-side state: the snapshot store, the active snapshot (sidebar picker) and its cached loading."""

from __future__ import annotations

import hashlib
import os
import weakref
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import streamlit as st

from bk.errors import BkError
from bk.ingest.reader import Export, read_export
from bk.ingest.schema import KINDS
from bk.ingest.snapshot import Snapshot, SnapshotStore, files_in
from ui.format import plain, short_date

ROOT = Path(__file__).resolve().parents[1]
DEMO_ID = "demo"  # the newest demo day; earlier ones are 'demo-YYYY-MM-DD'
DEMO_DIR = ROOT / "data" / "demo"  # one folder per export day, named by its date (python -m bk demo --days)


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


_DEMO_DAYS: dict[str, tuple[tuple[str, date, Path], ...]] = {}


def demo_days() -> tuple[tuple[str, date, Path], ...]:
    """(id, as-of date, folder) of the demo's export days, oldest first; the newest has the id DEMO_ID. The
    folders are committed data: listed once per process."""
    known = _DEMO_DAYS.get(str(DEMO_DIR))
    if known is None:
        days = []
        for folder in sorted(DEMO_DIR.iterdir()) if DEMO_DIR.is_dir() else []:
            try:
                days.append((folder, date.fromisoformat(folder.name)))
            except ValueError:
                continue
        known = _DEMO_DAYS[str(DEMO_DIR)] = tuple(
            (DEMO_ID if k == len(days) - 1 else f"{DEMO_ID}-{day.isoformat()}", day, folder)
            for k, (folder, day) in enumerate(days))
    return known


def is_demo(snapshot_id: str) -> bool:
    """Whether the id names a demo day (synthetic data, never compared with real snapshots)."""
    return snapshot_id == DEMO_ID or snapshot_id.startswith(DEMO_ID + "-")


def _demo_day(snapshot_id: str) -> tuple[str, date, Path]:
    for day in demo_days():
        if day[0] == snapshot_id:
            return day
    raise BkError(f"there is no demo day '{snapshot_id}'")


def history(snapshot_id: str) -> list[tuple[str, date]]:
    """(id, as-of date) of the snapshots of the same kind as this one, oldest first: the demo days for a demo
    day, the saved snapshots otherwise (real data is never compared with the demo)."""
    if is_demo(snapshot_id):
        return [(i, day) for i, day, _ in demo_days()]
    return [(i.snapshot_id, i.as_of) for i in saved_snapshots()]


# a demo file's parsed export by the file's sha256, while a loaded demo day holds it: 14 of the 18 exports are the
# same bytes every demo day, and parsing them is three quarters of reading a day (exports are never mutated)
_DEMO_EXPORTS: weakref.WeakValueDictionary[str, Export] = weakref.WeakValueDictionary()


def _load_demo(snapshot_id: str) -> Snapshot:
    _, day, folder = _demo_day(snapshot_id)
    exports: dict[str, Export] = {}
    for path in files_in([folder]):
        data = path.read_bytes()
        key = hashlib.sha256(data).hexdigest()
        export = _DEMO_EXPORTS.get(key)
        if export is None:
            try:
                export = _DEMO_EXPORTS.setdefault(key, read_export(data, name=path.name))
            except BkError as exc:
                raise BkError(f"the demo data is damaged: {exc}") from exc
        exports[export.kind] = export
    return Snapshot(exports, day, "given", snapshot_id=snapshot_id)


def kept_ids() -> list[str]:
    """Ids of the saved snapshots whose results stay pinned in the tier-2 cache (the newest ``BK_KEEP_WARM``)."""
    from bk.optimization.manager import kept_ids as newest

    return newest([i.snapshot_id for i in saved_snapshots()])


_DIGESTS: dict[tuple[str, str], str] = {}


def digest(snapshot_id: str) -> str:
    """A saved snapshot's digest from the manifests (its frames are not read): a warm comparison with an
    earlier snapshot never loads it. Snapshots are immutable, so once per id and store."""
    key = (str(snapshot_dir()), snapshot_id)
    if key not in _DIGESTS:
        _DIGESTS[key] = load(snapshot_id).digest if is_demo(snapshot_id) else store().digest(snapshot_id)
    return _DIGESTS[key]


def load_transient(snapshot_id: str) -> Snapshot:
    """A snapshot read for one computation (the earlier side of a comparison), not kept resident: only the
    snapshots pages show stay in memory (``load``)."""
    return load(snapshot_id) if is_demo(snapshot_id) else store().load(snapshot_id)


# cache_resource: one shared, read-only copy per snapshot for all sessions (frames are never mutated). Two: the
# snapshot pages show and the one a planner switched from; any other is read back from its parquet copies.
@st.cache_resource(max_entries=2, show_spinner="Reading the snapshot…")
def _load(snapshot_id: str, root: str) -> Snapshot:
    if is_demo(snapshot_id):
        return _load_demo(snapshot_id)
    return SnapshotStore(root).load(snapshot_id)


def load(snapshot_id: str) -> Snapshot:
    """A snapshot by id from the process-wide resource cache (raises BkError when it cannot be read)."""
    return _load(snapshot_id, str(snapshot_dir()))


DEMO_LABEL = "Demo data (synthetic)"


def snapshot_label(snapshot_id: str, as_of: date | None = None, saved_at: str | None = None) -> str:
    """The one name of a snapshot on every screen: its as-of date, '28 Aug 2025', never its id; with
    ``saved_at`` (two snapshots of one day) also when it was saved: '28 Aug 2025, saved 29 Aug 2025 14:03:09'
    (to the second: two saves of a minute stay apart in a picker).
    A demo day is 'Demo data (synthetic) · 11 Sep 2025' ('Demo data (synthetic)' without a date)."""
    if is_demo(snapshot_id):
        return DEMO_LABEL if as_of is None else f"{DEMO_LABEL} · {short_date(as_of)}"
    if as_of is None:
        return "a saved snapshot"
    label = short_date(as_of)
    if saved_at:
        saved = datetime.fromisoformat(saved_at)
        label += f", saved {short_date(saved)} {saved:%H:%M:%S}"
    return label


def snapshot_names(infos: tuple | None = None) -> dict[str, str]:
    """id -> name of every saved snapshot (``snapshot_label``): the as-of date, with the time saved only where
    several snapshots share that date. Pass the listing the names are looked up for: another session may save
    or delete a snapshot between two listings."""
    infos = saved_snapshots() if infos is None else infos
    days = Counter(i.as_of for i in infos)
    return {i.snapshot_id: snapshot_label(i.snapshot_id, i.as_of, i.saved_at if days[i.as_of] > 1 else None)
            for i in infos}


def source_args(snapshot_id: str) -> list[str]:
    """How a worker process finds this snapshot (``python -m bk.optimization.manager`` arguments)."""
    if is_demo(snapshot_id):
        return ["--paths", str(_demo_day(snapshot_id)[2])]
    return ["--store", str(snapshot_dir()), "--snapshot", snapshot_id]


def snapshot_choices() -> list[tuple[str, str]]:
    """(id, label) of the saved snapshots, newest first, then the demo days, newest first."""
    infos = saved_snapshots()
    names = snapshot_names(infos)
    choices = [(i.snapshot_id, names[i.snapshot_id]) for i in reversed(infos)]
    return choices + [(i, snapshot_label(i, day)) for i, day, _ in reversed(demo_days())]


def earlier_snapshots(current_id: str) -> list[tuple[str, str]]:
    """(id, name) of the snapshots of the same kind before the current one (as-of, then time saved), latest
    first: what a comparison compares it with — saved snapshots for a saved one, demo days for a demo day."""
    if is_demo(current_id):
        family = history(current_id)
        names = {i: snapshot_label(i, day) for i, day in family}
    else:
        infos = saved_snapshots()
        family = [(i.snapshot_id, i.as_of) for i in infos]
        names = snapshot_names(infos)
    ids = [i for i, _ in family]
    if current_id not in ids:
        return []
    return [(i, names[i]) for i, _ in family[:ids.index(current_id)][::-1]]


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
    """The sidebar snapshot picker: the latest saved snapshot by default, else the newest demo day. Returns the active
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
            st.caption(f"{len(snapshot.exports)} exports · as of **{short_date(snapshot.as_of)}**")
            if snapshot.inherited:
                st.caption("Taken from earlier snapshots: " + ", ".join(sorted(KINDS[k].title for k in snapshot.inherited)))
        return snapshot
