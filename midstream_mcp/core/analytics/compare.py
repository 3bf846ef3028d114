"""Temporal comparison of sequences: DTW, LCS, edit distance, pattern search, correlation.

Every function validates its input, then runs a private numba kernel
(``_dtw.py`` for warping, ``_strings.py`` for the symbol measures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics import _dtw
from midstream_mcp.core.analytics._strings import (
    edit_distance,
    edit_similarity,
    encode_pair,
    lcs_length,
    lcs_similarity,
)
from midstream_mcp.core.analytics._validate import InvalidInput, as_series, check_window

__all__ = [
    "CorrelationResult",
    "DTWResult",
    "PatternMatch",
    "correlation",
    "dtw_distance",
    "dtw_matrix",
    "dtw_one_to_many",
    "dtw_path",
    "edit_distance",
    "edit_similarity",
    "encode_pair",
    "find_pattern",
    "lcs_length",
    "lcs_similarity",
    "warmup",
]

F64 = npt.NDArray[np.float64]
_METRICS = {"euclidean": 0, "absolute": 1}


@dataclass(frozen=True)
class DTWResult:
    """A DTW distance and, from :func:`dtw_path`, the optimal warping path.

    ``path`` has shape ``(k, 2)``: index pairs ``(i, j)`` from ``(0, 0)`` to
    ``(n - 1, m - 1)``.
    """

    distance: float
    path: npt.NDArray[np.int64] | None = None


@dataclass(frozen=True)
class PatternMatch:
    """``series[start:end]`` matches the pattern at DTW ``distance``."""

    start: int
    end: int
    distance: float


@dataclass(frozen=True)
class CorrelationResult:
    """Best lag of ``b`` relative to ``a`` and the normalised correlation there.

    A positive lag means ``b`` is ``a`` delayed: ``b[t] ~ a[t - lag]``.
    ``values[k]`` is the correlation at ``lags[k]``.
    """

    lag: int
    correlation: float
    lags: npt.NDArray[np.int64]
    values: F64


def _metric_code(metric: str) -> int:
    try:
        return _METRICS[metric]
    except (KeyError, TypeError):
        raise InvalidInput("metric", f"must be 'euclidean' or 'absolute', got {metric!r}") from None


def _window_code(window: int | None) -> int:
    w = check_window(window)
    return -1 if w is None else w


def _pair(a: Any, b: Any) -> tuple[F64, F64]:
    xa = as_series(a, "a")
    xb = as_series(b, "b")
    if xa.shape[1] != xb.shape[1]:
        raise InvalidInput("b", f"has {xb.shape[1]} dimensions per sample but a has {xa.shape[1]}")
    return xa, xb


def _finish(cost: float, metric: int) -> float:
    return float(np.sqrt(cost)) if metric == 0 else float(cost)


def dtw_distance(a: Any, b: Any, *, window: int | None = None, metric: str = "euclidean") -> float:
    """Dynamic time warping distance between two series.

    Parameters
    ----------
    a, b : array_like, shape (n,) or (n, d)
        Univariate or multivariate series with the same ``d``; finite values.
    window : int, optional
        Sakoe-Chiba band half-width in samples: row ``i`` may align with
        columns ``i - w ... i + w``, widened by ``|n - m|`` towards the longer
        side so that unequal lengths stay alignable (the dtaidistance rule,
        whose ``window`` is this ``window + 1``). ``None`` is unconstrained.
    metric : {"euclidean", "absolute"}
        ``"euclidean"`` returns the square root of the summed squared
        differences along the optimal path (the dtaidistance and tslearn
        convention); ``"absolute"`` returns the summed absolute differences.

    Returns
    -------
    float

    Notes
    -----
    Classic DTW (Sakoe & Chiba 1978) with steps (1, 0), (0, 1), (1, 1) and no
    slope weights, computed with two rolling rows in O(n * m) time.
    """
    code = _metric_code(metric)
    w = _window_code(window)
    xa, xb = _pair(a, b)
    if xa.shape[1] == 1:
        return _finish(_dtw.dtw_cost_univariate(xa[:, 0], xb[:, 0], w, code), code)
    return _finish(_dtw.dtw_cost(xa, xb, w, code), code)


def dtw_path(
    a: Any,
    b: Any,
    *,
    window: int | None = None,
    metric: str = "euclidean",
    max_cells: int = 20_000_000,
) -> DTWResult:
    """DTW distance and the optimal warping path (see :func:`dtw_distance`).

    The full accumulated-cost matrix is kept for the backtrack, so inputs with
    ``n * m > max_cells`` are refused before anything is allocated.
    """
    code = _metric_code(metric)
    w = _window_code(window)
    xa, xb = _pair(a, b)
    cells = xa.shape[0] * xb.shape[0]
    if cells > max_cells:
        raise InvalidInput(
            "b", f"a warping path for {xa.shape[0]} x {xb.shape[0]} samples exceeds {max_cells:,} cells"
        )
    acc = _dtw.dtw_cost_matrix(xa, xb, w, code)
    return DTWResult(distance=_finish(acc[-1, -1], code), path=_dtw.backtrack(acc))


def _series_list(series_list: Any, field: str) -> list[F64]:
    if isinstance(series_list, np.ndarray) and series_list.ndim == 2:
        series_list = list(series_list)
    if isinstance(series_list, (str, bytes)) or not isinstance(series_list, Sequence | np.ndarray):
        raise InvalidInput(field, "expected a list of series")
    if len(series_list) == 0:
        raise InvalidInput(field, "must contain at least one series")
    out = [as_series(s, f"{field}[{i}]") for i, s in enumerate(series_list)]
    d = out[0].shape[1]
    for i, s in enumerate(out):
        if s.shape[1] != d:
            raise InvalidInput(f"{field}[{i}]", f"has {s.shape[1]} dimensions per sample, expected {d}")
    return out


def _packed(series: list[F64]) -> tuple[F64, npt.NDArray[np.int64]]:
    offsets = np.zeros(len(series) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in series])
    return np.ascontiguousarray(np.concatenate(series)), offsets


def dtw_matrix(series_list: Any, *, window: int | None = None, metric: str = "euclidean") -> F64:
    """All-pairs DTW distances, computed in parallel.

    Returns a symmetric ``(N, N)`` float64 matrix with a zero diagonal. Equal
    length univariate series run through a kernel that compares one series
    with 32 others at once in SIMD lanes; other inputs use a parallel loop
    over pairs.
    """
    code = _metric_code(metric)
    w = _window_code(window)
    series = _series_list(series_list, "series_list")
    count = len(series)
    lengths = {len(s) for s in series}
    if len(lengths) == 1 and series[0].shape[1] == 1:
        stacked = np.ascontiguousarray(np.stack([s[:, 0] for s in series]))
        cost = _dtw.matrix_equal(stacked, w, code)
    else:
        flat, offsets = _packed(series)
        iu, ju = np.triu_indices(count, k=1)
        values = _dtw.pairs_generic(flat, offsets, iu.astype(np.int64), ju.astype(np.int64), w, code)
        cost = np.zeros((count, count))
        cost[iu, ju] = values
        cost[ju, iu] = values
    return np.sqrt(cost) if code == 0 else cost


def dtw_one_to_many(
    query: Any, candidates: Any, *, window: int | None = None, metric: str = "euclidean"
) -> F64:
    """DTW distance from ``query`` to each candidate, computed in parallel."""
    code = _metric_code(metric)
    w = _window_code(window)
    q = as_series(query, "query")
    series = _series_list(candidates, "candidates")
    for i, s in enumerate(series):
        if s.shape[1] != q.shape[1]:
            raise InvalidInput(
                f"candidates[{i}]", f"has {s.shape[1]} dimensions per sample but query has {q.shape[1]}"
            )
    lengths = {len(s) for s in series}
    if len(lengths) == 1 and q.shape[1] == 1:
        stacked = np.ascontiguousarray(np.stack([s[:, 0] for s in series]))
        cost = _dtw.one_to_many_equal(q, stacked, w, code)
    else:
        flat, offsets = _packed([q, *series])
        pj = np.arange(1, len(series) + 1, dtype=np.int64)
        cost = _dtw.pairs_generic(flat, offsets, np.zeros_like(pj), pj, w, code)
    return np.sqrt(cost) if code == 0 else cost


def find_pattern(
    series: Any,
    pattern: Any,
    *,
    k: int = 5,
    window: int | None = None,
    metric: str = "euclidean",
) -> list[PatternMatch]:
    """The ``k`` best non-overlapping occurrences of ``pattern`` in ``series``.

    With ``window=None`` matches have free length: for every end position the
    best start is found by subsequence DTW (Müller 2007, "Information Retrieval
    for Music and Motion", sec. 4.4), so a stretched or squeezed occurrence is
    found at its true extent. With a ``window``, every length-``m`` window of
    the series is compared with banded DTW (the setting of the UCR suite,
    Rakthanmanon et al. 2012). Matches are then taken greedily by ascending
    distance, skipping any that overlaps one already taken; ties go to the
    earlier end. Distances follow ``metric`` as in :func:`dtw_distance`.

    Returns
    -------
    list of PatternMatch
        At most ``k``, best first; ``end`` is exclusive.
    """
    code = _metric_code(metric)
    w = _window_code(window)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInput("k", f"must be a positive integer, got {k!r}")
    xs = as_series(series, "series")
    xp = as_series(pattern, "pattern")
    if xs.shape[1] != xp.shape[1]:
        raise InvalidInput("pattern", f"has {xp.shape[1]} dimensions per sample but series has {xs.shape[1]}")
    n, m = len(xs), len(xp)
    if w < 0:
        costs, starts = _dtw.subsequence_costs(xs, xp, code)
        ends = np.arange(1, n + 1)
    else:
        if m > n:
            raise InvalidInput("pattern", f"is longer ({m}) than the series ({n}) ")
        costs = _dtw.sliding_costs(xs, xp, w, code)
        starts = np.arange(n - m + 1)
        ends = starts + m
    order = np.argsort(costs, kind="stable")
    taken = np.zeros(n, dtype=np.bool_)
    matches: list[PatternMatch] = []
    for idx in order:
        s, e = int(starts[idx]), int(ends[idx])
        if taken[s:e].any():
            continue
        taken[s:e] = True
        matches.append(PatternMatch(start=s, end=e, distance=_finish(costs[idx], code)))
        if len(matches) == k:
            break
    return matches


def correlation(a: Any, b: Any, *, max_lag: int | None = None) -> CorrelationResult:
    """Normalised cross-correlation of two univariate series and the best lag.

    Both series are centred; the correlation at lag ``L`` is
    ``sum_t a[t - L] * b[t] / sqrt(sum a**2 * sum b**2)``, the coefficient
    normalisation of MATLAB's ``xcorr(..., "coeff")``, so values lie in
    [-1, 1] and equal 1 at lag 0 for identical series. The best lag maximises
    the correlation (ties: smallest ``|lag|``, then the negative one).

    Parameters
    ----------
    max_lag : int, optional
        Largest ``|lag|`` considered; default ``min(n, m) - 1``.

    Raises
    ------
    InvalidInput
        For multivariate or constant input (correlation is undefined).
    """
    xa = as_series(a, "a", allow_multivariate=False)[:, 0]
    xb = as_series(b, "b", allow_multivariate=False)[:, 0]
    n, m = len(xa), len(xb)
    limit = min(n, m) - 1
    if max_lag is None:
        max_lag = limit
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise InvalidInput("max_lag", f"must be a non-negative integer, got {max_lag!r}")
    max_lag = min(int(max_lag), max(n, m) - 1)
    za, zb = xa - xa.mean(), xb - xb.mean()
    norm = float(np.sqrt(np.dot(za, za) * np.dot(zb, zb)))
    for field, z in (("a", za), ("b", zb)):
        if not np.any(z):
            raise InvalidInput(field, "is constant; correlation is undefined")
    # full[k] = sum_t za[t] * zb[t + k - (n - 1)]: lag L = k - (n - 1) shifts b later.
    size = n + m - 1
    nfft = 1 << (size - 1).bit_length()
    full = np.fft.irfft(np.conj(np.fft.rfft(za, nfft)) * np.fft.rfft(zb, nfft), nfft)
    full = np.concatenate((full[nfft - (n - 1) :], full[:m])) if n > 1 else full[:m]
    all_lags = np.arange(-(n - 1), m, dtype=np.int64)
    keep = np.abs(all_lags) <= max_lag
    lags = all_lags[keep]
    values = np.clip(full[keep] / norm, -1.0, 1.0)
    best = int(np.lexsort((lags, np.abs(lags), -np.round(values, 12)))[0])
    return CorrelationResult(lag=int(lags[best]), correlation=float(values[best]), lags=lags, values=values)


def warmup() -> None:
    """Compile (or load from the cache) every kernel of this module."""
    a = np.linspace(0.0, 1.0, 8)
    b = np.linspace(0.0, 1.0, 6)
    for metric in _METRICS:
        dtw_distance(a, b, metric=metric)
        dtw_distance(np.stack([a, a], axis=1), np.stack([b, b], axis=1), metric=metric, window=2)
        dtw_path(a, b, metric=metric)
        dtw_matrix([a, a, a], metric=metric)
        dtw_matrix([a, b], metric=metric)
        dtw_one_to_many(a, [a, a], metric=metric)
        dtw_one_to_many(a, [a, b], metric=metric)
        find_pattern(a, b[:3], metric=metric)
        find_pattern(a, b[:3], window=1, metric=metric)
    correlation(a, b)
