"""Yarn requirements on hand-made frames with the answers written out (as-of Thu 2025-07-31)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.errors import MissingDataError
from bk.services import yarn
from bk.services.planning.actions import pegging
from bk.services.planning.demand import prepare_bom
from bk.services.planning.schedule import Schedule
from bk.services.planning.supply import receipts

AS_OF = date(2025, 7, 31)  # a Thursday; its ISO week starts Mon 2025-07-28 and crosses into August
W0 = "week_of_2025-07-28"
W1 = "week_of_2025-08-04"
W2 = "week_of_2025-08-11"


def frames(*, kos, bom, rates=None, inventory=None, expected=None, suppliers=None) -> dict[str, pd.DataFrame]:
    ko = pd.DataFrame(kos, columns=["knit_order", "style", "balance_lbs", "start_date"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    out = {
        "knit_orders": ko.astype({"knit_order": "string", "style": "string"}),
        "bom": pd.DataFrame(bom, columns=["style", "yarn_id", "bom_fraction"]).astype(
            {"style": "string", "yarn_id": "Int64"}),
        "style_rates": pd.DataFrame(rates or [], columns=["style", "lbs_per_day"]).astype({"style": "string"}),
        "yarn_inventory": pd.DataFrame(
            inventory or [], columns=["yarn_id", "supplier", "description", "theoretical_balance_lbs", "cost_per_lb"]
        ).astype({"yarn_id": "Int64", "supplier": "string", "description": "string"}),
    }
    exp = pd.DataFrame(expected or [], columns=["yarn_id", "past_due_lbs", "this_week_lbs", "week_2025_32_lbs",
                                                "week_2025_33_lbs", "later_lbs"])
    out["expected_yarn"] = exp.astype({"yarn_id": "Int64"})
    if suppliers is not None:
        out["suppliers"] = pd.DataFrame(suppliers, columns=["supplier", "lead_time_days", "moq_lbs", "retired"])
    return out


def test_weekday_weights_across_a_month_boundary():
    # 600 lbs/day -> 3600 lbs/week; Thu, Fri (2/11 each) and Sat (1/11) are left in the as-of week
    f = frames(kos=[("K1", "A/1", 5000.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 600.0)],
               inventory=[(1, "S", "d", 0.0, 1.0)])
    row = yarn.plan(f, as_of=AS_OF)["kos"].iloc[0]
    assert row[W0] == pytest.approx(3600 * 5 / 11)  # 1636.36
    assert row[W1] == pytest.approx(5000 - 3600 * 5 / 11)  # 3363.64, all in August
    assert row[W2] == 0 and row["later"] == 0


def test_a_ko_spanning_many_weeks_fills_the_horizon_then_later():
    f = frames(kos=[("K1", "A/1", 40000.0, "2025-07-01")], bom=[("A/1", 1, 1.0)], rates=[("A/1", 600.0)],
               inventory=[(1, "S", "d", 0.0, 1.0)])
    row = yarn.plan(f, as_of=AS_OF)["kos"].iloc[0]
    weeks = [c for c in row.index if c.startswith("week_of_")]
    assert len(weeks) == 9 and weeks[-1] == "week_of_2025-09-22"
    assert row[W0] == pytest.approx(1636.3636, abs=1e-3)  # a start date in the past knits from as-of
    assert all(row[w] == pytest.approx(3600) for w in weeks[1:])
    assert row["later"] == pytest.approx(40000 - 1636.3636 - 8 * 3600, abs=1e-3)  # 9563.64


def test_future_start_on_a_wednesday_and_median_rate_when_missing():
    f = frames(kos=[("K1", "A/1", 1000.0, "2025-08-06"), ("K2", "B/1", 100.0, None), ("K3", "C/1", 100.0, None)],
               bom=[("A/1", 1, 1.0), ("B/1", 1, 1.0), ("C/1", 1, 1.0)],
               rates=[("B/1", 100.0), ("C/1", 300.0), ("A/1", -5.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    kos = yarn.plan(f, as_of=AS_OF)["kos"].set_index("knit_order")
    # A's rate is negative: the median positive rate (200/day -> 1200/week) is used and flagged
    assert kos.loc["K1", "rate_source"] == "median (missing)" and kos.loc["K1", "lbs_per_day"] == 200
    assert kos.loc["K1", W0] == 0
    assert kos.loc["K1", W1] == pytest.approx(1200 * 7 / 11)  # Wed, Thu, Fri, Sat = 7/11 of the week
    assert kos.loc["K1", W2] == pytest.approx(1000 - 1200 * 7 / 11)


def test_repeated_bom_lines_are_summed_and_styles_normalised():
    bom = pd.DataFrame({"style": [" A/1", "A/1", "A/1", "B/1", "B/1", None, "JUNK"],
                        "yarn_id": [1, 1, 2, 1, 3, None, None], "bom_fraction": [0.5, 0.3, 0.18, 0.3, 0.2, None, None]}
                       ).astype({"style": "string", "yarn_id": "Int64"})
    prepared, findings = prepare_bom(bom)
    a = prepared[prepared["style"] == "A/1"].set_index("yarn_id")["fraction"]
    assert a.loc[1] == pytest.approx(0.8 / 0.98) and a.loc[2] == pytest.approx(0.18 / 0.98)
    b = prepared[prepared["style"] == "B/1"].set_index("yarn_id")["fraction"]
    assert b.loc[1] == 0.3 and b.loc[3] == 0.2  # sums to 0.5: outside 0.90-1.10, kept and reported
    messages = " ".join(findings["message"])
    assert "2 blank or junk BOM lines" in messages and "0.500" in messages
    assert len(prepared) == 4


def test_the_same_yarn_in_several_styles_and_kos_is_summed_and_stock_carried_across_weeks():
    # yarn 1: on hand 1000; K1 (A, 100 %) 600 in week 0; K2 (B, 50 % of 1200) 600 in week 1; receipt 500 week 2
    f = frames(kos=[("K1", "A/1", 600.0, None), ("K2", "B/1", 1200.0, "2025-08-04")],
               bom=[("A/1", 1, 1.0), ("B/1", 1, 0.5), ("B/1", 2, 0.5)],
               rates=[("A/1", 10_000.0), ("B/1", 10_000.0)],
               inventory=[(1, "Deca Global", "poly", 1000.0, 2.0), (2, "Deca Global", "nylon", 5000.0, 3.0)],
               expected=[(1, 0.0, 0.0, 0.0, 500.0, 0.0)])
    result = yarn.plan(f, as_of=AS_OF)
    bal = result["yarn_balance"].set_index("yarn_id")
    assert bal.loc[1, f"demand_{W0}"] == 600 and bal.loc[1, f"demand_{W1}"] == 600
    assert bal.loc[1, f"balance_{W0}"] == 400 and bal.loc[1, f"balance_{W1}"] == -200
    assert bal.loc[1, f"receipts_{W2}"] == 500 and bal.loc[1, f"balance_{W2}"] == 300
    assert bal.loc[1, "first_shortage_week"] == pd.Timestamp("2025-08-04") and bal.loc[1, "shortage_lbs"] == 200
    assert bal.loc[2, "shortage_lbs"] == 0 and pd.isna(bal.loc[2, "first_shortage_week"])


def test_moq_is_applied_once_to_the_consolidated_need_with_supplier_matched_ignoring_case():
    # two KOs need 300 and 400 lbs of yarn 1 in different weeks; no stock; MOQ 2500 -> one order of 2500
    f = frames(kos=[("K1", "A/1", 300.0, None), ("K2", "A/1", 400.0, "2025-08-05")], bom=[("A/1", 1, 1.0)],
               rates=[("A/1", 10_000.0)], inventory=[(1, "Deca Global", "poly", 0.0, 2.0)],
               suppliers=[("DECA  GLOBAL", 14.0, 2500.0, False)])
    row = yarn.plan(f, as_of=AS_OF)["shortages"].iloc[0]
    assert row["net_need_lbs"] == 700 and row["moq_lbs"] == 2500 and row["suggested_order_lbs"] == 2500
    assert row["first_shortage_week"] == pd.Timestamp("2025-07-28")
    assert row["order_by"] == pd.Timestamp("2025-07-14") and bool(row["expedite"]) is True
    assert row["order_cost_usd"] == 5000.0


def test_a_need_above_moq_is_ordered_as_needed_and_lead_time_sets_order_by():
    f = frames(kos=[("K1", "A/1", 9000.0, "2025-09-01")], bom=[("A/1", 1, 1.0)], rates=[("A/1", 10_000.0)],
               inventory=[(1, "Unifi", "poly", 1000.0, 1.5)], suppliers=[("UNIFI", 8.0, 1500.0, False)])
    row = yarn.plan(f, as_of=AS_OF)["shortages"].iloc[0]
    assert row["suggested_order_lbs"] == 8000
    assert row["first_shortage_week"] == pd.Timestamp("2025-09-01")
    assert row["order_by"] == pd.Timestamp("2025-08-24") and bool(row["expedite"]) is False


def test_retired_supplier_gives_no_terms_and_says_so():
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)],
               inventory=[(1, "Old Mill", "poly", 0.0, 1.0)], suppliers=[("OLD MILL", np.nan, np.nan, True)])
    row = yarn.plan(f, as_of=AS_OF)["shortages"].iloc[0]
    # no MOQ; the lead time falls back to the one default (14 days): short in the week of 07-28 -> order by 07-14
    assert row["suggested_order_lbs"] == 100 and np.isnan(row["moq_lbs"])
    assert row["order_by"] == pd.Timestamp("2025-07-14") and row["lead_time_source"] == "default: supplier retired"
    assert "retired" in row["note"]


def test_past_due_receipts_are_excluded_unless_switched_on():
    f = frames(kos=[("K1", "A/1", 500.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 10_000.0)],
               inventory=[(1, "S", "d", 100.0, 1.0)], expected=[(1, 300.0, 0.0, 0.0, 0.0, 0.0)])
    off = yarn.plan(f, as_of=AS_OF)["yarn_balance"].set_index("yarn_id").loc[1]
    on = yarn.plan(f, as_of=AS_OF, include_past_due=True)["yarn_balance"].set_index("yarn_id").loc[1]
    assert off[f"balance_{W0}"] == -400 and off["past_due_receipts_lbs"] == 300
    assert off["headline_balance_lbs"] == -100  # eFab's headline includes past due
    assert on[f"balance_{W0}"] == -100 and on["shortage_lbs"] == 100


def test_date_named_receipt_columns_go_to_their_iso_week():
    f = frames(kos=[], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)],
               expected=[(1, 0.0, 10.0, 20.0, 30.0, 40.0)])
    bal = yarn.plan(f, as_of=AS_OF)["yarn_balance"].set_index("yarn_id").loc[1]
    # ISO week 32 of 2025 starts Mon 2025-08-04 (bucket 1), week 33 on 2025-08-11 (bucket 2)
    assert (bal[f"receipts_{W0}"], bal[f"receipts_{W1}"], bal[f"receipts_{W2}"], bal["receipts_later"]) == (
        10, 20, 30, 40)


def test_receipts_fall_back_to_yarn_po_requested_dates():
    f = frames(kos=[], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    del f["expected_yarn"]
    f["yarn_po"] = pd.DataFrame({"yarn_id": [1, 1, 1, 1], "status": ["Open", "Open", "Open", "Closed"],
                                 "requested_date": pd.to_datetime(["2025-07-20", "2025-08-06", "2026-01-05",
                                                                   "2025-08-06"]),
                                 "balance_lbs": [100.0, 200.0, 300.0, 999.0]}).astype({"yarn_id": "Int64"})
    supply, source = receipts(f, as_of=AS_OF)
    row = supply.set_index("yarn_id").loc[1]
    assert source == "yarn_po"
    assert (row["past_due_lbs"], row[W1], row["later"], row[W0]) == (100, 200, 300, 0)


def test_kos_without_bom_are_listed_with_their_lbs_and_pegging_names_the_kos():
    f = frames(kos=[("K1", "A/1", 100.0, None), ("K2", "A / 1", 50.0, None), ("K3", "Z/9", 70.0, None)],
               bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    result = yarn.plan(f, as_of=AS_OF)
    assert result["kos_without_bom"][["knit_order", "balance_lbs"]].values.tolist() == [["K3", 70.0]]
    peg = pegging(result, 1)
    assert sorted(peg["knit_order"]) == ["K1", "K2"] and peg["lbs"].sum() == 150  # 'A / 1' found without spaces
    assert result["summary"]["lbs_without_bom"] == 70


def test_what_if_orders_change_the_plan_without_touching_the_inputs():
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)],
               inventory=[(1, "S", "d", 500.0, 1.0)])
    before = {k: v.copy() for k, v in f.items()}
    assert yarn.plan(f, as_of=AS_OF)["shortages"].empty
    extra = pd.DataFrame({"style": ["A/1"], "balance_lbs": [1000.0], "start_date": ["2025-08-04"],
                          "rate_lbs_per_day": [50.0]})
    result = yarn.plan(f, as_of=AS_OF, extra_knit_orders=extra)
    row = result["shortages"].iloc[0]
    # what-if: 300 lbs/week from Mon 2025-08-04; stock 500 - 100 = 400 lasts until the week of 2025-08-11
    assert row["first_shortage_week"] == pd.Timestamp("2025-08-11") and row["shortage_lbs"] == pytest.approx(600)
    for kind, frame in f.items():
        pd.testing.assert_frame_equal(frame, before[kind])


def test_a_what_if_order_without_a_start_date_starts_knitting_at_the_as_of_date():
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)],
               inventory=[(1, "S", "d", 500.0, 1.0)])
    extra = pd.DataFrame({"style": ["A/1"], "balance_lbs": [1000.0]})  # no start_date column at all
    kos = yarn.plan(f, as_of=AS_OF, extra_knit_orders=extra)["kos"].set_index("knit_order")
    assert kos.loc["WHAT-IF 1", "start"] == pd.Timestamp(AS_OF)
    assert kos.loc["WHAT-IF 1", "balance_lbs"] == 1000.0


def test_kept_bom_preparations_follow_their_frames_and_callers_cannot_spoil_them():
    # the prepared BOM is kept per (BOM, yarn inventory, yarn master) frame objects: another frame of the same
    # shape (another day's file) gets its own preparation, and changing a result leaves the next plan alone
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0), (None, None, None)], rates=[("A/1", 1000.0)],
               inventory=[(1, "S", "d", 0.0, 1.0), (2, "S", "e", 0.0, 1.0)])
    first = yarn.plan(f, as_of=AS_OF)
    assert first["ko_demand"]["yarn_id"].tolist() == [1]
    first["bom_findings"]["message"] = "changed by a caller"
    other_bom = {**f, "bom": frames(kos=[], bom=[("A/1", 2, 1.0)])["bom"]}
    assert yarn.plan(other_bom, as_of=AS_OF)["ko_demand"]["yarn_id"].tolist() == [2]
    without_2 = {**other_bom, "yarn_inventory": f["yarn_inventory"].iloc[:1].copy()}
    assert "1 BOM yarns are not in the yarn inventory" in " ".join(yarn.plan(without_2, as_of=AS_OF)["bom_findings"]
                                                                    ["message"])
    again = yarn.plan(f, as_of=AS_OF)
    assert again["ko_demand"]["yarn_id"].tolist() == [1]
    assert again["bom_findings"]["message"].tolist() == ["1 blank or junk BOM lines ignored"]


def test_kept_yarn_records_and_supplier_terms_follow_their_frames():
    # stock, prices, suppliers and supplier terms are kept per frame object: another day's files give their own
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)],
               inventory=[(1, "Unifi", "poly", 0.0, 1.5)], suppliers=[("UNIFI", 8.0, 50.0, False)])
    row = yarn.plan(f, as_of=AS_OF)["shortages"].iloc[0]
    assert (row["supplier"], row["cost_per_lb"], row["lead_time_days"], row["net_need_lbs"]) == ("Unifi", 1.5, 8.0, 100)
    later = frames(kos=[], bom=[], inventory=[(1, "Deca", "poly", 40.0, 2.5)], suppliers=[("DECA", 21.0, 50.0, False)])
    row = yarn.plan({**f, "yarn_inventory": later["yarn_inventory"], "suppliers": later["suppliers"]},
                    as_of=AS_OF)["shortages"].iloc[0]
    assert (row["supplier"], row["cost_per_lb"], row["lead_time_days"], row["net_need_lbs"]) == ("Deca", 2.5, 21.0, 60)


def test_missing_exports_are_named():
    f = frames(kos=[], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    del f["bom"]
    with pytest.raises(MissingDataError, match="BOM"):
        yarn.plan(f, as_of=AS_OF)


def test_cli_tables_have_the_issue_columns():
    f = frames(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], rates=[("A/1", 1000.0)],
               inventory=[(1, "S", "d", 0.0, 1.0)], suppliers=[("S", 7.0, 10.0, False)])
    result = yarn.plan(f, as_of=AS_OF)
    by_ko = yarn.by_ko_table(result)
    assert list(by_ko.columns[:5]) == ["knit_order", "style", "yarn_id", "fraction", "total_lbs"]
    assert list(by_ko.columns[5:]) == [f"week_of_{d}" for d in pd.date_range("2025-07-28", periods=9,
                                                                              freq="7D").date] + ["later"]
    by_yarn = yarn.by_yarn_table(result)
    assert list(by_yarn.columns[:4]) == ["yarn_id", "supplier", "on_hand_lbs", "past_due_receipts_lbs"]
    assert list(by_yarn.columns[4:7]) == [f"demand_{W0}", f"receipts_{W0}", f"balance_{W0}"]
    assert list(by_yarn.columns[-12:]) == ["first_shortage_week", "shortage_lbs", "suggested_order_lbs", "order_by",
                                           "expedite", "total_demand_lbs", "open_po_lbs", "net_shortage_lbs",
                                           "buy_lbs", "action", "lead_time_days", "lead_time_source"]
    row = by_yarn.iloc[0]
    assert row["suggested_order_lbs"] == 100 and row["buy_lbs"] == 100 and row["net_shortage_lbs"] == 100
    assert row["action"] == "buy" and row["lead_time_days"] == 7 and row["lead_time_source"] == "supplier list"


def test_balance_rule_export_column_or_computed():
    ko = pd.DataFrame({"knit_order": ["K1"], "style": ["A/1"], "balance_lbs": [135.0], "start_date": [pd.NaT],
                       "qty_ordered_lbs": [800.0], "g00_lbs": [0.0], "shipped_lbs": [730.5], "seconds_lbs": [38.2]})
    f = frames(kos=[], bom=[("A/1", 1, 1.0)], rates=[("A/1", 10_000.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    f["knit_orders"] = ko
    assert yarn.plan(f, as_of=AS_OF)["kos"]["balance_lbs"].tolist() == [135.0]
    computed = yarn.plan(f, as_of=AS_OF, schedule=Schedule(computed_balance=True))["kos"]
    assert computed["balance_lbs"].tolist() == [pytest.approx(107.7)]  # 800 - 0 - 730.5 + 38.2
