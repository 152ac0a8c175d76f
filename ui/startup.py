"""What the server does as it starts, before a browser asks (the ``st.App`` lifespan that ``app.py`` declares).

A browser that opens the app spends its first second loading Streamlit's scripts; the server is idle meanwhile. On
a thread started with the server, the modules the first page imports are imported (pandas, the services:
most of a first page's server time), the snapshot a new session opens is read, the first page's results taken from
the tier-2 cache into the shared ones and the warming worker started — what the first page would otherwise do
while its viewer waits — and then the other pages' modules are imported. Nothing here is needed for correctness:
a page that runs first does the same work itself.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

LOG = logging.getLogger("bk.startup")
ROOT = Path(__file__).resolve().parent.parent
THREAD = "bk-startup"
FIRST_PAGE = "overview.py"  # the page a session opens on (app.py's default)


def page_imports(root: Path = ROOT, *, pages: Iterable[str] | None = None) -> list[str]:
    """The modules ``app.py`` and the pages import (``pages/*.py``, or those named): absolute imports, read from
    their source (no page runs)."""
    names: set[str] = set()
    files = sorted((root / "pages").glob("*.py")) if pages is None else [root / "pages" / p for p in pages]
    for path in [root / "app.py", *files]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                # `from ui import services` imports the module ui.services, not only the package
                names.update(f"{node.module}.{alias.name}" for alias in node.names
                             if _is_module(f"{node.module}.{alias.name}"))
    return sorted(names)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # the parent is not a package
        return False


def preload() -> str | None:
    """Import what the first page imports, read the snapshot a new session opens, start its warming and take the
    first page's results into memory; then import what the other pages import. The snapshot's id (None without
    one). In that order: a browser asks for the first page about a second after the server starts, and importing
    every page's modules takes longer than that."""
    try:
        return _first_page()
    finally:
        for name in page_imports():  # those the first page imported already are a lookup
            importlib.import_module(name)


def _first_page() -> str | None:
    for name in page_imports(pages=[FIRST_PAGE]):
        importlib.import_module(name)
    from bk.optimization.manager import DEFAULT_VIEWS
    from ui import services, state

    choices = state.snapshot_choices()
    if not choices:
        return None
    snapshot = state.load(choices[0][0])  # its files' metadata: frames are decoded when a computation reads them
    services.warm(snapshot)
    snapshot.cross_findings  # noqa: B018 - the Overview counts the findings; the cross-file ones read three frames
    # the Overview's results (the page a session opens on), from the tier-2 cache into the shared ones: the plan,
    # the capacity plan, how the previous day's plan did and what changed since the latest earlier snapshot
    services.run("yarn.plan", snapshot, **services.plan_view(snapshot))
    services.run("capacity.plan", snapshot, **dict(DEFAULT_VIEWS)["capacity.plan"])
    if pairs := services.plan_pairs(snapshot):
        services.plan_check(snapshot, pairs[-1][0])
    if earlier := state.earlier_snapshots(snapshot.snapshot_id):
        services.run("briefing.diff", snapshot, earlier_snapshot_id=earlier[0][0])
    return snapshot.snapshot_id


def _preload_logged() -> None:
    try:
        preload()
    except Exception:  # a page that runs first does this work itself and shows what fails
        LOG.warning("start-up preload failed", exc_info=True)


class _NotFromStartup(logging.Filter):
    """Streamlit warns of a missing ScriptRunContext whenever a cached function runs outside a session: expected
    on the start-up thread, said once per call; the warning stays for every other thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NotFromStartup())
    threading.Thread(target=_preload_logged, name=THREAD, daemon=True).start()
    yield
