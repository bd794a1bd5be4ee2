"""Exchange CSV reader: HttpProxy, ECP, EWS, Rps, MessageTracking.

Synthetic fixtures in this file are written for these tests; their header lines are copied from
log-formats.md (sanitised real headers). Dataset-based tests read ../shared/datasets.
"""

from __future__ import annotations

import io
import re

import pytest

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.catalog.sniff import sniff
from lekdicht.logs import READERS, exchange_csv
from lekdicht.logs.base import ReadStats
from lekdicht.logs.exchange_csv import DEFAULT_FIELDS, HTTPPROXY_FIELDS, split_event_data

PROXY_HEADER = (
    "#Software: Microsoft Exchange Server\r\n"
    "#Version: 15.01.2375.007\r\n"
    "#Log-type: HttpProxy Logs\r\n"
    "#Date: 2023-01-09T19:00:00.130Z\r\n"
    "#Fields: " + ",".join(HTTPPROXY_FIELDS) + "\r\n"
)


def proxy_line(**values: str) -> str:
    """A synthetic HttpProxy line: every field empty except the given ones."""
    row = dict.fromkeys(HTTPPROXY_FIELDS, "")
    row.update(
        DateTime="2021-03-03T07:01:02.345Z",
        RequestId="5e58f5e5-1ddc-48d3-82c6-0199bc121640",
        MajorVersion="15",
        MinorVersion="1",
        Protocol="Ecp",
        Method="POST",
        HttpStatus="200",
    )
    row.update(values)
    out = []
    for name in HTTPPROXY_FIELDS:
        value = row[name]
        if "," in value or '"' in value:
            value = '"' + value.replace('"', '""') + '"'
        out.append(value)
    return ",".join(out) + "\r\n"


def test_httpproxy_fields_and_derived_url(run) -> None:
    data = PROXY_HEADER + proxy_line(
        UrlStem="/ecp/y.js",
        UrlQuery="?a=%2Fowa%2Fauth&b=c",
        AnchorMailbox="ServerInfo~a]@srv.domain:444/autodiscover/autodiscover.xml?#",
        UserAgent='Mozilla/5.0 (X, "quoted", Y)',
    )
    records, stats = run(READERS[ArtefactKind.HTTPPROXY], data.encode())
    assert stats.records_parsed == 1 and stats.records_rejected == 0
    f = records[0].fields
    assert f["AnchorMailbox"].startswith("ServerInfo~a]@srv.domain:444")
    assert f["UserAgent"] == 'Mozilla/5.0 (X, "quoted", Y)'
    assert f["Url"] == "/ecp/y.js?a=%2Fowa%2Fauth&b=c"
    assert f["UrlDecoded"] == "/ecp/y.js?a=/owa/auth&b=c"
    assert (
        records[0].timestamp is not None
        and records[0].timestamp.isoformat() == "2021-03-03T07:01:02.345000+00:00"
    )
    assert stats.header_versions == ["15.01.2375.007"]
    assert records[0].location.line == 6


def test_httpproxy_query_without_question_mark_and_single_decode(run) -> None:
    data = PROXY_HEADER + proxy_line(UrlStem="/owa/x", UrlQuery="q=%2541")
    records, _ = run(exchange_csv.read_httpproxy, data.encode())
    assert records[0].fields["Url"] == "/owa/x?q=%2541"
    assert records[0].fields["UrlDecoded"] == "/owa/x?q=%41"  # one pass only


def test_wrong_field_count_rejected(run) -> None:
    good = proxy_line(UrlStem="/owa/")
    data = PROXY_HEADER + good + good.replace(",", ",x,", 1) + good[:100] + "\r\n" + good
    records, stats = run(exchange_csv.read_httpproxy, data.encode())
    assert len(records) == 2
    assert stats.records_read == 4 and stats.records_rejected == 2
    assert [e.reason for e in stats.rejected_examples] == [
        "expected 74 fields, got 75",
        "expected 74 fields, got 23",
    ]
    assert [e.line for e in stats.rejected_examples] == [7, 8]


def test_bad_csv_quoting_rejected_or_parsed_never_raises(run) -> None:
    data = '#Fields: DateTime,A,B\n2021-01-01T00:00:00Z,"unterminated,x\n2021-01-01T00:00:00Z,"a""b",c\n'
    records, stats = run(exchange_csv.read_exchange_other, data.encode())
    assert stats.records_read == 2
    assert len(records) + stats.records_rejected == 2
    assert records[-1].fields["A"] == 'a"b'


