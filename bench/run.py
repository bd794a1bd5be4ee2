#!/usr/bin/env python3
"""Benchmark: lekdicht scan against ripgrep and a naive Python scan on generated evidence.

    python bench/run.py                 # 1 GB and 5 GB corpora, cold and warm cache (make bench)
    python bench/run.py --sizes 200M    # quicker
    python bench/run.py --check         # exit 1 if the findings differ from the planted lines

For each size it generates (or reuses, when parameters, generator and rules are unchanged) a
corpus under bench/out/corpus-<size>/ with bench/generate.py, then measures

- ``lekdicht scan`` end to end (subprocess, ``--quiet --no-progress``, default workers);
- lekdicht's log pass alone (bench/firstpass.py: catalog + read + prefilter + rules);
- ``rg`` (ripgrep) counting the lines that hold any of the prefilter's literals (``-i``, the
  union of the literal sets of every log source, as fixed strings; percent-tolerant literals as
  the same regular expressions the prefilter compiles);
- the naive baseline (bench/naive.py: one process, csv module / str.split, every rule on every
  line);

with wall time, CPU time (user + sys of the process tree, from ``getrusage(RUSAGE_CHILDREN)``),
peak memory (the process tree's summed RSS and PSS, sampled from /proc every 50 ms), MB/s
(10^6 bytes of evidence per wall second) and records/s. Cold runs drop the page cache first
(``echo 3 > /proc/sys/vm/drop_caches``, needs root); warm runs follow a cold run.

The findings of both lekdicht runs and of the naive scan are compared with the generator's
manifest (planted.jsonl): (file, line, rule id) must be equal, no misses and no extras.

Results go to bench/results.md and bench/results.json, and the table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SRC = REPO / "src"
if "--src" in sys.argv[:-1]:  # the generator's rule oracle must use the tree being measured
    SRC = Path(sys.argv[sys.argv.index("--src") + 1]).resolve()
for p in (str(HERE), str(SRC)):
    if p not in sys.path:
        sys.path.insert(0, p)

import generate  # noqa: E402

PY = sys.executable
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
}


# ---------------------------------------------------------------------------------------------
# Measuring one command


@dataclass(slots=True)
class Run:
    tool: str
    cache: str  # "cold" | "warm"
    wall: float
    cpu: float
    peak_rss_mb: float
    peak_pss_mb: float
    returncode: int
    mb_s: float = 0.0
    records_s: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def _children_of(root: int) -> list[int]:
    parent: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        rest = stat[stat.rfind(b")") + 2 :].split()
        parent[int(name)] = int(rest[1])
    tree = [root]
    frontier = [root]
    while frontier:
        nxt = [pid for pid, pp in parent.items() if pp in frontier]
        tree.extend(nxt)
        frontier = nxt
    return tree


def _mem_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class TreeMonitor(threading.Thread):
    """Samples the summed RSS and PSS of a process tree every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self._halt = threading.Event()

    def run(self) -> None:
        tick = 0
        tree = [self.pid]
        while not self._halt.is_set():
            if tick % 4 == 0:  # the tree changes rarely; re-walk /proc every 200 ms
                tree = _children_of(self.pid)
            tick += 1
            rss = pss = 0
            for pid in tree:
                r, p = _mem_kb(pid)
                rss += r
                pss += p
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(tree))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (from /proc/stat)."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("3\n")
        return True
    except OSError:
        return False


def measure(tool: str, cache: str, cmd: list[str], stdout: Path | None = None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0 = busy_seconds()
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=ENV, cwd=REPO)
    mon = TreeMonitor(proc.pid)
    mon.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    mon.stop()
    if stdout:
        out.close()  # type: ignore[union-attr]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run = Run(tool, cache, wall, cpu, mon.peak_rss / 1024, mon.peak_pss / 1024, proc.returncode)
    run.extra["processes"] = mon.peak_procs
    # CPU used meanwhile by everything else (other users, this script's sampler): a busy machine
    # makes wall times longer than the tool's own CPU time explains.
    run.extra["other_cpu"] = round(max(0.0, busy_seconds() - busy0 - cpu), 2)
    run.extra["stderr_tail"] = err.decode("utf-8", "replace")[-3000:] if err else ""
    return run


def _failed(run: Run, what: Path) -> None:
    """Stop with the tool's error output when it did not produce ``what`` (lekdicht's exit
    codes 0-6 are verdicts, so the exit code alone does not tell a crash)."""
    if not what.exists():
        sys.stderr.write(str(run.extra.get("stderr_tail", "")))
        raise SystemExit(f"{run.tool} ({run.cache}) failed: exit code {run.returncode}, no {what}")


# ---------------------------------------------------------------------------------------------
# Corpus and literals


