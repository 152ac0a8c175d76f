"""Forecasting models, all in numpy: naive, seasonal naive, moving average, exponential smoothing (SES, Holt,
damped), ARIMA(0,1,1), Theta, and for intermittent demand Croston, SBA, TSB, ADIDA and IMAPA; demand classes
(ADI/CV²) and the candidates of each class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Z80, Z95 = 1.2815515655446004, 1.959963984540054
SEASON_WEEKS = 52
# Syntetos-Boylan-Croston cut-offs: average inter-demand interval and squared CV of the non-zero sizes
ADI_CUT, CV2_CUT = 1.32, 0.49
CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
SMOOTHING = 0.1  # α of the Croston family and of the SES inside ADIDA/IMAPA (the classic fixed value)


@dataclass
class Fit:
    """A model's forecast for h steps; ``lower``/``upper`` by level (80, 95) when the model gives intervals."""

    mean: np.ndarray
    lower: dict[int, np.ndarray] | None = None
    upper: dict[int, np.ndarray] | None = None
    state: object = None  # fitted parameters reused at later backtest origins (never fitted on later data)


# ------------------------------------------------------------------------------------------------ models


def naive(y: np.ndarray, h: int, state=None) -> Fit:
    return Fit(np.full(h, y[-1], dtype=float))


def seasonal_naive(y: np.ndarray, h: int, state=None, *, season: int = SEASON_WEEKS) -> Fit:
    if len(y) < 2 * season:
        raise ValueError("seasonal naive needs two seasons of history")
    return Fit(np.array([y[len(y) - season + (i % season)] for i in range(h)], dtype=float))


def moving_average(y: np.ndarray, h: int, state=None, *, window: int = 4) -> Fit:
    return Fit(np.full(h, y[-window:].mean(), dtype=float))


def croston(y: np.ndarray, h: int, state=None, *, alpha: float = 0.1) -> Fit:
    """Croston: smooth the non-zero demand sizes z and the intervals p between them; forecast z / p.

    Starts at the first non-zero demand (z = its size, p = its position counting from 1)."""
    z, p = _croston_state(y, alpha)
    return Fit(np.full(h, 0.0 if z is None else z / p))


def sba(y: np.ndarray, h: int, state=None, *, alpha: float = 0.1) -> Fit:
    """Syntetos-Boylan approximation: Croston × (1 − α/2)."""
    return Fit(croston(y, h, alpha=alpha).mean * (1 - alpha / 2))


def _croston_state(y: np.ndarray, alpha: float) -> tuple[float | None, float]:
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) == 0:
        return None, 1.0
    z, p = float(y[nonzero[0]]), float(nonzero[0] + 1)
    last = nonzero[0]
    for i in nonzero[1:]:
        z += alpha * (y[i] - z)
        p += alpha * ((i - last) - p)
        last = i
    return z, p


def tsb(y: np.ndarray, h: int, state=None, *, alpha: float = 0.1, beta: float = 0.1) -> Fit:
    """Teunter-Syntetos-Babai: demand probability d updated every period (d += β(1[y>0] − d)), size z only
    when there is demand (z += α(y − z)); forecast d·z. Starts at d = share of non-zero periods before the first
    demand included, z = the first non-zero demand."""
    nonzero = np.flatnonzero(y > 0)
    if len(nonzero) == 0:
        return Fit(np.zeros(h))
    first = nonzero[0]
    z, d = float(y[first]), 1.0 / (first + 1)
    for v in y[first + 1:]:
        d += beta * ((v > 0) - d)
        if v > 0:
            z += alpha * (v - z)
    return Fit(np.full(h, d * z))


def zero(y: np.ndarray, h: int, state=None) -> Fit:
    """The zero forecast: a benchmark for intermittent series (its WAPE is 100 % whenever anything sold)."""
    return Fit(np.zeros(h))


def _ses_level(x: np.ndarray, alpha: float) -> float:
    """Simple exponential smoothing's last level, started at the first value."""
    level = float(x[0])
    for v in x[1:]:
        level += alpha * (float(v) - level)
    return level


def _adi(y: np.ndarray) -> float:
    nonzero = int((y > 0).sum())
    return len(y) / nonzero if nonzero else float(len(y))


