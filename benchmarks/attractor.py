"""Attractor analysis against nolds and neurokit2, same inputs, one process.

    python benchmarks/attractor.py            # 10,000 samples per system (about 2 minutes)
    python benchmarks/attractor.py --quick    # 3,000 samples
    python benchmarks/attractor.py --robustness   # Lorenz over 2 x 10 starts and 5 lengths

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


def lorenz(n: int) -> np.ndarray:
    """Lorenz x, dt 0.01, from (1, 1, 1) after 10,000 transient steps (the tests' generator)."""
    return attractor.lorenz(n)[0][:, 0]


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


#: The ten starts of the tests, and ten more, elsewhere on the attractor, that nothing was tuned on.
STARTS = [(1.0 + 0.37 * k, 1.0 - 0.21 * k, 1.0 + 0.53 * k) for k in range(10)]
FRESH_STARTS = [(-5 + 0.77 * k, 3 - 0.4 * k, 20 + 0.3 * k) for k in range(10, 20)]


def robustness() -> None:
    """Lorenz lambda_1 and D2 over 2 x 10 initial conditions (10,000 samples) and over lengths.

    ``segment`` is the finite-time exponent of the same stretch of trajectory
    (a tangent vector carried along in the three-dimensional system): the
    truth for that stretch. ``divergence`` is the Rosenstein slope alone (the
    default before the local-Jacobian estimate, and its cross-check).
    """
    header = (
        f"{'Lorenz x, dt 0.01':<30}{'lambda_1':>10}{'vs 0.906':>10}{'divergence':>12}{'vs 0.906':>10}"
        f"{'segment':>10}{'D2':>8}{'K-Y':>8}{'time (s)':>10}"
    )
    for title, starts in (("starts of the tests", STARTS), ("fresh starts", FRESH_STARTS)):
        print(f"{title}\n{header}")
        lams, divs = [], []
        for k, start in enumerate(starts):
            xyz, truth = attractor.lorenz(10_000, start=start)
            x = xyz[:, 0]
            r, secs = timed(lambda x=x: attractor.largest_lyapunov(x, dt=0.01), 3)
            lam = r.per_time or math.nan
            div = (r.divergence_exponent or math.nan) / 0.01
            d2 = attractor.correlation_dimension(x).dimension
            ky = f"{r.kaplan_yorke:.3f}" if r.kaplan_yorke is not None else "-"
            lams.append(lam)
            divs.append(div)
            print(
                f"{f'start {k}, 10,000 samples':<30}{lam:>10.4f}{err(lam, 0.906):>10}{div:>12.4f}"
                f"{err(div, 0.906):>10}{truth:>10.4f}{d2:>8.3f}{ky:>8}{secs:>10.3f}"
            )
        for name, values in (("lambda_1", lams), ("divergence", divs)):
            a = np.array(values)
            inside = int(np.sum(np.abs(a / 0.906 - 1) <= 0.05))
            print(f"  {name}: mean {a.mean():.4f}, sd {a.std(ddof=1):.4f}, {inside}/10 within 5% of 0.906")
        print()
    print(header)
    for n in (3000, 5000, 20_000, 50_000, 100_000):
        xyz, truth = attractor.lorenz(n, start=STARTS[0])
        r, secs = timed(lambda x=xyz[:, 0]: attractor.largest_lyapunov(x, dt=0.01))
        lam = r.per_time or math.nan
        div = (r.divergence_exponent or math.nan) / 0.01
        ky = f"{r.kaplan_yorke:.3f}" if r.kaplan_yorke is not None else "-"
        print(
            f"{f'start 0, {n:,} samples':<30}{lam:>10.4f}{err(lam, 0.906):>10}{div:>12.4f}"
            f"{err(div, 0.906):>10}{truth:>10.4f}{'':>8}{ky:>8}{secs:>10.3f}"
        )
    xyz, truth = attractor.lorenz(10_000)
    r = attractor.largest_lyapunov(xyz, dt=0.01)
    spectrum = ", ".join(f"{v:.3f}" for v in r.spectrum_per_time) if r.spectrum_per_time is not None else "-"
    print(
        f"\nstate vectors (x, y, z), 10,000 samples: spectrum [{spectrum}] (published 0.906, 0, -14.57), "
        f"Kaplan-Yorke {r.kaplan_yorke:.3f} (2.06)"
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
    parser.add_argument(
        "--robustness", action="store_true", help="Lorenz over 2 x 10 starts and 5 lengths only"
    )
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
        ly = result.lyapunov
        if ly.spectrum is not None:
            spectrum = ", ".join(f"{v / dt:.3f}" for v in ly.spectrum)
            label = f"  spectrum ({ly.method})"
            print(f"{name:<20}{label:<44}[{spectrum}], Kaplan-Yorke {ly.kaplan_yorke:.3f}")
        else:
            print(f"{name:<20}{'  method':<44}{ly.method}")
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
