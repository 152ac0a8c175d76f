"""read_export on tiny inline files: recognition by header, every trap, and clear errors for bad files."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from bk.errors import InvalidExportError
from bk.ingest import read_export

YARN_HEADER = ("Desc#,QS Cust,Supplier,Description,Color,Beginning Balance,Received,Consumed,Adjustments,"
               "Theoretical Balance,Misc,On Order,Allocated,Planning Balance,Reconcile Date,Cost/Pound,Total Cost")


def csv_bytes(text: str, *, bom: bool = True) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_yarn_inventory_with_bom_money_and_parentheses():
    data = csv_bytes(YARN_HEADER + "\n"
                     '18884,CFAB,DECA GLOBAL,1/150/48 Poly,Natural,"1,231.20",,-50.00,,"1,181.20",CT,0.00,'
                     '-181.20,"1,000.00",2025-06-27, $4.07 ,"$4,807.48 "\n'
                     '19020,CFAB,R BELDA,30/1,Indigo,0.00,,0.00,,-428.96,,0.00,0.00,-428.96,Never,$5.09 ,"($2,183.40)"\n')
    e = read_export(data, name="yarn_inventory (5).csv")
    assert e.kind == "yarn_inventory" and e.rows == 2
    f = e.frame
    assert f["yarn_id"].tolist() == [18884, 19020]
    assert f["beginning_balance_lbs"].tolist() == [1231.2, 0.0]
    assert f["received_lbs"].tolist() == [0.0, 0.0]  # blank means zero
    assert f["cost_per_lb"].tolist() == [4.07, 5.09]
    assert f["total_cost_usd"].tolist() == [4807.48, -2183.40]
    assert f["reconcile_date"].iloc[0] == pd.Timestamp(2025, 6, 27) and pd.isna(f["reconcile_date"].iloc[1])
    assert f["misc"].tolist()[0] == "CT"
    assert not [x for x in e.findings if x.severity == "error"]


def test_planning_identity_off_is_a_finding_with_row_and_column():
    data = csv_bytes(YARN_HEADER + "\n"
                     "1,C,S,d,c,100,,0,,100,,50,-20,999,2025-06-27,$1.00 ,$100.00 \n")
    e = read_export(data, name="inv.csv")
    hits = [x for x in e.findings if x.column == "Planning Balance"]
    assert len(hits) == 1 and hits[0].row == 2 and hits[0].severity == "warning"
    assert "130.00" in hits[0].message  # 100 + (-20) + 50


def test_unparseable_cell_is_a_finding_not_a_crash():
    data = csv_bytes(YARN_HEADER + "\n1,C,S,d,c,abc,,0,,100,,0,0,100,2025-06-27,$1.00 ,$100.00 \n")
    e = read_export(data, name="inv.csv")
    bad = [x for x in e.findings if x.column == "Beginning Balance"]
    assert bad and bad[0].row == 2 and "'abc' is not a number" in bad[0].message
    assert np.isnan(e.frame["beginning_balance_lbs"].iloc[0])


def test_reordered_and_missing_optional_columns():
    data = b"Balance (lbs),Order #,Style #,Qty Ordered (lbs),Start Date,G00 (lbs),Shipped (lbs)\n" \
           b'"1,200.0",K2508091,CF5506/0,"1,200.0",8/29/2025,,\n'
    e = read_export(data, name="eFab_Knit_Orders_20250822.xlsx.csv")
    assert e.kind == "knit_orders"
    assert e.frame.loc[0, "knit_order"] == "K2508091" and e.frame.loc[0, "balance_lbs"] == 1200.0
    # absent optional columns are added empty, typed, and named in one info finding
    assert e.frame["machine"].isna().all() and str(e.frame["machine"].dtype) == "Int64"
    assert e.frame["quoted_date"].isna().all() and e.frame["quoted_date"].dtype.kind == "M"
    assert e.frame["seconds_lbs"].tolist() == [0.0]  # the ERP prints 0 as blank here: absent is 0
    notes = [x for x in e.findings if "optional columns not in this export" in x.message]
    assert len(notes) == 1 and notes[0].severity == "info"
    assert "Machine" in notes[0].message and "Quoted Date" in notes[0].message
    assert "Start Date" not in notes[0].message


def test_knit_orders_without_start_date_are_still_knit_orders():
    data = b"Style #,Order #,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),Balance (lbs)\nCF5506/0,K1,100,,,100\n"
    e = read_export(data, name="ko.csv")
    assert e.kind == "knit_orders" and e.rows == 1
    assert e.frame["start_date"].isna().all() and e.frame["start_date"].dtype.kind == "M"


def test_ko_html_warning_stripped_and_flagged():
    data = (b"Style #,Order #,Start Date,Quoted Date,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),Balance (lbs),"
            b"Seconds (lbs),BKI #s,Machine,PO#,Modified\n"
            b"CF5506/0,\"K2508054&nbsp;<i class='fa fa-exclamation-triangle' title='zero price'></i>\","
            b"8/29/2025,,100,,,100,,,041,,8/28/2025\n"
            b"CF5506/0,K2508055,,,100,,,100,,,124.0,,8/28/2025\n")
    f = read_export(data, name="ko.csv").frame
    assert f["knit_order"].tolist() == ["K2508054", "K2508055"]
    assert f["has_warning"].tolist() == [True, False]
    assert f["machine"].tolist() == [41, 124]


def test_roll_numbers_keep_leading_zeros():
    data = csv_bytes("Style #,KO #,Customer,Roll #,Qty (lbs),Knit Date,Machine\n"
                     "72762/PHL,K2101019,NSAP,032186063,50.0,1/20/2021,041\n")
    f = read_export(data, name="g00.csv").frame
    assert f["roll"].tolist() == ["032186063"] and f["machine"].tolist() == [41]


def test_expected_yarn_date_columns_become_iso_weeks():
    header = ("PO Date,PO #,Purchased From,Desc,Price,INVEN,PO Order Amt,Rec'd,PO Bal,Unscheduled or Past Due,"
              "This Week,9/5/2025,9/12/2025,Later,Type")
    data = csv_bytes(header + '\n3/5/2024,Y1,CS America,18904,$2.55 ,0,"20,000","13,551","6,449","-3,151",,'
                     '"2,400",,"7,200",Polyester\n')
    e = read_export(data, name="Expected_Yarn_Report.csv")
    assert e.kind == "expected_yarn"
    f = e.frame
    assert f.loc[0, "week_2025_36_lbs"] == 2400.0 and f.loc[0, "week_2025_37_lbs"] == 0.0
    assert f.loc[0, "past_due_lbs"] == -3151.0 and f.loc[0, "later_lbs"] == 7200.0


def test_yarn_demand_spacer_columns_and_title_row_in_xlsx():
    rows = [["Yarn Demand Report", None, None, None, None, None, None, None, None, None, None, None, None],
            ["Yarn", "Supplier", "Monday Inventory", "Total Demand", "Total Receipt", "Balance",
             "Past Due Receipts", None, "Demand This Week", "Receipts This Week", "Balance This Week", None,
             "Demand Week 36"],
            [19095, "UNIFI", 0, 7258.1, 0, -7258.1, 0, None, 3137.8, 0, -3137.8, None, 4120.3]]
    e = read_export(xlsx_bytes(rows), name="Yarn_Demand.xlsx")
    assert e.kind == "yarn_demand" and e.header_row == 2 and e.rows == 1
    f = e.frame
    assert f.loc[0, "yarn_id"] == 19095 and f.loc[0, "demand_week_36_lbs"] == 4120.3
    assert f.loc[0, "balance_this_week_lbs"] == -3137.8


def test_bom_repeated_lines_kept_and_blank_rows_counted():
    data = b"Style#,Desc#,BOM_Percentage,unit\n FF 10006/0001,13565,0.5,lbs\n FF 10006/0001,13565,0.5,lbs\n" \
           b",,,\n,,,\nA/1,1,1.0,lbs\n"
    e = read_export(data, name="BOM_updated.csv")
    assert e.kind == "bom" and e.rows == 3
    assert e.frame["style"].tolist() == ["FF 10006/0001", "FF 10006/0001", "A/1"]
    assert any("2 blank rows" in x.message for x in e.findings)


def test_bom_style_sum_outside_range_is_a_finding():
    data = b"Style#,Desc#,BOM_Percentage,unit\nS/1,1,0.5,lbs\nS/1,2,0.3,lbs\nT/1,1,0.98,lbs\n"
    msgs = [x.message for x in read_export(data, name="bom.csv").findings]
    assert any("'S/1'" in m and "0.800" in m for m in msgs)
    assert not any("'T/1'" in m for m in msgs)


def test_suppliers_remove_rows_are_retired():
    data = csv_bytes("Supplier_ID,Supplier,Lead_time,MOQ,Type\n1,AKRA,Remove,Remove,Remove\n"
                     "10,DECA GLOBAL,14,2500,Import\n")
    e = read_export(data, name="Supplier_ID.csv")
    assert e.kind == "suppliers" and e.findings == []
    assert e.frame["retired"].tolist() == [True, False]
    assert e.frame["lead_time_days"].iloc[1] == 14 and np.isnan(e.frame["moq_lbs"].iloc[0])


def test_sales_order_on_hold_and_price_unit():
    header = ("Status,SO #,CSR,Unit Price,Quoted Date,cFVersion,fBase,On Hold,UOM,Ordered,Picked/Shipped,Balance,"
              "Available,SOP,PO #,Sold To,Ship To,Ship Date")
    data = csv_bytes(header + "\nOpen,S1,B,$7.35 (yds),9/12/2025,CT2222-1,CT2222-1/0,"
                     "\"<div><i class='fa fa-toggle-on'></i></div>\",yds,\"1,000\",0.0,\"1,000.0\",0,SP1,1,A,B,\n"
                     "Open,S2,B,$7.35 (lbs),9/12/2025,CT2222-1,CT2222-1/0,,lbs,10,15,-5,0,SP1,1,A,B,\n")
    e = read_export(data, name="eFab_SO_List.csv")
    f = e.frame
    assert f["on_hold"].tolist()[0] is True and f["price_uom"].tolist() == ["yds", "lbs"]
    assert f["unit_price_usd"].tolist() == [7.35, 7.35]
    neg = [x for x in e.findings if "negative" in x.message]
    assert len(neg) == 1 and neg[0].row == 3


def test_json_array_in_csv_is_recognised():
    records = [{"finished_style_name": "CF2007 / 0", "oz_per_linyd": 9.6, "active": 1, "actions": "<a>View</a>"},
               {"oz_per_linyd": None, "finished_style_name": "X / 1", "active": 1}]
    e = read_export(json.dumps(records).encode(), name="QuadS_finishedFabricList.csv")
    assert e.kind == "finished_styles"
    assert e.frame["finished_style"].tolist() == ["CF2007/0", "X/1"]
    assert e.frame["lbs_per_yd"].iloc[0] == 0.6 and np.isnan(e.frame["lbs_per_yd"].iloc[1])


def test_greige_style_key_built_from_base_and_version():
    records = [{"base": "C1B4387A", "version": "1", "work_center": "9.38.20.F", "ref_style": None}]
    f = read_export(json.dumps(records).encode(), name="g.csv").frame
    assert f["style"].tolist() == ["C1B4387A/1"]


def test_style_rates_pivot_rows_skipped():
    rows = [["Style", "Average of lbs/day"], [" FF 10006/0001", 631.6], ["X/1", -5.0], ["(blank)", None],
            ["Grand Total", 615.8]]
    e = read_export(xlsx_bytes(rows), name="Production Lbs.xlsx")
    assert e.kind == "style_rates" and e.frame["style"].tolist() == ["FF 10006/0001", "X/1"]
    assert any(x.row == 3 and "not positive" in x.message for x in e.findings)


def test_utf16_text_is_read():
    data = ("Supplier_ID,Supplier,Lead_time,MOQ,Type\n3,BANSWARA,14,5000,Import\n").encode("utf-16")
    assert read_export(data, name="s.csv").frame["moq_lbs"].tolist() == [5000.0]


def test_latin1_text_is_read():
    data = "WC,MACH\n9.38.20.F,161\nFaçade.1,162\n".encode("latin-1")
    assert read_export(data, name="m.csv").frame["machine"].tolist() == [161, 162]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (bytes(range(256)) * 20, "binary"),
        (b"Desc#,Supplier,Foo\n1,2,3\n", "no known export header"),
        (b"PK\x03\x04" + b"\x00" * 100, "damaged or truncated"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b'{"a": 1}', "JSON object"),
        (b"[1, 2, 3]", "not an array of records"),
        (b"[{\"a\": 1", "not valid JSON"),
    ],
)
def test_bad_files_get_one_clear_message_naming_the_file(data, fragment):
    with pytest.raises(InvalidExportError) as info:
        read_export(data, name="../../etc/bad\x00file.csv")
    message = str(info.value)
    assert message.startswith("badfile.csv") and fragment in message


def test_header_only_csv_reads_as_zero_rows():
    e = read_export(b"WC,MACH\n", name="Machine Report.csv")
    assert e.kind == "machines" and e.rows == 0


def test_truncated_xlsx_is_refused():
    full = xlsx_bytes([["WC", "MACH"], ["9.38.20.F", 161]])
    with pytest.raises(InvalidExportError, match="damaged or truncated|cannot be read"):
        read_export(full[: len(full) // 2], name="m.xlsx")


def test_macro_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/vbaProject.bin", b"\x00" * 10)
    with pytest.raises(InvalidExportError, match="macro"):
        read_export(buf.getvalue(), name="m.xlsx")


def test_zip_bomb_is_refused_before_unpacking():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (450 * 2**20))
    assert len(buf.getvalue()) < 2 * 2**20
    with pytest.raises(InvalidExportError, match="zip bomb"):
        read_export(buf.getvalue(), name="bomb.xlsx")
