"""Lint one file: decode, parse once, one batched walk of all rules, positions
only when something was reported, ``# noqa``, diagnostics.

Nothing here touches the file system; :mod:`memlint.runner` reads and writes.
"""
from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import time
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst.metadata import CodeRange

from memlint.analysis import WalkFact
from memlint.context import Context
from memlint.limits import file_out_of_memory
from memlint.positions import positions_of
from memlint.diagnostics import Diagnostic, FixInfo, TextEdit
from memlint.noqa import unused_noqa
from memlint.rule import Fix, Replace, Report, Rule
from memlint.suppress import Suppressions, split_lines
from memlint.walk import Dispatch, Method, walk

if TYPE_CHECKING:
    from memlint.analysis.project import Project

# --timings: phase or rule code -> seconds, while the runner measures a file;
# None otherwise, and then nothing below measures or wraps anything.
TIMINGS: Optional[Dict[str, float]] = None

SYNTAX_ERROR = ("MEM001", "syntax-error")
UNDECODABLE = ("MEM002", "undecodable-file")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # as detected, e.g. "utf-8", "utf-8-sig" (a BOM), "latin-1"


@dataclass
class Finding:
    """A diagnostic plus the CST-level fix it came with (for the fix loop)."""

    diagnostic: Diagnostic
    fix: Optional[Fix] = None


@dataclass
class LintResult:
    findings: List[Finding] = field(default_factory=list)
    module: Optional[cst.Module] = None
    errors: List[str] = field(default_factory=list)  # internal errors, one line each

    @property
    def diagnostics(self) -> List[Diagnostic]:
        return [f.diagnostic for f in self.findings]


