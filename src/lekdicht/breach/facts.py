"""Facts for the breach assessment, derived from a scan's report.json (``lekdicht.report/1`` or ``/2``).

Every fact is a ``derived`` value naming the report path it came from. The report is read
defensively: a section that is absent or not assessed (``data_exposure`` is ``not_assessed`` in
schema 1) yields ``missing`` or a documented conservative default, never an invented value.
Schema 2 documents ``data_exposure`` (mailboxes read, exports, address-book downloads, mail flow,
outbound mail, PST files, limits) and per-session mailboxes; see docs/report-schema.md.

Scope follows the reference (section 7.2): code execution on an Exchange server (a webshell runs as
SYSTEM) means access to every mailbox and the address book *cannot be excluded* unless the logs or
forensics show otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from lekdicht.breach.provenance import Value, derived

SUPPORTED_SCHEMAS = ("lekdicht.report/1", "lekdicht.report/2")
Level = Literal["confirmed", "likely", "not_excluded", "excluded", "not_established", "undetermined"]

# ATT&CK techniques that show credentials were taken, or data collected or sent out.
CREDENTIAL_TECHNIQUES = ("T1003",)
EXFIL_TECHNIQUES = ("T1560", "T1114", "T1048", "T1041", "T1567", "T1020", "T1030")


class ReportError(ValueError):
    """report.json is missing, unreadable or not a lekdicht report."""


@dataclass(frozen=True, slots=True)
class AttackerSession:
    """Activity of one client address, from ``sessions[i]``."""

    client_ip: str
    first: datetime | None
    last: datetime | None
    verdict: str
    findings: int
    user_agents: tuple[str, ...]
    urls: tuple[str, ...]
    accounts: tuple[str, ...]
    mailboxes: tuple[str, ...]
    source: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "client_ip": self.client_ip,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "verdict": self.verdict,
            "findings": self.findings,
            "user_agents": list(self.user_agents),
            "urls": list(self.urls),
            "accounts": list(self.accounts),
            "mailboxes": list(self.mailboxes),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class ExposureWindow:
    """How long the server was open to an exploited vulnerability chain (``server.exposure_windows``)."""

    chain: str
    cves: tuple[str, ...]
    exposed_from: datetime | None
    exposed_until: datetime | None
    still_vulnerable: bool
    starts_at_evidence_limit: bool
    source: str


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Logs that start after an exploitation wave began: an earlier intrusion cannot show in them."""

    chain: str
    exploitation_start: str
    visible_from: datetime | None
    statement: str
    source: str