def corpus_dir(out: Path, size_text: str) -> Path:
    return out / f"corpus-{size_text}"


def ensure_corpus(out: Path, size_text: str, seed: int, share: float, regen: bool) -> tuple[Path, dict]:  # type: ignore[type-arg]
    size = generate.parse_size(size_text)
    cdir = corpus_dir(out, size_text)
    meta_path = cdir / "corpus.json"
    if meta_path.exists() and not regen:
        meta = json.loads(meta_path.read_text())
        p = meta.get("params", {})
        if (
            meta.get("generator_version") == generate.GENERATOR_VERSION
            and meta.get("rules_digest") == generate.rules_digest()
            and p.get("size") == size
            and p.get("seed") == seed
            and p.get("attack_share") == share
        ):
            print(f"[{size_text}] reusing {cdir}", file=sys.stderr)
            return cdir, meta
    print(f"[{size_text}] generating {cdir} ...", file=sys.stderr, flush=True)
    meta = generate.generate(cdir, size, seed=seed, attack_share=share)
    return cdir, meta


def prefilter_literals() -> tuple[list[str], bool]:
    """The union of the literal sets of every text log source: (patterns, fixed_strings)."""
    from lekdicht.catalog.kinds import TEXT_LOGSOURCES
    from lekdicht.rules.prefilter import literal_pattern
    from lekdicht.rules.ruleset import RuleSet

    rs = RuleSet.load([])
    lits = set()
    for src in TEXT_LOGSOURCES.values():
        sel = rs.selector_for(src)
        if sel is not None:
            lits.update(sel.literals)
    lits_sorted = sorted(lits, key=lambda lit: (lit.text, lit.percent_tolerant))
    if any(lit.percent_tolerant for lit in lits_sorted):
        return [literal_pattern(lit) for lit in lits_sorted], False
    return [lit.text for lit in lits_sorted], True


def manifest(cdir: Path) -> set[tuple[str, int, str]]:
    out = set()
    with open(cdir / "planted.jsonl", encoding="utf-8") as fh:
        for line in fh:
            m = json.loads(line)
            out.add((m["file"], m["line"], m["rule"]))
    return out


def compare(expected: set[tuple[str, int, str]], got: set[tuple[str, int, str]]) -> dict[str, object]:
    missing = sorted(expected - got)
    extra = sorted(got - expected)
    return {
        "equal": not missing and not extra,
        "expected": len(expected),
        "found": len(got),
        "missing": len(missing),
        "extra": len(extra),
        "missing_examples": [list(x) for x in missing[:10]],
        "extra_examples": [list(x) for x in extra[:10]],
    }


def scan_findings(case: Path) -> set[tuple[str, int, str]]:
    got = set()
    with open(case / "findings.jsonl", encoding="utf-8") as fh:
        for line in fh:
            f = json.loads(line)
            ev = f.get("evidence", {})
            if ev.get("line") is not None:
                got.add((ev.get("path"), ev.get("line"), f["rule_id"]))
    return got


# ---------------------------------------------------------------------------------------------
# The benchmark


