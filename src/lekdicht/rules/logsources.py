"""Which Sigma logsources lekdicht can feed, and how a rule's logsource relates to a record's.

A rule's logsource is a *pattern*: each attribute it sets must equal the record's. A record's
logsource is *concrete*: text logs get theirs from :data:`lekdicht.catalog.kinds.TEXT_LOGSOURCES`,
Windows events get theirs per record from the event reader.
"""

from __future__ import annotations

from lekdicht.catalog.kinds import TEXT_LOGSOURCES, LogSource

WINDOWS_SERVICES: tuple[str, ...] = (
    "security",
    "system",
    "application",
    "sysmon",
    "msexchange-management",
    "powershell",
    "powershell-classic",
)
"""``product: windows`` services the event readers can produce."""

WINDOWS_CATEGORIES: tuple[str, ...] = (
    "process_creation",
    "network_connection",
    "image_load",
    "create_remote_thread",
    "process_access",
    "file_event",
    "file_delete",
    "dns_query",
    "registry_event",
    "registry_add",
    "registry_delete",
    "registry_set",
    "registry_rename",
)
"""``product: windows`` categories (Sysmon-derived) the event readers can produce."""

WEBSERVER_CATEGORY = "webserver"
"""Rules with ``category: webserver`` are accepted whatever product or service they name."""


def _known() -> tuple[LogSource, ...]:
    known: list[LogSource] = list(TEXT_LOGSOURCES.values())
    known += [LogSource(product="windows", service=s) for s in WINDOWS_SERVICES]
    known += [LogSource(product="windows", category=c) for c in WINDOWS_CATEGORIES]
    # The MSExchange Management event log is named as a Windows service by SigmaHQ and as an
    # Exchange service in the design; accept both spellings.
    known.append(LogSource(product="exchange", service="msexchange-management"))
    return tuple(dict.fromkeys(known))


KNOWN_LOGSOURCES: tuple[LogSource, ...] = _known()
"""Every concrete logsource some artefact of lekdicht provides."""


def covers(pattern: LogSource, concrete: LogSource) -> bool:
    """True if every attribute ``pattern`` sets equals the one of ``concrete``."""
    return (
        (pattern.product is None or pattern.product == concrete.product)
        and (pattern.category is None or pattern.category == concrete.category)
        and (pattern.service is None or pattern.service == concrete.service)
    )


def is_known(logsource: LogSource) -> bool:
    """True if some artefact can feed a rule with this logsource."""
    if logsource.category == WEBSERVER_CATEGORY:
        return True
    return any(covers(logsource, known) for known in KNOWN_LOGSOURCES)


def related(rule_logsource: LogSource, pattern: LogSource) -> bool:
    """True if some known concrete logsource is covered by both the rule and ``pattern``.

    Used to decide whether a per-logsource setting (such as a field alias for
    ``category: webserver``) applies to a rule: a rule for ``product: windows, service: iis``
    is related to ``category: webserver`` because IIS records carry both.
    """
    if covers(pattern, rule_logsource):
        return True
    return any(covers(rule_logsource, k) and covers(pattern, k) for k in KNOWN_LOGSOURCES)


def describe(logsource: LogSource) -> str:
    """``product=windows, service=iis`` style text for messages."""
    parts = [
        f"{name}={value}"
        for name, value in (
            ("product", logsource.product),
            ("category", logsource.category),
            ("service", logsource.service),
        )
        if value is not None
    ]
    return ", ".join(parts) if parts else "(empty)"
