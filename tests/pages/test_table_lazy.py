"""Long tables are sent a page at a time (st.dataframe lazy=True), short ones whole, as before."""

from types import SimpleNamespace

import pandas as pd

from ui import table


def shown_calls(monkeypatch, rows: int) -> dict:
    calls = {}
    fake = SimpleNamespace(text_input=lambda *a, **k: "", caption=lambda *a, **k: None,
                           dataframe=lambda data, **kwargs: calls.update(kwargs, rows=data.num_rows))
    monkeypatch.setattr(table, "st", fake)
    table.show_table(pd.DataFrame({"yarn_id": range(rows), "lbs": [1.5] * rows}), key="t")
    return calls


def test_a_table_over_the_threshold_is_lazy(monkeypatch):
    calls = shown_calls(monkeypatch, table.LAZY_FROM_ROWS + 1)
    assert calls["lazy"] is True
    assert calls["rows"] == 1001


def test_a_table_at_the_threshold_is_sent_whole(monkeypatch):
    calls = shown_calls(monkeypatch, table.LAZY_FROM_ROWS)
    assert calls["lazy"] is False
