"""Capacity scheduler on 3 machines × 5 KOs written out by hand (as-of Thu 2025-07-31, 5.5-day weeks)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.errors import MissingDataError
from bk.services import capacity

AS_OF = date(2025, 7, 31)


def frames():
    ko = pd.DataFrame([
        ("K1", "S1/0", 250.0, None, "2025-08-01", 1),  # no start = as-of, so after K2: Mon ½ - Wed -> late
        ("K2", "S1/0", 300.0, "2025-07-30", "2025-08-10", 1),  # earliest start: Thu, Fri, Sat ½, Mon ½
        ("K3", "S2/0", 1200.0, "2025-08-01", None, 2),  # 6 days from Fri: 1.5 in week 0, 4.5 in week 1
        ("K4", "S2/0", 200.0, "2025-08-05", "2025-08-05", 3),  # 1 day on Tue 08-05
        ("K5", "S 1/0", 100.0, None, None, None),  # unassigned; style found without spaces, work centre A
        ("K6", "S1/0", 0.0, None, None, 1),  # closed
    ], columns=["knit_order", "style", "balance_lbs", "start_date", "quoted_date", "machine"])
    ko["start_date"] = pd.to_datetime(ko["start_date"])
    ko["quoted_date"] = pd.to_datetime(ko["quoted_date"])
    return {
        "knit_orders": ko.astype({"machine": "Int64", "style": "string", "knit_order": "string"}),
        "machines": pd.DataFrame({"work_center": ["A", "A", "B"], "machine": [1, 2, 3]}).astype({"machine": "Int64"}),
        "style_rates": pd.DataFrame({"style": ["S1/0", "S2/0"], "lbs_per_day": [100.0, 200.0]}),
        "greige_styles": pd.DataFrame({"style": ["S1/0", "S2/0"], "base": ["S1", "S2"], "work_center": ["A", "B"]}),
    }


@pytest.fixture(scope="module")
def result():
    return capacity.plan(frames(), as_of=AS_OF, horizon_weeks=3)


def test_each_machine_knits_its_kos_one_after_another(result):
    s = result["schedule"].set_index("knit_order")
    assert list(s.index) == ["K2", "K1", "K3", "K4", "K5"]  # machine 1 by start date (blank = as-of), then KO
    assert s["placement"].tolist() == ["assigned"] * 4 + ["suggested"]
    assert s.loc["K2", "start"] == pd.Timestamp("2025-07-31") and s.loc["K2", "finish"] == pd.Timestamp("2025-08-04")
    assert bool(s.loc["K2", "late"]) is False
    assert s.loc["K1", "start"] == pd.Timestamp("2025-08-04") and s.loc["K1", "finish"] == pd.Timestamp("2025-08-06")
    assert bool(s.loc["K1", "late"]) is True  # quoted 08-01
    assert s.loc["K3", "start"] == pd.Timestamp("2025-08-01") and s.loc["K3", "finish"] == pd.Timestamp("2025-08-08")
    assert bool(s.loc["K3", "late_unknown"]) is True and bool(s.loc["K3", "late"]) is False
    assert s.loc["K4", "finish"] == pd.Timestamp("2025-08-05") and bool(s.loc["K4", "late"]) is False


def test_weekly_load_and_utilisation(result):
    load = result["machine_load"].set_index(["machine", "week_start"])
    w0, w1 = pd.Timestamp("2025-07-28"), pd.Timestamp("2025-08-04")
    assert load.loc[(1, w0), "load_days"] == pytest.approx(2.5)  # K2: Thu, Fri, Sat ½
    assert load.loc[(1, w0), "capacity_days"] == pytest.approx(2.5)  # Thu 1 + Fri 1 + Sat ½ left on Thursday
    assert load.loc[(1, w0), "utilization"] == pytest.approx(1.0)
    assert load.loc[(1, w1), "committed_days"] == pytest.approx(3.0)  # K2's last ½ day + K1's 2.5
    assert load.loc[(1, w1), "suggested_days"] == 0.0 and load.loc[(1, w1), "utilization"] == pytest.approx(3 / 5.5)
    assert load.loc[(2, w0), "committed_days"] == pytest.approx(1.5)  # K3 from Fri
    assert load.loc[(2, w0), "suggested_days"] == pytest.approx(1.0)  # K5 suggested on Thu, before K3
    assert load.loc[(2, w0), "utilization"] == pytest.approx(1.0)
    assert load.loc[(2, w0), "committed_utilization"] == pytest.approx(1.5 / 2.5)
    assert load.loc[(2, w1), "load_days"] == pytest.approx(4.5)
    assert load.loc[(3, w1), "utilization"] == pytest.approx(1 / 5.5)
    wc = result["wc_load"].set_index(["work_center", "week_start"])
    assert wc.loc[("A", w0), "capacity_days"] == pytest.approx(5.0)
    assert wc.loc[("A", w0), "utilization"] == pytest.approx(5.0 / 5.0)
    assert wc.loc[("A", w0), "committed_utilization"] == pytest.approx(4.0 / 5.0)
    assert wc.loc[("A", w1), "utilization"] == pytest.approx(7.5 / 11)


def test_window_utilisation_and_bottlenecks(result):
    window = result["wc_window"].set_index("work_center")
    # capacity left from Thu (3 machine-days into the week) to the end of week 4: 22 - 3 = 19 per machine
    assert window.loc["A", "committed_days"] == pytest.approx(11.5)
    assert window.loc["A", "suggested_days"] == pytest.approx(1.0)  # K5, unassigned, on its suggested machine
    assert window.loc["A", "utilization"] == pytest.approx(12.5 / 38)
    assert window.loc["A", "committed_utilization"] == pytest.approx(11.5 / 38)
    assert window.loc["B", "utilization"] == pytest.approx(1 / 19)
    assert result["bottlenecks"].empty
    tight = capacity.plan(frames(), as_of=AS_OF, bottleneck_threshold=0.3)
    assert tight["bottlenecks"]["work_center"].tolist() == ["A"]


def test_unassigned_ko_goes_where_in_its_work_centre_it_can_start_first(result):
    row = result["unassigned"].iloc[0]
    assert row["knit_order"] == "K5" and row["work_center"] == "A"
    # machine 1 is busy from Thu; machine 2 only from Fri (K3): K5's one day fits on Thu before K3
    assert row["suggested_machine"] == 2
    assert row["free_from"] == pd.Timestamp("2025-07-31") and row["finish_if_placed"] == pd.Timestamp("2025-07-31")


def test_a_suggestion_that_does_not_fit_a_gap_waits_for_the_machine():
    f = frames()
    f["knit_orders"].loc[4, "balance_lbs"] = 150.0  # 1.5 days: no longer fits Thursday on machine 2
    row = capacity.plan(f, as_of=AS_OF)["unassigned"].iloc[0]
    assert row["suggested_machine"] == 1  # machine 1 is free from Thu 08-07 (after K1), machine 2 mid-Fri 08-08
    assert row["free_from"] == pd.Timestamp("2025-08-07") and row["finish_if_placed"] == pd.Timestamp("2025-08-08")


def test_missing_rate_defaults_to_the_median_and_style_without_work_centre_is_listed():
    f = frames()
    f["knit_orders"].loc[4, "style"] = "ZZ/9"
    f["style_rates"] = pd.DataFrame({"style": ["S1/0", "S2/0", "X/1"], "lbs_per_day": [100.0, 200.0, 400.0]})
    result = capacity.plan(f, as_of=AS_OF)
    row = result["unassigned"].iloc[0]
    assert pd.isna(row["suggested_machine"]) and "no work centre" in row["note"]
    assert result["summary"]["rate_defaulted_kos"] == 1
    assert result["summary"]["unassigned_kos"] == 1 and result["summary"]["late_kos"] == 1


def test_report_keys_and_missing_export():
    keys = capacity.report_keys(frames(), as_of=AS_OF)
    assert keys == {"machines": 3, "work_centers": 2, "assigned_kos": 4, "unassigned_kos": 1, "late_kos": 1,
                    "max_wc_utilization": pytest.approx(12.5 / 38), "suggestions_before_start": 0,
                    "unassigned_kos_suggested": 1, "unassigned_kos_in_load": 1, "median_rate_kos": 0,
                    "family_rate_kos": 0, "as_of_week_days_left": 2.5,
                    # K3 and K5 have no quoted date; A is fully loaded in the as-of week; K3 (style S2, work
                    # centre B) runs on machine 2 of work centre A
                    "no_date_kos": 2, "hot_spots": 1, "split_kos": 0, "long_part_kos": 0,
                    "kos_off_work_centre": 1, "remnant_kos": 0}
    f = frames()
    del f["machines"]
    with pytest.raises(MissingDataError, match="Machine report"):
        capacity.plan(f, as_of=AS_OF)
