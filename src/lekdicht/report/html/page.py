"""Render a ``report.json`` document (schema ``lekdicht.report/1``) as one self-contained HTML page.

The page has no scripts, fonts, images or style sheets from elsewhere: it works offline and when
mailed. Expanding and collapsing uses ``<details>``. A Content-Security-Policy meta tag forbids
every script, so even text that escaped escaping could not run. Output is deterministic: the same
report gives the same bytes.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lekdicht.report.html.exposure import taken_section
from lekdicht.report.html.fmt import (
    esc,
    long_time,
    number,
    parse_time,
    short_time,
    size,
    trunc,
)
from lekdicht.report.html.parts import (
    MAX_ROWS,
    TIER_ORDER,
    Ctx,
    badge,
    generic,
    kv,
    link_or_text,
    plain_badge,
    span_text,
    table,
    tier_of,
    time_key,
    ul,
)
from lekdicht.report.html.strings import has_text, text
from lekdicht.report.html.style import CSS, TIER_COLOUR, VERDICT_COLOUR
from lekdicht.report.html.timeline import timeline_svg
from lekdicht.report.wording import (
    ADVICE,
    TIER_LABEL,
    UNSUPPORTED_ADVICE,
    VERDICT_LABEL,
    VERDICT_SENTENCE,
    lang_or_default,
)

CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)
"""The page's Content-Security-Policy: no script of any kind, no external resource."""

MAX_LINES_PER_GROUP: Final = 200
"""Evidence lines shown per finding group in the CVE view (the rest: findings.jsonl)."""
MAX_LINES_PER_SESSION_GROUP: Final = 20
"""Evidence lines shown per finding group inside a session (the CVE view has more)."""
MAX_GROUPS: Final = 100
"""Finding groups shown per CVE, per session and in the overview."""
MAX_SESSIONS: Final = 200
"""Attacker sessions shown with their details."""

_CVE_STATUS_ORDER: Final = {
    "vulnerable": 0,
    "unknown": 1,
    "fixed_config_required": 2,
    "fixed": 3,
    "not_affected": 4,
}
_OPEN_STATUSES: Final = {"vulnerable", "unknown", "fixed_config_required"}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """``nl`` when the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) is Dutch, else ``en``.

    With ``environ`` given only that mapping is used; otherwise the process environment, and when
    it names no locale (as usual on Windows) the system locale.
    """
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    if environ is None:
        try:
            name = locale.getlocale()[0] or ""
        except ValueError:
            name = ""
        if name.lower().startswith(("nl", "dutch")):
            return "nl"
    return "en"


def write_html(report: dict[str, Any], path: Path, lang: str) -> None:
    """Write the HTML report for ``report`` to ``path`` (UTF-8) in ``lang`` (``nl`` or ``en``)."""
    # "replace": a lone surrogate in a fragment from elsewhere must not stop the report being written
    path.write_bytes(render_html(report, lang).encode("utf-8", errors="replace"))


def render_html(report: dict[str, Any], lang: str) -> str:
    """The complete HTML page for ``report`` in ``lang`` (unknown languages fall back to English)."""
    ctx = Ctx(lang_or_default(lang))
    server = report.get("server") or {}
    ctx.cve_names = {
        str(c.get("cve")): str(c.get("name") or "")
        for c in server.get("exposure") or []
        if isinstance(c, dict)
    }
    verdict = _verdict_of(report)
    host = server.get("hostname")
    sections: list[tuple[str, str, str]] = [
        ("top", "s_top", _top(report, ctx)),
        ("server", "s_server", _server(report, ctx)),
        ("taken", "s_taken", taken_section(report, ctx)),
    ]
    breach = report.get("breach")
    if isinstance(breach, str) and breach.strip():
        # Produced (and escaped) by the breach module: inserted as it is, under the page's CSP.
        sections.append(("breach", "s_breach", f'<div class="breach">{breach}</div>'))
    sections += [
        ("findings", "s_findings", _findings(report, ctx)),
        ("timeline", "s_timeline", _timeline(report, ctx)),
        ("evidence", "s_evidence", _evidence(report, ctx)),
    ]
    tool = report.get("tool") or {}
    title = f"lekdicht: {VERDICT_LABEL[ctx.lang][verdict]}" + (f" — {trunc(host, 80)}" if host else "")
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{ctx.lang}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="lekdicht {esc(tool.get("version", ""))}">',
        f"<title>{esc(title)}</title>",
        '<link rel="icon" href="data:,">',
        f"<style>{CSS}{_colour_css()}</style>",
        "</head>",
        "<body>",
        _header(report, ctx, sections),
    ]
    for anchor, key, body in sections:
        out.append(f'<section id="{anchor}" class="{anchor}">\n<h2>{ctx.t(key)}</h2>\n{body}\n</section>')
    out.append(
        "<footer><p>"
        + ctx.t("footer", version=tool.get("version", "?"), schema=report.get("schema", "?"))
        + "</p></footer>"
    )
    out.append("</body>\n</html>\n")
    return "\n".join(out)


