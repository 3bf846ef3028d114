"""Pull a completion from an OpenAI-compatible ``/chat/completions`` endpoint as it streams.

:func:`stream_chat` posts a chat request with ``stream: true`` and yields the
text deltas of the first choice as they arrive. The server may only reach
base URLs the configuration allows (it is an outbound request chosen by a
caller), and an API key is read from an environment variable the
configuration names; the key is sent as a bearer token and never appears in
an error, a log line or a return value.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx

from midstream_mcp.core.analytics import InvalidInput
from midstream_mcp.core.transport.sse import SSEError, SSEParser

_DEFAULT_PORTS = {"http": 80, "https": 443}
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


class UpstreamError(RuntimeError):
    """The upstream endpoint failed or answered something that is not a completion stream."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated streaming chat request. ``api_key`` is excluded from ``repr``."""

    base_url: str
    model: str
    messages: tuple[Mapping[str, Any], ...]
    api_key: str | None = field(default=None, repr=False)
    max_tokens: int | None = None
    temperature: float | None = None

    @property
    def url(self) -> str:
        """The ``/chat/completions`` URL under ``base_url``."""
        return self.base_url.rstrip("/") + "/chat/completions"

    def body(self) -> dict[str, Any]:
        """The JSON body posted upstream."""
        body: dict[str, Any] = {"model": self.model, "messages": list(self.messages), "stream": True}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return body


def url_allowed(url: str, allowed: Sequence[str]) -> bool:
    """Whether ``url`` is under one of the ``allowed`` base URLs.

    Scheme and host must be equal, the port equal when the entry names one
    (an entry without a port allows any), and the path must start with the
    entry's path at a segment boundary. Plain string prefixes would let
    ``http://127.0.0.1.evil.example`` through.
    """
    try:
        u = urlsplit(url)
        u_port = u.port or _DEFAULT_PORTS.get(u.scheme)
    except ValueError:
        return False
    for entry in allowed:
        try:
            a = urlsplit(entry)
            a_port = a.port
        except ValueError:
            continue
        if (u.scheme, (u.hostname or "")) != (a.scheme, (a.hostname or "")):
            continue
        if a_port is not None and u_port != a_port:
            continue
        base = a.path.rstrip("/")
        if u.path == base or u.path.startswith(base + "/") or not base:
            return True
    return False


def build_request(
    base_url: str,
    model: str,
    messages: Sequence[Any],
    *,
    allowed_base_urls: Sequence[str],
    api_key_env: str | None = None,
    allowed_key_envs: Sequence[str] = (),
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> ChatRequest:
    """Validate a request; raise :class:`InvalidInput` naming the field at fault."""
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("base_url", "must be an http:// or https:// URL")
    if not url_allowed(base_url, allowed_base_urls):
        raise InvalidInput(
            "base_url",
            f"{parts.scheme}://{parts.hostname} is not an allowed upstream "
            "(configuration: upstream.allowed_base_urls)",
        )
    if not isinstance(model, str) or not model.strip() or len(model) > 200:
        raise InvalidInput("model", "must be a non-empty model name of at most 200 characters")
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        raise InvalidInput("messages", "must be a non-empty array of {role, content} objects")
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping):
            raise InvalidInput(f"messages[{i}]", "must be an object with role and content")
        if m.get("role") not in ROLES:
            raise InvalidInput(f"messages[{i}].role", f"must be one of {', '.join(sorted(ROLES))}")
        if not isinstance(m.get("content"), str):
            raise InvalidInput(f"messages[{i}].content", "must be a string")
    key: str | None = None
    if api_key_env is not None:
        if api_key_env not in allowed_key_envs:
            raise InvalidInput(
                "api_key_env",
                f"{api_key_env!r} is not an allowed key variable (configuration: upstream.api_key_envs)",
            )
        key = os.environ.get(api_key_env)
        if not key:
            raise InvalidInput("api_key_env", f"the environment variable {api_key_env} is not set")
    if max_tokens is not None and not (isinstance(max_tokens, int) and 1 <= max_tokens <= 1_000_000):
        raise InvalidInput("max_tokens", "must be an integer between 1 and 1,000,000")
    if temperature is not None and not (isinstance(temperature, int | float) and 0 <= temperature <= 2):
        raise InvalidInput("temperature", "must be a number between 0 and 2")
    return ChatRequest(
        base_url=base_url,
        model=model,
        messages=tuple(dict(m) for m in messages),
        api_key=key,
        max_tokens=max_tokens,
        temperature=temperature,
    )


async def stream_chat(
    request: ChatRequest, *, client: httpx.AsyncClient | None = None, timeout_s: float = 60.0
) -> AsyncIterator[str]:
    """Yield the first choice's text deltas as the endpoint streams them.

    Raises :class:`UpstreamError` on a connection failure, a non-2xx status
    (with the endpoint's own error message when it sends one), a stream that
    is not SSE, an ``error`` object in the stream, or malformed JSON.
    """
    headers = {"accept": "text/event-stream"}
    if request.api_key:
        headers["authorization"] = f"Bearer {request.api_key}"
    own = client is None
    http = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0))
    where = urlsplit(request.url)
    label = f"{where.scheme}://{where.netloc}{where.path}"
    try:
        async with http.stream("POST", request.url, json=request.body(), headers=headers) as response:
            if response.status_code >= 400:
                detail = _scrub(_error_detail(await response.aread()), request.api_key)
                raise UpstreamError(f"{label} answered HTTP {response.status_code}{detail}")
            ctype = response.headers.get("content-type", "")
            if "text/event-stream" not in ctype:
                raise UpstreamError(f"{label} did not stream (content-type {ctype or 'missing'!r})")
            parser = SSEParser()
            async for piece in response.aiter_bytes():
                for event in parser.feed(piece):
                    if event.data.strip() == "[DONE]":
                        return
                    try:
                        text = _delta(event.data, label)
                    except UpstreamError as exc:
                        raise UpstreamError(_scrub(str(exc), request.api_key)) from None
                    if text:
                        yield text
            parser.close()
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{label}: {type(exc).__name__}") from None
    except SSEError as exc:
        raise UpstreamError(f"{label}: {exc}") from None
    finally:
        if own:
            await http.aclose()


def _delta(data: str, label: str) -> str:
    try:
        payload = json.loads(data)
    except ValueError:
        raise UpstreamError(f"{label} sent an event that is not JSON") from None
    if not isinstance(payload, dict):
        raise UpstreamError(f"{label} sent an event that is not a JSON object")
    if "error" in payload:
        err = payload["error"]
        msg = err.get("message") if isinstance(err, dict) else err
        raise UpstreamError(f"{label} reported an error: {str(msg)[:300]}")
    choices = payload.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return ""  # e.g. a usage-only chunk
    delta = choices[0].get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _scrub(message: str, key: str | None) -> str:
    # Some providers quote the key they rejected; it must not travel on in our error.
    if key:
        message = message.replace(key, "***")
        if len(key) > 8:
            message = message.replace(key[-8:], "***")
    return message


def _error_detail(body: bytes) -> str:
    try:
        payload = json.loads(body)
        msg = payload["error"]["message"] if isinstance(payload.get("error"), dict) else payload.get("error")
    except (ValueError, AttributeError, KeyError, TypeError):
        return ""
    return f": {str(msg)[:300]}" if msg else ""
