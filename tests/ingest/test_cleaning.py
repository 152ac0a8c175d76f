"""The cell cleaners: one test per trap of DOMAIN.md §3, and properties over generated numbers and dates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from bk.ingest.cleaning import parse_dates, parse_integers, parse_numbers, parse_toggle, strip_html


def numbers(*cells, blank_zero=False):
    values, bad = parse_numbers(pd.Series(list(cells), dtype="string"), blank_zero=blank_zero)
    return values.tolist(), bad.tolist()


def test_thousands_separator_and_money():
    assert numbers("1,231.2", " $4.07 ", "$1,788.60 ")[0] == [1231.2, 4.07, 1788.60]


def test_parentheses_are_negative():
    assert numbers("($2,183.40)", "($355.62)")[0] == [-2183.40, -355.62]


def test_minus_with_thousands():
    assert numbers("-3,151", "-7,258.1")[0] == [-3151.0, -7258.1]


def test_blank_is_nan_or_zero():
    values, bad = numbers("", None, "  ")
    assert all(np.isnan(v) for v in values) and bad == [False, False, False]
    assert numbers("", None, blank_zero=True)[0] == [0.0, 0.0]


def test_unit_suffix_is_ignored_in_price():
    assert numbers("$7.35 (yds)", "$12.21 (lbs)")[0] == [7.35, 12.21]


def test_text_and_non_finite_are_bad():
    values, bad = numbers("abc", "inf", "NaN", "12")
    assert bad == [True, True, True, False]
    assert np.isnan(values[0]) and np.isnan(values[1]) and values[3] == 12.0


def test_numeric_input_passes_through():
    values, bad = parse_numbers(pd.Series([1.5, np.nan, np.inf]))
    assert values.iloc[0] == 1.5 and bad.tolist() == [False, False, True]


def test_machine_ids_to_integers():
    values, bad = parse_integers(pd.Series(["041", "41", "124.0", "", "12.5", "x"], dtype="string"))
    assert values.tolist()[:3] == [41, 41, 124]
    assert values.isna().tolist() == [False, False, False, True, True, True]
    assert bad.tolist() == [False, False, False, False, True, True]


def test_dates_in_every_format_seen():
    cells = ["8/28/2025", "01-02-25", "2025-06-27", "2025-08-28 16:25:08", "Never", "", "13/45/2025"]
    values, bad = parse_dates(pd.Series(cells, dtype="string"))
    assert values.iloc[0] == pd.Timestamp(2025, 8, 28)
    assert values.iloc[1] == pd.Timestamp(2025, 1, 2)
    assert values.iloc[2] == pd.Timestamp(2025, 6, 27)
    assert values.iloc[3] == pd.Timestamp(2025, 8, 28, 16, 25, 8)
    assert values.iloc[4:].isna().all()
    assert bad.tolist() == [False, False, False, False, False, False, True]


def test_html_tags_and_entities_removed():
    cells = ["K2508054&nbsp;<i class='fa fa-exclamation-triangle' title='x'></i>", " CF  5049N/0 ", "A &amp; B", ""]
    assert strip_html(pd.Series(cells, dtype="string")).tolist() == ["K2508054", "CF 5049N/0", "A & B", pd.NA]


def test_script_tags_do_not_survive():
    assert strip_html(pd.Series(["<script>alert(1)</script>ok"], dtype="string")).tolist() == ["alert(1) ok"]


def test_on_hold_toggle():
    cells = ["<div id='holdButton_1'><i class='fa fa-toggle-off' onClick='x'></i></div>",
             "<div><i class='fa fa-toggle-on'></i></div>", "Yes", "", "maybe"]
    values, bad = parse_toggle(pd.Series(cells, dtype="string"))
    assert values.tolist()[:3] == [False, True, True]
    assert values.isna().tolist()[3:] == [True, True]
    assert bad.tolist() == [False, False, False, False, True]


def _erp_format(value: float, style: str) -> str:
    """How eFab prints a number: thousands separators, money, parentheses for negatives."""
    text = f"{abs(value):,.2f}"
    if style == "money":
        text = f"${text}"
    if value < 0:
        return f"({text})" if style == "paren" else f"-{text}"
    return f" {text} " if style == "money" else text


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 2)),
       st.sampled_from(["plain", "money", "paren"]))
def test_formatted_numbers_round_trip(value, style):
    parsed, bad = parse_numbers(pd.Series([_erp_format(value, style)], dtype="string"))
    assert not bad.iloc[0]
    assert parsed.iloc[0] == value


@given(st.text(max_size=20))
def test_numbers_never_raise_and_flag_what_they_cannot_read(text):
    parsed, bad = parse_numbers(pd.Series([text], dtype="string"))
    assert bool(bad.iloc[0]) == (text.strip() != "" and np.isnan(parsed.iloc[0]))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2068, 12, 31)),
       st.sampled_from(["{d.month}/{d.day}/{d.year}", "{d:%m-%d-%y}", "{d:%Y-%m-%d}", "{d:%Y-%m-%d} 13:45:00"]))
def test_dates_round_trip(day, pattern):
    parsed, bad = parse_dates(pd.Series([pattern.format(d=day)], dtype="string"))
    assert not bad.iloc[0]
    assert parsed.iloc[0].date() == day
