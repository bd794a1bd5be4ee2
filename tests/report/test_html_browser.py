"""The demo case's HTML report in headless Chromium: renders without console messages, in both
languages, prints to PDF, and its screenshot is a real picture."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lekdicht.report.html import write_html
from report.chromium import console_messages


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_demo_report_renders_without_console_errors(
    demo_report: dict[str, Any], chromium: Any, tmp_path: Path, lang: str
) -> None:
    page = tmp_path / f"report-{lang}.html"
    write_html(demo_report, page, lang)
    dom, console = chromium.dump_dom(page)
    assert console == []
    assert f'<html lang="{lang}">' in dom
    assert re.search(r"<script", dom, re.IGNORECASE) is None
    assert "<svg" in dom and 'class="verdict v-compromised"' in dom


def test_demo_report_screenshot_and_pdf(demo_report: dict[str, Any], chromium: Any, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_html(demo_report, page, "en")
    png = tmp_path / "shot.png"
    assert chromium.screenshot(page, png) == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # not a blank page
    pdf = tmp_path / "report.pdf"
    done = chromium.run(page.resolve().as_uri(), f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert done.returncode == 0 and console_messages(done.stderr) == []
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


def test_console_check_does_detect_errors(chromium: Any, tmp_path: Path) -> None:
    """The check itself works: a page with a failing script and a CSP violation is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    _, console = chromium.dump_dom(bad)
    assert any("boom" in line for line in console) and any("Uncaught" in line for line in console)
    blocked = tmp_path / "blocked.html"
    blocked.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"><title>t</title></head><body>"
        "<script>document.title='pwned'</script></body></html>"
    )
    dom, console = chromium.dump_dom(blocked)
    assert console and "<title>t</title>" in dom  # blocked by the CSP, and reported
