"""Pre-fill for the AP's data breach notification form, in its chapter and question order (NL or EN).

The AP accepts notifications only through its online form; this document prepares the answers.
Each answer carries its provenance; missing answers are marked, never filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from lekdicht import __version__
from lekdicht.breach.assessment import BreachAssessment
from lekdicht.breach.drafts.common import (
    Lang,
    ap_form,
    bullets,
    fmt_time,
    missing_marker,
    option,
    show,
    tag,
    w,
)
from lekdicht.breach.provenance import Value, derived
from lekdicht.breach.textsafe import md

_T: dict[str, tuple[str, str]] = {
    "title": (
        "Preparation of the data breach notification to the Autoriteit Persoonsgegevens",
        "Voorbereiding melding datalek aan de Autoriteit Persoonsgegevens",
    ),
    "not_a_notification": (
        "This is a preparation, not a notification. The AP accepts notifications only through its online "
        "form "
        "(Meldformulier datalekken, {url}). The question numbers follow the AP questionnaire (August 2022) "
        "as "
        "reconstructed by the reference; check them against the current form. Draft: to be reviewed by the "
        "DPO "
        "or a lawyer.",
        "Dit is een voorbereiding, geen melding. De AP neemt meldingen alleen aan via het online "
        "Meldformulier "
        "datalekken ({url}). De vraagnummers volgen de vragenlijst van de AP (augustus 2022) zoals "
        "gereconstrueerd "
        "in de naslag; controleer ze tegen het actuele formulier. Concept: laat de FG of een jurist het "
        "beoordelen.",
    ),
    "made": (
        "Made {now} by lekdicht {version} from {report} (SHA-256 {sha}).",
        "Gemaakt {now} door lekdicht {version} uit {report} (SHA-256 {sha}).",
    ),
    "legend": (
        "Legend: _(given)_ = from the answers file; _(derived from …)_ = computed from the scan report, "
        "confirm "
        "before filing; **[MISSING: …]** = still to be collected (answers key in brackets).",
        "Legenda: _(opgegeven)_ = uit het antwoordenbestand; _(afgeleid uit …)_ = berekend uit het "
        "scanrapport, "
        "controleer vóór het melden; **[ONTBREEKT: …]** = nog te verzamelen (sleutel in het "
        "antwoordenbestand "
        "tussen haakjes).",
    ),
    "deadline": ("Deadline (Art. 33(1) GDPR)", "Termijn (art. 33 lid 1 AVG)"),
    "aware": ("Aware since", "Bewust sinds"),
    "due": ("Notify the AP by (72 hours)", "Uiterlijk melden bij de AP (72 uur)"),
    "left": ("{h:.1f} hours left", "nog {h:.1f} uur"),
    "passed": (
        "the 72 hours have passed: answer question 4.5",
        "de 72 uur zijn verstreken: beantwoord vraag 4.5",
    ),
    "submitted_late": (
        "submitted after the 72 hours: answer question 4.5",
        "na de 72 uur ingediend: beantwoord vraag 4.5",
    ),
    "submitted_ok": ("submitted within the 72 hours", "binnen de 72 uur ingediend"),
    "advice": ("Decision support (proposal)", "Beslisondersteuning (voorstel)"),
    "notify_sa": ("Notify the AP", "Melden bij de AP"),
    "inform": ("Inform the people affected", "Betrokkenen informeren"),
    "risk": ("Risk", "Risico"),
    "because": ("Because", "Omdat"),
    "closest": ("Closest EDPB example", "Meest vergelijkbare EDPB-voorbeeld"),
    "todo": ("Still to collect", "Nog te verzamelen"),
    "todo_none": ("Nothing: every needed answer is given.", "Niets: alle benodigde antwoorden zijn gegeven."),
    "regular_note": (
        "bulk notifications are only for postal errors by members of the Pensioenfederatie, Verbond "
        "van Verzekeraars and NVB",
        "bulkmeldingen zijn alleen voor postfouten door leden van de "
        "Pensioenfederatie, het Verbond van Verzekeraars en de NVB",
    ),
    "nis2": (
        "If the organisation is an essential or important entity under NIS2, report the incident to the "
        "CSIRT "
        "as well (24 h early warning, 72 h notification).",
        "Is de organisatie een essentiële of belangrijke entiteit onder NIS2, meld het incident dan ook bij "
        "het "
        "CSIRT (vroegtijdige waarschuwing binnen 24 uur, melding binnen 72 uur).",
    ),
    "name": ("Name", "Naam"),
    "address": ("Address", "Adres"),
    "kvk": ("KvK number", "KvK-nummer"),
    "fg": ("DPO registration number", "FG-registratienummer"),
    "function": ("Function", "Functie"),
    "email": ("E-mail", "E-mail"),
    "phone": ("Phone", "Telefoon"),
    "is_dpo": ("Data protection officer", "Functionaris gegevensbescherming"),
    "countries": ("Countries", "Landen"),
    "start_first": ("first evidence of a successful attack", "eerste bewijs van een geslaagde aanval"),
    "start_earlier": ("An earlier start cannot be excluded", "Een eerder begin is niet uit te sluiten"),
    "exposed_since": (
        "vulnerable to {chain} since at least {t}",
        "kwetsbaar voor {chain} sinds ten minste {t}",
    ),
    "ongoing": ("not known to have ended", "niet bekend dat de inbreuk is beëindigd"),
    "why_webshell": ("a webshell was present in the evidence", "er stond een webshell op de server"),
    "why_vulnerable": (
        "the server was still vulnerable at the end of the evidence",
        "de server was aan het einde van het bewijs nog kwetsbaar",
    ),
    "gap": (
        "the logs start on {since}, after {chain} exploitation began ({began}): an earlier intrusion cannot "
        "show in them",
        "de logboeken beginnen pas op {since}, na het begin van het misbruik van {chain} "
        "({began}): een eerdere inbraak is er niet in te zien",
    ),
    "notify_sa_short": ("notify the AP", "melden bij de AP"),
    "inform_short": ("inform the people affected", "betrokkenen informeren"),
    "ended": ("ended", "beëindigd"),
    "discovered": ("First signal", "Eerste signaal"),
    "aware_q": (
        "Aware (reasonable certainty; starts the 72 hours)",
        "Bewust (redelijke mate van zekerheid; start van de 72 uur)",
    ),
    "how": ("How", "Hoe"),
    "records_note": ("Explanation", "Toelichting"),
    "count_more100": ("more than 100 people", "meer dan 100 personen"),
    "enisa": ("ENISA severity", "ENISA-ernst"),
    "enisa_range": (
        "ENISA severity cannot be computed yet; it lies between {lo} ({llo}) and {hi} ({lhi}). Missing: "
        "{missing}.",
        "De ENISA-ernst is nog niet te berekenen; hij ligt tussen {lo} ({llo}) en {hi} "
        "({lhi}). Ontbreekt: {missing}.",
    ),
    "ap_mapping": (
        "proposed from ENISA (Low → negligible, Medium → limited, High → significant, Very high → very "
        "large); you may argue for another level",
        "voorgesteld uit ENISA (Laag → verwaarloosbaar, "
        "Gemiddeld → beperkt, Hoog → aanzienlijk, Zeer hoog → zeer groot); u mag een ander niveau "
        "motiveren",
    ),
    "informed_advice": (
        "Decision support: inform the people affected: {x}.",
        "Beslisondersteuning: betrokkenen informeren: {x}.",
    ),
    "reason_if_not": ("Why not", "Waarom niet"),
    "planned": ("Planned", "Gepland"),
    "taken": ("Taken", "Getroffen"),
    "attachments": (
        "report.json of the lekdicht scan (SHA-256 {sha}); leave personal data of the people affected "
        "out of attachments as far as possible (AP)",
        "report.json van de lekdicht-scan (SHA-256 {sha}); "
        "laat persoonsgegevens van betrokkenen zo veel mogelijk weg uit bijlagen (AP)",
    ),
    "special_none": ("none", "geen"),
    "not_in_scope": (
        "Access to mailbox content was excluded: only the data below are in scope.",
        "Toegang tot de inhoud van mailboxen is uitgesloten: alleen onderstaande gegevens vallen binnen "
        "de inbreuk.",
    ),
    "scope_mail": ("Mailbox content", "Inhoud van mailboxen"),
    "scope_book": ("Address list", "Adresboek"),
    "scope_exfil": ("Data leaving the organisation", "Gegevens naar buiten gebracht"),
}


def t(key: str, lang: Lang, **kw: Any) -> str:
    """Text ``key`` in ``lang``, formatted with ``kw``."""
    en, nl = _T[key]
    return (en if lang == "en" else nl).format(**kw)


_TRIGGERS: dict[str, tuple[str, str]] = {
    "exfiltration": (
        "data left the organisation ({items}) with malicious intent",
        "gegevens zijn met kwade opzet naar buiten gebracht ({items})",
    ),
    "data": ("sensitive kinds of data: {items}", "gevoelige soorten gegevens: {items}"),
    "enisa": ("ENISA severity {items}", "ENISA-ernst {items}"),
    "vulnerable": ("vulnerable people: {items}", "kwetsbare personen: {items}"),
    "edpb_case": (
        "the closest EDPB case ({items}) informs the people affected and is more protective",
        "het meest vergelijkbare EDPB-voorbeeld ({items}) informeert de betrokkenen en is beschermender",
    ),
}


def trigger_text(code: str, items: tuple[str, ...], lang: Lang) -> str:
    """A high-risk trigger in ``lang``."""
    if code == "data":
        shown = [
            option("6.1", i, lang) if i in ap_form()["options"]["6.1"] else option("6.2", i, lang)
            for i in items
        ]
    elif code == "vulnerable":
        shown = [option("7.1", i, lang) for i in items]
    elif code == "edpb_case":
        shown = [f"01/2021 {'case' if lang == 'en' else 'casus'} {i}" for i in items]
    else:
        shown = [w(i, lang) for i in items]
    en, nl = _TRIGGERS.get(code, ("{items}", "{items}"))
    return (en if lang == "en" else nl).format(items=", ".join(shown))


def zone_of(a: BreachAssessment) -> tzinfo | None:
    """The zone for showing times: the answers' time zone, else that of the awareness time."""
    zone = a.answers.tz()
    aware = a.answers.get("timeline.aware_at")
    return zone or (aware.tzinfo if aware is not None else None)


