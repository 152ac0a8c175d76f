"""AppTest of the Knitting capacity page on the demo and on the real snapshot: readable tables, overloaded weeks
flagged on the heatmap, a Gantt with KO labels and the as-of line, links from the Overview preselecting."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd

from bk.ingest.snapshot import SnapshotStore
from bk.services import capacity
from tests.pages.conftest import figures, no_exceptions, open_tab, page
from tests.pages.readable import assert_readable, table_with
from tests.pages.test_capacity_load_page import AS_OF, frames


def figure(at, key: str) -> dict:
    """The Plotly figure of the chart with this key, as JSON."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if chart.proto.id and key in chart.proto.id:
            return spec
    raise AssertionError(f"no chart {key}")


def values(spec) -> np.ndarray:
    """A figure array as numbers: Plotly writes numpy arrays as base64 ({dtype, bdata, shape})."""
    if isinstance(spec, dict):
        shape = tuple(int(n) for n in str(spec.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"]).reshape(shape)
    return np.asarray(spec, dtype="float64")


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
    heat = figure(at, "cap_heat")["data"][0]
    rows = heat["y"]
    assert all(str(r).startswith("M") for r in rows) and len(rows) == len(set(rows)) <= 40  # one row per machine
    assert figure(at, "cap_heat")["layout"]["yaxis"]["type"] == "category"
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
    heat = figure(at, "cap_heat")["data"][0]
    assert heat["y"] == ["A", "C"]  # every work centre with load, each labelled
    flagged = {(y, x) for y, row in zip(heat["y"], heat["text"], strict=True)
               for x, t in zip(heat["x"], row, strict=True) if t}
    # hot spots: A's hand-made 125 % and C (K2's 30 suggested days fill its one machine) in the first 4 weeks;
    # C's fifth week is as full but beyond the hot-spot weeks; A's other weeks are below 85 %
    assert flagged == {("A", "wk of 28 Jul 2025"), ("C", "wk of 28 Jul 2025"), ("C", "wk of 4 Aug 2025"),
                       ("C", "wk of 11 Aug 2025"), ("C", "wk of 18 Aug 2025")}
    z = values(heat["z"])
    assert heat["x"][4] == "wk of 25 Aug 2025" and z[1][4] == 100 and heat["text"][1][4] == ""
    assert heat["text"][0][0] == "125 % ▲" and z[0][0] == 100  # the colour stops at full
    assert heat["colorscale"][0][1] == "#f2f2f2"  # idle is pale grey, not green
    assert any("(2 work centres with one)" in c.value for c in at.caption)
    assert next(m for m in figures(at) if m.label == "Capacity hot spots").value == "2"
    assert_readable(at)
    open_tab(at, "cap_tab", "Machine timeline")
    gantt = figure(at, "cap_gantt")
    lines = [s for s in gantt["layout"]["shapes"] if s["type"] == "line"]
    assert [pd.Timestamp(s["x0"]).date() for s in lines] == [AS_OF]
    labels = {t for trace in gantt["data"] for t in trace["text"]}
    assert {"K1", "K2", "K3"} <= labels  # the KO on its bar
    statuses = {trace["name"] for trace in gantt["data"]}
    assert {"committed", "suggested"} <= statuses
    assert_readable(at)


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
