"""eFab's export formats: number, money and date styles; CSV with a byte-order mark; reproducible XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

ENCODING_BOM = b"\xef\xbb\xbf"
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


def num(x: float, decimals: int = 1, *, blank_zero: bool = False) -> str:
    """eFab's number style: thousands separators, fixed decimals; zero may print as a blank."""
    if blank_zero and round(x, decimals) == 0:
        return ""
    return f"{x:,.{decimals}f}"


def money(x: float, *, parens: bool = False) -> str:
    """eFab's money style: ' $4.07 ', negatives as ' ($2,183.40)' or '-$1.00'."""
    if x < 0 and parens:
        return f"(${abs(x):,.2f})"
    sign = "-" if x < 0 else ""
    return f"{sign}${abs(x):,.2f} "


def mdy(d: date | None) -> str:
    return "" if d is None else f"{d.month}/{d.day}/{d.year}"


def mdy2(d: date) -> str:
    return f"{d:%m-%d-%y}"


def csv_bytes(header: list[str], rows: list[list[object]], *, bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (ENCODING_BOM if bom else b"") + buf.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """A workbook whose bytes depend only on its content (fixed properties and zip timestamps)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        ws.append(row)
    fixed = datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "bk demo"
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            data = src.read(name)
            if name == "docProps/core.xml":
                # openpyxl writes the save time into dcterms:modified whatever the property says
                text = data.decode()
                start = text.find("<dcterms:modified")
                end = text.find("</dcterms:modified>")
                if start >= 0 and end >= 0:
                    text = text[:start] + ('<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z'
                                           ) + text[end:]
                data = text.encode()
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