def outcome_text(value: str, lang: Lang) -> str:
    """yes / no / undetermined / exempt / not applicable."""
    return w(value, lang)


def enisa_line(a: BreachAssessment, lang: Lang) -> str:
    """``SE = DPC 3 × EI 1 + CB 1.0 = 4.0 (Very high)`` or the range with what is missing."""
    s = a.severity
    if s.se is not None and s.level is not None:
        return (
            f"SE = DPC {s.dpc.points:g} × EI {s.ei.points:g} + CB {s.cb_total:g} = **{s.se:g}** "
            f"({w(s.level, lang)})"
        )
    return t(
        "enisa_range",
        lang,
        lo=f"{s.se_min:g}",
        llo=w(s.level_min, lang),
        hi=f"{s.se_max:g}",
        lhi=w(s.level_max, lang),
        missing=", ".join(s.missing),
    )


def _contact(a: BreachAssessment, prefix: str, lang: Lang, dpo: bool = False) -> list[str]:
    lines = [
        f"{t('name', lang)}: {show(a.answer(prefix + '.name'), lang, t('name', lang))}",
        f"{t('function', lang)}: "
        f"{show(a.answer(prefix + '.function'), lang, t('function', lang), optional=dpo)}",
        f"{t('email', lang)}: {show(a.answer(prefix + '.email'), lang, t('email', lang))}",
        f"{t('phone', lang)}: {show(a.answer(prefix + '.phone'), lang, t('phone', lang))}",
    ]
    if dpo:
        lines.append(
            f"{t('is_dpo', lang)}: {show(a.answer('contact.is_dpo'), lang, t('is_dpo', lang), optional=True)}"
        )
    return bullets(lines)


