"""One request or command seen in a log, normalised across log formats for correlation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from lekdicht.model import LogRecord, Record, format_time
from lekdicht.scan.entities import first_hop

CLIENT_IP_FIELDS = ("ClientIpAddress", "c-ip", "ClientIP", "IpAddress")
_EMPTY = {"", "-"}
# Accounts that are the server itself, not a person's mailbox.
_SYSTEM_ACCOUNTS = ("nt authority\\", "s-1-5-18", "system", "healthmailbox")


def first(fields: Record, *names: str) -> str:
    """The first present, non-empty value of the named fields ('' if none)."""
    for name in names:
        value = fields.get(name)
        if value is not None and value.strip() not in _EMPTY:
            return value.strip()
    return ""


def client_ip(fields: Record) -> str:
    """The client address of a request, without a port."""
    ip = first_hop(first(fields, *CLIENT_IP_FIELDS))
    if ip.count(":") == 1 and "." in ip:  # IPv4 with port
        ip = ip.split(":", 1)[0]
    return ip


def is_person(account: str) -> bool:
    """False for the machine account, SYSTEM and health mailboxes."""
    low = account.lower()
    return bool(low) and not low.endswith("$") and not any(s in low for s in _SYSTEM_ACCOUNTS)


def mailbox_of(fields: Record) -> str:
    """The mailbox a request works on, when the log says so."""
    for name in ("ImpersonatedUser", "ActAsUser", "ProxyAsUser"):
        value = first(fields, name)
        if value and is_person(value):
            return value
    anchor = first(fields, "AnchorMailbox")
    if anchor.lower().startswith("smtp~"):
        return anchor[5:]
    user = first(fields, "AuthenticatedUser", "cs-username")
    return user if is_person(user) else ""


@dataclass(slots=True)
class Activity:
    """A request (or command) with the facts correlation needs and where it was logged."""

    time: datetime | None
    path: str
    line: int | None
    record: int | None
    kind: str
    client_ip: str
    user_agent: str
    account: str
    mailbox: str
    method: str
    url: str
    status: str
    bytes_out: int
    operation: str
    excerpt: str

    @classmethod
    def from_record(cls, rec: LogRecord, kind: str) -> Activity:
        f = rec.fields
        stem = first(f, "UrlStem", "cs-uri-stem")
        query = first(f, "UrlQuery", "cs-uri-query")
        url = first(f, "Url", "cs-uri") or (stem + (("?" + query.lstrip("?")) if query else ""))
        size = first(f, "ResponseSize", "ResponseBytes", "sc-bytes")
        return cls(
            time=rec.timestamp,
            path=rec.location.path,
            line=rec.location.line,
            record=rec.location.record,
            kind=kind,
            client_ip=client_ip(f),
            user_agent=first(f, "UserAgent", "cs-user-agent"),
            account=first(f, "AuthenticatedUser", "cs-username", "Caller"),
            mailbox=mailbox_of(f),
            method=first(f, "Method", "cs-method"),
            url=url,
            status=first(f, "HttpStatus", "sc-status"),
            bytes_out=int(size) if size.isdigit() else 0,
            operation=first(f, "SoapAction", "ProtocolAction", "CMD", "Cmdlet", "CmdletName"),
            excerpt=rec.raw[:200],
        )

    @property
    def url_path(self) -> str:
        """Lower-case, URL-decoded path and query, for classification."""
        return unquote(self.url).lower()

    def cite(self) -> dict[str, Any]:
        """Where this activity was logged (for evidence citations)."""
        return citation(self.path, self.time, self.line, self.record)


def citation(path: str, time: datetime | None, line: int | None, record: int | None) -> dict[str, Any]:
    """An evidence citation: file, time, and line (text logs) or record number (events)."""
    out: dict[str, Any] = {"path": path, "time": format_time(time)}
    if line is not None:
        out["line"] = line
    if record is not None:
        out["record"] = record
    return out
