"""Numeric settings read from environment variables, each checked with a message naming the variable."""

from __future__ import annotations

import os

from bk.errors import BkError


def env_number(name: str, default: float, *, low: float, high: float, example: str) -> float:
    """``float(os.environ[name])``, or ``default`` when unset or blank; raises BkError outside [low, high]."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BkError(f"environment variable {name} is {raw!r}; expected a number, e.g. {example}") from None
    if not low <= value <= high:
        raise BkError(f"environment variable {name} is {raw!r}; expected a number from {low:g} to {high:g}, "
                      f"e.g. {example}")
    return value
