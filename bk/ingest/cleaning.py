"""Vectorised cell cleaners for the ERP's text: numbers with $ , ( ), dates in every format seen, HTML in cells."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

# Patterns stay plain strings so that pandas hands them to pyarrow's regex engine (a compiled re.Pattern
# makes it fall back to a Python loop, several times slower on the large exports).
_TAG = re.compile(r"<[^>]*>")
_WS = r"\s+"
_NUMBER_JUNK = r"[$,\s\x{00a0}]"
_UNIT_SUFFIX = r"\(\s*([A-Za-z]+)\s*\)\s*$"
_TOGGLE = r"fa-toggle-(on|off)"

# Cells that mean "no date" rather than a bad date.
NO_DATE = frozenset({"never", "n/a", "na", "none", "-"})
# Formats seen in the exports, tried in this order on what is still unparsed.
DATE_FORMATS = ("%m/%d/%Y", "%m-%d-%y", "%Y-%m-%d", "%m/%d/%y", "%m-%d-%Y", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d")
# Dates outside these bounds are bad cells: they cannot be planned with (and beyond 1677/2262 do not even fit
# a datetime64[ns]); the services add lead times and horizons to them, so the upper bound keeps a margin.
DATE_MIN = pd.Timestamp("1900-01-01")
DATE_MAX = pd.Timestamp("2100-12-31")
# The largest plausible magnitude of a number by its column's unit suffix (the real exports stay below 1e5 lbs,
# 15 days of lead time, 3,100 lbs/day): anything beyond is a typo or an attack and is left blank.
UNIT_LIMITS: tuple[tuple[str, float], ...] = (
    ("_per_day", 1e5), ("_per_lb", 1e4), ("_days", 3650.0), ("_weeks", 520.0), ("_lbs", 1e7), ("_yds", 1e7),
    ("_usd", 1e9), ("_qty", 1e9), ("_in", 1e4),
)
DEFAULT_LIMIT = 1e12
NON_NEGATIVE_SUFFIXES = ("_days",)  # a lead time of -5 days is a typo, and sqrt(lead time) in safety stock


def plausible_limit(column: str) -> float:
    """The largest plausible absolute value of a number in ``column`` (by its unit suffix, else 1e12)."""
    return next((limit for suffix, limit in UNIT_LIMITS if column.endswith(suffix)), DEFAULT_LIMIT)


def plausible_range(column: str) -> tuple[float, float]:
    """(lowest, highest) plausible value of a number in ``column``."""
    limit = plausible_limit(column)
    return (0.0 if column.endswith(NON_NEGATIVE_SUFFIXES) else -limit), limit


def strip_html(values: pd.Series) -> pd.Series:
    """Remove tags, then decode entities (``&nbsp;`` included) once, from text cells; collapse white space;
    '' -> NA. Decoding once keeps ``&amp;lt;a&amp;gt;`` as the text ``&lt;a&gt;``, never a tag."""
    text = values.astype("string")
    marked = text.str.contains("<", regex=False, na=False) | text.str.contains("&", regex=False, na=False)
    if marked.any():
        cleaned = text[marked].map(lambda s: html.unescape(_TAG.sub(" ", s)), na_action="ignore")
        text = text.where(~marked, cleaned.astype("string"))
    text = text.str.strip()
    spaced = text.str.contains(r"\s\s|[\t\n\r\x{00a0}]", regex=True, na=False)
    if spaced.any():  # collapse runs of white space only where there are any: the replace is slow
        text = text.where(~spaced, text[spaced].str.replace(_WS, " ", regex=True).str.strip())
    return text.mask(text == "")


def parse_numbers(values: pd.Series, *, blank_zero: bool = False) -> tuple[pd.Series, pd.Series]:
    """Text -> float64. Returns (numbers, bad) where ``bad`` marks non-blank cells that are not numbers.

    Understands ``1,231.2``, `` $4.07 ``, ``($2,183.40)`` (= -2183.40), ``-3,151``, ``12%`` and a trailing unit
    in parentheses (``$7.35 (yds)``). Blank is NaN, or 0 with ``blank_zero``. inf/nan spelled out are bad.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        bad = pd.Series(~np.isfinite(numbers.to_numpy()) & numbers.notna().to_numpy(), index=values.index)
        numbers = numbers.mask(bad)
        return (numbers.fillna(0.0) if blank_zero else numbers), bad
    text = values.astype("string").str.strip()
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    # fast path: most cells are plain numbers; only the rest go through the $ , ( ) clean-up
    plain = pd.to_numeric(text, errors="coerce")
    result = pd.Series(plain, index=values.index).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    todo = ~blank & np.isnan(result)
    if todo.any():
        body = text[todo].str.replace(_UNIT_SUFFIX, "", regex=True)
        negative = (body.str.startswith("(", na=False) & body.str.endswith(")", na=False)).to_numpy(dtype=bool)
        body = body.str.strip("()").str.replace(_NUMBER_JUNK, "", regex=True).str.rstrip("%")
        cleaned = pd.to_numeric(body.astype(object), errors="coerce")
        cleaned = np.asarray(cleaned, dtype="float64")
        result[todo] = np.where(negative, -cleaned, cleaned)
    finite = np.isfinite(result)
    result[~finite] = np.nan
    if blank_zero:
        result[blank] = 0.0
    bad = pd.Series(~blank & ~finite, index=values.index)
    return pd.Series(result, index=values.index, dtype="float64"), bad


