"""A few KB of xlsx must never take the process down: sheets that declare or use a huge range are refused
before any Excel engine allocates it, however the XML spells the reference and wherever the sheet part lies (each
read runs in a child process with a 3 GB address-space cap, so a regression shows as a failed test instead of
killing pytest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bk.errors import InvalidExportError
from bk.ingest import read_export
from tests.reliability.hostile_files import HOSTILE_XLSX, MACHINE_CELLS, XLSX_REFUSAL, sparse_xlsx

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from bk.errors import InvalidExportError
from bk.ingest import read_export
try:
    export = read_export(sys.argv[1])
    print(json.dumps({"kind": export.kind, "rows": export.rows}))
except InvalidExportError as exc:
    print(json.dumps({"refused": str(exc)}))
"""


@pytest.mark.parametrize("label", sorted(HOSTILE_XLSX))
def test_hostile_workbook_is_refused_and_the_process_survives(label, tmp_path):
    name, build = HOSTILE_XLSX[label]
    data = build()
    assert len(data) < 5_000
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["refused"].startswith(f"{name}: {XLSX_REFUSAL[label]}")
    assert outcome["refused"].endswith("so it is refused")


def test_the_message_says_what_the_sheet_spans():
    with pytest.raises(InvalidExportError, match=r"reaches column 16,384; exports have at most 1,000 columns"):
        read_export(HOSTILE_XLSX["far-corner bomb"][1](), name="m.xlsx")
    with pytest.raises(InvalidExportError, match=r"spanning 1,048,576 rows x 26 columns; the limit is 5,000,000"):
        read_export(HOSTILE_XLSX["tall sparse bomb"][1](), name="m.xlsx")


def test_an_honest_sparse_sheet_within_the_bounds_is_read():
    # a gap of empty rows and a far but sane column: 60 columns x 5,000 rows is well inside the bounds
    export = read_export(sparse_xlsx("A1:BH5000", [*MACHINE_CELLS, ("A5000", "1.19.22.V"), ("B5000", "041")]),
                         name="machines.xlsx")
    assert export.kind == "machines"
    assert sorted(export.frame["machine"].dropna().astype(int)) == [41, 41]


@pytest.mark.parametrize("sheet", ["xl/other/S.XML", "xl/worksheets/sheet1.XML", "custom/data.xml"])
def test_an_honest_sheet_stored_anywhere_is_still_read(sheet):
    export = read_export(sparse_xlsx("A1:B2", MACHINE_CELLS, sheet=sheet), name="machines.xlsx")
    assert export.kind == "machines" and export.rows == 1


def test_cells_without_references_count_from_the_previous_cell():
    # 1,001 cells in row 1 with no r attribute: an engine puts the last one in column 1,001
    cells = [("A1", "WC"), ("B1", "MACH")] + [("C1", "x")] * 999  # refs only say the row here: none is written
    with pytest.raises(InvalidExportError, match=r"reaches column 1,001; exports have at most 1,000 columns"):
        read_export(sparse_xlsx("A1:B2", cells, reference=""), name="m.xlsx")
    ok = [("A1", "WC"), ("B1", "MACH")] + [("C1", "x")] * 998 + [("A2", "9.38.20.F"), ("B2", "41")]
    assert read_export(sparse_xlsx("A1:B2", ok, reference=""), name="m.xlsx").kind == "machines"


def test_a_sheet_the_workbook_lists_but_the_zip_lacks_is_refused():
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(sparse_xlsx("A1:B2", MACHINE_CELLS, sheet="xl/other/s.xml")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in source.infolist():
            if info.filename != "xl/other/s.xml":
                z.writestr(info.filename, source.read(info))
    with pytest.raises(InvalidExportError, match=r"^m\.xlsx: is a damaged workbook: a sheet it lists is missing"):
        read_export(buf.getvalue(), name="m.xlsx")


def _with_sheet_xml(edit) -> bytes:
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(sparse_xlsx("A1:B2", MACHINE_CELLS)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in source.infolist():
            data = source.read(info)
            z.writestr(info.filename, edit(data.decode()) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return buf.getvalue()


def test_entities_are_expanded_as_an_engine_would_and_a_billion_laughs_is_refused():
    prolog = '<?xml version="1.0" encoding="UTF-8"?>'
    far = _with_sheet_xml(lambda xml: xml.replace(prolog, prolog + '<!DOCTYPE w [<!ENTITY far "XFD1048576">]>')
                          .replace('r="B2"', 'r="&far;"'))
    with pytest.raises(InvalidExportError, match=r"reaches column 16,384"):
        read_export(far, name="m.xlsx")
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    laughs = _with_sheet_xml(lambda xml: xml.replace(prolog, prolog + f'<!DOCTYPE w [<!ENTITY l0 "lol">{entities}]>')
                             .replace("<t>WC</t>", "<t>&l9;</t>"))
    with pytest.raises(InvalidExportError, match=r"^m\.xlsx: is a damaged workbook: .* is not well-formed XML "
                                                 r"\(limit on input amplification"):
        read_export(laughs, name="m.xlsx")
