"""File discovery, per-file lint/fix with safe writes, the result cache and
the process pool.

This module imports no libcst: a run whose files are all in the cache never
loads the engine or the rules. Linting imports them on first use.
"""
from __future__ import annotations

import difflib
import functools
import itertools
import os
import signal
import stat
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type, Union

from memlint.cache import Cache
from memlint.config import ConfigResolver, Settings
from memlint.diagnostics import Diagnostic
from memlint.errors import UsageError
from memlint.limits import file_out_of_memory
from memlint.suppress import lines_with_breaks

if TYPE_CHECKING:  # not at run time: a fully cached run must not import libcst
    from memlint.registry import Registry
    from memlint.rule import Rule

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Mode:
    """What to do with each file."""

    fix: bool = False
    diff: bool = False
    unsafe_fixes: Optional[bool] = None  # None: from the configuration
    timings: bool = False  # measure phases and rules (--timings)
    # Lint in supervised worker processes even with one job, so that a crash
    # or an overrun budget costs one file, not the run (the command line's
    # default; see memlint.workers).
    supervised: bool = False
    max_memory: Optional[int] = None  # MB of address space per worker process


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
    timings: Dict[str, float] = field(default_factory=dict)  # phase or rule code -> seconds


# -- discovery --------------------------------------------------------------------


def discover_files(
    paths: Sequence[str], resolver: ConfigResolver, problems: Optional[List[FileReport]] = None
) -> List[str]:
    """Python files under ``paths``, honouring exclude patterns. A path that
    does not exist is a usage error (nothing is linted). A directory that
    cannot be read is an error: a report added to ``problems``, or without
    it a usage error. Special files are listed too: reading them reports them."""
    for path in paths:
        if path != "-" and not os.path.exists(path):
            broken = os.path.islink(path)
            raise UsageError(f"{path}: {'broken symbolic link' if broken else 'no such file or directory'}")
    found: List[str] = []
    for path in paths:
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            found.extend(_walk(path, resolver, problems))
        elif not resolver.for_path(path).is_excluded(path):
            found.append(path)
    return sorted(dict.fromkeys(found))


def _walk(top: str, resolver: ConfigResolver, problems: Optional[List[FileReport]]) -> Iterator[str]:
    def unreadable(error: OSError) -> None:
        line = f"{error.filename}: cannot read directory: {error.strerror or error}"
        if problems is None:
            raise UsageError(line)
        problems.append(FileReport(error.filename, errors=[line]))

    for directory, subdirs, files in os.walk(top, onerror=unreadable):
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
    from memlint import engine
    from memlint.registry import load_rules, rule_index

    registry = rule_index()
    rules = load_rules(_enabled_rules(settings, registry, path))
    report = FileReport(path)
    result, decoded = engine.lint_bytes(data, path, settings, rules)
    report.errors.extend(result.errors)
    unsafe = _unsafe(settings, mode)
    if decoded is None or not (mode.fix or mode.diff) or not any(f.fix for f in result.findings):
        report.diagnostics = result.diagnostics
        report.unsafe_fixable = count_unsafe(report.diagnostics, settings, registry, unsafe)
        return report
    from memlint.fixes import fix_allowed, fix_text  # libcst.codemod: only when fixing

    allowed = fix_allowed(settings, registry, unsafe, display=mode.diff)
    start = time.perf_counter()
    outcome = fix_text(decoded.text, path, settings, rules, allowed)
    engine.record_time("fix", start)
    report.warnings.extend(outcome.warnings)
    report.errors.extend(e for e in outcome.result.errors if e not in report.errors)
    report.diagnostics = outcome.result.diagnostics
    report.unsafe_fixable = count_unsafe(report.diagnostics, settings, registry, unsafe)
    if outcome.fixed:
        report.fixed = outcome.fixed
        if mode.diff:
            report.diff = unified_diff(decoded.text, outcome.text, path)
        else:
            report.output = _encode(outcome.text, decoded.encoding, report)
    return report


# (id(settings), id(registry), per-file ignores) -> (settings, registry, rules):
# the rule classes of a directory are selected once, not per file.
_ENABLED: Dict[Tuple[int, int, Tuple[str, ...]], Tuple[Settings, Registry, List[Type[Rule]]]] = {}


