"""Sigma semantics of the compiler: every modifier and condition feature, positive and negative.

All rules and records here are synthetic, written for these tests.
"""

from __future__ import annotations

import base64
import textwrap

import pytest
from sigma.rule import SigmaRule

from lekdicht.model import Location, LogRecord, Severity, Verdict
from lekdicht.rules.compiler import RuleCompileError, compile_rule
from lekdicht.rules.loader import load_rules_from_text
from lekdicht.rules.types import CompiledRule

HEADER = """\
title: test rule
id: 0f0c2a4e-5a3b-4d5e-8f00-000000000001
"""


def make(
    detection: str, logsource: str = "{product: exchange, service: httpproxy}", extra: str = ""
) -> CompiledRule:
    """Compile a rule from a detection block (YAML, indented under `detection:`)."""
    text = (
        HEADER
        + f"logsource: {logsource}\n"
        + "detection:\n"
        + textwrap.indent(textwrap.dedent(detection).strip("\n"), "    ")
        + "\n"
        + textwrap.dedent(extra)
    )
    return compile_rule(SigmaRule.from_yaml(text), "test.yml")


def rec(raw: str = "", **fields: str) -> LogRecord:
    return LogRecord(dict(fields), Location("synthetic.log", line=1), raw or " ".join(fields.values()))


def recf(fields: dict[str, str], raw: str = "") -> LogRecord:
    return LogRecord(dict(fields), Location("synthetic.log", line=1), raw or " ".join(fields.values()))


# --- strings, case, wildcards ------------------------------------------------------------------


def test_plain_string_is_whole_value_case_insensitive() -> None:
    r = make("sel:\n  UrlStem: /ecp/DDI/DDIService.svc\ncondition: sel")
    assert r.matcher(rec(UrlStem="/ECP/ddi/ddiservice.SVC"))
    assert not r.matcher(rec(UrlStem="/ecp/DDI/DDIService.svc/SetObject"))
    assert not r.matcher(rec(UrlStem="x/ecp/DDI/DDIService.svc"))
    assert not r.matcher(rec(Other="/ecp/DDI/DDIService.svc"))


def test_cased_modifier() -> None:
    r = make("sel:\n  UrlStem|cased: /ecp/Default.flt\ncondition: sel")
    assert r.matcher(rec(UrlStem="/ecp/Default.flt"))
    assert not r.matcher(rec(UrlStem="/ecp/default.flt"))
    r2 = make("sel:\n  UrlStem|contains|cased: Proxy\ncondition: sel")
    assert r2.matcher(rec(UrlStem="/owa/auth/ProxyLogon"))
    assert not r2.matcher(rec(UrlStem="/owa/auth/proxylogon"))


def test_wildcards_star_and_question_mark() -> None:
    r = make("sel:\n  UrlStem: '/owa/auth/*.js'\ncondition: sel")
    assert r.matcher(rec(UrlStem="/OWA/auth/x.JS"))
    assert r.matcher(rec(UrlStem="/owa/auth/.js"))
    assert not r.matcher(rec(UrlStem="/owa/auth/x.jsp"))
    q = make("sel:\n  UrlStem: '/ecp/?.js'\ncondition: sel")
    assert q.matcher(rec(UrlStem="/ecp/y.js"))
    assert q.matcher(rec(UrlStem="/ECP/Y.JS"))
    assert not q.matcher(rec(UrlStem="/ecp/yy.js"))
    assert not q.matcher(rec(UrlStem="/ecp/.js"))
    multi = make("sel:\n  UrlStem: '/a*b*c'\ncondition: sel")
    assert multi.matcher(rec(UrlStem="/aXXbYYc"))
    assert multi.matcher(rec(UrlStem="/abc"))
    assert not multi.matcher(rec(UrlStem="/acb"))
    assert not multi.matcher(rec(UrlStem="/abcd"))
    overlap = make("sel:\n  UrlStem: 'ab*ba'\ncondition: sel")
    assert overlap.matcher(rec(UrlStem="abba"))
    assert not overlap.matcher(rec(UrlStem="aba"))


