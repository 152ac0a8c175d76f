"""KO remnants: an open knit order whose balance is below ``BK_REMNANT_LBS`` (5 lbs) is knitted out or closed in
the mill, never planned: it is not scheduled, never late, out of the machine load, and its yarn is not demanded.

This module imports nothing of the plan, so the capacity plan and the yarn plan can both use it."""

from __future__ import annotations

import pandas as pd

from bk.services.settings import env_number

REMNANT_ENV = "BK_REMNANT_LBS"
DEFAULT_REMNANT_LBS = 5.0


def remnant_lbs() -> float:
    """The remnant threshold in lbs: ``BK_REMNANT_LBS`` or 5 (0 turns the rule off)."""
    return env_number(REMNANT_ENV, DEFAULT_REMNANT_LBS, low=0.0, high=1000.0, example="5")


def is_remnant(balance_lbs: pd.Series, *, threshold_lbs: float | None = None) -> pd.Series:
    """True where a knit order is open (balance > 0) and its balance is below the threshold (``remnant_lbs()``
    unless given); same index as ``balance_lbs``. A missing balance is not a remnant."""
    limit = remnant_lbs() if threshold_lbs is None else threshold_lbs
    balance = pd.to_numeric(balance_lbs, errors="coerce")
    return ((balance > 0) & (balance < limit)).fillna(False).astype(bool)
