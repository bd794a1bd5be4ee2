"""Interim-mitigation check on IIS configuration files (web.config, applicationHost.config).

Mitigation definitions are data (``data/mitigations.yaml``). Rules are recognised by behaviour:
each definition lists synthetic request shapes that a strong rule must stop, and the rules' own
regular expressions are evaluated against them locally (nothing is sent anywhere). Known earlier,
bypassable variants (ProxyNotShell 2022-09-30 .. 2022-10-06) are named with the reason.

XML is parsed with defusedxml; a file that cannot be parsed gives one ``error`` result.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lekdicht.model import format_time
from lekdicht.versions.builds import BuildParseError, lookup_build, parse_build
from lekdicht.versions.exposure import FIXED, FIXED_CONFIG, NOT_AFFECTED, VULNERABLE, assess_build

__all__ = [
    "MITIGATION_STATUSES",
    "MitigationStatus",
    "check_mitigations",
    "combine_mitigations",
    "mitigation_definitions",
]

STRONG = "present_strong"
WEAK = "present_weak"
MISSING = "missing"
ERROR = "error"
MITIGATION_STATUSES = (STRONG, WEAK, MISSING, ERROR)
_RANK = {STRONG: 0, WEAK: 1, MISSING: 2, ERROR: 3}


@cache
def mitigation_definitions() -> list[dict[str, Any]]:
    """The mitigation definitions from ``data/mitigations.yaml``."""
    ref = resources.files("lekdicht.versions").joinpath("data", "mitigations.yaml")
    loaded = yaml.safe_load(ref.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = loaded["mitigations"]
    return items


@dataclass(slots=True)
class MitigationStatus:
    """State of one mitigation in one configuration file."""

    mitigation_id: str
    title: str
    cves: list[str]
    status: str
    """``present_strong``, ``present_weak``, ``missing`` or ``error``."""
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    source: str = ""
    location: str | None = None
    notes: list[str] = field(default_factory=list)
    clears_inherited: bool = False
    """True when this file clears or removes inherited rewrite rules somewhere."""

    def to_json(self) -> dict[str, Any]:
        return {
            "mitigation_id": self.mitigation_id,
            "title": self.title,
            "cves": list(self.cves),
            "status": self.status,
            "reasons": list(self.reasons),
            "rules": list(self.rules),
            "source": self.source,
            "location": self.location,
            "notes": list(self.notes),
            "clears_inherited": self.clears_inherited,
        }


# --- parsed configuration ---------------------------------------------------------------------


@dataclass(slots=True)
class _Cond:
    input: str
    pattern: str
    negate: bool
    ignore_case: bool
    match_type: str


@dataclass(slots=True)
class _Rule:
    name: str
    enabled: bool
    stop_processing: bool
    pattern_syntax: str
    match_url: str | None
    match_variable: str | None
    match_pattern: str | None
    match_negate: bool
    match_ignore_case: bool
    grouping: str
    conditions: list[_Cond]
    action_type: str
    action_value: str
    action_status: str
    precondition: str | None


@dataclass(slots=True)
class _RuleSet:
    location: str | None
    collection: str
    rules: list[_Rule] = field(default_factory=list)
    clears: bool = False
    removed: list[str] = field(default_factory=list)
    preconditions: dict[str, tuple[str, str, list[_Cond]]] = field(default_factory=dict)


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _conds(elem: ET.Element | None) -> list[_Cond]:
    if elem is None:
        return []
    return [
        _Cond(
            input=c.get("input", ""),
            pattern=c.get("pattern", ""),
            negate=_bool(c.get("negate"), False),
            ignore_case=_bool(c.get("ignoreCase"), True),
            match_type=c.get("matchType", "Pattern"),
        )
        for c in elem
        if _local(c.tag) == "add"
    ]


def _rule(elem: ET.Element, syntax_default: str) -> _Rule:
    match = next((c for c in elem if _local(c.tag) == "match"), None)
    conds = next((c for c in elem if _local(c.tag) == "conditions"), None)
    action = next((c for c in elem if _local(c.tag) == "action"), None)
    return _Rule(
        name=elem.get("name", ""),
        enabled=_bool(elem.get("enabled"), True),
        stop_processing=_bool(elem.get("stopProcessing"), False),
        pattern_syntax=elem.get("patternSyntax", syntax_default),
        match_url=match.get("url") if match is not None else None,
        match_variable=match.get("serverVariable") if match is not None else None,
        match_pattern=match.get("pattern") if match is not None else None,
        match_negate=_bool(match.get("negate") if match is not None else None, False),
        match_ignore_case=_bool(match.get("ignoreCase") if match is not None else None, True),
        grouping=(conds.get("logicalGrouping", "MatchAll") if conds is not None else "MatchAll"),
        conditions=_conds(conds),
        action_type=(action.get("type", "") if action is not None else ""),
        action_value=(action.get("value", "") if action is not None else ""),
        action_status=(action.get("statusCode", "") if action is not None else ""),
        precondition=elem.get("preCondition"),
    )


def _collect(root: ET.Element) -> tuple[list[_RuleSet], ET.Element | None]:
    sets: list[_RuleSet] = []
    pools: ET.Element | None = None

    def walk(elem: ET.Element, location: str | None) -> None:
        nonlocal pools
        for child in elem:
            tag = _local(child.tag)
            if tag == "location":
                walk(child, child.get("path", ""))
            elif tag == "applicationPools" and pools is None:
                pools = child
            elif tag == "rewrite":
                for coll in child:
                    ctag = _local(coll.tag)
                    if ctag not in ("rules", "globalRules", "outboundRules"):
                        continue
                    rs = _RuleSet(location=location, collection=ctag)
                    for item in coll:
                        itag = _local(item.tag)
                        if itag == "rule":
                            rs.rules.append(_rule(item, "ECMAScript"))
                        elif itag == "clear":
                            rs.clears = True
                        elif itag == "remove":
                            rs.removed.append(item.get("name", ""))
                        elif itag == "preConditions":
                            for pc in item:
                                if _local(pc.tag) == "preCondition":
                                    rs.preconditions[pc.get("name", "")] = (
                                        pc.get("logicalGrouping", "MatchAll"),
                                        pc.get("patternSyntax", "ECMAScript"),
                                        _conds(pc),
                                    )
                    sets.append(rs)
            else:
                walk(child, location)

    walk(root, None)
    return sets, pools


# --- evaluation of rules against synthetic samples --------------------------------------------

_FUNCS: dict[str, Callable[[str], str]] = {
    "urldecode": unquote,
    "tolower": str.lower,
}


def _resolve(template: str, variables: dict[str, str]) -> tuple[str, bool]:
    """Expand ``{VAR}`` and ``{Func:...}`` in a condition input; returns (value, fully_known)."""
    out: list[str] = []
    known = True
    i = 0
    while i < len(template):
        ch = template[i]
        if ch != "{":
            out.append(ch)
            i += 1
            continue
        depth, j = 0, i
        while j < len(template):
            if template[j] == "{":
                depth += 1
            elif template[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = template[i + 1 : j]
        i = j + 1
        head, sep, rest = inner.partition(":")
        func = _FUNCS.get(head.strip().lower()) if sep else None
        if func is not None:
            value, ok = _resolve(rest.strip(), variables)
            out.append(func(value))
            known = known and ok
        else:
            name = inner.strip().upper()
            if name in variables:
                out.append(variables[name])
            else:
                known = False
    return "".join(out), known


def _norm_input(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _matches(pattern: str, text: str, syntax: str, ignore_case: bool) -> bool:
    syntax_l = syntax.lower()
    if syntax_l == "exactmatch":
        return text.lower() == pattern.lower() if ignore_case else text == pattern
    if syntax_l == "wildcard":
        rx = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
        return re.search(rx, text, re.I if ignore_case else 0) is not None
    try:
        return re.search(pattern, text, re.I if ignore_case else 0) is not None
    except re.error:
        return False


def _variables(sample: dict[str, str]) -> dict[str, str]:
    uri = sample.get("uri", "/")
    path, _, query = uri.partition("?")
    return {
        "REQUEST_URI": uri,
        "UNENCODED_URL": uri,
        "HTTP_URL": uri,
        "URL": unquote(path),
        "PATH_INFO": unquote(path),
        "QUERY_STRING": query,
        "HTTP_COOKIE": sample.get("cookie", ""),
        "HTTP_HOST": "mail.example.org",
        "HTTPS": "on",
        "RESPONSE_CONTENT_TYPE": sample.get("content_type", ""),
    }


def _conditions_hold(conds: list[_Cond], grouping: str, syntax: str, variables: dict[str, str]) -> bool:
    results = []
    for c in conds:
        if c.match_type.lower() != "pattern":
            results.append(False)
            continue
        value, _known = _resolve(c.input, variables)
        hit = _matches(c.pattern, value, syntax, c.ignore_case)
        results.append(hit != c.negate)
    if not results:
        return True
    return any(results) if grouping.lower() == "matchany" else all(results)


def _rule_matches(rule: _Rule, sample: dict[str, str], syntax: str | None = None) -> bool:
    variables = _variables(sample)
    syn = syntax or rule.pattern_syntax
    path = unquote(sample.get("uri", "/").partition("?")[0]).lstrip("/")
    url_pattern = rule.match_url if rule.match_url is not None else ".*"
    url_hit = _matches(url_pattern, path, syn, rule.match_ignore_case) != rule.match_negate
    return url_hit and _conditions_hold(rule.conditions, rule.grouping, syn, variables)


def _blocking(rule: _Rule) -> bool:
    t = rule.action_type.lower()
    if t == "abortrequest":
        return True
    if t == "customresponse":
        try:
            return int(rule.action_status or "403") >= 400
        except ValueError:
            return False
    return False


def _pipeline_blocks(rules: list[_Rule], sample: dict[str, str]) -> _Rule | None:
    """The rule that stops ``sample`` in an IIS-like pass over ``rules``, or None."""
    for rule in rules:
        if not rule.enabled or not _rule_matches(rule, sample):
            continue
        if _blocking(rule):
            return rule
        if rule.stop_processing or rule.action_type.lower() == "redirect":
            return None
    return None


def _relaxed_hits(rule: _Rule, samples: list[dict[str, str]]) -> int:
    """How many samples the rule would stop if it were enabled, blocking and a regular expression."""
    return sum(1 for s in samples if _rule_matches(rule, s, "ECMAScript") or _rule_matches(rule, s))


def _in_scope(location: str | None, scope: list[str]) -> bool:
    if location is None or not scope:
        return True
    loc = location.strip("/").replace("\\", "/").lower()
    return any(loc == s.strip("/").lower() for s in scope)


def _status(
    defn: dict[str, Any], status: str, reasons: list[str], rules: list[str], source: str, location: str | None
) -> MitigationStatus:
    return MitigationStatus(
        mitigation_id=str(defn["id"]),
        title=str(defn["title"]),
        cves=list(defn["cves"]),
        status=status,
        reasons=reasons,
        rules=rules,
        source=source,
        location=location,
    )


def _check_component(
    comp: dict[str, Any], defn: dict[str, Any], rs: _RuleSet
) -> tuple[str, list[str], list[str]]:
    samples: list[dict[str, str]] = comp["must_block"]
    expected: dict[str, Any] = comp.get("expected", {})
    names = {n.lower() for n in comp.get("names", [])}
    patterns = {str(expected.get("pattern", ""))} | {str(v["pattern"]) for v in defn.get("variants", [])}
    candidates = [
        r
        for r in rs.rules
        if _relaxed_hits(r, samples) > 0
        or r.name.lower() in names
        or any(c.pattern in patterns for c in r.conditions)
    ]
    if not candidates:
        return MISSING, [], []
    reasons: list[str] = []
    blocked_by = [_pipeline_blocks(rs.rules, s) for s in samples]
    for sample, by in zip(samples, blocked_by, strict=True):
        if by is None:
            reasons.append(f"does not stop {sample['why']}")
    enabled_rules = [r for r in rs.rules if r.enabled]
    for cand in candidates:
        label = f"rule '{cand.name}'"
        if not cand.enabled:
            reasons.append(f"{label} is disabled")
        if not _blocking(cand):
            action = cand.action_type or "none"
            reasons.append(f"{label} has action {action}, not AbortRequest or CustomResponse")
        if cand.pattern_syntax.lower() != "ecmascript":
            syntax = cand.pattern_syntax
            reasons.append(f"{label} uses patternSyntax {syntax}, so its regular expression is not applied")
        if cand.match_url not in (None, ".*") and any(b is None for b in blocked_by):
            reasons.append(f"{label} only matches URLs '{cand.match_url}'")
        if any(c.negate for c in cand.conditions):
            reasons.append(f"{label} negates its condition")
        if (
            comp.get("require_stop_processing")
            and cand.enabled
            and not cand.stop_processing
            and len(enabled_rules) > 1
        ):
            reasons.append(f"{label} has stopProcessing=false (Microsoft's rule stops processing)")
        for cond in cand.conditions:
            for variant in defn.get("variants", []):
                same_input = _norm_input(cond.input) == _norm_input(str(variant["input"]))
                if same_input and cond.pattern == variant["pattern"]:
                    reasons.append(f"{label} is a known earlier variant: {variant['weakness']}")
                    break
            else:
                note = defn.get("input_notes", {}).get(cond.input.replace(" ", ""))
                if note and _norm_input(cond.input) != _norm_input(str(expected.get("input", ""))):
                    reasons.append(f"{label}: {note}")
    if not _in_scope(rs.location, defn.get("scope", [])):
        reasons.append(f"rules at location '{rs.location}' do not cover the whole site")
    names_out = [r.name for r in candidates]
    reasons = list(dict.fromkeys(reasons))
    return (STRONG if not reasons else WEAK), reasons, names_out


def _check_inbound(defn: dict[str, Any], sets: list[_RuleSet], source: str) -> MitigationStatus:
    best: MitigationStatus | None = None
    inbound = [rs for rs in sets if rs.collection in ("rules", "globalRules")]
    for rs in inbound:
        statuses: list[str] = []
        reasons: list[str] = []
        rules: list[str] = []
        for comp in defn["components"]:
            st, rs_reasons, names = _check_component(comp, defn, rs)
            statuses.append(st)
            if st == MISSING:
                rs_reasons = [f"no rule for {comp.get('title', comp['id'])}"]
            reasons += rs_reasons
            rules += names
        if all(s == MISSING for s in statuses):
            overall = MISSING
            reasons = []
        elif all(s == STRONG for s in statuses):
            overall = STRONG
        else:
            overall = WEAK
        cand = _status(defn, overall, reasons, rules, source, rs.location)
        if best is None or _RANK[cand.status] < _RANK[best.status]:
            best = cand
    if best is None:
        best = _status(defn, MISSING, [], [], source, None)
    if best.status == MISSING:
        best.reasons = ["no URL Rewrite rule in this file stops the request shapes this mitigation blocks"]
    return best


def _check_outbound(defn: dict[str, Any], sets: list[_RuleSet], source: str) -> MitigationStatus:
    variable = str(defn["server_variable"]).lower()
    needle = re.sub(r"\s+", " ", str(defn["value_contains"])).lower()
    best: MitigationStatus | None = None
    for rs in (s for s in sets if s.collection == "outboundRules"):
        for rule in rs.rules:
            if (rule.match_variable or "").lower() != variable:
                continue
            if needle not in re.sub(r"\s+", " ", rule.action_value).lower():
                continue
            reasons: list[str] = []
            notes: list[str] = []
            label = f"rule '{rule.name}'"
            if not rule.enabled:
                reasons.append(f"{label} is disabled (re-enable it)")
            if rule.action_type.lower() != "rewrite":
                reasons.append(f"{label} has action {rule.action_type or 'none'}, not Rewrite")
            if "{r:1}" not in rule.action_value.lower():
                notes.append(f"{label} replaces any existing Content-Security-Policy instead of adding to it")
            if rule.precondition:
                pc = rs.preconditions.get(rule.precondition)
                if pc is None:
                    reasons.append(f"{label} refers to undefined precondition '{rule.precondition}'")
                else:
                    grouping, syntax, conds = pc
                    for sample in defn.get("must_apply", []):
                        if not _conditions_hold(conds, grouping, syntax, _variables(sample)):
                            reasons.append(f"{label} does not apply to {sample['why']}")
            if not _in_scope(rs.location, defn.get("scope", [])):
                notes.append(f"rule is at location '{rs.location}', expected the /owa application")
            cand = _status(defn, STRONG if not reasons else WEAK, reasons, [rule.name], source, rs.location)
            cand.notes += notes
            if best is None or _RANK[cand.status] < _RANK[best.status]:
                best = cand
    if best is None:
        best = _status(defn, MISSING, ["no outbound rule adds the CSP directive"], [], source, None)
    return best


def _check_pool(defn: dict[str, Any], pools: ET.Element, source: str) -> MitigationStatus:
    name = str(defn["app_pool"]).lower()
    entry = next((p for p in pools if _local(p.tag) == "add" and p.get("name", "").lower() == name), None)
    if entry is None:
        reason = f"application pool {defn['app_pool']} is not defined in this file"
        return _status(defn, MISSING, [reason], [], source, None)
    auto = entry.get("autoStart")
    mode = entry.get("startMode")
    if auto is not None and auto.strip().lower() == "false":
        st = _status(defn, STRONG, [], [str(defn["app_pool"])], source, None)
        if (mode or "").lower() != "ondemand":
            st.notes.append("startMode is not OnDemand (Microsoft's script also set it)")
        return st
    if (mode or "").lower() == "ondemand":
        reason = "startMode is OnDemand but autoStart is not false: the pool starts on the next request"
        return _status(defn, WEAK, [reason], [str(defn["app_pool"])], source, None)
    return _status(defn, MISSING, [f"{defn['app_pool']} starts normally"], [], source, None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def check_mitigations(
    config_xml: bytes,
    source: str,
    installed_build: str | None = None,
    config_mtime: datetime | None = None,
    *,
    cu_installed_at: datetime | None = None,
) -> list[MitigationStatus]:
    """Check one IIS configuration file for every mitigation in ``mitigations.yaml``.

    App-pool mitigations are only reported for files that define application pools
    (applicationHost.config). ``installed_build`` adds notes on whether the code fix makes a
    mitigation unnecessary and on rules older than the installed CU (with ``config_mtime``, or
    ``cu_installed_at`` when the patch history knows when the CU went in).
    """
    try:
        root = fromstring(config_xml, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        return [
            MitigationStatus(
                mitigation_id="config",
                title="IIS configuration file",
                cves=[],
                status=ERROR,
                reasons=[f"cannot parse {source} as XML: {type(exc).__name__}: {exc}"],
                source=source,
            )
        ]
    sets, pools = _collect(root)
    clears = [rs for rs in sets if rs.collection in ("rules", "globalRules") and (rs.clears or rs.removed)]
    out: list[MitigationStatus] = []
    for defn in mitigation_definitions():
        kind = defn["kind"]
        if kind == "inbound_rules":
            st = _check_inbound(defn, sets, source)
        elif kind == "outbound_csp":
            st = _check_outbound(defn, sets, source)
        elif kind == "app_pool_stopped":
            if pools is None:
                continue
            st = _check_pool(defn, pools, source)
        else:
            continue
        if kind == "inbound_rules" and clears:
            st.clears_inherited = True
            for rs in clears:
                where = rs.location or "this level"
                what = (
                    "clears all inherited rewrite rules"
                    if rs.clears
                    else "removes rules " + ", ".join(rs.removed)
                )
                st.notes.append(f"{source} {what} at {where}: rules from the site root do not apply there")
        if defn.get("note") and st.status in (STRONG, WEAK):
            st.notes.append(str(defn["note"]).strip())
        out.append(st)
    if installed_build:
        _build_notes(out, installed_build, config_mtime, cu_installed_at, source)
    return out


def _build_notes(
    statuses: list[MitigationStatus],
    installed_build: str,
    config_mtime: datetime | None,
    cu_installed_at: datetime | None,
    source: str,
) -> None:
    try:
        build = parse_build(installed_build)
        assessment = assess_build(build)
    except BuildParseError as exc:
        for st in statuses:
            st.notes.append(f"installed build not usable: {exc}")
        return
    info = lookup_build(build)
    line = info.line
    for st in statuses:
        if st.status == ERROR:
            continue
        cve_states = [assessment.status_of(c) for c in st.cves]
        if cve_states and all(s in (FIXED, FIXED_CONFIG, NOT_AFFECTED) for s in cve_states):
            if st.status in (STRONG, WEAK):
                st.notes.append(
                    f"the installed build {build} contains the code fix; the interim mitigation is no longer "
                    "needed (Microsoft advises rolling it back)"
                )
        elif VULNERABLE in cve_states and st.status in (MISSING, WEAK):
            st.notes.append(f"the installed build {build} is vulnerable to {', '.join(st.cves)}")
        if st.status not in (STRONG, WEAK) or config_mtime is None:
            continue
        mtime = _aware(config_mtime)
        if cu_installed_at is not None and mtime < _aware(cu_installed_at):
            st.notes.append(
                f"{source} was last modified {format_time(mtime)}, before the CU install at "
                f"{format_time(_aware(cu_installed_at))}: CU setup removes URL Rewrite rules, so check that "
                "this copy is the live configuration and re-apply the mitigation if needed"
            )
        elif line is not None and line.release_date is not None and mtime.date() < line.release_date:
            st.notes.append(
                f"the rule is older than the installed CU: {source} was last modified "
                f"{mtime.date().isoformat()}, "
                f"before {line.name} was released ({line.release_date.isoformat()}); CU setup removes URL "
                "Rewrite rules, so check that this copy is the live configuration"
            )


def combine_mitigations(results: Iterable[list[MitigationStatus]]) -> list[MitigationStatus]:
    """Best status per mitigation over several configuration files of one server.

    A strong rule at the site root is downgraded to weak when another file clears or removes the
    inherited rewrite rules (HealthChecker's check for vdir web.config files).
    """
    best: dict[str, MitigationStatus] = {}
    clearing: list[MitigationStatus] = []
    order: list[str] = []
    for per_file in results:
        for st in per_file:
            if st.mitigation_id not in order:
                order.append(st.mitigation_id)
            if st.clears_inherited:
                clearing.append(st)
            known = best.get(st.mitigation_id)
            if known is None or _RANK[st.status] < _RANK[known.status]:
                best[st.mitigation_id] = st
    out: list[MitigationStatus] = []
    for mid in order:
        st = best[mid]
        others = [c for c in clearing if c.mitigation_id == mid and c.source != st.source]
        if st.status == STRONG and others:
            st = replace(
                st,
                status=WEAK,
                reasons=st.reasons
                + [f"{o.source} clears or removes inherited rewrite rules" for o in others],
            )
        out.append(st)
    return out
