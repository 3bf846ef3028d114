"""LTLf semantics at every position of one trace, and the failure explanation built on it.

Each sub-formula is evaluated bottom-up into a boolean vector over the trace
positions in O(|formula| * n), with LTLf's boundary conditions (De Giacomo &
Vardi 2013): strong next ``X`` is false at the last position, weak next ``N``
true; ``U``/``M`` need their right side before the trace ends, ``R``/``W``
may be fulfilled by the end. Past operators mirror them at position 0
(``Y`` false, ``Z`` true there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics import _ltl_kernels as kernels
from midstream_mcp.core.analytics._ltl_ast import Atom, AtomLike, Binary, Compare, Const, Formula, Unary

BoolVec = npt.NDArray[np.bool_]


class Evaluation:
    """Truth vectors of every sub-formula of one formula on one trace (memoised by node identity)."""

    def __init__(self, letters: npt.NDArray[np.int32], atoms: tuple[AtomLike, ...]) -> None:
        self.n = int(letters.shape[0])
        self.columns = {a: ((letters >> i) & 1).astype(np.bool_) for i, a in enumerate(atoms)}
        self._memo: dict[int, tuple[Formula, BoolVec]] = {}

    def __call__(self, f: Formula) -> BoolVec:
        hit = self._memo.get(id(f))
        if hit is not None:
            return hit[1]
        v = self._eval(f)
        self._memo[id(f)] = (f, v)  # keep f alive so its id is not reused
        return v

    def _shift_left(self, v: BoolVec, fill: bool) -> BoolVec:
        out = np.empty_like(v)
        out[:-1] = v[1:]
        out[-1:] = fill
        return out

    def _shift_right(self, v: BoolVec, fill: bool) -> BoolVec:
        out = np.empty_like(v)
        out[1:] = v[:-1]
        out[:1] = fill
        return out

    def _eval(self, f: Formula) -> BoolVec:
        n = self.n
        if isinstance(f, Const):
            return np.full(n, f.value, dtype=np.bool_)
        if isinstance(f, (Atom, Compare)):
            return self.columns[f]
        if isinstance(f, Unary):
            a = self(f.arg)
            op = f.op
            if op == "!":
                return ~a
            if op in ("X", "N"):
                return self._shift_left(a, op == "N")
            if op in ("Y", "Z"):
                return self._shift_right(a, op == "Z")
            if op == "F":
                return np.logical_or.accumulate(a[::-1])[::-1].copy()
            if op == "G":
                return np.logical_and.accumulate(a[::-1])[::-1].copy()
            if op == "O":
                return np.logical_or.accumulate(a)
            return np.logical_and.accumulate(a)  # H
        assert isinstance(f, Binary)
        a, b = self(f.left), self(f.right)
        op = f.op
        if op == "&":
            return a & b
        if op == "|":
            return a | b
        if op == "->":
            return ~a | b
        if op == "<->":
            return ~(a ^ b)
        if op == "xor":
            return a ^ b
        out: BoolVec
        if op in ("U", "W"):
            out = kernels.until(a, b, op == "W")
            return out
        if op == "R":  # a R b = !(!a U !b)
            out = kernels.until(~a, ~b, False)
            return ~out
        if op == "M":  # a M b = !(!a W !b)
            return ~kernels.until(~a, ~b, True)
        if op == "S":
            out = kernels.since(a, b, False)
            return out
        return ~kernels.since(~a, ~b, False)  # T = !(!a S !b)


@dataclass(frozen=True, slots=True)
class Failure:
    """Where a formula that does not hold fails: a sub-formula false at a position."""

    subformula: Formula
    position: int


def explain_failure(ev: Evaluation, f: Formula, i: int = 0) -> Failure:
    """Descend from ``f`` (false at ``i``) to the most specific sub-formula that is false.

    Conjunctions go to a false conjunct, implications to the consequent,
    ``G``/``H`` to the first (last) position where their argument fails,
    ``X``/``N``/``Y``/``Z`` to the neighbouring position, ``R``/``W`` to the
    first position where the obligation they guard broke. Disjunctions and
    eventualities (``F``, ``U``, ``O``, ``S``...) stop the descent: every
    alternative failed, none more than another.
    """
    n = ev.n
    while True:
        if isinstance(f, Unary):
            op = f.op
            if op == "G":
                j = i + int(np.argmin(ev(f.arg)[i:]))
                f, i = f.arg, j
                continue
            if op == "H":
                j = int(np.flatnonzero(~ev(f.arg)[: i + 1])[-1])
                f, i = f.arg, j
                continue
            if op in ("X", "N") and i + 1 < n:
                f, i = f.arg, i + 1
                continue
            if op in ("Y", "Z") and i > 0:
                f, i = f.arg, i - 1
                continue
            return Failure(f, i)
        if isinstance(f, Binary):
            op = f.op
            if op == "&":
                f = f.left if not ev(f.left)[i] else f.right
                continue
            if op == "->":
                f = f.right
                continue
            if op in ("R", "W"):
                # R: b fails at j with no a in [i, j); W: a fails at j with no b in [i, j].
                guard, target = (f.left, f.right) if op == "R" else (f.right, f.left)
                bad = np.flatnonzero(~ev(target)[i:])
                if bad.size:
                    j = i + int(bad[0])
                    if not ev(guard)[i:j].any():
                        f, i = target, j
                        continue
            return Failure(f, i)
        return Failure(f, i)
