"""Prefilter literals: strings at least one of which every line matching a rule contains.

Derived from the pySigma condition tree:

* ``A or B`` needs a literal of A or one of B: the union, or None (no requirement) if either
  side has none.
* ``A and B`` is satisfied only where both hold, so the literals of either side suffice: the
  best side is chosen (longest shortest literal, then fewest literals).
* ``not A`` gives no requirement (None).
* A string value gives its longest piece between wildcards and between characters that a raw
  line may spell differently from the parsed value (whitespace, quotes, ``+``, ``,``, ``\\``,
  ``<``, ``>``, ``&``, ``%``, ``?``, control and non-ASCII characters: CSV and JSON escaping, W3C
  ``+`` for space, HTML entities, URL encoding, and stem/query joins), if it has at least
  three characters; shorter gives None.
* Keyword values are matched against the raw line itself, so only control and non-ASCII
  characters split them.
* A regular expression gives the longest piece of the literal characters its top level
  requires in sequence (``^/ecp/[a-z]+\\.js$`` gives ``/ecp/``); None if there is none, e.g. with
  a top-level alternation.
* CIDR, numeric comparisons, exists, null and field references give None.

Known limit: case-insensitive matching lower-cases with Unicode rules, so a value holding the
Kelvin sign, the long s or a dotted capital I can match a rule written with ``k``, ``s`` or
``i`` while the raw line holds only the non-ASCII character. Such lines escape the prefilter.

Soundness rests on one property of the readers: every field value, cut at the separator
characters above, occurs in the raw line (case aside), percent-encoded only for the fields
listed as ``percent_decoded_fields`` in ``fieldmap.yml``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    SigmaBool,
    SigmaExpansion,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
)

from lekdicht.rules.types import Literal

MIN_LITERAL = 3
"""Shortest useful literal; shorter pieces select too many lines."""

_sre: Any
try:  # the regex parser of the standard library (private, stable since Python 3.11)
    _sre = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover
    _sre = None

_SCORE_CAP = 10
"""Literals at least this long are all considered equally selective."""

FIELD_SPLIT = re.compile(r"[\s\"'+,\\<>&%?\x00-\x1f\x7f]|[^\x00-\x7f]")
KEYWORD_SPLIT = re.compile(r"[\x00-\x1f\x7f]|[^\x00-\x7f]")

LiteralSet = frozenset[Literal]
Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression


def longest_piece(text: str, splitter: re.Pattern[str]) -> str:
    """Longest piece of ``text`` between splitter characters."""
    best = ""
    for piece in splitter.split(text):
        if len(piece) > len(best):
            best = piece
    return best


def string_literal(value: SigmaString, splitter: re.Pattern[str]) -> str | None:
    """Lower-cased longest piece of any plain run of ``value``, or None if shorter than 3."""
    best = ""
    for part in value.s:
        if isinstance(part, str):
            piece = longest_piece(part, splitter)
            if len(piece) > len(best):
                best = piece
    return best.lower() if len(best) >= MIN_LITERAL else None


def regex_literal_runs(value: SigmaRegularExpression) -> list[str] | None:
    """The runs of plain characters at the regex's top level (a required sequence of literals,
    broken wherever another construct stands), or None when the regex cannot be analysed."""
    if _sre is None:
        return None
    flags = re.IGNORECASE if SigmaRegularExpressionFlag.IGNORECASE in value.flags else 0
    try:
        parsed = _sre.parse(str(value.regexp), flags)
    except Exception:
        return None
    runs: list[str] = []
    current: list[str] = []
    for op, arg in parsed:
        if op is _sre.LITERAL:
            current.append(chr(arg))
        else:
            runs.append("".join(current))
            current = []
    runs.append("".join(current))
    return runs


def regex_literal(value: SigmaRegularExpression, splitter: re.Pattern[str]) -> str | None:
    """Lower-cased longest piece of a literal run required at the regex's top level, or None."""
    best = ""
    for run in regex_literal_runs(value) or []:
        piece = longest_piece(run, splitter)
        if len(piece) > len(best):
            best = piece
    return best.lower() if len(best) >= MIN_LITERAL else None


def value_literals(value: SigmaType, *, keyword: bool, tolerant: bool) -> LiteralSet | None:
    """Literals for one value of a field (``keyword=False``) or of a keyword detection."""
    splitter = KEYWORD_SPLIT if keyword else FIELD_SPLIT
    text: str | None = None
    if isinstance(value, SigmaExpansion):
        out: set[Literal] = set()
        for inner in value.values:
            lits = value_literals(inner, keyword=keyword, tolerant=tolerant)
            if lits is None:
                return None
            out |= lits
        return frozenset(out) if out else None
    if isinstance(value, SigmaString):
        text = string_literal(value, splitter)
    elif isinstance(value, SigmaRegularExpression):
        text = regex_literal(value, splitter)
    elif isinstance(value, SigmaTimestampPart):
        text = None
    elif isinstance(value, SigmaNumber):
        # A field equals an integer when it reads as a decimal of the same value ("04624",
        # "4624.0"): all contain the digits. Keywords are matched as the plain text.
        if keyword:
            text = longest_piece(str(value.number), splitter)
        elif isinstance(value.number, int):
            text = str(abs(value.number))
        if text is not None and len(text) < MIN_LITERAL:
            text = None
    elif isinstance(value, SigmaBool):
        text = "true" if value.boolean else "false"
    if text is None:
        return None
    return frozenset({Literal(text, tolerant and not keyword)})


def _score(lits: LiteralSet) -> tuple[int, int]:
    return (min(min(len(lit.text) for lit in lits), _SCORE_CAP), -len(lits))


def minimise(lits: Iterable[Literal]) -> LiteralSet:
    """Drop literals made redundant by a shorter one they contain.

    A line holding ``b`` also holds any ``a`` that is a substring of ``b``, so ``b`` adds nothing
    to an alternative. A percent-tolerant ``b`` is only implied by a tolerant ``a``.
    """
    # Shortest first (tolerant before plain at equal text); a literal is dropped if one of its
    # substrings of a length already kept is in the kept set. Near-linear for large sets.
    items = sorted(set(lits), key=lambda lit: (len(lit.text), lit.text, not lit.percent_tolerant))
    kept: list[Literal] = []
    any_kept: set[str] = set()
    tolerant_kept: set[str] = set()
    lengths: list[int] = []
    for lit in items:
        low = lit.text.lower()
        pool = tolerant_kept if lit.percent_tolerant else any_kept
        redundant = False
        for size in lengths:
            if size > len(low):
                break
            if any(low[i : i + size] in pool for i in range(len(low) - size + 1)):
                redundant = True
                break
        if redundant:
            continue
        kept.append(lit)
        any_kept.add(low)
        if lit.percent_tolerant:
            tolerant_kept.add(low)
        if not lengths or lengths[-1] != len(low):
            lengths.append(len(low))
    return frozenset(kept)


def derive(node: Node | None, tolerant_field: dict[str, bool]) -> LiteralSet | None:
    """Literals of a condition tree; ``tolerant_field`` tells which fields are URL-decoded."""
    if node is None:
        return None
    if isinstance(node, ConditionOR):
        out: set[Literal] = set()
        for arg in node.args:
            lits = derive(_as_node(arg), tolerant_field)
            if lits is None:
                return None
            out |= lits
        return minimise(out) if out else None
    if isinstance(node, ConditionAND):
        best: LiteralSet | None = None
        for arg in node.args:
            lits = derive(_as_node(arg), tolerant_field)
            if lits is not None and (best is None or _score(lits) > _score(best)):
                best = lits
        return best
    if isinstance(node, ConditionNOT):
        return None
    if isinstance(node, ConditionFieldEqualsValueExpression):
        tolerant = tolerant_field.get(node.field, False)
        lits = value_literals(node.value, keyword=False, tolerant=tolerant)
        return minimise(lits) if lits else None
    if isinstance(node, ConditionValueExpression):
        lits = value_literals(node.value, keyword=True, tolerant=False)
        return minimise(lits) if lits else None
    return None


