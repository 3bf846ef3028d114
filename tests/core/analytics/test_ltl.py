"""LTLf semantics, compiled monitors and witnesses against the naive oracle in test_ltl_oracle.py."""

from __future__ import annotations

import itertools
import random
from collections import deque
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.analytics._ltl_eval import Evaluation
from midstream_mcp.core.analytics.ltl import (
    Atom,
    Binary,
    CompiledLTL,
    Const,
    Formula,
    Unary,
    Verdict,
    compile_ltl,
    explain_ltl,
    parse,
    to_string,
    verify_ltl,
    warmup,
)
from tests.core.analytics.test_ltl_oracle import ATOMS, formulas, future_formulas, holds, traces

ORDER = tuple(Atom(x) for x in ATOMS)
LETTERS = [frozenset(x for i, x in enumerate(ATOMS) if bit >> i & 1) for bit in range(1 << len(ATOMS))]


def compiled(f: Formula) -> CompiledLTL:
    return compile_ltl(f, atoms=ORDER)


def shortest_word(c: CompiledLTL, state: int, accepting: bool, min_len: int) -> list[frozenset[str]]:
    """Shortest continuation (>= min_len letters) from ``state`` ending in an (non-)accepting state."""
    a = c.automaton
    start = (state, 0)
    prev: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
    queue = deque([start])
    while queue:
        s, k = queue.popleft()
        if k >= min_len and bool(a.accepting[s]) == accepting:
            word: list[frozenset[str]] = []
            node: tuple[int, int] = (s, k)
            while prev[node] is not None:
                node, letter = prev[node]  # type: ignore[misc]
                word.append(LETTERS[letter])
            return word[::-1]
        for letter in range(a.table.shape[1]):
            nxt = (int(a.table[s, letter]), min(k + 1, min_len))
            if nxt not in prev:
                prev[nxt] = ((s, k), letter)
                queue.append(nxt)
    raise AssertionError("no such continuation although the verdict is pending")


def check_verdict(
    c: CompiledLTL, f: Formula, prefix: list[Any], verdict: Verdict, state: int, rng: random.Random
) -> None:
    """The verdict is sound (bounded brute force over extensions) and complete (witness continuations)."""
    min_len = 1 if not prefix else 0
    if verdict is Verdict.PENDING:
        good = prefix + shortest_word(c, state, True, min_len)
        bad = prefix + shortest_word(c, state, False, min_len)
        assert holds(f, good), (to_string(f), good)
        assert not holds(f, bad), (to_string(f), bad)
        return
    expected = verdict is Verdict.TRUE
    extensions: list[list[frozenset[str]]] = [[x] for x in LETTERS]
    if prefix:
        extensions.append([])
    extensions += [[rng.choice(LETTERS) for _ in range(rng.randint(2, 6))] for _ in range(6)]
    for ext in extensions:
        assert holds(f, prefix + ext) == expected, (to_string(f), prefix, ext)


@given(formulas, traces, st.randoms(use_true_random=False))
@settings(max_examples=250, deadline=None)
def test_monitor_agrees_with_oracle_at_every_prefix(f: Formula, trace: list[Any], rng: random.Random) -> None:
    agrees_with_oracle_at_every_prefix(f, trace, rng)


@given(future_formulas, traces, st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None)
def test_future_only_monitor_agrees_with_oracle_at_every_prefix(
    f: Formula, trace: list[Any], rng: random.Random
) -> None:
    # Future-only formulas take the decision-diagram construction; the test above mostly the other.
    agrees_with_oracle_at_every_prefix(f, trace, rng)


def agrees_with_oracle_at_every_prefix(f: Formula, trace: list[Any], rng: random.Random) -> None:
    c = compiled(f)
    m = c.monitor()
    assert m.verdict is c.initial_verdict
    check_verdict(c, f, [], m.verdict, c.automaton.initial, rng)
    pending_checks = 0
    previous = Verdict.PENDING
    for k, e in enumerate(trace):
        v = m.step(e)
        prefix = trace[: k + 1]
        assert m.final() == holds(f, prefix), (to_string(f), prefix)
        if v is not Verdict.PENDING:
            assert previous in (Verdict.PENDING, v)  # decisions are final
            if previous is Verdict.PENDING:
                check_verdict(c, f, prefix, v, m.state, rng)
        elif pending_checks < 3 and rng.random() < 0.3:
            pending_checks += 1
            check_verdict(c, f, prefix, v, m.state, rng)
        previous = v


