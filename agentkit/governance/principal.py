"""Who is asking: a verified end user (or the platform itself) and the calling agent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Principal"]


class Principal(BaseModel):
    """A verified caller. Built by the server from a verified token, or by application code in
    embedded mode — never from anything a language model produced.

    ``subject`` is the end user's key for the subject entity (e.g. their customer id); ``None``
    for an agent acting without a user (it may search the catalog but reads no customer data).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: str = Field(min_length=1)
    subject: str | None = None
    roles: tuple[str, ...] = ()
    tenant: str | None = None
    kind: Literal["end_user", "service"] = "end_user"

    @classmethod
    def end_user(cls, subject: str, *, agent: str, roles: tuple[str, ...] = (), tenant: str | None = None) -> Principal:
        return cls(agent=agent, subject=subject, roles=roles, tenant=tenant)

    @classmethod
    def service(cls, agent: str = "platform") -> Principal:
        """The platform itself (unscoped reads by platform code); never handed to an agent."""
        return cls(agent=agent, kind="service")

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.subject or '-'}@{self.agent}"
