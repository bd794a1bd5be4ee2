"""File checks of an Exchange server's evidence tree: webshells and backdoors on disk (issue 4).

:func:`scan_files` receives every file of the evidence and decides what to read:

* every file in a web folder (``aspnet_client``, ``owa\\auth``, ``ecp\\auth``, Exchange's FrontEnd and
  ClientAccess folders, IIS web roots from applicationHost.config, ``Temporary ASP.NET Files``): hashed and
  YARA-scanned;
* in the drop zones (ProgramData, Windows\\Temp, Users\\Public, PerfLogs, C:\\root): scripts and dumps are
  hashed and YARA-scanned, executables and archives only hashed;
* anywhere else: server-side script files (.aspx, .ashx, ...) and memory dumps; logs are left to the log
  readers.

Files are opened read-only (``O_RDONLY``, ``O_NOATIME`` where allowed, symbolic links never followed) and
never written; nothing changes their timestamps.

Verdict mapping (documented in the report):

* built-in webshell rule (meta ``kind = webshell``, ``verdict = exploited``) on a file in a web folder or a
  ProxyShell ProgramData folder → ``exploited``/``critical``; the same content elsewhere → ``suspicious``/
  ``high`` (a copy that IIS may not serve);
* rules whose meta says ``suspicious`` (binary-prefixed ASPX, security-product checker) keep their meta tier;
* keyword heuristics (WS4) → ``info``/``low``, and are dropped when a stronger rule matched the same file;
* known-bad SHA-256 → ``exploited``/``critical``; known webshell path, or known name in a drop-zone web
  folder → ``exploited``/``high``; known tool → ``suspicious``/``high``;
* location rules (WS1 aspnet_client, WS2 owa\\auth / ecp\\auth) → ``suspicious``/``high``, raised to
  ``exploited``/``critical`` when content or an indicator confirms the same file;
* LSASS dumps (HX1), other minidumps in drop zones and staging archives (HX2) are ``suspicious`` with
  ``requires_corroboration``: they count only with other evidence;
* user YARA rules (``--yara``) → their meta ``verdict``/``severity`` when valid, otherwise ``suspicious`` with
  the severity derived from meta ``score`` (>= 80 high, >= 60 medium, else low; medium without a score).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.files import iisconfig
from lekdicht.files.iocs import IocSet, PathIoc, load_auth_allowlist, load_iocs
from lekdicht.files.locate import (
    ASPNET_CLIENT,
    ECP_AUTH,
    EXCHANGE_WEB,
    OTHER,
    OWA_AUTH,
    PROGRAMDATA,
    WEB_ROLES,
    WEB_ROOT,
    WEB_SERVED_ROLES,
    classify_path,
    ecp_auth_depth,
    owa_auth_area,
    programdata_depth,
    split_path,
)
from lekdicht.files.results import FileScanResult, ScanError, ScannedFile
from lekdicht.files.yara_engine import RuleHit, YaraEngine
from lekdicht.model import Entities, Evidence, Finding, Severity, Verdict

DEFAULT_MAX_SIZE = 64 * 1024 * 1024

SERVER_SCRIPT_EXTS = frozenset(
    {
        ".aspx",
        ".ashx",
        ".asmx",
        ".asax",
        ".ascx",
        ".asp",
        ".cshtml",
        ".vbhtml",
        ".master",
        ".svc",
        ".php",
        ".jsp",
    }
)
"""Extensions IIS (or another server) executes: a dropped one is a webshell candidate."""
HOST_SCRIPT_EXTS = frozenset({".ps1", ".psm1", ".bat", ".cmd", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".hta"})
BINARY_EXTS = frozenset({".exe", ".dll", ".sys", ".scr", ".com", ".cpl", ".ocx"})
ARCHIVE_EXTS = frozenset({".zip", ".7z", ".rar"})
DUMP_EXTS = frozenset({".dmp", ".mdmp"})
STATIC_EXTS = frozenset(
    {
        ".css",
        ".js",
        ".gif",
        ".png",
        ".jpg",
        ".jpeg",
        ".ico",
        ".svg",
        ".woff",
        ".woff2",
        ".ttf",
        ".eot",
        ".htm",
        ".html",
        ".map",
        ".json",
        ".xml",
        ".config",
        ".wav",
        ".mp3",
    }
)
HOST_DROP_ROLES = frozenset({"windows_temp", "users_public", "perflogs", "root_dir"})
LEGACY_ASPNET_CLIENT_FILES = frozenset(
    {"webuivalidation.js", "smartnav.js", "smartnav.htm", "smartnavie5.js"}
)
"""ASP.NET 1.x client scripts that old .NET installs put in aspnet_client\\system_web\\1_x_xxxx\\."""
ARCHIVE_VENDOR_EXCLUDES = (
    "kaseya",
    "ltdatabase",
    "vmware tools",
    "labtech",
    "chocolatey",
    "norton",
    "symantec",
)
"""ProgramData folders Test-ProxyLogon excludes from its archive check."""

REF_ANCHORS = "../shared/reference/detection-anchors.md"
SOURCE_REFERENCES = {
    "mstic-sentinel-feed": "https://github.com/Azure/Azure-Sentinel/blob/master/Sample%20Data/Feeds/"
    "MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv",
    "scs-labs-hafnium": "https://github.com/SCS-Labs/HAFNIUM-Microsoft-Exchange-0day",
    "gtsc-2022": "https://gteltsc.vn/blog/warning-new-attack-campaign-utilized-a-new-0day-rce-vulnerability-"
    "on-microsoft-exchange-server-12715.html",
    "signature-base": "https://github.com/Neo23x0/signature-base/blob/master/iocs/filename-iocs.txt",
}
SOURCE_CVES = {
    "mstic-sentinel-feed": ["CVE-2021-26855", "CVE-2021-27065"],
    "scs-labs-hafnium": ["CVE-2021-26855", "CVE-2021-27065"],
    "gtsc-2022": ["CVE-2022-41040", "CVE-2022-41082"],
}
WEBSHELL_ATTACK = ["T1505.003"]
_MARKER_PATTERNS = ("$asp", "$page", "$request")
"""Pattern names of page markers: a poor excerpt when a more telling pattern matched too."""


@dataclass(slots=True)
class _Read:
    data: bytes | None = None
    size: int | None = None
    mtime: str | None = None
    error_kind: str | None = None
    error: str | None = None


@dataclass(slots=True)
class _File:
    rel: str
    abspath: Path
    segs: list[str]
    name: str
    ext: str
    role: str | None
    data: bytes | None = None
    sha256: str | None = None
    header: bytes = b""
    findings: list[Finding] = field(default_factory=list)

    @property
    def proxyshell_dir(self) -> bool:
        """Inside ProgramData\\{COM,COM1,WHO,...}: a folder ProxyShell actors served through IIS."""
        for i, seg in enumerate(self.segs[:-2]):
            if seg == "programdata" and self.segs[i + 1] in iisconfig.PROXYSHELL_VDIR_NAMES:
                return True
        return False

    @property
    def served(self) -> bool:
        return self.role in WEB_ROLES or self.proxyshell_dir

    @property
    def confirmed(self) -> bool:
        """Content or an indicator already proves this file malicious."""
        return any(f.verdict is Verdict.EXPLOITED for f in self.findings)


def _open_readonly(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        try:
            return os.open(path, flags | noatime)
        except PermissionError:
            pass
    return os.open(path, flags)


def read_evidence_file(path: Path, max_size: int, limit: int | None = None) -> _Read:
    """Read a regular file read-only, at most ``limit`` bytes (default: whole file if <= ``max_size``)."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return _Read(error_kind="unreadable", error=f"cannot stat: {exc.strerror or exc}")
    mtime = datetime.fromtimestamp(st.st_mtime, UTC).isoformat().replace("+00:00", "Z")
    if stat.S_ISLNK(st.st_mode):
        return _Read(mtime=mtime, error_kind="unreadable", error="symbolic link, not followed")
    if not stat.S_ISREG(st.st_mode):
        return _Read(mtime=mtime, error_kind="unreadable", error="not a regular file")
    size = st.st_size
    if limit is None and size > max_size:
        return _Read(
            size=size, mtime=mtime, error_kind="too_large", error=f"{size} bytes exceeds limit of {max_size}"
        )
    want = limit if limit is not None else max_size + 1
    try:
        fd = _open_readonly(path)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(want)
    except OSError as exc:
        return _Read(
            size=size, mtime=mtime, error_kind="unreadable", error=f"cannot read: {exc.strerror or exc}"
        )
    if limit is None and len(data) > max_size:
        return _Read(
            size=len(data), mtime=mtime, error_kind="too_large", error=f"grew beyond limit of {max_size}"
        )
    return _Read(data=data, size=size if limit is not None else len(data), mtime=mtime)


