"""The app-wide safety net: an unexpected error on a page becomes one friendly message naming the page and
what it was computing (with a reference), the traceback goes to the server log, never to the browser.

``app.py`` wraps the page run in ``page_guard``; ``ui.services.run`` names the operation in progress with
``operation`` so that the message can say what failed. A ``BkError`` that a page did not catch is shown as
its own message (it is meant for a planner). Streamlit's st.rerun / st.stop are BaseExceptions and pass."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from bk.errors import BkError
from ui.format import screen_text

log = logging.getLogger("bk.ui")
_OPERATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("bk_operation", default=None)
_ATTR = "_bk_operation"
# what a planner calls the work of an operation (by the service its name starts with); the name itself is logged
_DOING = {"yarn": "the yarn plan", "inventory": "the yarn inventory", "pipeline": "the fabric pipeline",
          "capacity": "the knitting capacity plan", "forecast": "the sales forecast", "plan": "the plan's back-test",
          "briefing": "the morning briefing"}


@contextmanager
def operation(name: str) -> Iterator[None]:
    """Name the operation in progress; an exception leaving it carries the name (the innermost one wins)."""
    token = _OPERATION.set(name)
    try:
        yield
    except Exception as exc:
        if getattr(exc, _ATTR, None) is None:
            try:
                setattr(exc, _ATTR, name)
            except AttributeError:  # exceptions with __slots__: the name is then unknown
                pass
        raise
    finally:
        _OPERATION.reset(token)


def message_for(page: str, exc: BaseException, reference: str) -> str:
    """The one line shown instead of a traceback."""
    if isinstance(exc, BkError):
        return screen_text(exc)
    doing = getattr(exc, _ATTR, None)
    where = f"while computing {_DOING.get(doing.split('.')[0], 'its figures')}" if doing else "while showing it"
    return (f"Sorry — the {page} page stopped {where} because of an unexpected error. The other pages still "
            f"work; reloading may help. If it happens again, tell the administrator reference {reference} "
            "(the details are in the server log).")


@contextmanager
def page_guard(page: str) -> Iterator[None]:
    """Run a page; an unexpected exception is logged with its traceback and shown as one st.error line."""
    try:
        yield
    except Exception as exc:
        reference = uuid.uuid4().hex[:8]
        if isinstance(exc, BkError):
            log.warning("page %s: %s (ref %s)", page, exc, reference)
        else:
            log.exception("page %s failed in operation %s (ref %s)", page, getattr(exc, _ATTR, None) or "-",
                          reference)
        st.error(message_for(page, exc, reference), icon=":material/error:")
