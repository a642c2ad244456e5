"""Helpers for ``bench_serving.py``: the generated project, timing and percentiles, and the probes of
the scoped read (audit spool and flush cost, cProfile of the scoped vs unscoped path)."""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from data import FEATURES  # pyright: ignore[reportMissingImports]

from agentkit import Principal, Project

VIEW = "user_features"
REFS = [f"{VIEW}.{f}" for f in FEATURES]
AGENT = "bench_bot"
AGENTKIT_BIN = Path(sys.executable).parent / "agentkit"
REDIS_URL = "redis://127.0.0.1:6379/15"
TIME_BIN = Path("/usr/bin/time")
DTYPES = {"int64": "int", "double": "float", "bool": "bool", "string": "string"}
# What `apply` records and `get_features` enforces: a role AND an agent allow-list must both grant a feature.
POLICY_TOML = f"""
[policy]
default_roles = ["customer"]

[roles.customer]
views = ["{VIEW}"]

[agents.{AGENT}]
tools = ["get_features"]
views = ["{VIEW}"]
"""

Batches = list[list[str]]
Candidate = Callable[[Batches], list[int]]


def write_project(root: Path, schema: pa.Schema) -> None:
    """agentkit.toml (local store), agentkit-redis.toml (Redis, same catalog and policy) and features.py.
    The ``user`` entity is scoped to the subject: an end user reaches only the row keyed by their id."""
    feats = "\n".join(
        f'        Feature(name="{f}", dtype="{DTYPES[str(schema.field(f).type)]}", description="Synthetic {f}."),'
        for f in FEATURES
    )
    (root / "features.py").write_text(
        "from agentkit import Entity, Feature, FeatureView, Scope\n\n"
        'user = Entity(name="user", join_key="user_id", description="A user of the benchmark.", '
        "scope=Scope.subject())\n\n"
        f'user_features = FeatureView(\n    name="{VIEW}",\n    entity=user,\n'
        '    description="Ten synthetic features per user.",\n    timestamp_field="event_timestamp",\n'
        f"    features=(\n{feats}\n    ),\n)\n"
    )
    base = '[project]\nname = "bench-serving"\ndefinitions = "features.py"\n'
    (root / "agentkit.toml").write_text(base + POLICY_TOML)
    prefix = f"akbench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    redis = f'\n[online]\nstore = "{REDIS_URL}"\nkey_prefix = "{prefix}"\n'
    (root / "agentkit-redis.toml").write_text(base + redis + POLICY_TOML)


# --- timing ----------------------------------------------------------------------------------------


