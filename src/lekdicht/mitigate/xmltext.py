"""Text-preserving view of an XML configuration file.

IIS configuration files belong to the administrator: re-serialising them with ElementTree would
reorder attributes, drop the declaration's quoting style and reflow whitespace. This module maps
a document that defusedxml has already accepted onto the raw text: every element with the
offsets of its start tag, end tag and children, so callers can splice new text in and cut ours
out without touching a single other byte.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = [
    "ConfigText",
    "Node",
    "XmlRefused",
    "escape_attr",
    "load_config_text",
]

_BOM = b"\xef\xbb\xbf"

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<!DOCTYPE[^>]*>"
    r"|</(?P<end>[^\s>]+)\s*>"
    r"|<(?P<start>[^\s/>!?]+)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<close>/?)>",
    re.S,
)
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_DECL_ENCODING = re.compile(r"^<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']+)[\"']", re.I)


class XmlRefused(ValueError):
    """The file is not something lekdicht will edit (malformed, unexpected encoding or shape)."""


def _unescape(value: str) -> str:
    def sub(m: re.Match[str]) -> str:
        ent = m.group(1)
        if ent.startswith("#x"):
            return chr(int(ent[2:], 16))
        if ent.startswith("#"):
            return chr(int(ent[1:]))
        return _NAMED[ent]

    return _ENTITY.sub(sub, value)


def escape_attr(value: str) -> str:
    """Escape text for a double-quoted XML attribute value."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def local_name(tag: str) -> str:
    """``{ns}name`` or ``prefix:name`` → ``name``."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


@dataclass(eq=False, slots=True)
class Node:
    """One element of the raw text with its offsets (``end`` is exclusive)."""

    tag: str
    attrs: dict[str, str]
    start: int
    start_end: int
    end_start: int
    end: int
    self_closing: bool
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    @property
    def name(self) -> str:
        """Local tag name."""
        return local_name(self.tag)

    def get(self, attr: str, default: str = "") -> str:
        return self.attrs.get(attr, default)

    def kids(self, name: str) -> list[Node]:
        """Child elements with this local name (case-sensitive, as in IIS)."""
        return [c for c in self.children if c.name == name]

    def walk(self) -> Iterator[Node]:
        """This node and all descendants in document order."""
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(slots=True)
class ConfigText:
    """A decoded configuration file and the element map of its text."""

    raw: bytes
    text: str
    bom: bool
    newline: str
    root: Node
    tree: ET.Element

    def encode(self, text: str) -> bytes:
        """Encode edited text the way the original was stored (UTF-8, BOM kept)."""
        return (_BOM if self.bom else b"") + text.encode("utf-8")

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def indent_of(self, pos: int) -> str | None:
        """Whitespace before ``pos`` on its line, or None when other text precedes it."""
        prefix = self.text[self.line_start(pos) : pos]
        return prefix if prefix.strip() == "" else None

    def rest_of_line_blank(self, pos: int) -> bool:
        """True when only whitespace follows ``pos`` up to the end of its line (or the file)."""
        nl = self.text.find("\n", pos)
        tail = self.text[pos:] if nl < 0 else self.text[pos:nl]
        return tail.strip() == ""

    def line_end(self, pos: int) -> int:
        """Offset just after the newline that ends the line of ``pos`` (or end of text)."""
        nl = self.text.find("\n", pos)
        return len(self.text) if nl < 0 else nl + 1

    def indent_unit(self) -> str:
        """The file's indentation step: a tab, or the greatest common step of space indents."""
        widths: list[int] = []
        for node in self.root.walk():
            ind = self.indent_of(node.start)
            if ind is None or node.parent is None:
                continue
            pind = self.indent_of(node.parent.start)
            if pind is None:
                continue
            if "\t" in ind:
                return "\t"
            step = len(ind) - len(pind)
            if step > 0:
                widths.append(step)
        if not widths:
            return "    "
        counts: dict[int, int] = {}
        for w in widths:
            counts[w] = counts.get(w, 0) + 1
        best = max(counts, key=lambda w: (counts[w], -w))
        return " " * min(max(best, 1), 8)

    def child_indent(self, node: Node) -> str:
        """Indentation for a new child of ``node``: that of its first child on its own line,
        else the node's own indentation plus one step."""
        for c in node.children:
            ind = self.indent_of(c.start)
            if ind is not None:
                return ind
        own = self.indent_of(node.start)
        return (own or "") + self.indent_unit()


