"""midstream-mcp: inflight analysis of LLM output streams, served over MCP."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("midstream-mcp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
