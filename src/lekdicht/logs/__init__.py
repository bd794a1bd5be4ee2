"""logs stage: streaming readers that turn one artefact into records.

:data:`READERS` maps every log kind of :data:`lekdicht.catalog.kinds.LOG_KINDS` to its reader;
each matches the :class:`lekdicht.logs.base.Reader` protocol.
"""

from __future__ import annotations

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.logs import evtx_reader, jsonl_events, oabgen, w3c
from lekdicht.logs.base import Reader
from lekdicht.logs.exchange_csv import (
    read_ecp_activity,
    read_ecp_server,
    read_ews,
    read_exchange_other,
    read_httpproxy,
    read_message_tracking,
    read_rps_cmdlet,
    read_rps_http,
)

READERS: dict[ArtefactKind, Reader] = {
    ArtefactKind.HTTPPROXY: read_httpproxy,
    ArtefactKind.ECP_SERVER: read_ecp_server,
    ArtefactKind.ECP_ACTIVITY: read_ecp_activity,
    ArtefactKind.EWS: read_ews,
    ArtefactKind.RPS_HTTP: read_rps_http,
    ArtefactKind.RPS_CMDLET: read_rps_cmdlet,
    ArtefactKind.MESSAGE_TRACKING: read_message_tracking,
    ArtefactKind.EXCHANGE_OTHER: read_exchange_other,
    ArtefactKind.OABGEN: oabgen.read,
    ArtefactKind.IIS_W3C: w3c.read,
    ArtefactKind.EVTX: evtx_reader.read,
    ArtefactKind.EVENTS_JSONL: jsonl_events.read,
}
"""Reader per log kind."""

__all__ = ["READERS"]
