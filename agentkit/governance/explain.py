"""Explaining access: what an agent may read for a user and why, and how a change moves exposure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agentkit.features.plan import Change
from agentkit.governance.policy import Decision, Policy
from agentkit.governance.principal import Principal
from agentkit.governance.scope import Reach

__all__ = ["Explanation", "denied_message", "exposure_changes"]


def denied_message(refs: Sequence[str]) -> str:
    """The one message a model sees for a feature it may not read (or that does not exist).

    It names only what the caller asked for: never the allow-list, other features or other users.
    """
    shown = ", ".join(refs[:5]) + (" ..." if len(refs) > 5 else "")
    return f"feature(s) {shown} are not available to this agent"


@dataclass(frozen=True, slots=True)
class Explanation:
    principal: Principal
    decisions: list[Decision]
    reach: dict[str, Reach]
    tools: list[str]
    as_of: datetime | None

    def render(self) -> str:
        p = self.principal
        lines = [
            f"agent {p.agent}, user {p.subject or '-'}, roles {', '.join(p.roles) or '(default)'}"
            + (f", tenant {p.tenant}" if p.tenant else "")
            + (f", as of {self.as_of.isoformat()}" if self.as_of else ", live"),
            f"tools: {', '.join(self.tools) or 'none'}",
            "features:",
        ]
        for d in self.decisions:
            mark = "allow" if d.allowed else "deny "
            lines.append(f"  {mark} {d.ref:<40} {d.reason}")
        lines.append("reachable keys:")
        for entity, reach in self.reach.items():
            if reach.everything:
                keys = "every key"
            else:
                shown = sorted(reach.keys)
                keys = ", ".join(shown[:20]) + (f" ... ({len(shown)} in all)" if len(shown) > 20 else "") or "none"
            lines.append(f"  {entity:<14} {keys}   [{reach.rule}]")
        return "\n".join(lines)


def exposure_changes(old: Policy | None, new: Policy) -> tuple[Change, ...]:
    """Per agent, the features it newly gains or loses (for ``plan``)."""
    changes: list[Change] = []
    agents = sorted(set(new.snapshot.agents) | set(old.snapshot.agents if old else ()))
    for agent in agents:
        before = old.exposure(agent) if old is not None else frozenset[str]()
        after = new.exposure(agent)
        for ref in sorted(after - before):
            changes.append(Change("add", "exposure", agent, f"{agent} newly gains {ref}"))
        for ref in sorted(before - after):
            changes.append(Change("remove", "exposure", agent, f"{agent} loses {ref}"))
    return tuple(changes)
