"""LTL on finite traces: parse, verify a trace, monitor a live stream.

The language is propositional LTL with past (Pnueli 1977; Lichtenstein,
Pnueli & Zuck 1985) read over finite traces as LTLf (De Giacomo & Vardi,
"Linear temporal logic and linear dynamic logic on finite traces", IJCAI 2013):

======================  =====================================================
``true false``          constants (also ``1 0``)
``! & | xor -> <->``    Boolean connectives (``&&``, ``||`` accepted)
``X f``                 strong next: there is a next event and it satisfies f
``N f``, ``X[!] f``     weak next: if there is a next event, it satisfies f
``F f``, ``G f``        eventually, always (until the end of the trace)
``f U g``, ``f R g``    until (g must come), release
``f W g``, ``f M g``    weak until, strong release
``Y f``, ``Z f``        yesterday (false at the first event), weak yesterday
``O f``, ``H f``        once, historically
``f S g``, ``f T g``    since, trigger (NuSMV's dual of since)
======================  =====================================================

Atoms are names (``tool_call``) or comparisons of an event field with a
constant (``latency_ms > 500``, ``verdict == "block"``); quote names that
are not identifiers (``"tool call"``). Operators are separate words:
``GF a`` is ``G F a``, ``GFa`` an atom. Precedence is Spot's (see
:mod:`._ltl_ast`). Past operators must have pure-past arguments.

A trace is a non-empty sequence of events; each event is the collection of
the atoms that hold or a mapping of fields (see :mod:`._ltl_events`).

:func:`compile_ltl` builds a minimal DFA once (see :mod:`._ltl_automaton`);
:meth:`CompiledLTL.monitor` gives cheap per-stream :class:`Monitor` objects
whose ``step(event)`` is one table look-up and returns the RV-LTL verdict
(Bauer, Leucker & Schallhart, TOSEM 2011) over finite continuations:
``true`` (every continuation satisfies the property), ``false`` (none does)
or ``pending``. :func:`verify_ltl` checks a whole trace with a numba kernel
and explains a failure.
"""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics import _ltl_kernels as kernels
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
from midstream_mcp.core.analytics._ltl_ast import (
    atoms as formula_atoms,
)
from midstream_mcp.core.analytics._ltl_ast import (
    size as formula_size,
)
from midstream_mcp.core.analytics._ltl_automaton import (
    MAX_ATOMS,
    MAX_STATES,
    VERDICT_FALSE,
    VERDICT_PENDING,
    VERDICT_TRUE,
    Automaton,
    build_automaton,
)
from midstream_mcp.core.analytics._ltl_eval import Evaluation, explain_failure
from midstream_mcp.core.analytics._ltl_events import Encoder, encode_columns, encode_trace, make_encoder
from midstream_mcp.core.analytics._ltl_parser import MAX_FORMULA_CHARS, parse
from midstream_mcp.core.analytics._validate import InvalidInput

__all__ = [
    "MAX_ATOMS",
    "MAX_FORMULA_CHARS",
    "MAX_STATES",
    "Atom",
    "Binary",
    "Compare",
    "CompiledLTL",
    "Const",
    "Explanation",
    "Formula",
    "Monitor",
    "Unary",
    "Verdict",
    "Verification",
    "compile_ltl",
    "explain_ltl",
    "parse",
    "to_string",
    "verify_ltl",
    "warmup",
]


class Verdict(enum.StrEnum):
    """Three-valued monitor verdict (RV-LTL on finite traces)."""

    TRUE = "true"
    FALSE = "false"
    PENDING = "pending"


_VERDICTS: Final = {
    VERDICT_PENDING: Verdict.PENDING,
    VERDICT_TRUE: Verdict.TRUE,
    VERDICT_FALSE: Verdict.FALSE,
}
PropertyClass = Literal["safety & guarantee", "safety", "guarantee", "obligation", "beyond obligation"]