def test_escaped_wildcards_are_literal() -> None:
    r = make("sel:\n  UrlQuery: 'a\\*b'\ncondition: sel")
    assert r.matcher(rec(UrlQuery="a*b"))
    assert not r.matcher(rec(UrlQuery="aXb"))
    q = make("sel:\n  UrlQuery|endswith: 'x\\?'\ncondition: sel")
    assert q.matcher(rec(UrlQuery="whyx?"))
    assert not q.matcher(rec(UrlQuery="whyxy"))
    backslash = make("sel:\n  Image|endswith: '\\w3wp.exe'\ncondition: sel")
    assert backslash.matcher(rec(Image="C:\\Windows\\System32\\inetsrv\\W3WP.EXE"))
    assert not backslash.matcher(rec(Image="C:\\tmp\\xw3wp.exe"))


def test_star_alone_matches_any_present_value() -> None:
    r = make("sel:\n  AnchorMailbox: '*'\ncondition: sel")
    assert r.matcher(rec(AnchorMailbox=""))
    assert r.matcher(rec(AnchorMailbox="x"))
    assert not r.matcher(rec(Other="x"))


def test_contains_startswith_endswith() -> None:
    c = make("sel:\n  UrlQuery|contains: X-Rps-CAT\ncondition: sel")
    assert c.matcher(rec(UrlQuery="?a=1&x-rps-cat=abc"))
    assert not c.matcher(rec(UrlQuery="?a=1"))
    s = make("sel:\n  UrlStem|startswith: /autodiscover/\ncondition: sel")
    assert s.matcher(rec(UrlStem="/Autodiscover/autodiscover.json"))
    assert not s.matcher(rec(UrlStem="/x/autodiscover/"))
    e = make("sel:\n  UrlStem|endswith: .aspx\ncondition: sel")
    assert e.matcher(rec(UrlStem="/owa/auth/shell.ASPX"))
    assert not e.matcher(rec(UrlStem="/owa/auth/shell.aspx.bak"))


def test_list_is_or_and_all_is_and() -> None:
    r = make("sel:\n  UrlQuery|contains:\n    - powershell\n    - mapi/nspi\ncondition: sel")
    assert r.matcher(rec(UrlQuery="/mapi/nspi/?x"))
    assert r.matcher(rec(UrlQuery="/PowerShell"))
    assert not r.matcher(rec(UrlQuery="/ews"))
    a = make("sel:\n  UrlQuery|contains|all:\n    - schema=Reset\n    - VirtualDirectory\ncondition: sel")
    assert a.matcher(rec(UrlQuery="schema=ResetOABVirtualDirectory"))
    assert not a.matcher(rec(UrlQuery="schema=Reset"))
    assert not a.matcher(rec(UrlQuery="VirtualDirectory"))


def test_map_items_are_and_and_list_of_maps_is_or() -> None:
    r = make(
        """
        sel:
          - Method: POST
            UrlStem: /ecp/x.js
          - UrlStem: /ecp/y.js
        condition: sel
        """
    )
    assert r.matcher(rec(Method="post", UrlStem="/ecp/x.js"))
    assert not r.matcher(rec(Method="GET", UrlStem="/ecp/x.js"))
    assert r.matcher(rec(Method="GET", UrlStem="/ecp/y.js"))


# --- regular expressions -------------------------------------------------------------------------


def test_regex_is_case_sensitive_search_by_default() -> None:
    r = make("sel:\n  UrlStem|re: '/ecp/[a-z]\\.js'\ncondition: sel")
    assert r.matcher(rec(UrlStem="prefix/ecp/y.js?suffix"))
    assert not r.matcher(rec(UrlStem="/ECP/Y.JS"))
    anchored = make("sel:\n  UrlStem|re: '^/ecp/[a-z]\\.js$'\ncondition: sel")
    assert anchored.matcher(rec(UrlStem="/ecp/y.js"))
    assert not anchored.matcher(rec(UrlStem="x/ecp/y.js"))


