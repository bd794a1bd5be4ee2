"""Data exposure (DX1-DX5): which mailboxes were read or exported, address-book downloads,
mail-flow changes and outbound mail, each item citing the log lines it rests on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lekdicht.correlate.activity import Activity, is_person
from lekdicht.correlate.commands import Command
from lekdicht.model import Finding, format_time

MAX_CITES = 20
READ_OPERATIONS = frozenset(
    {
        "finditem",
        "getitem",
        "getattachment",
        "exportitems",
        "syncfolderitems",
        "findfolder",
        "getfolder",
        "syncfolderhierarchy",
        "getconversationitems",
        "findconversation",
        "getmailtips",
        "expanddl",
    }
)
MAILBOX_PROTOCOLS = ("/ews/", "/mapi/", "/owa/", "/microsoft-server-activesync", "/rpc/")
_WEB_TARGETS = (".aspx", ".asp", ".ashx", ".asmx", "\\inetpub\\", "aspnet_client", "\\frontend\\httpproxy\\")
_LOCAL_UNC = ("\\\\localhost\\", "\\\\127.", "\\\\::1\\")


def _t(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@dataclass(slots=True)
class Cited:
    """Base for exposure items: first/last time and up to MAX_CITES evidence citations."""

    first: datetime | None = None
    last: datetime | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def cite(self, when: datetime | None, where: dict[str, Any]) -> None:
        self.count += 1
        if when is not None:
            self.first = when if self.first is None or when < self.first else self.first
            self.last = when if self.last is None or when > self.last else self.last
        if len(self.evidence) < MAX_CITES:
            self.evidence.append(where)

    def span(self) -> dict[str, Any]:
        return {"first": format_time(self.first), "last": format_time(self.last), "evidence": self.evidence}


@dataclass(slots=True)
class MailboxAccess(Cited):
    """Requests by attacker sessions that worked on one mailbox."""

    mailbox: str = ""
    operations: Counter[str] = field(default_factory=Counter)
    bytes_out: int = 0
    via: set[str] = field(default_factory=set)
    client_ips: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "requests": self.count,
            "operations": dict(sorted(self.operations.items())),
            "read": any(op.lower() in READ_OPERATIONS for op in self.operations) or "owa" in self.via,
            "response_bytes": self.bytes_out,
            "via": sorted(self.via),
            "client_ips": sorted(self.client_ips),
            **self.span(),
        }


@dataclass(slots=True)
class MailboxExport:
    """One New-MailboxExportRequest, and its removal if seen."""

    mailbox: str
    file_path: str
    requester: str
    time: datetime | None
    suspicious: bool
    reason: str
    failed: bool
    evidence: list[dict[str, Any]]
    removed: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox,
            "file_path": self.file_path,
            "requester": self.requester,
            "time": format_time(self.time),
            "suspicious": self.suspicious,
            "reason": self.reason,
            "failed": self.failed,
            "removed": self.removed,
            "evidence": self.evidence,
        }


@dataclass(slots=True)
class AddressBookAccess(Cited):
    """Offline address book or NSPI downloads by one attacker address."""

    client_ip: str = ""
    kind: str = ""
    bytes_out: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "client_ip": self.client_ip,
            "kind": self.kind,
            "downloads": self.count,
            "response_bytes": self.bytes_out,
            **self.span(),
        }


@dataclass(slots=True)
class DataExposure:
    """Everything the evidence says about data taken or mail redirected."""

    attacker_ips: list[str]
    mailboxes: list[MailboxAccess] = field(default_factory=list)
    exports: list[MailboxExport] = field(default_factory=list)
    role_grants: list[dict[str, Any]] = field(default_factory=list)
    address_book: list[AddressBookAccess] = field(default_factory=list)
    mail_flow: list[dict[str, Any]] = field(default_factory=list)
    outbound_mail: list[dict[str, Any]] = field(default_factory=list)
    pst_files: list[dict[str, Any]] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)

    def affected_accounts(self) -> set[str]:
        """Mailboxes read or exported, as lower-case addresses/names."""
        out = {m.mailbox.lower() for m in self.mailboxes}
        out.update(e.mailbox.lower() for e in self.exports if e.mailbox)
        return {a for a in out if a}

    def summary(self) -> str:
        """One or two plain sentences for people who will not read the details."""
        parts: list[str] = []
        read = [m for m in self.mailboxes if m.to_json()["read"]]
        if read:
            parts.append(f"{len(read)} mailbox{'es' if len(read) != 1 else ''} read")
        elif self.mailboxes:
            parts.append(f"{len(self.mailboxes)} mailbox{'es' if len(self.mailboxes) != 1 else ''} accessed")
        exported = [e for e in self.exports if not e.failed]
        if exported:
            parts.append(f"{len(exported)} mailbox{'es' if len(exported) != 1 else ''} exported")
        downloads = sum(a.count for a in self.address_book)
        if downloads:
            times = {1: "once", 2: "twice"}.get(downloads, f"{downloads} times")
            parts.append(f"the address book downloaded {times}")
        if not parts:
            parts.append("no mailbox access, export or address-book download by the attacker was found")
        forwarding = [m for m in self.mail_flow if m.get("destination")]
        parts.append(
            f"{len(forwarding)} mail-forwarding change{'s' if len(forwarding) != 1 else ''} found"
            if forwarding
            else "no outbound forwarding found"
        )
        if self.outbound_mail:
            parts.append(f"{len(self.outbound_mail)} message(s) from affected accounts to outside addresses")
        text = ", ".join(parts)
        return text[0].upper() + text[1:] + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "assessed",
            "summary": self.summary(),
            "attacker_ips": self.attacker_ips,
            "mailboxes": [m.to_json() for m in self.mailboxes],
            "exports": [e.to_json() for e in self.exports],
            "role_grants": self.role_grants,
            "address_book": [a.to_json() for a in self.address_book],
            "mail_flow": self.mail_flow,
            "outbound_mail": self.outbound_mail,
            "pst_files": self.pst_files,
            "limits": self.limits,
        }


def _via(a: Activity) -> str:
    if a.kind == "exchange.ews":
        return "ews"
    path = a.url_path
    for proto in MAILBOX_PROTOCOLS:
        if proto in path:
            return proto.strip("/").split("-")[-1]
    return a.kind.split(".")[-1]


def mailbox_accesses(activities: Iterable[Activity]) -> list[MailboxAccess]:
    """Mailboxes worked on by the attacker's requests (EWS log, HttpProxy, IIS)."""
    by_box: dict[str, MailboxAccess] = {}
    for a in activities:
        if not a.mailbox or not is_person(a.mailbox) or a.status[:1] in ("4", "5"):
            continue
        if a.kind != "exchange.ews" and not any(p in a.url_path for p in MAILBOX_PROTOCOLS):
            continue
        key = a.mailbox.lower()
        box = by_box.setdefault(key, MailboxAccess(mailbox=a.mailbox))
        box.cite(a.time, a.cite())
        if a.operation:
            box.operations[a.operation] += 1
        box.bytes_out += a.bytes_out
        box.via.add(_via(a))
        box.client_ips.add(a.client_ip)
    return sorted(by_box.values(), key=lambda m: (_t(m.first), m.mailbox.lower()))


