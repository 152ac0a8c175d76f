"""An export as parquet bytes and back: the parsed copy the snapshot store keeps beside each original, and the form
in which the parsing sandbox returns what it read (bytes and metadata, never a pickle)."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from bk.ingest.reader import Export, Finding, safe_display_name

PARSED_SUFFIX = ".parquet"
_PARSED_KEY = b"bk_export"
_PARSER_MODULES = ("reader.py", "cleaning.py", "schema.py", "checks.py", "dtypes.py", "shape.py")


@functools.cache
def parser_fingerprint() -> str:
    """sha256 of the parser's source (reader, cleaning, schema, checks, dtypes, shape) and the pandas version.

    A parsed copy is only trusted when it was written by the same parser: any change to how exports are read
    makes every older copy stale, and loading parses the originals again.
    """
    h = hashlib.sha256(pd.__version__.encode())
    here = Path(__file__).resolve().parent
    for module in _PARSER_MODULES:
        h.update((here / module).read_bytes())
    return h.hexdigest()


def parsed_copy(export: Export) -> bytes | None:
    """The export as parquet bytes with its metadata (kind, findings, header row …), or None.

    None when the frame does not survive a parquet round trip unchanged (a column of mixed Python objects,
    say): that file is then parsed from the original on every load, never read back subtly different.
    """
    if export.parsed_bytes is not None:  # made by the sandbox worker that read it, with this same function
        return export.parsed_bytes
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {
        "parser": parser_fingerprint(), "kind": export.kind, "sha256": export.sha256,
        "header_row": export.header_row, "source_columns": list(export.source_columns),
        "dates_in_content": [d.isoformat() for d in export.dates_in_content],
        "findings": [[f.row, f.column, f.severity, f.message] for f in export.findings],
        # parquet brings categories back as 'str'; these columns had pandas' 'string' (pd.NA) categories
        "string_categories": [str(c) for c, dtype in export.frame.dtypes.items()
                              if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype == "string"],
    }
    try:
        table = pa.Table.from_pandas(export.frame, preserve_index=True)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _PARSED_KEY: json.dumps(meta).encode()})
        buf = io.BytesIO()
        pq.write_table(table, buf)
        data = buf.getvalue()
        back = _frame_from_parquet(data, string_categories=meta["string_categories"])
        pd.testing.assert_frame_equal(back, export.frame, check_exact=True)
    except (pa.ArrowException, AssertionError, AttributeError, KeyError, TypeError, ValueError):
        return None  # no copy: this file is parsed on every load
    return data


def _copy_errors() -> tuple[type[BaseException], ...]:
    """What reading a parsed copy raises when the copy is damaged or not ours (pyarrow imported when needed)."""
    import pyarrow as pa

    return (OSError, pa.ArrowException, AttributeError, KeyError, TypeError, ValueError)


class StoredExport(Export):
    """An export read back from its parsed copy, its frame decoded when first used: loading a snapshot reads its
    files' metadata (rows, findings, header), and a page served from cached results decodes no frame. When the
    copy's data cannot be decoded, ``fallback`` (the original file, parsed) gives the frame."""

    def __init__(self, *, rows: int, data: bytes, string_categories: list[str],
                 fallback: Callable[[], pd.DataFrame] | None, **fields):
        self._rows, self._frame = rows, None
        self._source: tuple | None = (data, string_categories, fallback)
        self._lock = threading.Lock()
        super().__init__(frame=None, **fields)

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            with self._lock:  # two sessions asking at once decode it once
                if self._frame is None:
                    self._frame = self._decode()
                    self._source = None  # the bytes go once the frame exists
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        if value is not None:  # the dataclass's __init__ sets None: the frame comes from the copy
            self._frame = value

    @property
    def rows(self) -> int:
        return self._rows if self._frame is None else len(self._frame)

    def _decode(self) -> pd.DataFrame:
        data, string_categories, fallback = self._source
        try:
            return _frame_from_parquet(data, string_categories=string_categories)
        except _copy_errors():
            if fallback is None:
                raise
            return fallback()


def read_parsed_copy(path: Path, *, name: str, sha256: str,
                     fallback: Callable[[], pd.DataFrame] | None = None) -> Export | None:
    """The Export kept in a parsed copy (a ``StoredExport``: its frame is decoded when first used), or None when
    the copy is missing, unreadable, for another file or stale."""
    try:
        data = path.read_bytes()
        meta, rows = _trusted_meta(data, sha256=sha256)
        if meta is None:
            return None
        return StoredExport(rows=rows, data=data, string_categories=meta["string_categories"], fallback=fallback,
                            **_export_fields(meta, name=name, sha256=sha256))
    except _copy_errors():
        return None


def export_from_copy(data: bytes, *, name: str, sha256: str, any_parser: bool = False) -> Export | None:
    """The Export in parquet bytes made by ``parsed_copy``, or None when they are unreadable, for another file
    (``sha256``) or, unless ``any_parser`` (bytes just made by a sandbox worker), from another parser."""
    try:
        meta, _ = _trusted_meta(data, sha256=sha256, any_parser=any_parser)
        if meta is None:
            return None
        frame = _frame_from_parquet(data, string_categories=meta["string_categories"])
        return Export(frame=frame, **_export_fields(meta, name=name, sha256=sha256))
    except _copy_errors():
        return None


def _export_fields(meta: dict, *, name: str, sha256: str) -> dict:
    """An Export's fields but its frame, from a parsed copy's metadata."""
    name = safe_display_name(name)
    return dict(name=name, kind=meta["kind"], sha256=sha256, header_row=meta["header_row"],
                findings=[Finding(name, row, column, severity, message)
                          for row, column, severity, message in meta["findings"]],
                source_columns=list(meta["source_columns"]),
                dates_in_content=[date.fromisoformat(d) for d in meta["dates_in_content"]])


def _trusted_meta(data: bytes, *, sha256: str, any_parser: bool = False) -> tuple[dict | None, int]:
    """A parsed copy's metadata and its number of rows, from the file's footer; the metadata is None when it has
    none, is for another file (``sha256``) or, unless ``any_parser``, was written by another parser."""
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(io.BytesIO(data)).metadata
    raw = (footer.schema.to_arrow_schema().metadata or {}).get(_PARSED_KEY)
    meta = json.loads(raw) if raw else None
    if meta is None or meta.get("sha256") != sha256 or (not any_parser and meta.get("parser") != parser_fingerprint()):
        meta = None
    return meta, footer.num_rows


def _frame_from_parquet(data: bytes, *, string_categories: list[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    if frame.index.name is None and frame.index.equals(pd.RangeIndex(len(frame))):
        frame.index = pd.RangeIndex(len(frame))  # stored as a column (8 bytes a row): back to what the parser made
    for name in string_categories:
        col = frame[name]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            continue  # e.g. an all-empty column: the round-trip check then refuses the copy
        frame[name] = pd.Categorical.from_codes(col.cat.codes, ordered=col.cat.ordered,
                                                categories=pd.Index(col.cat.categories, dtype="string"))
    return frame
