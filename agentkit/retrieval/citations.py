"""How an answer cites its sources: ``[view.feature]`` for a feature it read, ``[doc-id]`` for a
help-center document. One pattern, so the agent's trace and the eval's metrics find the same
citations (ids keep their case: a document id may have capitals)."""

from __future__ import annotations

import re

__all__ = ["CITATION", "citations"]

CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.\-]*)\]")
"""A citation: an id in square brackets; group 1 is the id."""


def citations(text: str) -> list[str]:
    """The ids cited in ``text``, in order (repeats kept)."""
    return CITATION.findall(text)
