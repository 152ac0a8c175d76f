"""Charts: a frame and a Vega-Lite spec, built once per snapshot (``services.derived``) and drawn by
``st.vega_lite_chart``.

Why Vega-Lite and not Plotly: a browser tab loads the chart library of the first chart it meets. Plotly's is
4.7 MB of JavaScript; compiling it held the first page with a chart 0.9–1.5 s in Chromium (the click's rerun
request left the browser only after it), on every new tab. Streamlit's Vega-Lite is 0.8 MB; on later switches the
two draw alike (interleaved A/B). Vega draws text as text (SVG/canvas), never as HTML, so data text needs no
escaping here.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

# drag to pan, wheel to zoom, double-click to reset: on charts whose x and y are both continuous
ZOOM = {"name": "zoom", "select": "interval", "bind": "scales"}
LBS = ",.0f"  # 12,345
USD = "$,.0f"  # $12,345


class Chart(NamedTuple):
    """The rows a chart draws and its Vega-Lite spec (without data: the rows are sent beside it). Every spec
    has a ``description``: what a screen reader says of the chart, and how tests find it."""

    data: pd.DataFrame
    spec: dict


def colours(mapping: dict[str, str]) -> dict:
    """A colour scale with these names in this order (the legend's), each its colour."""
    return {"scale": {"domain": list(mapping), "range": list(mapping.values())}}


def keep(field: str, *values: object) -> list[dict]:
    """A layer's transform: only the rows whose ``field`` is one of ``values``."""
    return [{"filter": {"field": field, "oneOf": list(values)}}]


def show(chart: Chart, *, key: str | None = None, where=None) -> None:
    """Draw ``chart`` the width of its container (``where``: a column or container; the page's main area by
    default)."""
    (where or st).vega_lite_chart(chart.data, chart.spec, width="stretch", key=key)
