"""AppTest of the Knitting capacity page on the demo and on the real snapshot: readable tables, overloaded weeks
flagged on the heatmap, a Gantt with KO labels and the as-of line, links from the Overview preselecting."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from bk.ingest.snapshot import SnapshotStore
from bk.services import capacity
from tests.pages.conftest import chart, figures, no_exceptions, open_tab, page
from tests.pages.readable import assert_readable, table_with
from tests.pages.test_capacity_load_page import AS_OF, frames

HEATMAP, TIMELINE = "Utilisation heatmap", "Machine timeline"  # words of the charts' descriptions


def layer(spec: dict, mark: str) -> dict:
    """The layer of a layered chart drawing this mark type (the first, if several)."""
    return next(part for part in spec["layer"] if part["mark"]["type"] == mark)


def test_capacity_page_on_the_demo():
    at = page("capacity.py").run()
    no_exceptions(at)
    assert at.title[0].value == "Knitting capacity"
    assert [m.label for m in figures(at)][:3] == ["Machines", "Scheduled KOs", "Unassigned KOs"]
    assert int(figures(at)[0].value) == 290
    assert_readable(at)
    # the stalled KOs, counted as the yarn plan counts them (the same observed-pace flag)
    from bk.ingest.snapshot import load_paths
    from bk.services import yarn
    from tests.conftest import DEMO

    snapshot, _ = load_paths([DEMO])
    stalled = yarn.plan(snapshot.frames, as_of=snapshot.as_of)["summary"]["stalled_kos"]
    assert stalled > 0 and any(w.value.startswith(f"{stalled} open KOs") and "stalled" in w.value for w in at.warning)
    at.radio[0].set_value("machine").run()
    no_exceptions(at)
    heat = chart(at, HEATMAP)
    rows = heat.spec["encoding"]["y"]["sort"]  # the rows in their order, each labelled
    assert all(str(r).startswith("M") for r in rows) and len(rows) == len(set(rows)) <= 40  # one row per machine
    assert heat.spec["encoding"]["y"]["type"] == "ordinal"  # machine numbers as categories, never a number axis
    assert set(heat.data["row"]) == set(rows) and not heat.data.duplicated(["row", "week"]).any()
    open_tab(at, "cap_tab", "Machine timeline")
    no_exceptions(at)
    assert not at.radio  # the utilisation tab's body no longer runs
    schedule = table_with(at, "Knit order", "Machine", "Placement", "Start", "Finish")
    assert list(schedule.columns)[:3] == ["Knit order", "Machine", "Placement"]
    assert_readable(at)


def test_overloaded_weeks_are_flagged_and_the_gantt_has_the_as_of_line(monkeypatch):
    def run(operation, snapshot, **params):
        result = capacity.plan(frames(), as_of=AS_OF, **params)
        wc = result["wc_load"].copy()
        first = (wc["work_center"] == "A") & (wc["week_start"] == wc["week_start"].min())
        wc.loc[first, "utilization"] = 1.25  # hand-made overload: A in the as-of week
        return {**result, "wc_load": wc}

    monkeypatch.setattr("ui.services.run", run)
    at = page("capacity.py").run()
    no_exceptions(at)
    heat = chart(at, HEATMAP)
    assert heat.spec["encoding"]["y"]["sort"] == ["A", "C"]  # every work centre with load, each labelled
    assert sorted(set(heat.data["row"])) == ["A", "C"]
    cells = heat.data.set_index(["row", "week"])
    marked = layer(heat.spec, "text")  # the ▲ layer writes the mark of the hot cells only
    assert marked["transform"] == [{"filter": "datum.hot"}] and marked["encoding"]["text"]["field"] == "mark"
    flagged = set(cells.index[cells["hot"].to_numpy(dtype=bool)])
    # hot spots: A's hand-made 125 % and C (K2's 30 suggested days fill its one machine) in the first 4 weeks;
    # C's fifth week is as full but beyond the hot-spot weeks; A's other weeks are below 85 %
    assert flagged == {("A", "wk of 28 Jul 2025"), ("C", "wk of 28 Jul 2025"), ("C", "wk of 4 Aug 2025"),
                       ("C", "wk of 11 Aug 2025"), ("C", "wk of 18 Aug 2025")}
    assert flagged == set(cells.index[cells["mark"] != ""])  # a mark on each hot spot, on nothing else
    weeks = heat.spec["encoding"]["x"]["sort"]  # the weeks in order, as-of week first
    assert weeks[:5] == ["wk of 28 Jul 2025", "wk of 4 Aug 2025", "wk of 11 Aug 2025", "wk of 18 Aug 2025",
                         "wk of 25 Aug 2025"]
    assert cells.loc[("C", weeks[4]), "fill"] == 100 and cells.loc[("C", weeks[4]), "mark"] == ""
    a_first = cells.loc[("A", "wk of 28 Jul 2025")]
    assert a_first["mark"] == "125 % ▲" and a_first["fill"] == 100  # the colour stops at full
    assert a_first["tip"] == "A, wk of 28 Jul 2025: 125 %"  # the hover tells the whole load
    colour = layer(heat.spec, "rect")["encoding"]["color"]
    assert colour["field"] == "fill" and colour["scale"]["range"][0] == "#f2f2f2"  # idle is pale grey, not green
    assert colour["scale"]["domain"][0] == 0 and colour["scale"]["domain"][-1] == 100
    assert colour["legend"]["values"] == [0, 50, 85, 100]
    assert any("(2 work centres with one)" in c.value for c in at.caption)
    assert next(m for m in figures(at) if m.label == "Capacity hot spots").value == "2"
    assert_readable(at)
    open_tab(at, "cap_tab", "Machine timeline")
    gantt = chart(at, TIMELINE)
    rule = layer(gantt.spec, "rule")
    assert rule["transform"] == [{"filter": {"field": "what", "equal": "as of"}}]
    line = gantt.data[gantt.data["what"] == "as of"]
    assert [pd.Timestamp(d).date() for d in line["start"]] == [AS_OF] and list(line["label"]) == ["as of 31 Jul 2025"]
    bars = gantt.data[gantt.data["what"] == "knit order"]
    assert {"K1", "K2", "K3"} <= set(bars["label"])  # the KO on its bar
    assert {"committed", "suggested"} <= set(bars["status"])
    assert set(bars["row"]) == {"M1", "M2", "M3 suggested"}  # the suggested placement on its own row
    assert_readable(at)


def test_the_machine_timeline_is_cut_at_the_horizon(monkeypatch):
    monkeypatch.setattr("ui.services.run",
                        lambda operation, snapshot, **params: capacity.plan(frames(), as_of=AS_OF, **params))
    at = page("capacity.py").run()
    at.slider[0].set_value(4).run()  # K2's 30 days on machine 3 run past 4 weeks
    open_tab(at, "cap_tab", "Machine timeline")
    no_exceptions(at)
    schedule = table_with(at, "Knit order", "Finish")
    finish = pd.Timestamp(schedule.loc[schedule["Knit order"] == "K2", "Finish"].item()).date()
    assert finish == date(2025, 9, 8) > AS_OF + timedelta(weeks=4)
    gantt = chart(at, TIMELINE)
    k2 = gantt.data[gantt.data["knit_order"] == "K2"].iloc[0]
    assert k2["label"] == "K2 ▶ 8 Sep 2025"  # the bar says where it really ends
    assert k2["end"].date() == AS_OF + timedelta(weeks=4)  # the bar stops at the horizon's end
    scale = gantt.spec["layer"][0]["encoding"]["x"]["scale"]
    assert (scale["domainMin"], scale["domainMax"]) == ({"year": 2025, "month": 7, "date": 29},
                                                        {"year": 2025, "month": 8, "date": 28})
    k1 = gantt.data[gantt.data["knit_order"] == "K1"].iloc[0]
    assert k1["label"] == "K1" and k1["end"].date() > k1["finish"].date()  # uncut, drawn to the end of its day
    assert any("Cut at the horizon's end (▶ finish): K2 (8 Sep 2025)." in c.value for c in at.caption)


def test_a_link_from_the_overview_preselects_the_knit_order_and_its_machine(monkeypatch):
    monkeypatch.setattr("ui.services.run",
                        lambda operation, snapshot, **params: capacity.plan(frames(), as_of=AS_OF, **params))
    at = page("capacity.py")
    at.query_params["knit_order"] = "K2"
    at.run()  # opens on the Machine timeline tab
    no_exceptions(at)
    assert any(h.value == "Knit order K2" for h in at.subheader)
    assert at.selectbox(key="cap_wc").value == "C"
    assert at.multiselect(key="cap_machines").value == [3]  # K2's suggested machine
    at = page("capacity.py")
    at.query_params["work_center"] = "A"
    at.session_state["cap_tab"] = "Machine timeline"
    at.run()
    assert at.selectbox(key="cap_wc").value == "A"
    assert at.multiselect(key="cap_machines").value == [1, 2]


def test_capacity_page_on_the_real_snapshot(real_dir, isolated_store):
    SnapshotStore(isolated_store).save([(p.name, p.read_bytes()) for p in sorted(real_dir.iterdir())])
    at = page("capacity.py").run()
    no_exceptions(at)
    assert int(figures(at)[0].value) == 286
    assert_readable(at)
