"""A snapshot (the exports of one day) and the store that keeps them on disk, atomically, never overwriting.

Beside each original file the store keeps a parsed copy (``<sha256>.parquet``, written in the same atomic save)
so that loading a snapshot reads columns instead of parsing the exports again. The copy carries the parser's
fingerprint; a copy from another parser version, or one that is missing or unreadable, is ignored and the
original is parsed, so the originals stay the only source of truth.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from bk.errors import InvalidExportError, MissingDataError, SnapshotError
from bk.ingest.parsed import PARSED_SUFFIX, parsed_copy, read_parsed_copy
from bk.ingest.reader import Export, Finding, read_export, safe_display_name
from bk.ingest.sandbox import read_untrusted
from bk.ingest.schema import CARRIED_KINDS, KINDS

MANIFEST = "manifest.json"
STALE_TMP_S = 15 * 60  # a save writes for seconds: a temporary folder this old was left by a crash
STALE_SWEEP_EVERY_S = 60.0  # opening the store looks for such folders at most this often per store folder
_SWEPT: dict[str, float] = {}
_NAME_DATE = [
    (re.compile(r"(20\d{2})[-_.]?([01]\d)[-_.]?([0-3]\d)"), ("y", "m", "d")),
    (re.compile(r"(?<!\d)([01]?\d)[-_.]([0-3]?\d)[-_.](20\d{2})(?!\d)"), ("m", "d", "y")),
]


@dataclass
class Snapshot:
    """The parsed exports of one day, by kind, with its as-of date and a digest of its content."""

    exports: dict[str, Export]
    as_of: date
    as_of_source: str  # 'given', 'file names', 'contents' or 'today'
    snapshot_id: str = "unsaved"
    inherited: dict[str, str] = field(default_factory=dict)  # carried kind -> snapshot id it was taken from
    _cross: list[Finding] | None = field(default=None, repr=False, compare=False)

    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        """The frames by kind; a stored export's frame is decoded when first asked for (``Frames``)."""
        return Frames(self.exports)

    @property
    def cross_findings(self) -> list[Finding]:
        """Findings that need two exports (``cross_findings``), found when first asked for: they read frames."""
        if self._cross is None:
            self._cross = cross_findings(self.exports)
        return self._cross

    @property
    def digest(self) -> str:
        """sha256 over the as-of date and the files' hashes: the cache key of everything computed from it."""
        return content_digest(self.as_of, {kind: e.sha256 for kind, e in self.exports.items()})

    @property
    def findings(self) -> list[Finding]:
        return [f for e in self.exports.values() for f in e.findings] + self.cross_findings

    def frame(self, kind: str) -> pd.DataFrame:
        """The frame of one kind; raises MissingDataError naming the export when the snapshot lacks it."""
        if kind not in self.exports:
            raise MissingDataError(
                f"this snapshot has no {KINDS[kind].title} export ({kind}); upload it on the Data page"
            )
        return self.exports[kind].frame

    def summary(self) -> pd.DataFrame:
        """One row per export: kind, file, rows, findings by severity, inherited-from."""
        rows = []
        for kind, e in sorted(self.exports.items()):
            counts = e.severity_counts()
            rows.append({
                "kind": kind, "title": KINDS[kind].title, "file": e.name, "rows": e.rows,
                "errors": counts["error"], "warnings": counts["warning"], "info": counts["info"],
                "inherited_from": self.inherited.get(kind, ""),
            })
        return pd.DataFrame(rows)


class Frames(Mapping):
    """A snapshot's frames by kind, each taken from its export when asked for: a computation decodes the frames
    it reads, not every frame of the snapshot (``bk.ingest.parsed.StoredExport``)."""

    def __init__(self, exports: Mapping[str, Export]):
        self._exports = exports

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self._exports[kind].frame

    def __iter__(self):
        return iter(self._exports)

    def __len__(self) -> int:
        return len(self._exports)


def content_digest(as_of: date, sha256_by_kind: Mapping[str, str]) -> str:
    """A snapshot's digest: sha256 over the as-of date and each kind's file hash."""
    h = hashlib.sha256(as_of.isoformat().encode())
    for kind in sorted(sha256_by_kind):
        h.update(f"{kind}:{sha256_by_kind[kind]};".encode())
    return h.hexdigest()


