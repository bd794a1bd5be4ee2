"""The breach assessment as a Markdown document (English): every input with its provenance and reason."""

from __future__ import annotations

from lekdicht import __version__
from lekdicht.breach.assessment import BreachAssessment
from lekdicht.breach.decision import CaseMatch
from lekdicht.breach.drafts.apform import advice_lines, deadline_lines, enisa_line, zone_of
from lekdicht.breach.drafts.common import bullets, fmt_time, missing_marker, option, show, tag, w
from lekdicht.breach.enisa import LEVEL_TEXT, ScoreInput, tables
from lekdicht.breach.textsafe import md


def _prov(status: str, source: str) -> str:
    return "MISSING" if status == "missing" else f"{status}: {md(source)}"


def _score_row(x: ScoreInput) -> str:
    value = md(x.key) if x.key is not None else "**[MISSING]**"
    points = f"{x.points:g}" if x.points is not None else "—"
    return f"| {md(x.name)} | {value} | {points} | {_prov(x.status, x.source)} | {md(x.reason, 400)} |"


def _case(m: CaseMatch) -> list[str]:
    c = m.case
    return [
        f"- **01/2021 case {c.id}: {md(c.title)}** (similarity {m.similarity:.2f}) — notify the authority: "
        f"{w('yes' if c.notify_sa else 'no', 'en')}; inform the people: "
        f"{w('yes' if c.inform_subjects else 'no', 'en')}; "
        f"driver: {md(c.driver)}"
        + ("" if c.verified else " _(outcome from a secondary record: check the PDF)_"),
        f"  - facts: {md(c.facts)}",
        f"  - same: {md('; '.join(m.same)) or '—'}",
        f"  - different: {md('; '.join(m.different)) or '—'}",
    ]


