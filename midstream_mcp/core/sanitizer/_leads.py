"""Lead words: where a folded phrase rule can start, so it is tried only there.

Almost every folded rule is ``\\b(?:verb|verb|...)...``. Python's ``re`` has no
fast skip for a pattern that starts with ``\\b`` and a large alternation: a
``search`` tries every position of the text, some 20-40 µs per rule on a
384-character chunk. The parse of the pattern tells the letter strings every
match must start with (its *leads*); the detector then finds those strings with
``str.find``, keeps the ones at a word start, and tries ``regex.match`` only
there. The leftmost position where ``match`` succeeds is exactly what
``search`` returns, so the results are identical, only cheaper.

A lead is *exact* when the pattern cannot continue it with a word character:
then it can only occur where the text has that whole word, which one set
lookup rules out for most leads.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

try:  # the pattern parser is private API; without it every rule falls back to a plain search
    _P: Any = importlib.import_module("re._parser")
    _C: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover
    _P = _C = None

_MAX_LEADS = 256
_STOP = ("stop", None)  # the end of a repeat's body: what follows is not known here
_WORD_BYTE = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ")

Leads = tuple[tuple[str, bool], ...]


class _Unusable(Exception):
    pass


def _nonword_in(av: Any) -> bool:
    """True for the classes ``[\\W_]``, ``\\W``, ``\\s`` and sets of non-word literals."""
    for op, arg in av:
        if op is _C.CATEGORY and arg in (_C.CATEGORY_NOT_WORD, _C.CATEGORY_SPACE):
            continue
        if op is _C.LITERAL and (arg == 95 or (arg < 128 and arg not in _WORD_BYTE)):
            continue
        return False
    return True


def _nonword_first(items: list[Any]) -> bool:
    """True when the first character ``items`` can consume is certainly not a word character."""
    if not items:
        return False  # the end of the pattern: the text may go on with letters
    op, av = items[0]
    rest = items[1:]
    if op is _C.LITERAL:
        return av != 95 and av < 128 and av not in _WORD_BYTE
    if op is _C.IN:
        return _nonword_in(av)
    if op is _C.AT:
        return bool(av is _C.AT_BOUNDARY)
    if op is _C.SUBPATTERN:
        return _nonword_first(list(av[3].data) + rest)
    if op is _C.BRANCH:
        return all(_nonword_first(list(alt.data) + rest) for alt in av[1])
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        lo, _hi, sub = av
        inner = _nonword_first([*list(sub.data), _STOP])
        return inner and (lo > 0 or _nonword_first(rest))
    return False


def _walk(items: list[Any], acc: str, out: set[tuple[str, bool]]) -> None:
    for idx, (op, av) in enumerate(items):
        rest = items[idx + 1 :]
        if op is _C.LITERAL and (97 <= av <= 122 or (acc and 48 <= av <= 57)):
            acc += chr(av)
            continue
        if op is _C.SUBPATTERN:
            _walk(list(av[3].data) + rest, acc, out)
            return
        if op is _C.BRANCH:
            for alt in av[1]:
                _walk(list(alt.data) + rest, acc, out)
            return
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and acc == "":
            lo, _hi, sub = av
            if lo == 0:
                _walk(rest, acc, out)
            _walk([*list(sub.data), _STOP], acc, out)
            return
        if not acc:
            raise _Unusable
        out.add((acc, _nonword_first(items[idx:]) if (op, av) != _STOP else False))
        if len(out) > _MAX_LEADS:
            raise _Unusable
        return
    if not acc:
        raise _Unusable
    out.add((acc, False))


def leads(regex: re.Pattern[str]) -> Leads | None:
    """The strings (lower-case letters, then also digits) every match of ``regex`` starts with, at a
    word start; None if unknown.

    Only for case-sensitive patterns that begin with ``\\b`` (the folded rules).
    """
    if _P is None or regex.flags & re.IGNORECASE:
        return None
    try:
        data = list(_P.parse(regex.pattern, regex.flags).data)
        if not data or data[0] != (_C.AT, _C.AT_BOUNDARY):
            return None
        out: set[tuple[str, bool]] = set()
        _walk(data[1:], "", out)
    except (_Unusable, RecursionError, AttributeError, TypeError, ValueError):
        return None
    # A lead that is also exact and inexact: keep the weaker (inexact) reading. A lead with digits
    # ("b6a", folded "b64") is never exact: exact leads are looked up among the [a-z]+ words.
    inexact = {s for s, exact in out if not exact}
    return tuple(sorted((s, exact and s not in inexact and s.isalpha()) for s, exact in out))


#: A pair lead: the first word, a string the next word starts with ("" for any), whether that
#: string must be the whole next word, and how many filler words may stand between the two.
Pair = tuple[str, str, bool, int]
_MAX_PAIRS = 4096
_MAX_GAP = 8


def _sep_item(op: Any, av: Any) -> bool:
    """True when the item can only consume characters that are no ASCII letter or digit (or nothing)."""
    if op is _C.LITERAL:
        return av == 95 or (av < 128 and av not in _WORD_BYTE)
    if op is _C.IN:
        return _nonword_in(av)
    if op is _C.AT:
        return bool(av is _C.AT_BOUNDARY)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        return all(_sep_item(o, a) for o, a in av[2].data)
    if op is _C.SUBPATTERN:
        return all(_sep_item(o, a) for o, a in av[3].data)
    return False


def _word_run(op: Any, av: Any) -> bool:
    """True for ``\\w+`` (``\\w*``, ``\\w{m,n}``): a run of word characters and nothing else."""
    if op not in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        return False
    body = list(av[2].data)
    return len(body) == 1 and body[0] == (_C.IN, [(_C.CATEGORY, _C.CATEGORY_WORD)])


def _filler(op: Any, av: Any) -> tuple[bool, int] | None:
    """For a bounded repeat of filler words, ``(sep first, at most how many)``, else None.

    A filler is ``(?:S\\w+){m,n}`` (separator first) or ``(?:\\w+S){m,n}`` (word first), S being
    separator items (see :func:`_sep_item`) that consume at least one character: each round adds
    one run of word characters between two separators.
    """
    if op not in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        return None
    _lo, hi, sub = av
    if hi > _MAX_GAP:
        return None
    body = list(sub.data)
    if len(body) == 1 and body[0][0] is _C.SUBPATTERN:
        body = list(body[0][1][3].data)
    if len(body) != 2 or any(op2 is _C.AT for op2, _ in body):
        return None
    (o1, a1), (o2, a2) = body
    if _sep_item(o1, a1) and _word_run(o2, a2) and _consumes(o1, a1):
        return True, hi
    if _word_run(o1, a1) and _sep_item(o2, a2) and _consumes(o2, a2):
        return False, hi
    return None


def _consumes(op: Any, av: Any) -> bool:
    """True when the separator item consumes at least one character."""
    if op in (_C.LITERAL, _C.IN):
        return True
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        return bool(av[0] >= 1 and any(_consumes(o, a) for o, a in av[2].data))
    if op is _C.SUBPATTERN:
        return any(_consumes(o, a) for o, a in av[3].data)
    return False


def _walk_pairs(items: list[Any], w1: str, sep: bool, w2: str, gap: int, out: set[Pair]) -> None:
    """Add to ``out`` the pair leads of ``items`` after ``w1`` (a separator seen: ``sep``), ``w2`` and
    ``gap`` filler words."""
    for idx, (op, av) in enumerate(items):
        rest = items[idx + 1 :]
        if op is _C.LITERAL and 97 <= av <= 122:
            if sep:
                w2 += chr(av)
            else:
                w1 += chr(av)
            continue
        if op is _C.SUBPATTERN:
            _walk_pairs(list(av[3].data) + rest, w1, sep, w2, gap, out)
            return
        if op is _C.BRANCH:
            for alt in av[1]:
                _walk_pairs(list(alt.data) + rest, w1, sep, w2, gap, out)
            return
        if w2:  # the second word ends here (or goes on in a way not followed)
            out.add((w1, w2, (op, av) != _STOP and _nonword_first(items[idx:]), gap))
        elif not w1:
            if op not in (_C.MAX_REPEAT, _C.MIN_REPEAT):
                raise _Unusable
            lo, _hi, sub = av
            if lo == 0:
                _walk_pairs(rest, w1, sep, w2, gap, out)
            _walk_pairs([*list(sub.data), _STOP], w1, sep, w2, gap, out)
        elif (filler := _filler(op, av)) is not None and (op, av) != _STOP:
            sep_first, most = filler
            if not sep_first and not sep:
                raise _Unusable  # a filler word glued onto the first word
            if sep_first and not (rest and _sep_item(*rest[0]) and _consumes(*rest[0])):
                raise _Unusable  # the next word could be glued onto the last filler word
            _walk_pairs(rest, w1, sep, w2, gap + most, out)
        elif _sep_item(op, av) and (op, av) != _STOP:
            if op is not _C.AT:  # a zero-width boundary is no separator
                sep = True
            continue
        elif not sep:
            raise _Unusable  # the first word may go on: no pair leads
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and (op, av) != _STOP:
            lo, _hi, sub = av
            if lo == 0:
                _walk_pairs(rest, w1, sep, w2, gap, out)
            _walk_pairs([*list(sub.data), _STOP], w1, sep, w2, gap, out)
        else:
            out.add((w1, "", False, gap))  # the next word is not known here
        if len(out) > _MAX_PAIRS:
            raise _Unusable
        return
    if not w1:
        raise _Unusable
    out.add((w1, w2 if sep else "", False, gap))


def lead_pairs(regex: re.Pattern[str]) -> tuple[Pair, ...] | None:
    """Where a match of a folded rule can start, to two words: ``(first, next, whole, gap)``.

    Every match of ``regex`` starts with a whole word ``first``; then, past at most ``gap`` filler
    words (runs of word characters between separators, as ``(?:[\\W_]+\\w+){0,gap}`` reads them),
    after a character that is no ASCII letter or digit, comes a word that starts with ``next`` (is
    exactly ``next`` when ``whole``); ``next`` is "" where the pattern does not say. None when the
    pattern does not have that shape (then only :func:`leads` applies). Only for patterns
    :func:`leads` reads.
    """
    if leads(regex) is None:
        return None
    try:
        data = list(_P.parse(regex.pattern, regex.flags).data)
        out: set[Pair] = set()
        _walk_pairs(data[1:], "", False, "", 0, out)
    except (_Unusable, RecursionError, AttributeError, TypeError, ValueError):
        return None
    anything = {w1 for w1, w2, _, _ in out if not w2}
    return tuple(sorted(p for p in out if not p[1] or p[0] not in anything))


def after_newline(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a MULTILINE pattern ``^X``: ``\\nX`` with the same flags, else None.

    ``re`` tries every position of the text for ``^X``; ``\\nX`` starts with a literal, which
    ``re`` skips ahead to, and every match of ``^X`` after the first line starts right after
    such a newline (see ``injection._line_search``).
    """
    if _P is None or not regex.flags & re.MULTILINE or not regex.pattern.startswith("^"):
        return None
    try:
        data = list(_P.parse(regex.pattern, regex.flags).data)
    except (re.error, RecursionError, AttributeError, TypeError, ValueError):
        return None
    # The "^" must anchor the whole pattern: no top-level alternation ("^a|b" parses as a branch).
    if not data or data[0] != (_C.AT, _C.AT_BEGINNING):
        return None
    return re.compile("\n" + regex.pattern[1:], regex.flags)


def lead_positions(folded: str, lead: str) -> list[int]:
    """Where ``lead`` occurs in ``folded`` at a word start (the character before is no ASCII word char)."""
    out = []
    i = folded.find(lead)
    while i >= 0:
        if i == 0 or folded[i - 1] not in _WORD_CHARS:
            out.append(i)
        i = folded.find(lead, i + 1)
    return out


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ")
