"""``RefusalLog``: rejected tokens and denied tool calls in the audit log, aggregated.

Reads are audited one record each (:mod:`agentkit.reads`); refusals are not, because anyone can
send them: a flood of bad tokens must not grow the audit spool without bound. So refusals are
counted per *window* (one second by default) and per key — the reason, the source address and, for
a denied tool, the verified agent, subject and tool asked for — and each window becomes **one**
audit record (``decision = "deny"``) whose ``reason`` reads::

    token_rejected:expired; count=37; source=203.0.113.9
    tool_not_allowed; count=2; source=127.0.0.1

(:func:`parse_reason` splits it). The token itself is never recorded, nor any claim of a token that
failed verification (``agent`` is ``"-"``). A window is written when it closes (a background thread
checks every window), on :meth:`RefusalLog.flush` and at interpreter exit. At most ``max_open`` keys
are counted at once; refusals beyond that are counted under source ``"*"``, so memory is bounded too.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from agentkit.governance.audit import AuditLog, AuditRecord

__all__ = ["RefusalLog", "parse_reason"]

ANONYMOUS = "-"


@dataclass(frozen=True, slots=True)
class _Key:
    reason: str
    source: str
    agent: str
    kind: str
    subject: str | None
    tool: str | None


@dataclass(slots=True)
class _Window:
    opened: float
    first: datetime
    count: int = 0


def parse_reason(text: str) -> tuple[str, str, int]:
    """``(reason, source, count)`` of an aggregated refusal record's ``reason`` field."""
    reason, _, rest = text.partition("; count=")
    count, _, source = rest.partition("; source=")
    return reason, source, int(count or 1)


def _printable(text: str, limit: int = 64) -> str:
    """A client-chosen name as recorded: printable, at most ``limit`` characters."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class RefusalLog:
    """Counts refusals per key and window; writes one audit record per window (thread-safe)."""

    def __init__(self, audit: Callable[[], AuditLog], *, window: float = 1.0, max_open: int = 1_000) -> None:
        self._audit = audit
        self._window = window
        self._max_open = max_open
        self._open: dict[_Key, _Window] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    def note(
        self,
        reason: str,
        *,
        source: str,
        agent: str = ANONYMOUS,
        kind: str = "anonymous",
        subject: str | None = None,
        tool: str | None = None,
    ) -> None:
        """Count one refusal (``reason`` like ``token_rejected:expired`` or ``tool_not_allowed``)."""
        key = _Key(reason, _printable(source), agent, kind, subject, None if tool is None else _printable(tool))
        with self._lock:
            window = self._open.get(key)
            if window is None:
                if len(self._open) >= self._max_open:
                    key = _Key(reason, "*", ANONYMOUS, kind, None, None)
                    window = self._open.get(key)
                if window is None:
                    window = self._open[key] = _Window(time.monotonic(), datetime.now(UTC))
            window.count += 1
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep, name="agentkit-refusals", daemon=True)
                self._sweeper.start()
                atexit.register(self.flush)

    def flush(self) -> int:
        """Write every open window to the audit spool now; returns the number of records written."""
        written = self._write(self._take(everything=True))
        if written:
            self._audit().flush()
        return written

    def _take(self, *, everything: bool) -> list[AuditRecord]:
        now = time.monotonic()
        records: list[AuditRecord] = []
        with self._lock:
            for key, window in list(self._open.items()):
                if everything or now - window.opened >= self._window:
                    del self._open[key]
                    records.append(_record(key, window))
        return records

    def _write(self, records: list[AuditRecord]) -> int:
        if records:
            audit = self._audit()
            for record in records:
                audit.write(record)
        return len(records)

    def _sweep(self) -> None:
        """Write windows as they close; stop once none is open (``note`` starts a new sweeper)."""
        while True:
            time.sleep(self._window / 4)
            self._write(self._take(everything=False))
            with self._lock:
                if not self._open:
                    self._sweeper = None
                    atexit.unregister(self.flush)
                    return


def _record(key: _Key, window: _Window) -> AuditRecord:
    return AuditRecord(
        agent=key.agent,
        principal_kind=key.kind,
        subject=key.subject,
        surface="mcp",
        tool=key.tool,
        features=[],
        decision="deny",
        reason=f"{key.reason}; count={window.count}; source={key.source}",
        time=window.first,
    )