@given(formulas, traces)
@settings(max_examples=80, deadline=None)
def test_batch_kernel_evaluator_and_witness_agree_with_oracle(f: Formula, trace: list[Any]) -> None:
    c = compiled(f)
    letters = c.encode(trace)
    expected = holds(f, trace)
    assert c.holds_on_letters(letters) == expected
    ev = Evaluation(letters, ORDER)
    assert ev(f).tolist() == [holds(f, trace, i) for i in range(len(trace))]
    r = verify_ltl(f, trace)
    assert r.holds == expected
    online = c.monitor()
    verdicts = [online.step(e) for e in trace]
    decided = [i for i, v in enumerate(verdicts) if v is not Verdict.PENDING]
    assert r.decided_before_end == bool(decided)
    assert r.decided_at == (decided[0] if decided else len(trace) - 1)
    if expected:
        assert r.failing_subformula is None and r.counterexample == ()
    else:
        assert r.counterexample_length == r.decided_at + 1
        assert list(r.counterexample) == trace[: r.decided_at + 1]
        assert not holds(f, r.counterexample) if r.decided_before_end else True
        assert r.failing_subformula is not None and r.failing_at is not None
        sub = parse(r.failing_subformula)
        assert not holds(sub, trace, r.failing_at)


def test_run_many_matches_single_runs() -> None:
    rng = random.Random(5)
    c = compile_ltl("G(a -> F b) & (c R !a)", atoms=ORDER)
    tr = [[rng.choice(LETTERS) for _ in range(rng.randint(1, 20))] for _ in range(50)]
    letters = np.concatenate([c.encode(t) for t in tr])
    offsets = np.cumsum([0] + [len(t) for t in tr])
    verdicts, first = c.run_many(letters, offsets)
    for t, v, fi in zip(tr, verdicts, first, strict=True):
        assert bool(v) == holds(c.formula, t)
        assert fi == c.run(c.encode(t))[1]


def dfa_equivalent(f: Formula, g: Formula) -> bool:
    """Exact language equivalence on non-empty traces: product BFS of the two minimal DFAs."""
    c1, c2 = compiled(f), compiled(g)
    t1, t2 = c1.automaton.table, c2.automaton.table
    start = (c1.automaton.initial, c2.automaton.initial)
    seen = {start}
    queue = deque([start])
    while queue:
        s1, s2 = queue.popleft()
        for letter in range(len(LETTERS)):
            nxt = (int(t1[s1, letter]), int(t2[s2, letter]))
            if c1.automaton.accepting[nxt[0]] != c2.automaton.accepting[nxt[1]]:
                return False
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return True


EQUIVALENCES = [
    ("F {a}", "true U {a}"),
    ("G {a}", "!F!{a}"),
    ("{a} W {b}", "({a} U {b}) | G {a}"),
    ("{a} R {b}", "!(!{a} U !{b})"),
    ("{a} M {b}", "{b} U ({a} & {b})"),
    ("N {a}", "!X!{a}"),
    ("X {a} & N {b}", "X({a} & {b})"),
    ("X {a} | N {b}", "N({a} | {b})"),
    ("{a} U {b}", "{b} | ({a} & X({a} U {b}))"),
    ("O {a}", "true S {a}"),
    ("H {a}", "!O!{a}"),
    ("{a} T {b}", "!(!{a} S !{b})"),
    ("Z {a}", "!Y!{a}"),
]


@pytest.mark.parametrize(("lhs", "rhs"), EQUIVALENCES)
@given(f=future_formulas, g=future_formulas, trace=traces)
@settings(max_examples=15, deadline=None)
def test_known_equivalences(lhs: str, rhs: str, f: Formula, g: Formula, trace: list[Any]) -> None:
    past = lhs.startswith(("O", "H", "Z")) or " T " in lhs
    if past:  # past operators take pure-past arguments
        f, g = Atom("a"), Binary("|", Atom("b"), Unary("Y", Atom("c")))
    left = parse(lhs.format(a=f"({to_string(f)})", b=f"({to_string(g)})"))
    right = parse(rhs.format(a=f"({to_string(f)})", b=f"({to_string(g)})"))
    assert holds(left, trace) == holds(right, trace)
    assert verify_ltl(left, trace).holds == verify_ltl(right, trace).holds
    assert dfa_equivalent(left, right)


def test_strong_and_weak_next_at_the_last_position() -> None:
    assert not verify_ltl("X a", [{"a"}]).holds
    assert verify_ltl("N a", [{"a"}]).holds
    assert verify_ltl("X[!] false", [set()]).holds  # weak next: vacuous at the end
    assert not verify_ltl("X true", [set()]).holds  # strong next: needs a next event
    assert verify_ltl("X true", [set(), set()]).holds
    assert not verify_ltl("Y true", [set()]).holds
    assert verify_ltl("Z false", [set()]).holds
    assert not verify_ltl("F a", [set(), set()]).holds
    assert verify_ltl("G a", [{"a"}]).holds
    assert not verify_ltl("a U b", [{"a"}, {"a"}]).holds
    assert verify_ltl("a W b", [{"a"}, {"a"}]).holds
    assert verify_ltl("b R a", [{"a"}, {"a"}]).holds
    assert not verify_ltl("b M a", [{"a"}, {"a"}]).holds


