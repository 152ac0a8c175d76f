"""Shared style lookups for every service: style keys, style families, ISO weeks and knitting rates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.services.memo import per_frame

RATE_EXACT = "style rate"
RATE_FAMILY = "family rate"
RATE_MEDIAN = "median (missing)"
RATE_GIVEN = "given"


def week_monday(day: date) -> date:
    """The Monday of the ISO week of ``day``."""
    return day - timedelta(days=day.weekday())


def norm_key(text: pd.Series) -> pd.Series:
    """Style lookup key: no white space, upper case (plain replaces: pyarrow does them without Python)."""
    return text.astype("string").str.replace(" ", "", regex=False).str.replace("\t", "", regex=False).str.upper()


def family_key(text: pd.Series) -> pd.Series:
    """The style family: the normalised base before the first ``/`` (``125792/1`` -> ``125792``)."""
    return norm_key(text).str.replace(r"/[\s\S]*", "", regex=True)  # a regex runs in Arrow; split(n=1) in Python


@per_frame
def _rate_tables(rates: pd.DataFrame | None) -> tuple[pd.Series, pd.Series, float]:
    """Mean positive rate by style key and by family key, and the median positive rate, of one rates frame.

    Kept per frame object (``memo.per_frame``), since every plan asks for them again and Production Lbs has
    ~6,000 styles.
    """
    if rates is None or not len(rates) or "lbs_per_day" not in rates:
        return pd.Series(dtype="float64"), pd.Series(dtype="float64"), float("nan")
    positive = rates.loc[pd.to_numeric(rates["lbs_per_day"], errors="coerce") > 0, ["style", "lbs_per_day"]]
    value = positive["lbs_per_day"].astype("float64")
    return (value.groupby(norm_key(positive["style"]).astype(object).to_numpy(), sort=False).mean(),
            value.groupby(family_key(positive["style"]).astype(object).to_numpy(), sort=False).mean(),
            float(value.median()) if len(value) else float("nan"))


def knit_rates(styles: pd.Series, rates: pd.DataFrame | None, *,
               given: pd.Series | None = None) -> pd.DataFrame:
    """Knitting rate (lbs/day) for each style in ``styles``, with where it came from.

    One row per input row (same index): ``lbs_per_day`` and ``rate_source``. The rate is, in this order:
    ``given`` (a positive per-row rate, e.g. a what-if order), the exact style's mean positive rate in
    Production Lbs (``style rate``), the mean of its family's positive rates (same base before ``/``:
    ``family rate``), the median of all positive rates (``median (missing)``). Negative, zero and blank
    rates in the file are never used. With no usable rate at all, lbs_per_day is NaN.
    """
    keys = norm_key(styles).astype(object)
    by_key, by_family, median = _rate_tables(rates)
    exact = keys.map(by_key).astype("float64")
    family = family_key(styles).astype(object).map(by_family).astype("float64")
    if given is None:
        given_rate = pd.Series(np.nan, index=styles.index, dtype="float64")
    else:
        raw = pd.to_numeric(given, errors="coerce").astype("float64")
        given_rate = raw.where(raw > 0)
    lbs_per_day = given_rate.fillna(exact).fillna(family).fillna(median)
    source = np.select(
        [given_rate.notna().to_numpy(), exact.notna().to_numpy(), family.notna().to_numpy()],
        [RATE_GIVEN, RATE_EXACT, RATE_FAMILY], default=RATE_MEDIAN)
    return pd.DataFrame({"lbs_per_day": lbs_per_day.astype("float64").to_numpy(),
                         "rate_source": pd.array(source, dtype="string")}, index=styles.index)
