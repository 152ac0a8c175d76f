"""The snapshot store: atomic saves that never overwrite, nothing written for bad input, masters inherited."""

from __future__ import annotations

import json
import os
from datetime import date

import pandas as pd
import pytest

from bk.errors import SnapshotError
from bk.ingest.snapshot import SnapshotStore, date_in_name, infer_as_of, load_paths, parse_files

MACHINES = ("Machine Report fin1.csv", b"WC,MACH\n9.38.20.F,161\n1.19.22.V,041\n")
SUPPLIERS = ("Supplier_ID.csv", b"Supplier_ID,Supplier,Lead_time,MOQ,Type\n10,DECA GLOBAL,14,2500,Import\n")
INVENTORY = ("yarn_inventory (5).csv",
             b"Desc#,Supplier,Description,Beginning Balance,Consumed,Theoretical Balance,On Order,Allocated,"
             b"Planning Balance,Cost/Pound\n18884,DECA,poly,100,0,100,0,0,100,$1.00\n")


def test_save_writes_files_by_sha256_and_a_manifest(tmp_path):
    store = SnapshotStore(tmp_path / "snaps")
    info = store.save([MACHINES, SUPPLIERS], as_of=date(2025, 8, 28))
    folder = tmp_path / "snaps" / info.snapshot_id
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["as_of"] == "2025-08-28"
    assert {f["kind"] for f in manifest["files"]} == {"machines", "suppliers"}
    entry = next(f for f in manifest["files"] if f["kind"] == "machines")
    assert entry["name"] == "Machine Report fin1.csv" and entry["rows"] == 2
    assert (folder / entry["stored_as"]).read_bytes() == MACHINES[1]
    assert entry["stored_as"].startswith(entry["sha256"])
    assert [i.snapshot_id for i in store.list()] == [info.snapshot_id]


def test_saving_the_same_files_again_never_overwrites(tmp_path):
    store = SnapshotStore(tmp_path)
    first = store.save([MACHINES], as_of=date(2025, 8, 28))
    mtime = os.stat(tmp_path / first.snapshot_id / "manifest.json").st_mtime_ns
    again = store.save([MACHINES], as_of=date(2025, 8, 28))
    assert again.snapshot_id == first.snapshot_id
    assert os.stat(tmp_path / first.snapshot_id / "manifest.json").st_mtime_ns == mtime
    other = store.save([MACHINES], as_of=date(2025, 8, 29))
    assert other.snapshot_id != first.snapshot_id and len(store.list()) == 2


def test_a_bad_file_saves_nothing(tmp_path):
    store = SnapshotStore(tmp_path)
    with pytest.raises(SnapshotError, match=r"garbage\.csv"):
        store.save([MACHINES, ("garbage.csv", b"\x00\x01\x02 binary junk" * 50)])
    assert store.list() == [] and list(tmp_path.iterdir()) == []


