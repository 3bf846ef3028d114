"""A TEST-ONLY build of the server for the MCP conformance suite.

It is the product server (``build_server``) plus the fixture tools, resources
and prompts of the reference "everything" server that the suite's scenarios
call (``test_*``, ``test://...``). None of this ships in the package.

    python -m tests.conformance.fixture_server --port 8799
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from typing import Any

import uvicorn
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.types import (
    AudioContent,
    Completion,
    EmbeddedResource,
    ImageContent,
    SamplingMessage,
    TextContent,
    TextResourceContents,
)

from midstream_mcp.config import Settings, load_settings
from midstream_mcp.logs import configure_logging
from midstream_mcp.server.app import build_server
from midstream_mcp.server.http import build_http_app

# A 1x1 red PNG and a 1-sample silent WAV.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV = base64.b64encode(
    b"RIFF&\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00\x02\x00\x10\x00"
    b"data\x02\x00\x00\x00\x00\x00"
).decode()


def add_fixtures(server: MCPServer[Any]) -> list[str]:
    """Register the reference server's fixtures on ``server``; return the protocol methods stubbed."""

    @server.tool()
    def test_simple_text() -> str:
        """Returns a fixed text."""
        return "This is a simple text response for testing."

    @server.tool()
    def test_image_content() -> list[ImageContent]:
        """Returns a 1x1 PNG."""
        return [ImageContent(type="image", data=PNG, mime_type="image/png")]

    @server.tool()
    def test_audio_content() -> list[AudioContent]:
        """Returns a tiny WAV."""
        return [AudioContent(type="audio", data=WAV, mime_type="audio/wav")]

    @server.tool()
    def test_embedded_resource() -> list[EmbeddedResource]:
        """Returns an embedded text resource."""
        return [
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(
                    uri="test://embedded-resource",
                    mime_type="text/plain",
                    text="This is an embedded resource content.",
                ),
            )
        ]

    @server.tool()
    def test_multiple_content_types() -> list[TextContent | ImageContent | EmbeddedResource]:
        """Returns text, an image and a resource."""
        return [
            TextContent(type="text", text="Multiple content types test:"),
            ImageContent(type="image", data=PNG, mime_type="image/png"),
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(
                    uri="test://mixed-content-resource",
                    mime_type="application/json",
                    text=json.dumps({"test": "data", "value": 123}),
                ),
            ),
        ]

    @server.tool()
    async def test_tool_with_logging(ctx: Context) -> str:
        """Sends three log notifications."""
        await ctx.info("Tool execution started")
        await asyncio.sleep(0.05)
        await ctx.info("Tool processing data")
        await asyncio.sleep(0.05)
        await ctx.info("Tool execution completed")
        return "Tool with logging executed successfully"

    @server.tool()
    def test_error_handling() -> str:
        """Always fails."""
        raise ToolError("This tool intentionally returns an error for testing")

    @server.tool()
    async def test_tool_with_progress(ctx: Context) -> str:
        """Reports progress 0, 50, 100 of 100."""
        for step in (0, 50, 100):
            await ctx.report_progress(step, 100)
            if step < 100:
                await asyncio.sleep(0.05)
        return "Tool with progress executed successfully"

    @server.tool()
    async def test_reconnection(ctx: Context) -> str:
        """Closes its SSE stream mid-call; the client must resume with Last-Event-ID."""
        await asyncio.sleep(0.05)
        await ctx.close_sse_stream()
        await asyncio.sleep(0.3)
        return "Reconnection test completed successfully"

    @server.tool()
    async def test_sampling(prompt: str, ctx: Context) -> str:
        """Asks the client's LLM."""
        result = await ctx.session.create_message(
            [SamplingMessage(role="user", content=TextContent(type="text", text=prompt))],
            max_tokens=100,
            # On the tool call's own stream: the client's standalone GET stream may not be open yet.
            related_request_id=ctx.request_id,
        )
        content = result.content
        text = content.text if isinstance(content, TextContent) else str(content)
        return f"LLM response: {text}"

    @server.tool()
    async def test_elicitation(message: str, ctx: Context) -> str:
        """Asks the user for a username and e-mail."""
        schema = {
            "type": "object",
            "properties": {
                "username": {"type": "string", "description": "User's response"},
                "email": {"type": "string", "description": "User's email address"},
            },
            "required": ["username", "email"],
        }
        result = await ctx.session.elicit(message, schema, related_request_id=ctx.request_id)
        return f"User response: action={result.action}, content={json.dumps(result.content)}"

    @server.tool()
    async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
        """Elicitation with defaults for every primitive type."""
        schema = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "John Doe"},
                "age": {"type": "integer", "default": 30},
                "score": {"type": "number", "default": 95.5},
                "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
                "verified": {"type": "boolean", "default": True},
            },
        }
        result = await ctx.session.elicit(
            "Please confirm your details", schema, related_request_id=ctx.request_id
        )
        return f"Elicitation completed: action={result.action}, content={json.dumps(result.content)}"

    @server.tool()
    async def test_elicitation_sep1330_enums(ctx: Context) -> str:
        """Elicitation with the five enum schema variants."""
        schema = {
            "type": "object",
            "properties": {
                "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                "titledSingle": {
                    "type": "string",
                    "oneOf": [
                        {"const": "value1", "title": "First Option"},
                        {"const": "value2", "title": "Second Option"},
                        {"const": "value3", "title": "Third Option"},
                    ],
                },
                "legacyEnum": {
                    "type": "string",
                    "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"],
                },
                "untitledMulti": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
                },
                "titledMulti": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"const": "value1", "title": "First Choice"},
                            {"const": "value2", "title": "Second Choice"},
                            {"const": "value3", "title": "Third Choice"},
                        ]
                    },
                },
            },
        }
        result = await ctx.session.elicit("Choose options", schema, related_request_id=ctx.request_id)
        return f"Elicitation completed: action={result.action}, content={json.dumps(result.content)}"

    @server.tool(name="json_schema_2020_12_tool")
    def json_schema_tool(name: str | None = None, address: dict[str, str] | None = None) -> str:
        """Tool with JSON Schema 2020-12 features."""
        return f"name={name}, address={address}"

    # Publish the scenario's exact 2020-12 schema ($schema, $defs, additionalProperties).
    server._tool_manager.get_tool("json_schema_2020_12_tool").parameters = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            }
        },
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        "additionalProperties": False,
    }

    @server.resource("test://static-text", name="static-text", description="A static text resource")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @server.resource(
        "test://static-binary", name="static-binary", description="A static PNG", mime_type="image/png"
    )
    def static_binary() -> bytes:
        return base64.b64decode(PNG)

    @server.resource(
        "test://template/{id}/data",
        name="template",
        description="A templated resource",
        mime_type="application/json",
    )
    def template(id: str) -> str:
        return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})

    @server.resource("test://watched-resource", name="watched", description="A resource to subscribe to")
    def watched() -> str:
        return "Watched resource content."

    @server.prompt()
    def test_simple_prompt() -> str:
        """A prompt without arguments."""
        return "This is a simple prompt for testing."

    @server.prompt()
    def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
        """A prompt with two arguments."""
        return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"

    @server.prompt()
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[Message]:
        """A prompt embedding a resource."""
        return [
            UserMessage(
                content=EmbeddedResource(
                    type="resource",
                    resource=TextResourceContents(
                        uri=resourceUri, mime_type="text/plain", text="Embedded resource content for testing."
                    ),
                )
            ),
            UserMessage(content=TextContent(type="text", text="Please process the embedded resource above.")),
        ]

    @server.prompt()
    def test_prompt_with_image() -> list[Message]:
        """A prompt with an image."""
        return [
            UserMessage(content=ImageContent(type="image", data=PNG, mime_type="image/png")),
            UserMessage(content=TextContent(type="text", text="Please analyze the image above.")),
        ]

    @server.completion()
    async def complete(ref: Any, argument: Any, context: Any) -> Completion:
        values = [v for v in ("paris", "park", "party") if v.startswith(argument.value)]
        return Completion(values=values, total=len(values), has_more=False)

    return add_lowlevel_fixtures(server)


