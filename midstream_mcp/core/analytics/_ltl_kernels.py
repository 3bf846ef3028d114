"""numba kernels of the LTL module: DFA runs over integer letters, and the
linear-time recurrences of U and S used by the witness evaluator.

A DFA step is one dependent load ``state = table[state, letter]``; with the
table in L1 cache that is a few nanoseconds, so a run is memory-bound on the
letter array. Decided states are sinks numbered ``>= n_pending`` (see
``_ltl_automaton``), which lets a run stop at the first decided event.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit


@njit(cache=True, nogil=True)
def run_dfa(
    table: npt.NDArray[np.int32], letters: npt.NDArray[np.int32], start: int, n_pending: int
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Run from ``start``; stop at the first decided state. Returns (state, index of that event or -1)."""
    s = start
    for i in range(letters.shape[0]):
        s = table[s, letters[i]]
        if s >= n_pending:
            return s, i
    return s, -1


@njit(cache=True, nogil=True)
def scan_dfa(
    table: npt.NDArray[np.int32], letters: npt.NDArray[np.int32], start: int, n_pending: int
) -> tuple[int, int]:  # pragma: no cover - compiled
    """Like :func:`run_dfa` but reads every letter (for throughput measurements and checks)."""
    s = start
    first = -1
    for i in range(letters.shape[0]):
        s = table[s, letters[i]]
        if first < 0 and s >= n_pending:
            first = i
    return s, first


@njit(cache=True, nogil=True)
def run_dfa_many(
    table: npt.NDArray[np.int32],
    letters: npt.NDArray[np.int32],
    offsets: npt.NDArray[np.int64],
    start: int,
    n_pending: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:  # pragma: no cover - compiled
    """Run each trace ``letters[offsets[j]:offsets[j+1]]``; final states and first decided index (or -1)."""
    m = offsets.shape[0] - 1
    states = np.empty(m, dtype=np.int32)
    first = np.full(m, -1, dtype=np.int64)
    for j in range(m):
        s = start
        for i in range(offsets[j], offsets[j + 1]):
            s = table[s, letters[i]]
            if s >= n_pending:
                first[j] = i - offsets[j]
                break
        states[j] = s
    return states, first


@njit(cache=True, nogil=True)
def until(
    a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_], at_end: bool
) -> npt.NDArray[np.bool_]:  # pragma: no cover - compiled
    """``u[i] = b[i] | (a[i] & u[i+1])`` backwards, ``u[n] = at_end`` (False: U, True: W)."""
    n = a.shape[0]
    out = np.empty(n, dtype=np.bool_)
    nxt = at_end
    for i in range(n - 1, -1, -1):
        nxt = b[i] or (a[i] and nxt)
        out[i] = nxt
    return out


@njit(cache=True, nogil=True)
def since(
    a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_], at_start: bool
) -> npt.NDArray[np.bool_]:  # pragma: no cover - compiled
    """``s[i] = b[i] | (a[i] & s[i-1])`` forwards, ``s[-1] = at_start`` (False: S)."""
    n = a.shape[0]
    out = np.empty(n, dtype=np.bool_)
    prev = at_start
    for i in range(n):
        prev = b[i] or (a[i] and prev)
        out[i] = prev
    return out


def warmup() -> None:
    """Compile (or load from cache) every kernel with the argument types the module uses."""
    table = np.zeros((1, 2), dtype=np.int32)
    letters = np.zeros(2, dtype=np.int32)
    run_dfa(table, letters, 0, 1)
    scan_dfa(table, letters, 0, 1)
    run_dfa_many(table, letters, np.array([0, 2], dtype=np.int64), 0, 1)
    x = np.zeros(2, dtype=np.bool_)
    until(x, x, False)
    since(x, x, False)
