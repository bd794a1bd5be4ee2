"""Compile one pySigma ``SigmaRule`` into a :class:`CompiledRule` with exact Sigma semantics.

Semantics implemented (Sigma specification 2.x, modifiers appendix 2.1):

* Strings match the whole field value, case-insensitively unless ``|cased``; ``*`` and ``?``
  are wildcards (``\\*``, ``\\?`` and ``\\\\`` escape them), ``contains``/``startswith``/``endswith``
  add wildcards. A list of values is OR-linked, AND-linked with ``|all``; values expanded by a
  modifier (``windash``, ``base64offset``) stay OR-linked.
* ``|re`` is a Python regular expression searched anywhere in the value (anchor with ``^``/``$``),
  case-sensitive unless ``|i``; ``|m`` and ``|s`` set MULTILINE and DOTALL.
* ``base64``, ``base64offset``, ``wide``/``utf16le``/``utf16``/``utf16be`` and ``windash`` are
  expanded by pySigma into plain strings, which then match as above.
* ``|cidr`` matches IPv4 and IPv6 addresses (IPv4-mapped IPv6 addresses too) in the network.
* Numbers match a field whose value reads as a decimal of the same value; ``gt``/``gte``/
  ``lt``/``lte`` compare numerically, a non-numeric value never matches.
* ``|exists: true`` means the field is present (any value); ``null`` means absent or empty.
* ``|fieldref`` compares with another field of the same record (case-insensitively).
* ``|neq`` negates; ``minute``/``hour``/``day``/``week``/``month``/``year`` take that part of an
  ISO 8601 timestamp in the field.
* Keyword (field-less) values are searched in ``record.raw``: a keyword ``foo`` means the raw
  line contains ``foo`` (case-insensitively; wildcards apply inside).
* Conditions: ``and``, ``or``, ``not``, parentheses, ``1 of x*``, ``all of x*``, ``1 of them``,
  ``all of them`` (resolved by pySigma); several conditions are alternatives.

Field lookup: the exact key first, then a case-insensitive match, and for each alias the
field map (``fieldmap.yml``) gives for the rule's logsource; a field condition holds if it holds
for any of the values found.

Speed: each value compiles to the cheapest check (``==``, ``startswith``, ``endswith``, ``in`` on
the lower-cased value, an ordered ``find`` for ``*`` globs, a regex only for ``?``). Field
lookups and lower-casing are cached per record and shared by all rules that evaluate the same
record object in a row; records must therefore not be mutated between evaluations (call
:func:`clear_record_cache` if they are).

Rejected (raises :class:`RuleCompileError`): unresolved ``%placeholders%`` (``expand`` needs a
processing pipeline), keyword values that are not strings, numbers, booleans or regexes, and
value types pySigma produces only in pipelines.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
    TimestampPart,
)

from lekdicht.catalog.kinds import LogSource
from lekdicht.model import LogRecord, Severity, Verdict
from lekdicht.rules.fieldmap import FieldMap, default_fieldmap
from lekdicht.rules.literals import Node, derive_all, derive_requirements
from lekdicht.rules.types import CompiledRule

__all__ = [
    "RuleCompileError",
    "compile_rule",
    "rule_logsource",
    "rule_identifier",
    "clear_record_cache",
    "parse_conditions",
]


class RuleCompileError(ValueError):
    """A rule uses a feature lekdicht cannot evaluate, or has invalid lekdicht attributes."""


# ---------------------------------------------------------------------------------------------
# Record view: lazy, cached field lookups shared by all rules evaluating the same record.


class _View:
    """One record as the predicates see it: exact/case-insensitive lookup, lower-case cache."""

    __slots__ = ("fields", "raw", "_ci", "_low", "_raw_low")

    def __init__(self, fields: dict[str, str], raw: str) -> None:
        self.fields = fields
        self.raw = raw
        self._ci: dict[str, str] | None = None
        self._low: dict[str, str | None] = {}
        self._raw_low: str | None = None

    def get(self, name: str, lname: str) -> str | None:
        """Value of field ``name`` (``lname`` is its lower case), exact key first."""
        value = self.fields.get(name)
        if value is not None:
            return value
        ci = self._ci
        if ci is None:
            ci = {}
            for key in self.fields:
                ci.setdefault(key.lower(), key)
            self._ci = ci
        found = ci.get(lname)
        return None if found is None else self.fields[found]

    def low(self, name: str, lname: str) -> str | None:
        """Lower-cased value of field ``name``, computed once per record."""
        cache = self._low
        try:
            return cache[name]
        except KeyError:
            value = self.get(name, lname)
            low = None if value is None else value.lower()
            cache[name] = low
            return low

    def raw_low(self) -> str:
        """Lower-cased raw line, computed once per record."""
        low = self._raw_low
        if low is None:
            low = self.raw.lower()
            self._raw_low = low
        return low


_last_view: list[_View | None] = [None]


def clear_record_cache() -> None:
    """Forget the cached view of the last record (needed only if a record is mutated)."""
    _last_view[0] = None


def _view_of(record: LogRecord) -> _View:
    view = _last_view[0]
    if view is None or view.fields is not record.fields or view.raw is not record.raw:
        view = _View(record.fields, record.raw)
        _last_view[0] = view
    return view


Pred = Callable[[_View], bool]
StrTest = Callable[[str], bool]


# ---------------------------------------------------------------------------------------------
# Value tests: one Sigma value → a check on one string.


class _Test:
    """A check on one string: ``low`` tests get the lower-cased value, others the original."""

    __slots__ = ("fn", "low", "cost")

    def __init__(self, fn: StrTest, low: bool, cost: int = 1) -> None:
        self.fn = fn
        self.low = low
        self.cost = cost


_MULTI = SpecialChars.WILDCARD_MULTI
_SINGLE = SpecialChars.WILDCARD_SINGLE
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _glob_test(segments: list[str], anchored_start: bool, anchored_end: bool) -> StrTest:
    """Match ``*``-only glob: literal segments in order, anchored as given."""
    first = segments[0] if anchored_start else None
    last = segments[-1] if anchored_end else None
    middle = segments[(1 if anchored_start else 0) : (len(segments) - 1 if anchored_end else None)]
    head = len(first) if first is not None else 0
    tail = len(last) if last is not None else 0

    def test(value: str) -> bool:
        if first is not None and not value.startswith(first):
            return False
        end = len(value) - tail
        if last is not None and (end < head or not value.endswith(last)):
            return False
        pos = head
        for seg in middle:
            found = value.find(seg, pos, end)
            if found < 0:
                return False
            pos = found + len(seg)
        return True

    return test


def _string_test(value: SigmaString, *, implicit_contains: bool) -> _Test:
    """Compile a Sigma string (with wildcards) into the cheapest equivalent check."""
    cased = isinstance(value, SigmaCasedString)
    parts: list[str | SpecialChars] = []
    raw_parts = list(value.s)
    if implicit_contains:
        raw_parts = [_MULTI, *raw_parts, _MULTI]
    for part in raw_parts:
        if isinstance(part, Placeholder):
            raise RuleCompileError(
                f"unresolved placeholder %{part.name}% (the expand modifier needs a processing pipeline)"
            )
        if isinstance(part, str):
            if not part:
                continue
            text = part if cased else part.lower()
            if parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        elif part is _MULTI:
            if not parts or parts[-1] is not _MULTI:
                parts.append(_MULTI)
        else:
            parts.append(_SINGLE)
    low = not cased
    if not parts:
        return _Test("".__eq__, low)
    if _SINGLE in parts:
        pattern = "".join(
            re.escape(p) if isinstance(p, str) else (".*" if p is _MULTI else ".") for p in parts
        )
        rx = re.compile(pattern, re.DOTALL)
        return _Test(lambda v: rx.fullmatch(v) is not None, low, cost=6)
    segments = [p for p in parts if isinstance(p, str)]
    starts = isinstance(parts[0], str)
    ends = isinstance(parts[-1], str)
    if not segments:  # "*": any value
        return _Test(lambda v: True, low)
    if len(parts) == 1:
        return _Test(segments[0].__eq__, low)
    if len(segments) == 1:
        seg = segments[0]
        if starts:
            return _Test(lambda v: v.startswith(seg), low)
        if ends:
            return _Test(lambda v: v.endswith(seg), low)
        return _Test(lambda v: seg in v, low)
    return _Test(_glob_test(segments, starts, ends), low, cost=2)


def _regex_test(value: SigmaRegularExpression) -> _Test:
    flags = 0
    if SigmaRegularExpressionFlag.IGNORECASE in value.flags:
        flags |= re.IGNORECASE
    if SigmaRegularExpressionFlag.MULTILINE in value.flags:
        flags |= re.MULTILINE
    if SigmaRegularExpressionFlag.DOTALL in value.flags:
        flags |= re.DOTALL
    if value.regexp.contains_placeholder():
        raise RuleCompileError("unresolved placeholder in regular expression (expand modifier)")
    pattern = str(value.regexp)
    try:
        rx = re.compile(pattern, flags)
    except re.error as exc:
        raise RuleCompileError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return _Test(lambda v: rx.search(v) is not None, False, cost=8)


def _to_number(text: str) -> float | None:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text)


def _number_test(value: SigmaNumber) -> _Test:
    number = value.number
    exact = str(number)

    def test(v: str) -> bool:
        if v == exact:
            return True
        parsed = _to_number(v)
        return parsed is not None and parsed == number

    return _Test(test, False)


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
    CompareOperators.NEQ: operator.ne,
}


def _compare_test(value: SigmaCompareExpression) -> _Test:
    op = _COMPARE[value.op]
    number = float(value.number.number)

    def test(v: str) -> bool:
        parsed = _to_number(v)
        return parsed is not None and op(parsed, number)

    return _Test(test, False)


def _cidr_test(value: SigmaCIDRExpression) -> _Test:
    network = value.network

    def test(v: str) -> bool:
        text = v.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        text = text.split("%", 1)[0]
        try:
            addr: IPv4Address | IPv6Address = ip_address(text)
        except ValueError:
            return False
        if addr in network:
            return True
        if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
            return not isinstance(network, IPv6Network) and addr.ipv4_mapped in network
        return False

    return _Test(test, False, cost=4)


def _bool_test(value: SigmaBool) -> _Test:
    expected = "true" if value.boolean else "false"
    return _Test(lambda v: v.strip() == expected, True)


_TIME_PARTS: dict[TimestampPart, Callable[[datetime], int]] = {
    TimestampPart.MINUTE: lambda t: t.minute,
    TimestampPart.HOUR: lambda t: t.hour,
    TimestampPart.DAY: lambda t: t.day,
    TimestampPart.WEEK: lambda t: t.isocalendar().week,
    TimestampPart.MONTH: lambda t: t.month,
    TimestampPart.YEAR: lambda t: t.year,
}


def _timestamp_test(value: SigmaTimestampPart) -> _Test:
    part = _TIME_PARTS[value.timestamp_part]
    number = value.number

    def test(v: str) -> bool:
        try:
            parsed = datetime.fromisoformat(v.strip())
        except ValueError:
            return False
        return part(parsed) == number

    return _Test(test, False, cost=4)


def _field_tests(value: SigmaType) -> list[_Test]:
    """Tests for one value of a field condition (OR-linked if several)."""
    if isinstance(value, SigmaExpansion):
        return [t for inner in value.values for t in _field_tests(inner)]
    if isinstance(value, SigmaString):
        return [_string_test(value, implicit_contains=False)]
    if isinstance(value, SigmaRegularExpression):
        return [_regex_test(value)]
    if isinstance(value, SigmaTimestampPart):
        return [_timestamp_test(value)]
    if isinstance(value, SigmaNumber):
        return [_number_test(value)]
    if isinstance(value, SigmaCompareExpression):
        return [_compare_test(value)]
    if isinstance(value, SigmaCIDRExpression):
        return [_cidr_test(value)]
    if isinstance(value, SigmaBool):
        return [_bool_test(value)]
    raise RuleCompileError(f"unsupported value type {type(value).__name__} in field condition")


def _keyword_tests(value: SigmaType) -> list[_Test]:
    """Tests for one keyword value, applied to the raw line (substring semantics)."""
    if isinstance(value, SigmaExpansion):
        return [t for inner in value.values for t in _keyword_tests(inner)]
    if isinstance(value, SigmaString):
        return [_string_test(value, implicit_contains=True)]
    if isinstance(value, SigmaRegularExpression):
        return [_regex_test(value)]
    if isinstance(value, SigmaNumber) and not isinstance(value, SigmaTimestampPart):
        text = str(value.number)
        return [_Test(lambda v: text in v, False)]
    if isinstance(value, SigmaBool):
        word = "true" if value.boolean else "false"
        return [_Test(lambda v: word in v, True)]
    raise RuleCompileError(f"unsupported value type {type(value).__name__} in keyword detection")


# ---------------------------------------------------------------------------------------------
# Predicate tree: built from the condition tree, simplified, then turned into closures.

FieldKey = tuple[str, str]
"""(name, lower-cased name) of one record field to look up."""


class _Node:
    cost: int = 1

    def build(self) -> Pred:
        raise NotImplementedError


class _Values(_Node):
    """OR of tests on the values of one field (any alias) or, with ``keys=None``, the raw line."""

    def __init__(self, keys: tuple[FieldKey, ...] | None, tests: list[_Test]) -> None:
        self.keys = keys
        self.tests = tests
        self.cost = sum(t.cost for t in tests) * (2 if keys is None else 1)

    def build(self) -> Pred:
        low_fns = tuple(t.fn for t in self.tests if t.low)
        orig_fns = tuple(t.fn for t in self.tests if not t.low)
        keys = self.keys
        if keys is None:
            return self._build_raw(low_fns, orig_fns)
        if len(keys) == 1 and len(low_fns) == 1 and not orig_fns:
            name, lname = keys[0]
            fn = low_fns[0]

            def single_low(view: _View) -> bool:
                value = view.low(name, lname)
                return value is not None and fn(value)

            return single_low
        if len(keys) == 1 and not orig_fns:
            name, lname = keys[0]

            def many_low(view: _View) -> bool:
                value = view.low(name, lname)
                if value is None:
                    return False
                for f in low_fns:  # noqa: SIM110 - explicit loop: no generator in the hot path
                    if f(value):
                        return True
                return False

            return many_low

        def general(view: _View) -> bool:
            for name, lname in keys:
                if low_fns:
                    low = view.low(name, lname)
                    if low is None:
                        continue
                    for f in low_fns:
                        if f(low):
                            return True
                if orig_fns:
                    value = view.get(name, lname)
                    if value is None:
                        continue
                    for f in orig_fns:
                        if f(value):
                            return True
            return False

        return general

    @staticmethod
    def _build_raw(low_fns: tuple[StrTest, ...], orig_fns: tuple[StrTest, ...]) -> Pred:
        def raw(view: _View) -> bool:
            if low_fns:
                low = view.raw_low()
                for f in low_fns:
                    if f(low):
                        return True
            if orig_fns:
                text = view.raw
                for f in orig_fns:
                    if f(text):
                        return True
            return False

        return raw


class _Special(_Node):
    """A ready predicate (null, exists, fieldref)."""

    def __init__(self, pred: Pred, cost: int = 1) -> None:
        self.pred = pred
        self.cost = cost

    def build(self) -> Pred:
        return self.pred


class _Not(_Node):
    def __init__(self, child: _Node) -> None:
        self.child = child
        self.cost = child.cost

    def build(self) -> Pred:
        inner = self.child.build()
        return lambda view: not inner(view)


class _AndOr(_Node):
    def __init__(self, children: list[_Node], is_and: bool) -> None:
        self.is_and = is_and
        self.children = sorted(self._merge(children), key=lambda c: c.cost)
        self.cost = sum(c.cost for c in self.children)

    def _merge(self, children: list[_Node]) -> list[_Node]:
        """Merge OR-ed value tests on the same field into one node (one lookup, one lower)."""
        if self.is_and:
            return children
        merged: list[_Node] = []
        by_keys: dict[tuple[FieldKey, ...] | None, _Values] = {}
        for child in children:
            if isinstance(child, _Values):
                prev = by_keys.get(child.keys)
                if prev is not None:
                    prev.tests.extend(child.tests)
                    prev.cost += child.cost
                    continue
                child = _Values(child.keys, list(child.tests))
                by_keys[child.keys] = child
            merged.append(child)
        return merged

    def build(self) -> Pred:
        preds = tuple(c.build() for c in self.children)
        if len(preds) == 1:
            return preds[0]
        if self.is_and:
            if len(preds) == 2:
                a, b = preds
                return lambda view: a(view) and b(view)

            def all_of(view: _View) -> bool:
                for p in preds:  # noqa: SIM110 - explicit loop: no generator in the hot path
                    if not p(view):
                        return False
                return True

            return all_of
        if len(preds) == 2:
            a, b = preds
            return lambda view: a(view) or b(view)

        def any_of(view: _View) -> bool:
            for p in preds:  # noqa: SIM110 - explicit loop: no generator in the hot path
                if p(view):
                    return True
            return False

        return any_of


class _Builder:
    """Turns a pySigma condition tree into a predicate tree for one rule."""

    def __init__(self, logsource: LogSource, fieldmap: FieldMap) -> None:
        self.logsource = logsource
        self.fieldmap = fieldmap
        self._keys: dict[str, tuple[FieldKey, ...]] = {}

    def keys(self, field: str) -> tuple[FieldKey, ...]:
        keys = self._keys.get(field)
        if keys is None:
            names = self.fieldmap.candidates(self.logsource, field)
            keys = self._keys[field] = tuple((n, n.lower()) for n in names)
        return keys

    def tolerant_fields(self) -> dict[str, bool]:
        return {
            field: any(self.fieldmap.is_percent_decoded(name) for name, _ in keys)
            for field, keys in self._keys.items()
        }

    def node(self, cond: object) -> _Node:
        if isinstance(cond, ConditionAND):
            return _AndOr([self.node(a) for a in cond.args], is_and=True)
        if isinstance(cond, ConditionOR):
            return _AndOr([self.node(a) for a in cond.args], is_and=False)
        if isinstance(cond, ConditionNOT):
            if len(cond.args) != 1:
                raise RuleCompileError("malformed 'not' in condition")
            return _Not(self.node(cond.args[0]))
        if isinstance(cond, ConditionFieldEqualsValueExpression):
            return self.field_node(cond.field, cond.value)
        if isinstance(cond, ConditionValueExpression):
            return _Values(None, _keyword_tests(cond.value))
        raise RuleCompileError(f"unsupported condition element {type(cond).__name__}")

    def field_node(self, field: str, value: SigmaType) -> _Node:
        keys = self.keys(field)
        if isinstance(value, SigmaNull):
            return _Special(_null_pred(keys))
        if isinstance(value, SigmaExists):
            pred = _exists_pred(keys)
            return _Special(pred if value.exists else (lambda view: not pred(view)))
        if isinstance(value, SigmaFieldReference):
            return _Special(_fieldref_pred(keys, self.keys(value.field), value), cost=3)
        return _Values(keys, _field_tests(value))


def _null_pred(keys: tuple[FieldKey, ...]) -> Pred:
    def pred(view: _View) -> bool:
        for name, lname in keys:
            value = view.get(name, lname)
            if value:
                return False
        return True

    return pred


def _exists_pred(keys: tuple[FieldKey, ...]) -> Pred:
    def pred(view: _View) -> bool:
        for name, lname in keys:  # noqa: SIM110 - explicit loop: no generator in the hot path
            if view.get(name, lname) is not None:
                return True
        return False

    return pred


def _fieldref_pred(
    keys: tuple[FieldKey, ...], ref_keys: tuple[FieldKey, ...], ref: SigmaFieldReference
) -> Pred:
    if ref.starts_with and ref.ends_with:
        compare: Callable[[str, str], bool] = lambda v, r: r in v  # noqa: E731
    elif ref.starts_with:
        compare = lambda v, r: v.startswith(r)  # noqa: E731
    elif ref.ends_with:
        compare = lambda v, r: v.endswith(r)  # noqa: E731
    else:
        compare = operator.eq

    def pred(view: _View) -> bool:
        for rname, rlname in ref_keys:
            other = view.low(rname, rlname)
            if other is None:
                continue
            for name, lname in keys:
                value = view.low(name, lname)
                if value is not None and compare(value, other):
                    return True
        return False

    return pred


# ---------------------------------------------------------------------------------------------
# Metadata


_CVE = re.compile(r"(\d{4})[.-](\d{4,})")
_TECHNIQUE = re.compile(r"t\d{4}(?:\.\d{3})?", re.IGNORECASE)


def rule_logsource(rule: SigmaRule) -> LogSource:
    """The rule's logsource as lekdicht's LogSource (lower-cased)."""
    ls = rule.logsource

    def norm(value: Any) -> str | None:
        return str(value).lower() if value else None

    return LogSource(product=norm(ls.product), category=norm(ls.category), service=norm(ls.service))


def rule_identifier(rule: SigmaRule) -> str:
    """The id shown in findings: the Sigma ``name`` if set, else the ``id``, else the title.

    lekdicht's own rules carry a short ``name`` (``PL1-ssrf-serverinfo``) next to their UUID.
    """
    if isinstance(rule.name, str) and rule.name:
        return rule.name
    return str(rule.id) if rule.id is not None else str(rule.title or "")


def _severity(rule: SigmaRule) -> Severity:
    if rule.level is None:
        return Severity.MEDIUM
    try:
        return Severity(str(rule.level).lower())
    except ValueError:
        return Severity.MEDIUM


def _verdict(rule: SigmaRule, severity: Severity) -> Verdict:
    raw = rule.custom_attributes.get("verdict")
    if raw is None:
        if severity in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM):
            return Verdict.SUSPICIOUS
        return Verdict.INFO
    try:
        return Verdict(str(raw).strip().lower())
    except ValueError:
        allowed = "|".join(v.value for v in Verdict)
        raise RuleCompileError(f"invalid verdict {raw!r} (expected {allowed})") from None


def _corroboration(rule: SigmaRule) -> bool:
    raw = rule.custom_attributes.get("requires_corroboration", False)
    if not isinstance(raw, bool):
        raise RuleCompileError(f"requires_corroboration must be true or false, not {raw!r}")
    return raw


def _tags(rule: SigmaRule) -> tuple[list[str], list[str], list[str]]:
    """(all tags, CVE ids, ATT&CK technique ids)."""
    tags: list[str] = []
    cves: list[str] = []
    attack: list[str] = []
    for tag in rule.tags:
        namespace = str(tag.namespace).lower()
        name = str(tag.name)
        tags.append(f"{namespace}.{name}")
        if namespace == "cve":
            m = _CVE.fullmatch(name)
            cve = f"CVE-{m.group(1)}-{m.group(2)}" if m else f"CVE-{name.upper()}"
            if cve not in cves:
                cves.append(cve)
        elif namespace == "attack" and _TECHNIQUE.fullmatch(name):
            technique = name.upper()
            if technique not in attack:
                attack.append(technique)
    return tags, cves, attack


def _text_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_conditions(rule: SigmaRule) -> list[Node | None]:
    """Parse every condition of the rule into a pySigma condition tree."""
    out: list[Node | None] = []
    for cond in rule.detection.parsed_condition:
        try:
            out.append(cond.parse())
        except SigmaError as exc:
            message = exc.args[0] if exc.args else str(exc)
            if "|" in cond.condition:
                raise RuleCompileError(
                    f"aggregation conditions (| count(), | near) are not supported: {cond.condition!r}"
                ) from exc
            raise RuleCompileError(f"invalid condition {cond.condition!r}: {message}") from exc
    return out


def compile_rule(rule: SigmaRule, source: str = "", fieldmap: FieldMap | None = None) -> CompiledRule:
    """Compile a parsed Sigma rule; raises :class:`RuleCompileError` for unsupported rules."""
    fieldmap = fieldmap or default_fieldmap()
    logsource = rule_logsource(rule)
    severity = _severity(rule)
    verdict = _verdict(rule, severity)
    corroboration = _corroboration(rule)
    conditions = parse_conditions(rule)
    if not conditions or all(c is None for c in conditions):
        raise RuleCompileError("the condition selects no detection")

    builder = _Builder(logsource, fieldmap)
    nodes = [builder.node(c) for c in conditions if c is not None]
    root = nodes[0] if len(nodes) == 1 else _AndOr(nodes, is_and=False)
    pred = root.build()

    def matcher(record: LogRecord) -> bool:
        return pred(_view_of(record))

    tolerant = builder.tolerant_fields()
    literals = derive_all(conditions, tolerant)
    requirements = derive_requirements(conditions, tolerant) if literals is not None else None
    tags, cves, attack = _tags(rule)
    return CompiledRule(
        id=rule_identifier(rule),
        title=str(rule.title or rule_identifier(rule)),
        logsource=logsource,
        level=severity,
        verdict=verdict,
        matcher=matcher,
        literals=literals,
        description=str(rule.description or ""),
        cves=cves,
        attack=attack,
        references=_text_list(rule.references),
        tags=tags,
        source=source,
        requires_corroboration=corroboration,
        requirements=requirements,
    )
