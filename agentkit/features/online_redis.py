"""Redis online store: one hash per view, for several serving replicas.

Layout (``P`` is the configured key prefix, ``G`` a generation: one full rebuild's id)::

    P:view:{name}:rows                   hash  key -> "<sort token>|<json row>"
    P:view:{name}:meta                   hash  columns, snapshot_id, materialized_at, pushed, generation
    P:view:{name}:gen:{G}:idx:{col}:{v}  set   keys whose latest row has col == v (string features)
    P:view:{name}:gen:{G}:rows           hash  a rebuild's staging rows (renamed over ``rows``)
    P:view:{name}:materializing          hash  G -> {"started_at", "heartbeat_at", "owner"} during a rebuild
    P:view:{name}:garbage                set   generations whose keys are left to delete
    P:registry                           hash  version, definitions, policy

The sort token is (event time, availability, ingest) as fixed-width microseconds, so a Lua script
can merge "newest wins" atomically on the server: concurrent pushes never lose the newer row.

A full rebuild is crash-safe. It announces itself in ``materializing``, builds the rows and their
index sets under a fresh generation, then one Lua script swaps: the staging rows are RENAMEd over
``rows``, ``meta.generation`` points at the new index sets and the old generation is queued as
garbage; the announcement is cleared once the garbage is deleted. Readers resolve the generation in
the same script that reads an index set, so they always see one generation whole. A rebuild killed
at any point changes nothing readers see but leaves its announcement: once its owner is gone,
:meth:`RedisOnlineStore.state` reports it (``interrupted_at``) and the next rebuild deletes what it left.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from agentkit.errors import OnlineStoreError
from agentkit.features._arrow import pylist
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, FeatureView
from agentkit.features.offline import latest_per_key
from agentkit.features.online_store import EPOCH, OnlineRow, RegistryCopy, ViewState, micros_to_datetime
from agentkit.redaction import redact

if TYPE_CHECKING:
    from redis.client import Pipeline

__all__ = ["RedisOnlineStore"]

_TOKEN_LEN = 60
_STALE_AFTER = timedelta(minutes=10)
"""A rebuild on another host whose heartbeat is older than this is taken for dead."""

# KEYS: rows, meta. ARGV: index spec (JSON), the view's key base, then key/value pairs.
_MERGE = """
local index = cjson.decode(ARGV[1])
local gen = redis.call('HGET', KEYS[2], 'generation')
local base = ARGV[2] .. 'idx:'
if gen then base = ARGV[2] .. 'gen:' .. gen .. ':idx:' end
local n = 0
for i = 3, #ARGV, 2 do
  local key, val = ARGV[i], ARGV[i + 1]
  local cur = redis.call('HGET', KEYS[1], key)
  if (not cur) or string.sub(cur, 1, 60) <= string.sub(val, 1, 60) then
    redis.call('HSET', KEYS[1], key, val)
    n = n + 1
    if #index > 0 then
      local new = cjson.decode(string.sub(val, 62))
      local old = nil
      if cur then old = cjson.decode(string.sub(cur, 62)) end
      for _, entry in ipairs(index) do
        local pos, col = entry[1] + 1, entry[2]
        local nv = new[pos]
        local ov = nil
        if old then ov = old[pos] end
        if ov ~= nv then
          if type(ov) == 'string' then redis.call('SREM', base .. col .. ':' .. ov, key) end
          if type(nv) == 'string' then redis.call('SADD', base .. col .. ':' .. nv, key) end
        end
      end
    end
  end
