"""temporal-compare against the reference libraries, same inputs, one process.

    python benchmarks/compare.py            # the sizes named in the issue (about 2 minutes)
    python benchmarks/compare.py --quick    # smaller all-pairs case

Prints, per case, our best time, the reference's best time and the ratio
(ours / reference: below 1 means we are faster). Needs the ``bench`` extra:
``pip install -e ".[bench]"``. Every case first checks that both sides agree.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from dtaidistance import dtw as dtai
from rapidfuzz.distance import LCSseq, Levenshtein

from midstream_mcp.core.analytics import compare


def best_time(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: JIT load, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, ours: float, ref: float, ref_name: str, target: str) -> None:
    print(f"{name:<44}{ours * 1e3:>12.3f}{ref * 1e3:>14.3f}{ours / ref:>9.3f}  {ref_name:<42}{target}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="300 series instead of 1,000 for all-pairs")
    args = parser.parse_args()
    rng = np.random.default_rng(42)

    print(f"{'case':<44}{'ours (ms)':>12}{'ref (ms)':>14}{'ratio':>9}  {'reference':<42}target")
    a, b = rng.normal(size=1000), rng.normal(size=1000)
    assert np.isclose(compare.dtw_distance(a, b), dtai.distance_fast(a, b), rtol=1e-9)
    row(
        "dtw_distance, 2 x 1,000 float64",
        best_time(lambda: compare.dtw_distance(a, b), 50),
        best_time(lambda: dtai.distance_fast(a, b), 50),
        "dtaidistance.dtw.distance_fast",
        "<= 0.3",
    )
    assert np.isclose(compare.dtw_distance(a, b, window=100), dtai.distance_fast(a, b, window=101), rtol=1e-9)
    row(
        "dtw_distance, 2 x 1,000, window 100",
        best_time(lambda: compare.dtw_distance(a, b, window=100), 50),
        best_time(lambda: dtai.distance_fast(a, b, window=101), 50),
        "dtaidistance.dtw.distance_fast",
        "",
    )

    count = 300 if args.quick else 1000
    series = rng.normal(size=(count, 128))
    check = series[:40]
    iu = np.triu_indices(40, k=1)
    for window, label in ((None, "full"), (13, "10% band")):
        dw = None if window is None else window + 1
        ours_m = compare.dtw_matrix(check, window=window)
        ref_m = dtai.distance_matrix_fast(check, window=dw, compact=False)
        assert np.allclose(ours_m[iu], ref_m[iu], rtol=1e-9)
        row(
            f"dtw_matrix, {count:,} x 128, {label}",
            best_time(lambda w=window: compare.dtw_matrix(series, window=w), 1),
            best_time(lambda w=dw: dtai.distance_matrix_fast(series, window=w, parallel=True), 1),
            "dtaidistance distance_matrix_fast(par.)",
            ">= 10x faster (<= 0.1)",
        )

    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    for n in (10, 100, 1000, 10_000):
        s1 = "".join(rng.choice(letters, size=n))
        s2 = "".join(rng.choice(letters, size=n))
        repeat = 200 if n < 10_000 else 30
        assert compare.edit_distance(s1, s2) == Levenshtein.distance(s1, s2)
        assert compare.lcs_length(s1, s2) == LCSseq.similarity(s1, s2)
        target = "<= 1.5" if n == 10_000 else ""
        row(
            f"edit_distance, 2 x {n:,} chars",
            best_time(lambda x=s1, y=s2: compare.edit_distance(x, y), repeat),
            best_time(lambda x=s1, y=s2: Levenshtein.distance(x, y), repeat),
            "rapidfuzz Levenshtein.distance",
            target,
        )
        row(
            f"lcs_length, 2 x {n:,} chars",
            best_time(lambda x=s1, y=s2: compare.lcs_length(x, y), repeat),
            best_time(lambda x=s1, y=s2: LCSseq.similarity(x, y), repeat),
            "rapidfuzz LCSseq.similarity",
            target,
        )
    print("\nCold and warm start of the stdio server: python benchmarks/cold_start.py")


if __name__ == "__main__":
    main()
