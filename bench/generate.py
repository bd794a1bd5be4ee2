#!/usr/bin/env python3
"""Generate a SYNTHETIC evidence tree of Exchange and IIS logs at a chosen size, with planted attacks.

    bench/generate.py --size 1G --out bench/out/corpus-1G --seed 1 --attack-share 0.0001

writes

    OUT/evidence/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/<Protocol>/
        HttpProxy_YYYYMMDDHH-N.LOG
    OUT/evidence/Program Files/Microsoft/Exchange Server/V15/Logging/Ews/Ews_YYYYMMDDHH-N.LOG
    OUT/evidence/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServerYYYYMMDD-N.LOG
    OUT/evidence/inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log     (front end, port 443)
    OUT/evidence/inetpub/logs/LogFiles/W3SVC2/u_exYYMMDD.log     (back end, port 444)
    OUT/planted.jsonl   one line per expected finding: {"file", "line", "rule", "attack"}
    OUT/corpus.json     parameters, sizes, line counts, planted counts, notes

Benign traffic comes from per-stream pools of line templates (bench/traffic.py): many users and
clients, Managed Availability probes from HealthMailbox accounts, load-balancer health checks,
internet noise. Each written line gets its own time (sorted within the file) and request GUID.
Attack lines replace a share (``--attack-share``, of all data lines) of benign lines at random
positions; ``--min-each`` makes sure every attack kind occurs at least that often.

The manifest's rule ids are what the rule set says about each attack line, checked at generation
time with the compiled rules over the real readers (every benign pool line is checked the same
way and must match nothing). Attack kinds no rule detects are left out and listed in corpus.json.

Generation is deterministic for a given seed and parameters, and runs on all cores.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import math
import multiprocessing as mp
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if importlib.util.find_spec("lekdicht") is None:  # run.py may have put another source tree first
    sys.path.insert(0, str(REPO / "src"))

import traffic  # noqa: E402
from traffic import ATTACKS, BENIGN, BUILD_HEADER, EWS_FIELDS, HTTPPROXY_PROTOCOLS, IIS_FIELDS  # noqa: E402

from lekdicht.logs.exchange_csv import HTTPPROXY_FIELDS  # noqa: E402

GENERATOR_VERSION = 3
EXCHANGE = "Program Files/Microsoft/Exchange Server/V15/Logging"
START = datetime(2021, 3, 1, tzinfo=UTC)

FAMILY_SHARE = {"httpproxy": 0.45, "iis/W3SVC1": 0.21, "iis/W3SVC2": 0.17, "ews": 0.14, "ecp": 0.03}
"""Share of the corpus bytes per log family."""

MAX_EXCHANGE_FILE = 10 * 1024 * 1024
"""Exchange rolls a log over to HttpProxy_YYYYMMDDHH-<N+1>.LOG at this size (assumed, as
Exchange's default MaxLogFileSize for these logs is in the tens of MB)."""

HOURLY = (
    0.15,
    0.1,
    0.1,
    0.1,
    0.12,
    0.25,
    0.6,
    1.3,
    2.2,
    2.4,
    2.3,
    2.1,
    1.8,
    2.1,
    2.3,
    2.2,
    1.9,
    1.3,
    0.8,
    0.6,
    0.5,
    0.45,
    0.35,
    0.2,
)
"""Relative traffic per hour of the day (office hours heavy; probes keep nights non-zero)."""


# ---------------------------------------------------------------------------------------------
# Parameters and plan


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 5M, 1G, 1.5G)")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


@dataclass(slots=True)
class FileSpec:
    relpath: str
    stream: str
    start: str  # ISO time of the first second the file covers
    seconds: int  # time span covered
    lines: int
    seed: int
    header: str  # header block (without the #Date line for IIS, which is filled in per block)
    kind: str  # "exchange" or "iis"
    attacks: list[str] = field(default_factory=list)  # attack names to plant


def _exchange_header(log_type: str, fields: tuple[str, ...] | list[str], when: datetime, version: str) -> str:
    return (
        "#Software: Microsoft Exchange Server\r\n"
        f"#Version: {version}\r\n"
        f"#Log-type: {log_type}\r\n"
        f"#Date: {when.strftime('%Y-%m-%dT%H:%M:%S')}.{when.microsecond // 1000:03d}Z\r\n"
        f"#Fields: {','.join(fields)}\r\n"
    )


def _iis_header(when: datetime) -> str:
    return (
        "#Software: Microsoft Internet Information Services 10.0\r\n"
        "#Version: 1.0\r\n"
        f"#Date: {when.strftime('%Y-%m-%d %H:%M:%S')}\r\n"
        f"#Fields: {IIS_FIELDS}\r\n"
    )


