"""What the server does as it starts, before a browser asks (the ``st.App`` lifespan that ``app.py`` declares).

A browser that opens the app spends its first second loading Streamlit's scripts; the server is idle meanwhile. On
a thread started with the server, the modules every page imports are imported (pandas, Plotly, the services: most
of a first page's server time) and the snapshot a new session opens is read, its default views taken from the
tier-2 cache into the shared results and the warming worker started — what the first page would otherwise do
while its viewer waits. Nothing here is needed for correctness: a page that runs first does the same work itself.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

LOG = logging.getLogger("bk.startup")
ROOT = Path(__file__).resolve().parent.parent


def page_imports(root: Path = ROOT) -> list[str]:
    """The modules ``app.py`` and ``pages/*.py`` import (absolute imports, read from their source: no page runs)."""
    names: set[str] = set()
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
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
    """Import what the pages import, read the snapshot a new session opens and start its warming; that
    snapshot's id (None without one)."""
    for name in page_imports():
        importlib.import_module(name)
    from bk.optimization.manager import DEFAULT_VIEWS
    from ui import services, state

    choices = state.snapshot_choices()
    if not choices:
        return None
    snapshot = state.load(choices[0][0])
    services.warm(snapshot)
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


THREAD = "bk-startup"


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NotFromStartup())
    threading.Thread(target=_preload_logged, name=THREAD, daemon=True).start()
    yield
