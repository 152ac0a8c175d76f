"""Hand-built hostile workbooks: tiny .xlsx files whose sheets declare or use an enormous cell range."""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
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
                  'Target="worksheets/sheet1.xml"/></Relationships>')

MACHINE_CELLS = [("A1", "WC"), ("B1", "MACH"), ("A2", "9.38.20.F"), ("B2", "41")]


def sparse_xlsx(dimension: str, cells: list[tuple[str, str]]) -> bytes:
    """A one-sheet workbook with ``<dimension ref=dimension>`` and inline-string cells at the given refs."""
    rows: dict[int, list[tuple[str, str]]] = {}
    for ref, value in cells:
        rows.setdefault(int("".join(ch for ch in ref if ch.isdigit())), []).append((ref, value))
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>' for ref, v in row) + "</row>"
        for r, row in sorted(rows.items()))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
             'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
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


HOSTILE_XLSX = {"far-corner bomb": ("far_corner.xlsx", far_corner_bomb),
                "tall sparse bomb": ("tall.xlsx", tall_bomb),
                "declared whole sheet": ("declared.xlsx", declared_bomb)}