def test_repeated_header_block_changes_fields(run) -> None:
    data = (
        "#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: X\n"
        "#Fields: DateTime,A,B\n2021-01-01T00:00:00.000Z,a1,b1\n"
        "#Software: Microsoft Exchange Server\n#Version: 15.1.0.0\n#Log-type: X\n"
        "#Fields: DateTime,B,C,D\n2021-01-01T00:00:01.000Z,b2,c2,d2\n"
        "#Version: 15.0.0.0\n"
    )
    records, stats = run(exchange_csv.read_exchange_other, data.encode())
    assert records[0].fields == {"DateTime": "2021-01-01T00:00:00.000Z", "A": "a1", "B": "b1"}
    assert records[1].fields == {"DateTime": "2021-01-01T00:00:01.000Z", "B": "b2", "C": "c2", "D": "d2"}
    assert stats.header_versions == ["15.0.0.0", "15.1.0.0"]


def test_data_before_fields_rejected_for_unknown_kind(run) -> None:
    records, stats = run(exchange_csv.read_exchange_other, b"2021-01-01T00:00:00Z,a,b\n")
    assert records == []
    assert stats.rejected_examples[0].reason == "data line before any #Fields header"


def test_headerless_known_kind_uses_default_fields_and_notes_once(run) -> None:
    data = (proxy_line(UrlStem="/owa/") * 3).encode()
    records, stats = run(exchange_csv.read_httpproxy, data)
    assert len(records) == 3
    assert records[0].fields["UrlStem"] == "/owa/"
    assert sum("default" in n for n in stats.notes) == 1
    assert set(DEFAULT_FIELDS) >= {ArtefactKind.HTTPPROXY, ArtefactKind.MESSAGE_TRACKING}


def test_unparseable_timestamp_kept_and_noted(run) -> None:
    data = b"#Fields: DateTime,A\nyesterday,a\n2021-01-01T00:00:00Z,b\n"
    records, stats = run(exchange_csv.read_exchange_other, data)
    assert len(records) == 2 and records[0].timestamp is None
    assert any("no parseable timestamp" in n and "line 2" in n for n in stats.notes)


# ------------------------------------------------------------------------------------------
# ECP


ECP_SERVER = (
    "#Software: Microsoft Exchange Server\r\n"
    "#Version: 15.0.0.0\r\n"
    "#Log-type: ECP Server Log\r\n"
    "#Date: 2023-01-11T00:02:33.938Z\r\n"
    "#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
    "2023-01-11T00:02:33.966Z,SERVER-HOSTNAME,ECP.Request,S:TIME=13;S:SID=666655678-1234;"
    "S:CMD=Get-InboxRule;S:REQID=;S:URL=/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=CANARY;"
    "S:REFERRER=;S:EX=;S:ACTID=775555678-1234;S:RS=0;S:BLD=15.1.2375.7;S:TNAME=<null>;S:TID=;S:USID=8855;"
    "S:EDOID=;S:ACID=\r\n"
    # synthetic attack-shaped line: the pair is quoted, and the CSV column is quoted too
    "2021-03-04T02:11:09.120Z,SRV,ECP.Request,\"S:TIME=5;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''"
    'http://x/<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""k3y""],'
    "\"\"unsafe\"\");}</script>''.Identity=''<guid>''';S:REQID=r1\"\r\n"
)


def test_ecp_server_event_data_split(run) -> None:
    records, stats = run(READERS[ArtefactKind.ECP_SERVER], ECP_SERVER.encode())
    assert stats.records_rejected == 0
    f = records[0].fields
    assert f["CMD"] == "Get-InboxRule"
    assert f["URL"] == "/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=CANARY"
    assert f["REQID"] == "" and f["TNAME"] == "<null>" and f["BLD"] == "15.1.2375.7"
    assert f["EventData"].startswith("S:TIME=13;")
    attack = records[1].fields
    assert attack["CMD"] == (
        'Set-OabVirtualDirectory.ExternalUrl=\'http://x/<script language="JScript" runat="server">'
        'function Page_Load(){eval(Request["k3y"],"unsafe");}</script>\'.Identity=\'<guid>\''
    )
    assert attack["REQID"] == "r1" and attack["TIME"] == "5"


