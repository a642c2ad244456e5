"""HTML to heading-marked text with the standard library's ``html.parser``.

Headings become Markdown ``#`` lines, so the chunker splits HTML articles on their sections the
same way as Markdown ones; list items become ``- `` lines; script, style and other non-content
elements are dropped. ``<meta name="..." content="...">`` pairs are returned so an HTML article can
carry the same fields as Markdown front matter (id, valid_from, valid_to, url, tags).
"""

# pyright: strict

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["HtmlText", "html_to_text"]

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer"}
_BLOCK = {
    "p", "div", "section", "article", "main", "header", "br", "hr", "tr", "table", "ul", "ol",
    "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption", "aside", "details", "summary",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANKS = re.compile(r"\n\s*\n\s*")


@dataclass
class HtmlText:
    """What was read from an HTML page."""

    title: str = ""
    first_h1: str = ""
    text: str = ""
    meta: dict[str, str] = field(default_factory=lambda: {})


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.first_h1 = ""
        self._skip_depth = 0
        self._in_title = False
        self._heading: list[str] | None = None
        self._heading_level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = dict(attrs)
            name = (values.get("name") or values.get("property") or "").strip().lower()
            content = values.get("content")
            if name and content is not None:
                self.meta[name] = content.strip()
            return
        if tag == "title":
            self._in_title = True
            return
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if tag in _HEADINGS:
            self._heading = []
            self._heading_level = _HEADINGS[tag]
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n\n" if tag != "br" else "\n")
        elif tag in {"td", "th"}:
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _HEADINGS and self._heading is not None:
            heading = _SPACES.sub(" ", "".join(self._heading)).strip()
            if heading:
                if self._heading_level == 1 and not self.first_h1:
                    self.first_h1 = heading
                self.parts.append(f"\n\n{'#' * self._heading_level} {heading}\n\n")
            self._heading = None
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif self._skip_depth:
            return
        elif self._heading is not None:
            self._heading.append(data.replace("\n", " "))
        else:
            self.parts.append(data)


def html_to_text(markup: str) -> HtmlText:
    """Extract title, text (headings as ``#`` lines) and ``<meta>`` fields from HTML."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = _BLANKS.sub("\n\n", "\n".join(lines)).strip()
    title = _SPACES.sub(" ", "".join(parser.title_parts)).strip()
    return HtmlText(title=title, first_h1=parser.first_h1, text=text, meta=parser.meta)
