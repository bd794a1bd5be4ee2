"""The breach assessment as an HTML fragment for the HTML report; all text is escaped."""

from __future__ import annotations

from typing import Any

from lekdicht.breach.assessment import BreachAssessment
from lekdicht.breach.drafts.apform import trigger_text, zone_of
from lekdicht.breach.drafts.common import Lang, fmt_time, option, w
from lekdicht.breach.provenance import Value
from lekdicht.breach.textsafe import html_text as h

_T: dict[str, tuple[str, str]] = {
    "title": ("Personal-data breach (GDPR Art. 33/34)", "Datalek (art. 33/34 AVG)"),
    "disclaimer": (
        "Decision support, not legal advice: the DPO or a lawyer decides.",
        "Beslisondersteuning, geen juridisch advies: de FG of een jurist beslist.",
    ),
    "notify": ("Notify the AP", "Melden bij de AP"),
    "inform": ("Inform the people affected", "Betrokkenen informeren"),
    "deadline": ("Deadline (72 hours from awareness)", "Termijn (72 uur na bewustwording)"),
    "passed": (
        "passed: give the reasons for the delay (question 4.5)",
        "verstreken: geef de reden voor de vertraging (vraag 4.5)",
    ),
    "left": ("{h:.1f} hours left", "nog {h:.1f} uur"),
    "enisa": ("ENISA severity", "ENISA-ernst"),
    "input": ("input", "invoer"),
    "value": ("value", "waarde"),
    "points": ("points", "punten"),
    "prov": ("provenance", "herkomst"),
    "reason": ("reason", "reden"),
    "why": ("Why", "Waarom"),
    "case": ("Closest EDPB example", "Meest vergelijkbare EDPB-voorbeeld"),
    "missing": ("Missing answers", "Ontbrekende antwoorden"),
    "range": ("between {lo} and {hi} (inputs missing: {m})", "tussen {lo} en {hi} (invoer ontbreekt: {m})"),
    "read": ("Mailboxes read by the attacker", "Mailboxen gelezen door de aanvaller"),
    "data": ("Personal data", "Persoonsgegevens"),
}


def _t(key: str, lang: Lang, **kw: Any) -> str:
    en, nl = _T[key]
    return (en if lang == "en" else nl).format(**kw)


def _prov(v: Value[Any] | str, lang: Lang) -> str:
    status = v.status if isinstance(v, Value) else v
    label = {
        "given": w("given", lang),
        "derived": w("derived", lang).split()[0],
        "missing": w("missing", lang),
    }[status]
    return f'<span class="prov prov-{h(status)}">{h(label)}</span>'


def render_breach_html_section(assessment: BreachAssessment, lang: Lang = "en") -> str:
    """An HTML ``<section>`` with the assessment's outcome, deadline, ENISA inputs and gaps (escaped)."""
    a = assessment
    d = a.decision
    zone = zone_of(a)
    out = [
        '<section class="breach" id="breach">',
        f"<h2>{h(_t('title', lang))}</h2>",
        f'<p class="disclaimer">{h(_t("disclaimer", lang))}</p>',
        "<dl>",
        f"<dt>{h(_t('notify', lang))}</dt><dd><strong>{h(w(d.notify_sa, lang))}</strong></dd>",
        f"<dt>{h(_t('inform', lang))}</dt><dd><strong>{h(w(d.inform_subjects, lang))}</strong></dd>",
    ]
    dl = a.deadline
    if dl is not None:
        state = _t("passed", lang) if dl.passed else _t("left", lang, h=dl.hours_left)
        out.append(
            f"<dt>{h(_t('deadline', lang))}</dt><dd>{h(fmt_time(dl.deadline, zone, lang))} ({h(state)})</dd>"
        )
    else:
        out.append(f"<dt>{h(_t('deadline', lang))}</dt><dd>{_prov('missing', lang)} timeline.aware_at</dd>")
    s = a.severity
    if s.se is not None and s.level is not None:
        sev = f"SE {s.se:g} ({w(s.level, lang)})"
    else:
        sev = _t(
            "range",
            lang,
            lo=f"{s.se_min:g} ({w(s.level_min, lang)})",
            hi=f"{s.se_max:g} ({w(s.level_max, lang)})",
            m=", ".join(s.missing),
        )
    out += [f"<dt>{h(_t('enisa', lang))}</dt><dd>{h(sev)}</dd>", "</dl>"]
    if d.triggers:
        out.append(
            f"<p>{h(_t('why', lang))}: "
            + h("; ".join(trigger_text(x.code, x.items, lang) for x in d.triggers))
            + "</p>"
        )
    out += [
        '<table class="enisa">',
        "<thead><tr>"
        + "".join(f"<th>{h(_t(k, lang))}</th>" for k in ("input", "value", "points", "prov", "reason"))
        + "</tr></thead><tbody>",
    ]
    for x in (s.dpc, s.ei, *s.cb):
        pts = f"{x.points:g}" if x.points is not None else "—"
        out.append(
            f"<tr><td>{h(x.name)}</td><td>{h(x.key or '—')}</td><td>{h(pts)}</td><td>{_prov(x.status, lang)} "
            f"{h(x.source)}</td><td>{h(x.reason)}</td></tr>"
        )
    out.append("</tbody></table>")
    if d.analogue:
        c = d.analogue.case
        out.append(f"<p>{h(_t('case', lang))}: EDPB 01/2021 {h(c.id)}, {h(c.title)}</p>")
    out.append('<ul class="rationale">' + "".join(f"<li>{h(r)}</li>" for r in d.rationale) + "</ul>")
    if a.missing:
        out.append(f"<h3>{h(_t('missing', lang))}</h3>")
        out.append(
            '<ul class="missing">'
            + "".join(
                f"<li><code>{h(m.key)}</code> {h(m.label)}{h(' (AP ' + m.ap + ')') if m.ap else ''}</li>"
                for m in a.missing
            )
            + "</ul>"
        )
    de = a.facts.data_exposure
    if de.assessed and de.mailboxes_read:
        out.append(f"<p>{h(_t('read', lang))}: " + h(", ".join(de.mailboxes_read[:20])) + "</p>")
    cats = [option("6.1", k, lang) for k in a.categories] + [
        option("6.2", k, lang) for k in a.special_categories
    ]
    if cats:
        out.append(f"<p>{h(_t('data', lang))}: " + h(", ".join(cats)) + "</p>")
    out.append("</section>")
    return "\n".join(out) + "\n"
