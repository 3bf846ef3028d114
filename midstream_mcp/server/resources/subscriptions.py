"""Resource subscriptions for both protocol generations.

2026-07-28 clients subscribe with ``subscriptions/listen``, which the SDK
serves from its subscription bus. Handshake-era clients (2025-11-25, e.g. the
TypeScript SDK) use ``resources/subscribe``, which the high-level server does
not serve: we register it on the low-level server and remember subscribers
per connection, dropping a connection once sending to it fails.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from mcp import types
from mcp.server import MCPServer
from mcp.server.subscriptions import ResourceUpdated

logger = logging.getLogger(__name__)


class Subscriptions:
    """Who listens to which resource URI, and how to tell them it changed."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self._server = server
        self._by_uri: defaultdict[str, dict[int, Any]] = defaultdict(dict)
        low = server._lowlevel_server
        low.add_request_handler("resources/subscribe", types.SubscribeRequestParams, self._subscribe)
        low.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, self._unsubscribe)

    async def _subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        self._by_uri[str(params.uri)][id(ctx.session)] = ctx.session
        return types.EmptyResult()

    async def _unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        self._by_uri.get(str(params.uri), {}).pop(id(ctx.session), None)
        return types.EmptyResult()

    def subscriber_count(self, uri: str) -> int:
        return len(self._by_uri.get(uri, {}))

    async def updated(self, uri: str) -> None:
        """Send ``notifications/resources/updated`` for ``uri`` to every subscriber."""
        await self._server._subscriptions.publish(ResourceUpdated(uri=uri))
        for key, session in list(self._by_uri.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # a closed connection: forget it rather than fail the publisher
                logger.debug("dropping subscriber of %s", uri, exc_info=True)
                self._by_uri[uri].pop(key, None)