@dataclass(slots=True)
class DataExposure:
    """What the report says about access to mail and the address book (``data_exposure``).

    ``assessed`` is False when the section is absent or ``not_assessed`` (schema 1).
    """

    status: str | None
    assessed: bool
    summary: str | None = None
    mailboxes_read: list[str] = field(default_factory=list)
    mailboxes_touched: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    address_book_downloads: int = 0
    mail_flow: list[str] = field(default_factory=list)
    outbound_mail: int = 0
    pst_files: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CaseFacts:
    """Everything the breach assessment takes from the scan."""

    report_path: Path | None
    report_sha256: str | None
    schema: str
    tool_version: str | None
    verdict: Value[str]
    verdict_reasons: list[str]
    hostname: Value[str]
    build: Value[str]
    product: Value[str]
    first_exploit: Value[datetime]
    last_exploit: Value[datetime]
    first_attempt: Value[datetime]
    evidence_first: Value[datetime]
    evidence_last: Value[datetime]
    sessions: list[AttackerSession]
    webshells: list[Value[str]]
    credential_theft: list[Value[str]]
    exfil_indicators: list[Value[str]]
    exposure: list[ExposureWindow]
    coverage_limits: list[Value[str]]
    start_limits: list[CoverageGap]
    data_exposure: DataExposure
    mailbox_content: Value[str]
    address_list: Value[str]
    exfiltration: Value[str]
    malicious: Value[bool]
    ongoing: Value[bool]
    warnings: list[str] = field(default_factory=list)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from the report as an aware datetime (UTC when no offset); None otherwise."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def load_report(path: Path) -> tuple[dict[str, Any], Path, str]:
    """Read report.json from a case folder (or the file itself): the document, its path, its SHA-256."""
    file = path / "report.json" if path.is_dir() else path
    try:
        blob = file.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        doc = json.loads(blob.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{file} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("lekdicht.report/"):
        raise ReportError(f"{file} is not a lekdicht report (no 'schema': 'lekdicht.report/N')")
    return doc, file, hashlib.sha256(blob).hexdigest()


def _list(x: object) -> list[Any]:
    return x if isinstance(x, list) else []


def _dict(x: object) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _str(x: object) -> str | None:
    return x if isinstance(x, str) and x else None


def _techniques(f: Mapping[str, Any]) -> list[str]:
    return [t for t in _list(f.get("attack")) if isinstance(t, str)]


def _names(entries: Sequence[Any], keys: Sequence[str]) -> list[str]:
    out: list[str] = []
    for e in entries:
        if isinstance(e, str):
            out.append(e)
        elif isinstance(e, dict):
            name = next((str(e[k]) for k in keys if e.get(k)), None)
            out.append(name or json.dumps(e, sort_keys=True)[:200])
    return out


def read_data_exposure(report: Mapping[str, Any]) -> DataExposure:
    """``data_exposure`` read defensively (schema 2 fields; schema 1 has only ``status``)."""
    de = report.get("data_exposure")
    if not isinstance(de, dict):
        return DataExposure(status=None, assessed=False)
    status = _str(de.get("status"))
    if status != "assessed":
        return DataExposure(status=status, assessed=False)
    out = DataExposure(status=status, assessed=True, summary=_str(de.get("summary")))
    for m in _list(de.get("mailboxes")):
        if isinstance(m, dict) and _str(m.get("mailbox")):
            out.mailboxes_touched.append(str(m["mailbox"]))
            if m.get("read") is True:
                out.mailboxes_read.append(str(m["mailbox"]))
    out.exports = [
        str(e.get("mailbox") or "?")
        for e in _list(de.get("exports"))
        if isinstance(e, dict) and e.get("failed") is not True
    ]
    for b in _list(de.get("address_book")):
        if isinstance(b, dict):
            n = b.get("downloads")
            out.address_book_downloads += n if isinstance(n, int) and not isinstance(n, bool) else 0
    out.mail_flow = [
        f"{m.get('kind', '?')}: {m.get('mailbox', '?')} -> {m.get('destination', '?')}"
        for m in _list(de.get("mail_flow"))
        if isinstance(m, dict)
    ]
    out.outbound_mail = sum(1 for m in _list(de.get("outbound_mail")) if isinstance(m, dict))
    out.pst_files = [
        str(p.get("path")) for p in _list(de.get("pst_files")) if isinstance(p, dict) and p.get("path")
    ]
    out.limits = [str(x) for x in _list(de.get("limits")) if isinstance(x, str)]
    return out


def _timed(findings: Sequence[Any], verdicts: set[str]) -> list[tuple[datetime, int, str]]:
    out: list[tuple[datetime, int, str]] = []
    for i, f in enumerate(findings):
        if not isinstance(f, dict) or f.get("verdict") not in verdicts:
            continue
        t = parse_time(f.get("time"))
        if t is not None:
            out.append((t, i, str(f.get("rule_id", ""))))
    return sorted(out)


def _first_last(timed: list[tuple[datetime, int, str]], what: str) -> tuple[Value[datetime], Value[datetime]]:
    if not timed:
        none: Value[datetime] = Value(
            None, "missing", f"report.json: findings ({what})", f"no timed {what} finding"
        )
        return none, none
    t0, i0, r0 = timed[0]
    t1, i1, r1 = timed[-1]
    return (
        derived(t0, f"report.json: findings[{i0}].time", f"earliest {what} finding ({r0})"),
        derived(t1, f"report.json: findings[{i1}].time", f"latest {what} finding ({r1})"),
    )


def _sessions(report: Mapping[str, Any]) -> list[AttackerSession]:
    out: list[AttackerSession] = []
    for i, s in enumerate(_list(report.get("sessions"))):
        if not isinstance(s, dict):
            continue
        out.append(
            AttackerSession(
                client_ip=str(s.get("client_ip", "")),
                first=parse_time(s.get("first")),
                last=parse_time(s.get("last")),
                verdict=str(s.get("verdict", "")),
                findings=int(s["findings"]) if isinstance(s.get("findings"), int) else 0,
                user_agents=tuple(str(u) for u in _list(s.get("user_agents"))),
                urls=tuple(str(u) for u in _list(s.get("urls"))),
                accounts=tuple(str(u) for u in _list(s.get("accounts"))),
                mailboxes=tuple(str(u) for u in _list(s.get("mailboxes"))),
                source=f"report.json: sessions[{i}]",
            )
        )
    return out


def _exposure(server: Mapping[str, Any]) -> list[ExposureWindow]:
    by_chain: dict[str, ExposureWindow] = {}
    for i, w in enumerate(_list(server.get("exposure_windows"))):
        if not isinstance(w, dict) or not w.get("exploited") or not w.get("exposed_from"):
            continue
        chain = str((_list(w.get("families")) or [w.get("name") or w.get("cve")])[0])
        cve = str(w.get("cve", ""))
        if chain in by_chain:
            old = by_chain[chain]
            by_chain[chain] = ExposureWindow(
                chain,
                (*old.cves, cve),
                old.exposed_from,
                old.exposed_until,
                old.still_vulnerable,
                old.starts_at_evidence_limit,
                old.source,
            )
            continue
        by_chain[chain] = ExposureWindow(
            chain=chain,
            cves=(cve,),
            exposed_from=parse_time(w.get("exposed_from")),
            exposed_until=parse_time(w.get("exposed_until")),
            still_vulnerable=bool(w.get("still_vulnerable")),
            starts_at_evidence_limit=bool(w.get("starts_at_evidence_limit")),
            source=f"report.json: server.exposure_windows[{i}]",
        )
    return list(by_chain.values())


def _evidence_span(report: Mapping[str, Any]) -> tuple[Value[datetime], Value[datetime]]:
    ph = _dict(_dict(report.get("server")).get("patch_history"))
    first, last = parse_time(ph.get("first_evidence")), parse_time(ph.get("last_evidence"))
    src = "report.json: server.patch_history"
    if first is None or last is None:
        times = [
            t
            for f in _list(_dict(report.get("evidence")).get("files"))
            if isinstance(f, dict)
            for t in (parse_time(f.get("first_timestamp")), parse_time(f.get("last_timestamp")))
            if t is not None
        ]
        if times:
            first, last, src = min(times), max(times), "report.json: evidence.files[*].first/last_timestamp"
    if first is None or last is None:
        gap: Value[datetime] = Value(
            None, "missing", "report.json: evidence", "no timestamps in the evidence"
        )
        return gap, gap
    return (
        derived(first, f"{src}", "oldest record in the evidence"),
        derived(last, f"{src}", "newest record in the evidence"),
    )


def derive_facts(report: Mapping[str, Any], path: Path | None = None, sha256: str | None = None) -> CaseFacts:
    """All facts the assessment takes from a report.json document."""
    warnings: list[str] = []
    schema = str(report.get("schema", ""))
    if schema not in SUPPORTED_SCHEMAS:
        warnings.append(
            f"report schema {schema!r} is newer than this breach assessment knows "
            f"({', '.join(SUPPORTED_SCHEMAS)}): "
            "fields were read defensively"
        )
    verdict_doc = _dict(report.get("verdict"))
    overall = _str(verdict_doc.get("overall"))
    verdict: Value[str] = (
        derived(overall, "report.json: verdict.overall")
        if overall
        else Value(None, "missing", "report.json: verdict.overall", "the report has no verdict")
    )
    server = _dict(report.get("server"))

    def server_value(key: str) -> Value[str]:
        v = _str(server.get(key))
        return (
            derived(v, f"report.json: server.{key}")
            if v
            else Value(None, "missing", f"report.json: server.{key}")
        )

    findings = _list(report.get("findings"))
    first_exploit, last_exploit = _first_last(_timed(findings, {"exploited"}), "exploited")
    first_attempt, _ = _first_last(_timed(findings, {"exploited", "attempted"}), "exploited or attempted")
    evidence_first, evidence_last = _evidence_span(report)

    webshells: list[Value[str]] = []
    credentials: list[Value[str]] = []
    exfil: list[Value[str]] = []
    seen: set[str] = set()
    for i, f in enumerate(findings):
        if not isinstance(f, dict) or f.get("verdict") != "exploited":
            continue
        techniques = _techniques(f)
        title = str(f.get("title") or f.get("rule_id") or "")
        src = f"report.json: findings[{i}]"
        if str(f.get("artefact_kind", "")).startswith("file.") and any(
            t.startswith("T1505") for t in techniques
        ):
            path_ = str(_dict(f.get("evidence")).get("path") or _dict(f.get("entities")).get("file") or "")
            if path_ and path_ not in seen:
                seen.add(path_)
                webshells.append(derived(path_, src, title))
        if any(t.startswith(CREDENTIAL_TECHNIQUES) for t in techniques):
            credentials.append(derived(title, src, str(f.get("rule_id", ""))))
        if any(t.startswith(EXFIL_TECHNIQUES) for t in techniques):
            exfil.append(derived(title, src, str(f.get("rule_id", ""))))

    coverage_limits = [
        derived(str(c.get("statement")), f"report.json: coverage.chains[{i}]", str(c.get("chain", "")))
        for i, c in enumerate(_list(_dict(report.get("coverage")).get("chains")))
        if isinstance(c, dict) and c.get("status") in ("partial", "none") and c.get("statement")
    ]
    start_limits = [
        CoverageGap(
            chain=str(c.get("chain", "")),
            exploitation_start=str(c.get("exploitation_start") or ""),
            visible_from=parse_time(c.get("visible_from")),
            statement=str(c.get("statement") or ""),
            source=f"report.json: coverage.chains[{i}]",
        )
        for i, c in enumerate(_list(_dict(report.get("coverage")).get("chains")))
        if isinstance(c, dict) and c.get("status") == "partial"
    ]
    exposure = _exposure(server)
    de = read_data_exposure(report)
    coverage_limits += [
        derived(text, f"report.json: data_exposure.limits[{i}]", "data exposure")
        for i, text in enumerate(de.limits)
    ]
    for i, gap in enumerate(_list(_dict(report.get("log_gaps")).get("uncovered_periods"))):
        if isinstance(gap, dict) and gap.get("from") and gap.get("to"):
            coverage_limits.append(
                derived(
                    f"No log covers {gap['from']} to {gap['to']}.",
                    f"report.json: log_gaps.uncovered_periods[{i}]",
                    "log gap",
                )
            )
    mailbox, book, exfiltration = _scope(overall, de, exfil, bool(webshells))
    malicious: Value[bool]
    if overall in ("compromised", "attempted"):
        malicious = derived(
            True,
            "report.json: verdict.overall",
            "exploiting Exchange vulnerabilities and planting a webshell are intentional attacks (ENISA: "
            "hacking)",
        )
    elif overall in ("clean", "vulnerable"):
        malicious = derived(False, "report.json: verdict.overall", "no attack found")
    else:
        malicious = Value(
            None, "missing", "report.json: verdict.overall", "inconclusive: a specialist must review"
        )
    still_open = any(w.still_vulnerable for w in exposure)
    ongoing: Value[bool]
    if overall == "compromised":
        why = []
        if webshells:
            why.append("a webshell was present in the evidence")
        if still_open:
            why.append("the server was still vulnerable at the end of the evidence")
        ongoing = derived(
            bool(why),
            "report.json: findings, server.exposure_windows",
            ("not known to have ended: " + " and ".join(why))
            if why
            else "no backdoor found and the server was patched",
        )
    else:
        ongoing = Value(None, "missing", "report.json: verdict.overall", "no intrusion established")
    return CaseFacts(
        report_path=path,
        report_sha256=sha256,
        schema=schema,
        tool_version=_str(_dict(report.get("tool")).get("version")),
        verdict=verdict,
        verdict_reasons=[str(r) for r in _list(verdict_doc.get("reasons"))],
        hostname=server_value("hostname"),
        build=server_value("build"),
        product=server_value("product"),
        first_exploit=first_exploit,
        last_exploit=last_exploit,
        first_attempt=first_attempt,
        evidence_first=evidence_first,
        evidence_last=evidence_last,
        sessions=_sessions(report),
        webshells=webshells,
        credential_theft=credentials,
        exfil_indicators=exfil,
        exposure=exposure,
        coverage_limits=coverage_limits,
        start_limits=start_limits,
        data_exposure=de,
        mailbox_content=mailbox,
        address_list=book,
        exfiltration=exfiltration,
        malicious=malicious,
        ongoing=ongoing,
        warnings=warnings,
    )


def _scope(
    overall: str | None, de: DataExposure, exfil: list[Value[str]], webshell: bool
) -> tuple[Value[str], Value[str], Value[str]]:
    """Mailbox content, address list and exfiltration levels from the verdict and data_exposure."""
    src = "report.json: verdict.overall"
    if overall in ("attempted", "vulnerable", "clean"):
        why = {
            "attempted": "exploitation attempts only; no sign that they succeeded",
            "vulnerable": "no intrusion found (the build is vulnerable)",
            "clean": "no sign of an intrusion",
        }[overall]
        v: Value[str] = derived("not_established", src, why)
        return v, v, v
    if overall != "compromised":
        u: Value[str] = derived("undetermined", src, "the verdict needs a specialist's review first")
        return u, u, u
    cannot = (
        "code execution on the Exchange server (a webshell runs as SYSTEM) can reach every mailbox and the "
        "address book: access cannot be excluded without forensics (AP/NCSC reasoning)"
    )
    rest = "; access to the other mailboxes cannot be excluded" if webshell else ""
    content = sorted(set(de.mailboxes_read) | set(de.exports))
    if content:
        mailbox = derived(
            "confirmed",
            "report.json: data_exposure.mailboxes, data_exposure.exports",
            f"content of {len(content)} mailbox(es) read or exported by the attacker{rest}",
        )
    else:
        mailbox = derived("not_excluded", src, cannot)
    if de.address_book_downloads:
        book = derived(
            "confirmed",
            "report.json: data_exposure.address_book",
            f"address book downloaded {de.address_book_downloads} time(s)",
        )
    else:
        book = derived("not_excluded", src, cannot)
    sent = []
    if de.mailboxes_read:
        sent.append(f"mail of {len(de.mailboxes_read)} mailbox(es) returned to the attacker")
    if de.address_book_downloads:
        sent.append("address book downloaded")
    if de.outbound_mail:
        sent.append(f"{de.outbound_mail} message(s) sent out from affected accounts")
    staged = []
    if de.exports:
        staged.append(f"{len(de.exports)} mailbox export(s)")
    if de.mail_flow:
        staged.append(f"{len(de.mail_flow)} forwarding or redirect rule(s)")
    if de.pst_files:
        staged.append(f"{len(de.pst_files)} PST file(s) in reach of the web server")
    staged += sorted({str(e.value) for e in exfil})[:3]
    if sent:
        exfiltration = derived("confirmed", "report.json: data_exposure", "; ".join(sent))
    elif staged:
        exfiltration = derived("likely", "report.json: data_exposure, findings", "; ".join(staged))
    else:
        exfiltration = derived(
            "not_excluded",
            src,
            "no trace of data leaving in the evidence, but an attacker with code execution can copy mail "
            "without "
            "leaving one in these logs",
        )
    return mailbox, book, exfiltration