def _options(values: list[Value[str]], question: str, lang: Lang) -> list[str]:
    return bullets(f"{option(question, str(v.value), lang)}{tag(v, lang)}" for v in values)


def _list_answer(
    a: BreachAssessment, key: str, lang: Lang, label: str, question: str | None = None
) -> list[str]:
    v = a.answer(key)
    if v.is_missing:
        return [show(v, lang, label)]
    items = v.value or []
    if not items:
        return [f"{w('none', lang)}{tag(v, lang)}"]
    return bullets(f"{option(question, i, lang) if question else md(i)}{tag(v, lang)}" for i in items)


def _q11(a: BreachAssessment, lang: Lang) -> list[str]:
    v = derived("regular", "AP rules on bulk notifications (reference 2.1)", t("regular_note", lang))
    return [f"{option('1.1', 'regular', lang)}{tag(v, lang)} ({t('regular_note', lang)})"]


def _q12(a: BreachAssessment, lang: Lang) -> list[str]:
    return [show(a.answer("notification.legal_basis"), lang, "1.2", fmt=lambda x: option("1.2", x, lang))]


def _q13(a: BreachAssessment, lang: Lang) -> list[str]:
    return [*_list_answer(a, "notification.other_regulators", lang, "1.3"), "", t("nis2", lang)]


