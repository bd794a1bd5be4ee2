"""Plan and make the URL Rewrite change in an IIS configuration file, preserving its text.

The file is validated with defusedxml, then edited on the raw text (:mod:`.xmltext`): our rules
are spliced in with the file's own indentation and line endings, and every other byte stays
where it was. Our rules carry Microsoft's exact names (``X-AnonResource-Backend Abort - inbound``,
``X-BEResource Abort - inbound``, ``PowerShell - inbound``, ``EOMT OWA CSP - outbound``) and are
preceded by a ``<!-- lekdicht interim mitigation ... -->`` comment, so rollback can take out ours
and only ours.

Placement:

* a site's ``web.config``: the top-level ``<system.webServer>`` (never inside a
  ``<location inheritInChildApplications="false">``, which the Exchange applications would not
  inherit), created when absent;
* ``applicationHost.config``: ``<location path="Default Web Site">`` (``--site``), and for the
  OWA rule ``<location path="Default Web Site/owa">``, created when absent.

Inbound rules go first in ``<rules>`` (after any ``<clear/>``/``<remove/>``) so no earlier rule
can stop processing before them. A rule with our exact name that is not strong is replaced in
place; the original text is kept for rollback.
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lekdicht.mitigate.catalog import Interim, interim_catalog, interim_data
from lekdicht.mitigate.xmltext import ConfigText, Node, XmlRefused, escape_attr, load_config_text
from lekdicht.versions.mitigations import MitigationStatus, check_mitigations

__all__ = [
    "DEFAULT_SITE",
    "MARKER",
    "Change",
    "EditPlan",
    "RemovalResult",
    "plan_edit",
    "remove_ours",
]

DEFAULT_SITE = "Default Web Site"
MARKER = "lekdicht interim mitigation"
STRONG = "present_strong"
_REWRITE_PATH = ("system.webServer", "rewrite")


@dataclass(slots=True)
class X:
    """An element (or, with ``comment``, a comment) to write."""

    tag: str
    attrs: list[tuple[str, str]] = field(default_factory=list)
    children: list[X] = field(default_factory=list)
    comment: str | None = None


def render(x: X, unit: str) -> list[str]:
    """Lines of ``x`` relative to its own indentation."""
    if x.comment is not None:
        return [f"<!-- {x.comment} -->"]
    attrs = "".join(f' {k}="{escape_attr(v)}"' for k, v in x.attrs)
    if not x.children:
        return [f"<{x.tag}{attrs} />"]
    lines = [f"<{x.tag}{attrs}>"]
    for c in x.children:
        lines += [unit + line for line in render(c, unit)]
    lines.append(f"</{x.tag}>")
    return lines


def _marker(mitigation_id: str) -> X:
    return X("", comment=f"{MARKER} {mitigation_id}: remove with 'lekdicht mitigate rollback'")


@dataclass(slots=True)
class _Item:
    mitigation_id: str
    container: str | None
    path: tuple[str, ...]
    tag: str
    name: str
    spec: X
    at_start: bool


def _inbound_specs(interim: Interim) -> list[tuple[str, X]]:
    out: list[tuple[str, X]] = []
    for comp in interim.definition["components"]:
        exp: dict[str, Any] = comp["expected"]
        name = str(comp["names"][0])
        spec = X(
            "rule",
            [("name", name), ("stopProcessing", "true" if exp.get("stop_processing") else "false")],
            [
                X("match", [("url", str(exp.get("match_url", ".*")))]),
                X(
                    "conditions",
                    [],
                    [X("add", [("input", str(exp["input"])), ("pattern", str(exp["pattern"]))])],
                ),
                X("action", [("type", str(exp.get("action", "AbortRequest")))]),
            ],
        )
        out.append((name, spec))
    return out


def _outbound_specs(interim: Interim) -> tuple[list[tuple[str, X]], tuple[str, X]]:
    d: dict[str, Any] = interim_data()["outbound"][interim.id]
    pres: list[tuple[str, X]] = []
    for pc in d["preconditions"]:
        attrs = [("name", str(pc["name"]))]
        attrs += [(k, str(pc[k])) for k in ("logicalGrouping", "patternSyntax") if k in pc]
        adds = [
            X("add", [("input", str(c["input"])), ("pattern", str(c["pattern"]))]) for c in pc["conditions"]
        ]
        pres.append((str(pc["name"]), X("preCondition", attrs, adds)))
    r = d["rule"]
    rule = X(
        "rule",
        [("name", str(r["name"])), ("preCondition", str(r["preCondition"]))],
        [
            X("match", [(k, str(v)) for k, v in r["match"].items()]),
            X("action", [(k, str(v)) for k, v in r["action"].items()]),
        ],
    )
    return pres, (str(r["name"]), rule)


def _items(interim: Interim, apphost: bool, site: str) -> list[_Item]:
    coll = (*_REWRITE_PATH, "rules")
    out_coll = (*_REWRITE_PATH, "outboundRules")
    if interim.kind == "inbound_rules":
        container = site if apphost else None
        return [
            _Item(interim.id, container, coll, "rule", name, spec, True)
            for name, spec in _inbound_specs(interim)
        ]
    app = str(interim_data()["outbound"][interim.id].get("application", "owa"))
    container = f"{site}/{app}" if apphost else None
    pres, (rname, rule) = _outbound_specs(interim)
    items = [_Item(interim.id, container, out_coll, "rule", rname, rule, True)]
    items += [
        _Item(interim.id, container, (*out_coll, "preConditions"), "preCondition", n, s, False)
        for n, s in pres
    ]
    return items


# --- locating things in the text ---------------------------------------------------------------


def _norm_loc(path: str | None) -> str | None:
    return None if path is None else path.replace("\\", "/").strip().strip("/").lower()


def _container_of(node: Node) -> str | None:
    p = node.parent
    while p is not None:
        if p.name == "location":
            return p.get("path")
        p = p.parent
    return None


def _find_container(ct: ConfigText, container: str | None) -> Node | None:
    if container is None:
        return ct.root
    want = _norm_loc(container)
    locs = [n for n in ct.root.kids("location") if _norm_loc(n.get("path")) == want]
    if not locs:
        return None

    def score(n: Node) -> int:
        sws = n.kids("system.webServer")
        if sws and any(r.kids("rules") or r.kids("outboundRules") for r in sws[0].kids("rewrite")):
            return 0
        return 1 if sws else 2

    return min(locs, key=score)


def _descend(node: Node | None, path: Sequence[str]) -> Node | None:
    for tag in path:
        if node is None:
            return None
        found = node.kids(tag)
        if len(found) > 1:
            raise XmlRefused(
                f"<{node.name}> contains {len(found)} <{tag}> elements; refusing to guess which one"
            )
        node = found[0] if found else None
    return node


def _in_rewrite(node: Node) -> bool:
    p = node.parent
    while p is not None:
        if p.name == "rewrite":
            return True
        p = p.parent
    return False


def _where(node: Node) -> str:
    chain: list[str] = []
    p: Node | None = node.parent
    while p is not None and p.parent is not None:
        chain.append(f'location path="{p.get("path")}"' if p.name == "location" else p.name)
        p = p.parent
    return "/".join(reversed(chain)) or "configuration"


def _same_named(ct: ConfigText, tag: str, name: str, collection: str | None = None) -> list[Node]:
    """Elements ``<tag name=name>`` inside rewrite sections (optionally only in one collection)."""
    low = name.lower()
    return [
        n
        for n in ct.root.walk()
        if n.name == tag
        and n.get("name").lower() == low
        and _in_rewrite(n)
        and (collection is None or (n.parent is not None and n.parent.name == collection))
    ]


def _marker_before(text: str, pos: int) -> int | None:
    """Start of a lekdicht marker comment that directly precedes ``pos`` (only whitespace between)."""
    prev = text[:pos].rstrip()
    if not prev.endswith("-->"):
        return None
    start = prev.rfind("<!--")
    if start < 0 or MARKER not in prev[start:]:
        return None
    return start


def canonical(xml_text: str) -> str:
    """Canonical form of an element's text, whitespace between elements ignored."""
    try:
        return ET.canonicalize(xml_data=xml_text, strip_text=True)
    except ET.ParseError:
        return xml_text.strip()


