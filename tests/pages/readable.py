"""What every page must look like to a planner (used by the page AppTests): readable tables, no internals (export
kind codes, snapshot ids, code identifiers), one date format, blanks for missing values."""

from __future__ import annotations

import re

import pandas as pd

from bk.ingest.schema import KINDS
from tests.pages.conftest import figures, tables

SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
SNAKE_WORD = re.compile(r"(?<![\w.\-/])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.\-/])")  # balance_changed, demand_cv
FILE_NAME = re.compile(r"[^\s;,:'\"]+(?: \(\d+\))?\.(?:csv|xlsx|xls|json)\b", re.IGNORECASE)  # an export's own name may have _
SNAPSHOT_ID = re.compile(r"\b\d{4}-\d{2}-\d{2}_[0-9a-f]{6,}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SLASH_DATE = re.compile(r"\b\d{4} ?/ ?\d{2} ?/ ?\d{2}\b")
PADDED_DAY = re.compile(r"(?<![\d,.])0\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")  # '02 Sep'
WEEKDAY_DATE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}")  # 'Tue 02 Sep 2025'
MISSING = re.compile(r"(?<![\w'])(?:None|nan|NaN|NaT|<NA>)(?![\w'])")
CODE_CALL = re.compile(r"\b[A-Za-z]\w*\.\w+\(|\b[A-Z]\w+\.[a-z_]+\b")  # NormalDist.inv_cdf, yarn.plan(
# text a page shows in its own words (Streamlit's own widgets, e.g. the data grid, are not checked here)


def text_problems(text: str, where: str) -> list[str]:
    """Internals and mixed formats in one piece of page text."""
    text = FILE_NAME.sub("", str(text))
    problems = []
    for pattern, what in ((SNAPSHOT_ID, "a snapshot id"), (ISO_DATE, "an ISO date"), (SLASH_DATE, "a y/m/d date"),
                          (PADDED_DAY, "a zero-padded day"), (WEEKDAY_DATE, "a date with its weekday"),
                          (MISSING, "a missing value as text"), (CODE_CALL, "a code identifier"),
                          (SNAKE_WORD, "a code name")):
        found = pattern.search(text)
        if found:
            problems.append(f"{what} in {where}: {found.group(0)!r} in {text[:80]!r}")
    return problems


def unreadable(frame: pd.DataFrame) -> list[str]:
    """Problems of one shown table: snake_case headers, JSON text in a cell, times at midnight, code values
    (an export kind, a change code), snapshot ids, ISO dates and 'None' / 'nan' in text cells."""
    problems = [f"snake_case header {c!r}" for c in frame.columns if SNAKE.match(str(c))]
    for column in frame.columns:
        s = frame[column]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            values = s.dropna()
            text = values[values.map(lambda v: isinstance(v, str))].astype(str).str.strip()  # dates are dates
            json_like = text[text.str.match(r"^[\[{].*[\]}]$")]
            if len(json_like):
                problems.append(f"JSON text in {column!r}: {json_like.iloc[0][:60]!r}")
            codes = text[text.isin(list(KINDS)) | text.str.fullmatch(SNAKE.pattern)]
            if len(codes):
                problems.append(f"a code as a value in {column!r}: {codes.iloc[0]!r}")
            for value in text.drop_duplicates().head(400):  # the first distinct values: enough to catch a habit
                problems += [p for p in text_problems(value, f"column {column!r}") if "code name" not in p]
                if len(problems) > 20:
                    return problems
    if "00:00:00" in frame.to_string():
        problems.append("a time 00:00:00 on screen")
    return problems


def page_text(at) -> list[tuple[str, str]]:
    """(where, text) of every piece of text the page writes in its own words."""
    out: list[tuple[str, str]] = []
    for name in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [(name, e.value) for e in getattr(at, name)]
    for m in figures(at):
        out += [("figure label", m.label), ("figure value", str(m.value))]
    for e in at.expander:
        out.append(("expander", e.label))
    for box in at.selectbox:  # the options as shown (formatted)
        out += [("selectbox option", str(o)) for o in box.options[:50]]
    return out


def assert_readable(at) -> None:
    """Every table of the page run is readable, nothing is shown as JSON, and the page's own text carries no
    internals and one date format."""
    problems = [p for frame in tables(at) for p in unreadable(frame)]
    problems += [p for where, text in page_text(at) for p in text_problems(text, where)]
    assert problems == [], problems
    assert len(at.json) == 0, "st.json on the page: show a small table instead"


def table_with(at, *columns: str) -> pd.DataFrame:
    """The shown table that has all these column labels."""
    for frame in tables(at):
        if set(columns) <= set(frame.columns):
            return frame
    raise AssertionError(f"no table with {columns}: {[list(frame.columns)[:5] for frame in tables(at)]}")


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
    texts += [t for m in figures(at) for t in (m.label, m.value, m.help)]
    texts += [e.label for kind in ("button", "expander", "tabs", "toggle", "text_input") for e in getattr(at, kind)]
    for frame in tables(at):
        texts += [str(c) for c in frame.columns] + list(frame.attrs.get("help", {}).values())
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
