"""Decide what a file is: by its content first (header lines, magic bytes), by its path second."""

from __future__ import annotations

import codecs
import re

from lekdicht.catalog.kinds import ArtefactKind

SNIFF_BYTES = 64 * 1024
"""How much of the start of a file :func:`sniff` needs."""

LOG_TYPES: tuple[tuple[str, ArtefactKind], ...] = (
    ("httpproxy logs", ArtefactKind.HTTPPROXY),
    ("ecp server log", ArtefactKind.ECP_SERVER),
    ("ecp activity context log", ArtefactKind.ECP_ACTIVITY),
    ("ews logs", ArtefactKind.EWS),
    ("rps http logs", ArtefactKind.RPS_HTTP),
    ("rps cmdlet logs", ArtefactKind.RPS_CMDLET),
    ("message tracking log", ArtefactKind.MESSAGE_TRACKING),
)
"""Exact ``#Log-type`` values (lower case). ``Rps Http Logs`` is verbatim from public Exchange
2016/2019 logs; the others from log-formats.md."""

WEB_CONTENT_EXTENSIONS = frozenset(
    {
        ".aspx",
        ".ashx",
        ".asmx",
        ".asax",
        ".ascx",
        ".asp",
        ".axd",
        ".cshtml",
        ".vbhtml",
        ".master",
        ".svc",
        ".soap",
        ".rem",
        ".js",
        ".css",
        ".htm",
        ".html",
        ".shtml",
        ".xml",
        ".config",
        ".php",
        ".jsp",
        ".jspx",
        ".cer",
        ".cfm",
    }
)
"""File extensions treated as web content (for webshell scanning) when the content says nothing
more specific."""

_HEADERLESS_HTTPPROXY = re.compile(
    rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z,"
    rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12},"
    rb"1[45],\d+,\d+,\d+,"
)
_W3C_FIELDS = re.compile(rb"(?m)^#\s*Fields:[ \t]*(?:date[ \t]+)?time[ \t]")
_W3C_NAMES = (b"cs-uri-stem", b"cs-method", b"c-ip", b"sc-status")
_U_EX = re.compile(r"^u_(?:ex|in|nc)\d{6,8}(?:_x)?\.log$", re.IGNORECASE)
_W3SVC = re.compile(r"(?:^|/)w3svc\d+/[^/]+\.log$", re.IGNORECASE)


def _to_utf8(head: bytes) -> bytes:
    """Strip a UTF-8 BOM, or transcode UTF-16 text (with BOM or NUL pattern) to UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return head[3:]
    encoding = None
    if head.startswith(codecs.BOM_UTF16_LE):
        encoding, head = "utf-16-le", head[2:]
    elif head.startswith(codecs.BOM_UTF16_BE):
        encoding, head = "utf-16-be", head[2:]
    elif len(head) >= 8:
        sample = head[:64]
        sample = sample[: len(sample) - len(sample) % 2]
        if sample[1::2].count(0) == len(sample[1::2]) and sample[0::2].count(0) == 0:
            encoding = "utf-16-le"
        elif sample[0::2].count(0) == len(sample[0::2]) and sample[1::2].count(0) == 0:
            encoding = "utf-16-be"
    if encoding is None:
        return head
    head = head[: len(head) - len(head) % 2]
    return head.decode(encoding, errors="replace").encode("utf-8", errors="replace")


def _header_value(text: bytes, name: bytes) -> bytes | None:
    """Value of the first ``#<name>:`` header line in ``text`` (case-insensitive), stripped."""
    m = re.search(rb"(?im)^#\s*" + re.escape(name) + rb"\s*:[ \t]*([^\r\n]*)", text)
    return m.group(1).strip() if m else None


def _leading_headers(text: bytes) -> bytes:
    """The ``#`` header lines at the very start of the text (blank lines skipped), joined."""
    out: list[bytes] = []
    for line in text.split(b"\n", 64)[:64]:
        line = line.strip()
        if not line:
            continue
        if not line.startswith(b"#"):
            break
        out.append(line)
    return b"\n".join(out)


def _first_line(text: bytes) -> bytes:
    for line in text.split(b"\n", 20):
        line = line.strip()
        if line:
            return line
    return b""


def _looks_event_json(line: bytes) -> bool:
    if not line.startswith(b"{") and not line.startswith(b"[{"):
        return False
    keys = (b'"Channel"', b'"EventID"', b'"winlog"', b'"winlog.', b'"event_id"', b'"EventId"', b'"System"')
    return any(k in line for k in keys)


