"""Token verification: fixed hostile cases and a thousand mutations, 0 accepted, with valid
tokens interleaved as positive controls."""

from __future__ import annotations

import base64
import functools
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

import agentkit as ak
from agentkit.server.tokens import TokenService, TokenVerificationError
from tests.conftest import write_project
from tests.governance.conftest import POLICY, make_governed


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> TokenService:
    root = tmp_path_factory.mktemp("tok")
    key = rsa_private_key()
    (root / "rsa.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    (root / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "rot-2"}]}))
    (root / "shared.secret").write_text("s3cret-shared-between-idp-and-server-0123456789")
    config = write_project(root)
    config.write_text(
        config.read_text()
        + '\n[server]\nissuer = "https://idp.example"\naudience = "agentkit-test"\n'
        + '[[server.keys]]\nkid = "rot-1"\nalg = "RS256"\npublic_key_file = "rsa.pem"\n'
        + '[[server.keys]]\nkid = "rot-2"\nalg = "RS256"\njwks_file = "jwks.json"\n'
        + '[[server.keys]]\nkid = "hs"\nalg = "HS256"\nsecret_file = "shared.secret"\n'
    )
    return TokenService(ak.load_config(config))


def claims(**over: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "iss": "https://idp.example",
        "aud": "agentkit-test",
        "sub": "c_0001",
        "agent": "support_bot",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


@functools.cache
def rsa_private_key() -> rsa.RSAPrivateKey:
    """The identity provider's signing key (one per test process; its public half is in the project)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def rsa_key() -> bytes:
    return rsa_private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def sign(service: TokenService, kid: str = "rot-1", **over: object) -> str:
    if kid == "hs":
        return jwt.encode(
            claims(**over), b"s3cret-shared-between-idp-and-server-0123456789", algorithm="HS256", headers={"kid": kid}
        )
    return jwt.encode(claims(**over), rsa_key(), algorithm="RS256", headers={"kid": kid})


def accepted(service: TokenService, token: str) -> bool:
    try:
        service.verify(token)
    except TokenVerificationError:
        return False
    return True


def test_valid_tokens_from_every_key_are_accepted(service: TokenService) -> None:
    for kid in ("rot-1", "rot-2", "hs"):
        got = service.verify(sign(service, kid, roles=["customer"], tenant="acme"))
        assert (got.principal.subject, got.principal.agent, got.principal.tenant) == ("c_0001", "support_bot", "acme")
    dev = service.issue(agent="faq_bot", subject="c_9")
    assert service.verify(dev).principal.agent == "faq_bot"


def fixed_cases(service: TokenService) -> dict[str, str]:
    now = datetime.now(UTC)
    good = sign(service)
    header, payload, signature = good.split(".")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "wrong audience": sign(service, aud="someone-else"),
        "missing audience": sign(service, aud=None),
        "wrong issuer": sign(service, iss="https://evil.example"),
        "expired": sign(service, exp=int((now - timedelta(minutes=10)).timestamp())),
        "not yet valid": sign(service, nbf=int((now + timedelta(minutes=10)).timestamp())),
        "bad signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "alg none": f"{b64({'alg': 'none', 'kid': 'rot-1'})}.{payload}.",
        "wrong key type (HS256 signed with the RSA public key)": jwt.encode(
            claims(), b"x" * 32, algorithm="HS256", headers={"kid": "rot-1"}
        ),
        "malformed": "abc.def",
        "empty": "",
        "extra whitespace": f" {good} ",
        "token for another server": jwt.encode(
            claims(aud="other-server"), other_key, algorithm="RS256", headers={"kid": "rot-1"}
        ),
        "replay after expiry": sign(
            service, iat=int((now - timedelta(hours=2)).timestamp()), exp=int((now - timedelta(hours=1)).timestamp())
        ),
        "unknown kid": sign(service, kid="rot-1").replace(header, b64({"alg": "RS256", "kid": "rot-9", "typ": "JWT"})),
        "no agent claim": sign(service, agent=None),
        "payload swapped under a valid signature": f"{header}.{b64(claims(sub='c_0002'))}.{signature}",
    }


def test_fixed_hostile_cases_are_all_refused(service: TokenService) -> None:
    cases = fixed_cases(service)
    assert len(cases) >= 12
    for name, token in cases.items():
        assert not accepted(service, token), name
        assert accepted(service, sign(service)), f"positive control after {name}"


def mutate(rng: random.Random, token: str) -> str:
    chars = list(token)
    op = rng.randrange(6)
    if op == 0:  # flip characters
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return "".join(chars)
    if op == 1:  # truncate
        return token[: rng.randrange(len(token))]
    if op == 2:  # drop a segment
        parts = token.split(".")
        del parts[rng.randrange(3)]
        return ".".join(parts)
    if op == 3:  # insert junk
        i = rng.randrange(len(chars))
        return token[:i] + rng.choice([".", "=", " ", "\n", "%", "é"]) + token[i:]
    if op == 4:  # re-sign a forged payload with a guessed secret
        forged = claims(sub=f"c_{rng.randint(0, 9999):04d}")
        return jwt.encode(
            forged,
            rng.choice([b"secret-guess-" * 3, b"agentkit" * 4, b"x" * 32]),
            algorithm="HS256",
            headers={"kid": rng.choice(["hs", "dev", "rot-1"])},
        )
    header, _payload, signature = token.split(".")
    return f"{header}.{b64(claims(agent='risk_bot', roles=['vip']))}.{signature}"  # claim tampering


def test_a_thousand_mutated_tokens_are_refused_and_valid_ones_still_pass(service: TokenService) -> None:
    rng = random.Random(99)
    base = sign(service)
    refused = controls = 0
    for i in range(1_000):
        candidate = mutate(rng, base)
        if candidate == base:
            continue
        assert not accepted(service, candidate), candidate
        refused += 1
        if i % 10 == 0:
            assert accepted(service, sign(service, rng.choice(["rot-1", "rot-2", "hs"])))
            controls += 1
    assert refused >= 990 and controls == 100


def test_concurrent_first_use_of_the_dev_key_agrees_on_one_secret(tmp_path: Path) -> None:
    import threading

    config = ak.load_config(write_project(tmp_path / "p"))
    tokens: list[str] = []
    barrier = threading.Barrier(8)

    def issue() -> None:
        barrier.wait()
        tokens.append(TokenService(config).issue(agent="support_bot", subject="c_1"))

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verifier = TokenService(config)
    assert all(accepted(verifier, t) for t in tokens) and len(tokens) == 8


# --- caps: lifetime, size, subject, agent --------------------------------------------------------


def reason(service: TokenService, token: str, agents: frozenset[str] | None = None) -> str:
    try:
        service.verify(token, agents=agents)
    except TokenVerificationError as exc:
        return exc.reason
    return "accepted"


def test_a_token_living_longer_than_the_cap_is_refused_and_one_within_it_passes(service: TokenService) -> None:
    now = datetime.now(UTC)
    year_9999 = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())
    assert reason(service, sign(service, exp=year_9999)) == "lifetime"
    assert reason(service, sign(service, "hs", exp=year_9999)) == "lifetime"
    issued_long_ago = sign(  # expires soon, but was issued for 30 hours
        service, iat=int((now - timedelta(hours=29)).timestamp()), exp=int((now + timedelta(hours=1)).timestamp())
    )
    assert reason(service, issued_long_ago) == "lifetime"
    assert reason(service, sign(service, exp=int((now + timedelta(hours=23)).timestamp()))) == "accepted"
    with pytest.raises(ak.AgentkitError, match="max_token_lifetime"):
        service.issue(agent="support_bot", subject="c_1", ttl=timedelta(days=36_500))
    assert reason(service, service.issue(agent="support_bot", subject="c_1", ttl=timedelta(hours=24))) == "accepted"


def test_the_lifetime_cap_is_configurable(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p")
    config.write_text(config.read_text() + '\n[server]\nmax_token_lifetime = "PT1H"\n')
    strict = TokenService(ak.load_config(config))
    assert reason(strict, strict.issue(agent="support_bot", subject="c_1", ttl=timedelta(minutes=59))) == "accepted"
    secret = (tmp_path / "p" / ".agentkit" / "dev-key").read_text().strip().encode()
    two_hours = claims(
        iss="agentkit-dev", aud="agentkit", exp=int((datetime.now(UTC) + timedelta(hours=2)).timestamp())
    )
    assert reason(strict, jwt.encode(two_hours, secret, algorithm="HS256", headers={"kid": "dev"})) == "lifetime"
    with pytest.raises(ak.AgentkitError, match="max_token_lifetime"):
        strict.issue(agent="support_bot", subject="c_1", ttl=timedelta(hours=2))


def test_an_oversized_token_is_refused_before_its_signature_is_checked(service: TokenService) -> None:
    huge = sign(service, "hs", padding="x" * 1_000_000)  # validly signed, 1 MB
    assert len(huge) > 1_000_000
    assert reason(service, huge) == "too_large"
    forged_huge = huge[:-8] + "AAAAAAAA"  # a bad signature: still "too large", so no signature work was done
    assert reason(service, forged_huge) == "too_large"
    assert reason(service, sign(service, "hs", padding="x" * 4_000)) == "accepted"  # positive control: 5 KB passes


def test_an_empty_subject_is_refused_and_a_missing_one_means_an_agent_only_token(service: TokenService) -> None:
    assert reason(service, sign(service, sub="")) == "subject"
    assert reason(service, sign(service, sub="   ")) == "subject"
    assert reason(service, sign(service, sub=None)) == "accepted"  # agent-only: catalog search, no customer data
    assert reason(service, sign(service, sub="c_0001")) == "accepted"
    with pytest.raises(ak.AgentkitError, match="subject"):
        service.issue(agent="support_bot", subject="")


def test_a_token_for_an_agent_outside_the_policy_is_refused(service: TokenService) -> None:
    known = frozenset({"support_bot", "faq_bot"})
    assert reason(service, sign(service, agent="ghost_bot"), agents=known) == "unknown_agent"
    assert reason(service, sign(service, agent="support_bot"), agents=known) == "accepted"
    assert reason(service, sign(service, agent="faq_bot"), agents=known) == "accepted"
    assert reason(service, sign(service, agent="support_bot"), agents=frozenset()) == "unknown_agent"


@pytest.fixture(scope="module")
def governed_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ak.Project]:
    project = make_governed(tmp_path_factory.mktemp("gov"), policy=POLICY + '\n[retrieval]\nembedder = "hashing"\n')
    yield project
    project.close()


def test_token_issue_refuses_an_unknown_agent_and_a_lifetime_beyond_the_cap(governed_project: ak.Project) -> None:
    from click.testing import CliRunner

    from agentkit.cli import main

    runner = CliRunner()
    base = ["--config", str(governed_project.root / "agentkit.toml"), "token", "issue", "--user", "c_0001"]
    ghost = runner.invoke(main, [*base, "--agent", "ghost_bot"])
    assert ghost.exit_code == 2 and "ghost_bot" in ghost.stderr and "[agents.ghost_bot]" in ghost.stderr
    century = runner.invoke(main, [*base, "--agent", "support_bot", "--ttl", "36500d"])
    assert century.exit_code == 2 and "max_token_lifetime" in century.stderr
    assert "Traceback" not in ghost.output + century.output
    good = runner.invoke(main, [*base, "--agent", "support_bot", "--ttl", "2h"])  # positive control
    assert good.exit_code == 0, good.stderr
    got = TokenService(governed_project.config).verify(good.stdout.strip(), agents=frozenset({"support_bot"}))
    assert got.principal.subject == "c_0001"


async def test_the_server_refuses_a_token_for_an_unknown_agent_in_memory_and_over_http(
    governed_project: ak.Project,
) -> None:
    from agentkit.server.app import build_mcp_server
    from tests.server.serving import post, rpc, serving

    tokens = TokenService(governed_project.config)
    ghost = tokens.issue(agent="ghost_bot", subject="c_0001")
    with pytest.raises(ak.AgentkitError, match="session token was refused"):
        build_mcp_server(governed_project, session_token=ghost)
    build_mcp_server(governed_project, session_token=tokens.issue(agent="faq_bot", subject="c_0001"))  # control
    server = build_mcp_server(governed_project)
    with serving(server) as url:
        assert post(url, ghost, rpc("tools/list")).status_code == 401
        ok = post(url, tokens.issue(agent="support_bot", subject="c_0001"), rpc("tools/list"))
        assert ok.status_code == 200 and "get_features" in ok.text  # positive control
    assert server.metrics.value("auth_rejected_total", reason="unknown_agent") == 1
