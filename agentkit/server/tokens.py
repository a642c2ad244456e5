"""Bearer tokens: verification (HS256 / RS256, keys by ``kid``) and the development issuer.

The principal — subject, roles, tenant, agent — comes from a verified token's claims only. A token
may carry ``as_of`` (issued for evaluation and replay): every read of that request is then
point-in-time. Verified *keys* are cached; tokens are verified on every request.

Caps (``[server]``): a token longer than ``max_token_bytes`` is refused before any decoding or
signature work; one whose lifetime (``exp - iat``, or ``exp - now``) exceeds ``max_token_lifetime``
is refused (an ``exp`` in year 9999 is a credential that never dies); an empty ``sub`` is refused
(no ``sub`` at all is an agent-only token); and, given the applied policy's agents, a token for any
other agent is refused. Each refusal carries a stable :attr:`TokenVerificationError.reason`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from agentkit.config import KeyConfig, ProjectConfig
from agentkit.errors import AgentkitError, ConfigError
from agentkit.governance.principal import Principal

__all__ = ["TokenClaims", "TokenService", "TokenVerificationError", "check_agent"]

DEV_KID = "dev"
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class TokenVerificationError(Exception):
    """Why a token was refused (for logs and metrics; clients only ever see 401).

    ``reason`` is a stable label: ``malformed``, ``too_large``, ``unknown_key``, ``algorithm``,
    ``signature``, ``expired``, ``not_yet_valid``, ``audience``, ``issuer``, ``missing_claim``,
    ``lifetime``, ``claims``, ``subject``, ``unknown_agent`` or ``invalid``.
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


_JWT_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidSignatureError, "signature"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.DecodeError, "malformed"),
)


def _jwt_reason(exc: jwt.PyJWTError) -> str:
    return next((reason for kind, reason in _JWT_REASONS if isinstance(exc, kind)), "invalid")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    principal: Principal
    as_of: datetime | None
    expires_at: int | None
    token_id: str | None


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str
    alg: str
    key: Any


