"""Compile an LTLf formula (with past) into a minimal DFA with three-valued verdicts.

The construction is formula progression (Bacchus & Kabanza 2000) on finite
traces (De Giacomo & Vardi, "Linear temporal logic and linear dynamic logic on
finite traces", IJCAI 2013), organised like Brzozowski derivatives:

* Formulas are put in negation normal form and hash-consed into integer ids;
  conjunctions and disjunctions are flattened, sorted and deduplicated, so
  syntactically equal obligations are the same state.
* ``unfold`` rewrites a formula into a propositional combination of the
  current letter's literals and *obligations* ``X g`` / ``N g`` on the next
  position (``F a = a | X F a``, ``G a = a & N G a``, ``a U b = b | (a & X(a U b))``...).
* A state is ``(accepting, g, bits)``: whether the trace may end here, the
  formula ``g`` the rest of the trace must satisfy, and one bit per past
  sub-formula (its value, or its argument's value, at the previous position;
  Lichtenstein, Pnueli & Zuck 1985). Every combination of obligations
  collapses into that pair because ``X a & N b == X(a & b)`` and
  ``X a | N b == N(a | b)`` on finite traces.
* Successors are found by expanding the unfolded formula over the atoms that
  still occur, so a state touching two of twelve atoms costs four leaves, not
  4096: an ordered decision diagram (Bryant, IEEE Trans. Computers 1986) built
  with a memoised ``apply``, shared by all states, for future-only formulas;
  a memoised Shannon expansion when past bits are part of the state.
* Moore's partition refinement then minimises the DFA. In the minimal DFA the
  states from which every continuation is accepted (rejected) collapse into
  one accepting (rejecting) sink: reaching it is the RV-LTL verdict true
  (false) of Bauer, Leucker & Schallhart (TOSEM 2011), adapted to finite
  traces; every other state is pending.

Past operators must have pure-past arguments (``G(grant -> O request)`` is
fine, ``O F a`` is rejected): a past operator over a future formula would need
Gabbay's separation first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics._ltl_ast import (
    Atom,
    AtomLike,
    Binary,
    Compare,
    Const,
    Formula,
    Unary,
    to_string,
)
from midstream_mcp.core.analytics._validate import InvalidInput

# Node kinds of the hash-consed NNF.
TRUE, FALSE, LIT, AND, OR = 0, 1, 2, 3, 4
X, N, F, G, U, R, W, M = 5, 6, 7, 8, 9, 10, 11, 12
Y, Z, O, H, S, T = 13, 14, 15, 16, 17, 18  # noqa: E741 - the operators' own letters
_PAST_KINDS: Final = frozenset({Y, Z, O, H, S, T})
_KIND_OF: Final = {"X": X, "N": N, "F": F, "G": G, "U": U, "R": R, "W": W, "M": M}
_KIND_OF.update({"Y": Y, "Z": Z, "O": O, "H": H, "S": S, "T": T})
_DUAL: Final = {X: N, N: X, F: G, G: F, U: R, R: U, W: M, M: W, Y: Z, Z: Y, O: H, H: O, S: T, T: S}
#: Value of a past node's bit before the first position: the weak operators
#: (Z, H, T) hold vacuously there, the strong ones (Y, O, S) do not.
_INITIAL_BIT: Final = {Y: 0, Z: 1, O: 0, H: 1, S: 0, T: 1}
_SYMBOL: Final = {v: k for k, v in _KIND_OF.items()}

VERDICT_PENDING, VERDICT_TRUE, VERDICT_FALSE = 0, 1, 2

#: Distinct atoms per formula: the transition table has 2**k columns.
MAX_ATOMS: Final = 16
MAX_STATES: Final = 20_000
MAX_TABLE_CELLS: Final = 1 << 24


_MAX_CLAUSES: Final = 4096
_NO_ATOM: Final = 1 << 30  # a leaf's "atom": after every real one in the diagram order
# Decision-diagram leaves (``~node``) that decide an AND / OR at once, and the ones it ignores.
_LEAF_ZERO_UNIT: Final = {AND: (~FALSE, ~TRUE), OR: (~TRUE, ~FALSE)}


def _minimal(clauses: set[int]) -> frozenset[int]:
    """Drop every clause that contains another (absorption: x | (x & y) = x).

    A clause is a bit set of base formulas, so containment is ``k & c == k``.
    """
    if len(clauses) < 2:
        return frozenset(clauses)
    kept: list[int] = []
    for c in sorted(clauses, key=int.bit_count):
        for k in kept:
            if k & c == k:
                break
        else:
            kept.append(c)
    return frozenset(kept)


class _Store:
    """Hash-consed NNF nodes: ``nodes[i]`` is ``(kind, a, b)``; AND/OR keep a sorted child tuple in ``a``."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, Any, Any]] = [(TRUE, None, None), (FALSE, None, None)]
        self.ids: dict[tuple[int, Any, Any], int] = {n: i for i, n in enumerate(self.nodes)}
        # support[i]: bit mask of the atoms node i reads at the current position (not under X/N/past).
        self.support: list[int] = [0, 0]
        # Progression rebuilds the same junctions over and over; their simplification is the cost.
        self._junctions: dict[tuple[int, tuple[int, ...]], int] = {}
        self.complement: dict[int, int] = {}  # literal node -> the opposite literal's node

    def mk(self, kind: int, a: Any = None, b: Any = None) -> int:
        key = (kind, a, b)
        i = self.ids.get(key)
        if i is None:
            i = len(self.nodes)
            self.nodes.append(key)
            self.ids[key] = i
            if kind == LIT:
                sup = 1 << a
            elif kind in (AND, OR):
                sup = 0
                for c in a:
                    sup |= self.support[c]
            else:
                sup = 0
            self.support.append(sup)
        return i

    def lit(self, atom: int, positive: bool) -> int:
        i = self.mk(LIT, atom, positive)
        if i not in self.complement:
            j = self.mk(LIT, atom, not positive)
            self.complement[i], self.complement[j] = j, i
        return i

    def junction(self, kind: int, children: Sequence[int]) -> int:
        """AND/OR with flattening, constant absorption, dedup, sorting and ``p & !p`` folding."""
        key = (kind, tuple(children))
        r = self._junctions.get(key)
        if r is None:
            r = self._junction(kind, children)
            self._junctions[key] = r
        return r

    def _junction(self, kind: int, children: Sequence[int]) -> int:
        unit, zero = (TRUE, FALSE) if kind == AND else (FALSE, TRUE)
        nodes = self.nodes
        flat: set[int] = set()
        for c in children:
            if c == zero:
                return zero
            if c == unit:
                continue
            node = nodes[c]
            if node[0] == kind:
                flat.update(node[1])
            else:
                flat.add(c)
        if not flat:
            return unit
        if len(flat) == 1:
            return next(iter(flat))
        complement = self.complement
        for c in flat:
            d = complement.get(c)
            if d is not None and d in flat:
                return zero  # p & !p, or p | !p
        return self.mk(kind, tuple(sorted(flat)))

    def temporal(self, kind: int, a: int, b: int | None = None) -> int:
        # Only simplifications that keep LTLf meaning exactly: X false = false,
        # N true = true (strong next needs a position, weak next is vacuous).
        if kind == X and a == FALSE:
            return FALSE
        if kind == N and a == TRUE:
            return TRUE
        if kind in (F, G) and a in (TRUE, FALSE):
            return a
        return self.mk(kind, a, b)


@dataclass(frozen=True)
class Automaton:
    """A minimal DFA over letters ``0 .. 2**k - 1`` (bit i = atom i true at the event).

    States ``0 .. n_pending-1`` are pending; the true sink (if any) is
    ``n_pending`` and the false sink follows it, so a kernel tests
    ``state >= n_pending`` to know the verdict is final.
    """

    atoms: tuple[AtomLike, ...]
    table: npt.NDArray[np.int32]  # (n_states, 2**k)
    accepting: npt.NDArray[np.bool_]  # may the trace end in this state?
    verdicts: npt.NDArray[np.int8]  # VERDICT_* per state, after at least one event
    initial: int
    initial_verdict: int  # verdict before any event (quantifies over non-empty traces)
    n_pending: int
    normalised: str
    has_past: bool
    safety: bool
    guarantee: bool
    obligation: bool
    raw_states: int  # states before minimisation

    @property
    def n_states(self) -> int:
        return int(self.table.shape[0])


class _Builder:
    def __init__(self, formula: Formula, atoms: tuple[AtomLike, ...]) -> None:
        self.s = _Store()
        self.atom_index = {a: i for i, a in enumerate(atoms)}
        self.past: list[int] = []  # node id of each past sub-formula, by bit index
        self.past_bit: dict[int, int] = {}
        self.root = self.nnf(formula, True)
        self._unfold: dict[int, int] = {}
        self._assign: dict[tuple[int, int, int], int] = {}
        self._cur: dict[tuple[int, int], int] = {}
        self._psub: dict[tuple[int, int], int] = {}
        self._end: dict[int, bool] = {}
        self._strip: dict[int, int] = {}
        self._relevant: dict[int, int] = {}
        self._dnf: dict[int, frozenset[int]] = {}
        self._bases: list[int] = []  # base formulas (non-AND/OR nodes) by clause bit
        self._base_bit: dict[int, int] = {}
        self._clause_nodes: dict[int, int] = {}  # clause bit set -> its AND node
        self._canon: dict[int, int] = {}
        self._split: dict[tuple[int, ...], list[tuple[int, int, tuple[int, ...]]]] = {}
        # Decision diagrams of unfolded formulas over the atoms (future-only formulas): node ids
        # >= 0 index ``_bdd`` (atom, low, high); a leaf is ``~r`` for the atom-free formula ``r``.
        self._bdd: list[tuple[int, int, int]] = []
        self._bdd_ids: dict[tuple[int, int, int], int] = {}
        self._bdd_of: dict[int, int] = {}
        self._and: dict[tuple[int, int], int] = {}  # apply's memo, per operation
        self._or: dict[tuple[int, int], int] = {}
        self._cubes: dict[int, list[tuple[int, int, int]]] = {}

    # -- negation normal form ------------------------------------------------
    def nnf(self, f: Formula, pos: bool) -> int:
        s = self.s
        if isinstance(f, Const):
            return TRUE if f.value == pos else FALSE
        if isinstance(f, (Atom, Compare)):
            return s.lit(self.atom_index[f], pos)
        if isinstance(f, Unary):
            if f.op == "!":
                return self.nnf(f.arg, not pos)
            kind = _KIND_OF[f.op]
            node = s.temporal(kind if pos else _DUAL[kind], self.nnf(f.arg, pos))
            return self.register_past(node)
        assert isinstance(f, Binary)
        op = f.op
        if op in ("&", "|"):
            kind = AND if (op == "&") == pos else OR
            return s.junction(kind, [self.nnf(f.left, pos), self.nnf(f.right, pos)])
        if op == "->":
            if pos:
                return s.junction(OR, [self.nnf(f.left, False), self.nnf(f.right, True)])
            return s.junction(AND, [self.nnf(f.left, True), self.nnf(f.right, False)])
        if op in ("<->", "xor"):
            same = (op == "<->") == pos  # the result holds when both sides agree
            lt, lf = self.nnf(f.left, True), self.nnf(f.left, False)
            rt, rf = self.nnf(f.right, True), self.nnf(f.right, False)
            if same:
                return s.junction(OR, [s.junction(AND, [lt, rt]), s.junction(AND, [lf, rf])])
            return s.junction(OR, [s.junction(AND, [lt, rf]), s.junction(AND, [lf, rt])])
        kind = _KIND_OF[op]
        node = s.temporal(kind if pos else _DUAL[kind], self.nnf(f.left, pos), self.nnf(f.right, pos))
        return self.register_past(node)

    def register_past(self, node: int) -> int:
        if self.s.nodes[node][0] in _PAST_KINDS and node not in self.past_bit:
            self.past_bit[node] = len(self.past)
            self.past.append(node)
        return node

    # -- one step of progression -----------------------------------------------
    def unfold(self, f: int) -> int:
        """Rewrite ``f`` into literals, past nodes and X/N obligations on the next position."""
        r = self._unfold.get(f)
        if r is not None:
            return r
        s = self.s
        kind, a, b = s.nodes[f]
        if kind in (AND, OR):
            r = s.junction(kind, [self.unfold(c) for c in a])
        elif kind == F:
            r = s.junction(OR, [self.unfold(a), s.temporal(X, f)])
        elif kind == G:
            r = s.junction(AND, [self.unfold(a), s.temporal(N, f)])
        elif kind in (U, W):  # b | (a & X/N f)
            nxt = s.temporal(X if kind == U else N, f)
            r = s.junction(OR, [self.unfold(b), s.junction(AND, [self.unfold(a), nxt])])
        elif kind in (R, M):  # b & (a | N/X f)
            nxt = s.temporal(N if kind == R else X, f)
            r = s.junction(AND, [self.unfold(b), s.junction(OR, [self.unfold(a), nxt])])
        else:  # constants, literals, X/N obligations and past nodes stay as they are
            r = f
        self._unfold[f] = r
        return r

    def cur(self, f: int, bits: int) -> int:
        """Value of the pure-past formula ``f`` at the current position, as literals, given ``bits``."""
        key = (f, bits)
        r = self._cur.get(key)
        if r is not None:
            return r
        s = self.s
        kind, a, b = s.nodes[f]
        if kind in (AND, OR):
            r = s.junction(kind, [self.cur(c, bits) for c in a])
        elif kind in _PAST_KINDS:
            prev = TRUE if bits >> self.past_bit[f] & 1 else FALSE
            if kind in (Y, Z):
                r = prev
            elif kind == O:
                r = s.junction(OR, [self.cur(a, bits), prev])
            elif kind == H:
                r = s.junction(AND, [self.cur(a, bits), prev])
            elif kind == S:  # b | (a & prev)
                r = s.junction(OR, [self.cur(b, bits), s.junction(AND, [self.cur(a, bits), prev])])
            else:  # T: b & (a | prev)
                r = s.junction(AND, [self.cur(b, bits), s.junction(OR, [self.cur(a, bits), prev])])
        else:
            r = f
        self._cur[key] = r
        return r

    def past_subst(self, e: int, bits: int) -> int:
        """Replace the past nodes of an unfolded formula by their current values."""
        if not self.past:
            return e
        key = (e, bits)
        r = self._psub.get(key)
        if r is not None:
            return r
        s = self.s
        kind, a, _ = s.nodes[e]
        if kind in (AND, OR):
            r = s.junction(kind, [self.past_subst(c, bits) for c in a])
        elif kind in _PAST_KINDS:
            r = self.cur(e, bits)
        else:
            r = e
        self._psub[key] = r
        return r

    def next_bit_exprs(self, bits: int) -> list[int]:
        """What each past bit becomes after this position: Y/Z store their argument, O/H/S/T themselves."""
        out = []
        for node in self.past:
            kind, a, _ = self.s.nodes[node]
            out.append(self.cur(a if kind in (Y, Z) else node, bits))
        return out

    def assign(self, e: int, atom: int, value: int) -> int:
        """``e`` with ``atom`` set to ``value``; callers only pass nodes that read ``atom``."""
        key = (e, atom, value)
        r = self._assign.get(key)
        if r is None:
            s = self.s
            kind, a, b = s.nodes[e]
            if kind == LIT:
                r = TRUE if bool(b) == bool(value) else FALSE
            else:
                sup = s.support
                r = s.junction(kind, [self.assign(c, atom, value) if sup[c] >> atom & 1 else c for c in a])
            self._assign[key] = r
        return r

    def split(self, exprs: tuple[int, ...]) -> list[tuple[int, int, tuple[int, ...]]]:
        """Shannon-expand ``exprs`` on the atoms they still mention (lowest index first).

        Returns ``(mask, value, leaf)`` triples: every letter whose bits under
        ``mask`` equal ``value`` turns ``exprs`` into the atom-free ``leaf``.
        The expansion depends only on ``exprs``, so it is memoised: branches and
        states that reach the same sub-expressions share the work.
        """
        r = self._split.get(exprs)
        if r is not None:
            return r
        support = self.s.support
        sup = 0
        for e in exprs:
            sup |= support[e]
        if not sup:
            r = [(0, 0, exprs)]
        else:
            i = (sup & -sup).bit_length() - 1
            bit = 1 << i
            r = []
            for v in (0, 1):
                sub = self.split(tuple([self.assign(e, i, v) if support[e] & bit else e for e in exprs]))
                r.extend((m | bit, val | (bit if v else 0), leaf) for m, val, leaf in sub)
        self._split[exprs] = r
        return r

    # -- decision diagrams (formulas without past operators) -------------------
    def bdd(self, e: int) -> int:
        """The ordered decision diagram of ``e`` over its atoms, leaves atom-free formulas.

        Built bottom-up with a memoised ``apply`` (Bryant 1986), so states that
        share obligations share their diagrams: cheaper than expanding each
        state's formula on its own.
        """
        r = self._bdd_of.get(e)
        if r is not None:
            return r
        s = self.s
        support = s.support
        if not support[e]:
            r = ~e
        else:
            kind, a, b = s.nodes[e]
            if kind == LIT:
                r = self._bdd_node(a, ~TRUE, ~FALSE) if not b else self._bdd_node(a, ~FALSE, ~TRUE)
            else:
                free = [c for c in a if not support[c]]
                acc = ~s.junction(kind, free) if free else None
                for c in a:
                    if support[c]:
                        u = self.bdd(c)
                        acc = u if acc is None else self.apply(kind, acc, u)
                assert acc is not None
                r = acc
        self._bdd_of[e] = r
        return r

    def _bdd_node(self, atom: int, low: int, high: int) -> int:
        if low == high:
            return low
        key = (atom, low, high)
        r = self._bdd_ids.get(key)
        if r is None:
            r = self._bdd_ids[key] = len(self._bdd)
            self._bdd.append(key)
        return r

    def apply(self, kind: int, u: int, v: int) -> int:
        """The diagram of ``u AND v`` or ``u OR v`` (``kind``)."""
        if u > v:
            u, v = v, u  # both operations commute: one memo entry per pair
        memo = self._and if kind == AND else self._or
        r = memo.get((u, v))
        if r is not None:
            return r
        zero, unit = _LEAF_ZERO_UNIT[kind]
        if u == zero or v == zero:
            r = zero
        elif u == unit:
            r = v
        elif v == unit:
            r = u
        elif v < 0:  # two leaves (u < v)
            r = ~self.s.junction(kind, (~u, ~v))
        else:
            nodes = self._bdd
            av, v0, v1 = nodes[v]
            if u < 0:
                au, u0, u1 = _NO_ATOM, u, u
            else:
                au, u0, u1 = nodes[u]
            if au < av:
                r = self._bdd_node(au, self.apply(kind, u0, v), self.apply(kind, u1, v))
            elif av < au:
                r = self._bdd_node(av, self.apply(kind, u, v0), self.apply(kind, u, v1))
            else:
                r = self._bdd_node(au, self.apply(kind, u0, v0), self.apply(kind, u1, v1))
        memo[u, v] = r
        return r

    def cubes(self, u: int) -> list[tuple[int, int, int]]:
        """``(mask, value, leaf)``: the letters whose bits under ``mask`` equal ``value`` lead to ``leaf``."""
        r = self._cubes.get(u)
        if r is None:
            if u < 0:
                r = [(0, 0, ~u)]
            else:
                atom, low, high = self._bdd[u]
                bit = 1 << atom
                r = [(m | bit, val, leaf) for m, val, leaf in self.cubes(low)]
                r += [(m | bit, val | bit, leaf) for m, val, leaf in self.cubes(high)]
            self._cubes[u] = r
        return r

    def end_value(self, e: int) -> bool:
        """Does the atom-free combination of obligations ``e`` hold if the trace ends now?"""
        r = self._end.get(e)
        if r is None:
            kind, a, _ = self.s.nodes[e]
            if kind in (AND, OR):
                vals = [self.end_value(c) for c in a]
                r = all(vals) if kind == AND else any(vals)
            else:
                r = kind in (TRUE, N)
            self._end[e] = r
        return r

    def strip(self, e: int) -> int:
        """What ``e`` requires of the next position, if there is one: drop the X/N."""
        r = self._strip.get(e)
        if r is None:
            kind, a, _ = self.s.nodes[e]
            if kind in (AND, OR):
                r = self.s.junction(kind, [self.strip(c) for c in a])
            elif kind in (X, N):
                r = a
            else:
                r = e
            self._strip[e] = r
        return r

    def dnf(self, e: int) -> frozenset[int]:
        """Minimal DNF of a positive combination of base formulas (non-AND/OR nodes).

        A monotone Boolean function has exactly one irredundant DNF (its prime
        implicants), so this makes ``x | (x & y)`` and ``x`` the same state;
        sorting alone would let such obligations grow forever (``F a U F a``).
        Each clause is a bit set over ``self._bases``.
        """
        r = self._dnf.get(e)
        if r is None:
            kind, a, _ = self.s.nodes[e]
            if kind == TRUE:
                r = frozenset((0,))
            elif kind == FALSE:
                r = frozenset()
            elif kind == OR:
                r = _minimal(set().union(*(self.dnf(c) for c in a)))
            elif kind == AND:
                acc: frozenset[int] = frozenset((0,))
                for c in a:
                    acc = _minimal({x | y for x in acc for y in self.dnf(c)})
                    if len(acc) > _MAX_CLAUSES:
                        raise InvalidInput(
                            "formula", "is too large to monitor: split it into smaller properties"
                        )
                r = acc
            else:
                bit = self._base_bit.get(e)
                if bit is None:
                    bit = self._base_bit[e] = len(self._bases)
                    self._bases.append(e)
                r = frozenset((1 << bit,))
            self._dnf[e] = r
        return r

    def canonical(self, e: int) -> int:
        """The node of ``e``'s minimal DNF: one id per distinct obligation."""
        r = self._canon.get(e)
        if r is None:
            s, bases, nodes = self.s, self._bases, self._clause_nodes
            clauses = []
            for clause in self.dnf(e):
                c = nodes.get(clause)
                if c is None:
                    members = []
                    bits = clause
                    while bits:
                        low = bits & -bits
                        members.append(bases[low.bit_length() - 1])
                        bits ^= low
                    c = nodes[clause] = s.junction(AND, members)
                clauses.append(c)
            r = s.junction(OR, clauses)
            self._canon[e] = r
        return r

    def relevant_bits(self, f: int) -> int:
        """Bits of the past nodes inside ``f``: the only history ``f`` can still read."""
        r = self._relevant.get(f)
        if r is None:
            kind, a, b = self.s.nodes[f]
            r = 1 << self.past_bit[f] if kind in _PAST_KINDS else 0
            if kind in (AND, OR):
                for c in a:
                    r |= self.relevant_bits(c)
            elif kind >= X:
                r |= self.relevant_bits(a)
                if b is not None:
                    r |= self.relevant_bits(b)
            self._relevant[f] = r
        return r

    def successor(self, leaf: tuple[int, ...]) -> tuple[bool, int, int]:
        """The state after a position whose letter turned the obligations into ``leaf``."""
        nbits = 0
        for j, be in enumerate(leaf[1:]):
            if be == TRUE:
                nbits |= 1 << j
        g = self.canonical(self.strip(leaf[0]))
        return (self.end_value(leaf[0]), g, nbits & self.relevant_bits(g))

    def build(self, max_states: int, max_cells: int) -> tuple[np.ndarray, np.ndarray, int]:
        k = len(self.atom_index)
        n_letters = 1 << k
        letters = np.arange(n_letters, dtype=np.int64)
        cubes: dict[tuple[int, int], npt.NDArray[np.intp]] = {}  # letters matching (mask, value)
        successors: dict[tuple[int, ...], tuple[bool, int, int]] = {}
        init_bits = 0
        for node, j in self.past_bit.items():
            init_bits |= _INITIAL_BIT[self.s.nodes[node][0]] << j
        root = self.canonical(self.root)
        start = (False, root, init_bits & self.relevant_bits(root))
        ids: dict[tuple[bool, int, int], int] = {start: 0}
        order = [start]
        rows: list[np.ndarray] = []
        queue = deque([start])
        while queue:
            _, g, bits = queue.popleft()
            e = self.past_subst(self.unfold(g), bits)
            exprs = (e, *self.next_bit_exprs(bits)) if self.past else (e,)
            row = np.empty(n_letters, dtype=np.int32)
            if self.past:
                leaves = self.split(exprs)
            else:
                leaves = [(m, val, (leaf,)) for m, val, leaf in self.cubes(self.bdd(e))]
            for fmask, fval, leaf in leaves:
                key = successors.get(leaf)
                if key is None:
                    key = successors[leaf] = self.successor(leaf)
                t = ids.get(key)
                if t is None:
                    t = len(order)
                    if t >= max_states or (t + 1) * n_letters > max_cells:
                        raise InvalidInput(
                            "formula",
                            f"needs more than {t} automaton states over {n_letters} letters; "
                            "split it into smaller properties",
                        )
                    ids[key] = t
                    order.append(key)
                    queue.append(key)
                cube = cubes.get((fmask, fval))
                if cube is None:
                    cube = cubes[fmask, fval] = np.flatnonzero((letters & fmask) == fval)
                row[cube] = t
            rows.append(row)
        table = np.stack(rows)
        accepting = np.fromiter((key[0] for key in order), dtype=np.bool_, count=len(order))
        return table, accepting, 0


def _minimise(table: np.ndarray, accepting: np.ndarray) -> np.ndarray:
    """Moore's partition refinement: the class of each state in the minimal DFA."""
    cls = accepting.astype(np.int64)
    n_cls = len(np.unique(cls))
    while True:
        sig = np.ascontiguousarray(np.concatenate([cls[:, None], cls[table]], axis=1))
        # rows as opaque byte strings: a 1-D unique, far cheaper than np.unique(axis=0)
        rows = sig.view(np.dtype((np.void, sig.dtype.itemsize * sig.shape[1]))).reshape(-1)
        _, new = np.unique(rows, return_inverse=True)
        new = new.reshape(-1).astype(np.int64)
        n_new = int(new.max()) + 1
        cls = new
        if n_new == n_cls:
            return cls
        n_cls = n_new


def _sccs(succ: list[list[int]]) -> list[int]:
    """Tarjan's algorithm, iterative; returns the component index of each state."""
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    n_comp = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            if i < len(succ[v]):
                work[-1] = (v, i + 1)
                w = succ[v][i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        comp[w] = n_comp
                        if w == v:
                            break
                    n_comp += 1
    return comp


def _check_past_arguments(f: Formula) -> None:
    from midstream_mcp.core.analytics._ltl_ast import PAST_OPS, is_pure_past

    stack = [f]
    while stack:
        g = stack.pop()
        if isinstance(g, Unary):
            if g.op in PAST_OPS and not is_pure_past(g.arg):
                raise InvalidInput(
                    "formula",
                    f"the past operator {g.op} in '{to_string(g)}' has a future operator in its "
                    "argument; past operators take pure-past arguments",
                )
            stack.append(g.arg)
        elif isinstance(g, Binary):
            if g.op in PAST_OPS and not (is_pure_past(g.left) and is_pure_past(g.right)):
                raise InvalidInput(
                    "formula",
                    f"the past operator {g.op} in '{to_string(g)}' has a future operator in an "
                    "argument; past operators take pure-past arguments",
                )
            stack.extend((g.right, g.left))


def build_automaton(
    formula: Formula,
    atoms: tuple[AtomLike, ...],
    *,
    max_states: int = MAX_STATES,
    max_cells: int = MAX_TABLE_CELLS,
) -> Automaton:
    """Compile ``formula`` over the atom order ``atoms`` into a minimal three-valued DFA.

    Raises ``InvalidInput("formula", ...)`` for more than :data:`MAX_ATOMS`
    atoms, past operators over future formulas, or more states than allowed.
    """
    if len(atoms) > MAX_ATOMS:
        raise InvalidInput("formula", f"has {len(atoms)} distinct atoms, more than the limit of {MAX_ATOMS}")
    _check_past_arguments(formula)
    b = _Builder(formula, atoms)
    table, accepting, init = b.build(max_states, max_cells)
    raw_states = table.shape[0]
    cls = _minimise(table, accepting)
    n = int(cls.max()) + 1
    _, rep = np.unique(cls, return_index=True)  # first state of each class
    mtable = cls[table[rep]]
    macc = accepting[rep]
    minit = int(cls[init])

    # Decided states are exactly the sinks of the minimal DFA.
    loops = (mtable == np.arange(n)[:, None]).all(axis=1)
    true_sinks = np.flatnonzero(loops & macc)
    false_sinks = np.flatnonzero(loops & ~macc)
    # Renumber: pending states in BFS order from the initial state, then the sinks.
    sinks = {int(x) for x in true_sinks} | {int(x) for x in false_sinks}
    new_id = np.full(n, -1, dtype=np.int64)
    order: list[int] = []
    seen = {minit}
    queue = deque([minit])
    reach: list[int] = []
    mrows = [sorted(set(row)) for row in mtable.tolist()]  # successors of each class, once
    while queue:
        q = queue.popleft()
        reach.append(q)
        for t in mrows[q]:
            if t not in seen:
                seen.add(t)
                queue.append(t)
    for q in reach:
        if q not in sinks:
            new_id[q] = len(order)
            order.append(q)
    n_pending = len(order)
    for q in [int(x) for x in true_sinks] + [int(x) for x in false_sinks]:
        if q in seen:
            new_id[q] = len(order)
            order.append(q)
    final_table = np.ascontiguousarray(new_id[mtable[order]], dtype=np.int32)
    final_acc = np.ascontiguousarray(macc[order])
    verdicts = np.zeros(len(order), dtype=np.int8)
    for i, q in enumerate(order):
        if q in true_sinks:
            verdicts[i] = VERDICT_TRUE
        elif q in false_sinks:
            verdicts[i] = VERDICT_FALSE
    initial = int(new_id[minit])
    first = verdicts[final_table[initial]]
    if (first == VERDICT_TRUE).all():
        initial_verdict = VERDICT_TRUE
    elif (first == VERDICT_FALSE).all():
        initial_verdict = VERDICT_FALSE
    else:
        initial_verdict = VERDICT_PENDING

    # Hierarchy class, over the states reachable after at least one event.
    succ = [sorted(set(row)) for row in final_table.tolist()]
    after: set[int] = set()
    todo = list(succ[initial])
    while todo:
        q = todo.pop()
        if q not in after:
            after.add(q)
            todo.extend(succ[q])
    safety = all(final_acc[q] or verdicts[q] == VERDICT_FALSE for q in after)
    guarantee = all(not final_acc[q] or verdicts[q] == VERDICT_TRUE for q in after)
    comp = _sccs(succ)
    comp_acc: dict[int, bool] = {}
    obligation = True
    for q in after:
        if comp_acc.setdefault(comp[q], bool(final_acc[q])) != bool(final_acc[q]):
            obligation = False
            break
    for arr in (final_table, final_acc, verdicts):
        arr.flags.writeable = False
    return Automaton(
        atoms=atoms,
        table=final_table,
        accepting=final_acc,
        verdicts=verdicts,
        initial=initial,
        initial_verdict=initial_verdict,
        n_pending=n_pending,
        normalised=to_string(nnf_formula(b.s, b.root, atoms)),
        has_past=bool(b.past),
        safety=bool(safety),
        guarantee=bool(guarantee),
        obligation=bool(obligation),
        raw_states=raw_states,
    )


def nnf_formula(store: _Store, node: int, atoms: tuple[AtomLike, ...]) -> Formula:
    """Turn a hash-consed NNF node back into a syntax tree (for printing)."""
    kind, a, b = store.nodes[node]
    if kind == TRUE:
        return Const(True)
    if kind == FALSE:
        return Const(False)
    if kind == LIT:
        atom: Formula = atoms[a]
        return atom if b else Unary("!", atom)
    if kind in (AND, OR):
        parts = [nnf_formula(store, c, atoms) for c in a]
        out = parts[0]
        for p in parts[1:]:
            out = Binary("&" if kind == AND else "|", out, p)
        return out
    sym = _SYMBOL[kind]
    if b is None:
        return Unary(sym, nnf_formula(store, a, atoms))
    return Binary(sym, nnf_formula(store, a, atoms), nnf_formula(store, b, atoms))