def test_regex_flags_i_m_s() -> None:
    i = make("sel:\n  UrlStem|re|i: '^/ecp/[a-z]\\.js$'\ncondition: sel")
    assert i.matcher(rec(UrlStem="/ECP/Y.JS"))
    m = make("sel:\n  Parameters|re|m: '^-Identity$'\ncondition: sel")
    assert m.matcher(rec(Parameters="first\n-Identity\nlast"))
    plain = make("sel:\n  Parameters|re: '^-Identity$'\ncondition: sel")
    assert not plain.matcher(rec(Parameters="first\n-Identity\nlast"))
    s = make("sel:\n  Parameters|re|s: 'a.b'\ncondition: sel")
    assert s.matcher(rec(Parameters="a\nb"))
    no_s = make("sel:\n  Parameters|re: 'a.b'\ncondition: sel")
    assert not no_s.matcher(rec(Parameters="a\nb"))


def test_regex_with_contains_and_alternation() -> None:
    r = make("sel:\n  UrlStem|re|contains: 'x\\.js|y\\.js'\ncondition: sel")
    assert r.matcher(rec(UrlStem="/ecp/y.js?z"))
    assert not r.matcher(rec(UrlStem="/ecp/z.js"))


# --- encodings -------------------------------------------------------------------------------------


def test_base64_and_base64offset() -> None:
    b = make("sel:\n  Data|base64: 'whoami'\ncondition: sel")
    assert b.matcher(rec(Data=base64.b64encode(b"whoami").decode()))
    assert not b.matcher(rec(Data="whoami"))
    off = make("sel:\n  Data|base64offset|contains: 'Invoke-Mimikatz'\ncondition: sel")
    for prefix in (b"", b"a", b"ab", b"abc", b"abcd"):
        encoded = base64.b64encode(prefix + b"Invoke-Mimikatz -DumpCreds").decode()
        assert off.matcher(rec(Data=encoded)), prefix
    assert not off.matcher(rec(Data=base64.b64encode(b"Invoke-Nothing at all").decode()))


def test_wide_and_utf16le_with_base64offset() -> None:
    for modifier in ("wide", "utf16le"):
        text = (
            "title: t\nid: 0f0c2a4e-5a3b-4d5e-8f00-0000000000aa\n"
            "logsource: {product: windows, service: powershell}\n"
            f"detection:\n  sel:\n    ScriptBlockText|{modifier}|base64offset|contains: 'IEX'\n"
            "  condition: sel\n"
        )
        result = load_rules_from_text(text)
        assert not result.unusable, result.unusable
        rule = result.rules[0]
        for prefix in ("", "a", "ab"):
            encoded = base64.b64encode((prefix + "IEX (New-Object)").encode("utf-16le")).decode()
            assert rule.matcher(rec(ScriptBlockText="-enc " + encoded)), (modifier, prefix)
        assert not rule.matcher(rec(ScriptBlockText=base64.b64encode(b"IEX").decode()))


def test_windash() -> None:
    r = make(
        "sel:\n  CommandLine|windash|contains: ' -enc '\ncondition: sel",
        "{product: windows, category: process_creation}",
    )
    assert r.matcher(rec(CommandLine="powershell -enc AAAA"))
    assert r.matcher(rec(CommandLine="powershell /enc AAAA"))
    assert r.matcher(rec(CommandLine="powershell \u2013enc AAAA"))
    assert r.matcher(rec(CommandLine="powershell \u2014ENC AAAA"))
    assert not r.matcher(rec(CommandLine="powershell enc AAAA"))


# --- other value types ---------------------------------------------------------------------------


def test_cidr_ipv4_and_ipv6() -> None:
    r = make("sel:\n  ClientIpAddress|cidr:\n    - 10.0.0.0/8\n    - 'fd00::/8'\ncondition: sel")
    assert r.matcher(rec(ClientIpAddress="10.1.2.3"))
    assert r.matcher(rec(ClientIpAddress=" 10.255.0.1 "))
    assert r.matcher(rec(ClientIpAddress="fd12::1"))
    assert r.matcher(rec(ClientIpAddress="::ffff:10.9.9.9"))
    assert not r.matcher(rec(ClientIpAddress="11.1.2.3"))
    assert not r.matcher(rec(ClientIpAddress="fe80::1"))
    assert not r.matcher(rec(ClientIpAddress="not-an-ip"))
    assert not r.matcher(rec(ClientIpAddress=""))


