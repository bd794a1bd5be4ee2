"""Helpers for built-in rule tests: write SYNTHETIC log text, scan it as production does.

Every line these helpers produce is synthetic, shaped after the real formats in
shared/reference/log-formats.md. Scanning goes through the real reader, prefilter and rule engine
(LogScanner), so a rule only passes when the whole fast path finds the line.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Finding
from lekdicht.rules.ruleset import RuleSet
from lekdicht.scan.logscan import LogScanner

HTTPPROXY_FIELDS = [
    "DateTime",
    "RequestId",
    "MajorVersion",
    "MinorVersion",
    "BuildVersion",
    "RevisionVersion",
    "ClientRequestId",
    "Protocol",
    "UrlHost",
    "UrlStem",
    "ProtocolAction",
    "AuthenticationType",
    "IsAuthenticated",
    "AuthenticatedUser",
    "Organization",
    "AnchorMailbox",
    "UserAgent",
    "ClientIpAddress",
    "ServerHostName",
    "HttpStatus",
    "BackEndStatus",
    "ErrorCode",
    "Method",
    "ProxyAction",
    "TargetServer",
    "TargetServerVersion",
    "RoutingType",
    "RoutingHint",
    "BackEndCookie",
    "ServerLocatorHost",
    "ServerLocatorLatency",
    "RequestBytes",
    "ResponseBytes",
    "TargetOutstandingRequests",
    "AuthModulePerfContext",
    "HttpPipelineLatency",
    "CalculateTargetBackEndLatency",
    "GlsLatencyBreakup",
    "TotalGlsLatency",
    "AccountForestLatencyBreakup",
    "TotalAccountForestLatency",
    "ResourceForestLatencyBreakup",
    "TotalResourceForestLatency",
    "ADLatency",
    "SharedCacheLatencyBreakup",
    "TotalSharedCacheLatency",
    "ActivityContextLifeTime",
    "ModuleToHandlerSwitchingLatency",
    "ClientReqStreamLatency",
    "BackendReqInitLatency",
    "BackendReqStreamLatency",
    "BackendProcessingLatency",
    "BackendRespInitLatency",
    "BackendRespStreamLatency",
    "ClientRespStreamLatency",
    "KerberosAuthHeaderLatency",
    "HandlerCompletionLatency",
    "RequestHandlerLatency",
    "HandlerToModuleSwitchingLatency",
    "ProxyTime",
    "CoreLatency",
    "RoutingLatency",
    "HttpProxyOverhead",
    "TotalRequestTime",
    "RouteRefresherLatency",
    "UrlQuery",
    "BackEndGenericInfo",
    "GenericInfo",
    "GenericErrors",
    "EdgeTraceId",
    "DatabaseGuid",
    "UserADObjectGuid",
    "PartitionEndpointLookupLatency",
    "RoutingStatus",
]

IIS_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)


@lru_cache(maxsize=1)
def scanner() -> LogScanner:
    return LogScanner(RuleSet.load([]))


def csv_line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


def httpproxy(**fields: str) -> str:
    """One HttpProxy data line; unspecified fields get benign defaults."""
    row = dict.fromkeys(HTTPPROXY_FIELDS, "")
    row.update(
        DateTime="2021-03-03T02:10:41.311Z",
        RequestId="0b8f1c2d-1c2d-4e5f-8a9b-000000000001",
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2106",
        RevisionVersion="2",
        Protocol="Ecp",
        UrlHost="mail.example.org",
        UrlStem="/ecp/",
        AuthenticationType="",
        IsAuthenticated="false",
        UserAgent="Mozilla/5.0",
        ClientIpAddress="203.0.113.37",
        ServerHostName="EXCH01",
        HttpStatus="200",
        BackEndStatus="200",
        Method="POST",
        ProxyAction="Proxy",
    )
    row.update(fields)
    return csv_line([row[f] for f in HTTPPROXY_FIELDS])


def httpproxy_file(lines: list[str]) -> str:
    return (
        "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.002\r\n#Log-type: HttpProxy Logs\r\n"
        "#Date: 2021-03-03T02:00:00.000Z\r\n#Fields: "
        + ",".join(HTTPPROXY_FIELDS)
        + "\r\n"
        + "".join(line + "\r\n" for line in lines)
    )


def iis_file(lines: list[str]) -> str:
    return (
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
        "#Date: 2021-03-03 00:00:00\r\n#Fields: "
        + IIS_FIELDS
        + "\r\n"
        + "".join(line + "\r\n" for line in lines)
    )


def iis(
    method: str,
    stem: str,
    status: str = "200",
    query: str = "-",
    user: str = "-",
    ua: str = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
    ip: str = "203.0.113.37",
) -> str:
    return f"2021-03-03 02:10:41 10.0.0.5 {method} {stem} {query} 443 {user} {ip} {ua} - {status} 0 0 15"


def ecp_file(event_data: list[str]) -> str:
    head = (
        "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Server Log\r\n"
        "#Date: 2021-03-03T00:00:00.000Z\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
    )
    return head + "".join(
        csv_line(["2021-03-03T02:11:09.120Z", "EXCH01", "ECP.Request", d]) + "\r\n" for d in event_data
    )


def events_file(events: list[dict[str, object]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def scan_text(tmp_path: Path, kind: ArtefactKind, text: str, name: str = "log.LOG") -> list[Finding]:
    """Scan synthetic text as one file of the given kind; return the findings."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    result = scanner().scan(name, path, kind, path.stat().st_size)
    assert result.error is None, result.error
    return result.findings


def rule_ids(findings: list[Finding]) -> set[str]:
    return {f.rule_id for f in findings}
