"""The agentkit exception family.

Every error agentkit raises on purpose derives from :class:`AgentkitError` and carries a stable
``code`` that tests and callers can match on (the message may be reworded; the code may not)::

    AgentkitError
    ├── ConfigError              agentkit.toml or a definitions module is invalid
    ├── DefinitionError          an Entity / FeatureView / Feature is invalid
    ├── NotFoundError            an unknown view, feature, entity or snapshot
    ├── DataError                ingested data does not match a view's schema
    ├── AsOfError                an unparsable, naive or future ``as_of``
    ├── CatalogError             the Iceberg catalog is unreachable or refused a commit
    ├── OnlineStoreError         the online store is unreachable or corrupt
    ├── PlanError                apply refused a change (destructive, conflicting)
    └── PolicyError              a read was denied by policy or scope

Messages say what happened, show the value, and say what to do. A value shown in a message passes
through :func:`shown` (and any other echoed text through :func:`clip`), so a 1 MB bad value gives
a short line, not a 1 MB one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AgentkitError",
    "AsOfError",
    "CatalogError",
    "ConfigError",
    "DataError",
    "DefinitionError",
    "NotFoundError",
    "OnlineStoreError",
    "PlanError",
    "PolicyError",
    "clip",
    "did_you_mean",
    "shown",
]


class AgentkitError(Exception):
    """Base class of every error agentkit raises on purpose."""

    code: str = "agentkit_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(AgentkitError):
    code = "config_invalid"


class DefinitionError(AgentkitError):
    code = "definition_invalid"


class NotFoundError(AgentkitError):
    code = "not_found"


class DataError(AgentkitError):
    code = "data_invalid"


class AsOfError(AgentkitError):
    code = "time_invalid"


class CatalogError(AgentkitError):
    code = "catalog_error"


class OnlineStoreError(AgentkitError):
    code = "online_store_error"


class PlanError(AgentkitError):
    code = "plan_refused"


class PolicyError(AgentkitError):
    code = "policy_denied"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A suffix for 'not found' messages: the known names and the closest match, if any."""
    known_sorted = sorted(set(known))
    if not known_sorted:
        return " (none are defined)"
    shown = ", ".join(known_sorted[:12]) + (" ..." if len(known_sorted) > 12 else "")
    close = difflib.get_close_matches(name, known_sorted, n=1, cutoff=0.6)
    hint = f" — did you mean {close[0]}?" if close else ""
    return f"; known: {shown}{hint}"


def clip(text: str, limit: int = 160) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was: ``'abc…' … (1000000 chars)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} chars)"


def shown(value: object, limit: int = 80) -> str:
    """A value as an error message shows it: its ``repr``, cut to about ``limit`` characters (the
    count given is the value's own length for text, else its repr's)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, (str, bytes)) else len(text)
    return f"{text[:limit]}… ({size} chars)"
