"""The rule API: every memlint rule is a subclass of :class:`Rule`.

A rule is a libcst batchable visitor with data attributes (code, name, message,
fix metadata, options, inline test cases) and ``visit_*``/``leave_*`` methods.
It reports findings with :meth:`Rule.report`; the engine turns reported nodes
into positions only when a file actually has findings.
"""
from __future__ import annotations

import enum
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import libcst as cst

from memlint.registry import visitor_methods

if TYPE_CHECKING:
    from memlint.analysis import Fact
    from memlint.context import Context


class FixAvailability(enum.Enum):
    """Whether a rule ever offers a fix."""

    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


class Applicability(enum.Enum):
    """How safe a fix is; decides which flags apply it."""

    SAFE = "safe"  # applied by --fix
    UNSAFE = "unsafe"  # applied by --fix --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # shown by --diff, never written


NewNode = Union[cst.CSTNode, cst.RemovalSentinel, "cst.FlattenSentinel[cst.CSTNode]"]


@dataclass(frozen=True)
class Replace:
    """Replace ``old`` (a node of the linted module, by identity) with ``new``.

    ``new`` may be ``cst.RemoveFromParent()`` or a ``cst.FlattenSentinel`` where
    libcst allows it (statements, arguments, elements).
    """

    old: cst.CSTNode
    new: NewNode


@dataclass(frozen=True)
class EnsureImport:
    """Make sure the module imports ``module`` (or ``from module import obj``)."""

    module: str
    obj: Optional[str] = None


Edit = Union[Replace, EnsureImport]


@dataclass(frozen=True)
class Fix:
    """A set of edits applied together, or not at all."""

    edits: Tuple[Edit, ...]
    applicability: Applicability

    @property
    def replacements(self) -> Tuple[Replace, ...]:
        return tuple(e for e in self.edits if isinstance(e, Replace))


@dataclass(frozen=True)
class Report:
    """What a rule reported: positions are resolved later by the engine."""

    rule: "type[Rule]"
    node: cst.CSTNode
    message: str
    fix: Optional[Fix]


def _dedent(code: str) -> str:
    code = textwrap.dedent(code)
    return code[1:] if code.startswith("\n") else code


@dataclass(frozen=True)
class _Example:
    code: str

    @property
    def source(self) -> str:
        return _dedent(self.code)


@dataclass(frozen=True)
class Valid(_Example):
    """An inline example on which the rule must report nothing."""

    options: Mapping[str, Any] = field(default_factory=dict)
    target_version: Optional[Tuple[int, int]] = None
    filename: str = "example.py"


@dataclass(frozen=True)
class Invalid(_Example):
    """An inline example on which the rule reports exactly once, at ``line``:``column``.

    ``column`` is 1-based, as printed. ``fixed`` is the expected text after
    applying the rule's fix (unsafe fixes included); ``None`` means the case
    offers no applicable fix and the text must stay unchanged.
    """

    line: int
    column: int
    fixed: Optional[str] = None
    message: Optional[str] = None  # a substring the message must contain
    options: Mapping[str, Any] = field(default_factory=dict)
    target_version: Optional[Tuple[int, int]] = None
    filename: str = "example.py"

    @property
    def expected_fixed(self) -> Optional[str]:
        return None if self.fixed is None else _dedent(self.fixed)


_VISITOR_NAMES: Dict[type, Tuple[str, ...]] = {}  # rule class -> its visit_*/leave_* methods


class Rule(cst.BatchableCSTVisitor):
    """Base class of all rules. Subclasses set the class attributes below."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    message: ClassVar[str] = ""  # str.format template with named fields
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    applicability: ClassVar[Applicability] = Applicability.UNSAFE
    options: ClassVar[Mapping[str, Any]] = {}  # option name -> typed default
    # The walk-fed analyses (memlint.analysis.WalkFact) the rule reads; the
    # engine feeds them from its walk only when an enabled rule lists them.
    requires: ClassVar[Tuple["Fact[Any]", ...]] = ()
    # Words of which at least one must occur in a file's text for the rule to
    # be able to report there (`gc` for the gc rules); empty: always run.
    # Imports name what they bring in, so an alias still contains the word.
    triggers: ClassVar[Tuple[str, ...]] = ()
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, context: "Context", options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__()
        self.context = context
        # The instance attribute shadows the class-level defaults with the
        # resolved values; ``type(self).options`` keeps the declaration.
        resolved: Dict[str, Any] = dict(type(self).options)
        resolved.update(options or {})
        self.options = resolved  # type: ignore[misc]
        self.reports: List[Report] = []

    @classmethod
    def may_report(cls, text: str) -> bool:
        """False when none of the rule's trigger words occurs in ``text``."""
        return not cls.triggers or any(word in text for word in cls.triggers)

    def get_visitors(self) -> Dict[str, Any]:
        """libcst's version inspects every attribute of the class (hundreds of
        no-op stubs) for every instance, i.e. per rule per file; the names
        depend only on the class, so find them once."""
        names = _VISITOR_NAMES.get(type(self))
        if names is None:
            # Keyed by rule class: bounded by the installed rules.
            names = _VISITOR_NAMES[type(self)] = tuple(visitor_methods(type(self)))  # noqa: MEM303
        return {name: getattr(self, name) for name in names}

    def report(
        self,
        node: cst.CSTNode,
        fix: Union[None, Fix, Edit, Sequence[Edit]] = None,
        *,
        applicability: Optional[Applicability] = None,
        **fields: Any,
    ) -> None:
        """Report a finding blamed on ``node``; ``fields`` fill ``message``.

        ``fix`` is a :class:`Fix`, one edit, or a sequence of edits applied
        together; its applicability defaults to the rule's ``applicability``.
        """
        self.reports.append(
            Report(type(self), node, self.message.format(**fields), self._make_fix(fix, applicability))
        )

    def _make_fix(
        self, fix: Union[None, Fix, Edit, Sequence[Edit]], applicability: Optional[Applicability]
    ) -> Optional[Fix]:
        if fix is None or isinstance(fix, Fix):
            return fix
        edits = (fix,) if isinstance(fix, (Replace, EnsureImport)) else tuple(fix)
        if not edits:
            return None
        return Fix(edits, applicability or type(self).applicability)