# --- helpers --------------------------------------------------------------------------------------


def _colour_css() -> str:
    rules = [f".v-{v} {{ background: {bg}; color: {fg}; }}" for v, (bg, fg) in VERDICT_COLOUR.items()]
    rules += [f".t-{t} {{ background: {c}; }}" for t, c in TIER_COLOUR.items()]
    return "\n" + "\n".join(rules) + "\n"


def _verdict_of(report: dict[str, Any]) -> str:
    overall = str((report.get("verdict") or {}).get("overall", "inconclusive"))
    return overall if overall in VERDICT_COLOUR else "inconclusive"


# --- header and top -------------------------------------------------------------------------------


def _header(report: dict[str, Any], ctx: Ctx, sections: list[tuple[str, str, str]]) -> str:
    server = report.get("server") or {}
    scan = report.get("scan") or {}
    host = server.get("hostname")
    for_host = (
        ctx.t("report_for", host=host) if host else ctx.t("report_for", host=text(ctx.lang, "unknown_host"))
    )
    parts = [
        for_host,
        esc(short_time(scan.get("finished"))) + " UTC",
        f'<span class="path">{esc(scan.get("evidence"))}</span>',
    ]
    toc = "".join(f'<a href="#{anchor}">{ctx.t(key)}</a>' for anchor, key, _ in sections)
    return (
        f'<header class="top"><h1>lekdicht · {ctx.t("title")}</h1><p>{" · ".join(parts)}</p>'
        f'<nav class="toc" aria-label="{ctx.t("contents")}">{toc}</nav>'
        f'<p class="small muted noprint">{ctx.t("print_hint")}</p></header>'
    )


def _server_line(server: dict[str, Any], ctx: Ctx) -> str:
    bits: list[str] = []
    if server.get("hostname"):
        bits.append(esc(server["hostname"]))
    product = " ".join(str(x) for x in (server.get("product"), server.get("cu")) if x)
    if product:
        bits.append(esc(product))
    if server.get("build"):
        bits.append(f"{ctx.t('build')} {esc(server['build'])}")
    support = _support_word(server.get("support_status"), ctx)
    if support:
        bits.append(support)
    return " · ".join(bits)


def _support_word(support: Any, ctx: Ctx) -> str:
    status = support.get("status") if isinstance(support, dict) else support
    if not status:
        return ""
    key = f"sup_{status}"
    return ctx.t(key) if has_text(key) else esc(status)


def _advice(report: dict[str, Any], verdict: str, lang: str) -> list[str]:
    steps = list(ADVICE[lang][verdict])
    support = (report.get("server") or {}).get("support_status")
    status = support.get("status") if isinstance(support, dict) else support
    if status in ("end_of_life", "unsupported_cu") and len(steps) < 5:
        steps.append(UNSUPPORTED_ADVICE[lang])
    return steps[:5]


def _top(report: dict[str, Any], ctx: Ctx) -> str:
    verdict = _verdict_of(report)
    server = report.get("server") or {}
    line = _server_line(server, ctx)
    box = (
        f'<div class="verdict v-{verdict}"><span class="word">{esc(VERDICT_LABEL[ctx.lang][verdict])}</span>'
        f'<span class="sentence">{esc(VERDICT_SENTENCE[ctx.lang][verdict])}</span>'
        + (f'<span class="server">{line}</span>' if line else "")
        + "</div>"
    )
    todo = "".join(f"<li>{esc(step)}</li>" for step in _advice(report, verdict, ctx.lang))
    counts = (report.get("verdict") or {}).get("counts") or {}
    chips = "".join(
        f'<span class="badge t-{tier}">{esc(number(counts.get(tier), ctx.lang))} × '
        f"{esc(TIER_LABEL[ctx.lang][tier])}</span>"
        for tier in TIER_ORDER
        if isinstance(counts.get(tier), int) and counts.get(tier)
    ) or plain_badge(ctx.t("no_findings_short"))
    reasons = (report.get("verdict") or {}).get("reasons") or []
    note = ctx.t("why_lang_note")
    why = (
        f'<details class="po"><summary>{ctx.t("why")}</summary><div class="body">'
        + (f'<p class="small muted">{note}</p>' if note else "")
        + ul(reasons)
        + "</div></details>"
    )
    left = (
        f'<div><h3>{ctx.t("todo")}</h3><ol class="todo">{todo}</ol>'
        f'<h3>{ctx.t("counts")}</h3><div class="chips">{chips}</div>{why}</div>'
    )
    right = f"<div><h3>{ctx.t('coverage')}</h3>{_coverage(report, ctx)}</div>"
    return f'{box}<div class="grid">{left}{right}</div>'


