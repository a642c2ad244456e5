"""Serving benchmark: agentkit vs Feast 0.67 on one synthetic user table, side by side in ONE run.

Usage: ``.venv/bin/python bench/bench_serving.py [--n 100000] [--quick] [--no-redis]``

Method:
- Data: ``bench/peers/data.py`` ``make_user_features(n)`` (n users x 10 features). agentkit gets a
  temporary project (Entity ``user`` with ``scope=Scope.subject()``, FeatureView ``user_features``,
  event time ``event_timestamp``, the ``created`` column dropped; role ``customer`` (the default role)
  and agent ``bench_bot`` (tool ``get_features``) both granted the view) that is applied and ingested;
  Feast gets the same rows as parquet through its peer worker (``bench/peers/feast_worker.py``,
  sqlite online store).
- Materialize: A/B alternated in pairs (order flipped every pair); ratio per pair = Feast / agentkit,
  reported as the median. In-process: ``Project.materialize(full=True)`` vs ``store.materialize``.
  Whole process: ``agentkit materialize --full`` vs ``feast materialize``, wall time of a fresh process.
- Reads: one random key sequence (seeded) consumed identically by every candidate; warm-up calls,
  then R interleaved rounds. Every call is timed on its own with ``perf_counter_ns`` (Feast inside
  its worker process, agentkit in this process). p50/p99/p99.9/mean pool all calls; a ratio is the
  median over rounds of round-p50(A) / round-p50(B), a delta the median over rounds of
  round-p50(A) - round-p50(B). Candidates (batch 1): unscoped ``read_features_unscoped(refs, [key])``; scoped
  ``get_features(Principal(agent="bench_bot", subject=key), refs, entity_key=key)`` (policy + scope +
  read + mask + audit; the Principal is built per call, as a server does per request); the same
  without ``entity_key`` (the scope rule picks the caller's own row); the floor, raw
  ``project.online.read(view, keys, features)``; Feast ``get_online_features().to_dict()``.
  Batch 100: unscoped, floor, Feast (a subject-scoped user reaches one row). ``first_read_ms`` /
  ``first_scoped_ms``: a fresh Project's first read.
- Audit: both agentkit read paths write one audit record per call, buffered; every 256th record the
  writing call flushes the buffer synchronously (JSON lines + fsync into ``<project>/.agentkit/audit``).
  That is 0.39% of calls: above p99, inside p99.9 and the mean. Its cost is also measured directly
  (the 256th call vs the others) and the spool is checked to lie inside the temporary project.
- Profile: cProfile of the same unscoped and scoped calls; the functions whose self time grows most.
- Redis: the same project with ``[online] store = "redis://127.0.0.1:6379/15"`` and a unique key
  prefix; materialize + reads (no Feast target); every key under the prefix is deleted afterwards.
- Cold start: a fresh ``agentkit features get ... --json`` process, one warm-up then K runs,
  median wall time (peak RSS via /usr/bin/time); ``python -X importtime`` offenders when above 1 s.
Writes ``bench/results/serving.json`` (``serving_quick.json`` with --quick) and prints a table.
Targets are reported (pass/fail), never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
sys.path.insert(0, str(HERE))
from data import FEATURES, make_user_features, user_ids, write_parquet  # noqa: E402  # pyright: ignore[reportMissingImports]
from feast_client import FeastPeer  # noqa: E402  # pyright: ignore[reportMissingImports]
from provenance import write_result  # noqa: E402  # pyright: ignore[reportMissingImports]
from serving_lib import (  # noqa: E402  # pyright: ignore[reportMissingImports]
    AGENT,
    AGENTKIT_BIN,
    REDIS_URL,
    REFS,
    VIEW,
    Candidate,
    audit_flush_cost,
    audit_spool,
    check_scoped,
    delta_us,
    importtime_top,
    interleaved_reads,
    profile_paths,
    ratio,
    run_wall,
    same,
    scoped,
    timed_calls,
    write_project,
)

from agentkit import Principal, Project  # noqa: E402

# candidate key -> label in the table
CANDIDATES = {
    "agentkit": "unscoped read_features_unscoped",
    "scoped": "scoped get_features(key)",
    "scoped_own": "scoped, own row (no key)",
    "floor": "floor online.read",
    "feast": "Feast get_online_features",
}
TARGETS = {"read_1": 10.0, "read_100": 10.0, "materialize_cli": 5.0, "cold_start_s": 1.5}
SCOPED_TARGETS = {"delta_us": 20.0, "feast_over_scoped": 5.0}  # issue #3


def bench_materialize(project: Project, feast: FeastPeer, root: Path, pairs: int) -> dict[str, Any]:
    """In-process and whole-process materialize, A/B alternated per pair."""
    res: dict[str, Any] = {}

    def ak_inproc() -> float:
        t0 = time.perf_counter()
        project.materialize(full=True)
        return time.perf_counter() - t0

    rss: list[float] = []

    def ak_cli() -> float:
        wall, peak = run_wall([str(AGENTKIT_BIN), "materialize", "--full"], root)
        rss.append(peak)
        return wall

    for label, ak, fe in (("in_process", ak_inproc, feast.materialize), ("cli", ak_cli, feast.materialize_cli)):
        runs: dict[str, list[float]] = {"a": [], "f": []}
        for i in range(pairs):  # order flipped every pair
            for who in ("a", "f") if i % 2 == 0 else ("f", "a"):
                runs[who].append(ak() if who == "a" else fe())
        a_s, f_s = runs["a"], runs["f"]
        ratios = [f / a for f, a in zip(f_s, a_s, strict=True)]
        res[label] = {
            "agentkit_s": a_s,
            "feast_s": f_s,
            "ratios": ratios,
            "ratio_median": statistics.median(ratios),
            "agentkit_median_s": statistics.median(a_s),
            "feast_median_s": statistics.median(f_s),
        }
    res["cli"]["agentkit_peak_rss_mib"] = max(rss)
    return res


def first_call_ms(project: Project, call: Callable[[Project], Any]) -> float:
    """A fresh Project's first call (a new process's first read: registry, file load, column decode)."""
    fresh = Project(project.config)
    t0 = time.perf_counter()
    call(fresh)
    elapsed = (time.perf_counter() - t0) * 1e3
    fresh.close()
    return elapsed


def bench_reads(
    project: Project, feast: FeastPeer | None, pool: list[str], cfg: dict[str, int], label: str
) -> dict[str, Any]:
    """Unscoped, scoped (batch 1), raw online.read (floor) and Feast, for batch 1 and batch 100."""
    key = pool[42]
    out: dict[str, Any] = {
        "first_read_ms": first_call_ms(project, lambda p: p.read_features_unscoped(REFS, [key])),
        "first_scoped_ms": first_call_ms(
            project, lambda p: p.get_features(Principal(agent=AGENT, subject=key), REFS, entity_key=key)
        ),
    }
    view = project.applied().definitions.view(VIEW)
    online = project.online
    for batch, calls in ((1, cfg["calls_1"]), (100, cfg["calls_100"])):
        cands: dict[str, Candidate] = {
            "agentkit": lambda b: timed_calls(lambda k: project.read_features_unscoped(REFS, k), b)
        }
        if batch == 1:
            cands["scoped"] = scoped(project)
            cands["scoped_own"] = scoped(project, own=True)
        cands["floor"] = lambda b: timed_calls(lambda k: online.read(view, k, FEATURES), b)
        if feast is not None:
            cands["feast"] = lambda b: feast.read(b, FEATURES)
        res = interleaved_reads(cands, pool, batch, calls, cfg["rounds"], cfg["warmup"], seed=7 + batch)
        for name in cands:
            res[name]["over_floor"] = ratio(res, name, "floor")
            if feast is not None and name != "feast":
                res[name]["feast_over"] = ratio(res, "feast", name)
        res["agentkit_over_floor"] = res["agentkit"]["over_floor"]
        if feast is not None:
            res["ratio_feast_over_agentkit"] = res["agentkit"]["feast_over"]
        if batch == 1:
            res["scoped_minus_unscoped_p50_us"] = delta_us(res, "scoped", "agentkit")
            res["scoped_own_minus_unscoped_p50_us"] = delta_us(res, "scoped_own", "agentkit")
            if feast is not None:
                res["ratio_feast_over_scoped"] = res["scoped"]["feast_over"]
        out[f"read_{batch}"] = res
        print(f"  {label} batch {batch}: done", flush=True)
    return out


def check_values(project: Project, table: pa.Table, feast: FeastPeer | None, i: int) -> dict[str, Any]:
    """The answer for one key against the source row (agentkit, and Feast's when given), and the
    scoped read's answers and refusals."""
    key = table.column("user_id")[i].as_py()
    want = {f: table.column(f)[i].as_py() for f in FEATURES}
    got = project.read_features_unscoped(REFS, [key]).rows[0].values
    res: dict[str, Any] = {"key": key}
    res["agentkit_matches_source"] = all(same(got[f"{VIEW}.{f}"], w) for f, w in want.items())
    res |= check_scoped(project, key, table.column("user_id")[i + 1].as_py())
    if feast is not None:
        feast.read([[key]], FEATURES)
        sample = feast.last_sample or {}
        res["feast_matches_source"] = all(same(sample.get(f, [None])[0], w) for f, w in want.items())
    return res


def bench_scoped_probes(project: Project, pool: list[str], cfg: dict[str, int]) -> dict[str, Any]:
    """The audit flush's cost and a cProfile of scoped vs unscoped reads (local store)."""
    out = {"audit_flush": audit_flush_cost(project, pool, cfg["flush_samples"])}
    out["profile"] = profile_paths(project, pool, cfg["profile_calls"])
    return out


def bench_redis(root: Path, table: pa.Table, cfg: dict[str, int], runs: int) -> dict[str, Any]:
    """Same project, Redis online store: materialize, reads; keys deleted afterwards."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # report, never fail the whole run
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    project = Project.load(root / "agentkit-redis.toml")
    try:
        mat: list[float] = []
        for _ in range(runs):
            mat.append(-time.perf_counter())
            project.materialize(full=True)
            mat[-1] += time.perf_counter()
        out: dict[str, Any] = {"materialize_s": mat, "materialize_median_s": statistics.median(mat)}
        out["check"] = check_values(project, table, None, 42)
        out |= bench_reads(project, None, user_ids(table.num_rows), cfg, "redis")
        return out
    finally:
        deleted = getattr(project.online, "delete_all", lambda: -1)()
        project.close()
        print(f"  redis: deleted {deleted} key(s) under {project.config.online.key_prefix}", flush=True)


def bench_cold(root: Path, runs: int) -> dict[str, Any]:
    """Fresh `agentkit features get` processes: one warm-up, then `runs` timed runs."""
    cmd = [str(AGENTKIT_BIN), "features", "get", *REFS, "--key", "u_000042", "--json"]
    floor = [sys.executable, "-c", "pass"]
    run_wall(cmd, root)
    timed = [(run_wall(cmd, root), run_wall(floor, root)[0]) for _ in range(runs)]
    walls, rss, floors = [w for (w, _), _ in timed], [r for (_, r), _ in timed], [f for _, f in timed]
    out: dict[str, Any] = {
        "wall_s": walls,
        "median_s": statistics.median(walls),
        "peak_rss_mib": max(rss),
        "python_pass_median_s": statistics.median(floors),
    }
    if out["median_s"] > 1.0:
        out["importtime_top"] = importtime_top(root)
    return out


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Pass/fail of the targets (reported, not asserted)."""
    local = res["local"]
    checks: list[tuple[str, float | None, float, int]] = [  # name, value, limit, sign (+1: value >= limit)
        ("read_1 p50 feast/agentkit >= 10x", local["read_1"].get("ratio_feast_over_agentkit"), TARGETS["read_1"], 1),
        ("read_100 p50 feast/agentkit >= 10x", local["read_100"].get("ratio_feast_over_agentkit"), 10.0, 1),
        ("materialize CLI feast/agentkit >= 5x", res["materialize"]["cli"]["ratio_median"], 5.0, 1),
        ("cold features get < 1.5 s", res["cold_start"]["median_s"], TARGETS["cold_start_s"], -1),
    ]
    for store in ("local", "redis"):
        if "read_1" in res.get(store, {}):
            delta = res[store]["read_1"]["scoped_minus_unscoped_p50_us"]
            checks.append((f"{store} scoped - unscoped p50 <= 20 us", delta, SCOPED_TARGETS["delta_us"], -1))
    ratio_scoped = local["read_1"].get("ratio_feast_over_scoped")
    checks.append(("read_1 p50 feast/scoped >= 5x", ratio_scoped, SCOPED_TARGETS["feast_over_scoped"], 1))
    return [
        {"target": name, "value": v, "pass": v is not None and (v >= limit if sign > 0 else v <= limit)}
        for name, v, limit, sign in checks
    ]


def print_reads(res: dict[str, Any]) -> None:
    print(f"\n{'reads, us per call':<30}{'p50':>9}{'p99':>9}{'p99.9':>9}{'mean':>9}{'/floor':>8}{'Feast/x':>8}")
    for store in ("local", "redis"):
        block = res.get(store, {})
        for key in [k for k in ("read_1", "read_100") if k in block]:
            r = block[key]
            print(f"  {store} {key} ({r['rounds']} rounds x {r['calls_per_round']} calls)")
            for name, label in CANDIDATES.items():
                if name not in r:
                    continue
                c = r[name]
                fo = f"{c['feast_over']:.1f}x" if "feast_over" in c else "-"
                print(
                    f"    {label:<26}{c['p50_us']:>9.1f}{c['p99_us']:>9.1f}{c['p999_us']:>9.1f}{c['mean_us']:>9.1f}"
                    f"{c['over_floor']:>7.2f}x{fo:>8}"
                )
        if "first_read_ms" in block:
            print(
                f"  {store}: a fresh Project's first read {block['first_read_ms']:.1f} ms, "
                f"first scoped read {block['first_scoped_ms']:.1f} ms"
            )
    if "materialize_median_s" in res.get("redis", {}):
        print(f"  redis materialize --full (in-process): {res['redis']['materialize_median_s']:.3f}s")
    elif "redis" in res:
        print(f"  redis: {res['redis'].get('skipped')}")


def print_scoped(res: dict[str, Any]) -> None:
    print("\nscoped read (issue #3: policy + scope + read + audit), deltas = median over rounds of p50 differences")
    for store in ("local", "redis"):
        r = res.get(store, {}).get("read_1")
        if r is None:
            continue
        fs = f"; Feast/scoped p50 {r['ratio_feast_over_scoped']:.1f}x" if "ratio_feast_over_scoped" in r else ""
        print(
            f"  {store}: scoped - unscoped p50 {r['scoped_minus_unscoped_p50_us']:+.1f} us, own row "
            f"{r['scoped_own_minus_unscoped_p50_us']:+.1f} us{fs}"
        )
    s = res["scoped"]
    f, sp = s["audit_flush"], s["audit_spool"]
    print(
        f"  audit: {sp['records']} records in {sp['files']} spool file(s) under {sp['directory']} "
        f"(inside the temp project: {sp['inside_project']}), {sp['bytes_per_record']:.0f} B/record"
    )
    print(
        f"  audit flush (every {f['flush_every']}th call, synchronous): that call "
        f"{f['flushing_call_median_us']:.0f} us median (max {f['flushing_call_max_us']:.0f}) "
        f"vs {f['plain_call_p50_us']:.1f} us -> "
        f"+{f['flush_cost_us']:.0f} us, {f['amortized_us_per_call']:.1f} us/call amortized; "
        f"{f['share_of_calls_pct']:.2f}% of calls: above p99, in p99.9 and the mean"
    )
    p = s["profile"]
    us, n = p["profiled_us_per_read"], p["function_calls_per_read"]
    print(
        f"  cProfile, {p['calls']} calls each (inflates every Python call; compare, do not add): per read "
        f"unscoped {us['unscoped']:.1f} us / {n['unscoped']:.0f} calls, scoped {us['scoped']:.1f} us / "
        f"{n['scoped']:.0f} calls; self time added (removed) by the scoped path, us/read:"
    )
    for row in [*p["top_extra_tottime"][:8], *p["top_less_tottime"][:1]]:
        print(
            f"    {row['extra_tottime_us']:>+7.2f}  {row['function']} "
            f"(x{row['calls_per_read']:.2f}/read, cum {row['scoped_cumtime_us']:.1f})"
        )


def print_table(res: dict[str, Any]) -> None:
    """A readable summary of serving.json."""
    m = res["materialize"]
    print(f"\n=== agentkit vs Feast, n={res['meta']['n']} x 10 features ===")
    print(f"{'materialize':<28}{'agentkit':>12}{'Feast':>12}{'Feast/ak':>10}")
    for label in ("in_process", "cli"):
        r = m[label]
        print(f"  {label:<26}{r['agentkit_median_s']:>11.3f}s{r['feast_median_s']:>11.3f}s{r['ratio_median']:>9.1f}x")
    print_reads(res)
    print_scoped(res)
    c = res["cold_start"]
    print(
        f"\ncold `features get --json`: median {c['median_s']:.3f}s (python -c pass "
        f"{c['python_pass_median_s']:.3f}s), peak RSS {c['peak_rss_mib']:.0f} MiB"
    )
    top = c.get("importtime_top", {})
    for name, ms in [*top.get("total_ms", []), *top.get("by_package_self_ms", [])[:8]]:
        print(f"    import {name:<40}{ms:>8.1f} ms (self, by package)")
    print("\ntargets:")
    for t in res["targets"]:
        v = t["value"]
        print(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['target']:<40} {v if v is None else round(v, 3)}")
    print(f"\ncorrectness: {res['check']}; redis: {res.get('redis', {}).get('check')}")


def main() -> None:
    ap = argparse.ArgumentParser(description="agentkit vs Feast serving benchmark (see the module docstring)")
    ap.add_argument("--n", type=int, default=None, help="users (default 100000; 10000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: n=10000, fewer calls and runs")
    ap.add_argument("--no-redis", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/serving[_quick].json")
    args = ap.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    out_path: Path = args.out or HERE / "results" / ("serving_quick.json" if args.quick else "serving.json")
    cfg = {"calls_1": 1000, "calls_100": 100, "rounds": 5, "warmup": 50, "pairs": 3, "cold_runs": 5}
    cfg |= {"redis_runs": 2, "flush_samples": 30, "profile_calls": 5000}
    if args.quick:
        cfg |= {"calls_1": 200, "calls_100": 20, "warmup": 20, "pairs": 1, "cold_runs": 2, "redis_runs": 1}
        cfg |= {"flush_samples": 5, "profile_calls": 1000}
    res: dict[str, Any] = {
        "meta": {
            "n": n,
            "quick": args.quick,
            "config": cfg,
            "python": sys.version.split()[0],
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    }
    with tempfile.TemporaryDirectory(prefix="bench_serving_") as tmp:
        tmpdir = Path(tmp)
        (root := tmpdir / "project").mkdir()
        t0 = time.perf_counter()
        table = make_user_features(n)
        parquet = write_parquet(table, tmpdir / "data" / "users.parquet")
        write_project(root, table.schema)
        project = Project.load(root / "agentkit.toml")
        project.apply()
        project.ingest(VIEW, table.drop_columns(["created"]))
        feast_log = open(tmpdir / "feast.log", "w")  # noqa: SIM115 - closed below
        feast = FeastPeer(stderr=feast_log)
        try:
            feast.setup(parquet, tmpdir / "feast_repo")
            res["meta"]["setup_s"] = time.perf_counter() - t0
            print(f"setup done in {res['meta']['setup_s']:.1f}s; materialize ({cfg['pairs']} pair(s))...", flush=True)
            res["materialize"] = bench_materialize(project, feast, root, cfg["pairs"])
            res["check"] = check_values(project, table, feast, 42)
            print("reads (local online store vs Feast)...", flush=True)
            res["local"] = bench_reads(project, feast, user_ids(n), cfg, "local")
        except Exception:
            feast_log.flush()
            print((tmpdir / "feast.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            feast.close()
            feast_log.close()
        print("scoped read: audit flush cost, cProfile...", flush=True)
        res["scoped"] = bench_scoped_probes(project, user_ids(n), cfg)
        if not args.no_redis:
            print("redis...", flush=True)
            res["redis"] = bench_redis(root, table, cfg, cfg["redis_runs"])
        print("cold start...", flush=True)
        res["cold_start"] = bench_cold(root, cfg["cold_runs"])
        res["scoped"]["audit_spool"] = audit_spool(project, root)
        project.close()
    res["targets"] = targets(res)
    res["meta"]["loadavg_end"] = os.getloadavg()
    write_result(out_path, res)
    print_table(res)
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    main()
