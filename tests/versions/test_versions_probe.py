"""`lekdicht probe` against local fake Exchange HTTPS servers on 127.0.0.1.

The servers and their responses are synthetic, written by us in the shape public scanners describe
(builds-and-mitigations.md 3.1): X-OWA-Version header, OWA logon page resource paths, ECP export-tool
ClickOnce manifest. The self-signed certificate is generated in the test with the openssl CLI.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lekdicht.versions.cli import probe_command
from lekdicht.versions.probe import (
    ECP_MANIFEST,
    RateLimiter,
    parse_target,
    probe_host,
    probe_hosts,
    results_to_csv,
    results_to_jsonl,
)

ON = date(2026, 11, 28)

LOGON_PAGE = """<!DOCTYPE html><html><head><title>Outlook</title>
<link rel="shortcut icon" href="/owa/auth/{cu}/themes/resources/favicon.ico" type="image/x-icon">
<link type="text/css" rel="stylesheet" href="/owa/auth/{cu}/themes/resources/logon.css"></head>
<body><form action="/owa/auth.owa" method="POST" name="logonForm"></form></body></html>"""

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd"
 manifestVersion="1.0"
 xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="{build}"
   publicKeyToken="b03f5f7f11d50a3a" language="neutral" processorArchitecture="msil"
   xmlns="urn:schemas-microsoft-com:asm.v1" />
</asmv1:assembly>"""

# profile -> behaviour
PROFILES: dict[str, dict[str, Any]] = {
    "e2016-cu19-rtm": {"header": "15.1.2176.2", "cu": "15.1.2176", "manifest": "15.1.2176.2"},
    "e2019-cu12-nov22-no-header": {"header": None, "cu": "15.2.1118", "manifest": "15.2.1118.20"},
    "e2016-cu22-path-only": {"header": None, "cu": "15.1.2375", "manifest": None},
    "se-aug26": {"header": "15.2.2562.46", "cu": "15.2.2562", "manifest": "15.2.2562.46"},
    "not-exchange": {"plain": True},
    "slow": {"slow": 3.0},
}


def make_handler(profile: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "Microsoft-IIS/10.0"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def send(
            self,
            status: int,
            body: str,
            ctype: str = "text/html; charset=utf-8",
            extra: dict[str, str] | None = None,
        ) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            if profile.get("header"):
                self.send_header("X-OWA-Version", profile["header"])
                self.send_header("X-FEServer", "EXCH01")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            assert self.headers.get("User-Agent", "").startswith("Mozilla/5.0")
            if profile.get("slow"):
                time.sleep(profile["slow"])
            if profile.get("plain"):
                self.send(200, "<html><body>Welcome to nginx!</body></html>")
                return
            if self.path == "/owa/":
                self.send(
                    302, "", extra={"Location": "https://127.0.0.1/owa/auth/logon.aspx?url=/owa/&reason=0"}
                )
            elif self.path.startswith("/owa/auth/logon.aspx"):
                self.send(200, LOGON_PAGE.format(cu=profile["cu"]))
            elif self.path == ECP_MANIFEST and profile.get("manifest"):
                self.send(200, MANIFEST.format(build=profile["manifest"]), "application/x-ms-application")
            else:
                self.send(404, "<html><body>404 - File or directory not found.</body></html>")

    return Handler


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    d = tmp_path_factory.mktemp("cert")
    key, crt = d / "key.pem", d / "cert.pem"
    proc = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {proc.stderr.decode(errors='replace')[:200]}")
    return key, crt


@pytest.fixture(scope="module")
def servers(cert: tuple[Path, Path]) -> Iterator[dict[str, str]]:
    key, crt = cert
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(crt), str(key))
    running: list[ThreadingHTTPServer] = []
    targets: dict[str, str] = {}
    for name, profile in PROFILES.items():
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(profile))
        httpd.daemon_threads = True
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
        targets[name] = f"127.0.0.1:{httpd.server_address[1]}"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    targets["closed"] = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    targets["ca"] = str(crt)
    yield targets
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


def test_parse_target() -> None:
    assert parse_target("mail.example.org") == ("mail.example.org", 443)
    assert parse_target("https://mail.example.org:8443/owa/") == ("mail.example.org", 8443)
    assert parse_target("[::1]:443") == ("::1", 443)
    with pytest.raises(ValueError):
        parse_target("http://mail.example.org")


def test_exact_build_from_header(servers: dict[str, str]) -> None:
    r = probe_host(servers["e2016-cu19-rtm"], timeout=5, cafile=servers["ca"], on=ON)
    assert r.ok, r.error
    assert (r.build, r.precision, r.method) == ("15.1.2176.2", "exact", "x-owa-version")
    assert r.owa_path_version == "15.1.2176"
    assert r.ecp_manifest_version == "15.1.2176.2"
    assert r.assessment is not None
    assert r.assessment.families()["ProxyLogon"] == "vulnerable"


