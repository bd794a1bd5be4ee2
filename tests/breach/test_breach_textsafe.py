"""Attacker-controlled text is inert in Markdown and HTML output."""

from __future__ import annotations

from markdown_it import MarkdownIt

from lekdicht.breach.textsafe import clean, html_text, md

EVIL = (
    "<script>alert(1)</script> [click](javascript:alert(1)) ![x](http://evil.example/p.png) **bold** "
    "`code` | cell | ~~gone~~ <img src=x onerror=alert(1)> https://evil.example www.evil.example &amp;"
)
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def test_md_leaves_no_markup() -> None:
    html = RENDER.render(f"- UA: {md(EVIL)}\n")
    for bad in ("<script", "<img", "<a ", "<strong>", "<em>", "<code>", "<s>", "<del>", "href="):
        assert bad not in html
    assert "&lt;script&gt;" in html


def test_md_in_a_table_cell_stays_one_cell() -> None:
    html = RENDER.render(f"| a | b |\n|---|---|\n| {md('x | y')} | z |\n")
    assert html.count("<td>") == 2


def test_md_block_markers_at_the_start() -> None:
    for text in ("- item", "# heading", "1. one", "---", "> quote", "=="):
        html = RENDER.render(f"{md(text)}\n")
        for tag in ("<ul>", "<ol>", "<h1>", "<h2>", "<hr", "<blockquote>"):
            assert tag not in html, (text, html)
    assert md("203.0.113.37") == "203.0.113.37"  # no needless escapes


def test_controls_and_newlines_cannot_break_out() -> None:
    assert clean("a\nb\r\x1b[31mc\u202ed") == "a b  [31mc<U+202E>d"
    html = RENDER.render(f"- {md('x' + chr(10) + '# injected heading')}\n")
    assert "<h1>" not in html


def test_html_text_escapes() -> None:
    assert html_text('<b onclick="x">&') == "&lt;b onclick=&quot;x&quot;&gt;&amp;"
