"""Prefilter requirements: derivation, anchors (single, pair, escalation), soundness, rule masks.

All rules, lines and blocks here are synthetic, written for these tests.
"""

from __future__ import annotations

import json
import random
import re
import textwrap
from urllib.parse import quote

import pytest
from sigma.rule import SigmaRule

from lekdicht.model import Location, LogRecord
from lekdicht.rules import prefilter
from lekdicht.rules.compiler import compile_rule
from lekdicht.rules.prefilter import (
    RequirementSelector,
    build_selector,
    hyperscan_available,
)
from lekdicht.rules.types import CompiledRule, Literal

ENGINES = [
    "re",
    pytest.param("hyperscan", marks=pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")),
]


def make(detection: str, logsource: str = "{product: exchange, service: httpproxy}") -> CompiledRule:
    text = (
        "title: requirement test\nid: 0f0c2a4e-5a3b-4d5e-8f00-000000000003\n"
        f"logsource: {logsource}\ndetection:\n"
        + textwrap.indent(textwrap.dedent(detection).strip("\n"), "    ")
        + "\n"
    )
    return compile_rule(SigmaRule.from_yaml(text), "test.yml")


def clauses(rule: CompiledRule) -> list[list[set[str]]] | None:
    if rule.requirements is None:
        return None
    return [[{lit.text for lit in c} for c in req] for req in rule.requirements]


# --- derivation --------------------------------------------------------------------------------


def test_every_piece_of_a_value_is_a_clause() -> None:
    r = make(
        """
        sel:
          UrlStem|startswith: '/rpc/'
          UrlQuery|contains: '&CorrelationID=<empty>;&RequestId='
          HttpStatus|startswith: ['2', '3']
        condition: sel
        """
    )
    got = clauses(r)
    assert got is not None and len(got) == 1
    assert sorted(map(sorted, got[0])) == [["/rpc/"], ["correlationid="], ["empty"], ["requestid="]]
    # the single-literal set the old derivation gives is still there
    assert r.literals == [Literal("correlationid=")]


def test_or_of_single_literals_is_one_clause_and_not_adds_nothing() -> None:
    r = make(
        """
        sel:
          UrlStem|contains: ['/ecp/y.js', '/owa/auth/x.js']
          Method: POST
        f:
          AnchorMailbox|contains: 'localhost'
        condition: sel and not f
        """
    )
    assert clauses(r) == [[{"/ecp/y.js", "/owa/auth/x.js"}, {"post"}]] or clauses(r) == [
        [{"post"}, {"/ecp/y.js", "/owa/auth/x.js"}]
    ]


def test_or_with_a_multi_clause_side_keeps_alternatives() -> None:
    r = make(
        """
        a:
          UrlStem|contains: '/powershell'
          UrlQuery|contains: 'X-Rps-CAT='
        b:
          UserAgent|contains: 'python-requests'
        condition: a or b
        """
    )
    got = clauses(r)
    assert got is not None and len(got) == 2
    assert [{"python-requests"}] in got


def test_no_requirements_where_a_rule_needs_every_line() -> None:
    assert make("sel:\n  UrlStem|re: 'x+'\ncondition: sel").requirements is None
    assert make("sel:\n  UrlStem|contains: '/owa/'\ncondition: not sel").requirements is None
    r = make("a:\n  Method: DELETE\nb:\n  UrlStem|re: 'x+'\ncondition: a or b")
    assert r.literals is None and r.requirements is None


# --- selection ---------------------------------------------------------------------------------


def _spans(block: bytes, keep: set[int]) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for i, line in enumerate(block.split(b"\n")):
        end = pos + len(line)
        if i in keep:
            out.append((pos, end - 1 if line.endswith(b"\r") else end))
        pos = end + 1
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_lines_must_satisfy_every_clause(engine: str) -> None:
    req = (frozenset({Literal("/rpc/")}), frozenset({Literal("requestid=")}))
    sel = RequirementSelector([req], engine)
    block = b"GET /rpc/ x\r\nGET /RPC/ &RequestId=1\r\nrequestid= only\nboth /rpc/requestid=\n"
    assert sel.select(block) == _spans(block, {1, 3})


def test_anchor_is_the_rarest_clause_in_the_data() -> None:
    # "correlationid=" is on every line of this (HttpProxy-like) data, "/rpc/" on none
    line = b"2021-03-01T00:00:00Z,GET,/mapi/emsmdb/,BeginRequest=x;CorrelationID=<empty>;\r\n"
    block = line * 2000
    req = (frozenset({Literal("correlationid=")}), frozenset({Literal("/rpc/")}))
    sel = RequirementSelector([req], "re")
    assert sel.select(block) == []
    assert sel.anchors == (Literal("/rpc/"),)


@pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")
def test_common_clauses_are_anchored_as_a_pair() -> None:
    # "/oab/" and ".asp" are each on half the lines, together on a few: a pair pays off
    lines = [b"GET /oab/x/oab.xml 200", b"POST /owa/auth/logon.aspx 200"] * 1000 + [
        b"GET /OAB/log.aspx 200"
    ] * 30
    block = b"\r\n".join(lines) + b"\r\n"
    req = (frozenset({Literal("/oab/")}), frozenset({Literal(".asp")}), frozenset({Literal("200")}))
    sel = RequirementSelector([req], "hyperscan")
    assert len(sel.select(block)) == 30
    assert any(isinstance(a, tuple) for a in sel.anchors)
    # where the rarest clause alone is as good, it stays a single anchor
    single = RequirementSelector([req], "hyperscan")
    other = [b"POST /owa/auth/logon.aspx 200"] * 1000 + [b"GET /OAB/log.aspx 200"] * 30
    assert len(single.select(b"\r\n".join(other) + b"\r\n")) == 30
    assert not any(isinstance(a, tuple) for a in single.anchors)


@pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")
def test_a_noisy_single_anchor_is_escalated_to_a_pair() -> None:
    quiet = b"GET /mapi/emsmdb/ 200\r\n" * 3000  # the sample: neither clause occurs
    noisy = b"POST /autodiscover/autodiscover.xml 200\r\n" * 3000 + b"POST /autodiscover/powershell 200\r\n"
    req = (frozenset({Literal("autodiscover", True)}), frozenset({Literal("powershell", True)}))
    sel = RequirementSelector([req], "hyperscan")
    assert sel.select(quiet) == []
    assert not any(isinstance(a, tuple) for a in sel.anchors)
    assert len(sel.select(noisy)) == 1
    assert any(isinstance(a, tuple) for a in sel.anchors)  # escalated after that block
    assert len(sel.select(noisy)) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_rule_mask_names_the_rules_a_line_can_match(engine: str) -> None:
    rules = [
        make("sel:\n  UrlStem|contains: '/ecp/'\n  Method: POST\ncondition: sel"),
        make("sel:\n  AnchorMailbox|startswith: 'ServerInfo~'\ncondition: sel"),
    ]
    sel = build_selector(rules, engine)
    assert isinstance(sel, RequirementSelector)
    block = (
        b"POST,/ecp/x,Smtp~a\r\nGET,/ecp/x,ServerInfo~a\r\nPOST,/ecp/,ServerInfo~b\r\nGET,/owa/,Smtp~c\r\n"
    )
    assert sel.select(block) == _spans(block, {0, 1, 2})
    assert sel.rule_mask("POST,/ecp/x,Smtp~a") == 0b01
    assert sel.rule_mask("GET,/ecp/x,ServerInfo~a") == 0b10
    assert sel.rule_mask("POST,/ecp/,ServerInfo~b") == 0b11
    assert sel.rule_mask("GET,/owa/,Smtp~c") is None  # not selected: unknown, every rule runs


# --- pair patterns -------------------------------------------------------------------------------


@pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")
def test_pair_pattern_finds_exactly_the_lines_with_both_plain_literals() -> None:
    rng = random.Random(7)
    a = frozenset({Literal("aba"), Literal("cab")})
    b = frozenset({Literal("bac"), Literal("abc")})
    scanner = prefilter._PatternScanner([prefilter._pair_pattern(a, b)], lowered=True)
    lines = ["".join(rng.choice("abcxABC") for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    block = "\n".join(lines).encode() + b"\n"
    found = {block[s:e].decode() for s, e, _ids in scanner.select_ids(block)}
    for line in lines:
        low = line.lower()
        want = any(x.text in low for x in a) and any(y.text in low for y in b)
        assert (line in found) == want, line


@pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")
def test_encoded_spellings_of_a_tolerant_pair_are_found() -> None:
    a = frozenset({Literal("/owa/", True)})
    b = frozenset({Literal("/powershell", True)})
    sel = RequirementSelector([(a, b, frozenset({Literal("200")}))], "hyperscan", [1])
    sample = b"GET /owa/ 200\r\n" * 50 + b"POST /powershell 200\r\n" * 50  # both common: a pair
    sel.select(sample)
    assert any(isinstance(x, tuple) for x in sel.anchors)
    rng = random.Random(3)
    lines = []
    for _ in range(400):
        owa = "".join(quote(c, safe="") if rng.random() < 0.3 and c.isalpha() else c for c in "/owa/")
        owa = "".join(f"%{ord(c):02X}" if rng.random() < 0.2 else c for c in owa)
        ps = "".join(f"%{ord(c):02x}" if rng.random() < 0.15 else c for c in "/powershell")
        lines.append(f"POST {owa}mastermailbox@x{ps} 200")
    block = ("\r\n".join(lines) + "\r\n").encode()
    assert len(sel.select(block)) == len(lines)


# --- soundness on random records -------------------------------------------------------------------

SOUNDNESS_RULES = [
    # (logsource, detection, whole values that help records match)
    (
        "{category: webserver}",
        "sel:\n  cs-method: POST\n  cs-uri-stem|startswith: '/ecp/'\n  cs-uri-stem|re: '(?i)^/ecp/[a-z0-9]{1,3}\\.js$'\n"
        "  sc-status: ['200', '302']\ncondition: sel",
        {"cs-method": ["POST"], "cs-uri-stem": ["/ecp/y.js", "/ECP/ab.JS"], "sc-status": ["200", "302"]},
    ),
    (
        "{category: webserver}",
        "a:\n  cs-uri-decoded|contains: '/autodiscover/autodiscover.json'\nb:\n"
        "  cs-uri-decoded|contains: ['/powershell', 'x-rps-cat=']\n  sc-status: '200'\ncondition: a and b",
        {
            "cs-uri-decoded": [
                "/autodiscover/autodiscover.json?@x/powershell",
                "/autodiscover/autodiscover.json?X-Rps-CAT=1",
            ],
            "sc-status": ["200"],
        },
    ),
    (
        "{category: webserver}",
        "sel:\n  cs-uri-stem|startswith: ['/ecp/auth/', '/oab/']\n  cs-uri-stem|endswith: ['.aspx', '.ashx']\n"
        "  sc-status: '200'\nf:\n  cs-uri-stem: '/ecp/auth/TimeoutLogoff.aspx'\ncondition: sel and not f",
        {
            "cs-uri-stem": ["/oab/log.aspx", "/ecp/auth/x.ashx", "/ecp/auth/TimeoutLogoff.aspx"],
            "sc-status": ["200"],
        },
    ),
    (
        "{product: exchange, service: httpproxy}",
        "sel:\n  UrlStem|startswith: '/rpc/'\n  UrlQuery|contains: '&CorrelationID=<empty>;&RequestId='\ncondition: sel",
        {"UrlStem": ["/rpc/", "/rpc/rpcproxy.dll"], "UrlQuery": ["?&CorrelationID=<empty>;&RequestId=1"]},
    ),
    (
        "{product: exchange, service: httpproxy}",
        "a:\n  AnchorMailbox|startswith: 'ServerInfo~'\n  AnchorMailbox|contains: '/'\n"
        "b:\n  UrlDecoded|contains|all: ['/owa/', '/powershell']\ncondition: a or b",
        {"AnchorMailbox": ["ServerInfo~a]@x:444/ecp"], "UrlDecoded": ["/owa/m@x/powershell"]},
    ),
    (
        "{product: exchange, service: ecp}",
        "sel:\n  CMD|startswith: 'Set-'\n  CMD|contains: 'VirtualDirectory'\n  CMD|re: '(?i)Url=.*<\\s*/?\\s*[a-z]+'\n"
        "condition: sel",
        {"CMD": ["Set-OabVirtualDirectory.ExternalUrl='<script"]},
    ),
]

_TOKENS = [
    "POST",
    "post",
    "GET",
    "/ecp/",
    "/ecp/y.js",
    "/ecp/ab.js",
    "/oab/log.aspx",
    "/ecp/auth/x.ashx",
    "/rpc/?&CorrelationID=<empty>;&RequestId=1",
    "/autodiscover/autodiscover.json?@x/powershell",
    "/ECP/ab.JS",
    ".js",
    "200",
    "302",
    "404",
    "/autodiscover/autodiscover.json",
    "/powershell",
    "X-Rps-CAT=",
    "/ecp/auth/",
    "/oab/",
    "/OAB/x.aspx",
    ".aspx",
    ".ashx",
    "TimeoutLogoff.aspx",
    "/rpc/",
    "&CorrelationID=<empty>;&RequestId=",
    "CorrelationID=",
    "RequestId=",
    "<empty>",
    "ServerInfo~",
    "ServerInfo~a]@x:444/",
    "/",
    "/owa/",
    "Set-",
    "VirtualDirectory",
    "Set-OabVirtualDirectory.ExternalUrl='<script",
    "Url=",
    "<",
    "script",
]
_NOISE = "abcXYZ019 ?+,\"'\\<>&%\t/=@~-_.;"
FIELDS = {
    "{category: webserver}": ["cs-method", "cs-uri-stem", "cs-uri-decoded", "sc-status", "cs-user-agent"],
    "{product: exchange, service: httpproxy}": [
        "UrlStem",
        "UrlQuery",
        "UrlDecoded",
        "AnchorMailbox",
        "HttpStatus",
    ],
    "{product: exchange, service: ecp}": ["CMD", "URL", "EventId"],
}


def _value(rng: random.Random, hints: list[str]) -> str:
    if rng.random() < 0.4:  # a whole value, for exact-match conditions
        token = rng.choice(hints or _TOKENS)
        return "".join(c.upper() if rng.random() < 0.3 else c for c in token)
    parts = []
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.65:
            token = rng.choice(_TOKENS)
            parts.append("".join(c.upper() if rng.random() < 0.3 else c for c in token))
        else:
            parts.append("".join(rng.choice(_NOISE) for _ in range(rng.randint(0, 5))))
    return "".join(parts)


def _raw(fields: dict[str, str], rng: random.Random) -> str:
    shown = dict(fields)
    for name in ("cs-uri-decoded", "UrlDecoded"):  # the raw line holds the encoded form
        if name in shown:
            shown[name] = "".join(quote(c, safe="") if rng.random() < 0.3 else c for c in fields[name])
    style = rng.choice(["w3c", "csv", "json"])
    if style == "w3c":
        return " ".join(v.replace(" ", "+") or "-" for v in shown.values())
    if style == "csv":
        return ",".join('"' + v.replace('"', '""') + '"' if rng.random() < 0.5 else v for v in shown.values())
    return json.dumps(shown, ensure_ascii=rng.random() < 0.5)


@pytest.mark.parametrize("index", range(len(SOUNDNESS_RULES)))
@pytest.mark.parametrize("engine", ENGINES)
def test_selected_lines_and_masks_are_sound_on_random_records(
    index: int, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logsource, detection, hints = SOUNDNESS_RULES[index]
    rule = make(detection, logsource)
    assert rule.requirements is not None
    rng = random.Random(500 + index)
    names = FIELDS[logsource]
    records = []
    for _ in range(3000):
        chosen = rng.sample(names, rng.randint(1, len(names)))
        if rng.random() < 0.5:
            chosen = list(dict.fromkeys([*hints, *chosen]))
        fields = {n: _value(rng, hints.get(n, [])) for n in chosen}
        raw = _raw(fields, rng).replace("\n", " ").replace("\r", " ")
        records.append((fields, raw))
    matched = [raw for fields, raw in records if rule.matcher(LogRecord(fields, Location("s", line=1), raw))]
    assert len(matched) >= 10, len(matched)
    block = ("\r\n".join(raw for _f, raw in records) + "\r\n").encode()
    for escalate in (False, True):
        if escalate:  # every requirement anchored on a pair where possible
            monkeypatch.setattr(prefilter, "PAIR_MIN", -1)
        sel = build_selector([rule], engine)
        assert isinstance(sel, RequirementSelector)
        spans = sel.select(block)
        selected = {block[s:e].decode() for s, e in spans}
        for raw in matched:
            assert raw in selected, (engine, escalate, raw, sel.anchors)
            assert sel.rule_mask(raw) == 1


def test_literal_pattern_escapes_are_valid_regex() -> None:
    for text in ("a.b", "x(y)", "[z]", "%41"):
        pat = prefilter.literal_pattern(Literal(text, True))
        assert re.compile(pat.encode(), re.IGNORECASE).search(text.encode())