def test_a_full_disk_during_save_leaves_nothing_half_written(tmp_path, monkeypatch):
    store = SnapshotStore(tmp_path)
    store.save([SUPPLIERS], as_of=date(2025, 8, 1))
    import bk.ingest.snapshot as snapshot_module

    real_write = snapshot_module._write_synced
    calls = {"n": 0}

    def failing_write(path, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(snapshot_module, "_write_synced", failing_write)
    with pytest.raises(SnapshotError, match="No space left"):
        store.save([MACHINES, INVENTORY], as_of=date(2025, 8, 28))
    assert [i.as_of for i in store.list()] == [date(2025, 8, 1)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []


def test_two_files_of_one_kind_are_refused(tmp_path):
    with pytest.raises(SnapshotError, match="second machines export"):
        SnapshotStore(tmp_path).save([MACHINES, ("Machine Report 2.csv", MACHINES[1] + b"x.y,5\n")])


def test_missing_master_kinds_are_inherited_from_the_latest_earlier_snapshot(tmp_path):
    store = SnapshotStore(tmp_path)
    old = store.save([MACHINES, SUPPLIERS, INVENTORY], as_of=date(2025, 8, 1))
    newer_suppliers = ("Supplier_ID.csv", SUPPLIERS[1] + b"13,FERR,8,1000,Import\n")
    mid = store.save([newer_suppliers, INVENTORY], as_of=date(2025, 8, 15))
    latest = store.save([INVENTORY], as_of=date(2025, 8, 28))
    snap = store.load(latest.snapshot_id)
    assert snap.inherited == {"machines": old.snapshot_id, "suppliers": mid.snapshot_id}
    assert len(snap.frames["suppliers"]) == 2
    assert "yarn_inventory" in snap.exports and snap.as_of == date(2025, 8, 28)
    # yarn_inventory is not a master kind: never inherited
    only_masters = store.save([MACHINES], as_of=date(2025, 9, 1))
    assert "yarn_inventory" not in store.load(only_masters.snapshot_id).exports


SALES = ("Sales Activity Report.csv",
         b"Document,Invoice Date,Customer,fStyle#,Yds_ordered,UOM\nS1,01-02-25,Acme,CT2155-1,100,yds\n")


def test_sales_history_is_carried_over_like_master_data(tmp_path):
    store = SnapshotStore(tmp_path)
    old = store.save([SALES, INVENTORY], as_of=date(2025, 8, 21))
    latest = store.save([INVENTORY], as_of=date(2025, 8, 28))
    snap = store.load(latest.snapshot_id)
    assert snap.inherited == {"sales_activity": old.snapshot_id}
    assert snap.frames["sales_activity"]["sales_style"].tolist() == ["CT2155-1"]
    # a later day's own report is never replaced by an earlier one
    own = store.save([(SALES[0], SALES[1] + b"S2,01-03-25,Acme,CT2155-1,50,yds\n")], as_of=date(2025, 8, 29))
    loaded = store.load(own.snapshot_id)
    assert "sales_activity" not in loaded.inherited and len(loaded.frames["sales_activity"]) == 2


def test_half_written_folders_are_not_listed_and_can_be_cleaned(tmp_path):
    store = SnapshotStore(tmp_path)
    (tmp_path / ".tmp-crashed").mkdir()
    (tmp_path / ".tmp-crashed" / "x.csv").write_bytes(b"1")
    (tmp_path / "no-manifest").mkdir()
    assert store.list() == []
    assert store.remove_stale_temporaries() == 1


def test_opening_the_store_removes_old_save_temporaries_but_not_a_save_in_progress(tmp_path, monkeypatch):
    import time

    import bk.ingest.snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "_SWEPT", {})
    old, young = tmp_path / ".tmp-killed", tmp_path / ".tmp-saving"
    for folder in (old, young):
        folder.mkdir()
        (folder / "x.csv").write_bytes(b"1")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    SnapshotStore(tmp_path)
    assert not old.exists() and young.is_dir()


def test_a_manifest_naming_a_file_outside_its_snapshot_is_refused(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    info = store.save([MACHINES], as_of=date(2025, 9, 1))
    outside = tmp_path / "secret.csv"
    outside.write_bytes(MACHINES[1])
    manifest_path = tmp_path / "store" / info.snapshot_id / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"]:
        entry.pop("parsed_as")  # no parsed copy: the original named by stored_as is what would be read
        entry["stored_as"] = "../../secret.csv"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match=r"its manifest names '.*secret.csv', not a file of the snapshot"):
        store.load(info.snapshot_id)


def test_as_of_from_names_then_contents_then_today():
    assert date_in_name("eFab_Knit_Orders_20250822.xlsx") == date(2025, 8, 22)
    assert date_in_name("inventory 8-28-2025.csv") == date(2025, 8, 28)
    assert date_in_name("yarn_inventory (5).xlsx") is None
    exports, _ = parse_files([MACHINES])
    assert infer_as_of(exports, ["x_2025-08-27.csv"]) == (date(2025, 8, 27), "file names")
    assert infer_as_of(exports, ["x.csv"]) == (date.today(), "today")


def test_as_of_of_the_real_snapshot_comes_from_its_contents(real_dir):
    snapshot, failures = load_paths([real_dir])
    assert failures == [] and (snapshot.as_of, snapshot.as_of_source) == (date(2025, 8, 28), "contents")
    assert len(snapshot.exports) == 21


def test_cross_file_findings_on_the_real_snapshot(real_snapshot):
    messages = [f.message for f in real_snapshot.cross_findings]
    assert any("BOM yarns are not in the yarn inventory" in m for m in messages)
    assert any("has no BOM" in m for m in messages)


def test_cross_findings_name_open_kos_whose_style_has_no_bom():
    from bk.ingest.reader import Export
    from bk.ingest.snapshot import cross_findings

    def export(kind, frame):
        return Export(name=f"{kind}.csv", kind=kind, frame=frame, findings=[], sha256="0" * 64, header_row=1)

    bom = pd.DataFrame({"style": pd.Categorical(["A", "A", "B"]), "yarn_id": pd.array([1, 2, 3], dtype="Int32")})
    kos = pd.DataFrame({"knit_order": ["K1", "K2", "K3", "K4"],
                        "style": pd.array(["A", "C", None, "D"], dtype="string"),
                        "balance_lbs": [10.0, 20.0, 30.0, 0.0]})  # K4 is finished: not reported
    inventory = pd.DataFrame({"yarn_id": pd.array([1, 2, 3], dtype="Int32")})
    found = cross_findings({"bom": export("bom", bom), "knit_orders": export("knit_orders", kos),
                            "yarn_inventory": export("yarn_inventory", inventory)})
    assert [f.message for f in found] == [
        "open knit order K2 style 'C' has no BOM (20 lbs without yarn demand)",
        "open knit order K3 style '<NA>' has no BOM (30 lbs without yarn demand)"]


def test_files_parsed_already_are_saved_without_parsing_again(tmp_path, monkeypatch):
    """The Data page parsed the uploads in the sandbox: saving them stores the worker's parsed copies and parses
    nothing a second time; the snapshot is the one a save from the bytes alone writes."""
    import bk.ingest.snapshot as snapshot_module
    from bk.ingest.sandbox import read_untrusted

    files = [MACHINES, SUPPLIERS]
    parsed = {e.kind: e for e in (read_untrusted(data, name=name) for name, data in files)}
    assert all(e.parsed_bytes for e in parsed.values())  # the sandbox worker's copies
    plain = SnapshotStore(tmp_path / "plain").save(files, as_of=date(2025, 8, 28))

    def no_second_parse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(snapshot_module, "parse_files", no_second_parse)
    monkeypatch.setattr("pyarrow.parquet.write_table", no_second_parse)  # no parquet copy made again either
    info = SnapshotStore(tmp_path / "given").save(files, as_of=date(2025, 8, 28), exports=parsed)
    assert info.snapshot_id == plain.snapshot_id
    assert [(f["kind"], f["sha256"], f.get("parsed_as")) for f in info.files] == \
        [(f["kind"], f["sha256"], f.get("parsed_as")) for f in plain.files]
    for entry in info.files:  # the stored parsed copy is the worker's, byte for byte
        stored = (tmp_path / "given" / info.snapshot_id / entry["parsed_as"]).read_bytes()
        assert stored == parsed[entry["kind"]].parsed_bytes
    loaded = SnapshotStore(tmp_path / "given").load(info.snapshot_id)
    pd.testing.assert_frame_equal(loaded.frame("machines"), parsed["machines"].frame)
    with pytest.raises(SnapshotError, match="not the files given"):
        SnapshotStore(tmp_path / "other").save([MACHINES], exports=parsed)
