"""Prefilter literal derivation: choice of literals, and soundness on random records.

All rules and records here are synthetic, written for these tests.
"""

from __future__ import annotations

import json
import random
import textwrap
from urllib.parse import quote

import pytest
from sigma.rule import SigmaRule

from lekdicht.model import Location, LogRecord
from lekdicht.rules.compiler import compile_rule
from lekdicht.rules.literals import minimise
from lekdicht.rules.prefilter import hyperscan_available, selector_for_literals
from lekdicht.rules.types import CompiledRule, Literal


def make(detection: str, logsource: str = "{product: exchange, service: httpproxy}") -> CompiledRule:
    text = (
        "title: literal test\nid: 0f0c2a4e-5a3b-4d5e-8f00-000000000002\n"
        f"logsource: {logsource}\ndetection:\n"
        + textwrap.indent(textwrap.dedent(detection).strip("\n"), "    ")
        + "\n"
    )
    return compile_rule(SigmaRule.from_yaml(text), "test.yml")


def texts(rule: CompiledRule) -> set[str] | None:
    return None if rule.literals is None else {lit.text for lit in rule.literals}


def test_simple_values_give_lowercased_literals() -> None:
    r = make("sel:\n  UrlStem|contains:\n    - /ecp/DDI/\n    - /OWA/auth/x.js\ncondition: sel")
    assert texts(r) == {"/ecp/ddi/", "/owa/auth/x.js"}
    assert all(not lit.percent_tolerant for lit in r.literals or [])


def test_and_picks_best_child() -> None:
    r = make("a:\n  Method: POST\nb:\n  UrlStem|contains: /autodiscover.json\ncondition: a and b")
    assert texts(r) == {"/autodiscover.json"}
    many = make(
        "a:\n  UrlStem|contains: [aaaa1, bbbb2, cccc3]\nb:\n  UrlQuery|contains: dddd4\ncondition: a and b"
    )
    assert texts(many) == {"dddd4"}


def test_or_is_union_and_none_if_any_child_has_none() -> None:
    r = make("a:\n  Method: DELETE\nb:\n  UrlStem|contains: /powershell\ncondition: a or b")
    assert texts(r) == {"delete", "/powershell"}
    r2 = make("a:\n  Method: DELETE\nb:\n  UrlStem|re: 'x+'\ncondition: a or b")
    assert r2.literals is None


def test_not_only_rule_has_no_literals() -> None:
    r = make("sel:\n  UrlStem|contains: /owa/\ncondition: not sel")
    assert r.literals is None
    r2 = make("sel:\n  UrlStem|contains: /owa/\nf:\n  Method: GET\ncondition: sel and not f")
    assert texts(r2) == {"/owa/"}


@pytest.mark.parametrize(
    "detection",
    [
        "sel:\n  UrlStem|re: '/ecp/.*|/owa/.*'\ncondition: sel",
        "sel:\n  UrlStem|re: 'ab[0-9]cd'\ncondition: sel",
        "sel:\n  ClientIpAddress|cidr: 10.0.0.0/8\ncondition: sel",
        "sel:\n  RequestBytes|gt: 100000\ncondition: sel",
        "sel:\n  AnchorMailbox|exists: true\ncondition: sel",
        "sel:\n  AnchorMailbox: null\ncondition: sel",
        "sel:\n  AnchorMailbox|fieldref: AuthenticatedUser\ncondition: sel",
        "sel:\n  UrlStem|contains: ab\ncondition: sel",
        "sel:\n  HttpStatus: 42\ncondition: sel",
    ],
)
def test_values_without_literal(detection: str) -> None:
    assert make(detection).literals is None


def test_regex_literals() -> None:
    assert texts(make("sel:\n  UrlStem|re: '(?i)^/ecp/[a-z0-9]{1,3}\\.js$'\ncondition: sel")) == {"/ecp/"}
    assert texts(make("sel:\n  UrlStem|re|i: '.*X-BEResource=.+~'\ncondition: sel")) == {"x-beresource="}
    assert texts(make("sel:\n  UrlStem|re: 'ab?cdef(gh|ij)klmnop'\ncondition: sel")) == {"klmnop"}
    assert texts(make("kw:\n  '|re': 'Set-\\w+VirtualDirectory'\ncondition: kw")) == {"virtualdirectory"}


def test_split_characters_and_wildcards() -> None:
    r = make("sel:\n  UserAgent: 'Mozilla/5.0 (Windows NT*) Chrome/65.0'\ncondition: sel")
    assert texts(r) == {"mozilla/5.0"}
    r2 = make("sel:\n  UrlQuery|contains: 'autodiscover.json%3f@'\ncondition: sel")
    assert texts(r2) == {"autodiscover.json"}
    r3 = make("sel:\n  UrlQuery: 'ab*cdef*gh'\ncondition: sel")
    assert texts(r3) == {"cdef"}
    r4 = make('sel:\n  EventData|contains: \'runat=""server""\'\ncondition: sel')
    assert texts(r4) == {"runat="}
    r5 = make("sel:\n  UrlStem|contains: '/ecp/x.js?foo'\ncondition: sel")
    assert texts(r5) == {"/ecp/x.js"}


