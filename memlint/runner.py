"""File discovery, per-file lint/fix with safe writes, the result cache,
the project index and the process pool.

A run has two phases: phase 1 names the projects of its files
(:func:`plan_projects`) and builds each one's index (summaries from the
cache, or computed, in the pool with several jobs); phase 2 lints each file
with :class:`memlint.analysis.project.Project`. A cached result is reused
while the index answers its lint's questions as before (:func:`entry_holds`).

This module imports no libcst: a run whose files are all in the cache never
loads the engine or the rules (nor :mod:`ast` for the index, when no other
file changed an answer). Linting imports them on first use.

The API other front ends use (the flake8 plugin, ``--add-noqa``, stdin):
:func:`process_source`, :func:`read_source`, :func:`write_fixed` and
:class:`FileChanged`, :func:`fix_refusal`, :func:`cacheable`,
:func:`entry_holds` and :class:`CachedProjects` (a file seen alone, with the
cached index).
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
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Type, Union

from memlint.cache import Cache, ProjectFacts, content_digest, project_state
from memlint.config import ConfigResolver, Settings
from memlint.diagnostics import Diagnostic
from memlint.errors import UsageError
from memlint.limits import file_out_of_memory
from memlint.modules import ModuleName, PyprojectRoots, module_name, module_names, project_root
from memlint.suppress import lines_with_breaks

if TYPE_CHECKING:  # not at run time: a fully cached run must not import libcst (nor ast, for the index)
    from memlint.analysis.project import Project
    from memlint.index import ModuleSummary, ProjectIndex
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
    _LISTED.clear()  # the listings of this discovery only
    for path in paths:
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            listed = list(_walk(path, resolver, problems))
            _LISTED[os.path.abspath(path)] = (resolver, [os.path.abspath(p) for p in listed])
            found.extend(listed)
        elif not resolver.for_path(path).is_excluded(path):
            found.append(path)
    return sorted(dict.fromkeys(found))


# The directories the last discovery listed (absolute) -> (the resolver that
# decided what was excluded, their Python files): the project index's walk
# of a project tree (plan_projects) does not list them again.
_LISTED: Dict[str, Tuple[ConfigResolver, List[str]]] = {}


def _walk(top: str, resolver: ConfigResolver, problems: Optional[List[FileReport]],
          max_directories: Optional[int] = None, reuse: bool = False) -> Iterator[str]:
    """The Python files under ``top``; with ``max_directories``, TooLarge
    once more directories than that were listed; with ``reuse``, the files
    of a directory discovery listed already, with the same resolver, are
    taken from that listing."""
    def unreadable(error: OSError) -> None:
        line = f"{error.filename}: cannot read directory: {error.strerror or error}"
        if problems is None:
            raise UsageError(line)
        problems.append(FileReport(error.filename, errors=[line]))

    def listed(directory: str) -> Optional[List[str]]:
        known = _LISTED.get(os.path.abspath(directory)) if reuse else None
        return known[1] if known is not None and known[0] is resolver else None

    known = listed(top)
    if known is not None:
        yield from known
        return
    for count, (directory, subdirs, files) in enumerate(os.walk(top, onerror=unreadable)):
        if max_directories is not None and count >= max_directories:
            raise TooLarge(top)
        settings = resolver.for_path(directory)
        subdirs[:] = sorted(
            d for d in subdirs
            if not settings.is_excluded(os.path.join(directory, d))
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))  # a virtualenv
            and not os.path.exists(os.path.join(directory, d, "CACHEDIR.TAG"))  # a cache (memlint's, by any name)
        )
        for name in sorted(files):
            path = os.path.join(directory, name)
            if name.endswith(PYTHON_SUFFIXES) and not settings.is_excluded(path):
                yield path
        for subdir in [d for d in subdirs if listed(os.path.join(directory, d)) is not None]:
            subdirs.remove(subdir)
            yield from listed(os.path.join(directory, subdir)) or ()


class TooLarge(Exception):
    """A directory tree too large to index (see MAX_PROJECT_DIRECTORIES)."""


# -- projects -----------------------------------------------------------------------

# A project's tree is listed to index all of its files (RULES.md, "Project-wide
# facts"). One larger than this (a root far above the files, such as a home
# directory with a pyproject.toml) is indexed from the run's own files, as
# an incomplete index: its project-wide answers are "unknown".
MAX_PROJECT_DIRECTORIES = 5000


class ProjectFiles:
    """One project of a run: its root, the module name of each of its
    Python files (absolute paths), whether those are all of its files, and,
    once a run needs them, each file's content digest and the index."""

    __slots__ = ("root", "names", "complete", "absolute", "digests", "index", "_state")

    def __init__(self, root: str, files: Sequence[str], complete: bool) -> None:
        self.root = root
        self.names = module_names(files, root)
        self.complete = complete
        self.absolute: Dict[str, str] = {}  # a file of the run, as given -> its absolute path
        self.digests: Dict[str, str] = {}  # absolute path -> content digest
        self.index: Optional[ProjectIndex] = None
        self._state: Optional[str] = None

    def module(self, path: str) -> ModuleName:
        """The module of a file of the run (also a stub, or a file that lost its name to a package)."""
        absolute = self.absolute.get(path) or os.path.abspath(path)
        found = self.names.get(absolute) or module_name(absolute, self.root)
        return found or ModuleName(os.path.splitext(os.path.basename(path))[0], False)

    def state(self) -> str:
        """:func:`memlint.cache.project_state` of the project (reading the
        files whose digest the run has not seen yet)."""
        if self._state is None:
            items = []
            for path, name in self.names.items():
                digest = self.digests.get(path)
                if digest is None:
                    data = read_source(path)
                    digest = content_digest(data) if isinstance(data, bytes) else "unreadable"
                items.append((name.name, name.is_package, name.alias, digest))
            self._state = project_state(items, self.complete)
        return self._state


