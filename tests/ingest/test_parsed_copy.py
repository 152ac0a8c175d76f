"""The parsed (parquet) copy kept beside each saved export: loaded instead of parsing, ignored when not trusted."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

import bk.ingest.parsed as parsed_module
import bk.ingest.snapshot as snapshot_module
from bk.ingest.reader import Export, Finding
from bk.ingest.snapshot import SnapshotStore, files_in, load_paths, parsed_copy

KNIT_ORDERS = ("eFab_Knit_Orders.csv",
               b"Style #,Order #,Start Date,Quoted Date,Qty Ordered (lbs),G00 (lbs),Shipped (lbs),Balance (lbs),"
               b"Seconds (lbs),BKI #s,Modified\n"
               b"CF1/1,KO-1,2025-08-01,2025-09-01,1000,0,0,1000,0,44404,2025-08-20\n"
               b"CF1/1,KO-2,2025-08-04,2025-09-08,abc,0,0,500,0,,2025-08-21\n"
               b"CF2/3,KO-3,,2025-09-15,800,100,0,700,0,45034,2025-08-22\n")
SUPPLIERS = ("Supplier_ID.csv", b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n10,DECA GLOBAL,14,2500,Import\n"
             b"13,FERR,8,1000,Import\n")


def _saved(tmp_path):
    store = SnapshotStore(tmp_path)
    info = store.save([KNIT_ORDERS, SUPPLIERS], as_of=date(2025, 8, 28))
    return store, info


def _parsed(tmp_path):
    snapshot, failures = load_paths([tmp_path / "orig"])
    assert failures == []
    return snapshot


@pytest.fixture
def originals(tmp_path):
    folder = tmp_path / "orig"
    folder.mkdir()
    for name, data in (KNIT_ORDERS, SUPPLIERS):
        (folder / name).write_bytes(data)
    return folder


def _assert_same_exports(loaded, parsed):
    assert sorted(loaded.exports) == sorted(parsed.exports)
    for kind, expected in parsed.exports.items():
        got = loaded.exports[kind]
        pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=True)
        assert got.findings == expected.findings
        assert (got.name, got.kind, got.sha256, got.header_row, got.source_columns, got.dates_in_content) == \
            (expected.name, expected.kind, expected.sha256, expected.header_row, expected.source_columns,
             expected.dates_in_content)


def test_save_keeps_a_parsed_copy_named_by_sha256_beside_each_original(tmp_path, originals):
    store, info = _saved(tmp_path / "store")
    folder = tmp_path / "store" / info.snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert entry["parsed_as"] == entry["sha256"] + ".parquet"
        assert (folder / entry["parsed_as"]).is_file() and (folder / entry["stored_as"]).is_file()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json"] + [e["stored_as"] for e in manifest["files"]] + [e["parsed_as"] for e in manifest["files"]])


def test_loading_reads_the_parsed_copy_without_parsing_and_gets_the_same_exports(tmp_path, originals, monkeypatch):
    store, info = _saved(tmp_path / "store")
    expected = _parsed(tmp_path)

    def no_parsing(*args, **kwargs):
        raise AssertionError("the original was parsed although a parsed copy exists")

    monkeypatch.setattr(snapshot_module, "read_export", no_parsing)
    monkeypatch.setattr(snapshot_module, "read_untrusted", no_parsing)
    loaded = store.load(info.snapshot_id)
    _assert_same_exports(loaded, expected)
    assert loaded.digest != "" and [str(f) for f in loaded.findings] == [str(f) for f in expected.findings]
    assert any(f.severity != "info" for f in loaded.findings)  # the bad 'abc' cell came back as a finding


def test_loading_decodes_no_frame_until_a_computation_reads_it(tmp_path, originals, monkeypatch):
    store, info = _saved(tmp_path / "store")
    decoded: list[int] = []
    real = parsed_module._frame_from_parquet

    def counting(data, **kwargs):
        decoded.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(parsed_module, "_frame_from_parquet", counting)
    loaded = store.load(info.snapshot_id)
    # what a page served from cached results reads of a snapshot: rows, findings, the files table, the digest
    assert {kind: e.rows for kind, e in loaded.exports.items()} == {"knit_orders": 3, "suppliers": 2}
    assert list(loaded.summary()["rows"]) == [3, 2] and loaded.digest
    assert any(f.severity != "info" for e in loaded.exports.values() for f in e.findings)
    assert decoded == []
    frames = loaded.frames
    assert sorted(frames) == ["knit_orders", "suppliers"] and decoded == []  # listing kinds decodes nothing
    assert list(frames["suppliers"]["supplier"]) == ["DECA GLOBAL", "FERR"] and len(decoded) == 1  # the one read
    assert frames["suppliers"] is loaded.frames["suppliers"] and len(decoded) == 1  # decoded once
    _assert_same_exports(loaded, _parsed(tmp_path))


def test_a_copy_whose_data_cannot_be_decoded_gives_the_frame_of_the_original(tmp_path, originals, monkeypatch):
    import pyarrow as pa

    store, info = _saved(tmp_path / "store")
    loaded = store.load(info.snapshot_id)  # its footer reads: the data is decoded when first used
    real = parsed_module._frame_from_parquet
    calls: list[int] = []

    def bad_pages(data, **kwargs):  # the stored copy's data fails (the first decode); the original's parse works
        calls.append(1)
        if len(calls) == 1:
            raise pa.ArrowInvalid("a damaged data page")
        return real(data, **kwargs)

    monkeypatch.setattr(parsed_module, "_frame_from_parquet", bad_pages)
    pd.testing.assert_frame_equal(loaded.frames["knit_orders"], _parsed(tmp_path).frames["knit_orders"],
                                  check_exact=True)
    assert len(calls) >= 2  # the stored copy failed, then the original was parsed


@pytest.mark.parametrize("damage", ["corrupt", "missing", "stale", "other_file"])
def test_an_untrusted_parsed_copy_falls_back_to_parsing_the_original(tmp_path, originals, monkeypatch, damage):
    store, info = _saved(tmp_path / "store")
    folder = tmp_path / "store" / info.snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text())
    knit = next(e for e in manifest["files"] if e["kind"] == "knit_orders")
    supplier = next(e for e in manifest["files"] if e["kind"] == "suppliers")
    copy = folder / knit["parsed_as"]
    if damage == "corrupt":
        copy.write_bytes(copy.read_bytes()[: len(copy.read_bytes()) // 2])
    elif damage == "missing":
        copy.unlink()
    elif damage == "stale":
        monkeypatch.setattr(parsed_module, "parser_fingerprint", lambda: "a newer parser")
    else:  # the suppliers' copy put in place of the knit orders' one
        copy.write_bytes((folder / supplier["parsed_as"]).read_bytes())
    expected = _parsed(tmp_path)
    parsed_names = []
    real_read = snapshot_module.read_untrusted

    def counting_read(path, *, name=None):
        parsed_names.append(name)
        return real_read(path, name=name)

    monkeypatch.setattr(snapshot_module, "read_untrusted", counting_read)
    loaded = store.load(info.snapshot_id)
    _assert_same_exports(loaded, expected)
    expected_parsed = ["Supplier_ID.csv", "eFab_Knit_Orders.csv"] if damage == "stale" else ["eFab_Knit_Orders.csv"]
    assert sorted(parsed_names) == expected_parsed


def test_a_frame_that_does_not_survive_parquet_gets_no_copy_and_is_parsed(tmp_path, monkeypatch):
    mixed = pd.DataFrame({"x": pd.Series([1, "a", 2.5], dtype=object)})
    export = Export(name="x.csv", kind="machines", frame=mixed, findings=[], sha256="0" * 64, header_row=1)
    assert parsed_copy(export) is None
    plain = pd.DataFrame({"work_center": pd.Series(["9.38.20.F"], dtype="string"), "machine": [161]})
    ok = Export(name="m.csv", kind="machines", frame=plain, sha256="1" * 64, header_row=1,
                findings=[Finding("m.csv", 2, "MACH", "warning", "odd")])
    assert parsed_copy(ok) is not None

    monkeypatch.setattr(snapshot_module, "parsed_copy", lambda export: None)
    store, info = _saved(tmp_path)
    assert all("parsed_as" not in entry for entry in info.files)
    assert sorted(store.load(info.snapshot_id).exports) == ["knit_orders", "suppliers"]


def test_the_real_snapshot_loads_from_its_parsed_copies_unchanged(tmp_path, real_snapshot, real_dir, monkeypatch):
    store = SnapshotStore(tmp_path)
    info = store.save([(p.name, p.read_bytes()) for p in files_in([real_dir])])
    assert all("parsed_as" in entry for entry in info.files), [e["kind"] for e in info.files if "parsed_as" not in e]
    monkeypatch.setattr(snapshot_module, "read_export", lambda *a, **k: pytest.fail("parsed an original"))
    monkeypatch.setattr(snapshot_module, "read_untrusted", lambda *a, **k: pytest.fail("parsed an original"))
    loaded = store.load(info.snapshot_id)
    _assert_same_exports(loaded, real_snapshot)
    assert loaded.digest == real_snapshot.digest


def test_a_header_only_export_saves_and_loads_the_same(tmp_path):
    # no rows: parquet brings its empty category columns back as object; the copy must not break the save
    header_only = ("Supplier_ID.csv", b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n")
    store = SnapshotStore(tmp_path)
    info = store.save([header_only], as_of=date(2025, 8, 28))
    expected = parse_files_frame(header_only)
    loaded = store.load(info.snapshot_id).exports["suppliers"].frame
    pd.testing.assert_frame_equal(loaded, expected, check_exact=True)


def parse_files_frame(file):
    from bk.ingest.snapshot import parse_files

    exports, failures = parse_files([file])
    assert failures == []
    return exports["suppliers"].frame


def test_the_parser_fingerprint_covers_every_ingest_module_the_reader_uses():
    # a rule changed in a module left out of the fingerprint would keep serving copies parsed by the old rule
    import ast
    from pathlib import Path

    reader = ast.parse(Path(snapshot_module.__file__).with_name("reader.py").read_text())
    imports = [node for node in ast.walk(reader) if isinstance(node, ast.ImportFrom) and node.module]
    used = {node.module.removeprefix("bk.ingest.") + ".py" for node in imports if node.module.startswith("bk.ingest.")}
    used |= {alias.name + ".py" for node in imports if node.module == "bk.ingest" for alias in node.names}
    assert {"dtypes.py", "checks.py", "cleaning.py"} <= used
    assert used <= set(parsed_module._PARSER_MODULES)