def _q211(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("notification.cross_border"), lang, "2.1.1")]
    if a.answers.get("notification.cross_border"):
        out.append(
            f"{t('countries', lang)}: " + show(a.answer("notification.countries"), lang, t("countries", lang))
        )
    return out


def _q221(a: BreachAssessment, lang: Lang) -> list[str]:
    opt = not a.answers.get("notification.cross_border")
    v = a.answer("notification.other_dpas")
    return [show(v, lang, "2.2.1", optional=opt)]


def _q311(a: BreachAssessment, lang: Lang) -> list[str]:
    return bullets(
        [
            f"{t('name', lang)}: {show(a.answer('organisation.name'), lang, t('name', lang))}",
            f"{t('address', lang)}: {show(a.answer('organisation.address'), lang, t('address', lang))}",
            f"{t('kvk', lang)}: {show(a.answer('organisation.kvk_number'), lang, t('kvk', lang))}",
            f"{t('fg', lang)}: "
            f"{show(a.answer('organisation.fg_registration'), lang, t('fg', lang), optional=True)}",
        ]
    )


def _q312(a: BreachAssessment, lang: Lang) -> list[str]:
    return [show(a.answer("organisation.sector"), lang, "3.1.2")]


def _q321(a: BreachAssessment, lang: Lang) -> list[str]:
    return _contact(a, "reporter", lang)


def _q322(a: BreachAssessment, lang: Lang) -> list[str]:
    return _contact(a, "contact", lang, dpo=True)


def _q33(a: BreachAssessment, lang: Lang) -> list[str]:
    return _list_answer(a, "other_organisations", lang, "3.3")


def _q411(a: BreachAssessment, lang: Lang) -> list[str]:
    zone = zone_of(a)
    out = [f"{show(a.breach_start, lang, '4.1.1', zone)} — {t('start_first', lang)}"]
    extra: list[str] = []
    for w_ in a.facts.exposure:
        if w_.exposed_from is not None:
            extra.append(
                t("exposed_since", lang, chain=md(w_.chain), t=fmt_time(w_.exposed_from, zone, lang))
                + tag(derived(None, w_.source), lang)
            )
    for gap in a.facts.start_limits:
        since = fmt_time(gap.visible_from, zone, lang) if gap.visible_from else "?"
        text = t("gap", lang, since=since, chain=md(gap.chain), began=md(gap.exploitation_start))
        extra.append(text + tag(derived(None, gap.source), lang))
    if extra:
        out += ["", f"{t('start_earlier', lang)}:", *bullets(extra)]
    return out