def _by_content(text: bytes, path: str) -> ArtefactKind | None:
    kind = _by_headers(_leading_headers(text), path)
    if kind is not None:
        return kind
    first = _first_line(text)
    if _HEADERLESS_HTTPPROXY.match(first):
        return ArtefactKind.HTTPPROXY
    if _looks_event_json(first):
        return ArtefactKind.EVENTS_JSONL
    if (
        text.lstrip().startswith(b"<")
        and b"<configuration" in text
        and (b"system.webServer" in text or b"system.applicationHost" in text)
    ):
        return ArtefactKind.IIS_CONFIG
    return None


def _by_headers(text: bytes, path: str) -> ArtefactKind | None:
    if not text:
        return None
    log_type = _header_value(text, b"Log-type")
    if log_type is not None:
        value = log_type.decode("utf-8", "replace").lower()
        for name, kind in LOG_TYPES:
            if value == name:
                return kind
        if "rps" in value and "http" in value:
            return ArtefactKind.RPS_HTTP
        if "rps" in value and "cmdlet" in value:
            return ArtefactKind.RPS_CMDLET
        if "oab" in value or "oabgenerator" in path:
            return ArtefactKind.OABGEN
    software = _header_value(text, b"Software")
    if software is not None:
        soft = software.lower()
        if soft.startswith(b"microsoft exchange"):
            return ArtefactKind.OABGEN if "oabgeneratorlog" in path else ArtefactKind.EXCHANGE_OTHER
        if soft.startswith(b"microsoft internet information services"):
            return ArtefactKind.IIS_W3C
    if _W3C_FIELDS.search(text):
        return ArtefactKind.IIS_W3C
    fields = _header_value(text, b"Fields")
    if fields is not None and b"," not in fields and sum(n in fields for n in _W3C_NAMES) >= 2:
        return ArtefactKind.IIS_W3C
    return None


def _by_path(path: str) -> ArtefactKind | None:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    ext = name[dot:] if dot > 0 else ""
    if ext in WEB_CONTENT_EXTENSIONS:
        return ArtefactKind.WEB_CONTENT
    if ext == ".evtx":
        return ArtefactKind.EVTX
    if ext != ".log":
        return None
    # only .log files from here: FrontEnd\HttpProxy\owa\... is a web folder, not a log folder
    if "/logging/httpproxy/" in path or "httpproxy" in name:
        return ArtefactKind.HTTPPROXY
    if "oabgeneratorlog" in path or name.startswith("oabgenerator"):
        return ArtefactKind.OABGEN
    if "/messagetracking/" in path or name.startswith("msgtrk") or "messagetracking" in name:
        return ArtefactKind.MESSAGE_TRACKING
    if "/ecp/server/" in path or name.startswith("ecpserver"):
        return ArtefactKind.ECP_SERVER
    if "/ecp/activity/" in path or name.startswith("ecpactivity"):
        return ArtefactKind.ECP_ACTIVITY
    if name.startswith("rps_http"):
        return ArtefactKind.RPS_HTTP
    if name.startswith("rps_cmdlet"):
        return ArtefactKind.RPS_CMDLET
    if "/logging/ews/" in path or name.startswith("ews_"):
        return ArtefactKind.EWS
    if _U_EX.match(name) or _W3SVC.search(path):
        return ArtefactKind.IIS_W3C
    return None


def sniff(head: bytes, relpath: str) -> ArtefactKind:
    """Kind of a file from its first bytes (up to :data:`SNIFF_BYTES`) and its relative path.

    Content decides first (``#Log-type``/``#Software`` headers, W3C ``#Fields``, ``ElfFile``/``MZ``
    magic, event JSON lines, IIS configuration XML, a headerless HttpProxy line), the path second
    (``\\`` or ``/`` separators, case-insensitive), else :attr:`ArtefactKind.OTHER`.
    """
    path = relpath.replace("\\", "/").lower()
    if head.startswith(b"ElfFile\x00"):
        return ArtefactKind.EVTX
    if head.startswith(b"MZ"):
        return ArtefactKind.BINARY
    text = _to_utf8(head[:SNIFF_BYTES])
    kind = _by_content(text, path)
    if kind is not None:
        return kind
    kind = _by_path(path)
    if kind is not None:
        return kind
    return ArtefactKind.OTHER
