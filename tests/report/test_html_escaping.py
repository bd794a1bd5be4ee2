"""Attacker-controlled text is shown as text in the HTML report and never runs.

Synthetic evidence written by this test: IIS log lines whose URLs, queries and user agents carry
HTML and script payloads, and webshells whose file names hold markup and whose content has script
tags. The scan's report is rendered; the page must contain the payloads only as escaped text, and
Chromium must build no element from them and log no console message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lekdicht.report.html import render_html, write_html
from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report
from report.markup import check_markup

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TITLE_SCRIPT = "<script>document.title='pwned'</script>"
SHELL_NAMES = ("<b>evil<b>.aspx", '"><img src=x onerror=alert(2)>.aspx')
SHELL = '<%@ Page Language="Jscript"%><%eval(Request.Item["<script>x</script>"],"unsafe");%>'

_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)


def _w3c(text: str) -> str:
    """W3C logs write spaces as '+'."""
    return text.replace(" ", "+")


def _iis_log() -> str:
    ip = "203.0.113.66"
    lines = [
        # ProxyLogon-style POST to a static file, payloads in stem, query and user agent
        f"2021-03-03 02:10:41 10.0.0.5 POST /ecp/{SCRIPT}.js x={_w3c(IMG)} 443 - {ip} {SCRIPT} - 200 0 0 87",
        f"2021-03-03 02:10:44 10.0.0.5 POST /owa/auth/x.js q={_w3c(TITLE_SCRIPT)} 443 - {ip} "
        f"{_w3c(IMG)} - 200 0 0 65",
        # webshell pages answered 200 and probed
        f"2021-03-03 02:14:31 10.0.0.5 POST /aspnet_client/{_w3c(SHELL_NAMES[0])} cmd={SCRIPT} 443 - {ip} "
        f"antSword/v2.1 - 200 0 0 118",
        f"2021-03-03 02:15:02 10.0.0.5 GET /aspnet_client/{_w3c(SHELL_NAMES[1])} - 443 - {ip} "
        f"{_w3c(TITLE_SCRIPT)} - 200 0 0 118",
        f"2021-03-03 04:02:11 10.0.0.5 GET /aspnet_client/{SCRIPT}.aspx - 443 - 192.0.2.200 "
        f"{SCRIPT} - 404 0 2 1",
        # a line that cannot be parsed: its excerpt lands in the rejected examples
        f"{SCRIPT} {_w3c(IMG)}",
    ]
    head = (
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
        f"#Date: 2021-03-03 00:00:00\r\n#Fields: {_FIELDS}\r\n"
    )
    return head + "".join(line + "\r\n" for line in lines)


def _evidence(root: Path) -> Path:
    ev = root / "evidence"
    logs = ev / "C" / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    logs.mkdir(parents=True)
    (logs / "u_ex210303.log").write_text(_iis_log(), encoding="utf-8")
    web = ev / "C" / "inetpub" / "wwwroot" / "aspnet_client"
    web.mkdir(parents=True)
    for name in SHELL_NAMES:
        (web / name).write_text(SHELL, encoding="utf-8")
    (ev / "SYNTHETIC-EVIDENCE.txt").write_text("Synthetic evidence written by a lekdicht test.\n")
    return ev


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("xss")
    out = root / "case"
    out.mkdir()
    return scan_and_report(ScanOptions(evidence=_evidence(root), out=out, workers=1)).report


def test_the_report_really_carries_the_payloads(hostile_report: dict[str, Any]) -> None:
    """Guard against a vacuous test: the payloads reached findings, sessions and the inventory."""
    raw = json.dumps(hostile_report, ensure_ascii=False)
    for payload in (SCRIPT, IMG, TITLE_SCRIPT, *SHELL_NAMES, '"<script>x</script>"'):
        assert payload in raw or json.dumps(payload)[1:-1] in raw, payload
    assert hostile_report["findings"], "the hostile evidence should give findings"
    assert any(SHELL_NAMES[0] in f["evidence"]["path"] for f in hostile_report["findings"])
    assert any(SCRIPT in ua for s in hostile_report["sessions"] for ua in s["user_agents"])


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_payloads_are_escaped_in_the_page(hostile_report: dict[str, Any], lang: str) -> None:
    page = render_html(hostile_report, lang)
    # The page has no script of its own, so any "<script" would come from the data.
    assert re.search(r"<\s*script", page, re.IGNORECASE) is None
    assert re.search(r"<\s*img", page, re.IGNORECASE) is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;evil&lt;b&gt;.aspx" in page
    check = check_markup(page)  # only our own elements, no on* attributes, no src
    text = "".join(check.text)
    assert SCRIPT in text and "<b>evil<b>.aspx" in text  # shown as text to the reader


def test_injected_markup_in_every_field_is_escaped(demo_report: dict[str, Any]) -> None:
    """Payloads in fields the scan did not fill here (host name, sessions, exposure, errors, svg labels)."""
    report = json.loads(json.dumps(demo_report))
    report["server"]["hostname"] = SCRIPT
    report["server"]["build_source"] = IMG
    report["coverage"]["families"][0]["family"] = SCRIPT
    report["sessions"][0]["client_ip"] = IMG
    report["sessions"][0]["urls"] = [SCRIPT]
    report["errors"] = [{"path": SCRIPT, "error": IMG}]
    report["evidence"]["not_scanned"] = [{"path": IMG, "reason": SCRIPT}]
    report["verdict"]["reasons"].append(SCRIPT)
    report["findings"][0]["references"] = ["javascript:alert(1)", f"https://example.org/{IMG}"]
    report["findings"][0]["title"] = TITLE_SCRIPT
    report["data_exposure"] = {
        "status": "assessed",
        "summary": SCRIPT,
        "mailboxes": [
            {
                "mailbox": SCRIPT,
                "requests": 1,
                "operations": {IMG: 1},
                "read": True,
                "response_bytes": 5,
                "via": ["ews"],
                "client_ips": [IMG],
                "first": None,
                "last": None,
                "evidence": [{"path": SCRIPT, "line": 1, "time": None}],
            }
        ],
        "address_book": [],
        "mail_flow": [
            {
                "kind": "Set-Mailbox",
                "mailbox": "a",
                "destination": IMG,
                "by": SCRIPT,
                "time": None,
                "evidence": [],
            }
        ],
        IMG: [{SCRIPT: IMG}],
        "limits": [SCRIPT],
    }
    for lang in ("en", "nl"):
        page = render_html(report, lang)
        assert re.search(r"<\s*(script|img)", page, re.IGNORECASE) is None
        check_markup(page)
        assert 'href="javascript' not in page


def test_browser_builds_no_element_from_the_payloads(
    hostile_report: dict[str, Any], chromium: Any, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    write_html(hostile_report, page, "en")
    dom, console = chromium.dump_dom(page)
    assert console == []  # no CSP violation, no error: nothing tried to run or load
    assert re.search(r"<\s*(script|img|iframe|object|embed)\b", dom, re.IGNORECASE) is None
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom, re.DOTALL).group(1)  # type: ignore[union-attr]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the payload is there, as text
    assert "&lt;b&gt;evil&lt;b&gt;.aspx" in dom


def test_control_and_bidi_characters_are_neutralised(demo_report: dict[str, Any], tmp_path: Path) -> None:
    """A right-to-left override can make 'gpj.aspx' look like 'xpsa.jpg'; show it, do not obey it."""
    report = json.loads(json.dumps(demo_report))
    report["findings"][0]["evidence"]["path"] = "C/inetpub/wwwroot/aspnet_client/\u202egpj.aspx"
    report["findings"][0]["evidence"]["excerpt"] = "bell\x07 nul\x00 esc\x1b[31m lone\ud800 end"
    page = render_html(report, "en")
    assert "\u202e" not in page and "&lt;U+202E&gt;gpj.aspx" in page
    assert not any(c in page for c in "\x00\x07\x1b")
    out = tmp_path / "r.html"
    write_html(report, out, "en")  # a lone surrogate does not stop the write
    assert "\ufffd" in out.read_text(encoding="utf-8")
