"""Applying fixes: one transformer pass per round, overlapping fixes dropped,
re-parse and re-lint until nothing is left to fix.

A round never produces text that does not parse: such a result is thrown
away, reported, and the last good text is kept.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Type

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memlint.engine import Finding, LintResult, lint_text
from memlint.rule import Applicability, EnsureImport, Fix, Rule

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    text: str  # the final text (unchanged when nothing applied)
    fixed: int = 0  # fixes applied over all rounds
    result: LintResult = field(default_factory=LintResult)  # lint of the final text
    warnings: List[str] = field(default_factory=list)


def select_fixes(findings: Sequence[Finding], allowed: Callable[[Finding], bool]) -> List[Fix]:
    return [f.fix for f in findings if f.fix is not None and allowed(f)]


def drop_overlapping(module: cst.Module, fixes: Sequence[Fix]) -> List[Fix]:
    """Keep fixes in order; drop one whose edited nodes contain, or lie inside,
    nodes edited by a fix already kept. Dropped fixes get another chance in
    the next round, on the re-parsed text."""
    owner: Dict[cst.CSTNode, int] = {}
    for index, fix in enumerate(fixes):
        for replace in fix.replacements:
            owner.setdefault(replace.old, index)
    conflicts = _nesting_conflicts(module, owner)
    kept: List[int] = []
    for index, fix in enumerate(fixes):
        same_node = any(owner.get(r.old) != index for r in fix.replacements)
        if same_node or any((index, other) in conflicts for other in kept):
            continue
        kept.append(index)
    return [fixes[i] for i in kept]


def _nesting_conflicts(module: cst.Module, owner: Dict[cst.CSTNode, int]) -> Set[tuple]:
    """Pairs of fix indexes where one's edited node is inside the other's."""
    conflicts: Set[tuple] = set()
    open_owners: List[int] = []

    class Walker(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            index = owner.get(node)
            if index is not None:
                for outer in open_owners:
                    if outer != index:
                        conflicts.update({(outer, index), (index, outer)})
                open_owners.append(index)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if original_node in owner:
                open_owners.pop()

    module.visit(Walker())
    return conflicts


class _Applier(cst.CSTTransformer):
    def __init__(self, replacements: Dict[cst.CSTNode, object]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        return self.replacements.get(original_node, updated_node)


def apply_fixes(module: cst.Module, fixes: Sequence[Fix]) -> cst.Module:
    replacements = {r.old: r.new for fix in fixes for r in fix.replacements}
    new_module = module.visit(_Applier(replacements)) if replacements else module
    imports = [e for fix in fixes for e in fix.edits if isinstance(e, EnsureImport)]
    if imports:
        context = CodemodContext()
        for item in imports:
            AddImportsVisitor.add_needed_import(context, item.module, item.obj)
        new_module = AddImportsVisitor(context).transform_module(new_module)
    return new_module


def parses(text: str) -> bool:
    """The fixed text must be valid Python for CPython and for libcst."""
    try:
        compile(text, "<fixed>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        cst.parse_module(text)
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError):
        return False
    return True


def fix_text(
    text: str,
    filename: str,
    settings: object,
    rule_classes: Sequence[Type[Rule]],
    allowed: Callable[[Finding], bool],
) -> FixOutcome:
    """Fix until nothing is left to fix (at most MAX_ROUNDS rounds)."""
    outcome = FixOutcome(text)
    result = lint_text(text, filename, settings, rule_classes)
    for _ in range(MAX_ROUNDS):
        fixes = select_fixes(result.findings, allowed)
        if not fixes or result.module is None:
            break
        kept = drop_overlapping(result.module, fixes)
        new_text = apply_fixes(result.module, kept).code
        if new_text == outcome.text:
            break
        if not parses(new_text):
            codes = sorted({f.diagnostic.code for f in result.findings if f.fix in kept})
            outcome.warnings.append(
                f"{filename}: fixes for {', '.join(codes)} produced code that does not parse; "
                "they were not applied (please report this)"
            )
            break
        outcome.text, outcome.fixed = new_text, outcome.fixed + len(kept)
        result = lint_text(new_text, filename, settings, rule_classes)
    else:
        if select_fixes(result.findings, allowed):
            outcome.warnings.append(f"{filename}: fixes failed to converge after {MAX_ROUNDS} rounds")
    outcome.result = result
    return outcome


def fix_allowed(settings: object, registry: object, unsafe: bool, display: bool = False) -> Callable[[Finding], bool]:
    """Which findings' fixes apply: SAFE always, UNSAFE with --unsafe-fixes,
    DISPLAY_ONLY only when showing a diff; and only codes that are fixable."""
    applicable = {Applicability.SAFE}
    if unsafe:
        applicable.add(Applicability.UNSAFE)
    if display:
        applicable.add(Applicability.DISPLAY_ONLY)

    def allowed(finding: Finding) -> bool:
        fix: Optional[Fix] = finding.fix
        return (
            fix is not None
            and fix.applicability in applicable
            and settings.is_fixable(finding.diagnostic.code, registry)  # type: ignore[attr-defined]
        )

    return allowed