# --- edits ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Edit:
    start: int
    end: int
    text: str


def _splice(text: str, edits: list[_Edit]) -> str:
    out = text
    last_start = len(text) + 1
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if e.end > last_start:
            raise XmlRefused("internal error: overlapping edits")
        out = out[: e.start] + e.text + out[e.end :]
        last_start = e.start
    return out


def _lines(xs: Sequence[X], unit: str) -> list[str]:
    out: list[str] = []
    for x in xs:
        out += render(x, unit)
    return out


def _fill(ct: ConfigText, node: Node, xs: Sequence[X]) -> _Edit:
    """Give an empty or self-closing element its first children."""
    nl, unit = ct.newline, ct.indent_unit()
    own = ct.indent_of(node.start) or ""
    ci = own + unit
    body = "".join(ci + line + nl for line in _lines(xs, unit))
    if node.self_closing:
        tag_text = ct.text[node.start : node.end]
        open_tag = tag_text[: tag_text.rfind("/")].rstrip() + ">"
        return _Edit(node.start, node.end, open_tag + nl + body + own + f"</{node.tag}>")
    return _Edit(node.start_end, node.end_start, nl + body + own)


def _insert_at_start(ct: ConfigText, node: Node, xs: Sequence[X]) -> _Edit:
    """Insert before the first child that is not ``<clear/>`` or ``<remove/>``."""
    nl, unit = ct.newline, ct.indent_unit()
    anchor = node.start_end
    for c in node.children:
        if c.name not in ("clear", "remove"):
            break
        anchor = c.end
    ci = ct.child_indent(node)
    lines = _lines(xs, unit)
    if ct.rest_of_line_blank(anchor) and ct.line_end(anchor) <= node.end_start:
        return _Edit(ct.line_end(anchor), ct.line_end(anchor), "".join(ci + line + nl for line in lines))
    tail = ct.text[anchor : node.end_start].strip()
    closing = (ct.indent_of(node.start) or "") if not tail else ci
    return _Edit(anchor, anchor, nl + nl.join(ci + line for line in lines) + nl + closing)


