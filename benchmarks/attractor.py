"""Attractor analysis against nolds and neurokit2, same inputs, one process.

    python benchmarks/attractor.py            # 10,000 samples per system (about 2 minutes)
    python benchmarks/attractor.py --quick    # 3,000 samples

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
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return value, best


def err(value: float, truth: float | None) -> str:
    if truth is None or not math.isfinite(value):
        return "-"
    if truth == 0:
        return f"{value:+.3f} abs"
    return f"{100 * (value / truth - 1):+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3,000 samples per system instead of 10,000")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of ours")
    args = parser.parse_args()
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
    attractor.warmup()
    header = (
        f"{'system':<20}{'method':<44}{'lambda_1':>10}{'error':>12}{'D2':>8}{'error':>10}{'time (s)':>10}"
    )
    print(f"{n:,} samples per system\n{header}\n" + "-" * len(header))
    speed: list[tuple[str, float, float, float]] = []
    for name, x, dt, lam, d2, expected in systems:
        result, t_all = timed(lambda x=x, dt=dt: attractor.analyze(x, dt=dt), args.repeat)
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
        (nk_fast, _), t_nkf = timed(lambda x=x: nk.complexity_lyapunov(x, method="makowski"))
        rows.append(("neurokit2.complexity_lyapunov (makowski)", nk_fast / dt, math.nan, t_nkf))
        for label, lv, dv, secs in rows:
            lam_s = f"{lv:>10.4f}{err(lv, lam):>12}" if math.isfinite(lv) else f"{'':>22}"
            d2_s = f"{dv:>8.3f}{err(dv, d2):>10}" if math.isfinite(dv) else f"{'':>18}"
            print(f"{name:<20}{label:<44}{lam_s}{d2_s}{secs:>10.3f}")
        print()
        speed.append((name, t_nl / t_lyap, min(t_nk, t_nkf) / t_lyap, t_nd / t_d2))
    print(f"{'speed-up (reference time / ours)':<36}{'lyap_r':>10}{'neurokit2':>12}{'corr_dim':>10}")
    for name, a, b, c in speed:
        print(f"{name:<36}{a:>10.1f}{b:>12.1f}{c:>10.1f}")


if __name__ == "__main__":
    main()