def default_days(size: int) -> int:
    return max(1, min(60, math.ceil(size / (768 << 20))))


def plan_files(
    size: int, seed: int, days: int, avg_len: dict[str, float], rng: random.Random
) -> list[FileSpec]:
    """The files to write: names, time spans, line counts (from the target bytes and line lengths)."""
    specs: list[FileSpec] = []
    hour_w = [h / sum(HOURLY) for h in HOURLY]

    def file_seed() -> int:
        return rng.getrandbits(63)

    def hourly_family(
        stream: str,
        folder: str,
        prefix: str,
        log_type: str,
        fields: tuple[str, ...] | list[str],
        share: float,
    ) -> None:
        total = size * share
        for d in range(days):
            for h in range(24):
                target = total / days * hour_w[h]
                when = START + timedelta(days=d, hours=h)
                n_files = max(1, math.ceil(target / MAX_EXCHANGE_FILE))
                for i in range(n_files):
                    part = target / n_files
                    lines = max(2, int(part / avg_len[stream]))
                    first = when + timedelta(seconds=3600 * i / n_files)
                    header = _exchange_header(
                        log_type, fields, first + timedelta(milliseconds=130), BUILD_HEADER
                    )
                    name = f"{prefix}_{when.strftime('%Y%m%d%H')}-{i + 1}.LOG"
                    specs.append(
                        FileSpec(
                            f"{folder}/{name}",
                            stream,
                            first.isoformat(),
                            3600 // n_files,
                            lines,
                            file_seed(),
                            header,
                            "exchange",
                        )
                    )

    hp_total = sum(HTTPPROXY_PROTOCOLS.values())
    for proto, w in HTTPPROXY_PROTOCOLS.items():
        hourly_family(
            f"httpproxy/{proto}",
            f"{EXCHANGE}/HttpProxy/{proto}",
            "HttpProxy",
            "HttpProxy Logs",
            HTTPPROXY_FIELDS,
            FAMILY_SHARE["httpproxy"] * w / hp_total,
        )
    hourly_family("ews", f"{EXCHANGE}/Ews", "Ews", "EWS Logs", EWS_FIELDS, FAMILY_SHARE["ews"])
    for d in range(days):
        day = START + timedelta(days=d)
        for site in ("W3SVC1", "W3SVC2"):
            stream = f"iis/{site}"
            lines = max(2, int(size * FAMILY_SHARE[stream] / days / avg_len[stream]))
            specs.append(
                FileSpec(
                    f"inetpub/logs/LogFiles/{site}/u_ex{day.strftime('%y%m%d')}.log",
                    stream,
                    day.isoformat(),
                    86400,
                    lines,
                    file_seed(),
                    "",
                    "iis",
                )
            )
        target = size * FAMILY_SHARE["ecp"] / days
        n_files = max(1, math.ceil(target / MAX_EXCHANGE_FILE))
        for i in range(n_files):
            first = day + timedelta(seconds=86400 * i / n_files)
            header = _exchange_header(
                "ECP Server Log", traffic.ECP_FIELDS, first + timedelta(milliseconds=938), "15.0.0.0"
            )
            specs.append(
                FileSpec(
                    f"{EXCHANGE}/ECP/Server/ECPServer{day.strftime('%Y%m%d')}-{i + 1}.LOG",
                    "ecp",
                    first.isoformat(),
                    86400 // n_files,
                    max(2, int(target / n_files / avg_len["ecp"])),
                    file_seed(),
                    header,
                    "exchange",
                )
            )
    specs.sort(key=lambda s: s.relpath)
    return specs


