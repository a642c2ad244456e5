"""``WorkerPool``: a bounded set of threads that run blocking platform calls for the event loop.

The server's event loop only parses requests, verifies tokens and writes responses; every call that
may wait on a store, the Iceberg catalog or the embedding model runs here. The pool is bounded
(``[server] worker_threads``): when every worker is busy, further calls queue, and a call that does
not finish within its timeout — waiting for a worker included — gives up with :class:`TimeoutError`
while the loop goes on serving everyone else.

Workers are daemon threads started on demand: a worker stuck in a hung dependency never keeps the
process from exiting (graceful shutdown has already waited for in-flight calls by then). A pool is
shared by all the servers of one project in a process (the embedded agent builds one server per
session), see :func:`pool_for`.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Any, TypeVar

__all__ = ["WorkerPool", "pool_for", "wait_for_future"]

T = TypeVar("T")
_Job = Callable[[], None] | None  # None tells a worker to stop


class _Counts:
    """Worker bookkeeping, shared with the workers (which must not hold the pool itself)."""

    __slots__ = ("busy", "idle", "lock", "started")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = 0
        self.idle = 0
        self.busy = 0


class WorkerPool:
    """At most ``threads`` daemon threads running submitted calls in order of arrival."""

    def __init__(self, threads: int, *, name: str = "agentkit-worker") -> None:
        if threads < 1:
            raise ValueError(f"a worker pool needs at least one thread, got {threads}")
        self._max = threads
        self._name = name
        self._jobs: SimpleQueue[_Job] = SimpleQueue()
        self._counts = _Counts()
        weakref.finalize(self, _stop, self._jobs, self._counts)  # workers end with the pool

    @property
    def threads(self) -> int:
        return self._max

    @property
    def busy(self) -> int:
        """Calls running now."""
        return self._counts.busy

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` (run in a copy of the caller's context); its result arrives in the future."""
        future: Future[T] = Future()
        context = contextvars.copy_context()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return  # the caller gave up while it was queued
            try:
                future.set_result(context.run(fn))
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)

        counts = self._counts
        with counts.lock:
            start = counts.idle == 0 and counts.started < self._max
            if start:
                counts.started += 1
            elif counts.idle:
                counts.idle -= 1
        self._jobs.put(job)
        if start:
            name = f"{self._name}-{counts.started}"
            threading.Thread(target=_work, args=(self._jobs, counts), name=name, daemon=True).start()
        return future

    async def run(self, fn: Callable[[], T], *, timeout: float) -> T:
        """Run ``fn`` on a worker; :class:`TimeoutError` after ``timeout`` seconds (queueing included).

        A call still queued at the timeout is dropped; one already running is abandoned (its
        worker stays busy until the dependency answers or its own timeout fires).
        """
        return await asyncio.wait_for(asyncio.wrap_future(self.submit(fn)), timeout)


async def wait_for_future(future: Future[T], *, timeout: float) -> T:
    """Wait up to ``timeout`` seconds for a submitted call that others may wait for too: giving up
    (:class:`TimeoutError`, or cancellation) leaves the call itself alone."""
    inner = asyncio.wrap_future(future)
    inner.add_done_callback(_retrieved)
    return await asyncio.wait_for(asyncio.shield(inner), timeout)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark an outcome seen: one that arrives after every waiter gave up is not an error to log."""
    if not future.cancelled():
        future.exception()


def _work(jobs: SimpleQueue[_Job], counts: _Counts) -> None:
    while True:
        job = jobs.get()
        if job is None:
            return
        with counts.lock:
            counts.busy += 1
        try:
            job()
        finally:
            job = None  # an idle worker holds nothing of the last call (nor, through it, the pool)
            with counts.lock:
                counts.busy -= 1
                counts.idle += 1


def _stop(jobs: SimpleQueue[_Job], counts: _Counts) -> None:
    for _ in range(counts.started):
        jobs.put(None)


_pools: weakref.WeakKeyDictionary[object, WorkerPool] = weakref.WeakKeyDictionary()
_pools_lock = threading.Lock()


def pool_for(owner: object, threads: int) -> WorkerPool:
    """The pool of ``owner`` (a project), created with ``threads`` workers on first use."""
    with _pools_lock:
        pool = _pools.get(owner)
        if pool is None:
            pool = _pools[owner] = WorkerPool(threads)
        return pool
