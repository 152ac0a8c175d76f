"""Read one ERP export (CSV, XLSX, or a JSON array saved as .csv), recognise its kind by header, clean it."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from bk.errors import InvalidExportError
from bk.ingest import checks, schema, shape
from bk.ingest.cleaning import (
    DATE_MAX,
    DATE_MIN,
    parse_dates,
    parse_integers,
    parse_numbers,
    parse_toggle,
    plausible_range,
    strip_html,
    unit_suffix,
)
from bk.ingest.dtypes import compact_frame
from bk.ingest.schema import KINDS, Column, Kind, norm_header

Severity = Literal["error", "warning", "info"]

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_XLSX_RATIO = 200  # uncompressed / compressed: beyond this a workbook is treated as a zip bomb
HEADER_SEARCH_ROWS = 15
CELL_FINDINGS_PER_COLUMN = 20  # then one summary finding for the rest of that column
RETIRED_MARKERS = ("remove",)


@dataclass(frozen=True)
class Finding:
    """A data-quality finding: where it is (file, spreadsheet row, column), how bad, and what it says."""

    file: str
    row: int | None
    column: str | None
    severity: Severity
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "severity": self.severity, "message": self.message}

    def __str__(self) -> str:
        where = self.file + (f" row {self.row}" if self.row is not None else "")
        where += f" column '{self.column}'" if self.column else ""
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class Export:
    """One parsed export. ``frame`` has the schema's snake_case columns; ``rows`` counts its data rows."""

    name: str
    kind: str
    frame: pd.DataFrame
    findings: list[Finding]
    sha256: str
    header_row: int  # 1-based spreadsheet row of the header
    source_columns: list[str] = field(default_factory=list)
    dates_in_content: list[date] = field(default_factory=list)
    # the parsed copy (``bk.ingest.parsed``) a sandbox worker made of it: saved as it is, never made again
    parsed_bytes: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def severity_counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            counts[f.severity] += 1
        return counts


def read_export(source: str | Path | bytes, *, name: str | None = None) -> Export:
    """Read one export from a path or from bytes (``name`` = its original file name, used in messages only).

    Raises ``InvalidExportError`` naming the file when it cannot be read as any known export: empty, binary,
    unknown header, too large, a truncated or macro-enabled workbook, a shape beyond ``bk.ingest.shape``'s
    bounds. Bad cells are findings, never errors. This parses in the calling process: files from outside go
    through ``bk.ingest.sandbox.read_untrusted``.
    """
    name, data = read_source(source, name=name)
    digest = hashlib.sha256(data).hexdigest()
    return _parse(_table(data, name), name=name, sha256=digest)


