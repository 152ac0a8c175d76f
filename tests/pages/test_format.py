"""The display vocabulary (ui/format.py), show_table (ui/table.py) and the one snapshot name (ui/state.py)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.readable import text_problems, unreadable
from ui.format import (
    LABELS,
    bucket_labels,
    column_label,
    column_texts,
    display_frame,
    facts_table,
    fmt_lbs,
    fmt_usd,
    printf,
    screen_text,
)
from ui.state import DEMO_ID, DEMO_LABEL, snapshot_label
from ui.table import search_rows

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def test_every_vocabulary_label_is_human():
    assert [c for c, (label, _) in LABELS.items() if SNAKE.match(label) or "_" in label] == []


@pytest.mark.parametrize("column, expected", [
    ("shortage_lbs", ("Shortage (lbs)", "lbs")),
    ("order_cost_usd", ("Order cost ($)", "usd")),
    ("lead_time_days", ("Lead time (days)", "days")),
    ("moq_lbs", ("Minimum order (lbs)", "lbs")),
    ("demand_week_of_2025-09-01", ("Demand wk of 1 Sep 2025 (lbs)", "lbs")),
    ("week_of_2025-08-25", ("Wk of 25 Aug 2025 (lbs)", "lbs")),
    ("efab_week_of_2025-10-20", ("eFab wk of 20 Oct 2025 (lbs)", "lbs")),
    ("week_2025_36_lbs", ("ISO week 2025-36 (lbs)", "lbs")),
    ("something_new_yds", ("Something new (yds)", "yds")),
    ("brand_new_flag", ("Brand new flag", "text")),
    ("C1B4014-1", ("C1B4014-1", "text")),  # a style used as a column stays as it is
])
def test_column_labels(column, expected):
    assert column_label(column) == expected


def test_later_bucket_is_named_by_the_day_after_the_last_week():
    assert column_label("balance_later", last_week=pd.Timestamp("2025-10-20")) == ("Balance after 26 Oct 2025 (lbs)", "lbs")
    buckets = pd.DataFrame({"bucket": ["week_of_2025-08-25", "week_of_2025-09-01", "later"],
                            "bucket_start": pd.to_datetime(["2025-08-25", "2025-09-01", None])})
    assert bucket_labels(buckets) == {"week_of_2025-08-25": "wk of 25 Aug 2025",
                                      "week_of_2025-09-01": "wk of 1 Sep 2025", "later": "after 7 Sep 2025"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "note": ["ok", "=HYPERLINK(\"http://x\")", "-1", "@SUM(A1)"],
        "yarn_id": [19003, 10002, 14882, 18868],
        "shortage_lbs": [42857.92484, 0.4694, np.nan, 1234.5],
        "weeks_of_cover": [1.234, np.inf, 0.0, 52.08],
        "first_shortage_week": pd.to_datetime(["2025-09-08", None, "2025-08-25", "2024-03-15"]),
        "cumulative_share": [0.1, 0.5, 0.8652, 1.0],
        "abc_counts": [{"A": 1, "B": 2}, {}, {"C": 3}, {}],
    })


def test_display_frame_orders_labels_rounds_and_neutralises():
    frame = _frame()
    before = frame.copy()
    shown, config = display_frame(frame, "yarn_positions")
    pd.testing.assert_frame_equal(frame, before)  # input unchanged
    # decision columns first, in the table's order; the rest after, in their own order
    assert list(shown.columns) == ["Yarn", "First short week", "Below zero in eFab (lbs)", "Weeks of cover", "Note",
                                   "Cumulative share (%)", "Abc counts"]
    # sorted by shortage now, largest first (no horizon column in this frame), empty last
    assert list(shown["Yarn"]) == [19003, 18868, 10002, 14882]
    assert config["First short week"]["width"] == 112  # '28 Sep 2025' never cut
    assert list(shown["Below zero in eFab (lbs)"].iloc[:3]) == [42858.0, 1234.0, 0.0]  # lbs: no decimals
    assert list(shown["Weeks of cover"].iloc[[0, 1, 3]]) == [1.2, 52.1, 0.0]
    assert pd.isna(shown["Weeks of cover"].iloc[2])  # ∞ (no usage) shown empty, explained in the header help
    assert list(shown["Cumulative share (%)"]) == [10.0, 100.0, 50.0, 87.0]
    assert list(shown["Note"]) == ["ok", "'@SUM(A1)", "'=HYPERLINK(\"http://x\")", "-1"]
    assert list(shown["Abc counts"]) == ["A: 1, B: 2", "", "", "C: 3"]
    assert "00:00:00" not in shown.to_string()
    assert config["Yarn"]["pinned"] is True and config["Note"].get("pinned") is None
    assert config["First short week"]["type_config"]["format"] == "D MMM YYYY"
    assert config["Below zero in eFab (lbs)"]["type_config"]["format"] == "localized"


def test_facts_table_is_text_never_json():
    facts = facts_table({"service_level": 0.95, "z": 1.6449, "as_of": date(2025, 8, 28), "horizon_weeks": 9.0,
                         "abc_counts": {"A": 41, "B": 35, "C": 1123}, "notes": ["one", "two"],
                         "on_hand_value_usd": 4347275.2939, "identity_ok": True})
    assert facts.to_dict("records") == [
        {"Assumption": "Service level", "Value": "0.95"},
        {"Assumption": "z (safety factor)", "Value": "1.64"},
        {"Assumption": "As of", "Value": "28 Aug 2025"},
        {"Assumption": "Horizon weeks", "Value": "9"},
        {"Assumption": "Yarns by ABC class", "Value": "A: 41, B: 35, C: 1,123"},
        {"Assumption": "Notes", "Value": "one; two"},
        {"Assumption": "On hand value ($)", "Value": "4,347,275"},
        {"Assumption": "Identity ok", "Value": "yes"},
    ]


def test_single_figures():
    assert fmt_lbs(42857.92484) == "42,858 lbs"
    assert fmt_usd(633557.79) == "$633,558" and fmt_usd(-12.4) == "-$12"


def test_search_keeps_rows_with_every_word():
    frame = pd.DataFrame({"yarn_id": [18868, 19003, 12345], "description": ["1/150 Kevlar Black", "Nylon", "Kevlar"],
                          "supplier": ["DUPONT", "UNIFI", "UNIFI"]})
    assert list(search_rows(frame, "kevlar")["yarn_id"]) == [18868, 12345]
    assert list(search_rows(frame, "kevlar unifi")["yarn_id"]) == [12345]
    assert list(search_rows(frame, "1900")["yarn_id"]) == [19003]
    assert len(search_rows(frame, "  ")) == 3


def test_a_snapshot_is_named_by_its_date_never_its_id():
    assert snapshot_label("2025-08-28_5d9988ef49", date(2025, 8, 28)) == "28 Aug 2025"
    assert snapshot_label("2025-08-28_5d9988ef49", date(2025, 8, 28),
                          "2025-08-29T14:03:09+00:00") == "28 Aug 2025, saved 29 Aug 2025 14:03:09"
    assert "5d9988" not in snapshot_label("2025-08-28_5d9988ef49")
    assert snapshot_label(DEMO_ID, date(2025, 9, 11)) == "Demo data (synthetic) · 11 Sep 2025"
    assert snapshot_label("demo-2025-09-08", date(2025, 9, 8)) == "Demo data (synthetic) · 8 Sep 2025"
    assert snapshot_label(DEMO_ID) == DEMO_LABEL


def test_messages_on_screen_name_exports_by_title_without_their_kind_code():
    message = ("the yarn plan needs the Bill of materials (bom) export; no Expected yarn report (expected_yarn) or "
               "Yarn POs (yarn_po): lead times are the default (a note (kept))")
    assert screen_text(message) == ("the yarn plan needs the Bill of materials export; no Expected yarn report or "
                                     "Yarn POs: lead times are the default (a note (kept))")


def test_missing_values_and_json_dates_read_as_planners_write_them():
    assert facts_table({"as_of": "2025-08-28", "none": None, "nan": float("nan")})["Value"].tolist() == [
        "28 Aug 2025", "", ""]


@pytest.mark.parametrize("text, found", [
    ("Compared with 2025-08-28_5d9988ef49", "a snapshot id"), ("arrives 2025-09-01", "an ISO date"),
    ("2025 / 09 / 02", "a y/m/d date"), ("as of 02 Sep 2025", "a zero-padded day"),
    ("As of Tue 2 Sep 2025", "a date with its weekday"), ("cost None", "a missing value as text"),
    ("z = NormalDist.inv_cdf(0.95)", "a code identifier"), ("σ = demand_cv × usage", "a code name"),
    ("K1 balance_changed", "a code name")])
def test_the_readability_check_catches_internals_and_other_date_formats(text, found):
    assert any(p.startswith(found) for p in text_problems(text, "caption")), text_problems(text, "caption")


def test_the_readability_check_lets_plain_words_pass():
    for text in ("2 Sep 2025 compared with 28 Aug 2025", "wk of 1 Sep 2025", "file yarn_inventory (5).xlsx",
                 "K2508810 finished (1,000 lbs were open); stock on hand 2,031 → 31 lbs", "PO Y2403004 (Deca Global)"):
        assert text_problems(text, "caption") == [], text
    frame = pd.DataFrame({"Change": ["balance_changed"], "Export": ["expected_yarn"], "Note": ["fine words"]})
    assert [p.split(" in ")[1] for p in unreadable(frame)] == ["'Change': 'balance_changed'",
                                                              "'Export': 'expected_yarn'"]

def _grid_script():
    import pandas as pd

    from ui.table import show_table

    show_table(pd.DataFrame({"note": ["=cmd|' /C calc'!A0", "+1+1", "plain", "-3.5"], "shortage_lbs": [1.0, 2, 3, 4]}),
               key="grid", download="notes")  # a table with downloads is a grid however short


def test_show_table_neutralises_formulas_before_the_grid():
    """st.dataframe's own 'Download as CSV' exports the cells as shown: they must already be harmless."""
    at = AppTest.from_function(_grid_script, default_timeout=30).run()
    assert not at.exception
    grid = at.dataframe[0].value
    assert list(grid.columns) == ["Note", "Shortage (lbs)"]
    assert list(grid["Note"]) == ["'=cmd|' /C calc'!A0", "'+1+1", "plain", "-3.5"]


def test_findings_list_errors_first_then_warnings_then_notes():
    from types import SimpleNamespace as F

    from ui.format import findings_frame

    findings = [F(file="a.csv", row=3, column="x", severity="info", message="n1"),
                F(file="a.csv", row=None, column="y", severity="warning", message="w1"),
                F(file="b.csv", row=7, column="z", severity="error", message="e1"),
                F(file="b.csv", row=8, column="z", severity="info", message="n2")]
    assert list(findings_frame(findings)["message"]) == ["e1", "w1", "n1", "n2"]


def _short_and_long_script():
    import numpy as np
    import pandas as pd

    from ui.table import show_table

    show_table(pd.DataFrame({"yarn_id": [19004, 7], "description": ["<b>1/150 poly</b> & co", "=SUM(A1)"],
                             "shortage_lbs": [1234.4, np.nan], "cost_usd": [-5200.6, 12.0],
                             "due_date": pd.to_datetime(["2025-09-02", None]), "late": [True, False]}), key="short")
    show_table(pd.DataFrame({"yarn_id": range(13), "shortage_lbs": 1.5}), key="long")


def test_a_short_table_is_plain_text_as_the_grid_would_show_it_and_a_long_one_a_grid():
    from tests.pages.conftest import plain_tables

    at = AppTest.from_function(_short_and_long_script, default_timeout=30).run()
    assert not at.exception
    [short] = plain_tables(at)
    assert list(short.columns) == ["Yarn", "Description", "Shortage (lbs)", "Cost ($)", "Due date", "Late"]
    assert short.to_dict("records") == [
        {"Yarn": "19004", "Description": "<b>1/150 poly</b> & co", "Shortage (lbs)": "1,234", "Cost ($)": "$-5,201",
         "Due date": "2 Sep 2025", "Late": "✓"},
        {"Yarn": "7", "Description": "'=SUM(A1)", "Shortage (lbs)": "", "Cost ($)": "$12", "Due date": "",
         "Late": ""}]
    assert "<b>" not in at.html[0].value  # the text is escaped, never markup
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 13  # 13 rows: a grid, as before


@pytest.mark.parametrize("value, fmt, shown", [
    (12345.4, "$%,d", "$12,345"), (39.6, "%.0f%%", "40%"), (1.256, "%.2f", "1.26"), (7.0, "%d", "7"),
    (2.26, "%.1f", "2.3"), (0.5, "$%.2f", "$0.50")])
def test_printf_formats_a_number_as_the_grid_does(value, fmt, shown):
    assert printf(value, fmt) == shown


def test_localized_numbers_group_thousands_and_drop_trailing_zeros():
    config = {"type_config": {"type": "number", "format": "localized"}}
    assert column_texts(pd.Series([1234567.0, 2.5, -0.0001, np.nan]), config) == ["1,234,567", "2.5", "0", ""]
