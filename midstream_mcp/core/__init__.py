"""Pure domain and computation: numpy in, frozen dataclasses and arrays out.

Nothing in ``midstream_mcp.core`` imports ``mcp``, ``starlette`` or ``uvicorn``.
"""
