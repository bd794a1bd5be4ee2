"""Make docs/report-demo.png: scan the synthetic demo evidence, render the HTML report, photograph it.

Run from the repository root: ``.venv/bin/python tests/report/make_demo_screenshot.py [--lang en|nl]``.
Needs Chromium (see ``chromium.py``; set LEKDICHT_INSTALL_CHROMIUM=1 as root to install it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    """Write the screenshot; return the process exit code."""
    sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]
    from lekdicht.report.html import write_html
    from lekdicht.scan.pipeline import ScanOptions
    from lekdicht.scan.run import scan_and_report
    from report.chromium import Chromium, ensure_chromium

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", choices=("en", "nl"), default="en")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report-demo.png")
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    args.out = args.out.resolve()
    os.chdir(REPO)  # the page shows the evidence path as given: keep it relative
    binary, reason = ensure_chromium()
    if binary is None:
        print(reason, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        case.mkdir()
        report = scan_and_report(ScanOptions(evidence=Path("demo/evidence"), out=case, workers=1)).report
        page = case / "report.html"
        write_html(report, page, args.lang)
        console = Chromium(binary, Path(tmp) / "profile").screenshot(page, args.out, 1280, args.height)
    if console:
        print("\n".join(console), file=sys.stderr)
        return 1
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
