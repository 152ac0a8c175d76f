"""Service results for pages: tier-1 cache (st.cache_resource, keyed on the snapshot digest) over the manager."""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager

import streamlit as st

from bk.errors import BkError
from bk.ingest.snapshot import Snapshot
from bk.optimization.manager import ServiceManager, previous_day_id
from bk.optimization.memory import heap_freezer
from bk.services.yarn import APP_VIEW
from ui import errors, state

TTL_S = {"default": 3600, "forecast": 6 * 3600}
MAX_ENTRIES = {"default": 32, "forecast": 8}


@st.cache_resource
def manager() -> ServiceManager:
    """One service manager per process (its cache, profiler and breakers are shared by all sessions)."""
    return ServiceManager.from_environment(snapshot_loader=state.load_transient, snapshot_digest=state.digest,
                                           kept=state.kept_ids,
                                           error_details=st.get_option("client.showErrorDetails"))


def _params_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


# cache_resource, not cache_data: a hit hands back the one shared result instead of unpickling a fresh copy on
# every rerun (9 ms for the real yarn plan), and lets tables keep their display form per result (ui.table).
# Results are read-only: pages derive new frames from them, never assign into them (test_shared_results.py).
@st.cache_resource(ttl=TTL_S["default"], max_entries=MAX_ENTRIES["default"], show_spinner=False)
def _cached(operation: str, snapshot_id: str, digest: str, params_key: str):
    # the key is the digest of the snapshot's files, never the frames (Streamlit samples large frames)
    snapshot = state.load(snapshot_id)
    return manager().run(operation, snapshot, **json.loads(params_key))


@st.cache_resource(ttl=TTL_S["forecast"], max_entries=MAX_ENTRIES["forecast"], show_spinner=False)
def _cached_forecast(operation: str, snapshot_id: str, digest: str, params_key: str):
    snapshot = state.load(snapshot_id)
    return manager().run(operation, snapshot, **json.loads(params_key))


@st.cache_resource(ttl=TTL_S["default"], max_entries=128, show_spinner=False)
def _derived(name: str, snapshot_id: str, digest: str, source_ids: tuple[int, ...], params_key: str, _build,
             _sources):
    return _sources, _build()  # the entry holds its sources: their ids cannot be reused while it lives


def derived(name: str, snapshot: Snapshot, build, *, sources: tuple = (), **params):
    """What a page builds from service results (a chart, a picker's labels) built once per (name, snapshot,
    sources, params) and shared by all sessions instead of on every rerun.

    ``sources`` are the result objects ``build`` reads (from ``run``: one shared object per result, so a
    recomputed result is a new source and gets a new build); ``params`` every widget value it depends on. The
    result is shared: pages only read it (``st.vega_lite_chart`` copies a spec's top level), never change it.
    """
    key = tuple(id(source) for source in sources)
    return _derived(name, snapshot.snapshot_id, snapshot.digest, key, _params_key(params), build, sources)[1]


def alert_thresholds() -> dict:
    """Alert thresholds from the environment (BK_ALERT_LEAK_MB_PER_MIN). Memory over its budget is judged
    against BK_MEMORY_BUDGET_MB, as the health score judges it (bk.optimization.health)."""
    return {"leak_mb_per_min": float(os.environ.get("BK_ALERT_LEAK_MB_PER_MIN", "5"))}


_LOAD_TEST = threading.Lock()


def load_test(snapshot: Snapshot, *, workers: int, duration_s: float) -> dict:
    """An in-process load test of every default view of the snapshot through the manager; one at a time per
    process (raises BkError while another runs)."""
    from bk.optimization.manager import DEFAULT_VIEWS
    from bk.optimization.profiler import load_test as run_load

    if not _LOAD_TEST.acquire(blocking=False):
        raise BkError("A load test is already running on this server (one at a time); try again when it ends.")
    try:
        m = manager()
        ops = {op: (lambda op=op, p=p: m.run(op, snapshot, **p)) for op, p in DEFAULT_VIEWS if op in m.operations}
        return run_load(ops, workers=workers, duration_s=duration_s)
    finally:
        _LOAD_TEST.release()


_PAGES_RUN: set[str] = set()


def between_runs() -> None:
    """Start of a script run: freeze the long-lived heap once it is large (bk.optimization.memory.HeapFreezer),
    so the collection Streamlit makes after this run does not walk it again."""
    heap_freezer().between_runs()


@contextmanager
def page_timer(title: str):
    """Record the server time of one page run as the profiler operation ``page:<title>``: *cold* when it is the
    page's first run in this process (imports) or it missed the tier-1 cache, else *warm*."""
    m = manager()
    first = title not in _PAGES_RUN
    _PAGES_RUN.add(title)
    m.missed_in_thread(reset=True)
    with m.profiler.measure(f"page:{title}", cold=lambda: first or m.missed_in_thread()):
        yield