def _insert_at_end(ct: ConfigText, node: Node, xs: Sequence[X]) -> _Edit:
    """Insert after the last child, before the end tag."""
    nl, unit = ct.newline, ct.indent_unit()
    ci = ct.child_indent(node)
    lines = _lines(xs, unit)
    if ct.indent_of(node.end_start) is not None:
        pos = ct.line_start(node.end_start)
        return _Edit(pos, pos, "".join(ci + line + nl for line in lines))
    own = ct.indent_of(node.start) or ""
    return _Edit(node.end_start, node.end_start, nl + nl.join(ci + line for line in lines) + nl + own)


def _replace(ct: ConfigText, node: Node, xs: Sequence[X]) -> _Edit:
    """Replace ``node`` (its own span) with ``xs`` at the same indentation."""
    nl, unit = ct.newline, ct.indent_unit()
    ind = ct.indent_of(node.start) or ""
    lines = _lines(xs, unit)
    return _Edit(node.start, node.end, (nl + ind).join(lines))


@dataclass(slots=True)
class _Want:
    first: list[X] = field(default_factory=list)
    last: list[X] = field(default_factory=list)
    kids: dict[str, _Want] = field(default_factory=dict)

    def at(self, path: Sequence[str]) -> _Want:
        w = self
        for tag in path:
            w = w.kids.setdefault(tag, _Want())
        return w

    def empty(self) -> bool:
        return not self.first and not self.last and all(k.empty() for k in self.kids.values())


def _materialize(want: _Want) -> list[X]:
    return [*want.first, *(X(tag, [], _materialize(sub)) for tag, sub in want.kids.items()), *want.last]


