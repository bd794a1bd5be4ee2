"""YARA with yara-x: the built-in rules of ``lekdicht/rules/yara`` plus user rule folders (``--yara DIR``).

User rule files are compiled one by one first, so that a file that does not compile is reported with its
error and left out, then all good files are compiled together, each in its own namespace. Loki's external
variables (``filename``, ``filepath``, ``extension``, ``filetype``, ``owner``, ``md5``) are defined as
globals so that signature-base rules that use them compile; they are set for every file scanned.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from types import ModuleType
from typing import Any

from lekdicht.files.results import ScanError

BUILTIN_NAMESPACE = "lekdicht"
USER_RULE_SUFFIXES = (".yar", ".yara")
SCAN_TIMEOUT_SECONDS = 60
_GLOBALS = ("filename", "filepath", "extension", "filetype", "owner", "md5")


@dataclass(frozen=True, slots=True)
class PatternHit:
    """First match of one pattern."""

    identifier: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched one file."""

    namespace: str
    identifier: str
    metadata: dict[str, Any]
    patterns: tuple[PatternHit, ...]
    origin: str
    """Rule file the rule came from."""

    @property
    def builtin(self) -> bool:
        return self.namespace == BUILTIN_NAMESPACE


def import_yara_x() -> ModuleType:
    """Import yara-x (a function so that tests can simulate a platform without it)."""
    return importlib.import_module("yara_x")


def _yara_version() -> str:
    try:
        return metadata.version("yara-x")
    except metadata.PackageNotFoundError:
        return "unknown version"


def builtin_rule_sources() -> list[tuple[str, str]]:
    """(package-relative name, source) of every built-in ``.yar`` file, sorted by name."""
    folder = resources.files("lekdicht").joinpath("rules", "yara")
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".yar") and entry.is_file():
            out.append((f"rules/yara/{entry.name}", entry.read_text(encoding="utf-8")))
    return sorted(out)


def _user_rule_files(dirs: Sequence[Path], errors: list[ScanError]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_file() and d.suffix.lower() in USER_RULE_SUFFIXES:
            files.append(d)
        elif d.is_dir():
            files.extend(
                sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in USER_RULE_SUFFIXES)
            )
        else:
            errors.append(ScanError("rule_compile", str(d), "YARA rule folder not found or not readable"))
    return files


def _namespace_for(index: int, path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_]", "_", path.stem)
    return f"user{index:03d}_{stem}"


def _meta_value(value: Any) -> Any:
    """yara-x returns meta strings with escape sequences as bytes; decode them to text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


@dataclass(slots=True)
class YaraEngine:
    """Compiled rules and one scanner, built once per scan."""

    module: ModuleType
    rules: Any
    scanner: Any
    version: str
    rule_files: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    """Namespace → rule file."""
    has_user_rules: bool = False

    @property
    def description(self) -> str:
        return f"yara-x {self.version}"

    @classmethod
    def build(cls, extra_dirs: Sequence[Path], errors: list[ScanError]) -> YaraEngine:
        """Compile built-in and user rules. Raises ImportError if yara-x is missing and RuntimeError if the
        built-in rules do not compile; user-rule problems are appended to ``errors``."""
        yx = import_yara_x()

        def new_compiler() -> Any:
            comp = yx.Compiler()
            for name in _GLOBALS:
                comp.define_global(name, "")
            return comp

        builtin = builtin_rule_sources()
        good_user: list[tuple[str, Path, str]] = []
        for index, path in enumerate(_user_rule_files(extra_dirs, errors)):
            try:
                source = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                errors.append(ScanError("rule_compile", str(path), f"cannot read rule file: {exc}"))
                continue
            namespace = _namespace_for(index, path)
            probe = new_compiler()
            probe.new_namespace(namespace)
            try:
                probe.add_source(source, origin=str(path))
            except Exception as exc:  # yara_x.CompileError and anything the binding raises
                errors.append(ScanError("rule_compile", str(path), str(exc)))
                continue
            good_user.append((namespace, path, source))

        compiler = new_compiler()
        origins: dict[str, str] = {}
        compiler.new_namespace(BUILTIN_NAMESPACE)
        for name, source in builtin:
            try:
                compiler.add_source(source, origin=name)
            except Exception as exc:
                raise RuntimeError(f"built-in YARA rules {name} do not compile: {exc}") from exc
        origins[BUILTIN_NAMESPACE] = ", ".join(n for n, _ in builtin)
        used_user: list[str] = []
        for namespace, path, source in good_user:
            compiler.new_namespace(namespace)
            try:
                compiler.add_source(source, origin=str(path))
            except Exception as exc:  # e.g. conflicts only visible together
                errors.append(
                    ScanError("rule_compile", str(path), f"left out when compiling together: {exc}")
                )
                continue
            origins[namespace] = str(path)
            used_user.append(str(path))
        rules = compiler.build()
        scanner = yx.Scanner(rules)
        scanner.set_timeout(SCAN_TIMEOUT_SECONDS)
        return cls(
            module=yx,
            rules=rules,
            scanner=scanner,
            version=_yara_version(),
            rule_files=[n for n, _ in builtin] + used_user,
            origins=origins,
            has_user_rules=bool(used_user),
        )

    def scan(self, data: bytes, relpath: str, extension: str, md5: str = "") -> list[RuleHit]:
        """Scan ``data``; raises the binding's ScanError/TimeoutError on failure."""
        name = relpath.replace("\\", "/").rsplit("/", 1)[-1]
        values = {
            "filename": name,
            "filepath": relpath.replace("/", "\\"),
            "extension": extension,
            "filetype": "",
            "owner": "",
            "md5": md5,
        }
        for key, value in values.items():
            self.scanner.set_global(key, value)
        results = self.scanner.scan(data)
        hits = []
        for rule in results.matching_rules:
            patterns = []
            for pattern in rule.patterns:
                if pattern.matches:
                    first = pattern.matches[0]
                    patterns.append(PatternHit(pattern.identifier, first.offset, first.length))
            hits.append(
                RuleHit(
                    namespace=rule.namespace,
                    identifier=rule.identifier,
                    metadata={k: _meta_value(v) for k, v in rule.metadata},
                    patterns=tuple(patterns),
                    origin=self.origins.get(rule.namespace, ""),
                )
            )
        return hits
