"""The package version: the one place it is written.

``pyproject.toml`` reads it from here (``[tool.setuptools.dynamic]``, parsed without importing), the
package re-exports it as ``agentkit.__version__`` and the MCP server reports it as ``serverInfo.version``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
