"""The temporal-compare tools through the SDK's in-memory client: schemas, answers, errors."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from mcp import Client

from midstream_mcp.config import LimitsSettings, Settings
from tests.server.conftest import run_in_memory as run
from tests.server.conftest import text_of

TOOLS = {"compare_sequences", "compare_many", "find_pattern"}


def naive_dtw(a: list[float], b: list[float]) -> float:
    n, m = len(a), len(b)
    inf = math.inf
    d = [[inf] * (m + 1) for _ in range(n + 1)]
    d[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = (a[i - 1] - b[j - 1]) ** 2
            d[i][j] = cost + min(d[i - 1][j], d[i][j - 1], d[i - 1][j - 1])
    return math.sqrt(d[n][m])


async def call(client: Client, name: str, args: dict[str, Any]) -> Any:
    return await client.call_tool(name, args)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_tools_are_listed_with_input_and_output_schemas(mode: str) -> None:
    async def body(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in run(body, mode=mode)}
    assert set(tools) >= TOOLS
    for name in TOOLS:
        tool = tools[name]
        assert tool.description, name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        assert tool.input_schema["type"] == "object"
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    props = tools["compare_sequences"].input_schema["properties"]
    assert set(props) >= {"a", "b", "method", "window", "metric", "return_path"}
    assert set(props["method"]["enum"]) == {"dtw", "lcs", "edit", "correlation"}


def test_compare_sequences_dtw_matches_naive_and_returns_structured_and_text() -> None:
    a = [0.0, 1.0, 2.0, 3.0, 2.5, 1.0]
    b = [0.0, 0.5, 2.0, 2.0, 3.5, 1.5, 1.0]

    async def body(client: Client) -> Any:
        return await call(client, "compare_sequences", {"a": a, "b": b, "return_path": True})

    result = run(body)
    assert not result.is_error
    sc = result.structured_content
    assert sc["method"] == "dtw"
    assert sc["distance"] == pytest.approx(naive_dtw(a, b), rel=1e-12)
    assert sc["similarity"] == pytest.approx(1 / (1 + sc["distance"]))
    path = sc["path"]
    assert path[0] == [0, 0] and path[-1] == [len(a) - 1, len(b) - 1]
    assert math.sqrt(sum((a[i] - b[j]) ** 2 for i, j in path)) == pytest.approx(sc["distance"])
    summary = result.content[0].text
    assert summary.startswith("DTW distance") and len(summary) < 200
    assert json.loads(result.content[1].text) == sc


def test_compare_sequences_text_methods() -> None:
    async def body(client: Client) -> Any:
        edit = await call(client, "compare_sequences", {"a": "kitten", "b": "sitting", "method": "edit"})
        lcs = await call(client, "compare_sequences", {"a": "ABCBDAB", "b": "BDCABA", "method": "lcs"})
        tokens = await call(
            client,
            "compare_sequences",
            {"a": ["the", "cat", "sat"], "b": ["the", "dog", "sat"], "method": "edit"},
        )
        return edit, lcs, tokens

    edit, lcs, tokens = run(body)
    assert edit.structured_content["distance"] == 3
    assert edit.structured_content["similarity"] == pytest.approx(1 - 3 / 7)
    assert lcs.structured_content["lcs_length"] == 4
    assert lcs.structured_content["distance"] == 3
    assert tokens.structured_content["distance"] == 1


def test_compare_sequences_multivariate_dtw() -> None:
    a = [[0, 0], [1, 1], [2, 2]]
    b = [[0, 0], [2, 2]]

    async def body(client: Client) -> Any:
        return await call(client, "compare_sequences", {"a": a, "b": b, "metric": "absolute"})

    result = run(body)
    assert not result.is_error
    # (1,1) aligns with (0,0) or (2,2): 2 in L1 either way.
    assert result.structured_content["distance"] == pytest.approx(2.0)


def test_compare_sequences_correlation_finds_the_lag() -> None:
    base = [math.sin(i / 3) + 0.1 * math.cos(i * 1.7) for i in range(80)]
    shifted = [0.0] * 5 + base[:-5]

    async def body(client: Client) -> Any:
        return await call(client, "compare_sequences", {"a": base, "b": shifted, "method": "correlation"})

    result = run(body)
    assert not result.is_error, text_of(result)
    sc = result.structured_content
    assert abs(sc["lag"]) == 5
    assert sc["correlation"] > 0.9


def test_compare_many_ranks_by_distance() -> None:
    query = [0.0, 1.0, 2.0, 1.0, 0.0]
    candidates = [[5.0, 5.0, 5.0], [0.0, 1.0, 2.0, 1.0, 0.0], [0.0, 1.1, 2.2, 1.0]]

    async def body(client: Client) -> Any:
        return await call(client, "compare_many", {"query": query, "candidates": candidates, "k": 2})

    result = run(body)
    assert not result.is_error, text_of(result)
    ranked = result.structured_content["results"]
    assert [r["index"] for r in ranked] == [1, 2]
    assert ranked[0]["distance"] == pytest.approx(0.0)
    assert ranked[1]["distance"] == pytest.approx(naive_dtw(query, candidates[2]))


def test_compare_many_edit_on_strings() -> None:
    async def body(client: Client) -> Any:
        return await call(
            client,
            "compare_many",
            {"query": "midstream", "candidates": ["mainstream", "midstream", "upstream"], "method": "edit"},
        )

    ranked = run(body).structured_content["results"]
    assert [r["index"] for r in ranked] == [1, 0, 2]
    assert [r["distance"] for r in ranked] == [0, 2, 3]


def test_find_pattern_locates_planted_shapes() -> None:
    pattern = [0.0, 2.0, 4.0, 2.0, 0.0]
    series = [0.0] * 10 + pattern + [0.0] * 20 + [x * 1.05 for x in pattern] + [0.0] * 10

    async def body(client: Client) -> Any:
        return await call(client, "find_pattern", {"series": series, "pattern": pattern, "k": 2})

    result = run(body)
    assert not result.is_error, text_of(result)
    matches = result.structured_content["matches"]
    assert len(matches) == 2
    starts = sorted(m["start"] for m in matches)
    assert abs(starts[0] - 10) <= 1 and abs(starts[1] - 35) <= 1
    assert matches[0]["distance"] <= matches[1]["distance"]


@pytest.mark.parametrize(
    ("name", "args", "field"),
    [
        ("compare_sequences", {"a": [], "b": [1.0]}, "a"),
        ("compare_sequences", {"a": [1.0, 2.0], "b": [[1.0, 2.0], [3.0, 4.0]]}, "b"),
        ("compare_sequences", {"a": "abc", "b": [1.0]}, "a"),
        ("compare_sequences", {"a": [1.0], "b": [1.0], "window": -1}, "window"),
        ("compare_sequences", {"a": [1.0], "b": [1.0], "method": "cosine"}, "method"),
        ("compare_sequences", {"a": [[1.0, 2.0], [1.0]], "b": [1.0]}, "a"),
        ("compare_sequences", {"a": [1.0], "b": [1.0], "method": "lcs", "return_path": True}, "return_path"),
        ("compare_sequences", {"a": [[1.0], [2.0]], "b": [1.0], "method": "edit"}, "a"),
        ("compare_many", {"query": [1.0], "candidates": []}, "candidates"),
        ("compare_many", {"query": [1.0], "candidates": [[1.0], []]}, "candidates[1]"),
        ("compare_many", {"query": [1.0], "candidates": [[1.0]], "k": 0}, "k"),
        ("find_pattern", {"series": [1.0, 2.0], "pattern": []}, "pattern"),
        ("find_pattern", {"series": [1.0, 2.0], "pattern": "ab"}, "pattern"),
    ],
)
def test_bad_arguments_are_tool_errors_naming_the_field_and_the_session_survives(
    name: str, args: dict[str, Any], field: str
) -> None:
    async def body(client: Client) -> Any:
        bad = await call(client, name, args)
        good = await call(client, "compare_sequences", {"a": [1.0, 2.0], "b": [1.0, 2.0]})
        return bad, good

    bad, good = run(body)
    assert bad.is_error
    assert field in text_of(bad)
    assert not good.is_error and good.structured_content["distance"] == 0


def test_nan_is_rejected_with_the_field_name() -> None:
    # JSON has no NaN literal: a client's NaN arrives as null (or, from a lax
    # encoder, as NaN); either way the error names the field.
    async def body(client: Client) -> Any:
        return await call(client, "compare_sequences", {"a": [1.0, float("nan")], "b": [1.0]})

    bad = run(body)
    assert bad.is_error
    assert re.search(r"(^|\s|: )a(\.|:|\s)", text_of(bad)), text_of(bad)


def test_limits_are_enforced_before_work() -> None:
    settings = Settings(
        warmup=False,
        limits=LimitsSettings(
            max_sequence_length=10, max_candidates=2, max_compare_cells=50, max_path_cells=20
        ),
    )

    async def body(client: Client) -> Any:
        too_long = await call(client, "compare_sequences", {"a": [0.0] * 11, "b": [1.0]})
        too_many = await call(client, "compare_many", {"query": [1.0], "candidates": [[1.0]] * 3})
        too_big = await call(client, "compare_sequences", {"a": [0.0] * 10, "b": [1.0] * 10})
        path = await call(client, "compare_sequences", {"a": [0.0] * 5, "b": [1.0] * 5, "return_path": True})
        return too_long, too_many, too_big, path

    too_long, too_many, too_big, path = run(body, settings=settings)
    assert too_long.is_error and "a: has 11 items" in text_of(too_long)
    assert too_many.is_error and "candidates" in text_of(too_many)
    assert too_big.is_error and "max_compare_cells" in text_of(too_big)
    assert path.is_error and "return_path" in text_of(path)
