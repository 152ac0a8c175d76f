"""Preparations of input frames kept per frame object: a snapshot's frames are read-only, and every plan asks again."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")
KEEP = 8  # entries per function: a few snapshots (and their what-if copies) at most


def _reference(frame: pd.DataFrame | pd.Series | None) -> Callable[[], object]:
    return (lambda: None) if frame is None else weakref.ref(frame)


def per_frame(prepare: Callable[..., T]) -> Callable[..., T]:
    """``prepare(*frames)`` kept per tuple of frame objects (``None`` allowed), at most KEEP tuples.

    Only for pure preparations of frames nobody changes (a snapshot's frames; what a kept preparation returns):
    a frame is known by its identity, never by its contents, and the kept value is shared by every caller, who
    must not change it either. A frame that is gone never matches again (a weak reference, not its id)."""
    kept: dict[tuple[int, ...], tuple[list[Callable[[], object]], T]] = {}

    @functools.wraps(prepare)
    def kept_prepare(*frames: pd.DataFrame | pd.Series | None) -> T:
        key = tuple(id(f) for f in frames)
        known = kept.get(key)
        if known is not None and all(ref() is f for ref, f in zip(known[0], frames, strict=True)):
            return known[1]
        value = prepare(*frames)
        if len(kept) >= KEEP:  # the oldest goes; tolerant of another thread (a Streamlit session) doing the same
            kept.pop(next(iter(kept), None), None)
        kept[key] = ([_reference(f) for f in frames], value)
        return value

    kept_prepare.cache_clear = kept.clear  # type: ignore[attr-defined]
    return kept_prepare
