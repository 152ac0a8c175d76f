"""A corpus of >= 200 bad files made from the real exports and inline ones: every file ends as an Export with
findings or an InvalidExportError naming it; no other exception escapes, memory stays bounded, and a failed
save leaves the active snapshot as it was."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import psutil
import pytest
from openpyxl import Workbook

from bk.errors import InvalidExportError, SnapshotError
from bk.ingest import read_export
from bk.ingest.reader import safe_display_name
from bk.ingest.snapshot import SnapshotStore
from tests.conftest import REAL_SNAPSHOT
from tests.reliability.hostile_files import HOSTILE_XLSX

ROOT = Path(__file__).resolve().parents[2]
REAL = REAL_SNAPSHOT  # ../shared, or BK_SHARED_DIR
SMALL = {
    "Machine Report fin1.csv": b"\xef\xbb\xbfWC,MACH\n9.38.20.F,161\n1.19.22.V,041\n9.38.20.F,124.0\n",
    "Supplier_ID.csv": b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n1,AKRA,Remove,Remove,Remove\n10,DECA,14,2500,Import\n",
    "eFab_Knit_Orders.csv": (b"Style #,Order #,Start Date,Quoted Date,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),"
                             b"Balance (lbs),Seconds (lbs),BKI #s,Machine,PO#,Modified\n"
                             b'CF5506/0,K2508091,8/29/2025,,"1,200.0",,,"1,200.0",,,83,,8/28/2025\n'),
}


def _sources() -> dict[str, bytes]:
    sources = dict(SMALL)
    if REAL.is_dir():
        for name in ["yarn_inventory.csv", "eFab_Knit_Orders.csv", "Expected_Yarn_Report.csv", "eFab_SO_List.csv",
                     "BOM_updated.csv", "Supplier_ID.csv", "Yarn_Demand.csv", "eFab_Inventory_G00.csv",
                     "QuadS_greigeFabricList.csv", "Production Lbs.xlsx"]:
            sources["real " + name] = (REAL / name).read_bytes()
    return sources


def _xlsx(rows, formulas: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if formulas:
        ws["C2"] = "=A2*2"
        ws["D2"] = '=HYPERLINK("http://example.invalid","click")'
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def corpus() -> list[tuple[str, str, bytes]]:
    """(kind of damage, file name, bytes)."""
    rng = random.Random(20250828)
    out: list[tuple[str, str, bytes]] = []
    for name, data in _sources().items():
        stem = name.replace("/", "_")
        for fraction in (0.0005, 0.01, 0.3, 0.77):
            out.append(("truncated", f"{stem} cut {fraction}", data[: max(1, int(len(data) * fraction))]))
        out.append(("random bytes", f"{stem}.random", rng.randbytes(min(len(data), 50_000))))
        out.append(("flipped bytes", f"{stem}.flipped", bytes(b ^ 0xFF if i % 97 == 0 else b
                                                                for i, b in enumerate(data[:20_000]))))
        if name.endswith(".xlsx") or data[:1] == b"[":
            continue
        text = data.decode("utf-8-sig")
        out.append(("utf-16", f"{stem}.utf16", text.encode("utf-16")))
        out.append(("latin-1", f"{stem}.latin1", text.encode("latin-1", errors="replace")))
        rows = _rows(data)
        header, body = rows[0], rows[1:200]
        order = list(range(len(header)))
        rng.shuffle(order)
        out.append(("shuffled columns", f"{stem}.shuffled", _csv([[r[i] if i < len(r) else "" for i in order]
                                                                   for r in [header, *body]])))
        for drop in (0, len(header) // 2, len(header) - 1):
            out.append(("missing column", f"{stem}.minus{drop}",
                        _csv([[c for i, c in enumerate(r) if i != drop] for r in [header, *body]])))
        out.append(("duplicated column", f"{stem}.dup", _csv([r + r[:1] for r in [header, *body]])))
        out.append(("header only", f"{stem}.header", _csv([header])))
        numeric_col = next((i for i, c in enumerate(body[0]) if c.replace(",", "").replace(".", "").strip("-$ ")
                            .isdigit()), None) if body else None
        if numeric_col is not None:
            for junk in ("abc", "1e308", "NaN", "-inf", "1,2,3", "$", "()", "١٢٣", "=1+1"):
                bad = [list(r) for r in body]
                for r in bad[:5]:
                    if numeric_col < len(r):
                        r[numeric_col] = junk
                out.append(("text in numeric cell", f"{stem}.junk{junk}", _csv([header, *bad])))
        out.append(("ragged rows", f"{stem}.ragged", _csv([header] + [r + ["x", "y"] for r in body[:20]])))
        out.append(("json in csv", f"{stem}.json.csv", json.dumps([dict(zip(header, r, strict=False))
                                                                   for r in body[:20]]).encode()))
    out += [
        ("empty", "empty.csv", b""),
        ("empty", "spaces.csv", b"   \r\n\t\n"),
        ("header only", "header.csv", b"WC,MACH\n"),
        ("json", "object.csv", b'{"rows": []}'),
        ("json", "numbers.csv", b"[1,2,3]"),
        ("json", "broken.csv", b'[{"a":'),
        ("json", "unknown records.csv", b'[{"colour": "red"}]'),
        ("name", "../../etc/passwd", SMALL["Machine Report fin1.csv"]),
        ("name", "evil\x00name.csv", SMALL["Machine Report fin1.csv"]),
        ("name", "..\\..\\windows\\system32.csv", b"junk"),
        ("xlsx formulas", "formulas.xlsx", _xlsx([["WC", "MACH", "Calc", "Link"], ["9.38.20.F", 161]], True)),
        ("xlsx title row", "title.xlsx", _xlsx([["Report"], [], ["WC", "MACH"], ["9.38.20.F", "041"]])),
        ("xlsx empty", "empty.xlsx", _xlsx([])),
        ("macro workbook", "macro.xlsx", _macro_workbook()),
        ("zip bomb", "bomb.xlsx", _zip_bomb()),
        ("not a workbook", "plain.zip.xlsx", _plain_zip()),
        ("old xls", "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
        ("huge numbers", "huge.csv", b"WC,MACH\n9.38.20.F,1e308\nx,999999999999999999999\n"),
        ("nul bytes", "nul.csv", b"WC,MACH\n9.38.20.F,\x00161\n"),
        ("semicolons", "semi.csv", b"WC;MACH\n9.38.20.F;161\n1.2.3;4\n"),
        ("crlf", "crlf.csv", b"WC,MACH\r\n9.38.20.F,161\r\n"),
        ("quotes", "quotes.csv", b'WC,MACH\n"9.38.20.F,161\n'),
        ("impossible dates", "far dates.csv", SMALL["eFab_Knit_Orders.csv"].splitlines()[0] + b"\n"
         b'CF5506/0,K1,12/31/9999,1/1/1677,10,,,10,,,83,,-5\n'),
        ("absurd numbers", "absurd.csv", b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n1,AKRA,1e11,2500,Import\n"
         b"2,DECA,-5,1e11,Import\n"),
        ("html in cells", "double escaped.csv", b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n"
         b"1,&amp;lt;a href=https://evil.example&amp;gt;ACME&amp;lt;/a&amp;gt;,14,2500,Import\n"),
        ("markdown name", "![pix](https:evil.example).csv", b"\n"),
    ]
    out += [("huge sheet range", name, build()) for name, build in HOSTILE_XLSX.values()]
    return out


def _macro_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/vbaProject.bin", b"\x00macro")
    return buf.getvalue()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<row>" + b"0" * (600 * 2**20) + b"</row>")
    return buf.getvalue()


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    return buf.getvalue()


def _outcome(name: str, data: bytes) -> str:
    shown = safe_display_name(name)
    try:
        export = read_export(data, name=name)
    except InvalidExportError as exc:
        assert str(exc).startswith(shown + ":"), (name, str(exc))
        assert "/" not in shown and "\x00" not in shown
        return "refused"
    for finding in export.findings:
        assert finding.file == shown, (name, finding)
    return "read with findings" if export.findings else "read clean"


def test_corpus_of_bad_files_never_escapes_an_exception(tmp_path):
    files = corpus()
    assert len(files) >= 200 or not REAL.is_dir(), len(files)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    outcomes: Counter = Counter()
    for damage, name, data in files:
        outcomes[(damage, _outcome(name, data))] += 1
    growth_mb = (process.memory_info().rss - rss_before) / 2**20
    assert growth_mb < 800, growth_mb
    refused = {d for (d, o) in outcomes if o == "refused"}
    assert {"empty", "random bytes", "zip bomb", "macro workbook", "old xls", "not a workbook",
            "huge sheet range"} <= refused
    assert outcomes[("impossible dates", "read with findings")] == outcomes[("absurd numbers", "read with findings")] == 1
    print({f"{d}: {o}": n for (d, o), n in sorted(outcomes.items())})


def test_failed_saves_leave_the_active_snapshot_untouched(tmp_path):
    store = SnapshotStore(tmp_path)
    active = store.save([("Machine Report fin1.csv", SMALL["Machine Report fin1.csv"])], as_of=date(2025, 8, 1))
    refused, latest = 0, active.snapshot_id
    sample = corpus()[::3]
    # every file the reader refuses must stop its save (the corpus is larger with the real exports present)
    unreadable = sum(1 for _, name, data in sample if _outcome(name, data) == "refused")
    for i, (_, name, data) in enumerate(sample):
        try:
            latest = store.save([(name, data)], as_of=date(2025, 8, 1 + i % 28)).snapshot_id
        except SnapshotError:
            refused += 1
        assert latest in {info.snapshot_id for info in store.list()}
    assert refused == unreadable and refused >= 10
    assert all(not p.name.startswith(".tmp") for p in tmp_path.iterdir())
    for info in store.list():
        for entry in info.files:
            assert (tmp_path / info.snapshot_id / entry["stored_as"]).is_file()
            assert "/" not in entry["stored_as"] and ".." not in entry["stored_as"]


@pytest.mark.slow
def test_a_million_row_csv_is_read_with_bounded_memory():
    row = b"9.38.20.F,161\n"
    data = b"WC,MACH\n" + row * 1_000_000
    process = psutil.Process()
    before = process.memory_info().rss
    export = read_export(data, name="million.csv")
    assert export.kind == "machines" and export.rows == 1_000_000
    assert (process.memory_info().rss - before) / 2**20 < 600