def plan_projects(files: Sequence[str], resolver: ConfigResolver) -> Dict[str, ProjectFiles]:
    """The project of each file of a run: files under a ``pyproject.toml``
    belong to the tree under the nearest one; the others to the tree under
    their common root (:func:`memlint.modules.project_root`). A tree is
    listed as discovery lists files (excludes apply), without the files of
    a nested project."""
    pyprojects = PyprojectRoots()
    absolute = {path: os.path.abspath(path) for path in files}
    groups: Dict[Optional[str], List[str]] = {}
    for path in files:
        groups.setdefault(pyprojects(os.path.dirname(absolute[path])), []).append(absolute[path])
    found: Dict[str, ProjectFiles] = {}
    for pyproject, members in groups.items():
        root = pyproject or project_root(members)
        try:
            tree = [
                path for path in _walk(root, resolver, [], MAX_PROJECT_DIRECTORIES, reuse=True)
                if pyprojects(os.path.dirname(path)) == pyproject
            ]
            project = ProjectFiles(root, sorted(set(tree) | set(members)), complete=True)
        except TooLarge:
            project = ProjectFiles(root, members, complete=False)
        found.update((path, project) for path in members)
    for path in files:
        found[absolute[path]].absolute[path] = absolute[path]
    return {path: found[absolute[path]] for path in files}


def entry_holds(facts: ProjectFacts, module: ModuleName, state: Callable[[], str],
                index: Callable[[], Optional[ProjectIndex]]) -> bool:
    """Whether cached findings that depended on ``facts`` are still the file's
    findings: its module name is the same, and its lint asked the index
    nothing, or the project is unchanged (``state()``: today's project
    state), or ``index()`` (today's index, None when there is none) answers
    every question as before."""
    if (facts.module, facts.is_package) != (module.name, module.is_package):
        return False
    if not facts.questions or facts.state == state():
        return True
    today = index()
    return today is not None and today.answers_hold(facts.questions)


