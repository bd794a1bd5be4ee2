"""The HTML report: one self-contained, script-free page in Dutch or English.

``write_html(report, path, lang)`` writes it; ``render_html`` returns it as text;
``default_lang()`` picks ``nl`` or ``en`` from the locale.
"""

from __future__ import annotations

from lekdicht.report.html.page import default_lang, render_html, write_html

__all__ = ["default_lang", "render_html", "write_html"]
