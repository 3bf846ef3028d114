"""Attractor analysis against nolds and neurokit2, same inputs, one process.

    python benchmarks/attractor.py            # 10,000 samples per system (about 2 minutes)
    python benchmarks/attractor.py --quick    # 3,000 samples
    python benchmarks/attractor.py --robustness   # Lorenz over 10 starts and 5 lengths

For each system (Lorenz x with dt 0.01 after a transient, logistic map at
r = 4, Hénon map, a sine, white noise) prints the largest Lyapunov exponent
and the correlation dimension from our defaults, ``nolds.lyap_r`` and
``nolds.corr_dim`` with their defaults (``corr_dim`` needs ``emb_dim``: 10,
as ``lyap_r`` uses), and ``neurokit2.complexity_lyapunov`` with its defaults
and with its fastest method, each with its error against the published value
and its time (best of ``--repeat`` for us, one run for the references, which
take seconds). Exponents are per time unit for Lorenz (``/ dt``), per
iteration for the maps. Needs the ``bench`` extra: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import importlib.resources
import math
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from midstream_mcp.core.analytics import attractor

if sys.version_info < (3, 12):  # nolds 0.6.3 reads its data files with a module anchor (3.12+ only)
    _files = importlib.resources.files

    def _package_files(anchor: Any = None) -> Any:
        if anchor == "nolds.datasets":
            anchor = "nolds"
        return _files(anchor)

    importlib.resources.files = _package_files  # type: ignore[assignment]

import neurokit2 as nk
import nolds

warnings.filterwarnings("ignore")


def lorenz(n: int, dt: float = 0.01, transient: int = 10_000) -> np.ndarray:
    s, r, b = 10.0, 28.0, 8.0 / 3.0
    x, y, z = 1.0, 1.0, 1.0
    out = np.empty(n)
    h = dt

    def f(x: float, y: float, z: float) -> tuple[float, float, float]:
        return s * (y - x), x * (r - z) - y, x * y - b * z

    for t in range(transient + n):
        k1 = f(x, y, z)
        k2 = f(x + h / 2 * k1[0], y + h / 2 * k1[1], z + h / 2 * k1[2])
        k3 = f(x + h / 2 * k2[0], y + h / 2 * k2[1], z + h / 2 * k2[2])
        k4 = f(x + h * k3[0], y + h * k3[1], z + h * k3[2])
        x += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        y += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        z += h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
        if t >= transient:
            out[t - transient] = x
    return out


def logistic(n: int) -> np.ndarray:
    out, x = np.empty(n), 0.1234
    for t in range(1000 + n):
        x = 4.0 * x * (1.0 - x)
        if t >= 1000:
            out[t - 1000] = x
    return out


def henon(n: int) -> np.ndarray:
    out, x, y = np.empty(n), 0.1, 0.1
    for t in range(1000 + n):
        x, y = 1.0 - 1.4 * x * x + y, 0.3 * x
        if t >= 1000:
            out[t - 1000] = x
    return out


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    value, times = timings(fn, repeat)
    return value, min(times)


def timings(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    value, times = None, []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return value, times


def lorenz_from(n: int, start: tuple[float, float, float], dt: float = 0.01) -> tuple[np.ndarray, float]:
    """Lorenz x from ``start`` (RK4, 10,000 transient steps) and the segment's finite-time exponent.

    The exponent is the growth rate of a tangent vector carried along the
    same samples (the truth for that segment, against which an estimate's
    own error is measured, apart from the attractor's finite-time spread).
    """
    s, r, b = 10.0, 28.0, 8.0 / 3.0

    def f(u: np.ndarray) -> np.ndarray:
        x, y, z, a, c, e = u
        return np.array(
            [
                s * (y - x),
                x * (r - z) - y,
                x * y - b * z,
                s * (c - a),
                (r - z) * a - c - x * e,
                y * a + x * c - b * e,
            ]
        )

    u = np.array([*start, 1.0, 0.0, 0.0])
    out, growth = np.empty(n), 0.0
    for t in range(10_000 + n):
        k1 = f(u)
        k2 = f(u + dt / 2 * k1)
        k3 = f(u + dt / 2 * k2)
        k4 = f(u + dt * k3)
        u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        norm = math.sqrt(u[3] ** 2 + u[4] ** 2 + u[5] ** 2)
        u[3:] /= norm
        if t >= 10_000:
            out[t - 10_000] = u[0]
            growth += math.log(norm)
    return out, growth / (n * dt)


def robustness() -> None:
    """Lorenz lambda_1 and D2 over 10 initial conditions (10,000 samples) and over lengths."""
    starts = [(1.0 + 0.37 * k, 1.0 - 0.21 * k, 1.0 + 0.53 * k) for k in range(10)]
    print(
        f"{'Lorenz x, dt 0.01':<28}{'lambda_1':>10}{'vs 0.906':>10}{'segment':>10}{'vs segment':>12}{'D2':>8}"
    )
    lams, truths = [], []
    for k, start in enumerate(starts):
        x, truth = lorenz_from(10_000, start)
        lam = attractor.largest_lyapunov(x, dt=0.01).per_time or math.nan
        d2 = attractor.correlation_dimension(x).dimension
        lams.append(lam)
        truths.append(truth)
        print(
            f"{f'start {k}, 10,000 samples':<28}{lam:>10.4f}{err(lam, 0.906):>10}{truth:>10.4f}"
            f"{lam - truth:>+12.4f}{d2:>8.3f}"
        )
    a, t = np.array(lams), np.array(truths)
    inside = int(np.sum(np.abs(a / 0.906 - 1) <= 0.05))
    print(
        f"mean {a.mean():.4f}, sd {a.std(ddof=1):.4f}, {inside}/10 within 5% of 0.906; "
        f"segments' own exponents sd {t.std(ddof=1):.4f}; "
        f"estimate - segment: mean {np.mean(a - t):+.4f}, sd {np.std(a - t, ddof=1):.4f}"
    )
    for n in (3000, 5000, 20_000, 50_000, 100_000):
        x, truth = lorenz_from(n, starts[0])
        r, secs = timed(lambda x=x: attractor.largest_lyapunov(x, dt=0.01))
        lam = r.per_time
        print(
            f"{f'start 0, {n:,} samples':<28}{lam:>10.4f}{err(lam, 0.906):>10}{truth:>10.4f}"
            f"{lam - truth:>+12.4f}{secs:>8.2f} s"
        )


def err(value: float, truth: float | None) -> str:
    if truth is None or not math.isfinite(value):
        return "-"
    if truth == 0:
        return f"{value:+.3f} abs"
    return f"{100 * (value / truth - 1):+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3,000 samples per system instead of 10,000")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of ours and of neurokit2's fastest method"
    )
    parser.add_argument("--robustness", action="store_true", help="Lorenz over 10 starts and 5 lengths only")
    args = parser.parse_args()
    attractor.warmup()
    if args.robustness:
        robustness()
        return
    n = 3000 if args.quick else 10_000
    t = np.arange(n)
    # name, series, dt (exponent per time unit), published exponent, published D2, expected class
    systems = [
        ("Lorenz x, dt 0.01", lorenz(n), 0.01, 0.906, 2.05, "chaotic"),
        ("logistic r=4", logistic(n), 1.0, math.log(2), 1.0, "chaotic"),
        ("Henon", henon(n), 1.0, 0.419, 1.22, "chaotic"),
        ("sine, period 50.3", np.sin(2 * np.pi * t / 50.3), 1.0, 0.0, 1.0, "limit cycle"),
        ("white noise", np.random.default_rng(1).normal(size=n), 1.0, None, None, "noise"),
    ]
    header = (
        f"{'system':<20}{'method':<44}{'lambda_1':>10}{'error':>12}{'D2':>8}{'error':>10}{'time (s)':>10}"
    )
    print(f"{n:,} samples per system\n{header}\n" + "-" * len(header))
    speed: list[tuple[str, float, float, float, float, str]] = []
    for name, x, dt, lam, d2, expected in systems:
        result, all_times = timings(lambda x=x, dt=dt: attractor.analyze(x, dt=dt), args.repeat)
        t_all = min(all_times)
        _, t_lyap = timed(lambda x=x: attractor.largest_lyapunov(x), args.repeat)
        _, t_d2 = timed(lambda x=x: attractor.correlation_dimension(x), args.repeat)
        ours = result.lyapunov.exponent / dt
        dim = result.dimension.dimension
        ok = "ok" if result.classification == expected else f"WRONG (want {expected})"
        rows = [
            (f"midstream analyze -> {result.classification} {ok}", ours, dim, t_all),
            ("midstream largest_lyapunov", ours, math.nan, t_lyap),
            ("midstream correlation_dimension", math.nan, dim, t_d2),
        ]
        nl, t_nl = timed(lambda x=x: nolds.lyap_r(x))
        rows.append(("nolds.lyap_r (defaults)", nl / dt, math.nan, t_nl))
        nd, t_nd = timed(lambda x=x: nolds.corr_dim(x, emb_dim=10))
        rows.append(("nolds.corr_dim (emb_dim 10)", math.nan, nd, t_nd))
        (nk_lle, _), t_nk = timed(lambda x=x: nk.complexity_lyapunov(x))
        rows.append(("neurokit2.complexity_lyapunov (defaults)", nk_lle / dt, math.nan, t_nk))
        (nk_fast, _), t_nkf = timed(lambda x=x: nk.complexity_lyapunov(x, method="makowski"), args.repeat)
        rows.append(("neurokit2.complexity_lyapunov (makowski)", nk_fast / dt, math.nan, t_nkf))
        for label, lv, dv, secs in rows:
            lam_s = f"{lv:>10.4f}{err(lv, lam):>12}" if math.isfinite(lv) else f"{'':>22}"
            d2_s = f"{dv:>8.3f}{err(dv, d2):>10}" if math.isfinite(dv) else f"{'':>18}"
            print(f"{name:<20}{label:<44}{lam_s}{d2_s}{secs:>10.3f}")
        print()
        spread = f"{1000 * min(all_times):.0f}-{1000 * max(all_times):.0f} ms"
        fastest = min(t_nk, t_nkf)
        speed.append((name, t_nl / t_lyap, fastest / t_lyap, fastest / t_all, t_nd / t_d2, spread))
    print(
        f"{'speed-up (reference time / ours)':<36}{'lyap_r':>10}{'neurokit2':>12}"
        f"{'nk2/analyze':>13}{'corr_dim':>10}   analyze, {args.repeat} runs"
    )
    for name, a, b, c, d, spread in speed:
        print(f"{name:<36}{a:>10.1f}{b:>12.1f}{c:>13.2f}{d:>10.1f}   {spread}")
    print(
        "lyap_r and neurokit2: against largest_lyapunov (embedding choice included); nk2/analyze: "
        "neurokit2's fastest exponent against the whole analysis (exponent, D2, 19 surrogates)"
    )


if __name__ == "__main__":
    main()
