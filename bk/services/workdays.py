"""The mill's working calendar (machine-days of each weekday, US holidays, shutdowns) and positions on it.

Settings (environment variables):
    BK_WORK_WEEK    working days a week, 5.5 by default: whole days from Monday, the fraction on the next day
                    (5.5 = Mon-Fri and half a Saturday; 5 = Mon-Fri; 6 = Mon-Sat)
    BK_HOLIDAYS     ``us`` (default): the mill closes on the six US federal holidays US plants commonly close
                    (New Year's Day, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas Day;
                    a Saturday holiday on the Friday before, a Sunday one on the Monday after); ``none``: no holidays
    BK_MILL_CLOSED  more closed days: dates and ranges, e.g. ``2025-12-22..2026-01-02, 2025-11-28``
The optional ``calendar`` export (Date, Reason, optional Until and Machine Days: 0 closed, 0.5 half a day) is
read last and wins for its days.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bk.errors import BkError
from bk.services.settings import env_number

WORK_WEEK_ENV, HOLIDAYS_ENV, CLOSED_ENV = "BK_WORK_WEEK", "BK_HOLIDAYS", "BK_MILL_CLOSED"
DEFAULT_WORK_WEEK = 5.5


def week_pattern(days_per_week: float) -> tuple[float, ...]:
    """Machine-days of Monday … Sunday for a week of ``days_per_week`` (0 < days ≤ 7): 5.5 → Mon-Fri 1, Sat ½."""
    if not 0 < days_per_week <= 7:
        raise ValueError(f"a week has more than 0 and at most 7 working days, not {days_per_week}")
    whole = int(days_per_week)
    return tuple(1.0 if i < whole else (days_per_week - whole if i == whole else 0.0) for i in range(7))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 = last) ``weekday`` (Monday 0) of a month."""
    if n < 0:
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _observed(day: date) -> date:
    """A Saturday holiday is kept on the Friday before, a Sunday one on the Monday after (the federal rule)."""
    return day - timedelta(days=1) if day.weekday() == 5 else day + timedelta(days=1) if day.weekday() == 6 else day


def us_holidays(year: int) -> dict[date, str]:
    """The days the mill closes for US holidays in ``year`` (observed days), with their names."""
    named = {"New Year's Day": date(year, 1, 1), "Memorial Day": _nth_weekday(year, 5, 0, -1),
             "Independence Day": date(year, 7, 4), "Labor Day": _nth_weekday(year, 9, 0, 1),
             "Thanksgiving": _nth_weekday(year, 11, 3, 4), "Christmas Day": date(year, 12, 25)}
    return {_observed(d): name for name, d in named.items()}


def _closed_setting(raw: str) -> dict[date, tuple[float, str]]:
    out: dict[date, tuple[float, str]] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            first, _, last = part.partition("..")
            lo, hi = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            raise BkError(f"environment variable {CLOSED_ENV} has {part!r}; expected dates or ranges like "
                          "2025-12-22..2026-01-02, 2025-11-28") from None
        if hi < lo or (hi - lo).days > 366:
            raise BkError(f"environment variable {CLOSED_ENV} has {part!r}; a range runs forward, at most a year")
        for k in range((hi - lo).days + 1):
            out[lo + timedelta(days=k)] = (0.0, "closed (setting)")
    return out


def _closed_export(export: pd.DataFrame) -> dict[date, tuple[float, str]]:
    out: dict[date, tuple[float, str]] = {}
    until = export["until"] if "until" in export else pd.Series(pd.NaT, index=export.index)
    share = export["machine_days"] if "machine_days" in export else pd.Series(np.nan, index=export.index)
    for row, (first, last, days, reason) in enumerate(zip(export["date"], until, share, export["reason"],
                                                          strict=True), start=2):
        if pd.isna(first):
            continue
        lo = pd.Timestamp(first).date()
        hi = lo if pd.isna(last) else pd.Timestamp(last).date()
        value = 0.0 if pd.isna(days) else float(days)
        if hi < lo or (hi - lo).days > 366 or not 0 <= value <= 1:
            raise BkError(f"calendar export row {row}: {lo} to {hi} at {value:g} machine-days a day; expected "
                          "Until on or after Date (at most a year) and Machine Days from 0 to 1")
        text = "closed" if pd.isna(reason) else str(reason)
        for k in range((hi - lo).days + 1):
            out[lo + timedelta(days=k)] = (value, text)
    return out


@dataclass(frozen=True)
class MillCalendar:
    """Machine-days each machine knits on each weekday (Monday first), and the days that differ (holidays,
    shutdowns, half days) with their machine-days and reason."""

    week: tuple[float, ...] = week_pattern(DEFAULT_WORK_WEEK)
    days: Mapping[date, tuple[float, str]] = field(default_factory=dict)

    def exceptions(self, first: date, last: date) -> list[tuple[date, str]]:
        """The days from ``first`` to ``last`` (inclusive) that differ from the week, with their reasons."""
        return sorted((d, why) for d, (_, why) in self.days.items() if first <= d <= last)


def mill_calendar(export: pd.DataFrame | None = None, *, years: range) -> MillCalendar:
    """The calendar from the settings (module docstring) and the optional ``calendar`` export; holidays of
    ``years``. Raises BkError naming the setting or the export row that cannot be read."""
    week = week_pattern(env_number(WORK_WEEK_ENV, DEFAULT_WORK_WEEK, low=0.5, high=7.0, example="5.5"))
    holidays = os.environ.get(HOLIDAYS_ENV, "us").strip().lower() or "us"
    if holidays not in ("us", "none"):
        raise BkError(f"environment variable {HOLIDAYS_ENV} is {holidays!r}; expected 'us' or 'none'")
    days: dict[date, tuple[float, str]] = {}
    if holidays == "us":
        for year in years:
            days.update({d: (0.0, name) for d, name in us_holidays(year).items()})
    days.update(_closed_setting(os.environ.get(CLOSED_ENV, "")))
    if export is not None and len(export):
        days.update(_closed_export(export))
    return MillCalendar(week, days)


class Timeline:
    """Capacity positions: machine-days of one machine counted from Monday ``monday0`` on ``calendar``.

    ``units(d)`` is the capacity before day offset ``d`` starts; ``day_of(u)`` the day offset on which position
    ``u`` (just before it) is knitted. After the last listed day the weekly pattern repeats."""

    def __init__(self, calendar: MillCalendar, monday0: date):
        self.monday0 = monday0
        self.calendar = calendar
        self.week = np.array(calendar.week, dtype="float64")
        self.week_total = float(self.week.sum())
        self._prefix = np.concatenate([[0.0], np.cumsum(self.week)])
        later = [d for d in calendar.days if d >= monday0]
        n_weeks = (max(later) - monday0).days // 7 + 1 if later else 1
        capacity = np.tile(self.week, n_weeks)
        for d, (value, _) in calendar.days.items():
            offset = (d - monday0).days
            if 0 <= offset < len(capacity):
                capacity[offset] = value
        self._cum = np.concatenate([[0.0], np.cumsum(capacity)])
        self._n = len(capacity)

    def units(self, day_offsets) -> np.ndarray:
        d = np.clip(np.asarray(day_offsets, dtype="int64"), 0, None)
        weeks, weekday = np.divmod(np.maximum(d - self._n, 0), 7)
        regular = self._cum[-1] + self.week_total * weeks + self._prefix[weekday]
        return np.where(d <= self._n, self._cum[np.minimum(d, self._n)], regular)

    def day_of(self, units) -> np.ndarray:
        u = np.maximum(np.asarray(units, dtype="float64") - 1e-9, 0.0)
        inside = np.searchsorted(self._cum, u, side="right") - 1
        rest = np.maximum(u - self._cum[-1], 0.0)
        weeks = np.floor(rest / self.week_total)
        weekday = np.clip(np.searchsorted(self._prefix, rest - self.week_total * weeks, side="right") - 1, 0, 6)
        return np.where(u < self._cum[-1], inside, self._n + 7 * weeks + weekday).astype("int64")

    def dates(self, units) -> np.ndarray:
        """The date on which each position is knitted (datetime64[ns])."""
        return (np.datetime64(self.monday0, "D") + self.day_of(units).astype("timedelta64[D]")).astype("datetime64[ns]")
