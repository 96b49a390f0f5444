"""The flake8 plugin: the same engine, the same findings, the same columns.

flake8 does its own selection and ``# noqa`` handling; rule options still come
from ``[tool.memlint]`` (``--memlint-config`` names the file explicitly).
"""
from __future__ import annotations

import ast
import os
from dataclasses import replace
from typing import Any, Dict, Iterator, List, Optional, Tuple

from memlint import __version__
from memlint.config import ConfigResolver, Settings
from memlint.engine import lint_text
from memlint.errors import UsageError
from memlint.registry import get_registry


class MemlintChecker:
    name = "memlint"
    version = __version__
    config_path: Optional[str] = None
    _resolvers: Dict[Optional[str], ConfigResolver] = {}

    def __init__(self, tree: ast.AST, filename: str, lines: List[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--memlint-config",
            default=None,
            parse_from_config=True,
            help="pyproject.toml with the [tool.memlint] table to use (default: the nearest one)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.config_path = getattr(options, "memlint_config", None)

    def _settings(self) -> Settings:
        resolver = self._resolvers.get(self.config_path)
        if resolver is None:
            resolver = self._resolvers[self.config_path] = ConfigResolver(get_registry(), config_path=self.config_path)
        path = self.filename if self.filename not in ("-", "stdin") else os.getcwd()
        # flake8 selects codes itself, so every rule runs here.
        return replace(resolver.for_path(path), select=("ALL",), extend_select=(), ignore=(), per_file_ignores=())

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        try:
            settings = self._settings()
        except UsageError as exc:  # a bad [tool.memlint]: one clear finding, no traceback
            yield 1, 0, f"MEM000 memlint configuration error: {exc}", type(self)
            return
        rules = settings.enabled_rules(get_registry())
        result = lint_text("".join(self.lines), self.filename, settings, rules)
        for error in result.errors:
            yield 1, 0, f"MEM000 memlint internal error: {error}", type(self)
        for d in result.diagnostics:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)
