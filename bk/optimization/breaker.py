"""Circuit breaker: after 3 consecutive failures an operation is short-circuited for 60 s, then tried once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bk.errors import BkError, ServiceUnavailableError


class CircuitBreaker:
    """closed → open after ``failure_threshold`` consecutive failures; open → half-open after ``reset_after_s``
    (one trial call); a success closes it, a failure opens it again. Refusals of the kernel (BkError, e.g. a
    missing export) are answers, not failures, and do not count."""

    def __init__(self, operation: str, *, failure_threshold: int = 3, reset_after_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.operation = operation
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.last_error: str | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset_after_s else "open"

    def call(self, fn: Callable, *args, **kwargs):
        with self._lock:
            if self._state() == "open":
                retry = self.reset_after_s - (self.clock() - self.opened_at)
                raise ServiceUnavailableError(
                    f"{self.operation} is paused after {self.failures} failures in a row (last: {self.last_error}); "
                    f"it will be tried again in {retry:.0f} s")
        try:
            result = fn(*args, **kwargs)
        except BkError:
            raise
        except Exception as exc:
            with self._lock:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self.failures >= self.failure_threshold or self.opened_at is not None:
                    self.opened_at = self.clock()
            raise
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self.last_error = None
        return result


class BreakerRegistry:
    """One breaker per operation name."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, operation: str) -> CircuitBreaker:
        with self._lock:
            if operation not in self._breakers:
                self._breakers[operation] = CircuitBreaker(operation, **self.kwargs)
            return self._breakers[operation]

    def states(self) -> dict[str, str]:
        with self._lock:
            return {name: b.state for name, b in self._breakers.items()}
