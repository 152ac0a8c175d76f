"""Attack 6 (HTML and Markdown from data): entities are decoded once, so a double-escaped link stays text;
data text reaches charts as text (Vega draws no HTML); file names in error boxes are Markdown-escaped."""

from __future__ import annotations

from datetime import date

import pandas as pd
from streamlit.testing.v1 import AppTest

from bk.ingest.cleaning import strip_html
from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.pages.conftest import ROOT, TIMEOUT_S, chart, figures
from ui.format import plain

DOUBLE = "&amp;lt;a href=https://evil.example&amp;gt;ACME&amp;lt;/a&amp;gt;"


def test_entities_are_decoded_once():
    cleaned = strip_html(pd.Series([DOUBLE, "A&amp;B", "x&nbsp;y", "<b>bold</b> text", "&lt;i&gt;"]))
    assert cleaned.tolist() == ["&lt;a href=https://evil.example&gt;ACME&lt;/a&gt;", "A&B", "x y", "bold text",
                                "<i>"]


def test_markdown_in_names_is_escaped():
    assert plain("![pix](https:evil.example).csv: is empty") == \
        r"\!\[pix\]\(https\:evil\.example\)\.csv\: is empty"
    assert plain(":red[x] $x$ <img> **b** a_b") == r"\:red\[x\] \$x\$ \<img\> \*\*b\*\* a\_b"


def test_a_markdown_file_name_is_shown_as_text_in_the_error_box(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=TIMEOUT_S).run()
    at.file_uploader[0].set_value(("![pix](https:evil.example).csv", b"", "text/csv")).run()
    assert [e.value for e in at.error] == [r"\!\[pix\]\(https\:evil\.example\)\.csv\: is empty; export the "
                                           r"report again from eFab"]


def test_stock_value_chart_shows_a_double_escaped_supplier_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("BK_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    monkeypatch.setenv("BK_CACHE_DIR", str(tmp_path / "cache"))
    files = {p.name: p.read_bytes() for p in DEMO.iterdir()}
    files["yarn_inventory.csv"] = files["yarn_inventory.csv"].replace(b"KESTREL TEXTIL S.A.", DOUBLE.encode())
    SnapshotStore(tmp_path / "snapshots").save(list(files.items()), as_of=date(2025, 8, 28))
    at = AppTest.from_file(str(ROOT / "pages" / "inventory.py"), default_timeout=TIMEOUT_S)
    at.session_state["inv_tab"] = "By supplier / type / colour"  # the chart's tab (only the open tab runs)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    by_supplier = chart(at, "Stock value by supplier")
    # Vega draws labels as text (SVG text, never HTML): the name once decoded, as written in the export's text
    assert "&lt;a href=https://evil.example&gt;ACME&lt;/a&gt;" in by_supplier.data["supplier"].tolist()


def _figure_row():
    from ui.widgets import Figure, figures

    figures([Figure("<img src=x onerror=alert(1)>", "A&amp;B", 'say "hi" <b>'),
             Figure("Late KOs", 3, note="naive 40.0%"), Figure("Plain", "1 lbs")], per_row=2)


def test_a_figure_row_shows_data_text_as_text():
    at = AppTest.from_function(_figure_row, default_timeout=TIMEOUT_S).run()
    assert not at.exception and len(at.html) == 1  # one element for the row
    body = at.html[0].value
    assert "<img" not in body and "<b>" not in body  # escaped, never markup
    shown = figures(at)
    assert [(f.label, f.value, f.help, f.note) for f in shown] == [
        ("<img src=x onerror=alert(1)>", "A&amp;B", 'say "hi" <b>', ""),  # each read back as written
        ("Late KOs", "3", "", "naive 40.0%"), ("Plain", "1 lbs", "", "")]
    assert "calc((100% - 1rem) / 2)" in body  # two to a row at most


def _plain_table():
    from ui.widgets import Column, plain_table

    plain_table([Column("<img src=x onerror=alert(1)>", 'say "hi" <b>'), Column("Lbs", numeric=True)],
                [["A&amp;B <script>alert(1)</script>", "1,234"], ["plain", ""]])


def test_a_plain_table_shows_data_text_as_text():
    from tests.pages.conftest import plain_tables

    at = AppTest.from_function(_plain_table, default_timeout=TIMEOUT_S).run()
    assert not at.exception and len(at.html) == 1  # one element for the table
    body = at.html[0].value
    assert "<img" not in body and "<script" not in body and "<b>" not in body  # escaped, never markup
    [table] = plain_tables(at)
    assert list(table.columns) == ["<img src=x onerror=alert(1)>", "Lbs"]  # read back as written
    assert table.values.tolist() == [["A&amp;B <script>alert(1)</script>", "1,234"], ["plain", ""]]
    assert table.attrs["help"] == {"<img src=x onerror=alert(1)>": 'say "hi" <b>'}
    assert body.count("text-align:right") == 3  # the numeric column's header and cells