def _as_node(arg: object) -> Node | None:
    if isinstance(arg, (ConditionItem, ConditionFieldEqualsValueExpression, ConditionValueExpression)):
        return arg
    return None


def derive_all(conditions: list[Node | None], tolerant_field: dict[str, bool]) -> list[Literal] | None:
    """Literals of a rule with several conditions (alternatives): the union, or None."""
    out: set[Literal] = set()
    for cond in conditions:
        lits = derive(cond, tolerant_field)
        if lits is None:
            return None
        out |= lits
    if not out:
        return None
    return sorted(minimise(out), key=lambda lit: (lit.text, lit.percent_tolerant))


# ---------------------------------------------------------------------------------------------
# Requirements: conjunctions of literal clauses, for a prefilter that picks the rarest clause.
#
# ``derive`` above keeps one literal set per rule (for an AND, the best side by length). A length
# cannot tell that "correlationid=" is in every HttpProxy line while "/rpc/" is rare. The
# requirements below keep every clause a matching line must satisfy, so the prefilter can scan for
# the clause that is rarest in the data and check the others on the few lines that hold it.

Clause = frozenset[Literal]
"""A line satisfies a clause if it contains one of its literals."""
Requirement = tuple[Clause, ...]
"""A line satisfies a requirement if it satisfies all of its clauses."""
Alternatives = list[list[Clause]]
"""Internal: any alternative (a list of clauses) may hold; ``[[]]`` means no requirement."""

MAX_ALTERNATIVES = 64
"""Cap on alternatives per rule; beyond it an AND keeps fewer of its sides (still sound)."""
MAX_CLAUSES = 8
"""Cap on clauses per alternative; the weakest are dropped (still sound)."""

_TRUE: Alternatives = [[]]


def string_pieces(value: SigmaString, splitter: re.Pattern[str]) -> list[str]:
    """Lower-cased pieces (at least 3 characters) of every plain run of ``value``: all are required."""
    out: list[str] = []
    for part in value.s:
        if isinstance(part, str):
            out.extend(p.lower() for p in splitter.split(part) if len(p) >= MIN_LITERAL)
    return out


def regex_pieces(value: SigmaRegularExpression, splitter: re.Pattern[str]) -> list[str]:
    """Lower-cased pieces of the literal runs the regex requires at its top level, in order."""
    runs = regex_literal_runs(value) or []
    return [p.lower() for run in runs for p in splitter.split(run) if len(p) >= MIN_LITERAL]


def value_alternatives(value: SigmaType, *, keyword: bool, tolerant: bool) -> Alternatives:
    """Alternatives for one value of a field (``keyword=False``) or of a keyword detection."""
    splitter = KEYWORD_SPLIT if keyword else FIELD_SPLIT
    tol = tolerant and not keyword
    if isinstance(value, SigmaExpansion):
        out: Alternatives = []
        for inner in value.values:
            alts = value_alternatives(inner, keyword=keyword, tolerant=tolerant)
            if alts == _TRUE:
                return _TRUE
            out.extend(alts)
        return _or_compact(out) if out else _TRUE
    pieces: list[str] | None = None
    if isinstance(value, SigmaString):
        pieces = string_pieces(value, splitter)
    elif isinstance(value, SigmaRegularExpression):
        pieces = regex_pieces(value, splitter)
    if pieces is not None:
        if not pieces:
            return _TRUE
        return [_prune_clauses([frozenset({Literal(p, tol)}) for p in dict.fromkeys(pieces)])]
    lits = value_literals(value, keyword=keyword, tolerant=tolerant)
    return [[lits]] if lits else _TRUE


def _clause_implies(a: Clause, b: Clause) -> bool:
    """True if every line satisfying clause ``a`` also satisfies clause ``b``."""
    for la in a:
        if not any(lb.text in la.text and (lb.percent_tolerant or not la.percent_tolerant) for lb in b):
            return False
    return True


def _clause_score(c: Clause) -> tuple[int, int]:
    return (min(len(lit.text) for lit in c), -len(c))