def add_lowlevel_fixtures(server: MCPServer[Any]) -> list[str]:
    """Stub the handshake-era methods the scenarios call that the product does not serve.

    Methods the product already serves (``resources/subscribe`` and
    ``resources/unsubscribe`` since the job resources) are left alone, so the
    suite exercises the product's own handlers. Returns the methods stubbed.
    """
    from mcp import types

    low = server._lowlevel_server

    async def subscribe(ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        return types.EmptyResult()

    async def unsubscribe(ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        return types.EmptyResult()

    async def set_level(ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
        return types.EmptyResult()

    stubs: dict[str, tuple[Any, Any]] = {
        "resources/subscribe": (types.SubscribeRequestParams, subscribe),
        "resources/unsubscribe": (types.UnsubscribeRequestParams, unsubscribe),
        "logging/setLevel": (types.SetLevelRequestParams, set_level),
    }
    added = []
    for method, (params_type, handler) in stubs.items():
        if low.get_request_handler(method) is None:
            low.add_request_handler(method, params_type, handler)
            added.append(method)
    return added


def build_fixture_server(settings: Settings) -> MCPServer[Any]:
    server = build_server(settings)
    stubbed = add_fixtures(server)
    print(f"fixture server: stubbed protocol methods: {', '.join(stubbed) or 'none'}", file=sys.stderr)
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings(server={"port": args.port}, warmup=False)
    configure_logging("WARNING")
    server = build_fixture_server(settings)
    app = build_http_app(server, settings)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", log_config=None)


if __name__ == "__main__":
    main()
