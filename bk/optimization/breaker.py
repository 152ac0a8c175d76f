"""Circuit breakers, one per (operation, snapshot digest): after 3 consecutive failures that operation on that
snapshot is short-circuited for 60 s, then tried once. A bad snapshot never pauses the operation for others."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from bk.errors import BkError, ServiceUnavailableError

log = logging.getLogger(__name__)
# What a viewer may read of the last failure, as Streamlit's ``client.showErrorDetails``:
# "full"/"stacktrace" the exception's type and text, "type" its type only, "none" nothing.
ERROR_DETAILS = ("full", "stacktrace", "type", "none")


def error_details_level(option: object) -> str:
    """Streamlit's ``client.showErrorDetails`` value (also the legacy True/False) as one of ERROR_DETAILS."""
    if option is True:
        return "full"
    if option is False or option is None:
        return "none"
    text = str(option).strip().lower()
    return {"true": "full", "false": "none"}.get(text, text if text in ERROR_DETAILS else "none")


class CircuitBreaker:
    """closed → open after ``failure_threshold`` consecutive failures; open → half-open after ``reset_after_s``
    (one trial call); a success closes it, a failure opens it again. Refusals of the kernel (BkError, e.g. a
    missing export or a data error) are answers, not failures, and do not count. The refusal message shows the
    last failure only as far as ``error_details`` allows; the server log always has it in full."""

    def __init__(self, operation: str, *, failure_threshold: int = 3, reset_after_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, error_details: str = "type"):
        self.operation = operation
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.clock = clock
        self.error_details = error_details_level(error_details)
        self.failures = 0
        self.opened_at: float | None = None
        self.last_error: str | None = None
        self.last_error_type: str | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset_after_s else "open"

    def _shown_error(self) -> str:
        if self.error_details in ("full", "stacktrace"):
            return f" (last: {self.last_error})"
        if self.error_details == "type":
            return f" (last: {self.last_error_type})"
        return ""

    def call(self, fn: Callable, *args, **kwargs):
        with self._lock:
            if self._state() == "open":
                retry = self.reset_after_s - (self.clock() - self.opened_at)
                raise ServiceUnavailableError(
                    f"{self.operation} is paused after {self.failures} failures in a row on this snapshot"
                    f"{self._shown_error()}; it will be tried again in {retry:.0f} s. Other snapshots are not "
                    "affected; the server log has the details.")
        try:
            result = fn(*args, **kwargs)
        except BkError:
            raise
        except Exception as exc:
            with self._lock:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.last_error_type = type(exc).__name__
                if self.failures >= self.failure_threshold or self.opened_at is not None:
                    self.opened_at = self.clock()
            log.warning("%s failed (%d in a row): %s", self.operation, self.failures, self.last_error)
            raise
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self.last_error = None
            self.last_error_type = None
        return result


class BreakerRegistry:
    """One breaker per (operation, snapshot digest); at most ``max_breakers`` are kept (closed ones are
    dropped first, least recently used first)."""

    def __init__(self, *, max_breakers: int = 512, **kwargs):
        self.kwargs = kwargs
        self.max_breakers = max_breakers
        self._breakers: OrderedDict[tuple[str, str], CircuitBreaker] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, operation: str, digest: str = "") -> CircuitBreaker:
        key = (operation, digest)
        with self._lock:
            if key in self._breakers:
                self._breakers.move_to_end(key)
                return self._breakers[key]
            if len(self._breakers) >= self.max_breakers:
                victim = next((k for k, b in self._breakers.items() if b.state == "closed"),
                              next(iter(self._breakers)))
                del self._breakers[victim]
            breaker = self._breakers[key] = CircuitBreaker(operation, **self.kwargs)
            return breaker

    def states(self) -> dict[str, str]:
        """State by ``operation`` (no digest) or ``operation on <first 12 digest characters>``."""
        with self._lock:
            return {(f"{op} on {digest[:12]}" if digest else op): b.state for (op, digest), b in self._breakers.items()}
