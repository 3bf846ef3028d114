"""Attractor kernels against slow, obviously-correct references on small inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from midstream_mcp.core.analytics import _attractor_kernels as kern
from midstream_mcp.core.analytics import attractor


def dist(a: np.ndarray, b: np.ndarray, norm: int) -> float:
    diff = np.abs(a - b)
    return float(np.sqrt(np.sum(diff * diff))) if norm == 0 else float(diff.max())


def naive_nn(
    pts: np.ndarray, queries: np.ndarray, theiler: int, limit: int, norm: int, floor: float = 0.0
) -> tuple[list, list]:
    idx, dd = [], []
    for i in queries:
        best, best_j = math.inf, -1
        for j in range(limit):
            if abs(i - j) <= theiler:
                continue
            d = dist(pts[i], pts[j], norm)
            if floor < d < best:
                best, best_j = d, j
        idx.append(best_j)
        dd.append(best)
    return idx, dd


def sorted_index(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(pts[:, 0], kind="stable").astype(np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return order, rank


@pytest.mark.parametrize("norm", [0, 1])
@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("theiler", [0, 5])
def test_nearest_neighbours_match_brute_force(norm: int, dims: int, theiler: int) -> None:
    rng = np.random.default_rng(dims * 10 + theiler + norm)
    pts = rng.normal(size=(120, dims))
    pts[7] = pts[50]  # an exact duplicate is skipped, never a neighbour at distance 0
    pts[20] = pts[90] + 1e-13  # so is a rounding-level one
    order, rank = sorted_index(pts)
    queries = np.arange(0, 120, 3, dtype=np.int64)
    limit = 110
    floor = 1e-9
    idx, dd = kern.nearest_neighbours(pts, order, rank, queries, theiler, limit, norm, floor)
    ref_idx, ref_d = naive_nn(pts, queries, theiler, limit, norm, floor)
    assert min(dd) > floor
    np.testing.assert_allclose(dd, ref_d, rtol=1e-12)
    for i, j, ref_j in zip(queries, idx, ref_idx, strict=True):
        # Ties (the duplicated point) may resolve either way; the distance may not.
        assert j == ref_j or dist(pts[i], pts[j], norm) == dist(pts[i], pts[ref_j], norm)


@pytest.mark.parametrize("norm", [0, 1])
@pytest.mark.parametrize("dims", [2, 5])
@pytest.mark.parametrize("theiler", [0, 5])
@pytest.mark.parametrize("n", [9, 400])
def test_grid_neighbours_match_brute_force(norm: int, dims: int, theiler: int, n: int) -> None:
    rng = np.random.default_rng(dims * 10 + theiler + norm + n)
    pts = rng.normal(size=(n, dims)) * np.linspace(1.0, 0.2, dims)  # unequal extents: rectangular boxes
    pts[-1] *= 5.0  # an outlier stretches the grid; queries beyond the limit fall outside it
    pts[1] = pts[5]  # an exact duplicate is skipped
    if n > 20:
        pts[20] = pts[90] + 1e-13  # so is a rounding-level one
        pts[30] = 2 * pts[31] - pts[32]  # 31 is equally far from 30 and 32: ties go to the lower index
    queries = np.arange(0, n, 3, dtype=np.int64)
    limit = n - 4
    idx, dd = kern.grid_neighbours(pts, queries, theiler, limit, norm, 1e-9)
    ref_idx, ref_d = naive_nn(pts, queries, theiler, limit, norm, 1e-9)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dd, ref_d, rtol=1e-12)


def test_grid_neighbours_none_outside_window() -> None:
    pts = np.stack([np.arange(10.0), np.zeros(10)], axis=1)
    idx, dd = kern.grid_neighbours(pts, np.array([5], dtype=np.int64), 20, 10, 0, 0.0)
    assert idx[0] == -1 and dd[0] == math.inf


def test_nearest_neighbours_none_outside_window() -> None:
    pts = np.arange(10, dtype=np.float64).reshape(-1, 1)
    order, rank = sorted_index(pts)
    idx, dd = kern.nearest_neighbours(pts, order, rank, np.array([5], dtype=np.int64), 20, 10, 0, 0.0)
    assert idx[0] == -1 and dd[0] == math.inf


def test_divergence_matches_naive() -> None:
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(60, 2))
    pts[40] = pts[45]  # a zero distance is left out of the average
    refs = np.array([0, 3, 10, 20, 35, 40, 50], dtype=np.int64)
    nbrs = np.array([30, 12, 1, 5, 36, 45, 58], dtype=np.int64)
    horizon, blocks = 6, 3
    sums, counts = kern.divergence(pts, refs, nbrs, horizon, blocks, 0.0)
    ref_s = np.zeros((blocks, horizon + 1))
    ref_c = np.zeros((blocks, horizon + 1))
    for p, (i, j) in enumerate(zip(refs, nbrs, strict=True)):
        b = p * blocks // len(refs)
        for k in range(horizon + 1):
            if i + k >= len(pts) or j + k >= len(pts):
                break
            d = dist(pts[i + k], pts[j + k], 0)
            if d > 0:
                ref_s[b, k] += math.log(d)
                ref_c[b, k] += 1
    np.testing.assert_allclose(sums, ref_s, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(counts, ref_c)


@pytest.mark.parametrize("theiler", [0, 3])
def test_correlation_histogram_matches_all_pairs(theiler: int) -> None:
    rng = np.random.default_rng(4)
    pts = rng.uniform(size=(90, 3))
    pts[10] = pts[60]  # distance 0 lands in bin 0
    rows = np.arange(0, 90, 2, dtype=np.int64)
    log_rmin, nbins = math.log(1e-3), 40
    inv_width = nbins / (0.5 - log_rmin)
    hist = kern.correlation_histogram(pts, rows, theiler, log_rmin, inv_width, nbins)
    ref = np.zeros(nbins)
    for i in rows:
        for j in range(i + theiler + 1, len(pts)):
            d = dist(pts[i], pts[j], 1)
            b = 0 if d <= 0 else min(max(math.floor((math.log(d) - log_rmin) * inv_width), 0), nbins - 1)
            ref[b] += 1
    np.testing.assert_array_equal(hist, ref)


def test_mutual_information_matches_naive() -> None:
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(size=300))
    bins = 6
    ranks = attractor._ranks(x, bins)
    assert ranks.min() == 0 and ranks.max() == bins - 1
    ami = kern.mutual_information(ranks, bins, 4)
    for lag in range(5):
        a, b = ranks[: len(x) - lag], ranks[lag:]
        m = len(a)
        joint = np.zeros((bins, bins))
        for u, v in zip(a, b, strict=True):
            joint[u, v] += 1
        pa, pb = joint.sum(axis=1), joint.sum(axis=0)
        mi = sum(
            joint[u, v] / m * math.log(joint[u, v] * m / (pa[u] * pb[v]))
            for u in range(bins)
            for v in range(bins)
            if joint[u, v] > 0
        )
        assert ami[lag] == pytest.approx(mi, rel=1e-10)
    # Lag 0 of equiprobable bins is the entropy of the partition, ln(bins).
    assert ami[0] == pytest.approx(math.log(bins), rel=1e-2)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_cao_step_matches_naive(d: int) -> None:
    rng = np.random.default_rng(6)
    x = np.sin(0.37 * np.arange(150)) + 0.1 * rng.normal(size=150)
    delay, theiler = 2, 3
    queries = np.arange(0, 150, 4, dtype=np.int64)
    e, estar = kern.cao_step(x, delay, d, queries, theiler, 1e-9)
    m = len(x) - d * delay
    vec = np.array([[x[t + k * delay] for k in range(d)] for t in range(m)])
    ratios, extras = [], []
    for i in queries:
        if i >= m:
            continue
        best, best_j = math.inf, -1
        for j in range(m):
            if abs(i - j) > theiler:
                dd = dist(vec[i], vec[j], 1)
                if 0 < dd < best:
                    best, best_j = dd, j
        extra = abs(x[i + d * delay] - x[best_j + d * delay])
        ratios.append(max(best, extra) / best)
        extras.append(extra)
    assert e == pytest.approx(np.mean(ratios), rel=1e-12)
    assert estar == pytest.approx(np.mean(extras), rel=1e-12)


def test_prediction_error_matches_naive() -> None:
    rng = np.random.default_rng(7)
    pts = rng.normal(size=(80, 2))
    target = rng.normal(size=80)
    order, rank = sorted_index(pts)
    queries = np.arange(0, 80, 3, dtype=np.int64)
    err = kern.prediction_error(pts, target, order, rank, queries, 2, 80, 0.0)
    idx, _ = naive_nn(pts, queries, 2, 80, 0)
    ref = math.sqrt(np.mean([(target[i] - target[j]) ** 2 for i, j in zip(queries, idx, strict=True)]))
    assert err == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("delay", [0, 2])
def test_prediction_errors_match_naive(delay: int) -> None:
    rng = np.random.default_rng(9)
    series = rng.normal(size=(3, 70, 2 if delay == 0 else 1))
    dim, steps, theiler = 3, 2, 1
    queries = np.arange(0, 50, 4, dtype=np.int64)
    errs = kern.prediction_errors(series, delay, dim, steps, queries, theiler, 0.0)
    for s, x in enumerate(series):
        v = x[:, 0]
        if delay == 0:
            pts, span = x[: len(x) - steps], 0
        else:
            span = (dim - 1) * delay
            pts = attractor._embed(v, dim, delay)[: len(v) - span - steps]
        target = v[span + steps : span + steps + len(pts)]
        idx, _ = naive_nn(np.ascontiguousarray(pts), queries, theiler, len(pts), 0)
        ref = math.sqrt(np.mean([(target[i] - target[j]) ** 2 for i, j in zip(queries, idx, strict=True)]))
        assert errs[s] == pytest.approx(ref / v.std(), rel=1e-12)


def naive_band(values: np.ndarray, ratio: float) -> tuple[int, int]:
    best = (-1, -1)
    for a in range(len(values)):
        for b in range(a, len(values)):
            seg = values[a : b + 1]
            if not (np.isfinite(seg).all() and (seg > 0).all() and seg.max() <= ratio * seg.min()):
                break
            if b - a > best[1] - best[0]:
                best = (a, b)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_longest_band_matches_naive(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.8, 1.2, size=40)
    values[rng.integers(0, 40, size=3)] = np.nan
    values[rng.integers(0, 40)] = -1.0
    assert kern.longest_band(values, 1.25) == naive_band(values, 1.25)
    assert kern.longest_band(np.array([np.nan, -1.0]), 1.2) == (-1, -1)


def test_delay_embed_rows() -> None:
    x = np.arange(10.0)
    emb = attractor.delay_embed(x, 3, 2)
    assert emb.shape == (6, 3)
    np.testing.assert_array_equal(emb[0], [0, 2, 4])
    np.testing.assert_array_equal(emb[-1], [5, 7, 9])


def test_phase_randomised_surrogate_keeps_the_spectrum() -> None:
    rng = np.random.default_rng(8)
    x = np.cumsum(rng.normal(size=256)).reshape(-1, 1)
    batch = attractor._phase_randomised(x, np.random.default_rng(1), 3)
    assert batch.shape == (3, 256, 1)
    for s in batch:
        np.testing.assert_allclose(
            np.abs(np.fft.rfft(s[:, 0])), np.abs(np.fft.rfft(x[:, 0])), rtol=1e-8, atol=1e-8
        )
        assert not np.allclose(s, x)
    assert not np.allclose(batch[0], batch[1])
