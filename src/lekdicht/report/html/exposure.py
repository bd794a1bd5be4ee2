"""Section 3 of the HTML report: what was taken (mailboxes, address book, forwarding, exports).

Renders ``data_exposure`` from report.json. ``status: not_assessed`` (or no section at all) is
shown as "not assessed"; keys this module does not know are still shown, generically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from lekdicht.report.html.fmt import esc, number, short_time, size
from lekdicht.report.html.parts import MAX_ROWS, Ctx, cell, generic, plain_badge, span_text, table, ul
from lekdicht.report.html.strings import has_text, text

_CITES_SHOWN: Final = 3
_KNOWN: Final = (
    "summary",
    "status",
    "note",
    "mailboxes",
    "exports",
    "role_grants",
    "address_book",
    "mail_flow",
    "outbound_mail",
    "pst_files",
    "attacker_ips",
    "limits",
)

_ORDER: Final = (
    "mailboxes",
    "address_book",
    "mail_flow",
    "exports",
    "role_grants",
    "outbound_mail",
    "pst_files",
)
_ALWAYS: Final = ("mailboxes", "address_book", "mail_flow")
"""Shown even when absent from the report (as "not assessed"): the three questions of the issue."""

Column = tuple[str, Callable[[dict[str, Any]], str], str]
"""Header text key, cell renderer (returns safe HTML), CSS class."""


def citations(items: Any, ctx: Ctx) -> str:
    """Evidence citations (``path``, ``line``/``record``, ``time``) as a short list, the rest folded."""
    cites = [c for c in items or [] if isinstance(c, dict)]
    if not cites:
        return ""

    def one(c: dict[str, Any]) -> str:
        where = esc(c.get("path"))
        if c.get("line") is not None:
            where += f":{esc(c['line'])}"
        elif c.get("record") is not None:
            where += f" #{esc(c['record'])}"
        when = short_time(c.get("time")) if c.get("time") else ""
        return f'<li><span class="path mono small">{where}</span>' + (
            f' <span class="muted small">{esc(when)}</span></li>' if when else "</li>"
        )

    head = "".join(one(c) for c in cites[:_CITES_SHOWN])
    out = f'<ul class="plain">{head}</ul>'
    rest = cites[_CITES_SHOWN:]
    if rest:
        out += (
            f"<details><summary>{ctx.t('cited_more', n=number(len(rest), ctx.lang))}</summary>"
            f'<ul class="plain">{"".join(one(c) for c in rest)}</ul></details>'
        )
    return out


def _rows_table(items: Any, columns: list[Column], ctx: Ctx) -> str:
    rows = [r for r in items or [] if isinstance(r, dict)]
    if not rows:
        return f'<p class="muted">{ctx.t("none_found")}</p>'
    out = table(
        [ctx.t(key) for key, _, _ in columns],
        ([render(r) for _, render, _ in columns] for r in rows[:MAX_ROWS]),
        [cls for _, _, cls in columns],
    )
    if len(rows) > MAX_ROWS:
        out += f'<p class="more">{ctx.t("rows_more", n=number(len(rows) - MAX_ROWS, ctx.lang))}</p>'
    return out


def _yes_no(value: Any, ctx: Ctx, strong: bool = True) -> str:
    if value:
        return f"<b>{ctx.t('yes')}</b>" if strong else ctx.t("yes")
    return ctx.t("no")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def dutch_summary(dx: dict[str, Any]) -> str:
    """The exposure summary in Dutch, built from the same data as the English ``summary``."""
    parts: list[str] = []
    boxes = [m for m in dx.get("mailboxes") or [] if isinstance(m, dict)]
    read = [m for m in boxes if m.get("read")]
    if read:
        parts.append(_plural(len(read), "mailbox", "mailboxen") + " gelezen")
    elif boxes:
        parts.append(_plural(len(boxes), "mailbox", "mailboxen") + " benaderd")
    exported = [e for e in dx.get("exports") or [] if isinstance(e, dict) and not e.get("failed")]
    if exported:
        parts.append(_plural(len(exported), "mailbox", "mailboxen") + " geëxporteerd")
    downloads = sum(int(a.get("downloads") or 0) for a in dx.get("address_book") or [] if isinstance(a, dict))
    if downloads:
        times = {1: "eenmaal", 2: "tweemaal"}.get(downloads, f"{downloads} keer")
        parts.append(f"het adresboek {times} gedownload")
    if not parts:
        parts.append(
            "geen toegang tot mailboxen, export of download van het adresboek door de aanvaller gevonden"
        )
    forwarding = [m for m in dx.get("mail_flow") or [] if isinstance(m, dict) and m.get("destination")]
    parts.append(
        _plural(len(forwarding), "wijziging", "wijzigingen") + " in het doorsturen van mail gevonden"
        if forwarding
        else "geen doorsturen naar buiten gevonden"
    )
    outbound = [m for m in dx.get("outbound_mail") or [] if isinstance(m, dict)]
    if outbound:
        parts.append(
            _plural(len(outbound), "bericht", "berichten") + " van getroffen accounts naar externe adressen"
        )
    sentence = ", ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def _chips(dx: dict[str, Any], ctx: Ctx) -> str:
    def n(key: str) -> int:
        return len([x for x in dx.get(key) or [] if isinstance(x, dict)])

    boxes = [m for m in dx.get("mailboxes") or [] if isinstance(m, dict)]
    figures = [
        (ctx.t("dx_mailboxes"), len(boxes), "exploited"),
        (ctx.t("dx_exports"), n("exports"), "exploited"),
        (ctx.t("dx_address_book"), n("address_book"), "exploited"),
        (ctx.t("dx_mail_flow"), n("mail_flow"), "exploited"),
        (ctx.t("dx_outbound_mail"), n("outbound_mail"), "suspicious"),
    ]
    return (
        '<div class="chips">'
        + "".join(
            f'<span class="badge {"t-" + tier if count else "plain"}">{label}: '
            f"{esc(number(count, ctx.lang))}</span>"
            for label, count, tier in figures
        )
        + "</div>"
    )


def _columns(ctx: Ctx) -> dict[str, list[Column]]:
    def g(key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: cell(r.get(key), ctx)

    def mono(key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: f'<span class="mono wrap">{esc(r.get(key))}</span>' if r.get(key) else "-"

    def span(r: dict[str, Any]) -> str:
        return span_text(r.get("first"), r.get("last")) or "-"

    def cites(r: dict[str, Any]) -> str:
        return citations(r.get("evidence"), ctx)

    def operations(r: dict[str, Any]) -> str:
        ops = r.get("operations")
        if not isinstance(ops, dict) or not ops:
            return "-"
        return "<br>".join(f"{esc(k)}: {esc(number(v, ctx.lang))}" for k, v in ops.items())

    def joined(key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: "<br>".join(f'<span class="mono">{esc(v)}</span>' for v in r.get(key) or []) or "-"

    def nbytes(r: dict[str, Any]) -> str:
        return esc(size(r.get("response_bytes"), ctx.lang))

    def export_state(r: dict[str, Any]) -> str:
        bits = [_yes_no(r.get("suspicious"), ctx)]
        if r.get("reason"):
            bits.append(f'<span class="small muted">{esc(r["reason"])}</span>')
        if r.get("failed"):
            bits.append(f"<b>{ctx.t('failed')}</b>")
        if r.get("removed"):
            bits.append(ctx.t("removed"))
        return "<br>".join(bits)

    def ab_kind(r: dict[str, Any]) -> str:
        key = f"ab_{r.get('kind')}"
        return ctx.t(key) if has_text(key) else esc(r.get("kind"))

    def change(r: dict[str, Any]) -> str:
        out = esc(r.get("kind"))
        if r.get("parameter"):
            out += f' <span class="mono small">-{esc(r["parameter"])}</span>'
        if r.get("failed"):
            out += f" <b>({ctx.t('failed')})</b>"
        if r.get("note"):
            out += f'<br><span class="small muted">{esc(r["note"])}</span>'
        return out

    def recipients(r: dict[str, Any]) -> str:
        value = r.get("recipients")
        if isinstance(value, list):
            return "<br>".join(f'<span class="mono">{esc(v)}</span>' for v in value[:20]) or "-"
        return mono("recipients")(r)

    return {
        "mailboxes": [
            ("mailbox", mono("mailbox"), ""),
            ("read_q", lambda r: _yes_no(r.get("read"), ctx), ""),
            ("requests", g("requests"), "num"),
            ("operations", operations, "nowrap"),
            ("via", joined("via"), ""),
            ("clients", joined("client_ips"), ""),
            ("bytes_out", nbytes, "num"),
            ("period", span, "nowrap"),
            ("cited", cites, ""),
        ],
        "exports": [
            ("mailbox", mono("mailbox"), ""),
            ("file_path", lambda r: f'<span class="mono path">{esc(r.get("file_path"))}</span>', ""),
            ("requester", mono("requester"), ""),
            ("time", g("time"), "nowrap"),
            ("suspicious_q", export_state, ""),
            ("cited", cites, ""),
        ],
        "role_grants": [
            ("role", g("role"), ""),
            ("granted_to", mono("granted_to"), ""),
            ("requester", mono("by"), ""),
            ("time", g("time"), "nowrap"),
            ("cited", cites, ""),
        ],
        "address_book": [
            ("client", mono("client_ip"), ""),
            ("ab_kind", ab_kind, ""),
            ("downloads", g("downloads"), "num"),
            ("bytes_out", nbytes, "num"),
            ("period", span, "nowrap"),
            ("cited", cites, ""),
        ],
        "mail_flow": [
            ("change", change, ""),
            ("mailbox", mono("mailbox"), ""),
            ("destination", mono("destination"), ""),
            ("requester", mono("by"), ""),
            ("time", g("time"), "nowrap"),
            ("cited", cites, ""),
        ],
        "outbound_mail": [
            ("time", g("time"), "nowrap"),
            ("sender", mono("sender"), ""),
            ("recipients", recipients, ""),
            ("subject", g("subject"), ""),
            ("cited", cites, ""),
        ],
        "pst_files": [
            ("path", lambda r: f'<span class="mono path">{esc(r.get("path"))}</span>', ""),
            (
                "size",
                lambda r: esc(size(r.get("size"), ctx.lang)) if r.get("size") is not None else "-",
                "num",
            ),
            (
                "sha256",
                lambda r: (
                    f'<span class="hash mono">{esc(r.get("sha256"))}</span>' if r.get("sha256") else "-"
                ),
                "",
            ),
            ("reason", g("reason"), ""),
        ],
    }


def taken_section(report: dict[str, Any], ctx: Ctx) -> str:
    """The "what was taken" section body as safe HTML."""
    dx = report.get("data_exposure")
    if not isinstance(dx, dict):
        dx = {"status": "not_assessed"}
    if dx.get("status") in (None, "not_assessed"):
        out = f"<p>{plain_badge(ctx.t('not_assessed'))}</p><p>{ctx.t('not_assessed_text')}</p>"
        if dx.get("note"):
            out += f'<p class="small muted">{esc(dx["note"])}</p>'
        return out
    summary = dutch_summary(dx) if ctx.lang == "nl" else str(dx.get("summary") or "")
    parts = [f'<p class="lead"><b>{esc(summary)}</b></p>' if summary else "", _chips(dx, ctx)]
    if dx.get("note"):
        parts.append(f'<p class="small muted">{esc(dx["note"])}</p>')
    columns = _columns(ctx)
    empty: list[str] = []
    for key in _ORDER:
        if key not in dx:
            if key in _ALWAYS:
                parts.append(f"<h3>{ctx.t('dx_' + key)}</h3><p>{plain_badge(ctx.t('not_assessed'))}</p>")
            continue
        rows = [r for r in dx[key] or [] if isinstance(r, dict)] if isinstance(dx[key], list) else None
        if rows == []:
            empty.append(text(ctx.lang, "dx_" + key))
            continue
        parts.append(f"<h3>{ctx.t('dx_' + key)}</h3>" + _rows_table(dx[key], columns[key], ctx))
    if empty:
        parts.append(f'<p class="muted">{ctx.t("none_found_in", what=", ".join(empty))}</p>')
    limits = [x for x in dx.get("limits") or [] if x]
    if limits:
        note = ctx.t("dx_limits_note")
        parts.append(
            f'<h3>{ctx.t("dx_limits")}</h3><div class="note warn">'
            + (f'<p class="small muted">{note}</p>' if note else "")
            + ul(limits)
            + "</div>"
        )
    ips = dx.get("attacker_ips") or []
    if ips:
        parts.append(
            f'<p class="small">{ctx.t("dx_attacker_ips")}: '
            + ", ".join(f'<span class="mono">{esc(ip)}</span>' for ip in ips[:200])
            + (" …" if len(ips) > 200 else "")
            + "</p>"
        )
    other = {k: v for k, v in dx.items() if k not in _KNOWN}
    if other:
        parts.append(f"<h3>{ctx.t('dx_other')}</h3>{generic(other, ctx)}")
    return "".join(parts)