def unit_suffix(values: pd.Series) -> pd.Series:
    """The unit in parentheses at the end of a cell (``$7.35 (yds)`` -> ``yds``), else NA."""
    return values.astype("string").str.extract(_UNIT_SUFFIX, expand=False).str.lower()


def parse_integers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids such as ``041``, ``41``, ``124.0`` -> nullable Int64; non-integral or non-numeric cells are bad."""
    numbers, bad = parse_numbers(values)
    integral = numbers.isna() | (numbers == np.floor(numbers))
    bad = bad | ~integral.to_numpy()
    numbers = numbers.where(integral)
    in_range = numbers.isna() | (numbers.abs() < 2**62)
    bad = bad | ~in_range.to_numpy()
    return numbers.where(in_range).astype("Int64"), bad


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates in every format seen (``8/28/2025``, ``01-02-25``, ISO, ISO timestamps) -> datetime64[ns].

    'Never' and blanks are NaT; anything else unparseable, or outside DATE_MIN..DATE_MAX (``12/31/9999``,
    ``1/1/1677``, ``-5``), is NaT and marked bad.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
        outside = values.notna() & ((values < DATE_MIN) | (values > DATE_MAX))
        return values.mask(outside).astype("datetime64[ns]"), outside
    text = values.astype("string").str.strip()
    blank = text.isna() | (text == "") | text.str.lower().isin(NO_DATE)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = ~blank
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = _in_bounds(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
        hit = parsed.notna()
        result.loc[hit[hit].index] = parsed[hit].astype("datetime64[ns]")
        todo = todo & result.isna()
    if todo.any():
        parsed = _in_bounds(pd.to_datetime(text[todo], format="ISO8601", errors="coerce", utc=True)
                            .dt.tz_localize(None))
        hit = parsed.notna()
        result.loc[hit[hit].index] = parsed[hit].astype("datetime64[ns]")
        todo = todo & result.isna()
    return result, todo


def _in_bounds(parsed: pd.Series) -> pd.Series:
    # compared in the parsed unit (seconds or microseconds for far dates) before any cast to nanoseconds
    return parsed.mask(parsed.notna() & ((parsed < DATE_MIN) | (parsed > DATE_MAX)))


def parse_toggle(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The sales-order 'On Hold' HTML toggle (``fa-toggle-on``/``off``) or yes/no/true/false -> boolean."""
    text = values.astype("string")
    toggle = text.str.extract(_TOGGLE, expand=False).to_numpy(dtype=object, na_value=None)
    plain = strip_html(text).str.lower().to_numpy(dtype=object, na_value=None)
    on = (toggle == "on") | ((toggle == None) & np.isin(plain, ["yes", "y", "true", "1", "on"]))  # noqa: E711
    off = (toggle == "off") | ((toggle == None) & np.isin(plain, ["no", "n", "false", "0", "off"]))  # noqa: E711
    result = pd.Series(pd.array([True if a else False if b else pd.NA for a, b in zip(on, off, strict=True)],
                                dtype="boolean"), index=values.index)
    bad = pd.Series(~on & ~off & (plain != None), index=values.index)  # noqa: E711
    return result, bad
