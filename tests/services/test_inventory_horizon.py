"""inventory.with_horizon: the yarn plan's shortages beside eFab's, one row per yarn of either."""

from __future__ import annotations

import pandas as pd
import pytest

from bk.services.inventory import with_horizon


def _positions() -> pd.DataFrame:
    return pd.DataFrame({
        "yarn_id": [19003, 10002, 18868],
        "description": ["1/150 Nylon", "2/30 Cotton", "Kevlar"],
        "supplier": ["UNIFI", "PARKDALE", "DUPONT"],
        "on_hand_lbs": [100.0, 50.0, 0.0],
        "shortage_now": [True, False, False],
        "shortage_lbs": [43994.61, 0.0, 0.0],
        "below_reorder": [True, False, True],
        "first_shortage_week": pd.to_datetime([None, None, None]),
    })


def _plan() -> pd.DataFrame:
    return pd.DataFrame({
        "yarn_id": [19003, 14882],
        "description": ["1/150 Nylon", pd.NA],
        "supplier": ["UNIFI", pd.NA],
        "first_shortage_week": pd.to_datetime(["2025-09-08", "2025-08-25"]),
        "shortage_lbs": [42857.92, 5261.72],
    })


def test_plan_view_beside_efab_view_and_plan_only_yarns_appended():
    positions, plan = _positions(), _plan()
    before = positions.copy()
    out = with_horizon(positions, plan)
    pd.testing.assert_frame_equal(positions, before)
    assert list(out["yarn_id"]) == [19003, 10002, 18868, 14882]
    assert list(out["horizon_shortage_lbs"]) == [42857.92, 0.0, 0.0, 5261.72]
    assert list(out["shortage_lbs"]) == [43994.61, 0.0, 0.0, 0.0]  # eFab's view untouched
    assert list(out["short_in_horizon"]) == [True, False, False, True]
    assert list(out["first_shortage_week"].astype("string").fillna("-")) == ["2025-09-08", "-", "-", "2025-08-25"]
    assert list(out["note"]) == ["", "", "", "not in the yarn inventory"]
    assert list(out["shortage_now"]) == [True, False, False, False]
    assert list(out["below_reorder"]) == [True, False, True, False]
    assert out["short_in_horizon"].sum() == len(plan)  # the plan's count, on every page


def test_a_frame_without_the_plan_columns_is_refused():
    with pytest.raises(ValueError, match="shortage_lbs"):
        with_horizon(_positions(), _plan().drop(columns=["shortage_lbs"]))
