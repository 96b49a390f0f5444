"""File discovery, per-file lint/fix with safe writes, and the process pool."""
from __future__ import annotations

import difflib
import os
import stat
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from memlint.config import ConfigResolver, Settings
from memlint.diagnostics import Diagnostic
from memlint.engine import Finding, lint_bytes
from memlint.errors import UsageError
from memlint.fixes import fix_allowed, fix_text
from memlint.registry import get_registry
from memlint.rule import Applicability

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Mode:
    """What to do with each file."""

    fix: bool = False
    diff: bool = False
    unsafe_fixes: Optional[bool] = None  # None: from the configuration


@dataclass
class FileReport:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    fixed: int = 0
    unsafe_fixable: int = 0  # remaining findings that --unsafe-fixes would fix
    diff: str = ""
    output: Optional[bytes] = None  # fixed bytes, for stdin


# -- discovery --------------------------------------------------------------------


def discover_files(paths: Sequence[str], resolver: ConfigResolver) -> List[str]:
    """Python files under ``paths``, honouring exclude patterns; a path that
    does not exist is a usage error (nothing is linted)."""
    for path in paths:
        if path != "-" and not os.path.exists(path):
            raise UsageError(f"{path}: no such file or directory")
    found: List[str] = []
    for path in paths:
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            found.extend(_walk(path, resolver))
        elif not resolver.for_path(path).is_excluded(path):
            found.append(path)
    return sorted(dict.fromkeys(found))


def _walk(top: str, resolver: ConfigResolver) -> Iterator[str]:
    for directory, subdirs, files in os.walk(top):
        settings = resolver.for_path(directory)
        subdirs[:] = sorted(
            d for d in subdirs
            if not settings.is_excluded(os.path.join(directory, d))
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))  # a virtualenv
        )
        for name in sorted(files):
            path = os.path.join(directory, name)
            if name.endswith(PYTHON_SUFFIXES) and not settings.is_excluded(path):
                yield path


# -- one file -----------------------------------------------------------------------


def process_source(data: bytes, path: str, settings: Settings, mode: Mode) -> FileReport:
    """Lint (and maybe fix) one file's bytes; never raises for bad input."""
    registry = get_registry()
    rules = settings.enabled_rules(registry, path)
    report = FileReport(path)
    result, decoded = lint_bytes(data, path, settings, rules)
    report.errors.extend(result.errors)
    unsafe = settings.unsafe_fixes if mode.unsafe_fixes is None else mode.unsafe_fixes
    if decoded is None or not (mode.fix or mode.diff) or not any(f.fix for f in result.findings):
        report.diagnostics = result.diagnostics
        report.unsafe_fixable = _count_unsafe(result.findings, settings, registry, unsafe)
        return report
    allowed = fix_allowed(settings, registry, unsafe, display=mode.diff)
    outcome = fix_text(decoded.text, path, settings, rules, allowed)
    report.warnings.extend(outcome.warnings)
    report.errors.extend(e for e in outcome.result.errors if e not in report.errors)
    report.diagnostics = outcome.result.diagnostics
    report.unsafe_fixable = _count_unsafe(outcome.result.findings, settings, registry, unsafe)
    if outcome.fixed:
        report.fixed = outcome.fixed
        if mode.diff:
            report.diff = unified_diff(decoded.text, outcome.text, path)
        else:
            report.output = _encode(outcome.text, decoded.encoding, report)
    return report


def _count_unsafe(findings: Sequence[Finding], settings: Settings, registry, unsafe: bool) -> int:
    if unsafe:
        return 0
    return sum(
        1 for f in findings
        if f.fix is not None and f.fix.applicability is Applicability.UNSAFE
        and settings.is_fixable(f.diagnostic.code, registry)
    )


def _encode(text: str, encoding: str, report: FileReport) -> Optional[bytes]:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        report.errors.append(f"{report.path}: fixed text cannot be encoded as {encoding}: {exc.reason}; not written")
        report.fixed = 0
        return None


def unified_diff(before: str, after: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def process_path(path: str, settings: Settings, mode: Mode) -> FileReport:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileReport(path, errors=[f"{path}: cannot read: {exc.strerror or exc}"])
    report = process_source(data, path, settings, mode)
    if report.output is not None and not mode.diff:
        if report.output != data:
            _write_atomic(path, report.output, report)
        report.output = None
    return report


def _write_atomic(path: str, data: bytes, report: FileReport) -> None:
    """Write via a temporary file in the same directory and ``os.replace``,
    keeping the file's permission bits; the original survives any failure."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        fd, temp = tempfile.mkstemp(prefix=".memlint-", suffix=".tmp", dir=directory)
    except OSError as exc:
        report.errors.append(f"{path}: cannot write fixes: {exc.strerror or exc}")
        report.fixed = 0
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        report.errors.append(f"{path}: cannot write fixes: {exc.strerror or exc}")
        report.fixed = 0
        try:
            os.unlink(temp)
        except OSError:
            pass


# -- many files -------------------------------------------------------------------


def _process_chunk(chunk: Sequence[Tuple[str, Settings]], mode: Mode) -> List[FileReport]:
    return [process_path(path, settings, mode) for path, settings in chunk]


def run_files(files: Sequence[str], resolver: ConfigResolver, mode: Mode, jobs: int) -> List[FileReport]:
    """Process files in-process (jobs=1) or in a process pool; results come
    back sorted by path whatever the scheduling."""
    work = [(path, resolver.for_path(path)) for path in files]
    if jobs <= 1 or len(work) < 2:
        return _process_chunk(work, mode)
    chunks = list(_chunks(work, max(1, min(16, len(work) // (jobs * 4) or 1))))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_process_chunk, chunk, mode) for chunk in chunks]
        reports = [report for future in futures for report in future.result()]
    return sorted(reports, key=lambda r: r.path)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
