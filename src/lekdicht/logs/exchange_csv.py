"""Exchange CSV text logs: HttpProxy, ECP Server/Activity, EWS, Rps_Http, Rps_Cmdlet, MessageTracking
and any other log with the ``#Software/#Version/#Log-type/#Date/#Fields`` header block.

Columns are mapped by the most recent ``#Fields`` line. Every original field is kept as written;
derived fields are added:

- HttpProxy (and any log with a ``UrlStem`` column, e.g. Rps_Http): ``Url`` (``UrlStem`` +
  ``UrlQuery``, a ``?`` added when the query lacks one) and ``UrlDecoded`` (one pass of
  percent-decoding; ``+`` is left as is).
- ECP Server / ECP Activity: every ``S:KEY=value`` pair of ``EventData`` as a field named ``KEY``
  (type prefix ``S:``, ``I32:``, ``Dbl:``, ``F:``... removed), e.g. ``CMD``, ``URL``, ``REQID``.

Headerless files (e.g. extracts that lost the header) are read with :data:`DEFAULT_FIELDS` when the
kind is known. A bare column-name line without ``#Fields:`` (real Rps_Http and Rps_Cmdlet files
start with one, before the ``#Software`` block) is taken as a field list, not as a bad record.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from urllib.parse import unquote

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.logs._textlog import TextLineState, iter_text_records, parse_iso_utc, split_directive
from lekdicht.logs.base import LineSelector, Reader, ReadStats
from lekdicht.model import Location, LogRecord, Record


def _field_list(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


HTTPPROXY_FIELDS: tuple[str, ...] = _field_list(
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,"
    "Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
    "Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,"
    "ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,"
    "BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,"
    "TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,"
    "CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,"
    "TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,"
    "SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,"
    "ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
    "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
    "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,"
    "HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,"
    "CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,"
    "BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,"
    "PartitionEndpointLookupLatency,RoutingStatus"
)
"""HttpProxy #Fields of Exchange 2016 CU23 (15.01.2375.007), 74 fields (log-formats.md 7.1)."""

MESSAGE_TRACKING_FIELDS: tuple[str, ...] = _field_list(
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version"
)
"""Message Tracking #Fields of Exchange 2013+ (15.x), 30 fields (log-formats.md 7.6)."""

ECP_FIELDS: tuple[str, ...] = ("TimeStamp", "ServerName", "EventId", "EventData")
"""ECP Server and ECP Activity #Fields (log-formats.md 7.2)."""

DEFAULT_FIELDS: dict[ArtefactKind, tuple[str, ...]] = {
    ArtefactKind.HTTPPROXY: HTTPPROXY_FIELDS,
    ArtefactKind.MESSAGE_TRACKING: MESSAGE_TRACKING_FIELDS,
    ArtefactKind.ECP_SERVER: ECP_FIELDS,
    ArtefactKind.ECP_ACTIVITY: ECP_FIELDS,
}
"""Field lists used for data lines that come before any ``#Fields`` header, per known kind."""

TIMESTAMP_FIELDS = ("DateTime", "date-time", "TimeStamp", "Timestamp")
"""Fields that hold the record time (ISO 8601 with Z), in order of preference."""

_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def bare_field_list(text: str) -> tuple[str, ...] | None:
    """The field names of a column-name line without ``#Fields:`` (``DateTime,StartTime,...``).

    Only a line whose first name is a timestamp field and whose every value is a plain name
    qualifies, so a data line (which starts with a timestamp value) never does.
    """
    if not text.startswith(TIMESTAMP_FIELDS):
        return None
    names = tuple(v.strip() for v in text.split(","))
    if len(names) < 4 or names[0] not in TIMESTAMP_FIELDS:
        return None
    if not all(_FIELD_NAME.fullmatch(n) for n in names):
        return None
    return names


