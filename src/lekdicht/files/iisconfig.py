"""IIS and Exchange configuration checks: virtual directories (PS6), IIS modules (WS6) and transport agents
(WS7). Parsing uses defusedxml; a malformed file gives an error record, never an exception."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.files.locate import split_path, windows_path_suffix
from lekdicht.files.results import ScanError
from lekdicht.model import Entities, Evidence, Finding, Severity, Verdict

PROXYSHELL_VDIR_NAMES = frozenset({"com", "com1", "who", "zing", "zoo", "xyz", "aux", "con"})
"""Folders under ProgramData used as IIS virtual directories by ProxyShell actors (detection-anchors PS6)."""

_NATIVE_MODULE_DIRS = (
    "windows/system32/inetsrv/",
    "windows/syswow64/inetsrv/",
    "windows/microsoft.net/framework/",
    "windows/microsoft.net/framework64/",
    "program files/iis/",
    "program files (x86)/iis/",
    "program files/iis express/",
    "program files/microsoft/exchange server/",
)
_MANAGED_NAMESPACES = ("microsoft.", "system.")
_REF_ANCHORS = "../shared/reference/detection-anchors.md"


@dataclass(frozen=True, slots=True)
class VirtualDirectory:
    """One ``<virtualDirectory>`` of a site application."""

    site: str
    application: str
    path: str
    physical_path: str

    @property
    def url_path(self) -> str:
        app = self.application.rstrip("/")
        return (app + self.path) if self.path != "/" else (app or "/")


@dataclass(slots=True)
class ConfigCheckResult:
    """Virtual directories, derived roots, findings and errors from one configuration file."""

    vdirs: list[VirtualDirectory] = field(default_factory=list)
    vdir_roots: list[str] = field(default_factory=list)
    """Drive-independent suffixes of the physical paths (for :func:`lekdicht.files.locate.classify_path`)."""
    exchange_roots: list[str] = field(default_factory=list)
    """Exchange install paths (suffixes) inferred from the vdirs that point into FrontEnd or ClientAccess."""
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def is_applicationhost(relpath: str) -> bool:
    """True for ``applicationHost.config`` (live config or an ``inetpub\\history`` backup)."""
    segs = split_path(relpath)
    return bool(segs) and segs[-1] == "applicationhost.config"


def is_transport_agents_config(relpath: str) -> bool:
    """True for Exchange's ``TransportRoles\\Shared\\agents.config``."""
    segs = split_path(relpath)
    return bool(segs) and segs[-1] == "agents.config"


def _parse(data: bytes, relpath: str, result: ConfigCheckResult) -> tuple[ET.Element | None, str]:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's forbidden-construct errors
        result.errors.append(ScanError("config_parse", relpath, f"{type(exc).__name__}: {exc}"))
        return None, text
    return root, text


def _line_of(text: str, needle: str) -> int | None:
    if not needle:
        return None
    idx = text.find(needle)
    if idx < 0:
        idx = text.lower().find(needle.lower())
    return None if idx < 0 else text.count("\n", 0, idx) + 1


def _attrs(el: ET.Element) -> str:
    return f"<{el.tag} " + " ".join(f'{k}="{v}"' for k, v in el.attrib.items()) + " />"


def _finding(
    rule_id: str,
    title: str,
    verdict: Verdict,
    severity: Severity,
    relpath: str,
    sha256: str | None,
    excerpt: str,
    line: int | None,
    description: str,
    attack: list[str],
    cves: list[str] | None = None,
    url: str | None = None,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title=title,
        verdict=verdict,
        severity=severity,
        artefact_kind=ArtefactKind.IIS_CONFIG.value,
        evidence=Evidence(path=relpath, sha256=sha256, line=line, excerpt=excerpt[:300]),
        cves=cves or [],
        attack=attack,
        entities=Entities(file=relpath, url=url),
        references=[_REF_ANCHORS],
        description=description,
    )


def exchange_root_of(physical_suffix: str) -> str | None:
    """Exchange install path (suffix) of a vdir physical path under FrontEnd\\HttpProxy or ClientAccess."""
    segs = split_path(physical_suffix)
    for i, seg in enumerate(segs):
        if seg == "clientaccess" or (seg == "frontend" and segs[i + 1 : i + 2] == ["httpproxy"]):
            return "/".join(segs[:i])
    return None


def _suspicious_vdir_location(suffix: str) -> str | None:
    segs = split_path(suffix)
    if not segs:
        return None
    if segs[0] == "programdata":
        return "ProgramData"
    if segs[0] == "users":
        return "a user profile folder"
    if segs[:2] == ["windows", "temp"]:
        return "Windows\\Temp"
    return None