def test_numbers_and_comparisons() -> None:
    eq = make("sel:\n  HttpStatus: 200\ncondition: sel")
    assert eq.matcher(rec(HttpStatus="200"))
    assert eq.matcher(rec(HttpStatus="0200"))
    assert eq.matcher(rec(HttpStatus="200.0"))
    assert not eq.matcher(rec(HttpStatus="2000"))
    assert not eq.matcher(rec(HttpStatus="abc"))
    gt = make("sel:\n  RequestBytes|gt: 1000\ncondition: sel")
    assert gt.matcher(rec(RequestBytes="1001"))
    assert not gt.matcher(rec(RequestBytes="1000"))
    assert not gt.matcher(rec(RequestBytes="lots"))
    gte = make("sel:\n  RequestBytes|gte: 1000\ncondition: sel")
    assert gte.matcher(rec(RequestBytes="1000"))
    lt = make("sel:\n  RequestBytes|lt: 10\ncondition: sel")
    assert lt.matcher(rec(RequestBytes="9.5"))
    assert not lt.matcher(rec(RequestBytes="10"))
    lte = make("sel:\n  RequestBytes|lte: 10\ncondition: sel")
    assert lte.matcher(rec(RequestBytes="10"))
    assert not lte.matcher(rec(RequestBytes="-"))


def test_exists() -> None:
    yes = make("sel:\n  AnchorMailbox|exists: true\ncondition: sel")
    assert yes.matcher(rec(AnchorMailbox=""))
    assert yes.matcher(rec(anchormailbox="x"))
    assert not yes.matcher(rec(Other="x"))
    no = make("sel:\n  AnchorMailbox|exists: false\ncondition: sel")
    assert no.matcher(rec(Other="x"))
    assert not no.matcher(rec(AnchorMailbox=""))


def test_null_means_absent_or_empty() -> None:
    r = make("sel:\n  AnchorMailbox: null\ncondition: sel")
    assert r.matcher(rec(Other="x"))
    assert r.matcher(rec(AnchorMailbox=""))
    assert not r.matcher(rec(AnchorMailbox="user@example.org"))
    n = make("sel:\n  AnchorMailbox: null\ncondition: not sel")
    assert n.matcher(rec(AnchorMailbox="user@example.org"))


def test_boolean_value() -> None:
    r = make("sel:\n  IsAuthenticated: true\ncondition: sel")
    assert r.matcher(rec(IsAuthenticated="True"))
    assert not r.matcher(rec(IsAuthenticated="false"))


def test_fieldref() -> None:
    eq = make("sel:\n  AuthenticatedUser|fieldref: AnchorMailbox\ncondition: sel")
    assert eq.matcher(rec(AuthenticatedUser="A@x", AnchorMailbox="a@X"))
    assert not eq.matcher(rec(AuthenticatedUser="a@x", AnchorMailbox="b@x"))
    assert not eq.matcher(rec(AuthenticatedUser="a@x"))
    contains = make("sel:\n  UrlQuery|fieldref|contains: AnchorMailbox\ncondition: sel")
    assert contains.matcher(rec(UrlQuery="?mbx=a@x&y", AnchorMailbox="a@x"))
    assert not contains.matcher(rec(UrlQuery="?mbx=b@x", AnchorMailbox="a@x"))


def test_neq_negates() -> None:
    r = make("sel:\n  Method: POST\n  HttpStatus|neq: 200\ncondition: sel")
    assert r.matcher(rec(Method="POST", HttpStatus="500"))
    assert not r.matcher(rec(Method="POST", HttpStatus="200"))


def test_timestamp_part() -> None:
    r = make("sel:\n  DateTime|hour: 3\ncondition: sel")
    assert r.matcher(rec(DateTime="2021-03-03T03:15:00.000Z"))
    assert not r.matcher(rec(DateTime="2021-03-03T04:15:00.000Z"))
    assert not r.matcher(rec(DateTime="garbage"))


