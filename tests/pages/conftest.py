"""AppTest helpers: every page runs against a temporary snapshot store, never the project's data/snapshots."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60  # statsmodels imports and the first snapshot load take a few seconds on 2 cores


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    return tmp_path / "snapshots"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / name), default_timeout=TIMEOUT_S)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def open_expanders(at: AppTest, *starts: str) -> AppTest:
    """Open the page's lazy expanders (their body runs only while open) whose label starts with one of
    ``starts`` (every one when none given), as a click would, and rerun."""
    for e in at.expander:
        if not starts or e.label.startswith(starts):
            at.session_state[e.proto.id.split("-", 2)[2]] = True  # '$$ID-<hash>-<key>'
    return at.run()


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Select the tab ``label`` of the lazy tabs ``key`` (only the selected tab's body runs), and rerun."""
    at.session_state[key] = label
    return at.run()


class Shown(NamedTuple):
    """A headline figure as the page shows it (``ui.widgets.figures``, or an ``st.metric``)."""

    label: str
    value: str
    help: str
    note: str


class _Figures(HTMLParser):
    """The figures of one ``st.html`` body: text of the elements classed bk-figure-label / -value / -note, the
    help from the figure's title."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self.into: list[str | None] = []  # per open element: the part its text belongs to

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "bk-figure" in classes:
            self.found.append({"label": "", "value": "", "help": attrs.get("title") or "", "note": ""})
        part = next((c.removeprefix("bk-figure-") for c in classes if c in ("bk-figure-label", "bk-figure-value",
                                                                           "bk-figure-note")), None)
        self.into.append(part or (self.into[-1] if self.into else None))

    def handle_endtag(self, tag):
        self.into.pop()

    def handle_data(self, data):
        if self.found and self.into and self.into[-1]:
            self.found[-1][self.into[-1]] += data


class _Tables(HTMLParser):
    """The plain tables (``ui.widgets.plain_table``) of one ``st.html`` body: header texts, then rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "bk-table" in (dict(attrs).get("class") or "").split():
            self.found.append({"rows": [], "help": {}})
        elif self.found and tag == "tr":
            self.found[-1]["rows"].append([])
        elif self.found and tag in ("th", "td"):
            self.cell = []
            if tag == "th" and dict(attrs).get("title"):
                self.found[-1]["help"][len(self.found[-1]["rows"][-1])] = dict(attrs)["title"]

    def handle_endtag(self, tag):
        if self.found and tag in ("th", "td") and self.cell is not None:
            self.found[-1]["rows"][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def plain_tables(at: AppTest) -> list[pd.DataFrame]:
    """Every plain table of the page run as a frame of the texts shown (header row as columns); ``attrs['help']``
    maps a column to its help."""
    out = []
    for element in at.html:
        parser = _Tables()
        parser.feed(element.value)
        for found in parser.found:
            header, *rows = found["rows"]
            frame = pd.DataFrame(rows, columns=header, dtype=object)
            frame.attrs["help"] = {header[i]: text for i, text in found["help"].items()}
            out.append(frame)
    return out


def as_numbers(column: pd.Series) -> pd.Series:
    """A column of shown numbers as floats ('$1,234' → 1234.0, '40%' → 40.0, blank → NaN); numbers stay
    numbers."""
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    text = column.astype("string").str.replace(r"[$,%\s]", "", regex=True)
    return pd.to_numeric(text.replace("", pd.NA), errors="raise").astype(float)


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Every table of the page run: the data grids' frames, then the plain tables' (texts as shown)."""
    return [df.value for df in at.dataframe] + plain_tables(at)


def figures(at: AppTest) -> list[Shown]:
    """Every headline figure of the page run, in page order of kind: the figure rows, then any st.metric."""
    out = []
    for element in at.html:
        parser = _Figures()
        parser.feed(element.value)
        out += [Shown(**f) for f in parser.found]
    return out + [Shown(m.label, m.value, m.proto.help, "") for m in at.metric]


class Drawn(NamedTuple):
    """One chart of a page run: its description (what a screen reader says), its Vega-Lite spec and its rows."""

    description: str
    spec: dict
    data: pd.DataFrame


def charts(at: AppTest) -> list[Drawn]:
    """Every chart of the page run, in page order (``st.vega_lite_chart``: the spec as JSON, the rows as Arrow)."""
    out = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        rows = pa.ipc.open_stream(element.proto.data.data).read_pandas() if element.proto.data.data else pd.DataFrame()
        out.append(Drawn(spec.get("description", ""), spec, rows))
    return out


def chart(at: AppTest, words: str) -> Drawn | None:
    """The chart whose description holds ``words`` (None when the page drew none)."""
    return next((c for c in charts(at) if words in c.description), None)
