"""What the read path needs from the project that hosts it: its stores, the applied definitions and
policy, and the audit log. :class:`~agentkit.Project` implements :class:`ReadHost`; the read path
depends on this protocol only, never on the project module."""

from __future__ import annotations

from typing import Protocol

from agentkit.features.definitions import Definitions
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.governance.audit import AuditLog
from agentkit.governance.policy import Policy

__all__ = ["AppliedState", "ReadHost"]


class AppliedState(Protocol):
    """The applied version: what reads enforce (not the files on disk)."""

    @property
    def version(self) -> int: ...

    @property
    def definitions(self) -> Definitions: ...


class ReadHost(Protocol):
    """The stores and applied state a read goes through."""

    @property
    def online(self) -> OnlineStore: ...

    @property
    def offline(self) -> OfflineStore: ...

    @property
    def audit(self) -> AuditLog: ...

    def applied(self) -> AppliedState:
        """The applied definitions (cheap: cached, re-checked at most once a second)."""
        ...

    def policy(self) -> Policy:
        """The applied policy over the applied definitions."""
        ...
