"""Parser of the LTL concrete syntax: untrusted text in, a formula or an exact error out.

A hand-written lexer and a precedence-climbing parser over the operator table
of :mod:`._ltl_ast` (Spot's precedences). Every failure is an
``InvalidInput("formula", "position N: expected X, found Y")`` whose ``N`` is
the 0-based character offset of the offending token; no input string makes it
raise anything else (a hypothesis test feeds it arbitrary text).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Final

from midstream_mcp.core.analytics._ltl_ast import (
    BINARY_OPS,
    COMPARE_OPS,
    PRECEDENCE,
    RIGHT_ASSOC,
    UNARY_OPS,
    Atom,
    Binary,
    Compare,
    CompareOp,
    Const,
    Formula,
    Unary,
)
from midstream_mcp.core.analytics._validate import InvalidInput

#: Longest formula text accepted, and deepest nesting: both bound the work
#: and the recursion an untrusted formula can cause.
MAX_FORMULA_CHARS: Final = 10_000
MAX_NESTING: Final = 100

#: ``X[!]`` is read as the weak next ``N``, as issue #5 specifies. NB: Spot
#: reads ``X[!]`` as the *strong* next; change this one constant to follow Spot.
WEAK_NEXT_BRACKET_OP: Final = "N"

_SPACE = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Longest match first: "<->" before "<=" before "<", "!=" before "!".
_SYMBOLS: Final = ("<->", "&&", "||", "->", "==", "!=", "<=", ">=", "<", ">", "&", "|", "!", "(", ")")
_ALIASES: Final = {"&&": "&", "||": "|"}
_UNARY_LETTERS: Final = frozenset(op for op in UNARY_OPS if op.isalpha())


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "op", "cmp", "(", ")", "ident", "string", "number", "end"
    text: str
    pos: int
    value: object = None

    def describe(self) -> str:
        if self.kind == "end":
            return "end of formula"
        if self.kind == "ident":
            return f"atom {self.text}"
        if self.kind == "string":
            return f"string {self.text}"
        if self.kind == "number":
            return f"number {self.text}"
        if self.kind == "op" and self.text in ("true", "false"):
            return self.text
        return f"'{self.text}'"


def _error(pos: int, expected: str, found: str) -> InvalidInput:
    return InvalidInput("formula", f"position {pos}: expected {expected}, found {found}")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
            continue
        ch = text[i]
        if ch == '"':
            m = _STRING.match(text, i)
            if not m:
                raise _error(n, f"'\"' to close the string opened at position {i}", "end of formula")
            try:
                value = json.loads(m.group())
            except ValueError as exc:
                raise InvalidInput(
                    "formula", f"position {i}: invalid escape in string {m.group()!r}"
                ) from exc
            tokens.append(_Token("string", m.group(), i, value))
            i = m.end()
            continue
        if ch.isdigit() or (ch == "-" and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            if not m:
                end = i + 1
                while end < n and (text[end].isalnum() or text[end] in "_."):
                    end += 1
                raise _error(i, "a number", repr(text[i:end]))
            tokens.append(_Token("number", m.group(), i, _number(m.group(), i)))
            i = m.end()
            continue
        m = _IDENT.match(text, i)
        if m:
            word = m.group()
            if word == "X" and text.startswith("[!]", m.end()):
                tokens.append(_Token("op", WEAK_NEXT_BRACKET_OP, i))
                i = m.end() + 3
                continue
            if word in UNARY_OPS or word in BINARY_OPS or word in ("true", "false"):
                tokens.append(_Token("op", word, i))
            elif len(word) > 1 and set(word) <= _UNARY_LETTERS:
                # "GF" is "G F", as in Spot; an atom with such a name must be quoted.
                tokens.extend(_Token("op", c, i + k) for k, c in enumerate(word))
            else:
                tokens.append(_Token("ident", word, i, word))
            i = m.end()
            continue
        for sym in _SYMBOLS:
            if text.startswith(sym, i):
                if sym in COMPARE_OPS:
                    tokens.append(_Token("cmp", sym, i))
                elif sym in ("(", ")"):
                    tokens.append(_Token(sym, sym, i))
                else:
                    tokens.append(_Token("op", _ALIASES.get(sym, sym), i))
                i += len(sym)
                break
        else:
            raise _error(i, "a formula token", f"unexpected character {ch!r}")
    tokens.append(_Token("end", "", n))
    return tokens


def _number(text: str, pos: int) -> int | float:
    try:
        if any(c in text for c in ".eE"):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        return int(text)
    except ValueError as exc:  # too many digits, or overflow to infinity
        raise InvalidInput("formula", f"position {pos}: number {text[:20]!r} is out of range") from exc


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.too_deep(self.tok.pos)

    def too_deep(self, pos: int) -> InvalidInput:
        return InvalidInput("formula", f"position {pos}: nesting deeper than {MAX_NESTING} levels")

    def formula(self, min_prec: int = 1) -> tuple[Formula, int]:
        """Parse operators of binding strength >= ``min_prec``; return the tree and its depth."""
        self.enter()
        left, depth = self.prefix()
        while True:
            t = self.tok
            if t.kind != "op" or t.text not in PRECEDENCE or PRECEDENCE[t.text] < min_prec:
                break
            self.advance()
            prec = PRECEDENCE[t.text]
            right, rdepth = self.formula(prec if t.text in RIGHT_ASSOC else prec + 1)
            left, depth = Binary(t.text, left, right), 1 + max(depth, rdepth)
            # Long left-associative chains nest without recursing here, but
            # every later tree walk recurses: bound the tree's depth too.
            if depth > MAX_NESTING:
                raise self.too_deep(t.pos)
        self.nesting -= 1
        return left, depth

    def prefix(self) -> tuple[Formula, int]:
        t = self.tok
        if t.kind == "op" and t.text in UNARY_OPS:
            self.advance()
            self.enter()
            arg, depth = self.prefix()
            self.nesting -= 1
            if depth + 1 > MAX_NESTING:
                raise self.too_deep(t.pos)
            return Unary(t.text, arg), depth + 1
        return self.primary()

    def primary(self) -> tuple[Formula, int]:
        t = self.advance()
        if t.kind == "(":
            inner = self.formula()
            close = self.tok
            if close.kind != ")":
                raise _error(close.pos, "')' or an operator", close.describe())
            self.advance()
            return inner
        if t.kind == "op" and t.text in ("true", "false"):
            return Const(t.text == "true"), 1
        if t.kind == "number" and t.text in ("0", "1"):
            return Const(t.text == "1"), 1  # Spot prints the constants as 1 and 0
        if t.kind in ("ident", "string"):
            name = t.value
            assert isinstance(name, str)
            if self.tok.kind == "cmp":
                return self.comparison(t, name), 1
            if not name:
                raise _error(t.pos, "a non-empty atom name", 'string ""')
            return Atom(name), 1
        raise _error(
            t.pos,
            "a formula (an atom, a comparison, true, false, '(' or a prefix operator)",
            t.describe(),
        )

    def comparison(self, field_tok: _Token, field: str) -> Formula:
        op = self.advance().text
        v = self.advance()
        if not field:
            raise _error(field_tok.pos, "a non-empty field name", 'string ""')
        value: bool | int | float | str
        if v.kind == "number":
            assert isinstance(v.value, (int, float))
            value = v.value
        elif v.kind == "string":
            assert isinstance(v.value, str)
            value = v.value
        elif v.kind == "op" and v.text in ("true", "false"):
            value = v.text == "true"
            if op not in ("==", "!="):
                raise _error(v.pos, "a number or a string after " + repr(op), v.describe())
        else:
            raise _error(v.pos, "a number, a string, true or false", v.describe())
        assert op in COMPARE_OPS
        cmp_op: CompareOp = op  # type: ignore[assignment]
        return Compare(field, cmp_op, value)


def parse(text: str, *, max_chars: int = MAX_FORMULA_CHARS) -> Formula:
    """Parse an LTL formula; raise ``InvalidInput("formula", ...)`` with the position on error.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"G(request -> F grant)"`` or ``"G(latency_ms > 500 -> X alert)"``.
    max_chars : int
        Longest text accepted.

    Returns
    -------
    Formula
        The syntax tree; ``to_string`` prints it back so that it parses to an equal tree.
    """
    if not isinstance(text, str):
        raise InvalidInput("formula", f"expected a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise InvalidInput("formula", f"has {len(text)} characters, more than the limit of {max_chars}")
    p = _Parser(_tokenize(text))
    if p.tok.kind == "end":
        raise _error(p.tok.pos, "a formula", "end of formula")
    f, _ = p.formula()
    t = p.tok
    if t.kind != "end":
        expected = "an operator or end of formula"
        if t.kind == "cmp":
            expected = "an operator (comparisons take an atom on the left and a constant on the right)"
        raise _error(t.pos, expected, t.describe())
    return f