def _coverage(report: dict[str, Any], ctx: Ctx) -> str:
    coverage = report.get("coverage") or {}
    families = [f for f in coverage.get("families") or [] if isinstance(f, dict)]
    firsts = [t for t in (parse_time(f.get("first")) for f in families) if t is not None]
    lasts = [t for t in (parse_time(f.get("last")) for f in families) if t is not None]
    parts: list[str] = []
    if firsts and lasts:
        parts.append(
            "<p>"
            + ctx.t(
                "coverage_span",
                start=long_time(min(firsts).isoformat(), ctx.lang),
                end=long_time(max(lasts).isoformat(), ctx.lang),
            )
            + "</p>"
        )
    else:
        parts.append(f'<p class="note warn">{ctx.t("coverage_none")}</p>')
    if families:
        parts.append(
            table(
                [ctx.t("family"), ctx.t("files"), ctx.t("first"), ctx.t("last")],
                (
                    [
                        esc(f.get("family")),
                        esc(number(f.get("files"), ctx.lang)),
                        esc(short_time(f.get("first"))),
                        esc(short_time(f.get("last"))),
                    ]
                    for f in families
                ),
                ["", "num", "nowrap", "nowrap"],
            )
        )
    chains = [c for c in coverage.get("chains") or [] if isinstance(c, dict)]
    if chains:
        rows = []
        for c in chains:
            status = str(c.get("status", "none"))
            word = {"covered": "chain_covered", "partial": "chain_partial"}.get(status, "chain_none")
            tier = {"covered": "probe", "partial": "attempted"}.get(status, "exploited")
            if status == "covered":
                statement = ctx.t("chain_s_covered")
            elif status == "partial":
                statement = ctx.t(
                    "chain_s_partial", visible=long_time(c.get("visible_from"), ctx.lang, False)
                )
            else:
                statement = ctx.t("chain_s_none")
            started = long_time(c.get("exploitation_start"), ctx.lang, False)
            rows.append(
                [
                    f"{esc(c.get('chain'))}<br>"
                    f'<span class="small muted">{ctx.t("chain_began", date=started)}</span>',
                    f'<span class="badge t-{tier}">{ctx.t(word)}</span>',
                    f'<span class="small">{statement}</span>',
                ]
            )
        parts.append(table([ctx.t("chain"), ctx.t("chain_status"), ctx.t("notes")], rows, ["nowrap", "", ""]))
    parts.append(_gaps(report, ctx))
    return "".join(parts)


def _gaps(report: dict[str, Any], ctx: Ctx) -> str:
    """Hours or periods without logs (``log_gaps``), when there are any."""
    gaps = report.get("log_gaps")
    if not isinstance(gaps, dict):
        return ""
    hours = [g for g in gaps.get("httpproxy_hours") or [] if isinstance(g, dict)]
    periods = [g for g in gaps.get("uncovered_periods") or [] if isinstance(g, dict)]
    if not hours and not periods:
        return ""
    rows = [
        [
            "-",
            esc(short_time(g.get("from"))),
            esc(short_time(g.get("to"))),
            esc(number(g.get("hours"), ctx.lang)),
        ]
        for g in periods[:MAX_ROWS]
    ] + [
        [
            f'<span class="path small">{esc(g.get("folder"))}</span>',
            esc(short_time(g.get("after"))),
            esc(short_time(g.get("before"))),
            esc(number(g.get("missing_hours"), ctx.lang)),
        ]
        for g in hours[:MAX_ROWS]
    ]
    return (
        f"<h3>{ctx.t('log_gaps')}</h3>"
        f'<p class="note warn">{ctx.t("log_gaps_text", n=len(hours) + len(periods))}</p>'
        + table(
            [ctx.t("gap_folder"), ctx.t("gap_from"), ctx.t("gap_to"), ctx.t("gap_hours")],
            rows,
            ["", "nowrap", "nowrap", "num"],
        )
    )


# --- server ---------------------------------------------------------------------------------------


def _server(report: dict[str, Any], ctx: Ctx) -> str:
    server = report.get("server") or {}
    support = server.get("support_status")
    support_html = _support_word(support, ctx)
    if isinstance(support, dict) and support.get("reason"):
        support_html += f' <span class="muted small">({esc(support["reason"])})</span>'
    parts = [
        kv(
            [
                (ctx.t("hostname"), esc(server.get("hostname")) or ctx.t("unknown")),
                (ctx.t("product"), esc(server.get("product")) or ctx.t("unknown")),
                (ctx.t("cu"), esc(server.get("cu"))),
                (
                    ctx.t("build"),
                    f"<code>{esc(server.get('build'))}</code>" if server.get("build") else ctx.t("unknown"),
                ),
                (ctx.t("support"), support_html or ctx.t("unknown")),
                (
                    ctx.t("build_source"),
                    f'<span class="path small">{esc(server.get("build_source"))}</span>'
                    if server.get("build_source")
                    else "",
                ),
            ]
        )
    ]
    if not server.get("build"):
        parts.append(f'<p class="note warn">{ctx.t("build_unknown")}</p>')
    parts.append(_exposure(server, ctx))
    parts.append(_mitigations(server, ctx))
    parts.append(_history(server, ctx))
    notes = [n for n in (server.get("notes") or []) + (server.get("exposure_notes") or []) if n]
    if notes:
        parts.append(f"<h3>{ctx.t('server_notes')}</h3>{ul(notes)}")
    return "".join(parts)


