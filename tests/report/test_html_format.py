"""Formatting helpers of the HTML report: times, numbers, sizes, URLs (synthetic values)."""

from __future__ import annotations

from lekdicht.report.html.fmt import esc, long_time, number, safe_url, short_time, size, trunc


def test_times() -> None:
    assert short_time("2021-03-03T02:10:41.123456Z") == "2021-03-03 02:10:41"
    assert short_time("2021-03-03T04:10:41+02:00") == "2021-03-03 02:10:41"
    assert short_time(None) == "-" and short_time("yesterday") == "yesterday"
    assert long_time("2021-03-02T23:10:00.3Z", "nl") == "2 maart 2021 23:10"
    assert long_time("2021-03-02T23:10:00.3Z", "en") == "2 March 2021 23:10"
    assert long_time("2021-01-06", "nl") == "6 januari 2021"
    assert long_time(None, "en") == "-"


def test_numbers_and_sizes() -> None:
    assert number(100_000, "en") == "100,000" and number(100_000, "nl") == "100.000"
    assert number(None, "en") == "-"
    assert (
        size(999, "en") == "999 B" and size(1_500_000, "en") == "1.5 MB" and size(1_500_000, "nl") == "1,5 MB"
    )
    assert size(None, "en") == "-"


def test_escaping_and_urls() -> None:
    assert esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert esc("it's") == "it&#x27;s" and esc(None) == ""
    assert trunc("abcdef", 4) == "abc…"
    assert safe_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    for bad in ("javascript:alert(1)", 'https://x/"><script>', "data:text/html,x", "//evil", None):
        assert safe_url(bad) is None
