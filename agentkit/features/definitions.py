"""Features as code: :class:`Entity`, :class:`Feature`, :class:`FeatureView` and their scope rules.

Definitions are frozen pydantic models, so they validate on construction, compare by value and
serialise to JSON (that is how ``apply`` records them). A project's definitions module simply
creates them at module level; :func:`load_definitions` collects them.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import AgentkitError, ConfigError, DefinitionError, NotFoundError, did_you_mean

__all__ = [
    "AVAILABLE_AT",
    "INGESTED_AT",
    "DType",
    "Definitions",
    "Entity",
    "Feature",
    "FeatureView",
    "Scope",
    "load_definitions",
]

DType = Literal["string", "int", "float", "bool", "timestamp", "date", "duration", "money", "enum", "list[string]"]
"""The types a feature may have (DESIGN.md). ``duration`` is stored as whole seconds, ``money`` as
a decimal with the view's declared currency, ``enum`` as a string from the declared values."""

AVAILABLE_AT = "_available_at"
"""System column: when the platform could know the row (ingest time unless backfilled)."""
INGESTED_AT = "_ingested_at"
"""System column: wall time of the ingest that wrote the row (drives incremental materialize)."""
RESERVED = frozenset({AVAILABLE_AT, INGESTED_AT})

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"{kind} name {name!r} is not a valid identifier: use lowercase letters, digits and "
            "underscores, starting with a letter (at most 63 characters)"
        )
    return name


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scope(_Frozen):
    """How an end user reaches an entity's rows. Without one, an entity is unreachable for end users.

    Build with the constructors: ``Scope.subject()``, ``Scope.owned_by(view, column)``,
    ``Scope.through(entity, view, column)``, ``Scope.public()``.
    """

    kind: Literal["subject", "owned_by", "through", "public"]
    view: str | None = None
    column: str | None = None
    entity: str | None = None

    @classmethod
    def subject(cls) -> Scope:
        """The row whose key equals the principal's subject (e.g. a customer's own row)."""
        return cls(kind="subject")

    @classmethod
    def owned_by(cls, view: str, column: str) -> Scope:
        """Keys of ``view`` (a view of this entity) whose ``column`` equals the principal's subject."""
        return cls(kind="owned_by", view=view, column=column)

    @classmethod
    def through(cls, entity: str, view: str, column: str) -> Scope:
        """Values of ``view.column`` on rows of ``entity`` (a view of it) the principal can reach."""
        return cls(kind="through", entity=entity, view=view, column=column)

    @classmethod
    def public(cls) -> Scope:
        """Every row, for every principal — must be declared explicitly."""
        return cls(kind="public")

    @model_validator(mode="after")
    def _shape(self) -> Self:
        needs = {
            "subject": (),
            "public": (),
            "owned_by": ("view", "column"),
            "through": ("entity", "view", "column"),
        }[self.kind]
        for attr in ("view", "column", "entity"):
            if attr in needs and not getattr(self, attr):
                raise ValueError(f"scope {self.kind!r} needs {attr}")
            if attr not in needs and getattr(self, attr):
                raise ValueError(f"scope {self.kind!r} takes no {attr}")
        return self

    def describe(self) -> str:
        match self.kind:
            case "subject":
                return "own row (key = subject)"
            case "public":
                return "public (every row)"
            case "owned_by":
                return f"rows where {self.view}.{self.column} = subject"
            case _:
                return f"{self.view}.{self.column} of reachable {self.entity} rows"


class Entity(_Frozen):
    name: str
    join_key: str
    description: str = Field(min_length=1)
    scope: Scope | None = None

    @model_validator(mode="after")
    def _names(self) -> Self:
        _check_name("entity", self.name)
        _check_name("join key", self.join_key)
        return self


class Feature(_Frozen):
    name: str
    dtype: DType
    description: str
    unit: str | None = None
    tags: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    """Allowed values of an ``enum`` feature."""
    currency: str | None = None
    """ISO 4217 code of a ``money`` feature (e.g. ``EUR``)."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_name("feature", self.name)
        if self.name in RESERVED:
            raise ValueError(f"feature name {self.name!r} is reserved")
        if not self.description.strip():
            raise ValueError(f"feature {self.name!r} needs a description: the catalog and the agent read it")
        if self.dtype == "enum" and not self.values:
            raise ValueError(f"enum feature {self.name!r} needs values=(...)")
        if self.dtype != "enum" and self.values:
            raise ValueError(f"feature {self.name!r} is {self.dtype}, only enum takes values")
        if self.dtype == "money" and not (self.currency and re.fullmatch(r"[A-Z]{3}", self.currency)):
            raise ValueError(f"money feature {self.name!r} needs currency='EUR' (an ISO 4217 code)")
        if self.dtype != "money" and self.currency:
            raise ValueError(f"feature {self.name!r} is {self.dtype}, only money takes a currency")
        return self

    def type_label(self) -> str:
        if self.dtype == "money":
            return f"money({self.currency})"
        if self.dtype == "enum":
            return "enum(" + "|".join(self.values) + ")"
        return self.dtype


class FeatureView(_Frozen):
    name: str
    entity: Entity
    features: tuple[Feature, ...]
    description: str = Field(min_length=1)
    owner: str = "unowned"
    timestamp_field: str = "event_time"
    tags: tuple[str, ...] = ()
    freshness: timedelta | None = None
    """Expected maximum age of the newest row; ``agentkit status`` flags views older than this."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_name("feature view", self.name)
        _check_name("timestamp field", self.timestamp_field)
        if not self.features:
            raise ValueError(f"feature view {self.name!r} has no features")
        seen: set[str] = set()
        for feature in self.features:
            if feature.name in seen:
                raise ValueError(f"feature view {self.name!r} defines feature {feature.name!r} twice")
            if feature.name in (self.entity.join_key, self.timestamp_field):
                raise ValueError(
                    f"feature view {self.name!r}: feature {feature.name!r} collides with the "
                    "join key or timestamp field"
                )
            seen.add(feature.name)
        if self.entity.join_key == self.timestamp_field:
            raise ValueError(f"feature view {self.name!r}: join key and timestamp field are the same")
        return self

    @property
    def key(self) -> str:
        return self.entity.join_key

    def feature(self, name: str) -> Feature:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise NotFoundError(
            f"feature '{self.name}.{name}' not found" + did_you_mean(name, (f.name for f in self.features)),
            code="feature_not_found",
        )

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)