# --- keywords ------------------------------------------------------------------------------------


def test_keywords_match_raw_as_substring_case_insensitive() -> None:
    r = make(
        "keywords:\n  - 'Download failed and temporary file'\ncondition: keywords",
        "{product: exchange, service: oabgen}",
    )
    line = "2021-03-03T01:02:03Z,x,DOWNLOAD FAILED and temporary file C:\\x needs to be removed"
    assert r.matcher(rec(raw=line, Message="unrelated"))
    assert not r.matcher(rec(raw="all good", Message="Download failed and temporary file"))


def test_keyword_wildcards_and_all() -> None:
    r = make(
        """
        keywords:
          '|all':
            - 'POST'
            - 200
            - '/ecp/DDI/*.svc/SetObject'
        condition: keywords
        """,
        "{product: windows, service: iis}",
    )
    assert r.matcher(rec(raw="2021-03-03 post /ecp/ddi/DDIService.svc/SetObject schema=x 443 - 200 0 0"))
    assert not r.matcher(rec(raw="2021-03-03 GET /ecp/ddi/DDIService.svc/SetObject 200"))
    assert not r.matcher(rec(raw="2021-03-03 POST /ecp/ddi/DDIService.svc/SetObject 500"))


def test_keyword_regex() -> None:
    r = make(
        "keywords:\n  '|re': 'S:CMD=Set-\\w+VirtualDirectory'\ncondition: keywords",
        "{product: exchange, service: ecp}",
    )
    assert r.matcher(rec(raw="x,S:CMD=Set-OabVirtualDirectory.ExternalUrl=..."))
    assert not r.matcher(rec(raw="x,S:CMD=Get-OabVirtualDirectory"))


# --- conditions ----------------------------------------------------------------------------------

CONDITION_DETECTION = """
selection_a:
  UrlStem|contains: /ecp/
selection_b:
  Method: POST
filter:
  UserAgent|contains: HealthMonitor
condition: {cond}
"""


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("1 of selection_*", [True, True, True, False, True]),
        ("all of selection_*", [True, False, False, False, True]),
        ("all of selection_* and not filter", [True, False, False, False, False]),
        ("1 of them", [True, True, True, False, True]),
        ("all of them", [False, False, False, False, True]),
        ("selection_a and (selection_b or filter)", [True, False, False, False, True]),
        ("not selection_a", [False, False, True, True, False]),
        ("any of selection_* and not filter", [True, True, True, False, False]),
    ],
)
def test_condition_forms(cond: str, expected: list[bool]) -> None:
    r = make(CONDITION_DETECTION.format(cond=cond))
    records = [
        rec(UrlStem="/ecp/x", Method="POST", UserAgent="Mozilla"),
        rec(UrlStem="/ecp/x", Method="GET", UserAgent="Mozilla"),
        rec(UrlStem="/owa/x", Method="POST", UserAgent="Mozilla"),
        rec(UrlStem="/owa/x", Method="GET", UserAgent="Mozilla"),
        rec(UrlStem="/ecp/x", Method="POST", UserAgent="HealthMonitor"),
    ]
    assert [r.matcher(x) for x in records] == expected


def test_several_conditions_are_alternatives() -> None:
    r = make("a:\n  Method: PUT\nb:\n  Method: DELETE\ncondition:\n  - a\n  - b")
    assert r.matcher(rec(Method="PUT"))
    assert r.matcher(rec(Method="delete"))
    assert not r.matcher(rec(Method="GET"))


# --- field lookup and aliases --------------------------------------------------------------------


def test_field_lookup_exact_first_then_case_insensitive() -> None:
    r = make("sel:\n  UrlStem: /a\ncondition: sel")
    assert r.matcher(recf({"urlstem": "/a"}))
    assert r.matcher(recf({"URLSTEM": "/b", "UrlStem": "/a"}))
    assert not r.matcher(recf({"UrlStem": "/b", "urlstem": "/a"}))


