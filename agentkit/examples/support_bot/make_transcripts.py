"""Derive ``transcripts.jsonl`` — recorded Dashly support conversations — from the generated data.

    python -m agentkit.examples.support_bot.make_transcripts [--out FILE]

Each conversation is tied to a real customer at a moment when its situation is true in the data
(an order on its way, a refund pending, a cancellation in progress...). The values in
``expected.facts`` are read from the generated tables *as of the turn's time*, with the platform's
point-in-time rule (latest row with event time <= t and availability <= t), so replaying a
transcript against the built example sees exactly what the recorded agent saw.

The file is committed; this script regenerates it byte for byte (seeded), and a test checks that.
Value encoding in facts: money as a decimal string ("12.34"), timestamps as ISO 8601 UTC
("2026-11-03T23:41:07Z"), lists as JSON arrays; ``should_refuse`` marks requests the bot must
decline (another customer's data, instructions injected into the message).
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from agentkit.examples.support_bot.conversations import account, claims, delivery, refunds, safety
from agentkit.examples.support_bot.conversations.recorder import Recorder, Transcript
from agentkit.examples.support_bot.generate import SEED

__all__ = ["main", "make_transcripts", "record", "write_transcripts"]

HERE = Path(__file__).resolve().parent


def record(seed: int = SEED) -> list[Transcript]:
    """Every scenario family in a fixed order (they share one random stream and the used customers)."""
    rec = Recorder(seed)
    delivery.where_is_my_order(rec)
    delivery.running_late(rec)
    delivery.late_credit(rec)
    claims.item_claims(rec)
    claims.not_received(rec)
    refunds.refund_status(rec)
    refunds.cancellations(rec)
    account.account(rec)
    account.policy_only(rec)
    account.escalation(rec)
    safety.other_customer(rec)
    safety.injection(rec)
    return rec.out


# --- output -----------------------------------------------------------------------------------------------

_INVISIBLE = re.compile(r"[^\x00-\x7f]")


def _escape_invisible(text: str) -> str:
    """JSON with readable text, but invisible characters (zero-width, tag characters) as escapes."""

    def escape(match: re.Match[str]) -> str:
        ch = match.group(0)
        if unicodedata.category(ch) not in ("Cf", "Cn", "Co", "Cc", "Zl", "Zp") and ord(ch) <= 0xFFFF:
            return ch
        return json.dumps(ch)[1:-1]

    return _INVISIBLE.sub(escape, text)


def make_transcripts(seed: int = SEED) -> list[dict[str, Any]]:
    return [t.to_json() for t in record(seed)]


def write_transcripts(path: Path, seed: int = SEED) -> int:
    lines = [_escape_invisible(json.dumps(t, ensure_ascii=False)) for t in make_transcripts(seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write transcripts.jsonl from the generated data.")
    parser.add_argument("--out", type=Path, default=HERE / "transcripts.jsonl")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    count = write_transcripts(args.out, args.seed)
    print(f"{args.out}: {count} transcripts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
