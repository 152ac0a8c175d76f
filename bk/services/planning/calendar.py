"""The plan's calendar: the as-of ISO week and the next 8 (``week_of_YYYY-MM-DD``), then ``later``."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from bk.errors import BkError
from bk.services.styles import week_monday

N_WEEKS = 9  # the as-of ISO week ("This Week") and the next 8, then "later"
LATER = "later"


def bucket_starts(as_of: date) -> list[date]:
    """Monday of each of the 9 ISO-week buckets."""
    first = week_monday(as_of)
    return [first + timedelta(weeks=k) for k in range(N_WEEKS)]


def bucket_edges(as_of: date) -> list[date]:
    """Monday of each bucket, ``later`` included: the 9 weeks' Mondays and the Monday after them."""
    starts = bucket_starts(as_of)
    return [*starts, starts[-1] + timedelta(weeks=1)]


def bucket_labels(as_of: date) -> list[str]:
    """``week_of_YYYY-MM-DD`` for the 9 weeks, then ``later``."""
    return [f"week_of_{d.isoformat()}" for d in bucket_starts(as_of)] + [LATER]


def check_bucket_columns(frame: pd.DataFrame, labels: list[str], name: str) -> None:
    """Raise BkError naming ``name`` and the bucket columns ``labels`` it lacks (a given ko_buckets or forecast)."""
    missing = [c for c in labels if c not in frame.columns]
    if missing:
        raise BkError(f"{name} lacks the bucket column(s) {', '.join(missing)}; expected exactly "
                      f"{', '.join(labels)} (bucket_labels of the as-of date)")
