"""The app's health score 0–100 for a manager: one score, its components in plain words, and alerts.

The score is the sum of seven components, each with the figure behind it:

    speed     25  Pages answer quickly. Over the last 100 *warm* page loads (a page's first run in the process
                  and runs that computed a result are cold: imports and first computations, not slowness):
                  1 when 90 % or more took under 0.5 s, falling linearly to 0 at 50 %. Fewer than 20 warm loads:
                  not judged (full points).
    failures  25  Nothing fails. 1 − (unexpected failures ÷ the last 200 calls) ÷ 5 %, floored at 0; 0 while a
                  circuit breaker is open (a calculation paused after failing repeatedly). Calls refused for
                  their data (a missing export, a bad file) are not failures: they count under the data.
    memory    15  Memory stays within its budget. The median resident memory of the last 5 minutes: 1 up to the
                  budget (``BK_MEMORY_BUDGET_MB``), falling linearly to 0 at 1.5 × the budget.
    storage    5  Computed results are kept on disk (the tier-2 cache works): 1, else 0.
    complete  10  Share of the exports a full snapshot has that this one has.
    clean     10  1 − (errors + warnings ÷ 20) ÷ 10 of the snapshot's findings, floored at 0.
    recent    10  1 when the exports are at most 1 day old, linear to 0 at 7 days (the demo is not judged).

Status: good ≥ 80, fair ≥ 50, else poor. Without a snapshot the data components are not judged (full points).

Why windows and medians: a fresh server's figures move with no change in the app or its data. Its first page
loads are seconds long (imports, first computations), its memory grows for minutes while results are cached,
and Streamlit's full garbage collection after every run pauses a run now and then. Percentiles of a handful of
page loads jump with each new one, and the old score's cache hit rate of the disk cache fell from "no traffic"
(full points) to 0 % at the first visit, because the shared in-memory results answer every later call. So:
cold loads never count; a latency figure needs 20 warm loads and judges a share of the last 100 (one slow
load costs nothing); memory is the median of 5 minutes (one collection's dip or one spike moves nothing); the
cache counts only when it stops working. On top of that, ``Steadier`` keeps each component's points until they
move by ``BAND`` points or reach 0 or full, so the score moves only when something changed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

from bk.text import day

PAGE_PREFIX = "page:"  # the profiler operation of a page run (ui.services.page_timer)
PAGE_TARGET_MS = 500.0
LOADS_WINDOW, MIN_LOADS = 100, 20
QUICK_SHARE, SLOW_SHARE = 0.90, 0.50  # share of loads under the target for full points, for none
CALLS_WINDOW = 200
FAILURE_SHARE_ZERO = 0.05
MEMORY_WINDOW_S = 300.0
MEMORY_ZERO_AT = 1.5  # × the budget
BAND = 2.0  # points a component must move by before the shown points follow (Steadier)
GOOD, FAIR = 80, 50
COMPONENTS = {  # key: (name on the page, points)
    "speed": ("Pages answer quickly", 25),
    "failures": ("Nothing fails", 25),
    "memory": ("Memory stays within its budget", 15),
    "storage": ("Computed results are kept", 5),
    "complete": ("The exports are complete", 10),
    "clean": ("The exports read cleanly", 10),
    "recent": ("The data is recent", 10),
}


@dataclass
class HealthInputs:
    page_loads: Sequence[tuple[str, float]] = ()  # (page title, ms) of each warm page load, oldest first
    calls: Sequence[bool] = ()  # whether each call (page runs and calculations) failed unexpectedly, oldest first
    rss: Sequence[tuple[float, float]] = ()  # (epoch s, MB) memory samples, oldest first
    memory_budget_mb: float = 500.0
    leak_mb_per_min: float | None = None  # memory growth after warm-up (None: not measured yet)
    leak_alert_mb_per_min: float = 5.0
    open_breakers: int = 0
    cache_degraded: bool = False
    snapshot: bool = True  # False: no snapshot chosen, the data is not judged
    data_as_of: date | None = None  # None: the demo (age not judged)
    today: date | None = None
    finding_errors: int = 0
    finding_warnings: int = 0
    expected_exports: int = 0
    missing_exports: int = 0


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _speed(h: HealthInputs) -> tuple[float, str, list[str]]:
    loads = list(h.page_loads)[-LOADS_WINDOW:]
    if len(loads) < MIN_LOADS:
        return 1.0, (f"Not judged yet: {_plural(len(loads), 'page load')} so far, {MIN_LOADS} needed "
                     "(first visits are not counted)"), []
    quick = sum(ms < PAGE_TARGET_MS for _, ms in loads)
    share = quick / len(loads)
    detail = f"{share:.0%} of the last {len(loads)} page loads took under {_seconds(PAGE_TARGET_MS)}"
    points = _clip((share - SLOW_SHARE) / (QUICK_SHARE - SLOW_SHARE))
    alerts = []
    if points < 1:
        slow: dict[str, list[float]] = {}
        for page, ms in loads:
            slow.setdefault(page, []).append(ms)
        worst = max(slow, key=lambda p: (sum(ms >= PAGE_TARGET_MS for ms in slow[p]), median(slow[p])))
        alerts.append(f"Pages are slow: {len(loads) - quick} of the last {len(loads)} page loads took "
                      f"{_seconds(PAGE_TARGET_MS)} or more, most of them on {worst} (typically "
                      f"{_seconds(median(slow[worst]))} there).")
    return points, detail, alerts


def _failures(h: HealthInputs) -> tuple[float, str, list[str]]:
    calls = list(h.calls)[-CALLS_WINDOW:]
    failed = sum(calls)
    share = failed / len(calls) if calls else 0.0
    points = 0.0 if h.open_breakers else _clip(1 - share / FAILURE_SHARE_ZERO)
    if not calls:
        detail = "Nothing has run yet"
    elif failed:
        detail = f"{failed:,} of the last {len(calls):,} page loads and calculations failed unexpectedly"
    else:
        detail = f"No unexpected failure in the last {len(calls):,} page loads and calculations"
    alerts = []
    if failed:
        alerts.append(f"{detail}. The engineers' section at the bottom has the details.")
    if h.open_breakers:
        paused = _plural(h.open_breakers, "calculation")
        detail += f"; {paused} paused after failing repeatedly"
        alerts.append(f"{paused} {'is' if h.open_breakers == 1 else 'are'} paused after failing repeatedly; "
                      "the app tries again after a minute. Pages that need them show an error until then.")
    return points, detail, alerts


def _memory(h: HealthInputs) -> tuple[float, str, list[str]]:
    alerts = []
    if h.leak_mb_per_min is not None and h.leak_mb_per_min > h.leak_alert_mb_per_min:
        alerts.append(f"Memory keeps growing: about {h.leak_mb_per_min:.0f} MB a minute over the last 10 "
                      f"minutes. If it goes on, the app will outgrow its {h.memory_budget_mb:.0f} MB budget.")
    samples = list(h.rss)
    if not samples:
        return 1.0, "Not measured yet", alerts
    since = samples[-1][0] - MEMORY_WINDOW_S
    typical = median(mb for t, mb in samples if t >= since)
    budget = h.memory_budget_mb
    points = _clip(1 - (typical - budget) / ((MEMORY_ZERO_AT - 1) * budget))
    detail = f"Typically {typical:.0f} MB over the last 5 minutes, of a {budget:.0f} MB budget"
    if typical > budget:
        alerts.insert(0, f"The app has used more memory than its budget for the last 5 minutes: typically "
                         f"{typical:.0f} MB of {budget:.0f} MB. Restarting the app frees it.")
    return points, detail, alerts


def _storage(h: HealthInputs) -> tuple[float, str, list[str]]:
    if h.cache_degraded:
        return 0.0, "No: the store of computed results on disk cannot be used", [
            "Computed results cannot be kept: the store on disk cannot be used, so pages compute everything "
            "again after a restart."]
    return 1.0, "Yes: pages reopen from saved results after a restart", []


def _data(h: HealthInputs) -> dict[str, tuple[float, str, list[str]]]:
    if not h.snapshot:
        none = (1.0, "No snapshot chosen: not judged", [])
        return {"complete": none, "clean": none, "recent": none}
    present = h.expected_exports - h.missing_exports
    complete = _clip(present / h.expected_exports) if h.expected_exports else 1.0
    clean = _clip(1 - (h.finding_errors + h.finding_warnings / 20) / 10)
    found = [_plural(n, word) for n, word in ((h.finding_errors, "error"), (h.finding_warnings, "warning")) if n]
    clean_detail = f"{' and '.join(found) or 'No error or warning'} when the files were read"
    if h.data_as_of is None:
        recent = (1.0, "Demo data: its age is not judged", [])
    else:
        age = ((h.today or date.today()) - h.data_as_of).days
        share = _clip(1 - (age - 1) / 6)
        detail = f"The exports are of {day(h.data_as_of)}, {_plural(age, 'day')} ago"
        alert = [f"The data is {_plural(age, 'day')} old (exports of {day(h.data_as_of)}): save the latest "
                 "exports on the Data page."] if share < 1 else []
        recent = (share, detail, alert)
    return {"complete": (complete, f"{present} of the {h.expected_exports} exports the pages use are in this "
                                   "snapshot", []),
            "clean": (clean, clean_detail, []), "recent": recent}


def health_score(h: HealthInputs) -> dict:
    """``score`` (whole number 0–100), ``status`` (good, fair, poor), ``components`` {key: {name, points, max,
    detail}} and ``alerts`` (plain sentences, worst first)."""
    parts = {"speed": _speed(h), "failures": _failures(h), "memory": _memory(h), "storage": _storage(h), **_data(h)}
    components = {key: {"name": COMPONENTS[key][0], "points": round(COMPONENTS[key][1] * share, 1),
                        "max": COMPONENTS[key][1], "detail": detail}
                  for key, (share, detail, _) in parts.items()}
    alerts = [a for key in ("failures", "memory", "speed", "storage", "recent") for a in parts[key][2]]
    return _scored(components, alerts)


def _scored(components: dict, alerts: list[str]) -> dict:
    score = round(max(0.0, min(100.0, sum(c["points"] for c in components.values()))))
    return {"score": score, "status": status(score), "components": components, "alerts": alerts}


def status(score: float) -> str:
    return "good" if score >= GOOD else "fair" if score >= FAIR else "poor"


class Steadier:
    """Hysteresis on the score: each component's shown points stay as they were until the computed points move
    by ``band`` or more, or reach 0 or full; the score is the sum of the shown points. One per process."""

    def __init__(self, band: float = BAND):
        self.band = band
        self._shown: dict[str, float] = {}
        self._lock = threading.Lock()

    def steady(self, result: dict) -> dict:
        components = {}
        with self._lock:
            for key, c in result["components"].items():
                shown = self._shown.get(key)
                if shown is None or abs(c["points"] - shown) >= self.band or c["points"] in (0, c["max"]):
                    shown = c["points"]
                self._shown[key] = shown
                components[key] = {**c, "points": shown}
        return {**result, **_scored(components, result["alerts"])}
