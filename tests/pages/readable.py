"""What every page's tables must look like to a planner (used by the page AppTests)."""

from __future__ import annotations

import re

import pandas as pd

SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def unreadable(frame: pd.DataFrame) -> list[str]:
    """Problems of one shown table: snake_case headers, JSON text in a cell, times at midnight."""
    problems = [f"snake_case header {c!r}" for c in frame.columns if SNAKE.match(str(c))]
    for column in frame.columns:
        s = frame[column]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            text = s.dropna().astype(str).str.strip()
            json_like = text[text.str.match(r"^[\[{].*[\]}]$")]
            if len(json_like):
                problems.append(f"JSON text in {column!r}: {json_like.iloc[0][:60]!r}")
    if "00:00:00" in frame.to_string():
        problems.append("a time 00:00:00 on screen")
    return problems


def assert_readable(at) -> None:
    """Every table of the page run is readable, and nothing is shown as JSON."""
    problems = [p for df in at.dataframe for p in unreadable(df.value)]
    assert problems == [], problems
    assert len(at.json) == 0, "st.json on the page: show a small table instead"


def table_with(at, *columns: str) -> pd.DataFrame:
    """The shown table that has all these column labels."""
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with {columns}: {[list(df.value.columns)[:5] for df in at.dataframe]}")
