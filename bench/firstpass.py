#!/usr/bin/env python3
"""Time lekdicht's log pass alone (catalog + read + prefilter + rules, in parallel).

    bench/firstpass.py EVIDENCE [--workers N] [--json OUT.json]

``lekdicht scan`` also runs the file checks, the correlation passes and writes the report; this
runs only :func:`lekdicht.scan.pipeline.scan_logs`, the part that reads every byte, so its time
can be compared with ripgrep on its own. Prints and writes the findings as (path, line, rule).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):  # run.py sets it (possibly to another tree)
    sys.path.insert(0, str(HERE.parent / "src"))

from lekdicht.evidence.source import open_evidence  # noqa: E402
from lekdicht.rules.ruleset import RuleSet  # noqa: E402
from lekdicht.scan.pipeline import ScanOptions, catalog_files, scan_logs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("evidence", type=Path)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--breakdown", action="store_true", help="print seconds per log family")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = Path("/tmp/lekdicht-firstpass-case")
    options = ScanOptions(evidence=args.evidence, out=out, workers=args.workers)
    source = open_evidence(args.evidence, out)
    entries = catalog_files(source)
    t1 = time.perf_counter()
    ruleset = RuleSet.load([])
    results = scan_logs(entries, ruleset, options)
    t2 = time.perf_counter()
    findings = sorted((f.evidence.path, f.evidence.line, f.rule_id) for r in results for f in r.findings)
    by_family: dict[str, dict[str, float]] = {}
    for r in results:
        parts = r.relpath.split("/")
        fam = r.kind.value if r.kind.value != "exchange.httpproxy" else f"exchange.httpproxy/{parts[-2]}"
        if r.kind.value == "iis.w3c":
            fam = f"iis.w3c/{parts[-2]}"
        row = by_family.setdefault(fam, {"files": 0, "mb": 0.0, "seconds": 0.0, "records": 0, "parsed": 0})
        row["files"] += 1
        row["mb"] += r.size / 1e6
        row["seconds"] += r.seconds
        row["records"] += r.stats.records_read
        row["parsed"] += r.stats.records_parsed
    res = {
        "seconds": t2 - t0,
        "by_family": by_family,
        "catalog_seconds": t1 - t0,
        "scan_logs_seconds": t2 - t1,
        "records": sum(r.stats.records_read for r in results),
        "parsed": sum(r.stats.records_parsed for r in results),
        "bytes": sum(r.size for r in results),
        "errors": [r.error for r in results if r.error],
        "findings": [list(f) for f in findings],
    }
    if args.breakdown:
        print(f"{'family':34} {'files':>5} {'MB':>8} {'s (in workers)':>14} {'MB/s':>7} {'parsed':>8}")
        for fam, row in sorted(by_family.items(), key=lambda kv: -kv[1]["seconds"]):
            mbs = row["mb"] / row["seconds"] if row["seconds"] else 0.0
            print(
                f"{fam:34} {row['files']:5.0f} {row['mb']:8.1f} {row['seconds']:14.2f} "
                f"{mbs:7.0f} {row['parsed']:8.0f}"
            )
    if args.json:
        args.json.write_text(json.dumps(res) + "\n", encoding="utf-8")
    print(
        f"first pass: {res['records']} records ({res['parsed']} parsed), {len(findings)} findings, "
        f"{res['seconds']:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
