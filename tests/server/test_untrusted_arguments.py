"""Arbitrary JSON thrown at the tools: always a result or a tool error, never a dead session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from midstream_mcp.config import Settings
from midstream_mcp.server.app import build_server

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
sequences = st.one_of(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=12),
    st.lists(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=3), max_size=8),
    st.lists(st.text(max_size=4), max_size=8),
    st.text(max_size=16),
    json_values,
)
calls = st.one_of(
    st.fixed_dictionaries(
        {"a": sequences, "b": sequences},
        optional={
            "method": st.sampled_from(["dtw", "lcs", "edit", "correlation", "nope", 3]),
            "window": st.one_of(st.none(), st.integers(-3, 5), st.text(max_size=3)),
            "metric": st.sampled_from(["euclidean", "absolute", "cosine"]),
            "return_path": st.booleans(),
        },
    ).map(lambda args: ("compare_sequences", args)),
    st.fixed_dictionaries(
        {"query": sequences, "candidates": st.lists(sequences, max_size=4)},
        optional={"method": st.sampled_from(["dtw", "edit"]), "k": st.integers(-1, 4)},
    ).map(lambda args: ("compare_many", args)),
    st.fixed_dictionaries(
        {"series": sequences, "pattern": sequences},
        optional={"k": st.integers(-1, 4), "window": st.one_of(st.none(), st.integers(-1, 4))},
    ).map(lambda args: ("find_pattern", args)),
    st.fixed_dictionaries({"formula": st.text(max_size=30), "trace": json_values}).map(
        lambda args: ("verify_ltl", args)
    ),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4).map(
        lambda args: ("compare_sequences", args)
    ),
)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """One server for every example: it must survive all of them, not just one batch each."""
    server = build_server(Settings(warmup=False))
    yield server
    server.app_state.scheduler.shutdown()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(calls, min_size=1, max_size=4))
def test_any_arguments_give_a_result_or_a_tool_error(
    server: Any, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    async def main() -> None:
        async with Client(server, mode="legacy") as client:
            for name, args in batch:
                result = await client.call_tool(name, args)
                if result.is_error:
                    text = result.content[0].text
                    assert text.startswith(f"Error executing tool {name}"), text
                    # An unexpected crash is reported as the bare prefix: every error here must
                    # instead say what was wrong.
                    assert text != f"Error executing tool {name}", (name, args)
                    assert "Traceback" not in text
                else:
                    assert result.structured_content is not None
            # The session is still usable afterwards.
            ok = await client.call_tool("compare_sequences", {"a": [1.0], "b": [1.0]})
            assert not ok.is_error

    anyio.run(main)
