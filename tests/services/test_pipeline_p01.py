"""P01 (rolls allocated / packed for a sales order) in the pipeline: its own stage, and netted only for its SO."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.ingest import read_export
from bk.services import pipeline
from tests.ingest.test_grouped_and_old_layouts import P01_HEADER, P01_ROWS, csv_bytes
from tests.services.test_pipeline import finished_rolls, so

AS_OF = date(2025, 8, 28)


def p01_rolls(rows):
    """P01 rolls: (finished style, SO #, yds, lbs, received)."""
    f = pd.DataFrame(rows, columns=["finished_style", "sales_order", "qty_yds", "qty_lbs", "received_date"])
    f["received_date"] = pd.to_datetime(f["received_date"])
    return f.astype({"finished_style": "string", "sales_order": "string"})


def test_p01_serves_only_the_order_it_is_packed_for_before_f01():
    # S1 (quoted first) and S2 want the same style; 80 yds are packed for S2 only, F01 holds 100 yds
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "A-1", "A-1/0", "yds", 100.0),
                             ("S2", "Open", "2025-09-05", "A-1", "A-1/0", "yds", 100.0)]),
         "stage_p01": p01_rolls([("A-1/0", "S2", 50.0, 25.0, "2025-08-20"), ("A-1/0", "S2", 30.0, 15.0, "2025-08-21"),
                                 ("A-1/0", "S7", 500.0, 250.0, "2025-08-21")]),
         "stage_f01": finished_rolls([("A-1/0", 100.0, 50.0)])}
    orders = pipeline.net_sales_orders(f, as_of=AS_OF)["orders"].set_index("sales_order")
    # S1: nothing packed for it, F01 gives all 100; S2: its own 80 packed yds, F01 is used up -> 20 uncovered
    assert orders.loc["S1", "covered_p01_yds"] == 0 and orders.loc["S1", "covered_f01_yds"] == 100
    assert orders.loc["S2", "covered_p01_yds"] == 80 and orders.loc["S2", "covered_f01_yds"] == 0
    assert orders.loc["S2", "uncovered_yds"] == 20
    summary = pipeline.net_sales_orders(f, as_of=AS_OF)["summary"]
    assert summary["covered_by_stage_yds"]["p01"] == 80  # S7's 500 packed yds serve no other order


def test_p01_is_its_own_stage_in_the_wip_and_the_report():
    f = {"stage_f01": finished_rolls([("A-1/0", 100.0, 50.0)]),
         "stage_p01": p01_rolls([("A-1/0", "S2", 50.0, 25.0, "2025-08-20"), ("B/0", "S3", 30.0, 15.0, None)])}
    stages = pipeline.pipeline(f, as_of=AS_OF)["stages"].set_index("stage")
    assert list(stages.index) == ["F01", "P01"]
    assert stages.loc["P01", "lbs"] == 40 and stages.loc["P01", "yds"] == 80 and stages.loc["P01", "rolls"] == 2
    f["sales_orders"] = so([("S2", "Open", "2025-09-05", "A-1", "A-1/0", "yds", 60.0)])
    keys = pipeline.report_keys(f, as_of=AS_OF)
    assert keys["stage_lbs"] == {"g00": 0.0, "g02": 0.0, "i01": 0.0, "f01": 50.0, "p01": 40.0}
    assert keys["so_uncovered_yds"] == 0  # 50 packed yds + 10 from F01


def test_p01_read_from_the_grouped_report_nets_for_its_sales_orders():
    export = read_export(csv_bytes([P01_HEADER, *P01_ROWS]), name="eFab_Inventory_P01.csv")
    f = {"stage_p01": export.frame,
         "sales_orders": so([("S2508375", "Open", "2025-09-01", "CF2007", "CF2007/0", "yds", 250.0),
                             ("S2508202", "Open", "2025-09-02", "CF2007", "CF2007/0", "yds", 60.0)])}
    orders = pipeline.net_sales_orders(f, as_of=AS_OF)["orders"].set_index("sales_order")
    assert orders.loc["S2508375", "covered_p01_yds"] == 200  # its two packed rolls
    assert orders.loc["S2508375", "uncovered_yds"] == 50
    assert orders.loc["S2508202", "covered_p01_yds"] == pytest.approx(60)  # 60 of its 100 packed yds