def _donors(info: SnapshotInfo, infos: Sequence[SnapshotInfo]) -> dict[str, SnapshotInfo]:
    """Carried kinds (master data, sales history) the snapshot lacks, each with the latest earlier snapshot that
    has it."""
    earlier = [i for i in infos if (i.as_of, i.saved_at) <= (info.as_of, info.saved_at) and i is not info]
    donors = {}
    for kind in CARRIED_KINDS:
        if kind in info.kinds:
            continue
        donor = next((i for i in reversed(earlier) if kind in i.kinds), None)
        if donor is not None:
            donors[kind] = donor
    return donors


def cross_findings(exports: Mapping[str, Export]) -> list[Finding]:
    """Findings that need two exports: BOM yarns unknown to inventory, knit-order styles without a BOM."""
    found: list[Finding] = []
    bom, inventory, kos = exports.get("bom"), exports.get("yarn_inventory"), exports.get("knit_orders")
    if bom is not None and inventory is not None:
        known = set(inventory.frame["yarn_id"].dropna().astype(int))
        used = set(bom.frame["yarn_id"].dropna().astype(int))
        unknown = sorted(used - known)
        if unknown:
            shown = ", ".join(map(str, unknown[:15])) + (" …" if len(unknown) > 15 else "")
            found.append(Finding(bom.name, None, "Desc#", "warning",
                                 f"{len(unknown)} BOM yarns are not in the yarn inventory: {shown}"))
    if bom is not None and kos is not None:
        styles = set(bom.frame["style"].dropna())
        open_kos = kos.frame[kos.frame["balance_lbs"] > 0]
        # a set lookup per open KO: Series.isin on Arrow strings converts the whole set first (24 ms for the
        # real BOM's 6,110 styles, on every snapshot load)
        missing = open_kos[[style not in styles for style in open_kos["style"]]]
        for _, ko in missing.head(25).iterrows():
            found.append(Finding(kos.name, None, "Style #", "warning",
                                 f"open knit order {ko['knit_order']} style '{ko['style']}' has no BOM "
                                 f"({ko['balance_lbs']:,.0f} lbs without yarn demand)"))
        if len(missing) > 25:
            found.append(Finding(kos.name, None, "Style #", "warning",
                                 f"{len(missing) - 25} more open knit orders have no BOM"))
    return found


def infer_as_of(exports: Mapping[str, Export], names: Iterable[str]) -> tuple[date, str]:
    """The snapshot's as-of date: a date in a file name, else the latest edit in the contents, else today."""
    from_names = [d for n in names if (d := date_in_name(n)) is not None]
    if from_names:
        return max(from_names), "file names"
    stamps: list[pd.Timestamp] = []
    if "knit_orders" in exports and "modified_date" in exports["knit_orders"].frame:
        stamps.append(exports["knit_orders"].frame["modified_date"].max())
    if "yarn_po" in exports and "ordered_at" in exports["yarn_po"].frame:
        stamps.append(exports["yarn_po"].frame["ordered_at"].max())
    stamps = [s for s in stamps if pd.notna(s)]
    if stamps:
        return max(stamps).date(), "contents"
    if "expected_yarn" in exports and exports["expected_yarn"].dates_in_content:
        # the first date-named column is the Friday of the week after 'This Week'
        first = min(exports["expected_yarn"].dates_in_content)
        return (pd.Timestamp(first) - pd.Timedelta(days=7)).date(), "contents"
    return date.today(), "today"


def date_in_name(name: str) -> date | None:
    """A date written in a file name (``eFab_Knit_Orders_20250822.xlsx``, ``inv 8-28-2025.csv``), else None."""
    for pattern, order in _NAME_DATE:
        m = pattern.search(name)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                continue
    return None


def parse_files(files: Sequence[tuple[str, bytes]], *, trusted: bool = False
                ) -> tuple[dict[str, Export], list[InvalidExportError]]:
    """Parse uploaded (name, bytes) pairs; returns the exports by kind and the files that failed.

    Files are read in the parsing sandbox (``bk.ingest.sandbox``) unless ``trusted`` (files we wrote ourselves,
    like the demo). Two files of the same kind are an error for the second one (a snapshot holds one file per kind).
    """
    exports: dict[str, Export] = {}
    failures: list[InvalidExportError] = []
    read = read_export if trusted else read_untrusted
    for name, data in files:
        try:
            export = read(data, name=name)
        except InvalidExportError as exc:
            failures.append(exc)
            continue
        if export.kind in exports:
            failures.append(InvalidExportError(
                export.name, f"is a second {export.kind} export (already have {exports[export.kind].name}); "
                "a snapshot holds one file per kind"))
            continue
        exports[export.kind] = export
    return exports, failures