def _scan(text: str) -> Node:
    stack: list[Node] = []
    root: Node | None = None
    for m in _TOKEN.finditer(text):
        if m.group("start"):
            attrs: dict[str, str] = {}
            for am in _ATTR.finditer(m.group("attrs") or ""):
                value = am.group(2) if am.group(2) is not None else am.group(3) or ""
                attrs[am.group(1)] = _unescape(value)
            closed = bool(m.group("close"))
            node = Node(
                tag=m.group("start"),
                attrs=attrs,
                start=m.start(),
                start_end=m.end(),
                end_start=m.end() if closed else -1,
                end=m.end() if closed else -1,
                self_closing=closed,
                parent=stack[-1] if stack else None,
            )
            if stack:
                stack[-1].children.append(node)
            elif root is None:
                root = node
            else:
                raise XmlRefused("more than one root element")
            if not closed:
                stack.append(node)
        elif m.group("end"):
            if not stack or stack[-1].tag != m.group("end"):
                raise XmlRefused(f"unbalanced end tag </{m.group('end')}> at offset {m.start()}")
            node = stack.pop()
            node.end_start = m.start()
            node.end = m.end()
    if stack or root is None:
        raise XmlRefused("the element structure of the text could not be mapped")
    return root


def _shape(elem: ET.Element, depth: int = 0) -> Iterator[tuple[int, str]]:
    yield depth, local_name(elem.tag)
    for c in elem:
        if isinstance(c.tag, str):
            yield from _shape(c, depth + 1)


def _shape_nodes(node: Node, depth: int = 0) -> Iterator[tuple[int, str]]:
    yield depth, node.name
    for c in node.children:
        yield from _shape_nodes(c, depth + 1)


def parse_strict(data: bytes) -> ET.Element:
    """Parse with defusedxml (no DTDs, no entity expansion); raises XmlRefused."""
    try:
        root: ET.Element = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise XmlRefused(f"not well-formed or unsafe XML: {type(exc).__name__}: {exc}") from exc
    return root


def load_config_text(data: bytes, *, expect_root: str = "configuration") -> ConfigText:
    """Validate ``data`` with defusedxml and map its elements onto the decoded text.

    Refuses (XmlRefused) anything but UTF-8 (with or without BOM), a DTD, malformed XML, another
    root element, or a text whose element structure differs from what the parser saw.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise XmlRefused("the file is UTF-16; lekdicht only edits UTF-8 IIS configuration files")
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRefused(f"the file is not valid UTF-8 (byte {exc.start})") from exc
    decl = _DECL_ENCODING.match(text)
    if decl and decl.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise XmlRefused(f"the file declares encoding {decl.group(1)!r}; lekdicht only edits UTF-8 files")
    if "\r" in text.replace("\r\n", ""):
        raise XmlRefused("the file contains bare carriage returns; refusing to guess its line endings")
    tree = parse_strict(data)
    if local_name(tree.tag) != expect_root:
        raise XmlRefused(f"root element is <{local_name(tree.tag)}>, expected <{expect_root}>")
    root = _scan(text)
    if list(_shape(tree)) != list(_shape_nodes(root)):
        raise XmlRefused("the element structure of the text differs from the parsed document")
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    newline = "\r\n" if crlf >= lf and crlf > 0 else ("\n" if lf else "\r\n")
    return ConfigText(raw=data, text=text, bom=bom, newline=newline, root=root, tree=tree)