def _enabled_rules(settings: Settings, registry: Registry, path: str) -> List[Type[Rule]]:
    key = (id(settings), id(registry), tuple(settings.ignores_for(path)))
    known = _ENABLED.get(key)
    if known is None or known[0] is not settings or known[1] is not registry:
        if len(_ENABLED) > 256:  # settings arrive anew with every chunk a worker gets
            _ENABLED.clear()
        known = _ENABLED[key] = (settings, registry, settings.enabled_rules(registry, path))
    return known[2]


def _unsafe(settings: Settings, mode: Mode) -> bool:
    return settings.unsafe_fixes if mode.unsafe_fixes is None else mode.unsafe_fixes


def count_unsafe(diagnostics: Sequence[Diagnostic], settings: Settings, registry: Registry, unsafe: bool) -> int:
    """Findings that only ``--unsafe-fixes`` would fix (for the summary line)."""
    if unsafe:
        return 0
    return sum(
        1 for d in diagnostics
        if d.fix is not None and d.fix.applicability == "unsafe" and settings.is_fixable(d.code, registry)
    )


def has_applicable_fix(diagnostics: Sequence[Diagnostic], settings: Settings, registry: Registry, mode: Mode) -> bool:
    """Would ``--fix``/``--diff`` in this mode change the file these are the
    (cached) findings of? The same test as :func:`memlint.fixes.fix_allowed`,
    on plain diagnostics."""
    applicable = {"safe"}
    if _unsafe(settings, mode):
        applicable.add("unsafe")
    if mode.diff:
        applicable.add("display-only")
    return any(
        d.fix is not None and d.fix.applicability in applicable and settings.is_fixable(d.code, registry)
        for d in diagnostics
    )


def _encode(text: str, encoding: str, report: FileReport) -> Optional[bytes]:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        report.errors.append(f"{report.path}: fixed text cannot be encoded as {encoding}: {exc.reason}; not written")
        report.fixed = 0
        return None


def unified_diff(before: str, after: str, path: str) -> str:
    """A diff ``git apply`` (and ``patch -p1``) accepts: paths relative to the
    working directory without ``./``, and git's marker after a last line that
    has no line break (difflib would run it into the next line)."""
    label = diff_path(path)
    lines = difflib.unified_diff(
        lines_with_breaks(before), lines_with_breaks(after), f"a/{label}", f"b/{label}"
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)


def diff_path(path: str) -> str:
    """``./pkg/x.py`` -> ``pkg/x.py``: relative to the working directory (a
    file outside it gets ``../``, which git apply refuses rather than
    patching some other file)."""
    try:
        return os.path.relpath(path).replace(os.sep, "/")
    except ValueError:  # Windows: another drive
        return path.replace(os.sep, "/")


def process_path(path: str, settings: Settings, mode: Mode, cache: Optional[Cache] = None) -> FileReport:
    """Read, lint or fix, write; with a cache, store lint results (see
    :mod:`memlint.cache` for when a result is stored)."""
    start = time.perf_counter()
    data = read_source(path)
    if isinstance(data, FileReport):
        return data
    read_time = time.perf_counter() - start
    refusal = _fix_refusal(path) if mode.fix and not mode.diff else None
    report = process_source(data, path, settings, replace(mode, fix=False) if refusal else mode)
    if refusal:
        report.warnings.append(refusal)
    written = None
    if report.output is not None and not mode.diff:
        if report.output != data:
            try:
                _write_fixed(path, data, report.output)
                written = report.output
            except (FileChanged, OSError) as exc:
                report = _not_written(path, data, settings, mode, exc)
        report.output = None
    if cache is not None and not report.errors and not report.warnings:
        # The final diagnostics belong to the bytes now on disk.
        stored = written if report.fixed else data
        if stored is not None:
            cache.put(settings, cache.key(path, stored), report.diagnostics)
    if mode.timings:
        report.timings["read"] = report.timings.get("read", 0.0) + read_time
    return report


_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
)