def _window_text(window: dict[str, Any] | None, ctx: Ctx) -> str:
    if not window:
        return "-"
    status = str(window.get("status", "unknown"))
    start = short_time(window.get("exposed_from"))[:16]
    if status == "still_vulnerable":
        out = ctx.t("w_still_vulnerable", start=start)
    elif status == "patched":
        out = ctx.t("w_patched", start=start, end=short_time(window.get("exposed_until"))[:16])
    elif status in ("patched_before_exploitation", "not_vulnerable_in_evidence", "no_evidence"):
        out = ctx.t(f"w_{status}")
    else:
        out = ctx.t("w_unknown")
    if window.get("starts_at_evidence_limit"):
        out += f' <span class="muted small">({ctx.t("w_may_be_earlier")})</span>'
    return out


def _exposure(server: dict[str, Any], ctx: Ctx) -> str:
    exposure = [c for c in server.get("exposure") or [] if isinstance(c, dict)]
    if not exposure:
        return ""
    windows = {str(w.get("cve")): w for w in server.get("exposure_windows") or [] if isinstance(w, dict)}
    mitigations = [m for m in server.get("mitigations") or [] if isinstance(m, dict)]

    def mitigation_cell(cve: str) -> str:
        found = [m for m in mitigations if cve in (m.get("cves") or [])]
        if not found:
            return "-"
        return "<br>".join(
            f"{esc(trunc(m.get('title') or m.get('mitigation_id') or '', 60))}: "
            f"{_mitigation_word(m.get('status'), ctx)}"
            for m in found
        )

    def row(c: dict[str, Any]) -> list[str]:
        status = str(c.get("status", "unknown"))
        key = f"st_{status}"
        tier = {"vulnerable": "exploited", "unknown": "attempted", "fixed_config_required": "attempted"}.get(
            status, "probe"
        )
        fixed = " ".join(
            x
            for x in (
                esc(c.get("fixed_in_name")),
                f"({esc(c['fixed_in'])})" if c.get("fixed_in") else "",
                esc(c.get("fixed_in_kb")),
            )
            if x
        )
        notes = [c.get("reason"), c.get("config_note"), *(c.get("notes") or [])]
        cve = str(c.get("cve", ""))
        return [
            f"<code>{esc(cve)}</code>",
            esc(c.get("name")),
            f'<span class="badge t-{tier}">{ctx.t(key) if has_text(key) else esc(status)}</span>',
            f"<b>{ctx.t('yes')}</b>" if c.get("exploited") else ctx.t("no"),
            fixed or "-",
            _window_text(windows.get(cve), ctx),
            mitigation_cell(cve),
            '<span class="small muted">' + "<br>".join(esc(n) for n in notes if n) + "</span>",
        ]

    def order(c: dict[str, Any]) -> tuple[int, int, str]:
        return (
            _CVE_STATUS_ORDER.get(str(c.get("status")), 9),
            0 if c.get("exploited") else 1,
            str(c.get("cve")),
        )

    keys = ["cve", "name", "status", "in_wild", "fixed_in", "window", "mitigation", "notes"]
    if not mitigations:
        keys.remove("mitigation")  # nothing was checked: the section below says so

    def rows(items: list[dict[str, Any]]) -> str:
        drop = 6 if not mitigations else None
        cells = ([v for i, v in enumerate(row(c)) if i != drop] for c in items)
        return table([ctx.t(k) for k in keys], cells, ["nowrap"] + [""] * (len(keys) - 1))

    open_rows = sorted((c for c in exposure if c.get("status") in _OPEN_STATUSES), key=order)
    wild = [c for c in open_rows if c.get("exploited")]
    other_open = [c for c in open_rows if not c.get("exploited")]
    rest = sorted((c for c in exposure if c.get("status") not in _OPEN_STATUSES), key=order)
    n_open = sum(1 for c in open_rows if c.get("status") == "vulnerable")
    n_wild = sum(1 for c in wild if c.get("status") == "vulnerable")
    note = ctx.t("exposure_lang_note")
    parts = [
        f"<h3>{ctx.t('exposure')}</h3><p>{ctx.t('exposure_open', n=n_open, x=n_wild)}</p>"
        + (f'<p class="small muted">{note}</p>' if note else "")
    ]
    if wild:
        parts.append(rows(wild))
    for label, items in (("open_other", other_open), ("fixed_hidden", rest)):
        if items:
            parts.append(
                f'<details><summary>{ctx.t(label, n=len(items))}</summary><div class="body">'
                + rows(items)
                + "</div></details>"
            )
    return "".join(parts)


def _mitigation_word(status: Any, ctx: Ctx) -> str:
    key = f"m_{status}"
    return ctx.t(key) if has_text(key) else esc(status)


