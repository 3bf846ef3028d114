"""DTW, subsequence search and correlation against slow, obviously-correct references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from midstream_mcp.core.analytics import InvalidInput, compare

METRICS = ["euclidean", "absolute"]


def as2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x.reshape(-1, 1) if x.ndim == 1 else x


def in_band(i: int, j: int, n: int, m: int, window: int | None) -> bool:
    if window is None:
        return True
    return i - max(0, n - m) - window <= j <= i + max(0, m - n) + window


def naive_cost_matrix(a: np.ndarray, b: np.ndarray, window: int | None, metric: str) -> np.ndarray:
    # Plain Python floats, cell by cell: obviously the recurrence (and 10x quicker than numpy per cell).
    rows_a, rows_b = as2d(a).tolist(), as2d(b).tolist()
    n, m = len(rows_a), len(rows_b)
    acc = [[math.inf] * (m + 1) for _ in range(n + 1)]
    acc[0][0] = 0.0
    for i, x in enumerate(rows_a):
        for j, y in enumerate(rows_b):
            if not in_band(i, j, n, m, window):
                continue
            if metric == "euclidean":
                cost = sum((p - q) * (p - q) for p, q in zip(x, y, strict=True))
            else:
                cost = sum(abs(p - q) for p, q in zip(x, y, strict=True))
            acc[i + 1][j + 1] = cost + min(acc[i][j], acc[i][j + 1], acc[i + 1][j])
    return np.array(acc)


def naive_dtw(a: np.ndarray, b: np.ndarray, window: int | None = None, metric: str = "euclidean") -> float:
    total = naive_cost_matrix(a, b, window, metric)[-1, -1]
    return math.sqrt(total) if metric == "euclidean" else total


def path_cost(a: np.ndarray, b: np.ndarray, path: np.ndarray, metric: str) -> float:
    a, b = as2d(a), as2d(b)
    diffs = a[path[:, 0]] - b[path[:, 1]]
    if metric == "euclidean":
        return math.sqrt(float(np.sum(diffs * diffs)))
    return float(np.sum(np.abs(diffs)))


finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def series_pair(draw: st.DrawFn, max_len: int = 24) -> tuple[np.ndarray, np.ndarray]:
    d = draw(st.sampled_from([None, 1, 2, 3]))
    n = draw(st.integers(1, max_len))
    m = draw(st.integers(1, max_len))
    shape_a = (n,) if d is None else (n, d)
    shape_b = (m,) if d is None else (m, d)
    return draw(hnp.arrays(float, shape_a, elements=finite)), draw(
        hnp.arrays(float, shape_b, elements=finite)
    )


@settings(max_examples=150, deadline=None)
@given(series_pair(), st.one_of(st.none(), st.integers(0, 8)), st.sampled_from(METRICS))
def test_dtw_distance_and_path_match_the_naive_dp(
    pair: tuple[np.ndarray, np.ndarray], window: int | None, metric: str
) -> None:
    a, b = pair
    expected = naive_dtw(a, b, window, metric)
    assert compare.dtw_distance(a, b, window=window, metric=metric) == pytest.approx(
        expected, rel=1e-9, abs=1e-9
    )
    result = compare.dtw_path(a, b, window=window, metric=metric)
    assert result.distance == pytest.approx(expected, rel=1e-9, abs=1e-9)
    path = result.path
    assert path is not None
    n, m = len(a), len(b)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (n - 1, m - 1)
    steps = np.diff(path, axis=0)
    assert np.all((steps == [1, 0]) | (steps == [0, 1]) | (steps == [1, 1]), axis=None) or np.all(
        [tuple(s) in {(1, 0), (0, 1), (1, 1)} for s in steps]
    )
    assert all(in_band(int(i), int(j), n, m, window) for i, j in path)
    assert path_cost(a, b, path, metric) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_known_values() -> None:
    assert compare.dtw_distance([1, 2, 3], [1, 2, 2, 3]) == 0.0
    # Hand-computed: best path aligns 0-0, 1-1, 2-1 (costs 0, 1, 4) -> sqrt(5).
    assert compare.dtw_distance([0, 1, 2], [0, 0]) == pytest.approx(math.sqrt(0 + 1 + 4))
    assert compare.dtw_distance([0, 1, 2], [0, 0], metric="absolute") == pytest.approx(3.0)
    assert compare.dtw_distance([5.0], [2.0]) == pytest.approx(3.0)
    # window 0 on equal lengths is the plain euclidean distance.
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert compare.dtw_distance(a, b, window=0) == pytest.approx(float(np.linalg.norm(a - b)))


@pytest.mark.parametrize("n", [1, 2, 17, 300])
@pytest.mark.parametrize("window", [None, 0, 3, 40])
def test_longer_series_and_unequal_lengths(n: int, window: int | None) -> None:
    rng = np.random.default_rng(n)
    a = rng.normal(size=n)
    b = rng.normal(size=n + 7)
    assert compare.dtw_distance(a, b, window=window) == pytest.approx(naive_dtw(a, b, window), rel=1e-9)
    assert compare.dtw_distance(b, a, window=window) == pytest.approx(naive_dtw(b, a, window), rel=1e-9)


@pytest.mark.parametrize("equal", [True, False])
@pytest.mark.parametrize("window", [None, 2])
@pytest.mark.parametrize("metric", METRICS)
def test_matrix_and_one_to_many_match_pairwise(equal: bool, window: int | None, metric: str) -> None:
    rng = np.random.default_rng(7)
    lengths = [20] * 37 if equal else list(rng.integers(3, 25, size=23))
    series = [rng.normal(size=int(n)) for n in lengths]
    matrix = compare.dtw_matrix(series, window=window, metric=metric)
    # DTW is symmetric: the naive upper triangle, mirrored (the kernel's own symmetry is checked below).
    expected = np.zeros((len(series), len(series)))
    for i, j in zip(*np.triu_indices(len(series), k=1), strict=True):
        expected[i, j] = expected[j, i] = naive_dtw(series[i], series[j], window, metric)
    np.testing.assert_allclose(matrix, expected, rtol=1e-9, atol=1e-12)
    assert np.all(np.diag(matrix) == 0) and np.array_equal(matrix, matrix.T)
    one = compare.dtw_one_to_many(series[0], series[1:], window=window, metric=metric)
    np.testing.assert_allclose(one, expected[0, 1:], rtol=1e-9, atol=1e-12)


def test_multivariate_matrix() -> None:
    rng = np.random.default_rng(11)
    series = [rng.normal(size=(int(n), 3)) for n in rng.integers(2, 12, size=6)]
    matrix = compare.dtw_matrix(series)
    for i, x in enumerate(series):
        for j, y in enumerate(series):
            assert matrix[i, j] == pytest.approx(0.0 if i == j else naive_dtw(x, y), abs=1e-12)


def test_agrees_with_dtaidistance() -> None:
    dtai = pytest.importorskip("dtaidistance")
    from dtaidistance import dtw, dtw_ndim

    rng = np.random.default_rng(5)
    for _ in range(40):
        n, m = rng.integers(2, 80, size=2)
        a, b = rng.normal(size=n), rng.normal(size=m)
        for window in (None, 0, 4, 15):
            ref = dtw.distance(a, b, window=None if window is None else window + 1, use_c=True)
            assert compare.dtw_distance(a, b, window=window) == pytest.approx(ref, rel=1e-9)
        a3, b3 = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
        assert compare.dtw_distance(a3, b3) == pytest.approx(dtw_ndim.distance(a3, b3), rel=1e-9)
    series = rng.normal(size=(12, 30))
    ref_matrix = dtw.distance_matrix_fast(series, compact=False)
    ours = compare.dtw_matrix(series)
    iu = np.triu_indices(12, k=1)
    np.testing.assert_allclose(ours[iu], ref_matrix[iu], rtol=1e-9)
    assert dtai is not None


def test_agrees_with_tslearn() -> None:
    pytest.importorskip("tslearn")
    from tslearn.metrics import dtw as ts_dtw

    rng = np.random.default_rng(6)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        a, b = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
        assert compare.dtw_distance(a, b) == pytest.approx(ts_dtw(a, b), rel=1e-9)
        radius = int(rng.integers(0, 10))
        ref = ts_dtw(a, b, global_constraint="sakoe_chiba", sakoe_chiba_radius=radius)
        assert compare.dtw_distance(a, b, window=radius) == pytest.approx(ref, rel=1e-9)


# ----------------------------------------------------------------- find_pattern


def naive_matches(
    series: np.ndarray, pattern: np.ndarray, k: int, window: int | None
) -> list[tuple[int, int, float]]:
    n, m = len(series), len(pattern)
    candidates = []
    if window is None:
        for end in range(1, n + 1):
            best = min((naive_dtw(pattern, series[s:end]), s) for s in range(end))
            candidates.append((best[0], best[1], end))
    else:
        for s in range(n - m + 1):
            candidates.append((naive_dtw(pattern, series[s : s + m], window), s, s + m))
    candidates.sort(key=lambda c: c[0])
    taken = np.zeros(n, dtype=bool)
    chosen = []
    for dist, s, e in candidates:
        if taken[s:e].any():
            continue
        taken[s:e] = True
        chosen.append((s, e, dist))
        if len(chosen) == k:
            break
    return chosen


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(3, 30),
    st.integers(1, 6),
    st.integers(1, 4),
    st.one_of(st.none(), st.integers(0, 3)),
)
def test_find_pattern_matches_brute_force(seed: int, n: int, m: int, k: int, window: int | None) -> None:
    rng = np.random.default_rng(seed)
    series, pattern = rng.normal(size=n), rng.normal(size=m)
    if window is not None and m > n:
        return
    got = compare.find_pattern(series, pattern, k=k, window=window)
    expected = naive_matches(series, pattern, k, window)
    assert [(g.start, g.end) for g in got] == [(s, e) for s, e, _ in expected]
    np.testing.assert_allclose([g.distance for g in got], [d for _, _, d in expected], rtol=1e-9)


def test_find_pattern_finds_a_stretched_occurrence() -> None:
    pattern = np.array([0.0, 1.0, 3.0, 1.0, 0.0])
    stretched = np.repeat(pattern, 2)
    series = np.concatenate([np.full(20, 5.0), stretched, np.full(20, 5.0)])
    best = compare.find_pattern(series, pattern, k=1)[0]
    # The doubled zeros at either end may or may not be included: all cost 0.
    assert best.distance == 0.0
    assert best.start in (20, 21) and best.end in (29, 30)


# ----------------------------------------------------------------- correlation


def naive_correlation(a: np.ndarray, b: np.ndarray) -> dict[int, float]:
    za, zb = a - a.mean(), b - b.mean()
    norm = math.sqrt(float(za @ za) * float(zb @ zb))
    n, m = len(a), len(b)
    return {
        lag: sum(za[t - lag] * zb[t] for t in range(m) if 0 <= t - lag < n) / norm
        for lag in range(-(n - 1), m)
    }


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(2, 40))
def test_correlation_matches_the_definition(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=m)
    result = compare.correlation(a, b)
    ref = naive_correlation(a, b)
    np.testing.assert_allclose(result.values, [ref[int(lag)] for lag in result.lags], atol=1e-9)
    assert result.correlation == pytest.approx(max(ref[int(lag)] for lag in result.lags), abs=1e-9)
    assert -1.0 <= result.correlation <= 1.0


def test_correlation_recovers_a_delay() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(size=300)
    b = np.concatenate([rng.normal(size=12), a[:-12]])
    result = compare.correlation(a, b, max_lag=50)
    assert result.lag == 12 and result.correlation > 0.9
    assert compare.correlation(b, a, max_lag=50).lag == -12
    assert compare.correlation(a, a).correlation == pytest.approx(1.0)


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: compare.dtw_distance([], [1.0]), "a"),
        (lambda: compare.dtw_distance([1.0], [math.nan]), "b"),
        (lambda: compare.dtw_distance([1.0, math.inf], [1.0]), "a"),
        (lambda: compare.dtw_distance([[1.0, 2.0]], [[1.0]]), "b"),
        (lambda: compare.dtw_distance([[1.0, 2.0], [1.0]], [1.0]), "a"),
        (lambda: compare.dtw_distance(np.zeros((2, 2, 2)), [1.0]), "a"),
        (lambda: compare.dtw_distance("abc", [1.0]), "a"),
        (lambda: compare.dtw_distance([1.0], [1.0], window=-1), "window"),
        (lambda: compare.dtw_distance([1.0], [1.0], window=1.5), "window"),
        (lambda: compare.dtw_distance([1.0], [1.0], metric="cosine"), "metric"),
        (lambda: compare.dtw_matrix([]), "series_list"),
        (lambda: compare.dtw_matrix([[1.0], [[1.0, 2.0]]]), "series_list[1]"),
        (lambda: compare.dtw_one_to_many([1.0], [[1.0], []]), "candidates[1]"),
        (lambda: compare.find_pattern([1.0, 2.0], [1.0], k=0), "k"),
        (lambda: compare.find_pattern([1.0, 2.0], [1.0, 2.0, 3.0], window=1), "pattern"),
        (lambda: compare.correlation([1.0, 1.0, 1.0], [1.0, 2.0]), "a"),
        (lambda: compare.correlation([[1.0, 2.0], [2.0, 3.0]], [1.0, 2.0]), "a"),
        (lambda: compare.correlation([1.0, 2.0], [1.0, 3.0], max_lag=-2), "max_lag"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


def test_path_refuses_huge_inputs_before_allocating() -> None:
    a = np.zeros(200_000)
    # 200k x 200k cells would need 320 GB; the check must fire first.
    with pytest.raises(InvalidInput, match="exceeds"):
        compare.dtw_path(a, a, max_cells=10_000_000)
