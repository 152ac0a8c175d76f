"""SharedFigure: st.plotly_chart's path (to_dict, then plotly.io.to_json) gives the same spec as the plain figure,
on every rerun, without building the dict again."""

import json

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io

from ui.services import SharedFigure, shared_figure


def chart() -> go.Figure:
    frame = pd.DataFrame({"stage": ["G00", "G02", "F01"] * 2, "lbs": np.array([1.5, 2.0, 3.25, 4.0, 0.5, 6.0]),
                          "age": ["0-30 d"] * 3 + [">365 d"] * 3})
    return px.bar(frame, x="stage", y="lbs", color="age")


def streamlit_spec(fig) -> dict:
    # what st.plotly_chart sends for a figure (streamlit/elements/plotly_chart.py), parsed: key order aside
    return json.loads(plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True),
                                        validate=False))


def test_the_spec_is_the_plain_figures_on_every_rerun():
    plain = streamlit_spec(chart())
    assert plain["data"][0]["type"] == "bar" and len(plain["data"]) == 2
    shared = shared_figure(chart())
    assert isinstance(shared, SharedFigure)
    assert [streamlit_spec(shared) for _ in range(3)] == [plain] * 3


def test_the_dict_is_built_once():
    shared = shared_figure(chart())
    assert shared.to_dict() is shared.to_dict()
    assert shared_figure(shared) is shared
