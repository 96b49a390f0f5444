"""flake8's entry point for memlint (the ``MEM`` codes): free when unused.

flake8 imports every installed plugin on every run, whatever the user selects,
so this module imports nothing heavy (no libcst, no rules, no configuration).
It reads flake8's selection once (:meth:`MemlintChecker.parse_options`); when
flake8 would report no ``MEM`` code (``flake8 --select E,W,F``, ``--extend-ignore
MEM``), every file costs one empty generator and ``[tool.memlint]`` is never
read. Otherwise the first file imports :mod:`memlint.flake8_run`: the engine and
the result cache of the ``memlint`` command, for the rules flake8 would report.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterator, List, Optional, Tuple

from memlint import __version__

if TYPE_CHECKING:
    import ast

Result = Tuple[int, int, str, type]

PREFIX = "MEM"


class Flake8Selection:
    """Whether flake8 reports a code: flake8's own decision from its parsed
    options (``--select``, ``--extend-select``, ``--ignore``, ``--extend-ignore``
    and its defaults for plugins: flake8 >= 6 selects every installed plugin's
    codes unless ``--select`` leaves them out), as the running flake8 decides.
    Without options (or with a flake8 lacking that API) every code is selected:
    all rules run and flake8 still filters what it prints."""

    def __init__(self, options: Any = None) -> None:
        self._decision_for: Any = None
        self._selected: Any = None
        # The selectors the user wrote: as in memlint, only a code named
        # exactly (not a prefix such as MEM2) turns a preview rule on.
        self.named: Tuple[str, ...] = tuple(
            str(selector).strip()
            for name in ("select", "extend_select")
            for selector in (getattr(options, name, None) or ())
        )
        if options is not None:
            try:
                from flake8.style_guide import Decision, DecisionEngine  # type: ignore[import-untyped]

                self._decision_for = DecisionEngine(options).decision_for
                self._selected = Decision.Selected
            except (ImportError, AttributeError, TypeError):
                pass

    def __call__(self, code: str) -> bool:
        return self._decision_for is None or self._decision_for(code) is self._selected

    def any_mem_code(self) -> bool:
        """Whether some ``MEM`` code (``MEM000`` to ``MEM999``) is selected."""
        return any(self(f"{PREFIX}{number:03d}") for number in range(1000))


class MemlintChecker:
    name = "memlint"
    version = __version__
    config_path: ClassVar[Optional[str]] = None
    selection: ClassVar[Flake8Selection] = Flake8Selection()
    enabled: ClassVar[bool] = True

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
        cls.selection = Flake8Selection(options)
        cls.enabled = cls.selection.any_mem_code()

    def run(self) -> Iterator[Result]:
        if not self.enabled:
            return
        from memlint.flake8_run import findings

        for line, column, text in findings(self.filename, self.lines, self.config_path, self.selection):
            yield line, column, text, type(self)
