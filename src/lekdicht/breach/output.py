"""Write the assessment's outputs into the output folder and append the register entry."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lekdicht.breach.answers import Answers
from lekdicht.breach.assessment import BreachAssessment
from lekdicht.breach.drafts.apform import render_ap_form
from lekdicht.breach.drafts.assessment_md import render_assessment
from lekdicht.breach.drafts.html import render_breach_html_section
from lekdicht.breach.drafts.notice import render_notice
from lekdicht.breach.drafts.register import append_register, register_entry

FILES = {
    "assessment": "breach-assessment.md",
    "ap_form_nl": "ap-melding-nl.md",
    "ap_form_en": "ap-notification-en.md",
    "notice_nl": "bericht-betrokkenen-nl.md",
    "notice_en": "notice-data-subjects-en.md",
    "html_section": "breach-section.html",
    "json": "breach.json",
}
REGISTER_NAME = "breach-register.jsonl"


def write_outputs(
    a: BreachAssessment, out: Path, register: Path | None
) -> tuple[dict[str, Path], int | None]:
    """Write every draft, ``breach.json`` and (unless ``register`` is None) append the register entry.

    Returns the files written and the number of entries in the register afterwards.
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / name for k, name in FILES.items()}
    texts = {
        "assessment": render_assessment(a, str(register) if register else None),
        "ap_form_nl": render_ap_form(a, "nl"),
        "ap_form_en": render_ap_form(a, "en"),
        "notice_nl": render_notice(a, "nl"),
        "notice_en": render_notice(a, "en"),
        "html_section": render_breach_html_section(a, "en"),
    }
    for key, text in texts.items():
        paths[key].write_text(text, encoding="utf-8")
    doc = a.to_json()
    doc["outputs"] = {k: str(p) for k, p in paths.items()}
    doc["register"] = str(register) if register else None
    paths["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    entries: int | None = None
    if register is not None:
        entries = append_register(register, register_entry(a, {k: str(p) for k, p in paths.items()}))
    return paths, entries


def write_answers_used(answers: Answers, out: Path) -> Path:
    """Save the answers (including those typed at the terminal) for the next run."""
    path = out / "answers-used.yml"
    header = "# Answers used by lekdicht breach (including answers typed at the terminal).\n"
    path.write_text(
        header + yaml.safe_dump(answers.to_yaml_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path