@dataclass(frozen=True, eq=False)
class CompiledLTL:
    """A formula compiled once into a minimal DFA; share it between streams, clone monitors from it.

    Attributes
    ----------
    formula : Formula
        The parsed formula.
    automaton : Automaton
        Transition table ``(n_states, 2**k)`` over letters whose bit ``i`` is atom ``i``.
    compile_seconds : float
        Wall time of the compilation.
    """

    formula: Formula
    automaton: Automaton
    compile_seconds: float
    encoder: Encoder

    @property
    def text(self) -> str:
        """The formula, printed."""
        return to_string(self.formula)

    @property
    def atoms(self) -> tuple[AtomLike, ...]:
        """Atom order of the letters: bit ``i`` of a letter is ``atoms[i]``."""
        return self.automaton.atoms

    @property
    def n_states(self) -> int:
        """States of the minimal DFA."""
        return self.automaton.n_states

    @property
    def initial_verdict(self) -> Verdict:
        """Verdict before any event: over all non-empty traces."""
        return _VERDICTS[self.automaton.initial_verdict]

    def monitor(self) -> Monitor:
        """A fresh online monitor at the start of a trace."""
        return Monitor(self)

    def encode(self, trace: Sequence[Any], field: str = "trace") -> npt.NDArray[np.int32]:
        """Integer letters of a trace of events."""
        return encode_trace(self.encoder, trace, field)

    def encode_columns(self, columns: Mapping[str, Any]) -> npt.NDArray[np.int32]:
        """Integer letters of a trace given as columns (``{"request": bool array, ...}``)."""
        return encode_columns(self.atoms, columns)

    def run(self, letters: npt.NDArray[np.int32], *, early_exit: bool = True) -> tuple[int, int]:
        """Run the DFA over ``letters``: ``(final state, index of the first decided event or -1)``.

        With ``early_exit`` the kernel stops at the decision (the state is then a sink).
        """
        a = self.automaton
        letters = np.ascontiguousarray(letters, dtype=np.int32)
        if letters.size and (int(letters.min()) < 0 or int(letters.max()) >= a.table.shape[1]):
            raise InvalidInput("letters", f"must lie in [0, {a.table.shape[1]})")
        fn = kernels.run_dfa if early_exit else kernels.scan_dfa
        s, first = fn(a.table, letters, a.initial, a.n_pending)
        return int(s), int(first)

    def holds_on_letters(self, letters: npt.NDArray[np.int32]) -> bool:
        """LTLf verdict of a complete, non-empty trace of letters."""
        if len(letters) == 0:
            raise InvalidInput("trace", "must not be empty: LTLf is defined on non-empty traces")
        s, _ = self.run(letters)
        return bool(self.automaton.accepting[s])

    def run_many(
        self, letters: npt.NDArray[np.int32], offsets: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """LTLf verdicts of the traces ``letters[offsets[j]:offsets[j+1]]``, and their first decided index."""
        a = self.automaton
        letters = np.ascontiguousarray(letters, dtype=np.int32)
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        states, first = kernels.run_dfa_many(a.table, letters, offsets, a.initial, a.n_pending)
        return a.accepting[states], first

    def verdict_of_state(self, state: int) -> Verdict:
        """Verdict in ``state`` after at least one event."""
        return _VERDICTS[int(self.automaton.verdicts[state])]


class Monitor:
    """Online monitor of one stream: ``step(event)`` is one encoder call and one table look-up.

    Cheap to create and to :meth:`clone`; the compiled tables are shared.
    """

    __slots__ = ("_compiled", "_encode", "_rows", "_state", "_steps", "_verdicts")

    def __init__(self, compiled: CompiledLTL) -> None:
        self._compiled = compiled
        self._encode = compiled.encoder
        self._rows, self._verdicts = _python_tables(compiled)
        self._state = compiled.automaton.initial
        self._steps = 0

    def step(self, event: Any) -> Verdict:
        """Consume one event; return the verdict on the trace so far."""
        s = self._rows[self._state][self._encode(event)]
        self._state = s
        self._steps += 1
        return self._verdicts[s]

    def step_letter(self, letter: int) -> Verdict:
        """Consume one already-encoded event (see :meth:`CompiledLTL.encode`)."""
        s = self._rows[self._state][letter]
        self._state = s
        self._steps += 1
        return self._verdicts[s]

    def feed(self, events: Iterable[Any]) -> Verdict:
        """Consume many events; return the verdict after the last one."""
        rows, enc = self._rows, self._encode
        s, k = self._state, 0
        for e in events:
            s = rows[s][enc(e)]
            k += 1
        self._state = s
        self._steps += k
        return self.verdict

    @property
    def verdict(self) -> Verdict:
        """Current three-valued verdict."""
        if self._steps == 0:
            return self._compiled.initial_verdict
        return self._verdicts[self._state]

    @property
    def steps(self) -> int:
        """Events consumed so far."""
        return self._steps

    @property
    def state(self) -> int:
        """Current DFA state."""
        return self._state

    @property
    def compiled(self) -> CompiledLTL:
        """The compiled formula this monitor runs."""
        return self._compiled

    def final(self) -> bool | None:
        """LTLf verdict if the stream closes now; ``None`` if it saw no event and is still pending."""
        if self._steps == 0:
            v = self._compiled.initial_verdict
            return None if v is Verdict.PENDING else v is Verdict.TRUE
        return bool(self._compiled.automaton.accepting[self._state])

    def clone(self) -> Monitor:
        """An independent copy at the same position."""
        m = Monitor.__new__(Monitor)
        m._compiled, m._encode, m._rows, m._verdicts = (
            self._compiled,
            self._encode,
            self._rows,
            self._verdicts,
        )
        m._state, m._steps = self._state, self._steps
        return m

    def reset(self) -> None:
        """Back to the start of a trace."""
        self._state = self._compiled.automaton.initial
        self._steps = 0


@functools.lru_cache(maxsize=256)
def _python_tables(compiled: CompiledLTL) -> tuple[list[list[int]], list[Verdict]]:
    # Python lists index faster than numpy arrays one element at a time.
    a = compiled.automaton
    return a.table.tolist(), [_VERDICTS[int(v)] for v in a.verdicts]


FormulaLike = str | Formula


def _as_formula(formula: FormulaLike) -> Formula:
    if isinstance(formula, str):
        return parse(formula)
    if isinstance(formula, (Const, Atom, Compare, Unary, Binary)):
        return formula
    raise InvalidInput("formula", f"expected a string, got {type(formula).__name__}")


@functools.lru_cache(maxsize=512)
def _compile_cached(
    formula: Formula, atom_order: tuple[AtomLike, ...] | None, max_states: int
) -> CompiledLTL:
    start = time.perf_counter()
    own = formula_atoms(formula)
    if atom_order is None:
        order = own
    else:
        missing = [a for a in own if a not in atom_order]
        if missing:
            raise InvalidInput("atoms", f"lacks {to_string(missing[0])}, which the formula uses")
        order = atom_order
    auto = build_automaton(formula, order, max_states=max_states)
    enc = make_encoder(order)
    return CompiledLTL(formula, auto, time.perf_counter() - start, enc)


def compile_ltl(
    formula: FormulaLike,
    *,
    atoms: Sequence[AtomLike] | None = None,
    max_states: int = MAX_STATES,
) -> CompiledLTL:
    """Compile a formula into a minimal DFA with three-valued verdicts (cached).

    Parameters
    ----------
    formula : str or Formula
        The property.
    atoms : sequence of Atom/Compare, optional
        Letter bit order (a superset of the formula's atoms), e.g. to share an
        encoding between formulas. Default: order of first occurrence.
    max_states : int
        Refuse formulas whose automaton needs more states.

    Returns
    -------
    CompiledLTL
    """
    f = _as_formula(formula)
    return _compile_cached(f, tuple(atoms) if atoms is not None else None, max_states)


@dataclass(frozen=True)
class Verification:
    """Result of :func:`verify_ltl`.

    Attributes
    ----------
    holds : bool
        LTLf verdict of the whole trace.
    decided_at : int
        Index of the first event after which the verdict could no longer change
        (every continuation agrees); the last index if only the end of the trace decided it.
    decided_before_end : bool
        Whether ``decided_at`` came from the monitor (a good or bad prefix) rather than the end.
    failing_subformula : str or None
        When the trace fails: the most specific sub-formula that is false, printed.
    failing_at : int or None
        The position at which ``failing_subformula`` is false.
    counterexample_length : int
        When the trace fails: length of the shortest prefix that already fails
        (the bad prefix up to ``decided_at``), else 0.
    counterexample : tuple
        The events of that prefix (the caller's objects), empty when the trace holds.
    """

    holds: bool
    decided_at: int
    decided_before_end: bool
    failing_subformula: str | None
    failing_at: int | None
    counterexample_length: int
    counterexample: tuple[Any, ...]
    trace_length: int
    n_states: int


def verify_ltl(formula: FormulaLike, trace: Sequence[Any], *, max_events: int | None = None) -> Verification:
    """Check a finite trace against an LTLf formula and explain the verdict.

    Parameters
    ----------
    formula : str or Formula
        E.g. ``"G(tool_call -> F tool_result)"``.
    trace : sequence of events
        Each a collection of true atom names or a mapping of fields; at least one.
    max_events : int, optional
        Refuse longer traces.

    Returns
    -------
    Verification

    Examples
    --------
    >>> r = verify_ltl("G(request -> F grant)", [{"request"}, set(), {"grant"}, {"request"}])
    >>> r.holds, r.decided_at, r.failing_subformula
    (False, 3, 'F grant')
    """
    compiled = compile_ltl(formula)
    if isinstance(trace, (str, bytes, Mapping)) or not isinstance(trace, Sequence):
        raise InvalidInput("trace", f"expected an array of events, got {type(trace).__name__}")
    n = len(trace)
    if n == 0:
        raise InvalidInput("trace", "must not be empty: LTLf is defined on non-empty traces")
    if max_events is not None and n > max_events:
        raise InvalidInput("trace", f"has {n} events, more than the limit of {max_events}")
    letters = compiled.encode(trace)
    state, first = compiled.run(letters)
    a = compiled.automaton
    holds = bool(a.accepting[state])
    decided_early = first >= 0
    decided_at = first if decided_early else n - 1
    if holds:
        return Verification(True, decided_at, decided_early, None, None, 0, (), n, a.n_states)
    failure = explain_failure(Evaluation(letters, a.atoms), compiled.formula)
    cex_len = decided_at + 1
    return Verification(
        False,
        decided_at,
        decided_early,
        to_string(failure.subformula),
        failure.position,
        cex_len,
        tuple(trace[:cex_len]),
        n,
        a.n_states,
    )


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain_ltl` reports about a formula."""

    formula: str
    normalised: str
    atoms: tuple[str, ...]
    size: int
    n_states: int
    property_class: PropertyClass
    safety: bool
    guarantee: bool
    obligation: bool
    has_past: bool
    initial_verdict: Verdict
    compile_ms: float


def explain_ltl(formula: FormulaLike) -> Explanation:
    """Normal form, atoms, hierarchy class and monitor size of a formula.

    The class is read off the minimal DFA, over traces of at least one event:
    *safety* — every violation is detected at a bad prefix (all rejecting
    states are the false sink); *guarantee* — every satisfaction at a good
    prefix; *obligation* — acceptance never changes inside a strongly
    connected part of the DFA, i.e. a Boolean combination of safety and
    guarantee properties (Manna & Pnueli 1990; Chang, Manna & Pnueli 1992);
    otherwise *beyond obligation* (e.g. ``G(r -> F g)``: only the end of the
    trace decides).
    """
    c = compile_ltl(formula)
    a = c.automaton
    cls: PropertyClass
    if a.safety and a.guarantee:
        cls = "safety & guarantee"
    elif a.safety:
        cls = "safety"
    elif a.guarantee:
        cls = "guarantee"
    elif a.obligation:
        cls = "obligation"
    else:
        cls = "beyond obligation"
    return Explanation(
        formula=c.text,
        normalised=a.normalised,
        atoms=tuple(to_string(x) for x in a.atoms),
        size=formula_size(c.formula),
        n_states=a.n_states,
        property_class=cls,
        safety=a.safety,
        guarantee=a.guarantee,
        obligation=a.obligation,
        has_past=a.has_past,
        initial_verdict=c.initial_verdict,
        compile_ms=c.compile_seconds * 1e3,
    )


def warmup() -> None:
    """Compile or load every numba kernel of this module on tiny input."""
    kernels.warmup()
    verify_ltl("G(a -> F b) & H(b -> O a)", [{"a"}, {"b"}])