def address_book_downloads(activities: Iterable[Activity]) -> list[AddressBookAccess]:
    """Successful OAB and NSPI downloads by attacker addresses."""
    by_key: dict[tuple[str, str], AddressBookAccess] = {}
    for a in activities:
        path = a.url_path
        if a.status[:1] not in ("2", "3", ""):
            continue
        if "/mapi/nspi" in path:
            kind = "nspi"
        elif "/oab/" in path and (path.split("?")[0].endswith((".lzx", ".xml"))):
            kind = "oab"
        else:
            continue
        acc = by_key.setdefault((a.client_ip, kind), AddressBookAccess(client_ip=a.client_ip, kind=kind))
        acc.cite(a.time, a.cite())
        acc.bytes_out += a.bytes_out
    return sorted(by_key.values(), key=lambda x: (_t(x.first), x.client_ip, x.kind))


def _export_suspicion(path: str) -> tuple[bool, str]:
    low = path.lower()
    if low.startswith(_LOCAL_UNC):
        return True, "written through a UNC path to the server itself (ProxyShell technique)"
    if any(t in low for t in _WEB_TARGETS):
        return True, "written into a web folder or as a web page (can be downloaded or run as a webshell)"
    if low.startswith("\\\\"):
        return True, "written to a network share"
    return False, "written to a local path; confirm it was an administrator's export"