def _created_paths(want: _Want, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for tag, sub in want.kids.items():
        yield (*prefix, tag)
        yield from _created_paths(sub, (*prefix, tag))


def _place(
    ct: ConfigText,
    node: Node,
    want: _Want,
    container: str | None,
    path: tuple[str, ...],
    edits: list[_Edit],
    created: list[dict[str, Any]],
) -> None:
    first = list(want.first)
    last = list(want.last)
    for tag, sub in want.kids.items():
        found = node.kids(tag)
        if len(found) > 1:
            raise XmlRefused(
                f"<{node.name}> contains {len(found)} <{tag}> elements; refusing to guess which one"
            )
        if found:
            _place(ct, found[0], sub, container, (*path, tag), edits, created)
        else:
            last.append(X(tag, [], _materialize(sub)))
            created.append({"container": container, "path": [*path, tag], "location": False})
            created += [
                {"container": container, "path": list(p), "location": False}
                for p in _created_paths(sub, (*path, tag))
            ]
    if not first and not last:
        return
    inner = ct.text[node.start_end : node.end_start] if not node.self_closing else ""
    if node.self_closing or (not node.children and inner.strip() == ""):
        if node.self_closing and path:
            created.append(
                {
                    "container": container,
                    "path": list(path),
                    "location": False,
                    "expanded_from": ct.text[node.start : node.end],
                }
            )
        edits.append(_fill(ct, node, first + last))
        return
    if first:
        edits.append(_insert_at_start(ct, node, first))
    if last:
        edits.append(_insert_at_end(ct, node, last))


# --- the plan ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Change:
    """What the plan does for one rule (or why it does nothing)."""

    mitigation_id: str
    action: str
    """``insert``, ``replace``, ``keep`` (already strong) or ``skip`` (cannot be done here)."""
    name: str
    where: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "mitigation_id": self.mitigation_id,
            "action": self.action,
            "name": self.name,
            "where": self.where,
            "detail": self.detail,
        }


@dataclass(slots=True)
class EditPlan:
    """The planned change to one configuration file and the checker's view before and after."""

    source: str
    config: ConfigText
    new_text: str
    targeted: list[str]
    changes: list[Change]
    records: list[dict[str, Any]]
    """Per rule written: mitigation_id, container, path, tag, name, xml, replaced (for rollback)."""
    created: list[dict[str, Any]]
    """Containers created (container, path, location) so rollback can remove them when empty."""
    before: list[MitigationStatus]
    after: list[MitigationStatus]
    problems: list[str]
    notes: list[str]
    apphost: bool

    @property
    def changed(self) -> bool:
        return self.new_text != self.config.text

    @property
    def new_bytes(self) -> bytes:
        return self.config.encode(self.new_text)

    def diff(self, label: str | None = None) -> str:
        """Unified diff of the change (empty when nothing changes)."""
        name = label or self.source
        lines = difflib.unified_diff(
            self.config.text.splitlines(),
            self.new_text.splitlines(),
            fromfile=name,
            tofile=f"{name} (after lekdicht mitigate apply)",
            lineterm="",
        )
        return "\n".join(lines)


def _rewrite_elements(root: ET.Element) -> list[str]:
    """Canonical text of every rule and preCondition inside a rewrite section, with its location."""
    out: list[str] = []

    def walk(elem: ET.Element, loc: str | None, in_rw: bool) -> None:
        for child in elem:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "location":
                walk(child, child.get("path", ""), in_rw)
            elif in_rw and tag in ("rule", "preCondition"):
                plain = ET.tostring(_without_ns(child), encoding="unicode")
                out.append(f"{_norm_loc(loc)}|{canonical(plain)}")
            else:
                walk(child, loc, in_rw or tag == "rewrite")

    walk(root, None, False)
    return out


def _without_ns(elem: ET.Element) -> ET.Element:
    """A copy of ``elem`` with namespace-free tags (a web.config may declare a default namespace)."""
    copy = ET.Element(elem.tag.rsplit("}", 1)[-1], dict(elem.attrib))
    copy.text, copy.tail = elem.text, None
    for child in elem:
        if isinstance(child.tag, str):
            sub = _without_ns(child)
            sub.tail = child.tail
            copy.append(sub)
    return copy


def _status(results: list[MitigationStatus], mid: str) -> MitigationStatus | None:
    return next((r for r in results if r.mitigation_id == mid), None)


def _own_reasons(st: MitigationStatus, own_names: set[str]) -> tuple[list[str], list[str]]:
    """Split checker reasons into (about our rules or the whole rule set, about other rules)."""
    ours: list[str] = []
    foreign: list[str] = []
    for reason in st.reasons:
        if reason.startswith("rule '") and not any(reason.startswith(f"rule '{n}'") for n in own_names):
            foreign.append(reason)
        else:
            ours.append(reason)
    return ours, foreign