def _printable(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.append(" ")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(".")
    return " ".join("".join(out).split())[:limit]


def _is_binary(data: bytes) -> bool:
    head = data[:512]
    if not head:
        return False
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return False
    bad = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bad > len(head) // 10


def _excerpt(data: bytes | None) -> str:
    if data is None:
        return ""
    if _is_binary(data):
        return f"binary data, {len(data)} bytes, starts {data[:8].hex(' ')}"
    return _printable(data[:2048])


def _artefact_kind(f: _File) -> str:
    head = f.data[:4] if f.data is not None else f.header[:4]
    if f.ext in BINARY_EXTS | ARCHIVE_EXTS | DUMP_EXTS or head.startswith((b"MZ", b"MDMP", b"PK\x03\x04")):
        return ArtefactKind.BINARY.value
    if f.role in WEB_ROLES or f.ext in SERVER_SCRIPT_EXTS:
        return ArtefactKind.WEB_CONTENT.value
    return ArtefactKind.OTHER.value


def _finding(
    f: _File,
    rule_id: str,
    title: str,
    verdict: Verdict,
    severity: Severity,
    description: str,
    *,
    attack: Sequence[str] = WEBSHELL_ATTACK,
    cves: Sequence[str] = (),
    references: Sequence[str] = (REF_ANCHORS,),
    excerpt: str | None = None,
    line: int | None = None,
    requires_corroboration: bool = False,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title=title,
        verdict=verdict,
        severity=severity,
        artefact_kind=_artefact_kind(f),
        evidence=Evidence(
            path=f.rel,
            sha256=f.sha256,
            line=line,
            excerpt=excerpt if excerpt is not None else _excerpt(f.data),
        ),
        cves=list(cves),
        attack=list(attack),
        entities=Entities(file=f.rel),
        references=list(dict.fromkeys(references)),
        description=description,
        requires_corroboration=requires_corroboration,
    )


def _plan(role: str | None, ext: str, name: str) -> tuple[bool, bool]:
    """(read and hash, YARA-scan) for a file."""
    if role in WEB_ROLES:
        return True, True
    if role is not None:  # drop zones
        if ext in SERVER_SCRIPT_EXTS | HOST_SCRIPT_EXTS | DUMP_EXTS:
            return True, True
        if ext in BINARY_EXTS | ARCHIVE_EXTS:
            return True, False
        return False, False
    if ext in SERVER_SCRIPT_EXTS | DUMP_EXTS:
        return True, True
    return False, False


def _parse_verdict(value: Any) -> Verdict | None:
    try:
        return Verdict(str(value).strip().lower())
    except ValueError:
        return None


def _parse_severity(value: Any) -> Severity | None:
    text = str(value).strip().lower()
    if text == "info":
        text = "informational"
    try:
        return Severity(text)
    except ValueError:
        return None


def _split_meta(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _hit_excerpt(f: _File, hit: RuleHit) -> tuple[str, int | None]:
    if f.data is None or not hit.patterns:
        return _excerpt(f.data), None
    informative = [p for p in hit.patterns if not p.identifier.startswith(_MARKER_PATTERNS)]
    p = (informative or list(hit.patterns))[0]
    if _is_binary(f.data):
        raw = f.data[p.offset : p.offset + min(p.length, 64)]
        return f"{p.identifier} at offset {p.offset}: {_printable(raw, 64)} ({raw[:32].hex(' ')})", None
    line = f.data.count(b"\n", 0, p.offset) + 1
    start = f.data.rfind(b"\n", 0, p.offset) + 1
    end = f.data.find(b"\n", p.offset + p.length)
    end = len(f.data) if end < 0 else end
    start = max(start, p.offset - 80)
    end = min(end, max(p.offset + p.length, start + 200))
    return _printable(f.data[start:end], 240), line


def _yara_findings(f: _File, hits: list[RuleHit]) -> list[Finding]:
    out: list[Finding] = []
    strong = any(h.builtin and h.metadata.get("kind") == "webshell" for h in hits)
    for hit in sorted(hits, key=lambda h: (h.namespace, h.identifier)):
        meta = hit.metadata
        excerpt, line = _hit_excerpt(f, hit)
        description = str(meta.get("description", hit.identifier))
        if hit.builtin:
            kind = str(meta.get("kind", "webshell"))
            anchor = str(meta.get("anchor", "WS3"))
            short = hit.identifier.removeprefix("lekdicht_")
            verdict = _parse_verdict(meta.get("verdict")) or Verdict.SUSPICIOUS
            severity = _parse_severity(meta.get("severity")) or Severity.MEDIUM
            corroborate = False
            rule_id = f"{anchor}-yara-{short}"
            where = f"in a {f.role or OTHER} location"
            if kind == "webshell":
                if verdict is Verdict.EXPLOITED and not f.served:
                    verdict, severity = Verdict.SUSPICIOUS, Severity.HIGH
                    where += " that IIS does not serve by default (a copy or a staged file)"
                else:
                    where += " served by IIS" if f.served else ""
            elif kind == "heuristic" and strong:
                continue
            elif kind == "dump":
                rule_id = "HX1-lsass-dump"
                corroborate = True
            references = [REF_ANCHORS]
            ref = str(meta.get("reference", ""))
            if ref.startswith("http"):
                references.insert(0, ref)
            out.append(
                _finding(
                    f,
                    rule_id,
                    description,
                    verdict,
                    severity,
                    f"YARA rule {hit.identifier} ({hit.origin}) matched {where}. {description}.",
                    attack=_split_meta(meta.get("attack")) or WEBSHELL_ATTACK,
                    cves=_split_meta(meta.get("cves")),
                    references=references,
                    excerpt=excerpt,
                    line=line,
                    requires_corroboration=corroborate,
                )
            )
        else:
            verdict = _parse_verdict(meta.get("verdict")) or Verdict.SUSPICIOUS
            severity = _parse_severity(meta.get("severity")) or _severity_from_score(meta.get("score"))
            references = [str(meta["reference"])] if meta.get("reference") else []
            out.append(
                _finding(
                    f,
                    f"WS3-user-yara-{hit.identifier}",
                    f"User YARA rule {hit.identifier}: {description}",
                    verdict,
                    severity,
                    f"User YARA rule {hit.identifier} from {hit.origin} "
                    f"(author: {meta.get('author', 'unknown')}) "
                    f"matched a file in a {f.role or OTHER} location. {description}",
                    attack=_split_meta(meta.get("attack")) or WEBSHELL_ATTACK,
                    references=references or [hit.origin],
                    excerpt=excerpt,
                    line=line,
                )
            )
    return out


def _severity_from_score(score: Any) -> Severity:
    try:
        value = int(score)
    except (TypeError, ValueError):
        return Severity.MEDIUM
    if value >= 80:
        return Severity.HIGH
    if value >= 60:
        return Severity.MEDIUM
    return Severity.LOW


def _ioc_refs(ioc_source: str) -> list[str]:
    return [SOURCE_REFERENCES[s] for s in ioc_source.split("+") if s in SOURCE_REFERENCES] + [REF_ANCHORS]


def _ioc_cves(ioc_source: str) -> list[str]:
    out: list[str] = []
    for s in ioc_source.split("+"):
        out.extend(c for c in SOURCE_CVES.get(s, []) if c not in out)
    return out


def _ioc_findings(f: _File, iocs: IocSet) -> list[Finding]:
    out: list[Finding] = []
    if f.sha256:
        bad = iocs.lookup_hash(f.sha256)
        if bad:
            out.append(
                _finding(
                    f,
                    "WS5-known-bad-hash",
                    "File matches a published webshell or tool hash",
                    Verdict.EXPLOITED,
                    Severity.CRITICAL,
                    f"SHA-256 {f.sha256} is a published indicator ({bad.source}): {bad.note}.",
                    cves=_ioc_cves(bad.source),
                    references=_ioc_refs(bad.source),
                )
            )
    # Generic names (help.aspx, web.aspx) only count where Exchange itself puts nothing of that name.
    names_ok = (
        f.role in (ASPNET_CLIENT, OWA_AUTH, ECP_AUTH)
        or (f.role == WEB_ROOT and "inetpub/wwwroot/" in "/".join(f.segs))
        or f.proxyshell_dir
    )
    shell: PathIoc | None = iocs.match_webshell(f.rel, names_allowed=names_ok)
    if shell:
        kind = "path" if shell.kind == "path" else "name"
        out.append(
            _finding(
                f,
                f"WS5-known-webshell-{kind}",
                f"File {kind} matches a published webshell indicator ({shell.value})",
                Verdict.EXPLOITED,
                Severity.HIGH,
                f"Published indicator {shell.value!r} ({shell.source})"
                f"{': ' + shell.note if shell.note else ''}. "
                "Exchange does not install a file of this name here.",
                cves=_ioc_cves(shell.source),
                references=_ioc_refs(shell.source),
            )
        )
    tools_ok = f.role is not None
    tool = iocs.match_tool(f.rel, names_allowed=tools_ok)
    if tool:
        out.append(
            _finding(
                f,
                "PN5-known-tool",
                f"Tool named in published indicators: {tool.value}",
                Verdict.SUSPICIOUS,
                Severity.HIGH,
                f"Published indicator {tool.value!r} ({tool.source}){': ' + tool.note if tool.note else ''}.",
                attack=["T1105"],
                cves=_ioc_cves(tool.source),
                references=_ioc_refs(tool.source),
            )
        )
    return out


def _location_findings(f: _File, allowlist: dict[str, frozenset[str]]) -> list[Finding]:
    """WS1/WS2/PS6 location rules; raised to exploited when the file is already confirmed."""
    out: list[Finding] = []
    confirmed = f.confirmed

    def tier(verdict: Verdict, severity: Severity) -> tuple[Verdict, Severity]:
        return (Verdict.EXPLOITED, Severity.CRITICAL) if confirmed else (verdict, severity)

    note = " Its content or an indicator confirms it is malicious." if confirmed else ""
    if f.role == ASPNET_CLIENT:
        legacy = f.name in LEGACY_ASPNET_CLIENT_FILES and "system_web" in f.segs
        if legacy and not confirmed:
            out.append(
                _finding(
                    f,
                    "WS1-aspnet-client-file",
                    "Legacy ASP.NET 1.x client script in aspnet_client",
                    Verdict.INFO,
                    Severity.INFORMATIONAL,
                    "aspnet_client should be an empty folder structure; this name is an old ASP.NET client "
                    "script. Compare it with a clean copy.",
                )
            )
        else:
            verdict, severity = tier(Verdict.SUSPICIOUS, Severity.HIGH)
            script = f.ext in SERVER_SCRIPT_EXTS
            out.append(
                _finding(
                    f,
                    "WS1-aspnet-client-file",
                    "Server-side script in aspnet_client" if script else "File in aspnet_client",
                    verdict,
                    severity,
                    "inetpub\\wwwroot\\aspnet_client holds only an empty folder structure on an Exchange "
                    "server; "
                    "ProxyLogon actors dropped webshells here." + note,
                    cves=["CVE-2021-26855", "CVE-2021-27065"],
                )
            )
    elif f.role == ECP_AUTH:
        depth = ecp_auth_depth(f.rel)
        if not (depth == 0 and f.name in allowlist.get("ecp_auth", frozenset())):
            verdict, severity = tier(Verdict.SUSPICIOUS, Severity.HIGH)
            out.append(
                _finding(
                    f,
                    "WS2-ecp-auth-unexpected-file",
                    "Unexpected file in ecp\\auth (only TimeoutLogoff.aspx belongs there)",
                    verdict,
                    severity,
                    "Exchange installs only TimeoutLogoff.aspx in FrontEnd\\HttpProxy\\ecp\\auth." + note,
                )
            )
    elif f.role == OWA_AUTH:
        area = owa_auth_area(f.rel)
        own = f.name in allowlist.get("owa_auth", frozenset())
        if f.ext in SERVER_SCRIPT_EXTS and not (area == "root" and own):
            verdict, severity = tier(Verdict.SUSPICIOUS, Severity.HIGH)
            where = {
                "root": "owa\\auth",
                "current": "owa\\auth\\Current (static resources only)",
                "build": "an owa\\auth build-number folder (static resources only)",
            }.get(area or "", "a sub-folder of owa\\auth")
            out.append(
                _finding(
                    f,
                    "WS2-owa-auth-unexpected-page",
                    f"Server-side page in {where} that is not Exchange's own",
                    verdict,
                    severity,
                    f"{f.name} is not one of the pages Exchange installs in owa\\auth (allow-list "
                    "data/exchange_auth_pages.yml); ProxyLogon and ProxyNotShell actors dropped webshells "
                    "here." + note,
                )
            )
        elif area == "root" and not own and f.ext not in STATIC_EXTS:
            verdict, severity = tier(Verdict.INFO, Severity.LOW)
            out.append(
                _finding(
                    f,
                    "WS2-owa-auth-unexpected-file",
                    "File in owa\\auth that is not one of Exchange's own",
                    verdict,
                    severity,
                    "Review this file: it is not on the list of files Exchange installs in owa\\auth." + note,
                )
            )
    elif f.role == WEB_ROOT and f.ext in SERVER_SCRIPT_EXTS:
        segs = f.segs
        in_wwwroot_top = len(segs) >= 3 and segs[-3:-1] == ["inetpub", "wwwroot"]
        if in_wwwroot_top:
            verdict, severity = tier(Verdict.SUSPICIOUS, Severity.MEDIUM)
            out.append(
                _finding(
                    f,
                    "WS2-wwwroot-script",
                    "Server-side script in the default IIS web root",
                    verdict,
                    severity,
                    "The Default Web Site root of an Exchange server holds only IIS's start page; ProxyShell "
                    "webshells such as iisstart.aspx were dropped here." + note,
                )
            )
    if f.ext in SERVER_SCRIPT_EXTS and f.proxyshell_dir:
        verdict, severity = tier(Verdict.SUSPICIOUS, Severity.HIGH)
        out.append(
            _finding(
                f,
                "PS6-programdata-vdir-script",
                "Server-side script in a ProgramData folder used as a ProxyShell virtual directory",
                verdict,
                severity,
                "ProxyShell actors served webshells from "
                "C:\\ProgramData\\{COM,COM1,WHO,ZING,ZOO,XYZ,AUX,CON} "
                "through an added IIS virtual directory." + note,
                cves=["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
            )
        )
    elif f.ext in SERVER_SCRIPT_EXTS and f.role == PROGRAMDATA:
        verdict, severity = tier(Verdict.SUSPICIOUS, Severity.MEDIUM)
        out.append(
            _finding(
                f,
                "WS2-programdata-script",
                "Server-side script (.aspx/.ashx/...) in ProgramData",
                verdict,
                severity,
                "Web pages do not belong in ProgramData; ProxyShell actors served webshells from there."
                + note,
            )
        )
    return out


def _host_findings(f: _File) -> list[Finding]:
    """HX1 LSASS dumps and minidumps in drop zones, HX2 staging archives (all need corroboration)."""
    out: list[Finding] = []
    has_hx1 = any(x.rule_id == "HX1-lsass-dump" for x in f.findings)
    head = f.data[:4] if f.data is not None else f.header[:4]
    in_drop = (
        f.role in HOST_DROP_ROLES
        or f.role in WEB_SERVED_ROLES
        or (f.role == PROGRAMDATA and (programdata_depth(f.rel) or 0) <= 1)
    )
    if not has_hx1 and fnmatch.fnmatchcase(f.name, "lsass*.dmp"):
        out.append(
            _finding(
                f,
                "HX1-lsass-dump",
                "LSASS memory dump (by file name)",
                Verdict.SUSPICIOUS,
                Severity.HIGH,
                "A dump of the LSASS process holds credentials; HAFNIUM dumped lsass to C:\\root and "
                "Windows\\Temp. Verify whether an administrator or support case created it.",
                attack=["T1003.001"],
                requires_corroboration=True,
            )
        )
    elif not has_hx1 and head == b"MDMP" and in_drop:
        out.append(
            _finding(
                f,
                "HX1-minidump-in-drop-zone",
                "Process memory dump in a folder attackers used for staging",
                Verdict.SUSPICIOUS,
                Severity.MEDIUM,
                "A minidump outside the usual crash-dump folders. "
                + ("Too large to check for LSASS content; " if f.data is None else "No LSASS markers found; ")
                + "review which process it is from.",
                attack=["T1003"],
                requires_corroboration=True,
            )
        )
    if f.ext in ARCHIVE_EXTS:
        pd_depth = programdata_depth(f.rel)
        vendor = any(any(v in seg for v in ARCHIVE_VENDOR_EXCLUDES) for seg in f.segs[:-1])
        staged = (
            (f.role == PROGRAMDATA and pd_depth is not None and pd_depth <= 1 and not vendor)
            or f.role in HOST_DROP_ROLES
            or (f.role in WEB_SERVED_ROLES and f.role != EXCHANGE_WEB)
        )
        if staged:
            out.append(
                _finding(
                    f,
                    "HX2-staging-archive",
                    "Archive in a folder attackers used for staging",
                    Verdict.SUSPICIOUS,
                    Severity.MEDIUM,
                    "HAFNIUM staged stolen data (mailbox exports, dumps) as .zip/.7z/.rar in ProgramData and "
                    "web folders. On its own this is only a reason to review the file.",
                    attack=["T1560.001", "T1074.001"],
                    requires_corroboration=True,
                )
            )
    return out


def _config_findings(f: _File, result: FileScanResult) -> None:
    """WS6 on web.config in web folders and WS7 on agents.config."""
    if f.data is None:
        return
    checked: iisconfig.ConfigCheckResult | None = None
    if f.name == "web.config" and f.role in WEB_SERVED_ROLES:
        checked = iisconfig.check_web_config(f.data, f.rel, f.sha256)
    elif iisconfig.is_transport_agents_config(f.rel):
        checked = iisconfig.check_transport_agents(f.data, f.rel, f.sha256)
    if checked is not None:
        f.findings.extend(checked.findings)
        result.errors.extend(checked.errors)


def scan_files(
    files: Sequence[tuple[str, Path]],
    extra_yara_dirs: Sequence[Path] = (),
    max_size: int = DEFAULT_MAX_SIZE,
    *,
    iocs: IocSet | None = None,
) -> FileScanResult:
    """Run the file checks over every evidence file: ``(evidence-relative path, local path)`` pairs.

    Returns findings, every file read (size, SHA-256, role, whether YARA ran and why not), errors (unreadable
    and too-large files, rule files that do not compile, malformed configuration) and the YARA engine in use.
    """
    result = FileScanResult()
    if iocs is None:
        try:
            iocs = load_iocs()
        except (OSError, ValueError) as exc:
            result.errors.append(ScanError("ioc_data", "lekdicht/data", f"indicator lists not loaded: {exc}"))
            iocs = IocSet()
    try:
        allowlist = load_auth_allowlist()
    except (OSError, ValueError) as exc:
        result.errors.append(ScanError("ioc_data", "lekdicht/data/exchange_auth_pages.yml", str(exc)))
        allowlist = {}

    ordered = sorted(files, key=lambda t: (t[0].replace("\\", "/").lower(), t[0]))

    # Pass 1: IIS configuration gives the web roots for everything else.
    config_paths: set[str] = set()
    for rel, abspath in ordered:
        if not iisconfig.is_applicationhost(rel):
            continue
        config_paths.add(rel)
        read = read_evidence_file(abspath, max_size)
        sha = hashlib.sha256(read.data).hexdigest() if read.data is not None else None
        result.scanned.append(ScannedFile(rel, read.size, sha, "iis_config", False, read.error, read.mtime))
        if read.data is None:
            result.errors.append(ScanError(read.error_kind or "unreadable", rel, read.error or ""))
            continue
        checked = iisconfig.check_applicationhost(read.data, rel, sha)
        result.findings.extend(checked.findings)
        result.errors.extend(checked.errors)
        for root in checked.vdir_roots:
            if root not in result.vdir_roots:
                result.vdir_roots.append(root)

    engine: YaraEngine | None = None
    try:
        engine = YaraEngine.build(extra_yara_dirs, result.errors)
        result.yara_engine = engine.description
        result.rule_files = list(engine.rule_files)
    except ImportError as exc:
        result.yara_engine = f"unavailable: yara-x cannot be imported ({exc})"
    except Exception as exc:  # built-in rules broken or the binding failing: degrade, do not crash
        result.yara_engine = f"unavailable: {exc}"
    if engine is None:
        result.errors.append(
            ScanError(
                "yara_unavailable",
                "yara-x",
                f"{result.yara_engine}; file content was not scanned with YARA, name, location and hash "
                "checks still ran",
            )
        )

    # Pass 2: every file.
    for rel, abspath in ordered:
        if rel in config_paths:
            continue
        segs = split_path(rel)
        if not segs:
            continue
        name = segs[-1]
        ext = os.path.splitext(name)[1]
        role = classify_path(rel, result.vdir_roots)
        f = _File(rel, abspath, segs, name, ext, role)
        read_it, yara_it = _plan(role, ext, name)
        if iisconfig.is_transport_agents_config(rel):
            read_it, yara_it = True, False
        if read_it:
            read = read_evidence_file(abspath, max_size)
            skipped = read.error
            if read.data is not None:
                f.data = read.data
                f.sha256 = hashlib.sha256(read.data).hexdigest()
            else:
                result.errors.append(ScanError(read.error_kind or "unreadable", rel, read.error or ""))
                if read.error_kind == "too_large" and ext in DUMP_EXTS:
                    f.header = read_evidence_file(abspath, max_size, limit=8).data or b""
            hits: list[RuleHit] = []
            scanned_yara = False
            if yara_it and f.data is not None:
                if engine is None:
                    skipped = "YARA unavailable"
                else:
                    md5 = (
                        hashlib.md5(f.data, usedforsecurity=False).hexdigest()
                        if engine.has_user_rules
                        else ""
                    )
                    try:
                        hits = engine.scan(f.data, rel, ext, md5)
                        scanned_yara = True
                    except Exception as exc:  # yara_x.ScanError / TimeoutError
                        skipped = f"YARA scan failed: {exc}"
                        result.errors.append(ScanError("yara_scan", rel, str(exc)))
            if not yara_it and skipped is None:
                skipped = (
                    "configuration checked (WS7), no YARA"
                    if iisconfig.is_transport_agents_config(rel)
                    else "hashed only: no content rules for this file type in this location"
                )
            result.scanned.append(
                ScannedFile(rel, read.size, f.sha256, role or OTHER, scanned_yara, skipped, read.mtime)
            )
            f.findings.extend(_ioc_findings(f, iocs))
            f.findings.extend(_yara_findings(f, hits))
            _config_findings(f, result)
        else:
            f.findings.extend(_ioc_findings(f, iocs))
        f.findings.extend(_location_findings(f, allowlist))
        f.findings.extend(_host_findings(f))
        result.findings.extend(f.findings)

    result.findings.sort(key=lambda x: (x.evidence.path.lower(), x.rule_id, x.evidence.line or 0))
    result.scanned.sort(key=lambda s: s.path.lower())
    return result


__all__ = [
    "DEFAULT_MAX_SIZE",
    "FileScanResult",
    "ScanError",
    "ScannedFile",
    "read_evidence_file",
    "scan_files",
]