def test_ecp_activity_type_prefixes(run) -> None:
    data = (
        "#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: ECP Activity Context Log\n"
        "#Fields: TimeStamp,ServerName,EventId,EventData\n"
        "2023-01-10T00:52:12.021Z,SRV,Request,S:PSA=<PII>HealthMailboxXXX@domain.com</PII>;"
        "S:URL=https://localhost:444/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=C.;S:Bld=15.1.2375.7;"
        "S:ActID=1234;Dbl:MAPI.T[SRV.4444]=3;I32:ADS.C[DC]=1;F:ADS.AL[DC]=1.692039;\n"
    )
    # the caller's guess (EWS) is overridden by the #Log-type header
    records, _ = run(exchange_csv.read_ews, data.encode())
    f = records[0].fields
    assert f["URL"].startswith("https://localhost:444/ecp/")
    assert f["Bld"] == "15.1.2375.7" and f["ActID"] == "1234"
    assert f["MAPI.T[SRV.4444]"] == "3" and f["ADS.C[DC]"] == "1" and f["ADS.AL[DC]"] == "1.692039"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("S:A=1", [("A", "1")]),
        ("S:A='x;y''z';S:B=2", [("A", "x;y'z"), ("B", "2")]),
        ("S:NAME=O'Brien;S:C=3", [("NAME", "O'Brien"), ("C", "3")]),
        ("'S:A=v;w';S:B=", [("A", "v;w"), ("B", "")]),
        ("S:OPEN='never closed;S:C=4", [("OPEN", "'never closed"), ("C", "4")]),
        ("flag;;S:K=a=b", [("flag", ""), ("K", "a=b")]),
        ("LongPrefix:K=1", [("LongPrefix:K", "1")]),
    ],
)
def test_split_event_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert split_event_data(text) == expected


# ------------------------------------------------------------------------------------------
# Real-shaped data from the shared datasets


def test_elastic_headerless_httpproxy(run, ds) -> None:
    path = ds("elastic-integrations-exchange", "test-httpproxy.log")
    data = path.read_bytes()
    assert sniff(data[:65536], "sample_logs/test-httpproxy.log") is ArtefactKind.HTTPPROXY
    records, stats = run(READERS[ArtefactKind.HTTPPROXY], data)
    assert stats.records_parsed == 1 and stats.records_rejected == 0
    f = records[0].fields
    assert f["Protocol"] == "Mapi" and f["UrlStem"] == "/mapi/emsmdb/"
    assert f["ClientIpAddress"] == "10.12.13.14"
    assert f["Url"] == "/mapi/emsmdb/?MailboxId=0e36a769-e2a9-4d1d-98df-80be2753326c@domain.tld"
    assert f["RoutingStatus"] == "CafeV1"


def test_elastic_headerless_message_tracking(run, ds) -> None:
    data = ds("elastic-integrations-exchange", "test-messagetracking.log").read_bytes()
    assert sniff(data[:65536], "pipeline/test-messagetracking.log") is ArtefactKind.MESSAGE_TRACKING
    records, stats = run(READERS[ArtefactKind.MESSAGE_TRACKING], data)
    assert stats.records_read == 6 and stats.records_parsed == 6 and stats.records_rejected == 0
    events = [r.fields["event-id"] for r in records]
    assert events == ["HAREDIRECTFAIL", "RECEIVE", "RECEIVE", "SEND", "SENDEXTERNAL", "NOTIFYMAPI"]
    # a quoted field with commas inside
    assert records[4].fields["source-context"].startswith(";250 2.6.0 <1736846922")
    assert "KB/sec" in records[4].fields["source-context"]
    assert records[4].fields["recipient-address"] == "email@email.com"
    assert str(stats.first_timestamp) == "2024-01-07 00:00:07.463000+00:00"
    assert str(stats.last_timestamp) == "2025-01-14 09:29:05.327000+00:00"


