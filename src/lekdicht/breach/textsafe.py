"""Neutralise text before it goes into Markdown or HTML.

report.json holds attacker-controlled text (URLs, user agents, file names, log excerpts). In
Markdown it must not become markup, links, images or raw HTML; in HTML it must be plain text.
"""

from __future__ import annotations

import html
import re

# C0/C1 control characters (including newlines: values are rendered inline) and bidi overrides.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# ASCII punctuation with an inline meaning in CommonMark/GFM (emphasis, code, links, images, tables,
# strikethrough); block markers matter only at the start of the text.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()!|~])")
# A list item, heading or quote needs a space (or the end) after its marker; a thematic break or
# setext underline is a whole line of marker characters.
_BLOCK_START = re.compile(r"^(\s*)([-+=#])(?=\s|$|[-+=#*_\s]*$)")
_ORDERED_LIST = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")


def clean(value: object, limit: int | None = None) -> str:
    """``value`` as one line of text: controls become spaces, bidi overrides visible, cut to ``limit``."""
    s = value if isinstance(value, str) else str(value)
    s = _CONTROL.sub(" ", s)
    s = _SURROGATE.sub("\ufffd", s)
    s = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", s)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def md(value: object, limit: int | None = 300) -> str:
    """``value`` escaped as inert Markdown text.

    HTML special characters become entities (no raw HTML), Markdown punctuation is backslash-escaped
    (no emphasis, links, images, code or tables), and ``://`` and ``www.`` are escaped so no renderer
    turns the text into a live link.
    """
    s = clean(value, limit)
    s = html.escape(s, quote=False)  # & < >
    s = _MD_INLINE.sub(r"\\\1", s)
    s = s.replace("://", "\\:\\/\\/").replace("www.", "www\\.")
    s = _BLOCK_START.sub(r"\1\\\2", s)
    return _ORDERED_LIST.sub(r"\1\\\2", s)


def html_text(value: object, limit: int | None = None) -> str:
    """``value`` escaped for HTML text and quoted attribute values."""
    return html.escape(clean(value, limit), quote=True)
