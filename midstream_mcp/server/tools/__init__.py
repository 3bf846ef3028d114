"""MCP tools, one module per tool family; each is a thin adapter over ``core``."""
