"""Health score 0–100 of the running app, by component.

    memory    20  1 when RSS ≤ 60 % of the budget, falling linearly to 0 at the budget
    latency   20  share of operations whose p95 is within their SLO (1 with no traffic yet)
    cache     15  hit rate ÷ 0.9, capped at 1 (1 with no traffic yet); 0 when the cache is degraded
    errors    20  1 − error rate ÷ 5 %, floored at 0; × 0 when any breaker is open
    freshness 10  1 when the snapshot is ≤ 1 day old, linear to 0 at 7 days
    quality   15  1 − (errors + warnings ÷ 20) ÷ 10 of the snapshot's findings, floored at 0

Each open breaker (a failing service) also takes 10 points off the total. Status: healthy ≥ 80, degraded
≥ 50, else unhealthy.

For the manager the same points are also split in two scores 0–100, each with its own status:

    app   memory, latency, cache, errors (÷ 75 × 100), minus 10 per open breaker: is the app sick?
    data  freshness, quality, and completeness 15 = share of the expected exports present (÷ 40 × 100):
          is the data incomplete or stale? Refusals (calls answered "this export is missing") are shown here,
          never in the error rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = {"memory": 20, "latency": 20, "cache": 15, "errors": 20, "freshness": 10, "quality": 15}
OPEN_BREAKER_PENALTY = 10
APP_COMPONENTS = ("memory", "latency", "cache", "errors")
DATA_WEIGHTS = {"freshness": WEIGHTS["freshness"], "quality": WEIGHTS["quality"], "completeness": 15}


@dataclass
class HealthInputs:
    rss_mb: float
    memory_budget_mb: float = 500.0
    p95_ms: dict[str, float] = field(default_factory=dict)
    slo_ms: dict[str, float] = field(default_factory=dict)
    cache_hit_rate: float | None = None
    cache_degraded: bool = False
    error_rate: float = 0.0
    open_breakers: int = 0
    data_age_days: float = 0.0
    finding_errors: int = 0
    finding_warnings: int = 0
    expected_exports: int = 0  # export kinds a full snapshot has (0: not judged)
    missing_exports: int = 0
    refusals: int = 0  # calls refused for their data (MissingDataError and other BkErrors)


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def health_score(h: HealthInputs) -> dict:
    """The score, its status word and each component's points with the figure behind it."""
    memory = _clip((h.memory_budget_mb - h.rss_mb) / (0.4 * h.memory_budget_mb))
    within = [h.p95_ms[op] <= h.slo_ms.get(op, 200.0) for op in h.p95_ms]
    latency = sum(within) / len(within) if within else 1.0
    cache = 0.0 if h.cache_degraded else (1.0 if h.cache_hit_rate is None else _clip(h.cache_hit_rate / 0.9))
    errors = 0.0 if h.open_breakers else _clip(1 - h.error_rate / 0.05)
    freshness = _clip(1 - (h.data_age_days - 1) / 6)
    quality = _clip(1 - (h.finding_errors + h.finding_warnings / 20) / 10)
    parts = {"memory": (memory, f"RSS {h.rss_mb:.0f} MB of {h.memory_budget_mb:.0f} MB"),
             "latency": (latency, f"{sum(within)}/{len(within)} operations within SLO"),
             "cache": (cache, "degraded" if h.cache_degraded else
                       ("no traffic" if h.cache_hit_rate is None else f"hit rate {h.cache_hit_rate:.0%}")),
             "errors": (errors, f"error rate {h.error_rate:.1%}, {h.open_breakers} open breakers"),
             "freshness": (freshness, f"data {h.data_age_days:.1f} days old"),
             "quality": (quality, f"{h.finding_errors} errors, {h.finding_warnings} warnings in findings")}
    components = {k: {"points": round(WEIGHTS[k] * v, 1), "max": WEIGHTS[k], "detail": d}
                  for k, (v, d) in parts.items()}
    score = sum(c["points"] for c in components.values()) - OPEN_BREAKER_PENALTY * h.open_breakers
    score = round(max(0.0, min(100.0, score)), 1)
    completeness = _clip(1 - h.missing_exports / h.expected_exports) if h.expected_exports else 1.0
    data_components = {k: components[k] for k in ("freshness", "quality")}
    data_components["completeness"] = {
        "points": round(DATA_WEIGHTS["completeness"] * completeness, 1), "max": DATA_WEIGHTS["completeness"],
        "detail": f"{h.expected_exports - h.missing_exports}/{h.expected_exports} exports present, "
                  f"{h.refusals} calls refused for missing or bad data"}
    app_components = {k: components[k] for k in APP_COMPONENTS}
    app = 100 * sum(c["points"] for c in app_components.values()) / sum(WEIGHTS[k] for k in APP_COMPONENTS)
    app = round(max(0.0, app - OPEN_BREAKER_PENALTY * h.open_breakers), 1)
    data = round(100 * sum(c["points"] for c in data_components.values()) / sum(DATA_WEIGHTS.values()), 1)
    return {"score": score, "status": _status(score), "components": components,
            "app": {"score": app, "status": _status(app), "components": app_components},
            "data": {"score": data, "status": _status(data), "components": data_components}}


def _status(score: float) -> str:
    return "healthy" if score >= 80 else "degraded" if score >= 50 else "unhealthy"
