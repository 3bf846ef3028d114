"""MCP resources (streams, metrics, events, jobs)."""
