"""LTL parser and printer: Spot precedences, round trips, exact errors, no crash on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.analytics.ltl import Atom, Binary, Compare, Const, Formula, Unary, parse, to_string

a, b, c, d = Atom("a"), Atom("b"), Atom("c"), Atom("d")


def bin_(op: str, left: Formula, right: Formula) -> Binary:
    return Binary(op, left, right)


def un_(op: str, arg: Formula) -> Unary:
    return Unary(op, arg)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a & b | c", bin_("|", bin_("&", a, b), c)),
        ("a | b & c", bin_("|", a, bin_("&", b, c))),
        ("a & b & c", bin_("&", bin_("&", a, b), c)),  # left-associative
        ("a -> b -> c", bin_("->", a, bin_("->", b, c))),  # right-associative
        ("a <-> b -> c", bin_("<->", a, bin_("->", b, c))),  # same level, right-associative
        ("a -> b <-> c", bin_("->", a, bin_("<->", b, c))),
        ("a | b -> c", bin_("->", bin_("|", a, b), c)),
        ("a xor b | c", bin_("|", bin_("xor", a, b), c)),
        ("a & b xor c", bin_("xor", bin_("&", a, b), c)),
        ("a U b U c", bin_("U", a, bin_("U", b, c))),
        ("a U b R c", bin_("U", a, bin_("R", b, c))),
        ("a & b U c", bin_("&", a, bin_("U", b, c))),  # U binds tighter than &
        ("F a U b", bin_("U", un_("F", a), b)),  # prefix operators bind tighter than U
        ("!a U b", bin_("U", un_("!", a), b)),
        ("G a -> F b", bin_("->", un_("G", a), un_("F", b))),
        ("X a & b", bin_("&", un_("X", a), b)),
        ("GF a", un_("G", un_("F", a))),
        ("G F a", un_("G", un_("F", a))),
        ("X[!] a", un_("N", a)),
        ("N a", un_("N", a)),
        ("a S b T c", bin_("S", a, bin_("T", b, c))),
        ("Y a & O b | H c", bin_("|", bin_("&", un_("Y", a), un_("O", b)), un_("H", c))),
        ("a && b || c", bin_("|", bin_("&", a, b), c)),
        ("1 | 0", bin_("|", Const(True), Const(False))),
        ("!!a", un_("!", un_("!", a))),
        ("latency_ms > 500", Compare("latency_ms", ">", 500)),
        ('verdict == "block"', Compare("verdict", "==", "block")),
        ("x >= -2.5e3 & y != true", bin_("&", Compare("x", ">=", -2500.0), Compare("y", "!=", True))),
        ("!x < 3", un_("!", Compare("x", "<", 3))),
        ('"tool call" & "G"', bin_("&", Atom("tool call"), Atom("G"))),
        ("GFa", Atom("GFa")),
        ("ev.type", Atom("ev.type")),
    ],
)
def test_precedence_and_associativity(text: str, tree: Formula) -> None:
    assert parse(text) == tree
    assert parse(to_string(tree)) == tree


def test_printer_uses_few_parentheses() -> None:
    assert to_string(parse("G((request) -> (F grant))")) == "G(request -> F grant)"
    assert to_string(parse("(a -> b) -> c")) == "(a -> b) -> c"
    assert to_string(parse("a & (b & c)")) == "a & (b & c)"
    assert to_string(parse("(a U b) U c")) == "(a U b) U c"
    assert to_string(Atom("GF")) == '"GF"'
    assert to_string(Atom("true")) == '"true"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "position 0: expected a formula, found end of formula"),
        ("   ", "position 3: expected a formula, found end of formula"),
        (
            "a &",
            "position 3: expected a formula (an atom, a comparison, true, false, '(' or a prefix operator), "
            "found end of formula",
        ),
        ("(a | b", "position 6: expected ')' or an operator, found end of formula"),
        ("a b", "position 2: expected an operator or end of formula, found atom b"),
        ("G(a -> F b))", "position 11: expected an operator or end of formula, found ')'"),
        ("x > ", "position 4: expected a number, a string, true or false, found end of formula"),
        ("x > y", "position 4: expected a number, a string, true or false, found atom y"),
        ("x < true", "position 4: expected a number or a string after '<', found true"),
        (
            "5",
            "position 0: expected a formula (an atom, a comparison, true, false, '(' or a prefix operator), "
            "found number 5",
        ),
        (
            "U a",
            "position 0: expected a formula (an atom, a comparison, true, false, '(' or a prefix operator), "
            "found 'U'",
        ),
        ("a $ b", "position 2: expected a formula token, found unexpected character '$'"),
        (
            'a & "abc',
            "position 8: expected '\"' to close the string opened at position 4, found end of formula",
        ),
        ("x > 1e999", "position 4: number '1e999' is out of range"),
        (
            "x > 5 > 3",
            "position 6: expected an operator (comparisons take an atom on the left and a constant on the "
            "right), found '>'",
        ),
        ('""', 'position 0: expected a non-empty atom name, found string ""'),
    ],
)
def test_errors_are_exact(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse(text)
    assert info.value.field == "formula"
    assert info.value.reason == message


def test_limits() -> None:
    with pytest.raises(InvalidInput, match="nesting deeper than 100 levels"):
        parse("(" * 150 + "a" + ")" * 150)
    with pytest.raises(InvalidInput, match="nesting deeper than 100 levels"):
        parse(" & ".join(["a"] * 500))  # a flat chain is still a deep tree
    with pytest.raises(InvalidInput, match="nesting deeper than 100 levels"):
        parse("!" * 500 + "a")
    with pytest.raises(InvalidInput, match="more than the limit of 10000"):
        parse("a" * 10_001)
    with pytest.raises(InvalidInput, match="expected a string"):
        parse(42)  # type: ignore[arg-type]


names = st.one_of(
    st.sampled_from(["a", "b", "req", "x.y", "G", "GF", "true", "U"]), st.text(min_size=1, max_size=8)
)
values = st.one_of(
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.booleans(),
)


@st.composite
def comparisons(draw: st.DrawFn) -> Compare:
    v = draw(values)
    ops = ["==", "!="] if isinstance(v, bool) else ["==", "!=", "<", "<=", ">", ">="]
    return Compare(draw(names), draw(st.sampled_from(ops)), v)


leaves = st.one_of(st.builds(Atom, names), comparisons(), st.builds(Const, st.booleans()))
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.builds(Unary, st.sampled_from(sorted({"!", "X", "N", "F", "G", "Y", "Z", "O", "H"})), kids),
        st.builds(
            Binary,
            st.sampled_from(sorted({"&", "|", "xor", "->", "<->", "U", "R", "W", "M", "S", "T"})),
            kids,
            kids,
        ),
    ),
    max_leaves=12,
)


@given(trees)
@settings(max_examples=300, deadline=None)
def test_print_parse_round_trip(f: Formula) -> None:
    assert parse(to_string(f)) == f


@given(st.text(alphabet=st.sampled_from(list('ab()!&|-<>=XNFGUWRMYOHST[]"\\ 01.e_x')), max_size=30))
@settings(max_examples=400, deadline=None)
def test_any_formula_like_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        f = parse(text)
    except InvalidInput as exc:
        assert exc.field == "formula"
        assert exc.reason.startswith("position ")
    else:
        assert parse(to_string(f)) == f


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        parse(text)
    except InvalidInput as exc:
        assert exc.field == "formula"
