#!/usr/bin/env python3
"""Baseline 2: a plain Python scan that applies the same rules naively.

    bench/naive.py EVIDENCE [--json OUT.json]

What a straightforward script does: one process, every file opened as text, every line parsed
(the ``csv`` module for Exchange CSV logs, ``str.split`` for IIS W3C), every rule of the log's
logsource evaluated on every record. No prefilter, no hashing, no timestamps.

The records carry the same fields lekdicht's readers produce (the W3C/Sigma aliases, ``cs-uri``,
``cs-uri-decoded``, ``cs-user-agent``, HttpProxy ``Url``/``UrlDecoded``, ECP EventData keys), and
the rules are lekdicht's compiled matchers: the baseline differs in how lines get to the rules,
not in what the rules mean. That also makes it a check of the fast path: both must find the
planted lines.

The log kind comes from the path (the Exchange folder layout the generator writes).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import unquote

HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):  # run.py sets it (possibly to another tree)
    sys.path.insert(0, str(HERE.parent / "src"))

from lekdicht.catalog.kinds import TEXT_LOGSOURCES, ArtefactKind  # noqa: E402
from lekdicht.logs.exchange_csv import split_event_data  # noqa: E402
from lekdicht.logs.w3c import ALIASES  # noqa: E402
from lekdicht.model import Location, LogRecord  # noqa: E402
from lekdicht.rules.ruleset import RuleSet  # noqa: E402

csv.field_size_limit(1 << 30)


def kind_of(relpath: str) -> ArtefactKind | None:
    low = relpath.lower()
    if "/logging/httpproxy/" in low:
        return ArtefactKind.HTTPPROXY
    if "/logging/ews/" in low:
        return ArtefactKind.EWS
    if "/logging/ecp/server/" in low:
        return ArtefactKind.ECP_SERVER
    if "/w3svc" in low and low.endswith(".log"):
        return ArtefactKind.IIS_W3C
    return None


def scan_exchange(path: Path, rel: str, kind: ArtefactKind, rules: list, out: list) -> int:  # type: ignore[type-arg]
    names: list[str] = []
    stem_i = query_i = ed_i = -1
    n = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if not row:
                continue
            first = row[0]
            if first.startswith("#"):
                if first.startswith("#Fields:"):
                    names = [first[len("#Fields:") :].strip(), *row[1:]]
                    stem_i = names.index("UrlStem") if "UrlStem" in names else -1
                    query_i = names.index("UrlQuery") if "UrlQuery" in names else -1
                    ed_i = (
                        names.index("EventData")
                        if "EventData" in names and kind is ArtefactKind.ECP_SERVER
                        else -1
                    )
                continue
            n += 1
            if len(row) != len(names):
                continue
            fields = dict(zip(names, row, strict=True))
            if stem_i >= 0:
                url = row[stem_i]
                if query_i >= 0:
                    q = row[query_i]
                    if q and q[0] != "?":
                        url += "?"
                    url += q
                fields["Url"] = url
                fields["UrlDecoded"] = unquote(url)
            if ed_i >= 0:
                for k, v in split_event_data(row[ed_i]):
                    fields.setdefault(k, v)
            rec = LogRecord(fields, Location(rel, line=reader.line_num), ",".join(row), None)
            for rule in rules:
                if rule.matcher(rec):
                    out.append((rel, reader.line_num, rule.id))
    return n


def scan_w3c(path: Path, rel: str, rules: list, out: list) -> int:  # type: ignore[type-arg]
    names: list[str] = []
    n = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            if line[0] == "#":
                if line.startswith("#Fields:"):
                    names = line[8:].split()
                continue
            n += 1
            values = line.split(" ")
            if len(values) != len(names):
                continue
            fields = {k: ("" if v == "-" else v) for k, v in zip(names, values, strict=True)}
            for name, alias in ALIASES.items():
                if name in fields and alias not in fields:
                    fields[alias] = fields[name]
            if "cs(User-Agent)" in fields:
                fields["cs-user-agent"] = fields["cs(User-Agent)"].replace("+", " ")
            uri = fields.get("cs-uri-stem", "")
            if fields.get("cs-uri-query"):
                uri += "?" + fields["cs-uri-query"]
            fields["cs-uri"] = uri
            fields["cs-uri-decoded"] = unquote(uri)
            rec = LogRecord(fields, Location(rel, line=lineno), line, None)
            for rule in rules:
                if rule.matcher(rec):
                    out.append((rel, lineno, rule.id))
    return n


def naive_scan(evidence: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    ruleset = RuleSet.load([])
    findings: list[tuple[str, int, str]] = []
    records = 0
    nbytes = 0
    for root, _dirs, files in os.walk(evidence):
        for name in sorted(files):
            path = Path(root) / name
            rel = path.relative_to(evidence).as_posix()
            kind = kind_of(rel)
            if kind is None:
                continue
            nbytes += path.stat().st_size
            rules = ruleset.rules_for(TEXT_LOGSOURCES[kind])
            if kind is ArtefactKind.IIS_W3C:
                records += scan_w3c(path, rel, rules, findings)
            else:
                records += scan_exchange(path, rel, kind, rules, findings)
    findings.sort()
    return {
        "seconds": time.perf_counter() - t0,
        "records": records,
        "bytes": nbytes,
        "findings": [list(f) for f in findings],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("evidence", type=Path)
    ap.add_argument("--json", type=Path, help="write the result (with findings) here")
    args = ap.parse_args()
    res = naive_scan(args.evidence)
    if args.json:
        args.json.write_text(json.dumps(res) + "\n", encoding="utf-8")
    print(f"naive: {res['records']} records, {len(res['findings'])} findings, {res['seconds']:.1f} s")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
