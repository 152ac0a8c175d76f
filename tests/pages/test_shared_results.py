"""Service results are shared by every session (st.cache_resource): after every page has run on the demo, each
default view held in the tier-1 cache still equals a fresh computation — no page assigned into a result."""

from __future__ import annotations

import warnings

import pandas as pd

from bk.ingest.snapshot import load_paths
from bk.optimization.manager import DEFAULT_VIEWS, operations
from tests.conftest import DEMO
from tests.pages.conftest import no_exceptions, open_expanders, open_tab, page
from tests.pages.test_lazy_sections import TABS

PAGES = ["overview.py", "yarn.py", "inventory.py", "pipeline.py", "capacity.py", "forecasting.py", "health.py"]


def assert_same(left, right, where: str) -> None:
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right, check_exact=True, obj=where)
    elif isinstance(left, pd.Series):
        pd.testing.assert_series_equal(left, right, check_exact=True, obj=where)
    elif isinstance(left, dict):
        assert set(left) == set(right), where
        for key in left:
            assert_same(left[key], right[key], f"{where}.{key}")


def test_no_page_changes_a_shared_result():
    import streamlit as st

    import ui.services

    # a manager of this test's own (empty) tier-2 cache: every result computed here, none decoded from parquet
    # by an earlier test (the tier-2 round trip keeps values, not every dtype detail)
    st.cache_resource.clear()
    for name in PAGES:  # every page, every tab and every lazy expander opened
        at = page(name).run()
        no_exceptions(at)
        open_expanders(at)
        for label in TABS.get(name, (None, []))[1]:
            open_tab(at, TABS[name][0], label)
            no_exceptions(at)
    snapshot, _ = load_paths([DEMO])
    ops = operations()
    for operation, params in DEFAULT_VIEWS:
        cached = ui.services._cached_forecast if operation.startswith("forecast.") else ui.services._cached
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # called outside a script run: Streamlit warns, the cache answers
            shared = cached(operation, "demo", snapshot.digest, ui.services._params_key(params))
        assert_same(shared, ops[operation](snapshot.frames, as_of=snapshot.as_of, **params), operation)
