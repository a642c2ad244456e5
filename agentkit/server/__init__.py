"""The MCP server: the governed platform over the Model Context Protocol (the only place that
serves MCP)."""