def _q412(a: BreachAssessment, lang: Lang) -> list[str]:
    end = a.breach_end
    if end.status == "given":
        return [f"{t('ended', lang)}: {show(end, lang, '4.1.2', zone_of(a))}"]
    if end.value is True:
        why = [t("why_webshell", lang)] if a.facts.webshells else []
        why += [t("why_vulnerable", lang)] if any(x.still_vulnerable for x in a.facts.exposure) else []
        return [
            f"{t('ongoing', lang)}{tag(end, lang)}: {'; '.join(why)}",
            missing_marker(t("ended", lang), "timeline.contained_at", lang, optional=True),
        ]
    return [show(a.answer("timeline.contained_at"), lang, "4.1.2", zone_of(a))]


def _q42(a: BreachAssessment, lang: Lang) -> list[str]:
    zone = zone_of(a)
    out = bullets(
        [
            f"{t('discovered', lang)}: "
            f"{show(a.answer('timeline.discovered_at'), lang, t('discovered', lang), zone)}",
            f"{t('aware_q', lang)}: {show(a.answer('timeline.aware_at'), lang, t('aware_q', lang), zone)}",
        ]
    )
    note = a.answer("timeline.aware_note")
    if not note.is_missing:
        out.append(f"  {show(note, lang, '')}")
    return out


def _q43(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("timeline.how_discovered"), lang, "4.3", fmt=lambda x: md(w(str(x), lang)))]
    note = a.answer("timeline.how_discovered_note")
    if not note.is_missing:
        out.append(show(note, lang, ""))
    return out


def _q45(a: BreachAssessment, lang: Lang) -> list[str]:
    return [show(a.answer("notification.late_reason"), lang, "4.5")]


def _q51(a: BreachAssessment, lang: Lang) -> list[str]:
    out = _options(a.nature_options, "5.1", lang)
    for key in ("impact.integrity", "impact.availability"):
        if a.answer(key).is_missing:
            out.append(show(a.answer(key), lang, key))
    return out or [w("none", lang)]


def _q52(a: BreachAssessment, lang: Lang) -> list[str]:
    return [show(a.incident_type, lang, "5.2", fmt=lambda x: option("5.2", str(x), lang))]