def test_numbers_and_booleans() -> None:
    assert texts(make("sel:\n  HttpStatus: 241\ncondition: sel")) == {"241"}
    assert texts(make("sel:\n  IsAuthenticated: false\ncondition: sel")) == {"false"}


def test_keyword_literals_split_only_on_non_ascii() -> None:
    r = make(
        "kw:\n  - 'Download failed and temporary file'\ncondition: kw", "{product: exchange, service: oabgen}"
    )
    assert texts(r) == {"download failed and temporary file"}


def test_windash_expansion_minimised() -> None:
    r = make(
        "sel:\n  CommandLine|windash|contains: ' -encodedcommand'\ncondition: sel",
        "{product: windows, category: process_creation}",
    )
    assert texts(r) == {"encodedcommand"}


def test_percent_tolerant_fields() -> None:
    r = make("sel:\n  cs-uri-decoded|contains: autodiscover.json\ncondition: sel", "{category: webserver}")
    assert r.literals == [Literal("autodiscover.json", True)]
    r2 = make("sel:\n  UrlDecoded|contains: /powershell\ncondition: sel")
    assert r2.literals == [Literal("/powershell", True)]


def test_minimise_keeps_tolerance_sound() -> None:
    got = minimise(
        [Literal("abc"), Literal("xabcx"), Literal("abcd", True), Literal("zz9", True), Literal("zz99")]
    )
    assert got == {Literal("abc"), Literal("abcd", True), Literal("zz9", True)}


# --- soundness property ---------------------------------------------------------------------------

SOUNDNESS_RULES = [
    # (logsource, detection)
    (
        "{category: webserver}",
        """
        sel:
          cs-method: POST
          cs-uri-query|contains:
            - '/autodiscover.json'
            - 'X-Rps-CAT'
            - 'Email=autodiscover/autodiscover.json'
        ua:
          cs-user-agent|contains: 'python-requests/2'
        condition: sel or ua
    """,
    ),
    (
        "{category: webserver}",
        """
        sel:
          cs-uri-decoded|contains|all: ['/ecp/', 'msExchEcpCanary=']
        condition: sel
    """,
    ),
    (
        "{product: exchange, service: ecp}",
        """
        sel:
          EventData|contains: 'Set-OabVirtualDirectory'
          EventData|contains|all: ['<script', 'runat="server"']
        f:
          EventData|contains: 'HealthMailbox'
        condition: sel and not f
    """,
    ),
    (
        "{product: exchange, service: httpproxy}",
        """
        a:
          UrlStem|startswith: '/ecp/'
          UrlStem|endswith: '.js'
        b:
          AnchorMailbox|contains: 'ServerInfo~'
        k:
          - 'é-Ünïcode-Path'
          - 'raw*keyword'
        condition: (a and b) or k
    """,
    ),
    (
        "{product: windows, category: process_creation}",
        """
        sel:
          CommandLine|windash|contains: ' -enc '
          Image|endswith: '\\powershell.exe'
        num:
          EventID: 4688
        condition: sel or num
    """,
    ),
    (
        "{product: exchange, service: ews}",
        """
        sel:
          UserAgent|contains: 'Mozilla/5.0 (Windows NT 10.0'
        condition: sel
    """,
    ),
    (
        "{product: exchange, service: ecp}",
        """
        sel:
          EventData|contains: 'runat="server"'
        condition: sel
    """,
    ),
    (
        "{product: exchange, service: ecp}",
        """
        sel:
          Other|contains: 'Ünïcode-Pathname'
        condition: sel
    """,
    ),
    (
        "{category: webserver}",
        """
        sel:
          cs-uri-query|contains: '/x.js?foo='
        condition: sel
    """,
    ),
    (
        "{product: exchange, service: ews}",
        """
        sel:
          UserAgent|re|i: 'Mozilla/5\\.0 \\(windows nt [0-9.]+'
        kw:
          '|re': 'runat="server"'
        condition: sel or kw
    """,
    ),
]