def _special_kind(mode: int) -> Optional[str]:
    """What a file that is not a regular file is; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_source(path: str) -> Union[bytes, FileReport]:
    """A regular file's bytes, or the report of why it is not linted. Nothing
    else is ever read (a FIFO would block, a device never end), and a FIFO
    put in a file's place after the check is opened without blocking."""
    try:
        kind = _special_kind(os.stat(path).st_mode)
        if kind is None:
            with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
                kind = _special_kind(os.fstat(handle.fileno()).st_mode)
                if kind is None:
                    return handle.read()
    except FileNotFoundError:
        reason = "is a broken symbolic link" if os.path.islink(path) else "no longer exists"
        return FileReport(path, warnings=[f"{path}: {reason}; skipped"])
    except OSError as exc:
        return FileReport(path, errors=[f"{path}: cannot read: {exc.strerror or exc}"])
    return FileReport(path, warnings=[f"{path}: not a regular file ({kind}); skipped"])


def _fix_refusal(path: str) -> Optional[str]:
    """Why fixes must not be written to this file, if they must not: it is
    read-only (no write permission bit: root ignores the bits, memlint does
    not), or replacing it would leave its other hard links unfixed."""
    try:
        info = os.stat(path)
    except OSError:
        return None  # writing reports it
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):
        return f"{path}: read-only; fixes not applied"
    if info.st_nlink > 1:
        return f"{path}: has other hard links (replacing it would leave them unfixed); fixes not applied"
    return None


class FileChanged(Exception):
    """The file's bytes on disk are no longer those memlint read."""


