"""Line prefilter: spans, engines (hyperscan and re agree), percent tolerance, fallbacks.

All blocks here are synthetic, written for these tests.
"""

from __future__ import annotations

import random

import pytest

from lekdicht.catalog.kinds import LogSource
from lekdicht.model import Severity, Verdict
from lekdicht.rules import prefilter
from lekdicht.rules.prefilter import (
    NullSelector,
    build_selector,
    hyperscan_available,
    selector_for_literals,
)
from lekdicht.rules.types import CompiledRule, Literal

ENGINES = [
    "re",
    pytest.param("hyperscan", marks=pytest.mark.skipif(not hyperscan_available(), reason="no hyperscan")),
]


def naive_spans(block: bytes, literals: list[Literal]) -> list[tuple[int, int]]:
    """Reference implementation: split into lines and test each (non-tolerant literals only)."""
    spans = []
    pos = 0
    for line in block.split(b"\n"):
        end = pos + len(line)
        content_end = end - 1 if line.endswith(b"\r") else end
        low = block[pos:content_end].lower()
        if any(lit.text.encode().lower() in low for lit in literals):
            spans.append((pos, content_end))
        pos = end + 1
    return spans


@pytest.mark.parametrize("engine", ENGINES)
def test_spans_of_matching_lines(engine: str) -> None:
    block = b"first line\r\nGET /ECP/y.js x\r\nnothing here\n/ecp/y.js twice /ecp/y.js\nlast /ecp/Y.JS"
    sel = selector_for_literals([Literal("/ecp/y.js")], engine)
    assert sel.engine == engine
    spans = sel.select(block)
    assert [block[a:b] for a, b in spans] == [
        b"GET /ECP/y.js x",
        b"/ecp/y.js twice /ecp/y.js",
        b"last /ecp/Y.JS",
    ]
    assert spans == naive_spans(block, [Literal("/ecp/y.js")])


@pytest.mark.parametrize("engine", ENGINES)
def test_match_at_block_edges_and_empty_block(engine: str) -> None:
    sel = selector_for_literals([Literal("abc"), Literal("xyz")], engine)
    assert sel.select(b"") == []
    assert sel.select(b"abc") == [(0, 3)]
    assert sel.select(b"abc\n") == [(0, 3)]
    assert sel.select(b"\nxyz\n") == [(1, 4)]
    assert sel.select(b"q\r\nabc\r\n") == [(3, 6)]


@pytest.mark.parametrize("engine", ENGINES)
def test_special_characters_in_literals(engine: str) -> None:
    lits = [Literal("a.b*c"), Literal("[x](y)"), Literal("s:cmd=set-")]
    sel = selector_for_literals(lits, engine)
    block = b"a.b*c\naxb*c\n[X](Y)\nS:CMD=Set-Mailbox\n"
    assert [block[a:b] for a, b in sel.select(block)] == [b"a.b*c", b"[X](Y)", b"S:CMD=Set-Mailbox"]


@pytest.mark.parametrize("engine", ENGINES)
def test_percent_tolerant(engine: str) -> None:
    sel = selector_for_literals([Literal("autodiscover", True)], engine)
    block = b"GET /%61utodiscover/x\nGET /%41UTO%64iscover\nGET /%2561utodiscover\nGET /AUTODISCOVER\n"
    got = [block[a:b] for a, b in sel.select(block)]
    assert got == [b"GET /%61utodiscover/x", b"GET /%41UTO%64iscover", b"GET /AUTODISCOVER"]
    plain = selector_for_literals([Literal("autodiscover")], engine)
    assert [block[a:b] for a, b in plain.select(block)] == [b"GET /AUTODISCOVER"]
    slash = selector_for_literals([Literal("/ecp/", True)], engine)
    assert slash.select(b"x %2Fecp%2f y") == [(0, 13)]


def test_engines_agree_on_random_blocks() -> None:
    if not hyperscan_available():
        pytest.skip("no hyperscan")
    rng = random.Random(7)
    alphabet = b"abcdefXYZ /.%\r\n"
    lits = [Literal("abc"), Literal("fx/"), Literal("z.%", False), Literal("dead", True), Literal("ba/b")]
    hs = selector_for_literals(lits, "hyperscan")
    rx = selector_for_literals(lits, "re")
    for _ in range(300):
        block = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        assert hs.select(block) == rx.select(block)
        plain = [lit for lit in lits if not lit.percent_tolerant]
        hs_plain = selector_for_literals(plain, "hyperscan")
        assert hs_plain.select(block) == naive_spans(block, plain)


def _rule(literals: list[Literal] | None) -> CompiledRule:
    return CompiledRule(
        id="r",
        title="r",
        logsource=LogSource(product="exchange", service="httpproxy"),
        level=Severity.HIGH,
        verdict=Verdict.SUSPICIOUS,
        matcher=lambda record: False,
        literals=literals,
    )


def test_build_selector_none_when_a_rule_has_no_literals() -> None:
    assert build_selector([_rule([Literal("abc")]), _rule(None)]) is None
    assert isinstance(build_selector([]), NullSelector)
    assert build_selector([]).select(b"abc\n") == []  # type: ignore[union-attr]
    sel = build_selector([_rule([Literal("abc")]), _rule([Literal("xyz")])])
    assert sel is not None
    assert sel.engine in ("hyperscan", "re")
    assert sel.select(b"1\nxyz\nabc\n2") == [(2, 5), (6, 9)]


def test_fallback_to_re_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefilter, "_hs", None)
    sel = build_selector([_rule([Literal("abc")])])
    assert sel is not None and sel.engine == "re"
    assert sel.select(b"x\nABC") == [(2, 5)]


def test_redundant_literals_are_dropped() -> None:
    sel = selector_for_literals([Literal("abc"), Literal("xabcx"), Literal("abc")], "re")
    assert sel.literals == (Literal("abc"),)
