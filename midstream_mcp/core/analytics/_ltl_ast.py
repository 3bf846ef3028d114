"""Abstract syntax of propositional LTL with past, and its printer.

Formulas are immutable trees of five node types: :class:`Const`,
:class:`Atom`, :class:`Compare`, :class:`Unary` and :class:`Binary`. The
operator of a :class:`Unary`/:class:`Binary` node is its concrete-syntax
symbol (``"U"``, ``"->"``...), which keeps the parser, the printer and the
evaluators table-driven.

Operator precedence follows Spot's grammar (Duret-Lutz et al., "Spot 2.0 — a
framework for LTL and omega-automata manipulation", ATVA 2016; ``parsetl.yy``),
loosest first: ``-> <->`` (right-associative), ``|``, ``xor``, ``&`` (left),
``U R W M`` and the past ``S T`` (right), then the prefix operators
``! X N F G Y Z O H``, which bind tightest.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
CompareValue: TypeAlias = "bool | int | float | str"

#: Prefix operators. ``X`` is the strong next of LTLf (false at the last
#: position), ``N`` the weak next (true there); ``Y``/``Z`` are strong/weak
#: yesterday (false/true at the first position), ``O`` once, ``H`` historically.
UNARY_OPS: Final = frozenset({"!", "X", "N", "F", "G", "Y", "Z", "O", "H"})
#: Infix operators. ``T`` (trigger) is the dual of ``S`` (since), as in NuSMV.
BINARY_OPS: Final = frozenset({"&", "|", "xor", "->", "<->", "U", "R", "W", "M", "S", "T"})
PAST_OPS: Final = frozenset({"Y", "Z", "O", "H", "S", "T"})
FUTURE_OPS: Final = frozenset({"X", "N", "F", "G", "U", "R", "W", "M"})
COMPARE_OPS: Final = ("==", "!=", "<=", ">=", "<", ">")

#: Binding strength of the infix operators (higher binds tighter) and whether
#: they group to the right. Prefix operators bind tighter than all of them.
PRECEDENCE: Final = {
    "->": 1,
    "<->": 1,
    "|": 2,
    "xor": 3,
    "&": 4,
    "U": 5,
    "R": 5,
    "W": 5,
    "M": 5,
    "S": 5,
    "T": 5,
}
RIGHT_ASSOC: Final = frozenset({"->", "<->", "U", "R", "W", "M", "S", "T"})
PREFIX_PRECEDENCE: Final = 6

#: Words that cannot be bare atom names (they are operators or constants).
KEYWORDS: Final = frozenset({"true", "false", "xor"}) | {op for op in UNARY_OPS | BINARY_OPS if op.isalpha()}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_UNARY_LETTERS: Final = frozenset(op for op in UNARY_OPS if op.isalpha())


@dataclass(frozen=True, slots=True)
class Const:
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class Atom:
    """A proposition: true at an event that contains it (or whose field ``name`` is truthy)."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("an atom name must be a non-empty string")


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison of an event field with a constant, e.g. ``latency_ms > 500``.

    True only where the field is present and of the constant's kind (number,
    string or boolean); ``<``-style orderings apply to numbers and strings.
    """

    field: str
    op: CompareOp
    value: bool | int | float | str

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not self.field:
            raise ValueError("a compared field must be a non-empty string")
        if self.op not in COMPARE_OPS:
            raise ValueError(f"unknown comparison {self.op!r}")
        if isinstance(self.value, bool):
            if self.op not in ("==", "!="):
                raise ValueError("booleans only compare with == and !=")
        elif isinstance(self.value, float) and not math.isfinite(self.value):
            raise ValueError("comparison constants must be finite")
        elif not isinstance(self.value, (int, float, str)):
            raise ValueError("comparison constants are numbers, strings or booleans")


@dataclass(frozen=True, slots=True)
class Unary:
    """A prefix operator applied to ``arg``; ``op`` is one of :data:`UNARY_OPS`."""

    op: str
    arg: Formula

    def __post_init__(self) -> None:
        if self.op not in UNARY_OPS:
            raise ValueError(f"unknown prefix operator {self.op!r}")


@dataclass(frozen=True, slots=True)
class Binary:
    """An infix operator; ``op`` is one of :data:`BINARY_OPS`."""

    op: str
    left: Formula
    right: Formula

    def __post_init__(self) -> None:
        if self.op not in BINARY_OPS:
            raise ValueError(f"unknown infix operator {self.op!r}")


Formula: TypeAlias = Const | Atom | Compare | Unary | Binary
AtomLike: TypeAlias = Atom | Compare

TRUE: Final = Const(True)
FALSE: Final = Const(False)


def _quote(s: str) -> str:
    # JSON string syntax: the parser reads string tokens with json.loads, so
    # every string survives a round trip, control characters included.
    return json.dumps(s, ensure_ascii=False)


def _name(s: str) -> str:
    # Words made only of prefix-operator letters ("GF") lex as operators.
    bare = _IDENT.match(s) and s not in KEYWORDS and not set(s) <= _UNARY_LETTERS
    return s if bare else _quote(s)


def _value(v: bool | int | float | str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _quote(v)
    return repr(v)  # repr of a finite float round-trips exactly


def to_string(f: Formula) -> str:
    """Print ``f`` with the fewest parentheses the grammar needs; ``parse(to_string(f)) == f``."""
    return _print(f, 0)


def _print(f: Formula, context: int) -> str:
    """Print ``f`` where the surrounding operator needs binding strength > ``context``."""
    if isinstance(f, Const):
        return "true" if f.value else "false"
    if isinstance(f, Atom):
        return _name(f.name)
    if isinstance(f, Compare):
        return f"{_name(f.field)} {f.op} {_value(f.value)}"
    if isinstance(f, Unary):
        inner = _print(f.arg, PREFIX_PRECEDENCE - 1)
        # "G(a | b)" and "!a" read better without the space; "G a" needs it.
        text = f"{f.op}{inner}" if f.op == "!" or inner.startswith("(") else f"{f.op} {inner}"
        return text if context < PREFIX_PRECEDENCE else f"({text})"
    prec = PRECEDENCE[f.op]
    # The operand on the grouping side may share the level; the other may not.
    left_ctx = prec if f.op in RIGHT_ASSOC else prec - 1
    right_ctx = prec - 1 if f.op in RIGHT_ASSOC else prec
    text = f"{_print(f.left, left_ctx)} {f.op} {_print(f.right, right_ctx)}"
    return text if prec > context else f"({text})"


def size(f: Formula) -> int:
    """Number of nodes of ``f``."""
    if isinstance(f, Unary):
        return 1 + size(f.arg)
    if isinstance(f, Binary):
        return 1 + size(f.left) + size(f.right)
    return 1


def depth(f: Formula) -> int:
    """Nesting depth of ``f`` (an atom has depth 1)."""
    if isinstance(f, Unary):
        return 1 + depth(f.arg)
    if isinstance(f, Binary):
        return 1 + max(depth(f.left), depth(f.right))
    return 1


def atoms(f: Formula) -> tuple[AtomLike, ...]:
    """The distinct atoms and comparisons of ``f`` in order of first occurrence."""
    seen: dict[AtomLike, None] = {}
    stack: list[Formula] = [f]
    while stack:
        g = stack.pop()
        if isinstance(g, (Atom, Compare)):
            seen.setdefault(g, None)
        elif isinstance(g, Unary):
            stack.append(g.arg)
        elif isinstance(g, Binary):
            stack.append(g.right)
            stack.append(g.left)
    return tuple(seen)


def is_pure_past(f: Formula) -> bool:
    """True if ``f`` uses no future operator."""
    if isinstance(f, Unary):
        return f.op not in FUTURE_OPS and is_pure_past(f.arg)
    if isinstance(f, Binary):
        return f.op not in FUTURE_OPS and is_pure_past(f.left) and is_pure_past(f.right)
    return True
