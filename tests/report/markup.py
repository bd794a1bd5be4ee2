"""A strict look at the HTML report's markup: balanced tags, only our elements, no handlers."""

from __future__ import annotations

from html.parser import HTMLParser

# Elements the HTML report may contain; anything else (script, img, iframe, object, ...) in a rendered
# page came from data and means escaping failed.
ALLOWED_TAGS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "link",
        "style",
        "body",
        "header",
        "nav",
        "section",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "a",
        "b",
        "i",
        "code",
        "span",
        "div",
        "ol",
        "ul",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "br",
        "svg",
        "g",
        "rect",
        "line",
        "text",
    ]
)
VOID_TAGS = frozenset({"meta", "link", "br", "rect", "line"})


class MarkupCheck(HTMLParser):
    """Collects tags and attributes of a page and checks that open and close tags balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_markup(page: str) -> MarkupCheck:
    """Parse ``page``; assert balanced tags, only allowed elements, no event handlers or scripts."""
    check = MarkupCheck()
    check.feed(page)
    check.close()
    assert not check.problems, check.problems[:5]
    assert not check.stack, f"unclosed: {check.stack[-5:]}"
    unexpected = sorted(set(check.tags) - ALLOWED_TAGS)
    assert not unexpected, f"unexpected elements: {unexpected}"
    for tag, name, value in check.attrs:
        assert not name.startswith("on"), (tag, name, value)
        assert name not in ("src", "srcdoc", "formaction", "action"), (tag, name, value)
        if name == "href":
            assert value is not None and value.startswith(("#", "https://", "http://", "data:,")), value
    return check