def describe(a: BreachAssessment, lang: Lang) -> list[str]:
    """A plain summary of the breach from the scan's facts (5.3); attacker text escaped."""
    f = a.facts
    zone = zone_of(a)
    host = md(f.hostname.value) if f.hostname.value else "?"
    build = md(f.build.value) if f.build.value else "?"
    cves = [md(c, 40) for c in sorted({c for w_ in f.exposure for c in w_.cves if c})]
    exploited = [s for s in f.sessions if s.verdict == "exploited"]
    out: list[str] = []
    if f.verdict.value == "compromised":
        first = fmt_time(f.first_exploit.value, zone, lang) if f.first_exploit.value else "?"
        last = fmt_time(f.last_exploit.value, zone, lang) if f.last_exploit.value else "?"
        if lang == "nl":
            out.append(
                f"Op de on-premises Microsoft Exchange-server {host} (build {build}) is ingebroken door "
                "misbruik van "
                f"bekende kwetsbaarheden ({', '.join(cves) or 'zie bijlage'}). Eerste bewijs van een "
                "geslaagde aanval: "
                f"{first}; laatste: {last}. Aanvallers vanaf {len(exploited)} IP-adres(sen)."
            )
        else:
            out.append(
                f"The on-premises Microsoft Exchange server {host} (build {build}) was broken into through "
                "known "
                f"vulnerabilities ({', '.join(cves) or 'see attachment'}). First evidence of a successful "
                "attack: "
                f"{first}; last: {last}. Attackers from {len(exploited)} IP address(es)."
            )
        if f.webshells:
            paths = ", ".join(md(w_.value, 160) for w_ in f.webshells[:3])
            out.append(
                (
                    "Er is een webshell (achterdeur) aangetroffen: "
                    if lang == "nl"
                    else "A webshell (backdoor) was found: "
                )
                + paths
                + "."
            )
        if f.credential_theft:
            out.append(
                "Inloggegevens zijn van de server buitgemaakt (geheugendump van LSASS)."
                if lang == "nl"
                else "Credentials were taken from the server (LSASS memory dump)."
            )
        de = f.data_exposure
        if de.assessed:
            out.append(
                ("Uit de logboeken: " if lang == "nl" else "From the logs: ")
                + (
                    f"{len(de.mailboxes_read)} mailbox(en) gelezen, {len(de.exports)} geëxporteerd, "
                    "adresboek "
                    f"{de.address_book_downloads} keer gedownload, {len(de.mail_flow)} doorstuurregel(s)."
                    if lang == "nl"
                    else f"{len(de.mailboxes_read)} mailbox(es) read, {len(de.exports)} exported, address "
                    "book downloaded "
                    f"{de.address_book_downloads} time(s), {len(de.mail_flow)} forwarding rule(s)."
                )
            )
        for key, label in (
            ("mailbox_content", "scope_mail"),
            ("address_list", "scope_book"),
            ("exfiltration", "scope_exfil"),
        ):
            v = a.scope[key]
            out.append(f"{t(label, lang)}: **{w(str(v.value), lang)}**{tag(v, lang)}")
    else:
        verdict = md(f.verdict.value or "?")
        out.append(
            f"Uitkomst van de scan van {host}: {verdict}. Er is geen toegang tot persoonsgegevens "
            "vastgesteld."
            if lang == "nl"
            else f"Outcome of the scan of {host}: {verdict}. No access to personal data was established."
        )
    return out


def _q53(a: BreachAssessment, lang: Lang) -> list[str]:
    return [*bullets(describe(a, lang)), "", f"_({w('derived', lang)} report.json)_"]


def _q54(a: BreachAssessment, lang: Lang) -> list[str]:
    return [t("attachments", lang, sha=a.facts.report_sha256 or "?")]


def _q61(a: BreachAssessment, lang: Lang) -> list[str]:
    out: list[str] = []
    if a.categories_note:
        out.append(t("not_in_scope", lang))
    out += _options(list(a.categories.values()), "6.1", lang)
    if a.scope["mailbox_content"].value != "excluded" and a.answer("personal_data.categories").is_missing:
        out.append(show(a.answer("personal_data.categories"), lang, "6.1"))
    return out or [w("none", lang)]


def _q62(a: BreachAssessment, lang: Lang) -> list[str]:
    if a.scope["mailbox_content"].value == "excluded":
        return [w("none", lang)]
    v = a.answer("personal_data.special_categories")
    if v.is_missing:
        return [show(v, lang, "6.2")]
    if not a.special_categories:
        return [f"{t('special_none', lang)}{tag(v, lang)}"]
    return _options(list(a.special_categories.values()), "6.2", lang)


def _q631(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("personal_data.records"), lang, "6.3.1")]
    note = a.answer("personal_data.records_note")
    if not note.is_missing:
        out.append(f"{t('records_note', lang)}: {show(note, lang, '')}")
    return out


def _q71(a: BreachAssessment, lang: Lang) -> list[str]:
    return _list_answer(a, "data_subjects.groups", lang, "7.1", "7.1")


def _q72(a: BreachAssessment, lang: Lang) -> list[str]:
    return [show(a.answer("data_subjects.description"), lang, "7.2")]


def _q73(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("data_subjects.count"), lang, "7.3")]
    flag = a.flags["more_than_100_individuals"]
    if flag.value:
        out.append(f"({t('count_more100', lang)})")
    return out


