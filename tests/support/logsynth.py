"""Helpers for built-in rule tests: write SYNTHETIC log text, scan it as production does.

Every line these helpers produce is synthetic, shaped after the real formats in
shared/reference/log-formats.md. Scanning goes through the real reader, prefilter and rule engine
(LogScanner), so a rule only passes when the whole fast path finds the line.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Finding
from lekdicht.rules.ruleset import RuleSet
from lekdicht.scan.logscan import LogScanner
from lekdicht.synth import (
    ECP_FIELDS,
    HTTPPROXY_FIELDS,
    RPS_CMDLET_FIELDS,
    RPS_HTTP_FIELDS,
    csv_line,
    exchange_file,
    exchange_row,
    w3c_file,
)

IIS_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)


@lru_cache(maxsize=1)
def scanner() -> LogScanner:
    return LogScanner(RuleSet.load([]))


def httpproxy(**fields: str) -> str:
    """One HttpProxy data line; unspecified fields get benign defaults."""
    row = dict(
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
    return exchange_row(HTTPPROXY_FIELDS, **row)


def httpproxy_file(lines: list[str]) -> str:
    return exchange_file("HttpProxy Logs", "2021-03-03T02:00:00.000Z", HTTPPROXY_FIELDS, lines)


def iis_file(lines: list[str]) -> str:
    return w3c_file(lines)


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
    lines = [csv_line(["2021-03-03T02:11:09.120Z", "EXCH01", "ECP.Request", d]) for d in event_data]
    return exchange_file("ECP Server Log", "2021-03-03T00:00:00.000Z", ECP_FIELDS, lines, version="15.0.0.0")


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


# -- Helpers added for ProxyShell / ProxyNotShell / ProxyToken / host rules (all SYNTHETIC) ----

IIS_FIELDS_WITH_COOKIE = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Cookie) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)


def iis_line(
    method: str,
    stem: str,
    status: str = "200",
    query: str = "-",
    user: str = "-",
    ua: str = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
    ip: str = "203.0.113.37",
    port: str = "443",
) -> str:
    """Like :func:`iis` with a choice of server port (444 = Exchange Back End site)."""
    return f"2022-10-03 02:10:41 10.0.0.5 {method} {stem} {query} {port} {user} {ip} {ua} - {status} 0 0 15"


def iis_cookie_file(lines: list[str]) -> str:
    """IIS file whose #Fields include cs(Cookie) (lines from :func:`iis_cookie_line`)."""
    return w3c_file(lines, date="2021-08-30 00:00:00", fields=IIS_FIELDS_WITH_COOKIE.split())


def iis_cookie_line(method: str, stem: str, cookie: str, status: str = "200", query: str = "-") -> str:
    return (
        f"2021-08-30 10:00:00 10.0.0.5 {method} {stem} {query} 443 - 198.51.100.9 python-requests/2.26.0 "
        f"{cookie} - {status} 0 0 31"
    )


_RPS_DATE = "2022-10-03T02:00:00.000Z"
_RPS_VERSION = "15.01.2375.007"


def rps_http(**fields: str) -> str:
    """One Rps_Http data line; unspecified fields get benign Exchange Management Shell defaults."""
    row = dict(
        DateTime="2022-10-03T02:11:02.120Z",
        StartTime="2022-10-03T02:11:02.001Z",
        RequestId="5d1e0b7a-0000-4c1d-9e00-000000000001",
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2375",
        RevisionVersion="7",
        UrlHost="exch01.example.org",
        UrlStem="/powershell",
        AuthenticationType="Kerberos",
        IsAuthenticated="true",
        AuthenticatedUser="EXAMPLE\\admin",
        ClientIpAddress="10.0.0.20",
        ServerHostName="EXCH01",
        FrontEndServer="EXCH01.example.org",
        HttpStatus="200",
        SubStatus="0",
        ClientInfo="Microsoft WinRM Client",
        UrlQuery="?serializationLevel=Full;clientApplication=EMS;PSVersion=5.1.17763.1",
        GenericInfo="OnEndRequest.End.ContentType=application/soap+xml charset UTF-8;"
        "S:ServiceCommonMetadata.HttpMethod=POST",
    )
    row.update(fields)
    return exchange_row(RPS_HTTP_FIELDS, **row)


def rps_http_file(lines: list[str], bare_header: bool = False) -> str:
    """An Rps_Http file. ``bare_header``: start with the unprefixed column line real files have."""
    head = ",".join(RPS_HTTP_FIELDS) + "\r\n" if bare_header else ""
    return head + exchange_file("Rps Http Logs", _RPS_DATE, RPS_HTTP_FIELDS, lines, version=_RPS_VERSION)


def rps_cmdlet(cmdlet: str, parameters: str, **fields: str) -> str:
    """One Rps_Cmdlet data line for ``cmdlet`` with ``parameters`` (PowerShell-style text)."""
    row = dict(
        DateTime="2021-08-20T03:04:05.600Z",
        StartTime="2021-08-20T03:04:05.100Z",
        RequestId="9b3a2c10-0000-4d2e-8f00-000000000002",
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2308",
        RevisionVersion="8",
        ServerHostName="EXCH01",
        ProcessId="6832",
        ProcessName="w3wp#MSExchangePowerShellAppPool",
        AuthenticatedUser="Administrator",
        IsAdmin="True",
        ClientApplication="PowerShell",
        Cmdlet=cmdlet,
        Parameters=parameters,
        ExecutionResult="Success",
    )
    row.update(fields)
    return exchange_row(RPS_CMDLET_FIELDS, **row)


def rps_cmdlet_file(lines: list[str]) -> str:
    return exchange_file("Rps Cmdlet Logs", _RPS_DATE, RPS_CMDLET_FIELDS, lines, version=_RPS_VERSION)


def mgmt_event(cmdlet: str, parameters: str, event_id: int = 1, **extra: object) -> dict[str, object]:
    """An MSExchange Management event as a flat JSON export with positional ``Data`` (no Message)."""
    data = [
        cmdlet,
        parameters,
        "example.org/Users/Administrator",
        "S-1-5-21-1-2-3-500",
        "S-1-5-21-1-2-3-500",
        "Remote-ManagementShell-Unknown",
        "6832 w3wp#MSExchangePowerShellAppPool",
        "",
        "54",
        "00:00:00.0080007",
        "",
        "",
        "5",
    ]
    event: dict[str, object] = {
        "@timestamp": "2021-08-20T03:04:05.600Z",
        "Hostname": "EXCH01.example.org",
        "Channel": "MSExchange Management",
        "Provider": "MSExchange CmdletLogs",
        "EventID": event_id,
        "Data": data,
    }
    event.update(extra)
    return event


def mgmt_event_message(cmdlet: str, parameters: str, event_id: int = 1) -> dict[str, object]:
    """An MSExchange Management event exported with only its rendered Message (no positional data)."""
    outcome = "suceeded" if event_id == 1 else "failed"
    return {
        "@timestamp": "2021-08-20T03:04:05.600Z",
        "Hostname": "EXCH01.example.org",
        "Channel": "MSExchange Management",
        "Provider": "MSExchange CmdletLogs",
        "EventID": event_id,
        "Message": f"Cmdlet {outcome}. Cmdlet {cmdlet}, parameters {parameters}.",
    }


def event_ids(tmp_path: Path, *events: dict[str, object]) -> set[str]:
    """Rule ids found in synthetic flat JSON events (scanned as an exported event file)."""
    return rule_ids(scan_text(tmp_path, ArtefactKind.EVENTS_JSONL, events_file(list(events)), "ev.jsonl"))
