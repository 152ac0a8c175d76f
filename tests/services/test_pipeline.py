"""Pipeline stage WIP and sales-order netting on hand-made frames with the answers written out."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.services import pipeline

AS_OF = date(2025, 8, 28)


def so(rows):
    f = pd.DataFrame(rows, columns=["sales_order", "status", "quoted_date", "sales_style", "finished_style", "uom",
                                    "balance_qty"])
    f["quoted_date"] = pd.to_datetime(f["quoted_date"])
    return f.astype({c: "string" for c in ("sales_order", "status", "sales_style", "finished_style", "uom")})


def rolls(rows, greige=False):
    cols = ["style", "qty_lbs"] if greige else ["finished_style", "qty_yds", "qty_lbs"]
    return pd.DataFrame(rows, columns=cols).astype({cols[0]: "string"})


def test_earliest_quoted_order_is_served_first_and_stock_is_not_counted_twice():
    f = {"sales_orders": so([("S2", "Open", "2025-09-20", "A-1", "A-1/0", "yds", 300.0),
                             ("S1", "Open", "2025-09-10", "A-1", "A-1/0", "yds", 300.0),
                             ("S3", "Closed", "2025-09-01", "A-1", "A-1/0", "yds", 999.0)]),
         "stage_f01": rolls([("A-1/0", 400.0, 200.0)])}
    orders = pipeline.net_sales_orders(f, as_of=AS_OF)["orders"].set_index("sales_order")
    assert list(orders.index) == ["S1", "S2"]
    assert orders.loc["S1", "covered_f01_yds"] == 300 and orders.loc["S1", "uncovered_yds"] == 0
    assert orders.loc["S2", "covered_f01_yds"] == 100 and orders.loc["S2", "uncovered_yds"] == 200
    assert orders.loc["S2", "coverage_pct"] == pytest.approx(100 / 3)
    assert orders.loc["S2", "uncovered_lbs"] == 100  # the style's own 2 yds/lb


def test_stage_order_f01_i01_g02_g00_then_knit_orders():
    # the style's rolls give 2 yds/lb; need 1000 yds: F01 100 yds, I01 100 yds, G02 50 lbs = 100 yds,
    # G00 (greige A/1 via eFab_Styles) 100 lbs = 200 yds, open KO 200 lbs = 400 yds, 100 yds uncovered
    f = {"sales_orders": so([("S1", "Open", "2025-09-10", "A-1", "A-1/0", "yds", 1000.0)]),
         "stage_f01": rolls([("A-1/0", 100.0, 50.0)]), "stage_i01": rolls([("A-1/0", 100.0, 50.0)]),
         "stage_g02": pd.DataFrame({"finished_style": ["A-1/0"], "style": ["A/1"], "qty_lbs": [50.0]}),
         "stage_g00": rolls([("A/1", 100.0)], greige=True),
         "knit_orders": pd.DataFrame({"style": ["A/1"], "balance_lbs": [200.0]}),
         "styles": pd.DataFrame({"fstyle": ["A-1"], "cf_base": ["A-1"], "style": ["A/1"]})}
    row = pipeline.net_sales_orders(f, as_of=AS_OF)["orders"].iloc[0]
    assert [row[f"covered_{s}_yds"] for s in ("f01", "i01", "g02", "g00", "ko")] == [100, 100, 100, 200, 400]
    assert row["uncovered_yds"] == 100 and row["greige_style"] == "A/1"


def test_unit_conversion_median_fallback_kg_and_not_nettable_uoms():
    # styles with rolls: B 3 yds/lb, C 1 yds/lb, D 2 yds/lb -> median 2 for style E which has no rolls
    f = {"sales_orders": so([("S1", "Open", "2025-09-01", "E-1", "E-1/0", "lbs", 10.0),
                             ("S2", "Open", "2025-09-02", "B-1", "B-1/0", "kg", 10.0),
                             ("S3", "Open", "2025-09-03", "B-1", "B-1/0", "panels", 5.0)]),
         "stage_f01": rolls([("B-1/0", 30.0, 10.0), ("C-1/0", 10.0, 10.0), ("D-1/0", 20.0, 10.0)])}
    orders = pipeline.net_sales_orders(f, as_of=AS_OF)["orders"].set_index("sales_order")
    assert orders.loc["S1", "balance_yds"] == 20 and "median" in orders.loc["S1", "note"]
    assert orders.loc["S2", "balance_yds"] == pytest.approx(10 * 2.20462 * 3)
    assert pd.isna(orders.loc["S3", "balance_yds"]) and "cannot be netted" in orders.loc["S3", "note"]
    summary = pipeline.net_sales_orders(f, as_of=AS_OF)["summary"]
    assert summary["not_nettable"] == 1 and summary["open_so_count"] == 3


def test_stage_wip_totals_and_age_buckets():
    g00 = pd.DataFrame({"style": ["A/1", "A/1", "B/1"], "qty_lbs": [10.0, 20.0, 30.0],
                        "knit_date": pd.to_datetime(["2025-08-20", "2025-04-01", "2023-01-01"]),
                        "customer": ["X", "X", "Y"]})
    greige = pd.DataFrame({"style": ["A/1"], "price_usd": [2.0]})
    result = pipeline.wip({"stage_g00": g00, "greige_styles": greige}, as_of=AS_OF, aging_days=90)
    stage = result["stages"].iloc[0]
    assert (stage["stage"], stage["lbs"], stage["rolls"], stage["styles"]) == ("G00", 60.0, 3, 2)
    ages = result["ages"].set_index("age")["lbs"]
    assert ages["0–30 d"] == 10 and ages["91–180 d"] == 20 and ages[">365 d"] == 30
    aged = result["aged_rolls"].iloc[0]
    assert aged["rolls"] == 2 and aged["lbs"] == 50 and aged["value_usd"] == 40  # only A/1 has a price
