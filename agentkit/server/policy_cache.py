"""``PolicyCache``: the applied policy for the checks the event loop makes itself.

Listing tools and checking a call against the agent's allow-list happen on the event loop, for every
request. Asking the project there could wait on the online store (it re-reads the registry copy
about once a second to notice a newer ``apply``), and a hung store would then stall every request.
So the loop reads this cache, and a worker thread refreshes it in the background when it is older
than ``every`` seconds (stale-while-revalidate): a newer ``apply`` is still noticed within about a
second, and while the store hangs the loop goes on with the last policy it saw. Only the very first
check of a server waits (on a worker, bounded) for the policy to load.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentkit.errors import AgentkitError
from agentkit.governance.policy import Policy
from agentkit.server.pool import WorkerPool, wait_for_future

if TYPE_CHECKING:
    from agentkit.project import Project

__all__ = ["PolicyCache"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int
    policy: Policy
    loaded: float


class PolicyCache:
    """The project's applied policy as last loaded, refreshed off the loop."""

    def __init__(self, project: Project, pool: WorkerPool, *, every: float = 1.0) -> None:
        self._project = project
        self._pool = pool
        self._every = every
        self._entry: _Entry | None = None
        self._pending: Future[_Entry] | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> int | None:
        """The applied version last seen (``None`` before the first load); never waits."""
        entry = self._entry
        return entry.version if entry is not None else None

    def load(self) -> Policy:
        """Load the policy now, on this thread (warm-up; the background refresh)."""
        policy = self._project.policy()
        entry = _Entry(self._project.applied().version, policy, time.monotonic())
        self._entry = entry
        return entry.policy

    async def get(self, *, timeout: float) -> Policy:
        """The policy for a check on the loop: the cached one (refreshed in the background when
        older than ``every``), or — on a server's first check — a load bounded by ``timeout``."""
        entry = self._entry
        if entry is not None:
            if time.monotonic() - entry.loaded >= self._every:
                self._refresh()
            return entry.policy
        return (await wait_for_future(self._refresh(), timeout=timeout)).policy

    def _refresh(self) -> Future[_Entry]:
        """Start one background load unless one is running; returns the running one."""
        with self._lock:
            pending = self._pending
            if pending is not None and not pending.done():
                return pending
            future = self._pool.submit(self._load_entry)
            self._pending = future
        future.add_done_callback(_log_failure)
        return future

    def _load_entry(self) -> _Entry:
        self.load()
        assert self._entry is not None
        return self._entry


def _log_failure(future: Future[_Entry]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is None:
        return
    code = exc.code if isinstance(exc, AgentkitError) else type(exc).__name__
    log.warning("could not load the applied policy (%s); checks use the last one seen, if any", code)
