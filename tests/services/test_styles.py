"""The shared rate lookup: exact style, then the style family's mean, then the median; never a bad rate."""

from __future__ import annotations

import pandas as pd

from bk.services.styles import family_key, knit_rates


def test_rate_falls_back_exact_then_family_then_median():
    rates = pd.DataFrame({"style": ["125792/1", "125792/3", "CF5049N/0", "BAD/1", "ZZ/1"],
                          "lbs_per_day": [100.0, 200.0, 50.0, -4.0, None]})
    styles = pd.Series([" 125792/1", "125792/2", "cf5049n/0", "NEW/1", "BAD/2"], index=[10, 11, 12, 13, 14])
    out = knit_rates(styles, rates)
    assert list(out.index) == [10, 11, 12, 13, 14]
    # exact 100; family 125792 = mean(100, 200); exact (case, spaces); median of positives {100, 200, 50};
    # BAD's only rate is negative: no family rate, the median
    assert out["lbs_per_day"].tolist() == [100.0, 150.0, 50.0, 100.0, 100.0]
    assert out["rate_source"].tolist() == ["style rate", "family rate", "style rate", "median (missing)",
                                           "median (missing)"]


def test_a_positive_given_rate_wins_and_no_rates_give_nan():
    styles = pd.Series(["A/1", "A/2"])
    out = knit_rates(styles, pd.DataFrame({"style": ["A/1"], "lbs_per_day": [80.0]}), given=pd.Series([30.0, 0.0]))
    assert out["lbs_per_day"].tolist() == [30.0, 80.0]
    assert out["rate_source"].tolist() == ["given", "family rate"]
    empty = knit_rates(styles, None)
    assert empty["lbs_per_day"].isna().all() and (empty["rate_source"] == "median (missing)").all()


def test_family_is_the_base_before_the_slash():
    assert family_key(pd.Series(["c1b 4654/1sc", "70005413"])).tolist() == ["C1B4654", "70005413"]


def test_rate_tables_are_kept_per_frame_object_never_across_frames():
    styles = pd.Series(["A/1"])
    first = pd.DataFrame({"style": ["A/1"], "lbs_per_day": [100.0]})
    assert knit_rates(styles, first)["lbs_per_day"].tolist() == [100.0]
    assert knit_rates(styles, first)["lbs_per_day"].tolist() == [100.0]  # the kept tables
    other = pd.DataFrame({"style": ["A/1"], "lbs_per_day": [40.0]})  # another day's file: its own tables
    assert knit_rates(styles, other)["lbs_per_day"].tolist() == [40.0]