_TOKENS = [
    "/autodiscover.json",
    "x-rps-cat",
    "Email=autodiscover/autodiscover.json",
    "POST",
    "post",
    "GET",
    "python-requests/2.31",
    "/ecp/",
    "msExchEcpCanary=",
    "Set-OabVirtualDirectory",
    "<script",
    'runat="server"',
    "HealthMailbox",
    "/ecp/x.js",
    ".js",
    "ServerInfo~",
    "é-Ünïcode-Path",
    "raw",
    "keyword",
    " -enc ",
    " /enc ",
    " \u2013enc ",
    "\\powershell.exe",
    "4688",
    "04688",
    "4688.0",
    "/ecp/default.aspx?msExchEcpCanary=",
    'Set-OabVirtualDirectory <script runat="server">',
    "/ecp/y.js AnchorMailbox=ServerInfo~a]@x",
    "Mozilla/5.0 (Windows NT 10.0; Win64)",
    "Ünïcode-Pathname",
    "/ecp/x.js?foo=bar",
]
_NOISE = "abcXYZ019 ?+,\"'\\<>&%\t\u00e9\u2013/=@~-_."


def _random_value(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.6:
            token = rng.choice(_TOKENS)
            token = "".join(c.upper() if rng.random() < 0.3 else c for c in token)
            parts.append(token)
        else:
            parts.append("".join(rng.choice(_NOISE) for _ in range(rng.randint(0, 6))))
    return "".join(parts)


def _raw_line(fields: dict[str, str], style: str, rng: random.Random) -> str:
    """Render fields as a raw line the way a log would hold them."""
    if style == "w3c":
        return " ".join(v.replace(" ", "+") or "-" for v in fields.values())
    if style == "csv":
        return ",".join(
            '"' + v.replace('"', '""') + '"' if rng.random() < 0.5 else v for v in fields.values()
        )
    return json.dumps(fields, ensure_ascii=rng.random() < 0.5)


FIELDS = [
    "UserAgent",
    "cs-method",
    "cs-uri-query",
    "cs-uri",
    "cs-user-agent",
    "cs-uri-decoded",
    "EventData",
    "UrlStem",
    "AnchorMailbox",
    "CommandLine",
    "Image",
    "EventID",
    "Other",
]


@pytest.mark.parametrize("index", range(len(SOUNDNESS_RULES)))
def test_literals_are_sound_on_random_records(index: int) -> None:
    logsource, detection = SOUNDNESS_RULES[index]
    rule = make(detection, logsource)
    assert rule.literals is not None
    engines = ["re", "hyperscan"] if hyperscan_available() else ["re"]
    selectors = [selector_for_literals(rule.literals, e) for e in engines]
    rng = random.Random(1000 + index)
    matched = 0
    for _ in range(4000):
        fields = {name: _random_value(rng) for name in rng.sample(FIELDS, rng.randint(1, len(FIELDS)))}
        style = rng.choice(["w3c", "csv", "json"])
        shown = dict(fields)
        if "cs-uri-decoded" in shown:  # the raw line holds the encoded form of a decoded field
            shown["cs-uri-decoded"] = "".join(
                quote(c, safe="") if rng.random() < 0.3 else c for c in fields["cs-uri-decoded"]
            )
        if "cs-uri" in shown and style == "w3c":  # cs-uri is built from stem and query columns
            shown["cs-uri"] = shown["cs-uri"].replace("?", " ", 1)
        raw = _raw_line(shown, style, rng)
        record = LogRecord(fields, Location("synthetic", line=1), raw)
        if rule.matcher(record):
            matched += 1
            data = raw.encode("utf-8")
            for selector in selectors:
                assert selector.select(data) == [(0, len(data))], (selector.engine, raw, rule.literals)
    assert matched >= 20, matched


def test_literal_found_when_cs_uri_is_joined_from_stem_and_query() -> None:
    rule = make("sel:\n  cs-uri-query|contains: '/x.js?foo='\ncondition: sel", "{category: webserver}")
    raw = "2021-03-03 01:02:03 10.0.0.1 GET /ecp/x.js foo=1 443 - 1.2.3.4 - - 200 0 0 5"
    record = LogRecord(
        {"cs-uri-stem": "/ecp/x.js", "cs-uri-query": "foo=1", "cs-uri": "/ecp/x.js?foo=1"},
        Location("synthetic", line=1),
        raw,
    )
    assert rule.matcher(record)
    assert rule.literals is not None
    assert selector_for_literals(rule.literals, "re").select(raw.encode()) == [(0, len(raw))]


def test_minimise_matches_quadratic_reference() -> None:
    def reference(lits: list[Literal]) -> frozenset[Literal]:
        items = sorted(set(lits), key=lambda lit: (len(lit.text), lit.text, not lit.percent_tolerant))
        kept: list[Literal] = []
        for lit in items:
            if not any(k.text in lit.text and (k.percent_tolerant or not lit.percent_tolerant) for k in kept):
                kept.append(lit)
        return frozenset(kept)

    rng = random.Random(3)
    for _ in range(2000):
        lits = [
            Literal("".join(rng.choice("abc") for _ in range(rng.randint(3, 7))), rng.random() < 0.3)
            for _ in range(rng.randint(1, 12))
        ]
        assert minimise(lits) == reference(lits), lits