def _mitigations(server: dict[str, Any], ctx: Ctx) -> str:
    mitigations = [m for m in server.get("mitigations") or [] if isinstance(m, dict)]
    head = f"<h3>{ctx.t('mitigations')}</h3>"
    if not mitigations:
        return head + f'<p class="muted">{ctx.t("mitigations_none")}</p>'
    rows = [
        [
            esc(m.get("title") or m.get("mitigation_id")),
            "<br>".join(f"<code>{esc(c)}</code>" for c in m.get("cves") or []),
            _mitigation_word(m.get("status"), ctx),
            f'<span class="path small">{esc(m.get("location") or m.get("source"))}</span>',
            '<span class="small">'
            + "<br>".join(esc(x) for x in [*(m.get("reasons") or []), *(m.get("notes") or [])] if x)
            + "</span>",
        ]
        for m in mitigations
    ]
    return head + table(
        [ctx.t("mitigation"), ctx.t("cves"), ctx.t("status"), ctx.t("location"), ctx.t("details")], rows
    )


def _history(server: dict[str, Any], ctx: Ctx) -> str:
    history = server.get("patch_history") or {}
    periods = [p for p in history.get("periods") or [] if isinstance(p, dict)]
    if not periods:
        return ""
    rows = [
        [
            f"<code>{esc(p.get('build'))}</code>",
            esc(" ".join(str(x) for x in (p.get("product"), p.get("release_name")) if x)),
            esc(short_time(p.get("first_seen"))),
            esc(short_time(p.get("last_seen"))),
            esc(number(p.get("observations"), ctx.lang)),
            "<br>".join(f'<span class="path small">{esc(s)}</span>' for s in (p.get("sources") or [])[:10]),
        ]
        for p in periods
    ]
    out = f"<h3>{ctx.t('history')}</h3>" + table(
        [
            ctx.t("build"),
            ctx.t("product"),
            ctx.t("first"),
            ctx.t("last"),
            ctx.t("observations"),
            ctx.t("sources"),
        ],
        rows,
        ["nowrap", "", "nowrap", "nowrap", "num", ""],
    )
    patches = history.get("patches") or []
    if patches:
        out += f"<h4>{ctx.t('patches')}</h4>" + generic(patches, ctx)
    return out


# --- what was taken -------------------------------------------------------------------------------


# --- findings -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Findings of one rule with one title and one tier."""

    tier: str
    rule_id: str
    title: str
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> str | None:
        times = [f.get("time") for f in self.items if parse_time(f.get("time"))]
        return min(times, key=time_key) if times else None

    @property
    def last(self) -> str | None:
        times = [f.get("time") for f in self.items if parse_time(f.get("time"))]
        return max(times, key=time_key) if times else None


def _groups(findings: Iterable[dict[str, Any]]) -> list[_Group]:
    groups: dict[tuple[str, str, str], _Group] = {}
    for f in findings:
        key = (tier_of(f.get("verdict")), str(f.get("rule_id", "")), str(f.get("title", "")))
        groups.setdefault(key, _Group(*key)).items.append(f)
    return sorted(groups.values(), key=lambda g: (TIER_ORDER[g.tier], time_key(g.first), g.title, g.rule_id))


def _evidence_rows(items: list[dict[str, Any]], cap: int, ctx: Ctx) -> str:
    take = min(cap, len(items), ctx.lines_left)
    ctx.lines_left -= take
    rows = []
    for f in items[:take]:
        ev = f.get("evidence") or {}
        ent = f.get("entities") or {}
        where = esc(ev.get("path"))
        if ev.get("line") is not None:
            where += f":{esc(ev['line'])}"
        elif ev.get("record") is not None:
            where += f" #{esc(ev['record'])}"
        sha = ev.get("sha256")
        who = "<br>".join(esc(ent[k]) for k in ("client_ip", "account", "mailbox") if ent.get(k))
        excerpt = ev.get("excerpt")
        rows.append(
            [
                esc(short_time(f.get("time"))),
                f'<span class="path mono">{where}</span>'
                + (f'<br><span class="hash mono">{esc(sha)}</span>' if sha else ""),
                f'<span class="mono">{who}</span>' if who else "",
                f'<code class="x">{esc(excerpt)}</code>' if excerpt else "",
            ]
        )
    out = ""
    if rows:
        out = table(
            [
                ctx.t("time"),
                f"{ctx.t('file')} · {ctx.t('line')} · {ctx.t('sha256')}",
                ctx.t("client"),
                ctx.t("excerpt"),
            ],
            rows,
            ["nowrap", "", "", ""],
        )
    rest = len(items) - take
    if rest > 0:
        if take < min(cap, len(items)):
            ctx.lines_omitted += min(cap, len(items)) - take
        out += f'<p class="more">{ctx.t("more_lines", n=number(rest, ctx.lang))}</p>'
    return out


