"""The capacity rules of issue 11 on hand-written machines and KOs (as-of Thu 2025-07-31, 5.5-day weeks):
placements never before max(as-of, start date); suggested KOs in the load and bottlenecks, apart from the
committed ones; the as-of week's capacity is the days left; family/median rates counted; bad input plans."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from bk.services import capacity
from bk.services.styles import RATE_EXACT, RATE_FAMILY, RATE_MEDIAN

AS_OF = date(2025, 7, 31)  # a Thursday; Monday of its week = 2025-07-28
W0, W1, W2 = pd.Timestamp("2025-07-28"), pd.Timestamp("2025-08-04"), pd.Timestamp("2025-08-11")


def kos(rows):
    ko = pd.DataFrame(rows, columns=["knit_order", "style", "balance_lbs", "start_date", "quoted_date", "machine"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    ko["quoted_date"] = pd.to_datetime(ko["quoted_date"])
    return ko.astype({"machine": "Int64", "style": "string", "knit_order": "string"})


def frames(rows, *, machines=((1, "A"), (2, "A"), (3, "C"))):
    return {
        "knit_orders": kos(rows),
        "machines": pd.DataFrame({"machine": [m for m, _ in machines], "work_center": [w for _, w in machines]}
                                 ).astype({"machine": "Int64"}),
        "style_rates": pd.DataFrame({"style": ["S1/0", "S2/0", "S3/0"], "lbs_per_day": [100.0, 200.0, 100.0]}),
        "greige_styles": pd.DataFrame({"style": ["S1/0", "S2/0", "S3/0"], "base": ["S1", "S2", "S3"],
                                       "work_center": ["A", "A", "C"]}),
    }


# ---------------------------------------------------------------------------------------- 1. start dates


def test_a_suggested_ko_never_starts_before_its_start_date():
    f = frames([
        ("K1", "S1/0", 200.0, None, None, 1),  # machine 1 busy Thu + Fri (units 3 to 5)
        ("K2", "S1/0", 100.0, "2025-08-12", None, None),  # unassigned, may start Tue 08-12 only
        ("K3", "S1/0", 150.0, "2025-08-06", None, None),  # unassigned, may start Wed 08-06
    ])
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"].set_index("knit_order")
    # K3 first (earlier start); both machines are free by Wed 08-06: the lower machine number wins
    assert s.loc["K3", "machine"] == 1 and s.loc["K3", "start"] == pd.Timestamp("2025-08-06")
    assert s.loc["K3", "finish"] == pd.Timestamp("2025-08-07")  # 1.5 days: Wed, half of Thu
    # machine 2 is free the whole time, machine 1 from mid-Thursday 08-07: both before 08-12 -> machine 1
    assert s.loc["K2", "machine"] == 1 and s.loc["K2", "start"] == pd.Timestamp("2025-08-12")
    u = result["unassigned"].set_index("knit_order")
    assert u.loc["K2", "free_from"] == pd.Timestamp("2025-08-12")
    assert result["summary"]["suggestions_before_start"] == 0
    load = result["machine_load"].set_index(["machine", "week_start"])
    assert load.loc[(1, W1), "suggested_days"] == pytest.approx(1.5)  # K3 only: K2 is in the week of 08-11
    assert load.loc[(1, W2), "suggested_days"] == pytest.approx(1.0)


def test_an_assigned_ko_waits_for_its_start_date_even_on_a_free_machine():
    f = frames([("K1", "S2/0", 400.0, "2025-08-08", "2025-08-08", 2)])  # Fri 08-08, 2 days: Fri + Sat ½ + Mon ½
    s = capacity.plan(f, as_of=AS_OF)["schedule"].iloc[0]
    assert s["start"] == pd.Timestamp("2025-08-08") and s["finish"] == pd.Timestamp("2025-08-11")
    assert bool(s["late"]) is True


def test_a_start_date_in_the_past_starts_at_the_as_of_date():
    f = frames([("K1", "S1/0", 100.0, "2025-06-02", None, None)])
    u = capacity.plan(f, as_of=AS_OF)["unassigned"].iloc[0]
    assert u["free_from"] == pd.Timestamp("2025-07-31")


# --------------------------------------------------------------------------- 2. suggested load, apart


def test_a_work_centre_loaded_only_by_suggested_kos_is_a_bottleneck_shown_as_suggested():
    f = frames([
        ("K1", "S1/0", 500.0, None, None, 1),  # committed on A: 5 days
        ("K2", "S3/0", 3000.0, None, None, None),  # unassigned, work centre C (one machine): 30 days
    ])
    result = capacity.plan(f, as_of=AS_OF, window_weeks=2)
    window = result["wc_window"].set_index("work_center")
    # window: Thu 07-31 to the end of week 2 = 11 - 3 = 8 machine-days per machine
    assert window.loc["C", "committed_days"] == 0.0 and window.loc["C", "suggested_days"] == pytest.approx(8.0)
    assert window.loc["C", "utilization"] == pytest.approx(1.0)
    assert window.loc["C", "committed_utilization"] == 0.0
    assert window.loc["A", "utilization"] == pytest.approx(5 / 16)
    assert result["bottlenecks"]["work_center"].tolist() == ["C"]
    wc = result["wc_load"].set_index(["work_center", "week_start"])
    assert wc.loc[("C", W1), "suggested_days"] == pytest.approx(5.5)
    assert wc.loc[("C", W1), "committed_days"] == 0.0
    s = result["summary"]
    assert s["unassigned_kos_suggested"] == 1 and s["unassigned_kos_in_load"] == 1
    assert s["max_wc_utilization"] == pytest.approx(1.0)
    assert s["max_wc_committed_utilization"] == pytest.approx(5 / 16)


def test_a_ko_without_a_machine_for_its_work_centre_is_not_in_the_load():
    f = frames([("K1", "S3/0", 300.0, None, None, None)], machines=((1, "A"), (2, "A")))
    result = capacity.plan(f, as_of=AS_OF)
    assert result["machine_load"]["load_days"].sum() == 0.0
    assert result["unassigned"]["note"].tolist() == ["no machine in work centre C"]
    s = result["summary"]
    assert s["unassigned_kos"] == 1 and s["unassigned_kos_suggested"] == 0 and s["unassigned_kos_in_load"] == 0


# ------------------------------------------------------------------------------- 3. days left in week


@pytest.mark.parametrize(("offset", "left"), [(0, 5.5), (1, 4.5), (2, 3.5), (3, 2.5), (4, 1.5), (5, 0.5), (6, 0.0)])
def test_days_left_in_the_as_of_week(offset, left):
    assert capacity.days_left(date(2025, 7, 28) + timedelta(days=offset)) == left


def test_the_as_of_week_is_divided_by_the_days_left():
    f = frames([("K1", "S1/0", 1000.0, None, None, 1)])  # 10 days from Sat 08-02 on
    saturday = date(2025, 8, 2)
    result = capacity.plan(f, as_of=saturday, horizon_weeks=2)
    load = result["machine_load"].set_index(["machine", "week_start"])
    assert load.loc[(1, W0), "capacity_days"] == 0.5 and load.loc[(1, W0), "load_days"] == pytest.approx(0.5)
    assert load.loc[(1, W0), "utilization"] == pytest.approx(1.0)
    assert load.loc[(1, W1), "capacity_days"] == 5.5 and load.loc[(1, W1), "utilization"] == pytest.approx(1.0)
    assert result["summary"]["as_of_week_days_left"] == 0.5
    sunday = capacity.plan(f, as_of=date(2025, 8, 3), horizon_weeks=2)
    load = sunday["machine_load"].set_index(["machine", "week_start"])
    assert load.loc[(1, W0), "capacity_days"] == 0.0 and load.loc[(1, W0), "utilization"] == 0.0
    assert sunday["schedule"]["start"].iloc[0] == pd.Timestamp("2025-08-04")


# --------------------------------------------------------------------------------------------- 4. rates


def test_rates_exact_then_family_then_median_are_counted():
    f = frames([
        ("K1", "S1/0", 100.0, None, None, 1),  # exact: 100 lbs/day
        ("K2", "S2/7", 100.0, None, None, 2),  # family S2: 200 lbs/day
        ("K3", "QQ/1", 100.0, None, None, 3),  # no family: median of 100, 200, 100 = 100
    ])
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"].set_index("knit_order")
    assert s["rate_source"].tolist() == [RATE_EXACT, RATE_FAMILY, RATE_MEDIAN]
    assert s["machine_days"].tolist() == pytest.approx([1.0, 0.5, 1.0])
    summary = result["summary"]
    assert summary["family_rate_kos"] == 1 and summary["median_rate_kos"] == 1
    assert summary["rate_defaulted_kos"] == 2


# ----------------------------------------------------------------------------------------- 6. bad input


def test_no_machine_column_plans_every_ko_as_unassigned_with_a_finding():
    f = frames([("K1", "S1/0", 200.0, None, None, 1), ("K2", "S1/0", 100.0, None, None, 1)])
    f["knit_orders"] = f["knit_orders"].drop(columns=["machine"])
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"].set_index("knit_order")
    assert s["placement"].tolist() == ["suggested", "suggested"]
    assert s["machine"].tolist() == [1, 2]  # K2 sees K1 on machine 1 and takes the free machine 2
    assert result["summary"]["assigned_kos"] == 0 and result["summary"]["unassigned_kos"] == 2
    assert result["findings"]["column"].tolist() == ["Machine"]
    assert "every KO is unassigned" in result["findings"]["message"].iloc[0]


def test_no_start_date_column_starts_every_ko_at_the_as_of_date_with_a_finding():
    f = frames([("K1", "S2/0", 200.0, "2025-08-05", None, 2)])
    f["knit_orders"] = f["knit_orders"].drop(columns=["start_date"])
    result = capacity.plan(f, as_of=AS_OF)
    assert result["schedule"]["start"].iloc[0] == pd.Timestamp("2025-07-31")
    assert result["findings"]["column"].tolist() == ["Start Date"]


def test_no_production_lbs_plans_on_the_default_median_with_a_warning():
    f = frames([("K1", "S1/0", 1088.0, None, None, 1)])
    del f["style_rates"]
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"].iloc[0]
    assert s["lbs_per_day"] == capacity.DEFAULT_LBS_PER_DAY == 544.0
    assert s["machine_days"] == pytest.approx(2.0) and s["rate_source"] == RATE_MEDIAN
    findings = result["findings"]
    assert findings["severity"].tolist() == ["warning"] and "no Production Lbs" in findings["message"].iloc[0]
    assert result["summary"]["median_rate_kos"] == 1


def test_a_balance_of_1e11_is_reported_not_raised():
    f = frames([("K1", "S1/0", 1e11, None, None, 1), ("K2", "S1/0", 100.0, None, None, 1),
                ("K3", "S1/0", 1e11, None, None, None)])
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"]
    assert s["knit_order"].tolist() == ["K2"]  # the huge KOs do not block machine 1 for a billion days
    assert s["start"].iloc[0] == pd.Timestamp("2025-07-31")
    findings = result["findings"].set_index("knit_order")
    assert sorted(findings.index) == ["K1", "K3"] and findings.loc["K1", "column"] == "Balance (lbs)"
    assert "1,000,000,000 machine-days" in findings.loc["K1", "message"]
    assert result["summary"]["implausible_kos"] == 2
    assert result["unassigned"].set_index("knit_order").loc["K3", "note"].startswith("left out")
    assert capacity.report_keys(f, as_of=AS_OF)["assigned_kos"] == 2


def test_the_input_frames_are_not_changed():
    f = frames([("K1", "S1/0", 100.0, "2025-08-05", None, None)])
    before = {k: v.copy() for k, v in f.items()}
    capacity.plan(f, as_of=AS_OF)
    for k, v in f.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_style_work_centres_exact_then_base_first_row_wins():
    greige = pd.DataFrame({"style": ["S1/0", "S1/0", "S2/0", "S3 /1", "S4/0"], "base": ["S1", "S1", "S2", "S3", "S4"],
                           "work_center": ["A", "B", "C", "D", None]})
    styles = pd.Series(["s1/0", "S2/9", "S3/1", "ZZ/1", None, "S4/0"], index=[5, 6, 7, 8, 9, 10], dtype="string")
    wc, how = capacity.style_work_centers(greige, styles)
    assert wc.index.tolist() == [5, 6, 7, 8, 9, 10]
    assert wc.iloc[:3].tolist() == ["A", "C", "D"]  # lower case and inner spaces do not matter; first row wins
    assert pd.isna(wc.iloc[3]) and pd.isna(wc.iloc[4]) and pd.isna(wc.iloc[5])  # S4's row has no work centre
    assert how.tolist() == ["style", "base", "style", "none", "none", "none"]
