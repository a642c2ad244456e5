"""Typed matching of values in free text — the basis of the eval metrics (no LLM judge).

An answer is tokenised into typed *values*: ISO timestamps, dates (``2026-11-28``,
``Nov 28``, ``28 November 2026``, ``11/28/2026``), times of day (``20:35``, ``3:35 PM``),
money (``$12.34``, ``12.34 USD``) and numbers with an optional unit (``13 minutes``, ``3.2 km``).
Entity keys (``o_11439``) and citations (``[doc-id]``) are not values. A fact's expected value is
then matched against the tokens of the type its feature declares:

* ``int``/``float``/``duration``: a number equal within tolerance after unit conversion (time:
  s/min/h/day; distance: m/km/mi). A bare number matches; a number with a unit of another
  dimension does not. Tolerance: ``int`` 0.5, ``float`` 2 % relative or 0.05 absolute,
  ``duration`` (seconds) 1 s.
* ``money``: the same amount to the cent (``"$7.50"`` matches ``"7.50"`` and ``7.5``).
* ``timestamp``: the same instant to the minute, or the same UTC time of day (``20:35`` /
  ``8:35 PM``). ``date``: the same calendar day in any of the formats above.
* ``enum``/``string``: the value as a whole phrase, case-insensitive, ``_``/``-`` read as spaces.
* ``bool``: ``yes/true`` or ``no/false/not`` on a line that cites the feature.
* ``list[string]``: every item as a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from agentkit.retrieval.citations import CITATION

__all__ = [
    "Token",
    "normalize_text",
    "parse_expected_number",
    "phrase_positions",
    "sentences",
    "strip_markup",
    "tokens",
    "value_keys",
]

Kind = Literal["number", "money", "datetime", "date", "time"]

_UNITS: dict[str, tuple[str, Decimal]] = {}
for _names, _dim, _factor in (
    (("s", "sec", "secs", "second", "seconds"), "time", Decimal(1)),
    (("min", "mins", "minute", "minutes"), "time", Decimal(60)),
    (("h", "hr", "hrs", "hour", "hours"), "time", Decimal(3600)),
    (("day", "days"), "time", Decimal(86400)),
    (("m", "meter", "meters", "metre", "metres"), "distance", Decimal(1)),
    (("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"), "distance", Decimal(1000)),
    (("mi", "mile", "miles"), "distance", Decimal("1609.344")),
):
    for _name in _names:
        _UNITS[_name] = (_dim, _factor)

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        )
    )
    for m in names.split()
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")),
    ("ymd", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("mdy", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")),
    ("month_day", re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?", re.I)),
    ("day_month", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b(?:,?\s+(\d{4}))?", re.I)),
    ("clock", re.compile(r"\b(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap]\.?m\.?)?(?![\w:])", re.I)),
    ("ampm", re.compile(r"\b(\d{1,2})\s*([ap]\.?m\.?)(?!\w)", re.I)),
    (
        "money",
        re.compile(
            r"(?:([$€£])\s?(-?\d[\d,]*(?:\.\d+)?))|(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)\s?(USD|EUR|GBP|dollars?)\b", re.I
        ),
    ),
    ("number", re.compile(r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)(?![\w.]*\w)(?:\s?([A-Za-z]+)\b)?")),
]

_KEYLIKE = re.compile(r"\b[a-z]+_\d+\b")


@dataclass(frozen=True, slots=True)
class Token:
    """A typed value found in text, at ``start``..``end``."""

    kind: Kind
    value: Any
    """``Decimal`` for numbers and money, ``datetime`` (UTC), ``date`` or ``time``."""
    start: int
    end: int
    unit: str | None = None
    text: str = ""


def strip_markup(text: str) -> str:
    """The text with citations blanked out (same length, so positions stay valid)."""
    return CITATION.sub(lambda m: " " * len(m.group(0)), text)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _year_default(year: str | None, default: int) -> int:
    return int(year) if year else default


def tokens(text: str, *, default_year: int = 2000) -> list[Token]:
    """Typed values in ``text`` (left to right, non-overlapping; earlier patterns win)."""
    clean = strip_markup(text)
    clean = _KEYLIKE.sub(lambda m: " " * len(m.group(0)), clean)
    taken: list[tuple[int, int]] = []
    found: list[Token] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(clean):
            if not free(m.start(), m.end()):
                continue
            token = _token(kind, m, default_year)
            if token is not None:
                taken.append((m.start(), m.end()))
                found.append(token)
    found.sort(key=lambda t: t.start)
    return found


def _token(kind: str, m: re.Match[str], default_year: int) -> Token | None:
    g = m.groups()
    s, e, raw = m.start(), m.end(), m.group(0)
    try:
        if kind == "iso":
            tz = g[6]
            when = datetime.fromisoformat(
                f"{g[0]}-{g[1]}-{g[2]}T{g[3]}:{g[4]}:{g[5] or '00'}" + ("" if not tz else tz.replace("Z", "+00:00"))
            )
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
            return Token("datetime", when, s, e, text=raw)
        if kind == "ymd":
            return Token("date", date(int(g[0]), int(g[1]), int(g[2])), s, e, text=raw)
        if kind == "mdy":
            return Token("date", date(int(g[2]), int(g[0]), int(g[1])), s, e, text=raw)
        if kind == "month_day":
            month = _MONTHS[g[0].lower().rstrip(".")]
            return Token("date", date(_year_default(g[2], default_year), month, int(g[1])), s, e, text=raw)
        if kind == "day_month":
            month = _MONTHS[g[1].lower().rstrip(".")]
            return Token("date", date(_year_default(g[2], default_year), month, int(g[0])), s, e, text=raw)
        if kind == "clock":
            return Token("time", _clock(int(g[0]), int(g[1]), g[2]), s, e, text=raw)
        if kind == "ampm":
            return Token("time", _clock(int(g[0]), 0, g[1]), s, e, text=raw)
    except (ValueError, KeyError):
        return None
    if kind == "money":
        amount = _decimal(g[1] if g[1] is not None else g[2])
        return None if amount is None else Token("money", amount, s, e, unit=(g[0] or g[3] or "").upper(), text=raw)
    number = _decimal(g[0])
    if number is None:
        return None
    unit = g[1].lower() if g[1] and g[1].lower() in _UNITS else None
    end = e if unit else m.start(1) + len(g[0])
    return Token("number", number, s, end, unit=unit, text=raw if unit else g[0])


def _clock(hour: int, minute: int, ampm: str | None) -> time:
    if ampm:
        pm = ampm.lower().startswith("p")
        if not 1 <= hour <= 12:
            raise ValueError("bad 12-hour clock")
        hour = hour % 12 + (12 if pm else 0)
    return time(hour, minute)


def value_keys(token: Token) -> set[str]:
    """Comparable keys of a token: numbers and money share ``n:<decimal>``; a timestamp also
    yields its date and UTC time of day, so a source timestamp grounds an answer's date or time."""
    if token.kind in ("number", "money"):
        return {"n:" + _norm_decimal(token.value)}
    if token.kind == "datetime":
        when: datetime = token.value
        return {"dt:" + when.strftime("%Y-%m-%dT%H:%M"), "d:" + when.date().isoformat(), "t:" + when.strftime("%H:%M")}
    if token.kind == "date":
        return {"d:" + token.value.isoformat()}
    return {"t:" + token.value.strftime("%H:%M")}


def _norm_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_expected_number(value: Any) -> Decimal | None:
    """A numeric expected value (``13``, ``"12.34"``, ``"$12.34"``) as a ``Decimal``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        return _decimal(value.strip().lstrip("$€£").removesuffix("USD").strip())
    return None


def unit_factor(unit: str | None) -> tuple[str, Decimal] | None:
    return _UNITS.get(unit.lower()) if unit else None


def normalize_text(text: str) -> str:
    """Lower-case, ``_``/``-`` and other punctuation read as spaces, whitespace collapsed.
    Positions are not preserved; use :func:`phrase_positions` for located matches."""
    return " ".join(re.sub(r"[^\w]+|_", " ", text.lower()).split())


def phrase_positions(text: str, phrase: str) -> list[int]:
    """Start offsets in ``text`` where ``phrase`` occurs as whole words (case-insensitive,
    ``_``, ``-`` and spaces interchangeable)."""
    words = [w for w in re.split(r"[^\w]+|_", phrase.lower()) if w]
    if not words:
        return []
    pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])", re.I)
    return [m.start() for m in pattern.finditer(text)]


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of lines and sentences (split on newlines and on ``. ! ?`` followed by a space)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"\n+|(?<=[.!?])\s+", text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans
