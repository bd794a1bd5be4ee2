"""Plain-language wording shared by the terminal summary and the HTML report, in Dutch and English.

One place for the verdict words and the advice per verdict, so every output says the same thing.
"""

from __future__ import annotations

from typing import Final

LANGS: Final = ("nl", "en")

VERDICTS: Final = ("compromised", "inconclusive", "attempted", "vulnerable", "clean")

VERDICT_LABEL: Final[dict[str, dict[str, str]]] = {
    "en": {
        "compromised": "COMPROMISED",
        "inconclusive": "INCONCLUSIVE",
        "attempted": "ATTACKED, NO SIGN OF SUCCESS",
        "vulnerable": "VULNERABLE",
        "clean": "CLEAN",
    },
    "nl": {
        "compromised": "GEHACKT",
        "inconclusive": "GEEN DUIDELIJK ANTWOORD",
        "attempted": "AANGEVALLEN, GEEN TEKEN VAN SUCCES",
        "vulnerable": "KWETSBAAR",
        "clean": "SCHOON",
    },
}

VERDICT_SENTENCE: Final[dict[str, dict[str, str]]] = {
    "en": {
        "compromised": "This server was broken into.",
        "inconclusive": "The evidence does not allow a clear answer; see the reasons below.",
        "attempted": "Attackers tried to break in; the evidence shows no successful intrusion.",
        "vulnerable": "No intrusion found, but the server is not patched.",
        "clean": "No sign of an intrusion in the evidence scanned.",
    },
    "nl": {
        "compromised": "Op deze server is ingebroken.",
        "inconclusive": "Het bewijs geeft geen duidelijk antwoord; zie de redenen hieronder.",
        "attempted": "Aanvallers hebben geprobeerd in te breken; het bewijs toont geen geslaagde inbraak.",
        "vulnerable": "Geen inbraak gevonden, maar de server mist beveiligingsupdates.",
        "clean": "Geen teken van een inbraak in het onderzochte bewijs.",
    },
}

ADVICE: Final[dict[str, dict[str, list[str]]]] = {
    "en": {
        "compromised": [
            "Treat the server as compromised: disconnect it from the internet (block ports 443/80) now.",
            "Do not delete anything yet: preserve the evidence (this case folder, logs, web folders).",
            "Call an incident responder; passwords used on this server must be considered stolen.",
            "Mail may have been read or copied: start the data-breach assessment "
            "(72-hour deadline in the EU).",
            "Patch to the latest Exchange update only after evidence is preserved; "
            "patching does not remove backdoors.",
        ],
        "inconclusive": [
            "Have a specialist review the findings in report.json / findings.jsonl.",
            "Collect older logs if you have them (backups) and scan again.",
            "Install the latest Exchange security update.",
        ],
        "attempted": [
            "Install the latest Exchange security update today if you have not already.",
            "Review the attacker addresses below and block them at the firewall.",
            "Scan again after patching and keep the logs: attempts often come back.",
        ],
        "vulnerable": [
            "Install the latest Exchange security update today.",
            "Until then, apply Microsoft's temporary mitigations for the open vulnerabilities.",
            "Scan again after patching: an intrusion before the logs begin cannot show in this scan.",
        ],
        "clean": [
            "Keep Exchange on the latest security update.",
            "Keep at least 90 days of Exchange and IIS logs so a future check can see further back.",
            "A clean result covers only the period of the logs scanned: check the log coverage.",
        ],
    },
    "nl": {
        "compromised": [
            "Behandel de server als gehackt: koppel hem nu los van internet (blokkeer poort 443/80).",
            "Verwijder nog niets: bewaar het bewijs (deze zaakmap, de logbestanden, de webmappen).",
            "Schakel een incidentresponder in; wachtwoorden die op deze server zijn gebruikt, "
            "moeten als gestolen worden beschouwd.",
            "Mail kan zijn gelezen of gekopieerd: begin met de beoordeling van het datalek "
            "(meldtermijn 72 uur in de EU).",
            "Installeer de nieuwste Exchange-update pas nadat het bewijs is veiliggesteld; "
            "een update verwijdert geen achterdeurtjes.",
        ],
        "inconclusive": [
            "Laat een specialist de bevindingen in report.json / findings.jsonl beoordelen.",
            "Verzamel oudere logbestanden als u die hebt (back-ups) en scan opnieuw.",
            "Installeer de nieuwste beveiligingsupdate voor Exchange.",
        ],
        "attempted": [
            "Installeer vandaag de nieuwste beveiligingsupdate voor Exchange, als dat nog niet is gebeurd.",
            "Bekijk de adressen van de aanvallers hieronder en blokkeer ze in de firewall.",
            "Scan opnieuw na het bijwerken en bewaar de logbestanden: aanvallers komen vaak terug.",
        ],
        "vulnerable": [
            "Installeer vandaag de nieuwste beveiligingsupdate voor Exchange.",
            "Pas tot die tijd de tijdelijke maatregelen van Microsoft toe voor de open kwetsbaarheden.",
            "Scan opnieuw na het bijwerken: een inbraak van vóór het begin van de logbestanden "
            "is in deze scan niet te zien.",
        ],
        "clean": [
            "Houd Exchange bij met de nieuwste beveiligingsupdate.",
            "Bewaar ten minste 90 dagen Exchange- en IIS-logbestanden, zodat een latere controle "
            "verder terug kan kijken.",
            "Een schone uitslag geldt alleen voor de periode van de onderzochte logbestanden: "
            "bekijk de logdekking.",
        ],
    },
}

UNSUPPORTED_ADVICE: Final[dict[str, str]] = {
    "en": "This Exchange version no longer receives security updates: plan the move to a supported "
    "version (Exchange Server SE or Exchange Online).",
    "nl": "Deze Exchange-versie krijgt geen beveiligingsupdates meer: plan de overstap naar een "
    "ondersteunde versie (Exchange Server SE of Exchange Online).",
}
"""Added to the advice when the build is out of support and the list has room."""

TIER_LABEL: Final[dict[str, dict[str, str]]] = {
    "en": {
        "exploited": "intrusion",
        "suspicious": "suspicious",
        "attempted": "attempt",
        "probe": "scan/probe",
        "info": "information",
    },
    "nl": {
        "exploited": "inbraak",
        "suspicious": "verdacht",
        "attempted": "poging",
        "probe": "scan/verkenning",
        "info": "informatie",
    },
}
"""Short words for the finding tiers (``Finding.verdict``)."""


def lang_or_default(lang: str) -> str:
    """``lang`` if it is a supported language, else English."""
    return lang if lang in LANGS else "en"
