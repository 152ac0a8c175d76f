"""AppTest of the Yarn inventory page (incl. the diff of two snapshots) and the Fabric pipeline page."""

from __future__ import annotations

from datetime import date

from bk.ingest.snapshot import SnapshotStore
from tests.conftest import DEMO
from tests.pages.conftest import no_exceptions, page


def test_inventory_page_on_the_demo():
    at = page("inventory.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Yarn inventory"
    labels = [m.label for m in at.metric]
    assert {"Yarns", "Short now", "Below reorder point"} <= set(labels)
    assert any("Save another snapshot" in i.value for i in at.info)


def test_inventory_diff_between_two_saved_snapshots(isolated_store):
    store = SnapshotStore(isolated_store)
    files = {p.name: p.read_bytes() for p in DEMO.iterdir()}
    store.save(list(files.items()), as_of=date(2025, 8, 21))
    # a week later the second yarn of the inventory is gone
    lines = files["yarn_inventory.csv"].decode("utf-8-sig").splitlines()
    assert lines[2].startswith("10002,")
    files["yarn_inventory.csv"] = ("\ufeff" + "\n".join(lines[:2] + lines[3:]) + "\n").encode()
    store.save(list(files.items()), as_of=date(2025, 8, 28))
    at = page("inventory.py").run()
    no_exceptions(at)
    diff_headers = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(h.startswith("**Gone** (1)") for h in diff_headers), diff_headers
    assert any(h.startswith("**Added** (0)") for h in diff_headers), diff_headers


def test_pipeline_page_on_the_demo():
    at = page("pipeline.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Fabric pipeline"
    assert [m.label for m in at.metric][:4] == ["G00", "G02", "I01", "F01"]
    assert any("Open sales orders" == m.label for m in at.metric)
    at.number_input[0].set_value(30).run()
    no_exceptions(at)