class DecodeFailure(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column = line, column


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode_source(data: bytes) -> Decoded:
    """Decode with the PEP 263 cookie or BOM (utf-8 by default), keeping newlines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if _has_cookie(data):  # an unknown or conflicting declaration
            raise DecodeFailure(exc.lineno or 1, 1, exc.msg) from exc
        # No cookie, but the first lines are not UTF-8: find the exact byte below.
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DecodeFailure(line, column, f"not valid {encoding}: byte 0x{data[exc.start]:02x}") from exc


def _has_cookie(data: bytes) -> bool:
    return any(_COOKIE.match(line) for line in data.splitlines()[:2])


def _engine_diagnostic(filename: str, kind: Tuple[str, str], line: int, column: int, message: str) -> Diagnostic:
    code, name = kind
    return Diagnostic(filename, line, column, line, column, code, name, message)


# CPython refuses these nestings; libcst's native parser overflows its stack
# (a segmentation fault) on them, so such files must never reach it.
_TOO_DEEP = (
    "too many nested parentheses", "too many statically nested blocks", "too many levels of indentation",
    "too complex",
)


def _cpython_syntax_error(text: str, filename: str) -> Tuple[Optional[Diagnostic], bool]:
    """MEM001 at the position ``python`` and flake8 (E999) report, if CPython
    rejects the text, and whether libcst must not be tried at all."""
    try:
        compile(text, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        diagnostic = _engine_diagnostic(filename, SYNTAX_ERROR, exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")
        return diagnostic, any(reason in exc.msg for reason in _TOO_DEEP)
    except ValueError as exc:  # null bytes
        return _engine_diagnostic(filename, SYNTAX_ERROR, 1, 1, f"syntax error: {exc}"), True
    except (RecursionError, MemoryError) as exc:  # absurd nesting: CPython cannot compile it either
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = f"CPython's parser gives up on this file, nested too deeply or too large ({detail})"
        return _engine_diagnostic(filename, SYNTAX_ERROR, 1, 1, message), True
    return None, False


# libcst's native parser overflows its stack (the process dies) on
# expressions nested about 2,000 deep, which CPython refuses ("too many nested
# parentheses", "too complex"). Nesting that deep needs either a very long
# physical line, brackets left open across many lines, or a long logical line
# full of prefix operators; a file with none of these cannot reach it.
_LONG_LINE = 500
_DEEP_BRACKETS = 200
_MANY_PREFIXES = 300
_PREFIX_TOKEN = re.compile(r"[-+~]|\*\*|\b(?:not|await|lambda|if)\b")


def _may_be_too_deep(text: str) -> bool:
    """A cheap, conservative scan: False only when no expression of ``text``
    can be nested deeply enough to crash libcst. Brackets inside strings and
    comments are counted too; that can only make the answer True."""
    depth = prefixes = 0
    for line in text.split("\n"):
        if len(line) >= _LONG_LINE:
            return True
        depth += line.count("(") + line.count("[") + line.count("{")
        depth -= line.count(")") + line.count("]") + line.count("}")
        if depth < 0 or depth >= _DEEP_BRACKETS:  # below 0: a closer in a string, the count is off
            return True
        if depth > 0 or line.endswith("\\"):  # the logical line goes on
            prefixes += len(_PREFIX_TOKEN.findall(line))
            if prefixes >= _MANY_PREFIXES:
                return True
        else:
            prefixes = 0
    return False


class LibcstLimit(Exception):
    """CPython accepts the file but libcst's parser cannot parse it: a limit
    of libcst (e.g. thousands of implicitly concatenated strings), not an
    error in the code, so it is an error for the file, never MEM001."""


def parse(text: str, filename: str) -> Tuple[Optional[cst.Module], Optional[Diagnostic]]:
    """libcst's tree, or MEM001. A file that might be nested deeply enough to
    crash libcst's parser goes through CPython's first, which refuses it
    cleanly. Otherwise libcst parses it alone, and CPython is asked only when
    libcst fails, for the familiar error message and position (syntax CPython
    rejects may still be valid for a newer target version: libcst's success
    is the final word). Raises LibcstLimit when only libcst fails."""
    start = time.perf_counter()
    try:
        if _may_be_too_deep(text):
            cpython_error, fatal = _cpython_syntax_error(text, filename)
            if fatal:
                return None, cpython_error
        try:
            return cst.parse_module(text), None
        except (cst.ParserSyntaxError, SyntaxError, RecursionError, ValueError) as exc:
            cpython_error = _cpython_syntax_error(text, filename)[0]
            if cpython_error is None:
                raise LibcstLimit(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
            return None, cpython_error
    finally:
        record_time("parse", start)


# libcst's visitors recurse once per nesting level; long implicit string
# concatenations (pydoc_data/topics.py) and deep expressions need more than
# Python's default of 1000 frames.
RECURSION_LIMIT = 20000


def record_time(phase: str, start: float) -> None:
    if TIMINGS is not None:
        TIMINGS[phase] += time.perf_counter() - start


def _timed(key: str, method: Method, timings: Dict[str, float]) -> Method:
    """``method``, adding its time to ``timings[key]`` (only under --timings)."""

    def timed(node: cst.CSTNode) -> None:
        start = time.perf_counter()
        try:
            method(node)
        finally:
            timings[key] += time.perf_counter() - start

    return timed


def _visitors(owner: object, key: str, methods: Dict[str, Method]) -> Tuple[object, Dict[str, Method]]:
    if TIMINGS is not None:
        timings = TIMINGS
        methods = {name: _timed(key, method, timings) for name, method in methods.items()}
    return owner, methods


def _required_facts(rules: Sequence[Rule]) -> List[WalkFact[Any]]:
    """The walk-fed analyses the rules read, each once, in declaration order."""
    keys: Dict[WalkFact[Any], None] = {}
    for rule in rules:
        keys.update((key, None) for key in rule.requires if isinstance(key, WalkFact))
    return list(keys)


def run_rules(
    module: cst.Module, text: str, filename: str, settings: Any, rule_classes: Sequence[Type[Rule]],
    project: Optional[Project] = None,
) -> Tuple[List[Report], List[str]]:
    """The single walk; every rule and analysis sees the node types it asks for.
    Returns the reports and one line per rule or analysis that crashed (its
    findings for this file are dropped, the others still run)."""
    context = Context(module, filename, settings, project)
    rules = [cls(context, settings.options_for(cls)) for cls in rule_classes if cls.may_report(text)]
    collectors = context.start_collectors(_required_facts(rules))
    errors: List[str] = []

    def on_crash(owner: object, error: Exception) -> List[object]:
        if isinstance(owner, Rule):
            errors.append(f"{filename}: rule {owner.code} ({owner.name}) crashed: {type(error).__name__}: {error}")
            return [owner]
        dependents = [rule for rule in rules if any(context.fact(key) is owner for key in rule.requires)]
        skipped = ", ".join(rule.code for rule in dependents)
        errors.append(
            f"{filename}: analysis {type(owner).__name__} crashed: {type(error).__name__}: {error}; skipped {skipped}"
        )
        return [owner, *dependents]

    visitors = [_visitors(c, type(c).__name__, c.visitors()) for c in collectors]
    visitors += [_visitors(rule, rule.code, rule.get_visitors()) for rule in rules]
    dispatch = Dispatch(visitors)
    start = time.perf_counter()
    try:
        walk(module, dispatch, context.push, context.pop, on_crash)
    finally:
        record_time("walk", start)
    reports = [report for rule in rules if rule not in dispatch.dropped for report in rule.reports]
    return reports, errors


def lint_module(
    module: cst.Module, text: str, filename: str, settings: Any, rule_classes: Sequence[Type[Rule]],
    project: Optional[Project] = None,
) -> LintResult:
    """Run the rules, skipping (and reporting) any rule that crashes on this
    file; any other failure is reported as an error for this file alone."""
    result = LintResult(module=module)
    try:
        with recursion_limit(RECURSION_LIMIT):
            reports, result.errors = run_rules(module, text, filename, settings, rule_classes, project)
            suppressions = Suppressions(split_lines(text))
            result.findings = _to_findings(module, filename, reports, suppressions) if reports else []
            if not result.errors:  # a crashed rule's suppressions would look unused
                unused = unused_noqa(text, filename, suppressions, rule_classes)
                result.findings = sorted(result.findings + [Finding(d) for d in unused], key=lambda f: f.diagnostic.sort_key)
    except RecursionError:
        result.errors.append(f"{filename}: too deeply nested to analyse")
    except MemoryError:
        result.errors.append(file_out_of_memory(filename))
    except Exception as exc:  # never let one file end the run
        result.errors.append(f"{filename}: internal error: {type(exc).__name__}: {exc}")
    return result


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _to_findings(module: cst.Module, filename: str, reports: List[Report], suppressions: Suppressions) -> List[Finding]:
    start = time.perf_counter()
    wanted = [report.node for report in reports]
    wanted += [r.old for report in reports if report.fix is not None for r in report.fix.replacements]
    positions = positions_of(module, wanted)
    record_time("positions", start)
    findings = []
    for report in reports:
        position = positions[report.node]
        line, column = position.start.line, position.start.column + 1
        if suppressions.suppressed(report.rule.code, line):
            continue
        diagnostic = Diagnostic(
            filename,
            line,
            column,
            position.end.line,
            position.end.column + 1,
            report.rule.code,
            report.rule.name,
            report.message,
            _fix_info(module, positions, report.fix),
        )
        findings.append(Finding(diagnostic, report.fix))
    findings.sort(key=lambda f: f.diagnostic.sort_key)
    return findings


def _fix_info(module: cst.Module, positions: Dict[cst.CSTNode, CodeRange], fix: Optional[Fix]) -> Optional[FixInfo]:
    if fix is None:
        return None
    edits = []
    for replace in fix.replacements:
        span = positions[replace.old]
        edits.append(
            TextEdit(span.start.line, span.start.column + 1, span.end.line, span.end.column + 1, _node_code(module, replace))
        )
    return FixInfo(fix.applicability.value, tuple(edits))


def _node_code(module: cst.Module, replace: Replace) -> str:
    new = replace.new
    if isinstance(new, cst.RemovalSentinel):
        return ""
    if isinstance(new, cst.FlattenSentinel):
        return "".join(module.code_for_node(node) for node in new.nodes)
    return module.code_for_node(new)


def lint_text(
    text: str, filename: str, settings: object, rule_classes: Sequence[Type[Rule]], project: Optional[Project] = None
) -> LintResult:
    try:
        module, error = parse(text, filename)
    except MemoryError:  # libcst's parser; CPython's MemoryError is MEM001 (it also means "too deep")
        return LintResult(errors=[file_out_of_memory(filename)])
    except LibcstLimit as limit:
        return LintResult(errors=[f"{filename}: libcst cannot parse this file, which CPython accepts: {limit}"])
    if module is None:
        return LintResult(findings=[Finding(error)] if _enabled(error, rule_classes) else [])  # type: ignore[arg-type]
    return lint_module(module, text, filename, settings, rule_classes, project)


def lint_bytes(
    data: bytes, filename: str, settings: object, rule_classes: Sequence[Type[Rule]], project: Optional[Project] = None
) -> Tuple[LintResult, Optional[Decoded]]:
    try:
        decoded = decode_source(data)
    except DecodeFailure as failure:
        diagnostic = _engine_diagnostic(filename, UNDECODABLE, failure.line, failure.column, f"cannot decode file: {failure}")
        return LintResult(findings=[Finding(diagnostic)] if _enabled(diagnostic, rule_classes) else []), None
    return lint_text(decoded.text, filename, settings, rule_classes, project), decoded


def _enabled(diagnostic: Diagnostic, rule_classes: Sequence[Type[Rule]]) -> bool:
    return any(rule.code == diagnostic.code for rule in rule_classes)