def test_exact_build_from_ecp_manifest_when_header_is_stripped(servers: dict[str, str]) -> None:
    r = probe_host(servers["e2019-cu12-nov22-no-header"], timeout=5, cafile=servers["ca"], on=ON)
    assert (r.build, r.precision, r.method) == ("15.2.1118.20", "exact", "ecp-exporttool-manifest")
    assert r.assessment is not None
    fams = r.assessment.families()
    assert fams["ProxyNotShell"] == "fixed" and fams["OWASSRF"] == "fixed"


def test_owa_path_gives_cu_only_and_never_the_su(servers: dict[str, str]) -> None:
    r = probe_host(servers["e2016-cu22-path-only"], timeout=5, cafile=servers["ca"], on=ON)
    assert (r.build, r.precision, r.method) == ("15.1.2375", "cu", "owa-path")
    assert any("not the SU level" in n for n in r.notes)
    assert r.assessment is not None
    assert r.assessment.status_of("CVE-2022-41040") == "unknown"
    assert r.assessment.status_of("CVE-2021-26855") == "fixed"


def test_errors_per_host(servers: dict[str, str]) -> None:
    plain = probe_host(servers["not-exchange"], timeout=5, cafile=servers["ca"])
    assert not plain.ok and plain.error_kind == "not_exchange"
    closed = probe_host(servers["closed"], timeout=2, cafile=servers["ca"])
    assert not closed.ok and closed.error_kind == "unreachable"
    slow = probe_host(servers["slow"], timeout=0.5, cafile=servers["ca"])
    assert not slow.ok and slow.error_kind == "timeout"
    untrusted = probe_host(servers["se-aug26"], timeout=5)
    assert untrusted.error_kind == "tls"
    insecure = probe_host(servers["se-aug26"], timeout=5, insecure=True, on=ON)
    assert insecure.ok and insecure.build == "15.2.2562.46"


def test_many_hosts_keep_order_and_do_not_stop_on_errors(servers: dict[str, str]) -> None:
    names = ["closed", "e2016-cu19-rtm", "slow", "se-aug26", "not-exchange", "e2016-cu22-path-only"]
    seen: list[str] = []
    results = probe_hosts(
        [servers[n] for n in names] + ["bad host name:xx"],
        concurrency=4, timeout=0.7, rate=0, cafile=servers["ca"],
        progress=lambda r: seen.append(r.target), on=ON,
    )  # fmt: skip
    assert [r.target for r in results][:-1] == [servers[n] for n in names]
    assert len(seen) == len(names) + 1
    kinds = [r.error_kind for r in results]
    assert kinds == ["unreachable", None, "timeout", None, "not_exchange", None, "usage"]
    lines = [json.loads(x) for x in results_to_jsonl(results).splitlines()]
    assert lines[1]["build"] == "15.1.2176.2" and lines[1]["assessment"]["vulnerable"] is True
    rows = list(csv.DictReader(io.StringIO(results_to_csv(results))))
    assert rows[3]["build"] == "15.2.2562.46" and rows[3]["precision"] == "exact"
    assert rows[5]["precision"] == "cu"


def test_rate_limiter_spaces_requests() -> None:
    lim = RateLimiter(20)
    t0 = time.monotonic()
    for _ in range(5):
        lim.wait()
    assert time.monotonic() - t0 >= 0.19


def test_csv_cells_are_safe_from_formula_injection() -> None:
    r = probe_host("=cmd|'/c calc'!A1", timeout=0.1)
    text = results_to_csv([r])
    assert "\n'=cmd" in text or ",'=cmd" in text


def test_probe_command(servers: dict[str, str], tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(
        f"# our servers\n{servers['e2016-cu19-rtm']}\n{servers['not-exchange']}\n", encoding="utf-8"
    )
    out_jsonl, out_csv = tmp_path / "r.jsonl", tmp_path / "r.csv"
    result = CliRunner().invoke(
        probe_command,
        [servers["se-aug26"], "--hosts", str(hosts), "--ca-file", servers["ca"], "--timeout", "5",
         "--jsonl", str(out_jsonl), "--csv", str(out_csv), "--on", "2026-11-28"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "15.1.2176.2" in result.stdout and "15.2.2562.46" in result.stdout
    lines = [json.loads(x) for x in out_jsonl.read_text().splitlines()]
    assert [x["error_kind"] for x in lines] == [None, None, "not_exchange"]
    assert out_csv.read_text().startswith("target,host,port")
    assert "[3/3]" in result.stderr
    only_se = CliRunner().invoke(probe_command, [servers["se-aug26"], "--ca-file", servers["ca"], "--json"])
    assert only_se.exit_code == 0
    assert json.loads(only_se.stdout.splitlines()[0])["build"] == "15.2.2562.46"
    assert CliRunner().invoke(probe_command, []).exit_code == 2