def test_monitor_verdicts_clone_and_final() -> None:
    c = compile_ltl('G(verdict == "block" -> G !output)')
    m = c.monitor()
    assert m.final() is None and m.verdict is Verdict.PENDING
    assert m.step({"output": "hi"}) is Verdict.PENDING
    assert m.step({"verdict": "block"}) is Verdict.PENDING
    fork = m.clone()
    assert m.step({"output": "leak"}) is Verdict.FALSE
    assert m.step({}) is Verdict.FALSE  # decisions never change
    assert m.final() is False and m.steps == 4
    assert fork.step({}) is Verdict.PENDING and fork.final() is True and fork.steps == 3
    fork.reset()
    assert fork.steps == 0 and fork.verdict is Verdict.PENDING
    assert compile_ltl("F done").monitor().feed([{}, {"done": 1}, {}]) is Verdict.TRUE
    assert compile_ltl("true").monitor().verdict is Verdict.TRUE
    assert compile_ltl("a & !a").monitor().final() is False


def test_comparisons_on_fields() -> None:
    f = 'G(latency_ms > 500 -> X alert) & G(verdict != "allow" -> !output) & G(flag == true -> ok)'
    trace = [
        {"latency_ms": 100, "verdict": "allow", "output": True},
        {"latency_ms": 700.5},
        {"alert": 1, "flag": True, "ok": "yes"},
        {"latency_ms": True, "flag": 1},  # a boolean is not a number, 1 is not a boolean
        {"verdict": 3, "output": True},  # 3 is not a string: the comparison is false
    ]
    r = verify_ltl(f, trace)
    assert r.holds
    for e in trace:
        assert holds(parse(f), [e]) == verify_ltl(f, [e]).holds
    bad = [*trace, {"latency_ms": 501}]
    r = verify_ltl(f, bad)
    assert not r.holds and r.failing_subformula == "X alert" and r.failing_at == 5
    # Comparisons are false on collections of atom names.
    assert not verify_ltl("x == 1", [{"x"}]).holds
    # Columnar encoding gives the same letters.
    c = compile_ltl(f)
    cols = {"latency_ms": np.array([100.0, 700.5, 0, 501]), "alert": np.array([0, 0, 1, 0])}
    events = [
        {"latency_ms": v, "alert": al}
        for v, al in zip(cols["latency_ms"].tolist(), [0, 0, 1, 0], strict=True)
    ]
    assert c.encode_columns(cols).tolist() == c.encode(events).tolist()


@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "x": st.one_of(
                    st.none(),
                    st.integers(-3, 3),
                    st.floats(-3, 3),
                    st.sampled_from(["a", "b"]),
                    st.booleans(),
                ),
                "flag": st.one_of(st.booleans(), st.integers(0, 1), st.text(max_size=1)),
            },
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(
        [
            "G(x > 0 -> F flag)",
            'x <= 1 U x == "b"',
            "F(x >= 2.5) | G(x != 0)",
            "G(flag -> x == true) & O flag",
            "(x < 0) S flag",
        ]
    ),
)
@settings(max_examples=250, deadline=None)
def test_field_events_agree_with_oracle(trace: list[dict[str, Any]], text: str) -> None:
    f = parse(text)
    c = compile_ltl(f)
    assert c.holds_on_letters(c.encode(trace)) == holds(f, trace)


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("G !blocked", "safety"),
        ("F done", "guarantee"),
        ("a", "safety & guarantee"),
        ("G a | F b", "obligation"),
        ("G(request -> F grant)", "beyond obligation"),
        ("G(grant -> O request)", "safety"),
    ],
)
def test_explain_classes(text: str, cls: str) -> None:
    e = explain_ltl(text)
    assert e.property_class == cls
    assert parse(e.normalised) is not None


def test_explain_reports_normal_form_atoms_and_states() -> None:
    e = explain_ltl("G(request -> F grant)")
    assert e.normalised == "G(!request | F grant)"
    assert e.atoms == ("request", "grant")
    assert e.n_states == 3 and e.size == 5 and not e.has_past