def assign_attacks(
    specs: list[FileSpec], attacks: list[traffic.Attack], share: float, min_each: int, rng: random.Random
) -> None:
    """Decide how many attack lines of which kind go into each file."""
    by_stream: dict[str, list[traffic.Attack]] = {}
    for a in attacks:
        by_stream.setdefault(a.stream, []).append(a)
    files_of: dict[str, list[FileSpec]] = {}
    for s in specs:
        files_of.setdefault(s.stream, []).append(s)
    total_lines = sum(s.lines for s in specs)
    want = total_lines * share
    # spread the planted lines over the streams that have attack kinds, in proportion to lines
    eligible = [s for s in specs if s.stream in by_stream]
    eligible_lines = sum(s.lines for s in eligible) or 1
    for s in eligible:
        lam = want * s.lines / eligible_lines
        k = _poisson(rng, lam)
        for _ in range(min(k, s.lines // 2)):
            s.attacks.append(rng.choice(by_stream[s.stream]).name)
    counts: dict[str, int] = {}
    for s in specs:
        for name in s.attacks:
            counts[name] = counts.get(name, 0) + 1
    for a in attacks:
        for _ in range(max(0, min_each - counts.get(a.name, 0))):
            candidates = [s for s in files_of.get(a.stream, []) if len(s.attacks) < s.lines // 2]
            if candidates:
                rng.choice(candidates).attacks.append(a.name)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


# ---------------------------------------------------------------------------------------------
# Pools and the rule oracle


@dataclass(slots=True)
class Template:
    parts: tuple[str, ...]  # the line split at {T}
    has_r: bool


def _template(line: str) -> Template:
    return Template(tuple(line.split("{T}")), "{R}" in line)


def build_pools(seed: int, pool_size: int) -> dict[str, list[str]]:
    vocab = traffic.make_vocab(seed)
    pools: dict[str, list[str]] = {}
    for i, (stream, fn) in enumerate(sorted(BENIGN.items())):
        rng = random.Random(seed * 1_000_003 + i)
        pools[stream] = [fn(rng, vocab) for _ in range(pool_size)]
    return pools


_KIND_OF_STREAM = {
    "iis": "iis.w3c",
    "ews": "exchange.ews",
    "ecp": "exchange.ecp_server",
    "httpproxy": "exchange.httpproxy",
}


def _sample_header(stream: str) -> str:
    when = START
    if stream.startswith("iis/"):
        return _iis_header(when)
    if stream == "ews":
        return _exchange_header("EWS Logs", EWS_FIELDS, when, BUILD_HEADER)
    if stream == "ecp":
        return _exchange_header("ECP Server Log", traffic.ECP_FIELDS, when, "15.0.0.0")
    return _exchange_header("HttpProxy Logs", HTTPPROXY_FIELDS, when, BUILD_HEADER)


def _fill(line: str, stream: str) -> str:
    ts = "2021-03-01 10:11:12" if stream.startswith("iis/") else "2021-03-01T10:11:12.345Z"
    return line.replace("{T}", ts).replace("{R}", "0b8f1c2d-1c2d-4e5f-8a9b-0c1d2e3f4a5b")


def oracle(stream: str, lines: list[str]) -> list[list[str]]:
    """Rule ids each line triggers, through the real reader (full parse) and compiled rules."""
    from lekdicht.catalog.kinds import TEXT_LOGSOURCES, ArtefactKind
    from lekdicht.logs import READERS
    from lekdicht.logs.base import ReadStats

    kind = ArtefactKind(_KIND_OF_STREAM[stream.split("/")[0]])
    ruleset = _ruleset()
    rules = ruleset.rules_for(TEXT_LOGSOURCES[kind])
    header = _sample_header(stream)
    text = header + "".join(_fill(x, stream) + "\r\n" for x in lines)
    n_header = header.count("\n")
    stats = ReadStats()
    out: list[list[str]] = [[] for _ in lines]
    seen = 0
    for rec in READERS[kind](io.BytesIO(text.encode("utf-8")), "oracle", stats, None):
        seen += 1
        idx = (rec.location.line or 0) - n_header - 1
        out[idx] = sorted({r.id for r in rules if r.matcher(rec)})
    if stats.records_rejected or seen != len(lines):
        ex = [r.to_json() for r in stats.rejected_examples]
        raise SystemExit(f"generator bug: {stream} lines rejected by the reader: {ex}")
    return out


_RULESET = None


def _ruleset():  # type: ignore[no-untyped-def]
    global _RULESET
    if _RULESET is None:
        from lekdicht.rules.ruleset import RuleSet

        _RULESET = RuleSet.load([])
    return _RULESET


# ---------------------------------------------------------------------------------------------
# Writing files (in worker processes; pools are inherited through fork or rebuilt)

_POOLS: dict[str, list[Template]] = {}
_ATTACK_LINES: dict[str, Template] = {}
_HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_MS = [f".{i:03d}Z" for i in range(1000)]

WRITE_CHUNK = 8 * 1024 * 1024


def _init_worker(pools: dict[str, list[str]], attack_lines: dict[str, str]) -> None:
    global _POOLS, _ATTACK_LINES
    _POOLS = {k: [_template(x) for x in v] for k, v in pools.items()}
    _ATTACK_LINES = {k: _template(v) for k, v in attack_lines.items()}


def write_file(root: str, spec: FileSpec) -> tuple[str, int, int, list[tuple[int, str]]]:
    """Write one file; returns (relpath, bytes, data lines, [(line number, attack name)])."""
    rng = random.Random(spec.seed)
    pool = _POOLS[spec.stream]
    n = spec.lines
    start = datetime.fromisoformat(spec.start)
    iis = spec.kind == "iis"
    # record times, sorted: seconds from the file start plus milliseconds
    span_ms = spec.seconds * 1000
    rand = rng.random
    offsets = sorted(int(rand() * span_ms) for _ in range(n))
    picks = rng.choices(pool, k=n)
    planted_at: dict[int, str] = {}
    if spec.attacks:
        for idx, name in zip(rng.sample(range(n), len(spec.attacks)), spec.attacks, strict=True):
            planted_at[idx] = name
    # IIS writes a new header block when the site restarts: sometimes once mid-file
    restart_at = rng.randrange(n // 4, n) if iis and n > 8 and rng.random() < 0.4 else -1

    path = Path(root) / spec.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    base_sec = start.hour * 3600 + start.minute * 60 + start.second
    day_prefix = start.strftime("%Y-%m-%d ") if iis else start.strftime("%Y-%m-%dT")
    hms = _HMS
    ms_tab = _MS
    getrandbits = rng.getrandbits
    planted: list[tuple[int, str]] = []
    buf: list[str] = []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        head = _iis_header(start) if iis else spec.header
        buf.append(head[:-2])  # joined with \r\n below
        line_no = head.count("\n")
        for i in range(n):
            off = offsets[i]
            sec = base_sec + off // 1000
            if sec > 86399:
                sec = 86399
            if i == restart_at:
                block = _iis_header(start + timedelta(seconds=sec - base_sec))
                buf.append(block[:-2])
                line_no += block.count("\n")
            ts = day_prefix + hms[sec] if iis else day_prefix + hms[sec] + ms_tab[off % 1000]
            name = planted_at.get(i)
            tpl = _ATTACK_LINES[name] if name is not None else picks[i]
            line = ts.join(tpl.parts)
            if tpl.has_r:
                h = f"{getrandbits(128):032x}"
                line = line.replace("{R}", f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
            buf.append(line)
            line_no += 1
            if name is not None:
                planted.append((line_no, name))
            if len(buf) >= 4096:
                chunk = "\r\n".join(buf) + "\r\n"
                buf.clear()
                fh.write(chunk)
        if buf:
            chunk = "\r\n".join(buf) + "\r\n"
            fh.write(chunk)
    size = path.stat().st_size
    return spec.relpath, size, n, planted


# ---------------------------------------------------------------------------------------------
# Main


def generate(
    out: Path,
    size: int,
    seed: int = 1,
    attack_share: float = 0.0001,
    days: int | None = None,
    min_each: int = 1,
    pool_size: int = 4000,
    jobs: int | None = None,
    quiet: bool = False,
) -> dict[str, object]:
    """Generate the corpus under ``out`` and return the corpus.json document."""
    t0 = time.perf_counter()
    days = days or default_days(size)
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    pools = build_pools(seed, pool_size)

    # Oracle: benign pool lines must match no rule; attack lines get their rule ids from the rule set.
    benign_hits: dict[str, list[str]] = {}
    for stream, lines in pools.items():
        hits = oracle(stream, lines)
        keep = []
        for line, ids in zip(lines, hits, strict=True):
            if ids:
                for rid in ids:
                    benign_hits.setdefault(rid, []).append(f"{stream}: {_fill(line, stream)[:300]}")
            else:
                keep.append(line)
        pools[stream] = keep
    if benign_hits:
        log("WARNING: benign traffic lines trigger rules (dropped from the pools; possible false positives):")
        for rid, examples in sorted(benign_hits.items()):
            log(f"  {rid}: {len(examples)} line(s), e.g. {examples[0]}")
    attack_rules: dict[str, list[str]] = {}
    skipped: list[dict[str, str]] = []
    mismatched: list[dict[str, object]] = []
    for a in ATTACKS:
        ids = oracle(a.stream, [a.line])[0]
        if not ids:
            skipped.append({"attack": a.name, "why": "no rule in the rule set detects it", "note": a.note})
            continue
        attack_rules[a.name] = ids
        if set(a.designed_for) - set(ids):
            mismatched.append({"attack": a.name, "designed_for": list(a.designed_for), "rules": ids})
    for m in mismatched:
        log(f"WARNING: attack {m['attack']} was written for {m['designed_for']} but triggers {m['rules']}")
    attacks = [a for a in ATTACKS if a.name in attack_rules]

    avg_len = {s: sum(len(_fill(x, s)) + 2 for x in v) / max(1, len(v)) for s, v in pools.items()}
    rng = random.Random(seed)
    specs = plan_files(size, seed, days, avg_len, rng)
    assign_attacks(specs, attacks, attack_share, min_each, rng)

    evidence = out / "evidence"
    if evidence.exists():
        import shutil

        shutil.rmtree(evidence)
    evidence.mkdir(parents=True)
    attack_lines = {a.name: a.line for a in attacks}
    jobs = jobs or os.cpu_count() or 1
    results: list[tuple[str, int, int, list[tuple[int, str]]]] = []
    order = sorted(specs, key=lambda s: -s.lines)  # big files first
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        ctx = mp.get_context("fork")
        _init_worker(pools, attack_lines)  # inherited by the forked workers
        with ctx.Pool(jobs) as pool:
            for r in pool.starmap(write_file, [(str(evidence), s) for s in order], chunksize=1):
                results.append(r)
    else:
        _init_worker(pools, attack_lines)
        for s in order:
            results.append(write_file(str(evidence), s))
    results.sort()

    manifest: list[dict[str, object]] = []
    total_bytes = 0
    total_lines = 0
    by_family: dict[str, int] = {}
    stream_of = {s.relpath: s.stream for s in specs}
    for rel, nbytes, nlines, planted in results:
        total_bytes += nbytes
        total_lines += nlines
        fam = stream_of[rel].split("/")[0] if not stream_of[rel].startswith("iis/") else stream_of[rel]
        by_family[fam] = by_family.get(fam, 0) + nbytes
        for line, name in planted:
            for rid in attack_rules[name]:
                manifest.append({"file": rel, "line": line, "rule": rid, "attack": name})
    manifest.sort(key=lambda m: (m["file"], m["line"], m["rule"]))
    with open(out / "planted.jsonl", "w", encoding="utf-8") as fh:
        for m in manifest:
            fh.write(json.dumps(m) + "\n")
    planted_lines = len({(m["file"], m["line"]) for m in manifest})
    seconds = time.perf_counter() - t0
    doc: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "rules_digest": rules_digest(),
        "params": {
            "size": size,
            "seed": seed,
            "attack_share": attack_share,
            "days": days,
            "min_each": min_each,
            "pool_size": pool_size,
        },
        "files": len(results),
        "bytes": total_bytes,
        "data_lines": total_lines,
        "bytes_by_family": dict(sorted(by_family.items())),
        "planted_lines": planted_lines,
        "expected_findings": len(manifest),
        "attack_rules": attack_rules,
        "attacks_not_planted": skipped,
        "attacks_rule_mismatch": mismatched,
        "benign_lines_dropped": {k: len(v) for k, v in benign_hits.items()},
        "seconds": round(seconds, 2),
        "mb_per_s": round(total_bytes / 1e6 / seconds, 1),
    }
    (out / "corpus.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    log(
        f"generated {len(results)} files, {total_bytes / 1e6:.1f} MB, {total_lines} lines, "
        f"{planted_lines} planted attack lines ({len(manifest)} expected findings) in {seconds:.1f} s "
        f"({total_bytes / 1e6 / seconds:.0f} MB/s)"
    )
    return doc


def rules_digest() -> str:
    """Digest of the built-in rule files and this generator, to know when a corpus is stale."""
    import lekdicht

    h = hashlib.sha256()
    package = Path(lekdicht.__file__).resolve().parent
    sigma = package / "rules" / "sigma"
    for p in sorted(sigma.rglob("*.yml")):
        h.update(p.relative_to(sigma).as_posix().encode())
        h.update(p.read_bytes())
    for p in (HERE / "traffic.py", HERE / "generate.py", package / "data" / "exchange_auth_pages.yml"):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, required=True, help="target corpus size, e.g. 5M, 1G, 5G")
    ap.add_argument("--out", type=Path, required=True, help="output folder (evidence/ and the manifest)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attack-share", type=float, default=0.0001, help="share of data lines that are attacks")
    ap.add_argument("--days", type=int, default=None, help="days of logs (default: 1 per 768 MB)")
    ap.add_argument("--min-each", type=int, default=1, help="plant every attack kind at least this often")
    ap.add_argument("--pool-size", type=int, default=4000, help="distinct benign templates per stream")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    args = ap.parse_args(argv)
    generate(
        args.out, args.size, args.seed, args.attack_share, args.days, args.min_each, args.pool_size, args.jobs
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
