"""Load Sigma rules from the built-in rule folder and user folders, reporting every rule it drops.

Every ``*.yml``/``*.yaml`` file under a folder (recursively, in sorted order; hidden files and
folders such as ``.github`` are skipped) is read as Sigma YAML: one or more documents, with the
Sigma collection actions (``action: global``/``reset``/``repeat``), Sigma filters (applied to all
loaded rules) and correlation rules (reported as unsupported). What cannot be used becomes an
:class:`UnusableRule`: YAML and pySigma errors, unsupported features (correlations,
aggregations, unknown ``%placeholders%``), logsources no artefact provides, invalid lekdicht attributes, and
duplicate rule ids or names (the first rule wins).

pySigma metadata errors that do not affect detection (non-UUID ids, malformed dates, unknown
status or level, tags without a namespace, ...) do not drop the rule; all but the id check are
returned as :class:`RuleWarning`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma import exceptions as sx
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.filters import SigmaFilter
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ValueListPlaceholderTransformation
from sigma.rule import SigmaRule
from sigma.rule.base import SigmaYAMLLoader

from lekdicht.rules.compiler import RuleCompileError, compile_rule, rule_identifier, rule_logsource
from lekdicht.rules.fieldmap import FieldMap, default_fieldmap
from lekdicht.rules.logsources import describe, is_known
from lekdicht.rules.placeholders import placeholder_pipeline
from lekdicht.rules.types import CompiledRule, UnusableRule

__all__ = [
    "BUILTIN_DIR",
    "BUILTIN_LABEL",
    "LoadResult",
    "RuleWarning",
    "load_rules",
    "load_rules_from_text",
    "rule_files",
]

BUILTIN_DIR = Path(__file__).with_name("sigma")
"""The packaged Sigma rules."""

BUILTIN_LABEL = "builtin"
"""Summary label of the packaged rules."""

RULE_SUFFIXES = (".yml", ".yaml")

# The Sigma specification names `utf16le`; pySigma 2.0 knows it only as `wide`.
modifier_mapping.setdefault("utf16le", SigmaWideModifier)

# pySigma errors about metadata that do not affect what a rule detects.
_TOLERATED: tuple[type[SigmaError], ...] = (
    sx.SigmaIdentifierError,
    sx.SigmaDateError,
    sx.SigmaModifiedError,
    sx.SigmaStatusError,
    sx.SigmaLevelError,
    sx.SigmaAuthorError,
    sx.SigmaDescriptionError,
    sx.SigmaFalsePositivesError,
    sx.SigmaFieldsError,
    sx.SigmaReferencesError,
    sx.SigmaTagError,
    sx.SigmaRelatedError,
    sx.SigmaLicenseError,
    sx.SigmaScopeError,
    sx.SigmaNameError,
    sx.SigmaTaxonomyError,
)
_SILENT: tuple[type[SigmaError], ...] = (sx.SigmaIdentifierError,)


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A problem in a rule that was still loaded."""

    source: str
    message: str
    rule_id: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"source": self.source, "message": self.message, "rule_id": self.rule_id}


@dataclass(slots=True)
class LoadResult:
    """Compiled rules, what was dropped and why, and how many rules each folder gave."""

    rules: list[CompiledRule] = field(default_factory=list)
    unusable: list[UnusableRule] = field(default_factory=list)
    warnings: list[RuleWarning] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Parsed:
    rule: SigmaRule
    source: str
    label: str


def _message(exc: BaseException) -> str:
    """Error text without pySigma's appended absolute source path, on one line."""
    if isinstance(exc, SigmaError) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
    else:
        text = str(exc) or type(exc).__name__
    return re.sub(r"\s+", " ", text).strip()


