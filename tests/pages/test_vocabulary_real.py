"""Every table every service emits on the real snapshot reads as a planner's table through the vocabulary."""

from __future__ import annotations

import pandas as pd

from bk.optimization.manager import DEFAULT_VIEWS, operations
from tests.pages.readable import unreadable
from ui.format import display_frame


def test_every_service_table_on_the_real_snapshot_is_readable(real_snapshot):
    ops = operations()
    problems, tables = [], 0
    for op, params in [*DEFAULT_VIEWS, ("yarn.reconcile", {})]:
        result = ops[op](real_snapshot.frames, as_of=real_snapshot.as_of, **params)
        for name, frame in result.items():
            if not isinstance(frame, pd.DataFrame):
                continue
            tables += 1
            shown, config = display_frame(frame)
            assert len(shown) == len(frame) and set(config) == set(shown.columns)
            problems += [f"{op} {name}: {p}" for p in unreadable(shown.head(200))]
    assert tables >= 30
    assert problems == []
