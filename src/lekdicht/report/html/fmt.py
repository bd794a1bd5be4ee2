"""Escaping and formatting helpers for the HTML report.

Every value that comes from ``report.json`` goes through :func:`esc` before it reaches the page:
the report holds attacker-controlled text (URLs, user agents, file names, webshell content).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from lekdicht.report.html.strings import MONTHS

# C0/C1 controls (except tab and newline) become U+FFFD; bidirectional overrides, which can make a
# file name read differently from what it is, are shown as visible code points.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: object) -> str:
    """``value`` as text without control characters, lone surrogates or invisible bidi overrides."""
    s = value if isinstance(value, str) else str(value)
    s = _CONTROL.sub("\ufffd", s)
    s = _SURROGATE.sub("\ufffd", s)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", s)


def esc(value: object) -> str:
    """``value`` escaped for HTML text and for quoted attribute values (also inside SVG)."""
    if value is None:
        return ""
    return html.escape(clean(value), quote=True)


def trunc(value: object, limit: int) -> str:
    """``value`` cleaned and cut to ``limit`` characters (with an ellipsis); not escaped."""
    s = clean(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from the report as an aware UTC datetime; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def short_time(value: Any) -> str:
    """``2021-03-03 02:10:41`` (UTC, whole seconds); the raw text when it does not parse; ``-`` if none."""
    dt = parse_time(value)
    if dt is None:
        return clean(value) if isinstance(value, str) and value else "-"
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def long_time(value: Any, lang: str, with_time: bool = True) -> str:
    """``2 March 2021 23:10`` / ``2 maart 2021 23:10`` (UTC); ``-`` if absent."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        with_time = False  # a date: no time of day to show
    dt = parse_time(value)
    if dt is None:
        return "-"
    day = f"{dt.day} {MONTHS.get(lang, MONTHS['en'])[dt.month - 1]} {dt.year}"
    return f"{day} {dt:%H:%M}" if with_time else day


def number(value: Any, lang: str) -> str:
    """An integer with thousands separators (``100,000`` / ``100.000``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return clean(value) if value is not None else "-"
    s = f"{value:,}"
    return s.replace(",", ".") if lang == "nl" else s


def size(value: Any, lang: str) -> str:
    """A byte count in B, kB, MB, GB (decimal comma in Dutch)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "-"
    if value < 1000:
        return f"{value} B"
    amount = float(value)
    for unit in ("kB", "MB", "GB", "TB"):
        amount /= 1000
        if amount < 1000 or unit == "TB":
            s = f"{amount:.1f} {unit}"
            return s.replace(".", ",") if lang == "nl" else s
    return f"{value} B"  # pragma: no cover


def safe_url(value: Any) -> str | None:
    """The URL when it is a plain http(s) link (safe for ``href``), else None."""
    if isinstance(value, str) and re.match(r"https?://[^\s\"'<>]+$", value, re.IGNORECASE):
        return value
    return None
