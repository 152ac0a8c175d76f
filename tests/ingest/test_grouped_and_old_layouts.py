"""P01's grouped report (one row per roll, group values carried down, stated totals checked) and the older
Yarn_Demand layout ('Inventory' for 'Monday Inventory'), as CSV and as XLSX with a title row."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bk.ingest import read_export

P01_HEADER = ["Customer", "Roll #", "Vendor Roll #", "Rack", "Qty (yds)", "Qty (lbs)", "Good Ea.", "Bad Ea.",
              "Received"]


def group(text: str) -> list[str]:
    return [text] + [""] * (len(P01_HEADER) - 1)


# spreadsheet rows 2.. (CSV: header on row 1); the last block states 50 yds but its roll has 55
P01_ROWS = [
    group("Style #: CF2007/0 (3 rolls, 300.0 yds, 120.0 lbs, 3 good, 0 bad)"),  # row 2
    group("SO #: S2508375 (2 rolls, 200.0 yds, 80.0 lbs, 2 good, 0 bad)"),  # 3
    group("Order #: D40508 (2 rolls, 200.0 yds, 80.0 lbs, 2 good, 0 bad)"),  # 4
    ["ACME", "004050801", "4050801", "302", "100.0", "40.0", "1", "0", "8/20/2025"],  # 5
    ["ACME", "004050802", "4050802", "302", "100.0", "40.0", "1", "0", "8/21/2025"],  # 6
    group("SO #: S2508202 (1 rolls, 100.0 yds, 40.0 lbs, 1 good, 0 bad)"),  # 7
    group("Order #: D40600 (1 rolls, 100.0 yds, 40.0 lbs, 1 good, 0 bad)"),  # 8
    ["ACME", "004060001", "4060001", "303", "100.0", "40.0", "1", "0", "8/22/2025"],  # 9
    group("Style #: BK5425/1 (1 rolls, 50.0 yds, 30.0 lbs, 1 good, 0 bad)"),  # 10
    group("SO #: S2508999 (1 rolls, 50.0 yds, 30.0 lbs, 1 good, 0 bad)"),  # 11
    group("Order #: D40700 (1 rolls, 50.0 yds, 30.0 lbs, 1 good, 0 bad)"),  # 12
    ["BETA", "004070001", "4070001", "101", "55.0", "30.0", "1", "0", "8/23/2025"],  # 13
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows).to_csv(buf, header=False, index=False)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def p01(fmt: str):
    if fmt == "csv":
        return read_export(csv_bytes([P01_HEADER, *P01_ROWS]), name="eFab_Inventory_P01.csv"), 0
    # a title row above the header shifts every spreadsheet row by one; numbers as real cells
    rows = [["eFab Inventory P01"], P01_HEADER, *[[float(c) if c.replace(".", "").isdigit() and "." in c else c
                                                  for c in r] for r in P01_ROWS]]
    return read_export(xlsx_bytes(rows), name="eFab_Inventory_P01.xlsx"), 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_p01_is_one_row_per_roll_with_the_groups_carried_down(fmt):
    e, _ = p01(fmt)
    assert e.kind == "stage_p01"
    assert e.rows == 4
    f = e.frame
    assert f["roll"].tolist() == ["004050801", "004050802", "004060001", "004070001"]
    assert f["finished_style"].tolist() == ["CF2007/0", "CF2007/0", "CF2007/0", "BK5425/1"]
    assert f["sales_order"].tolist() == ["S2508375", "S2508375", "S2508202", "S2508999"]
    assert f["dye_order"].tolist() == ["D40508", "D40508", "D40600", "D40700"]
    assert f["qty_yds"].tolist() == [100.0, 100.0, 100.0, 55.0]
    assert f["qty_lbs"].tolist() == [40.0, 40.0, 40.0, 30.0]
    assert f["received_date"].tolist() == [pd.Timestamp(2025, 8, d) for d in (20, 21, 22, 23)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_p01_group_totals_that_differ_from_their_rolls_are_findings_on_the_group_rows(fmt):
    e, shift = p01(fmt)
    off = [x for x in e.findings if "states" in x.message]
    # the BK5425/1 style, its SO and its order each state 50 yds over a 55 yds roll; nothing else is off
    assert [(x.row, x.severity) for x in off] == [(10 + shift, "warning"), (11 + shift, "warning"),
                                                  (12 + shift, "warning")]
    assert "BK5425/1" in off[0].message and "50" in off[0].message and "55" in off[0].message
    assert "S2508999" in off[1].message and "D40700" in off[2].message


def test_p01_roll_count_mismatch_is_a_finding():
    rows = [P01_HEADER, group("Style #: CF2007/0 (2 rolls, 100 yds, 40 lbs, 1 good, 0 bad)"),
            group("SO #: S1 (1 rolls, 100 yds, 40 lbs, 1 good, 0 bad)"),
            ["ACME", "1", "1", "302", "100", "40", "1", "0", "8/20/2025"]]
    e = read_export(csv_bytes(rows), name="p01.csv")
    off = [x for x in e.findings if "states" in x.message]
    assert len(off) == 1 and off[0].row == 2 and "2 rolls" in off[0].message and "add up to 1" in off[0].message


def test_p01_rolls_above_any_group_are_kept_and_flagged():
    rows = [P01_HEADER, ["ACME", "9", "9", "302", "10", "4", "1", "0", "8/20/2025"],
            group("Style #: CF2007/0 (1 rolls, 100 yds, 40 lbs, 1 good, 0 bad)"),
            ["ACME", "1", "1", "302", "100", "40", "1", "0", "8/20/2025"]]
    e = read_export(csv_bytes(rows), name="p01.csv")
    assert e.rows == 2
    assert e.frame["finished_style"].isna().tolist() == [True, False]
    assert any(x.severity == "warning" and "above any" in x.message and "row 2" in x.message for x in e.findings)
    assert not [x for x in e.findings if "states" in x.message]


def test_f01_layout_is_still_f01_not_p01():
    header = "Style #,Order #,Customer,Roll #,Vendor Roll #,Rack,Qty (yds),Qty (lbs),Good Ea.,Bad Ea.,Received\n"
    e = read_export((header + "BK8322/0,D40508,CFAB,004050801,4050801,302,57.9,22.4,0,0,4/7/2020\n").encode(),
                    name="f01.csv")
    assert e.kind == "stage_f01" and e.rows == 1


DEMAND_TAIL = ("Total Demand,Total Receipt,Balance,Past Due Receipts,,Demand This Week,Receipts This Week,"
               "Balance This Week")
DEMAND_ROW = '19095,UNIFI,1/150/96 Poly,Natural,"1,200.5","7,258.1",0.0,"-6,057.6",0.0,,"3,137.8",0.0,"-1,937.3"\n'


@pytest.mark.parametrize("inventory_header", ["Monday Inventory", "Inventory"])
def test_older_yarn_demand_layout_with_inventory_and_a_title_row(inventory_header):
    text = ("Yarn Demand Report 08/28/2025,,,,,,,,,,,,\n"
            f"Yarn,Supplier,Description,Color,{inventory_header},{DEMAND_TAIL}\n" + DEMAND_ROW)
    e = read_export(text.encode(), name="Yarn_Demand.csv")
    assert e.kind == "yarn_demand" and e.rows == 1 and e.header_row == 2
    assert e.frame["monday_inventory_lbs"].tolist() == [1200.5]
    assert e.frame["total_demand_lbs"].tolist() == [7258.1]
    assert e.frame["balance_this_week_lbs"].tolist() == [-1937.3]


def test_older_yarn_demand_layout_as_xlsx():
    rows = [["Yarn Demand"], ["Yarn", "Supplier", "Description", "Color", "Inventory", *DEMAND_TAIL.split(",")],
            [19095, "UNIFI", "d", "Natural", 1200.5, 7258.1, 0.0, -6057.6, 0.0, None, 3137.8, 0.0, -1937.3]]
    e = read_export(xlsx_bytes(rows), name="Yarn_Demand (old).xlsx")
    assert e.kind == "yarn_demand" and e.rows == 1
    assert e.frame["monday_inventory_lbs"].tolist() == [1200.5]


# ----------------------------------------------------------------------------------------- property

_roll = st.tuples(st.integers(1, 999), st.integers(1, 999))  # (tenths of yds, tenths of lbs)
_order = st.lists(_roll, min_size=1, max_size=3)
_so = st.lists(_order, min_size=1, max_size=3)
_style = st.lists(_so, min_size=1, max_size=3)


@settings(max_examples=25, deadline=None)
@given(st.lists(_style, min_size=1, max_size=3), st.booleans())
def test_any_grouped_p01_reads_back_its_rolls_and_groups(styles, mistake):
    """Random Style > SO > Order > rolls trees: every roll read once with its three groups; stated totals
    written from the rolls give no finding, and one wrong stated lbs gives exactly one."""
    rows, expected = [P01_HEADER], []

    def stated(rolls):
        return (f"({len(rolls)} rolls, {sum(y for y, _ in rolls) / 10:,.1f} yds, "
                f"{sum(lb for _, lb in rolls) / 10:,.1f} lbs, {len(rolls)} good, 0 bad)")

    n = 0
    for s, sos in enumerate(styles):
        style_rolls = [r for so in sos for order in so for r in order]
        rows.append(group(f"Style #: ST{s}/0 {stated(style_rolls)}"))
        for o, so in enumerate(sos):
            rows.append(group(f"SO #: S{s}{o} {stated([r for order in so for r in order])}"))
            for d, order in enumerate(so):
                rows.append(group(f"Order #: D{s}{o}{d} {stated(order)}"))
                for yds, lbs in order:
                    n += 1
                    rows.append(["C", f"{n:09d}", str(n), "1", f"{yds / 10}", f"{lbs / 10}", "1", "0", "8/20/2025"])
                    expected.append((f"ST{s}/0", f"S{s}{o}", f"D{s}{o}{d}", f"{n:09d}", yds / 10))
    if mistake:  # the first style states 1,000 lbs more than its rolls hold
        head = rows[1][0]
        lbs = head.split(" lbs")[0].rsplit(", ", 1)[1]
        rows[1][0] = head.replace(f", {lbs} lbs", f", {float(lbs.replace(',', '')) + 1000:,.1f} lbs")
    e = read_export(csv_bytes(rows), name="p01.csv")
    f = e.frame
    got = list(zip(f["finished_style"], f["sales_order"], f["dye_order"], f["roll"], f["qty_yds"], strict=True))
    assert e.kind == "stage_p01" and e.rows == n and got == expected
    off = [x for x in e.findings if "states" in x.message]
    assert [x.row for x in off] == ([2] if mistake else [])