def render_assessment(a: BreachAssessment, register_path: str | None = None) -> str:
    """The assessment document."""
    f = a.facts
    zone = zone_of(a)
    host = md(f.hostname.value) if f.hostname.value else "unknown server"
    lines = [
        f"# Personal-data breach assessment: {host}",
        "",
        "> Decision support under Art. 33/34 GDPR, not legal advice: the DPO or a lawyer decides and "
        "records the "
        "reasoning. Values marked _derived_ were computed from the scan and must be confirmed; **[MISSING: "
        "…]** "
        "values are not known and were not filled in.",
        "",
        f"Made {fmt_time(a.generated_at, zone)} by lekdicht {__version__} from "
        f"{md(str(f.report_path) if f.report_path else 'report.json')} (SHA-256 {f.report_sha256 or '?'}, "
        "schema "
        f"{md(f.schema)}). Status: **{'complete' if a.complete else 'incomplete: answers missing'}**.",
        "",
        "## Outcome",
        "",
        *advice_lines(a, "en"),
        f"- ENISA severity: {enisa_line(a, 'en')}",
        "- AP severity (9.3): "
        f"{show(a.ap_level, 'en', 'severity.ap_level', fmt=lambda x: option('9.3', str(x), 'en'))}",
        "",
        "## Deadline (Art. 33(1))",
        "",
        *deadline_lines(a, "en"),
    ]
    if a.deadline:
        lines += bullets(md(x) for x in a.deadline.warnings)
    lines += ["", "## Missing answers", ""]
    lines += (
        bullets(
            f"`{m.key}` — {md(m.label)}" + (f" (AP {m.ap})" if m.ap else "") + f": {md(m.why)}"
            for m in a.missing
        )
        if a.missing
        else ["None."]
    )
    if a.warnings:
        lines += ["", "## Warnings", "", *bullets(md(x) for x in a.warnings)]
    lines += ["", "## Nature of the breach", ""]
    lines += bullets(
        f"{name.capitalize()}: {show(v, 'en', name)}"
        + (f" — {md(v.note)}" if v.note and v.status != "missing" else "")
        for name, v in a.nature.items()
    )
    lines += [
        "- Incident type (AP 5.2): "
        f"{show(a.incident_type, 'en', '5.2', fmt=lambda x: option('5.2', str(x), 'en'))}"
    ]
    lines += ["", "## Scope", ""]
    for key, label in (
        ("mailbox_content", "Mailbox content"),
        ("address_list", "Address list (GAL/OAB)"),
        ("exfiltration", "Data leaving the organisation"),
    ):
        v = a.scope[key]
        lines.append(f"- {label}: **{w(str(v.value), 'en')}**{tag(v, 'en')} — {md(v.note, 500)}")
    de = f.data_exposure
    if de.assessed:
        if de.summary:
            lines.append(
                f"- Scan summary: {md(de.summary, 500)} _(derived from report.json: data\\_exposure.summary)_"
            )
        if de.mailboxes_read:
            lines.append(
                "- Mailboxes read by the attacker: " + ", ".join(md(m, 120) for m in de.mailboxes_read)
            )
        if de.exports:
            lines.append("- Mailboxes exported: " + ", ".join(md(m, 120) for m in de.exports))
        if de.mail_flow:
            lines.append("- Forwarding and redirect rules: " + "; ".join(md(m, 200) for m in de.mail_flow))
    else:
        lines.append(
            "- Mail and address-book access was not assessed by the scan (data\\_exposure: "
            f"{md(de.status or 'absent')})."
        )
    lines += ["", "## Timeline (from the scan)", ""]
    lines += bullets(
        [
            f"First evidence of a successful attack (AP 4.1.1): {show(f.first_exploit, 'en', '4.1.1', zone)}",
            f"Last attacker activity: {show(f.last_exploit, 'en', 'last', zone)}",
            f"First exploitation attempt: {show(f.first_attempt, 'en', 'first attempt', zone)}",
            f"Evidence covers: {show(f.evidence_first, 'en', 'evidence start', zone)} to "
            f"{show(f.evidence_last, 'en', 'evidence end', zone)}",
            f"End of the breach (AP 4.1.2): {show(a.breach_end, 'en', 'timeline.contained_at', zone)}"
            + (f" — {md(a.breach_end.note)}" if a.breach_end.status == "derived" else ""),
        ]
    )
    for x in f.exposure:
        since = fmt_time(x.exposed_from, zone) if x.exposed_from else "?"
        until = (
            "still vulnerable at the end of the evidence"
            if x.still_vulnerable
            else (f"until {fmt_time(x.exposed_until, zone)}" if x.exposed_until else "")
        )
        lines.append(
            f"- Exposed to {md(x.chain)} ({md(', '.join(x.cves))}) since {since}, {until}"
            f" _(derived from {md(x.source)})_"
        )
    if f.coverage_limits:
        lines += ["", "What the evidence cannot show:", ""]
        lines += bullets(f"{md(v.value, 500)}{tag(v, 'en')}" for v in f.coverage_limits)
    attackers = [s for s in f.sessions if s.verdict in ("exploited", "attempted")]
    if attackers:
        lines += ["", "Attacker addresses (text from the evidence, escaped):", ""]
        for s in attackers:
            first = fmt_time(s.first, zone) if s.first else "?"
            last = fmt_time(s.last, zone) if s.last else "?"
            lines.append(
                f"- {md(s.client_ip)} ({md(s.verdict)}, {s.findings} findings, {first} to {last}) "
                f"_(derived from {md(s.source)})_"
            )
            if s.user_agents:
                lines.append("  - user agents: " + "; ".join(md(u, 200) for u in s.user_agents[:5]))
            if s.urls:
                lines.append("  - URLs: " + "; ".join(md(u, 200) for u in s.urls[:5]))
    if f.webshells:
        lines += ["", "Webshells and backdoors:", ""]
        lines += bullets(f"{md(v.value, 300)} — {md(v.note, 200)}{tag(v, 'en')}" for v in f.webshells)
    lines += ["", "## Personal data", ""]
    if a.categories_note:
        lines += [md(a.categories_note), ""]
    t = tables()
    for key, v in [*a.categories.items(), *a.special_categories.items()]:
        ecat = t.category_map.get(key)
        where = "6.1" if key in a.categories else "6.2"
        scored = {"by_access": "scored by the data the credentials give access to", None: "not scored"}
        lines.append(
            f"- {option(where, key, 'en')} → ENISA {md(scored.get(ecat, ecat))}{tag(v, 'en')}"
            + (f" — {md(v.note)}" if v.note else "")
        )
    if a.answer("personal_data.categories").is_missing and a.scope["mailbox_content"].value != "excluded":
        lines.append(
            "- " + missing_marker("Kinds of personal data in the mailboxes", "personal_data.categories", "en")
        )
    sev = a.severity
    lines += [
        "",
        "## ENISA severity: SE = DPC × EI + CB",
        "",
        f"Source: {md(t.source)}. The score is an input to the decision, not the decision itself.",
        "",
        "| input | value | points | provenance | reason |",
        "|---|---|---|---|---|",
        _score_row(sev.dpc),
        _score_row(sev.ei),
        *(_score_row(c) for c in sev.cb),
        "",
    ]
    if sev.dpc_by_category:
        lines += ["DPC per data category (the highest counts):", ""]
        lines += bullets(
            f"{md(c.category)}: {c.score} (base {c.base}) — {md(c.reason, 400)} "
            f"_({_prov(c.status, c.source)})_"
            for c in sev.dpc_by_category
        )
        lines.append("")
    lines.append(f"Result: {enisa_line(a, 'en')}")
    if sev.level:
        impact = next(i for _, lvl, i in t.levels if lvl == sev.level)
        lines.append(f"({LEVEL_TEXT[sev.level]}: {md(impact)}.)")
    lines += ["", "Flags:", ""]
    lines += bullets(
        f"{name.replace('_', ' ')}: {show(v, 'en', name)}"
        + (f" — {md(v.note)}" if v.is_missing and v.note else "")
        for name, v in a.flags.items()
    )
    d = a.decision
    lines += ["", "## Decision support (Art. 33 and 34)", "", *bullets(md(r, 2000) for r in d.rationale)]
    if d.pending:
        lines += ["", "Pending inputs: " + md(", ".join(d.pending))]
    lines += ["", "Cautions:", "", *bullets(md(c, 1000) for c in d.cautions)]
    if d.analogue:
        lines += ["", "Closest EDPB example (Guidelines 01/2021):", "", *_case(d.analogue)]
        if d.alternatives:
            lines += ["", "Next closest:", ""]
            for m in d.alternatives:
                lines += _case(m)
    lines += ["", "## Consequences", ""]
    lines += bullets(
        f"{option('9.1', str(v.value), 'en')}{tag(v, 'en')} — {md(v.note)}" for v in a.consequences_controller
    )
    lines += bullets(
        f"{option('9.2', str(v.value), 'en')}{tag(v, 'en')} — {md(v.note)}" for v in a.consequences_subjects
    )
    lines += ["", "## Breach register (Art. 33(5))", ""]
    lines.append(
        "An entry with the facts, effects, remedial action and this reasoning was appended to "
        f"{md(register_path)}."
        if register_path
        else "No register entry was written (--no-register)."
    )
    return "\n".join(lines).rstrip() + "\n"
