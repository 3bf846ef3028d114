"""Attractor analysis: delay embedding, Lyapunov exponent, correlation dimension, classification.

Every public function validates its input, then runs the private numba kernels
of ``_attractor_kernels.py``. Everything is automatic by default (delay,
embedding dimension, Theiler window, fit ranges) and every choice can be
overridden. Nearest-neighbour searches use O(n) memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics import _attractor_kernels as _k
from midstream_mcp.core.analytics._validate import InvalidInput, as_series

__all__ = [
    "MIN_SAMPLES",
    "AttractorResult",
    "DimensionResult",
    "Embedding",
    "LyapunovResult",
    "SurrogateResult",
    "analyze",
    "choose_delay",
    "choose_dimension",
    "correlation_dimension",
    "delay_embed",
    "kaplan_yorke",
    "largest_lyapunov",
    "local_dimension",
    "lorenz",
    "mean_period",
    "surrogate_test",
    "warmup",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
#: ``progress(done, total, message)``; may raise to cancel the analysis between steps.
Progress = Callable[[int, int, str], None]
Classification = Literal["fixed point", "limit cycle", "quasi-periodic", "chaotic", "noise"]

#: Fewest samples any analysis accepts; more are needed for larger embeddings.
MIN_SAMPLES = 100
#: Delay vectors that must remain after embedding (for neighbours, fits and the dimension).
MIN_VECTORS = 100
#: Distances below this fraction of the signal's standard deviation count as duplicates.
FLOOR = 1e-9
#: Largest embedding dimension tried by Cao's method.
MAX_DIM = 10
#: Cao's E1 above this counts as saturated.
CAO_THRESHOLD = 0.9
#: Cao's E2 within this of 1 in every dimension up to STOCHASTIC_DIM is the signature of noise: the
#: search stops there (E1 of noise creeps towards 1 only in high dimensions, where searches are slow).
CAO_E2_TOLERANCE = 0.15
STOCHASTIC_DIM = 3
#: Cao's method and the surrogate test look at no more than this many samples (the first ones).
MAX_SEARCH_SAMPLES = 20_000
#: Query points for Cao's method.
MAX_QUERIES = 500
#: Pair distances computed for the correlation sum, at most (rows are subsampled beyond).
MAX_PAIRS = 3_000_000
#: ... and for the correlation dimension that only sets the dimension of the local Jacobians.
LOCAL_DIM_PAIRS = 100_000
#: Query points of the prediction error in the surrogate test.
SURROGATE_QUERIES = 500
#: The surrogate test looks at no more than this many samples (the first ones): deterministic data
#: out-predicts its surrogates by far more than the 4 standard deviations needed already at this length.
SURROGATE_SAMPLES = 4096
#: Surrogates for the one-sided rank test at the 5% level (Theiler et al. 1992).
N_SURROGATES = 19
#: Surrogates computed per parallel kernel call.
SURROGATE_BATCH = 8


@dataclass(frozen=True)
class Embedding:
    """Delay-embedding parameters and how they were chosen.

    ``delay`` is ``None`` for multivariate input, which is used as state
    vectors directly (``dim`` is then its number of columns). ``ami`` holds
    the mutual information per lag, ``cao_e1``/``cao_e2`` Cao's statistics
    per dimension (from 1), when they were computed.
    """

    delay: int | None
    dim: int
    delay_method: str
    dim_method: str
    ami: F64 | None = None
    cao_e1: F64 | None = None
    cao_e2: F64 | None = None


@dataclass(frozen=True)
class LyapunovResult:
    """Largest Lyapunov exponent, the divergence curve behind it and, when found, the spectrum.

    ``exponent`` and ``uncertainty`` are per sample; ``per_time`` and
    ``uncertainty_per_time`` divide by ``dt`` when one was given.
    ``method`` says where the exponent comes from: ``"local Jacobians"``
    (the largest exponent of ``spectrum``) or ``"divergence"`` (the slope
    of the divergence curve, ``divergence_exponent``). ``curve[k]`` is the
    mean log distance of nearest neighbours after ``k`` steps; its slope over
    ``curve[fit_start:fit_end + 1]`` is ``divergence_exponent``.
    ``spectrum`` (per sample, largest first; ``spectrum_per_time`` per time
    unit) and ``kaplan_yorke`` are ``None`` when the local-Jacobian estimate
    was not made or not trusted.
    """

    exponent: float
    uncertainty: float
    per_time: float | None
    uncertainty_per_time: float | None
    curve: F64
    fit_start: int
    fit_end: int
    r2: float
    theiler: int
    pairs: int
    method: str = "divergence"
    divergence_exponent: float | None = None
    spectrum: F64 | None = None
    spectrum_per_time: F64 | None = None
    kaplan_yorke: float | None = None


@dataclass(frozen=True)
class DimensionResult:
    """Correlation dimension: slope of ``log_c`` against ``log_r`` over ``[fit_lo, fit_hi]``."""

    dimension: float
    uncertainty: float
    log_r: F64
    log_c: F64
    fit_lo: int
    fit_hi: int
    r2: float


@dataclass(frozen=True)
class SurrogateResult:
    """Nearest-neighbour prediction error of the data against phase-randomised surrogates.

    ``rank`` is the number of surrogates predicted at least as well as the
    data; ``rank == 0`` rejects "linear Gaussian process" at the one-sided
    ``1 / (surrogates + 1)`` level.
    """

    error: float
    surrogate_errors: F64
    rank: int
    z: float

    @property
    def rejected(self) -> bool:
        """Whether the data is significantly more predictable than every surrogate."""
        return self.rank == 0


@dataclass(frozen=True)
class AttractorResult:
    """Everything :func:`analyze` found, with the classification and its reasons."""

    classification: Classification
    confidence: float
    reasons: tuple[str, ...]
    embedding: Embedding
    lyapunov: LyapunovResult
    dimension: DimensionResult
    surrogates: SurrogateResult | None
    mean_period: float
    theiler: int
    samples: int
    dt: float | None


# --------------------------------------------------------------------------- validation


def _positive_int(value: Any, field: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInput(field, f"must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _series(x: Any, field: str = "series") -> F64:
    """Validated input, rescaled into [-1, 1] (every result is scale-free; no overflow)."""
    arr = as_series(x, field, min_length=MIN_SAMPLES)
    top = float(np.abs(arr).max())
    if top == 0.0:
        raise InvalidInput(field, "is constant; attractor analysis needs a varying signal")
    arr = arr / top
    spread = arr.max(axis=0) - arr.min(axis=0)
    if np.all(spread <= 1e-12 * np.maximum(np.abs(arr).max(axis=0), 1e-300)):
        raise InvalidInput(field, "is constant; attractor analysis needs a varying signal")
    centred = arr - arr.mean(axis=0)
    return np.ascontiguousarray(centred / float(np.abs(centred).max()))


def _check_dt(dt: Any) -> float | None:
    if dt is None:
        return None
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)):
        raise InvalidInput("dt", f"must be a positive number, got {dt!r}")
    if not math.isfinite(float(dt)) or dt <= 0:
        raise InvalidInput("dt", f"must be a positive finite number, got {dt!r}")
    return float(dt)


def _check_vectors(n: int, dim: int, delay: int, field: str) -> None:
    vectors = n - (dim - 1) * delay
    if vectors < MIN_VECTORS:
        need = (dim - 1) * delay + MIN_VECTORS
        raise InvalidInput(
            field,
            f"embedding dimension {dim} with delay {delay} needs at least {need} samples "
            f"(leaving {MIN_VECTORS} delay vectors), got {n}",
        )


# --------------------------------------------------------------------------- embedding


def delay_embed(x: Any, dim: int, delay: int) -> F64:
    """Delay vectors ``(x[t], x[t + delay], ..., x[t + (dim - 1) delay])``, one per row.

    Takens (1981); returns a C-contiguous ``(n - (dim - 1) delay, dim)`` array.
    """
    xs = as_series(x, "series", allow_multivariate=False)[:, 0]
    dim = _positive_int(dim, "dim")
    delay = _positive_int(delay, "delay")
    m = len(xs) - (dim - 1) * delay
    if m < 1:
        raise InvalidInput("series", f"is too short ({len(xs)}) for dimension {dim} and delay {delay}")
    return _embed(xs, dim, delay)


def _embed(xs: F64, dim: int, delay: int) -> F64:
    m = len(xs) - (dim - 1) * delay
    out = np.empty((m, dim))
    for k in range(dim):
        out[:, k] = xs[k * delay : k * delay + m]
    return out


def mean_period(x: Any) -> float:
    """Mean period in samples: the reciprocal of the power spectrum's mean frequency.

    Rosenstein et al. (1993) use it as the Theiler window. For multivariate
    input the spectra of the (standardised) columns are summed.
    """
    arr = as_series(x, "series", min_length=4)
    z = (arr - arr.mean(axis=0)) / np.maximum(arr.std(axis=0), 1e-300)
    power = (np.abs(np.fft.rfft(z, axis=0)) ** 2).sum(axis=1)
    freqs = np.fft.rfftfreq(len(z))
    total = float(power[1:].sum())
    if total <= 0:
        return float(len(z))
    mean_f = float((freqs[1:] * power[1:]).sum()) / total
    return 1.0 / mean_f


def _autocorrelation(xs: F64, max_lag: int) -> F64:
    z = xs - xs.mean()
    nfft = 1 << (2 * len(z) - 1).bit_length()
    spec = np.fft.rfft(z, nfft)
    acf = np.fft.irfft(spec * np.conj(spec), nfft)[: max_lag + 1]
    return np.asarray(acf / acf[0], dtype=np.float64)


def _ranks(xs: F64, bins: int) -> I64:
    order = np.argsort(xs, kind="stable")
    ranks = np.empty(len(xs), dtype=np.int64)
    ranks[order] = np.arange(len(xs)) * bins // len(xs)
    return ranks


def choose_delay(x: Any, *, max_lag: int | None = None) -> tuple[int, str, F64]:
    """Embedding delay: the first minimum of the average mutual information.

    Fraser & Swinney (1986). When the autocorrelation at lag 1 is already
    below ``1/e`` the signal decorrelates within one sample (a map, or noise)
    and the delay is 1; when the mutual information has no minimum within
    ``max_lag`` (default: a quarter of the series, at most 500) and four
    times the lag where the autocorrelation first falls below ``1/e``, that
    lag is used.

    Returns
    -------
    delay, method, ami
        ``method`` is ``"mutual information"`` or ``"autocorrelation"``;
        ``ami[k]`` is the mutual information in nats at lag ``k``.
    """
    xs = _series(x)
    if xs.shape[1] != 1:
        raise InvalidInput("series", "delay selection needs a univariate series")
    v = xs[:, 0]
    n = len(v)
    limit = min(n // 4, 500) if max_lag is None else _positive_int(max_lag, "max_lag")
    limit = max(1, min(limit, n - 2))
    acf = _autocorrelation(v, limit)
    bins = int(min(64, max(8, round(math.sqrt(n / 5)))))
    ranks = _ranks(v, bins)
    if acf[1] < 1 / math.e:
        return 1, "autocorrelation", _k.mutual_information(ranks, bins, min(limit, 16))
    below = np.flatnonzero(acf < 1 / math.e)
    acf_lag = int(below[0]) if below.size else limit
    # Lags are computed in growing chunks: the first minimum is usually early, and never looked
    # for beyond four decorrelation times.
    limit = min(limit, max(32, 4 * acf_lag))
    top = min(limit, 32)
    while True:
        ami = _k.mutual_information(ranks, bins, top)
        # A minimum counts once the information has fallen by a fifth from lag 1: before that the
        # histogram estimate of a nearly deterministic relation only wobbles (a pure sine, say).
        for lag in range(1, top):
            if ami[lag] < ami[lag - 1] and ami[lag] <= ami[lag + 1] and ami[lag] <= 0.8 * ami[1]:
                return lag, "mutual information", ami
        if top >= limit:
            break
        top = min(limit, 4 * top)
    return max(acf_lag, 1), "autocorrelation", ami


def choose_dimension(x: Any, delay: int, *, theiler: int = 0, max_dim: int = MAX_DIM) -> tuple[int, F64, F64]:
    """Minimum embedding dimension by Cao's (1997) method.

    ``E1(d) = E(d + 1) / E(d)`` stops growing once ``d`` embeds the
    attractor; the dimension is the smallest ``d >= 2`` with ``E1(d) >=`` 0.9
    (``max_dim`` if none): one coordinate cannot show whether a correlation
    dimension saturates. ``E2(d)`` stays near 1 for every ``d`` when the
    data is random: when it is within 0.15 of 1 for ``d = 1, 2, 3`` and E1
    has not saturated by then, the search stops at dimension 3 (further
    dimensions would only make every later neighbour search brute force on
    noise). Nearest neighbours exclude a Theiler window. Only the first
    20,000 samples are searched.

    Returns
    -------
    dim, e1, e2
        ``e1[d - 1]`` and ``e2[d - 1]`` for ``d = 1 .. max_dim``.
    """
    xs = np.ascontiguousarray(_series(x)[:MAX_SEARCH_SAMPLES, 0])
    delay = _positive_int(delay, "delay")
    max_dim = _positive_int(max_dim, "max_dim")
    n = len(xs)
    # Dimensions whose (d + 1)-embedding still leaves enough vectors.
    top = max(1, min(max_dim, (n - MIN_VECTORS) // delay - 1))
    queries = _spread(n, MAX_QUERIES)
    w = max(int(theiler), 0)
    floor = FLOOR * float(np.std(xs))
    e = np.zeros(top + 2)
    estar = np.zeros(top + 2)
    e1 = np.full(top, np.nan)
    e2 = np.full(top, np.nan)
    dim = top
    for d in range(1, top + 2):
        e[d], estar[d] = _k.cao_step(xs, delay, d, queries, w, floor)
        if d == 1:
            continue
        j = d - 1
        if e[j] > 0 and e[d] > 0:
            e1[j - 1] = e[d] / e[j]
        if estar[j] > 0 and estar[d] > 0:
            e2[j - 1] = estar[d] / estar[j]
        # E2 of the next dimension is cheap to add once E1 has saturated: it tells noise apart.
        if dim == top and j >= 2 and e1[j - 1] >= CAO_THRESHOLD:
            dim = j
        elif dim < top and j > dim:
            break
        elif dim == top and j == STOCHASTIC_DIM and _stochastic(e2) and top > j:
            # No determinism in any low dimension: more dimensions only make the searches brute force.
            dim = j
            break
    return dim, e1, e2


def _stochastic(e2: F64 | None) -> bool:
    """Whether Cao's E2 stays near 1 in every dimension up to STOCHASTIC_DIM (random data)."""
    if e2 is None or len(e2) < STOCHASTIC_DIM:
        return False
    head = e2[:STOCHASTIC_DIM]
    return bool(np.all(np.abs(head - 1) <= CAO_E2_TOLERANCE))


