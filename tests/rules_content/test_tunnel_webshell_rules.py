"""WA5: traffic of HTTP tunnelling webshells (Tunna, reGeorg) in IIS logs. Synthetic lines built from
the tools' public protocol (query commands), not from any captured log."""

from __future__ import annotations

from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from support.logsynth import iis_file, iis_line, scan_text


def _hits(tmp_path: Path, *lines: str) -> list[tuple[str, int | None]]:
    return [
        (f.rule_id, f.evidence.line) for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(list(lines)))
    ]


def test_wa5_tunna_connect_and_relay(tmp_path: Path) -> None:
    findings = scan_text(
        tmp_path,
        ArtefactKind.IIS_W3C,
        iis_file(
            [
                iis_line(
                    "GET",
                    "/aspnet_client/t.aspx",
                    "200",
                    "proxy&port=445&ip=10.0.0.9",
                    ua="python-urllib/2.7",
                ),
                iis_line("POST", "/aspnet_client/t.aspx", "200", "proxy"),
                iis_line("GET", "/aspnet_client/t.aspx", "200", "proxy"),
                iis_line("POST", "/aspnet_client/t.aspx", "200", "proxy&file&upload"),
                iis_line("GET", "/aspnet_client/t.aspx", "200", "proxy&close"),
            ]
        ),
    )
    hits = [(f.rule_id, f.evidence.line) for f in findings if f.rule_id.startswith("WA5")]
    assert hits == [
        ("WA5-iis-tunnel-webshell-connect", 5),
        ("WA5-iis-tunnel-webshell-relay", 6),
        ("WA5-iis-tunnel-webshell-relay", 7),
        ("WA5-iis-tunnel-webshell-connect", 8),
        ("WA5-iis-tunnel-webshell-relay", 9),
    ]
    f = findings[0]
    assert f.verdict is Verdict.EXPLOITED and "T1572" in f.attack and f.references
    assert f.entities.url == "/aspnet_client/t.aspx?proxy&port=445&ip=10.0.0.9"


def test_wa5_regeorg(tmp_path: Path) -> None:
    lines = [
        iis_line("POST", "/owa/auth/tunnel.ashx", "200", "cmd=connect&target=10.0.0.9&port=3389"),
        iis_line("POST", "/owa/auth/tunnel.ashx", "200", "cmd=forward"),
        iis_line("POST", "/owa/auth/tunnel.ashx", "200", "cmd=read"),
        iis_line("POST", "/owa/auth/tunnel.ashx", "200", "cmd=disconnect"),
    ]
    hits = [h for h in _hits(tmp_path, *lines) if h[0].startswith("WA5")]
    assert hits == [
        ("WA5-iis-tunnel-webshell-connect", 5),
        ("WA5-iis-tunnel-webshell-relay", 6),
        ("WA5-iis-tunnel-webshell-relay", 7),
        ("WA5-iis-tunnel-webshell-relay", 8),
    ]


def test_wa5_negatives(tmp_path: Path) -> None:
    lines = [
        iis_line("GET", "/aspnet_client/t.aspx", "404", "proxy"),  # not there
        iis_line("GET", "/owa/auth/logon.aspx", "200", "proxy=on&url=x"),  # other parameter spelling
        iis_line("GET", "/static/proxy.css", "200", "proxy"),  # not a script page
        iis_line("GET", "/ecp/default.aspx", "200", "cmd=readme"),
        iis_line("RPC_IN_DATA", "/rpc/rpcproxy.dll", "200", "exch01.example.org:6001", user="EX\\anna"),
        iis_line("POST", "/owa/auth/RedirSuiteServiceProxy.aspx", "200"),
    ]
    assert [h for h in _hits(tmp_path, *lines) if h[0].startswith("WA5")] == []