def bench_size(args: argparse.Namespace, size_text: str, can_drop: bool) -> dict[str, object]:
    cdir, meta = ensure_corpus(args.out, size_text, args.seed, args.attack_share, args.regen)
    evidence = cdir / "evidence"
    nbytes = int(meta["bytes"])
    expected = manifest(cdir)
    work = args.out / f"work-{size_text}"
    work.mkdir(parents=True, exist_ok=True)
    patterns, fixed = prefilter_literals()
    lit_file = work / "literals.txt"
    lit_file.write_text("\n".join(patterns) + "\n", encoding="utf-8")
    rg = shutil.which("rg")
    workers = ["--workers", str(args.workers)] if args.workers else []
    runs: list[Run] = []
    checks: dict[str, object] = {}
    caches = ["cold", "warm"] if can_drop and not args.warm_only else ["warm"]

    def lekdicht_scan(cache: str) -> Run:
        case = work / "case"
        shutil.rmtree(case, ignore_errors=True)
        if cache == "cold":
            drop_caches()
        cmd = [
            PY,
            "-m",
            "lekdicht.cli",
            "scan",
            str(evidence),
            "--out",
            str(case),
            "--quiet",
            "--no-progress",
            *workers,
        ]
        r = measure("lekdicht scan", cache, cmd)
        _failed(r, case / "report.json")
        report = json.loads((case / "report.json").read_text())
        records = report["evidence"]["totals"]["records_read"]
        r.mb_s = nbytes / 1e6 / r.wall
        r.records_s = records / r.wall
        r.extra["records"] = records
        r.extra["parsed"] = sum(f.get("records_parsed", 0) for f in report["evidence"]["files"])
        r.extra["verdict"] = report["verdict"]["overall"]
        r.extra["check"] = compare(expected, scan_findings(case))
        checks[f"lekdicht scan ({cache})"] = r.extra["check"]
        return r

    def first_pass(cache: str) -> Run:
        js = work / "firstpass.json"
        if cache == "cold":
            drop_caches()
        js.unlink(missing_ok=True)
        r = measure(
            "lekdicht log pass",
            cache,
            [PY, str(HERE / "firstpass.py"), str(evidence), "--json", str(js), *workers],
        )
        _failed(r, js)
        res = json.loads(js.read_text())
        r.mb_s = nbytes / 1e6 / r.wall
        r.records_s = res["records"] / r.wall
        r.extra.update(
            records=res["records"], parsed=res["parsed"], inner_seconds=round(res["scan_logs_seconds"], 3)
        )
        got = {(f[0], f[1], f[2]) for f in res["findings"]}
        r.extra["check"] = compare(expected, got)
        checks[f"lekdicht log pass ({cache})"] = r.extra["check"]
        return r

    def ripgrep(cache: str) -> Run:
        if cache == "cold":
            drop_caches()
        cmd = [
            rg,
            "--no-ignore",
            "--hidden",
            "--no-messages",
            "-c",
            "-i",
            *(["-F"] if fixed else []),
            "-f",
            str(lit_file),
            str(evidence),
        ]
        outp = work / "rg.out"
        r = measure("ripgrep", cache, cmd, stdout=outp)
        matched = 0
        for line in outp.read_text(encoding="utf-8", errors="replace").splitlines():
            matched += int(line.rsplit(":", 1)[1])
        r.mb_s = nbytes / 1e6 / r.wall
        r.records_s = meta["data_lines"] / r.wall
        r.extra["matching_lines"] = matched
        return r

    tools = {t.strip() for t in args.tools.split(",")}
    for cache in caches:
        for _ in range(1 if cache == "cold" else args.repeat):
            if "scan" in tools:
                runs.append(lekdicht_scan(cache))
            if "logpass" in tools:
                runs.append(first_pass(cache))
            if rg and "rg" in tools:
                runs.append(ripgrep(cache))
    if not args.skip_naive and "naive" in tools:
        js = work / "naive.json"
        js.unlink(missing_ok=True)
        r = measure("naive Python", "warm", [PY, str(HERE / "naive.py"), str(evidence), "--json", str(js)])
        _failed(r, js)
        res = json.loads(js.read_text())
        r.mb_s = nbytes / 1e6 / r.wall
        r.records_s = res["records"] / r.wall
        r.extra["records"] = res["records"]
        r.extra["check"] = compare(expected, {(f[0], f[1], f[2]) for f in res["findings"]})
        checks["naive"] = r.extra["check"]
        runs.append(r)
    for r in runs:
        r.extra.pop("stderr_tail", None)
    return {
        "size": size_text,
        "bytes": nbytes,
        "files": meta["files"],
        "data_lines": meta["data_lines"],
        "planted_lines": meta["planted_lines"],
        "expected_findings": meta["expected_findings"],
        "literals": patterns,
        "literals_fixed": fixed,
        "runs": [asdict(r) for r in _summarise(runs)],
        "checks": checks,
        "corpus": {
            k: meta[k]
            for k in ("bytes_by_family", "attacks_not_planted", "benign_lines_dropped")
            if k in meta
        },
    }


