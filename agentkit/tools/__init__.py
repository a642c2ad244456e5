"""LangChain tools the agent calls: the MCP client side (the only place that speaks MCP as a client)."""
