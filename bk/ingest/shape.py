"""Bound the shape of an untrusted file before any parser allocates for it: a workbook's sheets (read with a real
XML parser, following the workbook's relationships to every sheet part), a CSV's fields per row, a JSON array's
nesting depth and keys. Each refusal is an ``InvalidExportError`` naming the file and the limit.

An Excel engine allocates a sheet's whole used range (rows x columns) at once, pandas' CSV parser a column per
header field, and ``json`` recurses once per nesting level: a file of a few KB can ask for hundreds of GB.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote

import numpy as np

from bk.errors import InvalidExportError

MAX_COLUMNS = 1_000  # of a sheet, a CSV header, or the keys of a JSON array's records
MAX_XLSX_SHEET_BYTES = 200 * 1024 * 1024
MAX_XLSX_CELLS = 5_000_000  # rows x columns of the range a sheet declares or uses
MAX_XML_DEPTH = 64  # a worksheet nests six levels deep
MAX_PART_BYTES = 20 * 1024 * 1024  # workbook.xml, its relationships, [Content_Types].xml
MAX_ROW_FIELDS = 10_000  # delimiters in one CSV row (any row, quoted ones included)
MAX_JSON_DEPTH = 32  # the QuadS lists are 2 deep: an array of flat records

_SHEET_TYPES = ("worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlmacrosheet", "xlintlmacrosheet")
_REF = re.compile(r"\$?([A-Z]*)\$?([0-9]*)")
_FAR = 10**9  # a row or column number too long to be real (a reference of more than 9 digits)


def _damaged(name: str) -> InvalidExportError:
    return InvalidExportError(name, "is a damaged or truncated .xlsx workbook; export it again")


# ------------------------------------------------------------------------------------------------ workbooks


def check_workbook(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a workbook any of whose sheets declares or uses more than ``MAX_COLUMNS`` columns or
    ``MAX_XLSX_CELLS`` cells (rows x columns), holds more than ``MAX_XLSX_SHEET_BYTES`` of XML, or nests deeper
    than ``MAX_XML_DEPTH``; raises InvalidExportError naming the file.

    The sheets are the parts the workbook's relationships point at (wherever they lie in the zip, whatever the
    case of their names), the parts ``[Content_Types].xml`` calls worksheets, and anything under
    ``xl/worksheets/``. Each is streamed through an XML parser: attribute quoting and spacing do not matter.
    """
    for info in sheet_parts(archive, name):
        check_sheet(archive, info, name)


