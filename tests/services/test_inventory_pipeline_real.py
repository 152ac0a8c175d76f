"""Inventory analyzer and fabric pipeline on the real 2025-08-28 snapshot, checked against the raw CSV files read
here with the csv module (not via bk.ingest)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from bk.services import inventory, pipeline
from tests.conftest import REAL_SNAPSHOT

REAL = REAL_SNAPSHOT  # ../shared, or BK_SHARED_DIR
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real exports not present at {REAL}")


def object_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of the generic object dtype (mixed types that parquet and the cache cannot hold reliably)."""
    return [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]


def number(text: str | None) -> float:
    """A cell as the ERP prints it: '1,231.2', ' $4.07 ', '($2,183.40)' = −2183.40, blank = 0."""
    t = (text or "").strip().replace("$", "").replace(",", "").replace(" ", "")
    if t.startswith("(") and t.endswith(")"):
        return -float(t[1:-1] or 0)
    return float(t or 0)


def rows(name: str) -> list[dict[str, str]]:
    with open(REAL / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def snapshot():
    from bk.ingest.snapshot import load_paths

    snap, failures = load_paths([REAL])
    assert not failures, failures
    return snap


@pytest.fixture(scope="module")
def analysis(snapshot):
    return inventory.analyze(snapshot.frames, as_of=snapshot.as_of)


@pytest.fixture(scope="module")
def netting(snapshot):
    return pipeline.net_sales_orders(snapshot.frames, as_of=snapshot.as_of)


# ----------------------------------------------------------------------------------------- inventory


def test_inventory_report_keys_against_the_raw_file(snapshot):
    keys = inventory.report_keys(snapshot.frames, as_of=snapshot.as_of)
    raw = [r for r in rows("yarn_inventory.csv") if r["Desc#"].strip()]
    planning = np.array([number(r["Planning Balance"]) for r in raw])
    on_hand = np.array([number(r["Theoretical Balance"]) for r in raw])
    cost = np.array([number(r["Cost/Pound"]) for r in raw])
    assert keys["yarn_count"] == len(raw) == 1199
    assert keys["shortage_count"] == int((planning < 0).sum())
    assert keys["shortage_lbs"] == pytest.approx(-planning[planning < 0].sum())
    assert keys["planning_balance_lbs"] == pytest.approx(planning.sum())
    assert keys["on_hand_value_usd"] == pytest.approx((on_hand * cost).sum())
    # every shortage is below its reorder point (ROP ≥ 0); more yarns are below when usage is known
    assert keys["shortage_count"] <= keys["below_reorder_count"] <= keys["yarn_count"]
    assert all(type(v) in (int, float) for v in keys.values())


def test_inventory_identities_on_the_real_snapshot(analysis):
    raw = [r for r in rows("yarn_inventory.csv") if r["Desc#"].strip()]
    by_id = {int(r["Desc#"]): r for r in raw}
    pos = analysis["positions"].set_index("yarn_id")
    assert pos.index.is_unique and len(pos) == len(by_id)
    # Planning = Theoretical + Allocated + On Order, all 1199 rows, in the raw file and in the analysis
    raw_ok = [abs(number(r["Theoretical Balance"]) + number(r["Allocated"]) + number(r["On Order"])
                  - number(r["Planning Balance"])) < 0.015 for r in raw]
    assert all(raw_ok) and pos["planning_identity_ok"].all() and analysis["identity_findings"].empty
    # Total Cost = Theoretical × Cost/Pound, up to the cent the file rounds Cost/Pound to
    total_cost = pd.Series({i: number(r["Total Cost"]) for i, r in by_id.items()}).reindex(pos.index)
    assert ((pos["value_usd"] - total_cost).abs() <= 0.005 * pos["on_hand_lbs"].abs() + 0.011).all()
    # usage from |Consumed| over the 62 days since the 2025-06-27 reconcile date
    consumed = pd.Series({i: abs(number(r["Consumed"])) for i, r in by_id.items()}).reindex(pos.index)
    used = pos["usage_source"] == "consumed since reconcile"
    assert (pos.loc[used, "weekly_usage_lbs"] - consumed[used] / (62 / 7)).abs().max() < 1e-9
    assert np.isinf(pos.loc[pos["weekly_usage_lbs"] == 0, "weeks_of_cover"]).all()
    # ABC: A holds at least 80 % of the value, and all A items but the last started below 80 %
    ranked = pos.sort_values("annual_value_usd", ascending=False)
    share = ranked["annual_value_usd"].cumsum() / ranked["annual_value_usd"].sum()
    a = ranked["abc"] == "A"
    assert share[a].iloc[-1] >= 0.8 and (share[a].iloc[:-1] < 0.8).all()


def test_every_inventory_frame_is_parquet_serialisable(analysis):
    for key, value in analysis.items():
        if isinstance(value, pd.DataFrame):
            assert not object_columns(value), (key, object_columns(value))
            value.to_parquet(io.BytesIO())
    json.dumps({k: v for k, v in analysis.items() if not isinstance(v, pd.DataFrame)})


# ------------------------------------------------------------------------------------------ pipeline


def test_pipeline_report_keys_against_the_raw_files(snapshot):
    keys = pipeline.report_keys(snapshot.frames, as_of=snapshot.as_of)
    for stage in ("g00", "g02", "i01", "f01"):
        raw = sum(number(r["Qty (lbs)"]) for r in rows(f"eFab_Inventory_{stage.upper()}.csv"))
        assert keys["stage_lbs"][stage] == pytest.approx(raw)
    open_rows = [r for r in rows("eFab_SO_List.csv") if r["Status"].strip() == "Open" and number(r["Balance"]) > 0]
    assert keys["open_so_count"] == len(open_rows) == 113

    # yds/lb by finished style: its F01/I01 rolls, else the QuadS spec (16 / oz per linear yd), else the median
    yds, lbs = defaultdict(float), defaultdict(float)
    for name in ("eFab_Inventory_F01.csv", "eFab_Inventory_I01.csv"):
        for r in rows(name):
            y, w = number(r["Qty (yds)"]), number(r["Qty (lbs)"])
            if y > 0 and w > 0:
                yds[r["Style #"].strip()] += y
                lbs[r["Style #"].strip()] += w
    own = {s: yds[s] / lbs[s] for s in yds}
    median = statistics.median(own.values())
    spec = {}
    with open(REAL / "QuadS_finishedFabricList.csv", encoding="utf-8-sig") as fh:
        for rec in json.load(fh):
            oz = float(rec.get("oz_per_linyd") or 0)
            if oz > 0:
                spec.setdefault("".join(str(rec["finished_style_name"]).split()), 16 / oz)
    expected = 0.0
    for r in open_rows:
        style, uom, qty = r["fBase"].strip(), r["UOM"].strip().lower(), number(r["Balance"])
        per_lb = own.get(style) or spec.get("".join(style.split())) or median
        expected += {"yds": qty, "lbs": qty * per_lb, "kg": qty * 2.20462 * per_lb}.get(uom, 0.0)
    assert keys["so_balance_yds"] == pytest.approx(expected)
    assert 0 <= keys["so_uncovered_yds"] < keys["so_balance_yds"]


def test_netting_never_uses_more_than_a_stage_holds_and_serves_by_quoted_date(netting):
    orders = netting["orders"]
    nettable = orders[orders["nettable"]]
    f01 = defaultdict(float)
    for r in rows("eFab_Inventory_F01.csv"):
        f01[r["Style #"].strip()] += number(r["Qty (yds)"])
    used = nettable.groupby("finished_style")["covered_f01_yds"].sum()
    for style, yds in used.items():
        assert yds <= f01.get(style, 0.0) + 1e-6, style
    ko_lbs = sum(number(r["Balance (lbs)"]) for r in rows("eFab_Knit_Orders.csv") if number(r["Balance (lbs)"]) > 0)
    assert (nettable["covered_ko_yds"] / nettable["yds_per_lb"]).sum() <= ko_lbs + 1e-6
    parts = nettable[[f"covered_{s}_yds" for s in pipeline.NETTING_STAGES]].sum(axis=1) + nettable["uncovered_yds"]
    assert np.allclose(parts, nettable["balance_yds"])
    assert nettable["coverage_pct"].between(0, 100).all()
    dates = orders["quoted_date"].dropna()
    assert dates.is_monotonic_increasing and orders["quoted_date"].iloc[: len(dates)].notna().all()


def test_on_hold_matches_the_html_toggle_in_the_raw_file(netting):
    raw = {r["SO #"].strip(): "fa-toggle-on" in r["On Hold"] for r in rows("eFab_SO_List.csv")}
    orders = netting["orders"]
    assert orders["on_hold"].tolist() == [raw[s] for s in orders["sales_order"]]
    assert netting["summary"]["on_hold_count"] == sum(raw[s] for s in orders["sales_order"])


def test_wip_ages_add_up_to_the_stage_totals(snapshot):
    result = pipeline.pipeline(snapshot.frames, as_of=snapshot.as_of, aging_days=90)
    stages = result["stages"].set_index("stage")
    ages = result["ages"].groupby("stage")[["lbs", "rolls"]].sum()
    for stage in ("G00", "G02", "I01", "F01"):
        assert ages.loc[stage, "lbs"] == pytest.approx(stages.loc[stage, "lbs"])
        assert ages.loc[stage, "rolls"] == stages.loc[stage, "rolls"] == len(rows(f"eFab_Inventory_{stage}.csv"))
    aged = result["aged_rolls"].set_index("stage")
    assert (aged["lbs_with_cost"] <= aged["lbs"] + 1e-9).all()
    assert aged.loc[["I01", "F01"], "value_usd"].isna().all()  # finished fabric has no cost in the exports
    for key, value in result.items():
        if isinstance(value, pd.DataFrame):
            assert not object_columns(value), (key, object_columns(value))
            value.to_parquet(io.BytesIO())
