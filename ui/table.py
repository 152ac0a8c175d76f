"""show_table: the one way a page shows a table (labels, formats, order, pins, search, safe downloads)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import streamlit as st

from ui.format import display_frame, facts_table
from ui.widgets import downloads

SEARCH_FROM_ROWS = 25  # tables longer than this get a search box
ROW_HEIGHT_PX = 35
# longer tables are sent a page at a time as the planner scrolls (st.dataframe lazy=True; Streamlit sends up to
# 1,000 rows at once anyway): the real aged rolls (4,788 rows, 805 KB) were sent whole on every rerun. A lazy
# table has no toolbar search or CSV: the search box above it (and its download buttons) serve instead.
LAZY_FROM_ROWS = 1000


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


_SHOWN: dict[tuple[int, str | None], tuple[weakref.ref, Shown]] = {}


def shown_form(frame: pd.DataFrame, table: str | None) -> Shown:
    """``display_frame`` of ``frame`` as an Arrow table, its column config and row order, built once per frame
    *object*: a service result is one shared, read-only object (ui.services), so every rerun and
    session that shows it reuses the form; frames a page derives on each run are new objects and are built anew.
    An entry leaves with its frame (weak reference), so a recycled id never finds another frame's form."""
    key = (id(frame), table)
    hit = _SHOWN.get(key)  # single dict operations: atomic under the GIL, and safe in a GC callback (no lock)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    shown, config = display_frame(frame, table)
    form = Shown(pa.Table.from_pandas(shown, preserve_index=False), config, shown.index)

    def forget(ref, key=key):  # runs as the frame dies, before its id can be reused
        if _SHOWN.get(key, (None,))[0] is ref:
            _SHOWN.pop(key, None)

    _SHOWN[key] = (weakref.ref(frame, forget), form)
    return form


def table_height(rows: int, max_height_px: int = 420) -> int:
    """Pixels for a table of ``rows`` rows: every row and the header, at most ``max_height_px`` (then it scrolls)."""
    return min(max_height_px, ROW_HEIGHT_PX * (rows + 1) + 3)


def show_table(frame: pd.DataFrame, table: str | None = None, *, key: str, download: str | None = None,
               search: bool | None = None, max_height_px: int = 420, caption: str | None = None) -> pd.DataFrame:
    """Show ``frame`` as the planner reads it (see ``ui.format.display_frame`` and ``TABLES[table]``).

    ``key`` names the widgets; ``download`` adds CSV/XLSX buttons of the rows shown, with snake_case names;
    ``search`` (default: long tables) adds a box that keeps the rows containing every typed word.
    Returns the rows shown, in service columns.
    """
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
