"""Helpers shared by the tool modules: error mapping and result assembly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from midstream_mcp.core.analytics import InvalidInput

#: Annotations for tools that only compute: no side effects, same answer every time.
PURE_COMPUTATION = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


@contextmanager
def tool_errors() -> Iterator[None]:
    """Turn core validation errors into MCP tool errors that name the field.

    A plain exception reaches the client without its message; ``ToolError``
    keeps it, and the session carries on either way.
    """
    try:
        yield
    except InvalidInput as exc:
        raise ToolError(str(exc)) from exc


def structured(result: BaseModel, summary: str) -> CallToolResult:
    """A result with ``structuredContent``, a short human-readable summary, and the JSON text.

    The JSON text block keeps clients that ignore ``structuredContent`` working,
    as the MCP specification recommends.
    """
    payload = result.model_dump(mode="json")
    return CallToolResult(
        content=[
            TextContent(type="text", text=summary),
            TextContent(type="text", text=json.dumps(payload, separators=(",", ":"))),
        ],
        structured_content=payload,
    )