end
return n
"""

# KEYS: meta. ARGV: the view's key base, "column:value". The live generation's index set.
_KEYS_WHERE = """
local gen = redis.call('HGET', KEYS[1], 'generation')
if gen then return redis.call('SMEMBERS', ARGV[1] .. 'gen:' .. gen .. ':idx:' .. ARGV[2]) end
return redis.call('SMEMBERS', ARGV[1] .. 'idx:' .. ARGV[2])
"""

# KEYS: materializing. ARGV: generation, its new announcement. 0 when it was taken over.
_HEARTBEAT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# KEYS: rows, meta, materializing, garbage, staging rows.
# ARGV: generation, columns, snapshot_id, materialized_at, pushed. The view's count, -1 if taken over.
_SWAP = """
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then return -1 end
local old = redis.call('HGET', KEYS[2], 'generation')
redis.call('SADD', KEYS[4], old or 'legacy')
redis.call('UNLINK', KEYS[1])  -- the old rows are freed in the background: the swap stays O(1)
if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('RENAME', KEYS[5], KEYS[1]) end
redis.call('HSET', KEYS[2], 'columns', ARGV[2], 'snapshot_id', ARGV[3], 'materialized_at', ARGV[4],
           'pushed', ARGV[5], 'generation', ARGV[1])
return redis.call('HLEN', KEYS[1])
"""

# KEYS: materializing, garbage. ARGV: generation, the announcement seen. Abandon it unless it moved.
_ABANDON = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""


dumps = json.JSONEncoder(separators=(",", ":")).encode


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoder(dtype: str) -> Callable[[Any], Any] | None:
    if dtype == "timestamp":
        return micros_to_datetime
    if dtype == "money":
        return Decimal
    if dtype == "date":
        return date.fromisoformat
    return None


def _announcement(started_at: str) -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}"  # at call time: a forked process is another owner
    return dumps({"started_at": started_at, "heartbeat_at": datetime.now(UTC).isoformat(), "owner": owner})


def _abandoned(raw: bytes, now: datetime) -> datetime | None:
    """When an announced rebuild started, if its owner is gone; ``None`` while it may still run."""
    info = json.loads(raw)
    started = datetime.fromisoformat(info["started_at"])
    host, _, pid = str(info.get("owner", "")).rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return started
        except PermissionError:  # alive, owned by another user
            return None
        return None
    return started if now - datetime.fromisoformat(info["heartbeat_at"]) > _STALE_AFTER else None


class _Encoded:
    """A view's rows as the store keeps them: keys, "<token>|<json>" values, and index entries."""

    def __init__(self, view: FeatureView, rows: pa.Table) -> None:
        rows = latest_per_key(rows, view) if rows.num_rows else rows
        self.columns = [view.timestamp_field, AVAILABLE_AT, *view.feature_names]
        self.keys: list[str] = pylist(rows.column(view.key))
        # Timestamps travel as integer microseconds: cheap to build, sort and decode.
        self._event: list[int] = pylist(rows.column(view.timestamp_field).cast(pa.int64()))
        self._avail: list[int] = pylist(rows.column(AVAILABLE_AT).cast(pa.int64()))
        self._ingest: list[int] = pylist(rows.column(INGESTED_AT).cast(pa.int64()))
        types = [rows.column(c).type for c in self.columns]
        self.values: list[list[Any]] = [
            pylist(rows.column(c).cast(pa.int64())) if pa.types.is_timestamp(t) else pylist(rows.column(c))
            for c, t in zip(self.columns, types, strict=True)
        ]
        self._simple = [not (pa.types.is_decimal(t) or pa.types.is_date(t)) for t in types]
        # String features are indexed (value -> keys) so scope rules can find a user's rows.
        self.indexed = [
            (i, c) for i, c in enumerate(self.columns) if c in view.feature_names and view.feature(c).dtype == "string"
        ]

    def batches(self, size: int) -> Iterator[list[str]]:
        """Flat ``[key, value, key, value, ...]`` lists of at most ``size`` rows."""
        values, simple = self.values, self._simple
        for start in range(0, len(self.keys), size):
            flat: list[str] = []
            for i in range(start, min(start + size, len(self.keys))):
                token = f"{self._event[i]:020d}{self._avail[i]:020d}{self._ingest[i]:020d}"
                payload = dumps([col[i] if ok else _encode(col[i]) for col, ok in zip(values, simple, strict=True)])
                flat += [self.keys[i], f"{token}|{payload}"]
            yield flat

    def index_sets(self) -> Iterator[tuple[str, list[str]]]:
        """``("column:value", keys)`` for every indexed value."""
        for pos, column in self.indexed:
            groups: dict[str, list[str]] = {}
            for key, value in zip(self.keys, self.values[pos], strict=True):
                if isinstance(value, str):
                    groups.setdefault(value, []).append(key)
            for value, members in groups.items():
                yield f"{column}:{value}", members


