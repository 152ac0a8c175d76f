"""How the kernel writes a date in the words it hands to planners (reasons, findings, headlines)."""

from __future__ import annotations


def day(d) -> str:
    """A date (date, datetime or Timestamp) as every screen writes it: '1 Sep 2025' (no time, no leading zero)."""
    return f"{d.day} {d:%b %Y}"
