"""Cross-check against an independent LTLf implementation: ltlf2dfa (PyPI) driving MONA.

ltlf2dfa translates a formula to MONA's monadic second-order logic and reads
MONA's minimal DFA back; we compare its acceptance with ours on random traces.
MONA is Debian's ``mona`` package; without it the test is skipped.
"""

from __future__ import annotations

import random
import re
import shutil

import pytest

from midstream_mcp.core.analytics._ltl_ast import PAST_OPS
from midstream_mcp.core.analytics.ltl import Atom, Binary, Const, Formula, Unary, compile_ltl, to_string
from tests.core.analytics.test_ltl import LETTERS, ORDER, random_formula

ltlf2dfa = pytest.importorskip("ltlf2dfa", reason="ltlf2dfa is not installed (pip install ltlf2dfa)")
pytestmark = pytest.mark.skipif(
    shutil.which("mona") is None, reason="MONA is not installed (apt-get install mona); ltlf2dfa needs it"
)


def to_ltlf2dfa(f: Formula) -> str:
    """Our AST in ltlf2dfa's syntax, fully parenthesised (its precedences differ from Spot's)."""
    if isinstance(f, Const):
        return "true" if f.value else "false"
    if isinstance(f, Atom):
        return f.name
    if isinstance(f, Unary):
        a = to_ltlf2dfa(f.arg)
        return {"!": f"!({a})", "X": f"X({a})", "N": f"WX({a})", "F": f"F({a})", "G": f"G({a})"}[f.op]
    assert isinstance(f, Binary)
    a, b = to_ltlf2dfa(f.left), to_ltlf2dfa(f.right)
    return {
        "&": f"({a}) & ({b})",
        "|": f"({a}) | ({b})",
        "->": f"({a}) -> ({b})",
        "<->": f"({a}) <-> ({b})",
        "xor": f"!(({a}) <-> ({b}))",
        "U": f"({a}) U ({b})",
        "R": f"({a}) R ({b})",
        "W": f"(({a}) U ({b})) | G({a})",
        "M": f"({b}) U (({a}) & ({b}))",
    }[f.op]


class MonaDFA:
    """The DOT automaton printed by ltlf2dfa: states, accepting set and guarded edges."""

    def __init__(self, dot: str) -> None:
        acc_line = re.search(r"node \[shape = doublecircle\];([^\n]*)", dot)
        self.accepting = {int(x) for x in re.findall(r"\d+", acc_line.group(1))} if acc_line else set()
        init = re.search(r"init -> (\d+);", dot)
        assert init
        self.init = int(init.group(1))
        self.edges: dict[int, list[tuple[int, str]]] = {}
        for s, t, label in re.findall(r"(\d+) -> (\d+) \[label=\"([^\"]*)\"\];", dot):
            guard = label.replace("~", " not ").replace("&", " and ").replace("|", " or ")
            guard = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", guard))
            self.edges.setdefault(int(s), []).append((int(t), guard))

    def accepts(self, trace: list[frozenset[str]]) -> bool:
        s = self.init
        for e in trace:
            env = {x: x in e for x in ("a", "b", "c")}
            targets = [t for t, guard in self.edges[s] if eval(guard, {}, env)]  # guards are our own atoms
            assert len(targets) == 1, (s, e, self.edges[s])
            s = targets[0]
        return s in self.accepting


def future_only(rng: random.Random, depth: int) -> Formula:
    while True:
        f = random_formula(rng, depth)
        if not has_past(f):
            return f


def has_past(f: Formula) -> bool:
    if isinstance(f, Unary):
        return f.op in PAST_OPS or has_past(f.arg)
    if isinstance(f, Binary):
        return f.op in PAST_OPS or has_past(f.left) or has_past(f.right)
    return False


def test_agrees_with_ltlf2dfa_and_mona() -> None:
    from ltlf2dfa.parser.ltlf import LTLfParser

    parser = LTLfParser()
    rng = random.Random(2013)
    for _ in range(25):
        f = future_only(rng, rng.randint(2, 4))
        theirs = MonaDFA(parser(to_ltlf2dfa(f)).to_dfa())
        ours = compile_ltl(f, atoms=ORDER)
        for _ in range(40):
            trace = [rng.choice(LETTERS) for _ in range(rng.randint(1, 12))]
            assert ours.holds_on_letters(ours.encode(trace)) == theirs.accepts(trace), (to_string(f), trace)
