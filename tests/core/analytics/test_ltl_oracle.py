"""Test oracle (no tests here): a naive recursive LTLf evaluator from the definitions, and formula generators.

De Giacomo & Vardi (IJCAI 2013) semantics on a non-empty finite trace
``t[0..n-1]``; past operators as in Lichtenstein, Pnueli & Zuck (1985).
Deliberately unoptimised apart from memoisation per (node, position).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from midstream_mcp.core.analytics._ltl_ast import depth
from midstream_mcp.core.analytics.ltl import Atom, Binary, Compare, Const, Formula, Unary

ATOMS = ("a", "b", "c")


def holds(f: Formula, trace: Sequence[Any], i: int = 0) -> bool:
    """Does ``trace, i |= f``? Events are collections of atom names or dicts of fields."""
    memo: dict[tuple[int, int], bool] = {}
    n = len(trace)
    assert n > 0

    def atom_value(g: Atom | Compare, e: Any) -> bool:
        if isinstance(e, dict):
            if isinstance(g, Atom):
                return bool(e.get(g.name))
            v = e.get(g.field)
            c = g.value
            if v is None:
                return False
            if isinstance(c, bool):
                if not isinstance(v, bool):
                    return False
            elif isinstance(c, str):
                if not isinstance(v, str):
                    return False
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                return False
            return {
                "==": v == c,
                "!=": v != c,
                "<": v < c,
                "<=": v <= c,
                ">": v > c,
                ">=": v >= c,
            }[g.op]
        return isinstance(g, Atom) and g.name in e

    def sat(g: Formula, j: int) -> bool:
        key = (id(g), j)
        if key in memo:
            return memo[key]
        r = _sat(g, j)
        memo[key] = r
        return r

    def _sat(g: Formula, j: int) -> bool:
        if isinstance(g, Const):
            return g.value
        if isinstance(g, (Atom, Compare)):
            return atom_value(g, trace[j])
        if isinstance(g, Unary):
            op, a = g.op, g.arg
            if op == "!":
                return not sat(a, j)
            if op == "X":
                return j + 1 < n and sat(a, j + 1)
            if op == "N":
                return j + 1 >= n or sat(a, j + 1)
            if op == "F":
                return any(sat(a, k) for k in range(j, n))
            if op == "G":
                return all(sat(a, k) for k in range(j, n))
            if op == "Y":
                return j > 0 and sat(a, j - 1)
            if op == "Z":
                return j == 0 or sat(a, j - 1)
            if op == "O":
                return any(sat(a, k) for k in range(j + 1))
            if op == "H":
                return all(sat(a, k) for k in range(j + 1))
            raise AssertionError(op)
        assert isinstance(g, Binary)
        op, a, b = g.op, g.left, g.right
        if op == "&":
            return sat(a, j) and sat(b, j)
        if op == "|":
            return sat(a, j) or sat(b, j)
        if op == "->":
            return (not sat(a, j)) or sat(b, j)
        if op == "<->":
            return sat(a, j) == sat(b, j)
        if op == "xor":
            return sat(a, j) != sat(b, j)
        if op == "U":  # exists k >= j: b at k, a on [j, k)
            return any(sat(b, k) and all(sat(a, m) for m in range(j, k)) for k in range(j, n))
        if op == "W":  # a U b, or a forever
            until = any(sat(b, k) and all(sat(a, m) for m in range(j, k)) for k in range(j, n))
            return until or all(sat(a, k) for k in range(j, n))
        if op == "R":  # forall k >= j: b at k, or a at some m in [j, k)
            return all(sat(b, k) or any(sat(a, m) for m in range(j, k)) for k in range(j, n))
        if op == "M":  # b U (a & b)
            return any(sat(a, k) and sat(b, k) and all(sat(b, m) for m in range(j, k)) for k in range(j, n))
        if op == "S":  # exists k <= j: b at k, a on (k, j]
            return any(sat(b, k) and all(sat(a, m) for m in range(k + 1, j + 1)) for k in range(j + 1))
        if op == "T":  # forall k <= j: b at k, or a at some m in (k, j]
            return all(sat(b, k) or any(sat(a, m) for m in range(k + 1, j + 1)) for k in range(j + 1))
        raise AssertionError(op)

    return sat(f, i)


_leaves = st.one_of(
    st.sampled_from([Atom(x) for x in ATOMS]),
    st.sampled_from([Const(True), Const(False)]),
)


@st.composite
def _depth_limited(
    draw: st.DrawFn, leaves: st.SearchStrategy[Formula], unary: list[str], binary: list[str], depth: int
) -> Formula:
    """A formula of depth <= ``depth``; operators twice as likely as leaves at each level."""
    if depth <= 1 or draw(st.integers(0, 2)) == 0:
        return draw(leaves)
    if draw(st.booleans()):
        return Unary(draw(st.sampled_from(unary)), draw(_depth_limited(leaves, unary, binary, depth - 1)))
    left = draw(_depth_limited(leaves, unary, binary, depth - 1))
    right = draw(_depth_limited(leaves, unary, binary, depth - 1))
    return Binary(draw(st.sampled_from(binary)), left, right)


BOOL = ["&", "|", "->", "<->", "xor"]
#: Pure-past formulas (past operators must not contain future ones).
past_formulas = _depth_limited(_leaves, ["!", "Y", "Z", "O", "H"], [*BOOL, "S", "T"], 3)
#: A third of the leaves are pure-past formulas; the whole formula has depth <= 6.
#: Random LTLf formulas of depth <= 6 whose leaves may be pure-past formulas.
formulas = _depth_limited(
    st.one_of(_leaves, _leaves, past_formulas), ["!", "X", "N", "F", "G"], [*BOOL, "U", "R", "W", "M"], 6
).filter(lambda f: depth(f) <= 6)
future_formulas = _depth_limited(_leaves, ["!", "X", "N", "F", "G"], [*BOOL, "U", "R", "W", "M"], 6)
events = st.frozensets(st.sampled_from(ATOMS))
traces = st.lists(events, min_size=1, max_size=30)
