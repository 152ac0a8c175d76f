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
    # exported at the same moment. The 99 % is not reachable on this data without bending the rule.
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
    bom, _ = yarn.prepare_bom(real_snapshot.frames["bom"])
    style_sum = bom.groupby("style_key")["fraction"].sum()
    with_bom = kos[kos["has_bom"]]
    expected = (with_bom["balance_lbs"] * with_bom["style"].str.replace(" ", "").str.upper().map(style_sum)).sum()
    assert result["ko_demand"]["total_lbs"].sum() == pytest.approx(expected, rel=1e-9)
    labels = list(result["buckets"]["bucket"])
    assert np.allclose(result["ko_demand"][labels].sum(axis=1), result["ko_demand"]["total_lbs"])
    assert result["summary"]["receipts_source"] == "expected_yarn"