def mailbox_exports(commands: Sequence[Command]) -> tuple[list[MailboxExport], list[dict[str, Any]]]:
    """Mailbox exports with their removal, and grants of the Mailbox Import Export role."""
    exports: list[MailboxExport] = []
    grants: list[dict[str, Any]] = []
    removals = [c for c in commands if c.name.lower() == "remove-mailboxexportrequest"]
    for c in commands:
        low = c.name.lower()
        if low == "new-mailboxexportrequest":
            path = c.param("FilePath")
            suspicious, reason = _export_suspicion(path)
            mailbox = c.param("Mailbox", "Identity")
            exp = MailboxExport(mailbox, path, c.caller, c.time, suspicious, reason, c.failed, [c.cite()])
            for r in removals:
                ident = r.param("Identity").lower()
                if (
                    mailbox
                    and mailbox.lower() in ident
                    and (c.time is None or r.time is None or r.time >= c.time)
                ):
                    exp.removed = r.cite()
                    break
            exports.append(exp)
        elif low == "new-managementroleassignment" and "import export" in c.param("Role").lower():
            grants.append(
                {
                    "role": c.param("Role"),
                    "granted_to": c.param("User", "SecurityGroup"),
                    "by": c.caller,
                    "time": format_time(c.time),
                    "evidence": [c.cite()],
                }
            )
    return exports, grants


_FORWARD_PARAMS = {
    "set-mailbox": ("ForwardingSmtpAddress", "ForwardingAddress"),
    "new-inboxrule": ("ForwardTo", "RedirectTo", "ForwardAsAttachmentTo"),
    "set-inboxrule": ("ForwardTo", "RedirectTo", "ForwardAsAttachmentTo"),
    "new-transportrule": ("BlindCopyTo", "RedirectMessageTo", "AddToRecipients", "CopyTo"),
    "set-transportrule": ("BlindCopyTo", "RedirectMessageTo", "AddToRecipients", "CopyTo"),
}


def mail_flow_changes(commands: Sequence[Command], activities: Sequence[Activity]) -> list[dict[str, Any]]:
    """Forwarding, redirecting inbox rules and transport rules; ECP inbox-rule creation by attackers."""
    out: list[dict[str, Any]] = []
    for c in commands:
        names = _FORWARD_PARAMS.get(c.name.lower())
        if not names:
            continue
        for p in names:
            dest = c.param(p)
            if dest and dest.lower() not in ("$null", "null", "$false"):
                out.append(
                    {
                        "kind": c.name,
                        "mailbox": c.param("Identity", "Mailbox", "Name"),
                        "parameter": p,
                        "destination": dest,
                        "by": c.caller,
                        "time": format_time(c.time),
                        "failed": c.failed,
                        "evidence": [c.cite()],
                    }
                )
    for a in activities:
        if "inboxrules.svc/newobject" in a.url_path and a.status[:1] in ("2", ""):
            out.append(
                {
                    "kind": "InboxRule via ECP",
                    "mailbox": a.mailbox or a.account,
                    "parameter": "",
                    "destination": "",
                    "by": a.client_ip,
                    "time": format_time(a.time),
                    "failed": False,
                    "evidence": [a.cite()],
                    "note": "an inbox rule was created through ECP; its content is not in this log",
                }
            )
    return out


def pst_files(inventory: Iterable[dict[str, Any]], findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """PST files in web folders or ProgramData, and PST-headed web pages found by the file scan."""
    out: list[dict[str, Any]] = []
    for f in inventory:
        p = f["path"].lower()
        if p.endswith(".pst") and any(
            z in p for z in ("inetpub", "programdata", "aspnet_client", "frontend")
        ):
            out.append(
                {"path": f["path"], "size": f["size"], "sha256": f.get("sha256"), "reason": "PST file"}
            )
    for fd in findings:
        if fd.rule_id.startswith("PS4-") and "pst" in fd.rule_id:
            out.append(
                {
                    "path": fd.evidence.path,
                    "sha256": fd.evidence.sha256,
                    "reason": "web page that starts like a PST file (mailbox export turned into a webshell)",
                }
            )
    return out
