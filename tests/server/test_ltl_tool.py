"""The LTL tools through the SDK's in-memory client: schemas, answers, errors."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client
from mcp.server import MCPServer

from midstream_mcp.config import LimitsSettings
from midstream_mcp.server.tools import ltl as ltl_tools


def run(body: Any, limits: LimitsSettings | None = None) -> Any:
    server = MCPServer("t")
    ltl_tools.register(server, limits or LimitsSettings())

    async def main() -> Any:
        async with Client(server) as client:
            return await body(client)

    return anyio.run(main)


def test_tools_are_listed_with_schemas() -> None:
    async def body(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in run(body)}
    assert set(tools) == {"verify_ltl", "ltl_explain"}
    for t in tools.values():
        assert t.description and t.output_schema is not None and t.output_schema["type"] == "object"
        assert t.annotations is not None and t.annotations.read_only_hint is True
    assert set(tools["verify_ltl"].input_schema["properties"]) == {"formula", "trace"}


def test_verify_ltl_failure_has_a_witness() -> None:
    trace = [{"verdict": "allow", "output": True}, ["tool_call"], {"verdict": "block"}, {"output": True}, {}]

    async def body(client: Client) -> Any:
        return await client.call_tool(
            "verify_ltl", {"formula": 'G(verdict == "block" -> G !output)', "trace": trace}
        )

    r = run(body)
    assert not r.is_error
    sc = r.structured_content
    assert sc["holds"] is False and sc["decided_at"] == 3 and sc["decided_before_end"] is True
    assert sc["failing_subformula"] == "!output" and sc["failing_at"] == 3
    assert sc["counterexample"] == trace[:4] and sc["counterexample_start"] == 0
    assert sc["counterexample_length"] == 4 and sc["trace_length"] == 5
    assert r.content[0].text.startswith("Does not hold: violated for good at event 3")
    assert json.loads(r.content[1].text) == sc


def test_verify_ltl_holds_and_long_counterexamples_are_cut() -> None:
    async def body(client: Client) -> Any:
        ok = await client.call_tool(
            "verify_ltl", {"formula": "G(request -> F grant)", "trace": [["request"], ["grant"]]}
        )
        long = await client.call_tool("verify_ltl", {"formula": "F done", "trace": [[]] * 250})
        return ok, long

    ok, long = run(body)
    assert ok.structured_content["holds"] is True and ok.structured_content["counterexample"] is None
    sc = long.structured_content
    assert sc["holds"] is False and sc["counterexample_length"] == 250
    assert sc["counterexample_start"] == 150 and len(sc["counterexample"]) == 100


def test_ltl_explain() -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("ltl_explain", {"formula": "G(grant -> O request)"})

    sc = run(body).structured_content
    assert sc["normalised"] == "G(!grant | O request)"
    assert sc["atoms"] == ["grant", "request"]
    assert sc["property_class"] == "safety" and sc["has_past"] is True
    assert sc["monitor_states"] >= 2 and sc["initial_verdict"] == "pending"


def test_errors_name_the_field() -> None:
    async def body(client: Client) -> Any:
        return (
            await client.call_tool("verify_ltl", {"formula": "G(a ->", "trace": [["a"]]}),
            await client.call_tool("verify_ltl", {"formula": "G a", "trace": []}),
            await client.call_tool("ltl_explain", {"formula": "O F a"}),
            await client.call_tool("verify_ltl", {"formula": "G a", "trace": [["a"]] * 11}),
        )

    syntax, empty, past, too_long = run(body, LimitsSettings(max_sequence_length=10))
    for r in (syntax, empty, past, too_long):
        assert r.is_error
    texts = [
        r.content[0].text.removeprefix("Error executing tool ltl_explain: ")
        for r in (syntax, empty, past, too_long)
    ]
    texts = [t.removeprefix("Error executing tool verify_ltl: ") for t in texts]
    assert texts[0] == (
        "formula: position 6: expected a formula (an atom, a comparison, true, false, '(' or a prefix "
        "operator), found end of formula"
    )
    assert texts[1].startswith("trace: must not be empty")
    assert texts[2].startswith("formula: the past operator O")
    assert texts[3] == "trace: has 11 events, more than the limit of 10"
