"""Remote build fingerprinting of Exchange servers you are responsible for.

Only requests a browser would send (plain HTTPS GETs, no exploit payloads, no credentials):

1. ``GET /owa/`` and ``GET /owa/auth/logon.aspx``: the ``X-OWA-Version`` header (full build, SU
   level included) and the resource paths of the logon page (``/owa/auth/15.1.2375/...``: the CU
   only on 2013 and later, so the SU level is never claimed from it);
2. ``GET /ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application``: the
   ClickOnce manifest's ``assemblyIdentity version`` (full build).

Standard library only (http.client, ssl, concurrent.futures). Per-host problems (unreachable, slow,
TLS, not Exchange) become a result with an error; they never stop the run.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from lekdicht.model import format_time
from lekdicht.versions.builds import BuildParseError, parse_build
from lekdicht.versions.exposure import BuildAssessment, assess_build

__all__ = [
    "PROBE_PATHS",
    "USER_AGENT",
    "ProbeResult",
    "RateLimiter",
    "parse_target",
    "probe_host",
    "probe_hosts",
    "results_to_csv",
    "results_to_jsonl",
]

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
OWA = "/owa/"
OWA_LOGON = "/owa/auth/logon.aspx"
ECP_MANIFEST = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
PROBE_PATHS = (OWA, OWA_LOGON, ECP_MANIFEST)
MAX_BODY = 512 * 1024

_OWA_PATH_RE = re.compile(r"/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/", re.I)
_MANIFEST_RE = re.compile(
    r"<(?:\w+:)?assemblyIdentity\b[^>]*?\bversion\s*=\s*[\"'](\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})[\"']", re.I
)


class RateLimiter:
    """At most ``rate`` requests per second over all threads (0 = unlimited)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


@dataclass(slots=True)
class ProbeResult:
    """What one host told us."""

    target: str
    host: str
    port: int
    ok: bool
    build: str | None = None
    precision: str | None = None
    """``exact`` (header or manifest: SU level known) or ``cu`` (OWA path: CU only)."""
    method: str | None = None
    x_owa_version: str | None = None
    ecp_manifest_version: str | None = None
    owa_path_version: str | None = None
    error: str | None = None
    error_kind: str | None = None
    """``usage``, ``unreachable``, ``timeout``, ``tls``, ``http`` or ``not_exchange``."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    assessment: BuildAssessment | None = None
    started_at: datetime | None = None
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        a = self.assessment
        return {
            "target": self.target,
            "host": self.host,
            "port": self.port,
            "ok": self.ok,
            "build": self.build,
            "precision": self.precision,
            "method": self.method,
            "x_owa_version": self.x_owa_version,
            "ecp_manifest_version": self.ecp_manifest_version,
            "owa_path_version": self.owa_path_version,
            "error": self.error,
            "error_kind": self.error_kind,
            "requests": list(self.requests),
            "notes": list(self.notes),
            "assessment": a.to_json() if a is not None else None,
            "started_at": format_time(self.started_at),
            "elapsed_s": round(self.elapsed_s, 3),
        }


def parse_target(target: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` or ``https://host[:port]/`` -> (host, port)."""
    text = target.strip()
    if not text:
        raise ValueError("empty host")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ValueError(f"only https is probed: {target!r}")
    if not parts.hostname:
        raise ValueError(f"no host in {target!r}")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise ValueError(f"bad port in {target!r}") from exc
    return parts.hostname, port


def _context(insecure: bool, cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _get(
    host: str, port: int, path: str, timeout: float, ctx: ssl.SSLContext, limiter: RateLimiter
) -> tuple[int, http.client.HTTPMessage, bytes]:
    limiter.wait()
    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en-US,en;q=0.9",
                "Connection": "close",
            },
        )
        resp = conn.getresponse()
        body = resp.read(MAX_BODY)
        return resp.status, resp.headers, body
    finally:
        conn.close()


def _classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            "tls",
            f"TLS certificate not trusted: {exc.verify_message} "
            "(use --insecure or --ca-file for your own self-signed hosts)",
        )
    if isinstance(exc, ssl.SSLError):
        return "tls", f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout", "no answer within the timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable", "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unreachable", f"name does not resolve: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return "unreachable", f"network error: {exc.strerror or exc}"
    if isinstance(exc, http.client.HTTPException):
        return "http", f"bad HTTP answer: {type(exc).__name__}"
    return "http", f"{type(exc).__name__}: {exc}"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return "".join(ch for ch in value.strip() if ch.isprintable())[:100]


