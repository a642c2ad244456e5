"""Examples shipped inside the package, so ``agentkit demo`` works from an installed wheel.

Each example is a subpackage: its project files (``agentkit.toml``, ``features.py``, help-center
articles, transcripts) travel as package data next to the modules that generate its data.
"""