def _floor(x: F64) -> float:
    """Distances at or below this are rounding-level duplicates, not neighbours."""
    return FLOOR * float(np.max(np.std(x, axis=0)))


def _spread(n: int, count: int) -> I64:
    if n <= count:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, count).astype(np.int64))


# --------------------------------------------------------------------------- shared


def _points(
    xs: F64, delay: int | None, dim: int | None, theiler: int | None
) -> tuple[F64, Embedding, float, int]:
    """Embed ``xs`` (or take it as state vectors) with automatic parameters where missing."""
    period = mean_period(xs)
    w = max(1, math.ceil(period)) if theiler is None else int(theiler)
    if xs.shape[1] > 1:
        if delay is not None or dim is not None:
            raise InvalidInput(
                "delay" if delay is not None else "dim",
                "only applies to a univariate series; multivariate input is used as state vectors",
            )
        emb = Embedding(delay=None, dim=xs.shape[1], delay_method="state vectors", dim_method="state vectors")
        if len(xs) < MIN_VECTORS:
            raise InvalidInput("series", f"needs at least {MIN_VECTORS} state vectors, got {len(xs)}")
        return np.ascontiguousarray(xs), emb, period, w
    v = xs[:, 0]
    ami = e1 = e2 = None
    if delay is None:
        tau, delay_method, ami = choose_delay(v)
    else:
        tau, delay_method = _positive_int(delay, "delay"), "given"
    if dim is None:
        if len(v) - tau < MIN_VECTORS + tau:
            raise InvalidInput(
                "series",
                f"needs at least {2 * tau + MIN_VECTORS} samples to choose an embedding dimension "
                f"with delay {tau}, got {len(v)}",
            )
        m, e1, e2 = choose_dimension(v, tau, theiler=w)
        dim_method = "Cao"
        if m == STOCHASTIC_DIM and _stochastic(e2) and not e1[m - 1] >= CAO_THRESHOLD:
            dim_method = "Cao (stochastic: E2 near 1)"
    else:
        m, dim_method = _positive_int(dim, "dim"), "given"
        if m > 64:
            raise InvalidInput("dim", f"must be at most 64, got {m}")
    _check_vectors(len(v), m, tau, "series" if dim is None else "dim")
    emb = Embedding(
        delay=tau, dim=m, delay_method=delay_method, dim_method=dim_method, ami=ami, cao_e1=e1, cao_e2=e2
    )
    return _embed(v, m, tau), emb, period, w