def _aggregation_levels(y: np.ndarray) -> int:
    """The largest temporal aggregation level for ADIDA/IMAPA: the ADI rounded (at least 2), at most half the
    history (so there are two buckets at least)."""
    return int(max(1, min(max(2, round(_adi(y))), len(y) // 2)))


def adida(y: np.ndarray, h: int, state=None, *, k: int | None = None, alpha: float = SMOOTHING) -> Fit:
    """ADIDA: sum the history into non-overlapping buckets of k periods (aligned to the end, the oldest
    incomplete bucket left out), SES on the buckets, the bucket forecast spread evenly over its k periods.
    k defaults to the ADI rounded (see ``_aggregation_levels``)."""
    k = _aggregation_levels(y) if k is None else k
    m = len(y) // k
    if m == 0:
        raise ValueError("ADIDA needs one bucket of history")
    buckets = y[len(y) - m * k:].reshape(m, k).sum(axis=1)
    return Fit(np.full(h, _ses_level(buckets, alpha) / k))


def imapa(y: np.ndarray, h: int, state=None, *, alpha: float = SMOOTHING) -> Fit:
    """IMAPA: the mean of the ADIDA forecasts at every aggregation level 1 .. K (K from
    ``_aggregation_levels``)."""
    levels = range(1, _aggregation_levels(y) + 1)
    return Fit(np.mean([adida(y, h, k=k, alpha=alpha).mean for k in levels], axis=0))


# grids the smoothing parameters are fitted on (least squares of the one-step errors): fine enough that a finer
# grid changes no forecast a planner reads, coarse enough that a whole level is fitted in milliseconds
_ALPHAS = np.round(np.arange(0.01, 1.0001, 0.01), 2)
_TREND_GRID = np.round(np.arange(0.0, 1.0001, 0.04), 2)
_PHIS = np.round(np.arange(0.80, 0.9801, 0.02), 2)
_THETAS = np.round(np.arange(-0.99, 0.9901, 0.01), 2)


def _es_paths(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray | None, phi: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential smoothing for every parameter set at once (arrays of one length G): statsmodels' legacy
    heuristic start (level y0, trend y1 − y0) and its recursion over every period, the first included.
    Returns (last level, last trend, sum of squared one-step errors), each of length G."""
    g = len(alpha)
    level = np.full(g, float(y[0]))
    trend = np.full(g, float(y[1] - y[0]) if beta is not None else 0.0)
    damp = np.ones(g) if phi is None else phi
    sse = np.zeros(g)
    for v in y:
        pred = level + damp * trend
        sse += (v - pred) ** 2
        new = alpha * v + (1 - alpha) * pred
        if beta is not None:
            trend = beta * (new - level) + (1 - beta) * damp * trend
        level = new
    return level, trend, sse


def _es(trend: bool, damped: bool) -> Callable:
    """SES (no trend), Holt (additive trend) or damped Holt, in numpy: the recursion of statsmodels'
    ExponentialSmoothing with its legacy heuristic start; α (β, φ) fitted on a grid by least squares of the
    one-step errors at the first backtest origin and re-applied, not re-fitted, at the later ones (``state``:
    smoothing_level, smoothing_trend, damping_trend). No intervals (the backtest errors give them)."""
    def model(y: np.ndarray, h: int, state=None) -> Fit:
        if len(y) < (3 if trend else 2):
            raise ValueError("exponential smoothing needs two periods, three with a trend")
        if state is None:
            grids = [_ALPHAS] + ([_TREND_GRID] if trend else []) + ([_PHIS] if damped else [])
            mesh = [m.ravel() for m in np.meshgrid(*grids, indexing="ij")]
            *_, sse = _es_paths(y, mesh[0], mesh[1] if trend else None, mesh[2] if damped else None)
            best = int(np.argmin(sse))
            state = {"smoothing_level": float(mesh[0][best])}
            if trend:
                state["smoothing_trend"] = float(mesh[1][best])
            if damped:
                state["damping_trend"] = float(mesh[2][best])
        phi = state.get("damping_trend", 1.0)
        level, slope, _ = _es_paths(y, np.array([state["smoothing_level"]]),
                                    np.array([state["smoothing_trend"]]) if trend else None,
                                    np.array([phi]) if trend else None)
        steps = np.cumsum(phi ** np.arange(1, h + 1)) if trend else np.zeros(h)
        return Fit(level[0] + steps * slope[0], state=state)
    return model


def _normal_intervals(mean: np.ndarray, sd: np.ndarray) -> tuple[dict, dict]:
    return ({80: mean - Z80 * sd, 95: mean - Z95 * sd}, {80: mean + Z80 * sd, 95: mean + Z95 * sd})


def arima(y: np.ndarray, h: int, state=None, *, intervals: bool = True) -> Fit:
    """ARIMA(0,1,1) in numpy: Δy_t = e_t + θ e_{t−1}, θ fitted by conditional least squares (e before the
    first difference 0) on a grid over (−1, 1) at the first backtest origin and re-applied later (``state``:
    {"theta": θ}). Forecast y_n + θ e_n for every step; 80 %/95 % normal intervals with the h-step variance
    σ²(1 + (h − 1)(1 + θ)²), σ² the mean squared residual."""
    if len(y) < 3:
        raise ValueError("ARIMA(0,1,1) needs three periods")
    d = np.diff(y)
    thetas = _THETAS if state is None else np.array([state["theta"]])
    e = np.zeros(len(thetas))
    sse = np.zeros(len(thetas))
    for v in d:
        e = v - thetas * e
        sse += e ** 2
    best = int(np.argmin(sse))
    theta_ = float(thetas[best])
    mean = np.full(h, float(y[-1]) + theta_ * float(e[best]))
    state = {"theta": theta_}
    if not intervals:
        return Fit(mean, state=state)
    sd = np.sqrt(sse[best] / len(d) * (1 + np.arange(h) * (1 + theta_) ** 2))
    return Fit(mean, *_normal_intervals(mean, sd), state=state)


def theta(y: np.ndarray, h: int, state=None, *, intervals: bool = True) -> Fit:
    """The Theta method (Hyndman & Billah) in numpy, re-fitted at every origin: SES (α on the grid, least
    squares) plus half the slope b of the least-squares line through the history as drift:
    ŷ(h) = level + b/2 · (h − 1 + 1/α − (1 − α)^n / α). Intervals as SES's: σ²(1 + (h − 1)α²)."""
    if len(y) < 3:
        raise ValueError("Theta needs three periods")
    level, _, sse = _es_paths(y, _ALPHAS, None, None)
    best = int(np.argmin(sse))
    alpha, n = float(_ALPHAS[best]), len(y)
    slope = float(np.polyfit(np.arange(n, dtype=float), y, 1)[0])
    steps = np.arange(h, dtype=float)
    mean = level[best] + slope / 2 * (steps + 1 / alpha - (1 - alpha) ** n / alpha)
    if not intervals:
        return Fit(mean)
    sd = np.sqrt(sse[best] / n * (1 + steps * alpha ** 2))
    return Fit(mean, *_normal_intervals(mean, sd))


MODELS: dict[str, Callable] = {
    "naive": naive, "seasonal_naive": seasonal_naive, "moving_average": moving_average,
    "ses": _es(False, False), "holt": _es(True, False), "damped": _es(True, True), "arima": arima,
    "theta": theta, "croston": croston, "sba": sba, "tsb": tsb, "adida": adida, "imapa": imapa, "zero": zero,
}
SMOOTH_MODELS = ("ses", "holt", "damped", "arima", "theta")
INTERMITTENT_MODELS = ("croston", "sba", "tsb", "adida", "imapa")
BENCHMARKS = ("naive", "zero")  # always scored; zero is never selected (it would stop every purchase)


def demand_class(y: np.ndarray) -> tuple[str, float, float]:
    """(class, ADI, CV²) after Syntetos-Boylan: ADI = periods ÷ periods with demand (the whole length when
    nothing sold), CV² = (σ ÷ mean)² of the non-zero demands (population σ; 0 with fewer than two).
    smooth: ADI < 1.32 and CV² < 0.49; erratic: ADI < 1.32, CV² ≥ 0.49; intermittent: ADI ≥ 1.32, CV² < 0.49;
    lumpy: both at or above the cut-offs. A series that never sold is intermittent (CV² 0)."""
    y = np.asarray(y, dtype=float)
    nonzero = y[y > 0]
    adi = len(y) / len(nonzero) if len(nonzero) else float("inf")
    cv2 = float((nonzero.std() / nonzero.mean()) ** 2) if len(nonzero) > 1 else 0.0
    if adi < ADI_CUT:
        return ("smooth" if cv2 < CV2_CUT else "erratic"), adi, cv2
    return ("intermittent" if cv2 < CV2_CUT else "lumpy"), adi, cv2


def candidate_models(y: np.ndarray, cls: str | None = None) -> list[str]:
    """Models tried on a series: naive and moving average always; seasonal naive with two seasons;
    ETS/ARIMA/Theta for smooth and erratic series (10 periods at least); Croston/SBA/TSB/ADIDA/IMAPA for
    intermittent and lumpy ones. ``cls`` defaults to ``demand_class(y)``."""
    names = ["naive", "moving_average"]
    if len(y) >= 2 * SEASON_WEEKS:
        names.append("seasonal_naive")
    cls = cls or demand_class(y)[0]
    if cls in ("smooth", "erratic"):
        if len(y) >= 10:
            names += list(SMOOTH_MODELS)
    else:
        names += list(INTERMITTENT_MODELS)
    return names


def forecast(name: str, y: np.ndarray, h: int, state=None, *, intervals: bool = True) -> Fit:
    """One model's forecast, clipped at zero (sales are never negative)."""
    model = MODELS[name]
    y = np.asarray(y, dtype=float)
    if name in SMOOTH_MODELS and len(y) and np.ptp(y) == 0:
        # a flat history: the optimisers divide by zero variance (Theta returned 10.5 for a series of 5s)
        flat = np.full(h, y[-1])
        return Fit(flat, {80: flat, 95: flat}, {80: flat, 95: flat}, state=state)
    fit = model(y, h, state, intervals=intervals) if name in ("arima", "theta") else model(y, h, state)
    fit.mean = np.clip(fit.mean, 0, None)
    if fit.lower is not None:
        fit.lower = {k: np.clip(v, 0, None) for k, v in fit.lower.items()}
        fit.upper = {k: np.clip(v, 0, None) for k, v in fit.upper.items()}
    return fit