def _group_html(g: _Group, cap: int, ctx: Ctx) -> str:
    first = g.items[0]
    cves = sorted({c for f in g.items for c in f.get("cves") or []})
    attack = sorted({a for f in g.items for a in f.get("attack") or []})
    refs = sorted({r for f in g.items for r in f.get("references") or []})
    meta = kv(
        [
            (ctx.t("cves"), ", ".join(f"<code>{esc(c)}</code>" for c in cves)),
            (ctx.t("attack"), ", ".join(f"<code>{esc(a)}</code>" for a in attack)),
            (ctx.t("references"), "<br>".join(link_or_text(r) for r in refs[:10])),
        ]
    )
    desc = f"<p>{esc(first.get('description'))}</p>" if first.get("description") else ""
    corroboration = (
        f'<p class="small muted">{ctx.t("corroboration")}</p>'
        if any(f.get("requires_corroboration") for f in g.items)
        else ""
    )
    when = span_text(g.first, g.last)
    return (
        f'<details class="grp"><summary>{badge(ctx, g.tier)} {esc(g.title)}'
        f'<span class="n">{esc(number(len(g.items), ctx.lang))}×</span>'
        + (f'<span class="when">{when}</span>' if when else "")
        + f"<code>{esc(g.rule_id)}</code></summary>"
        f'<div class="body">{desc}{corroboration}{meta}{_evidence_rows(g.items, cap, ctx)}</div></details>'
    )


def _groups_html(groups: list[_Group], cap: int, ctx: Ctx) -> str:
    out = "".join(_group_html(g, cap, ctx) for g in groups[:MAX_GROUPS])
    if len(groups) > MAX_GROUPS:
        out += f'<p class="more">{ctx.t("groups_more", n=number(len(groups) - MAX_GROUPS, ctx.lang))}</p>'
    return out


def _overview(groups: list[_Group], ctx: Ctx) -> str:
    rows = [
        [
            badge(ctx, g.tier),
            esc(number(len(g.items), ctx.lang)),
            esc(g.title),
            esc(short_time(g.first)),
            esc(short_time(g.last)),
            ", ".join(
                f"<code>{esc(c)}</code>" for c in sorted({c for f in g.items for c in f.get("cves") or []})
            ),
        ]
        for g in groups[:MAX_GROUPS]
    ]
    out = table(
        [ctx.t("verdict"), ctx.t("count"), ctx.t("what"), ctx.t("first"), ctx.t("last"), ctx.t("cves")],
        rows,
        ["", "num", "", "nowrap", "nowrap", "nowrap"],
    )
    if len(groups) > MAX_GROUPS:
        out += f'<p class="more">{ctx.t("groups_more", n=number(len(groups) - MAX_GROUPS, ctx.lang))}</p>'
    return out


def _requests_text(session: dict[str, Any], ctx: Ctx) -> str:
    """Request count of a session with its split per log kind."""
    if not isinstance(session.get("requests"), int) or not session["requests"]:
        return ""
    out = esc(number(session["requests"], ctx.lang))
    by_log = session.get("requests_by_log")
    if isinstance(by_log, dict) and by_log:
        out += (
            ' <span class="muted small">('
            + ", ".join(f"{esc(k)}: {esc(number(v, ctx.lang))}" for k, v in by_log.items())
            + ")</span>"
        )
    return out


def _sessions(report: dict[str, Any], findings: list[dict[str, Any]], ctx: Ctx) -> str:
    sessions = [s for s in report.get("sessions") or [] if isinstance(s, dict)]
    by_ip: dict[str, list[dict[str, Any]]] = {}
    no_ip: list[dict[str, Any]] = []
    for f in findings:
        if tier_of(f.get("verdict")) == "info":
            continue
        ip = (f.get("entities") or {}).get("client_ip")
        if ip:
            by_ip.setdefault(str(ip), []).append(f)
        else:
            no_ip.append(f)
    parts: list[str] = []
    if not sessions:
        parts.append(f'<p class="muted">{ctx.t("no_sessions")}</p>')
    for i, s in enumerate(sessions[:MAX_SESSIONS]):
        ip = str(s.get("client_ip", ""))
        info = kv(
            [
                (ctx.t("requests"), _requests_text(s, ctx)),
                (
                    ctx.t("response_bytes"),
                    esc(size(s.get("response_bytes"), ctx.lang)) if s.get("response_bytes") else "",
                ),
                (ctx.t("user_agents"), ul(s.get("user_agents") or [], mono=True)),
                (ctx.t("accounts"), ul(s.get("accounts") or [], mono=True)),
                (ctx.t("mailboxes_seen"), ul(s.get("mailboxes") or [], mono=True)),
                (ctx.t("urls"), ul(s.get("urls") or [], mono=True)),
                (ctx.t("cves"), ", ".join(f"<code>{esc(c)}</code>" for c in s.get("cves") or [])),
                (ctx.t("rules"), ", ".join(f"<code>{esc(r)}</code>" for r in s.get("rules") or [])),
            ]
        )
        when = span_text(s.get("first"), s.get("last"))
        parts.append(
            f'<details class="sess po"{" open" if i == 0 else ""}>'
            f"<summary>{badge(ctx, str(s.get('verdict')))} "
            f"<code>{esc(ip)}</code>"
            f'<span class="n">{ctx.tn("n_findings", s.get("findings", 0))}</span>'
            + (f'<span class="when">{when}</span>' if when else "")
            + f'</summary><div class="body">{info}'
            + _groups_html(_groups(by_ip.get(ip, [])), MAX_LINES_PER_SESSION_GROUP, ctx)
            + "</div></details>"
        )
    if len(sessions) > MAX_SESSIONS:
        parts.append(
            f'<p class="more">{ctx.t("sessions_more", n=number(len(sessions) - MAX_SESSIONS, ctx.lang))}</p>'
        )
    if no_ip:
        parts.append(
            f'<details class="sess po"><summary>{ctx.t("no_ip")}'
            f'<span class="n">{ctx.tn("n_findings", len(no_ip))}</span></summary>'
            f'<div class="body">{_groups_html(_groups(no_ip), MAX_LINES_PER_SESSION_GROUP, ctx)}'
            "</div></details>"
        )
    return "".join(parts)


