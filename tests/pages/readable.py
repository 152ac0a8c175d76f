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


CODE_NAMES = (  # what a code identifier or an engineer's shorthand looks like on screen
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), "a snake_case name"),
    (re.compile(r"\b[a-z_]{2,}\.[a-z_]{2,}\b"), "a dotted code name"),
    (re.compile(r"\bpage:"), "an operation name"),
    (re.compile(r"\b(?:p50|p95|p99|RSS|SLO|GC|None|NaN|freshness|streamlit)\b"), "an engineer's word"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "an ISO date (write 2 Sep 2025)"),
)


def shown_texts(at, *, data_columns: tuple[str, ...] = ("File", "Message")) -> list[str]:
    """Every text of the page run a reader sees: headings, text, alerts, metrics (with their help), widget and
    section labels, table headers and cells (except columns that quote the data, ``data_columns``)."""
    texts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "success",
                                  "info", "error") for e in getattr(at, kind)]
    texts += [t for m in at.metric for t in (m.label, m.value, m.proto.help)]
    texts += [e.label for kind in ("button", "expander", "tabs", "toggle", "text_input") for e in getattr(at, kind)]
    for df in at.dataframe:
        frame = df.value
        texts += [str(c) for c in frame.columns]
        for column in frame.columns:
            if column not in data_columns and (frame[column].dtype == object
                                               or isinstance(frame[column].dtype, pd.StringDtype)):
                texts += frame[column].dropna().astype(str).tolist()
    return [str(t) for t in texts if t]


def assert_plain_words(at, **kwargs) -> None:
    """No code identifier, engineer's shorthand or ISO date in any text the page run shows (``shown_texts``)."""
    problems = [f"{why}: {m.group(0)!r} in {text[:80]!r}" for text in shown_texts(at, **kwargs)
                for pattern, why in CODE_NAMES for m in [pattern.search(text)] if m]
    assert problems == [], problems
