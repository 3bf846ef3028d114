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

    verbs = parser.add_subparsers(dest="verb", metavar="{serve,config,version}")
    verbs.add_parser("serve", help="run the server (the default verb)")
    config = verbs.add_parser("config", help="print an mcpServers entry for MCP hosts (Claude Desktop ...)")
    config.add_argument("--name", default="midstream", help="key of the entry (default: midstream)")
    verbs.add_parser("version", help="print the version")
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
    from midstream_mcp.server.app import build_server

    server = build_server(settings)
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
    return _serve(args, settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