def files_in(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly plus the files directly inside named folders (hidden files skipped), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(c for c in p.iterdir() if c.is_file() and not c.name.startswith(".")))
        else:
            found.append(p)
    return found


def load_paths(paths: Iterable[str | Path], *, as_of: date | None = None, trusted: bool = False
               ) -> tuple[Snapshot, list[InvalidExportError]]:
    """A snapshot from files/folders on disk (the CLI and tests); unreadable files are returned, not raised.
    Parsed in the sandbox unless ``trusted`` (see ``parse_files``)."""
    files = files_in(paths)
    pairs = []
    failures: list[InvalidExportError] = []
    for f in files:
        try:
            pairs.append((f.name, f.read_bytes()))
        except OSError as exc:
            failures.append(InvalidExportError(f.name, f"cannot be read ({exc.strerror or exc})"))
    exports, parse_failures = parse_files(pairs, trusted=trusted)
    source = "given"
    if as_of is None:
        as_of, source = infer_as_of(exports, [f.name for f in files])
    snapshot = Snapshot(exports, as_of, source, snapshot_id=str(files[0].parent if files else "empty"))
    return snapshot, failures + parse_failures


# ----------------------------------------------------------------------------------------------- store


@dataclass(frozen=True)
class SnapshotInfo:
    """A saved snapshot as listed from its manifest."""

    snapshot_id: str
    as_of: date
    saved_at: str
    files: list[dict]

    @property
    def kinds(self) -> list[str]:
        return [f["kind"] for f in self.files]