def read_source(source: str | Path | bytes, *, name: str | None = None) -> tuple[str, bytes]:
    """(display name, bytes) of a path or of bytes, refused (InvalidExportError) when unreadable, larger than
    ``MAX_FILE_BYTES`` (checked before a file is read) or empty."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InvalidExportError(safe_display_name(name), f"is {size / 2**20:.0f} MB; the limit is "
                                                                  f"{MAX_FILE_BYTES // 2**20} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidExportError(safe_display_name(name), f"cannot be read ({exc.strerror or exc})") from exc
    else:
        data = bytes(source)
        name = name or "upload"
    name = safe_display_name(name)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidExportError(name, f"is {len(data) / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
    if not data.strip():
        raise InvalidExportError(name, "is empty; export the report again from eFab")
    return name, data


def safe_display_name(name: str) -> str:
    """The last path part of an uploaded file name, without control characters: for messages, never a path."""
    text = re.sub(r"[\x00-\x1f\x7f]", "", str(name)).replace("\\", "/")
    text = text.rsplit("/", 1)[-1].strip() or "upload"
    return text[:200]


# ---------------------------------------------------------------------------------------------- raw grids


@dataclass
class _Table:
    """A raw table: its kind, the 0-based index of the header row, and the body as text cells under the header."""

    kind: Kind
    header_index: int
    raw: pd.DataFrame
    first_data_row: int  # spreadsheet row number (JSON: record number) of raw's first row
    notes: list[tuple[int, str]] = field(default_factory=list)  # (row, message) found while reading


def _table(data: bytes, name: str) -> _Table:
    """Bytes -> the raw table of a CSV, XLSX or JSON-array export, with its kind recognised from the header."""
    if data[:4] == b"PK\x03\x04":
        return _rows_table(_xlsx_rows(data, name), name)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidExportError(name, "is an old binary Excel (.xls) or Office file; save it as .xlsx or .csv")
    text = _decode(data, name)
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _json_table(shape.load_json_records(stripped, name), name)
    if stripped.startswith("{"):
        raise InvalidExportError(name, "is a JSON object; the QuadS exports are JSON arrays of records")
    return _csv_table(text, name)


def _json_table(records: list[dict], name: str) -> _Table:
    header_keys = list(dict.fromkeys(k for r in records[:200] for k in r))  # first-seen order, linear
    kind, _, missing = recognise(header_keys)
    if kind is None:
        hint = f" (closest: {missing[0]} missing)" if missing else ""
        raise InvalidExportError(name, f"is a JSON array but not a known QuadS export{hint}")
    return _Table(kind, 0, pd.DataFrame.from_records(records), first_data_row=1)


def _csv_table(text: str, name: str) -> _Table:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") and sample.count(";") > 2 else ","
    shape.check_csv(text, delimiter, name)  # no row wider than MAX_ROW_FIELDS before a parser sizes anything
    head = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                 HEADER_SEARCH_ROWS + 1))
    header_index, kind = _find_header(head, name)
    header = head[header_index]
    shape.check_header_width(header, name)
    simple_head = "\n" not in "".join("".join(r) for r in head[: header_index + 1])
    # pandas would take the extra leading cells of a first data row wider than the header as a (Multi)Index
    wide_first = any(len(r) > len(header) for r in head[header_index + 1:])
    if simple_head and not wide_first:
        # fast path: pandas' C parser; a row with more cells than the header sends us to the careful path
        try:
            raw = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, skiprows=header_index + 1,
                              names=list(range(len(header))), dtype=str, keep_default_na=False,
                              na_filter=False, skip_blank_lines=False, engine="c", index_col=False)
        except (pd.errors.ParserError, ValueError):
            pass
        else:
            raw.columns = header
            return _Table(kind, header_index, raw, first_data_row=header_index + 2)
    # the careful path: rows longer than the header are cut as they are read (a note each), never held whole
    width, notes, rows = len(header), [], []
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        if number > header_index + 1 and len(row) > width:
            if any(c.strip() for c in row[width:]):
                notes.append((number, f"has {len(row)} cells, the header has {width}; extra cells ignored"))
            row = row[:width]
        rows.append(row)
    table = _rows_table(rows, name)
    table.notes = notes + table.notes
    return table


def _rows_table(rows: list[list[str]], name: str) -> _Table:
    header_index, kind = _find_header(rows, name)
    header = list(rows[header_index])
    body = rows[header_index + 1 :]
    width = len(header)
    notes = [(header_index + 2 + i, f"has {len(r)} cells, the header has {width}; extra cells ignored")
             for i, r in enumerate(body) if len(r) > width and any(str(c).strip() for c in r[width:])]
    padded = [(list(r) + [""] * (width - len(r)))[:width] for r in body]
    raw = pd.DataFrame(padded, columns=pd.RangeIndex(width), dtype="string")
    raw.columns = header
    return _Table(kind, header_index, raw, first_data_row=header_index + 2, notes=notes)


def _decode(data: bytes, name: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidExportError(name, "starts like UTF-16 text but does not decode as UTF-16") from exc
    if b"\x00" in data[:4096]:
        raise InvalidExportError(name, "is binary, not a CSV/XLSX export (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > 8 or text[:4096].count("\ufffd") > 8:
        raise InvalidExportError(name, "is binary, not a CSV/XLSX export")
    return text


def _xlsx_rows(data: bytes, name: str) -> list[list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidExportError(name, "is a damaged or truncated .xlsx workbook; export it again") from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise InvalidExportError(name, "is a zip file but not an Excel workbook")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise InvalidExportError(name, "is a macro-enabled workbook; save it as a plain .xlsx or .csv without macros")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNCOMPRESSED_BYTES or unpacked > MAX_XLSX_RATIO * max(len(data), 1) + 50 * 2**20:
        raise InvalidExportError(
            name, f"unpacks to {unpacked / 2**20:.0f} MB from {len(data) / 2**20:.1f} MB; refused as a possible zip bomb"
        )
    shape.check_workbook(archive, name)  # sheets that declare or use a huge range, before any engine reads them
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine=_excel_engine(),
                              keep_default_na=False, na_filter=False)
    except Exception as exc:  # the Excel engines raise many unrelated types for a broken workbook
        raise InvalidExportError(name, f"is a workbook that cannot be read ({type(exc).__name__}); export it again") from exc
    return [[_cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _excel_engine() -> str:
    try:
        import python_calamine  # noqa: F401  -- ten times faster than openpyxl on the mill's sheets
    except ImportError:
        return "openpyxl"
    return "calamine"


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    return str(value)


# -------------------------------------------------------------------------------------- kind recognition


def recognise(headers: list[str]) -> tuple[Kind | None, int, list[str]]:
    """The kind whose required headers are all present (most matched columns wins).

    Returns (kind, matched, missing) where ``missing`` lists the closest kind's absent headers when none fits.
    """
    present = {norm_header(h) for h in headers}
    best: tuple[Kind | None, int] = (None, -1)
    closest: tuple[float, list[str]] = (0.0, [])
    for kind in KINDS.values():
        required = [c for c in kind.columns if c.required]
        missing = [c.headers[0] for c in required if not any(norm_header(h) in present for h in c.headers)]
        if missing:
            share = 1 - len(missing) / len(required)
            if share >= 0.5 and share > closest[0]:
                closest = (share, [f"{kind.name}: {', '.join(missing)}"])
            continue
        matched = sum(1 for c in kind.columns if any(norm_header(h) in present for h in c.headers))
        if matched > best[1]:
            best = (kind, matched)
    return best[0], best[1], closest[1]


def _find_header(rows: list[list[str]], name: str) -> tuple[int, Kind]:
    closest: list[str] = []
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not any(cell.strip() for cell in row):
            continue
        kind, _, missing = recognise(row)
        if kind is not None:
            return index, kind
        closest = closest or missing
    if not rows or not any(any(c.strip() for c in r) for r in rows):
        raise InvalidExportError(name, "has no rows; export the report again from eFab")
    hint = f" (closest: {closest[0]} missing)" if closest else ""
    raise InvalidExportError(
        name, f"no known export header in the first {HEADER_SEARCH_ROWS} rows{hint}; is this an eFab export?"
    )


# ------------------------------------------------------------------------------------------------ parsing


class _Findings(list):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def add(self, severity: Severity, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.append(Finding(self.file, row, column, severity, message))


def _parse(table: _Table, *, name: str, sha256: str) -> Export:
    findings = _Findings(name)
    for row, message in table.notes[:CELL_FINDINGS_PER_COLUMN]:
        findings.add("warning", message, row=row)
    kind, raw, first_data_row, header_index = table.kind, table.raw, table.first_data_row, table.header_index
    source_rows = None
    if kind.name == "stage_p01":
        raw, source_rows = _p01_groups(raw, first_data_row, findings)
    frame, row_numbers, source_columns, dates_in_content = _typed_frame(raw, kind, findings, first_data_row,
                                                                         source_rows)
    frame = checks.derive_and_check(kind.name, frame, findings.add, row_numbers)
    if frame.empty:
        findings.add("warning", "has a header but no data rows")
    frame = compact_frame(frame)
    return Export(
        name=name,
        kind=kind.name,
        frame=frame,
        findings=list(findings),
        sha256=sha256,
        header_row=header_index + 1,
        source_columns=source_columns,
        dates_in_content=dates_in_content,
    )


def _typed_frame(
    raw: pd.DataFrame, kind: Kind, findings: _Findings, first_data_row: int, source_rows: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray, list[str], list[date]]:
    """``source_rows``: the spreadsheet row of each raw row when raw is not contiguous (P01 without its group rows)."""
    headers = [str(h) for h in raw.columns]
    normalised = [norm_header(h) for h in headers]
    # blank rows (the BOM has thousands) carry nothing: count them, then drop
    blank_row = pd.Series(_blank_cells(raw).all(axis=1), index=raw.index)
    if blank_row.any():
        findings.add("info", f"{int(blank_row.sum())} blank rows skipped")
    raw = raw.loc[~blank_row.to_numpy()]
    kept = np.flatnonzero(~blank_row.to_numpy())
    row_numbers = pd.Series(kept + first_data_row if source_rows is None else source_rows[kept], index=raw.index)

    out: dict[str, pd.Series] = {}
    if kind.name == "suppliers":
        # retired suppliers carry 'Remove' in Lead_time/MOQ/Type instead of values: a flag, not bad cells
        marked = _marked_cells(raw, RETIRED_MARKERS)
        out["retired"] = pd.Series(marked.any(axis=1), index=raw.index)
        raw = raw.mask(marked, "")
    used: set[int] = set()
    for column in kind.columns:
        position = next(
            (i for i, h in enumerate(normalised) if i not in used and h in {norm_header(a) for a in column.headers}),
            None,
        )
        if position is None:
            continue
        used.add(position)
        out[column.name] = _clean_column(raw.iloc[:, position], column, headers[position], findings, row_numbers)
        if (kind.name, column.name) == ("knit_orders", "knit_order"):
            # eFab appends a warning icon (<i class='fa fa-exclamation-triangle' title=...>) to some KO numbers
            out["has_warning"] = raw.iloc[:, position].astype("string").str.contains("<i", regex=False, na=False)
        if (kind.name, column.name) == ("sales_orders", "unit_price_usd"):
            out["price_uom"] = unit_suffix(raw.iloc[:, position]).astype("category")

    # optional columns absent from this export: added empty (typed) so that services never meet a KeyError
    absent = [c for c in kind.columns if not c.required and c.name not in out]
    for column in absent:
        out[column.name] = _empty_column(column, raw.index)
    if kind.name == "sales_orders" and "price_uom" not in out:
        out["price_uom"] = pd.Series(pd.NA, index=raw.index, dtype="string").astype("category")
    shown = [c.headers[0] for c in absent if not c.headers[0].endswith("(group)")]
    if shown:
        findings.add("info", "optional columns not in this export, left empty: " + ", ".join(shown)
                     + "; what depends on them is shown as unknown")

    dates_in_content: list[date] = []
    for pattern, mode in kind.pattern_columns:
        regex = re.compile(pattern)
        for i, h in enumerate(normalised):
            if i in used or not regex.match(h):
                continue
            used.add(i)
            target = _pattern_target(mode, headers[i].strip())
            if target is None:
                findings.add("warning", f"column '{headers[i]}' looks like a week but its date cannot be read")
                continue
            out[target], _ = _clean_numeric(raw.iloc[:, i], headers[i], True, findings, row_numbers,
                                            bounds=plausible_range(target))
            if mode == "iso_week":
                dates_in_content.append(pd.Timestamp(_parse_header_date(headers[i].strip())).date())

    ignored = [headers[i] for i in range(len(headers)) if i not in used]
    spacer = [h for i, h in enumerate(headers) if i not in used and not h.strip()]
    named = [h for h in ignored if h.strip()]
    if named:
        findings.add("info", f"columns not used by the dashboard: {', '.join(named[:12])}" + (" …" if len(named) > 12 else ""))
    if spacer:
        nonblank = sum(int((raw.iloc[:, i].astype("string").str.strip().fillna("") != "").sum())
                       for i, h in enumerate(headers) if i not in used and not h.strip())
        if nonblank:
            findings.add("warning", f"{nonblank} values under blank (spacer) headers ignored")
    ordered = [c.name for c in kind.columns if c.name in out]
    ordered += [c for c in out if c not in ordered]
    frame = pd.DataFrame({c: out[c] for c in ordered}, index=raw.index).reset_index(drop=True)
    return frame, row_numbers.to_numpy(), headers, dates_in_content


# a P01 group row's first cell: 'Style #: CF2007/0 (3 rolls, 1,234.5 yds, 456.7 lbs, 3 good, 0 bad)'
_P01_GROUP = re.compile(r"^\s*(style|so|order)\s*#\s*:\s*(.*?)\s*(?:\(([^()]*)\))?\s*$", re.IGNORECASE)
_P01_TOTAL = re.compile(r"(-?[\d,]*\.?\d+)\s*(rolls?|yds|lbs|good|bad)\b", re.IGNORECASE)
_P01_LEVELS = ("style", "so", "order")  # outermost first


def _p01_groups(raw: pd.DataFrame, first_data_row: int, findings: _Findings) -> tuple[pd.DataFrame, np.ndarray]:
    """P01's grouped report -> one row per roll: the group rows ('Style #: …', 'SO #: …', 'Order #: …' in the
    first cell, the other cells empty) are removed and their values carried down onto the roll rows below as the
    columns of ``schema.P01_GROUP_HEADERS``. Each group's stated rolls/yds/lbs are checked against its roll rows
    (a warning when they differ). Returns the roll rows and their spreadsheet row numbers."""
    if raw.shape[1] == 0:
        return raw, np.arange(len(raw)) + first_data_row
    first = raw.iloc[:, 0].astype("string").fillna("").to_numpy(dtype=object)
    rest_blank = _blank_cells(raw.iloc[:, 1:]).all(axis=1) if raw.shape[1] > 1 else np.ones(len(raw), dtype=bool)
    current: dict[str, str | None] = dict.fromkeys(_P01_LEVELS)
    groups: list[dict] = []  # level, value, stated totals, spreadsheet row, roll positions
    open_groups: dict[str, dict | None] = dict.fromkeys(_P01_LEVELS)
    carried = {level: np.full(len(raw), None, dtype=object) for level in _P01_LEVELS}
    is_group = np.zeros(len(raw), dtype=bool)
    orphans: list[int] = []
    for i, cell in enumerate(first):
        m = _P01_GROUP.match(cell) if rest_blank[i] and cell else None
        if m is not None:
            level = m.group(1).lower()
            is_group[i] = True
            depth = _P01_LEVELS.index(level)
            for inner in _P01_LEVELS[depth:]:  # a new group closes the groups it contains
                current[inner] = None
                open_groups[inner] = None
            current[level] = m.group(2).strip() or None
            stated = {unit.lower().rstrip("s") if unit.lower().startswith("roll") else unit.lower():
                      float(number.replace(",", "")) for number, unit in _P01_TOTAL.findall(m.group(3) or "")}
            group = {"level": level, "value": current[level], "stated": stated, "row": first_data_row + i,
                     "rolls": []}
            groups.append(group)
            open_groups[level] = group
            continue
        if not cell.strip() and rest_blank[i]:
            continue  # a blank row: skipped (and counted) later
        for level in _P01_LEVELS:
            carried[level][i] = current[level]
            if open_groups[level] is not None:
                open_groups[level]["rolls"].append(i)
        if current["style"] is None:
            orphans.append(first_data_row + i)
    rows = np.flatnonzero(~is_group)
    out = raw.iloc[rows].reset_index(drop=True).copy()
    for level in _P01_LEVELS:
        out[schema.P01_GROUP_HEADERS[level]] = pd.array(carried[level][rows], dtype="string")
    if groups:
        findings.add("info", f"{len(groups)} group rows (Style #, SO #, Order #) read as columns of their "
                     f"{int((~is_group).sum())} roll rows")
    if orphans:
        findings.add("warning", f"{len(orphans)} roll rows stand above any 'Style #:' group row (first: row "
                     f"{orphans[0]}); their style, SO # and Order # are blank")
    _check_p01_totals(raw, groups, findings)
    return out, rows + first_data_row


def _check_p01_totals(raw: pd.DataFrame, groups: list[dict], findings: _Findings) -> None:
    """Each group's stated rolls / yds / lbs against the sum of its roll rows."""
    normalised = [norm_header(h) for h in raw.columns]
    sums = {}
    for unit, header in (("yds", "qty (yds)"), ("lbs", "qty (lbs)")):
        if header in normalised:
            sums[unit] = parse_numbers(raw.iloc[:, normalised.index(header)], blank_zero=True)[0].to_numpy()
    checked = 0
    for g in groups:
        found = {"roll": float(len(g["rolls"]))}
        found.update({u: float(np.nansum(v[g["rolls"]])) for u, v in sums.items()})
        label = {"style": "Style #", "so": "SO #", "order": "Order #"}[g["level"]]
        for unit, stated in g["stated"].items():
            if unit not in found:
                continue
            tolerance = 0.0 if unit == "roll" else max(0.5, 0.001 * abs(stated))
            if abs(found[unit] - stated) > tolerance:
                if checked < CELL_FINDINGS_PER_COLUMN:
                    what = "rolls" if unit == "roll" else unit
                    findings.add("warning", f"group '{label}: {g['value']}' states {stated:,.6g} {what} but its "
                                 f"roll rows add up to {found[unit]:,.6g}; check the export", row=g["row"],
                                 column=raw.columns[0])
                checked += 1
    if checked > CELL_FINDINGS_PER_COLUMN:
        findings.add("warning", f"{checked - CELL_FINDINGS_PER_COLUMN} more group totals differ from their rolls")