_FILLED: set[str] = set()


def warm(snapshot: Snapshot) -> None:
    """Compute every page's default view in a low-priority worker process (once per snapshot and process: app.py
    asks on every run). The first time per process and store (start-up), the worker then fills what the other
    kept snapshots lack (``bk.optimization.manager.fill_store``); a saved snapshot got its views when it was
    saved, so usually nothing is computed and no worker starts."""
    root = str(state.snapshot_dir())
    also = []
    if root not in _FILLED and snapshot.snapshot_id != state.DEMO_ID:
        _FILLED.add(root)
        m = manager()
        also = [i for i in state.kept_ids() if i != snapshot.snapshot_id and not m.is_warm(i, state.digest(i))]
    manager().warm(snapshot, source_args=state.source_args(snapshot.snapshot_id), also=also)


def run(operation: str, snapshot: Snapshot, **params):
    """Run a service operation for the snapshot with JSON-able params; cached per (operation, digest, params)."""
    from bk.services import needs

    if operation in needs.NEEDS:  # name every missing export at once, before any work
        needs.require(operation, snapshot.exports)
    cached = _cached_forecast if operation.startswith("forecast.") else _cached
    with errors.operation(operation):  # an unexpected failure is then reported with the operation's name
        return cached(operation, snapshot.snapshot_id, snapshot.digest, _params_key(params))


def missing_notes(operation: str, snapshot: Snapshot) -> list[str]:
    """What ``operation`` cannot show because optional exports are missing from the snapshot (bk.services.needs)."""
    from bk.services import needs

    return needs.notes(operation, snapshot.exports)


# ------------------------------------------------------------------------------------------ plan health
PLAN_TREND_PAIRS = 10  # back-tests in the plan-health trend: the latest consecutive pairs of snapshots


def plan_check(snapshot: Snapshot, earlier_snapshot_id: str) -> dict:
    """The earlier snapshot's plan scored against this one (``bk.services.backtest``), computed once per pair
    of snapshots and shared (its two yarn plans take a few tenths of a second)."""
    return _pair_check(earlier_snapshot_id, snapshot.snapshot_id)


@st.cache_resource(ttl=TTL_S["default"], max_entries=64, show_spinner="Checking the earlier plan…")
def _pair_check(earlier_id: str, later_id: str) -> dict:
    # keyed by the two ids: a saved snapshot's id carries its digest, and the demo days are committed files;
    # a later visit needs neither snapshot loaded again (the loader keeps only four)
    return run("plan.backtest", state.load(later_id), earlier_snapshot_id=earlier_id, **APP_VIEW)


def plan_view(snapshot: Snapshot) -> dict:
    """Parameters of the app's view of the yarn plan (``yarn.APP_VIEW``) for this snapshot: with the export day
    before it in the store, the loop closed — KO paces from the balance changes since, and receipts from a
    supplier whose POs slipped planned that much later."""
    previous = previous_day_id(state.history(snapshot.snapshot_id), snapshot.snapshot_id)
    return dict(APP_VIEW) if previous is None else {**APP_VIEW, "earlier_snapshot_id": previous}


def plan_pairs(snapshot: Snapshot) -> tuple[tuple[str, str], ...]:
    """(earlier id, later id) of each consecutive pair of export days among the snapshots of this one's kind
    (saved ones, or the demo days) up to this one — the last one saved of a day stands for it — the last
    ``PLAN_TREND_PAIRS``. Empty when this snapshot is the first of its kind."""
    days: dict = {}
    for snapshot_id, day in state.history(snapshot.snapshot_id):
        days[day] = snapshot_id
        if snapshot_id == snapshot.snapshot_id:
            break
    else:
        return ()
    ordered = [days[day] for day in sorted(days)]
    return tuple(zip(ordered, ordered[1:], strict=False))[-PLAN_TREND_PAIRS:]


@st.cache_resource(ttl=TTL_S["default"], max_entries=8, show_spinner=False)
def _plan_trend(pairs: tuple[tuple[str, str], ...]) -> tuple[dict, ...]:
    # one shared tuple per list of pairs (what pages derive tables and charts from); a new snapshot adds a pair,
    # and only that pair is computed (_pair_check)
    return tuple(_pair_check(earlier, later) for earlier, later in pairs)


def plan_trend(snapshot: Snapshot) -> tuple[dict, ...]:
    """The back-tests of ``plan_pairs``, oldest first (one shared tuple per list of pairs)."""
    return _plan_trend(plan_pairs(snapshot))
