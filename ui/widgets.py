"""Streamlit widgets shared by pages: headline figures, plain tables, download buttons for a table, lazy expanders
and tabs."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st

from ui.format import csv_bytes, xlsx_bytes


class Figure(NamedTuple):
    """One headline figure: its label, its value as shown, what it means (on hover) and a small line under it."""

    label: str
    value: object
    help: str | None = None
    note: str | None = None


def figures(items: Sequence[Figure], *, per_row: int | None = None) -> None:
    """Headline figures side by side, ``per_row`` at most (all on one row by default; fewer on a narrow screen),
    each a label over a large value, its help on hover (marked ?): one HTML element for the whole row.

    Not ``st.metric``: each metric is a React component with its own Markdown label and tooltip, and a page switch
    pays for mounting them in the browser — 15 metrics cost 0.03–0.04 s a switch, one row of HTML nothing
    measurable (same run, a bare 3-page app beside them)."""
    if not items:
        return
    n = per_row or len(items)
    cells = []
    for item in items:
        tip = f' title="{html.escape(item.help)}"' if item.help else ""
        mark = ('<span aria-hidden="true" style="display:inline-block;margin-left:.3rem;width:1rem;height:1rem;'
                'border:1px solid currentColor;border-radius:50%;font-size:.7rem;line-height:.9rem;text-align:center;'
                'opacity:.55;vertical-align:.1rem">?</span>' if item.help else "")
        note = (f'<div class="bk-figure-note" style="font-size:.875rem;opacity:.65">{html.escape(item.note)}</div>'
                if item.note else "")
        # a card is a column whose label grows: the values of a row line up when a label wraps
        cells.append(f'<div class="bk-figure"{tip} style="display:flex;flex-direction:column">'
                     '<div style="flex:1;font-size:.875rem;margin-bottom:.25rem">'
                     f'<span class="bk-figure-label">{html.escape(item.label)}</span>{mark}</div>'
                     f'<div class="bk-figure-value" style="font-size:2.25rem;line-height:1.2">'
                     f'{html.escape(str(item.value))}</div>{note}</div>')
    # at most n to a row, and no narrower than 9rem: wraps on a phone like st.columns
    grid = f"repeat(auto-fill,minmax(max(9rem,calc((100% - {n - 1}rem) / {n})),1fr))"
    _draw(f'<div class="bk-figures" style="display:grid;grid-template-columns:{grid};gap:1rem">'
          + "".join(cells) + "</div>")


_CELL_STYLE = "padding:.3rem .6rem;border-bottom:1px solid rgba(128,128,128,.2);vertical-align:top"


class Column(NamedTuple):
    """One column of a plain table: its header, what it means (on hover) and whether it holds numbers."""

    label: str
    help: str | None = None
    numeric: bool = False


def plain_table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """A short read-only table as one HTML element: a header row, then the rows' cells as given (text, already
    formatted), numbers right-aligned. Not ``st.dataframe``: a data grid is a canvas component whose mounting and
    teardown cost a page switch 0.02–0.05 s each (bench VM); a few rows need no sorting or scrolling."""
    styles = [f"{_CELL_STYLE};text-align:{'right' if column.numeric else 'left'}" for column in columns]
    head = []
    for column, style in zip(columns, styles, strict=True):  # a header with help: dotted, the help on hover
        tip = f' title="{html.escape(column.help)}"' if column.help else ""
        dotted = "text-decoration:underline dotted;" if column.help else ""
        head.append(f'<th{tip} style="{dotted}{style}">{html.escape(column.label)}</th>')
    body = ["<tr>" + "".join(f'<td style="{style}">{html.escape(text)}</td>'
                             for style, text in zip(styles, row, strict=True)) + "</tr>" for row in rows]
    _draw('<div style="overflow-x:auto"><table class="bk-table" style="width:100%;border-collapse:collapse;'
          'font-size:.875rem;font-variant-numeric:tabular-nums"><thead><tr>' + "".join(head)
          + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")


def _draw(markup: str) -> None:
    """The app's one HTML call: markup built in this module, every text in it escaped (Streamlit sanitises too)."""
    st.html(markup)


def downloads(frame: pd.DataFrame, name: str, *, key: str | None = None) -> None:
    """CSV and XLSX download buttons for one table (formula-looking cells neutralised)."""
    key = key or name
    left, right = st.columns(2)
    # callables: the files are built only when clicked, not on every rerun
    left.download_button("Download CSV", lambda: csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                         key=f"{key}-csv", on_click="ignore", width="stretch")
    right.download_button("Download XLSX", lambda: xlsx_bytes(frame, name), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}-xlsx", on_click="ignore", width="stretch")


def lazy_expander(label: str, *, key: str, expanded: bool = False):
    """An expander whose body runs only while it is open (Streamlit's stateful expander): the container to
    write into, or None while it is closed. A closed expander costs a rerun nothing but its label."""
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    return box if box.open else None


def lazy_tabs(bodies: dict[str, Callable[[], None]], *, key: str, default: str | None = None) -> None:
    """Tabs (label → the function that fills it) of which only the open one runs on a rerun (Streamlit's
    stateful tabs); ``st.session_state[key]`` holds the open tab's label."""
    tabs = st.tabs(list(bodies), key=key, on_change="rerun", default=default)
    for tab, body in zip(tabs, bodies.values(), strict=True):
        if tab.open:
            with tab:
                body()