def _q81(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("personal_data.protection"), lang, "8.1", fmt=lambda x: option("8.1", str(x), lang))]
    note = a.answer("personal_data.protection_note")
    if not note.is_missing:
        out.append(show(note, lang, ""))
    return out


def _q91(a: BreachAssessment, lang: Lang) -> list[str]:
    return _options(a.consequences_controller, "9.1", lang) or [w("none", lang)]


def _q92(a: BreachAssessment, lang: Lang) -> list[str]:
    out = _options(a.consequences_subjects, "9.2", lang) or [w("none", lang)]
    narrative = a.answer("impact.narrative")
    if not narrative.is_missing:
        out += ["", show(narrative, lang, "")]
    return out


def _q93(a: BreachAssessment, lang: Lang) -> list[str]:
    lvl = a.ap_level
    out = [show(lvl, lang, "9.3", fmt=lambda x: f"**{option('9.3', str(x), lang)}**")]
    if lvl.status == "derived":
        out.append(f"({t('ap_mapping', lang)})")
    reason = a.answer("severity.reason")
    if not reason.is_missing:
        out.append(show(reason, lang, ""))
    out.append(f"{t('enisa', lang)}: {enisa_line(a, lang)}")
    return out


def _q1011(a: BreachAssessment, lang: Lang) -> list[str]:
    out = [show(a.answer("communication.status"), lang, "10.1.1", fmt=lambda x: md(w(str(x), lang)))]
    if a.answers.get("communication.status") == "not_planned" or a.answers.has("communication.reason_if_not"):
        out.append(
            f"{t('reason_if_not', lang)}: {show(a.answer('communication.reason_if_not'), lang, '10.1.1')}"
        )
    out.append(t("informed_advice", lang, x=outcome_text(a.decision.inform_subjects, lang)))
    return out


def _q1013(a: BreachAssessment, lang: Lang) -> list[str]:
    opt = a.answers.get("communication.status") not in ("done", "planned")
    return [show(a.answer("communication.count"), lang, "10.1.3", optional=opt)]


def _q1017(a: BreachAssessment, lang: Lang) -> list[str]:
    v = a.answer("communication.channels")
    if v.is_missing:
        opt = a.answers.get("communication.status") not in ("done", "planned")
        return [show(v, lang, "10.1.7", optional=opt)]
    return _list_answer(a, "communication.channels", lang, "10.1.7", "10.1.7")


def _q102(a: BreachAssessment, lang: Lang) -> list[str]:
    return [
        f"{t('taken', lang)}:",
        *_list_answer(a, "measures.taken", lang, "10.2"),
        "",
        f"{t('planned', lang)}:",
        *(
            _list_answer(a, "measures.planned", lang, "10.2")
            if a.answers.has("measures.planned")
            else [show(a.answer("measures.planned"), lang, "10.2", optional=True)]
        ),
    ]


ANSWERS: dict[str, Callable[[BreachAssessment, Lang], list[str]]] = {
    "1.1": _q11,
    "1.2": _q12,
    "1.3": _q13,
    "2.1.1": _q211,
    "2.2.1": _q221,
    "3.1.1": _q311,
    "3.1.2": _q312,
    "3.2.1": _q321,
    "3.2.2": _q322,
    "3.3": _q33,
    "4.1.1": _q411,
    "4.1.2": _q412,
    "4.2": _q42,
    "4.3": _q43,
    "4.5": _q45,
    "5.1": _q51,
    "5.2": _q52,
    "5.3": _q53,
    "5.4": _q54,
    "6.1": _q61,
    "6.2": _q62,
    "6.3.1": _q631,
    "7.1": _q71,
    "7.2": _q72,
    "7.3": _q73,
    "8.1": _q81,
    "9.1": _q91,
    "9.2": _q92,
    "9.3": _q93,
    "10.1.1": _q1011,
    "10.1.3": _q1013,
    "10.1.7": _q1017,
    "10.2": _q102,
}


