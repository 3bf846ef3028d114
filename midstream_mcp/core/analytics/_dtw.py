"""Numba kernels for dynamic time warping. Private: call :mod:`compare` instead.

Conventions shared by every kernel:

* series are C-contiguous float64 arrays of shape ``(n, d)``;
* ``window < 0`` means unconstrained, otherwise row ``i`` may align with
  columns ``j`` in ``[i - max(0, n - m) - window, i + max(0, m - n) + window]``
  (a Sakoe-Chiba band widened by the length difference so that the end cell
  is always reachable, as dtaidistance does);
* ``metric`` 0 accumulates squared euclidean differences (the caller takes the
  square root), 1 accumulates L1 differences.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, prange

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Series compared side by side in SIMD lanes by the one-to-many kernels.
LANES = 32


@njit(cache=True, nogil=True, inline="always")
def _local(a: F64, i: int, b: F64, j: int, metric: int) -> float:  # pragma: no cover
    s = 0.0
    if metric == 0:
        for k in range(a.shape[1]):
            diff = a[i, k] - b[j, k]
            s += diff * diff
    else:
        for k in range(a.shape[1]):
            s += abs(a[i, k] - b[j, k])
    return s


@njit(cache=True, nogil=True, inline="always")
def _band(i: int, n: int, m: int, window: int) -> tuple[int, int]:  # pragma: no cover
    if window < 0:
        return 0, m - 1
    lo = i - max(0, n - m) - window
    hi = i + max(0, m - n) + window
    return max(lo, 0), min(hi, m - 1)


@njit(cache=True, nogil=True)
def dtw_cost(a: F64, b: F64, window: int, metric: int) -> float:  # pragma: no cover
    """Accumulated cost of the optimal warping path, two rolling rows."""
    n, m = a.shape[0], b.shape[0]
    inf = np.inf
    prev = np.full(m + 1, inf)
    curr = np.full(m + 1, inf)
    prev[0] = 0.0
    univariate = a.shape[1] == 1
    av = a[:, 0]
    bv = b[:, 0]
    prev_lo, prev_hi = 0, 0
    for i in range(n):
        lo, hi = _band(i, n, m, window)
        curr[0] = inf
        # Cells left of the band keep inf; clear what the previous use left there.
        for j in range(prev_lo, lo + 1):
            curr[j] = inf
        left = inf
        if univariate:
            x = av[i]
            for j in range(lo, hi + 1):
                diff = x - bv[j]
                c = diff * diff if metric == 0 else abs(diff)
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = c + best
                curr[j + 1] = left
        else:
            for j in range(lo, hi + 1):
                c = _local(a, i, b, j, metric)
                best = prev[j]
                if prev[j + 1] < best:
                    best = prev[j + 1]
                if left < best:
                    best = left
                left = c + best
                curr[j + 1] = left
        for j in range(hi + 2, min(prev_hi + 2, m + 1)):
            curr[j] = inf
        prev_lo, prev_hi = lo, hi
        prev, curr = curr, prev
        if i == 0:
            prev[0] = inf
    return float(prev[m])


@njit(cache=True, nogil=True, fastmath=True)
def _diagonal_step(xs: F64, ys: F64, d2: F64, d1: F64, out: F64, metric: int) -> None:  # pragma: no cover
    # Fresh zero-based views with no overlap visible to LLVM: this loop vectorises.
    if metric == 0:
        for t in range(xs.shape[0]):
            diff = xs[t] - ys[t]
            a = d2[t]
            b = d1[t]
            c = d1[t + 1]
            u = a if a < b else b
            u = u if u < c else c
            out[t] = diff * diff + u
    else:
        for t in range(xs.shape[0]):
            a = d2[t]
            b = d1[t]
            c = d1[t + 1]
            u = a if a < b else b
            u = u if u < c else c
            out[t] = abs(xs[t] - ys[t]) + u


@njit(cache=True, nogil=True)
def dtw_cost_univariate(x: F64, y: F64, window: int, metric: int) -> float:  # pragma: no cover
    """Univariate DTW over anti-diagonals.

    Cells on one anti-diagonal ``k = i + j`` do not depend on each other, so
    the inner loop has no serial dependency and vectorises; ``y`` is read
    reversed to keep that loop's memory access contiguous. Three diagonal
    buffers rotate, indexed by ``i + 1`` (index 0 is the virtual row -1).
    Inputs are finite (validated), so ``fastmath`` cannot change a result.
    """
    n, m = x.shape[0], y.shape[0]
    inf = np.inf
    yr = y[::-1].copy()
    d2 = np.full(n + 2, inf)
    d1 = np.full(n + 2, inf)
    cur = np.full(n + 2, inf)
    d2[0] = 0.0  # the virtual cell (-1, -1) before the origin
    dn = max(0, n - m)
    dm = max(0, m - n)
    for k in range(n + m - 1):
        lo = max(0, k - (m - 1))
        hi = min(n - 1, k)
        if window >= 0:
            lo = max(lo, (k - dm - window + 1) // 2)
            hi = min(hi, (k + dn + window) // 2)
        # Bands only move forward, by one cell per diagonal at most: these two
        # cells are the only stale ones a later diagonal can read.
        cur[lo] = inf
        cur[hi + 2] = inf
        off = m - 1 - k
        _diagonal_step(
            x[lo : hi + 1],
            yr[off + lo : off + hi + 1],
            d2[lo : hi + 1],
            d1[lo : hi + 2],
            cur[lo + 1 : hi + 2],
            metric,
        )
        d2, d1, cur = d1, cur, d2
    return float(d1[n])


@njit(cache=True, nogil=True)
def dtw_cost_matrix(a: F64, b: F64, window: int, metric: int) -> F64:  # pragma: no cover
    """The full (n+1) x (m+1) accumulated-cost matrix; inf outside the band."""
    n, m = a.shape[0], b.shape[0]
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(n):
        lo, hi = _band(i, n, m, window)
        for j in range(lo, hi + 1):
            best = acc[i, j]
            if acc[i, j + 1] < best:
                best = acc[i, j + 1]
            if acc[i + 1, j] < best:
                best = acc[i + 1, j]
            acc[i + 1, j + 1] = _local(a, i, b, j, metric) + best
    return acc


@njit(cache=True, nogil=True)
def backtrack(acc: F64) -> I64:  # pragma: no cover
    """The optimal path from (0, 0) to (n-1, m-1); ties prefer the diagonal."""
    i, j = acc.shape[0] - 1, acc.shape[1] - 1
    path = np.empty((i + j, 2), dtype=np.int64)
    k = 0
    while True:
        path[k, 0] = i - 1
        path[k, 1] = j - 1
        k += 1
        if i == 1 and j == 1:
            break
        diag = acc[i - 1, j - 1]
        up = acc[i - 1, j]
        left = acc[i, j - 1]
        if diag <= up and diag <= left:
            i -= 1
            j -= 1
        elif up <= left:
            i -= 1
        else:
            j -= 1
    return path[:k][::-1].copy()


@njit(cache=True, nogil=True, fastmath=True)
def _lanes_row(
    x: float, block: F64, prev: F64, curr: F64, left: F64, metric: int
) -> None:  # pragma: no cover
    # One DP row for all lanes; fresh zero-based views let the lane loop vectorise.
    for j in range(block.shape[0]):
        for lane in range(block.shape[1]):
            diff = x - block[j, lane]
            c = diff * diff if metric == 0 else abs(diff)
            a = prev[j, lane]
            b = prev[j + 1, lane]
            e = left[lane]
            u = a if a < b else b
            u = u if u < e else e
            v = c + u
            left[lane] = v
            curr[j, lane] = v


@njit(cache=True, nogil=True)
def _lanes_cost(q: F64, block: F64, window: int, metric: int, out: F64) -> None:  # pragma: no cover
    """DTW of univariate ``q`` against LANES equal-length series at once.

    ``block`` is ``(m, LANES)``: the series side by side, so the innermost
    loop runs over lanes and compiles to SIMD min/add (the serial dependency
    along a row stays, but 32 independent rows hide its latency). Inputs are
    finite (validated), so ``fastmath`` cannot change a result.
    """
    n, m = q.shape[0], block.shape[0]
    lanes = block.shape[1]
    inf = np.inf
    prev = np.full((m + 1, lanes), inf)
    curr = np.full((m + 1, lanes), inf)
    left = np.empty(lanes)
    prev[0, :] = 0.0
    for i in range(n):
        lo, hi = _band(i, n, m, window)
        # Bands only move right, one column per row at most: these are the
        # only stale cells a later row can read.
        for j in range(max(lo - 1, 0), lo + 1):
            curr[j, :] = inf
        left[:] = inf
        _lanes_row(q[i], block[lo : hi + 1], prev[lo : hi + 2], curr[lo + 1 : hi + 2], left, metric)
        prev, curr = curr, prev
    out[:] = prev[m]


@njit(cache=True, nogil=True, parallel=True)
def one_to_many_equal(q: F64, series: F64, window: int, metric: int) -> F64:  # pragma: no cover
    """Costs of ``q`` against each row of ``series`` (N, m), equal lengths, univariate."""
    count, m = series.shape
    blocks = (count + LANES - 1) // LANES
    out = np.empty(count)
    for blk in prange(blocks):
        start = blk * LANES
        stop = min(start + LANES, count)
        block = np.zeros((m, LANES))
        for lane in range(stop - start):
            for j in range(m):
                block[j, lane] = series[start + lane, j]
        res = np.empty(LANES)
        _lanes_cost(q[:, 0], block, window, metric, res)
        for lane in range(stop - start):
            out[start + lane] = res[lane]
    return out


@njit(cache=True, nogil=True, parallel=True)
def matrix_equal(series: F64, window: int, metric: int) -> F64:  # pragma: no cover
    """All-pairs costs for N univariate series of equal length (rows of ``series``).

    Tasks are (row i, block of LANES columns j >= i); each writes its own cells.
    """
    count, m = series.shape
    blocks = (count + LANES - 1) // LANES
    n_tasks = 0
    for blk in range(blocks):
        n_tasks += min(count, (blk + 1) * LANES)
    task_i = np.empty(n_tasks, dtype=np.int64)
    task_b = np.empty(n_tasks, dtype=np.int64)
    t = 0
    for blk in range(blocks):
        for i in range(min(count, (blk + 1) * LANES)):
            task_i[t] = i
            task_b[t] = blk
            t += 1
    packed = np.zeros((blocks, m, LANES))
    for idx in range(count):
        for j in range(m):
            packed[idx // LANES, j, idx % LANES] = series[idx, j]
    out = np.zeros((count, count))
    for t in prange(n_tasks):
        i = task_i[t]
        blk = task_b[t]
        res = np.empty(LANES)
        _lanes_cost(series[i], packed[blk], window, metric, res)
        start = blk * LANES
        for lane in range(min(LANES, count - start)):
            j = start + lane
            if j > i:
                out[i, j] = res[lane]
    for i in range(count):
        for j in range(i + 1, count):
            out[j, i] = out[i, j]
    return out


@njit(cache=True, nogil=True, parallel=True)
def pairs_generic(
    flat: F64, offsets: I64, pair_i: I64, pair_j: I64, window: int, metric: int
) -> F64:  # pragma: no cover
    """Costs of arbitrary (i, j) pairs of series packed end to end in ``flat``."""
    out = np.empty(pair_i.shape[0])
    for t in prange(pair_i.shape[0]):
        i, j = pair_i[t], pair_j[t]
        a = flat[offsets[i] : offsets[i + 1]]
        b = flat[offsets[j] : offsets[j + 1]]
        if flat.shape[1] == 1:
            out[t] = dtw_cost_univariate(a[:, 0], b[:, 0], window, metric)
        else:
            out[t] = dtw_cost(a, b, window, metric)
    return out


@njit(cache=True, nogil=True)
def subsequence_costs(series: F64, pattern: F64, metric: int) -> tuple[F64, I64]:  # pragma: no cover
    """Subsequence DTW: for each end ``e``, the best cost over all starts, and that start.

    Free start and end in ``series`` (Müller 2007, sec. 4.4): row 0 of the
    accumulated matrix is zero, and each cell carries the start of its path.
    """
    n, m = series.shape[0], pattern.shape[0]
    inf = np.inf
    prev = np.zeros(n + 1)
    prev_start = np.arange(n + 1) - 1  # column j+1 starts at series index j
    curr = np.empty(n + 1)
    curr_start = np.empty(n + 1, dtype=np.int64)
    for i in range(m):
        curr[0] = inf
        curr_start[0] = 0
        for j in range(n):
            c = _local(pattern, i, series, j, metric)
            best = prev[j]
            start = prev_start[j]
            if i == 0:
                # The pattern's first sample may open a match at any j.
                best = 0.0
                start = j
                if curr[j] < best:
                    best = curr[j]
                    start = curr_start[j]
            else:
                if prev[j + 1] < best:
                    best = prev[j + 1]
                    start = prev_start[j + 1]
                if curr[j] < best:
                    best = curr[j]
                    start = curr_start[j]
            curr[j + 1] = c + best
            curr_start[j + 1] = start
        prev, curr = curr, prev
        prev_start, curr_start = curr_start, prev_start
    return prev[1:].copy(), prev_start[1:].copy()


@njit(cache=True, nogil=True, parallel=True)
def sliding_costs(series: F64, pattern: F64, window: int, metric: int) -> F64:  # pragma: no cover
    """Banded DTW of ``pattern`` against every length-m window of ``series``."""
    n, m = series.shape[0], pattern.shape[0]
    out = np.empty(n - m + 1)
    for s in prange(n - m + 1):
        out[s] = dtw_cost(pattern, series[s : s + m], window, metric)
    return out