def sheet_parts(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Every zip entry that an Excel engine could read as a sheet of this workbook."""
    by_lower: dict[str, list[zipfile.ZipInfo]] = {}
    for info in archive.infolist():
        by_lower.setdefault(_norm_part(info.filename), []).append(info)

    def find(part: str) -> list[zipfile.ZipInfo]:
        return by_lower.get(_norm_part(part), []) or by_lower.get(_norm_part(unquote(part)), [])

    workbook = "xl/workbook.xml"
    for rel in _relationships(archive, find("_rels/.rels"), name, base=""):
        if rel["type"] == "officedocument":
            workbook = rel["target"]
    found: dict[int, zipfile.ZipInfo] = {}
    base = posixpath.dirname(workbook)
    rels = _relationships(archive, find(posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")),
                          name, base=base)
    sheet_ids = {value for info in find(workbook)
                 for tag, attrib in _elements(archive, info, name, limit=MAX_PART_BYTES) if tag == "sheet"
                 for key, value in attrib.items() if key.rsplit("}", 1)[-1] == "id"}
    for rel in rels:
        if rel["id"] in sheet_ids or rel["type"] in _SHEET_TYPES:
            parts = find(rel["target"])
            if not parts and rel["id"] in sheet_ids:
                raise InvalidExportError(name, "is a damaged workbook: a sheet it lists is missing; export it again")
            found.update((id(p), p) for p in parts)
    for info in find("[Content_Types].xml"):
        for tag, attrib in _elements(archive, info, name, limit=MAX_PART_BYTES):
            if tag == "Override" and "sheet" in attrib.get("ContentType", "").lower():
                found.update((id(p), p) for p in find(attrib.get("PartName", "")))
    for lowered, infos in by_lower.items():
        if lowered.startswith("xl/worksheets/") and lowered.endswith(".xml"):
            found.update((id(p), p) for p in infos)
    return list(found.values())


def _norm_part(part: str) -> str:
    """A part name as a key: forward slashes, no leading slash or ./.., lower case (engines differ on case)."""
    text = part.replace("\\", "/").lstrip("/")
    return posixpath.normpath(text).lower() if text else ""


def _relationships(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str, *, base: str) -> list[dict]:
    """The internal relationships of a ``.rels`` part: id, type (last path segment, lower case), target resolved
    against ``base`` (the folder of the part the relationships belong to)."""
    found = []
    for info in infos:
        for tag, attrib in _elements(archive, info, name, limit=MAX_PART_BYTES):
            if tag != "Relationship" or attrib.get("TargetMode", "").lower() == "external":
                continue
            target = attrib.get("Target", "").strip().replace("\\", "/")
            target = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            found.append({"id": attrib.get("Id", ""), "type": attrib.get("Type", "").rsplit("/", 1)[-1].lower(),
                          "target": posixpath.normpath(target) if target else ""})
    return found


def _elements(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *, limit: int
              ) -> Iterator[tuple[str, dict[str, str]]]:
    """(local tag name, attributes) of every element of a zip part, in document order, streamed: memory stays
    constant however many elements there are. Refuses a part larger than ``limit`` or nested deeper than
    ``MAX_XML_DEPTH``, and a damaged zip entry or malformed XML as a damaged workbook."""
    if info.file_size > limit:
        raise InvalidExportError(name, f"has a part ({info.filename[-60:]}) of {info.file_size / 2**20:.0f} MB; the "
                                       f"limit is {limit // 2**20} MB")
    open_elements: list[ET.Element] = []
    try:
        with archive.open(info) as stream:
            # the zip stream stops at the size its directory declares (and checks the CRC there)
            for event, element in ET.iterparse(stream, events=("start", "end")):
                if event == "start":
                    open_elements.append(element)
                    if len(open_elements) > MAX_XML_DEPTH:
                        raise InvalidExportError(name, f"has XML nested more than {MAX_XML_DEPTH} levels deep "
                                                       f"({info.filename[-60:]}); refused")
                    yield element.tag.rsplit("}", 1)[-1], element.attrib
                else:
                    open_elements.pop()
                    element.clear()
                    if open_elements:  # every earlier sibling has ended too: drop them all
                        del open_elements[-1][:]
    except ET.ParseError as exc:
        raise InvalidExportError(name, f"is a damaged workbook: {info.filename[-60:]} is not well-formed XML "
                                       f"({exc}); export it again") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _damaged(name) from exc


def check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Refuse one sheet part whose declared ``<dimension ref>``, largest row/cell reference, column count or cell
    count is beyond the bounds (see ``check_workbook``). Stops reading at the first element past a bound."""
    max_row = max_col = cells = 0
    row = col = 0  # the current row and the column of the last cell (cells without r follow the previous one)
    for tag, attrib in _elements(archive, info, name, limit=MAX_XLSX_SHEET_BYTES):
        if tag == "dimension":
            for part in attrib.get("ref", "").split(":"):
                parsed = _cell_ref(part)
                if parsed is None:
                    raise InvalidExportError(name, f"has a sheet whose dimension '{attrib.get('ref', '')[:40]}' "
                                                   "cannot be read; export it again")
                max_col, max_row = max(max_col, parsed[0]), max(max_row, parsed[1])
        elif tag == "row":
            reference = _cell_ref(attrib.get("r", ""))
            row = reference[1] if reference and reference[1] else row + 1
            col = 0
            max_row = max(max_row, row)
        elif tag == "c":
            cells += 1
            reference = _cell_ref(attrib.get("r", ""))
            col = reference[0] if reference and reference[0] else col + 1
            if reference and reference[1]:
                row = reference[1]
            max_col, max_row = max(max_col, col), max(max_row, row)
        else:
            continue
        if max_col > MAX_COLUMNS or max_row * max(max_col, 1) > MAX_XLSX_CELLS or cells > MAX_XLSX_CELLS:
            break
    if max_col > MAX_COLUMNS:
        raise InvalidExportError(name, f"has a sheet that reaches column {max_col:,}; exports have at most "
                                       f"{MAX_COLUMNS:,} columns, so it is refused")
    grid = max(max_row * max(max_col, 1), cells)
    if grid > MAX_XLSX_CELLS:
        raise InvalidExportError(name, f"has a sheet spanning {max_row:,} rows x {max(max_col, 1):,} columns; "
                                       f"the limit is {MAX_XLSX_CELLS:,} cells, so it is refused")


def _cell_ref(text: str) -> tuple[int, int] | None:
    """'XFD1048576' -> (16384, 1048576); '' parts are 0 ('A' -> (1, 0), '5' -> (0, 5)); None when unreadable.
    Any case, white space and ``$`` anchors are accepted, as engines accept them."""
    match = _REF.fullmatch(text.strip().upper())
    if match is None or not (match[1] or match[2]):
        return None
    letters, digits = match[1], match[2]
    column = _FAR if len(letters) > 6 else 0
    for ch in letters if column == 0 else "":
        column = column * 26 + ord(ch) - 64
    row = _FAR if len(digits) > 9 else int(digits or 0)
    return column, row


# ---------------------------------------------------------------------------------------------------- text


def check_csv(text: str, delimiter: str, name: str) -> None:
    """Refuse a CSV any row of which has more than ``MAX_ROW_FIELDS`` delimiters (counted in the raw lines the
    row spans, quoted ones too: never fewer than its fields), before a parser builds a column or a list per
    field. One streaming pass; a row is never held beyond ``MAX_ROW_FIELDS`` fields."""
    pending = [0, 1]  # delimiters read for the row being parsed, and that row's number

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            pending[0] += line.count(delimiter)
            if pending[0] > MAX_ROW_FIELDS:
                raise InvalidExportError(name, f"row {pending[1]:,} has more than {MAX_ROW_FIELDS:,} fields; exports "
                                               f"have at most {MAX_COLUMNS:,} columns, so it is refused")
            yield line

    try:
        for _ in csv.reader(lines(), delimiter=delimiter):
            pending[0] = 0
            pending[1] += 1
    except csv.Error as exc:
        raise InvalidExportError(name, f"is not a readable CSV ({exc})") from exc


def check_header_width(header: list[str], name: str) -> None:
    """Refuse a header row of more than ``MAX_COLUMNS`` columns (the limit workbooks have)."""
    if len(header) > MAX_COLUMNS:
        raise InvalidExportError(name, f"has a header of {len(header):,} columns; exports have at most "
                                       f"{MAX_COLUMNS:,} columns, so it is refused")


_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)  # possessive: no backtracking on a hostile string


def load_json_records(text: str, name: str) -> list[dict]:
    """The records of a JSON array, refused (InvalidExportError naming the file and the limit) when nested deeper
    than ``MAX_JSON_DEPTH`` (checked on the text, before ``json`` recurses), when not an array of objects, or
    when its records hold more than ``MAX_COLUMNS`` distinct keys (linear in the keys, however many)."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InvalidExportError(name, f"is JSON nested more than {MAX_JSON_DEPTH} levels deep "
                                       "(the QuadS exports are an array of flat records), so it is refused")
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidExportError(name, f"looks like JSON but is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more digits than Python converts
        raise InvalidExportError(name, f"looks like JSON but cannot be read ({str(exc)[:80]})") from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InvalidExportError(name, "is JSON but not an array of records")
    keys: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if len(record) > MAX_COLUMNS:
            raise InvalidExportError(name, f"record {number:,} has {len(record):,} keys; exports have at most "
                                           f"{MAX_COLUMNS:,} columns, so it is refused")
        keys.update(dict.fromkeys(record))
        if len(keys) > MAX_COLUMNS:
            raise InvalidExportError(name, f"has records with more than {MAX_COLUMNS:,} different keys (by record "
                                           f"{number:,}); exports have at most {MAX_COLUMNS:,} columns, so it is refused")
    return records


def _json_depth(text: str, chunk_chars: int = 4 * 2**20) -> int:
    """The deepest bracket nesting of a JSON text outside its strings (stops counting past MAX_JSON_DEPTH)."""
    bare = _JSON_STRING.sub("", text)
    depth, deepest = 0, 0
    for start in range(0, len(bare), chunk_chars):
        codes = np.frombuffer(bare[start:start + chunk_chars].encode("utf-32-le"), dtype=np.uint32)
        step = ((codes == 91) | (codes == 123)).astype(np.int8) - ((codes == 93) | (codes == 125)).astype(np.int8)
        if not step.any():
            continue
        running = np.cumsum(step, dtype=np.int64) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest

