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
    "RequirementSelector",
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

    def select_ids(self, block: bytes) -> list[tuple[int, int, set[int] | None]]:
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

    def select_ids(self, block: bytes) -> list[tuple[int, int, set[int] | None]]:
        """Like :meth:`select`; which literals matched is not known here (None)."""
        return [(s, e, None) for s, e in self.select(block)]


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

    def select_ids(self, block: bytes) -> list[tuple[int, int, set[int] | None]]:
        """Like :meth:`select`, with the indexes (into ``literals``) of the literals each line holds."""
        return _scan_ids(self._db, block)


def _scan_ids(db: Any, block: bytes) -> list[tuple[int, int, set[int] | None]]:
    """Lines of ``block`` with a match of the hyperscan database, with the ids that matched."""
    if not block:
        return []
    lines: dict[int, tuple[int, set[int]]] = {}
    # current line: [lo, hi) where hi is the newline position (or len), and its id set
    state: list[Any] = [-1, -1, None]

    def on_match(id_: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
        pos = to - 1
        if state[0] <= pos < state[1]:
            state[2].add(id_)
            return None
        start, end, nl = _line_span(block, pos)
        found = lines.get(start)
        if found is None:
            ids = {id_}
            lines[start] = (end, ids)
        else:
            ids = found[1]
            ids.add(id_)
        state[0] = start
        state[1] = nl
        state[2] = ids
        return None

    db.scan(block, match_event_handler=on_match)
    return [(start, end, ids) for start, (end, ids) in sorted(lines.items())]


class _PatternScanner:
    """Hyperscan block scan for arbitrary expressions, reporting the matched ids per line.

    ``lowered``: the expressions are lower case and are matched case-sensitively against a
    lower-cased copy of the block. Used when there are pair patterns: with
    ``HS_FLAG_CASELESS``, hyperscan 0.9.1 (python-hyperscan wheel) silently misses about 1% of
    the lines matching ``A[^\\n]*B`` when ``B[^\\n]*A`` is in the same database (found by the
    soundness tests); case-sensitive matching of lower-cased data has no such misses.
    """

    engine = "hyperscan"

    def __init__(self, expressions: Sequence[str], lowered: bool) -> None:
        if _hs is None:
            raise RuntimeError("hyperscan is not available")
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        flag = 0 if lowered else _hs.HS_FLAG_CASELESS
        db.compile(
            expressions=[e.encode("ascii") for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[flag] * len(expressions),
        )
        self._db = db
        self.lowered = lowered

    def select_ids(self, block: bytes) -> list[tuple[int, int, set[int] | None]]:
        return _scan_ids(self._db, block.lower() if self.lowered else block)


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


Clause = frozenset[Literal]
Requirement = tuple[Clause, ...]

SAMPLE_BYTES = 128 * 1024
"""Bytes of the first block sampled to estimate how often each literal occurs."""
PAIR_MIN = 8
"""A requirement whose rarest clause occurs more often than this in the sample is anchored on a
pair of clauses (both on one line), where hyperscan is available."""
ESCALATE_REJECTS = 64
"""A requirement anchored on one clause is considered for a pair anchor once this many lines of a
block held its anchor but failed its other clauses."""
REVIEW_BLOCKS = 16
"""A requirement kept on a single anchor after such a review is looked at again only after this
many blocks."""
VERIFY_COST = 4.0
"""Relative cost of a line found by the scan (callback, substring checks)."""
PAIR_SCAN_COST = 0.5
"""Relative cost per occurrence of a pair literal in the scanned data (hyperscan follows each to
the end of its line)."""

_Scanner = _PatternScanner | ReSelector | NullSelector
_SCANNER_CACHE: dict[tuple[tuple[str, ...], str, bool], _Scanner] = {}


def _merges(x: str, y: str) -> set[str]:
    """The shortest strings in which an occurrence of ``x`` and one of ``y`` share characters:
    the longer one if it contains the other, else each overlap of an end with a start."""
    if y in x:
        return {x}
    if x in y:
        return {y}
    out = set()
    for k in range(1, min(len(x), len(y))):
        if x.endswith(y[:k]):
            out.add(x + y[k:])
        if y.endswith(x[:k]):
            out.add(y + x[k:])
    return out


def _alternation(clause: Clause) -> str:
    return (
        "(?:"
        + "|".join(literal_pattern(Literal(lit.text)) for lit in sorted(clause, key=lambda x: x.text))
        + ")"
    )


def _pair_pattern(a: Clause, b: Clause) -> str:
    """Lines holding a plain (not percent-encoded) literal of ``a`` and one of ``b``: one after
    the other on the line (``A[^\\n]*B|B[^\\n]*A``), or overlapping (the merged strings)."""
    pa, pb = _alternation(a), _alternation(b)
    merged = sorted({m for x in a for y in b for m in _merges(x.text.lower(), y.text.lower())})
    parts = [f"{pa}[^\\x0a]*{pb}", f"{pb}[^\\x0a]*{pa}", *(literal_pattern(Literal(m)) for m in merged)]
    return "|".join(parts)


def _encoded_windows(text: str) -> set[str]:
    """Patterns one of which every occurrence of percent-tolerant ``text`` that is not plain
    (has a ``%XX``) holds: around its first encoded character, the plain character before it (if
    any), the ``%XX`` and the next character in either spelling. A superset that stays small
    (the rest of ``text`` is not required): the lines found are checked anyway."""
    alts: set[str] = set()
    for i, ch in enumerate(text):
        codes = {ord(ch)}
        if ch.isascii() and ch.isalpha():
            codes |= {ord(ch.lower()), ord(ch.upper())}
        encoded = "|".join(f"%{c:02x}" for c in sorted(codes) if c < 0x80)
        if not encoded:
            continue
        head = _char_pattern(text[i - 1]) if i else ""
        tail = _percent_char(text[i + 1]) if i + 1 < len(text) else ""
        alts.add(f"{head}(?:{encoded}){tail}")
    return alts


class RequirementSelector:
    """Selects the lines that satisfy every clause of at least one requirement.

    A requirement is a conjunction of clauses; a clause holds if the line contains one of its
    literals (case-insensitively, percent-tolerant literals also percent-encoded). Each
    requirement gets an *anchor* that hyperscan (or ``re``) scans the block for: its rarest
    clause, or with hyperscan, when that clause is still common, its two rarest clauses together
    on one line. The lines that hold an anchor are then checked against every clause of the
    requirements anchored there, with plain substring tests. Rarity is counted in a sample of the
    first block; a requirement whose single anchor later proves common (many lines that fail its
    other clauses: the files differ) is anchored on a pair from then on. Any anchor is sound, so
    the choice changes only the speed.

    With ``owners`` (per requirement, a bit mask of the rules it belongs to), the selector also
    remembers, for each line it selected from the last block, which rules may match it:
    :meth:`rule_mask`. A rule whose requirements all fail on a line cannot match that line.
    """

    def __init__(
        self,
        requirements: Sequence[Requirement],
        engine: str | None = None,
        owners: Sequence[int] | None = None,
    ) -> None:
        merged: dict[Requirement, int] = {}
        for i, req in enumerate(requirements):
            merged[req] = merged.get(req, 0) | (owners[i] if owners is not None else 0)
        self.requirements: tuple[Requirement, ...] = tuple(merged)
        self._owners: tuple[int, ...] | None = tuple(merged.values()) if owners is not None else None
        self.literals: tuple[Literal, ...] = tuple(
            sorted(
                {lit for req in self.requirements for clause in req for lit in clause},
                key=lambda lit: (lit.text, lit.percent_tolerant),
            )
        )
        if engine not in (None, "re", "hyperscan"):
            raise ValueError(f"unknown prefilter engine {engine!r}")
        self.engine = "re" if engine == "re" or _hs is None else "hyperscan"
        self._forced = engine is not None
        if engine == "hyperscan" and _hs is None:
            raise RuntimeError("hyperscan is not available")
        self._scanner: _Scanner | None = None
        self._expressions: tuple[str, ...] = ()
        self._checks: list[list[tuple[tuple[bytes, ...], bool]]] = []
        self._by_id: list[tuple[int, ...]] = []
        self._masks: dict[bytes, int] = {}
        self._ordered: list[list[Clause]] = []
        self._paired: list[bool] = []
        self._considered: list[int] = []
        self._blocks = 0
        self.anchors: tuple[Literal | tuple[Clause, Clause], ...] = ()
        """The current anchors: single literals, and pairs of clauses (empty before the first block)."""

    def _choose(self, block: bytes) -> None:
        """Order each requirement's clauses by how often their literals occur in a sample of
        ``block`` (rarest first), pick the anchors and build the scanner."""
        sample = block[:SAMPLE_BYTES].lower()
        counts = {lit: sample.count(lit.text.lower().encode("ascii", "replace")) for lit in self.literals}

        def cost(clause: Clause) -> tuple[int, int, int]:
            return (sum(counts[lit] for lit in clause), -min(len(lit.text) for lit in clause), len(clause))

        self._ordered = [sorted(req, key=cost) for req in self.requirements]
        self._paired = [False] * len(self._ordered)
        self._considered = [-(1 << 30)] * len(self._ordered)
        self._blocks = 0
        self._checks = [
            [
                (
                    tuple(lit.text.lower().encode("ascii", "replace") for lit in clause),
                    any(lit.percent_tolerant for lit in clause),
                )
                for clause in clauses
            ]
            for clauses in self._ordered
        ]
        if self.engine == "hyperscan":
            for r, clauses in enumerate(self._ordered):
                if len(clauses) > 1 and cost(clauses[0])[0] > PAIR_MIN:
                    self._paired[r] = self._pair_pays(r, sample, counts)
        self._plan()

    def _pair_pays(self, r: int, sample: bytes, counts: dict[Literal, int] | None = None) -> bool:
        """Whether anchoring requirement ``r`` on its two rarest clauses should cost less than on
        the rarest alone, judged on ``sample`` (lower-cased): the lines a single anchor finds
        are each checked; a pair is found by following every occurrence of its literals."""
        c0, c1 = self._ordered[r][0], self._ordered[r][1]
        t0 = [lit.text.lower().encode("ascii", "replace") for lit in c0]
        t1 = [lit.text.lower().encode("ascii", "replace") for lit in c1]
        occ = sum(sample.count(t) for t in t0 + t1) if counts is None else sum(counts[lit] for lit in c0 | c1)
        single = both = 0
        for line in sample.split(b"\n"):
            if any(t in line for t in t0):
                single += 1
                if any(t in line for t in t1):
                    both += 1
        return occ * PAIR_SCAN_COST + both * VERIFY_COST < single * VERIFY_COST

    def _plan(self) -> None:
        """Build the scanner for the current anchors: the rarest clause of each requirement, or
        its two rarest clauses where ``_paired``."""
        singles_of: dict[int, Clause] = {}
        extra: dict[str, set[int]] = {}
        windows: set[str] = set()  # every encoded spelling of a tolerant anchor holds one
        encoded_reqs: set[int] = set()
        pairs: list[tuple[Clause, Clause]] = []
        for r, clauses in enumerate(self._ordered):
            if not self._paired[r]:
                singles_of[r] = clauses[0]
                continue
            pair = (clauses[0], clauses[1])
            pairs.append(pair)
            # A pair is scanned for as its plain form, plus (for percent-tolerant literals) any
            # encoded spelling of either literal: every line satisfying both clauses has one.
            extra.setdefault(_pair_pattern(*pair), set()).add(r)
            for lit in pair[0] | pair[1]:
                if lit.percent_tolerant:
                    windows.update(_encoded_windows(lit.text.lower()))
                    encoded_reqs.add(r)
        singles = sorted(
            minimise(lit for c in singles_of.values() for lit in c),
            key=lambda lit: (lit.text, lit.percent_tolerant),
        )
        # Which requirements a hit on each expression may satisfy. The single literals are
        # minimised, so a requirement's anchor literal may be represented by a shorter literal
        # it contains (every clause is checked after the hit, the anchor too).
        single_reqs: list[list[int]] = [[] for _ in singles]
        for r, anchor in singles_of.items():
            for i, scanned in enumerate(singles):
                if any(
                    scanned.text in a.text and (scanned.percent_tolerant or not a.percent_tolerant)
                    for a in anchor
                ):
                    single_reqs[i].append(r)
        # A percent-tolerant single literal is scanned for as its plain form plus the small
        # pattern every encoded spelling holds: cheaper to compile and scan than the exact one.
        for i, lit in enumerate(singles):
            if lit.percent_tolerant:
                extra.setdefault(literal_pattern(Literal(lit.text)), set()).update(single_reqs[i])
                windows.update(_encoded_windows(lit.text.lower()))
                encoded_reqs.update(single_reqs[i])
        if windows:
            extra.setdefault("|".join(sorted(windows)), set()).update(encoded_reqs)
        plain = [i for i, lit in enumerate(singles) if not lit.percent_tolerant]
        extra_exprs = sorted(extra)
        expressions = tuple(literal_pattern(Literal(singles[i].text.lower())) for i in plain) + tuple(
            extra_exprs
        )
        by_id = [single_reqs[i] for i in plain] + [sorted(extra[e]) for e in extra_exprs]
        lowered = bool(pairs)  # see _PatternScanner: pair patterns only on lower-cased data
        if self.engine != "hyperscan":  # re: the exact patterns of the single literals only
            expressions = tuple(literal_pattern(lit) for lit in singles)
            by_id = single_reqs
            lowered = False
        try:
            scanner = _scanner(expressions, singles, self.engine, lowered)
        except Exception:  # hyperscan compile errors: fall back to re (unless hyperscan was asked for)
            if self.engine != "hyperscan" or self._forced:
                raise
            self.engine = "re"
            self._paired = [False] * len(self._ordered)
            self._plan()
            return
        self._by_id = [tuple(x) for x in by_id]
        self._scanner = scanner
        self._expressions = expressions
        self.anchors = (*singles, *dict.fromkeys(pairs))

    def select(self, block: bytes) -> list[tuple[int, int]]:
        self._masks = {}
        if not block:
            return []
        if self._scanner is None:
            self._choose(block)
        assert self._scanner is not None
        hits = self._scanner.select_ids(block)
        if not hits:
            return []
        keep: list[tuple[int, int]] = []
        rejects = [0] * len(self._checks)
        checks = self._checks
        by_id = self._by_id
        owners = self._owners
        masks = self._masks
        every = range(len(checks))
        for start, end, ids in hits:
            line = block[start:end]
            low = line.lower()
            pct = b"%" in low
            if ids is None:
                candidates: Iterable[int] = every
            elif len(ids) == 1:
                candidates = by_id[next(iter(ids))]
            else:
                candidates = sorted({r for i in ids for r in by_id[i]})
            mask = 0
            for r in candidates:
                for needles, tolerant in checks[r]:
                    for needle in needles:
                        if needle in low:
                            break
                    else:
                        if tolerant and pct:
                            continue  # a percent-encoded spelling may hold: keep the line
                        rejects[r] += 1
                        break
                else:
                    if owners is None:
                        mask = 1
                        break
                    mask |= owners[r]
            if mask:
                keep.append((start, end))
                if owners is not None:
                    masks[line] = mask
        self._blocks += 1
        if len(hits) - len(keep) > ESCALATE_REJECTS:
            self._escalate(rejects, block)
        return keep

    def _escalate(self, rejects: list[int], block: bytes) -> None:
        """Anchor on a pair each requirement whose single anchor let many lines through that
        failed its other clauses, where a pair pays off on this block (the files differ)."""
        if self.engine != "hyperscan":
            return
        sample = b""
        changed = False
        for r, n in enumerate(rejects):
            if n <= ESCALATE_REJECTS or self._paired[r] or len(self._ordered[r]) < 2:
                continue
            if self._blocks - self._considered[r] < REVIEW_BLOCKS:
                continue  # looked at recently: keep the single anchor for now
            self._considered[r] = self._blocks
            sample = sample or block[:SAMPLE_BYTES].lower()
            if self._pair_pays(r, sample):
                self._paired[r] = True
                changed = True
        if changed:
            self._plan()

    def rule_mask(self, raw: str) -> int | None:
        """For a line selected from the last block (``raw``: the decoded line without its line
        break), the bit mask of the rules (``owners`` bits) that may match it; None if unknown
        (a line the selector did not select, such as the first of a file): any rule may match."""
        if not self._masks:
            return None
        return self._masks.get(raw.encode("utf-8", "surrogateescape"))


def _scanner(expressions: tuple[str, ...], singles: list[Literal], engine: str, lowered: bool) -> _Scanner:
    key = (expressions, engine, lowered)
    found = _SCANNER_CACHE.get(key)
    if found is None:
        if len(_SCANNER_CACHE) > 64:
            _SCANNER_CACHE.clear()
        if not expressions:
            found = NullSelector()
        elif engine == "hyperscan":
            found = _PatternScanner(expressions, lowered)
        else:  # only single literals without hyperscan
            found = ReSelector(singles)
        _SCANNER_CACHE[key] = found
    return found


def build_selector(rules: Iterable[CompiledRule], engine: str | None = None) -> Selector | None:
    """Selector for the rules' literals, or None if any rule must see every line.

    Rules with :attr:`~lekdicht.rules.types.CompiledRule.requirements` contribute those, others
    their ``literals`` as a single clause; see :class:`RequirementSelector`, whose
    :meth:`~RequirementSelector.rule_mask` bits are positions in ``rules``. With no rules at all,
    a :class:`NullSelector` (selects nothing) is returned.
    """
    owners: dict[Requirement, int] = {}
    for i, rule in enumerate(rules):
        if rule.literals is None:
            return None
        if rule.requirements:
            reqs: Iterable[Requirement] = rule.requirements
        elif rule.literals:
            reqs = [(frozenset(rule.literals),)]
        else:
            continue
        for req in reqs:
            owners[req] = owners.get(req, 0) | (1 << i)
    if not owners:
        return NullSelector()
    return RequirementSelector(list(owners), engine, list(owners.values()))
