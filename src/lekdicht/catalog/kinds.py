"""Artefact kinds and the Sigma logsource each one feeds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ArtefactKind(StrEnum):
    """What a file is, decided by content first and path second."""

    HTTPPROXY = "exchange.httpproxy"
    ECP_SERVER = "exchange.ecp_server"
    ECP_ACTIVITY = "exchange.ecp_activity"
    EWS = "exchange.ews"
    RPS_HTTP = "exchange.rps_http"
    RPS_CMDLET = "exchange.rps_cmdlet"
    MESSAGE_TRACKING = "exchange.messagetracking"
    OABGEN = "exchange.oabgen"
    EXCHANGE_OTHER = "exchange.other_csv"
    IIS_W3C = "iis.w3c"
    EVTX = "windows.evtx"
    EVENTS_JSONL = "windows.events_jsonl"
    IIS_CONFIG = "config.iis"
    WEB_CONTENT = "file.web_content"
    BINARY = "file.binary"
    OTHER = "file.other"

    @property
    def is_log(self) -> bool:
        return self in LOG_KINDS

    @property
    def is_event(self) -> bool:
        return self in (ArtefactKind.EVTX, ArtefactKind.EVENTS_JSONL)


LOG_KINDS = frozenset(
    {
        ArtefactKind.HTTPPROXY,
        ArtefactKind.ECP_SERVER,
        ArtefactKind.ECP_ACTIVITY,
        ArtefactKind.EWS,
        ArtefactKind.RPS_HTTP,
        ArtefactKind.RPS_CMDLET,
        ArtefactKind.MESSAGE_TRACKING,
        ArtefactKind.OABGEN,
        ArtefactKind.EXCHANGE_OTHER,
        ArtefactKind.IIS_W3C,
        ArtefactKind.EVTX,
        ArtefactKind.EVENTS_JSONL,
    }
)


@dataclass(frozen=True, slots=True)
class LogSource:
    """A Sigma logsource triple; None means "not specified"."""

    product: str | None = None
    category: str | None = None
    service: str | None = None


# Text logs have one logsource per file. Windows events get theirs per record (see logs.windows).
TEXT_LOGSOURCES: dict[ArtefactKind, LogSource] = {
    ArtefactKind.HTTPPROXY: LogSource(product="exchange", service="httpproxy"),
    ArtefactKind.ECP_SERVER: LogSource(product="exchange", service="ecp"),
    ArtefactKind.ECP_ACTIVITY: LogSource(product="exchange", service="ecp_activity"),
    ArtefactKind.EWS: LogSource(product="exchange", service="ews"),
    ArtefactKind.RPS_HTTP: LogSource(product="exchange", service="rps_http"),
    ArtefactKind.RPS_CMDLET: LogSource(product="exchange", service="rps_cmdlet"),
    ArtefactKind.MESSAGE_TRACKING: LogSource(product="exchange", service="messagetracking"),
    ArtefactKind.OABGEN: LogSource(product="exchange", service="oabgen"),
    ArtefactKind.EXCHANGE_OTHER: LogSource(product="exchange", service="other"),
    ArtefactKind.IIS_W3C: LogSource(category="webserver", product="windows", service="iis"),
}

# Log family names used for coverage reporting.
FAMILY: dict[ArtefactKind, str] = {
    ArtefactKind.HTTPPROXY: "httpproxy",
    ArtefactKind.ECP_SERVER: "ecp",
    ArtefactKind.ECP_ACTIVITY: "ecp",
    ArtefactKind.EWS: "ews",
    ArtefactKind.RPS_HTTP: "rps_http",
    ArtefactKind.RPS_CMDLET: "rps_cmdlet",
    ArtefactKind.MESSAGE_TRACKING: "messagetracking",
    ArtefactKind.OABGEN: "oabgen",
    ArtefactKind.EXCHANGE_OTHER: "exchange_other",
    ArtefactKind.IIS_W3C: "iis",
    ArtefactKind.EVTX: "windows_events",
    ArtefactKind.EVENTS_JSONL: "windows_events",
}
