"""Request metrics in the Prometheus text format (counters and latency histograms), no dependency."""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["Metrics"]

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    """A label value as the text format writes it (a stray quote or newline cannot end the line)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


class Metrics:
    """Thread-safe counters and histograms, rendered for a scraper at ``/metrics``."""

    def __init__(self, prefix: str = "agentkit") -> None:
        self._prefix = prefix
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._hist: dict[str, dict[Labels, list[float]]] = defaultdict(dict)

    def count(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counters[name][key] += value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            slot = self._hist[name].get(key)
            if slot is None:
                slot = self._hist[name][key] = [0.0] * (len(BUCKETS) + 2)  # buckets, +Inf count, sum
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    slot[i] += 1
            slot[len(BUCKETS)] += 1
            slot[len(BUCKETS) + 1] += seconds

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters[name].get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                full = f"{self._prefix}_{name}"
                lines.append(f"# TYPE {full} counter")
                lines += [f"{full}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
            for name, series in sorted(self._hist.items()):
                full = f"{self._prefix}_{name}"
                lines.append(f"# TYPE {full} histogram")
                for key, slot in sorted(series.items()):
                    for i, bound in enumerate(BUCKETS):
                        lines.append(f"{full}_bucket{_labels((*key, ('le', f'{bound:g}')))} {slot[i]:g}")
                    lines.append(f"{full}_bucket{_labels((*key, ('le', '+Inf')))} {slot[len(BUCKETS)]:g}")
                    lines.append(f"{full}_count{_labels(key)} {slot[len(BUCKETS)]:g}")
                    lines.append(f"{full}_sum{_labels(key)} {slot[len(BUCKETS) + 1]:g}")
        return "\n".join(lines) + "\n"
