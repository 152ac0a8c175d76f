"""The yarn plan against eFab's own reports in the real 2025-08-28 snapshot (DOMAIN.md §5).

The BOM is built from eFab's Yarn_Demand_By_Style_KO itself (one fraction per (style, yarn) = Percentage / 100):
BOM_updated.csv is a different, truncated copy of eFab's BOM, so with it the totals cannot agree.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import yarn
from bk.services.planning.demand import prepare_bom

AS_OF = date(2025, 8, 28)


@pytest.fixture(scope="module")
def report_frames(real_snapshot):
    f = dict(real_snapshot.frames)
    report = f["yarn_demand_by_style_ko"]
    bom = (report.groupby(["style", "yarn_id"], as_index=False)["percentage"].first()
           .assign(bom_fraction=lambda d: d["percentage"] / 100)[["style", "yarn_id", "bom_fraction"]])
    f["bom"] = bom
    return f


@pytest.fixture(scope="module")
def plan(report_frames):
    return yarn.plan(report_frames, as_of=AS_OF)


def _weeks(frame: pd.DataFrame) -> list[str]:
    return ["this_week_lbs", *[c for c in frame.columns if c.startswith("week_") and c.endswith("_lbs")], "later_lbs"]


def test_report_rows_of_kos_in_the_export_are_reproduced(report_frames, plan):
    report = report_frames["yarn_demand_by_style_ko"]
    present = report[report["knit_order"].isin(report_frames["knit_orders"]["knit_order"])]
    ours = plan["ko_demand"].groupby(["knit_order", "yarn_id"])["total_lbs"].sum()
    key = pd.MultiIndex.from_frame(present[["knit_order", "yarn_id"]].astype({"knit_order": object}))
    mine = ours.reindex(key).fillna(0.0).to_numpy()
    theirs = present["total_lbs"].to_numpy()
    ok = np.abs(mine - theirs) <= np.maximum(0.15, 0.01 * np.abs(theirs))
    print(f"report rows with the KO in the export: {len(present)} of {len(report)}; reproduced {ok.mean():.2%}")
    assert len(present) >= 400
    # 510 of 516 on 2025-08-28. The 6 others belong to 3 KOs whose export Balance differs from the balance the
    # report was built on (it equals max(0, ordered - G00 - shipped + seconds) there): the files were not
    # exported at the same moment. The issue's 99 % is not reachable on this data without bending the rule.
    assert ok.mean() >= 0.985
    kos = report_frames["knit_orders"].set_index("knit_order")
    implied = present.groupby("knit_order")["total_lbs"].sum() / (
        present.groupby("knit_order")["percentage"].sum() / 100)
    for ko in present.loc[~ok, "knit_order"].unique():
        assert abs(kos.loc[ko, "balance_lbs"] - implied[ko]) > 1.0, f"{ko}: inputs agree but the rows differ"


def test_multi_week_kos_with_agreeing_inputs_match_in_every_bucket(report_frames, plan):
    report = report_frames["yarn_demand_by_style_ko"]
    weeks = _weeks(report)
    per_ko = report.groupby("knit_order")[[*weeks, "total_lbs"]].sum()
    per_ko["percent"] = report.groupby("knit_order")["percentage"].sum()
    multi = per_ko[(per_ko[weeks] > 0.05).sum(axis=1) > 1]
    kos = report_frames["knit_orders"].set_index("knit_order")
    rates = report_frames["style_rates"].assign(key=lambda d: d["style"].str.replace(" ", "")).groupby("key")[
        "lbs_per_day"].mean()
    agree, ruled_out = [], []
    for ko, row in multi.iterrows():
        if ko not in kos.index:
            ruled_out.append((ko, "not in the knit-order export"))
            continue
        balance = kos.loc[ko, "balance_lbs"]
        rate = rates.get(str(kos.loc[ko, "style"]).replace(" ", ""), np.nan)
        full_week = row[weeks[1:-1]].max() / (row["percent"] / 100)
        if not np.isclose(balance * row["percent"] / 100, row["total_lbs"], rtol=0.005):
            ruled_out.append((ko, "balance differs"))
        elif not (rate > 0 and np.isclose(6 * rate, full_week, rtol=0.005)):
            ruled_out.append((ko, "rate file differs"))
        else:
            agree.append(ko)
    print(f"multi-week KOs: {len(multi)}; inputs agree: {len(agree)}; ruled out: {len(ruled_out)} "
          f"({pd.Series([r for _, r in ruled_out]).value_counts().to_dict()})")
    assert len(agree) >= 10
    ours = plan["ko_demand"].set_index(["knit_order", "yarn_id"])
    labels = list(plan["buckets"]["bucket"])
    rows = report[report["knit_order"].isin(agree)]
    theirs = rows[weeks].to_numpy()
    mine = ours.loc[list(zip(rows["knit_order"], rows["yarn_id"], strict=True)), labels].to_numpy()
    close = np.abs(mine - theirs) <= np.maximum(1.0, 0.01 * np.abs(theirs))
    share = close.all(axis=1).mean()
    print(f"rows of agreeing KOs matching in every bucket: {share:.2%} of {len(rows)}")
    assert share >= 0.95


def test_receipts_per_yarn_and_bucket_equal_efab_yarn_demand(real_snapshot):
    recon = yarn.reconcile(real_snapshot.frames, as_of=AS_OF)["reconciliation_receipts"]
    weekly = recon[recon["bucket"] != "past_due"]
    print(f"receipt cells equal: {recon['match'].mean():.2%} of {len(recon)}; "
          f"weekly cells {weekly['match'].mean():.2%}; yarns with a difference: "
          f"{sorted(recon.loc[~recon['match'], 'yarn_id'].unique().tolist())}")
    assert recon["match"].mean() >= 0.985
    assert weekly["match"].mean() >= 0.99
    # the differences concern POs placed or rescheduled while the exports were taken (16 of 177 yarns)
    assert recon.loc[~recon["match"], "yarn_id"].nunique() <= 16


def test_plan_with_the_real_bom_lists_kos_without_bom_and_preserves_totals(real_snapshot):
    result = yarn.plan(real_snapshot.frames, as_of=AS_OF)
    kos = result["kos"]
    without = result["kos_without_bom"]
    assert len(without) == int((~kos["has_bom"]).sum()) > 0
    assert without["balance_lbs"].sum() == pytest.approx(result["summary"]["lbs_without_bom"])
    # demand of record: eFab's Percentage for the KOs its KO report lists, the BOM file for the others
    bom, _ = prepare_bom(real_snapshot.frames["bom"])
    style_sum = bom.groupby("style_key")["fraction"].sum()
    report = real_snapshot.frames["yarn_demand_by_style_ko"]
    ko_share = report.groupby(report["knit_order"].astype(str))["percentage"].sum() / 100
    listed = kos[kos["bom_source"] == "eFab KO report"]
    from_file = kos[kos["bom_source"] == "BOM file"]
    assert len(listed) + len(from_file) == int(kos["has_bom"].sum())
    expected = ((listed["balance_lbs"] * listed["knit_order"].astype(str).map(ko_share)).sum()
                + (from_file["balance_lbs"] * from_file["style"].str.replace(" ", "").str.upper().map(style_sum)).sum())
    assert result["ko_demand"]["total_lbs"].sum() == pytest.approx(expected, rel=1e-9)
    labels = list(result["buckets"]["bucket"])
    assert np.allclose(result["ko_demand"][labels].sum(axis=1), result["ko_demand"]["total_lbs"])
    assert result["summary"]["receipts_source"] == "expected_yarn"


# ------------------------------------------------------------------------------ the purchase plan (issue 15)


@pytest.fixture(scope="module")
def real_plan(real_snapshot):
    return yarn.plan(real_snapshot.frames, as_of=AS_OF)


def test_a_real_buy_exactly_where_stock_and_every_open_po_fall_short_over_nine_weeks(real_snapshot, real_plan):
    table = yarn.by_yarn_table(real_plan).set_index("yarn_id")
    buys = table[table["buy_lbs"] > 0]
    assert len(buys) > 0
    assert (buys["total_demand_lbs"] > 0).all() and buys["order_by"].notna().all()
    assert set(buys.index) == set(real_plan["actions"].query("action == 'buy'")["yarn_id"])
    # oracle from the raw exports: stock + every open PO balance (Expected Yarn Report) against the demand of the
    # 9 weekly buckets; a known yarn with stock >= 0 is bought exactly when that falls short, by at least the gap
    exp = real_snapshot.frames["expected_yarn"]
    po = exp.groupby("yarn_id")["po_balance_lbs"].sum()
    inv = real_snapshot.frames["yarn_inventory"].groupby("yarn_id")["theoretical_balance_lbs"].sum()
    weeks = list(real_plan["buckets"]["bucket"])[:9]
    demand = real_plan["ko_demand"].groupby("yarn_id")[weeks].sum().sum(axis=1)
    gap = demand - inv.reindex(demand.index).fillna(0.0) - po.reindex(demand.index).fillna(0.0)
    known = demand.index.isin(inv.index) & (inv.reindex(demand.index).fillna(0.0) >= 0).to_numpy()
    expected = set(gap[(gap > 0.5) & known].index)
    assert set(buys.index) == expected
    assert (buys["buy_lbs"] >= gap.reindex(buys.index) - 0.5).all()
    actions = real_plan["actions"]
    assert not actions["yarn_id"].duplicated().any()  # one netted action per yarn


def test_the_issue_examples_on_the_real_snapshot(real_plan):
    actions = real_plan["actions"].set_index("yarn_id")
    # 18870: stock -162 lbs; PO Y2507009 (14,000 lbs, requested for 09-29) covers the 9 weeks: fix the record
    # and pull the PO in, no new buy
    assert actions.loc[18870, "action"] == "reconcile" and "Y2507009" in actions.loc[18870, "reason"]
    assert actions.loc[18888, "action"] == "reconcile"  # -2.09 lbs and no demand: a record to fix, not 10,000 lbs
    # eFab's negative past due beside a later week (18307, 18904, 12526) made phantom buys; 19089's open POs
    # (9,000 lbs) cover its 5,396 lbs: an expedite, no buy; 10995's -482 lbs of stock is no MOQ buy
    for yarn_id in (18307, 18904, 12526, 19089, 10995):
        assert actions.loc[yarn_id, "action"] != "buy", yarn_id
    assert actions.loc[19089, "action"] == "expedite" and actions.loc[10995, "action"] == "reconcile"
    assert actions.loc[18307, "lbs"] <= 63  # a defer never exceeds the PO's 63 lb balance
    # 18594's PO is with Deca Global: the action names that vendor and the PO's price
    assert actions.loc[18594, "supplier"].upper().startswith("DECA") and actions.loc[18594, "cost_per_lb"] == 5.15
    buy = actions.loc[19003]
    assert buy["action"] == "buy" and pd.notna(buy["order_by"]) and buy["lead_time_days"] > 0
    assert (actions["lbs"] == actions["lbs"].round()).all()
    summary = real_plan["summary"]
    print({k: summary[k] for k in ("buys", "buy_lbs", "buy_usd", "expedites", "chases", "chase_lbs", "reconciles",
                                   "defers", "premium_lbs", "unpriced_actions", "stalled_kos")})
    assert summary["kos_by_bom_source"]["eFab KO report"] == 152 and summary["lbs_without_bom"] == 500.0


def test_real_demand_of_record_equals_efab_ko_report_and_its_gap_to_yarn_demand(real_snapshot, real_plan):
    report = real_snapshot.frames["yarn_demand_by_style_ko"].groupby("yarn_id")["total_lbs"].sum()
    ours = real_plan["ko_demand"].groupby("yarn_id")["total_lbs"].sum()
    listed = real_plan["ko_demand"].query("bom_source == 'eFab KO report'").groupby("yarn_id")["total_lbs"].sum()
    both = pd.concat([listed.rename("ours"), report.rename("efab")], axis=1).fillna(0.0)
    close = (both["ours"] - both["efab"]).abs() <= np.maximum(0.5, 0.01 * both["efab"].abs())
    assert close.mean() >= 0.97 and listed.sum() == pytest.approx(report.sum(), rel=0.001)
    # eFab's Yarn_Demand was built from another moment's KOs: its total is 3.0 % below eFab's own KO report on
    # 8-28; ours adds the KOs the report lacks (BOM file). Per yarn, eFab's two reports agree for 56 %.
    yd = real_snapshot.frames["yarn_demand"].groupby("yarn_id")["total_demand_lbs"].sum()
    own_gap = abs(report.sum() / yd.sum() - 1)
    our_gap = abs(ours.sum() / yd.sum() - 1)
    print(f"total vs Yarn_Demand: ours {our_gap:.2%}, eFab KO report {own_gap:.2%}")
    assert our_gap <= own_gap + 0.015
    per_yarn = ours.reindex(yd.index).fillna(0.0)
    ok = ((per_yarn - yd).abs() <= np.maximum(0.5, 0.01 * yd.abs())).mean()
    efab_ok = ((report.reindex(yd.index).fillna(0.0) - yd).abs() <= np.maximum(0.5, 0.01 * yd.abs())).mean()
    print(f"per-yarn within 1 % of Yarn_Demand: ours {ok:.1%}, eFab KO report {efab_ok:.1%}")
    assert ok >= efab_ok - 0.02


def test_cli_writes_the_plan_columns_and_the_actions(real_dir, tmp_path):
    from bk.cli import main

    out, actions = tmp_path / "yarn.csv", tmp_path / "actions.csv"
    assert main(["yarn-demand", str(real_dir), "--by", "yarn", "--out", str(out), "--actions", str(actions)]) == 0
    table = pd.read_csv(out)
    assert {"total_demand_lbs", "open_po_lbs", "net_shortage_lbs", "buy_lbs", "action", "lead_time_days",
            "lead_time_source", "order_by", "shortage_lbs"} <= set(table.columns)
    exp = pd.read_csv(next(real_dir.glob("Expected_Yarn_Report*")))
    po_bal = pd.to_numeric(exp["PO Bal"].astype(str).str.replace(",", ""), errors="coerce").sum()
    assert table["open_po_lbs"].sum() == pytest.approx(po_bal, rel=1e-6)
    listed = pd.read_csv(actions)
    assert list(listed.columns[:7]) == ["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "reason"]
    assert {"premium_lbs", "expected_arrival"} <= set(listed.columns)
    assert set(listed["action"]) <= {"buy", "expedite", "chase", "reconcile", "defer"}
    assert listed["reason"].notna().all()
    assert listed.loc[listed["action"] == "buy", "order_by"].notna().all()
