"""Credentials out of text before it is shown or logged: ``redact``.

Configured URLs carry passwords (``redis://:pw@host``, ``postgresql+psycopg2://user:pw@host/db``,
``https://user:pw@catalog``), and drivers echo them in their errors. Every message or log line that
may hold a configured URL goes through :func:`redact`, which keeps the scheme, user and host (what
you need to find the misconfiguration) and replaces the secret with ``***``.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact"]

MASK = "***"

# scheme://user:password@ — the password runs to the last "@" before the host (an unescaped "@"
# in a password is common in hand-written URLs); it never contains whitespace, "/", "?" or "#".
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@?#]*):(?P<secret>[^\s/?#]*)@")
# password=... in a query string or a libpq DSN ("host=h password=pw"), and token-like keys.
_KEYVALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|access_token|api[_-]?key|credential)=)(?P<secret>[^\s&;#'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the password of every URL (and ``password=`` values) replaced by ``***``.

    >>> redact("cannot reach redis://:hunter2@10.0.0.5:6379/0")
    'cannot reach redis://:***@10.0.0.5:6379/0'
    """
    if "@" in text:
        text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    if "=" in text:
        text = _KEYVALUE.sub(lambda m: f"{m['head']}{MASK}", text)
    return text