LOG_TYPE_KINDS: dict[str, ArtefactKind] = {
    "httpproxy logs": ArtefactKind.HTTPPROXY,
    "ecp server log": ArtefactKind.ECP_SERVER,
    "ecp activity context log": ArtefactKind.ECP_ACTIVITY,
    "ews logs": ArtefactKind.EWS,
    "rps http logs": ArtefactKind.RPS_HTTP,
    "rps cmdlet logs": ArtefactKind.RPS_CMDLET,
    "message tracking log": ArtefactKind.MESSAGE_TRACKING,
}
"""``#Log-type`` header values (lower case) and the kind they identify."""

_ECP_KINDS = frozenset({ArtefactKind.ECP_SERVER, ArtefactKind.ECP_ACTIVITY})


def split_event_data(text: str) -> list[tuple[str, str]]:
    """Split ECP ``EventData`` (``S:KEY=value;I32:KEY2=2;...``) into (KEY, value) pairs.

    The type prefix (``S:``, ``I32:``, ``Dbl:``, ``F:``...) is removed from the key. A pair, or a
    value, wrapped in ``'...'`` may contain ``;`` and has its inner ``''`` undoubled. An
    apostrophe elsewhere, or one that is never closed, is literal. Tokens without ``=`` get an
    empty value.
    """
    out: list[tuple[str, str]] = []
    n = len(text)
    i = 0
    while i < n:
        # one token: up to the next ';' outside quotes
        parts: list[str] = []
        start = i
        at_start = True
        while i < n and text[i] != ";":
            ch = text[i]
            if ch == "'" and (at_start or text[i - 1] == "="):
                end, chunk = _read_quoted(text, i)
                if end >= 0:
                    parts.append(text[start:i])
                    parts.append(chunk)
                    i = start = end
                    at_start = False
                    continue
            at_start = False
            i += 1
        parts.append(text[start:i])
        i += 1  # skip ';'
        token = "".join(parts)
        if not token:
            continue
        key, sep, value = token.partition("=")
        colon = key.find(":")
        if 0 < colon <= 4 and key[:colon].isalnum():
            key = key[colon + 1 :]
        key = key.strip()
        if key:
            out.append((key, value if sep else ""))
    return out


def _read_quoted(text: str, i: int) -> tuple[int, str]:
    """Read a ``'...'`` section starting at ``text[i] == "'"``.

    Returns (index just after the closing quote, unescaped content), or (-1, "") when the quote
    is never closed.
    """
    n = len(text)
    j = i + 1
    buf: list[str] = []
    while True:
        k = text.find("'", j)
        if k < 0:
            return -1, ""
        buf.append(text[j:k])
        if k + 1 < n and text[k + 1] == "'":
            buf.append("'")
            j = k + 2
            continue
        return k + 1, "".join(buf)


