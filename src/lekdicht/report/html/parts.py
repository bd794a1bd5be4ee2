"""Building blocks of the HTML report: rendering state, tables, lists, badges, generic values.

Functions that take ``str`` cells expect safe HTML; everything else escapes what it is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lekdicht.report.html.fmt import esc, number, parse_time, safe_url, short_time, trunc
from lekdicht.report.html.strings import has_text, text
from lekdicht.report.wording import TIER_LABEL

TIER_ORDER: Final = {"exploited": 0, "suspicious": 1, "attempted": 2, "probe": 3, "info": 4}
MAX_LINES_TOTAL: Final = 20_000
"""Evidence lines on the whole page; beyond this groups show their counts only."""
MAX_ROWS: Final = 1000
"""Rows of generic tables (data exposure, rejected lines)."""


@dataclass(slots=True)
class Ctx:
    """Rendering state: the language and the page-wide budget of evidence lines."""

    lang: str
    lines_left: int = MAX_LINES_TOTAL
    lines_omitted: int = 0
    cve_names: dict[str, str] = field(default_factory=dict)

    def t(self, key: str, **values: object) -> str:
        """Fixed text ``key`` with ``values`` (escaped) filled in; the result is safe HTML."""
        raw = text(self.lang, key)
        if not values:
            return esc(raw)
        return esc(raw).format(**{k: esc(v) for k, v in values.items()})

    def tn(self, key: str, n: Any, **values: object) -> str:
        """Like :meth:`t` with ``n`` filled in, using the singular ``key_1`` when ``n`` is 1."""
        singular = f"{key}_1"
        return self.t(singular if n == 1 and has_text(singular) else key, n=number(n, self.lang), **values)


def tier_of(value: Any) -> str:
    """A known finding tier, or ``info``."""
    return value if isinstance(value, str) and value in TIER_ORDER else "info"


def badge(ctx: Ctx, tier: str) -> str:
    """A coloured badge with the word for a finding tier."""
    tier = tier_of(tier)
    return f'<span class="badge t-{tier}">{esc(TIER_LABEL[ctx.lang][tier])}</span>'


def plain_badge(label: str) -> str:
    """A neutral badge; ``label`` must already be safe HTML."""
    return f'<span class="badge plain">{label}</span>'


def kv(rows: Iterable[tuple[str, str]]) -> str:
    """A definition list; keys and values must already be safe HTML. Empty values are left out."""
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows if v)
    return f'<dl class="kv">{items}</dl>' if items else ""


def table(head: list[str], rows: Iterable[list[str]], classes: list[str] | None = None) -> str:
    """A table; header labels and cells must already be safe HTML."""
    cls = classes or [""] * len(head)
    th = "".join(
        f'<th class="{c}">{h}</th>' if c else f"<th>{h}</th>" for h, c in zip(head, cls, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in zip(row, cls, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def ul(values: Iterable[Any], mono: bool = False) -> str:
    """An escaped bullet list (empty string for no values)."""
    items = [f"<li><code>{esc(v)}</code></li>" if mono else f"<li>{esc(v)}</li>" for v in values]
    return f'<ul class="plain">{"".join(items)}</ul>' if items else ""


def link_or_text(value: Any) -> str:
    """A link for plain http(s) URLs, escaped text for anything else."""
    url = safe_url(value)
    if url is None:
        return esc(value)
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(trunc(url, 120))}</a>'


def time_key(value: Any) -> tuple[int, datetime | str]:
    """Sort key for report times: parsed times first, in order; then the rest."""
    dt = parse_time(value)
    return (0, dt) if dt is not None else (1, "")


def generic(value: Any, ctx: Ctx, depth: int = 0) -> str:
    """Any JSON value as safe HTML: objects as definition lists, lists of objects as tables."""
    if isinstance(value, dict):
        return kv((esc(k), generic(v, ctx, depth + 1) or "-") for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return f'<span class="muted">{ctx.t("none_found")}</span>'
        more = len(value) - MAX_ROWS
        shown = value[:MAX_ROWS]
        if depth < 2 and all(isinstance(v, dict) for v in shown):
            keys: list[str] = []
            for item in shown:
                keys += [k for k in item if k not in keys]
            out = table([esc(k) for k in keys], ([cell(item.get(k), ctx) for k in keys] for item in shown))
        else:
            out = '<ul class="plain">' + "".join(f"<li>{cell(v, ctx)}</li>" for v in shown) + "</ul>"
        if more > 0:
            out += f'<p class="more">{ctx.t("rows_more", n=number(more, ctx.lang))}</p>'
        return out
    return cell(value, ctx)


def cell(value: Any, ctx: Ctx) -> str:
    """A scalar report value as safe HTML (times shortened, booleans as yes/no)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return ctx.t("yes") if value else ctx.t("no")
    if isinstance(value, int | float):
        return esc(number(value, ctx.lang)) if isinstance(value, int) else esc(value)
    if isinstance(value, str):
        dt = parse_time(value) if len(value) >= 19 and value[4:5] == "-" else None
        return esc(short_time(value)) if dt else esc(trunc(value, 2000))
    return (
        f'<code class="small">{esc(trunc(json.dumps(value, ensure_ascii=False, sort_keys=True), 500))}</code>'
    )


def span_text(first: Any, last: Any) -> str:
    """``first – last`` (or one time when equal) as safe HTML; empty when neither is known."""
    a, b = short_time(first), short_time(last)
    if a == "-" and b == "-":
        return ""
    return esc(a) if a == b else f"{esc(a)} – {esc(b)}"