def _empty_column(column: Column, index: pd.Index) -> pd.Series:
    """An all-blank column of ``column``'s cleaned type (0.0 for numbers the ERP prints blank as zero)."""
    if column.type == "number":
        return pd.Series(0.0 if column.blank_zero else np.nan, index=index, dtype="float64")
    if column.type == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if column.type == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if column.type == "html_flag":
        return pd.Series(pd.NA, index=index, dtype="boolean")
    text = pd.Series(pd.NA, index=index, dtype="string")
    return text.astype("category") if column.type == "category" else text


def _blank_cells(raw: pd.DataFrame) -> np.ndarray:
    """A (rows, columns) boolean array: the cell is missing or only white space."""
    if raw.shape[1] == 0:
        return np.ones((len(raw), 1), dtype=bool)
    columns = [raw.iloc[:, i].astype("string") for i in range(raw.shape[1])]
    return np.column_stack([(c.isna() | (c.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
                            for c in columns])


def _marked_cells(raw: pd.DataFrame, markers: tuple[str, ...]) -> np.ndarray:
    """A (rows, columns) boolean array: the cell's text is one of ``markers`` (any case, stripped)."""
    if raw.shape[1] == 0:
        return np.zeros((len(raw), 0), dtype=bool)
    return np.column_stack([
        raw.iloc[:, i].astype("string").str.strip().str.lower().isin(markers).to_numpy(dtype=bool, na_value=False)
        for i in range(raw.shape[1])
    ])


def _pattern_target(mode: str, header: str) -> str | None:
    if mode == "iso_week":
        when = _parse_header_date(header)
        if when is None:
            return None
        iso = when.isocalendar()
        return schema.iso_week_column(iso.year, iso.week)
    h = norm_header(header)
    if mode == "demand_bucket":
        measure, _, bucket = h.partition(" ")
        return schema.demand_bucket_column(measure, bucket)
    if mode == "week_bucket":
        return schema.week_bucket_column(h)
    return None


def _parse_header_date(header: str) -> pd.Timestamp | None:
    parsed, bad = parse_dates(pd.Series([header.removesuffix(" 00:00:00")]))
    return None if bad.iloc[0] or pd.isna(parsed.iloc[0]) else parsed.iloc[0]


def _report_bad(bad: pd.Series, values: pd.Series, header: str, expected: str, findings: _Findings,
                row_numbers: pd.Series, severity: Severity = "warning") -> None:
    positions = np.flatnonzero(bad.to_numpy(dtype=bool))
    for pos in positions[:CELL_FINDINGS_PER_COLUMN]:
        cell = str(values.iloc[pos])
        shown = cell if len(cell) <= 40 else cell[:37] + "..."
        findings.add(severity, f"'{shown}' is not {expected}; left blank", row=int(row_numbers.iloc[pos]),
                     column=header)
    if len(positions) > CELL_FINDINGS_PER_COLUMN:
        findings.add(severity, f"{len(positions) - CELL_FINDINGS_PER_COLUMN} more cells are not {expected}",
                     column=header)


def _clean_numeric(values: pd.Series, header: str, blank_zero: bool, findings: _Findings,
                   row_numbers: pd.Series, *, bounds: tuple[float, float]) -> tuple[pd.Series, pd.Series]:
    numbers, bad = parse_numbers(values, blank_zero=blank_zero)
    _report_bad(bad, values, header, "a number", findings, row_numbers)
    low, high = bounds
    huge = (numbers < low) | (numbers > high)
    if huge.any():
        span = f"{low:.6g} to {high:.6g}"
        positions = np.flatnonzero(huge.to_numpy(dtype=bool, na_value=False))
        for pos in positions[:CELL_FINDINGS_PER_COLUMN]:
            findings.add("warning", f"{numbers.iloc[pos]:.6g} is outside the plausible range ({span}); left blank",
                         row=int(row_numbers.iloc[pos]), column=header)
        if len(positions) > CELL_FINDINGS_PER_COLUMN:
            findings.add("warning", f"{len(positions) - CELL_FINDINGS_PER_COLUMN} more cells are outside the "
                         f"plausible range ({span}); left blank", column=header)
        numbers = numbers.mask(huge)
    return numbers, bad


def _clean_column(values: pd.Series, column: Column, header: str, findings: _Findings,
                  row_numbers: pd.Series) -> pd.Series:
    kind = column.type
    if kind == "number":
        return _clean_numeric(values, header, column.blank_zero, findings, row_numbers,
                              bounds=plausible_range(column.name))[0]
    if kind == "int":
        numbers, bad = parse_integers(values)
        _report_bad(bad, values, header, "a whole number", findings, row_numbers)
        if column.required:
            missing = numbers.isna() & ~bad
            if missing.any():
                first = [int(row_numbers.iloc[p]) for p in np.flatnonzero(missing.to_numpy(dtype=bool))[:5]]
                findings.add("warning", f"{int(missing.sum())} rows have no value (rows {', '.join(map(str, first))}"
                             + (" …" if missing.sum() > 5 else "") + ")", column=header)
        return numbers
    if kind == "date":
        dates, bad = parse_dates(values)
        _report_bad(bad, values, header, f"a date between {DATE_MIN:%Y-%m-%d} and {DATE_MAX:%Y-%m-%d}", findings,
                    row_numbers)
        return dates
    if kind == "html_flag":
        flags, bad = parse_toggle(values)
        _report_bad(bad, values, header, "an on/off toggle", findings, row_numbers)
        return flags
    text = strip_html(values)
    if kind == "category":
        return text.astype("category")
    if kind == "style":
        return text.astype("string")
    return text.astype("string")