def test_invalid_inputs() -> None:
    with pytest.raises(InvalidInput, match=r"^trace: must not be empty"):
        verify_ltl("a", [])
    with pytest.raises(
        InvalidInput, match=r"^trace\[1\]: expected an object of fields or an array of atom names, got str"
    ):
        verify_ltl("a", [{"a"}, "a"])
    with pytest.raises(InvalidInput, match=r"^trace: expected an array of events"):
        verify_ltl("a", "abc")
    with pytest.raises(InvalidInput, match=r"^trace\[0\]: cannot evaluate"):
        verify_ltl("a", [{"a": np.array([1, 2])}])
    with pytest.raises(InvalidInput, match=r"past operator O .* pure-past"):
        compile_ltl("O F a")
    with pytest.raises(InvalidInput, match="17 distinct atoms, more than the limit of 16"):
        compile_ltl(" & ".join(f"p{i}" for i in range(17)))
    with pytest.raises(InvalidInput, match=r"^event: expected an object"):
        compile_ltl("a").monitor().step(3)
    with pytest.raises(InvalidInput, match="automaton states"):
        compile_ltl("F(a & X X X X X X X X X X X X b) & F(c & X X X X X X X X X X d)", max_states=50)


def test_ten_atom_formula_with_past_compiles() -> None:
    # Compile time is measured by benchmarks/ltl.py, not here.
    f = "G((a & b) -> F(c | X d)) & (e U (f | g)) & G(h -> O(i S j))"
    c = compile_ltl(parse(f))
    assert all(isinstance(x, Atom) for x in c.atoms) and len(c.atoms) == 10
    assert verify_ltl(f, [{"f"}]).holds
    assert not verify_ltl(f, [{"e"}]).holds  # e U (f | g) never reaches f or g
    assert not verify_ltl(f, [{"f", "h"}]).holds  # h without a j before it
    assert verify_ltl(f, [{"j", "f"}, {"h"}]).holds  # j once, before h


def test_warmup_runs() -> None:
    warmup()


def test_exhaustive_small_formulas_short_traces() -> None:
    """Every formula of depth <= 2 over {a, b} on every trace of length <= 3."""
    leaves: list[Formula] = [Atom("a"), Atom("b"), Const(True)]
    unary = ["!", "X", "N", "F", "G", "Y", "Z", "O", "H"]
    binary = ["&", "|", "->", "U", "R", "W", "M", "S", "T"]
    level1 = leaves + [Unary(op, x) for op in unary for x in leaves]
    level1 += [Binary(op, x, y) for op in binary for x in leaves for y in leaves]
    alphabet = [frozenset(), frozenset({"a"}), frozenset({"b"}), frozenset({"a", "b"})]
    all_traces = [list(t) for n in range(1, 4) for t in itertools.product(alphabet, repeat=n)]
    for f in level1:
        for g in (f, Unary("G", f), Binary("U", f, Atom("b")), Unary("N", f)):
            c = compile_ltl(g, atoms=(Atom("a"), Atom("b")))
            for t in all_traces:
                assert c.holds_on_letters(c.encode(t)) == holds(g, t), (to_string(g), t)


def random_formula(rng: random.Random, depth: int, past_only: bool = False) -> Formula:
    """A random formula of exactly this depth (a forced operator at every level)."""
    if depth <= 1:
        return rng.choice([Atom("a"), Atom("b"), Atom("c"), Const(rng.random() < 0.5)])
    if not past_only and depth <= 3 and rng.random() < 0.25:
        return random_formula(rng, depth, past_only=True)
    unary = ["!", "Y", "Z", "O", "H"] if past_only else ["!", "X", "N", "F", "G"]
    binary = ["&", "|", "->", "<->", "xor", *(["S", "T"] if past_only else ["U", "R", "W", "M"])]
    if rng.random() < 0.4:
        return Unary(rng.choice(unary), random_formula(rng, depth - 1, past_only))
    sub = rng.randint(1, depth - 1)
    kids = [random_formula(rng, depth - 1, past_only), random_formula(rng, sub, past_only)]
    rng.shuffle(kids)
    return Binary(rng.choice(binary), kids[0], kids[1])


def test_seeded_depth_six_formulas_agree_with_oracle_at_every_prefix() -> None:
    rng = random.Random(20130803)
    for _ in range(150):
        f = random_formula(rng, rng.randint(4, 6))
        c = compiled(f)
        trace = [rng.choice(LETTERS) for _ in range(rng.randint(1, 30))]
        m = c.monitor()
        for k, e in enumerate(trace):
            v = m.step(e)
            assert m.final() == holds(f, trace[: k + 1]), (to_string(f), trace[: k + 1])
            if k in (0, len(trace) - 1):
                check_verdict(c, f, trace[: k + 1], v, m.state, rng)