def _sorted(pts: F64) -> tuple[I64, I64]:
    order = np.argsort(pts[:, 0], kind="stable").astype(np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return order, rank


def _neighbours(pts: F64, order: I64, rank: I64, refs: I64, theiler: int, limit: int, floor: float) -> I64:
    """Euclidean nearest neighbours: box grid in 2 or more dimensions, projection method in one."""
    if pts.shape[1] == 1:
        idx, _ = _k.nearest_neighbours(pts, order, rank, refs, theiler, limit, 0, floor)
    else:
        idx, _ = _k.grid_neighbours(pts, refs, theiler, limit, 0, floor)
    return np.asarray(idx, dtype=np.int64)


def _linfit(x: F64, y: F64) -> tuple[float, float, float, float]:
    """Least-squares slope, intercept, R^2 and the slope's standard error."""
    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    syy = float(((y - ym) ** 2).sum())
    sxy = float(((x - xm) * (y - ym)).sum())
    slope = sxy / sxx
    ssr = max(syy - slope * sxy, 0.0)
    r2 = 1.0 - ssr / syy if syy > 0 else 1.0
    se = math.sqrt(ssr / max(len(x) - 2, 1) / sxx)
    return slope, ym - slope * xm, r2, se


# --------------------------------------------------------------------------- Lyapunov

#: The fit spans this part of the rise of the divergence curve, from its start to its saturation level.
FIT_FRACTIONS = (0.25, 0.7)
#: Blocks of reference points for the jackknife uncertainty.
BLOCKS = 8
#: At most this many reference trajectories (evenly spread) for the divergence curve.
MAX_REFERENCES = 1500


def _divergence_curve(pts: F64, period: float, theiler: int, horizon: int | None) -> tuple[F64, F64, int]:
    """Mean log divergence ``y[k]`` and per-block curves, extending the horizon until saturation."""
    m = len(pts)
    cap = max(4, m // 3)
    h = cap if horizon is None else horizon
    if horizon is None:
        h = int(min(cap, max(20, 5 * period)))
    order, rank = _sorted(pts) if pts.shape[1] == 1 else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    floor = _floor(pts)
    while True:
        limit = m - h
        refs = _spread(limit, MAX_REFERENCES)
        idx = _neighbours(pts, order, rank, refs, theiler, limit, floor)
        found = idx >= 0
        if found.sum() < BLOCKS:
            raise InvalidInput(
                "series",
                f"too few nearest neighbours outside the Theiler window ({theiler}); "
                "give a longer series or a smaller theiler",
            )
        sums, counts = _k.divergence(pts, refs[found], idx[found], h, BLOCKS, floor)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = sums.sum(axis=0) / counts.sum(axis=0)
            blocks = sums / counts
        if horizon is not None or h >= cap or not np.nanmax(y) - y[0] >= 1.0:
            # Fixed, at the cap, or less than one e-fold of growth: nothing saturates further on.
            break
        # Still rising at the end: the curve has not saturated yet, look further.
        tail = y[int(0.8 * h) :]
        if (
            np.nanargmax(y) < 0.8 * h
            or not np.isfinite(tail).all()
            or tail[-1] - tail[0] <= 0.1 * (np.nanmax(y) - y[0])
        ):
            break
        h = min(cap, 2 * h)
    return y, blocks, h


def _fit_region(y: F64, lo: float, hi: float) -> tuple[int, int]:
    y0 = y[0]
    rise = float(np.nanmax(y) - y0)
    a = int(np.flatnonzero(y >= y0 + lo * rise)[0])
    b = int(np.flatnonzero(y >= y0 + hi * rise)[0])
    return a, max(b, a + 3)


def largest_lyapunov(
    series: Any,
    *,
    dt: float | None = None,
    delay: int | None = None,
    dim: int | None = None,
    theiler: int | None = None,
    horizon: int | None = None,
    method: str = "auto",
) -> LyapunovResult:
    """Largest Lyapunov exponent: local Jacobians, checked by the divergence of neighbours.

    First the divergence curve (Rosenstein, Collins & De Luca 1993): every
    delay vector's nearest neighbour outside the Theiler window is followed
    forward; ``y[k]``, the mean ``ln`` distance after ``k`` steps, rises with
    slope ``lambda_1`` until the pairs separate to the size of the attractor.
    The slope is fitted over a region chosen from the curve itself: from 25%
    to 70% of its rise from ``y[0]`` to its saturation level, which skips
    both the initial transient and the bend into saturation. The horizon
    doubles until the curve saturates.

    When the neighbours diverge exponentially (at least one e-fold) and
    ``method`` is ``"auto"``, the spectrum of local maps is estimated too
    (Eckmann & Ruelle 1986; Sano & Sawada 1985): at about 3,000 points spread
    over the series the map one delay ahead (one sample for state vectors)
    is fitted to ``3 x`` its parameters nearest neighbours by a
    tricube-weighted quadratic, in the correlation dimension rounded up with
    half a unit to spare (:func:`local_dimension`), and the chain of
    Jacobians is re-orthonormalised by QR. Its largest exponent is the answer
    when it agrees with the divergence slope within a factor of 2
    (``method == "local Jacobians"``): it averages the stretching along the
    whole series, where the slope follows a few hundred neighbour pairs and
    scatters about three times as much over stretches of the Lorenz
    attractor. Otherwise, or with ``method="divergence"``, the slope is the
    answer. A series Cao's method finds stochastic gets no local fits.

    Parameters
    ----------
    series : array_like, shape (n,) or (n, d)
        A scalar series (delay-embedded) or state vectors (used as they are).
    dt : float, optional
        Sampling interval; adds the exponent per time unit.
    delay, dim : int, optional
        Embedding parameters; automatic by default (:func:`choose_delay`,
        :func:`choose_dimension`).
    theiler : int, optional
        Neighbours closer than this in time are excluded; default: the mean
        period (:func:`mean_period`), as Rosenstein et al. recommend.
    horizon : int, optional
        Steps to follow; default: 10 mean periods, doubled until saturation.
    method : {"auto", "divergence"}
        ``"divergence"`` skips the local Jacobians.

    Returns
    -------
    LyapunovResult
        For the local-Jacobian estimate the uncertainty is the standard
        error of the largest exponent over eight blocks of the series; for
        the divergence slope it combines a jackknife over eight blocks of
        reference points with the change of the slope when the fit region
        moves by 5% of the rise either way.
    """
    xs = _series(series)
    dts = _check_dt(dt)
    w_given = None if theiler is None else _positive_int(theiler, "theiler", 0)
    if method not in ("auto", "divergence"):
        raise InvalidInput("method", f"must be 'auto' or 'divergence', got {method!r}")
    pts, emb, period, w = _points(xs, delay, dim, w_given)
    if horizon is not None:
        horizon = _positive_int(horizon, "horizon", 4)
        if horizon > len(pts) // 2:
            raise InvalidInput("horizon", f"must be at most half the delay vectors ({len(pts) // 2})")
    local = None
    if method == "auto":

        def local() -> tuple[F64, F64] | None:
            # The local dimension needs the correlation dimension only to the nearest half unit,
            # and not at all in two dimensions (it is 2 there whatever the dimension).
            d2 = math.nan if emb.dim <= 2 else _dimension(pts, w, LOCAL_DIM_PAIRS).dimension
            return _local_jacobian_spectrum(xs, emb, d2)

    return _lyapunov(pts, period, w, horizon, dts, local)


def _lyapunov(
    pts: F64,
    period: float,
    w: int,
    horizon: int | None,
    dt: float | None,
    local: Callable[[], tuple[F64, F64] | None] | None = None,
) -> LyapunovResult:
    """The divergence slope and, when ``local`` gives a spectrum that agrees with it, the Jacobian estimate.

    ``local`` is called only when the neighbours diverge exponentially.
    """
    y, blocks, h = _divergence_curve(pts, period, w, horizon)
    k = np.arange(h + 1, dtype=np.float64)
    good = np.isfinite(y)
    if not good[0] or good.sum() < 5:
        raise InvalidInput("series", "nearest neighbours could not be followed; give a longer series")
    y = np.where(good, y, np.nan)
    rise = float(np.nanmax(y) - y[0])
    if rise < 1.0:
        # Less than one e-fold of growth in all: no exponential divergence; fit the whole curve.
        a, b = 0, int(np.flatnonzero(good)[-1])
    else:
        a, b = _fit_region(y, *FIT_FRACTIONS)
    sel = slice(a, b + 1)
    ok = good[sel]
    slope, _, r2, _ = _linfit(k[sel][ok], y[sel][ok])
    per_block = []
    for row in blocks:
        rk = np.isfinite(row[sel])
        if rk.sum() >= 3:
            per_block.append(_linfit(k[sel][rk], row[sel][rk])[0])
    jack = float(np.std(per_block, ddof=1) / math.sqrt(len(per_block))) if len(per_block) > 1 else 0.0
    shifts = []
    if rise >= 1.0:
        lo, hi = FIT_FRACTIONS
        for dlo, dhi in ((-0.05, -0.05), (0.05, 0.05)):
            a2, b2 = _fit_region(y, lo + dlo, hi + dhi)
            s2 = slice(a2, b2 + 1)
            ok2 = good[s2]
            shifts.append(_linfit(k[s2][ok2], y[s2][ok2])[0])
    spread = (max(shifts) - min(shifts)) / 2 if shifts else 0.0
    unc = math.hypot(jack, spread)
    exponent, method = float(slope), "divergence"
    spectrum: F64 | None = None
    found = local() if local is not None and rise >= 1.0 and slope > 0 else None
    if found is not None:
        local_spectrum, local_blocks = found
        ratio = local_spectrum[0] / slope
        if np.isfinite(local_spectrum).all() and 1 / AGREEMENT <= ratio <= AGREEMENT:
            # The neighbours diverge exponentially and the two estimates agree on the order of
            # magnitude: the tangent-space average is the more precise one.
            exponent, method, spectrum = float(local_spectrum[0]), "local Jacobians", local_spectrum
            unc = float(np.std(local_blocks, ddof=1) / math.sqrt(len(local_blocks)))
    return LyapunovResult(
        exponent=exponent,
        uncertainty=unc,
        per_time=None if dt is None else exponent / dt,
        uncertainty_per_time=None if dt is None else unc / dt,
        curve=y,
        fit_start=a,
        fit_end=b,
        r2=float(r2),
        theiler=w,
        pairs=len(pts),
        method=method,
        divergence_exponent=float(slope),
        spectrum=spectrum,
        spectrum_per_time=None if spectrum is None or dt is None else spectrum / dt,
        kaplan_yorke=None if spectrum is None else kaplan_yorke(spectrum),
    )


#: Neighbours of each local fit, per parameter of the fit (10 in three dimensions).
JACOBIAN_NEIGHBOURS = 3
#: Local fits, about (more only repeat the average: 3,000 steps of the Henon map give its
#: exponents to 1%).
JACOBIAN_FITS = 3000
#: A column of a local fit with less than this fraction of its norm independent of the ones
#: before it is not spanned by the neighbourhood and gets no coefficient.
JACOBIAN_TOL = 1e-10
#: Tricube weights on the neighbours' distances in the local fits.
JACOBIAN_WEIGHTED = True
#: State vectors are followed one sample at a time, in one chain: they get this many times the fits.
STATE_FITS_FACTOR = 4
#: The local-Jacobian exponent replaces the divergence slope only within this factor of it.
AGREEMENT = 2.0


def local_dimension(d2: float, dim: int) -> int:
    """Dimension of the local maps: the correlation dimension rounded up with half a unit to spare.

    A delay embedding in more dimensions than the dynamics occupy adds
    directions the data do not span; their fitted stretch factors are
    spurious exponents, as large as noise makes them. At least 2, at most
    the embedding dimension.
    """
    if not math.isfinite(d2):
        return dim
    return int(min(dim, max(2, math.ceil(d2 + 0.5))))


def _local_jacobian_spectrum(xs: F64, emb: Embedding, d2: float) -> tuple[F64, F64] | None:
    """Lyapunov spectrum from local quadratic fits, and the largest exponent per block of time.

    Delay vectors are re-embedded in :func:`local_dimension` dimensions and
    mapped ``delay`` samples ahead (only the newest coordinate is unknown);
    state vectors are mapped one sample ahead. ``None`` when there are too
    few points, or when Cao's method found the series stochastic.
    """
    if emb.dim_method.startswith("Cao (stochastic"):
        return None  # Cao's E2 found no determinism: there are no local maps to fit
    if emb.delay is None:
        # Every coordinate is known: the map one sample ahead is the most nearly linear.
        pts, step = xs, 1
    else:
        d = local_dimension(d2, emb.dim)
        if d < 2 or len(xs) - (d - 1) * emb.delay < MIN_VECTORS + emb.delay:
            return None
        pts = _embed(xs[:, 0], d, emb.delay)
        step = emb.delay
    m, d = pts.shape
    limit = m - step
    params = 1 + d + d * (d + 1) // 2
    k = JACOBIAN_NEIGHBOURS * params
    if d < 2 or limit < max(MIN_VECTORS, 4 * k):
        return None
    # The chains starting at neighbouring samples see nearly the same stretching: of the `step`
    # interleaved chains, every `stride`-th is followed, so that the fits spread over the whole
    # series (a longer stretch of the attractor) rather than crowd into its start.
    budget = JACOBIAN_FITS * (1 if emb.delay is not None else STATE_FITS_FACTOR)
    stride = max(1, min(step, -(-limit // budget)))
    n = min(limit, budget * stride)
    rows = np.flatnonzero(np.arange(n) % step % stride == 0).astype(np.int64)
    # Only the point itself and its next few samples are excluded: the neighbours along the
    # trajectory carry the flow direction, those on other passes the directions across it.
    w = max(1, step // 4)
    idx, dist = _k.grid_k_neighbours(pts, rows, k, w, limit, _floor(pts))
    jac = np.zeros((n, d, d))
    jac[rows] = _k.local_jacobians(pts, rows, idx, dist, step, True, JACOBIAN_WEIGHTED, JACOBIAN_TOL)
    sums, counts = _k.qr_exponents(jac, step, BLOCKS, stride)
    lam = sums.sum(axis=0) / (counts.sum() * step)
    order = np.argsort(lam)[::-1]
    per_block = sums[:, 0] / (np.maximum(counts, 1) * step)
    return np.ascontiguousarray(lam[order]), per_block


def kaplan_yorke(exponents: Any) -> float:
    """Kaplan-Yorke dimension ``j + (l_1 + ... + l_j) / |l_(j+1)|`` (Kaplan & Yorke 1979).

    ``j`` is the largest number of exponents (largest first) whose sum is not
    negative; 0 when the largest is negative, the number of exponents when
    every partial sum is non-negative.
    """
    lam = np.sort(np.asarray(exponents, dtype=np.float64))[::-1]
    if lam.size == 0:
        return 0.0
    cum = np.cumsum(lam)
    if cum[0] < 0:
        return 0.0
    j = int(np.flatnonzero(cum >= 0)[-1])
    if j == lam.size - 1:
        return float(lam.size)
    return float(j + 1 + cum[j] / abs(lam[j + 1]))


# --------------------------------------------------------------------------- correlation dimension

#: Histogram bins of ln(distance) for the correlation sum, spanning DIST_DECADES below the largest.
DIST_BINS = 256
DIST_SPAN = math.log(1e6)
#: Fewest pairs below a radius for its correlation sum to enter the fit.
MIN_PAIR_COUNT = 50
#: Local slopes in the scaling range stay within this fraction of their median.
SLOPE_TOLERANCE = 0.08
#: The scaling range ends where this fraction of the pairs is closer: beyond it the attractor's
#: curvature and size bend ``ln C`` (a circle's local slope is 1.03 at a third of its diameter).
MAX_FIT_FRACTION = 0.1


def _correlation_sum(pts: F64, w: int, max_pairs: int = MAX_PAIRS) -> tuple[F64, F64, F64]:
    m = len(pts)
    # Rows i pair with every j > i + w; subsample rows evenly when that is too many pairs.
    pairs_per_row = max(m - w - 1, 1)
    nrows = min(m, max(1, int(2 * max_pairs / pairs_per_row)))
    rows = _spread(max(m - w - 1, 1), nrows)
    log_rmax = math.log(float(np.max(pts.max(axis=0) - pts.min(axis=0))) * (1 + 1e-9))
    log_rmin = log_rmax - DIST_SPAN
    inv_width = DIST_BINS / DIST_SPAN
    hist = _k.correlation_histogram(pts, rows, w, log_rmin, inv_width, DIST_BINS)
    cum = np.cumsum(hist)
    total = cum[-1]
    log_r = log_rmin + np.arange(1, DIST_BINS + 1) / inv_width
    return log_r, cum, total


def _scaling_range(log_r: F64, log_c: F64, usable: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """Longest run of radii whose local slopes agree within SLOPE_TOLERANCE (max / min)."""
    idx = np.flatnonzero(usable)
    lo_b, hi_b = int(idx[0]), int(idx[-1])
    h = max(1, DIST_BINS // 64)
    slopes = np.full(len(log_r), np.nan)
    if hi_b - lo_b > 2 * h:
        at = np.arange(lo_b + h, hi_b - h + 1)
        slopes[at] = (log_c[at + h] - log_c[at - h]) / (log_r[at + h] - log_r[at - h])
    a, b = _k.longest_band(slopes, (1 + SLOPE_TOLERANCE) / (1 - SLOPE_TOLERANCE))
    if a < 0 or b - a < 2:
        return lo_b, hi_b
    return int(a), int(b)


def correlation_dimension(
    series: Any,
    *,
    delay: int | None = None,
    dim: int | None = None,
    theiler: int | None = None,
) -> DimensionResult:
    """Correlation dimension by the Grassberger-Procaccia (1983) algorithm.

    The correlation sum ``C(r)``, the fraction of pairs of delay vectors
    closer than ``r`` (maximum norm; pairs within the Theiler window
    excluded, Theiler 1986), is collected in a histogram of ``ln r`` in O(n)
    memory; beyond about 3 million pairs the reference rows are spread
    evenly. The scaling range is found automatically: the longest run of
    radii, with at least 50 pairs and at most 10% of all pairs below them,
    over which the local slope ``d ln C / d ln r`` stays within 8% of its
    median. The dimension is the least-squares slope over that run.

    Parameters are as in :func:`largest_lyapunov`.
    """
    xs = _series(series)
    w_given = None if theiler is None else _positive_int(theiler, "theiler", 0)
    pts, _emb, _period, w = _points(xs, delay, dim, w_given)
    return _dimension(pts, w)


def _dimension(pts: F64, w: int, max_pairs: int = MAX_PAIRS) -> DimensionResult:
    w = min(w, len(pts) // 4)
    log_r, cum, total = _correlation_sum(pts, w, max_pairs)
    usable = (cum >= MIN_PAIR_COUNT) & (cum < total)
    if usable.sum() < 4:
        raise InvalidInput("series", "too few distinct pairs of points for a correlation dimension")
    with np.errstate(divide="ignore"):
        log_c = np.log(cum / total)
    small = usable & (cum <= MAX_FIT_FRACTION * total)
    a, b = _scaling_range(log_r, log_c, small if small.sum() >= 4 else usable)
    slope, _, r2, se = _linfit(log_r[a : b + 1], log_c[a : b + 1])
    # The local slopes' spread within the range is a more honest error than the fit's.
    h = max(1, (b - a) // 4)
    halves = [
        _linfit(log_r[a : a + 2 * h + 1], log_c[a : a + 2 * h + 1])[0],
        _linfit(log_r[b - 2 * h : b + 1], log_c[b - 2 * h : b + 1])[0],
    ]
    unc = math.hypot(se, (max(halves) - min(halves)) / 2)
    keep = np.flatnonzero(usable)
    return DimensionResult(
        dimension=float(slope),
        uncertainty=float(unc),
        log_r=log_r[keep],
        log_c=log_c[keep],
        fit_lo=int(a - keep[0]),
        fit_hi=int(b - keep[0]),
        r2=float(r2),
    )


# --------------------------------------------------------------------------- surrogates


def _phase_randomised(xs: F64, rng: np.random.Generator, count: int = 1) -> F64:
    """Fourier-transform surrogates: same power spectrum, random phases (Theiler et al. 1992).

    Returns ``count`` surrogates, shape ``(count, n, c)``. Columns of a
    multivariate series share the random phases, which keeps their
    cross-spectra (Prichard & Theiler 1994).
    """
    n = len(xs)
    mean = xs.mean(axis=0)
    spec = np.fft.rfft(xs - mean, axis=0)
    phases = np.empty((count, spec.shape[0]))
    for i in range(count):
        phases[i] = rng.uniform(0.0, 2 * np.pi, size=spec.shape[0])
    phases[:, 0] = 0.0
    if n % 2 == 0:
        phases[:, -1] = 0.0
    out = np.fft.irfft(spec[None] * np.exp(1j * phases)[:, :, None], n, axis=1) + mean
    return np.ascontiguousarray(out)


def _prediction_errors(series: F64, delay: int | None, dim: int, steps: int, w: int) -> F64:
    """Normalised nearest-neighbour prediction error of each series of ``series`` (``(k, n, c)``)."""
    n = series.shape[1]
    m = n - steps - (0 if delay is None else (dim - 1) * delay)
    queries = _spread(m, SURROGATE_QUERIES)
    return np.asarray(
        _k.prediction_errors(series, delay or 0, dim, steps, queries, w, FLOOR), dtype=np.float64
    )


def _surrogates(
    xs: F64,
    delay: int | None,
    dim: int,
    w: int,
    count: int,
    seed: int,
    done: Callable[[int], None] | None = None,
) -> SurrogateResult:
    steps = max(1, delay or 1)
    rng = np.random.default_rng(seed)
    xs = np.ascontiguousarray(xs[:SURROGATE_SAMPLES])
    err = float(_prediction_errors(xs[None], delay, dim, steps, w)[0])
    errs = np.empty(count)
    # A few surrogates per parallel call: few thread launches, yet progress and cancellation.
    for lo in range(0, count, SURROGATE_BATCH):
        hi = min(count, lo + SURROGATE_BATCH)
        errs[lo:hi] = _prediction_errors(_phase_randomised(xs, rng, hi - lo), delay, dim, steps, w)
        if done is not None:
            for i in range(lo, hi):
                done(i + 1)
    rank = int(np.sum(errs <= err))
    spread = float(errs.std(ddof=1)) if count > 1 else 0.0
    z = (float(errs.mean()) - err) / spread if spread > 0 else 0.0
    return SurrogateResult(error=err, surrogate_errors=errs, rank=rank, z=z)


def surrogate_test(
    series: Any,
    *,
    delay: int | None = None,
    dim: int | None = None,
    theiler: int | None = None,
    surrogates: int = N_SURROGATES,
    seed: int = 0,
) -> SurrogateResult:
    """Is the series more predictable than linear Gaussian noise with its spectrum?

    The statistic is the normalised error of the nearest-neighbour predictor
    one delay ahead in the embedding (Farmer & Sidorowich 1987). Deterministic
    dynamics predict far better than their phase-randomised surrogates
    (Theiler et al. 1992); coloured noise predicts no better. With the default
    19 surrogates, ``rank == 0`` rejects the linear null hypothesis at 5%.
    Only the first 4,096 samples are used.
    """
    xs = _series(series)
    count = _positive_int(surrogates, "surrogates", 1)
    w_given = None if theiler is None else _positive_int(theiler, "theiler", 0)
    _pts, emb, _period, w = _points(xs, delay, dim, w_given)
    return _surrogates(xs, emb.delay, emb.dim, w, count, int(seed))


# --------------------------------------------------------------------------- classification

#: The largest exponent times the mean period below which there is no exponential divergence.
CYCLE_EXPONENT = 0.1
#: Surrogate standard deviations by which deterministic data must out-predict its surrogates.
MIN_SURROGATE_Z = 4.0


def _converges(xs: F64) -> bool:
    n = len(xs)
    tail = xs[n - max(n // 10, 2) :]
    return bool(np.all(tail.std(axis=0) <= 1e-3 * np.maximum(xs.std(axis=0), 1e-300)))


def analyze(
    series: Any,
    *,
    dt: float | None = None,
    delay: int | None = None,
    dim: int | None = None,
    theiler: int | None = None,
    surrogates: int = N_SURROGATES,
    seed: int = 0,
    progress: Progress | None = None,
) -> AttractorResult:
    """Characterise the dynamics behind a series and classify them.

    Runs :func:`largest_lyapunov`, :func:`correlation_dimension` and
    :func:`surrogate_test` on one embedding and decides:

    * **fixed point**: the series settles (its last tenth varies by less than
      0.1% of the whole);
    * **limit cycle**: no exponential divergence (the exponent over one mean
      period is below 0.1) and a correlation dimension near 1;
    * **quasi-periodic**: no exponential divergence and a dimension near 2 or
      more (a torus);
    * **chaotic**: a positive exponent, clearly above its uncertainty, and
      more predictable than every surrogate (deterministic);
    * **noise**: everything else: a series no more predictable than linear
      noise with its spectrum, or with no saturating dimension.

    ``confidence`` (0-1) grows with the margins of the decisive tests.
    ``progress``, if given, is called between the steps (embedding, exponent,
    dimension, each surrogate); an exception it raises (a cancellation)
    stops the analysis there.
    """
    xs = _series(series)
    dts = _check_dt(dt)
    count = _positive_int(surrogates, "surrogates", 1)
    w_given = None if theiler is None else _positive_int(theiler, "theiler", 0)
    if _converges(xs):
        return _fixed_point(xs, dts, delay, dim, w_given)
    total = 3 + count

    def step(done: int, message: str) -> None:
        if progress is not None:
            progress(done, total, message)

    step(0, "embedding")
    pts, emb, period, w = _points(xs, delay, dim, w_given)
    step(1, "correlation dimension")
    dimension = _dimension(pts, w)
    step(2, "Lyapunov exponents")
    lyap = _lyapunov(
        pts, period, w, None, dts, lambda: _local_jacobian_spectrum(xs, emb, dimension.dimension)
    )
    step(3, "surrogate test")
    sur = _surrogates(xs, emb.delay, emb.dim, w, count, int(seed), lambda i: step(3 + i, "surrogate test"))
    label, confidence, reasons = _classify(lyap, dimension, sur, period, emb.dim)
    return AttractorResult(
        classification=label,
        confidence=confidence,
        reasons=tuple(reasons),
        embedding=emb,
        lyapunov=lyap,
        dimension=dimension,
        surrogates=sur,
        mean_period=period,
        theiler=w,
        samples=len(xs),
        dt=dts,
    )


def _clip01(v: float) -> float:
    return float(min(1.0, max(0.0, v)))


def _classify(
    lyap: LyapunovResult, dim: DimensionResult, sur: SurrogateResult, period: float, emb_dim: int
) -> tuple[Classification, float, list[str]]:
    per_cycle = lyap.exponent * period
    d2 = dim.dimension
    reasons = [
        f"largest Lyapunov exponent {lyap.exponent:.4g} ± {lyap.uncertainty:.2g} per sample "
        f"({per_cycle:.3g} per mean period of {period:.1f} samples)",
        f"correlation dimension {d2:.3f} ± {dim.uncertainty:.2g} in embedding dimension {emb_dim}",
        f"nearest-neighbour prediction error {sur.error:.3g} vs {np.median(sur.surrogate_errors):.3g} "
        f"(median) for {len(sur.surrogate_errors)} phase-randomised surrogates; "
        f"{sur.rank} surrogate(s) predicted as well (z = {sur.z:.1f})",
    ]
    if per_cycle < CYCLE_EXPONENT:
        margin = _clip01((CYCLE_EXPONENT - per_cycle) / CYCLE_EXPONENT)
        if d2 < 1.5:
            reasons.append("no exponential divergence of neighbours and a dimension near 1: a closed orbit")
            return (
                "limit cycle",
                round(0.5 + 0.25 * margin + 0.25 * _clip01(1 - abs(d2 - 1) / 0.5), 3),
                reasons,
            )
        if d2 < 0.8 * emb_dim:
            reasons.append(
                "no exponential divergence of neighbours and a dimension of 2 or more: motion on a torus"
            )
            return (
                "quasi-periodic",
                round(0.5 + 0.25 * margin + 0.25 * _clip01(1 - abs(d2 - 2) / 1), 3),
                reasons,
            )
    significant = lyap.exponent > 2 * lyap.uncertainty and per_cycle >= CYCLE_EXPONENT
    saturates = d2 < 0.8 * emb_dim
    deterministic = sur.rejected and sur.z >= MIN_SURROGATE_Z
    if significant and deterministic and saturates:
        reasons.append(
            "neighbours diverge exponentially, the dimension saturates below the embedding dimension, "
            "and the series is far more predictable than linear noise with its spectrum: deterministic chaos"
        )
        conf = 0.5 + 0.25 * _clip01(sur.z / 10) + 0.25 * _clip01(lyap.exponent / (4 * lyap.uncertainty) - 0.5)
        return "chaotic", round(conf, 3), reasons
    why = []
    if not deterministic:
        why.append("it is no more predictable than its phase-randomised surrogates (linear Gaussian noise)")
    if not saturates:
        why.append("its correlation dimension does not saturate below the embedding dimension")
    if not significant:
        why.append("no exponential divergence stands out of the uncertainty")
    reasons.append("stochastic: " + "; ".join(why))
    conf = 0.5 + 0.5 * _clip01(sur.rank / max(len(sur.surrogate_errors), 1) * 2)
    if not saturates:
        conf = max(conf, 0.75)
    return "noise", round(conf, 3), reasons


def _fixed_point(
    xs: F64, dt: float | None, delay: int | None, dim: int | None, theiler: int | None
) -> AttractorResult:
    n = len(xs)
    dev = np.abs(xs - xs[-1]).max(axis=1)
    moving = dev > 1e-12 * max(float(dev.max()), 1e-300)
    k = np.flatnonzero(moving)
    # The approach to the fixed point: ln of the distance to the final state falls linearly.
    end = int(k[-1]) + 1 if k.size else n
    t = np.arange(end, dtype=np.float64)
    slope = _linfit(t, np.log(np.maximum(dev[:end], 1e-300)))[0] if end >= 3 else 0.0
    emb = Embedding(
        delay=delay if xs.shape[1] == 1 else None,
        dim=xs.shape[1] if dim is None else int(dim),
        delay_method="not needed",
        dim_method="not needed",
    )
    lyap = LyapunovResult(
        exponent=float(slope),
        uncertainty=0.0,
        per_time=None if dt is None else float(slope) / dt,
        uncertainty_per_time=None if dt is None else 0.0,
        curve=np.log(np.maximum(dev[:end], 1e-300)),
        fit_start=0,
        fit_end=max(end - 1, 0),
        r2=1.0,
        theiler=0 if theiler is None else theiler,
        pairs=0,
    )
    dimension = DimensionResult(
        dimension=0.0, uncertainty=0.0, log_r=np.zeros(0), log_c=np.zeros(0), fit_lo=0, fit_hi=0, r2=1.0
    )
    reasons = (
        "the last tenth of the series varies by less than 0.1% of the whole: it settles to a fixed point",
        f"the distance to the final state shrinks at rate {slope:.4g} per sample",
    )
    return AttractorResult(
        classification="fixed point",
        confidence=1.0 if slope < 0 else 0.8,
        reasons=reasons,
        embedding=emb,
        lyapunov=lyap,
        dimension=dimension,
        surrogates=None,
        mean_period=mean_period(xs),
        theiler=0 if theiler is None else theiler,
        samples=n,
        dt=dt,
    )


def lorenz(
    n: int,
    *,
    dt: float = 0.01,
    start: tuple[float, float, float] = (1.0, 1.0, 1.0),
    transient: int = 10_000,
) -> tuple[F64, float]:
    """A reference signal: ``n`` states of the Lorenz system and their own largest exponent.

    sigma 10, rho 28, beta 8/3, fourth-order Runge-Kutta with step ``dt``
    from ``start``, after ``transient`` steps. Returns the states
    ``(n, 3)`` (x, y, z) and the growth rate per time unit of a tangent
    vector carried along the same steps: the finite-time exponent of that
    stretch of trajectory, the truth against which an estimate from it is
    measured (the long-run value is 0.906). Pure Python, about 2 s per
    100,000 steps; the tests and the benchmark share it.
    """
    n = _positive_int(n, "n")
    transient = _positive_int(transient, "transient", 0)
    s, r, b = 10.0, 28.0, 8.0 / 3.0

    def f(u: tuple[float, ...]) -> tuple[float, ...]:
        x, y, z, a, c, e = u
        return (
            s * (y - x),
            x * (r - z) - y,
            x * y - b * z,
            s * (c - a),
            (r - z) * a - c - x * e,
            y * a + x * c - b * e,
        )

    def shift(u: tuple[float, ...], k: tuple[float, ...], h: float) -> tuple[float, ...]:
        return tuple(ui + h * ki for ui, ki in zip(u, k, strict=True))

    u: tuple[float, ...] = (*(float(v) for v in start), 1.0, 0.0, 0.0)
    out = np.empty((n, 3))
    growth = 0.0
    for t in range(transient + n):
        k1 = f(u)
        k2 = f(shift(u, k1, dt / 2))
        k3 = f(shift(u, k2, dt / 2))
        k4 = f(shift(u, k3, dt))
        u = tuple(
            ui + dt / 6 * (a + 2 * bb + 2 * c + d) for ui, a, bb, c, d in zip(u, k1, k2, k3, k4, strict=True)
        )
        norm = math.sqrt(u[3] ** 2 + u[4] ** 2 + u[5] ** 2)
        u = (u[0], u[1], u[2], u[3] / norm, u[4] / norm, u[5] / norm)
        if t >= transient:
            out[t - transient] = u[:3]
            growth += math.log(norm)
    return out, growth / (n * dt)


def warmup() -> None:
    """Compile (or load from the cache) every kernel of this module."""
    t = np.arange(400, dtype=np.float64)
    x = np.sin(0.3 * t) + 0.5 * np.sin(0.71 * t)
    analyze(x, surrogates=2)
    analyze(np.stack([x, np.cos(0.3 * t)], axis=1), surrogates=2)
    # A chaotic map: the local-Jacobian kernels (the sine above never needs them).
    h = np.empty(400)
    u, v = 0.1, 0.1
    for i in range(len(h) + 100):
        u, v = 1.0 - 1.4 * u * u + v, 0.3 * u
        if i >= 100:
            h[i - 100] = u
    largest_lyapunov(h)