class CachedProjects:
    """The projects of files seen one at a time (stdin, the flake8 plugin),
    with indexes read from the cache only: never built here, since such a
    front end must stay cheap. Memoised per project, for a process that
    lints many files."""

    def __init__(self, resolver: ConfigResolver, cache: Optional[Cache]) -> None:
        self.resolver = resolver
        self.cache = cache
        self._projects: Dict[str, ProjectFiles] = {}  # a file or its directory -> its project
        self._pyprojects = PyprojectRoots()
        self._summaries: Dict[int, Optional[Dict[str, ModuleSummary]]] = {}  # id(project) -> its cached summaries

    def module_of(self, path: str) -> ModuleName:
        """A file's module name, without listing its project (as plan_projects names it)."""
        absolute = os.path.abspath(path)
        known = self._projects.get(absolute)
        if known is not None:
            return known.module(absolute)
        root = self._pyprojects(os.path.dirname(absolute)) or project_root([absolute])
        return module_name(absolute, root) or ModuleName(os.path.splitext(os.path.basename(path))[0], False)

    def files_of(self, path: str) -> ProjectFiles:
        absolute = os.path.abspath(path)
        known = self._projects.get(absolute) or self._projects.get(os.path.dirname(absolute))
        if known is None:
            known = plan_projects([absolute], self.resolver)[absolute]
            self._projects.update(dict.fromkeys(known.names, known))
            self._projects[os.path.dirname(absolute)] = known
        return known

    def index(self, project: ProjectFiles) -> Optional[ProjectIndex]:
        """The project's index from the cache; None unless the cache holds
        the summary of every one of its files."""
        summaries = self.summaries(project)
        if summaries is None:
            return None
        if project.index is None:
            from memlint.index import merged_index

            project.index = merged_index(project.names, [summaries[path] for path in sorted(project.names)])
        return project.index

    def summaries(self, project: ProjectFiles) -> Optional[Dict[str, ModuleSummary]]:
        if id(project) not in self._summaries:
            self._summaries[id(project)] = self._read_summaries(project)
        return self._summaries[id(project)]

    def _read_summaries(self, project: ProjectFiles) -> Optional[Dict[str, ModuleSummary]]:
        if self.cache is None or not project.complete or not _has_index_entries(self.cache):
            return None
        from memlint.index import summarize_file

        found = {}
        for path, name in project.names.items():
            summary = summarize_file(path, name, self.cache, cached_only=True)
            if summary is None:
                return None
            found[path] = summary
        return found

    def project(self, data: bytes, path: Optional[str]) -> Project:
        """The project as the file at ``path`` with content ``data`` sees it:
        the cached index, with the summary of ``data`` for the file itself
        (computed when it differs from the file on disk: one file, not
        stored); without a cached index, or without a path (stdin), a
        one-file index marked incomplete."""
        from memlint.analysis.project import Project, single_file_project
        from memlint.index import merged_index, summarize

        if path is None:
            return _alone(data, "stdin")
        if self.cache is None or not _has_index_entries(self.cache):  # no index to read: no need to list the project
            return single_file_project(data, self.module_of(path).name, complete=False)
        project = self.files_of(path)
        module = project.module(path)
        index = self.index(project)
        if index is None:
            return single_file_project(data, module.name, complete=False)
        absolute = os.path.abspath(path)
        own = summarize(data, module.name, module.is_package)
        summaries = self.summaries(project) or {}
        if summaries.get(absolute) == own:
            return Project(index, module)
        names = dict(project.names, **{absolute: module})
        found = [own if other == absolute else summaries[other] for other in sorted(names)]
        return Project(merged_index(names, found), module)


def _has_index_entries(cache: Cache) -> bool:
    """Whether a run ever stored summaries in this cache (else a front end need not look)."""
    from memlint.index import INDEX_KIND

    return os.path.isdir(os.path.join(cache.version_dir, INDEX_KIND))


# -- one file -----------------------------------------------------------------------


def process_source(data: bytes, path: str, settings: Settings, mode: Mode, project: Optional[Project] = None) -> FileReport:
    """Lint (and maybe fix) one file's bytes; never raises for bad input.
    Without ``project``, the file is a project of its own whose other files
    are unknown (see :class:`CachedProjects` for a file seen alone)."""
    from memlint import engine
    from memlint.registry import load_rules, rule_index

    registry = rule_index()
    rules = load_rules(_enabled_rules(settings, registry, path))
    report = FileReport(path)
    project = project or _alone(data, path)
    result, decoded = engine.lint_bytes(data, path, settings, rules, project)
    report.errors.extend(result.errors)
    unsafe = _unsafe(settings, mode)
    if decoded is None or not (mode.fix or mode.diff) or not any(f.fix for f in result.findings):
        report.diagnostics = result.diagnostics
        report.unsafe_fixable = count_unsafe(report.diagnostics, settings, registry, unsafe)
        return report
    from memlint.fixes import fix_allowed, fix_text  # libcst.codemod: only when fixing

    allowed = fix_allowed(settings, registry, unsafe, display=mode.diff)
    start = time.perf_counter()
    outcome = fix_text(decoded.text, path, settings, rules, allowed, project)
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


def _alone(data: bytes, path: str) -> Project:
    """A file as a project of its own, whose other files are unknown (an incomplete index)."""
    from memlint.analysis.project import single_file_project

    return single_file_project(data, os.path.splitext(os.path.basename(path))[0] or "example", complete=False)


