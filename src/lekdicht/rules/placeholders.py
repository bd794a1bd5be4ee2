"""Sigma placeholder values (``field|expand: '%name%'``) filled from lekdicht's data files.

Rules keep allow-lists and IOC lists out of their YAML by naming a placeholder; the values come
from the same data files the file scanner uses, so the two never disagree.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ValueListPlaceholderTransformation


def _auth_pages() -> dict[str, list[str]]:
    text = resources.files("lekdicht.data").joinpath("exchange_auth_pages.yml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {k: [str(v) for v in (data.get(k) or [])] for k in ("owa_auth", "ecp_auth")}


@lru_cache(maxsize=1)
def placeholder_values() -> dict[str, list[str]]:
    """All placeholder names and their values."""
    pages = _auth_pages()
    return {
        "exchange_owa_auth_urls": [f"/owa/auth/{name}" for name in pages["owa_auth"]],
        "exchange_ecp_auth_urls": [f"/ecp/auth/{name}" for name in pages["ecp_auth"]],
    }


def placeholder_pipeline() -> ProcessingPipeline:
    """A pySigma pipeline that replaces known placeholders; unknown ones stay and make the rule unusable."""
    return ProcessingPipeline(
        name="lekdicht placeholders",
        items=[ProcessingItem(ValueListPlaceholderTransformation(), identifier="lekdicht_placeholders")],
        vars=dict(placeholder_values()),
    )