class SnapshotStore:
    """Snapshots on disk: ``root/<id>/`` holds the files named by sha256 and a ``manifest.json``.

    Saving writes everything into a temporary folder beside the final one and renames it in one step, so a
    crash or a full disk leaves either the complete snapshot or nothing. An existing snapshot is never changed.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        now = time.monotonic()
        if now - _SWEPT.get(str(self.root), -STALE_SWEEP_EVERY_S) >= STALE_SWEEP_EVERY_S:
            _SWEPT[str(self.root)] = now
            self.remove_stale_temporaries(older_than_s=STALE_TMP_S)

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SnapshotError(f"cannot create the snapshot folder {self.root}: {exc.strerror or exc}") from exc

    def list(self) -> list[SnapshotInfo]:
        """Saved snapshots, oldest first (by as-of date, then save time). Folders without a manifest are skipped."""
        if not self.root.is_dir():
            return []
        infos = []
        for folder in self.root.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
                infos.append(SnapshotInfo(folder.name, date.fromisoformat(manifest["as_of"]), manifest["saved_at"],
                                          manifest["files"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(infos, key=lambda i: (i.as_of, i.saved_at, i.snapshot_id))

    def latest(self) -> SnapshotInfo | None:
        infos = self.list()
        return infos[-1] if infos else None

    def save(self, files: Sequence[tuple[str, bytes]], *, as_of: date | None = None,
             exports: Mapping[str, Export] | None = None) -> SnapshotInfo:
        """Parse and save uploaded (name, bytes) files as one snapshot; returns its info. ``exports``: the files
        already parsed, by kind (the Data page's uploads): not parsed a second time.

        Raises ``SnapshotError`` (nothing written) when a file cannot be read, when no file was given, or when
        the disk refuses the write. Saving the same files with the same as-of date again returns the existing one.
        """
        if not files:
            raise SnapshotError("no files to save")
        by_hash = {hashlib.sha256(data).hexdigest(): (name, data) for name, data in files}
        if exports is None:
            exports, failures = parse_files(files)
            if failures:
                raise SnapshotError("nothing saved; fix these files first:\n" + "\n".join(map(str, failures)))
        elif sorted(e.sha256 for e in exports.values()) != sorted(by_hash):
            raise SnapshotError("nothing saved: the parsed exports are not the files given")
        source_as_of = as_of or infer_as_of(exports, [n for n, _ in files])[0]
        snapshot = Snapshot(exports, source_as_of, "given")
        snapshot_id = f"{source_as_of.isoformat()}_{snapshot.digest[:10]}"
        existing = {i.snapshot_id: i for i in self.list()}
        if snapshot_id in existing:
            return existing[snapshot_id]
        parsed = {kind: parsed_copy(e) for kind, e in exports.items()}
        manifest = {
            "as_of": source_as_of.isoformat(),
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": [
                {"name": safe_display_name(e.name), "kind": kind, "rows": e.rows, "sha256": e.sha256,
                 "stored_as": e.sha256 + _extension(by_hash[e.sha256][1])}
                | ({"parsed_as": e.sha256 + PARSED_SUFFIX} if parsed[kind] is not None else {})
                for kind, e in sorted(exports.items())
            ],
        }
        self._ensure_root()
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            for entry in manifest["files"]:
                _write_synced(tmp / entry["stored_as"], by_hash[entry["sha256"]][1])
                if "parsed_as" in entry:
                    _write_synced(tmp / entry["parsed_as"], parsed[entry["kind"]])
            _write_synced(tmp / MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
            final = self.root / snapshot_id
            if final.exists():
                raise SnapshotError(f"snapshot {snapshot_id} already exists; not overwritten")
            os.rename(tmp, final)
            _fsync_dir(self.root)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SnapshotError(f"nothing saved: writing the snapshot failed ({exc.strerror or exc})") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return SnapshotInfo(snapshot_id, source_as_of, manifest["saved_at"], manifest["files"])

    def load(self, snapshot_id: str) -> Snapshot:
        """Read a saved snapshot; master data and sales history (``CARRIED_KINDS``) it lacks come from the latest
        earlier snapshot that has them (``inherited``: kind → that snapshot's id)."""
        infos = self.list()
        by_id = {i.snapshot_id: i for i in infos}
        if snapshot_id not in by_id:
            raise SnapshotError(f"no saved snapshot '{safe_display_name(snapshot_id)}'")
        info = by_id[snapshot_id]
        exports = self._read(info)
        inherited: dict[str, str] = {}
        for kind, donor in _donors(info, infos).items():
            exports[kind] = self._read(donor, only=kind)[kind]
            inherited[kind] = donor.snapshot_id
        return Snapshot(exports, info.as_of, "given", snapshot_id=snapshot_id, inherited=inherited)

    def digest(self, snapshot_id: str) -> str:
        """The digest ``load(snapshot_id).digest`` has, from the manifests alone (no file is read)."""
        infos = self.list()
        info = next((i for i in infos if i.snapshot_id == snapshot_id), None)
        if info is None:
            raise SnapshotError(f"no saved snapshot '{safe_display_name(snapshot_id)}'")
        hashes = {f["kind"]: f["sha256"] for f in info.files}
        for kind, donor in _donors(info, infos).items():
            hashes[kind] = next(f["sha256"] for f in donor.files if f["kind"] == kind)
        return content_digest(info.as_of, hashes)

    def _read(self, info: SnapshotInfo, only: str | None = None) -> dict[str, Export]:
        exports = {}
        for entry in info.files:
            if only is not None and entry["kind"] != only:
                continue
            folder = self.root / info.snapshot_id
            path = _safe_child(folder, entry.get("stored_as"))
            if path is None:
                raise SnapshotError(f"snapshot {info.snapshot_id} is damaged: its manifest names "
                                    f"'{safe_display_name(str(entry.get('stored_as')))}', not a file of the snapshot")
            copy = _safe_child(folder, entry.get("parsed_as"))
            original = functools.partial(_read_original, path, entry["name"], info.snapshot_id)
            # a copy's data that fails to decode later takes the original's frame
            export = read_parsed_copy(copy, name=entry["name"], sha256=entry["sha256"],
                                      fallback=lambda original=original: original().frame) if copy else None
            exports[entry["kind"]] = export if export is not None else original()
        return exports

    def remove_stale_temporaries(self, *, older_than_s: float = 0.0) -> int:
        """Delete half-written ``.tmp-*`` folders left by a crash, those untouched for ``older_than_s`` (opening
        the store passes STALE_TMP_S: a save in progress in another process is younger); how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        stale = []
        for p in self.root.glob(".tmp-*"):
            try:
                if p.is_dir() and p.stat().st_mtime <= cutoff:
                    stale.append(p)
            except OSError:
                continue  # removed meanwhile by another process
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)
        return len(stale)


def _read_original(path: Path, name: str, snapshot_id: str) -> Export:
    """A saved original, parsed in the sandbox like an upload (only our parquet copies are trusted)."""
    try:
        return read_untrusted(path, name=name)
    except InvalidExportError as exc:
        raise SnapshotError(f"snapshot {snapshot_id} is damaged: {exc}") from exc


def _safe_child(folder: Path, name: str | None) -> Path | None:
    # the manifest names a file inside the snapshot folder, never a path elsewhere
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return folder / name


def _extension(data: bytes) -> str:
    return ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
