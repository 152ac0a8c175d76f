"""The real exports of 2025-08-28: every file recognised with its kind and data-row count; DOMAIN.md §4 holds."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from bk.ingest import read_export

# (file, kind, data rows): rows counted by hand from the files (blank BOM lines and pivot totals excluded)
EXPECTED = [
    ("BOM_updated.csv", "bom", 22731),
    ("Expected_Yarn_Report.csv", "expected_yarn", 81),
    ("Machine Report fin1.csv", "machines", 286),
    ("Production Lbs.xlsx", "style_rates", 5997),
    ("QuadS_finishedFabricList.csv", "finished_styles", 3501),
    ("QuadS_greigeFabricList.csv", "greige_styles", 6151),
    ("Sales Activity Report.csv", "sales_activity", 1540),
    ("Supplier_ID.csv", "suppliers", 37),
    ("YarnPO.csv", "yarn_po", 79),
    ("Yarn_Demand.csv", "yarn_demand", 177),
    ("Yarn_Demand_By_Style.csv", "yarn_demand_by_style", 537),
    ("Yarn_Demand_By_Style_KO.csv", "yarn_demand_by_style_ko", 516),
    ("Yarn_ID_Master.csv", "yarn_master", 245),
    ("eFab_Inventory_F01.csv", "stage_f01", 4639),
    ("eFab_Inventory_G00.csv", "stage_g00", 1667),
    ("eFab_Inventory_G02.csv", "stage_g02", 2188),
    ("eFab_Inventory_I01.csv", "stage_i01", 190),
    ("eFab_Knit_Orders.csv", "knit_orders", 194),
    ("eFab_SO_List.csv", "sales_orders", 128),
    ("eFab_Styles.csv", "styles", 11416),
    ("yarn_inventory.csv", "yarn_inventory", 1199),
]


@pytest.mark.parametrize(("file", "kind", "rows"), EXPECTED)
def test_every_real_file_recognised_with_its_rows(real_dir, file, kind, rows):
    export = read_export(real_dir / file)
    assert (export.kind, export.rows) == (kind, rows)
    assert not [f for f in export.findings if f.severity == "error"]


def test_every_file_of_the_folder_is_listed(real_dir):
    assert sorted(p.name for p in real_dir.iterdir()) == sorted(f for f, _, _ in EXPECTED)


def test_planning_balance_identity_holds_on_every_row(real_snapshot):
    inv = real_snapshot.frames["yarn_inventory"]
    parts = inv["theoretical_balance_lbs"] + inv["allocated_lbs"] + inv["on_order_lbs"]
    assert len(inv) == 1199
    assert np.allclose(parts, inv["planning_balance_lbs"], atol=0.011)
    assert (inv["allocated_lbs"] <= 0).all() and (inv["consumed_lbs"] <= 0).all()


def test_on_order_equals_open_po_balance(real_snapshot):
    inv = real_snapshot.frames["yarn_inventory"].set_index("yarn_id")
    exp = real_snapshot.frames["expected_yarn"]
    po_bal = exp.groupby("yarn_id")["po_balance_lbs"].sum()
    with_po = inv.loc[inv.index.isin(po_bal.index), "on_order_lbs"]
    assert np.allclose(with_po.sort_index(), po_bal.loc[with_po.index].sort_index(), atol=1.0)
    assert (inv.loc[~inv.index.isin(po_bal.index), "on_order_lbs"] == 0).all()


def test_po_balance_and_schedule_identities(real_snapshot):
    exp = real_snapshot.frames["expected_yarn"]
    assert np.allclose(exp["po_order_lbs"] - exp["received_lbs"], exp["po_balance_lbs"], atol=1.0)
    weeks = [c for c in exp.columns if c.startswith("week_2025_")]
    assert weeks == [f"week_2025_{w}_lbs" for w in range(36, 44)]
    scheduled = exp[["past_due_lbs", "this_week_lbs", *weeks, "later_lbs"]].sum(axis=1)
    share = float(np.isclose(scheduled, exp["po_balance_lbs"], atol=1.0).mean())
    assert share >= 0.975  # DOMAIN.md: 97.5 % of POs


def test_total_cost_and_ko_and_so_identities(real_snapshot):
    inv = real_snapshot.frames["yarn_inventory"]
    value = inv["theoretical_balance_lbs"] * inv["cost_per_lb"]
    assert np.isclose(value, inv["total_cost_usd"], atol=0.02, rtol=0.005).mean() >= 0.998
    ko = real_snapshot.frames["knit_orders"]
    expected = (ko["qty_ordered_lbs"] - ko["g00_lbs"] - ko["shipped_lbs"] + ko["seconds_lbs"]).clip(lower=0)
    assert np.isclose(expected, ko["balance_lbs"], atol=0.5).mean() >= 0.93
    so = real_snapshot.frames["sales_orders"]
    assert np.allclose(so["ordered_qty"] - so["shipped_qty"], so["balance_qty"], atol=0.5)


def test_html_never_survives_in_text(real_snapshot):
    for kind, frame in real_snapshot.frames.items():
        for column in frame.columns:
            if isinstance(frame[column].dtype, (pd.StringDtype, pd.CategoricalDtype)):
                values = frame[column].astype("string")
                assert not values.str.contains(r"<[a-zA-Z/]|&nbsp;", regex=True, na=False).any(), (kind, column)


def test_compact_dtypes(real_snapshot):
    f = real_snapshot.frames
    assert isinstance(f["yarn_inventory"]["supplier"].dtype, pd.CategoricalDtype)
    assert f["knit_orders"]["start_date"].dtype.kind == "M"
    assert str(f["stage_g00"]["roll"].dtype) in ("string", "str")
    assert f["stage_g00"]["roll"].iloc[0].startswith("0")


def _as_xlsx_with_title_and_reversed_columns(path) -> bytes:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw = raw[list(reversed(raw.columns))]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame([["eFab export " + path.name]]).to_excel(writer, index=False, header=False, startrow=0)
        raw.to_excel(writer, index=False, startrow=2)
    return buf.getvalue()


@pytest.mark.parametrize("file", ["yarn_inventory.csv", "eFab_Knit_Orders.csv", "Expected_Yarn_Report.csv",
                                  "eFab_SO_List.csv", "eFab_Inventory_G00.csv", "Supplier_ID.csv"])
def test_xlsx_copy_with_title_row_and_reordered_columns_reads_the_same(real_dir, file):
    original = read_export(real_dir / file)
    copy = read_export(_as_xlsx_with_title_and_reversed_columns(real_dir / file), name=file + ".xlsx")
    assert copy.kind == original.kind and copy.header_row == 3
    pd.testing.assert_frame_equal(copy.frame[original.frame.columns], original.frame, check_dtype=False,
                                  check_categorical=False)
