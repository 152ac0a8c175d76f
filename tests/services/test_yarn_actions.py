"""The purchase plan on hand-made frames: demand of record, two balances, buy / expedite / reconcile / defer,
the lead-time chain, prices, capacity buckets and forecast demand (as-of Thu 2025-07-31)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.errors import BkError
from bk.services import suppliers, yarn
from bk.services.planning.calendar import bucket_labels
from bk.services.planning.demand import prepare_bom

AS_OF = date(2025, 7, 31)  # ISO week from Mon 2025-07-28
LABELS = bucket_labels(AS_OF)
W0, W1, W2, W5 = LABELS[0], LABELS[1], LABELS[2], LABELS[5]
FAST = 10_000.0  # lbs/day: every KO here is knitted in its start week


def snap(*, kos, bom=(), inventory=(), pos=(), supplier_rows=None, master=None, efab_ko=None, efab_style=None,
         yarn_po=None) -> dict[str, pd.DataFrame]:
    """kos: (knit_order, style, lbs, start); pos: (po, yarn, past_due, this_week, week 32, week 33, later)."""
    ko = pd.DataFrame(kos, columns=["knit_order", "style", "balance_lbs", "start_date"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    styles = sorted({k[1] for k in kos})
    f = {
        "knit_orders": ko.astype({"knit_order": "string", "style": "string"}),
        "bom": pd.DataFrame(list(bom), columns=["style", "yarn_id", "bom_fraction"]).astype(
            {"style": "string", "yarn_id": "Int64", "bom_fraction": "float64"}),
        "style_rates": pd.DataFrame({"style": pd.Series(styles, dtype="string"), "lbs_per_day": FAST}),
        "yarn_inventory": pd.DataFrame(list(inventory), columns=["yarn_id", "supplier", "description",
                                                                 "theoretical_balance_lbs", "cost_per_lb"]).astype(
            {"yarn_id": "Int64", "supplier": "string", "description": "string", "cost_per_lb": "float64"}),
    }
    exp = pd.DataFrame(list(pos), columns=["po_number", "yarn_id", "past_due_lbs", "this_week_lbs",
                                           "week_2025_32_lbs", "week_2025_33_lbs", "later_lbs"])
    exp["po_balance_lbs"] = exp[["past_due_lbs", "this_week_lbs", "week_2025_32_lbs", "week_2025_33_lbs",
                                 "later_lbs"]].sum(axis=1)
    f["expected_yarn"] = exp.astype({"po_number": "string", "yarn_id": "Int64"})
    if supplier_rows is not None:
        f["suppliers"] = pd.DataFrame(supplier_rows, columns=["supplier", "lead_time_days", "moq_lbs",
                                                              "order_multiple_lbs", "retired"])
    if master is not None:
        f["yarn_master"] = pd.DataFrame(master, columns=["yarn_id", "supplier", "cost_per_lb"]).astype(
            {"yarn_id": "Int64", "supplier": "string"})
    if efab_ko is not None:
        f["yarn_demand_by_style_ko"] = pd.DataFrame(efab_ko, columns=["style", "knit_order", "yarn_id", "percentage"])
    if efab_style is not None:
        f["yarn_demand_by_style"] = pd.DataFrame(efab_style, columns=["style", "yarn_id", "percentage"])
    if yarn_po is not None:
        po = pd.DataFrame(yarn_po, columns=["supplier", "ordered_at", "requested_date"])
        f["yarn_po"] = po.assign(ordered_at=pd.to_datetime(po["ordered_at"]),
                                 requested_date=pd.to_datetime(po["requested_date"]))
    return f


def actions_of(result, kind: str) -> pd.DataFrame:
    a = result["actions"]
    return a[a["action"] == kind].set_index("yarn_id")


# ------------------------------------------------------------------------------------ demand of record


def test_each_ko_takes_its_split_from_the_first_source_that_has_it():
    f = snap(kos=[("K1", "A/1", 100.0, None), ("K2", "A/1", 100.0, None), ("K3", "B/1", 100.0, None),
                  ("K4", "A/2", 100.0, None), ("K5", "Z/1", 50.0, None)],
             bom=[("A/1", 7, 1.0)], inventory=[(7, "S", "d", 0.0, 1.0), (8, "S", "d", 0.0, 1.0)],
             efab_ko=[("A/1", "K1", 7, 60.0), ("A/1", "K1", 8, 40.0)], efab_style=[("B/1", 8, 100.0)])
    result = yarn.plan(f, as_of=AS_OF)
    kos = result["kos"].set_index("knit_order")
    assert kos["bom_source"].to_dict() == {"K1": "eFab KO report", "K2": "BOM file", "K3": "eFab style report",
                                           "K4": "base-prefix BOM", "K5": "none"}
    demand = result["ko_demand"].set_index(["knit_order", "yarn_id"])["total_lbs"]
    assert demand.to_dict() == {("K1", 7): pytest.approx(60.0), ("K1", 8): pytest.approx(40.0), ("K2", 7): 100.0,
                                ("K3", 8): 100.0, ("K4", 7): 100.0}
    assert result["kos_without_bom"]["knit_order"].tolist() == ["K5"]
    assert result["summary"]["lbs_without_bom"] == 50.0


def test_bom_file_against_efab_percentages_is_a_finding_beyond_truncation():
    # A/1: the file says 100 % yarn 7, eFab 60/40; C/1: 0.99 in the file vs eFab's 99.9 % (truncation, no finding)
    f = snap(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 7, 1.0), ("C/1", 9, 0.99)],
             inventory=[(7, "S", "d", 0.0, 1.0)],
             efab_ko=[("A/1", "K1", 7, 60.0), ("A/1", "K1", 8, 40.0)], efab_style=[("C/1", 9, 99.9)])
    diff = yarn.plan(f, as_of=AS_OF)["bom_differences"]
    assert diff[["style", "yarn_id"]].values.tolist() == [["A/1", 7], ["A/1", 8]]
    assert diff["file_pct"].tolist() == [100.0, 0.0] and diff["efab_pct"].tolist() == [60.0, 40.0]


# ------------------------------------------------------------------------------------------- lead time


def test_lead_time_chain_list_then_observed_median_then_default(monkeypatch):
    monkeypatch.setenv("BK_DEFAULT_LEAD_DAYS", "21")
    f = snap(kos=[], supplier_rows=[("LISTED", 10.0, 1000.0, np.nan, False), ("HUGE", 1e11, 500.0, np.nan, False),
                                    ("GONE", np.nan, np.nan, np.nan, True)],
             yarn_po=[("huge", "2025-06-01", "2025-06-21"), ("Huge", "2025-06-01", "2025-07-01"),
                      ("HUGE ", "2025-06-01", "2025-07-11"), ("gone", "2025-01-01", "2040-01-01")])
    names = pd.Series(["Listed", "Huge", "Gone", "Nobody"], dtype="string")
    lt = suppliers.supplier_terms(f, names)
    assert lt["lead_time_days"].tolist() == [10.0, 30.0, 21.0, 21.0]  # 20, 30, 40 days -> median 30
    assert lt["lead_time_source"].tolist() == [
        "supplier list", "supplier list's 1e+11 days implausible (outside 0–3650); median observed PO lead time "
        "(3 POs)", "default: supplier retired", "default: supplier not in the list"]  # 2040: implausible span
    assert lt["lead_time_defaulted"].tolist() == [False, False, True, True]
    assert lt["moq_lbs"].tolist()[:2] == [1000.0, 500.0] and np.isnan(lt["moq_lbs"].iloc[2])


def test_fewer_than_three_observed_pos_are_no_lead_time(monkeypatch):
    # one PO of 357 days (a retired supplier's on the real data) would date a buy a year back
    monkeypatch.setenv("BK_DEFAULT_LEAD_DAYS", "14")
    f = snap(kos=[], supplier_rows=[("OTHER", 10.0, 1000.0, np.nan, False)],
             yarn_po=[("Spun", "2024-09-01", "2025-08-24"), ("Pair", "2025-06-01", "2025-06-11"),
                      ("pair", "2025-06-01", "2025-06-21")])
    lt = suppliers.supplier_terms(f, pd.Series(["Spun", "Pair"], dtype="string"))
    assert lt["lead_time_days"].tolist() == [14.0, 14.0]
    assert lt["lead_time_source"].tolist() == [
        "default: supplier not in the list; only 1 PO(s) on record, 3 needed for an observed lead time",
        "default: supplier not in the list; only 2 PO(s) on record, 3 needed for an observed lead time"]


def test_a_lead_time_of_1e11_days_falls_back_to_the_default_and_the_buy_is_still_dated():
    f = snap(kos=[("K1", "A/1", 500.0, "2025-08-11")], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)],
             supplier_rows=[("S", 1e11, np.nan, np.nan, False)])
    buy = actions_of(yarn.plan(f, as_of=AS_OF), "buy").loc[1]
    assert buy["lead_time_days"] == 14.0 and buy["order_by"] == pd.Timestamp("2025-07-28")  # 08-11 - 14 days
    assert "implausible" in buy["lead_time_source"] and "default" in buy["lead_time_source"]


def test_bad_default_lead_time_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("BK_DEFAULT_LEAD_DAYS", "two weeks")
    with pytest.raises(BkError, match="BK_DEFAULT_LEAD_DAYS"):
        suppliers.default_lead_days()


# ------------------------------------------------------------------------------ balances and actions


def test_a_past_due_po_without_a_date_counts_this_week_in_the_planning_balance_only():
    # eFab's view leaves the unscheduled 1,200 lbs out: short 1,000 in week 0; the planning balance counts it
    f = snap(kos=[("K1", "A/1", 1000.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 9.0)],
             pos=[("Y1", 1, 1200.0, 0.0, 0.0, 0.0, 0.0)], supplier_rows=[("S", 7.0, 5000.0, np.nan, False)])
    result = yarn.plan(f, as_of=AS_OF)
    assert result["actions"].empty  # stock and the PO cover the demand; the PO is counted as arriving now
    row = yarn.by_yarn_table(result).set_index("yarn_id").loc[1]
    assert row["shortage_lbs"] == 1000 and row["net_shortage_lbs"] == 0 and row["buy_lbs"] == 0
    assert row["open_po_lbs"] == 1200 and row["action"] == "" and row[f"balance_{W0}"] == -1000
    planning = result["planning_balance"].set_index("yarn_id").loc[1]
    assert planning[f"balance_{W0}"] == 200


def test_buy_nets_every_po_raises_to_moq_once_then_the_multiple_and_names_the_late_po():
    # on hand 100; 700 lbs in week 0, 400 in week 1; PO Y2 brings 300 in week 2: stock and POs cover 400 of 1,100
    f = snap(kos=[("K1", "A/1", 700.0, None), ("K2", "A/1", 400.0, "2025-08-04")], bom=[("A/1", 1, 1.0)],
             inventory=[(1, "S", "d", 100.0, 2.0)], pos=[("Y2", 1, 0.0, 0.0, 0.0, 300.0, 0.0)],
             supplier_rows=[("S", 5.0, 1500.0, 400.0, False)])
    result = yarn.plan(f, as_of=AS_OF)
    buy = actions_of(result, "buy").loc[1]
    assert buy["net_shortage_lbs"] == 700 and buy["lbs"] == 1600  # MOQ 1500 -> 4 x 400
    assert buy["premium_lbs"] == 900 and buy["premium_usd"] == 1800
    assert buy["need_week"] == pd.Timestamp("2025-07-28") and buy["order_by"] == pd.Timestamp("2025-07-23")
    assert buy["expected_arrival"] == pd.Timestamp("2025-08-05")  # as-of + 5 days' lead time
    assert bool(buy["expedite"]) and "order-by date has passed" in buy["reason"]
    assert "pull in PO Y2 300 lbs" in buy["reason"]
    assert buy["cost_usd"] == 3200.0
    assert result["actions"]["yarn_id"].tolist() == [1]  # one netted action: the late PO is in the buy's reason
    assert result["summary"]["buy_lbs"] == 1600 and result["summary"]["buy_usd"] == 3200.0


def test_negative_stock_without_demand_and_unknown_yarns_are_reconciled_never_bought():
    f = snap(kos=[("K1", "A/1", 500.0, None), ("K2", "B/1", 200.0, None)], bom=[("A/1", 3, 1.0), ("B/1", 4, 1.0)],
             inventory=[(2, "S", "d", -2.09, 1.0)], master=[(4, "S", 2.5)],
             supplier_rows=[("S", 7.0, 10.0, np.nan, False)])
    result = yarn.plan(f, as_of=AS_OF)
    reconcile = actions_of(result, "reconcile")
    assert sorted(reconcile.index) == [2, 3]
    assert reconcile.loc[2, "lbs"] == 2 and "stock record is -2 lbs" in reconcile.loc[2, "reason"]
    assert "neither the yarn inventory nor the yarn master" in reconcile.loc[3, "reason"]
    buys = actions_of(result, "buy")
    assert list(buys.index) == [4]  # known through the yarn master, priced from it
    assert buys.loc[4, "cost_usd"] == 500.0
    table = yarn.by_yarn_table(result).set_index("yarn_id")
    assert table.loc[3, "buy_lbs"] == 0 and table.loc[3, "action"] == "reconcile"


def test_excess_pos_are_deferred_with_the_weeks_early():
    # yarn 5: no demand at all; yarn 6: 500 lbs from Mon 09-01 (week 5), PO Y6 of 600 arrives this week
    f = snap(kos=[("K1", "A/1", 500.0, "2025-09-01")], bom=[("A/1", 6, 1.0)],
             inventory=[(5, "S", "d", 0.0, 1.0), (6, "S", "d", 0.0, 1.0)],
             pos=[("Y5", 5, 0.0, 0.0, 800.0, 0.0, 0.0), ("Y6", 6, 0.0, 600.0, 0.0, 0.0, 0.0)])
    defer = actions_of(yarn.plan(f, as_of=AS_OF), "defer")
    assert sorted(defer.index) == [5, 6]
    assert defer.loc[5, "po_number"] == "Y5" and "no demand" in defer.loc[5, "reason"]
    assert "5 weeks before" in defer.loc[6, "reason"] and defer.loc[6, "need_week"] == pd.Timestamp("2025-09-01")


def test_a_po_needed_soon_after_it_arrives_is_not_deferred():
    f = snap(kos=[("K1", "A/1", 500.0, "2025-08-11")], bom=[("A/1", 6, 1.0)], inventory=[(6, "S", "d", 0.0, 1.0)],
             pos=[("Y6", 6, 0.0, 600.0, 0.0, 0.0, 0.0)])
    assert yarn.plan(f, as_of=AS_OF)["actions"].empty  # needed 2 weeks after it arrives


def test_an_action_without_a_price_says_so_and_is_counted():
    f = snap(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, np.nan)])
    result = yarn.plan(f, as_of=AS_OF)
    buy = actions_of(result, "buy").loc[1]
    assert "no price" in buy["reason"] and np.isnan(buy["cost_usd"]) and not buy["priced"]
    assert result["summary"]["unpriced_actions"] == 1
    assert result["shortages"].loc[0, "note"] == "no price"


def test_actions_are_sorted_by_order_by_date():
    f = snap(kos=[("K1", "A/1", 100.0, "2025-08-18"), ("K2", "B/1", 100.0, None)],
             bom=[("A/1", 1, 1.0), ("B/1", 2, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0), (2, "S", "d", 0.0, 1.0)],
             supplier_rows=[("S", 7.0, np.nan, np.nan, False)])
    a = yarn.plan(f, as_of=AS_OF)["actions"]
    assert a["yarn_id"].tolist() == [2, 1]
    assert a["order_by"].tolist() == [pd.Timestamp("2025-07-21"), pd.Timestamp("2025-08-11")]


# -------------------------------------------------------------------------------- interfaces at merge


def test_capacity_buckets_replace_efab_schedule_for_the_kos_they_list():
    f = snap(kos=[("K1", "A/1", 1000.0, None), ("K2", "A/1", 200.0, None)], bom=[("A/1", 1, 1.0)],
             inventory=[(1, "S", "d", 5000.0, 1.0)])
    given = pd.DataFrame(0.0, index=pd.Index(["K1"], name="knit_order"), columns=LABELS)
    given.loc["K1", [W1, W2]] = [400.0, 600.0]
    result = yarn.plan(f, as_of=AS_OF, ko_buckets=given)
    kos = result["kos"].set_index("knit_order")
    assert kos.loc["K1", "schedule_source"] == "capacity schedule" and kos.loc["K2", "schedule_source"] == "eFab rule"
    assert kos.loc["K1", [W0, W1, W2]].tolist() == [0.0, 400.0, 600.0] and kos.loc["K2", W0] == 200.0
    bal = result["yarn_balance"].set_index("yarn_id").loc[1]
    assert [bal[f"demand_{w}"] for w in (W0, W1, W2)] == [200.0, 400.0, 600.0]
    with pytest.raises(BkError, match="ko_buckets lacks"):
        yarn.plan(f, as_of=AS_OF, ko_buckets=given.drop(columns=[W2]))


def test_forecast_demand_enters_every_balance_and_the_reason():
    f = snap(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 150.0, 1.0)],
             supplier_rows=[("S", 7.0, np.nan, np.nan, False)])
    forecast = pd.DataFrame({"yarn_id": [1], **{b: [0.0] for b in LABELS}})
    forecast[W1] = 300.0
    result = yarn.plan(f, as_of=AS_OF, forecast_demand=forecast)
    row = yarn.by_yarn_table(result).set_index("yarn_id").loc[1]
    assert row[f"forecast_demand_{W1}"] == 300 and row["forecast_demand_lbs"] == 300
    assert row[f"demand_{W0}"] == 100 and row[f"demand_{W1}"] == 300 and row["total_demand_lbs"] == 400
    assert row[f"balance_{W1}"] == 150 - 100 - 300 and row["net_shortage_lbs"] == 250
    buy = actions_of(result, "buy").loc[1]
    assert buy["lbs"] == 250 and bool(buy["forecast_driven"]) and "300 lbs of forecast" in buy["reason"]
    assert not any(c.startswith("forecast_") for c in yarn.by_yarn_table(yarn.plan(f, as_of=AS_OF)).columns)


def test_actions_table_has_the_cli_columns():
    f = snap(kos=[("K1", "A/1", 100.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    table = yarn.actions_table(yarn.plan(f, as_of=AS_OF))
    assert list(table.columns[:7]) == ["yarn_id", "action", "po_number", "lbs", "need_week", "order_by", "reason"]
    assert table.loc[0, "order_by"] == date(2025, 7, 14)  # 07-28 - the 14-day default


def test_reconcile_without_open_knit_orders_does_not_raise():
    f = snap(kos=[("K1", "A/1", 0.0, None)], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 5.0, 1.0)],
             efab_ko=[("A/1", "K9", 1, 100.0)])
    f["yarn_demand_by_style_ko"] = f["yarn_demand_by_style_ko"].assign(this_week_lbs=5.0, later_lbs=0.0,
                                                                         total_lbs=5.0)
    summary = yarn.reconcile(f, as_of=AS_OF)["summary"]
    assert summary["ko_rows"] == 1 and summary["causes"] == {"KO missing from the knit-order export": 1}


@pytest.mark.parametrize("dtype", ["string", "category"])
def test_prepare_bom_against_a_plain_loop(dtype):
    rng = np.random.default_rng(3)
    n = 300
    styles = rng.choice(["A/1", " A/1", "B/2 ", "C/3", None, "D/4"], size=n)
    yarns = rng.choice([1.0, 2.0, 3.0, np.nan], size=n)
    fractions = rng.choice([0.1, 0.25, 0.5, 0.0, -0.2, np.nan], size=n)
    bom = pd.DataFrame({"style": pd.Series(styles, dtype="string").astype(dtype),
                        "yarn_id": pd.array(yarns, dtype="Float64").astype("Int64"), "bom_fraction": fractions})
    prepared, findings = prepare_bom(bom)
    summed: dict[tuple[str, int], float] = {}
    junk = 0
    for st, y, fr in zip(styles, yarns, fractions, strict=True):
        if st is None or np.isnan(y) or not fr > 0:
            junk += 1
            continue
        summed[(st.strip(), int(y))] = summed.get((st.strip(), int(y)), 0.0) + fr
    totals: dict[str, float] = {}
    for (st, _), fr in summed.items():
        totals[st] = totals.get(st, 0.0) + fr
    expected = [(st, y, fr / totals[st] if 0.9 <= totals[st] <= 1.1 else fr) for (st, y), fr in sorted(summed.items())]
    got = list(zip(prepared["style"], prepared["yarn_id"], prepared["fraction"], strict=True))
    assert [(s_, y) for s_, y, _ in got] == [(s_, y) for s_, y, _ in expected]
    assert np.allclose([f for *_, f in got], [f for *_, f in expected])
    assert f"{junk} blank or junk BOM lines ignored" in " ".join(findings["message"])


def test_a_ko_without_any_rate_starting_on_a_sunday_is_knitted_the_next_week_not_lost():
    # no rate file at all: knitted at once from its start; Sunday 2025-08-03 has no capacity -> Monday's week
    f = snap(kos=[("K1", "A/1", 100.0, "2025-08-03")], bom=[("A/1", 1, 1.0)], inventory=[(1, "S", "d", 0.0, 1.0)])
    del f["style_rates"]
    kos = yarn.plan(f, as_of=AS_OF)["kos"].iloc[0]
    assert kos[W0] == 0.0 and kos[W1] == 100.0 and kos["later"] == 0.0
