"""Hand-built hostile files: tiny .xlsx files whose sheets declare or use an enormous cell range (however the
XML is spelt and wherever the sheet lies), and CSV / JSON shapes that ask a parser for gigabytes or recursion."""

from __future__ import annotations

import io
import json
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/{sheet}" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
         'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook '
             'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
                  'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  'Target="{target}"/></Relationships>')

MACHINE_CELLS = [("A1", "WC"), ("B1", "MACH"), ("A2", "9.38.20.F"), ("B2", "41")]


def sparse_xlsx(dimension: str, cells: list[tuple[str, str]], *, sheet: str = "xl/worksheets/sheet1.xml",
                reference: str = 'r="{ref}"') -> bytes:
    """A one-sheet workbook with ``<dimension ref=dimension>`` and inline-string cells at the given refs; the
    sheet part stored as ``sheet`` (the workbook's relationships point at it) and each cell's reference attribute
    spelt by ``reference`` (``r='{ref}'``, ``r = "{ref}"`` …)."""
    rows: dict[int, list[tuple[str, str]]] = {}
    for ref, value in cells:
        rows.setdefault(int("".join(ch for ch in ref if ch.isdigit())), []).append((ref, value))
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c {reference.format(ref=ref)} t="inlineStr"><is><t>{v}</t></is></c>'
                                   for ref, v in row) + "</row>"
        for r, row in sorted(rows.items()))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
           'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.replace("{sheet}", sheet))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.replace("{target}", "/" + sheet))
        z.writestr(sheet, xml)
    return buf.getvalue()


def far_corner_bomb() -> bytes:
    """The attack of the hostile-uploads issue: a machine report plus one cell at XFD1048576 (549 GB to an engine)."""
    return sparse_xlsx("A1:XFD1048576", [*MACHINE_CELLS, ("XFD1048576", "x")])


def tall_bomb() -> bytes:
    """One cell at Z1048576: 27 million cells (1.7 GB in the engine) from a 1.6 KB file."""
    return sparse_xlsx("A1:B2", [*MACHINE_CELLS, ("Z1048576", "x")])


def declared_bomb() -> bytes:
    """Honest cells under a dimension that declares the whole sheet."""
    return sparse_xlsx("A1:XFD1048576", MACHINE_CELLS)


def far_cell(**spelling) -> bytes:
    """An honest dimension and header, one cell at XFD1048576 spelt or stored as ``spelling`` says (the four
    ways past the first, pattern-based sheet check)."""
    return sparse_xlsx("A1:B2", [*MACHINE_CELLS, ("XFD1048576", "x")], **spelling)


HOSTILE_XLSX = {"far-corner bomb": ("far_corner.xlsx", far_corner_bomb),
                "tall sparse bomb": ("tall.xlsx", tall_bomb),
                "declared whole sheet": ("declared.xlsx", declared_bomb),
                "single-quoted r": ("quoted.xlsx", lambda: far_cell(reference="r='{ref}'")),
                "spaces around =": ("spaced.xlsx", lambda: far_cell(reference='r = "{ref}"')),
                "sheet outside xl/worksheets": ("elsewhere.xlsx", lambda: far_cell(sheet="xl/other/s.xml")),
                "sheet1.XML": ("upper.xlsx", lambda: far_cell(sheet="xl/worksheets/sheet1.XML"))}

# What each file's refusal says (after "<file name>: "), per hostile file of the hostile-files issue
XLSX_REFUSAL = {label: "has a sheet that reaches column 16,384; exports have at most 1,000 columns"
                for label in HOSTILE_XLSX}
XLSX_REFUSAL["tall sparse bomb"] = "has a sheet spanning 1,048,576 rows x 26 columns; the limit is 5,000,000 cells"

SUPPLIER_HEADER = b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n"
SUPPLIER_ROW = b"10,DECA GLOBAL,14,2500,Import\n"


def comma_header_csv() -> bytes:
    """A Supplier_ID header followed by 1,000,000 commas, then one data row (1 MB; 4.3 GB to pandas)."""
    return b"Supplier_ID" + b"," * 1_000_000 + b"\n" + SUPPLIER_ROW


def named_columns_csv(columns: int = 200_000) -> bytes:
    """The supplier header plus ``columns`` more named columns (200,000: 1.5 MB; 1 GB and counting to pandas)."""
    extra = ",".join(f"c{i}" for i in range(columns)).encode()
    return SUPPLIER_HEADER[:-1] + b"," + extra + b"\n" + SUPPLIER_ROW


def wide_row_csv(fields: int = 30_000_000) -> bytes:
    """An honest supplier header, then one row of ``fields`` fields (30 M: 63 MB; 6.4 GB to the old reader)."""
    return SUPPLIER_HEADER + b"1" + b",x" * (fields - 1) + b"\n"


def quoted_newline_row_csv(fields: int = 2_000_000) -> bytes:
    """One row whose fields each hold a quoted line break: every raw line has one comma, the row ``fields``."""
    return SUPPLIER_HEADER + b"1" + b',"\n"' * (fields - 1) + b"\n"


def wide_record_json(keys: int = 200_000) -> bytes:
    """A JSON array (saved as .csv) of one record with ``keys`` keys (200,000: 2.7 MB; a parse slot for minutes)."""
    record = {"Style": "CF1/1", **{f"k{i}": i for i in range(keys)}}
    return json.dumps([record]).encode()


def nested_json(depth: int = 200_000) -> bytes:
    """``[`` x 200,000: RecursionError in json.loads."""
    return b"[" * depth + b"]" * depth


# label -> (file name, builder, what the refusal says after "<file name>: ")
HOSTILE_TEXT = {
    "1,000,000 commas after the header": ("Supplier_ID.csv", comma_header_csv,
                                          "row 1 has more than 10,000 fields"),
    "200,000 named columns": ("columns.csv", named_columns_csv, "row 1 has more than 10,000 fields"),
    "a row of 30 M fields": ("wide_row.csv", wide_row_csv, "row 2 has more than 10,000 fields"),
    "a row of quoted line breaks": ("newlines.csv", quoted_newline_row_csv, "row 2 has more than 10,000 fields"),
    "2,000 header columns": ("header.csv", lambda: named_columns_csv(2_000),
                             "has a header of 2,005 columns; exports have at most 1,000 columns"),
    "a JSON record of 200,000 keys": ("quads.csv", wide_record_json, "record 1 has 200,001 keys; exports have at most "
                                                                     "1,000 columns"),
    "JSON nested 200,000 deep": ("nested.csv", nested_json, "is JSON nested more than 32 levels deep"),
}


def every_hostile_file() -> list[tuple[str, bytes, str]]:
    """(file name, bytes, what its refusal says after the name) for every hostile file above."""
    files = [(name, build(), XLSX_REFUSAL[label]) for label, (name, build) in HOSTILE_XLSX.items()]
    return files + [(name, build(), refusal) for name, build, refusal in HOSTILE_TEXT.values()]
