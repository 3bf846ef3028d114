"""LTL monitoring throughput: midstream's compiled DFAs against rtamt and reelay.

Run: ``python benchmarks/ltl.py [--events 1000000] [--reference-events 100000]``
(rtamt and reelay are optional: ``pip install rtamt reelay``; missing ones are
reported as such). All measurements are in this process, on the same random
trace (each atom true with probability 0.3; ``blocked`` rare so that
``G(!blocked U authenticated)`` is not decided at once).

* batch: the numba kernel over integer-encoded events, every event read
  (``scan``, no early exit), after compilation; the encoding of boolean
  columns into letters is reported separately.
* online: ``Monitor.step(event)`` from Python, one dict event at a time.
* rtamt: discrete-time STL, offline ``evaluate`` over the whole trace (future
  operators, the equivalent specification over 0/1 signals).
* reelay: discrete-timed past-time monitor, ``update`` per event, on the
  past-time counterpart of each property (reelay has no future operators).
* compile: mean time to compile a random formula of size 20 (cache cleared).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from midstream_mcp.core.analytics import _ltl_kernels as kernels
from midstream_mcp.core.analytics import ltl
from midstream_mcp.core.analytics._ltl_ast import size

# (name, our formula, rtamt STL, reelay past-time counterpart)
SPECS: list[tuple[str, str, str, str]] = [
    (
        "G(request -> F grant)",
        "G(request -> F grant)",
        "always((request>0.5) implies (eventually(grant>0.5)))",
        "historically({grant} -> once{request})",
    ),
    (
        "G(!blocked U authenticated)",
        "G(!blocked U authenticated)",
        "always((not(blocked>0.5)) until (authenticated>0.5))",
        "(not {blocked}) since {authenticated}",
    ),
]
SET10 = [
    "G(request -> F grant)",
    "G(!blocked U authenticated)",
    "G(tool_call -> X(tool_result | tool_call))",
    "G(blocked -> G !output)",
    "F authenticated",
    "G(grant -> O request)",
    "request W grant",
    "G(urgent -> F(grant & X output))",
    "G(output -> authenticated S request)",
    "!output U authenticated | G !output",
]
ATOMS = ["request", "grant", "blocked", "authenticated", "tool_call", "tool_result", "output", "urgent"]


def timeit(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def make_columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {a: rng.random(n) < 0.3 for a in ATOMS}
    cols["blocked"] = rng.random(n) < 1e-6
    cols["authenticated"] = rng.random(n) < 0.9
    return cols


def bench_ours(text: str, cols: dict[str, np.ndarray], n_online: int) -> dict[str, float]:
    c = ltl.compile_ltl(text)
    a = c.automaton
    t_enc = timeit(lambda: c.encode_columns(cols), 1)
    letters = c.encode_columns(cols)
    kernels.scan_dfa(a.table, letters[:10], a.initial, a.n_pending)  # compiled/loaded
    t_batch = timeit(lambda: kernels.scan_dfa(a.table, letters, a.initial, a.n_pending))
    names = [x.name for x in c.atoms if isinstance(x, ltl.Atom)]
    events = [{k: bool(cols[k][i]) for k in names} for i in range(n_online)]
    m = c.monitor()

    def online() -> None:
        step = m.step
        for e in events:
            step(e)

    t_online = timeit(online, 1)
    return {
        "batch": len(letters) / t_batch,
        "encode": len(letters) / t_enc,
        "online": n_online / t_online,
        "states": a.n_states,
    }


def bench_rtamt(stl: str, cols: dict[str, np.ndarray], n: int) -> float | None:
    try:
        import rtamt
    except ImportError:
        return None
    spec = rtamt.StlDiscreteTimeOfflineSpecification()
    used = [a for a in ATOMS if a in stl]
    for a in used:
        spec.declare_var(a, "float")
    spec.spec = stl
    spec.parse()
    data: dict[str, Any] = {"time": list(range(n))}
    for a in used:
        data[a] = cols[a][:n].astype(float).tolist()
    return n / timeit(lambda: spec.evaluate(data), 1)


def bench_reelay(pattern: str, cols: dict[str, np.ndarray], n: int) -> float | None:
    try:
        import reelay
    except ImportError:
        return None
    used = [a for a in ATOMS if "{" + a + "}" in pattern]
    events = [{a: bool(cols[a][i]) for a in used} for i in range(n)]

    def run() -> None:
        m = reelay.discrete_timed_monitor(pattern=pattern)
        for e in events:
            m.update(e)

    return n / timeit(run, 1)


def random_formula(rng: random.Random, target: int) -> str:
    """A random future/past formula of exactly ``target`` nodes over 6 atoms."""

    def gen(k: int, past: bool) -> ltl.Formula:
        if k == 1:
            return ltl.Atom(rng.choice(ATOMS[:6]))
        if k == 2 or rng.random() < 0.3:
            ops = ["!", "Y", "O", "H"] if past else ["!", "X", "N", "F", "G"]
            op = rng.choice(ops)
            return ltl.Unary(op, gen(k - 1, past or op in "YOH"))
        ops = ["&", "|", "->", "S"] if past else ["&", "|", "->", "U", "R", "W"]
        op = rng.choice(ops)
        left = rng.randint(1, k - 2)
        return ltl.Binary(op, gen(left, past or op == "S"), gen(k - 1 - left, past or op == "S"))

    f = gen(target, False)
    assert size(f) == target
    return ltl.to_string(f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--online-events", type=int, default=200_000)
    ap.add_argument("--reference-events", type=int, default=100_000)
    args = ap.parse_args()
    ltl.warmup()
    cols = make_columns(args.events)
    print(
        f"trace: {args.events:,} events; online: {args.online_events:,}; "
        f"rtamt/reelay: {args.reference_events:,}"
    )
    print()
    header = (
        f"{'property':<32}{'states':>7}{'batch ev/s':>14}{'online ev/s':>14}{'rtamt ev/s':>13}"
        f"{'reelay ev/s':>13}{'batch/rtamt':>13}{'online/rtamt':>14}{'online/reelay':>15}"
    )
    print(header)
    print("-" * len(header))

    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3g}"

    def ratio(a: float, b: float | None) -> str:
        return "n/a" if b is None else f"{a / b:.0f}x"

    for name, ours, stl, past in SPECS:
        r = bench_ours(ours, cols, args.online_events)
        rt = bench_rtamt(stl, cols, args.reference_events)
        rl = bench_reelay(past, cols, args.reference_events)
        print(
            f"{name:<32}{int(r['states']):>7}{fmt(r['batch']):>14}{fmt(r['online']):>14}{fmt(rt):>13}{fmt(rl):>13}"
            f"{ratio(r['batch'], rt):>13}{ratio(r['online'], rt):>14}{ratio(r['online'], rl):>15}"
        )
    # The 10-formula set: total time for all formulas over the trace.
    compiled = [ltl.compile_ltl(t) for t in SET10]
    letters = [c.encode_columns(cols) for c in compiled]

    def run_set() -> None:
        for c, x in zip(compiled, letters, strict=True):
            a = c.automaton
            kernels.scan_dfa(a.table, x, a.initial, a.n_pending)

    t_set = timeit(run_set)
    monitors = [c.monitor() for c in compiled]
    names = sorted({x.name for c in compiled for x in c.atoms if isinstance(x, ltl.Atom)})
    events = [{k: bool(cols[k][i]) for k in names} for i in range(args.online_events)]

    def online_set() -> None:
        steps = [m.step for m in monitors]
        for e in events:
            for step in steps:
                step(e)

    t_online_set = timeit(online_set, 1)
    print(
        f"{'10-formula set (events/s, all 10)':<32}{sum(c.n_states for c in compiled):>7}"
        f"{fmt(args.events / t_set):>14}{fmt(args.online_events / t_online_set):>14}"
    )
    enc = bench_ours(SPECS[0][1], cols, 1000)["encode"]
    print(f"\nencoding boolean columns into letters: {enc:.3g} events/s (not included in batch)")

    rng = random.Random(20)
    times = []
    for _ in range(20):
        text = random_formula(rng, 20)
        ltl._compile_cached.cache_clear()
        t = time.perf_counter()
        ltl.compile_ltl(text)
        times.append(time.perf_counter() - t)
    print(
        f"compile, random size-20 formulas: mean {np.mean(times) * 1e3:.1f} ms, "
        f"max {np.max(times) * 1e3:.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