def process_path(path: str, settings: Settings, mode: Mode, cache: Optional[Cache] = None,
                 project: Optional[Project] = None, state: str = "") -> FileReport:
    """Read, lint or fix, write; with a cache, store lint results (see
    :mod:`memlint.cache` for when a result is stored) with the questions the
    lint asked ``project``'s index and ``state``, the project's state."""
    start = time.perf_counter()
    data = read_source(path)
    if isinstance(data, FileReport):
        return data
    read_time = time.perf_counter() - start
    project = project or _alone(data, path)
    refusal = fix_refusal(path) if mode.fix and not mode.diff else None
    with project.index.recording() as asked:
        report = process_source(data, path, settings, replace(mode, fix=False) if refusal else mode, project)
        if refusal:
            report.warnings.append(refusal)
        written = None
        if report.output is not None and not mode.diff:
            if report.output != data:
                try:
                    write_fixed(path, data, report.output)
                    written = report.output
                except (FileChanged, OSError) as exc:
                    report = _not_written(path, data, settings, mode, exc, project)
            report.output = None
    if cache is not None and not report.errors and not report.warnings:
        # The final diagnostics belong to the bytes now on disk.
        stored = written if report.fixed else data
        if stored is not None:
            facts = ProjectFacts(project.module.name, project.module.is_package, state, asked)
            cache.put(settings, cache.key(path, content_digest(stored)), report.diagnostics, facts)
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


def fix_refusal(path: str) -> Optional[str]:
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


def write_fixed(path: str, before: bytes, after: bytes) -> None:
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


def _not_written(path: str, data: bytes, settings: Settings, mode: Mode, problem: Exception,
                 project: Project) -> FileReport:
    """The report of a file whose fixes were not written: its findings as read."""
    report = process_source(data, path, settings, replace(mode, fix=False), project)
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
    """Answer what the cache can, index the projects the rest belong to
    (phase 1), lint the rest with their project (phase 2), in-process
    (jobs=1) or in a process pool; reports come back sorted by path
    whatever the scheduling.

    ``registry`` is the one the settings were validated with (possibly the
    cache's rule stubs); it only decides fixability of cached findings here.
    ``progress(done, total)`` is called as each file's report is final.
    """
    done = itertools.count(1)

    def tick(*_: object) -> None:
        if progress is not None:
            progress(next(done), len(files))

    projects = plan_projects(files, resolver)
    builder = _IndexBuilder(resolver, cache, mode, jobs)
    reports: List[FileReport] = []
    work: List[Tuple[str, Settings]] = []
    contents = _digests(files, projects, reports) if cache is not None else {}
    unreadable = {report.path for report in reports}
    for _ in reports:
        tick()
    for path in files:
        settings = resolver.for_path(path)
        cached = None
        if path in contents and cacheable(cache, settings):
            assert cache is not None
            cached = _from_cache(path, contents[path], settings, mode, cache, registry or _real_registry(),
                                 projects[path], builder)
        if cached is not None:
            reports.append(cached)
            tick()
        elif path not in unreadable:
            work.append((path, settings))
    if work:
        targets = [
            (_Target(path, projects[path].root, projects[path].module(path), projects[path].state() if cache else ""),
             settings)
            for path, settings in work
        ]
        indexes = {project.root: builder.index(project) for project in {id(projects[p]): projects[p] for p, _ in work}.values()}
        reports.extend(_lint_all(targets, mode, cache, jobs, indexes, tick))
    if cache is not None:
        cache.prune()
    return sorted(reports, key=lambda r: r.path)


def _digests(files: Sequence[str], projects: Mapping[str, ProjectFiles], problems: List[FileReport]) -> Dict[str, str]:
    """Each file's content digest (also given to its project, for its state);
    a file that cannot be read gets the report of why, in ``problems``."""
    found = {}
    for path in files:
        data = read_source(path)
        if isinstance(data, FileReport):
            problems.append(data)
            continue
        project = projects[path]
        found[path] = project.digests[project.absolute[path]] = content_digest(data)
    return found


class _Target(NamedTuple):
    """A file to lint, as a worker receives it (the index stays in the worker)."""

    path: str
    root: str  # its project's root: the key of the project's index
    module: ModuleName
    state: str  # the project's state (see memlint.cache), "" without a cache


