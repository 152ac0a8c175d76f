"""Our figures against eFab's own reports: KO × yarn demand by bucket, and receipts per yarn and bucket."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.services.lookup import isin
from bk.services.planning.calendar import LATER, N_WEEKS, bucket_labels, bucket_starts
from bk.services.styles import RATE_EXACT, norm_key, week_monday

RECONCILE_REL, RECONCILE_ABS = 0.01, 0.15


def _report_buckets(report: pd.DataFrame, as_of: date) -> dict[str, str]:
    """Map eFab report columns (this_week_lbs, week_36_lbs, later_lbs) to our bucket labels."""
    labels = bucket_labels(as_of)
    mapping = {"this_week_lbs": labels[0], "later_lbs": LATER}
    for k, monday in enumerate(bucket_starts(as_of)):
        mapping[f"week_{monday.isocalendar().week}_lbs"] = labels[k]
    return {c: mapping[c] for c in report.columns if c in mapping}


def reconcile_ko(exploded: dict, report: pd.DataFrame, knit_orders: pd.DataFrame, bom: pd.DataFrame, *,
                 as_of: date) -> pd.DataFrame:
    """eFab's Yarn_Demand_By_Style_KO against ours: one row per (KO, yarn) of either side.

    Columns: knit_order, style, yarn_id, efab_lbs, our_lbs, match (totals within 1 % or 0.15 lb), buckets_match
    (every bucket within 1 lb or 1 %), cause (likely reason of a disagreement).
    """
    mapping = _report_buckets(report, as_of)
    efab = report.copy()
    efab["knit_order"] = efab["knit_order"].astype("string")
    efab = efab.rename(columns=mapping)
    labels = [lab for lab in bucket_labels(as_of) if lab in efab.columns]
    efab = efab.groupby(["knit_order", "yarn_id"], as_index=False).agg(
        efab_style=("style", "first"), efab_lbs=("total_lbs", "sum"), **{f"efab_{b}": (b, "sum") for b in labels})
    ours = exploded["ko_demand"].copy()
    ours["knit_order"] = ours["knit_order"].astype("string")
    ours = ours.groupby(["knit_order", "yarn_id"], as_index=False).agg(
        style=("style", "first"), our_lbs=("total_lbs", "sum"), **{f"our_{b}": (b, "sum") for b in labels})
    merged = efab.merge(ours, on=["knit_order", "yarn_id"], how="outer")
    merged["style"] = merged["style"].fillna(merged["efab_style"])
    merged[["efab_lbs", "our_lbs"]] = merged[["efab_lbs", "our_lbs"]].fillna(0.0)
    tol = np.maximum(RECONCILE_ABS, RECONCILE_REL * merged["efab_lbs"].abs())
    merged["match"] = (merged["efab_lbs"] - merged["our_lbs"]).abs() <= tol
    bucket_ok = np.ones(len(merged), dtype=bool)
    for b in labels:
        e, o = merged[f"efab_{b}"].fillna(0.0), merged[f"our_{b}"].fillna(0.0)
        bucket_ok &= ((e - o).abs() <= np.maximum(1.0, 0.01 * e.abs())).to_numpy()
    merged["buckets_match"] = bucket_ok
    ko_ids = merged["knit_order"].astype("string")
    in_export = isin(ko_ids, knit_orders["knit_order"].astype("string"))
    kos = exploded["kos"]
    # as strings even when no KO is open (an empty map would give floats)
    rate_source = ko_ids.map(pd.Series(kos["rate_source"].to_numpy(dtype=object),
                                       index=kos["knit_order"].astype("string"), dtype=object)).astype("string")
    open_ko = rate_source.notna().to_numpy(dtype=bool)
    pair = norm_key(merged["style"].astype("string")) + "|" + merged["yarn_id"].astype("string")
    bom_pairs = (bom["style_key"] + "|" + bom["yarn_id"].astype("string")).unique()
    in_bom = isin(pair, bom_pairs)
    ok = (merged["match"] & merged["buckets_match"]).to_numpy(dtype=bool)
    cause = np.select(
        [ok, ~in_export, ~open_ko, ~in_bom, merged["efab_lbs"].to_numpy() == 0, ~merged["match"].to_numpy(dtype=bool),
         (~rate_source.isin([RATE_EXACT, "given"])).to_numpy(dtype=bool)],
        ["", "KO missing from the knit-order export", "KO closed (balance 0) in the knit-order export",
         "BOM differs (yarn not in our BOM for this style)", "BOM differs (yarn not in eFab's report)",
         "balance or BOM fraction differs", "rate not in the file (family or median used)"],
        default="knitting rate or start date differs")
    merged["cause"] = pd.Series(cause, dtype="string")
    cols = ["knit_order", "style", "yarn_id", "efab_lbs", "our_lbs", "match", "buckets_match", "cause"]
    cols += [c for c in merged.columns if c.startswith(("efab_week", "our_week", "efab_later", "our_later"))]
    return merged[cols].sort_values(["match", "knit_order"]).reset_index(drop=True)


def reconcile_receipts(supply: pd.DataFrame, report: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Receipts per yarn and bucket: ours (from the expected-yarn report) against eFab's Yarn_Demand."""
    labels = bucket_labels(as_of)
    rows = []
    first = week_monday(as_of)
    efab_cols = {"receipts_this_week_lbs": labels[0], "receipts_later_lbs": LATER}
    for k in range(N_WEEKS):
        efab_cols[f"receipts_week_{(first + timedelta(weeks=k)).isocalendar().week}_lbs"] = labels[k]
    ours = supply.set_index("yarn_id")
    efab_cols["past_due_receipts_lbs"] = "past_due"
    present = [c for c in efab_cols if c in report]
    theirs_all = report.groupby("yarn_id")[present].sum()
    for column in present:
        label = efab_cols[column]
        mine = ours["past_due_lbs" if label == "past_due" else label].reindex(theirs_all.index).fillna(0.0)
        rows.append(pd.DataFrame({"yarn_id": theirs_all.index.astype("int64"), "bucket": label,
                                  "efab_lbs": theirs_all[column].to_numpy(), "our_lbs": mine.to_numpy()}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["yarn_id", "bucket", "efab_lbs", "our_lbs"])
    out["match"] = (out["efab_lbs"] - out["our_lbs"]).abs() <= 0.5
    return out.astype({"bucket": "string"})
