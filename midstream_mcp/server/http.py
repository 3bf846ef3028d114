"""The streamable-HTTP face of the server: /mcp, /healthz, DNS-rebinding and bearer-token checks."""

from __future__ import annotations

import hmac
import json
import logging

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from midstream_mcp.config import Settings, is_loopback
from midstream_mcp.server.event_store import SQLiteEventStore

logger = logging.getLogger(__name__)

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class InsecureBindError(RuntimeError):
    """A non-loopback bind was requested without a token or an explicit opt-out."""


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host/Origin allow-lists against DNS rebinding, for the configured bind address."""
    host = settings.server.host
    names = list(_LOOPBACK_NAMES)
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        names.append(f"[{host}]" if ":" in host else host)
    hosts = [f"{name}:*" for name in names] + [f"{name}" for name in names]
    origins = [f"http://{name}:*" for name in names] + [f"http://{name}" for name in names]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts + settings.server.allowed_hosts,
        allowed_origins=origins + settings.server.allowed_origins,
    )


class BearerTokenMiddleware:
    """Require ``Authorization: Bearer <token>`` on every HTTP request but the exempt paths.

    The comparison runs in constant time so the token cannot be guessed byte
    by byte from response timings.
    """

    def __init__(self, app: ASGIApp, token: str, exempt: frozenset[str] = frozenset({"/healthz"})) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        supplied = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                supplied = value
                break
        if hmac.compare_digest(supplied, self._expected):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "unauthorized", "detail": "a valid bearer token is required"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="midstream-mcp"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def build_http_app(server: MCPServer, settings: Settings) -> ASGIApp:
    """The ASGI app served by ``--http``: MCP at ``/mcp`` plus the custom routes.

    Raises :class:`InsecureBindError` for a non-loopback bind with neither a
    token nor ``insecure_no_auth``.
    """
    cfg = settings.server
    token = cfg.auth_token.get_secret_value() if cfg.auth_token is not None else None
    if not is_loopback(cfg.host) and not token:
        if not cfg.insecure_no_auth:
            raise InsecureBindError(
                f"refusing to serve on non-loopback host {cfg.host!r} without authentication: "
                "set --auth-token (or MIDSTREAM_SERVER__AUTH_TOKEN), or pass --insecure-no-auth"
            )
        logger.warning(
            "serving on %s WITHOUT authentication (--insecure-no-auth): anyone who can reach "
            "this address can use the server",
            cfg.host,
        )
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=transport_security(settings),
        host=cfg.host,
        max_sessions=cfg.max_sessions,
        max_request_body_size=cfg.max_request_bytes,
        event_store=SQLiteEventStore(cfg.event_store),
        retry_interval=cfg.sse_retry_ms,
        session_idle_timeout=cfg.session_idle_timeout_s,
    )
    if token:
        app = BearerTokenMiddleware(app, token)
    return app