def probe_host(
    target: str,
    timeout: float = 10.0,
    insecure: bool = False,
    cafile: str | None = None,
    limiter: RateLimiter | None = None,
    on: date | None = None,
) -> ProbeResult:
    """Fingerprint one host; never raises for network or content problems."""
    started = datetime.now(UTC)
    t0 = time.monotonic()
    try:
        host, port = parse_target(target)
    except ValueError as exc:
        return ProbeResult(target, target, 0, False, error=str(exc), error_kind="usage", started_at=started)
    result = ProbeResult(target, host, port, False, started_at=started)
    limiter = limiter or RateLimiter(0)
    ctx = _context(insecure, cafile)
    answered = False
    for path in PROBE_PATHS:
        try:
            status, headers, body = _get(host, port, path, timeout, ctx, limiter)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a per-host error
            kind, message = _classify(exc)
            result.requests.append({"path": path, "error": message})
            if not answered:
                result.error, result.error_kind = message, kind
                break
            continue
        answered = True
        result.requests.append({"path": path, "status": status})
        header = _clean(headers.get("X-OWA-Version"))
        if header and result.x_owa_version is None:
            result.x_owa_version = header
        text = body.decode("utf-8", errors="replace")
        if path == ECP_MANIFEST and status == 200:
            m = _MANIFEST_RE.search(text)
            if m:
                result.ecp_manifest_version = m.group(1)
        elif path != ECP_MANIFEST:
            m = _OWA_PATH_RE.search(text) or _OWA_PATH_RE.search(headers.get("Location", "") or "")
            if m and result.owa_path_version is None:
                result.owa_path_version = m.group(1)
    result.elapsed_s = time.monotonic() - t0
    if result.error_kind is not None:
        return result
    _decide(result, on)
    result.elapsed_s = time.monotonic() - t0
    return result


def _valid(text: str | None) -> str | None:
    if not text:
        return None
    try:
        b = parse_build(text)
    except BuildParseError:
        return None
    return None if b.is_placeholder or b.major not in (14, 15) else str(b)


def _decide(result: ProbeResult, on: date | None) -> None:
    header, manifest, path = (
        _valid(result.x_owa_version),
        _valid(result.ecp_manifest_version),
        _valid(result.owa_path_version),
    )
    if result.x_owa_version and header is None:
        result.notes.append(f"X-OWA-Version {result.x_owa_version!r} is not a build number")
    if header and manifest and header != manifest:
        result.notes.append(
            f"X-OWA-Version {header} and ECP manifest {manifest} differ: a load balancer with servers on "
            "different builds, or a partly installed update; using the header"
        )
    if header:
        result.build, result.method = header, "x-owa-version"
    elif manifest:
        result.build, result.method = manifest, "ecp-exporttool-manifest"
    elif path:
        result.build, result.method = path, "owa-path"
    else:
        result.error_kind = "not_exchange"
        result.error = "no Exchange version evidence (no X-OWA-Version, ECP manifest or OWA resource path)"
        return
    b = parse_build(result.build)
    result.precision = b.precision
    if result.method == "owa-path" and b.precision == "cu":
        result.notes.append(
            "only the OWA page path was available: it gives the CU, not the SU level; CVEs fixed by an SU "
            "for this CU are reported as unknown"
        )
    result.notes.append("a remote build says nothing about mitigations (URL Rewrite, EEMS) or compromise")
    try:
        result.assessment = assess_build(b, on=on)
    except BuildParseError as exc:
        result.error_kind, result.error = "not_exchange", str(exc)
        return
    result.ok = True


def probe_hosts(
    targets: Iterable[str],
    concurrency: int = 8,
    timeout: float = 10.0,
    rate: float = 5.0,
    insecure: bool = False,
    cafile: str | None = None,
    progress: Callable[[ProbeResult], None] | None = None,
    on: date | None = None,
) -> list[ProbeResult]:
    """Probe many hosts in parallel; results keep the input order."""
    items = list(targets)
    limiter = RateLimiter(rate)
    results: list[ProbeResult | None] = [None] * len(items)

    def one(i: int) -> None:
        r = probe_host(items[i], timeout=timeout, insecure=insecure, cafile=cafile, limiter=limiter, on=on)
        results[i] = r
        if progress is not None:
            progress(r)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(one, range(len(items))))
    return [r for r in results if r is not None]


def results_to_jsonl(results: Iterable[ProbeResult]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in results)


_CSV_FIELDS = (
    "target",
    "host",
    "port",
    "ok",
    "build",
    "precision",
    "method",
    "product",
    "cu_line",
    "release_name",
    "support",
    "vulnerable",
    "vulnerable_cves",
    "proxylogon",
    "proxyshell",
    "proxynotshell",
    "owassrf",
    "error_kind",
    "error",
)


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def results_to_csv(results: Iterable[ProbeResult]) -> str:
    """CSV with one row per host; cells are protected against formula injection."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_CSV_FIELDS)
    for r in results:
        a = r.assessment
        fam = a.families() if a else {}
        row = [
            r.target, r.host, r.port, r.ok, r.build, r.precision, r.method,
            a.product if a else None, a.cu_line if a else None, a.release_name if a else None,
            a.support.status if a else None, a.any_vulnerable if a else None,
            " ".join(c.cve for c in a.vulnerable) if a else None,
            fam.get("ProxyLogon"), fam.get("ProxyShell"), fam.get("ProxyNotShell"), fam.get("OWASSRF"),
            r.error_kind, r.error,
        ]  # fmt: skip
        w.writerow([_csv_safe(v) for v in row])
    return out.getvalue()