def _keep_existing(ct: ConfigText, node: Node, item: _Item, siblings: list[_Item]) -> bool:
    """True when the existing same-named rule already does the job (with ours for the rest)."""
    unit = ct.indent_unit()
    if canonical(ct.text[node.start : node.end]) == canonical("\n".join(render(item.spec, unit))):
        return True
    if item.tag != "rule" or item.path[-1] != "rules":
        return False
    others = "".join("\n".join(render(s.spec, unit)) for s in siblings if s is not item)
    doc = (
        "<configuration><system.webServer><rewrite><rules>"
        + ct.text[node.start : node.end]
        + others
        + "</rules></rewrite></system.webServer></configuration>"
    )
    st = _status(check_mitigations(doc.encode("utf-8"), "candidate"), item.mitigation_id)
    return st is not None and st.status == STRONG


def _apphost_checks(ct: ConfigText, interim: Interim, site: str, problems: list[str]) -> bool:
    sites = _descend(ct.root, ("system.applicationHost", "sites"))
    names = {s.get("name").lower(): s for s in (sites.kids("site") if sites else [])}
    node = names.get(site.lower())
    if node is None:
        known = ", ".join(sorted(s.get("name") for s in names.values())) or "none"
        problems.append(
            f"site {site!r} is not defined in this applicationHost.config (sites: {known}); use --site"
        )
        return False
    groups = _descend(ct.root, ("configSections",))
    registered = False
    for sg in groups.kids("sectionGroup") if groups else []:
        if sg.get("name") == "system.webServer":
            registered = any(g.get("name") == "rewrite" for g in sg.kids("sectionGroup"))
    if not registered:
        problems.append(
            "the IIS URL Rewrite module is not installed (no system.webServer/rewrite section group in "
            "configSections): rewrite rules would make IIS answer every request with HTTP 500.19. Install "
            "URL Rewrite 2.1 first (2.0 on IIS 8.5 and older)"
        )
        return False
    if interim.kind == "outbound_csp":
        app = "/" + str(interim_data()["outbound"][interim.id].get("application", "owa")).strip("/").lower()
        if not any(a.get("path").rstrip("/").lower() == app for a in node.kids("application")):
            problems.append(
                f"site {site!r} has no {app} application in this applicationHost.config; put the "
                f"{interim.title} into the {app} application's web.config instead"
            )
            return False
    return True


def _refuse_external(ct: ConfigText, container_nodes: list[Node]) -> None:
    for cont in container_nodes:
        for sw in cont.kids("system.webServer"):
            for n in [sw, *sw.kids("rewrite"), *(c for r in sw.kids("rewrite") for c in r.children)]:
                if "configSource" in n.attrs:
                    raise XmlRefused(
                        f"<{n.name}> in {_where(n) or 'configuration'} is kept in another file "
                        f"(configSource={n.attrs['configSource']!r}); edit that file instead"
                    )


