"""Draft message to the people affected (Art. 34), answering the AP's four questions (NL or EN).

1. What happened? 2. What are the likely consequences? 3. What have we done? 4. What can you do?
Plus the contact point (Art. 34(2)). Clear and plain language, an alarming subject line, short; a
follow-up when more is known (AP, 2024). Missing values are marked inline; the provenance of every
value used is listed at the end, in a block to remove before sending.
"""

from __future__ import annotations

from typing import Any

from lekdicht.breach.assessment import HIGH_RISK_DATA, BreachAssessment
from lekdicht.breach.drafts.apform import outcome_text, trigger_text, zone_of
from lekdicht.breach.drafts.common import Lang, bullets, missing_marker, option, show, tag
from lekdicht.breach.provenance import Value
from lekdicht.breach.textsafe import md

VICTIM_PAGE = "https://autoriteitpersoonsgegevens.nl/themas/beveiliging/datalekken/slachtoffer-van-een-datalek-dit-kunt-u-doen"

_T: dict[str, tuple[str, str]] = {
    "title": ("Draft: message to the people affected", "Concept: bericht aan de betrokkenen"),
    "note": (
        "Draft notes (remove before sending). Decision support: inform the people affected: **{x}**{why}. "
        "Send the "
        "message directly and separately (not inside a newsletter), in plain language; send a short first "
        "message "
        "now and a follow-up when more is known. Check every filled-in value; the sources are listed at the "
        "end.",
        "Conceptnotities (verwijderen vóór verzending). Beslisondersteuning: betrokkenen informeren: "
        "**{x}**{why}. "
        "Stuur het bericht rechtstreeks en apart (niet in een nieuwsbrief), in gewone taal; stuur nu een "
        "kort eerste "
        "bericht en later een aanvulling als er meer bekend is. Controleer elke ingevulde waarde; de "
        "bronnen staan "
        "onderaan.",
    ),
    "subject": ("Subject", "Onderwerp"),
    "subject_text": (
        "Important: criminals may have your data from the e-mail of {org}",
        "Belangrijk: criminelen hebben mogelijk uw gegevens uit de e-mail van {org}",
    ),
    "dear": ("Dear Sir or Madam,", "Beste heer, mevrouw,"),
    "q1": ("What happened?", "Wat is er gebeurd?"),
    "q2": ("What does this mean for you?", "Wat betekent dit voor u?"),
    "q3": ("What have we done?", "Wat hebben wij gedaan?"),
    "q4": ("What can you do yourself?", "Wat kunt u zelf doen?"),
    "q5": ("Questions?", "Vragen?"),
    "happened": (
        "Criminals broke into our e-mail server (Microsoft Exchange) through a security flaw. The first "
        "sign of "
        "the break-in dates from {start}. We established on {aware} that personal data were affected.",
        "Criminelen zijn via een beveiligingslek binnengedrongen in onze e-mailserver (Microsoft Exchange). "
        "Het "
        "eerste spoor van de inbraak is van {start}. Op {aware} hebben wij vastgesteld dat persoonsgegevens "
        "zijn "
        "getroffen.",
    ),
    "mail_confirmed": (
        "The attackers read or copied e-mail from mailboxes on that server.",
        "De aanvallers hebben e-mail uit mailboxen op die server gelezen of gekopieerd.",
    ),
    "mail_possible": (
        "The attackers could read all e-mail on that server; we cannot rule out that they did.",
        "De aanvallers konden alle e-mail op die server lezen; wij kunnen niet uitsluiten dat zij dat "
        "hebben gedaan.",
    ),
    "book": (
        "They downloaded our address list (names, e-mail addresses, phone numbers, job titles).",
        "Zij hebben ons adresboek gedownload (namen, e-mailadressen, telefoonnummers, functies).",
    ),
    "book_possible": (
        "They could also copy our address list (names, e-mail addresses, phone numbers, job titles).",
        "Zij konden ook ons adresboek kopiëren (namen, e-mailadressen, telefoonnummers, functies).",
    ),
    "creds": (
        "Passwords of accounts that were used on the server may have been stolen.",
        "Wachtwoorden van accounts die op de server zijn gebruikt, zijn mogelijk gestolen.",
    ),
    "data": ("This concerns the following data about you:", "Het gaat om de volgende gegevens over u:"),
    "cons_phishing": (
        "You may receive e-mails, text messages or calls that look genuine because they use real names and "
        "real "
        "correspondence (phishing).",
        "U kunt e-mails, sms'jes of telefoontjes krijgen die echt lijken, omdat ze echte namen en echte "
        "correspondentie gebruiken (phishing).",
    ),
    "cons_fraud": (
        "Criminals may try invoice or payment fraud, for example with a 'changed bank account number'.",
        "Criminelen kunnen fraude proberen met facturen of betaalverzoeken, bijvoorbeeld met een "
        "'gewijzigd rekeningnummer'.",
    ),
    "cons_identity": (
        "With identity or financial data, criminals may try identity fraud in your name.",
        "Met identiteits- of financiële gegevens kunnen criminelen identiteitsfraude op uw naam proberen.",
    ),
    "cons_special": (
        "Sensitive information about you (such as health data) may have been seen by strangers.",
        "Gevoelige informatie over u (zoals gezondheidsgegevens) kan door onbekenden zijn ingezien.",
    ),
    "cons_hands": (
        "The data are in the hands of criminals; we do not know whether they will pass them on.",
        "De gegevens zijn in handen van criminelen; wij weten niet of zij ze verder verspreiden.",
    ),
    "did_ap": (
        "We report the breach to the Autoriteit Persoonsgegevens (the Dutch data protection authority).",
        "Wij melden het datalek bij de Autoriteit Persoonsgegevens.",
    ),
    "did_ap_on": (
        "We reported the breach to the Autoriteit Persoonsgegevens on {t}.",
        "Wij hebben het datalek op {t} gemeld bij de Autoriteit Persoonsgegevens.",
    ),
    "do_phishing": (
        "Be alert to unexpected messages, even from senders you know: do not click links or open "
        "attachments you did not expect.",
        "Wees alert op onverwachte berichten, ook van afzenders die u "
        "kent: klik niet op links en open geen bijlagen die u niet verwachtte.",
    ),
    "do_check": (
        "Check requests to pay or to change a bank account number by phone, using a number you look up "
        "yourself.",
        "Controleer verzoeken om te betalen of om een rekeningnummer te wijzigen telefonisch, "
        "via een nummer dat u zelf opzoekt.",
    ),
    "do_password": (
        "If you used the same password elsewhere, change it there too.",
        "Gebruikt u hetzelfde wachtwoord ook ergens anders? Wijzig het daar ook.",
    ),
    "do_id": (
        "Watch your bank statements; if your ID document was involved, you can report this to the "
        "authorities that issued it.",
        "Let op uw bankafschriften; als uw identiteitsbewijs erbij zat, kunt u "
        "dat melden bij de instantie die het heeft uitgegeven.",
    ),
    "do_more": ("More advice: {url}", "Meer tips: {url}"),
    "contact": ("Contact point", "Contactpersoon"),
    "regards": ("Kind regards,", "Met vriendelijke groet,"),
    "sources": (
        "Sources of the filled-in values (remove before sending)",
        "Herkomst van de ingevulde gegevens (verwijderen vóór verzending)",
    ),
}


def t(key: str, lang: Lang, **kw: Any) -> str:
    """Text ``key`` in ``lang``."""
    en, nl = _T[key]
    return (en if lang == "en" else nl).format(**kw)


def render_notice(a: BreachAssessment, lang: Lang) -> str:
    """The message to the people affected as Markdown in ``lang``."""
    zone = zone_of(a)
    used: list[tuple[str, Value[Any]]] = []

    def use(label: str, v: Value[Any], optional: bool = False) -> str:
        used.append((label, v))
        return show(v, lang, label, zone, optional=optional, with_tag=False)

    d = a.decision
    why = ""
    if d.triggers:
        why = " (" + "; ".join(trigger_text(x.code, x.items, lang) for x in d.triggers) + ")"
    org = use("organisation.name", a.answer("organisation.name"))
    start = use("4.1.1", a.breach_start)
    aware = use("timeline.aware_at", a.answer("timeline.aware_at"))
    lines = [
        f"# {t('title', lang)}",
        "",
        f"> {t('note', lang, x=outcome_text(d.inform_subjects, lang), why=why)}",
        "",
        f"**{t('subject', lang)}:** {t('subject_text', lang, org=org)}",
        "",
        t("dear", lang),
        "",
        f"## {t('q1', lang)}",
        "",
        t("happened", lang, start=start, aware=aware),
    ]
    mailbox, book = a.scope["mailbox_content"], a.scope["address_list"]
    used += [("scope.mailbox_content", mailbox), ("scope.address_list", book)]
    story = []
    if mailbox.value == "confirmed":
        story.append(t("mail_confirmed", lang))
    elif mailbox.value == "not_excluded":
        story.append(t("mail_possible", lang))
    if book.value == "confirmed":
        story.append(t("book", lang))
    elif book.value == "not_excluded":
        story.append(t("book_possible", lang))
    if "access_credentials" in a.categories:
        story.append(t("creds", lang))
    lines += ["", " ".join(story)] if story else []
    data = [option("6.1", k, lang) for k in a.categories] + [
        option("6.2", k, lang) for k in a.special_categories
    ]
    used += [(f"6.1 {k}", v) for k, v in a.categories.items()] + [
        (f"6.2 {k}", v) for k, v in a.special_categories.items()
    ]
    lines += ["", t("data", lang)]
    lines += bullets(data) if data else []
    cats_missing = a.answer("personal_data.categories")
    if cats_missing.is_missing and mailbox.value != "excluded":
        lines += bullets([missing_marker("6.1", "personal_data.categories", lang)])
    lines += ["", f"## {t('q2', lang)}", ""]
    cons = [t("cons_phishing", lang)]
    subj = {str(v.value) for v in a.consequences_subjects}
    if "financial_loss" in subj:
        cons.append(t("cons_fraud", lang))
    if any(k in a.categories for k in HIGH_RISK_DATA if k != "access_credentials"):
        cons.append(t("cons_identity", lang))
    if a.special_categories or "criminal" in a.categories:
        cons.append(t("cons_special", lang))
    cons.append(t("cons_hands", lang))
    lines += bullets(cons)
    narrative = a.answer("impact.narrative")
    if not narrative.is_missing:
        lines += ["", use("impact.narrative", narrative)]
    lines += ["", f"## {t('q3', lang)}", ""]
    taken = a.answer("measures.taken")
    used.append(("measures.taken", taken))
    did = [md(x) for x in taken.value or []] if not taken.is_missing else [show(taken, lang, "10.2")]
    planned = a.answer("measures.planned")
    if not planned.is_missing:
        used.append(("measures.planned", planned))
        did += [md(x) for x in planned.value or []]
    notified = a.answer("notification.notified_at")
    if not notified.is_missing:
        did.append(t("did_ap_on", lang, t=use("notification.notified_at", notified)))
    elif d.notify_sa == "yes":
        did.append(t("did_ap", lang))
    lines += bullets(did)
    lines += ["", f"## {t('q4', lang)}", ""]
    advice = [t("do_phishing", lang), t("do_check", lang)]
    if "access_credentials" in a.categories or "employees" in (a.answers.get("data_subjects.groups") or []):
        advice.append(t("do_password", lang))
    if any(k in a.categories for k in ("id_documents", "bsn", "iban", "credit_card", "financial")):
        advice.append(t("do_id", lang))
    extra = a.answer("measures.advice_for_subjects")
    if not extra.is_missing:
        used.append(("measures.advice_for_subjects", extra))
        advice += [md(x) for x in extra.value or []]
    advice.append(t("do_more", lang, url=f"<{VICTIM_PAGE}>"))
    lines += bullets(advice)
    lines += ["", f"## {t('q5', lang)}", "", f"{t('contact', lang)}:"]
    lines += bullets(
        [
            use("contact.name", a.answer("contact.name")),
            use("contact.function", a.answer("contact.function"), optional=True),
            use("contact.email", a.answer("contact.email")),
            use("contact.phone", a.answer("contact.phone")),
        ]
    )
    lines += ["", t("regards", lang), "", org, "", "---", "", f"_{t('sources', lang)}:_", ""]
    for label, v in used:
        if v.is_missing:
            lines.append(f"- {md(label)}: {missing_marker(label, v.source.removeprefix('answers: '), lang)}")
        else:
            lines.append(f"- {md(label)}:{tag(v, lang)}")
    return "\n".join(lines).rstrip() + "\n"
