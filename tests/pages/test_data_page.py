"""AppTest of the Data page: recognise uploads, refuse garbage without saving, save and activate a snapshot."""

from __future__ import annotations

from datetime import date

from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.pages.conftest import no_exceptions, page, tables
from tests.pages.readable import assert_readable, table_with

MACHINES = b"\xef\xbb\xbfWC,MACH\n9.38.20.F,161\n1.19.22.V,041\n"


def table_text(at) -> str:
    return " ".join(frame.to_string() for frame in tables(at))


def test_upload_shows_the_kind_and_saves(isolated_store):
    at = page("data.py").run()
    no_exceptions(at)
    at.file_uploader[0].set_value(("Machine Report fin1.csv", MACHINES, "text/csv")).run()
    no_exceptions(at)
    recognised = table_with(at, "File", "Export")
    assert list(recognised["Export"]) == ["Machines"] and not at.error  # the title, never the kind code
    assert_readable(at)
    save = next(b for b in at.button if b.label == "Save snapshot")
    assert not save.disabled
    save.click().run()
    no_exceptions(at)
    infos = SnapshotStore(isolated_store).list()
    assert len(infos) == 1 and infos[0].kinds == ["machines"]
    assert any("Saved snapshot" in s.value for s in at.success)
    # the very same files again: the page says they were already saved, and nothing new is written
    at.file_uploader[0].set_value(("Machine Report fin1.csv", MACHINES, "text/csv")).run()
    next(b for b in at.button if b.label == "Save snapshot").click().run()
    no_exceptions(at)
    assert len(SnapshotStore(isolated_store).list()) == 1
    assert any("already saved" in s.value and "nothing new was written" in s.value for s in at.success), [
        s.value for s in at.success]


def test_garbage_shows_an_error_naming_the_file_and_saves_nothing(isolated_store):
    at = page("data.py").run()
    at.file_uploader[0].set_value([("Machine Report fin1.csv", MACHINES, "text/csv"),
                                   ("junk.csv", b"\x00\x01\x02\x03" * 300, "text/csv")]).run()
    no_exceptions(at)
    assert any(r"junk\.csv" in e.value and "binary" in e.value for e in at.error)
    save = next(b for b in at.button if b.label == "Save snapshot")
    assert save.disabled
    assert SnapshotStore(isolated_store).list() == []


def test_real_export_upload_is_recognised(real_dir):
    at = page("data.py").run()
    data = (real_dir / "eFab_Knit_Orders.csv").read_bytes()
    at.file_uploader[0].set_value(("eFab_Knit_Orders_20250822.csv", data, "text/csv")).run()
    no_exceptions(at)
    text = table_text(at)
    assert "Knit orders" in text and "194" in text


def test_two_files_of_one_kind_are_refused(isolated_store):
    at = page("data.py").run()
    at.file_uploader[0].set_value([("a.csv", MACHINES, "text/csv"),
                                   ("b.csv", MACHINES + b"x.y,5\n", "text/csv")]).run()
    assert any("Two files are Machines" in e.value for e in at.error)
    assert SnapshotStore(isolated_store).list() == []


def test_upload_token_is_required_when_configured(isolated_store, monkeypatch):
    monkeypatch.setenv("BK_UPLOAD_TOKEN", "s3cret")
    at = page("data.py").run()
    at.file_uploader[0].set_value(("Machine Report fin1.csv", MACHINES, "text/csv")).run()
    save = next(b for b in at.button if b.label == "Save snapshot")
    assert save.disabled
    at.text_input(key="upload_token_input").input("wrong").run()
    assert any("token is wrong" in e.value for e in at.error)
    assert next(b for b in at.button if b.label == "Save snapshot").disabled
    at.text_input(key="upload_token_input").input("s3cret").run()
    next(b for b in at.button if b.label == "Save snapshot").click().run()
    no_exceptions(at)
    assert len(SnapshotStore(isolated_store).list()) == 1


def test_before_saving_the_page_lists_what_the_snapshot_lacks(isolated_store):
    at = page("data.py").run()
    at.file_uploader[0].set_value(("Machine Report fin1.csv", MACHINES, "text/csv")).run()
    no_exceptions(at)
    assert any("Yarn requirements, Yarn inventory, Fabric pipeline, Knitting capacity, Sales forecast will not open"
               in w.value for w in at.warning), [w.value for w in at.warning]
    missing = table_with(at, "Page", "Export", "Page cannot open", "What the page loses")
    capacity = missing[missing["Page"] == "Knitting capacity"]
    assert list(capacity["Export"]) == ["Knit orders", "Greige fabric list (QuadS)", "Knitting rates (Production Lbs)"]
    assert list(capacity["Page cannot open"]) == [True, False, False]
    assert "Machines" not in set(missing["Export"])  # uploaded
    assert_readable(at)


def test_master_data_of_an_earlier_snapshot_is_not_listed_as_missing(isolated_store):
    SnapshotStore(isolated_store).save([("Machine Report fin1.csv", MACHINES)], as_of=date(2025, 8, 21))
    at = page("data.py").run()
    knit_orders = DEMO / "eFab_Knit_Orders.csv"
    at.file_uploader[0].set_value((knit_orders.name, knit_orders.read_bytes(), "text/csv")).run()
    no_exceptions(at)
    at.date_input[0].set_value(date(2025, 8, 28)).run()
    missing = table_with(at, "Page", "Export")
    assert "Machines" not in set(missing["Export"]) and "Knit orders" not in set(missing["Export"])
    assert "Knitting capacity" not in set(missing.loc[missing["Page cannot open"], "Page"])
    assert any(c.value == "Master data not uploaded, taken from 21 Aug 2025: Machines"
               for c in at.caption), [c.value for c in at.caption]


def test_saved_snapshots_have_one_name(isolated_store):
    info = SnapshotStore(isolated_store).save([("Machine Report fin1.csv", MACHINES)], as_of=date(2025, 8, 28))
    label = "28 Aug 2025"  # its date, never its id
    at = page("data.py").run()
    no_exceptions(at)
    saved = table_with(at, "Snapshot", "As of", "Files")
    assert list(saved["Snapshot"]) == [label]
    assert saved["As of"].iloc[0] == "28 Aug 2025" and "Saved" in saved.columns  # a date as every date is written
    assert at.selectbox(key="make_active").format_func(info.snapshot_id) == label
    assert_readable(at)
    at.button[0].click().run()
    assert any(label in s.value and "is now active" in s.value for s in at.success)
