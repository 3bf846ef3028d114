"""Turning events into DFA letters: bit ``i`` of a letter says whether atom ``i`` holds.

An event is either a collection of the names of the atoms that are true
(``{"request", "urgent"}``) or a mapping of fields
(``{"latency_ms": 730, "verdict": "block", "urgent": true}``). In a mapping a
bare atom is true when its field is truthy (``true``, a non-zero number, a
non-empty string or container); a comparison is true only when the field is
present and of the constant's kind: numbers (not booleans) for numbers,
strings for strings, booleans for ``== true``/``!= false``. Collections have
no fields, so comparisons are false on them.

The per-event encoder is generated Python source, one expression per atom,
compiled once per formula: online monitoring pays one call per event and no
loop over atoms.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from midstream_mcp.core.analytics._ltl_ast import Atom, AtomLike, Compare
from midstream_mcp.core.analytics._validate import InvalidInput

Encoder = Callable[[Any], int]

_PY_OPS: Final = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NP_OPS: Final = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _describe(event: Any) -> str:
    return type(event).__name__


def _bad_event(field: str, event: Any) -> InvalidInput:
    return InvalidInput(
        field,
        "expected an object of fields or an array of atom names, got " + _describe(event),
    )


def _mapping_test(atom: AtomLike) -> str:
    """A Python expression over ``g`` (the mapping's ``get``) that is truthy iff ``atom`` holds."""
    if isinstance(atom, Atom):
        return f"g({atom.name!r})"
    v = atom.value
    op = _PY_OPS[atom.op]
    if isinstance(v, bool):
        kind = "_t(x) is bool"
    elif isinstance(v, str):
        kind = "_t(x) is str"
    else:  # numbers: int and float, never bool (True == 1 must not match 1)
        kind = "(_t(x) is int or _t(x) is float)"
    return f"((x := g({atom.field!r})) is not None and {kind} and x {op} {v!r})"


def make_encoder(atoms: Sequence[AtomLike]) -> Encoder:
    """Return ``encode(event) -> letter`` for the atom order ``atoms``.

    An event that is neither a mapping nor a collection raises ``InvalidInput('event', ...)``.
    """
    map_terms = [f"(1 << {i} if {_mapping_test(a)} else 0)" for i, a in enumerate(atoms)]
    set_terms = [f"(1 << {i} if {a.name!r} in e else 0)" for i, a in enumerate(atoms) if isinstance(a, Atom)]
    src = (
        "def encode(e):\n"
        "    t = _t(e)\n"
        "    if t is dict:\n"
        "        g = e.get\n"
        f"        return {' | '.join(map_terms) or '0'}\n"
        "    if t is set or t is frozenset or t is list or t is tuple:\n"
        f"        return {' | '.join(set_terms) or '0'}\n"
        "    return _slow(e)\n"
    )

    def _slow(e: Any) -> int:
        if isinstance(e, Mapping):
            return encode(dict(e))  # type: ignore[no-any-return]
        if isinstance(e, (str, bytes)) or not isinstance(e, (set, frozenset, list, tuple)):
            raise _bad_event("event", e)
        return encode(list(e))  # type: ignore[no-any-return]  # subclasses of the collections

    namespace: dict[str, Any] = {"_t": type, "_slow": _slow}
    # The source is built only from validated atoms, whose names and
    # constants enter through repr(): no input text is ever executed.
    exec(compile(src, "<ltl-encoder>", "exec"), namespace)
    encode: Encoder = namespace["encode"]
    return encode


def encode_trace(encode: Encoder, trace: Sequence[Any], field: str = "trace") -> npt.NDArray[np.int32]:
    """Letters of a whole trace; an invalid event raises ``InvalidInput('trace[i]', ...)``."""
    if isinstance(trace, (str, bytes, Mapping)) or not isinstance(trace, Sequence):
        raise InvalidInput(field, f"expected an array of events, got {_describe(trace)}")
    out = np.empty(len(trace), dtype=np.int32)
    for i, e in enumerate(trace):
        try:
            out[i] = encode(e)
        except InvalidInput as exc:
            raise InvalidInput(f"{field}[{i}]", exc.reason) from None
        except (TypeError, ValueError) as exc:  # e.g. the truth value of a numpy array
            raise InvalidInput(f"{field}[{i}]", f"cannot evaluate the atoms on this event ({exc})") from None
    return out


def encode_columns(
    atoms: Sequence[AtomLike], columns: Mapping[str, Any], length: int | None = None
) -> npt.NDArray[np.int32]:
    """Letters of a trace given column-wise (``{"request": bool array, "latency_ms": float array}``).

    Same semantics as the per-event encoder: a missing column makes its atoms
    false; a numeric column is truthy where non-zero; comparisons need a
    column of the constant's kind.
    """
    lengths = {len(v) for v in columns.values()}
    if length is None:
        if len(lengths) != 1:
            raise InvalidInput("columns", "must be non-empty and all of one length")
        length = lengths.pop()
    elif lengths - {length}:
        raise InvalidInput("columns", f"must all have length {length}")
    letters = np.zeros(length, dtype=np.int32)
    for i, atom in enumerate(atoms):
        name = atom.name if isinstance(atom, Atom) else atom.field
        if name not in columns:
            continue
        col = np.asarray(columns[name])
        if isinstance(atom, Atom):
            hit = col.astype(bool) if col.dtype.kind != "O" else np.array([bool(x) for x in col])
        else:
            assert isinstance(atom, Compare)
            v = atom.value
            kind = col.dtype.kind
            ok = (
                (isinstance(v, bool) and kind == "b")
                or (isinstance(v, str) and kind in "US")
                or (not isinstance(v, (bool, str)) and kind in "iuf")
            )
            if not ok:
                continue
            hit = np.asarray(_NP_OPS[atom.op](col, v), dtype=bool)
        letters |= hit.astype(np.int32) << i
    return letters