def _prune_clauses(clauses: list[Clause]) -> list[Clause]:
    """Minimise each clause, drop clauses implied by another, keep at most MAX_CLAUSES."""
    cs = list(dict.fromkeys(minimise(c) for c in clauses if c))
    kept: list[Clause] = []
    for i, c in enumerate(cs):
        implied = any(
            j != i and _clause_implies(d, c) and (not _clause_implies(c, d) or j < i)
            for j, d in enumerate(cs)
        )
        if not implied:
            kept.append(c)
    kept.sort(key=_clause_score, reverse=True)
    return kept[:MAX_CLAUSES]


def _alt_implies(x: list[Clause], y: list[Clause]) -> bool:
    """True if every line satisfying alternative ``x`` satisfies alternative ``y``."""
    return all(any(_clause_implies(cx, cy) for cx in x) for cy in y)


def _or_compact(alts: Alternatives) -> Alternatives:
    """An OR of alternatives: merged into one clause when each is a single clause, else deduplicated."""
    if any(not a for a in alts):
        return _TRUE
    singles = [a[0] for a in alts if len(a) == 1]
    if len(singles) > 1:  # "contains a or contains b": one clause
        alts = [[minimise(frozenset().union(*singles))], *(a for a in alts if len(a) > 1)]
    if len(alts) == 1:
        return alts
    out: Alternatives = []
    for i, a in enumerate(alts):
        # drop an alternative that implies another one (the other admits every line it admits)
        if any(
            j != i and _alt_implies(a, b) and (not _alt_implies(b, a) or j < i) for j, b in enumerate(alts)
        ):
            continue
        out.append(a)
    return out


def _and(children: list[Alternatives]) -> Alternatives:
    """Cross product of the children's alternatives, best children first, within the caps."""
    parts = [c for c in children if c != _TRUE]
    if not parts:
        return _TRUE
    parts.sort(key=lambda alts: (len(alts), -max(_clause_score(c)[0] for a in alts for c in a)))
    result: Alternatives = [[]]
    for alts in parts:
        if len(result) * len(alts) > MAX_ALTERNATIVES:
            continue  # leaving a side out only weakens the requirement
        result = [_prune_clauses(r + a) for r in result for a in alts]
    return result


def _requirements(node: Node | None, tolerant_field: dict[str, bool]) -> Alternatives:
    if node is None:
        return _TRUE
    if isinstance(node, ConditionOR):
        out: Alternatives = []
        for arg in node.args:
            alts = _requirements(_as_node(arg), tolerant_field)
            if alts == _TRUE:
                return _TRUE
            out.extend(alts)
        return _or_compact(out) if out else _TRUE
    if isinstance(node, ConditionAND):
        return _and([_requirements(_as_node(arg), tolerant_field) for arg in node.args])
    if isinstance(node, ConditionNOT):
        return _TRUE
    if isinstance(node, ConditionFieldEqualsValueExpression):
        tolerant = tolerant_field.get(node.field, False)
        return value_alternatives(node.value, keyword=False, tolerant=tolerant)
    if isinstance(node, ConditionValueExpression):
        return value_alternatives(node.value, keyword=True, tolerant=False)
    return _TRUE


def derive_requirements(
    conditions: list[Node | None], tolerant_field: dict[str, bool]
) -> tuple[Requirement, ...] | None:
    """Requirements of a rule with several conditions (alternatives), or None if a line may match
    without containing any literal. Sound in the same sense as :func:`derive_all`."""
    out: Alternatives = []
    for cond in conditions:
        alts = _requirements(cond, tolerant_field)
        if alts == _TRUE:
            return None
        out.extend(alts)
    if not out:
        return None
    out = _or_compact(out)
    if out == _TRUE:
        return None

    def key(clause: Clause) -> tuple[tuple[str, bool], ...]:
        return tuple(sorted((lit.text, lit.percent_tolerant) for lit in clause))

    reqs = {tuple(sorted(alt, key=key)) for alt in out}
    return tuple(sorted(reqs, key=lambda r: [key(c) for c in r]))
