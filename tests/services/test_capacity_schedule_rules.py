"""Issue 28's rules on hand-written machine tables (as-of Thu 2025-07-31 unless said; 5.5-day weeks): long KOs
split across free machines of their work centre and never below a day's knitting, KOs off their work centre
found, remnants to close, the mill's calendar (Labor Day, shutdowns, half days, the work week), lateness with
'no date' and days late, and one hot-spot rule."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bk.errors import BkError
from bk.services import capacity, remnants, workdays
from bk.services.briefing import today

AS_OF = date(2025, 7, 31)  # a Thursday: 3 machine-days (Mon-Wed) of its week are gone


@pytest.fixture(autouse=True)
def default_settings(monkeypatch):
    for name in ("BK_MAX_KO_WEEKS", "BK_REMNANT_LBS", "BK_WORK_WEEK", "BK_HOLIDAYS", "BK_MILL_CLOSED"):
        monkeypatch.delenv(name, raising=False)


def frames(rows, *, machines=((1, "A"), (2, "A"), (3, "A"), (4, "B")), calendar=None):
    ko = pd.DataFrame(rows, columns=["knit_order", "style", "balance_lbs", "start_date", "quoted_date", "machine"])
    ko[["start_date", "quoted_date"]] = ko[["start_date", "quoted_date"]].apply(pd.to_datetime)
    out = {
        "knit_orders": ko.astype({"machine": "Int64", "style": "string", "knit_order": "string"}),
        "machines": pd.DataFrame({"machine": [m for m, _ in machines], "work_center": [w for _, w in machines]}
                                 ).astype({"machine": "Int64"}),
        # 100 lbs a day everywhere: machine-days = lbs / 100
        "style_rates": pd.DataFrame({"style": ["SA/0", "SB/0"], "lbs_per_day": [100.0, 100.0]}),
        "greige_styles": pd.DataFrame({"style": ["SA/0", "SB/0"], "base": ["SA", "SB"], "work_center": ["A", "B"]}),
    }
    if calendar is not None:
        out["calendar"] = calendar
    return out


# ------------------------------------------------------------------------------------------------- splits


def test_a_ko_longer_than_six_weeks_is_split_across_the_free_machines_of_its_work_centre():
    # 80 machine-days on machine 1; six weeks are 33 machine-days -> 3 parts of 26.67 days on machines 1, 2, 3
    result = capacity.plan(frames([("K1", "SA/0", 8000.0, None, "2025-09-03", 1)]), as_of=AS_OF)
    s = result["schedule"]
    assert s["machine"].tolist() == [1, 2, 3] and s["placement"].tolist() == ["assigned", "split", "split"]
    assert s["part"].tolist() == [1, 2, 3] and s["parts"].tolist() == [3, 3, 3]
    assert s["machine_days"].tolist() == pytest.approx([80 / 3] * 3)
    assert s["balance_lbs"].sum() == pytest.approx(8000.0)
    # from Thu 07-31 (position 3) to 29.67: 2.5 this week, 5.5 in each of the next four, then Labor Day
    # (Mon 1 Sep) is closed: Tue 1, Wed 1, Thursday 0.17 -> Thu 4 Sep, a day after the quoted Wed 3 Sep
    assert set(s["finish"]) == {pd.Timestamp("2025-09-04")}
    kos = capacity.lateness(result)
    assert kos["on_machines"].tolist() == ["1, 2, 3"] and kos["status"].tolist() == ["late"]
    assert kos["days_late"].tolist() == [1]
    assert result["summary"]["split_kos"] == 1 and result["summary"]["long_part_kos"] == 0
    # the split parts are the committed KO's work: committed load, all 80 machine-days of it
    load = result["machine_load"]
    assert load["suggested_days"].sum() == 0.0
    assert capacity.plan(frames([("K1", "SA/0", 8000.0, None, None, 1)]), as_of=AS_OF, horizon_weeks=10)[
        "machine_load"]["committed_days"].sum() == pytest.approx(80.0)


def test_a_machine_busy_longer_than_the_ko_alone_gets_no_part():
    # split limit 20 weeks = 110 machine-days; K2 keeps machine 2 busy for 100 days; K1 (120 days) is split in
    # two: machine 3 is free now, machine 2 only after day 103, when K1 alone would be nearly done
    result = capacity.plan(frames([("K1", "SA/0", 12000.0, None, None, 1), ("K2", "SA/0", 10000.0, None, None, 2)]),
                           as_of=AS_OF, max_weeks_per_machine=20)
    s = result["schedule"].set_index(["knit_order", "part"])
    assert sorted(s.loc["K1"]["machine"]) == [1, 3]
    assert s.loc[("K1", 1), "machine_days"] == pytest.approx(60.0)
    assert s.loc[("K2", 1), "parts"] == 1
    # without machine 3, machine 2 is the only other one of A: no help, K1 stays whole and is flagged
    alone = capacity.plan(frames([("K1", "SA/0", 12000.0, None, None, 1), ("K2", "SA/0", 10000.0, None, None, 2)],
                                 machines=((1, "A"), (2, "A"), (4, "B"))), as_of=AS_OF, max_weeks_per_machine=20)
    assert alone["schedule"]["parts"].tolist() == [1, 1] and alone["summary"]["split_kos"] == 0
    assert alone["summary"]["long_part_kos"] == 1


def test_a_ko_is_never_split_into_parts_below_one_days_knitting():
    # a limit of 0.1 week (0.55 machine-days): 1.5 days stays whole, 2.5 days splits in two parts of 1.25
    result = capacity.plan(frames([("K1", "SA/0", 150.0, None, None, 1), ("K2", "SA/0", 250.0, None, None, 2)]),
                           as_of=AS_OF, max_weeks_per_machine=0.1)
    kos = capacity.lateness(result).set_index("knit_order")
    assert kos.loc["K1", "parts"] == 1 and kos.loc["K2", "parts"] == 2
    assert result["schedule"]["machine_days"].min() >= 1.0
    assert result["summary"]["long_part_kos"] == 2  # each still over 0.55 days on a machine: flagged
    assert any("2 KOs run longer than 0.1 weeks on one machine even when split" in m for m in result["findings"]["message"])


def test_an_unassigned_long_ko_is_split_and_its_finish_is_the_last_parts():
    f = frames([("K1", "SA/0", 400.0, None, None, 1), ("K9", "SA/0", 9000.0, None, None, None)])
    result = capacity.plan(f, as_of=AS_OF)
    s = result["schedule"]
    parts = s[s["knit_order"] == "K9"]
    assert parts["placement"].tolist() == ["suggested"] * 3 and sorted(parts["machine"]) == [1, 2, 3]
    u = result["unassigned"].set_index("knit_order")
    assert u.loc["K9", "parts"] == 3 and u.loc["K9", "finish_if_placed"] == parts["finish"].max()
    # machine 1 is busy with K1 for 4 days: its part starts and ends later than the others
    assert parts.set_index("machine").loc[1, "finish"] == parts["finish"].max()
    assert result["summary"]["split_kos"] == 1


def test_the_split_limit_setting(monkeypatch):
    monkeypatch.setenv("BK_MAX_KO_WEEKS", "20")
    result = capacity.plan(frames([("K1", "SA/0", 8000.0, None, None, 1)]), as_of=AS_OF)
    assert result["summary"]["split_kos"] == 0 and result["summary"]["max_ko_weeks"] == 20
    monkeypatch.setenv("BK_MAX_KO_WEEKS", "six")
    with pytest.raises(BkError, match="BK_MAX_KO_WEEKS"):
        capacity.plan(frames([("K1", "SA/0", 8000.0, None, None, 1)]), as_of=AS_OF)


# --------------------------------------------------------------------------------------- work centres


def test_a_ko_on_a_machine_of_another_work_centre_is_a_finding_with_both_centres():
    f = frames([("K1", "SB/0", 300.0, None, None, 1),  # style of B on machine 1 of A
                ("K2", "SA/0", 300.0, None, None, 2),  # where it belongs
                ("K3", "SB/0", 2.0, None, None, 3),  # a remnant: to close, not a finding
                ("K4", "ZZ/1", 300.0, None, None, 3)])  # style without a work centre: cannot be judged
    result = capacity.plan(f, as_of=AS_OF)
    off = result["off_work_centre"]
    assert off["knit_order"].tolist() == ["K1"]
    assert off["machine_work_center"].tolist() == ["A"] and off["style_work_center"].tolist() == ["B"]
    assert result["summary"]["kos_off_work_centre"] == 1
    assert any("1 KO runs on a machine of another work centre" in m for m in result["findings"]["message"])


# ------------------------------------------------------------------------------------------- remnants


def test_a_remnant_is_to_close_not_scheduled_not_late_not_in_the_load():
    f = frames([("K1", "SA/0", 2.0, None, "2025-07-01", 1),  # 2 lbs, quoted a month ago
                ("K2", "SA/0", 4.99, None, None, None), ("K3", "SA/0", 5.0, None, "2025-07-01", 2)])
    result = capacity.plan(f, as_of=AS_OF)
    assert result["remnants"]["knit_order"].tolist() == ["K1", "K2"]
    assert set(result["remnants"]["status"]) == {"to close"}
    assert result["schedule"]["knit_order"].tolist() == ["K3"]  # 5 lbs is an order
    assert result["machine_load"]["load_days"].sum() == pytest.approx(0.05)
    s = result["summary"]
    assert s["remnant_kos"] == 2 and s["late_kos"] == 1 and s["unassigned_kos"] == 0
    assert capacity.late_kos(result)["knit_order"].tolist() == ["K3"]
    positions = result["positions"].set_index("knit_order")
    assert positions.loc["K1", "placement"] == "remnant"  # the yarn plan drops it with remnants.is_remnant


def test_the_remnant_rule_and_its_setting(monkeypatch):
    balance = pd.Series([0.0, 0.1, 4.99, 5.0, None, -2.0, 120.0], index=list("abcdefg"))
    assert remnants.is_remnant(balance).tolist() == [False, True, True, False, False, False, False]
    monkeypatch.setenv("BK_REMNANT_LBS", "1")
    assert remnants.is_remnant(balance).tolist() == [False, True, False, False, False, False, False]
    f = frames([("K1", "SA/0", 2.0, None, None, 1)])
    assert capacity.plan(f, as_of=AS_OF)["summary"]["remnant_kos"] == 0
    monkeypatch.setenv("BK_REMNANT_LBS", "-1")
    with pytest.raises(BkError, match="BK_REMNANT_LBS"):
        remnants.remnant_lbs()


# ------------------------------------------------------------------------------------------- calendar


def week_capacity(result) -> dict:
    load = result["machine_load"]
    one = load[load["machine"] == 1]
    return {f"{w:%m-%d}": c for w, c in zip(one["week_start"], one["capacity_days"], strict=True)}


def test_labor_day_a_shutdown_and_a_half_day_take_capacity_from_their_weeks():
    calendar = pd.DataFrame({"date": pd.to_datetime(["2025-09-08", "2025-09-15"]),
                             "reason": ["summer shutdown", "half shift"],
                             "until": pd.to_datetime(["2025-09-12", None]), "machine_days": [0.0, 0.5]})
    f = frames([("K1", "SA/0", 1000.0, None, None, 1)], calendar=calendar)
    result = capacity.plan(f, as_of=date(2025, 8, 28), horizon_weeks=5)
    assert week_capacity(result) == {"08-25": 2.5, "09-01": 4.5, "09-08": 0.5, "09-15": 5.0, "09-22": 5.5}
    weeks = result["weeks"].set_index("week_start")
    assert weeks.loc["2025-09-01", "closed"] == "Labor Day (1 Sep)"
    assert weeks.loc["2025-09-08", "closed"].count("summer shutdown") == 5
    # 10 days from Thu 08-28: 2.5 + 4.5 (Tue-Sat) + 0.5 (Sat 09-13) + 2.5 -> Wed 09-17 (Mon 09-15 is half)
    assert result["schedule"]["finish"].iloc[0] == pd.Timestamp("2025-09-17")


def test_the_work_week_and_closed_days_settings(monkeypatch):
    monkeypatch.setenv("BK_WORK_WEEK", "5")
    monkeypatch.setenv("BK_HOLIDAYS", "none")
    monkeypatch.setenv("BK_MILL_CLOSED", "2025-09-10..2025-09-11, 2025-09-19")
    f = frames([("K1", "SA/0", 100.0, None, None, 1)])
    result = capacity.plan(f, as_of=date(2025, 8, 28), horizon_weeks=3)
    assert week_capacity(result) == {"08-25": 2.0, "09-01": 5.0, "09-08": 3.0}
    assert result["summary"]["as_of_week_days_left"] == 2.0 and result["summary"]["week_machine_days"] == 5.0
    monkeypatch.setenv("BK_MILL_CLOSED", "2025-09-31")
    with pytest.raises(BkError, match="BK_MILL_CLOSED"):
        capacity.plan(f, as_of=date(2025, 8, 28))


def test_a_calendar_export_row_that_makes_no_sense_is_refused_with_its_row():
    calendar = pd.DataFrame({"date": pd.to_datetime(["2025-09-08"]), "reason": ["x"],
                             "until": pd.to_datetime(["2025-09-01"]), "machine_days": [0.0]})
    with pytest.raises(BkError, match="calendar export row 2"):
        capacity.plan(frames([("K1", "SA/0", 100.0, None, None, 1)], calendar=calendar), as_of=AS_OF)


@pytest.mark.parametrize(("year", "expected"), [
    (2025, ["2025-01-01", "2025-05-26", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"]),
    # 4 Jul 2026 is a Saturday (kept on Friday 3 Jul); Christmas 2022 a Sunday (Monday 26 Dec)
    (2026, ["2026-01-01", "2026-05-25", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"]),
    (2022, ["2021-12-31", "2022-05-30", "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"]),
])
def test_us_holidays(year, expected):
    assert sorted(d.isoformat() for d in workdays.us_holidays(year)) == expected


def test_positions_and_dates_agree_across_a_holiday_and_past_the_listed_days():
    line = workdays.Timeline(workdays.MillCalendar(days={date(2025, 9, 1): (0.0, "Labor Day")}), date(2025, 8, 25))
    # week of 25 Aug: 5.5; Mon 1 Sep closed: Tue starts at 5.5; the pattern repeats after the listed week
    assert line.units([0, 5, 6, 7, 8, 14, 15]).tolist() == [0.0, 5.0, 5.5, 5.5, 5.5, 10.0, 11.0]
    assert line.dates([0.5, 5.5, 6.0, 10.5, 15.5]).astype("datetime64[D]").astype(str).tolist() == [
        "2025-08-25", "2025-08-30", "2025-09-02", "2025-09-08", "2025-09-13"]


# ------------------------------------------------------------------------------------ lateness, hot spots


def test_late_on_time_and_no_date_with_days_late_one_definition_for_both_pages():
    f = frames([("K1", "SA/0", 300.0, None, "2025-08-01", 1),  # Thu, Fri, Sat ½, Mon ½ -> Mon 08-04: 3 days late
                ("K2", "SA/0", 100.0, None, "2025-07-31", 2),  # finishes Thu 07-31: on time
                ("K3", "SA/0", 100.0, None, None, 3),  # no quoted date
                ("K4", "SB/0", 100.0, None, "2025-07-30", None)])  # unassigned, on machine 4: 1 day late
    result = capacity.plan(f, as_of=AS_OF)
    kos = capacity.lateness(result).set_index("knit_order")
    assert kos["status"].to_dict() == {"K1": "late", "K2": "on time", "K3": "no date", "K4": "late"}
    assert kos.loc["K1", "days_late"] == 3 and kos.loc["K2", "days_late"] == 0 and pd.isna(kos.loc["K3", "days_late"])
    assert capacity.late_kos(result)["knit_order"].tolist() == ["K1", "K4"]  # most days late first
    assert capacity.lateness_counts(result) == {"late_kos": 2, "no_date_kos": 1}
    s = result["summary"]
    assert (s["late_kos"], s["no_date_kos"], s["late_suggested_kos"]) == (2, 1, 1)
    briefing = today({"actions": pd.DataFrame(columns=["action", "expedite", "order_by", "need_week"])},
                     as_of=AS_OF, capacity_result=result)
    assert briefing["late_kos"]["knit_order"].tolist() == ["K1", "K4"]
    assert briefing["counts"]["late_kos"] == 2 and briefing["counts"]["no_date_kos"] == 1


def test_a_hot_spot_is_a_work_centre_week_of_the_next_four_at_85_percent_or_more():
    wc = pd.DataFrame({"work_center": ["A"] * 5 + ["B"] * 5,
                       "week_start": pd.to_datetime(["2025-07-28", "2025-08-04", "2025-08-11", "2025-08-18",
                                                     "2025-08-25"] * 2),
                       "machines": [2] * 5 + [1] * 5,
                       "utilization": [0.84, 0.85, 0.2, 0.9, 0.0, 0.5, 0.5, 0.5, 0.5, 1.0],  # B: week 5 only
                       "committed_utilization": [0.8, 0.5, 0.2, 0.9, 0.0, 0.5, 0.5, 0.5, 0.5, 1.0],
                       "load_days": [4.2, 9.35, 2.2, 9.9, 0.0, 2.5, 2.75, 2.75, 2.75, 5.5],
                       "capacity_days": [5.0, 11.0, 11.0, 11.0, 11.0, 2.5, 5.5, 5.5, 5.5, 5.5]})
    assert capacity.hot_spot_cells(wc).tolist() == [False, True, False, True, False] + [False] * 5
    hot = capacity.hot_spots({"wc_load": wc})
    assert hot["work_center"].tolist() == ["A"] and hot["hot_weeks"].tolist() == [2]
    assert hot["first_hot_week"].tolist() == [pd.Timestamp("2025-08-04")]
    assert hot["utilization"].tolist() == [0.9] and hot["committed_utilization"].tolist() == [0.9]
    assert hot["load_days"].tolist() == pytest.approx([19.25]) and hot["capacity_days"].tolist() == [22.0]


def test_a_calendar_export_is_recognised_by_its_header_and_closes_its_days():
    from bk.ingest.reader import read_export

    data = (b"Date,Reason,Until,Machine Days\n2025-08-04,inventory count,2025-08-05,\n"
            b"8/9/2025,half shift,,0.25\n")
    export = read_export(data, name="mill calendar (2).csv")
    assert export.kind == "calendar"
    f = frames([("K1", "SA/0", 100.0, None, None, 1)], calendar=export.frame)
    # week of 4 Aug: Mon and Tue closed, Saturday a quarter: 3 + 0.25 machine-days
    assert week_capacity(capacity.plan(f, as_of=AS_OF, horizon_weeks=2)) == {"07-28": 2.5, "08-04": 3.25}