def test_webserver_aliases() -> None:
    r = make("sel:\n  cs-uri-query|contains: '/autodiscover.json'\ncondition: sel", "{category: webserver}")
    assert r.matcher(
        recf(
            {
                "cs-uri-stem": "/autodiscover/autodiscover.json",
                "cs-uri-query": "a=1",
                "cs-uri": "/autodiscover/autodiscover.json?a=1",
            }
        )
    )
    assert r.matcher(recf({"cs-uri-query": "@x/autodiscover.json?"}))
    assert not r.matcher(recf({"cs-uri-stem": "/autodiscover/autodiscover.json"}))
    ua = make(
        "sel:\n  cs-user-agent|startswith: python-requests\ncondition: sel",
        "{product: windows, service: iis}",
    )
    assert ua.matcher(recf({"cs(User-Agent)": "python-requests/2.25"}))
    assert ua.matcher(recf({"cs-user-agent": "Python-Requests/2.25"}))
    # no alias outside the webserver logsources
    other = make("sel:\n  cs-uri-query|contains: '/autodiscover.json'\ncondition: sel")
    assert not other.matcher(recf({"cs-uri": "/autodiscover.json"}))


def test_record_cache_is_not_confused_between_records() -> None:
    r = make("sel:\n  UrlStem|contains: evil\ncondition: sel")
    a = rec(UrlStem="/EVIL")
    b = rec(UrlStem="/good")
    assert [r.matcher(a), r.matcher(b), r.matcher(a), r.matcher(b)] == [True, False, True, False]


# --- metadata ------------------------------------------------------------------------------------


def test_metadata_tags_verdict_and_level() -> None:
    r = make(
        "sel:\n  UrlStem: /x\ncondition: sel",
        extra="""
        level: critical
        description: d
        references: [https://example.org/a]
        tags: [attack.initial_access, attack.t1190, attack.t1505.003, cve.2021-26855, cve.2021.27065]
        verdict: exploited
        requires_corroboration: true
        """,
    )
    assert r.id == "0f0c2a4e-5a3b-4d5e-8f00-000000000001"
    assert r.title == "test rule"
    assert r.level is Severity.CRITICAL
    assert r.verdict is Verdict.EXPLOITED
    assert r.cves == ["CVE-2021-26855", "CVE-2021-27065"]
    assert r.attack == ["T1190", "T1505.003"]
    assert "attack.initial_access" in r.tags
    assert r.references == ["https://example.org/a"]
    assert r.requires_corroboration is True
    assert r.source == "test.yml"
    assert r.logsource.product == "exchange" and r.logsource.service == "httpproxy"


@pytest.mark.parametrize(
    ("level", "verdict"),
    [
        ("critical", Verdict.SUSPICIOUS),
        ("high", Verdict.SUSPICIOUS),
        ("medium", Verdict.SUSPICIOUS),
        ("low", Verdict.INFO),
        ("informational", Verdict.INFO),
    ],
)
def test_verdict_derived_from_level(level: str, verdict: Verdict) -> None:
    r = make("sel:\n  UrlStem: /x\ncondition: sel", extra=f"level: {level}\n")
    assert r.verdict is verdict


def test_defaults_without_level() -> None:
    r = make("sel:\n  UrlStem: /x\ncondition: sel")
    assert r.level is Severity.MEDIUM
    assert r.verdict is Verdict.SUSPICIOUS
    assert r.requires_corroboration is False


def test_invalid_verdict_and_corroboration_rejected() -> None:
    with pytest.raises(RuleCompileError, match="verdict"):
        make("sel:\n  UrlStem: /x\ncondition: sel", extra="verdict: pwned\n")
    with pytest.raises(RuleCompileError, match="requires_corroboration"):
        make("sel:\n  UrlStem: /x\ncondition: sel", extra="requires_corroboration: maybe\n")


def test_expand_placeholder_rejected() -> None:
    with pytest.raises(RuleCompileError, match="placeholder"):
        make("sel:\n  UrlStem|expand: '%admin_paths%'\ncondition: sel")


def test_aggregation_rejected() -> None:
    with pytest.raises(RuleCompileError, match="aggregation"):
        make("sel:\n  UrlStem: /x\ncondition: sel | count() > 5")
