"""An incremental parser for Server-Sent Events (the WHATWG ``text/event-stream`` format).

Bytes arrive in arbitrary pieces; :class:`SSEParser` turns them into complete
events whatever the split, including a CRLF or a multi-byte character cut in
two. Field semantics follow the HTML standard's "interpret an event stream":
``data`` lines join with ``\\n``, a comment line starts with ``:``, one space
after the colon is dropped, an event with no data is not dispatched, and an
``id`` containing NUL is ignored.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEError(ValueError):
    """The stream broke a limit (a line or an event too long)."""


class SSEParser:
    """Feed bytes with :meth:`feed`, get the events they complete.

    ``max_line`` and ``max_event`` bound the memory one hostile or broken
    stream can hold: past them :class:`SSEError` is raised.
    """

    def __init__(self, *, max_line: int = 1 << 20, max_event: int = 4 << 20) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True
        self._pending_cr = False
        self.max_line = max_line
        self.max_event = max_event

    def feed(self, data: bytes) -> list[SSEEvent]:
        """The events completed by ``data``."""
        text = self._decoder.decode(data)
        if self._first and text:
            text = text.removeprefix("\ufeff")  # a byte-order mark is allowed once, at the start
            self._first = False
        return self._lines(text)

    def close(self) -> list[SSEEvent]:
        """End of stream: an incomplete event is discarded, as the standard says."""
        self._lines(self._decoder.decode(b"", final=True))
        self._buffer = ""
        self._data = []
        return []

    def _lines(self, text: str) -> list[SSEEvent]:
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across two feeds
        self._pending_cr = False
        buf = self._buffer + text
        out: list[SSEEvent] = []
        start = 0
        n = len(buf)
        while start < n:
            cr = buf.find("\r", start)
            lf = buf.find("\n", start)
            if cr < 0 and lf < 0:
                break
            end = lf if cr < 0 else cr if lf < 0 else min(cr, lf)
            line = buf[start:end]
            if buf[end] == "\r":
                if end + 1 < n:
                    start = end + 2 if buf[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._pending_cr = True
            else:
                start = end + 1
            event = self._line(line)
            if event is not None:
                out.append(event)
        self._buffer = buf[start:]
        if len(self._buffer) > self.max_line:
            raise SSEError(f"an SSE line is longer than {self.max_line} characters")
        return out

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._data_size += len(value) + 1
            if self._data_size > self.max_event:
                raise SSEError(f"an SSE event is larger than {self.max_event} characters")
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, self._data, self._data_size = self._data, [], 0
        event, self._event = self._event, ""
        retry, self._retry = self._retry, None
        if not data:
            return None
        return SSEEvent(data="\n".join(data), event=event or "message", id=self._id, retry=retry)
