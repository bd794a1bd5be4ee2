"""A SYNTHETIC data-theft scenario among benign traffic, for the correlate tests.

One attacker (203.0.113.37) uses the ProxyLogon SSRF to reach EWS and reads two mailboxes (alice,
bob) by impersonation, downloads the offline address book twice, and a mailbox export of a third
(carol) to an .aspx path is run and then removed. Forty ordinary users read their own mail over EWS
and Outlook downloads the address book for them. All names and addresses are made up.
"""

from __future__ import annotations

import json
from pathlib import Path

from lekdicht.synth import EWS_FIELDS, exchange_file, exchange_row
from support.logsynth import httpproxy, httpproxy_file, iis, iis_file

ATTACKER = "203.0.113.37"
OAB = "/OAB/0f9a3c1e-3f7b-4c36-9c1b-7d5e4a3b2c10"
USERS = [f"user{i:02d}@example.org" for i in range(40)]


def _ews(
    ts: str,
    ip: str,
    user: str,
    action: str,
    size: int,
    impersonated: str = "",
    ua: str = "Microsoft Office/16.0",
) -> str:
    return exchange_row(
        EWS_FIELDS,
        DateTime=ts,
        RequestId="r-" + ts[-8:-1],
        MajorVersion="15",
        MinorVersion="1",
        BuildVersion="2106",
        RevisionVersion="2",
        AuthenticationType="Negotiate",
        IsAuthenticated="true",
        AuthenticatedUser=user,
        UserAgent=ua,
        ClientIpAddress=ip,
        ServerHostName="EXCH01",
        FrontEndServer="EXCH01",
        SoapAction=action,
        HttpStatus="200",
        RequestSize="800",
        ResponseSize=str(size),
        ImpersonatedUser=impersonated,
    )


def write_scenario(root: Path) -> dict[str, Path]:
    """Write the evidence tree; return the paths of the files the assertions cite."""
    ex = root / "V15" / "Logging"
    paths = {
        "proxy": ex / "HttpProxy" / "Ecp" / "HttpProxy_2021030302-1.LOG",
        "ews": ex / "Ews" / "Ews_2021030302-1.LOG",
        "iis": root / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210303.log",
        "events": root / "events" / "msexchange-management.jsonl",
    }
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)

    proxy = [
        httpproxy(
            DateTime=f"2021-03-03T02:0{i % 10}:00.000Z",
            AnchorMailbox=f"Smtp~{u}",
            AuthenticatedUser=u,
            IsAuthenticated="true",
            ClientIpAddress=f"198.51.100.{i}",
            UrlStem="/ecp/",
        )
        for i, u in enumerate(USERS[:10])
    ]
    proxy.append(
        httpproxy(
            DateTime="2021-03-03T02:10:41.311Z",
            UrlStem="/ecp/y.js",
            ClientIpAddress=ATTACKER,
            AnchorMailbox="ServerInfo~exch01.example.org:444/ews/exchange.asmx?#",
            UserAgent="ExchangeServicesClient/0.0.0.0",
        )
    )
    paths["proxy"].write_text(httpproxy_file(proxy))

    ews = []
    for i, u in enumerate(USERS):
        ews.append(_ews(f"2021-03-03T02:{i:02d}:10.000Z", f"198.51.100.{i}", u, "FindItem", 4000 + i))
        ews.append(_ews(f"2021-03-03T02:{i:02d}:11.000Z", f"198.51.100.{i}", u, "GetItem", 9000 + i))
    system = "NT AUTHORITY\\SYSTEM"
    attack = [
        ("2021-03-03T02:11:02.000Z", "FindItem", 5100, "alice@example.org"),
        ("2021-03-03T02:11:03.000Z", "GetItem", 81234, "alice@example.org"),
        ("2021-03-03T02:11:04.000Z", "GetItem", 60321, "alice@example.org"),
        ("2021-03-03T02:11:09.000Z", "FindItem", 4800, "bob@example.org"),
        ("2021-03-03T02:11:10.000Z", "GetAttachment", 1048576, "bob@example.org"),
    ]
    for ts, action, size, who in attack:
        ews.append(_ews(ts, ATTACKER, system, action, size, who, ua="ExchangeServicesClient/0.0.0.0"))
    ews.sort()
    paths["ews"].write_text(exchange_file("EWS Logs", "2021-03-03T02:00:00.000Z", EWS_FIELDS, ews))

    iis_lines = []
    for i, u in enumerate(USERS):
        name = u.split("@")[0]
        iis_lines.append(
            iis(
                "GET",
                f"{OAB}/oab.xml",
                ip=f"198.51.100.{i}",
                user=f"EXAMPLE\\{name}",
                ua="Microsoft+Office/16.0",
            ).replace("02:10:41", f"03:{i:02d}:00")
        )
    iis_lines.append(
        iis("GET", f"{OAB}/oab.xml", ip=ATTACKER, ua="python-requests/2.25.1").replace("02:10:41", "02:12:00")
    )
    iis_lines.append(
        iis("GET", f"{OAB}/a1b2c3d4-full-1.lzx", ip=ATTACKER, ua="python-requests/2.25.1").replace(
            "02:10:41", "02:12:05"
        )
    )
    paths["iis"].write_text(iis_file(iis_lines))

    events = [
        {
            "@timestamp": "2021-03-03T02:20:00.000Z",
            "Channel": "MSExchange Management",
            "EventID": 1,
            "Provider": "MSExchange CmdletLogs",
            "Hostname": "EXCH01.example.org",
            "Message": 'Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox "carol@example.org" '
            '-FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\carol.aspx".',
        },
        {
            "@timestamp": "2021-03-03T02:35:00.000Z",
            "Channel": "MSExchange Management",
            "EventID": 1,
            "Provider": "MSExchange CmdletLogs",
            "Hostname": "EXCH01.example.org",
            "Message": "Cmdlet suceeded. Cmdlet Remove-MailboxExportRequest, parameters -Identity "
            '"carol@example.org\\MailboxExport" -Confirm "False".',
        },
        {
            "@timestamp": "2021-03-03T06:00:00.000Z",
            "Channel": "MSExchange Management",
            "EventID": 1,
            "Provider": "MSExchange CmdletLogs",
            "Hostname": "EXCH01.example.org",
            "Message": 'Cmdlet suceeded. Cmdlet Get-Mailbox, parameters -Identity "user01@example.org".',
        },
    ]
    paths["events"].write_text("".join(json.dumps(e) + "\n" for e in events))
    return paths
