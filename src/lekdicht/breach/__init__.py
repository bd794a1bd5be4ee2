"""Personal-data-breach assessment (GDPR Art. 33/34) and notification drafts for an Exchange compromise.

``lekdicht breach CASE --answers FILE`` turns a scan's report.json and the organisation's answers into
an assessment (nature, ENISA severity with every input, Art. 33/34 decision support with the closest
EDPB example, the 72-hour deadline) and drafts: the AP notification form pre-fill (NL/EN), a message
to the people affected (NL/EN), ``breach.json`` and a breach-register entry (Art. 33(5)).
Every value is ``given`` (answers), ``derived`` (report) or ``missing``, never invented.
"""

from __future__ import annotations

from lekdicht.breach.answers import Answers, AnswersError, load_answers, parse_answers, template
from lekdicht.breach.assessment import BreachAssessment, assess
from lekdicht.breach.cli import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, breach_command
from lekdicht.breach.deadline import Deadline, compute_deadline, deadline_for
from lekdicht.breach.decision import Decision, closest_cases, decide
from lekdicht.breach.drafts.html import render_breach_html_section
from lekdicht.breach.enisa import Severity, level_for
from lekdicht.breach.enisa import score as enisa_score
from lekdicht.breach.facts import CaseFacts, ReportError, derive_facts, load_report
from lekdicht.breach.textsafe import html_text, md

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "EXIT_USAGE",
    "Answers",
    "AnswersError",
    "BreachAssessment",
    "CaseFacts",
    "Deadline",
    "Decision",
    "ReportError",
    "Severity",
    "assess",
    "breach_command",
    "closest_cases",
    "compute_deadline",
    "deadline_for",
    "decide",
    "derive_facts",
    "enisa_score",
    "html_text",
    "level_for",
    "load_answers",
    "load_report",
    "md",
    "parse_answers",
    "render_breach_html_section",
    "template",
]
