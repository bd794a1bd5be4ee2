"""Line prefilter: one multi-pattern scan of a raw block for the literals of a rule set.

:func:`build_selector` returns a :class:`lekdicht.logs.base.LineSelector` whose ``select``
gives the spans of the lines holding at least one literal, case-insensitively. Hyperscan is
used where it imports and compiles; otherwise one Python ``re`` alternation. ``engine`` on the
selector says which (``"hyperscan"``, ``"re"``, or ``"none"`` for an empty literal set).

Percent-tolerant literals also match with any character written as ``%XX`` (hex of the byte,
either case; for letters the code of either case), e.g. ``autodiscover`` matches
``%61utodiscover``.

Literals are expected to be ASCII (the compiler guarantees it); the raw bytes must be in an
ASCII-compatible encoding (UTF-8, Windows-1252, Latin-1), not UTF-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from lekdicht.rules.literals import minimise
from lekdicht.rules.types import CompiledRule, Literal

__all__ = [
    "HyperscanSelector",
    "NullSelector",
    "ReSelector",
    "Selector",
    "build_selector",
    "hyperscan_available",
    "literal_pattern",
    "selector_for_literals",
]

_hs: Any
try:  # pragma: no cover - depends on the platform
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None


def hyperscan_available() -> bool:
    """True if the hyperscan module imported."""
    return _hs is not None


class Selector(Protocol):
    """A LineSelector that also tells which engine it runs on."""

    engine: str
    literals: tuple[Literal, ...]

    def select(self, block: bytes) -> list[tuple[int, int]]: ...


def _char_pattern(ch: str) -> str:
    """Pattern for one literal character (bytes-regex syntax, valid for re and hyperscan)."""
    if ch.isascii() and ch.isalnum():
        return ch
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))


def _percent_char(ch: str) -> str:
    plain = _char_pattern(ch)
    codes = {ord(ch)}
    if ch.isascii() and ch.isalpha():
        codes |= {ord(ch.lower()), ord(ch.upper())}
    encoded = "|".join(f"%{c:02x}" for c in sorted(codes) if c < 0x80)
    if not encoded:
        return plain
    return f"(?:{plain}|{encoded})"


def literal_pattern(literal: Literal) -> str:
    """Regular expression (bytes syntax, to be compiled caseless) for one literal."""
    if literal.percent_tolerant:
        return "".join(_percent_char(ch) for ch in literal.text)
    return "".join(_char_pattern(ch) for ch in literal.text)


def _line_span(block: bytes, pos: int) -> tuple[int, int, int]:
    """(start, end without line break, position of the newline or len) of the line at ``pos``."""
    start = block.rfind(b"\n", 0, pos) + 1
    nl = block.find(b"\n", pos)
    if nl < 0:
        nl = len(block)
    end = nl
    if end > start and block[end - 1] == 0x0D:
        end -= 1
    return start, end, nl


class NullSelector:
    """Selects nothing: no rule applies, so no line is a candidate."""

    engine = "none"

    def __init__(self) -> None:
        self.literals: tuple[Literal, ...] = ()

    def select(self, block: bytes) -> list[tuple[int, int]]:
        return []


class ReSelector:
    """Python ``re`` fallback: one caseless alternation, skipping to the next line after a hit."""

    engine = "re"

    def __init__(self, literals: Sequence[Literal]) -> None:
        self.literals = tuple(literals)
        pattern = "|".join(literal_pattern(lit) for lit in self.literals)
        self._rx = re.compile(pattern.encode("ascii"), re.IGNORECASE)

    def select(self, block: bytes) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        search = self._rx.search
        pos = 0
        size = len(block)
        while pos < size:
            m = search(block, pos)
            if m is None:
                break
            start, end, nl = _line_span(block, m.start())
            spans.append((start, end))
            pos = nl + 1
        return spans


class HyperscanSelector:
    """Hyperscan block-mode scan collecting every line with a match."""

    engine = "hyperscan"

    def __init__(self, literals: Sequence[Literal]) -> None:
        if _hs is None:
            raise RuntimeError("hyperscan is not available")
        self.literals = tuple(literals)
        expressions = [literal_pattern(lit).encode("ascii") for lit in self.literals]
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        db.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[_hs.HS_FLAG_CASELESS] * len(expressions),
        )
        self._db = db

    def select(self, block: bytes) -> list[tuple[int, int]]:
        if not block:
            return []
        starts: dict[int, int] = {}
        # current line: [lo, hi) where hi is the newline position (or len)
        state = [-1, -1]

        def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            pos = to - 1
            if state[0] <= pos < state[1]:
                return None
            start, end, nl = _line_span(block, pos)
            state[0] = start
            state[1] = nl
            starts[start] = end
            return None

        self._db.scan(block, match_event_handler=on_match)
        return sorted(starts.items())


def selector_for_literals(literals: Iterable[Literal], engine: str | None = None) -> Selector:
    """A selector for these literals; ``engine`` forces ``"hyperscan"`` or ``"re"``."""
    lits = sorted(minimise(literals), key=lambda lit: (lit.text, lit.percent_tolerant))
    if not lits:
        return NullSelector()
    if engine == "re":
        return ReSelector(lits)
    if engine == "hyperscan":
        return HyperscanSelector(lits)
    if engine is not None:
        raise ValueError(f"unknown prefilter engine {engine!r}")
    if _hs is not None:
        try:
            return HyperscanSelector(lits)
        except Exception:  # hyperscan compile errors: fall back to re
            pass
    return ReSelector(lits)


def build_selector(rules: Iterable[CompiledRule], engine: str | None = None) -> Selector | None:
    """Selector for the union of the rules' literals, or None if any rule must see every line.

    With no rules at all, a :class:`NullSelector` (selects nothing) is returned.
    """
    literals: list[Literal] = []
    for rule in rules:
        if rule.literals is None:
            return None
        literals.extend(rule.literals)
    return selector_for_literals(literals, engine)