def deadline_lines(a: BreachAssessment, lang: Lang) -> list[str]:
    """The 72-hour clock as bullets."""
    zone = zone_of(a)
    dl = a.deadline
    if dl is None:
        return [missing_marker(t("aware", lang), "timeline.aware_at", lang)]
    if dl.notified_at is not None:
        state = t("submitted_late", lang) if dl.late else t("submitted_ok", lang)
    elif dl.passed:
        state = t("passed", lang)
    else:
        state = t("left", lang, h=dl.hours_left)
    return bullets(
        [
            f"{t('aware', lang)}: {fmt_time(dl.aware_at, zone, lang)} _({w('given', lang)})_",
            f"{t('due', lang)}: **{fmt_time(dl.deadline, zone, lang)}** — {state}",
        ]
    )


def advice_lines(a: BreachAssessment, lang: Lang) -> list[str]:
    """Decision outcome, its reasons and the closest EDPB case."""
    d = a.decision
    out = bullets(
        [
            f"{t('notify_sa', lang)}: **{outcome_text(d.notify_sa, lang)}**",
            f"{t('inform', lang)}: **{outcome_text(d.inform_subjects, lang)}**",
            f"{t('risk', lang)}: {w(d.risk, lang)}",
        ]
    )
    if d.triggers:
        out.append(
            f"- {t('because', lang)}: " + "; ".join(trigger_text(x.code, x.items, lang) for x in d.triggers)
        )
    if d.analogue:
        c = d.analogue.case
        out.append(
            f"- {t('closest', lang)}: 01/2021 {'case' if lang == 'en' else 'casus'} {c.id}, {md(c.title)} "
            f"({t('notify_sa_short', lang)}: {w('yes' if c.notify_sa else 'no', lang)}; "
            f"{t('inform_short', lang)}: {w('yes' if c.inform_subjects else 'no', lang)})"
        )
    return out


def paragraphs(lines: list[str]) -> list[str]:
    """Separate consecutive plain lines with blank lines (list items stay together)."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        prev_listy = prev.startswith(("- ", "  "))
        listy = line.startswith(("- ", "  "))
        if prev and line and not prev.endswith(":") and not (listy and prev_listy):
            out.append("")
        out.append(line)
    return out


def render_ap_form(a: BreachAssessment, lang: Lang) -> str:
    """The AP form pre-fill as Markdown in ``lang``."""
    form = ap_form()
    f = a.facts
    lines = [
        f"# {t('title', lang)}",
        "",
        f"> {t('not_a_notification', lang, url=form['form_url'])}",
        "",
        t(
            "made",
            lang,
            now=fmt_time(a.generated_at, zone_of(a), lang),
            version=__version__,
            report=md(f.report_path.name if f.report_path else "report.json"),
            sha=f.report_sha256 or "?",
        ),
        "",
        t("legend", lang),
        "",
        f"## {t('deadline', lang)}",
        "",
        *deadline_lines(a, lang),
        "",
        f"## {t('advice', lang)}",
        "",
        *advice_lines(a, lang),
        "",
        f"## {t('todo', lang)}",
        "",
    ]
    if a.missing:
        lines += bullets(f"{md(m.label)} — `{m.key}`" + (f" (AP {m.ap})" if m.ap else "") for m in a.missing)
    else:
        lines.append(t("todo_none", lang))
    late = a.deadline is not None and a.deadline.needs_late_reason
    for chapter in form["chapters"]:
        lines += ["", f"## {chapter['number']} {chapter[lang]}"]
        for q in chapter["questions"]:
            if q.get("when_late") and not late:
                continue
            gdpr = f" _(art. {q['gdpr']} {'GDPR' if lang == 'en' else 'AVG'})_" if q.get("gdpr") else ""
            lines += ["", f"### {q['id']} {q[lang]}{gdpr}", ""]
            lines += paragraphs(ANSWERS[q["id"]](a, lang))
    return "\n".join(lines).rstrip() + "\n"
