"""The MCP server: assembles tool and resource modules over ``midstream_mcp.core``."""