def plan_edit(
    data: bytes,
    source: str,
    mitigation_ids: Sequence[str],
    *,
    site: str = DEFAULT_SITE,
) -> EditPlan:
    """Plan the change that makes the given mitigations present and strong in one config file.

    Raises XmlRefused for a file lekdicht will not edit. Problems that block only some
    mitigations (site missing, duplicate names elsewhere in the file, a result that would not be
    strong) are listed in ``problems``; ``apply`` refuses while there are any.
    """
    ct = load_config_text(data)
    apphost = bool(ct.root.kids("system.applicationHost"))
    before = check_mitigations(data, source)
    catalog = {i.id: i for i in interim_catalog()}
    changes: list[Change] = []
    problems: list[str] = []
    notes: list[str] = []
    items: list[_Item] = []
    targeted: list[str] = []
    for mid in mitigation_ids:
        interim = catalog.get(mid)
        if interim is None or interim.target != "config":
            continue
        st = _status(before, mid)
        if st is not None and st.status == STRONG:
            changes.append(
                Change(mid, "keep", ", ".join(st.rules), st.location or "", "already present and strong")
            )
            continue
        if apphost and not _apphost_checks(ct, interim, site, problems):
            changes.append(Change(mid, "skip", interim.title, site, "see problems"))
            continue
        targeted.append(mid)
        items += _items(interim, apphost, site)
    containers = {it.container for it in items}
    _refuse_external(ct, [n for c in containers if (n := _find_container(ct, c)) is not None])

    unit = ct.indent_unit()
    edits: list[_Edit] = []
    created: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    wants: dict[str | None, _Want] = {}
    for item in items:
        where = item.container or "/".join(item.path)
        cont = _find_container(ct, item.container)
        coll = _descend(cont, item.path)
        existing = (
            [c for c in coll.children if c.name == item.tag and c.get("name").lower() == item.name.lower()]
            if coll is not None
            else []
        )
        elsewhere = [n for n in _same_named(ct, item.tag, item.name, item.path[-1]) if n not in existing]
        if elsewhere or len(existing) > 1:
            spots = ", ".join(_where(n) for n in (elsewhere or existing))
            problems.append(
                f"<{item.tag} name={item.name!r}> already exists at {spots}: IIS rejects the same name "
                "twice in "
                "one inherited collection (HTTP 500.19). Remove or fix that rule, or apply to that place"
            )
            changes.append(Change(item.mitigation_id, "skip", item.name, where, "duplicate name"))
            continue
        record: dict[str, Any] = {
            "mitigation_id": item.mitigation_id,
            "container": item.container,
            "path": list(item.path),
            "tag": item.tag,
            "name": item.name,
            "xml": "\n".join(render(item.spec, unit)),
            "replaced": None,
        }
        if existing:
            node = existing[0]
            siblings = [i for i in items if i.mitigation_id == item.mitigation_id and i.tag == "rule"]
            if _keep_existing(ct, node, item, siblings):
                changes.append(
                    Change(item.mitigation_id, "keep", item.name, where, "existing rule is strong")
                )
                continue
            record["replaced"] = ct.text[node.start : node.end]
            edits.append(_replace(ct, node, [_marker(item.mitigation_id), item.spec]))
            changes.append(
                Change(
                    item.mitigation_id,
                    "replace",
                    item.name,
                    where,
                    "existing rule with this name is not strong",
                )
            )
        else:
            w = wants.setdefault(item.container, _Want()).at(item.path)
            (w.first if item.at_start else w.last).extend([_marker(item.mitigation_id), item.spec])
            changes.append(Change(item.mitigation_id, "insert", item.name, where))
        records.append(record)

    root_want = wants.pop(None, _Want())
    for container, want in wants.items():
        if want.empty():
            continue
        cont = _find_container(ct, container)
        if cont is None:
            root_want.last.append(X("location", [("path", str(container))], _materialize(want)))
            created.append({"container": container, "path": [], "location": True})
            created += [
                {"container": container, "path": list(p), "location": False} for p in _created_paths(want, ())
            ]
        else:
            _place(ct, cont, want, container, (), edits, created)
    if not root_want.empty():
        _place(ct, ct.root, root_want, None, (), edits, created)

    new_text = _splice(ct.text, edits)
    after = before
    if new_text != ct.text:
        new_bytes = ct.encode(new_text)
        try:
            load_config_text(new_bytes)
        except XmlRefused as exc:
            raise XmlRefused(f"internal error: the planned file would not be valid ({exc})") from exc
        after = check_mitigations(new_bytes, source)
        _check_foreign(ct, new_bytes, records, problems)
    own_names = {r["name"] for r in records} | {c.name for c in changes if c.action == "keep"}
    for mid in targeted:
        st = _status(after, mid)
        if st is None:
            problems.append(f"{mid}: the checker does not report this mitigation after the change")
            continue
        if st.status == STRONG:
            continue
        ours, foreign = _own_reasons(st, own_names)
        if st.status == "present_weak" and not ours:
            notes.append(
                f"{mid}: lekdicht's rules are strong, but other rules in the file are weak variants that "
                f"remain in place (lekdicht does not touch them): {'; '.join(foreign)}"
            )
            continue
        problems.append(
            f"{mid}: after the change the checker would report {st.status}: "
            + ("; ".join(st.reasons) or "no reason")
        )
    return EditPlan(
        source=source,
        config=ct,
        new_text=new_text,
        targeted=targeted,
        changes=changes,
        records=records,
        created=created,
        before=before,
        after=after,
        problems=problems,
        notes=notes,
        apphost=apphost,
    )


