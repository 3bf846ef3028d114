"""Numba kernels for attractor analysis. Private: call :mod:`attractor` instead.

Conventions shared by every kernel:

* a point cloud is a C-contiguous float64 array of shape ``(n, d)``, one
  delay vector (or state vector) per row, in time order;
* nearest-neighbour searches use the projection method of Friedman, Baskett
  & Shustek (1975): the points are sorted once by their first coordinate and
  a query walks outwards from its own rank until the gap in that coordinate
  alone exceeds the best distance found. Memory is O(n); on a
  low-dimensional attractor only a thin slab of points is ever visited;
* ``norm`` 0 is the euclidean distance, 1 the maximum (Chebyshev) norm;
* distances at or below ``floor`` (exact or rounding-level duplicates, say
  of a sampled sine whose period is a whole number of samples) carry no
  information about divergence: such points are never neighbours and such
  pairs are not averaged;
* a *Theiler window* ``w`` excludes candidates ``j`` with ``|i - j| <= w``
  (Theiler 1986), so that temporally correlated points are not counted as
  neighbours.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, prange

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@njit(cache=True, nogil=True, inline="always")
def _dist(pts: F64, i: int, j: int, norm: int) -> float:  # pragma: no cover
    s = 0.0
    if norm == 0:
        for k in range(pts.shape[1]):
            diff = pts[i, k] - pts[j, k]
            s += diff * diff
        return float(np.sqrt(s))
    for k in range(pts.shape[1]):
        diff = abs(pts[i, k] - pts[j, k])
        if diff > s:
            s = diff
    return s


@njit(cache=True, nogil=True, inline="always")
def _nearest(
    pts: F64, order: I64, rank: I64, i: int, theiler: int, limit: int, norm: int, floor: float
) -> tuple[int, float]:  # pragma: no cover
    """Nearest neighbour of row ``i`` (projection search); ``(-1, inf)`` when there is none."""
    n = order.shape[0]
    x0 = pts[i, 0]
    best = np.inf
    best_j = -1
    up = rank[i] + 1
    down = rank[i] - 1
    up_open = up < n
    down_open = down >= 0
    while up_open or down_open:
        if up_open:
            j = order[up]
            gap = pts[j, 0] - x0
            if gap >= best:
                up_open = False
            else:
                if abs(j - i) > theiler and j < limit:
                    d = _dist(pts, i, j, norm)
                    if floor < d < best:
                        best = d
                        best_j = j
                up += 1
                up_open = up < n
        if down_open:
            j = order[down]
            gap = x0 - pts[j, 0]
            if gap >= best:
                down_open = False
            else:
                if abs(j - i) > theiler and j < limit:
                    d = _dist(pts, i, j, norm)
                    if floor < d < best:
                        best = d
                        best_j = j
                down -= 1
                down_open = down >= 0
    return best_j, best


@njit(cache=True, nogil=True)
def nearest_neighbours(
    pts: F64, order: I64, rank: I64, queries: I64, theiler: int, limit: int, norm: int, floor: float
) -> tuple[I64, F64]:  # pragma: no cover
    """Nearest neighbour of each query point among rows ``j < limit``.

    Candidates within the Theiler window or at most ``floor`` away are skipped. ``order``
    sorts the rows by their first coordinate and ``rank`` is its inverse.
    Returns the neighbour index (-1 when there is none) and the distance.
    Serial: a few thousand queries on an attractor take milliseconds, less
    than waking threads costs on a busy machine.
    """
    nq = queries.shape[0]
    out_idx = np.full(nq, -1, dtype=np.int64)
    out_dist = np.full(nq, np.inf)
    for q in range(nq):
        out_idx[q], out_dist[q] = _nearest(pts, order, rank, queries[q], theiler, limit, norm, floor)
    return out_idx, out_dist


@njit(cache=True, nogil=True)
def build_grid(pts: F64, limit: int, per_box: float = 4.0) -> tuple[I64, I64, F64]:  # pragma: no cover
    """Box grid over the first two coordinates of rows ``< limit`` (Schreiber 1995's box-assisted search).

    About ``per_box`` rows per box on average. Returns ``start`` (box ``c`` holds
    ``members[start[c]:start[c + 1]]``, boxes numbered ``cx * g + cy``),
    ``members`` and ``geometry = (g, lo0, lo1, width0, width1)``.
    """
    g = max(1, int(np.sqrt(limit / per_box)))
    lo0 = np.inf
    hi0 = -np.inf
    lo1 = np.inf
    hi1 = -np.inf
    for t in range(limit):
        lo0 = min(lo0, pts[t, 0])
        hi0 = max(hi0, pts[t, 0])
        lo1 = min(lo1, pts[t, 1])
        hi1 = max(hi1, pts[t, 1])
    w0 = (hi0 - lo0) / g if hi0 > lo0 else 1.0
    w1 = (hi1 - lo1) / g if hi1 > lo1 else 1.0
    geometry = np.array([float(g), lo0, lo1, w0, w1])
    start = np.zeros(g * g + 1, dtype=np.int64)
    box = np.empty(limit, dtype=np.int64)
    for t in range(limit):
        box[t] = _box(pts[t, 0], pts[t, 1], geometry)
        start[box[t] + 1] += 1
    for c in range(g * g):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    members = np.empty(limit, dtype=np.int64)
    for t in range(limit):
        members[fill[box[t]]] = t
        fill[box[t]] += 1
    return start, members, geometry


@njit(cache=True, nogil=True, inline="always")
def _cell(v: float, lo: float, width: float, g: int) -> int:  # pragma: no cover
    c = int(np.floor((v - lo) / width))
    if c < 0:
        return 0
    if c >= g:
        return g - 1
    return c


@njit(cache=True, nogil=True, inline="always")
def _box(v0: float, v1: float, geometry: F64) -> int:  # pragma: no cover
    g = int(geometry[0])
    return _cell(v0, geometry[1], geometry[3], g) * g + _cell(v1, geometry[2], geometry[4], g)


@njit(cache=True, nogil=True, inline="always")
def _ring(cx: int, cy: int, r: int, g: int, cells: I64) -> int:  # pragma: no cover
    """Write the boxes of ring ``r`` around box ``(cx, cy)`` that lie on the grid into ``cells``.

    Returns how many; ``cells`` needs room for ``8 r`` (1 for ``r = 0``).
    """
    n = 0
    for dx in range(-r, r + 1):
        x = cx + dx
        if x < 0 or x >= g:
            continue
        step = 1 if (dx == -r or dx == r) else 2 * r  # inner columns: only the top and bottom box
        dy = -r
        while dy <= r:
            y = cy + dy
            if 0 <= y < g:
                cells[n] = x * g + y
                n += 1
            dy += step
    return n


@njit(cache=True, nogil=True)
def _grid_nearest(
    pts: F64,
    start: I64,
    members: I64,
    geometry: F64,
    i: int,
    theiler: int,
    norm: int,
    floor: float,
) -> tuple[int, float]:  # pragma: no cover
    """Nearest neighbour of row ``i`` among the grid's rows; ties go to the lowest index.

    Rings of boxes around the query's box are searched outwards until the
    next ring cannot hold anything closer: a row in ring ``r`` is at least
    ``(r - 1)`` box widths away in one of the first two coordinates, a lower
    bound on both norms.
    """
    g = int(geometry[0])
    cx = _cell(pts[i, 0], geometry[1], geometry[3], g)
    cy = _cell(pts[i, 1], geometry[2], geometry[4], g)
    wmin = min(geometry[3], geometry[4])
    best = np.inf
    best_j = -1
    cells = np.empty(8 * g + 1, dtype=np.int64)
    for r in range(g + 1):
        if r >= 1 and (r - 1) * wmin > best:
            break
        for t in range(_ring(cx, cy, r, g, cells)):
            c = cells[t]
            for p in range(start[c], start[c + 1]):
                j = members[p]
                if abs(j - i) > theiler:
                    d = _dist(pts, i, j, norm)
                    if d > floor and (d < best or (d == best and j < best_j)):
                        best = d
                        best_j = j
    return best_j, best


@njit(cache=True, nogil=True)
def grid_neighbours(
    pts: F64, queries: I64, theiler: int, limit: int, norm: int, floor: float
) -> tuple[I64, F64]:  # pragma: no cover
    """As :func:`nearest_neighbours`, by a box grid on the first two coordinates (needs ``d >= 2``).

    The projection method visits a slab whose width is the neighbour
    distance; in 3 or more dimensions (noise, or a high embedding) that slab
    holds a large part of the points, the grid's few boxes do not. Ties go
    to the lowest index, as in a brute-force scan.
    """
    start, members, geometry = build_grid(pts, limit)
    nq = queries.shape[0]
    out_idx = np.full(nq, -1, dtype=np.int64)
    out_dist = np.full(nq, np.inf)
    for q in range(nq):
        i = queries[q]
        out_idx[q], out_dist[q] = _grid_nearest(pts, start, members, geometry, i, theiler, norm, floor)
    return out_idx, out_dist


@njit(cache=True, nogil=True)
def divergence(
    pts: F64, refs: I64, nbrs: I64, horizon: int, blocks: int, floor: float
) -> tuple[F64, F64]:  # pragma: no cover
    """Summed ``ln |X[i + k] - X[j + k]|`` over reference pairs, per block and step.

    Pairs ``(refs[p], nbrs[p])`` are split into ``blocks`` contiguous groups
    (for a block-jackknife error). Returns ``sums`` and ``counts`` of shape
    ``(blocks, horizon + 1)``; pairs whose continuation leaves the series or
    whose distance is at most ``floor`` do not count at that step.
    """
    n = pts.shape[0]
    dims = pts.shape[1]
    npairs = refs.shape[0]
    floor2 = floor * floor
    sums = np.zeros((blocks, horizon + 1))
    counts = np.zeros((blocks, horizon + 1))
    for b in range(blocks):
        # Block b holds the pairs p with (p * blocks) // npairs == b.
        lo = (b * npairs + blocks - 1) // blocks
        hi = ((b + 1) * npairs + blocks - 1) // blocks
        for p in range(lo, hi):
            i = refs[p]
            j = nbrs[p]
            if j < 0:
                continue
            for k in range(horizon + 1):
                if i + k >= n or j + k >= n:
                    break
                d2 = 0.0
                for c in range(dims):
                    diff = pts[i + k, c] - pts[j + k, c]
                    d2 += diff * diff
                if d2 > floor2:
                    sums[b, k] += 0.5 * np.log(d2)
                    counts[b, k] += 1.0
    return sums, counts


#: Mantissa bits of a distance that, with its exponent, index the bin table of the correlation sum.
_TABLE_BITS = 10
_SHIFT = 52 - _TABLE_BITS


@njit(cache=True, nogil=True, inline="always")
def _log_bin(d: float, log_rmin: float, inv_width: float, nbins: int) -> int:  # pragma: no cover
    if d <= 0.0:
        return 0
    b = int(np.floor((np.log(d) - log_rmin) * inv_width))
    if b < 0:
        return 0
    if b >= nbins:
        return nbins - 1
    return b


@njit(cache=True, nogil=True)
def _bin_table(log_rmin: float, inv_width: float, nbins: int) -> tuple[I64, int]:  # pragma: no cover
    """Bin of every positive double by its exponent and top mantissa bits, -1 where a bin edge cuts.

    Key ``k`` (the bits of ``d`` shifted right by ``_SHIFT``) covers the doubles
    from ``bits k << _SHIFT`` to ``((k + 1) << _SHIFT) - 1``; the bin is monotone in
    ``d``, so the cell has one bin when its two ends have the same. Returns the
    table and the key of its first entry; keys below it are bin 0, above it the last bin.
    """
    buf = np.empty(1)
    ibuf = buf.view(np.int64)
    buf[0] = np.exp(log_rmin)
    k_lo = (ibuf[0] >> _SHIFT) - 1
    buf[0] = np.exp(log_rmin + (nbins + 1) / inv_width)
    k_hi = (ibuf[0] >> _SHIFT) + 1
    table = np.empty(k_hi - k_lo + 1, dtype=np.int64)
    for t in range(table.shape[0]):
        k = k_lo + t
        ibuf[0] = k << _SHIFT
        a = _log_bin(buf[0], log_rmin, inv_width, nbins)
        ibuf[0] = ((k + 1) << _SHIFT) - 1
        b = _log_bin(buf[0], log_rmin, inv_width, nbins)
        table[t] = a if a == b else -1
    return table, k_lo


@njit(cache=True, nogil=True, parallel=True)
def correlation_histogram(
    pts: F64, rows: I64, theiler: int, log_rmin: float, inv_width: float, nbins: int
) -> F64:  # pragma: no cover
    """Histogram of ``ln`` of maximum-norm pair distances, for the correlation sum.

    Every pair ``(i, j)`` with ``i`` in ``rows`` and ``j > i + theiler``
    counts once, in bin ``floor((ln d - log_rmin) * inv_width)`` clipped to
    ``[0, nbins - 1]`` (bin 0 also collects distances below ``exp(log_rmin)``,
    including zeros). Memory is O(nbins) per thread, never O(n^2). The bin is
    looked up from the distance's exponent and top mantissa bits
    (:func:`_bin_table`); only the rare distances whose table cell a bin edge
    cuts take a logarithm, so the result is exactly that of the formula.
    """
    n = pts.shape[0]
    dims = pts.shape[1]
    nrows = rows.shape[0]
    chunks = min(nrows, 64)
    hist = np.zeros((chunks, nbins))
    table, k_lo = _bin_table(log_rmin, inv_width, nbins)
    k_hi = k_lo + table.shape[0] - 1
    for c in prange(chunks):
        lo = (c * nrows) // chunks
        hi = ((c + 1) * nrows) // chunks
        counts = np.zeros(nbins, dtype=np.int64)
        buf = np.empty(1)
        ibuf = buf.view(np.int64)
        for r in range(lo, hi):
            i = rows[r]
            for j in range(i + theiler + 1, n):
                d = 0.0
                for k in range(dims):
                    diff = abs(pts[i, k] - pts[j, k])
                    if diff > d:
                        d = diff
                if d <= 0.0:
                    counts[0] += 1
                    continue
                buf[0] = d
                key = ibuf[0] >> _SHIFT
                if key < k_lo:
                    b = 0
                elif key > k_hi:
                    b = nbins - 1
                else:
                    b = table[key - k_lo]
                    if b < 0:
                        b = _log_bin(d, log_rmin, inv_width, nbins)
                counts[b] += 1
        for b in range(nbins):
            hist[c, b] = counts[b]
    out: F64 = hist.sum(axis=0)
    return out


@njit(cache=True, nogil=True)
def mutual_information(ranks: I64, bins: int, max_lag: int) -> F64:  # pragma: no cover
    """Average mutual information (nats) between ``x[t]`` and ``x[t + lag]``, lag 0..max_lag.

    ``ranks`` are the samples' ranks scaled to ``0 .. bins - 1``, so the
    marginals are (nearly) uniform and the histogram estimate is the
    equiprobable-partition estimator (Fraser & Swinney 1986, simplified).
    """
    n = ranks.shape[0]
    out = np.zeros(max_lag + 1)
    joint = np.zeros((bins, bins))
    pa = np.zeros(bins)
    pb = np.zeros(bins)
    for lag in range(max_lag + 1):
        joint[:, :] = 0.0
        pa[:] = 0.0
        pb[:] = 0.0
        m = n - lag
        for t in range(m):
            a = ranks[t]
            b = ranks[t + lag]
            joint[a, b] += 1.0
            pa[a] += 1.0
            pb[b] += 1.0
        mi = 0.0
        for a in range(bins):
            for b in range(bins):
                c = joint[a, b]
                if c > 0.0:
                    mi += c * np.log(c * m / (pa[a] * pb[b]))
        out[lag] = mi / m
    return out


@njit(cache=True, nogil=True)
def cao_step(
    x: F64, delay: int, d: int, queries: I64, theiler: int, floor: float
) -> tuple[float, float]:  # pragma: no cover
    """Cao's (1997) ``E(d)`` and ``E*(d)`` (0 when undefined).

    The delay vectors that also exist in dimension ``d + 1`` are searched
    (maximum norm) for the nearest neighbour ``n`` of each query ``i``;
    ``E(d)`` averages ``|y_i^(d+1) - y_n^(d+1)| / |y_i^(d) - y_n^(d)|`` and
    ``E*(d)`` averages ``|x[i + d tau] - x[n + d tau]|``. Queries past the end
    of the shorter embedding are ignored.
    """
    m = x.shape[0] - d * delay  # vectors that exist in dimension d + 1
    if m < 2:
        return 0.0, 0.0
    pts = np.empty((m, d))
    for t in range(m):
        for k in range(d):
            pts[t, k] = x[t + k * delay]
    nq = 0
    for q in range(queries.shape[0]):
        if queries[q] < m:
            nq += 1
    qs = np.empty(nq, dtype=np.int64)
    c = 0
    for q in range(queries.shape[0]):
        if queries[q] < m:
            qs[c] = queries[q]
            c += 1
    if d >= 2:
        idx, dist = grid_neighbours(pts, qs, theiler, m, 1, floor)
    else:
        order = np.argsort(pts[:, 0]).astype(np.int64)
        rank = np.empty(m, dtype=np.int64)
        for r in range(m):
            rank[order[r]] = r
        idx, dist = nearest_neighbours(pts, order, rank, qs, theiler, m, 1, floor)
    total = 0.0
    total_star = 0.0
    used = 0
    for q in range(nq):
        j = idx[q]
        if j < 0:
            continue
        i = qs[q]
        extra = abs(x[i + d * delay] - x[j + d * delay])
        total += max(dist[q], extra) / dist[q]
        total_star += extra
        used += 1
    if used == 0:
        return 0.0, 0.0
    return total / used, total_star / used


@njit(cache=True, nogil=True)
def prediction_error(
    pts: F64, target: F64, order: I64, rank: I64, queries: I64, theiler: int, limit: int, floor: float
) -> float:  # pragma: no cover
    """RMS error of the nearest-neighbour (zeroth-order) predictor of ``target``.

    Each query ``i`` is predicted as ``target[j]`` with ``j`` its nearest
    neighbour (euclidean) among rows ``< limit`` outside the Theiler window
    (Farmer & Sidorowich 1987; the discriminating statistic of Theiler et
    al. 1992's surrogate tests). Serial: the surrogates run in parallel.
    """
    total = 0.0
    used = 0
    for q in range(queries.shape[0]):
        i = queries[q]
        j, _ = _nearest(pts, order, rank, i, theiler, limit, 0, floor)
        if j >= 0:
            diff = target[i] - target[j]
            total += diff * diff
            used += 1
    return np.sqrt(total / used) if used > 0 else np.inf


@njit(cache=True, nogil=True, parallel=True)
def prediction_errors(
    series: F64, delay: int, dim: int, steps: int, queries: I64, theiler: int, floor_fraction: float
) -> F64:  # pragma: no cover
    """:func:`prediction_error` ``steps`` ahead for each series ``series[s]`` (shape ``(k, n, c)``).

    With ``delay > 0`` column 0 is delay-embedded in ``dim`` dimensions;
    with ``delay == 0`` the rows are the state vectors. The target is column
    0 ``steps`` samples after a point's last coordinate; the error is divided
    by that column's standard deviation. Distances at most ``floor_fraction``
    times the largest coordinate standard deviation are duplicates.
    """
    k = series.shape[0]
    n = series.shape[1]
    c = series.shape[2]
    out = np.empty(k)
    for s in prange(k):
        x = series[s]
        v = x[:, 0].copy()
        if delay > 0:
            span = (dim - 1) * delay
            m = n - span - steps
            d = dim
        else:
            span = 0
            m = n - steps
            d = c
        pts = np.empty((m, d))
        for t in range(m):
            for a in range(d):
                pts[t, a] = x[t + a * delay, 0] if delay > 0 else x[t, a]
        target = v[span + steps : span + steps + m].copy()
        spread = 0.0
        for a in range(d):
            sd = float(np.std(pts[:, a]))
            if sd > spread:
                spread = sd
        floor = floor_fraction * spread
        if d >= 2:
            idx, _ = grid_neighbours(pts, queries, theiler, m, 0, floor)
            total = 0.0
            used = 0
            for q in range(queries.shape[0]):
                j = idx[q]
                if j >= 0:
                    diff = target[queries[q]] - target[j]
                    total += diff * diff
                    used += 1
            err = np.sqrt(total / used) if used > 0 else np.inf
        else:
            order = np.argsort(pts[:, 0], kind="mergesort").astype(np.int64)
            rank = np.empty(m, dtype=np.int64)
            for r in range(m):
                rank[order[r]] = r
            err = prediction_error(pts, target, order, rank, queries, theiler, m, floor)
        out[s] = err / max(np.std(v), 1e-300)
    return out


@njit(cache=True, nogil=True)
def longest_band(values: F64, ratio: float) -> tuple[int, int]:  # pragma: no cover
    """Longest run ``values[a:b + 1]`` of finite positive values with ``max <= ratio * min``.

    Ties go to the earlier run; returns ``(-1, -1)`` when there is none.
    """
    n = values.shape[0]
    best_a, best_b = -1, -1
    for a in range(n):
        v = values[a]
        if not (v > 0.0) or not np.isfinite(v):
            continue
        lo = v
        hi = v
        b = a
        while b + 1 < n:
            w = values[b + 1]
            if not (w > 0.0) or not np.isfinite(w):
                break
            nlo = min(lo, w)
            nhi = max(hi, w)
            if nhi > ratio * nlo:
                break
            lo, hi = nlo, nhi
            b += 1
        if b - a > best_b - best_a:
            best_a, best_b = a, b
    return best_a, best_b


@njit(cache=True, nogil=True, parallel=True)
def grid_k_neighbours(
    pts: F64, queries: I64, k: int, theiler: int, limit: int, floor: float
) -> tuple[I64, F64]:  # pragma: no cover
    """The ``k`` nearest rows ``j < limit`` (euclidean) of each query, nearest first (needs ``d >= 2``).

    As :func:`grid_neighbours` (box grid on the first two coordinates, Theiler
    window, duplicates at most ``floor`` away skipped, ties to the lowest
    index), keeping the ``k`` best: the ring search stops once the next ring
    cannot hold anything closer than the ``k``-th best. Missing neighbours
    are -1 at distance ``inf``.
    """
    start, members, geometry = build_grid(pts, limit, 2.0)
    g = int(geometry[0])
    wmin = min(geometry[3], geometry[4])
    nq = queries.shape[0]
    out_idx = np.full((nq, k), -1, dtype=np.int64)
    out_dist = np.full((nq, k), np.inf)
    for q in prange(nq):
        i = queries[q]
        bi = out_idx[q]
        bd = out_dist[q]
        cx = _cell(pts[i, 0], geometry[1], geometry[3], g)
        cy = _cell(pts[i, 1], geometry[2], geometry[4], g)
        cells = np.empty(8 * g + 1, dtype=np.int64)
        for r in range(g + 1):
            if r >= 1 and (r - 1) * wmin > bd[k - 1]:
                break
            for t in range(_ring(cx, cy, r, g, cells)):
                c = cells[t]
                for p in range(start[c], start[c + 1]):
                    j = members[p]
                    if abs(j - i) <= theiler:
                        continue
                    d = _dist(pts, i, j, 0)
                    if d <= floor or d > bd[k - 1] or (d == bd[k - 1] and j > bi[k - 1] >= 0):
                        continue
                    # Insert (d, j) into the sorted list (ties by index).
                    s = k - 1
                    while s > 0 and (bd[s - 1] > d or (bd[s - 1] == d and bi[s - 1] > j)):
                        bd[s] = bd[s - 1]
                        bi[s] = bi[s - 1]
                        s -= 1
                    bd[s] = d
                    bi[s] = j
    return out_idx, out_dist


@njit(cache=True, nogil=True, inline="always")
def _lstsq_mgs(a: F64, b: F64, out: F64, tol: float) -> None:  # pragma: no cover
    """Least squares ``a c = b`` (``b``: several right-hand sides) by modified Gram-Schmidt, in place.

    ``a`` (k x p, overwritten by Q) and ``b`` (k x r, overwritten by the
    residuals); ``out`` (p x r) receives the coefficients. Columns of ``a``
    are scaled to unit norm first; a column whose remaining norm falls below
    ``tol`` (linearly dependent on the ones before it: the neighbourhood does
    not span it) gets coefficient 0.
    """
    k, p = a.shape
    r = b.shape[1]
    scale = np.zeros(p)
    rr = np.zeros((p, p))
    qb = np.zeros((p, r))
    keep = np.zeros(p, dtype=np.bool_)
    for c in range(p):
        s = 0.0
        for i in range(k):
            s += a[i, c] * a[i, c]
        s = np.sqrt(s)
        scale[c] = s if s > 0.0 else 1.0
        for i in range(k):
            a[i, c] /= scale[c]
    for c in range(p):
        for e in range(c):
            if not keep[e]:
                continue
            dot = 0.0
            for i in range(k):
                dot += a[i, e] * a[i, c]
            rr[e, c] = dot
            for i in range(k):
                a[i, c] -= dot * a[i, e]
        s = 0.0
        for i in range(k):
            s += a[i, c] * a[i, c]
        s = np.sqrt(s)
        if s <= tol:
            continue
        keep[c] = True
        rr[c, c] = s
        for i in range(k):
            a[i, c] /= s
        for o in range(r):
            dot = 0.0
            for i in range(k):
                dot += a[i, c] * b[i, o]
            qb[c, o] = dot
            for i in range(k):
                b[i, o] -= dot * a[i, c]
    for o in range(r):
        for c in range(p - 1, -1, -1):
            if not keep[c]:
                out[c, o] = 0.0
                continue
            v = qb[c, o]
            for e in range(c + 1, p):
                v -= rr[c, e] * out[e, o]
            out[c, o] = v / rr[c, c]
    for c in range(p):
        for o in range(r):
            out[c, o] /= scale[c]


@njit(cache=True, nogil=True, parallel=True)
def local_jacobians(
    pts: F64, rows: I64, nbrs: I64, dists: F64, step: int, quadratic: bool, weighted: bool, tol: float
) -> F64:  # pragma: no cover
    """Jacobian at each row of the map ``X[t] -> X[t + step]``, from a local fit to its neighbours.

    For row ``t = rows[q]`` and its neighbours ``j = nbrs[q]`` (-1 entries
    ignored), ``X[j + step] - X[t + step]`` is fitted by least squares as a
    constant plus a linear (plus, with ``quadratic``, a quadratic)
    polynomial in ``u = X[j] - X[t]``; the linear coefficients are the
    Jacobian at ``X[t]`` (Eckmann & Ruelle 1986; the quadratic terms take up
    the curvature that biases a linear fit, Brown, Bryant & Abarbanel 1991).
    With ``weighted`` each neighbour's squared residual is weighted by the
    tricube ``(1 - (r / h)^3)^3`` of its distance ``r = dists[q, a]``, ``h``
    just beyond the farthest (Cleveland 1979): the fit leans on the nearest.
    Returns ``(len(rows), d, d)``; a row with too few neighbours gets zeros.
    """
    nq = rows.shape[0]
    d = pts.shape[1]
    kmax = nbrs.shape[1]
    p = 1 + d + (d * (d + 1) // 2 if quadratic else 0)
    out = np.zeros((nq, d, d))
    chunks = min(nq, 64)
    for ch in prange(chunks):
        # One set of buffers per chunk of rows, not per row.
        design = np.empty((kmax, p))
        rhs = np.empty((kmax, d))
        coef = np.empty((p, d))
        for q in range((ch * nq) // chunks, ((ch + 1) * nq) // chunks):
            t = rows[q]
            h = 0.0
            for a in range(kmax):
                if nbrs[q, a] >= 0 and dists[q, a] > h:
                    h = dists[q, a]
            h *= 1.0 + 1e-6
            cnt = 0
            for a in range(kmax):
                j = nbrs[q, a]
                if j < 0:
                    continue
                design[cnt, 0] = 1.0
                for c in range(d):
                    design[cnt, 1 + c] = pts[j, c] - pts[t, c]
                    rhs[cnt, c] = pts[j + step, c] - pts[t + step, c]
                if quadratic:
                    col = 1 + d
                    for c in range(d):
                        for e in range(c, d):
                            design[cnt, col] = design[cnt, 1 + c] * design[cnt, 1 + e]
                            col += 1
                if weighted and h > 0.0:
                    z = dists[q, a] / h
                    sw = np.sqrt((1.0 - z * z * z) ** 3)
                    for c in range(p):
                        design[cnt, c] *= sw
                    for c in range(d):
                        rhs[cnt, c] *= sw
                cnt += 1
            if cnt < p:
                continue
            _lstsq_mgs(design[:cnt], rhs[:cnt], coef, tol)
            for r in range(d):
                for c in range(d):
                    out[q, r, c] = coef[1 + c, r]
    return out


@njit(cache=True, nogil=True)
def qr_exponents(jacobians: F64, step: int, blocks: int, stride: int) -> tuple[F64, F64]:  # pragma: no cover
    """Summed ``ln`` stretch factors of the re-orthonormalised tangent space (Benettin et al. 1980).

    ``jacobians[t]`` maps ``t`` to ``t + step``: the rows form ``step``
    interleaved chains ``s, s + step, s + 2 step, ...``, of which those with
    ``s`` a multiple of ``stride`` are followed (only their rows are read);
    along each, ``Q``
    (the identity at first) is replaced by the orthonormal factor of
    ``J_t Q`` (modified Gram-Schmidt) and the logarithms of the column norms
    ``R_ii`` are added to the block of ``t`` (``t * blocks // n``). Returns
    ``sums`` (``(blocks, d)``, largest exponent first asymptotically) and the
    factors per block ``counts``; the exponents per sample are
    ``sums.sum(0) / (counts.sum() * step)``. A vanishing ``R_ii`` counts as
    ``ln 1e-300`` (its column restarts along a unit vector).
    """
    n = jacobians.shape[0]
    d = jacobians.shape[1]
    sums = np.zeros((blocks, d))
    counts = np.zeros(blocks)
    q = np.empty((d, d))
    m = np.empty((d, d))
    for s in range(0, min(step, n), stride):
        for r in range(d):
            for c in range(d):
                q[r, c] = 1.0 if r == c else 0.0
        for t in range(s, n, step):
            b = (t * blocks) // n
            for r in range(d):
                for c in range(d):
                    v = 0.0
                    for e in range(d):
                        v += jacobians[t, r, e] * q[e, c]
                    m[r, c] = v
            for c in range(d):
                for e in range(c):
                    dot = 0.0
                    for r in range(d):
                        dot += q[r, e] * m[r, c]
                    for r in range(d):
                        m[r, c] -= dot * q[r, e]
                norm = 0.0
                for r in range(d):
                    norm += m[r, c] * m[r, c]
                norm = np.sqrt(norm)
                sums[b, c] += np.log(max(norm, 1e-300))
                for r in range(d):
                    q[r, c] = m[r, c] / norm if norm > 0.0 else (1.0 if r == c else 0.0)
            counts[b] += 1.0
    return sums, counts
