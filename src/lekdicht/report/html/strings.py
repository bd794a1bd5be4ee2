"""Fixed text of the HTML report in English and Dutch (verdict words and advice live in ``wording``)."""

from __future__ import annotations

from typing import Final

# key: (English, Dutch). Placeholders use str.format names; values put into them are escaped first.
_TEXT: Final[dict[str, tuple[str, str]]] = {
    # page
    "title": ("Exchange compromise assessment", "Onderzoek naar inbraak op Exchange"),
    "report_for": ("Report for {host}", "Rapport voor {host}"),
    "unknown_host": ("an unknown host", "een onbekende server"),
    "footer": (
        "Made by lekdicht {version} from report.json (schema {schema}). Text from the evidence "
        "(addresses, user agents, file names, log lines) is shown as plain text.",
        "Gemaakt door lekdicht {version} uit report.json (schema {schema}). Tekst uit het bewijs "
        "(adressen, user agents, bestandsnamen, logregels) wordt als platte tekst getoond.",
    ),
    "print_hint": (
        "Printing (or saving as PDF) shows the reasons, sessions and CVE lists in full; evidence lines "
        "only for the groups you opened.",
        "Bij afdrukken (of opslaan als pdf) staan de redenen, sessies en CVE-lijsten er volledig in; "
        "bewijsregels alleen van de groepen die u hebt opengeklapt.",
    ),
    "contents": ("Contents", "Inhoud"),
    # section titles
    "s_top": ("Verdict", "Oordeel"),
    "s_server": ("Server", "Server"),
    "s_taken": ("What was taken", "Wat is er buitgemaakt"),
    "s_breach": ("Data-breach assessment", "Beoordeling datalek"),
    "s_findings": ("Findings", "Bevindingen"),
    "s_timeline": ("Timeline", "Tijdlijn"),
    "s_evidence": ("Evidence and errors", "Bewijs en fouten"),
    # top
    "todo": ("What to do now", "Wat u nu moet doen"),
    "counts": ("Findings per kind", "Bevindingen per soort"),
    "no_findings_short": ("no findings", "geen bevindingen"),
    "why": ("Why this verdict", "Waarom dit oordeel"),
    "why_lang_note": ("", "De onderbouwing hieronder komt rechtstreeks uit de analyse en is in het Engels."),
    "coverage": ("Log coverage", "Logdekking"),
    "coverage_span": (
        "The logs cover {start} to {end} (UTC).",
        "De logbestanden beslaan {start} tot en met {end} (UTC).",
    ),
    "coverage_none": (
        "The evidence holds no log with timestamps: the scan cannot show when anything happened.",
        "Het bewijs bevat geen logbestanden met tijdstempels: de scan kan niet laten zien wanneer "
        "iets gebeurde.",
    ),
    "family": ("Log family", "Soort logbestand"),
    "files": ("Files", "Bestanden"),
    "first": ("First", "Eerste"),
    "last": ("Last", "Laatste"),
    "chain": ("Attack wave", "Aanvalsgolf"),
    "chain_began": ("exploitation began {date}", "aanvallen begonnen {date}"),
    "chain_status": ("Can the logs show it?", "Kunnen de logbestanden het laten zien?"),
    "chain_covered": ("yes", "ja"),
    "chain_partial": ("partly", "deels"),
    "chain_none": ("no", "nee"),
    "chain_s_covered": (
        "The logs reach back to before exploitation began.",
        "De logbestanden gaan terug tot vóór het begin van de aanvallen.",
    ),
    "chain_s_partial": (
        "The logs only start on {visible}: an intrusion before then cannot show in them.",
        "De logbestanden beginnen pas op {visible}: een inbraak van daarvóór is er niet in te zien.",
    ),
    "chain_s_none": (
        "No log in the evidence covers this period.",
        "Geen enkel logbestand in het bewijs beslaat deze periode.",
    ),
    # server
    "hostname": ("Host name", "Hostnaam"),
    "build": ("Build", "Build"),
    "product": ("Product", "Product"),
    "cu": ("Update level", "Updateniveau"),
    "support": ("Support", "Ondersteuning"),
    "build_source": ("Build seen in", "Build gezien in"),
    "unknown": ("unknown", "onbekend"),
    "build_unknown": (
        "The build could not be determined from the evidence, so the exposure per CVE is unknown.",
        "De build kon niet uit het bewijs worden bepaald; de blootstelling per CVE is daarom onbekend.",
    ),
    "sup_supported": ("supported", "ondersteund"),
    "sup_esu": ("extended security updates only (ESU)", "alleen uitgebreide beveiligingsupdates (ESU)"),
    "sup_unsupported_cu": ("update level out of support", "updateniveau niet meer ondersteund"),
    "sup_end_of_life": ("out of support", "niet meer ondersteund"),
    "sup_unknown": ("unknown", "onbekend"),
    "exposure": ("Exposure per vulnerability", "Blootstelling per kwetsbaarheid"),
    "exposure_open": (
        "{n} open, {x} of them exploited in the wild",
        "{n} open, waarvan {x} misbruikt in het wild",
    ),
    "exposure_lang_note": (
        "",
        "De toelichting per kwetsbaarheid komt uit de CVE-gegevens en is in het Engels.",
    ),
    "cve": ("CVE", "CVE"),
    "name": ("Name", "Naam"),
    "status": ("Status", "Status"),
    "in_wild": ("Exploited in the wild", "Misbruikt in het wild"),
    "fixed_in": ("Fixed in", "Verholpen in"),
    "window": ("Exposed in the evidence", "Blootgesteld in het bewijs"),
    "mitigation": ("Temporary mitigation", "Tijdelijke maatregel"),
    "notes": ("Notes", "Toelichting"),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "st_vulnerable": ("vulnerable", "kwetsbaar"),
    "st_unknown": ("unknown", "onbekend"),
    "st_fixed_config_required": ("fixed, configuration needed", "verholpen, configuratie nodig"),
    "st_fixed": ("fixed", "verholpen"),
    "st_not_affected": ("not affected", "niet getroffen"),
    "w_still_vulnerable": (
        "{start} → still open at the end of the evidence",
        "{start} → nog open aan het eind van het bewijs",
    ),
    "w_patched": ("{start} → {end}", "{start} → {end}"),
    "w_patched_before_exploitation": (
        "patched before exploitation began",
        "bijgewerkt vóór het begin van de aanvallen",
    ),
    "w_not_vulnerable_in_evidence": ("not vulnerable in the evidence", "niet kwetsbaar in het bewijs"),
    "w_no_evidence": ("no dated evidence", "geen gedateerd bewijs"),
    "w_unknown": ("unknown", "onbekend"),
    "w_may_be_earlier": ("may have started earlier", "kan eerder zijn begonnen"),
    "open_other": (
        "Other open vulnerabilities, not known to be exploited in the wild: {n}",
        "Overige open kwetsbaarheden, niet bekend als misbruikt in het wild: {n}",
    ),
    "fixed_hidden": (
        "Fixed or not affected: {n}",
        "Verholpen of niet van toepassing: {n}",
    ),
    "m_present_strong": ("in place, effective", "aanwezig, effectief"),
    "m_present_weak": ("in place, can be bypassed", "aanwezig, te omzeilen"),
    "m_missing": ("missing", "ontbreekt"),
    "m_error": ("configuration unreadable", "configuratie onleesbaar"),
    "m_not_checked": ("not checked", "niet gecontroleerd"),
    "mitigations": ("Temporary mitigations", "Tijdelijke maatregelen"),
    "mitigations_none": (
        "No IIS configuration in the evidence: temporary mitigations (URL Rewrite rules) were not checked.",
        "Geen IIS-configuratie in het bewijs: tijdelijke maatregelen (URL Rewrite-regels) zijn niet "
        "gecontroleerd.",
    ),
    "location": ("Location", "Locatie"),
    "details": ("Details", "Details"),
    "history": ("Builds seen over time", "Builds in de loop van de tijd"),
    "sources": ("Seen in", "Gezien in"),
    "observations": ("Observations", "Waarnemingen"),
    "patches": ("Updates installed", "Geïnstalleerde updates"),
    "server_notes": ("Notes on the build", "Opmerkingen over de build"),
    # what was taken
    "not_assessed": ("Not assessed", "Niet beoordeeld"),
    "not_assessed_text": (
        "This version of lekdicht does not yet determine which mailboxes were read, whether the "
        "address book was downloaded, or whether mail was forwarded. If the server was broken into, "
        "assume that mail may have been read.",
        "Deze versie van lekdicht stelt nog niet vast welke mailboxen zijn gelezen, of het adresboek "
        "is gedownload en of mail is doorgestuurd. Als er is ingebroken, ga er dan van uit dat mail "
        "gelezen kan zijn.",
    ),
    "dx_mailboxes": ("Mailboxes", "Mailboxen"),
    "dx_address_book": ("Address book", "Adresboek"),
    "dx_forwarding": ("Forwarding", "Doorsturen"),
    "none_found": ("none found", "niets gevonden"),
    "none_found_in": ("Nothing found for: {what}.", "Niets gevonden voor: {what}."),
    "dx_exports": ("Mailbox exports", "Mailboxexports"),
    "dx_role_grants": ("Export rights granted", "Toegekende exportrechten"),
    "dx_mail_flow": ("Forwarding and mail-flow changes", "Doorsturen en wijzigingen in de mailstroom"),
    "dx_outbound_mail": ("Mail to outside addresses", "Mail naar externe adressen"),
    "dx_pst_files": ("Mailbox files (PST) on the server", "Mailboxbestanden (PST) op de server"),
    "dx_attacker_ips": ("Attacker addresses considered", "Onderzochte aanvallersadressen"),
    "dx_limits": ("Limits of this assessment", "Beperkingen van deze beoordeling"),
    "dx_other": ("Other", "Overig"),
    "dx_limits_note": (
        "",
        "De beperkingen hieronder komen rechtstreeks uit de analyse en zijn in het Engels.",
    ),
    "mailbox": ("Mailbox", "Mailbox"),
    "read_q": ("Read", "Gelezen"),
    "requests": ("Requests", "Verzoeken"),
    "operations": ("Operations", "Handelingen"),
    "via": ("Via", "Via"),
    "clients": ("Client addresses", "Clientadressen"),
    "period": ("Period (UTC)", "Periode (UTC)"),
    "bytes_out": ("Bytes sent", "Verzonden bytes"),
    "file_path": ("Written to", "Geschreven naar"),
    "requester": ("By", "Door"),
    "suspicious_q": ("Suspicious", "Verdacht"),
    "failed": ("failed", "mislukt"),
    "removed": ("removed afterwards", "daarna verwijderd"),
    "role": ("Role", "Rol"),
    "granted_to": ("Granted to", "Toegekend aan"),
    "ab_kind": ("Kind", "Soort"),
    "downloads": ("Downloads", "Downloads"),
    "ab_oab": ("offline address book (OAB)", "offline adresboek (OAB)"),
    "ab_nspi": ("address book lookups (NSPI)", "adresboekopvragingen (NSPI)"),
    "change": ("Change", "Wijziging"),
    "destination": ("Destination", "Bestemming"),
    "sender": ("Sender", "Afzender"),
    "recipients": ("Recipients", "Ontvangers"),
    "subject": ("Subject", "Onderwerp"),
    "cited": ("Evidence", "Bewijs"),
    "cited_more": ("and {n} more", "en nog {n}"),
    "response_bytes": ("Bytes sent to the attacker", "Bytes naar de aanvaller"),
    "mailboxes_seen": ("Mailboxes", "Mailboxen"),
    "requests_by_log": ("Requests per log", "Verzoeken per logbestand"),
    "log_gaps": ("Gaps in the logs", "Gaten in de logbestanden"),
    "log_gaps_text": (
        "Periods without logs: {n}. Activity in them cannot show in this report.",
        "Perioden zonder logbestanden: {n}. Wat daarin gebeurde, kan niet in dit rapport staan.",
    ),
    "gap_folder": ("Log folder", "Logmap"),
    "gap_from": ("From", "Van"),
    "gap_to": ("To", "Tot"),
    "gap_hours": ("Hours missing", "Ontbrekende uren"),
    "timeline_full": (
        "The full timeline, with every attacker request, is in timeline.csv and timeline.jsonl "
        "in the case folder (events: {n}).",
        "De volledige tijdlijn, met elk verzoek van de aanvaller, staat in timeline.csv en "
        "timeline.jsonl in de zaakmap (gebeurtenissen: {n}).",
    ),
    "timeline_gap": ("no logs", "geen logbestanden"),
    "rows_more": (
        "More rows in report.json: {n}",
        "Meer rijen in report.json: {n}",
    ),
    # findings
    "overview": ("Overview", "Overzicht"),
    "by_session": ("By attacker session", "Per aanvalssessie"),
    "by_cve": ("By vulnerability (CVE)", "Per kwetsbaarheid (CVE)"),
    "no_cve": ("No CVE", "Geen CVE"),
    "no_findings": ("No findings.", "Geen bevindingen."),
    "no_sessions": (
        "No attacker sessions (no finding with a client address).",
        "Geen aanvalssessies (geen bevinding met een clientadres).",
    ),
    "no_ip": ("Without a client address (files, events)", "Zonder clientadres (bestanden, gebeurtenissen)"),
    "n_findings_1": ("{n} finding", "{n} bevinding"),
    "n_findings": ("{n} findings", "{n} bevindingen"),
    "what": ("What", "Wat"),
    "verdict": ("Kind", "Soort"),
    "count": ("Number", "Aantal"),
    "user_agents": ("User agents", "User agents"),
    "accounts": ("Accounts", "Accounts"),
    "urls": ("URLs", "URL's"),
    "rules": ("Rules", "Regels"),
    "cves": ("CVEs", "CVE's"),
    "attack": ("ATT&CK", "ATT&CK"),
    "references": ("References", "Bronnen"),
    "corroboration": (
        "Counts only when other evidence confirms it.",
        "Telt alleen mee als ander bewijs het bevestigt.",
    ),
    "time": ("Time (UTC)", "Tijd (UTC)"),
    "file": ("File", "Bestand"),
    "line": ("Line", "Regel"),
    "sha256": ("SHA-256", "SHA-256"),
    "client": ("Client", "Client"),
    "excerpt": ("Evidence line", "Bewijsregel"),
    "more_lines": ("{n} more in findings.jsonl", "nog {n} in findings.jsonl"),
    "lines_omitted": (
        "Evidence lines not shown to keep this page usable: {n}; see findings.jsonl.",
        "Bewijsregels niet getoond om deze pagina bruikbaar te houden: {n}; zie findings.jsonl.",
    ),
    "groups_more": (
        "More groups in findings.jsonl: {n}",
        "Meer groepen in findings.jsonl: {n}",
    ),
    "sessions_more": (
        "More sessions in report.json: {n}",
        "Meer sessies in report.json: {n}",
    ),
    # timeline
    "timeline_intro": (
        "Grey bars: the period each kind of log covers. Marks: attacker activity per session "
        "(colour: the most serious kind of finding).",
        "Grijze balken: de periode die elk soort logbestand beslaat. Markeringen: activiteit van "
        "aanvallers per sessie (kleur: de ernstigste soort bevinding).",
    ),
    "timeline_none": (
        "No timestamps in the evidence: no timeline.",
        "Geen tijdstempels in het bewijs: geen tijdlijn.",
    ),
    "timeline_other": ("other findings", "overige bevindingen"),
    "timeline_more": (
        "Sessions not drawn: {n}",
        "Sessies niet getekend: {n}",
    ),
    "timeline_label": (
        "Timeline of attacker activity against the log coverage",
        "Tijdlijn van aanvalsactiviteit tegen de logdekking",
    ),
    "timeline_start": ("{chain} exploitation began", "begin aanvallen {chain}"),
    # evidence
    "totals": (
        "Files: {files} ({bytes}); log files: {logs}; records read: {read}; rejected: {rejected}.",
        "Bestanden: {files} ({bytes}); logbestanden: {logs}; regels gelezen: {read}; afgewezen: {rejected}.",
    ),
    "inventory": ("Inventory", "Inventaris"),
    "path": ("Path", "Pad"),
    "kind": ("Kind", "Soort"),
    "size": ("Size", "Grootte"),
    "records": ("Records read / rejected", "Regels gelezen / afgewezen"),
    "state": ("State", "Toestand"),
    "read": ("read", "gelezen"),
    "not_read": ("not read", "niet gelezen"),
    "errors": ("Errors", "Fouten"),
    "no_errors": ("Every file could be read.", "Alle bestanden konden worden gelezen."),
    "error": ("Error", "Fout"),
    "not_scanned": ("Not scanned", "Niet onderzocht"),
    "reason": ("Reason", "Reden"),
    "rejected": ("Rejected lines (examples)", "Afgewezen regels (voorbeelden)"),
    "rules_summary": (
        "Sigma rules loaded: {n}; YARA engine: {yara}.",
        "Sigma-regels geladen: {n}; YARA-engine: {yara}.",
    ),
    "rules_unusable": ("Rules that could not be used", "Regels die niet bruikbaar waren"),
    "rules_warnings": ("Rule warnings", "Waarschuwingen bij regels"),
    "source": ("Source", "Bron"),
    "message": ("Message", "Melding"),
    "scan": ("Scan", "Scan"),
    "evidence": ("Evidence", "Bewijs"),
    "started": ("Started", "Gestart"),
    "finished": ("Finished", "Klaar"),
    "tool": ("Tool", "Programma"),
    "none": ("none", "geen"),
}

MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
}


def text(lang: str, key: str) -> str:
    """The fixed text ``key`` in ``lang`` (``en`` or ``nl``); English when the Dutch is empty."""
    en, nl = _TEXT[key]
    return nl if lang == "nl" and nl else en


def has_text(key: str) -> bool:
    """True when ``key`` is a known text key."""
    return key in _TEXT