class RedisOnlineStore:
    def __init__(self, url: str, *, prefix: str = "agentkit", batch_size: int = 5_000, timeout: float = 5.0) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise OnlineStoreError(
                "the Redis online store needs the redis package: pip install 'agentkit-support[redis]'",
                code="online_store_missing_dependency",
            ) from exc
        self._url = redact(url)  # shown in error messages: never with its password
        self._prefix = prefix
        self._batch = batch_size
        # A hung server fails a call after ``timeout`` seconds instead of holding its thread forever.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._merge = self._redis.register_script(_MERGE)
        self._keys_where = self._redis.register_script(_KEYS_WHERE)
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._swap = self._redis.register_script(_SWAP)
        self._abandon = self._redis.register_script(_ABANDON)
        self._redis_error: type[Exception] = redis.RedisError

    def _k(self, view_name: str, part: str) -> str:
        return f"{self._prefix}:view:{view_name}:{part}"

    def _guard(self, what: str, exc: Exception) -> OnlineStoreError:
        return OnlineStoreError(
            f"Redis online store at {self._url} failed to {what}: {redact(str(exc))} — check [online] store in "
            "agentkit.toml and that the server is running",
            code="online_store_unreachable",
        )

    def write(
        self,
        view: FeatureView,
        rows: pa.Table,
        *,
        snapshot_id: int | None,
        replace: bool,
        pushed: bool = False,
    ) -> int:
        encoded = _Encoded(view, rows)
        try:
            if pushed:
                recorded = self._redis.hget(self._k(view.name, "meta"), "snapshot_id")
                snapshot_id = json.loads(recorded) if recorded else snapshot_id
            if replace:
                return self._rebuild(view.name, encoded, snapshot_id, pushed)
            for flat in encoded.batches(self._batch):
                argv = [json.dumps(encoded.indexed), self._k(view.name, ""), *flat]
                self._merge(keys=[self._k(view.name, "rows"), self._k(view.name, "meta")], args=argv)
            pipe = self._redis.pipeline(transaction=True)
            meta = self._meta(encoded, snapshot_id, pushed)
            pipe.hset(self._k(view.name, "meta"), mapping=meta)
            pipe.hlen(self._k(view.name, "rows"))
            return int(pipe.execute()[-1])
        except self._redis_error as exc:
            raise self._guard(f"write '{view.name}'", exc) from exc

    @staticmethod
    def _meta(encoded: _Encoded, snapshot_id: int | None, pushed: bool) -> dict[str | bytes, str]:
        return {
            "columns": json.dumps(encoded.columns),
            "snapshot_id": json.dumps(snapshot_id),
            "materialized_at": datetime.now(UTC).isoformat(),
            "pushed": json.dumps(pushed),
        }

    def _rebuild(self, name: str, encoded: _Encoded, snapshot_id: int | None, pushed: bool) -> int:
        """Build a new generation beside the live one, then swap it in with one script."""
        generation = uuid.uuid4().hex[:16]
        marker = self._k(name, "materializing")
        started = datetime.now(UTC).isoformat()
        self._redis.hset(marker, generation, _announcement(started))  # cleared only when all is done
        self._reclaim(name)
        staging = self._k(name, f"gen:{generation}:rows")
        index = self._k(name, f"gen:{generation}:idx:")
        pipe = self._redis.pipeline(transaction=False)
        queued = 0
        for flat in encoded.batches(self._batch):
            pipe.hset(staging, mapping=dict(zip(flat[0::2], flat[1::2], strict=True)))
            queued = self._flush(pipe, marker, generation, started, queued + len(flat) // 2, force=True)
        for part, members in encoded.index_sets():
            for start in range(0, len(members), self._batch):
                chunk = members[start : start + self._batch]
                pipe.sadd(index + part, *chunk)
                queued = self._flush(pipe, marker, generation, started, queued + len(chunk))
        self._flush(pipe, marker, generation, started, queued, force=True)
        meta = self._meta(encoded, snapshot_id, pushed)
        args = [generation, meta["columns"], meta["snapshot_id"], meta["materialized_at"], meta["pushed"]]
        keys = [self._k(name, "rows"), self._k(name, "meta"), marker, self._k(name, "garbage"), staging]
        count = cast(int, self._swap(keys=keys, args=args))
        if count < 0:
            self._redis.sadd(self._k(name, "garbage"), generation)
            raise OnlineStoreError(
                f"the rebuild of '{name}' was taken for dead and cleaned up by another materialize; "
                "nothing changed — run `agentkit materialize` again",
                code="online_store_rebuild_abandoned",
            )
        self._collect(name)
        self._redis.hdel(marker, generation)
        return count

    def _flush(
        self, pipe: Pipeline[bytes], marker: str, generation: str, started: str, queued: int, *, force: bool = False
    ) -> int:
        """Send what is queued (with a heartbeat) when it is big enough; returns what stays queued."""
        if not force and queued < self._batch:
            return queued
        self._heartbeat(keys=[marker], args=[generation, _announcement(started)], client=pipe)
        if not pipe.execute()[-1]:
            raise OnlineStoreError(
                f"the rebuild under '{marker}' was taken for dead by another materialize; "
                "run `agentkit materialize` again",
                code="online_store_rebuild_abandoned",
            )
        return 0

    def _reclaim(self, name: str) -> None:
        """Queue rebuilds whose owner is gone as garbage, then delete every garbage generation."""
        marker, now = self._k(name, "materializing"), datetime.now(UTC)
        for generation, raw in self._redis.hgetall(marker).items():
            if _abandoned(raw, now) is not None:
                self._abandon(keys=[marker, self._k(name, "garbage")], args=[generation, raw])
        self._collect(name)

    def _collect(self, name: str) -> None:
        """Delete the keys of garbage generations (idempotent: a kill here is finished next time)."""
        garbage = self._k(name, "garbage")
        for raw in self._redis.smembers(garbage):
            generation = raw.decode()
            # Read afresh each time: a generation that stopped being live never becomes live again.
            if raw != self._redis.hget(self._k(name, "meta"), "generation"):
                legacy = generation == "legacy"
                self._unlink_matching(self._k(name, "idx:*" if legacy else f"gen:{generation}:*"))
                if legacy:
                    self._redis.delete(self._k(name, "staging"))
            self._redis.srem(garbage, raw)

    def _unlink_matching(self, pattern: str) -> None:
        batch: list[bytes] = []
        for key in self._redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                self._redis.unlink(*batch)
                batch = []
        if batch:
            self._redis.unlink(*batch)

    def keys_where(self, view: FeatureView, column: str, value: str) -> list[str]:
        try:
            members = cast(
                list[bytes],
                self._keys_where(keys=[self._k(view.name, "meta")], args=[self._k(view.name, ""), f"{column}:{value}"]),
            )
        except self._redis_error as exc:
            raise self._guard(f"look up '{view.name}'", exc) from exc
        return sorted(m.decode() for m in members)

    def read(self, view: FeatureView, keys: Sequence[str], features: Sequence[str]) -> list[OnlineRow | None]:
        return self.read_with_snapshot(view, keys, features)[1]

    def read_with_snapshot(
        self, view: FeatureView, keys: Sequence[str], features: Sequence[str]
    ) -> tuple[int | None, list[OnlineRow | None]]:
        if not keys:
            return None, []
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hmget(self._k(view.name, "meta"), ["columns", "snapshot_id"])
            pipe.hmget(self._k(view.name, "rows"), list(keys))
            (raw_columns, raw_snapshot), raw_rows = pipe.execute()
        except self._redis_error as exc:
            raise self._guard(f"read '{view.name}'", exc) from exc
        if raw_columns is None:
            return None, [None] * len(keys)
        snapshot = json.loads(raw_snapshot) if raw_snapshot else None
        stored: list[str] = json.loads(raw_columns)
        position = {name: i for i, name in enumerate(stored)}
        picks = [position.get(f) for f in features]
        decoders = [_decoder(view.feature(f).dtype) for f in features]
        out: list[OnlineRow | None] = []
        for key, raw in zip(keys, raw_rows, strict=True):
            if raw is None:
                out.append(None)
                continue
            data = json.loads(raw[_TOKEN_LEN + 1 :])
            vals: list[Any] = []
            for pick, decode in zip(picks, decoders, strict=True):
                value = data[pick] if pick is not None else None
                vals.append(decode(value) if (decode is not None and value is not None) else value)
            out.append(
                OnlineRow(
                    key, tuple(vals), EPOCH + timedelta(microseconds=data[0]), EPOCH + timedelta(microseconds=data[1])
                )
            )
        return snapshot, out

    def state(self, view_name: str) -> ViewState | None:
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(self._k(view_name, "meta"))
            pipe.hlen(self._k(view_name, "rows"))
            pipe.hgetall(self._k(view_name, "materializing"))
            meta, count, announced = pipe.execute()
        except self._redis_error as exc:
            raise self._guard("read state", exc) from exc
        now = datetime.now(UTC)
        left = [t for t in (_abandoned(raw, now) for raw in announced.values()) if t is not None]
        interrupted = min(left) if left else None
        if not meta and interrupted is None:
            return None
        when = meta.get(b"materialized_at")
        return ViewState(
            snapshot_id=json.loads(meta[b"snapshot_id"]) if meta.get(b"snapshot_id") else None,
            materialized_at=datetime.fromisoformat(when.decode()) if when else None,
            rows=int(count),
            pushed=bool(json.loads(meta.get(b"pushed", b"false"))),
            interrupted_at=interrupted,
        )

    def stray_keys(self, view_name: str) -> list[str]:
        """Keys of the view that no reader uses (left by a rebuild, or garbage not yet deleted)."""
        try:
            live = self._redis.hget(self._k(view_name, "meta"), "generation")
            keep = {self._k(view_name, "rows"), self._k(view_name, "meta")}
            index = self._k(view_name, f"gen:{live.decode()}:idx:" if live else "idx:")
            found = [k.decode() for k in self._redis.scan_iter(match=self._k(view_name, "*"), count=1000)]
        except self._redis_error as exc:
            raise self._guard(f"inspect '{view_name}'", exc) from exc
        return sorted(k for k in found if k not in keep and not k.startswith(index))

    def drop(self, view_name: str) -> None:
        try:
            self._unlink_matching(self._k(view_name, "*"))
        except self._redis_error as exc:
            raise self._guard(f"drop '{view_name}'", exc) from exc

    def publish_registry(self, copy: RegistryCopy) -> None:
        try:
            self._redis.hset(
                f"{self._prefix}:registry",
                mapping={
                    "version": copy.version,
                    "definitions": copy.definitions,
                    "policy": copy.policy or "",
                },
            )
        except self._redis_error as exc:
            raise self._guard("publish the registry", exc) from exc

    def registry(self) -> RegistryCopy | None:
        try:
            data = self._redis.hgetall(f"{self._prefix}:registry")
        except self._redis_error as exc:
            raise self._guard("read the registry", exc) from exc
        if not data:
            return None
        policy = data.get(b"policy", b"").decode() or None
        return RegistryCopy(int(data[b"version"]), data[b"definitions"].decode(), policy)

    def delete_all(self) -> int:
        """Remove every key under this store's prefix (tests, `agentkit` teardown)."""
        n = 0
        for key in self._redis.scan_iter(match=f"{self._prefix}:*", count=1000):
            n += int(self._redis.delete(key))
        return n

    def close(self) -> None:
        self._redis.close()
