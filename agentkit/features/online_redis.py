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
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from agentkit.errors import OnlineStoreError
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, FeatureView
from agentkit.features.offline import latest_per_key
from agentkit.features.online import OnlineRow, RegistryCopy, ViewState
from agentkit.features.schema import pylist

__all__ = ["RedisOnlineStore"]

_TOKEN_LEN = 60
_MERGE = """
local n = 0
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if (not cur) or string.sub(cur, 1, 60) <= string.sub(ARGV[i + 1], 1, 60) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    n = n + 1
  end
end
return n
"""


def _us(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoder(dtype: str) -> Any:
    if dtype == "timestamp":
        return datetime.fromisoformat
    if dtype == "money":
        return Decimal
    if dtype == "date":
        return date.fromisoformat
    return None


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
        event: list[datetime] = pylist(rows.column(view.timestamp_field))
        avail: list[datetime] = pylist(rows.column(AVAILABLE_AT))
        ingest: list[datetime] = pylist(rows.column(INGESTED_AT))
        values: list[list[Any]] = [rows.column(c).to_pylist() for c in columns]
        target = self._k(view.name, "rows")
        staging = self._k(view.name, "staging") if replace else target
        try:
            if replace:
                self._redis.delete(staging)
            meta = self._redis.hgetall(self._k(view.name, "meta"))
            for start in range(0, len(keys), self._batch):
                argv: list[str] = []
                for i in range(start, min(start + self._batch, len(keys))):
                    token = f"{_us(event[i]):020d}{_us(avail[i]):020d}{_us(ingest[i]):020d}"
                    payload = json.dumps([_encode(col[i]) for col in values], separators=(",", ":"))
                    argv += [keys[i], f"{token}|{payload}"]
                if replace:
                    self._redis.hset(staging, mapping=dict(zip(argv[::2], argv[1::2], strict=True)))
                else:
                    self._merge(keys=[target], args=argv)
            pipe = self._redis.pipeline(transaction=True)
            if replace:
                if keys:
                    pipe.rename(staging, target)
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

    def read(self, view: FeatureView, keys: Sequence[str], features: Sequence[str]) -> list[OnlineRow | None]:
        if not keys:
            return []
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(self._k(view.name, "meta"), "columns")
            pipe.hmget(self._k(view.name, "rows"), list(keys))
            raw_columns, raw_rows = pipe.execute()
        except self._redis_error as exc:
            raise self._guard(f"read '{view.name}'", exc) from exc
        if raw_columns is None:
            return [None] * len(keys)
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
            vals = []
            for pick, decode in zip(picks, decoders, strict=True):
                value = data[pick] if pick is not None else None
                vals.append(decode(value) if (decode is not None and value is not None) else value)
            out.append(OnlineRow(key, tuple(vals), datetime.fromisoformat(data[0]), datetime.fromisoformat(data[1])))
        return out

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
