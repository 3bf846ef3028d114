"""Attractor analysis: published values with default parameters, classification, bad input.

Reference values: Lorenz (sigma 10, rho 28, beta 8/3) largest exponent 0.906
per time unit (Wolf et al. 1985; Sprott 2003) and correlation dimension 2.05
(Grassberger & Procaccia 1983); logistic map at r = 4: ln 2 per iteration;
Hénon map (a 1.4, b 0.3): 0.419 per iteration and correlation dimension 1.22
(Grassberger & Procaccia 1983).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from midstream_mcp.core.analytics import InvalidInput, attractor
from midstream_mcp.core.analytics import _attractor_kernels as kern

LORENZ_LAMBDA = 0.906
LORENZ_D2 = 2.05


def lorenz(n: int = 10_000) -> np.ndarray:
    """(x, y, z) after the transient, from (1, 1, 1): the shared generator of tests and benchmark."""
    return attractor.lorenz(n)[0]


#: The benchmark's ten starts (``benchmarks/attractor.py --robustness``).
STARTS = [(1.0 + 0.37 * k, 1.0 - 0.21 * k, 1.0 + 0.53 * k) for k in range(10)]


def logistic(n: int = 10_000, x0: float = 0.1234) -> np.ndarray:
    out = np.empty(n)
    x = x0
    for t in range(1000 + n):
        x = 4.0 * x * (1.0 - x)
        if t >= 1000:
            out[t - 1000] = x
    return out


def henon(n: int = 10_000) -> np.ndarray:
    out = np.empty(n)
    x, y = 0.1, 0.1
    for t in range(1000 + n):
        x, y = 1.0 - 1.4 * x * x + y, 0.3 * x
        if t >= 1000:
            out[t - 1000] = x
    return out


@pytest.fixture(scope="module")
def lorenz_xyz() -> np.ndarray:
    return lorenz()


@pytest.fixture(scope="module")
def lorenz_result(lorenz_xyz: np.ndarray) -> attractor.AttractorResult:
    return attractor.analyze(lorenz_xyz[:, 0], dt=0.01)


def test_lorenz_x_published_exponent_and_dimension(lorenz_result: attractor.AttractorResult) -> None:
    r = lorenz_result
    assert r.lyapunov.per_time == pytest.approx(LORENZ_LAMBDA, rel=0.05)
    assert r.dimension.dimension == pytest.approx(LORENZ_D2, abs=0.1)
    assert r.classification == "chaotic"
    assert r.confidence >= 0.8
    # The uncertainty is honest: the published value lies within three standard errors.
    assert abs(r.lyapunov.per_time - LORENZ_LAMBDA) <= 3 * r.lyapunov.uncertainty_per_time
    assert r.embedding.delay_method == "mutual information" and r.embedding.dim_method == "Cao"
    assert r.lyapunov.per_time == pytest.approx(r.lyapunov.exponent / 0.01)
    assert r.lyapunov.method == "local Jacobians"
    # The divergence slope agrees (it is the cross-check that lets the Jacobian estimate through).
    assert r.lyapunov.divergence_exponent / 0.01 == pytest.approx(LORENZ_LAMBDA, rel=0.1)
    # A flow: one exponent near zero; from the x-component the Kaplan-Yorke dimension is near 2.06.
    spectrum = r.lyapunov.spectrum_per_time
    assert spectrum is not None and len(spectrum) == 3
    assert abs(spectrum[1]) < 0.1 and spectrum[2] < -5
    assert r.lyapunov.kaplan_yorke == pytest.approx(2.06, abs=0.1)


def test_lorenz_exponent_is_robust_over_initial_conditions() -> None:
    # Ten stretches of the attractor, 10,000 samples each, default parameters: each within 5%.
    estimates = []
    for start in STARTS:
        x = attractor.lorenz(10_000, start=start)[0][:, 0]
        r = attractor.largest_lyapunov(x, dt=0.01)
        assert r.method == "local Jacobians"
        estimates.append(r.per_time)
    errors = np.abs(np.array(estimates) / LORENZ_LAMBDA - 1)
    assert np.all(errors <= 0.05), np.round(estimates, 3)
    assert np.mean(estimates) == pytest.approx(LORENZ_LAMBDA, rel=0.03)


def test_long_lorenz_series_is_not_biased_low() -> None:
    xyz, truth = attractor.lorenz(50_000)
    r = attractor.largest_lyapunov(xyz[:, 0], dt=0.01)
    assert r.per_time == pytest.approx(LORENZ_LAMBDA, rel=0.05)
    assert r.per_time == pytest.approx(truth, rel=0.05)


def test_lorenz_spectrum_from_state_vectors(lorenz_xyz: np.ndarray) -> None:
    # Published spectrum 0.906, 0, -14.57 (Sprott 2003); Kaplan-Yorke dimension 2.06.
    r = attractor.largest_lyapunov(lorenz_xyz, dt=0.01)
    assert r.method == "local Jacobians" and r.spectrum_per_time is not None
    l1, l2, l3 = r.spectrum_per_time
    assert l1 == pytest.approx(LORENZ_LAMBDA, rel=0.05)
    assert abs(l2) < 0.05
    assert l3 == pytest.approx(-14.57, rel=0.05)
    assert r.kaplan_yorke == pytest.approx(2.06, abs=0.02)


@pytest.mark.parametrize("columns", [1, 2])
def test_henon_spectrum_and_kaplan_yorke(columns: int) -> None:
    # Published 0.419 and -1.62 per iteration (their sum is ln 0.3); Kaplan-Yorke dimension 1.26.
    x = henon()
    series = x if columns == 1 else np.stack([x[1:], 0.3 * x[:-1]], axis=1)
    r = attractor.largest_lyapunov(series)
    assert r.spectrum is not None
    assert r.spectrum == pytest.approx([0.419, -1.62], rel=0.02)
    assert r.exponent == r.spectrum[0]
    assert r.kaplan_yorke == pytest.approx(1.26, abs=0.02)


def test_kaplan_yorke_dimension() -> None:
    assert attractor.kaplan_yorke([0.906, 0.0, -14.57]) == pytest.approx(2 + 0.906 / 14.57)
    assert attractor.kaplan_yorke([-1.62, 0.419]) == pytest.approx(1 + 0.419 / 1.62)
    assert attractor.kaplan_yorke([-1.0, -2.0]) == 0.0
    assert attractor.kaplan_yorke([1.0, 0.5]) == 2.0
    assert attractor.kaplan_yorke([]) == 0.0


def test_local_dimension_rounds_the_correlation_dimension_up_with_room() -> None:
    assert attractor.local_dimension(2.05, 4) == 3
    assert attractor.local_dimension(1.95, 4) == 3
    assert attractor.local_dimension(1.22, 5) == 2
    assert attractor.local_dimension(0.9, 3) == 2
    assert attractor.local_dimension(2.9, 3) == 3
    assert attractor.local_dimension(math.nan, 4) == 4


def test_divergence_method_can_be_forced() -> None:
    x = lorenz(4000)[:, 0]
    r = attractor.largest_lyapunov(x, dt=0.01, method="divergence")
    assert r.method == "divergence" and r.spectrum is None and r.kaplan_yorke is None
    assert r.exponent == r.divergence_exponent
    with pytest.raises(InvalidInput, match=r"^method:"):
        attractor.largest_lyapunov(x, method="wolf")


def test_lorenz_state_vectors_skip_embedding(lorenz_xyz: np.ndarray) -> None:
    r = attractor.analyze(lorenz_xyz, dt=0.01)
    assert r.embedding.delay is None and r.embedding.dim == 3
    assert r.lyapunov.per_time == pytest.approx(LORENZ_LAMBDA, rel=0.1)
    assert r.dimension.dimension == pytest.approx(LORENZ_D2, abs=0.1)
    assert r.classification == "chaotic"


def test_logistic_map_exponent_is_ln2() -> None:
    x = logistic()
    r = attractor.analyze(x)
    assert r.lyapunov.exponent == pytest.approx(math.log(2), rel=0.05)
    assert r.lyapunov.per_time is None
    assert r.embedding.delay == 1  # a map: no mutual-information delay
    assert r.dimension.dimension == pytest.approx(1.0, abs=0.1)
    assert r.classification == "chaotic"


def test_henon_map_exponent_and_dimension() -> None:
    r = attractor.analyze(henon())
    assert r.lyapunov.exponent == pytest.approx(0.419, rel=0.05)
    assert r.dimension.dimension == pytest.approx(1.22, abs=0.1)
    assert r.classification == "chaotic"


def test_sine_is_a_limit_cycle_with_zero_exponent() -> None:
    x = np.sin(2 * np.pi * np.arange(5000) / 50.3)
    r = attractor.analyze(x)
    assert abs(r.lyapunov.exponent * r.mean_period) < 0.02
    assert r.dimension.dimension == pytest.approx(1.0, abs=0.1)
    assert r.classification == "limit cycle"
    # No exponential divergence: the divergence slope stands, no spectrum is claimed.
    assert r.lyapunov.method == "divergence" and r.lyapunov.spectrum is None


@pytest.mark.parametrize("period", [50.3, 37.7])
def test_sine_correlation_dimension_is_one_within_a_percent(period: float) -> None:
    # The scaling range stops before the circle's curvature bends ln C up (slope 1.03 at a third of
    # its diameter) and tolerates the ripple of the finitely many distinct phases below.
    x = np.sin(2 * np.pi * np.arange(10_000) / period)
    assert attractor.correlation_dimension(x).dimension == pytest.approx(1.0, abs=0.01)


def test_white_noise_is_noise() -> None:
    x = np.random.default_rng(1).normal(size=4000)
    r = attractor.analyze(x)
    assert r.classification == "noise"
    assert r.surrogates is not None
    assert not r.surrogates.rejected or r.surrogates.z < attractor.MIN_SURROGATE_Z
    # Cao's E2 stays near 1: the dimension search stops early instead of climbing to 7-10.
    assert r.embedding.dim == attractor.STOCHASTIC_DIM
    assert r.embedding.dim_method == "Cao (stochastic: E2 near 1)"
    assert r.embedding.cao_e2 is not None
    assert np.all(np.abs(r.embedding.cao_e2[:3] - 1) <= attractor.CAO_E2_TOLERANCE)
    # Noise fills its embedding: no saturating dimension.
    assert r.dimension.dimension > 0.8 * r.embedding.dim


def test_deterministic_data_do_not_look_stochastic_to_cao() -> None:
    for x, delay in ((henon(3000), 1), (lorenz(3000)[:, 0], 16)):
        _dim, _e1, e2 = attractor.choose_dimension(x, delay, theiler=10)
        assert not attractor._stochastic(e2)


def test_coloured_noise_is_noise_not_chaos() -> None:
    rng = np.random.default_rng(2)
    e = rng.normal(size=4000)
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, len(e)):
        x[t] = 0.95 * x[t - 1] + e[t]
    assert attractor.analyze(x).classification == "noise"


def test_two_incommensurate_frequencies_are_quasi_periodic() -> None:
    t = np.arange(6000)
    x = np.sin(2 * np.pi * t / 50.3) + 0.7 * np.sin(2 * np.pi * t * (math.sqrt(5) - 1) / 2 / 50.3)
    r = attractor.analyze(x)
    assert r.classification == "quasi-periodic"
    assert r.dimension.dimension == pytest.approx(2.0, abs=0.25)


def test_damped_oscillation_is_a_fixed_point() -> None:
    t = np.arange(3000) * 0.05
    r = attractor.analyze(np.exp(-0.2 * t) * np.cos(2 * t), dt=0.05)
    assert r.classification == "fixed point"
    assert r.lyapunov.per_time == pytest.approx(-0.2, rel=0.05)


def test_choices_can_be_overridden() -> None:
    x = logistic(3000)
    r = attractor.largest_lyapunov(x, delay=1, dim=3, theiler=2)
    assert r.theiler == 2
    assert r.exponent == pytest.approx(math.log(2), rel=0.05)
    d = attractor.correlation_dimension(x, delay=1, dim=2)
    assert d.dimension == pytest.approx(1.0, abs=0.15)
    assert attractor.surrogate_test(x, delay=1, dim=2, surrogates=5).rejected


def test_automatic_delay_and_dimension() -> None:
    x = np.sin(2 * np.pi * np.arange(4000) / 50.3)
    delay, method, ami = attractor.choose_delay(x)
    # A pure sine: the histogram estimate wobbles, so the autocorrelation decides (~0.19 period).
    assert method == "autocorrelation" and 8 <= delay <= 12
    assert ami[0] == pytest.approx(max(ami))
    assert attractor.choose_delay(logistic(2000))[:2] == (1, "autocorrelation")
    dim, e1, _e2 = attractor.choose_dimension(henon(3000), 1, theiler=3)
    assert dim in (2, 3) and e1[dim - 1] >= attractor.CAO_THRESHOLD
    assert attractor.mean_period(x) == pytest.approx(50.3, rel=0.02)


@pytest.mark.parametrize(
    ("series", "field", "fragment"),
    [
        ([1.0, 2.0, 3.0], "series", "at least 100 samples"),
        ([2.5] * 500, "series", "constant"),
        ([*np.sin(np.arange(200)), math.nan], "series", "NaN"),
        (["a"] * 200, "series", "array of numbers"),
        ("text", "series", "string"),
        (np.zeros((200, 2, 2)), "series", "1-D or 2-D"),
    ],
)
def test_bad_series_is_rejected_with_the_field(series: object, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        attractor.analyze(series)
    assert err.value.field == field and fragment in err.value.reason


def test_bad_parameters_name_the_field() -> None:
    x = np.sin(0.3 * np.arange(300))
    with pytest.raises(InvalidInput, match=r"dim: embedding dimension 30 with delay 10 needs at least 390"):
        attractor.analyze(x, dim=30, delay=10)
    with pytest.raises(InvalidInput, match=r"^dt:"):
        attractor.analyze(x, dt=-1.0)
    with pytest.raises(InvalidInput, match=r"^delay:"):
        attractor.analyze(x, delay=0)
    with pytest.raises(InvalidInput, match=r"^theiler:"):
        attractor.analyze(x, theiler=-2)
    with pytest.raises(InvalidInput, match=r"^delay: only applies to a univariate"):
        attractor.analyze(np.stack([x, x**2], axis=1), delay=2)
    with pytest.raises(InvalidInput, match=r"^horizon:"):
        attractor.largest_lyapunov(x, horizon=10_000)
    with pytest.raises(InvalidInput, match=r"^surrogates:"):
        attractor.analyze(x, surrogates=0)


def test_warmup_runs() -> None:
    attractor.warmup()
    # The warm-up reaches the local-Jacobian kernels too (a chaotic map), not only the divergence.
    for kernel in (kern.grid_k_neighbours, kern.local_jacobians, kern.qr_exponents):
        assert kernel.signatures


def test_progress_is_reported_and_can_cancel() -> None:
    x = np.sin(0.3 * np.arange(400))
    calls: list[tuple[int, int, str]] = []
    attractor.analyze(x, surrogates=3, progress=lambda d, t, m: calls.append((d, t, m)))
    assert [c[0] for c in calls] == list(range(7)) and {c[1] for c in calls} == {6}

    class Cancelled(Exception):
        pass

    def cancel(done: int, _total: int, _message: str) -> None:
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        attractor.analyze(x, progress=cancel)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_results_do_not_depend_on_scale_or_offset(scale: float) -> None:
    x = np.sin(0.3 * np.arange(500)) + 0.3 * np.sin(0.71 * np.arange(500))
    base = attractor.analyze(x, surrogates=3)
    r = attractor.analyze(x * scale + 5 * scale, surrogates=3)
    assert r.classification == base.classification
    assert r.lyapunov.exponent == pytest.approx(base.lyapunov.exponent, rel=1e-6, abs=1e-12)
    assert r.dimension.dimension == pytest.approx(base.dimension.dimension, rel=1e-6)


# --------------------------------------------------------------------------- local-Jacobian kernels


def test_grid_k_neighbours_match_brute_force() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal(size=(150, 3))
    pts[10] = pts[60]  # an exact duplicate is never a neighbour; elsewhere the tie goes to index 10
    queries = np.arange(0, 150, 4, dtype=np.int64)
    k, theiler, limit, floor = 6, 3, 140, 1e-9
    idx, dist = kern.grid_k_neighbours(pts, queries, k, theiler, limit, floor)
    for q, i in enumerate(queries):
        ranked = sorted(
            (float(np.linalg.norm(pts[i] - pts[j])), j)
            for j in range(limit)
            if abs(i - j) > theiler and np.linalg.norm(pts[i] - pts[j]) > floor
        )[:k]
        assert idx[q].tolist() == [j for _, j in ranked]
        np.testing.assert_allclose(dist[q], [d for d, _ in ranked], rtol=1e-12)


def test_grid_k_neighbours_pad_missing_ones() -> None:
    pts = np.random.default_rng(6).normal(size=(8, 2))
    idx, dist = kern.grid_k_neighbours(pts, np.array([0], dtype=np.int64), 6, 2, 8, 0.0)
    assert idx[0].tolist()[:5] == sorted(range(3, 8), key=lambda j: np.linalg.norm(pts[0] - pts[j]))
    assert idx[0, 5] == -1 and dist[0, 5] == math.inf


def naive_jacobian(
    pts: np.ndarray, t: int, nbrs: np.ndarray, dists: np.ndarray, step: int, quadratic: bool, weighted: bool
) -> np.ndarray:
    d = pts.shape[1]
    h = dists[nbrs >= 0].max() * (1 + 1e-6)
    rows, rhs, weights = [], [], []
    for j, r in zip(nbrs, dists, strict=True):
        if j < 0:
            continue
        u = pts[j] - pts[t]
        cols = [1.0, *u]
        if quadratic:
            cols += [u[c] * u[e] for c in range(d) for e in range(c, d)]
        rows.append(cols)
        rhs.append(pts[j + step] - pts[t + step])
        weights.append((1 - (r / h) ** 3) ** 3 if weighted else 1.0)
    sw = np.sqrt(np.array(weights))[:, None]
    coef = np.linalg.lstsq(np.array(rows) * sw, np.array(rhs) * sw, rcond=None)[0]
    return coef[1 : 1 + d].T


@pytest.mark.parametrize("quadratic", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_local_jacobians_match_least_squares(quadratic: bool, weighted: bool) -> None:
    rng = np.random.default_rng(7)
    n, d, step = 80, 3, 2
    pts = rng.normal(size=(n, d))
    rows = np.arange(0, 40, 3, dtype=np.int64)
    nbrs = rng.integers(0, n - step, size=(len(rows), 16))
    dists = np.sort(rng.uniform(0.1, 1.0, size=nbrs.shape), axis=1)
    nbrs[0, 5:] = -1  # 5 neighbours: too few for the quadratic fit (10 parameters)
    jac = kern.local_jacobians(pts, rows, nbrs, dists, step, quadratic, weighted, 1e-10)
    for q, t in enumerate(rows):
        if q == 0 and quadratic:
            assert np.all(jac[q] == 0)
            continue
        ref = naive_jacobian(pts, t, nbrs[q], dists[q], step, quadratic, weighted)
        np.testing.assert_allclose(jac[q], ref, rtol=1e-7, atol=1e-9)


def test_local_jacobians_recover_an_exact_quadratic_map() -> None:
    # The Henon map is quadratic: the fit at each point gives its Jacobian exactly.
    x = henon(300)
    pts = np.ascontiguousarray(np.stack([x[1:], 0.3 * x[:-1]], axis=1))
    rows = np.arange(0, 250, 10, dtype=np.int64)
    idx, dist = kern.grid_k_neighbours(pts, rows, 12, 1, len(pts) - 1, 0.0)
    jac = kern.local_jacobians(pts, rows, idx, dist, 1, True, True, 1e-10)
    for q, t in enumerate(rows):
        np.testing.assert_allclose(jac[q], [[-2.8 * pts[t, 0], 1.0], [0.3, 0.0]], atol=1e-7)


@pytest.mark.parametrize(("step", "stride"), [(2, 1), (3, 2)])
def test_qr_exponents_match_numpy_qr(step: int, stride: int) -> None:
    rng = np.random.default_rng(8)
    n, d, blocks = 31, 3, 3
    jac = rng.normal(size=(n, d, d))
    sums, counts = kern.qr_exponents(jac, step, blocks, stride)
    ref = np.zeros((blocks, d))
    ref_counts = np.zeros(blocks)
    for s in range(0, step, stride):
        q = np.eye(d)
        for t in range(s, n, step):
            q, r = np.linalg.qr(jac[t] @ q)
            ref[t * blocks // n] += np.log(np.abs(np.diag(r)))
            ref_counts[t * blocks // n] += 1
    np.testing.assert_allclose(sums, ref, rtol=1e-9)
    np.testing.assert_array_equal(counts, ref_counts)