def _by_cve(findings: list[dict[str, Any]], ctx: Ctx) -> str:
    by_cve: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        for cve in f.get("cves") or [""]:
            by_cve.setdefault(str(cve), []).append(f)

    def order(item: tuple[str, list[dict[str, Any]]]) -> tuple[int, int, str]:
        cve, items = item
        return (1 if not cve else 0, min(TIER_ORDER[tier_of(f.get("verdict"))] for f in items), cve)

    parts = []
    for cve, items in sorted(by_cve.items(), key=order):
        tier = min((tier_of(f.get("verdict")) for f in items), key=TIER_ORDER.__getitem__)
        name = ctx.cve_names.get(cve, "")
        label = f"<code>{esc(cve)}</code>" + (f" {esc(name)}" if name else "") if cve else ctx.t("no_cve")
        parts.append(
            f'<details class="cve po"><summary>{badge(ctx, tier)} {label}'
            f'<span class="n">{ctx.tn("n_findings", len(items))}</span></summary>'
            f'<div class="body">{_groups_html(_groups(items), MAX_LINES_PER_GROUP, ctx)}</div></details>'
        )
    return "".join(parts)


def _findings(report: dict[str, Any], ctx: Ctx) -> str:
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    if not findings:
        return f"<p>{ctx.t('no_findings')}</p>"
    out = (
        f"<h3>{ctx.t('overview')}</h3>{_overview(_groups(findings), ctx)}"
        f"<h3>{ctx.t('by_session')}</h3>{_sessions(report, findings, ctx)}"
        f"<h3>{ctx.t('by_cve')}</h3>{_by_cve(findings, ctx)}"
    )
    if ctx.lines_omitted:
        out += f'<p class="note warn">{ctx.t("lines_omitted", n=number(ctx.lines_omitted, ctx.lang))}</p>'
    return out


# --- timeline -------------------------------------------------------------------------------------


def _timeline(report: dict[str, Any], ctx: Ctx) -> str:
    svg = timeline_svg(report, ctx.lang)
    if svg is None:
        return f'<p class="note">{ctx.t("timeline_none")}</p>'
    legend = " ".join(
        f'<span class="badge t-{tier}">{esc(TIER_LABEL[ctx.lang][tier])}</span>'
        for tier in ("exploited", "suspicious", "attempted", "probe")
    )
    events = report.get("timeline_events")
    full = (
        f'<p class="small">{ctx.t("timeline_full", n=number(events, ctx.lang))}</p>'
        if isinstance(events, int) and events
        else ""
    )
    return f'<p class="small">{ctx.t("timeline_intro")} {legend}</p><div class="timeline">{svg}</div>{full}'


# --- evidence -------------------------------------------------------------------------------------