def check_applicationhost(data: bytes, relpath: str, sha256: str | None = None) -> ConfigCheckResult:
    """Parse an applicationHost.config: virtual directories (roots for web-role classification), vdirs in
    ProgramData or user folders (PS6), and IIS modules outside IIS/.NET/Exchange folders (WS6)."""
    result = ConfigCheckResult()
    root, text = _parse(data, relpath, result)
    if root is None:
        return result
    for site in root.iter("site"):
        site_name = site.get("name", "")
        for app in site.iter("application"):
            app_path = app.get("path", "/")
            for vd in app.iter("virtualDirectory"):
                physical = vd.get("physicalPath", "")
                vdir = VirtualDirectory(site_name, app_path, vd.get("path", "/"), physical)
                result.vdirs.append(vdir)
                suffix = windows_path_suffix(physical)
                if suffix and suffix not in result.vdir_roots:
                    result.vdir_roots.append(suffix)
                ex_root = exchange_root_of(suffix or "")
                if ex_root is not None and ex_root not in result.exchange_roots:
                    result.exchange_roots.append(ex_root)
                where = _suspicious_vdir_location(suffix or "")
                if where:
                    name = split_path(suffix or "")[1:2]
                    proxyshell = bool(name) and name[0] in PROXYSHELL_VDIR_NAMES
                    result.findings.append(
                        _finding(
                            "PS6-iis-vdir-suspicious-path",
                            f"IIS virtual directory {site_name}{vdir.url_path} points into {where}",
                            Verdict.SUSPICIOUS,
                            Severity.HIGH,
                            relpath,
                            sha256,
                            f"site={site_name} application={app_path} {_attrs(vd)}",
                            _line_of(text, physical),
                            "An IIS virtual directory serves files from "
                            f"{physical!r}. ProxyShell actors created virtual directories in "
                            "C:\\ProgramData\\{COM,COM1,WHO,ZING,ZOO,XYZ,AUX,CON} and user folders to serve "
                            "webshells"
                            + (" - this folder name is one of them." if proxyshell else ".")
                            + " Exchange and IIS never put web content there.",
                            ["T1505.003"],
                            ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"] if proxyshell else [],
                            url=vdir.url_path,
                        )
                    )
    result.findings.extend(check_modules(root, text, relpath, sha256, result.exchange_roots))
    return result


def _native_image_expected(image: str, exchange_roots: list[str]) -> bool:
    raw = image.strip().strip('"').lower()
    if raw.startswith("%exchangeinstallpath%"):
        return True
    suffix = (windows_path_suffix(image) or "") + "/"
    if any(suffix.startswith(d) for d in _NATIVE_MODULE_DIRS):
        return True
    return any(r and suffix.startswith(r.rstrip("/") + "/") for r in exchange_roots)


def check_modules(
    root: ET.Element, text: str, relpath: str, sha256: str | None, exchange_roots: list[str]
) -> list[Finding]:
    """WS6: native modules (``<globalModules>``) whose image is outside the IIS, .NET and Exchange folders,
    and managed modules (``<modules>``) whose type is outside the Microsoft.* and System.* namespaces."""
    findings: list[Finding] = []
    for parent in root.iter():
        if parent.tag not in ("globalModules", "modules"):
            continue
        for add in parent.findall("add"):
            name = add.get("name", "")
            image = add.get("image")
            mtype = add.get("type")
            if parent.tag == "globalModules" and image is not None:
                if _native_image_expected(image, exchange_roots):
                    continue
                findings.append(
                    _finding(
                        "WS6-iis-native-module-unexpected",
                        f"IIS native module {name!r} loads a DLL outside the IIS, .NET and Exchange folders",
                        Verdict.SUSPICIOUS,
                        Severity.MEDIUM,
                        relpath,
                        sha256,
                        _attrs(add),
                        _line_of(text, image),
                        f"Native module image {image!r}. IIS module backdoors load into every worker "
                        "process; "
                        "verify the module's vendor and signature.",
                        ["T1505.004"],
                    )
                )
            elif parent.tag == "modules" and mtype:
                if mtype.strip().lower().startswith(_MANAGED_NAMESPACES):
                    continue
                findings.append(
                    _finding(
                        "WS6-iis-managed-module-unexpected",
                        f"IIS managed module {name!r} has a type outside the Microsoft and System namespaces",
                        Verdict.SUSPICIOUS,
                        Severity.MEDIUM,
                        relpath,
                        sha256,
                        _attrs(add),
                        _line_of(text, mtype),
                        f"Managed module type {mtype!r}. Third-party modules (MFA, antivirus) are possible; "
                        "backdoor modules are too. Verify the assembly.",
                        ["T1505.004"],
                    )
                )
    return findings


def check_web_config(data: bytes, relpath: str, sha256: str | None = None) -> ConfigCheckResult:
    """WS6 on a web.config in a web-served folder: managed and native modules of that application."""
    result = ConfigCheckResult()
    root, text = _parse(data, relpath, result)
    if root is not None:
        result.findings.extend(check_modules(root, text, relpath, sha256, []))
    return result


_AGENTS_DIR = re.compile(r"(^|/)transportroles/agents/")


def check_transport_agents(data: bytes, relpath: str, sha256: str | None = None) -> ConfigCheckResult:
    """WS7: transport agents in agents.config whose factory is not Microsoft.Exchange.* or whose assembly is
    outside Exchange's ``TransportRoles\\agents`` folder."""
    result = ConfigCheckResult()
    root, text = _parse(data, relpath, result)
    if root is None:
        return result
    for agent in root.iter("agent"):
        factory = agent.get("classFactory", "")
        assembly = agent.get("assemblyPath", "")
        suffix = windows_path_suffix(assembly) or ""
        if factory.lower().startswith("microsoft.exchange.") and _AGENTS_DIR.search(suffix):
            continue
        result.findings.append(
            _finding(
                "WS7-transport-agent-unexpected",
                f"Exchange transport agent {agent.get('name', '')!r} is not one of Exchange's own",
                Verdict.SUSPICIOUS,
                Severity.MEDIUM,
                relpath,
                sha256,
                _attrs(agent),
                _line_of(text, assembly or factory),
                f"Transport agent factory {factory!r}, assembly {assembly!r}. Transport agents see every "
                "message; a malicious one can copy or forward mail. Verify the vendor (disclaimer, archiving "
                "and antivirus products install agents too).",
                ["T1505.002"],
            )
        )
    return result