class Definitions(_Frozen):
    """A validated, consistent set of entities and feature views (what ``apply`` records)."""

    entities: tuple[Entity, ...] = ()
    views: tuple[FeatureView, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names: dict[str, Entity] = {}
        for entity in self.entities:
            if entity.name in names and names[entity.name] != entity:
                raise ValueError(f"entity {entity.name!r} is defined twice, differently")
            names[entity.name] = entity
        seen_views: set[str] = set()
        for view in self.views:
            if view.name in seen_views:
                raise ValueError(f"feature view {view.name!r} is defined twice")
            seen_views.add(view.name)
            known = names.get(view.entity.name)
            if known is not None and known != view.entity:
                raise ValueError(
                    f"feature view {view.name!r} uses a different definition of entity "
                    f"{view.entity.name!r} than the one declared"
                )
        return self

    @classmethod
    def of(cls, items: Iterable[Entity | FeatureView]) -> Definitions:
        entities: dict[str, Entity] = {}
        views: list[FeatureView] = []
        for item in items:
            if isinstance(item, FeatureView):
                views.append(item)
                entities.setdefault(item.entity.name, item.entity)
            else:
                if item.name in entities and entities[item.name] != item:
                    raise DefinitionError(f"entity {item.name!r} is defined twice, differently")
                entities[item.name] = item
        try:
            return cls(entities=tuple(entities.values()), views=tuple(views))
        except PydanticValidationError as exc:
            raise DefinitionError(_pydantic_message(exc)) from exc

    def view(self, name: str) -> FeatureView:
        for view in self.views:
            if view.name == name:
                return view
        raise NotFoundError(
            f"feature view '{name}' not found" + did_you_mean(name, (v.name for v in self.views)),
            code="view_not_found",
        )

    def entity(self, name: str) -> Entity:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise NotFoundError(
            f"entity '{name}' not found" + did_you_mean(name, (e.name for e in self.entities)),
            code="entity_not_found",
        )

    def views_of(self, entity: str) -> tuple[FeatureView, ...]:
        return tuple(v for v in self.views if v.entity.name == entity)

    def resolve(self, refs: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Parse ``view.feature`` refs into ``{view: (features...)}``, in first-seen order.

        ``view.*`` selects every feature of the view.
        """
        out: dict[str, list[str]] = {}
        for ref in refs:
            view_name, dot, feature_name = ref.partition(".")
            if not dot or not view_name or not feature_name:
                raise NotFoundError(
                    f"feature reference {ref!r} must look like 'view.feature' (or 'view.*')",
                    code="bad_feature_ref",
                )
            view = self.view(view_name)
            names = view.feature_names if feature_name == "*" else (view.feature(feature_name).name,)
            bucket = out.setdefault(view.name, [])
            bucket.extend(n for n in names if n not in bucket)
        return {view: tuple(names) for view, names in out.items()}

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Definitions:
        return cls.model_validate_json(text)

    def by_view(self) -> Mapping[str, FeatureView]:
        return {v.name: v for v in self.views}


def _pydantic_message(exc: PydanticValidationError) -> str:
    parts: list[str] = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def load_definitions(path: Path) -> Definitions:
    """Import a definitions module and collect the entities and views it creates at module level."""
    if not path.is_file():
        raise ConfigError(
            f"definitions module {path} not found; set [project] definitions in agentkit.toml",
            code="definitions_missing",
        )
    module_name = f"_agentkit_definitions_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import definitions module {path}", code="definitions_invalid")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except PydanticValidationError as exc:
        raise DefinitionError(f"{path}: {_pydantic_message(exc)}") from exc
    except AgentkitError:
        raise
    except Exception as exc:  # user code: report where it failed, not our stack
        line = _user_line(exc, path)
        raise ConfigError(
            f"{path}{line}: importing the definitions failed: {type(exc).__name__}: {exc}",
            code="definitions_invalid",
        ) from exc
    finally:
        sys.modules.pop(module_name, None)
    items = [v for v in vars(module).values() if isinstance(v, (Entity, FeatureView))]
    try:
        return Definitions.of(items)
    except DefinitionError as exc:
        raise DefinitionError(f"{path}: {exc.message}") from exc


def _user_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f":{exc.lineno}"
    tb = exc.__traceback__
    line = ""
    target = str(path.resolve())
    while tb is not None:
        if str(Path(tb.tb_frame.f_code.co_filename).resolve()) == target:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line
