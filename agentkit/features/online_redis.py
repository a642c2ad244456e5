"""Redis online store: one hash per view, for several serving replicas.

Layout (``P`` is the configured key prefix)::

    P:view:{name}:rows   hash  key -> "<sort token>|<json row>"
    P:view:{name}:meta   hash  columns, snapshot_id, materialized_at, rows, pushed
    P:registry           hash  version, definitions, policy

The sort token is (event time, availability, ingest) as fixed-width microseconds, so a Lua script
can merge "newest wins" atomically on the server: concurrent pushes never lose the newer row.
A full rebuild writes a fresh hash and ``RENAME``s it over the old one (readers never see a
half-built view).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from agentkit.errors import OnlineStoreError
from agentkit.features._arrow import pylist
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, FeatureView
from agentkit.features.offline import latest_per_key
from agentkit.features.online_store import EPOCH, OnlineRow, RegistryCopy, ViewState, micros_to_datetime

if TYPE_CHECKING:
    from redis.client import Pipeline

__all__ = ["RedisOnlineStore"]

_TOKEN_LEN = 60
_MERGE = """
local index = cjson.decode(ARGV[1])
local n = 0
for i = 2, #ARGV, 2 do
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
          if type(ov) == 'string' then redis.call('SREM', KEYS[2] .. col .. ':' .. ov, key) end
          if type(nv) == 'string' then redis.call('SADD', KEYS[2] .. col .. ':' .. nv, key) end
        end
      end
    end
  end
end
return n
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


def _rename(pipe: Pipeline[bytes], src: str, dst: str) -> None:
    """Queue ``RENAME src dst`` (types-redis leaves ``rename``'s parameters unannotated)."""
    pipe.rename(src, dst)  # pyright: ignore[reportUnknownMemberType]  # unannotated parameters in types-redis


class RedisOnlineStore:
    def __init__(self, url: str, *, prefix: str = "agentkit", batch_size: int = 5_000) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise OnlineStoreError(
                "the Redis online store needs the redis package: pip install 'agentkit-support[redis]'",
                code="online_store_missing_dependency",
            ) from exc
        self._url = url
        self._prefix = prefix
        self._batch = batch_size
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=5)
        self._merge = self._redis.register_script(_MERGE)
        self._redis_error: type[Exception] = redis.RedisError

    def _k(self, view_name: str, part: str) -> str:
        return f"{self._prefix}:view:{view_name}:{part}"

    def _guard(self, what: str, exc: Exception) -> OnlineStoreError:
        return OnlineStoreError(
            f"Redis online store at {self._url} failed to {what}: {exc} — check [online] store in "
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
        rows = latest_per_key(rows, view) if rows.num_rows else rows
        columns = [view.timestamp_field, AVAILABLE_AT, *view.feature_names]
        keys: list[str] = pylist(rows.column(view.key))
        # Timestamps travel as integer microseconds: cheap to build, sort and decode.
        event: list[int] = pylist(rows.column(view.timestamp_field).cast(pa.int64()))
        avail: list[int] = pylist(rows.column(AVAILABLE_AT).cast(pa.int64()))
        ingest: list[int] = pylist(rows.column(INGESTED_AT).cast(pa.int64()))
        types = [rows.column(c).type for c in columns]
        values: list[list[Any]] = [
            pylist(rows.column(c).cast(pa.int64())) if pa.types.is_timestamp(t) else pylist(rows.column(c))
            for c, t in zip(columns, types, strict=True)
        ]
        simple = [not (pa.types.is_decimal(t) or pa.types.is_date(t)) for t in types]
        target = self._k(view.name, "rows")
        staging = self._k(view.name, "staging") if replace else target
        # String features are indexed (value -> keys) so scope rules can find a user's rows.
        indexed = [
            (i, c) for i, c in enumerate(columns) if c in view.feature_names and view.feature(c).dtype == "string"
        ]
        index_arg = json.dumps(indexed)
        try:
            if replace:
                self._redis.delete(staging)
            meta = self._redis.hgetall(self._k(view.name, "meta"))
            for start in range(0, len(keys), self._batch):
                argv: list[str] = [index_arg]
                for i in range(start, min(start + self._batch, len(keys))):
                    token = f"{event[i]:020d}{avail[i]:020d}{ingest[i]:020d}"
                    payload = dumps([col[i] if ok else _encode(col[i]) for col, ok in zip(values, simple, strict=True)])
                    argv += [keys[i], f"{token}|{payload}"]
                if replace:
                    self._redis.hset(staging, mapping=dict(zip(argv[1::2], argv[2::2], strict=True)))
                else:
                    self._merge(keys=[target, self._k(view.name, "idx:")], args=argv)
            if replace:
                self._rebuild_index(view, keys, values, indexed)
            pipe = self._redis.pipeline(transaction=True)
            if replace:
                if keys:
                    _rename(pipe, staging, target)
                else:
                    pipe.delete(target)
            if pushed and meta.get(b"snapshot_id"):
                snapshot_id = json.loads(meta[b"snapshot_id"])
            pipe.hset(
                self._k(view.name, "meta"),
                mapping={
                    "columns": json.dumps(columns),
                    "snapshot_id": json.dumps(snapshot_id),
                    "materialized_at": datetime.now(UTC).isoformat(),
                    "pushed": json.dumps(pushed),
                },
            )
            pipe.hlen(target)
            count = int(pipe.execute()[-1])
        except self._redis_error as exc:
            raise self._guard(f"write '{view.name}'", exc) from exc
        return count

    def _rebuild_index(
        self, view: FeatureView, keys: Sequence[str], values: Sequence[Sequence[Any]], indexed: list[tuple[int, str]]
    ) -> None:
        """After a full rebuild: drop the view's index sets and write them anew. In between, a
        scope lookup may find fewer keys (fail closed), never a wrong one (rows are re-checked)."""
        for stale in self._redis.scan_iter(match=self._k(view.name, "idx:*"), count=1000):
            self._redis.delete(stale)
        pipe = self._redis.pipeline(transaction=False)
        for pos, column in indexed:
            groups: dict[str, list[str]] = {}
            for key, value in zip(keys, values[pos], strict=True):
                if isinstance(value, str):
                    groups.setdefault(value, []).append(key)
            for value, members in groups.items():
                pipe.sadd(self._k(view.name, f"idx:{column}:{value}"), *members)
        pipe.execute()

    def keys_where(self, view: FeatureView, column: str, value: str) -> list[str]:
        try:
            members = self._redis.smembers(self._k(view.name, f"idx:{column}:{value}"))
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
            meta = self._redis.hgetall(self._k(view_name, "meta"))
            count = self._redis.hlen(self._k(view_name, "rows"))
        except self._redis_error as exc:
            raise self._guard("read state", exc) from exc
        if not meta:
            return None
        when = meta.get(b"materialized_at")
        return ViewState(
            snapshot_id=json.loads(meta[b"snapshot_id"]) if meta.get(b"snapshot_id") else None,
            materialized_at=datetime.fromisoformat(when.decode()) if when else None,
            rows=int(count),
            pushed=bool(json.loads(meta.get(b"pushed", b"false"))),
        )

    def drop(self, view_name: str) -> None:
        try:
            self._redis.delete(self._k(view_name, "rows"), self._k(view_name, "meta"))
            for stale in self._redis.scan_iter(match=self._k(view_name, "idx:*"), count=1000):
                self._redis.delete(stale)
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
