"""Applying fixes: one transformer pass per round, overlapping fixes dropped,
re-parse and re-lint until nothing is left to fix.

A round never produces text that does not parse: such a result is thrown
away, reported, and the last good text is kept.
"""
from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Type, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memlint.engine import Finding, LintResult, lint_text
from memlint.rule import Applicability, EnsureImport, Fix, Rule
from memlint.suppress import lines_with_breaks

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


def _nesting_conflicts(module: cst.Module, owner: Dict[cst.CSTNode, int]) -> Set[Tuple[int, int]]:
    """Pairs of fix indexes where one's edited node is inside the other's."""
    conflicts: Set[Tuple[int, int]] = set()
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


_Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel[Any]]


class _Applier(cst.CSTTransformer):
    def __init__(self, replacements: Mapping[cst.CSTNode, _Replacement]) -> None:
        super().__init__()
        self.replacements = replacements

    # A fix may replace a node by one of another type, which libcst's generic signature does not allow.
    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> _Replacement:  # type: ignore[override]
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


def parses(text: str, cpython: bool = True, target_version: Optional[Tuple[int, int]] = None) -> bool:
    """The fixed text must be valid Python for libcst (at the target version)
    and, with ``cpython``, for the running interpreter. A file that uses
    syntax newer than the running interpreter is checked by libcst alone."""
    try:
        if cpython:
            compile(text, "<fixed>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        cst.parse_module(text, config=_parser_config(target_version))
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError, MemoryError):
        return False
    return True


def _parser_config(target_version: Optional[Tuple[int, int]]) -> cst.PartialParserConfig:
    if target_version is not None:
        try:
            return cst.PartialParserConfig(python_version="%d.%d" % target_version)
        except ValueError:  # a version libcst does not know: its default grammar
            pass
    return cst.PartialParserConfig()


def compiles(text: str) -> bool:
    """Does the running interpreter accept the text?"""
    try:
        compile(text, "<source>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def keep_untouched(original: str, roundtrip: str, fixed: str) -> Optional[str]:
    """``fixed`` with the characters put back that libcst dropped from
    ``original`` (``roundtrip`` is libcst's code for the unmodified module)
    wherever no fix touched them: form feeds in the indentation of a line
    and a final bare carriage return. None when ``original`` and
    ``roundtrip`` differ in any other way (then no fix may be written)."""
    if roundtrip == original:
        return fixed
    hypotheses = [(original, "")]
    if original.endswith("\r"):
        hypotheses.append((original[:-1], "\r"))
    for body, tail in hypotheses:
        leads = _lost_indentation(body, roundtrip)
        if leads is not None:
            return _restore(roundtrip, fixed, leads) + tail
    return None


def _lost_indentation(original: str, roundtrip: str) -> Optional[List[Tuple[int, int, str]]]:
    """(start, end, text): the indentation ``roundtrip[start:end]`` was
    ``text`` in the original, where it held a form feed (libcst rebuilds
    such indentation from the block's); None when the two differ in any
    other way."""
    ours, theirs = lines_with_breaks(original), lines_with_breaks(roundtrip)
    if len(ours) != len(theirs):
        return None
    leads = []
    offset = 0
    for mine, libcsts in zip(ours, theirs):
        if mine != libcsts:
            indent = _indentation(mine, " \t\f")
            rebuilt = _indentation(libcsts, " \t")
            if "\f" not in indent or mine[len(indent):] != libcsts[len(rebuilt):]:
                return None
            leads.append((offset, offset + len(rebuilt), indent))
        offset += len(libcsts)
    return leads


def _indentation(line: str, blanks: str) -> str:
    return line[: len(line) - len(line.lstrip(blanks))]


def _restore(roundtrip: str, fixed: str, leads: Sequence[Tuple[int, int, str]]) -> str:
    """Put each lost indentation back where ``fixed`` kept that span of
    ``roundtrip`` (compared line by line, then character by character inside
    the changed lines); an empty span goes before whatever replaced the text
    after it."""
    opcodes = _opcodes(roundtrip, fixed)
    for start, end, text in reversed(leads):
        for tag, old_start, old_end, new_start in opcodes:
            if old_start <= start and end <= old_end and (tag == "equal" or start == end == old_start):
                at = new_start + start - old_start
                fixed = fixed[:at] + text + fixed[at + end - start:]
                break
    return fixed


def _opcodes(old: str, new: str) -> List[Tuple[str, int, int, int]]:
    """(tag, start, end, start in new) of difflib's opcodes turning ``old``
    into ``new``, by lines, then by characters inside changed lines."""
    old_lines, new_lines = lines_with_breaks(old), lines_with_breaks(new)
    old_offsets, new_offsets = _offsets(old_lines), _offsets(new_lines)
    spans: List[Tuple[str, int, int, int]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        old_start, new_start = old_offsets[i1], new_offsets[j1]
        if tag == "equal":
            spans.append((tag, old_start, old_offsets[i2], new_start))
            continue
        old_block, new_block = old[old_start:old_offsets[i2]], new[new_start:new_offsets[j2]]
        for inner, a1, a2, b1, _ in difflib.SequenceMatcher(None, old_block, new_block, autojunk=False).get_opcodes():
            spans.append((inner, old_start + a1, old_start + a2, new_start + b1))
    return spans


def _offsets(lines: Sequence[str]) -> List[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


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
    cpython = compiles(text)  # else: syntax newer than this interpreter, checked by libcst alone
    target_version = getattr(settings, "target_version", None)
    for _ in range(MAX_ROUNDS):
        fixes = select_fixes(result.findings, allowed)
        if not fixes or result.module is None:
            break
        kept = drop_overlapping(result.module, fixes)
        codes = ", ".join(sorted({f.diagnostic.code for f in result.findings if f.fix in kept}))
        new_text = keep_untouched(outcome.text, result.module.code, apply_fixes(result.module, kept).code)
        if new_text is None:
            outcome.warnings.append(
                f"{filename}: libcst cannot reproduce this file's text exactly; fixes for {codes} were not applied"
            )
            break
        if new_text == outcome.text:
            break
        if not parses(new_text, cpython, target_version):
            outcome.warnings.append(
                f"{filename}: fixes for {codes} produced code that does not parse; "
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