class TokenService:
    """Verifies tokens for one server (issuer + audience) and, with a dev key, issues them."""

    def __init__(self, config: ProjectConfig) -> None:
        self._config = config
        self._server = config.server
        self._keys: dict[str, _Key] | None = None

    @property
    def issuer(self) -> str:
        return self._server.issuer

    @property
    def audience(self) -> str:
        return self._server.audience

    # --- keys ------------------------------------------------------------------------------------

    def _dev_secret(self, *, create: bool) -> bytes | None:
        if not self._server.dev_key_file:
            return None
        path = self._config.resolve(self._server.dev_key_file)
        if not path.exists():
            if not create:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            # Create-exclusive: when two callers race (parallel tool calls, two processes), exactly
            # one secret is written and both use it.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        return path.read_text().strip().encode()

    def _keys_by_kid(self) -> dict[str, _Key]:
        if self._keys is None:
            keys: dict[str, _Key] = {}
            dev = self._dev_secret(create=True)
            if dev is not None:
                keys[DEV_KID] = _Key(DEV_KID, "HS256", dev)
            for spec in self._server.keys:
                keys[spec.kid] = _Key(spec.kid, spec.alg, self._load_key(spec))
            self._keys = keys
        return self._keys

    def _load_key(self, spec: KeyConfig) -> Any:
        where = f"[[server.keys]] kid={spec.kid!r}"
        try:
            if spec.alg == "HS256":
                if not spec.secret_file:
                    raise ConfigError(f"{where}: HS256 needs secret_file", code="key_invalid")
                return self._config.resolve(spec.secret_file).read_text().strip().encode()
            if spec.public_key_file:
                from cryptography.hazmat.primitives.serialization import load_pem_public_key

                return load_pem_public_key(self._config.resolve(spec.public_key_file).read_bytes())
            if spec.jwks_file:
                data = json.loads(self._config.resolve(spec.jwks_file).read_text())
                for jwk in data.get("keys", []):
                    if jwk.get("kid") == spec.kid:
                        return RSAAlgorithm.from_jwk(jwk)
                raise ConfigError(f"{where}: no key with this kid in {spec.jwks_file}", code="key_invalid")
            raise ConfigError(f"{where}: RS256 needs public_key_file or jwks_file", code="key_invalid")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read the key file ({exc})", code="key_invalid") from exc
        except ValueError as exc:
            raise ConfigError(f"{where}: not a valid key ({exc})", code="key_invalid") from exc

    # --- verify ----------------------------------------------------------------------------------

    def verify(self, token: str, *, agents: Collection[str] | None = None) -> TokenClaims:
        """Verify size, signature, issuer, audience, expiry, not-before and lifetime; return the
        principal. With ``agents`` (the applied policy's), a token for any other agent is refused."""
        if len(token) > self._server.max_token_bytes:  # before any decoding or signature work
            raise TokenVerificationError(
                f"token of {len(token)} bytes exceeds [server] max_token_bytes", reason="too_large"
            )
        if not _JWT_SHAPE.fullmatch(token):  # three base64url segments, nothing else (no whitespace)
            raise TokenVerificationError("malformed token", reason="malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenVerificationError(f"malformed header: {exc}", reason="malformed") from exc
        kid, alg = header.get("kid"), header.get("alg")
        key = self._keys_by_kid().get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenVerificationError("unknown key id", reason="unknown_key")
        if alg != key.alg:
            raise TokenVerificationError(f"algorithm {alg!r} does not match key {kid!r}", reason="algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._server.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenVerificationError(str(exc), reason=_jwt_reason(exc)) from exc
        self._check_lifetime(claims)
        principal = _principal(claims)
        if agents is not None:
            check_agent(principal, agents)
        return TokenClaims(principal, _as_of(claims), claims.get("exp"), claims.get("jti"))

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        cap = self._server.max_token_lifetime.total_seconds() + self._server.leeway_seconds
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise TokenVerificationError("exp and iat must be numbers", reason="claims")
        if exp - iat > cap or exp - datetime.now(UTC).timestamp() > cap:
            raise TokenVerificationError(
                f"token lifetime exceeds [server] max_token_lifetime ({self._server.max_token_lifetime})",
                reason="lifetime",
            )

    # --- issue (development) -------------------------------------------------------------------

    def issue(
        self,
        *,
        agent: str,
        subject: str | None,
        ttl: timedelta = timedelta(minutes=15),
        roles: tuple[str, ...] = (),
        tenant: str | None = None,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> str:
        """A token signed with the development key (for local use, tests and evaluation)."""
        cap = self._server.max_token_lifetime
        if ttl > cap or ttl.total_seconds() <= 0:
            raise AgentkitError(
                f"a token lifetime of {ttl} is outside (0, {cap}] ([server] max_token_lifetime); "
                "the server would refuse it — issue a shorter one",
                code="token_lifetime_invalid",
            )
        if subject is not None and not subject.strip():
            raise AgentkitError(
                "an empty subject names no user; give a user, or none for an agent-only token",
                code="token_subject_invalid",
            )
        secret = self._dev_secret(create=True)
        if secret is None:
            raise ConfigError(
                "the development issuer is disabled ([server] dev_key_file is empty); "
                "use your identity provider's tokens",
                code="dev_issuer_disabled",
            )
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
            "agent": agent,
        }
        if subject is not None:
            claims["sub"] = subject
        if roles:
            claims["roles"] = list(roles)
        if tenant is not None:
            claims["tenant"] = tenant
        if as_of is not None:
            claims["as_of"] = as_of.astimezone(UTC).isoformat()
        return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": DEV_KID})


def check_agent(principal: Principal, agents: Collection[str]) -> None:
    """Refuse a principal whose agent is not among ``agents`` (the applied policy's)."""
    if principal.agent not in agents:
        raise TokenVerificationError(
            f"agent {principal.agent[:64]!r} is not in the applied policy", reason="unknown_agent"
        )


def _principal(claims: dict[str, Any]) -> Principal:
    agent = claims.get("agent")
    if not isinstance(agent, str) or not agent:
        raise TokenVerificationError("token has no agent claim", reason="claims")
    subject = claims.get("sub")
    roles = claims.get("roles", [])
    tenant = claims.get("tenant")
    if subject is not None and not isinstance(subject, str):
        raise TokenVerificationError("sub must be a string", reason="claims")
    if subject is not None and not subject.strip():
        raise TokenVerificationError("sub is empty (an end user needs a subject)", reason="subject")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):  # pyright: ignore[reportUnknownVariableType]
        raise TokenVerificationError("roles must be a list of strings", reason="claims")
    if tenant is not None and not isinstance(tenant, str):
        raise TokenVerificationError("tenant must be a string", reason="claims")
    return Principal(agent=agent, subject=subject, roles=tuple(roles), tenant=tenant)  # pyright: ignore[reportUnknownArgumentType]


def _as_of(claims: dict[str, Any]) -> datetime | None:
    as_of = claims.get("as_of")
    if as_of is None:
        return None
    try:
        when = datetime.fromisoformat(str(as_of).replace("Z", "+00:00"))
    except ValueError as exc:
        raise TokenVerificationError("as_of is not an ISO time", reason="claims") from exc
    if when.tzinfo is None:
        raise TokenVerificationError("as_of has no timezone", reason="claims")
    return when