def _summarise(runs: list[Run]) -> list[Run]:
    """One row per (tool, cache): the median wall-time run."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.tool, r.cache), []).append(r)
    out = []
    for rs in groups.values():
        rs.sort(key=lambda r: r.wall)
        out.append(rs[len(rs) // 2])
    return out


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    rg_version = ""
    if shutil.which("rg"):
        rg_version = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[
            0
        ]
    try:
        import hyperscan  # type: ignore[import-not-found]

        hs = getattr(hyperscan, "__version__", "yes")
    except ImportError:
        hs = "not available"
    disk = ""
    try:
        dev = subprocess.run(
            ["df", "--output=source", str(REPO)], capture_output=True, text=True
        ).stdout.split()[-1]
        disk = dev
    except (OSError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": mem,
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "hyperscan": hs,
        "ripgrep": rg_version,
        "disk": disk,
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def markdown(doc: dict[str, object]) -> str:
    m = doc["machine"]
    lines = [
        f"Measured {doc['date']} on {m['cpu']} ({m['cores']} cores), {m['memory_mb'] // 1024} GB RAM, "  # type: ignore[index,operator]
        f"{m['os']}, Linux {m['kernel']}, Python {m['python']}, hyperscan {m['hyperscan']}, {m['ripgrep']}.",  # type: ignore[index]
        "",
        "| corpus | tool | cache | wall s | CPU s | MB/s | records/s | peak RSS MB | peak PSS MB "
        "| other CPU s | check |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in doc["sizes"]:  # type: ignore[attr-defined]
        label = f"{s['bytes'] / 1e9:.2f} GB"
        for r in s["runs"]:
            chk = r["extra"].get("check")
            if chk is None:
                mark = f"{r['extra'].get('matching_lines', '')} lines" if r["tool"] == "ripgrep" else ""
            elif chk["equal"]:
                mark = f"= planted ({chk['expected']})"
            else:
                mark = f"**{chk['missing']} missed, {chk['extra']} extra**"
            lines.append(
                f"| {label} | {r['tool']} | {r['cache']} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                f"{r['mb_s']:.0f} | "
                f"{r['records_s']:,.0f} | {r['peak_rss_mb']:.0f} | {r['peak_pss_mb']:.0f} | "
                f"{r['extra'].get('other_cpu', 0):.1f} | {mark} |"
            )
    lines.append("")
    for s in doc["sizes"]:  # type: ignore[attr-defined]
        by = {(r["tool"], r["cache"]): r for r in s["runs"]}
        for cache in ("cold", "warm"):
            rg = by.get(("ripgrep", cache))
            lp = by.get(("lekdicht log pass", cache))
            sc = by.get(("lekdicht scan", cache))
            if rg and lp and sc:
                lines.append(
                    f"- {s['bytes'] / 1e9:.2f} GB, {cache}: log pass "
                    f"{lp['wall'] / rg['wall']:.2f}× ripgrep's time, "
                    f"whole scan {sc['wall'] / rg['wall']:.2f}×; {s['data_lines']:,} lines, "
                    f"{s['planted_lines']} planted attack lines ({s['expected_findings']} expected findings)."
                )
    lines.append("")
    if not doc.get("cold_possible"):
        lines.append("Warm cache only: the page cache could not be dropped on this machine.")
    lines.append(
        "Check: findings (file, line, rule id) compared with the generator's manifest of planted lines. "
        "MB = 10^6 bytes. ripgrep: `rg -c -i` with the prefilter's literal set; records/s for ripgrep is "
        "lines per second. Naive: one process, every line parsed and every rule run. Peak RSS and PSS: "
        "summed over the process tree, sampled every 50 ms. Other CPU: CPU time used by other processes "
        "on the machine during the run (0 on an idle machine)."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1G,5G", help="comma-separated corpus sizes (default 1G,5G)")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="corpora and work files (git-ignored)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attack-share", type=float, default=0.0001)
    ap.add_argument("--workers", type=int, default=None, help="passed to lekdicht (default: all cores)")
    ap.add_argument("--repeat", type=int, default=1, help="warm runs per tool (the median is reported)")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpora")
    ap.add_argument("--warm-only", action="store_true", help="skip the cold-cache runs")
    ap.add_argument("--skip-naive", action="store_true", help="skip the (slow) naive baseline")
    ap.add_argument("--check", action="store_true", help="exit 1 if any findings differ from the manifest")
    ap.add_argument("--results", type=Path, default=HERE / "results", help="write <this>.md and <this>.json")
    ap.add_argument(
        "--src",
        type=Path,
        default=None,
        help="run lekdicht from this source tree instead of ./src (before/after comparisons)",
    )
    ap.add_argument(
        "--tools", default="scan,logpass,rg,naive", help="comma-separated subset of scan,logpass,rg,naive"
    )
    args = ap.parse_args(argv)
    if not shutil.which("rg"):
        print(
            "ripgrep (rg) not found: install it (Debian: apt-get install ripgrep); skipping that baseline",
            file=sys.stderr,
        )
    can_drop = drop_caches()
    if not can_drop:
        print("cannot drop the page cache (needs root): warm-cache figures only", file=sys.stderr)
    doc: dict[str, object] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "cold_possible": can_drop,
        "params": {"seed": args.seed, "attack_share": args.attack_share, "workers": args.workers},
        "sizes": [],
    }
    for size_text in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        doc["sizes"].append(bench_size(args, size_text, can_drop))  # type: ignore[attr-defined]
    md = markdown(doc)
    print(md)
    args.results.with_suffix(".md").write_text(md, encoding="utf-8")
    args.results.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    bad = {f"{s['size']} {k}": v for s in doc["sizes"] for k, v in s["checks"].items() if not v["equal"]}  # type: ignore[attr-defined]
    if bad:
        print("FINDINGS DIFFER FROM THE PLANTED LINES:", file=sys.stderr)
        for k, v in bad.items():
            print(
                f"  {k}: {v['missing']} missed {v['missing_examples'][:3]}, "
                f"{v['extra']} extra {v['extra_examples'][:3]}",
                file=sys.stderr,
            )
        if args.check:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
