"""Command line: ``midstream-mcp [--stdio | --http ...]`` and the ``config`` and ``version`` verbs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from midstream_mcp import __version__
from midstream_mcp.config import ConfigError, Settings, load_settings
from midstream_mcp.logs import configure_logging

logger = logging.getLogger("midstream_mcp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="midstream-mcp",
        description="MCP server for inflight analysis of LLM output streams.",
    )
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="serve MCP over stdio (the default)")
    transport.add_argument("--http", action="store_true", help="serve MCP over streamable HTTP at /mcp")
    parser.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8765)")
    parser.add_argument("--config", metavar="FILE", help="TOML configuration file (or MIDSTREAM_CONFIG)")
    parser.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="bearer token required by --http (prefer MIDSTREAM_SERVER__AUTH_TOKEN: flags show in ps)",
    )
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=None,
        help="allow --http on a non-loopback host without a token",
    )
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    parser.add_argument("--no-warmup", action="store_true", help="do not pre-load numba kernels at start")
    parser.add_argument("--version", action="version", version=f"midstream-mcp {__version__}")

    verbs = parser.add_subparsers(dest="verb", metavar="{serve,config,version,tail}")
    verbs.add_parser("serve", help="run the server (the default verb)")
    config = verbs.add_parser("config", help="print an mcpServers entry for MCP hosts (Claude Desktop ...)")
    config.add_argument("--name", default="midstream", help="key of the entry (default: midstream)")
    verbs.add_parser("version", help="print the version")
    tail = verbs.add_parser("tail", help="print a running HTTP server's stream events as NDJSON")
    tail.add_argument("--url", default=None, help="server base URL (default http://127.0.0.1:<port>)")
    tail.add_argument("--stream", metavar="ID", help="only this stream's events")
    tail.add_argument("--after", type=int, metavar="SEQ", help="first replay stored events after SEQ")
    return parser


def host_config(name: str = "midstream") -> dict[str, Any]:
    """The ``mcpServers`` entry a host needs, with absolute paths (Claude Desktop requires them)."""
    return {
        "mcpServers": {
            name: {
                "command": sys.executable,
                "args": ["-m", "midstream_mcp", "--stdio"],
                "env": {"MIDSTREAM_LOG_LEVEL": "INFO"},
            }
        }
    }


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "log_level": args.log_level,
        "warmup": False if args.no_warmup else None,
        "server": {
            "host": args.host,
            "port": args.port,
            "auth_token": args.auth_token,
            "insecure_no_auth": args.insecure_no_auth,
        },
    }
    return load_settings(args.config, **overrides)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from midstream_mcp.core.store import StoreError
    from midstream_mcp.server.app import build_server

    server = build_server(settings)
    streams = server.app_state.streams  # type: ignore[attr-defined]
    try:
        streams.open_store_now()  # a bad store path fails at start, not mid-session
    except StoreError as exc:
        logger.error("%s", exc)
        return 2
    if not args.http:
        logger.info("midstream-mcp %s serving MCP over stdio", __version__)
        server.run()
        return 0

    import uvicorn

    from midstream_mcp.server.http import InsecureBindError, build_http_app

    try:
        app = build_http_app(server, settings)
    except InsecureBindError as exc:
        logger.error("%s", exc)
        return 2
    server.app_state.ensure_warmup()  # type: ignore[attr-defined]
    cfg = settings.server
    shown = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
    reach = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(shown, shown)
    streams.http_base = f"http://{reach}:{cfg.port}"
    logger.info("midstream-mcp %s serving MCP at http://%s:%d/mcp", __version__, shown, cfg.port)
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level=settings.log_level.lower(), log_config=None)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``midstream-mcp`` and ``python -m midstream_mcp``."""
    args = _parser().parse_args(argv)
    if args.verb == "version":
        print(f"midstream-mcp {__version__}")
        return 0
    if args.verb == "config":
        try:
            print(json.dumps(host_config(args.name), indent=2))
        except BrokenPipeError:  # e.g. piped into `head`
            return 0
        return 0
    try:
        settings = _settings_from(args)
    except (ConfigError, ValidationError) as exc:
        configure_logging("INFO")
        logger.error("invalid configuration: %s", exc)
        return 2
    configure_logging(settings.log_level)
    if args.verb == "tail":
        return _tail(args, settings)
    return _serve(args, settings)


def _tail(args: argparse.Namespace, settings: Settings) -> int:
    """Follow ``GET /v1/events`` of a running ``--http`` server, one JSON event per line on stdout."""
    import httpx2 as httpx

    base = (args.url or f"http://127.0.0.1:{settings.server.port}").rstrip("/")
    params: dict[str, str] = {}
    if args.stream:
        params["stream"] = args.stream
    if args.after is not None:
        params["after"] = str(args.after)
    headers = {}
    token = settings.server.auth_token
    if token is not None:
        headers["authorization"] = f"Bearer {token.get_secret_value()}"
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client,
            client.stream("GET", f"{base}/v1/events", params=params, headers=headers) as response,
        ):
            if response.status_code != 200:
                logger.error(
                    "%s/v1/events answered %d: %s", base, response.status_code, response.read()[:300]
                )
                return 1
            for line in response.iter_lines():
                if line:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
    except httpx.HTTPError as exc:
        logger.error("cannot follow %s/v1/events: %s", base, type(exc).__name__)
        return 1
    except (KeyboardInterrupt, BrokenPipeError):
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