def test_qazeer_sanitised_real_logs(ds) -> None:
    """Every Exchange log example of the Qazeer page is sniffed and parsed without a reject."""
    text = ds("qazeer-artefacts-help", "microsoft_exchange.md").read_text(encoding="utf-8")
    blocks = [
        b for b in re.findall(r"```\n(.*?)```", text, re.S) if b.startswith("#Software: Microsoft Exchange")
    ]
    assert len(blocks) >= 15
    kinds = set()
    for block in blocks:
        data = block.encode()
        kind = sniff(data, "x.LOG")
        kinds.add(kind)
        stats = ReadStats()
        records = list(READERS[kind](io.BytesIO(data), "x.LOG", stats))
        assert stats.records_rejected == 0, (kind, stats.rejected_examples)
        assert records and all(r.timestamp is not None for r in records)
        if kind is ArtefactKind.HTTPPROXY:
            assert all("Url" in r.fields for r in records)
        if kind is ArtefactKind.ECP_SERVER:
            assert records[0].fields["CMD"] == "Get-InboxRule"
        if kind is ArtefactKind.RPS_CMDLET:
            assert records[0].fields["Cmdlet"] == "Get-Mailbox"
            assert records[0].fields["Parameters"] == '-ResultSize "1"'
    assert {
        ArtefactKind.HTTPPROXY,
        ArtefactKind.ECP_SERVER,
        ArtefactKind.ECP_ACTIVITY,
        ArtefactKind.EWS,
        ArtefactKind.RPS_CMDLET,
        ArtefactKind.MESSAGE_TRACKING,
        ArtefactKind.EXCHANGE_OTHER,
    } <= kinds


def test_selector_on_httpproxy(run, contains) -> None:
    lines = [proxy_line(UrlStem=f"/owa/{i}") for i in range(20)]
    lines[7] = proxy_line(UrlStem="/ecp/x.js", AnchorMailbox="ServerInfo~a]@evil:444/x?#")
    data = (PROXY_HEADER + "".join(lines)).encode()
    records, stats = run(exchange_csv.read_httpproxy, data, contains(b"ServerInfo~"))
    assert [r.location.line for r in records] == [6, 13, 25]
    assert records[1].fields["Url"] == "/ecp/x.js"
    assert stats.records_read == 20 and stats.records_parsed == 3


def test_rps_http_gets_url_fields(run) -> None:
    data = (
        "#Software: Microsoft Exchange Server\n#Version: 15.01.1713.001\n#Log-type: Rps Http Logs\n"
        "#Fields: DateTime,StartTime,RequestId,UrlHost,UrlStem,AuthenticatedUser,UrlQuery\n"
        "2023-11-09T22:28:48.260Z,2023-11-09T22:28:48.200Z,r1,localhost,/powershell,DOMAIN\\u,"
        "?PSVersion=5.1&X-Rps-CAT=VgEAVAdXaW5kb3dz%3D\n"
    )
    records, stats = run(READERS[ArtefactKind.RPS_HTTP], data.encode())
    assert stats.records_rejected == 0
    assert records[0].fields["Url"] == "/powershell?PSVersion=5.1&X-Rps-CAT=VgEAVAdXaW5kb3dz%3D"
    assert records[0].fields["UrlDecoded"].endswith("X-Rps-CAT=VgEAVAdXaW5kb3dz=")
    assert stats.header_versions == ["15.01.1713.001"]


def test_bare_column_line_of_rps_logs_is_a_field_list_not_a_bad_record() -> None:
    """Real Rps_Http files start with the column names without ``#Fields:`` (synthetic sample)."""
    from lekdicht.logs.exchange_csv import bare_field_list, read_rps_http

    names = "DateTime,StartTime,RequestId,UrlStem,ClientInfo,HttpStatus"
    text = (
        names + "\r\n#Software: Microsoft Exchange Server\r\n#Log-type: Rps Http Logs\r\n"
        "#Fields: " + names + "\r\n"
        "2022-10-03T02:11:02.120Z,2022-10-03T02:11:02.001Z,r1,/powershell,Python PSRP Client,200\r\n"
    )
    stats = ReadStats()
    records = list(read_rps_http(io.BytesIO(text.encode()), "Rps_Http_2022100302-1.LOG", stats))
    assert [r.fields["ClientInfo"] for r in records] == ["Python PSRP Client"]
    assert stats.records_rejected == 0
    assert bare_field_list(names) == tuple(names.split(","))
    assert bare_field_list("2022-10-03T02:11:02.120Z,x,y,z") is None
    assert bare_field_list("DateTime,has space,x,y") is None