def rule_files(root: Path) -> list[Path]:
    """Rule files under ``root`` (or ``root`` itself if it is a file), sorted, hidden skipped."""
    if root.is_file():
        return [root]
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in RULE_SUFFIXES and path.is_file():
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _pipeline(placeholders: Mapping[str, Sequence[str]] | None) -> ProcessingPipeline:
    if placeholders is None:
        return placeholder_pipeline()
    return ProcessingPipeline(
        name="placeholders",
        items=[ProcessingItem(ValueListPlaceholderTransformation(), identifier="placeholders")],
        vars={name: [str(v) for v in values] for name, values in placeholders.items()},
    )


class _Loader:
    def __init__(self, fieldmap: FieldMap, pipeline: ProcessingPipeline) -> None:
        self.fieldmap = fieldmap
        self.pipeline = pipeline
        self.result = LoadResult()
        self.parsed: list[_Parsed] = []
        self.filters: list[tuple[SigmaFilter, str]] = []

    def unusable(self, source: str, reason: str, rule_id: str | None = None) -> None:
        self.result.unusable.append(UnusableRule(source, reason, rule_id))

    def warn(self, source: str, message: str, rule_id: str | None = None) -> None:
        self.result.warnings.append(RuleWarning(source, message, rule_id))

    # -- parsing ---------------------------------------------------------------------------

    def add_file(self, path: Path, source: str, label: str) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.unusable(source, f"cannot read rule file: {_message(exc)}")
            return
        self.add_text(text, source, label, location=path)

    def add_text(self, text: str, source: str, label: str, location: Path | None = None) -> None:
        try:
            docs: list[Any] = list(yaml.load_all(text, Loader=SigmaYAMLLoader))
        except (yaml.YAMLError, ValueError, TypeError) as exc:  # bad timestamps raise ValueError
            self.unusable(source, f"YAML error: {_message(exc)}")
            return
        dicts: list[Any] = []
        for i, doc in enumerate(docs, 1):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                self.unusable(source, f"YAML document {i} is not a mapping, so not a Sigma rule")
                continue
            dicts.append(doc)
        if not dicts:
            if all(d is None for d in docs):
                self.unusable(source, "file contains no Sigma rule")
            return
        try:
            collection = SigmaCollection.from_dicts(
                dicts,
                collect_errors=True,
                source=SigmaRuleLocation(location or Path(source)),
                collect_filters=True,
                resolve_references=False,
            )
        except Exception as exc:  # pySigma may raise plain TypeErrors on malformed input
            self.unusable(source, f"not a valid Sigma rule file: {_message(exc)}")
            return

        owned: set[int] = set()
        for item in [*collection.rules, *collection.filters]:
            owned.update(id(e) for e in item.errors)
        for err in collection.errors:
            if id(err) not in owned:
                self.unusable(source, _message(err))

        for item in collection.rules:
            if isinstance(item, SigmaCorrelationRule):
                rid = str(item.id) if item.id is not None else (item.name or item.title or None)
                self.unusable(source, "correlation rules are not supported", rid)
            elif isinstance(item, SigmaRule) and self._check_errors(item, source):
                self.parsed.append(_Parsed(item, source, label))
        for flt in collection.filters:
            if self._check_errors(flt, source, kind="filter"):
                self.filters.append((flt, source))

    def _check_errors(self, item: SigmaRule | SigmaFilter, source: str, kind: str = "rule") -> bool:
        rid = rule_identifier(item) if isinstance(item, SigmaRule) else _filter_id(item)
        fatal = [e for e in item.errors if not isinstance(e, _TOLERATED)]
        if fatal:
            reasons = list(dict.fromkeys(_message(e) for e in fatal))
            prefix = "" if kind == "rule" else "filter: "
            self.unusable(source, prefix + "; ".join(reasons), rid or None)
            return False
        for err in item.errors:
            if not isinstance(err, _SILENT):
                self.warn(source, _message(err), rid or None)
        return True

    # -- filters and compilation -------------------------------------------------------------

    def apply_filters(self) -> None:
        if not self.filters:
            return
        kept: list[_Parsed] = []
        for parsed in self.parsed:
            try:
                for flt, _flt_source in self.filters:
                    parsed.rule = flt.apply_on_rule(parsed.rule)  # type: ignore[assignment]
            except Exception as exc:
                self.unusable(
                    parsed.source,
                    f"a Sigma filter could not be applied: {_message(exc)}",
                    rule_identifier(parsed.rule) or None,
                )
                continue
            kept.append(parsed)
        self.parsed = kept

    def compile_all(self) -> None:
        seen: dict[str, str] = {}
        for parsed in self.parsed:
            rule, source = parsed.rule, parsed.source
            rid = rule_identifier(rule)
            logsource = rule_logsource(rule)
            if not is_known(logsource):
                self.unusable(source, f"no artefact provides logsource {describe(logsource)}", rid or None)
                continue
            try:
                self.pipeline.apply(rule)
            except Exception as exc:
                self.unusable(source, f"placeholder expansion failed: {_message(exc)}", rid or None)
                continue
            try:
                compiled = compile_rule(rule, source, self.fieldmap)
            except RuleCompileError as exc:
                self.unusable(source, str(exc), rid or None)
                continue
            except Exception as exc:  # a bug or an unforeseen pySigma structure: never crash
                self.unusable(source, f"cannot compile rule: {type(exc).__name__}: {_message(exc)}", rid)
                continue
            keys = [compiled.id] + ([str(rule.id)] if rule.id is not None else [])
            clash = next((k for k in keys if k in seen), None)
            if clash is not None:
                self.unusable(source, f"duplicate rule id {clash} (first loaded from {seen[clash]})", rid)
                continue
            seen.update(dict.fromkeys(keys, source))
            self.result.rules.append(compiled)
            self.result.loaded[parsed.label] = self.result.loaded.get(parsed.label, 0) + 1

    def finish(self) -> LoadResult:
        self.apply_filters()
        self.compile_all()
        return self.result