def _check_foreign(
    ct: ConfigText, new_bytes: bytes, records: list[dict[str, Any]], problems: list[str]
) -> None:
    """Every rule that is not ours must be unchanged (guards the text splicing)."""
    new_tree = load_config_text(new_bytes).tree
    old = Counter(_rewrite_elements(ct.tree))
    for r in records:
        if r["replaced"]:
            old[f"{_norm_loc(r['container'])}|{canonical(r['replaced'])}"] -= 1
    new = Counter(_rewrite_elements(new_tree))
    for r in records:
        new[f"{_norm_loc(r['container'])}|{canonical(r['xml'])}"] -= 1
    if +old != +new or any(v < 0 for v in old.values()) or any(v < 0 for v in new.values()):
        problems.append("internal error: the change would alter rules that are not lekdicht's; refusing")


# --- removal (rollback when the file changed since apply) ----------------------------------------


@dataclass(slots=True)
class RemovalResult:
    """Outcome of taking lekdicht's rules out of a file that others have edited since."""

    data: bytes
    removed: list[str]
    restored: list[str]
    left: list[str]


def _remove_span(ct: ConfigText, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole lines when the span stands alone on its lines."""
    if ct.indent_of(start) is not None and ct.rest_of_line_blank(end):
        return ct.line_start(start), ct.line_end(end)
    return start, end


def _find_created(ct: ConfigText, entry: dict[str, Any]) -> Node | None:
    if entry.get("location"):
        want = _norm_loc(entry["container"])
        locs = [n for n in ct.root.kids("location") if _norm_loc(n.get("path")) == want]
        return locs[0] if len(locs) == 1 else None
    cont = _find_container(ct, entry["container"])
    try:
        return _descend(cont, entry["path"])
    except XmlRefused:
        return None


def remove_ours(
    data: bytes, records: Sequence[dict[str, Any]], created: Sequence[dict[str, Any]]
) -> RemovalResult:
    """Take lekdicht's rules (newest first) out of ``data``; put back rules they replaced; drop
    containers lekdicht created once they are empty. Everything else stays byte for byte."""
    cur = data
    removed: list[str] = []
    restored: list[str] = []
    left: list[str] = []
    for rec in reversed(records):
        ct = load_config_text(cur)
        cands = [
            n
            for n in _same_named(ct, rec["tag"], rec["name"])
            if _norm_loc(_container_of(n)) == _norm_loc(rec["container"])
        ]
        pick: Node | None = None
        marker: int | None = None
        for n in cands:
            m = _marker_before(ct.text, n.start)
            if m is not None:
                pick, marker = n, m
                break
        if pick is None:
            pick = next(
                (n for n in cands if canonical(ct.text[n.start : n.end]) == canonical(rec["xml"])), None
            )
        if pick is None:
            left.append(
                f"{rec['tag']} {rec['name']!r}: not found unchanged (edited by someone else?); left in place"
            )
            continue
        start = marker if marker is not None else pick.start
        if rec.get("replaced"):
            new_text = ct.text[:start] + str(rec["replaced"]) + ct.text[pick.end :]
            restored.append(f"{rec['name']} (the rule it had replaced is back)")
        else:
            a, b = _remove_span(ct, start, pick.end)
            new_text = ct.text[:a] + ct.text[b:]
            removed.append(str(rec["name"]))
        cur = ct.encode(new_text)
    for entry in sorted(created, key=lambda e: (not e.get("location"), len(e["path"])), reverse=True):
        ct = load_config_text(cur)
        node = _find_created(ct, entry)
        if node is None or node.children:
            continue
        if not node.self_closing and ct.text[node.start_end : node.end_start].strip():
            continue
        if entry.get("expanded_from"):
            new_text = ct.text[: node.start] + str(entry["expanded_from"]) + ct.text[node.end :]
        else:
            a, b = _remove_span(ct, node.start, node.end)
            new_text = ct.text[:a] + ct.text[b:]
        cur = ct.encode(new_text)
    return RemovalResult(data=cur, removed=removed, restored=restored, left=left)
