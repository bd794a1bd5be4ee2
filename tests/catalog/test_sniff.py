"""Content-first, path-second artefact sniffing. Inline heads are synthetic (header lines copied
from log-formats.md); dataset tests read ../shared/datasets and skip when it is absent."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from lekdicht.catalog.kinds import ArtefactKind as K
from lekdicht.catalog.sniff import sniff

DATASETS = Path(__file__).parents[2] / ".." / "shared" / "datasets"


def exchange_head(log_type: str, software: str = "Microsoft Exchange Server") -> bytes:
    return (
        f"#Software: {software}\r\n#Version: 15.01.2375.007\r\n#Log-type: {log_type}\r\n"
        "#Date: 2023-01-09T19:00:00.130Z\r\n#Fields: DateTime,A,B\r\n2023-01-09T19:00:00.130Z,a,b\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("log_type", "kind"),
    [
        ("HttpProxy Logs", K.HTTPPROXY),
        ("ECP Server Log", K.ECP_SERVER),
        ("ECP Activity Context Log", K.ECP_ACTIVITY),
        ("EWS Logs", K.EWS),
        ("Rps Http Logs", K.RPS_HTTP),
        ("Rps Cmdlet Logs", K.RPS_CMDLET),
        ("Message Tracking Log", K.MESSAGE_TRACKING),
        ("Agent Log", K.EXCHANGE_OTHER),
        ("SMTP Receive Protocol Log", K.EXCHANGE_OTHER),
    ],
)
def test_exchange_log_types(log_type: str, kind: K) -> None:
    # content wins over a misleading path
    assert sniff(exchange_head(log_type), "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log") is kind


def test_exchange_encodings_and_audit() -> None:
    head = exchange_head("HttpProxy Logs")
    assert sniff(codecs.BOM_UTF8 + head, "x") is K.HTTPPROXY
    assert sniff(head.decode().encode("utf-16"), "x") is K.HTTPPROXY
    assert sniff(head.decode().encode("utf-16-le"), "x") is K.HTTPPROXY
    assert sniff(head.decode().encode("utf-16-be"), "x") is K.HTTPPROXY
    assert (
        sniff(exchange_head("audit", "Microsoft Exchange"), "Logging/CosmosQueue/audit/a.LOG")
        is K.EXCHANGE_OTHER
    )
    assert sniff(exchange_head("OABGenerator Log"), "x.log") is K.OABGEN
    assert sniff(exchange_head("Something"), "V15\\Logging\\OABGeneratorLog\\OAB_1.log") is K.OABGEN


def test_iis_heads() -> None:
    iis = b"#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
    assert sniff(iis, "a.log") is K.IIS_W3C
    assert sniff(b"#Date: 2021-04-01 00:00:21\n#Fields: date time s-ip cs-method\n", "x.txt") is K.IIS_W3C
    assert sniff(b"# Fields: date time s-ip cs-method cs-uri-stem\n", "x.txt") is K.IIS_W3C
    assert sniff(b"#Fields: s-sitename cs-method cs-uri-stem c-ip\n", "x.txt") is K.IIS_W3C


def test_magic_json_xml() -> None:
    assert sniff(b"ElfFile\x00" + b"\x00" * 100, "whatever.bin") is K.EVTX
    assert sniff(b"MZ\x90\x00\x03", "App_Web_x.dll") is K.BINARY
    event = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": "x"}
    assert sniff(json.dumps(event).encode() + b"\n", "export.txt") is K.EVENTS_JSONL
    assert sniff(b'{"@timestamp":"x","winlog":{"channel":"Security"}}\n', "a.ndjson") is K.EVENTS_JSONL
    assert sniff(b'{"Event":{"System":{"EventID":1}}}\n', "a.json") is K.EVENTS_JSONL
    assert sniff(b'{"name": "package", "version": "1"}\n', "package.json") is K.OTHER
    webconfig = b'<?xml version="1.0"?>\r\n<configuration>\r\n  <system.webServer>\r\n'
    assert sniff(webconfig, "FrontEnd/HttpProxy/owa/web.config") is K.IIS_CONFIG
    apphost = b"<configuration>\n<system.applicationHost>\n"
    assert sniff(apphost, "Windows/System32/inetsrv/config/applicationHost.config") is K.IIS_CONFIG
    assert sniff(b"<configuration><appSettings/>", "bin/x.config") is K.WEB_CONTENT


def test_markdown_with_log_examples_is_not_a_log() -> None:
    text = (
        b"# Title\n\nSome text\n\n```\n#Software: Microsoft Exchange Server\n#Log-type: HttpProxy Logs\n```\n"
    )
    assert sniff(text, "notes.md") is K.OTHER


def test_headerless_httpproxy_by_content() -> None:
    line = (
        b"2024-01-24T15:26:47.957Z,3422ea93-768f-4cd4-8b0c-578038deb0b2,15,1,2507,35,,Mapi,"
        b"mail.domain.tld,/mapi/emsmdb/,,Negotiate,true\r\n"
    )
    assert sniff(line, "collected/unknown.log") is K.HTTPPROXY


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("V15\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030307-1.LOG", K.HTTPPROXY),
        ("V15/Logging/OABGeneratorLog/OABGenerator_2021.log", K.OABGEN),
        ("V15\\TransportRoles\\Logs\\MessageTracking\\MSGTRK2021030307-1.LOG", K.MESSAGE_TRACKING),
        ("MSGTRKMS2022091915-1.LOG", K.MESSAGE_TRACKING),
        ("V15\\Logging\\ECP\\Server\\ECPServer20230111-1.LOG", K.ECP_SERVER),
        ("V15\\Logging\\ECP\\Activity\\ECPActivity_11500_20230111-1.LOG", K.ECP_ACTIVITY),
        ("V15\\Logging\\Ews\\Ews_2023010616-1.LOG", K.EWS),
        ("CmdletInfra\\Powershell-Proxy\\Http\\Rps_Http_2023011116-1.LOG", K.RPS_HTTP),
        ("CmdletInfra\\Powershell-Proxy\\Cmdlet\\Rps_Cmdlet_2023011116-1.LOG", K.RPS_CMDLET),
        ("inetpub\\logs\\LogFiles\\W3SVC2\\u_ex210303.log", K.IIS_W3C),
        ("u_ex210303_x.log", K.IIS_W3C),
        ("W3SVC1/anything.log", K.IIS_W3C),
        ("inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx", K.WEB_CONTENT),
        ("FrontEnd\\HttpProxy\\owa\\auth\\Current\\scripts\\premium\\a.js", K.WEB_CONTENT),
        ("Windows\\System32\\winevt\\Logs\\Security.evtx", K.EVTX),
        ("Users\\x\\notes.txt", K.OTHER),
        ("V15\\FrontEnd\\HttpProxy\\owa\\auth\\readme.txt", K.OTHER),
        ("V15\\FrontEnd\\HttpProxy\\owa\\auth\\error.log", K.OTHER),
    ],
)
def test_path_fallback_for_headerless_files(path: str, kind: K) -> None:
    assert sniff(b"2021-03-03T07:00:00.000Z,just,a,line\r\n", path) is kind


def test_empty_head() -> None:
    assert sniff(b"", "x.dat") is K.OTHER
    assert sniff(b"", "HttpProxy\\Ecp\\HttpProxy_1.LOG") is K.HTTPPROXY


@pytest.mark.parametrize(
    ("parts", "kind"),
    [
        (("plaso-iis", "iis10.log"), K.IIS_W3C),
        (("plaso-iis", "iis6.log"), K.IIS_W3C),
        (("plaso-iis", "iis7_owa.log"), K.IIS_W3C),
        (("plaso-iis", "iis10_edge_cases.log"), K.IIS_W3C),
        (("plaso-iis", "iis_without_date.log"), K.IIS_W3C),
        (("evtx-attack-samples", "Tunna_rdp_tunnel_IIS.log"), K.IIS_W3C),
        (("evtx-attack-samples", "privexchange_dirkjan.evtx"), K.EVTX),
        (("elastic-integrations-exchange", "test-httpproxy.log"), K.HTTPPROXY),
        (("elastic-integrations-exchange", "test-messagetracking.log"), K.MESSAGE_TRACKING),
        (("tennc-webshell", "editor.aspx"), K.WEB_CONTENT),
        (("qazeer-artefacts-help", "microsoft_exchange.md"), K.OTHER),
        (
            ("azure-sentinel-mstic-iocs", "MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv"),
            K.OTHER,
        ),
    ],
)
def test_datasets(parts: tuple[str, str], kind: K) -> None:
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip("datasets not available")
    # use the file's own name only, so the content decides wherever possible
    assert sniff(path.read_bytes()[:65536], parts[1]) is kind