class _IndexBuilder:
    """Phase 1: the index of a project, built once per run when first
    needed; each summary comes from the cache or is computed (in a process
    pool with several jobs) and stored."""

    def __init__(self, resolver: ConfigResolver, cache: Optional[Cache], mode: Mode, jobs: int) -> None:
        self.resolver = resolver
        self.cache = cache
        self.mode = mode
        self.jobs = jobs

    def index(self, project: ProjectFiles) -> ProjectIndex:
        if project.index is None:
            from memlint.index import merged_index, summarize_file

            paths = sorted(project.names)
            found: Dict[str, Optional[ModuleSummary]] = {
                path: summarize_file(path, project.names[path], self.cache, cached_only=True) for path in paths
            } if self.cache is not None else {}
            missing = [path for path in paths if found.get(path) is None]
            found.update(self._summarize(missing, project.names))
            project.index = merged_index(project.names, [found[path] for path in paths], project.complete)
        return project.index

    def _summarize(self, paths: Sequence[str], names: Mapping[str, ModuleName]) -> Dict[str, ModuleSummary]:
        from memlint.index import ModuleSummary

        if self.jobs <= 1 or len(paths) < 2 * self.jobs:  # a pool costs more than a few summaries
            return {path: _summary(path, names[path], self.cache) for path in paths}
        from memlint.workers import Failure, Job, run_supervised

        batch = [Job((path, names[path]), None, self.resolver.for_path(path).file_timeout or None) for path in paths]
        task = functools.partial(_summarize_in_worker, self.cache)
        results = run_supervised(batch, task, min(self.jobs, len(paths)), self.mode.max_memory)
        return {
            path: ModuleSummary.failed(names[path].name, names[path].is_package, result.message)
            if isinstance(result, Failure) else result
            for path, result in zip(paths, results)
        }


def _summary(path: str, name: ModuleName, cache: Optional[Cache]) -> ModuleSummary:
    """A file's summary, computed and stored; a file too large for memory has none."""
    from memlint.index import ModuleSummary, summarize_file

    try:
        summary = summarize_file(path, name, cache)
    except MemoryError:
        summary = None
    return summary or ModuleSummary.failed(name.name, name.is_package, "out of memory")


def _summarize_in_worker(cache: Optional[Cache], item: Tuple[str, ModuleName], _: None) -> ModuleSummary:
    path, name = item
    return _summary(path, name, cache)


def cacheable(cache: Optional[Cache], settings: Settings) -> bool:
    """Whether results for these settings may be cached: not with astroid
    inference, which reads other modules the cache's records do not cover."""
    return cache is not None and not settings.enable_inference


def _real_registry() -> Registry:
    from memlint.registry import get_registry

    return get_registry()


def _from_cache(path: str, content: str, settings: Settings, mode: Mode, cache: Cache, registry: Registry,
                project: ProjectFiles, builder: _IndexBuilder) -> Optional[FileReport]:
    """The report of a file from its cache entry, if there is one and it is
    the whole answer (its project facts hold; in fix mode: nothing to fix)."""
    entry = cache.get(settings, cache.key(path, content))
    if entry is None:
        return None
    if not entry_holds(entry.facts, project.module(path), project.state, lambda: builder.index(project)):
        cache.outdated_entry()
        return None
    if (mode.fix or mode.diff) and has_applicable_fix(entry.diagnostics, settings, registry, mode):
        return None
    unsafe = count_unsafe(entry.diagnostics, settings, registry, _unsafe(settings, mode))
    return FileReport(path, diagnostics=entry.diagnostics, unsafe_fixable=unsafe)


def _lint_one(target: _Target, settings: Settings, mode: Mode, cache: Optional[Cache],
              indexes: Mapping[str, ProjectIndex]) -> FileReport:
    from memlint.analysis.project import Project

    project = Project(indexes[target.root], target.module)
    store = cache if cacheable(cache, settings) else None
    try:
        return _timed(lambda: process_path(target.path, settings, mode, store, project, target.state), mode)
    except MemoryError:
        return FileReport(target.path, errors=[file_out_of_memory(target.path)])


def _lint_in_worker(mode: Mode, cache: Optional[Cache], indexes: Mapping[str, ProjectIndex],
                    target: _Target, settings: Settings) -> FileReport:
    _test_fault(target.path)
    return _lint_one(target, settings, mode, cache, indexes)


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


def _lint_all(work: Sequence[Tuple[_Target, Settings]], mode: Mode, cache: Optional[Cache], jobs: int,
              indexes: Mapping[str, ProjectIndex], tick: Callable[..., None]) -> List[FileReport]:
    """Phase 2. Workers get the indexes once, when they start (a forked
    worker shares the parent's), and each file's target with its settings."""
    if not mode.supervised and (jobs <= 1 or len(work) < 2):
        reports = []
        for target, settings in work:
            reports.append(_lint_one(target, settings, mode, cache, indexes))
            tick()
        return reports
    from memlint.workers import Failure, Job, run_supervised

    batch = [Job(target, settings, settings.file_timeout or None) for target, settings in work]
    task = functools.partial(_lint_in_worker, mode, cache, indexes)
    results = run_supervised(batch, task, min(jobs, len(work)), mode.max_memory, _load_engine, _load_rules, tick)
    return [
        FileReport(target.path, errors=[f"{target.path}: {result.message}"]) if isinstance(result, Failure) else result
        for (target, _), result in zip(work, results)
    ]
