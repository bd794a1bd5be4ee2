"""The loaded rule set: compiled rules routed by logsource, plus what could not be loaded.

Worker processes get a rule set by pickling: a set made by :meth:`RuleSet.load` pickles as its
load arguments and is rebuilt (re-read and re-compiled) on unpickling, because compiled
matchers are closures. Alternatively call :meth:`RuleSet.load` with the same arguments in a
pool initializer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lekdicht.catalog.kinds import LogSource
from lekdicht.rules.loader import LoadResult, RuleWarning, load_rules, load_rules_from_text
from lekdicht.rules.logsources import covers
from lekdicht.rules.prefilter import Selector, build_selector
from lekdicht.rules.types import CompiledRule, UnusableRule

__all__ = ["RuleSet"]


class RuleSet:
    """Compiled rules with per-logsource routing (cached)."""

    def __init__(
        self,
        rules: Iterable[CompiledRule],
        unusable: Iterable[UnusableRule] = (),
        warnings: Iterable[RuleWarning] = (),
        loaded: dict[str, int] | None = None,
        load_args: tuple[tuple[str, ...], bool] | None = None,
    ) -> None:
        self.rules: list[CompiledRule] = list(rules)
        self.unusable: list[UnusableRule] = list(unusable)
        self.warnings: list[RuleWarning] = list(warnings)
        self.loaded: dict[str, int] = dict(loaded) if loaded is not None else {"": len(self.rules)}
        self._load_args = load_args
        self._by_logsource: dict[LogSource, list[CompiledRule]] = {}
        self._selectors: dict[tuple[LogSource, str | None], Selector | None] = {}

    @classmethod
    def from_result(
        cls, result: LoadResult, load_args: tuple[tuple[str, ...], bool] | None = None
    ) -> RuleSet:
        """Wrap a loader result."""
        return cls(result.rules, result.unusable, result.warnings, result.loaded, load_args)

    @classmethod
    def load(cls, paths: Sequence[Path | str] = (), include_builtin: bool = True) -> RuleSet:
        """Load the built-in rules (unless disabled) and the Sigma rules under ``paths``."""
        args = (tuple(str(p) for p in paths), include_builtin)
        return cls.from_result(load_rules(list(args[0]), include_builtin), args)

    @classmethod
    def from_yaml(cls, text: str) -> RuleSet:
        """A rule set from Sigma YAML text (one or more documents); not picklable."""
        return cls.from_result(load_rules_from_text(text))

    def rules_for(self, logsource: LogSource) -> list[CompiledRule]:
        """Rules whose logsource attributes all equal those of a record's ``logsource``."""
        found = self._by_logsource.get(logsource)
        if found is None:
            found = [r for r in self.rules if covers(r.logsource, logsource)]
            self._by_logsource[logsource] = found
        return found

    def selector_for(self, logsource: LogSource, engine: str | None = None) -> Selector | None:
        """Prefilter for the rules of ``logsource`` (cached), or None if a rule must see every line.

        ``engine`` forces ``"hyperscan"`` or ``"re"``; by default hyperscan where available.
        """
        key = (logsource, engine)
        if key not in self._selectors:
            self._selectors[key] = build_selector(self.rules_for(logsource), engine)
        return self._selectors[key]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary for ``report.json`` ``rules``.

        ``loaded``: number of usable rules; ``loaded_by_source``: per source folder (``builtin``
        for the packaged rules); ``unusable``: every rule that could not be used, with the
        reason; ``warnings``: problems in rules that were still loaded.
        """
        return {
            "loaded": len(self.rules),
            "loaded_by_source": dict(self.loaded),
            "unusable": [
                {"source": u.source, "reason": u.reason, "rule_id": u.rule_id} for u in self.unusable
            ],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[CompiledRule]:
        return iter(self.rules)

    def __reduce__(self) -> tuple[Any, ...]:
        if self._load_args is None:
            raise TypeError("only a RuleSet made by RuleSet.load can be pickled")
        paths, include_builtin = self._load_args
        return (_rebuild, (paths, include_builtin))


def _rebuild(paths: tuple[str, ...], include_builtin: bool) -> RuleSet:
    return RuleSet.load(list(paths), include_builtin)
