"""The verdict vocabulary: the quicker constructors behave like the dataclass-generated ones."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from midstream_mcp.core.sanitizer import Action, Finding, Redaction, StreamVerdict, Verdict
from midstream_mcp.core.sanitizer._model import _new_finding, _new_verdict, _nothing_found
from midstream_mcp.core.sanitizer.stream import _new_stream_verdict


@pytest.mark.parametrize("cls", [Finding, Redaction, Verdict, StreamVerdict])
def test_quick_init_keeps_the_dataclass_signature(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        expected = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == expected


def test_quick_init_sets_every_field_and_stays_frozen() -> None:
    f = Finding("pii", "email", 3, 9, 0.9, "a***@x.org", "[EMAIL]")
    assert (f.detector, f.category, f.start, f.end, f.score, f.evidence, f.placeholder) == (
        "pii", "email", 3, 9, 0.9, "a***@x.org", "[EMAIL]",
    )  # fmt: skip
    assert Finding("pii", "email", 3, 9, 0.9, evidence="a***@x.org").placeholder is None
    assert dataclasses.replace(f, start=4) == Finding("pii", "email", 4, 9, 0.9, "a***@x.org", "[EMAIL]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.start = 0  # type: ignore[misc]
    v = Verdict(Action.ALLOW, "nothing found")
    got = (v.findings, v.score, v.redacted_text, v.redactions, v.errors, v.elapsed_s)
    assert got == ((), 0.0, None, (), (), 0.0)
    assert hash(v) == hash(Verdict(Action.ALLOW, "nothing found"))
    with pytest.raises(TypeError):
        Verdict(Action.ALLOW)  # type: ignore[call-arg]


def test_builders_build_what_the_constructors_build() -> None:
    """The per-chunk builders give the same objects as ``Verdict(...)`` and ``StreamVerdict(...)``."""
    f = Finding("pii", "email", 3, 9, 0.9, "a***@x.org", "[EMAIL]")
    assert (
        _new_finding(*dataclasses.astuple(f)) == f and type(_new_finding(*dataclasses.astuple(f))) is Finding
    )
    args = (Action.WARN, "contains email", (f,), 0.25, "x [EMAIL]", (), ("e",), 0.001)
    built, made = _new_verdict(*args), Verdict(*args)
    assert type(built) is Verdict
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert dataclasses.asdict(built) == dataclasses.asdict(made)
    assert dataclasses.replace(built, score=0.5) == dataclasses.replace(made, score=0.5)
    assert copy.deepcopy(built) == made and pickle.loads(pickle.dumps(built)) == made
    assert built.blocked is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.score = 1.0  # type: ignore[misc]
    assert _nothing_found(0.5) == Verdict(Action.ALLOW, "nothing found", elapsed_s=0.5)
    assert type(_nothing_found(0.5)) is Verdict
    sv = _new_stream_verdict(built, "chunk", 7)
    assert type(sv) is StreamVerdict and sv == StreamVerdict(made, "chunk", 7)
    assert repr(sv) == repr(StreamVerdict(made, "chunk", 7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sv.position = 0  # type: ignore[misc]
