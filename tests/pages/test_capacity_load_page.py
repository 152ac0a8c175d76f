"""AppTest of the Knitting capacity page for issue 11: committed and suggested load shown apart, the family /
median rate counts and days left in the caption, findings as warnings (service patched with hand-written
machines and KOs; and the demo without its Production Lbs export through the real ingest)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.ingest.snapshot import SnapshotStore
from bk.services import capacity
from tests.conftest import DEMO
from tests.pages.conftest import figures, no_exceptions, open_tab, page, tables

AS_OF = date(2025, 7, 31)  # Thursday: 2.5 machine-days left


def frames():
    ko = pd.DataFrame([
        ("K1", "S1/0", 500.0, None, None, 1),  # committed on work centre A: 5 days
        ("K2", "S3/0", 3000.0, None, None, None),  # unassigned, work centre C: fills its one machine
        ("K3", "S2/7", 100.0, None, None, 2),  # family rate of S2: 0.5 days on A
        ("K4", "QQ/1", 100.0, None, None, None),  # median rate, no work centre: not placed
    ], columns=["knit_order", "style", "balance_lbs", "start_date", "quoted_date", "machine"])
    ko[["start_date", "quoted_date"]] = ko[["start_date", "quoted_date"]].apply(pd.to_datetime)
    return {
        "knit_orders": ko.astype({"machine": "Int64", "style": "string", "knit_order": "string"}),
        "machines": pd.DataFrame({"machine": [1, 2, 3], "work_center": ["A", "A", "C"]}).astype({"machine": "Int64"}),
        "style_rates": pd.DataFrame({"style": ["S1/0", "S2/0", "S3/0"], "lbs_per_day": [100.0, 200.0, 100.0]}),
        "greige_styles": pd.DataFrame({"style": ["S1/0", "S2/0", "S3/0"], "base": ["S1", "S2", "S3"],
                                       "work_center": ["A", "A", "C"]}),
    }


@pytest.fixture
def patched(monkeypatch):
    def run(operation, snapshot, **params):
        assert operation == "capacity.plan"
        return capacity.plan(frames(), as_of=AS_OF, **params)

    monkeypatch.setattr("ui.services.run", run)


def metric(at, label):
    return next(m for m in figures(at) if m.label == label)


def test_committed_and_suggested_load_are_shown_apart(patched):
    at = page("capacity.py").run()
    no_exceptions(at)
    assert metric(at, "Unassigned KOs").value == "2"
    # C's one machine is full with suggested load in every one of the next 4 weeks; A peaks at 60 % (3 of 5)
    assert metric(at, "Capacity hot spots").value == "1"
    caption = at.caption[0].value
    assert "1 open KOs use their style family's rate, 1 the median rate" in caption
    assert "2.5 machine-days left" in caption
    hot = next(frame for frame in tables(at) if "Hot weeks" in frame.columns)  # a short list: a plain table
    assert hot["Work centre"].tolist() == ["C"] and hot["Hot weeks"].tolist() == ["4"]
    assert hot["Committed utilisation (%)"].tolist() == ["0%"]  # all of it suggested
    assert hot["Load (machine days)"].tolist() == ["19.0"]  # 2.5 + 3 x 5.5 machine-days, its capacity too
    # the 4-week averages (committed and suggested machine-days apart) sit in a closed expander
    assert not any("Suggested (machine days)" in frame.columns for frame in tables(at))
    load = next(r for r in at.radio if r.label == "Load")
    assert load.options == ["committed + suggested", "committed only"]
    load.set_value("committed only").run()
    no_exceptions(at)
    next(r for r in at.radio if r.label == "Rows").set_value("machine").run()
    no_exceptions(at)
    assert not any("Suggested machine" in frame.columns for frame in tables(at))  # lazy tab: not rendered
    open_tab(at, "cap_tab", "Unassigned")
    no_exceptions(at)
    unassigned = next(df.value for df in at.dataframe if "Suggested machine" in df.value.columns)
    unassigned = unassigned.set_index("Knit order")
    assert unassigned.loc["K2", "Suggested machine"] == 3 and pd.isna(unassigned.loc["K4", "Suggested machine"])
    assert unassigned.loc["K4", "Note"] == "style has no work centre in the greige list"


def test_a_snapshot_without_production_lbs_plans_on_the_median_with_a_warning(isolated_store):
    files = [(p.name, p.read_bytes()) for p in sorted(DEMO.iterdir()) if not p.name.startswith("Production Lbs")]
    SnapshotStore(isolated_store).save(files)
    at = page("capacity.py").run()
    no_exceptions(at)
    assert any("no Production Lbs" in w.value for w in at.warning)
    assert int(metric(at, "Machines").value) == 290
    assert "0 open KOs use their style family's rate" in at.caption[0].value


def test_a_knit_order_export_without_machine_plans_every_ko_as_suggested(isolated_store):
    files = []
    for p in sorted(DEMO.iterdir()):
        data = p.read_bytes()
        if p.name == "eFab_Knit_Orders.csv":
            ko = pd.read_csv(p, encoding="utf-8-sig", dtype=str)
            data = ko.drop(columns=["Machine"]).to_csv(index=False).encode()
        files.append((p.name, data))
    SnapshotStore(isolated_store).save(files)
    at = page("capacity.py").run()
    no_exceptions(at)
    assert any("no Machine column" in w.value for w in at.warning)
    assert metric(at, "Scheduled KOs").value == "0"
    assert int(metric(at, "Unassigned KOs").value) > 0
