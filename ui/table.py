"""show_table: the one way a page shows a table (labels, formats, order, pins, search, safe downloads)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import streamlit as st

from ui.format import column_texts, display_frame, facts_table
from ui.widgets import Column, downloads, plain_table

SEARCH_FROM_ROWS = 25  # tables longer than this get a search box
ROW_HEIGHT_PX = 35
# longer tables are sent a page at a time as the planner scrolls (st.dataframe lazy=True; Streamlit sends up to
# 1,000 rows at once anyway): the real aged rolls (4,788 rows, 805 KB) were sent whole on every rerun. A lazy
# table has no toolbar search or CSV: the search box above it (and its download buttons) serve instead.
LAZY_FROM_ROWS = 1000
# a table of at most this many rows, without downloads or a search box, is drawn as plain HTML (ui.widgets.plain_table):
# nothing to sort or scroll, and no data grid to mount and tear down on every visit of its page
PLAIN_UP_TO_ROWS = 12


def search_rows(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows where any text or id cell contains every word of ``query`` (case-insensitive)."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return frame
    text = frame.astype("string").fillna("").agg(" ".join, axis=1).str.lower()
    hit = pd.Series(True, index=frame.index)
    for word in words:
        hit &= text.str.contains(word, regex=False)
    return frame[hit]


class Shown(NamedTuple):
    table: pa.Table  # what st.dataframe sends
    config: dict  # its column_config
    index: pd.Index  # the frame's index labels in the order shown (the spec may sort the rows)


_FORMS: dict[tuple[int, str | None, str], tuple[weakref.ref, object]] = {}


def _per_frame(frame: pd.DataFrame, table: str | None, kind: str, build: Callable[[], object]):
    """``build()`` once per frame *object* and form kind: a service result is one shared, read-only object
    (ui.services), so every rerun and session that shows it reuses the form; frames a page derives on each run are
    new objects and are built anew. An entry leaves with its frame (weak reference), so a recycled id never finds
    another frame's form."""
    key = (id(frame), table, kind)
    hit = _FORMS.get(key)  # single dict operations: atomic under the GIL, and safe in a GC callback (no lock)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    form = build()

    def forget(ref, key=key):  # runs as the frame dies, before its id can be reused
        if _FORMS.get(key, (None,))[0] is ref:
            _FORMS.pop(key, None)

    _FORMS[key] = (weakref.ref(frame, forget), form)
    return form


def shown_form(frame: pd.DataFrame, table: str | None) -> Shown:
    """``display_frame`` of ``frame`` as an Arrow table, its column config and row order (built once per frame)."""
    def build() -> Shown:
        shown, config = display_frame(frame, table)
        return Shown(pa.Table.from_pandas(shown, preserve_index=False), config, shown.index)
    return _per_frame(frame, table, "grid", build)


def plain_form(frame: pd.DataFrame, table: str | None) -> tuple[list[Column], list[list[str]]]:
    """``display_frame`` of ``frame`` as a plain table's columns and rows of text (built once per frame)."""
    def build():
        shown, config = display_frame(frame, table)

        def numeric(label) -> bool:  # right-aligned: numbers, and counts a table labels as text
            values = shown[label]
            return (config[label]["type_config"]["type"] in ("number", "progress")
                    or (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)))
        columns = [Column(str(label).strip(), config[label].get("help"), numeric(label)) for label in shown.columns]
        cells = [column_texts(shown[label], config[label]) for label in shown.columns]
        return columns, [list(row) for row in zip(*cells, strict=True)] if cells else []
    return _per_frame(frame, table, "plain", build)


def table_height(rows: int, max_height_px: int = 420) -> int:
    """Pixels for a table of ``rows`` rows: every row and the header, at most ``max_height_px`` (then it scrolls)."""
    return min(max_height_px, ROW_HEIGHT_PX * (rows + 1) + 3)


def show_table(frame: pd.DataFrame, table: str | None = None, *, key: str, download: str | None = None,
               search: bool | None = None, max_height_px: int = 420, caption: str | None = None) -> pd.DataFrame:
    """Show ``frame`` as the planner reads it (see ``ui.format.display_frame`` and ``TABLES[table]``).

    At most ``PLAIN_UP_TO_ROWS`` rows without a download or search are a plain table; longer ones a data grid.
    ``key`` names the widgets; ``download`` adds CSV/XLSX buttons of the rows shown, with snake_case names;
    ``search`` (default: long tables) adds a box that keeps the rows containing every typed word.
    Returns the rows shown, in service columns.
    """
    if len(frame) <= PLAIN_UP_TO_ROWS and not download and not search:
        if caption:
            st.caption(caption)
        plain_table(*plain_form(frame, table))
        return frame
    rows = frame
    if search if search is not None else len(frame) > SEARCH_FROM_ROWS:
        query = st.text_input("Search", key=f"{key}-search", placeholder="any id, name, supplier, colour…",
                              label_visibility="collapsed")
        rows = search_rows(frame, query)
        st.caption(f"{len(rows):,} of {len(frame):,} rows" + (f" — {caption}" if caption else ""))
    elif caption:
        st.caption(caption)
    shown = shown_form(rows, table)
    st.dataframe(shown.table, hide_index=True, width="stretch", column_config=shown.config, key=key,
                 height=table_height(shown.table.num_rows, max_height_px), placeholder="",
                 lazy=shown.table.num_rows > LAZY_FROM_ROWS)
    if download:
        downloads(rows, download, key=key)
    return rows


def show_facts(facts: Mapping, *, key: str, key_label: str = "Assumption", value_label: str = "Value") -> None:
    """A dict (assumptions, causes) as a small table, never JSON."""
    st.dataframe(facts_table(facts, key_label=key_label, value_label=value_label), hide_index=True,
                 width="stretch", key=key, placeholder="")


def pick_row(frame: pd.DataFrame, table: str, key: str, page: str, param: str, column: str) -> None:
    """A table (labelled by ``TABLES[table]``) whose selected row opens ``page`` with ``?param=<value of column>``."""
    shown = shown_form(frame, table)
    event = st.dataframe(shown.table, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="single-row", column_config=shown.config, placeholder="",
                         height=table_height(shown.table.num_rows))
    rows = event.selection.rows if event is not None else []
    if rows:  # the shown rows keep the frame's index (the spec may sort them)
        st.switch_page(page, query_params={param: str(frame.loc[shown.index[rows[0]], column])})
