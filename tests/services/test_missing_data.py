"""Missing exports and optional columns never give a Python error.

Every service operation × every export left out (demo always, the real snapshot when ../shared is there):
MissingDataError naming the export exactly when bk.services.needs says it is required, success otherwise;
an operation never reads an export that needs.py does not declare (so leaving out any other export cannot
change it). Optional columns cut from the files (KO Machine / Start Date / Quoted Date, SO Quoted Date) are
read as empty columns and every service still answers. The CLI says what is missing in one line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

from bk.errors import MissingDataError
from bk.ingest.reader import read_export
from bk.ingest.snapshot import load_paths
from bk.services import capacity, forecast_yarn, forecasting, inventory, needs, pipeline, yarn
from tests.conftest import DEMO, ROOT

# operation name in needs.NEEDS -> the function the pages (or the CLI report) call
OPERATIONS = {
    "yarn.plan": yarn.plan,
    "yarn.reconcile": yarn.reconcile,
    "inventory.analyze": inventory.analyze,
    "inventory.report": inventory.report_keys,
    "pipeline.wip": pipeline.pipeline,
    "pipeline.netting": pipeline.net_sales_orders,
    "pipeline.report": pipeline.report_keys,
    "capacity.plan": capacity.plan,
    "capacity.report": capacity.report_keys,
    "forecast.all": forecasting.forecast_view,
    "forecast.safety_stock": forecast_yarn.safety_stock_view,
}
SLOW_ON_REAL = {"forecast.all", "forecast.safety_stock", "inventory.analyze"}  # minutes on the real snapshot: their demo runs cover them


class Spy(Mapping):
    """The frames, recording which kinds an operation looks up (any iteration counts as reading them all)."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]):
        self.frames, self.seen = frames, set()

    def __getitem__(self, kind):
        self.seen.add(kind)
        return self.frames[kind]

    def __contains__(self, kind):
        self.seen.add(kind)
        return kind in self.frames

    def get(self, kind, default=None):
        self.seen.add(kind)
        return self.frames.get(kind, default)

    def __iter__(self):
        self.seen.add("<every export>")
        return iter(self.frames)

    def __len__(self):
        return len(self.frames)


@pytest.fixture(scope="module")
def demo_snapshot():
    snapshot, failures = load_paths([DEMO])
    assert not failures
    return snapshot


@pytest.fixture(scope="module", params=["demo", "real"])
def snapshot(request, demo_snapshot):
    return demo_snapshot if request.param == "demo" else request.getfixturevalue("real_snapshot")


def run(operation: str, frames: Mapping[str, pd.DataFrame], as_of):
    return OPERATIONS[operation](frames, as_of=as_of)


def test_every_operation_states_its_needs():
    assert set(OPERATIONS) <= set(needs.NEEDS)
    for name, n in needs.NEEDS.items():
        assert n.what and n.kinds, name


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op != "forecast.all"])
def test_an_operation_reads_only_the_exports_it_declares(operation, demo_snapshot):
    spy = Spy(demo_snapshot.frames)
    run(operation, spy, demo_snapshot.as_of)
    assert spy.seen <= needs.NEEDS[operation].kinds, spy.seen - needs.NEEDS[operation].kinds


def test_the_forecast_reads_only_the_sales_activity(demo_snapshot):
    spy = Spy(demo_snapshot.frames)
    run("forecast.all", spy, demo_snapshot.as_of)
    assert spy.seen == {"sales_activity"}


def _cases(snapshot, operation):
    """Each export the operation may read (declared in needs.py), left out one at a time."""
    return [k for k in sorted(needs.NEEDS[operation].kinds) if k in snapshot.exports]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_export_left_out(operation, snapshot, request):
    real = snapshot.snapshot_id != str(DEMO)
    declared = needs.NEEDS[operation]
    checked = 0
    for kind in _cases(snapshot, operation):
        frames = {k: v for k, v in snapshot.frames.items() if k != kind}
        missing = declared.missing(frames)
        if missing:
            with pytest.raises(MissingDataError) as caught:
                run(operation, frames, snapshot.as_of)
            message = str(caught.value)
            for item in missing:  # 'bom', or 'expected_yarn or yarn_po': any one of a group named
                assert any(k in message for k in item.split(" or ")), (kind, message)
            with pytest.raises(MissingDataError):
                needs.require(operation, frames)
        elif real and operation in SLOW_ON_REAL:
            continue
        else:
            needs.require(operation, frames)  # nothing required is missing ...
            result = run(operation, frames, snapshot.as_of)  # ... and the operation answers
            assert isinstance(result, dict) and result, (operation, kind)
            assert any(kind in n for n in needs.notes(operation, frames)) or kind not in declared.optional \
                or not declared.optional[kind]
        checked += 1
    assert checked or (real and operation in SLOW_ON_REAL)


def test_no_stage_export_at_all(demo_snapshot):
    frames = {k: v for k, v in demo_snapshot.frames.items() if not k.startswith("stage_")}
    with pytest.raises(MissingDataError, match="stage_g00"):
        pipeline.pipeline(frames, as_of=demo_snapshot.as_of)
    assert needs.NEEDS["pipeline.wip"].missing(frames) == [" or ".join(needs.STAGE_KINDS)]


def test_capacity_without_any_knitting_rate_plans_on_the_default_and_names_production_lbs(demo_snapshot):
    frames = {**demo_snapshot.frames, "style_rates": demo_snapshot.frames["style_rates"].assign(lbs_per_day=-1.0)}
    result = capacity.plan(frames, as_of=demo_snapshot.as_of)
    warnings = result["findings"].loc[result["findings"]["severity"] == "warning", "message"].tolist()
    assert any(m.startswith("no positive rate in Production Lbs: every KO knits at the default 544 lbs/day")
               for m in warnings), warnings
    assert (result["schedule"]["lbs_per_day"] == 544.0).all()


def test_require_names_every_missing_export_once():
    with pytest.raises(MissingDataError) as caught:
        needs.require("yarn.plan", {"bom"})
    message = str(caught.value)
    for kind in ("yarn_inventory", "knit_orders", "expected_yarn", "yarn_po"):
        assert message.count(f"({kind})") == 1, message
    assert "(bom)" not in message
    assert needs.notes("inventory.analyze", {"yarn_inventory"})[0].startswith("no Bill of materials (bom): ")


# ----------------------------------------------------------------------------------- optional columns


def _without_column(path: Path, header: str) -> bytes:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    at = [i for i, h in enumerate(rows[0]) if h == header]
    assert at, f"{header} not in {path.name}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([[c for i, c in enumerate(r) if i not in at] for r in rows])
    return buf.getvalue().encode("utf-8")


def _source_dir(snapshot) -> Path:
    return DEMO if snapshot.snapshot_id == str(DEMO) else Path(snapshot.snapshot_id)


@pytest.mark.parametrize("file, kind, header, column", [
    ("eFab_Knit_Orders.csv", "knit_orders", "Machine", "machine"),
    ("eFab_Knit_Orders.csv", "knit_orders", "Start Date", "start_date"),
    ("eFab_Knit_Orders.csv", "knit_orders", "Quoted Date", "quoted_date"),
    ("eFab_SO_List.csv", "sales_orders", "Quoted Date", "quoted_date"),
])
def test_optional_column_cut(file, kind, header, column, snapshot):
    export = read_export(_without_column(_source_dir(snapshot) / file, header), name=file)
    assert export.kind == kind and export.rows == snapshot.exports[kind].rows
    assert export.frame[column].isna().all()
    assert any("optional columns not in this export" in f.message and header in f.message and f.severity == "info"
               for f in export.findings)
    frames = {**snapshot.frames, kind: export.frame}
    as_of = snapshot.as_of
    plan = yarn.plan(frames, as_of=as_of)
    cap = capacity.plan(frames, as_of=as_of)
    netting = pipeline.net_sales_orders(frames, as_of=as_of)
    assert len(plan["kos"]) == len(yarn.plan(snapshot.frames, as_of=as_of)["kos"])
    if column == "machine":  # no machine known: every open KO is unassigned, none scheduled
        # every open KO is unassigned and, where its work centre is known, placed on a suggested machine only
        assert not (cap["schedule"]["placement"] == "assigned").any()
        # remnants (below 5 lbs) are to close, not unassigned
        assert len(cap["unassigned"]) + len(cap["remnants"]) == int((export.frame["balance_lbs"] > 0).sum())
        assert (cap["remnants"]["balance_lbs"] < 5).all() and (cap["unassigned"]["balance_lbs"] >= 5).all()
        assert any("no Machine column" in m for m in cap["findings"]["message"])
    if column == "start_date":  # knitting starts at the as-of date
        assert (plan["kos"]["start"] == pd.Timestamp(as_of).normalize()).all()
    if kind == "knit_orders" and column == "quoted_date":
        assert cap["schedule"]["late_unknown"].all() and not cap["schedule"]["late"].any()
    if kind == "sales_orders":
        assert netting["orders"]["quoted_date"].isna().all() and len(netting["orders"]) > 0


# -------------------------------------------------------------------------------------------------- CLI


def bk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bk", *args], cwd=ROOT, capture_output=True, text=True, timeout=400)


def _demo_without(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "snap"
    folder.mkdir()
    for p in DEMO.iterdir():
        if p.name not in names:
            (folder / p.name).symlink_to(p)
    return folder


def test_yarn_demand_without_the_bom_is_one_line(tmp_path):
    result = bk("yarn-demand", str(_demo_without(tmp_path, "BOM_updated.csv")), "--out", str(tmp_path / "o.csv"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the yarn plan needs the Bill of materials (bom) export; upload it on the Data page"]


def test_report_without_machines_and_rates_computes_the_rest(tmp_path):
    folder = _demo_without(tmp_path, "Machine Report fin1.csv", "Production Lbs.xlsx", "Sales Activity Report.csv")
    out = tmp_path / "r.json"
    result = bk("report", str(folder), "--json", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("capacity: not computed: ") and lines[1].startswith("forecast: ")
    # Production Lbs alone would not stop capacity (it plans on a default rate): the machines do
    assert "(machines)" in lines[0] and "(style_rates)" not in lines[0] and "(sales_activity)" in lines[1]
    report = json.loads(out.read_text())
    assert "machines" in report["capacity"]["error"] and "yarn_count" in report["inventory"]
    assert "stage_lbs" in report["pipeline"]


def test_a_knit_order_without_any_rate_starting_on_a_sunday_is_knitted_not_nan():
    import numpy as np

    from bk.services.planning.schedule import knit_schedule

    # no Production Lbs: the rate is unknown (infinite: knit at once); a Sunday has no capacity, so Monday
    buckets = knit_schedule(np.array(["2025-08-31"], dtype="datetime64[D]"), np.array([100.0]),
                            np.array([np.inf]), as_of=pd.Timestamp("2025-08-31").date())
    assert buckets.tolist() == [[0.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
