"""Liveness and readiness of a serving process.

- **Liveness** (``/healthz``) answers from memory: the process and its event loop are alive. It never
  touches a dependency, so a hung store does not get a healthy process restarted.
- **Readiness** (``/readyz``, what a load balancer checks) is 200 only when the process has warmed up
  (the applied policy loaded, the embedding model loaded, the semantic catalog's embeddings built,
  the help-center index loaded) and the online store answered within ``[server] ready_timeout``;
  otherwise 503 with the failing check named. Check results name an error code or a timeout, never a
  URL or a message (those can hold credentials).

:class:`Readiness` starts the warm-up on a worker when the HTTP server starts; a failed warm-up
(the store was down at start, say) is tried again on the next readiness check.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentkit.errors import AgentkitError
from agentkit.retrieval.embedding_cache import CachedEmbedder
from agentkit.server.policy_cache import PolicyCache
from agentkit.server.pool import WorkerPool, wait_for_future

if TYPE_CHECKING:
    from agentkit.project import Project

__all__ = ["Readiness", "ReadyReport", "warm_up"]

OK = "ok"


@dataclass(frozen=True, slots=True)
class ReadyReport:
    """The outcome of each readiness check (``"ok"`` or why not)."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(v == OK for v in self.checks.values())

    def body(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


def warm_up(project: Project, policies: PolicyCache) -> None:
    """Load everything the first calls would otherwise wait for (runs on a worker)."""
    policies.load()
    project.catalog()  # embeds the catalog (else the first search_catalog would, for seconds)
    project.docs  # noqa: B018 - loads the help-center index
    embedder = project.embedder
    base = embedder.embedder if isinstance(embedder, CachedEmbedder) else embedder
    base.embed(["warm-up"])  # loads the model even when the cache held every catalog vector


def _failure(exc: BaseException) -> str:
    return f"failed: {exc.code if isinstance(exc, AgentkitError) else type(exc).__name__}"


class Readiness:
    """Warm-up state plus a bounded probe of the online store."""

    def __init__(self, project: Project, pool: WorkerPool, policies: PolicyCache, *, probe_timeout: float) -> None:
        self._project = project
        self._pool = pool
        self._policies = policies
        self._timeout = probe_timeout
        self._lock = threading.Lock()
        self._warm: Future[None] | None = None
        self._probes = WorkerPool(1, name="agentkit-probe")  # a hung probe never takes a tool worker
        self._probe: tuple[float, Future[object]] | None = None

    def start(self) -> None:
        """Start the warm-up on a worker unless it is running or done (a failed one starts again)."""
        with self._lock:
            warm = self._warm
            if warm is not None and (not warm.done() or warm.exception() is None):
                return
            self._warm = self._pool.submit(lambda: warm_up(self._project, self._policies))

    def _warm_state(self) -> str:
        warm = self._warm
        if warm is None:
            self.start()
            return "starting"
        if not warm.done():
            return "running"
        exc = warm.exception()
        if exc is not None:
            self.start()
            return _failure(exc)
        return OK

    async def _probe_store(self) -> str:
        timeout = self._timeout
        late = f"no answer within {timeout:g} s"
        now = time.monotonic()
        with self._lock:
            probe = self._probe
            if probe is None or probe[1].done():
                probe = self._probe = (now, self._probes.submit(self._project.online.registry))
        started, future = probe
        left = started + timeout - now
        if left <= 0:
            return late  # an earlier probe is still waiting on the store
        try:
            await wait_for_future(future, timeout=left)
        except TimeoutError:
            return late
        except Exception as exc:  # any failure means "not ready"; report its code only
            return _failure(exc)
        return OK

    async def check(self) -> ReadyReport:
        warm = self._warm_state()
        store = await self._probe_store()
        return ReadyReport({"warm_up": warm, "online_store": store})