def _write_fixed(path: str, before: bytes, after: bytes) -> None:
    """Replace the file's bytes ``before`` with ``after`` atomically (a
    temporary file beside it, then ``os.replace``) and keep its identity: a
    symbolic link is written through to its target; owner, group and mode
    stay. Raises FileChanged, writing nothing, when the bytes on disk are no
    longer ``before`` (an editor saved the file meanwhile); OSError when the
    file cannot be written so."""
    target = os.path.realpath(path)
    info = os.stat(target)
    fd, temp = tempfile.mkstemp(prefix=".memlint-", suffix=".tmp", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(after)
        _copy_owner(info, temp)
        os.chmod(temp, stat.S_IMODE(info.st_mode))  # after chown, which may clear set-id bits
        if read_source(target) != before:
            raise FileChanged()
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _copy_owner(info: os.stat_result, path: str) -> None:
    if not hasattr(os, "chown"):
        return
    current = os.stat(path)
    if (current.st_uid, current.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.chown(path, info.st_uid, info.st_gid)
        except PermissionError as exc:
            raise PermissionError(exc.errno, "cannot keep its owner and group") from exc


def _not_written(path: str, data: bytes, settings: Settings, mode: Mode, problem: Exception) -> FileReport:
    """The report of a file whose fixes were not written: its findings as read."""
    report = process_source(data, path, settings, replace(mode, fix=False))
    if isinstance(problem, FileChanged):
        report.warnings.append(f"{path}: changed on disk while memlint was fixing it; not written (run memlint again)")
    else:
        report.errors.append(f"{path}: cannot write fixes: {getattr(problem, 'strerror', None) or problem}")
    return report


# -- many files -------------------------------------------------------------------


def run_files(
    files: Sequence[str], resolver: ConfigResolver, mode: Mode, jobs: int,
    cache: Optional[Cache] = None, registry: Optional[Registry] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> List[FileReport]:
    """Answer what the cache can, lint the rest in-process (jobs=1) or in a
    process pool; reports come back sorted by path whatever the scheduling.

    ``registry`` is the one the settings were validated with (possibly the
    cache's rule stubs); it only decides fixability of cached findings here.
    ``progress(done, total)`` is called as each file's report is final.
    """
    done = itertools.count(1)

    def tick(*_: object) -> None:
        if progress is not None:
            progress(next(done), len(files))

    reports: List[FileReport] = []
    work: List[Tuple[str, Settings]] = []
    for path in files:
        settings = resolver.for_path(path)
        cached = None
        if cache is not None and _cacheable(cache, settings):
            cached = _from_cache(path, settings, mode, cache, registry or _real_registry())
        if cached is not None:
            reports.append(cached)
            tick()
        else:
            work.append((path, settings))
    if work:
        reports.extend(_lint_all(work, mode, cache, jobs, tick))
    if cache is not None:
        cache.prune()
    return sorted(reports, key=lambda r: r.path)


def _cacheable(cache: Optional[Cache], settings: Settings) -> bool:
    # astroid inference reads other modules, which the cache key does not cover.
    return cache is not None and not settings.enable_inference


def _real_registry() -> Registry:
    from memlint.registry import get_registry

    return get_registry()


def _from_cache(path: str, settings: Settings, mode: Mode, cache: Cache, registry: Registry) -> Optional[FileReport]:
    """The report of a file from its cache entry, if there is one and it is
    the whole answer (in fix mode: nothing to fix), or why it is not linted."""
    data = read_source(path)
    if isinstance(data, FileReport):
        return data  # a file that cannot be linted: the answer is why
    diagnostics = cache.get(settings, cache.key(path, data))
    if diagnostics is None or ((mode.fix or mode.diff) and has_applicable_fix(diagnostics, settings, registry, mode)):
        return None
    unsafe = count_unsafe(diagnostics, settings, registry, _unsafe(settings, mode))
    return FileReport(path, diagnostics=diagnostics, unsafe_fixable=unsafe)


def _lint_one(item: Tuple[str, Settings], mode: Mode, cache: Optional[Cache]) -> FileReport:
    path, settings = item
    try:
        return _timed(lambda: process_path(path, settings, mode, cache if _cacheable(cache, settings) else None), mode)
    except MemoryError:
        return FileReport(path, errors=[file_out_of_memory(path)])


def _lint_in_worker(mode: Mode, cache: Optional[Cache], path: str, settings: Settings) -> FileReport:
    _test_fault(path)
    return _lint_one((path, settings), mode, cache)


def _test_fault(path: str) -> None:
    """Test-only: ``MEMLINT_TEST_FAULT=kill:NAME`` kills the worker that
    holds a file whose path contains NAME, ``hang:NAME`` makes it hang (the
    tests of crash isolation and of the file timeout)."""
    action, _, name = os.environ.get("MEMLINT_TEST_FAULT", "").partition(":")
    if name and name in path:
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "hang":
            time.sleep(3600)


def _load_engine() -> None:
    """A new worker imports the engine and libcst's native parser before it
    takes a file: the imports do not count against the first file's time
    budget, and a memory limit too low for them fails here, once."""
    from memlint import engine

    engine.parse("pass\n", "<start>")


def _load_rules(settings: Settings) -> None:
    """The rules a directory's settings select, imported by a worker before
    the clock of the first file with those settings starts."""
    from memlint.registry import load_rules, rule_index

    load_rules(settings.enabled_rules(rule_index()))


def _timed(run: Callable[[], FileReport], mode: Mode) -> FileReport:
    """Run one file; with --timings, attach the engine's phase and rule times."""
    if not mode.timings:
        return run()
    from memlint import engine

    engine.TIMINGS = defaultdict(float)
    try:
        report = run()
        for key, seconds in engine.TIMINGS.items():
            report.timings[key] = report.timings.get(key, 0.0) + seconds
    finally:
        engine.TIMINGS = None
    return report


def _lint_all(
    work: Sequence[Tuple[str, Settings]], mode: Mode, cache: Optional[Cache], jobs: int, tick: Callable[..., None],
) -> List[FileReport]:
    if not mode.supervised and (jobs <= 1 or len(work) < 2):
        reports = []
        for item in work:
            reports.append(_lint_one(item, mode, cache))
            tick()
        return reports
    from memlint.workers import Failure, Job, run_supervised

    batch = [Job(path, settings, settings.file_timeout or None) for path, settings in work]
    task = functools.partial(_lint_in_worker, mode, cache)
    results = run_supervised(batch, task, min(jobs, len(work)), mode.max_memory, _load_engine, _load_rules, tick)
    return [
        FileReport(path, errors=[f"{path}: {result.message}"]) if isinstance(result, Failure) else result
        for (path, _), result in zip(work, results)
    ]
