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


def regex_literal(value: SigmaRegularExpression, splitter: re.Pattern[str]) -> str | None:
    """Lower-cased longest piece of a literal run required at the regex's top level, or None."""
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
    best = ""
    for run in runs:
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