def _evidence(report: dict[str, Any], ctx: Ctx) -> str:
    scan = report.get("scan") or {}
    tool = report.get("tool") or {}
    evidence = report.get("evidence") or {}
    totals = evidence.get("totals") or {}
    rules = report.get("rules") or {}
    parts = [
        kv(
            [
                (
                    ctx.t("evidence"),
                    f'<span class="path">{esc(scan.get("evidence"))}</span> '
                    f"({esc(scan.get('evidence_kind'))})",
                ),
                (ctx.t("started"), esc(short_time(scan.get("started")))),
                (ctx.t("finished"), esc(short_time(scan.get("finished")))),
                (ctx.t("tool"), f"{esc(tool.get('name', 'lekdicht'))} {esc(tool.get('version', ''))}"),
            ]
        ),
        "<p>"
        + ctx.t(
            "totals",
            files=number(totals.get("files"), ctx.lang),
            bytes=size(totals.get("bytes"), ctx.lang),
            logs=number(totals.get("log_files"), ctx.lang),
            read=number(totals.get("records_read"), ctx.lang),
            rejected=number(totals.get("records_rejected"), ctx.lang),
        )
        + " "
        + ctx.t(
            "rules_summary", n=number(rules.get("loaded"), ctx.lang), yara=rules.get("yara_engine") or "-"
        )
        + "</p>",
    ]
    files = [f for f in evidence.get("files") or [] if isinstance(f, dict)]
    parts.append(f"<h3>{ctx.t('errors')}</h3>")
    errors = [e for e in report.get("errors") or [] if isinstance(e, dict)]
    if errors:
        parts.append(
            table(
                [ctx.t("path"), ctx.t("error")],
                (
                    [f'<span class="path">{esc(e.get("path"))}</span>', esc(e.get("error"))]
                    for e in errors[:MAX_ROWS]
                ),
            )
        )
    else:
        parts.append(f"<p>{ctx.t('no_errors')}</p>")
    not_scanned = [n for n in evidence.get("not_scanned") or [] if isinstance(n, dict)]
    if not_scanned:
        parts.append(f"<h3>{ctx.t('not_scanned')}</h3>")
        parts.append(
            table(
                [ctx.t("path"), ctx.t("reason")],
                (
                    [f'<span class="path">{esc(n.get("path"))}</span>', esc(n.get("reason"))]
                    for n in not_scanned[:MAX_ROWS]
                ),
            )
        )
    rejected = [(f, r) for f in files for r in f.get("rejected_examples") or [] if isinstance(r, dict)][
        :MAX_ROWS
    ]
    if rejected:
        parts.append(f"<h3>{ctx.t('rejected')}</h3>")
        parts.append(
            table(
                [ctx.t("path"), ctx.t("line"), ctx.t("reason"), ctx.t("excerpt")],
                (
                    [
                        f'<span class="path">{esc(f.get("path"))}</span>',
                        esc(r.get("line") if r.get("line") is not None else r.get("record", "")),
                        esc(r.get("reason")),
                        f'<code class="x">{esc(r.get("excerpt"))}</code>' if r.get("excerpt") else "",
                    ]
                    for f, r in rejected
                ),
                ["", "num", "", ""],
            )
        )
    unusable = [u for u in rules.get("unusable") or [] if isinstance(u, dict)]
    if unusable:
        parts.append(f"<h3>{ctx.t('rules_unusable')}</h3>")
        parts.append(
            table(
                [ctx.t("source"), ctx.t("rules"), ctx.t("reason")],
                (
                    [
                        f'<span class="path">{esc(u.get("source"))}</span>',
                        esc(u.get("rule_id")),
                        esc(u.get("reason")),
                    ]
                    for u in unusable[:MAX_ROWS]
                ),
            )
        )
    warnings = [w for w in rules.get("warnings") or [] if isinstance(w, dict)]
    if warnings:
        parts.append(f"<h3>{ctx.t('rules_warnings')}</h3>")
        parts.append(
            table(
                [ctx.t("source"), ctx.t("rules"), ctx.t("message")],
                (
                    [
                        f'<span class="path">{esc(w.get("source"))}</span>',
                        esc(w.get("rule_id")),
                        esc(w.get("message")),
                    ]
                    for w in warnings[:MAX_ROWS]
                ),
            )
        )
    parts.append(f"<h3>{ctx.t('inventory')}</h3>")
    parts.append(
        f"<details{' open' if len(files) <= 300 else ''}><summary>{ctx.t('inventory')} "
        f'({esc(number(len(files), ctx.lang))})</summary><div class="body">{_inventory(files, ctx)}'
        "</div></details>"
    )
    return "".join(parts)


def _inventory(files: list[dict[str, Any]], ctx: Ctx) -> str:
    def state(f: dict[str, Any]) -> str:
        if f.get("error"):
            return f"<b>{ctx.t('error')}</b>: {esc(f['error'])}"
        word = ctx.t("read") if f.get("read") else ctx.t("not_read")
        if f.get("skipped_reason"):
            word += f' <span class="muted small">({esc(f["skipped_reason"])})</span>'
        return word

    def records(f: dict[str, Any]) -> str:
        if "records_read" not in f:
            return ""
        read = number(f.get("records_read"), ctx.lang)
        return f"{esc(read)} / {esc(number(f.get('records_rejected', 0), ctx.lang))}"

    rows = (
        [
            f'<span class="path">{esc(f.get("path"))}</span>',
            esc(f.get("kind")),
            esc(size(f.get("size"), ctx.lang)),
            f'<span class="hash mono">{esc(f.get("sha256"))}</span>' if f.get("sha256") else "-",
            records(f),
            esc(short_time(f.get("first_timestamp"))) if f.get("first_timestamp") else "",
            esc(short_time(f.get("last_timestamp"))) if f.get("last_timestamp") else "",
            state(f),
        ]
        for f in files
    )
    return table(
        [ctx.t(k) for k in ("path", "kind", "size", "sha256", "records", "first", "last", "state")],
        rows,
        ["", "nowrap", "num", "", "num", "nowrap", "nowrap", ""],
    )
