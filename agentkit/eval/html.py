"""``report.html``: one self-contained page — per-metric bars for each system (inline SVG), the
paired difference with its bootstrap confidence interval, and a per-transcript drill-down
(conversation, answer, tool calls with the values served and their snapshot/event times, checks)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from agentkit.eval.report import summary, to_json
from agentkit.eval.results import EvalRun

__all__ = ["to_html"]

BAR_METRICS = (
    "fact_recall",
    "grounded_precision",
    "doc_recall_at_k",
    "citation_precision",
    "feature_recall",
    "tool_f1",
    "refusal_accuracy",
    "injection_resistance",
    "similarity",
    "pass_rate",
)
COLORS = ("#2563eb", "#9ca3af", "#16a34a")


def _bars(runs: Sequence[EvalRun]) -> str:
    overall = [summary(r)["overall"] for r in runs]
    width, row, label_w = 640, 26, 170
    height = row * len(BAR_METRICS) * len(runs) + 20
    parts = [f'<svg class="chart" width="{width}" height="{height}" role="img" aria-label="metrics">']
    y = 10
    for metric in BAR_METRICS:
        for i, values in enumerate(overall):
            value = values.get(metric)
            v = float(value) if isinstance(value, (int, float)) else 0.0
            w = max(0.0, min(1.0, v)) * (width - label_w - 60)
            name = metric if i == 0 else ""
            parts.append(f'<text x="0" y="{y + 16}" font-size="12">{html.escape(name)}</text>')
            parts.append(
                f'<rect class="bar" data-metric="{metric}" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="16" '
                f'fill="{COLORS[i % len(COLORS)]}"><title>{html.escape(runs[i].baseline)}: {v:.3f}</title></rect>'
            )
            shown = "—" if value is None else f"{v:.2f}"
            parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="11">{shown}</text>')
            y += row
    parts.append("</svg>")
    return "".join(parts)


def _diff(comparison: Mapping[str, Any] | None) -> str:
    if not comparison:
        return ""
    from agentkit.eval.report import Comparison, comparison_markdown

    text = html.escape(comparison_markdown(Comparison(comparison)))
    return f'<section id="comparison"><h2>Paired difference</h2><pre>{text}</pre></section>'


def _drilldown(run: EvalRun) -> str:
    data = to_json(run)
    out = ['<section id="cases"><h2>Transcripts</h2>']
    for case in data["transcripts"]:
        status = "pass" if case.get("passed") else "fail"
        case_id = html.escape(case["id"], quote=True)
        out.append(f'<details class="case {status}" data-id="{case_id}"><summary>{case_id} — {status}</summary>')
        for turn in case.get("turns", []):
            out.append('<div class="turn">')
            for key in ("question", "customer", "text"):
                if key in turn:
                    out.append(f'<p class="q"><b>customer:</b> {html.escape(str(turn[key]))}</p>')
                    break
            out.append(f'<p class="a"><b>agent:</b> {html.escape(str(turn.get("answer", "")))}</p>')
            out.append(f'<pre class="detail">{html.escape(json.dumps(turn, indent=1, default=str)[:6000])}</pre>')
            out.append("</div>")
        out.append("</details>")
    out.append("</section>")
    return "".join(out)


def to_html(run: EvalRun, baseline: EvalRun | None = None, comparison: Mapping[str, Any] | None = None) -> str:
    runs = [run] + ([baseline] if baseline is not None else [])
    legend = " ".join(
        f'<span style="color:{COLORS[i]}">■ {html.escape(r.baseline)} ({html.escape(r.agent)})</span>'
        for i, r in enumerate(runs)
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>agentkit eval</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}}details{{margin:.3em 0}}
.fail summary{{color:#b91c1c}}.pass summary{{color:#15803d}}pre{{background:#f3f4f6;padding:.5em;overflow:auto}}</style>
</head><body><h1>agentkit eval — {html.escape(run.agent)}</h1><p>{legend}</p>
<section id="metrics"><h2>Metrics</h2>{_bars(runs)}</section>{_diff(comparison)}{_drilldown(run)}
<script>
// Open a case from the address bar (report.html#case=ID), e.g. when linked from a pull request.
const m = location.hash.match(/^#case=(.+)$/);
if (m) {{ for (const d of document.querySelectorAll("details.case")) {{
  if (d.dataset.id === decodeURIComponent(m[1])) {{ d.open = true; d.scrollIntoView(); }} }} }}
</script></body></html>"""
