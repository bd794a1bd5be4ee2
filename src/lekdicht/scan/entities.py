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


def entities_from(fields: Record) -> Entities:
    """Entities of one record, by the first matching field of each kind."""
    found: dict[str, str] = {}
    for entity, names in _ENTITY_FIELDS.items():
        for name in names:
            value = fields.get(name)
            if value is not None and value.strip() not in _EMPTY:
                found[entity] = value.strip()
                break
    return Entities(**found)