def pct(values: Sequence[int | float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    return float(s[min(len(s) - 1, max(0, int(np.ceil(q / 100 * len(s))) - 1))])


def timed_calls(fn: Callable[[list[str]], Any], batches: Batches) -> list[int]:
    """ns per call of fn(batch), each call timed alone."""
    clock = time.perf_counter_ns
    out: list[int] = []
    for batch in batches:
        t0 = clock()
        fn(batch)
        out.append(clock() - t0)
    return out


def run_wall(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, via /usr/bin/time, -1 without; a child's ru_maxrss would
    include this process's own peak) of one fresh process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        full = [str(TIME_BIN), "-f", "%M", "-o", rss_file.name, *cmd] if TIME_BIN.exists() else cmd
        t0 = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, capture_output=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        rss = rss_file.read().split()
    return wall, (int(rss[-1]) / 1024 if rss else -1.0)


def interleaved_reads(
    candidates: dict[str, Candidate], key_pool: list[str], batch: int, calls: int, rounds: int, warmup: int, seed: int
) -> dict[str, Any]:
    """Warm-up, then `rounds` rounds of every candidate over the same key batches."""
    rng = np.random.default_rng(seed)

    def batches(count: int) -> Batches:
        idx = rng.integers(0, len(key_pool), size=(count, batch))
        return [[key_pool[i] for i in row] for row in idx]

    warm = batches(warmup)
    for fn in candidates.values():
        fn(warm)
    per_round: dict[str, list[list[int]]] = {name: [] for name in candidates}
    for _ in range(rounds):
        seq = batches(calls)
        for name, fn in candidates.items():
            per_round[name].append(fn(seq))
    out: dict[str, Any] = {"batch": batch, "calls_per_round": calls, "rounds": rounds, "warmup": warmup}
    for name, rounds_ns in per_round.items():
        pooled = [x for r in rounds_ns for x in r]
        out[name] = {
            "p50_us": pct(pooled, 50) / 1e3,
            "p99_us": pct(pooled, 99) / 1e3,
            "p999_us": pct(pooled, 99.9) / 1e3,
            "max_us": max(pooled) / 1e3,
            "mean_us": statistics.fmean(pooled) / 1e3,
            "round_p50_us": [pct(r, 50) / 1e3 for r in rounds_ns],
            "round_p99_us": [pct(r, 99) / 1e3 for r in rounds_ns],
        }
    return out


def ratio(res: dict[str, Any], num: str, den: str) -> float:
    """Median over rounds of round-p50(num) / round-p50(den)."""
    pairs = zip(res[num]["round_p50_us"], res[den]["round_p50_us"], strict=True)
    return statistics.median(a / b for a, b in pairs)


def delta_us(res: dict[str, Any], a: str, b: str) -> float:
    """Median over rounds of round-p50(a) - round-p50(b), in µs."""
    pairs = zip(res[a]["round_p50_us"], res[b]["round_p50_us"], strict=True)
    return statistics.median(x - y for x, y in pairs)


def same(got: Any, want: Any) -> bool:
    return got == want or (isinstance(got, float) and isinstance(want, float) and abs(got - want) < 1e-9)


# --- the scoped read -------------------------------------------------------------------------------


def scoped(project: Project, *, own: bool = False) -> Candidate:
    """get_features for a fresh Principal per call (as a server builds one per request); with ``own``
    the caller names no key and gets their own row (the scope rule picks it)."""
    get = project.get_features
    if own:
        return lambda b: timed_calls(lambda k: get(Principal(agent=AGENT, subject=k[0]), REFS), b)
    return lambda b: timed_calls(lambda k: get(Principal(agent=AGENT, subject=k[0]), REFS, entity_key=k[0]), b)


def check_scoped(project: Project, key: str, other: str) -> dict[str, Any]:
    """The scoped answers equal the unscoped one; another user's key, an unknown agent are refused."""
    want = project.read_features_unscoped(REFS, [key]).rows[0].values
    me = Principal(agent=AGENT, subject=key)
    got = project.get_features(me, REFS, entity_key=key).rows
    own = project.get_features(me, REFS).rows
    out: dict[str, Any] = {
        "scoped_matches_unscoped": len(got) == 1 and got[0].values == want,
        "own_row_matches": [r.key for r in own] == [key] and own[0].values == want,
    }
    for label, principal, ask in (
        ("other_key_refused", me, other),
        ("unknown_agent_refused", Principal(agent="nobody", subject=key), key),
    ):
        try:
            project.get_features(principal, REFS, entity_key=ask)
            out[label] = False
        except Exception as exc:  # the refusal's error code is what we report
            out[label] = getattr(exc, "code", type(exc).__name__)
    return out


def audit_flush_cost(project: Project, pool: list[str], samples: int) -> dict[str, Any]:
    """The synchronous audit flush: after emptying the buffer, ``flush_every - 1`` scoped calls only
    append; the next one flushes (to_json of every record, open, flock, write, fsync) before returning.
    Median over ``samples`` of that call vs the median call before it. The 1 s background flusher can
    land inside a sample; the median shrugs that off."""
    audit = project.audit
    every = int(getattr(audit, "_flush_every", 256))
    call = scoped(project)
    rng = np.random.default_rng(11)
    filling: list[int] = []
    flushing: list[int] = []
    for _ in range(samples):
        audit.flush()
        ns = call([[pool[i]] for i in rng.integers(0, len(pool), size=every)])
        filling += ns[:-1]
        flushing.append(ns[-1])
    t0 = time.perf_counter_ns()
    audit.flush()  # empty: the cost of the lock and the check alone
    empty = time.perf_counter_ns() - t0
    p50, flush = pct(filling, 50) / 1e3, statistics.median(flushing) / 1e3
    return {
        "flush_every": every,
        "samples": samples,
        "plain_call_p50_us": p50,
        "flushing_call_median_us": flush,
        "flushing_call_max_us": max(flushing) / 1e3,
        "flush_cost_us": flush - p50,
        "amortized_us_per_call": (flush - p50) / every,
        "share_of_calls_pct": 100 / every,
        "empty_flush_us": empty / 1e3,
    }


def audit_spool(project: Project, root: Path) -> dict[str, Any]:
    """Where the audit records went (must be inside the temp project) and what one costs on disk."""
    audit = project.audit
    audit.flush()
    files = audit.spool_files()
    lines = 0
    size = 0
    agents: dict[str, int] = {}
    for path in files:
        size += path.stat().st_size
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                lines += 1
                agent = json.loads(line)["agent"]
                agents[agent] = agents.get(agent, 0) + 1
    directory = audit.directory.resolve()
    return {
        "directory": str(directory),
        "inside_project": directory.is_relative_to(root.resolve()),
        "files": len(files),
        "records": lines,
        "records_by_agent": agents,
        "bytes_per_record": size / lines if lines else None,
    }


def profile_paths(project: Project, pool: list[str], calls: int, top: int = 14) -> dict[str, Any]:
    """cProfile of ``calls`` unscoped and ``calls`` scoped reads (same keys). Per function: self time
    (tottime) in µs per read on each path and the difference; the differences add up to the profiled
    gap. cProfile charges every Python call (~0.5-1 µs here), so the profiled gap is larger than the
    real one: it shows where, not how much; Python calls per read shows why."""
    keys = [[pool[i]] for i in np.random.default_rng(5).integers(0, len(pool), size=calls)]
    stats: dict[str, dict[str, tuple[float, float, float]]] = {}
    pycalls: dict[str, float] = {}
    for label, fn in (
        ("unscoped", lambda b: timed_calls(lambda k: project.read_features_unscoped(REFS, k), b)),
        ("scoped", scoped(project)),
    ):
        fn(keys[:50])
        prof = cProfile.Profile()
        prof.enable()
        fn(keys)
        prof.disable()
        raw: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
        per: dict[str, tuple[float, float, float]] = {}
        for (file, line, name), (_cc, ncalls, tt, ct, _callers) in raw.items():
            where = f"{Path(file).name}:{line}({name})" if line else name
            per[where] = (tt * 1e6 / calls, ct * 1e6 / calls, ncalls / calls)
        stats[label] = per
        pycalls[label] = sum(v[2] for v in per.values())
    rows = []
    zero = (0.0, 0.0, 0.0)
    for where in stats["scoped"].keys() | stats["unscoped"].keys():
        sc, un = stats["scoped"].get(where, zero), stats["unscoped"].get(where, zero)
        rows.append(
            {
                "function": where,
                "calls_per_read": sc[2],
                "scoped_tottime_us": sc[0],
                "unscoped_tottime_us": un[0],
                "extra_tottime_us": sc[0] - un[0],
                "scoped_cumtime_us": sc[1],
            }
        )
    rows.sort(key=lambda r: -r["extra_tottime_us"])
    return {
        "calls": calls,
        "profiled_us_per_read": {k: sum(v[0] for v in s.values()) for k, s in stats.items()},
        "function_calls_per_read": pycalls,
        "top_extra_tottime": rows[:top],
        "top_less_tottime": rows[-3:][::-1],
        "top_scoped_cumtime": sorted(rows, key=lambda r: -r["scoped_cumtime_us"])[:top],
    }


def importtime_top(root: Path, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """`python -X importtime` of the same command: top modules by cumulative and by self time (ms)."""
    code = "import sys; from agentkit.cli import run; sys.argv[0] = 'agentkit'; run()"
    argv = [sys.executable, "-X", "importtime", "-c", code, "features", "get", *REFS, "--key", "u_000042", "--json"]
    err = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False).stderr
    rows: list[tuple[str, int, int]] = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line.removeprefix("import time:").split("|", 2)
        rows.append((name.rstrip(), int(self_us), int(cum_us)))
    packages: dict[str, int] = {}
    for name, self_us, _ in rows:
        root_pkg = name.strip().split(".")[0]
        packages[root_pkg] = packages.get(root_pkg, 0) + self_us
    ours = [(n.strip(), c / 1e3) for n, _, c in rows if n.strip().startswith("agentkit")]
    return {
        "total_ms": [("all imports", sum(r[1] for r in rows) / 1e3)],
        "by_package_self_ms": [(n, us / 1e3) for n, us in sorted(packages.items(), key=lambda x: -x[1])[:top]],
        "by_module_self_ms": [(n.strip(), s / 1e3) for n, s, _ in sorted(rows, key=lambda r: -r[1])[:top]],
        "agentkit_modules_cumulative_ms": sorted(ours, key=lambda x: -x[1])[:top],
    }
