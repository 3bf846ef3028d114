"""The verdict vocabulary: the quicker constructors behave like the dataclass-generated ones."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from midstream_mcp.core.sanitizer import Action, Finding, Redaction, StreamVerdict, Verdict


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
