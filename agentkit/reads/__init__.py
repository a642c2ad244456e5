"""The read path: every feature read, scoped or not, in one place.

* :mod:`~agentkit.reads.raw` — the one raw read: live (online store) or point in time (Iceberg, on
  pinned snapshots); every read below passes through it.
* :mod:`~agentkit.reads.scoped` — the scoped read an agent gets: policy, scope, read, mask, cap,
  audit (``get_features``), and ``explain``.
* :mod:`~agentkit.reads.sources` — where scope rules read their data: the same stores, at the same
  moment, as the read they guard.

The package reads through a :class:`~agentkit.reads.host.ReadHost` (the :class:`~agentkit.Project`
implements it), so it never imports the project.
"""

from agentkit.reads.as_of import parse_as_of
from agentkit.reads.host import AppliedState, ReadHost
from agentkit.reads.raw import RawReader, one_entity
from agentkit.reads.scoped import ScopedReader
from agentkit.reads.sources import OfflineScopeSource, OnlineScopeSource, scope_source

__all__ = [
    "AppliedState",
    "OfflineScopeSource",
    "OnlineScopeSource",
    "RawReader",
    "ReadHost",
    "ScopedReader",
    "one_entity",
    "parse_as_of",
    "scope_source",
]
