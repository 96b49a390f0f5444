"""Applying fixes: one transformer pass per round, overlapping fixes dropped,
re-parse and re-lint until nothing is left to fix.

A round never produces text that does not parse: such a result is thrown
away, reported, and the last good text is kept.
"""
from __future__ import annotations

import ast
import difflib
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Type, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memlint.config import DEFAULT_LINE_LENGTH
from memlint.engine import RECURSION_LIMIT, Finding, LintResult, lint_text, recursion_limit
from memlint.imports_cleanup import remove_unused_imports
from memlint.long_lines import wrap_long_lines
from memlint.nodes import children
from memlint.rule import Applicability, EnsureImport, Fix, Rule
from memlint.suppress import lines_with_breaks

if TYPE_CHECKING:
    from memlint.analysis.project import Project

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
    kept: Dict[int, None] = {}  # in order
    for index, fix in enumerate(fixes):
        same_node = any(owner.get(r.old) != index for r in fix.replacements)
        if same_node or any(other in kept for other in conflicts.get(index, ())):
            continue
        kept[index] = None
    return [fixes[i] for i in kept]


def _nesting_conflicts(module: cst.Module, owner: Dict[cst.CSTNode, int]) -> Dict[int, Set[int]]:
    """Fix index -> the fixes whose edited nodes are inside its own, or contain them.
    An iterative walk: a long ``elif`` chain nests deeper than Python's stack."""
    conflicts: Dict[int, Set[int]] = {}
    open_owners: List[int] = []
    stack: List[Tuple[cst.CSTNode, bool]] = [(module, False)]
    while stack:
        node, leaving = stack.pop()
        index = owner.get(node)
        if leaving:
            open_owners.pop()
            continue
        if index is not None:
            for outer in open_owners:
                if outer != index:
                    conflicts.setdefault(outer, set()).add(index)
                    conflicts.setdefault(index, set()).add(outer)
            open_owners.append(index)
            stack.append((node, True))
        stack.extend((child, False) for child in node.children)
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
    replacements = _in_local_indentation(module, {r.old: r.new for fix in fixes for r in fix.replacements})
    new_module = module.visit(_Applier(replacements)) if replacements else module
    imports = [e for fix in fixes for e in fix.edits if isinstance(e, EnsureImport)]
    if imports:
        context = CodemodContext()
        for item in imports:
            AddImportsVisitor.add_needed_import(context, item.module, item.obj)
        new_module = AddImportsVisitor(context).transform_module(new_module)
    return new_module


def _in_local_indentation(
    module: cst.Module, replacements: Dict[cst.CSTNode, _Replacement]
) -> Dict[cst.CSTNode, _Replacement]:
    """A block a fix creates (``IndentedBlock(indent=None)``) would take the
    module's default indentation: libcst takes it from the file's first block,
    so it may be a tab among spaces, or begin with a form feed, which CPython
    does not count (``with`` inside a function indented by spaces, its body by
    a form feed and a tab, does not compile). It takes the indentation of the
    block around the replaced node instead; blocks that were in the file keep
    theirs."""
    wanted = {id(old) for old in replacements}
    local: Dict[int, str] = {}
    original: Set[int] = set()
    stack: List[Tuple[cst.CSTNode, str]] = [(module, module.default_indent)]
    while stack:
        node, indent = stack.pop()
        original.add(id(node))
        if id(node) in wanted:
            local[id(node)] = indent.replace("\f", "") or "    "
        if isinstance(node, cst.IndentedBlock):
            indent = module.default_indent if node.indent is None else node.indent
        stack.extend((child, indent) for child in children(node))
    return {old: _with_indent(new, local[id(old)], original) for old, new in replacements.items()}


def _with_indent(new: _Replacement, indent: str, original: Set[int]) -> _Replacement:
    if isinstance(new, cst.RemovalSentinel):
        return new
    if isinstance(new, cst.FlattenSentinel):
        return cst.FlattenSentinel([_with_indent(node, indent, original) for node in new.nodes])
    return new.visit(_NewBlocksIndented(indent, original))


class _NewBlocksIndented(cst.CSTTransformer):
    def __init__(self, indent: str, original: Set[int]) -> None:
        super().__init__()
        self.indent = indent
        self.original = original

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.original  # a subtree from the file is left as it is

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        if id(original_node) in self.original or updated_node.indent is not None:
            return updated_node
        return updated_node.with_changes(indent=self.indent)


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
    project: Optional[Project] = None,
) -> FixOutcome:
    """Fix until nothing is left to fix (at most MAX_ROUNDS rounds). Every
    round sees ``project``'s index of the tree before the fix, except for the
    file itself, whose facts come from its current text (see
    docs/fix-safety.md)."""
    def lint(source: str) -> LintResult:
        seen_by = project if source == text else _after_fix(project, source)
        return lint_text(source, filename, settings, rule_classes, seen_by)

    outcome = FixOutcome(text, result=lint(text))
    try:
        # libcst's transformers and code generation recurse once per nesting level.
        with recursion_limit(RECURSION_LIMIT):
            _fix_rounds(outcome, filename, lint, allowed, settings, project)
    except RecursionError:
        outcome.warnings.append(f"{filename}: too deeply nested to apply the remaining fixes")
    return outcome


def _fix_rounds(
    outcome: FixOutcome,
    filename: str,
    lint: Callable[[str], LintResult],
    allowed: Callable[[Finding], bool],
    settings: object,
    project: Optional[Project],
) -> None:
    """Apply rounds of fixes to ``outcome``; its text and result always agree.
    Each round also removes the imports it made unused (those ``project``
    shows no other module imports) and wraps the lines it made longer than
    the settings' line length."""
    target_version: Optional[Tuple[int, int]] = getattr(settings, "target_version", None)
    line_length: int = getattr(settings, "line_length", DEFAULT_LINE_LENGTH)
    cpython = compiles(outcome.text)  # else: syntax newer than this interpreter, checked by libcst alone
    for _ in range(MAX_ROUNDS):
        result = outcome.result
        fixes = select_fixes(result.findings, allowed)
        if not fixes or result.module is None:
            return
        kept = drop_overlapping(result.module, fixes)
        codes = ", ".join(sorted({f.diagnostic.code for f in result.findings if f.fix in kept}))
        fixed = remove_unused_imports(result.module, apply_fixes(result.module, kept), filename, project)
        fixed = wrap_long_lines(outcome.text, fixed, line_length)
        new_text = keep_untouched(outcome.text, result.module.code, fixed.code)
        if new_text is None:
            outcome.warnings.append(
                f"{filename}: libcst cannot reproduce this file's text exactly; fixes for {codes} were not applied"
            )
            return
        if new_text == outcome.text:
            return
        if not parses(new_text, cpython, target_version):
            outcome.warnings.append(
                f"{filename}: fixes for {codes} produced code that does not parse; "
                "they were not applied (please report this)"
            )
            return
        new_result = lint(new_text)
        outcome.text, outcome.fixed, outcome.result = new_text, outcome.fixed + len(kept), new_result
    if select_fixes(outcome.result.findings, allowed):
        outcome.warnings.append(f"{filename}: fixes failed to converge after {MAX_ROUNDS} rounds")


def _after_fix(project: Optional[Project], text: str) -> Optional[Project]:
    """The project as a fixed text sees it: the file's own facts from the
    text (a fix may change them: MEM101 adds ``__slots__``), the other files'
    as before."""
    if project is None:
        return None
    index = project.index.with_source(text, project.module)
    return project if index is project.index else dataclasses.replace(project, index=index)


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
