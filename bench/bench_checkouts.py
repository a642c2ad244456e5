"""Two checkouts of agentkit, side by side in one run: is the read path of NEW slower than OLD?

Usage: ``.venv/bin/python bench/bench_checkouts.py OLD_CHECKOUT [NEW_CHECKOUT] [--n 10000] [--rounds 15]``

Method: one worker process per checkout (``checkout_worker.py`` with ``PYTHONPATH`` set to the
checkout, so its ``agentkit`` is imported; the worker prints which file it loaded and this script
checks it) builds the serving benchmark's project (``bench/peers/data.py``, n users x 10 features,
local online store) and materializes it. Then ``rounds`` interleaved rounds (the order of the two
workers flips every round; a warm-up round first is discarded): each round both workers time the
same seeded keys, one call at a time, for the scoped read with an entity key, the scoped read of the
caller's own row, and the unscoped read. Per round and candidate: p50(new) / p50(old). Reported: the
median over rounds of that ratio, and pooled p50s. Writes ``bench/results/checkouts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from provenance import write_result  # noqa: E402  # pyright: ignore[reportMissingImports]

CANDIDATES = ("scoped_key", "scoped_own", "unscoped")


class Worker:
    def __init__(self, checkout: Path, n: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        self.checkout = checkout
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "checkout_worker.py"), str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=checkout,
        )
        hello = self._reply()
        loaded = Path(hello["agentkit"]).resolve()
        if not loaded.is_relative_to(checkout.resolve()):
            raise SystemExit(f"worker for {checkout} imported agentkit from {loaded}")
        self.loaded = str(loaded)

    def _reply(self) -> dict[str, Any]:
        out: TextIO | None = self.proc.stdout
        assert out is not None
        line = out.readline()
        if not line:
            raise SystemExit(f"worker for {self.checkout} exited with {self.proc.wait()}")
        return json.loads(line)

    def round(self, seed: int, calls: int) -> dict[str, Any]:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps({"seed": seed, "calls": calls}) + "\n")
        stdin.flush()
        return self._reply()

    def stop(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps({"stop": True}) + "\n")
        stdin.flush()
        self.proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("old", type=Path, help="checkout of the baseline commit (e.g. a `git worktree add` folder)")
    ap.add_argument("new", type=Path, nargs="?", default=HERE.parent, help="default: this checkout")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=400, help="calls per candidate per round")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "checkouts.json")
    args = ap.parse_args()

    started = time.time()
    print(f"building both projects (n={args.n}) ...", file=sys.stderr, flush=True)
    workers = {"old": Worker(args.old, args.n), "new": Worker(args.new, args.n)}
    rounds: list[dict[str, dict[str, float]]] = []
    for r in range(args.rounds + 1):
        order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
        p50s: dict[str, dict[str, float]] = {}
        for side in order:
            reply = workers[side].round(seed=r, calls=args.calls)
            p50s[side] = {c: statistics.median(reply[c]) / 1000 for c in CANDIDATES}
        if r == 0:
            continue  # warm-up
        rounds.append(p50s)
        line = "  ".join(f"{c} {p50s['new'][c] / p50s['old'][c]:.3f}" for c in CANDIDATES)
        print(f"round {r:>2}/{args.rounds}: new/old p50 {line}", file=sys.stderr, flush=True)
    for w in workers.values():
        w.stop()

    summary = {
        c: {
            "old_p50_us": statistics.median(x["old"][c] for x in rounds),
            "new_p50_us": statistics.median(x["new"][c] for x in rounds),
            "ratio_new_old_median": statistics.median(x["new"][c] / x["old"][c] for x in rounds),
        }
        for c in CANDIDATES
    }
    res = {
        "meta": {
            "old": {"checkout": str(args.old), "commit": _commit(args.old), "agentkit": workers["old"].loaded},
            "new": {"checkout": str(args.new), "commit": _commit(args.new), "agentkit": workers["new"].loaded},
            "n": args.n,
            "rounds": args.rounds,
            "calls_per_round": args.calls,
            "loadavg_end": os.getloadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "wall_s": round(time.time() - started, 1),
        },
        "summary": summary,
        "rounds": rounds,
    }
    write_result(args.out, res)
    print(f"\n{'candidate':<12}{'old p50 µs':>12}{'new p50 µs':>12}{'new/old':>10}")
    for c, s in summary.items():
        print(f"{c:<12}{s['old_p50_us']:>12.1f}{s['new_p50_us']:>12.1f}{s['ratio_new_old_median']:>10.3f}")
    print(f"wrote {args.out}")


def _commit(checkout: Path) -> str:
    def git(*args: str) -> str:
        cmd = ["git", "-C", str(checkout), *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    return git("rev-parse", "HEAD") + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


if __name__ == "__main__":
    main()
