"""The flake8 plugin's work (the entry point is :mod:`memlint.flake8_plugin`):
memlint's engine and result cache, one file at a time, for the rules whose
codes flake8 would report.

flake8 handles ``# noqa`` and selection itself; rule options still come from
``[tool.memlint]`` (``--memlint-config`` names the file). Its ``select`` and
``ignore`` do not apply: flake8's selection decides which rules run.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from memlint.cache import Cache, ProjectFacts, content_digest, default_cache_dir
from memlint.config import ConfigResolver, Settings
from memlint.diagnostics import Diagnostic
from memlint.errors import UsageError
from memlint.registry import Registry, load_rules, may_run, registry_for
from memlint.runner import CachedProjects, cacheable, entry_holds

if TYPE_CHECKING:
    from memlint.flake8_plugin import Flake8Selection
    from memlint.rule import Rule

Finding = Tuple[int, int, str]  # line, 0-based column, "CODE message"
STDIN_NAMES = ("-", "stdin")


class _Process:
    """What one flake8 process (or worker) keeps between files."""

    def __init__(self) -> None:
        self.cache = Cache(default_cache_dir())
        self.cache.prune()
        # From the cache's rule catalog when it has one: a warm run imports no rule.
        self.registry = registry_for(self.cache)
        self.resolvers: Dict[Optional[str], ConfigResolver] = {}
        # id(settings of a directory) -> (those settings, flake8's version of them)
        self.settings: Dict[int, Tuple[Settings, Settings]] = {}
        # id(flake8's settings) -> (those settings, the rule classes to run)
        self.rules: Dict[int, Tuple[Settings, List[Type[Rule]]]] = {}
        # config path -> the projects of the files seen, with indexes from the cache
        self.projects: Dict[Optional[str], CachedProjects] = {}

    def resolver(self, config_path: Optional[str]) -> ConfigResolver:
        resolver = self.resolvers.get(config_path)
        if resolver is None:
            resolver = self.resolvers[config_path] = ConfigResolver(self.registry, config_path=config_path)
            self.projects[config_path] = CachedProjects(resolver, self.cache)
        return resolver

    def settings_for(self, filename: str, config_path: Optional[str], selection: Flake8Selection) -> Settings:
        resolver = self.resolver(config_path)
        base = resolver.for_path(os.getcwd() if filename in STDIN_NAMES else filename)
        known = self.settings.get(id(base))
        if known is None or known[0] is not base:
            known = self.settings[id(base)] = (base, flake8_settings(base, selection, self.registry))
        return known[1]

    def rules_for(self, settings: Settings) -> List[Type[Rule]]:
        """The real rule classes (the catalog's stubs cannot run): only
        the selected rules' modules are imported."""
        known = self.rules.get(id(settings))
        if known is None or known[0] is not settings:
            known = self.rules[id(settings)] = (settings, load_rules(settings.enabled_rules(self.registry)))
        return known[1]


def flake8_settings(settings: Settings, selection: Flake8Selection, registry: Registry) -> Settings:
    """The file's settings with flake8's selection instead of memlint's. A
    preview rule runs as under ``memlint``: with ``preview = true`` or when a
    flake8 selector names its code exactly (``--select MEM2`` does not). When
    flake8 selects what the ``memlint`` command's default selects, the
    selection reads ``ALL``: both then share cache entries."""
    selected = tuple(
        rule.code for rule in registry.rules
        if selection(rule.code) and may_run(rule, settings.preview, selection.named)
    )
    default = tuple(rule.code for rule in registry.select(["ALL"], [], settings.preview))
    return replace(
        settings,
        select=("ALL",) if selected == default else selected,
        extend_select=(),
        ignore=(),
        per_file_ignores=(),
    )


_PROCESS: Optional[_Process] = None  # made on the first file


def _process() -> _Process:
    global _PROCESS
    if _PROCESS is None:
        _PROCESS = _Process()
    return _PROCESS


def findings(filename: str, lines: Sequence[str], config_path: Optional[str], selection: Flake8Selection) -> Iterator[Finding]:
    """flake8's findings for one file: ``MEM000`` for a configuration error
    (naming the file and key) or an internal error, then the diagnostics."""
    process = _process()
    try:
        settings = process.settings_for(filename, config_path, selection)
    except UsageError as exc:
        yield 1, 0, f"MEM000 memlint configuration error: {exc}"
        return
    projects = process.projects[config_path]
    diagnostics, errors = lint_lines(filename, "".join(lines), settings, process, projects)
    for error in errors:
        yield 1, 0, f"MEM000 memlint internal error: {error}"
    for d in diagnostics:
        yield d.line, d.column - 1, f"{d.code} {d.message}"


def lint_lines(filename: str, text: str, settings: Settings, process: _Process,
               projects: CachedProjects) -> Tuple[List[Diagnostic], List[str]]:
    """The diagnostics of the text flake8 read (decoded, newlines normalised),
    from the cache when it has them and their project facts hold. For a
    UTF-8 file with ``\\n`` newlines the key equals the ``memlint``
    command's, so the two share entries. The project index comes from the
    cache (see :class:`memlint.runner.CachedProjects`)."""
    cache = process.cache
    use_cache = cacheable(cache, settings) and filename not in STDIN_NAMES
    data = text.encode("utf-8", "surrogatepass")
    key = cache.key(filename, content_digest(data))
    entry = cache.get(settings, key) if use_cache else None
    if entry is not None:
        # The project is listed only when the entry's questions need its state or its index.
        if entry_holds(entry.facts, projects.module_of(filename), lambda: projects.files_of(filename).state(),
                       lambda: projects.index(projects.files_of(filename))):
            return entry.diagnostics, []
        cache.outdated_entry()
    from memlint.engine import lint_text  # libcst: only when a file must be parsed

    project = projects.project(data, None if filename in STDIN_NAMES else filename)
    with project.index.recording() as asked:
        result = lint_text(text, filename, settings, process.rules_for(settings), project)
    if use_cache and not result.errors:
        state = projects.files_of(filename).state() if asked else ""  # no question: the state is never compared
        cache.put(settings, key, result.diagnostics, ProjectFacts(project.module.name, project.module.is_package, state, asked))
    return result.diagnostics, result.errors
