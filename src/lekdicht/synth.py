"""Writers for SYNTHETIC Exchange and IIS log text in the real formats.

Used by the demo evidence, the tests and the benchmark generator so that all three write the same
shapes the readers parse. Field lists come from the readers (``logs.exchange_csv``) and from
shared/reference/log-formats.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from lekdicht.logs.exchange_csv import ECP_FIELDS, HTTPPROXY_FIELDS, MESSAGE_TRACKING_FIELDS

__all__ = [
    "ECP_FIELDS",
    "EWS_FIELDS",
    "HTTPPROXY_FIELDS",
    "IIS_FIELDS",
    "MESSAGE_TRACKING_FIELDS",
    "RPS_CMDLET_FIELDS",
    "RPS_HTTP_FIELDS",
    "csv_line",
    "exchange_file",
    "exchange_header",
    "exchange_row",
    "w3c_file",
]


def _fields(text: str, sep: str) -> tuple[str, ...]:
    return tuple(text.split(sep))


EWS_FIELDS: tuple[str, ...] = _fields(
    (
        "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,Ring,ClientRequestId,"
        "AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,UserAgent,VersionInfo,"
        "ClientIpAddress,ServerHostName,FrontEndServer,SoapAction,HttpStatus,RequestSize,ResponseSize,"
        "ErrorCode,ImpersonatedUser,ProxyAsUser,ActAsUser,Cookie,CorrelationGuid,PrimaryOrProxyServer,"
        "TaskType"
    ),
    ",",
)
"""The leading EWS log fields (the full header has 92; log-formats.md 7.6)."""

RPS_HTTP_FIELDS: tuple[str, ...] = _fields(
    (
        "DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,"
        "ClientRequestId,UrlHost,UrlStem,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
        "Organization,ManagedOrganization,ClientIpAddress,ServerHostName,FrontEndServer,HttpStatus,"
        "SubStatus,ErrorCode,Action,CommandId,CommandName,SessionId,ShellId,FailFast,"
        "ContributeToFailFast,RequestBytes,ClientInfo,CPU,Memory,ActivityContextLifeTime,TotalTime,"
        "UrlQuery,GenericLatency,GenericInfo,GenericErrors"
    ),
    ",",
)
"""Rps_Http #Fields (CmdletInfra\\Powershell-Proxy\\Http), as in CrowdStrike's Rps_Http-IOC.ps1."""

RPS_CMDLET_FIELDS: tuple[str, ...] = _fields(
    (
        "DateTime,StartTime,RequestId,ClientRequestId,MajorVersion,MinorVersion,BuildVersion,"
        "RevisionVersion,ServerHostName,ProcessId,ProcessName,ThreadId,CultureInfo,Organization,"
        "AuthenticatedUser,ExecutingUserSid,EffectiveOrganization,UserServicePlan,IsAdmin,"
        "ClientApplication,Cmdlet,Parameters,CmdletUniqueId,UserBudgetOnStart,ContributeToFailFast,"
        "RunspaceSettingsCreationHint,ADViewEntireForest,ADRecipientViewRoot,"
        "ADConfigurationDomainControllers,ADPreferredGlobalCatalogs,ADPreferredDomainControllers,"
        "ADUserConfigurationDomainController,ADUserPreferredGlobalCatalog,"
        "ADuserPreferredDomainControllers,ThrottlingInfo,DelayInfo,ThrottlingDelay,"
        "IsOutputObjectRedacted,CmdletProxyStage,CmdletProxyRemoteServer,CmdletProxyRemoteServerVersion,"
        "CmdletProxyMethod,ProxiedObjectCount,CmdletProxyLatency,OutputObjectCount,ParameterBinding,"
        "BeginProcessing,ProcessRecord,EndProcessing,StopProcessing,BizLogic,PowerShellLatency,"
        "UserInteractionLatency,ProvisioningLayerLatency,ActivityContextLifeTime,TotalTime,ErrorType,"
        "ExecutionResult,CacheHitCount,CacheMissCount,GenericLatency,GenericInfo,GenericErrors,"
        "ObjectGuid,ExternalDirectoryOrganizationId,ExternalDirectoryObjectId,NonPiiParameters"
    ),
    ",",
)
"""Rps_Cmdlet #Fields (log-formats.md 7.6)."""

IIS_FIELDS: tuple[str, ...] = _fields(
    (
        "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
        "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
    ),
    " ",
)
"""Default IIS 10 W3C fields (log-formats.md 7.5)."""


def csv_line(values: Iterable[str]) -> str:
    """One CSV record with Exchange's quoting (fields with , or " quoted, inner " doubled)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(list(values))
    return buf.getvalue()


def exchange_row(fields: Sequence[str], **values: str) -> str:
    """A data line for the given #Fields; fields not named are empty."""
    row = dict.fromkeys(fields, "")
    unknown = set(values) - set(row)
    if unknown:
        raise KeyError(f"not in #Fields: {sorted(unknown)}")
    row.update(values)
    return csv_line(row[f] for f in fields)


def exchange_header(log_type: str, date: str, fields: Sequence[str], version: str = "15.01.2106.002") -> str:
    """The #Software/#Version/#Log-type/#Date/#Fields block (CRLF, as Exchange writes it)."""
    return (
        f"#Software: Microsoft Exchange Server\r\n#Version: {version}\r\n#Log-type: {log_type}\r\n"
        f"#Date: {date}\r\n#Fields: {','.join(fields)}\r\n"
    )


def exchange_file(
    log_type: str, date: str, fields: Sequence[str], lines: Iterable[str], version: str = "15.01.2106.002"
) -> str:
    """A whole Exchange CSV log: header block and data lines."""
    return exchange_header(log_type, date, fields, version) + "".join(line + "\r\n" for line in lines)


def w3c_file(
    lines: Iterable[str], date: str = "2021-03-03 00:00:00", fields: Sequence[str] = IIS_FIELDS
) -> str:
    """A whole IIS W3C log with its directives."""
    return (
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
        f"#Date: {date}\r\n#Fields: {' '.join(fields)}\r\n" + "".join(line + "\r\n" for line in lines)
    )
