"""Pull the entities of a finding (client IP, user agent, account, ...) out of a record."""

from __future__ import annotations

from lekdicht.model import Entities, Record

# First present, non-empty field wins. Field names are those the readers emit.
_ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "client_ip": ("ClientIpAddress", "c-ip", "client-ip", "IpAddress", "SourceIp", "ClientIP"),
    "user_agent": ("UserAgent", "cs-user-agent", "ClientInfo"),
    "account": (
        "AuthenticatedUser",
        "cs-username",
        "Caller",
        "SubjectUserName",
        "User",
        "TargetUserName",
        "MemberName",
    ),
    "mailbox": ("ImpersonatedUser", "AnchorMailbox", "Mailbox", "sender-address"),
    "file": ("TargetFilename", "TempFilePath", "Image"),
    "url": ("Url", "cs-uri", "URL", "UrlStem"),
}

_EMPTY = {"", "-"}


def first_hop(value: str) -> str:
    """The originating client of an address list ("client, proxy" or "client proxy backend")."""
    return value.replace(",", " ").split()[0] if value.strip() else ""


def entities_from(fields: Record) -> Entities:
    """Entities of one record, by the first matching field of each kind."""
    found: dict[str, str] = {}
    for entity, names in _ENTITY_FIELDS.items():
        for name in names:
            value = fields.get(name)
            if value is not None and value.strip() not in _EMPTY:
                found[entity] = value.strip()
                break
    if "client_ip" in found:
        found["client_ip"] = first_hop(found["client_ip"])
    return Entities(**found)