def _filter_id(flt: SigmaFilter) -> str:
    return str(flt.id) if flt.id is not None else str(flt.title or "")


def _builtin_source(path: Path) -> str:
    return "rules/sigma/" + path.relative_to(BUILTIN_DIR).as_posix()


def load_rules(
    paths: Sequence[Path | str] = (),
    include_builtin: bool = True,
    fieldmap: FieldMap | None = None,
    placeholders: Mapping[str, Sequence[str]] | None = None,
) -> LoadResult:
    """Load and compile the built-in rules (optional) and every rule under ``paths``.

    ``placeholders`` gives the values of ``%name%`` placeholders (``|expand``); by default
    those of :mod:`lekdicht.rules.placeholders`.
    """
    loader = _Loader(fieldmap or default_fieldmap(), _pipeline(placeholders))
    if include_builtin:
        loader.result.loaded.setdefault(BUILTIN_LABEL, 0)
        if BUILTIN_DIR.is_dir():
            for path in rule_files(BUILTIN_DIR):
                loader.add_file(path, _builtin_source(path), BUILTIN_LABEL)
    for raw in paths:
        root = Path(raw)
        label = str(root)
        loader.result.loaded.setdefault(label, 0)
        if not root.exists():
            loader.unusable(label, "rule path does not exist")
            continue
        for path in rule_files(root):
            loader.add_file(path, str(path), label)
    return loader.finish()


def load_rules_from_text(
    texts: str | Iterable[tuple[str, str]],
    fieldmap: FieldMap | None = None,
    label: str = "text",
    placeholders: Mapping[str, Sequence[str]] | None = None,
) -> LoadResult:
    """Load rules from YAML text: one string, or (source name, text) pairs. Mainly for tests."""
    loader = _Loader(fieldmap or default_fieldmap(), _pipeline(placeholders))
    loader.result.loaded.setdefault(label, 0)
    pairs = [("<text>", texts)] if isinstance(texts, str) else list(texts)
    for source, text in pairs:
        loader.add_text(text, source, label)
    return loader.finish()
