"""Helpers for testing rules: inline VALID/INVALID cases and annotated fixture files.

Fixture files live in ``fixtures/``: ``MEM202.py`` (or ``MEM202_variant.py``)
is linted with rule MEM202 alone; each expected finding is marked on its line
with a trailing comment ``# expect: MEM202:9`` (code and 1-based column; several
separated by commas). A first line ``# fixture-options: {...}`` (JSON) can set
``options`` and ``target-version``. ``MEM202.fixed.py`` beside it is the golden
result of ``--fix --unsafe-fixes``.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from memlint.analysis.project import Project, single_file_project
from memlint.config import Settings, parse_version
from memlint.diagnostics import Diagnostic
from memlint.engine import DecodeFailure, decode_source, lint_bytes
from memlint.fixes import fix_allowed, fix_text, parses
from memlint.index import build_index, module_names
from memlint.registry import Registry, get_registry
from memlint.rule import Invalid, Rule, Valid

# Inline cases get a fixed target so results do not depend on the interpreter.
DEFAULT_TARGET = (3, 12)
EXPECT_RE = re.compile(r"#\s*expect:\s*(?P<items>[A-Z]+[0-9]+:[0-9]+(?:\s*,\s*[A-Z]+[0-9]+:[0-9]+)*)")
FIXTURE_OPTIONS_RE = re.compile(r"#\s*fixture-options:\s*(\{.*\})\s*$")
FIXTURE_NAME_RE = re.compile(r"^(?P<code>[A-Z]+[0-9]+)(?:_[A-Za-z0-9_]+)?\.py$")


def settings_for(
    rule: Type[Rule], options: Optional[Mapping[str, Any]] = None, target_version: Optional[Tuple[int, int]] = None
) -> Settings:
    return Settings(
        select=(rule.code,),
        target_version=target_version or DEFAULT_TARGET,
        rule_options={rule.code: dict(options or {})},
        unsafe_fixes=True,
    )


def _encode(source: str) -> bytes:
    # surrogateescape lets a str case carry raw bytes: "\udce9" is byte 0xe9.
    return source.encode("utf-8", "surrogateescape")


def _module_stem(filename: str) -> str:
    return Path(filename).stem or "example"


def project_of(files: Mapping[str, str], target: str) -> Project:
    """The project of ``files`` (relative path -> source, written to a
    temporary directory that is the project root) as the runner would see it
    when linting ``target`` (one of the paths)."""
    with tempfile.TemporaryDirectory() as root:
        paths = {}
        for relative, source in files.items():
            path = os.path.join(root, *relative.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(_encode(source))
            paths[relative] = path
        names = module_names(list(paths.values()), root)
        return Project(build_index(list(paths.values()), root), names[paths[target]])


def lint(
    rule: Type[Rule], source: str, filename: str = "example.py", project: Optional[Project] = None, **kw: Any
) -> List[Diagnostic]:
    """Findings of one rule on a source string (errors in the rule fail
    loudly). Without ``project``, the source is a one-file project."""
    data = _encode(source)
    project = project or single_file_project(data, _module_stem(filename))
    result, _ = lint_bytes(data, filename, settings_for(rule, **kw), [rule], project)
    if result.errors:
        raise AssertionError("; ".join(result.errors))
    return result.diagnostics


def fix(
    rule: Type[Rule], source: str, filename: str = "example.py", project: Optional[Project] = None, **kw: Any
) -> str:
    """The text after applying the rule's safe and unsafe fixes until stable
    (without ``project``, the source is a one-file project)."""
    settings = settings_for(rule, **kw)
    registry = _registry_with(rule)
    try:
        decode_source(_encode(source))
    except DecodeFailure:
        return source
    project = project or single_file_project(_encode(source), _module_stem(filename))
    outcome = fix_text(source, filename, settings, [rule], fix_allowed(settings, registry, unsafe=True), project)
    if outcome.warnings:
        raise AssertionError("; ".join(outcome.warnings))
    return outcome.text


def lint_project(rule: Type[Rule], files: Mapping[str, str], target: str, **kw: Any) -> List[Diagnostic]:
    """Findings of one rule on the file ``target`` of a multi-file project
    (see :func:`project_of`); ``target`` is also the reported filename."""
    return lint(rule, files[target], target, project_of(files, target), **kw)


def fix_project(rule: Type[Rule], files: Mapping[str, str], target: str, **kw: Any) -> str:
    """The fixed text of ``target`` in a multi-file project (see :func:`lint_project`)."""
    return fix(rule, files[target], target, project_of(files, target), **kw)


def _registry_with(rule: Type[Rule]) -> Registry:
    registry = get_registry()
    if registry.get(rule.code) is rule:
        return registry
    from memlint.registry import RuleSource

    return Registry([RuleSource(rule, "test")])


def check_valid(rule: Type[Rule], case: Valid) -> None:
    found = lint(rule, case.source, case.filename, options=case.options, target_version=case.target_version)
    assert found == [], f"{rule.code} reported on a VALID case:\n{case.source}\n{_show(found)}"


def check_invalid(rule: Type[Rule], case: Invalid) -> None:
    kw: Dict[str, Any] = dict(options=case.options, target_version=case.target_version)
    found = lint(rule, case.source, case.filename, **kw)
    positions = [(d.code, d.line, d.column) for d in found]
    assert positions == [(rule.code, case.line, case.column)], (
        f"expected one {rule.code} at {case.line}:{case.column}, got {positions} on:\n{case.source}"
    )
    if case.message is not None:
        assert case.message in found[0].message, f"message {found[0].message!r} lacks {case.message!r}"
    fixed = fix(rule, case.source, case.filename, **kw)
    expected = case.source if case.expected_fixed is None else case.expected_fixed
    assert fixed == expected, f"fix of {rule.code} gave:\n{fixed}\nexpected:\n{expected}"
    if case.expected_fixed is not None:
        assert parses(fixed)
        assert fix(rule, fixed, case.filename, **kw) == fixed, "a second --fix changed the text again"


def _show(found: Sequence[Diagnostic]) -> str:
    return "\n".join(d.as_text() for d in found)


def rule_cases(rules: Sequence[Type[Rule]]) -> List[Tuple[str, Type[Rule], object]]:
    """(id, rule, case) for every inline case of ``rules``."""
    cases: List[Tuple[str, Type[Rule], object]] = []
    for rule in rules:
        cases += [(f"{rule.code}-valid-{i}", rule, c) for i, c in enumerate(rule.VALID)]
        cases += [(f"{rule.code}-invalid-{i}", rule, c) for i, c in enumerate(rule.INVALID)]
    return cases


# -- fixture files ---------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    path: Path
    rule: Type[Rule]
    options: Mapping[str, Any]
    target_version: Optional[Tuple[int, int]]

    @property
    def golden(self) -> Path:
        return self.path.with_name(self.path.stem + ".fixed.py")

    def read(self) -> str:
        return self.path.read_bytes().decode("utf-8", "surrogateescape")

    def expected(self) -> List[Tuple[str, int, int]]:
        result = []
        for number, line in enumerate(self.read().split("\n"), 1):
            match = EXPECT_RE.search(line)
            if match:
                for item in match.group("items").split(","):
                    code, column = item.strip().split(":")
                    result.append((code, number, int(column)))
        return sorted(result, key=lambda t: (t[1], t[2], t[0]))

    def lint(self) -> List[Tuple[str, int, int]]:
        found = lint(self.rule, self.read(), self.path.name, options=self.options, target_version=self.target_version)
        return [(d.code, d.line, d.column) for d in found]

    def fix(self, source: Optional[str] = None) -> str:
        text = self.read() if source is None else source
        return fix(self.rule, text, self.path.name, options=self.options, target_version=self.target_version)


def fixtures(directory: Path, registry: Optional[Registry] = None) -> List[Fixture]:
    """Every annotated fixture file in ``directory`` (golden files excluded)."""
    registry = registry or get_registry()
    found = []
    for path in sorted(directory.glob("*.py")):
        match = FIXTURE_NAME_RE.match(path.name)
        if not match or path.name.endswith(".fixed.py"):
            continue
        rule = registry.get(match.group("code"))
        if rule is None:
            raise AssertionError(f"{path}: no rule {match.group('code')}")
        header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
        options, target = _fixture_header(header, path)
        found.append(Fixture(path, rule, options, target))
    return found


def _fixture_header(line: str, path: Path) -> Tuple[Mapping[str, Any], Optional[Tuple[int, int]]]:
    match = FIXTURE_OPTIONS_RE.match(line)
    if not match:
        return {}, None
    data = json.loads(match.group(1))
    target = data.get("target-version")
    return data.get("options", {}), parse_version(target, str(path)) if target else None
