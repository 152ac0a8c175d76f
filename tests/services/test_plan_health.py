"""Plan health on hand-written back-test results, every answer written out."""

import math

import pandas as pd

from bk.services.plan_health import headline, plan_score, trend, worst_suppliers


def result(old="2025-08-28", new="2025-09-01", *, planned=1000.0, actual=500.0, buys=8, followed=2, due=2000.0,
           received=500.0, suppliers=()):
    return {"old_as_of": old, "new_as_of": new,
            "knitting": {"kos_compared": 10, "kos_no_progress": 6, "actual_lbs": actual, "planned_lbs": planned,
                         "ratio": planned / actual if actual else None},
            "buys": {"count": buys, "yarns_ordered": 3, "followed_by_po": followed},
            "receipts": {"pos_due": 4, "lbs_due": due, "lbs_received": received},
            "suppliers": list(suppliers)}


def test_score_of_a_plan_that_knit_twice_too_much_with_a_quarter_followed_and_on_time():
    score = plan_score(result())
    # knitting: half of the plan knitted -> 40 x 0.5 = 20; buys 2 of 8 -> 30 x 0.25 = 7.5; receipts 500 of 2,000
    # -> 7.5; 35 of 100
    assert score["score"] == 35 and score["status"] == "poor"
    assert score["period"] == "28 Aug 2025 to 1 Sep 2025"
    parts = score["components"]
    assert [(k, p["points"], p["max"]) for k, p in parts.items()] == [("knitting", 20, 40), ("buys", 8, 30),
                                                                       ("receipts", 8, 30)]
    assert parts["knitting"]["detail"] == ("The plan said 1,000 lbs would be knitted; the mill knitted 500 lbs (50 % "
                                           "of it). 6 of 10 knit orders made no progress.")
    assert parts["buys"]["detail"] == "2 of 8 buys were followed by a new PO (25 %); buyers placed new POs for 3 yarns."
    assert parts["receipts"]["detail"] == "500 of 2,000 lbs due on 4 POs arrived (25 %)."


def test_knitting_under_the_plan_scores_as_much_as_over_it():
    over, under = plan_score(result(planned=1000.0, actual=500.0)), plan_score(result(planned=500.0, actual=1000.0))
    assert over["components"]["knitting"]["points"] == under["components"]["knitting"]["points"] == 20


def test_components_without_figures_are_left_out_and_the_score_taken_over_the_rest():
    score = plan_score(result(planned=900.0, actual=1000.0, buys=0, followed=0, due=0.0, received=0.0))
    # knitting only: 40 x 0.9 = 36 of 40 -> 90
    assert score["score"] == 90 and score["status"] == "good"
    assert list(score["components"]) == ["knitting"]
    assert plan_score(result(planned=800.0, actual=1000.0, buys=0, due=0.0, received=0.0))["status"] == "good"
    assert plan_score(result(planned=700.0, actual=1000.0, buys=0, due=0.0, received=0.0))["status"] == "fair"


def test_nothing_to_judge_gives_no_score():
    score = plan_score(result(planned=0.0, actual=0.0, buys=0, followed=0, due=0.0, received=0.0))
    assert score["score"] is None and score["status"] == "no figures" and score["components"] == {}


def test_knitting_without_any_plan_scores_nothing():
    part = plan_score(result(planned=0.0, actual=300.0))["components"]["knitting"]
    assert part["points"] == 0 and "(with none planned)" in part["detail"]


def test_headline_in_plain_words():
    assert headline(result()) == ("The plan of 28 Aug 2025, checked on 1 Sep 2025: the mill knitted 50 % of the pounds "
                                  "it planned, 25 % of the PO pounds due arrived on time and 2 of 8 buys were "
                                  "followed by a PO.")
    assert headline(result(planned=0.0, actual=0.0, buys=0, due=0.0)) == (
        "The plan of 28 Aug 2025, checked on 1 Sep 2025: nothing was due to check.")
    assert headline(result(actual=0.0, buys=0, due=0.0)).endswith(": nothing was knitted of the pounds it planned.")


def test_trend_has_one_row_per_check_oldest_first():
    frame = trend([result("2025-09-01", "2025-09-04", buys=0, due=0.0), result()])
    assert list(frame["checked_on"]) == [pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-04")]
    assert list(frame["plan_of"]) == [pd.Timestamp("2025-08-28"), pd.Timestamp("2025-09-01")]
    assert list(frame["score"]) == [35, 50]  # the second: knitting alone, 20 of 40
    assert list(frame["knitting_pct"]) == [50, 50]
    assert frame["buys_followed_pct"].iloc[0] == 25 and math.isnan(frame["buys_followed_pct"].iloc[1])
    assert frame["on_time_pct"].iloc[0] == 25 and math.isnan(frame["on_time_pct"].iloc[1])


def test_worst_suppliers_add_up_the_checks():
    def sup(name, pos, due, received, slip):
        return {"supplier": name, "pos_due": pos, "lbs_due": due, "lbs_received": received,
                "median_slip_days": slip}

    first = result(suppliers=[sup("ALDER", 2, 1000.0, 0.0, 14.0), sup("BRAMBLE", 1, 200.0, 200.0, None),
                              sup("CEDAR", 0, 0.0, 0.0, None)])
    second = result("2025-09-01", "2025-09-04", suppliers=[sup("ALDER", 1, 500.0, 500.0, None)])
    frame = worst_suppliers([first, second])
    assert frame.drop(columns="slip_days").to_dict("list") == {
        "supplier": ["ALDER", "BRAMBLE"], "pos_due": [3, 1], "due_lbs": [1500, 200], "received_lbs": [500, 200],
        "on_time_pct": [33, 100]}
    assert frame["slip_days"].iloc[0] == 14.0 and math.isnan(frame["slip_days"].iloc[1])
    assert len(worst_suppliers([first, second], top=1)) == 1
