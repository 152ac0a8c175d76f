"""Security settings and habits: XSRF on, upload limit, no HTML from exports (escaped figure rows and plain tables
only), no pickles, safe downloads."""

from __future__ import annotations

import re
import tomllib

import pandas as pd

from tests.conftest import ROOT
from ui.format import csv_bytes, neutralise_formulas


def test_streamlit_config_keeps_xsrf_and_limits_uploads():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert 1 <= config["server"]["maxUploadSize"] <= 200
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] == "viewer"


def test_html_is_drawn_in_one_place_and_no_cache_is_persisted_as_pickle():
    sources = [p for p in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]]
    drawn = []
    for path in sources:
        text = path.read_text()
        assert "unsafe_allow_html" not in text and "components.html" not in text, path
        drawn += [path.relative_to(ROOT).as_posix()] * text.count("st.html(")
        assert not re.search(r"cache_data\([^)]*persist", text), path
    # the headline figures and plain tables only, every text in them escaped (test_html_in_data, test_format)
    assert drawn == ["ui/widgets.py"]
    kernel = "\n".join(p.read_text() for p in (ROOT / "bk").rglob("*.py"))
    assert "pickle.load" not in kernel and "pd.read_pickle" not in kernel


def test_downloads_neutralise_formula_injection():
    frame = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+cmd", "-2", "@SUM(A1)", "plain", "-x"],
                          "n": [1, 2, 3, 4, 5, 6]})
    safe = neutralise_formulas(frame)
    assert safe["text"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+cmd", "-2", "'@SUM(A1)", "plain", "'-x"]
    assert safe["n"].tolist() == [1, 2, 3, 4, 5, 6]
    assert b"'=HYPERLINK" in csv_bytes(frame)
    assert frame["text"].iloc[0].startswith("=")  # the input is not changed


def test_export_text_with_html_is_stored_as_plain_text(real_snapshot):
    kos = real_snapshot.frames["knit_orders"]
    assert not kos["knit_order"].astype("string").str.contains("<", regex=False).any()
    assert real_snapshot.frames["sales_orders"]["on_hold"].dtype == "boolean"
