"""AppTest of the Knitting capacity page on the demo and on the real snapshot."""

from __future__ import annotations

from bk.ingest.snapshot import SnapshotStore
from tests.pages.conftest import no_exceptions, page


def test_capacity_page_on_the_demo():
    at = page("capacity.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Knitting capacity"
    assert [m.label for m in at.metric][:3] == ["Machines", "Scheduled KOs", "Unassigned KOs"]
    assert int(at.metric[0].value) == 290
    at.radio[0].set_value("machine").run()
    no_exceptions(at)


def test_capacity_page_on_the_real_snapshot(real_dir, isolated_store):
    SnapshotStore(isolated_store).save([(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())])
    at = page("capacity.py").run()
    no_exceptions(at)
    assert int(at.metric[0].value) == 286