class ExchangeCsvParser(TextLineState):
    """Line parser for Exchange CSV logs (see module docstring)."""

    def __init__(self, path: str, stats: ReadStats, kind: ArtefactKind | None = None) -> None:
        super().__init__(path, stats)
        self.kind = kind
        self.log_type: str | None = None
        self.fields: tuple[str, ...] | None = None
        self.n_fields = 0
        self.ts_index = -1
        self.using_default = False
        self.stem_index = -1
        self.query_index = -1
        self.event_data_index = -1

    # -- headers -------------------------------------------------------------------------

    def header(self, text: str, line: int) -> None:
        directive = split_directive(text)
        if directive is None:
            return
        name, value = directive
        if name == "fields":
            self._set_fields(tuple(f.strip() for f in value.split(",")))
        elif name == "version":
            if value and value not in self.stats.header_versions:
                self.stats.header_versions.append(value)
        elif name == "log-type":
            self.log_type = value
            kind = LOG_TYPE_KINDS.get(value.lower())
            if kind is not None and kind is not self.kind:
                # the header is authoritative over the kind the caller guessed
                self.kind = kind
                self._set_derived()

    def _set_fields(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.n_fields = len(fields)
        self.ts_index = -1
        for name in TIMESTAMP_FIELDS:
            if name in fields:
                self.ts_index = fields.index(name)
                break
        self._set_derived()

    def _set_derived(self) -> None:
        fields = self.fields or ()
        # Url/UrlDecoded for every log with a UrlStem column (HttpProxy, Rps_Http, ...)
        self.stem_index = fields.index("UrlStem") if "UrlStem" in fields else -1
        self.query_index = fields.index("UrlQuery") if "UrlQuery" in fields else -1
        is_ecp = self.kind in _ECP_KINDS
        self.event_data_index = fields.index("EventData") if is_ecp and "EventData" in fields else -1

    # -- data ----------------------------------------------------------------------------

    def data(self, raw: bytes, line: int, offset: int | None) -> LogRecord | None:
        text = self.decode(raw)
        bare = bare_field_list(text)
        if bare is not None:
            if self.fields is None or bare != self.fields:
                self._set_fields(bare)
            return None
        if self.fields is None:
            default = DEFAULT_FIELDS.get(self.kind) if self.kind is not None else None
            if default is None:
                self.stats.reject("data line before any #Fields header", text, line)
                return None
            self.using_default = True
            self.stats.notes.append(
                f"no #Fields header; using the default {self.kind.value if self.kind else ''} "
                f"field list ({len(default)} fields)"
            )
            self._set_fields(default)
        if '"' in text:
            try:
                values = next(csv.reader((text,)))
            except (csv.Error, StopIteration) as exc:
                self.stats.reject(f"bad CSV: {exc}", text, line)
                return None
        else:
            values = text.split(",")
        if len(values) != self.n_fields:
            self.stats.reject(f"expected {self.n_fields} fields, got {len(values)}", text, line)
            return None
        fields: Record = dict(zip(self.fields or (), values))  # noqa: B905 - length checked above
        ts: datetime | None = None
        if self.ts_index >= 0:
            ts = parse_iso_utc(values[self.ts_index])
            if ts is None:
                self.bad_timestamp(line)
        if self.stem_index >= 0:
            url = values[self.stem_index]
            if self.query_index >= 0:
                query = values[self.query_index]
                if query and query[0] != "?":
                    url += "?"
                url += query
            fields["Url"] = url
            fields["UrlDecoded"] = unquote(url) if "%" in url else url
        if self.event_data_index >= 0:
            for key, value in split_event_data(values[self.event_data_index]):
                if key not in fields:
                    fields[key] = value
        return LogRecord(fields, Location(self.path, line=line, offset=offset), text, ts)


def read(
    stream: BinaryIO,
    path: str,
    stats: ReadStats,
    selector: LineSelector | None = None,
    *,
    kind: ArtefactKind | None = None,
) -> Iterator[LogRecord]:
    """Read one Exchange CSV log. ``kind`` enables default fields and kind-specific derived fields;
    without it the kind is taken from the ``#Log-type`` header."""
    parser = ExchangeCsvParser(path, stats, kind)
    yield from iter_text_records(stream, stats, parser, selector)
    parser.finish()


def reader_for(kind: ArtefactKind | None) -> Reader:
    """A :class:`~lekdicht.logs.base.Reader` bound to one Exchange CSV kind."""

    def _read(
        stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
    ) -> Iterator[LogRecord]:
        return read(stream, path, stats, selector, kind=kind)

    _read.__name__ = f"read_{kind.name.lower() if kind else 'exchange_csv'}"
    _read.__doc__ = f"Read an Exchange CSV log as {kind.value if kind else 'any kind'}."
    return _read


read_httpproxy = reader_for(ArtefactKind.HTTPPROXY)
read_ecp_server = reader_for(ArtefactKind.ECP_SERVER)
read_ecp_activity = reader_for(ArtefactKind.ECP_ACTIVITY)
read_ews = reader_for(ArtefactKind.EWS)
read_rps_http = reader_for(ArtefactKind.RPS_HTTP)
read_rps_cmdlet = reader_for(ArtefactKind.RPS_CMDLET)
read_message_tracking = reader_for(ArtefactKind.MESSAGE_TRACKING)
read_exchange_other = reader_for(None)
