"""The issue's bad inputs: each gets one clear message naming the file; nothing crashes; nothing is saved."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from bk.errors import InvalidExportError, SnapshotError
from bk.ingest import read_export
from bk.ingest.snapshot import SnapshotStore

GOOD = ("Machine Report fin1.csv", b"WC,MACH\n9.38.20.F,161\n")


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


REFUSED = {
    "empty.csv": b"",
    "junk.bin.csv": bytes(range(256)) * 64,
    "unknown columns.csv": b"Colour,Mood,Weather\nred,happy,rain\n",
    "truncated.xlsx": _xlsx([["WC", "MACH"], ["9.38.20.F", 161]])[:900],
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_name_the_file_and_save_nothing(tmp_path, name):
    with pytest.raises(InvalidExportError) as info:
        read_export(REFUSED[name], name=name)
    assert str(info.value).startswith(name + ":") and "\n" not in str(info.value)
    store = SnapshotStore(tmp_path)
    active = store.save([GOOD], as_of=date(2025, 8, 27))
    with pytest.raises(SnapshotError, match=name.replace(".", r"\.")):
        store.save([GOOD, (name, REFUSED[name])], as_of=date(2025, 8, 28))
    assert [i.snapshot_id for i in store.list()] == [active.snapshot_id]


def test_header_only_csv_is_read_with_a_warning_naming_the_file():
    export = read_export(b"WC,MACH\n", name="Machine Report.csv")
    assert export.rows == 0
    assert [str(f) for f in export.findings] == ["warning: Machine Report.csv: has a header but no data rows"]


def test_known_export_with_extra_unknown_columns_lists_them():
    export = read_export(b"WC,MACH,Colour\n9.38.20.F,161,red\n", name="m.csv")
    assert export.kind == "machines"
    assert any("Colour" in f.message for f in export.findings)


def test_utf16_export_reads_like_utf8():
    text = "Supplier_ID,Supplier,Lead_time,MOQ,Type\n13,FERR,8,1000,Import\n"
    a = read_export(text.encode("utf-16"), name="s16.csv").frame
    b = read_export(text.encode("utf-8"), name="s8.csv").frame
    assert a.equals(b)


@pytest.mark.slow
def test_a_60_mb_csv_is_parsed_without_crashing():
    line = b"CF5049N/0,18767,0.5,lbs\nCF5049N/0,18929,0.5,lbs\n"
    data = b"Style#,Desc#,BOM_Percentage,unit\n" + line * (60 * 2**20 // len(line))
    export = read_export(data, name="BOM_big.csv")
    assert export.kind == "bom" and export.rows == 2 * (60 * 2**20 // len(line))
    assert export.frame["bom_fraction"].sum() == pytest.approx(export.rows * 0.5)
