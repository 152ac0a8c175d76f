"""Streamlit widgets shared by pages: download buttons for a table, lazy expanders and tabs."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.format import csv_bytes, xlsx_bytes


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
