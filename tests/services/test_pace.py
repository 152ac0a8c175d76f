"""Observed knitting pace on hand-written knit orders, every answer written out."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bk.services.planning import pace

AS_OF = date(2025, 9, 8)  # a Monday; 2025-08-25 is two weeks (11 working days) earlier
RATES = pd.DataFrame({"style": pd.array(["S1/0"], dtype="string"), "lbs_per_day": [100.0]})


def knit_orders(rows):
    frame = pd.DataFrame(rows, columns=["knit_order", "start_date", "qty_ordered_lbs", "balance_lbs", "machine"])
    frame["style"] = "S1/0"
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    return frame.astype({"knit_order": "string", "style": "string", "machine": "Int64"})


def test_working_days_count_saturday_as_half_and_sunday_not():
    days = pace.working_days(np.array(["2025-08-28", "2025-09-08", "2025-09-06"], dtype="datetime64[D]"),
                             np.array(["2025-09-08", "2025-09-01", "2025-09-08"], dtype="datetime64[D]"))
    # Thu..Sun, Mon..Sun: 2 + 0.5 + 5 + 0.5; an end before the start: 0; Sat + Sun: 0.5
    assert days.tolist() == [8.0, 0.0, 0.5]


def test_own_pace_work_centre_pace_mill_pace_and_stalled():
    kos = knit_orders([
        ("K1", "2025-08-25", 1000.0, 450.0, None),   # 550 lbs in 11 days: 50/day of its own
        ("K2", "2025-08-25", 1000.0, 1000.0, None),  # started, nothing knitted: stalled
        ("K3", "2025-09-10", 500.0, 500.0, None),    # starts later: no history
        ("K4", "2025-08-25", 2200.0, 1100.0, None),  # 100/day, the style rate
        ("K5", "2025-08-25", 1000.0, 890.0, None),   # 10/day
        ("K6", None, 300.0, 300.0, None),            # no start date, alone in its work centre
        ("K7", "2025-08-25", 900.0, 0.0, None),      # finished: not open
    ])
    centres = pd.Series({"K1": "B", "K2": "A", "K3": "A", "K4": "A", "K5": "A", "K6": "B"})
    out = pace.observed_pace(kos, as_of=AS_OF, rates=RATES, work_centres=centres)
    assert list(out.index) == ["K1", "K2", "K3", "K4", "K5", "K6"]
    # work centre A measured K2, K4, K5: (0 + 1100 + 110) of 3 x 1100 possible; the mill adds K1: 1760 / 4400
    a_pace, mill_pace = 100.0 * 1210 / 3300, 100.0 * 1760 / 4400
    np.testing.assert_allclose(out["pace_lbs_per_day"], [50.0, a_pace, a_pace, 100.0, 10.0, mill_pace])
    assert out["pace_source"].tolist() == [pace.OWN_SINCE_START, pace.CENTRE_PACE, pace.CENTRE_PACE,
                                           pace.OWN_SINCE_START, pace.OWN_SINCE_START, pace.MILL_PACE]
    assert out["stalled"].tolist() == [False, True, False, False, False, False]
    assert out["start"].dt.date.tolist() == [AS_OF, AS_OF, date(2025, 9, 10), AS_OF, AS_OF, AS_OF]


def test_own_pace_never_above_the_style_rate():
    out = pace.observed_pace(knit_orders([("K1", "2025-09-04", 1000.0, 100.0, None)]), as_of=AS_OF, rates=RATES)
    assert out.loc["K1", "pace_lbs_per_day"] == 100.0  # 900 lbs in 3.5 days would be 257/day


def test_earlier_snapshot_gives_the_recent_pace():
    kos = knit_orders([("K1", "2025-08-25", 1000.0, 450.0, None), ("K2", "2025-08-25", 1000.0, 800.0, None)])
    before = knit_orders([("K1", "2025-08-25", 1000.0, 600.0, None)])
    out = pace.observed_pace(kos, as_of=AS_OF, rates=RATES, earlier=(before, date(2025, 9, 1)))
    # K1: 150 lbs over Mon 9-01 .. Sat 9-06 (5.5 days); K2 was not in the earlier export: its own start
    assert out.loc["K1", "pace_lbs_per_day"] == pytest.approx(150 / 5.5)
    assert out.loc["K1", "pace_source"] == pace.OWN_SINCE_SNAPSHOT
    assert out.loc["K2", "pace_lbs_per_day"] == pytest.approx(200 / 11)
    assert out.loc["K2", "pace_source"] == pace.OWN_SINCE_START


def test_kos_sharing_a_machine_share_its_rate():
    kos = knit_orders([("K1", "2025-08-25", 2000.0, 1120.0, 7), ("K2", "2025-08-25", 1000.0, 340.0, 7),
                       ("K3", "2025-08-25", 1000.0, 340.0, 8)])
    out = pace.observed_pace(kos, as_of=AS_OF, rates=RATES)
    # K1 80/day and K2 60/day on machine 7 add up to 140 > 100: both scaled by 100/140; K3 alone keeps 60
    np.testing.assert_allclose(out["pace_lbs_per_day"], [80 * 100 / 140, 60 * 100 / 140, 60.0])


def test_without_the_ordered_quantity_a_started_ko_is_not_called_stalled():
    kos = knit_orders([("K1", "2025-08-25", np.nan, 450.0, None)])
    out = pace.observed_pace(kos, as_of=AS_OF, rates=RATES)
    assert not out.loc["K1", "stalled"] and out.loc["K1", "pace_source"] == pace.MILL_PACE
    assert out.loc["K1", "pace_lbs_per_day"] == 100.0  # nothing measured anywhere: the style rate
