"""Back-test scoring on hand-written pairs of days, every answer written out."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services import backtest as bt

OLD, NEW = date(2025, 8, 28), date(2025, 9, 8)  # a Thursday, then a Monday 11 days later


def kos(rows):
    return pd.DataFrame(rows, columns=["knit_order", "balance_lbs"]).astype({"knit_order": "string"})


def test_knitting_compares_listed_kos_and_counts_stalled_ones():
    old = kos([("K1", 100.0), ("K2", 200.0), ("K3", 300.0), ("K4", 0.3), ("K5", 400.0)])
    # K1 finished (listed at 0), K2 stalled (rounding only), K3 vanished, K4 was a remnant, K5 knitted 150;
    # K6 is new and not compared
    new = kos([(" K1", 0.0), ("K2", 199.5), ("K4", 0.0), ("K5", 250.0), ("K6", 90.0)])
    planned = pd.Series({"K1": 80.0, "K2": 60.0, "K3": 500.0, "K5": 110.0})
    score = bt.knitting_score(old, new, planned)
    assert score == {"kos_compared": 3, "kos_no_progress": 1, "actual_lbs": 250.5, "planned_lbs": 250.0,
                     "ratio": 0.998}


def test_knitting_balance_that_grew_is_no_negative_knitting():
    score = bt.knitting_score(kos([("K1", 100.0)]), kos([("K1", 180.0)]), pd.Series({"K1": 50.0}))
    assert score["actual_lbs"] == 0.0 and score["kos_no_progress"] == 1 and score["ratio"] is None


def test_window_share_whole_partial_and_late_start_weeks():
    starts = [date(2025, 8, 25), date(2025, 8, 27), date(2025, 9, 2)]  # before the as-of day; ; mid-next-week
    weeks = [date(2025, 8, 25), date(2025, 9, 1), date(2025, 9, 8)]
    share = bt.window_share(pd.Series(pd.to_datetime(starts)), bucket_starts=weeks, as_of=OLD,
                            until=date(2025, 9, 4))
    # the as-of week counts whole from the as-of day; the next week up to Wednesday: Mon+Tue+Wed = 6 of 11;
    # the KO starting Tuesday: Tue+Wed = 4 of the 9 it had left that week; the week of 9-08 not at all
    np.testing.assert_allclose(share, [[1.0, 6 / 11, 0.0], [1.0, 6 / 11, 0.0], [0.0, 4 / 9, 0.0]])


def test_planned_knitting_takes_the_window_of_each_bucket():
    labels = bt.bucket_labels(OLD)
    frame = pd.DataFrame({"knit_order": ["K1", "K2"], "start": pd.to_datetime([OLD, date(2025, 9, 1)])})
    for label in labels:
        frame[label] = 0.0
    frame.loc[0, [labels[0], labels[1], labels[2]]] = [30.0, 110.0, 55.0]
    frame.loc[1, [labels[1], labels[2]]] = [22.0, 11.0]
    planned = bt.planned_knitting(frame, as_of=OLD, until=NEW)
    assert planned.to_dict() == {"K1": 140.0, "K2": 22.0}


def inventory(yarns):
    return pd.DataFrame({"yarn_id": pd.array(yarns, dtype="Int64")})


def po_frame(rows, week_columns):
    """Expected Yarn Report lines: (po, yarn, supplier, balance, past_due, this_week, {week column: lbs})."""
    records = []
    for po, yarn_id, supplier, balance, past_due, this_week, weeks in rows:
        record = {"po_number": po, "yarn_id": yarn_id, "supplier": supplier, "price_per_lb": 3.0,
                  "po_balance_lbs": balance, "past_due_lbs": past_due, "this_week_lbs": this_week,
                  "later_lbs": 0.0}
        record.update({c: float(weeks.get(c, 0.0)) for c in week_columns})
        records.append(record)
    frame = pd.DataFrame(records)
    return frame.astype({"po_number": "string", "yarn_id": "Int64", "supplier": "string"})


def test_ordered_yarns_are_new_po_numbers_on_known_yarns():
    old = {"yarn_inventory": inventory([1, 2, 3, 4, 5]),
           "expected_yarn": po_frame([("P1", 1, "A", 10.0, 0.0, 10.0, {})], []),
           "yarn_po": pd.DataFrame({"po_number": pd.array(["P2"], dtype="string"),
                                    "yarn_id": pd.array([2], dtype="Int64")})}
    new = {"expected_yarn": po_frame([("P1", 1, "A", 10.0, 0.0, 10.0, {}), ("P3", 3, "A", 10.0, 0.0, 10.0, {}),
                                      ("p4 ", 4, "A", 10.0, 0.0, 10.0, {}), ("P5", 99, "A", 10.0, 0.0, 10.0, {})],
                                     []),
           "yarn_po": pd.DataFrame({"po_number": pd.array([" p2"], dtype="string"),
                                    "yarn_id": pd.array([2], dtype="Int64")})}
    ordered = bt.ordered_yarns(old, new)
    assert ordered == {3, 4}  # P2 was there already (case and spaces aside); yarn 99 is not in the inventory
    score = bt.buy_score({3, 5}, ordered)
    assert (score["count"], score["yarns_ordered"], score["followed_by_po"]) == (2, 2, 1)
    assert (score["precision"], score["recall"]) == (0.5, 0.5)
    assert score["followed_yarns"] == [3]


def test_receipts_full_partial_rescheduled_netted_and_rounding():
    old_weeks = ["week_2025_36_lbs", "week_2025_37_lbs", "week_2025_40_lbs"]  # Fridays 9-05, 9-12, 10-03
    old = {"expected_yarn": po_frame([
        ("P1", 1, "A", 1000.0, 0.0, 1000.0, {}),  # received in full: gone on the new day
        ("P2", 2, "A", 500.0, 200.0, 0.0, {"week_2025_36_lbs": 300.0}),  # 200 of the past-due part arrives
        ("P3", 3, "B", 800.0, 0.0, 0.0, {"week_2025_36_lbs": 800.0}),  # rescheduled two weeks later
        ("P4", 4, "B", 11640.0, -52380.0, 0.0, {"week_2025_40_lbs": 64020.0}),  # eFab netting: nothing due
        ("P5", 5, "B", 100.0, 0.0, 100.0, {}),  # 0.3 lbs less: rounding, and now due next week
        ("P6", 6, "B", 100.0, 0.0, 0.0, {"week_2025_37_lbs": 100.0}),  # due after the new day
    ], old_weeks)}
    new_weeks = ["week_2025_38_lbs"]  # Friday 9-19
    new = {"expected_yarn": po_frame([
        ("P2", 2, "A", 300.0, 300.0, 0.0, {}),
        ("P3", 3, "B", 800.0, 0.0, 0.0, {"week_2025_38_lbs": 800.0}),
        ("P4", 4, "B", 11640.0, 11640.0, 0.0, {}),
        ("P5", 5, "B", 99.7, 0.0, 99.7, {}),
        ("P6", 6, "B", 0.0, 0.0, 0.0, {}),
    ], new_weeks)}
    receipts, suppliers = bt.receipt_score(old, new, old_as_of=OLD, new_as_of=NEW)
    assert receipts == {"pos_due": 4, "lbs_due": 2400.0, "lbs_received": 1200.0, "on_time_share": 0.5,
                        "past_due_lbs": 200.0, "past_due_lbs_received_share": 1.0}
    # worst on-time share first; P3 moved from Friday 9-05 to 9-19 and P5 from 8-29 to 9-12: 14 days each
    assert suppliers == [
        {"supplier": "B", "pos_due": 2, "lbs_due": 900.0, "lbs_received": 0.0, "on_time_share": 0.0,
         "median_slip_days": 14.0},
        {"supplier": "A", "pos_due": 2, "lbs_due": 1500.0, "lbs_received": 1200.0, "on_time_share": 0.8,
         "median_slip_days": None},
    ]


def test_actions_changed_lists_yarns_whose_action_differs():
    def plan(rows):
        return {"actions": pd.DataFrame(rows, columns=["yarn_id", "action"])}

    old = plan([(1, "buy"), (2, "expedite"), (2, "buy"), (3, "defer"), (4, "buy")])
    new = plan([(1, "buy"), (2, "buy"), (3, "defer"), (5, "chase")])
    assert bt.actions_changed(old, new) == [
        {"yarn_id": 2, "old": "expedite+buy", "new": "buy"},
        {"yarn_id": 4, "old": "buy", "new": "none"},
        {"yarn_id": 5, "old": "none", "new": "chase"},
    ]


def test_backtest_refuses_a_new_day_not_after_the_old():
    with pytest.raises(bt.BkError, match="must be later"):
        bt.backtest({}, {}, old_as_of=NEW, new_as_of=OLD)
