"""The content-hash result cache (``.memlint_cache/``).

Layout::

    .memlint_cache/
      CACHEDIR.TAG, .gitignore          memlint's marker; backup tools and git skip the directory
      .last-prune                       when entries were last pruned
      <memlint version>/
        rules-<fingerprint>.json        the rule catalog (see below)
        <settings hash>/<key[:2]>/<key> one file's diagnostics, JSON
        index-<format>/<key[:2]>/<key>  one file's summary for the project index (memlint.index)

The directory is memlint's alone. memlint creates it (complete with its
marker, renamed into place, so no run ever sees it without one) or uses one
that carries memlint's ``CACHEDIR.TAG``; any other directory, or a symbolic
link, is refused with a warning and the run goes on without a cache. Inside
it, memlint reads, writes, prunes and removes only files and directories with
the names above, never follows a symbolic link, and reads only regular files.
``memlint clean`` removes memlint's entries, and the directory only when
nothing else is left in it.

``fingerprint`` identifies the code that produces diagnostics: memlint's
version, every ``memlint.rules`` entry point with its distribution's name and
version, and the content of memlint's own modules and of every rule pack's
(so an edited checkout or rule pack never reuses stale results or a stale
catalog). The settings hash covers the effective settings of the file's
directory (selection, per-file ignores, target version, rule options,
fixability, ...) plus the fingerprint. ``key`` is the sha256 of the file's
path (as printed) and its bytes: diagnostics name the file, and
path-dependent behaviour (per-file ignores, test-file detection) is covered.

A file's findings can also depend on other files of its project (the
project index, :mod:`memlint.index`). An entry records what they depended
on (:class:`ProjectFacts`): the file's module name, the digest of the
project's files when it was linted (:func:`project_state`) and every
question the lint asked the index with its answer. The entry is the file's
answer while its module name is the same and either the project is
unchanged or the index of today's project gives every recorded answer again;
otherwise the file is linted anew.

Only lint results are stored, never fix output: ``--fix`` uses an entry only
to skip a file whose stored findings have no applicable fix, which is exactly
the case where fixing would do nothing. Runs with ``enable-inference`` are not
cached (astroid reads other modules, which the key does not cover).

The rule catalog lets a fully cached run answer ``--select`` and config
validation without importing any rule (rules import libcst): it lists each
rule's code, name, message and option defaults. It is written by a run
that imported the real rules and is read back as plain "stub" classes that
:class:`memlint.registry.Registry` accepts like the real ones.

Every failure to read or write the cache degrades to "no cache": an entry or
catalog that is corrupt, truncated or of the wrong types is a miss (and is
rewritten), a read-only directory lints without storing. Writes are atomic
(temporary file, then ``os.replace``), so concurrent runs on one directory are
safe. Entries unused for 30 days are removed (checked at most once a day).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import re
import stat
import tempfile
import time
from dataclasses import asdict
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Pattern, Sequence, Set, Tuple

from memlint import __version__
from memlint.diagnostics import Diagnostic, FixInfo, TextEdit
from memlint.errors import UsageError
from memlint.registry import Registry, RegistryError, RuleSource, check_rule_class

CACHE_DIR_ENV = "MEMLINT_CACHE_DIR"
DEFAULT_CACHE_DIR = ".memlint_cache"
ENTRY_FORMAT = 2
MAX_AGE = 30 * 24 * 3600  # entries unused this long are pruned
TOUCH_AFTER = 24 * 3600  # refresh an entry's mtime on use at most once a day
MAX_READ = 256 * 1024 * 1024  # a larger "entry" was not written by memlint
MARKER = "CACHEDIR.TAG"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by memlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
GITIGNORE = "# Created by memlint.\n*\n"
LAST_PRUNE = ".last-prune"
RULE_ATTRIBUTES = ("code", "name", "message", "options")

# The names of what memlint writes, level by level below the cache directory:
# (files, directories) that a directory at that depth may hold. Pruning and
# `memlint clean` touch nothing else.
_TEMP = r"\.tmp-[a-z0-9_]{8}"  # tempfile.mkstemp(prefix=".tmp-")
_KIND = re.compile(r"index-[0-9]+")  # entries of other kinds: the project index (memlint.index)
_KEY = re.compile(r"[0-9a-f]{64}")
_LAYOUT: Tuple[Tuple[Optional[Pattern[str]], Optional[Pattern[str]]], ...] = (
    (None, re.compile(r"[0-9][0-9A-Za-z.+_-]*")),  # the root: one directory per memlint version
    # catalogs; settings directories and other kinds
    (re.compile(rf"rules-[0-9a-f]{{20}}\.json|{_TEMP}"), re.compile(rf"[0-9a-f]{{20}}|{_KIND.pattern}")),
    (None, re.compile(r"[0-9a-f]{2}")),  # shards of the keys
    (re.compile(rf"{_KEY.pattern}|{_TEMP}"), None),  # entries
)
_ROOT_FILES = re.compile(rf"{re.escape(MARKER)}|\.gitignore|{re.escape(LAST_PRUNE)}|{_TEMP}")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the cache must not block the run


def default_cache_dir() -> str:
    return os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR


# -- the code fingerprint -----------------------------------------------------------


def code_fingerprint() -> str:
    """Identifies the code that produces diagnostics, without importing it."""
    digest = hashlib.sha256(__version__.encode())
    packs = _rule_pack_versions()
    for item in packs:
        digest.update(repr(item).encode())
    for path in _source_files(_source_roots(packs)):
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_file_digest(path))
    return digest.hexdigest()[:20]


def _rule_pack_versions() -> List[Tuple[str, str, str, str]]:
    """(distribution, version, entry point name, value) of every rule pack."""
    from importlib import metadata

    found = set()
    for dist in metadata.distributions():
        for point in dist.entry_points:
            if point.group == "memlint.rules":
                found.add((dist.metadata["Name"] or "", dist.version or "", point.name, point.value))
    return sorted(found)


def _source_roots(packs: Sequence[Tuple[str, str, str, str]]) -> List[str]:
    """memlint's package, the built-in rules and every rule pack's top-level
    package (a directory or a module file)."""
    roots = [os.path.dirname(os.path.abspath(__file__))]
    spec = importlib.util.find_spec("memlint.rules")  # `memlint` is imported already: runs nothing
    if spec is not None and spec.submodule_search_locations:
        roots.extend(spec.submodule_search_locations)
    for _, _, _, value in packs:
        top = value.split(":")[0].split(".")[0]
        if top != "memlint":
            roots.extend(_top_level_location(top))
    return roots


def _top_level_location(name: str) -> List[str]:
    """Where a top-level package or module lives; looking it up runs none of its code."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)
    return [spec.origin] if spec.origin and os.path.isfile(spec.origin) else []


def _source_files(roots: Sequence[str]) -> List[str]:
    files: Set[str] = set()
    for root in roots:
        if os.path.isfile(root):
            files.add(root)
        for directory, subdirs, names in os.walk(root):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            files.update(os.path.join(directory, name) for name in names if name.endswith(".py"))
    return sorted(files)


def _file_digest(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).digest()
    except OSError:
        return b"unreadable"


# -- the rule catalog ---------------------------------------------------------------


def describe_rules(rules: Sequence[type]) -> Optional[List[Dict[str, Any]]]:
    """The catalog's JSON data for these rule classes, or None when an option
    default does not survive JSON (then no catalog is written)."""
    described = []
    for rule in rules:
        data = {attr: getattr(rule, attr) for attr in RULE_ATTRIBUTES}
        data.update(module=rule.__module__, qualname=rule.__qualname__)
        try:
            if _untuple(json.loads(json.dumps(data["options"]))) != _untuple(data["options"]):
                return None
        except (TypeError, ValueError):
            return None
        described.append(data)
    return described


def _untuple(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_untuple(v) for v in value]
    if isinstance(value, dict):
        return {k: _untuple(v) for k, v in value.items()}
    return value


_RULE_TYPES = {"code": str, "name": str, "message": str, "options": dict, "module": str, "qualname": str}


def rule_stubs(described: Any) -> List[type]:
    """Plain classes carrying a rule's data attributes (no visitor methods).
    Raises ValueError for data memlint did not write, RegistryError for a
    malformed rule."""
    if not isinstance(described, list):
        raise ValueError("not a rule catalog")
    stubs = []
    for data in described:
        checked(data, _RULE_TYPES)
        attrs = {attr: data[attr] for attr in RULE_ATTRIBUTES}
        attrs.update(__module__=data["module"], __qualname__=data["qualname"])
        stub = type(data["qualname"].rsplit(".", 1)[-1], (), attrs)
        check_rule_class(stub)
        stubs.append(stub)
    return stubs


# -- diagnostics as JSON ---------------------------------------------------------------

# The JSON types of what `asdict(Diagnostic)` writes (bool is not an int here).
_DIAGNOSTIC_TYPES = {
    "filename": str, "line": int, "column": int, "end_line": int, "end_column": int,
    "code": str, "name": str, "message": str, "fix": (dict, type(None)),
}
_FIX_TYPES = {"applicability": str, "edits": list}
_EDIT_TYPES = {"line": int, "column": int, "end_line": int, "end_column": int, "content": str}
_APPLICABILITIES = ("safe", "unsafe", "display-only")


def checked(data: Any, types: Mapping[str, Any]) -> Dict[str, Any]:
    """``data`` if it is a JSON object with exactly these keys and value types;
    else ValueError."""
    if not isinstance(data, dict) or set(data) != set(types):
        raise ValueError("unexpected fields")
    for key, kind in types.items():
        if not isinstance(data[key], kind) or isinstance(data[key], bool):
            raise ValueError(f"{key}: unexpected type")
    return data


def _diagnostic_from(data: Any) -> Diagnostic:
    fields = dict(checked(data, _DIAGNOSTIC_TYPES))
    fix = fields.pop("fix")
    info = None
    if fix is not None:
        checked(fix, _FIX_TYPES)
        if fix["applicability"] not in _APPLICABILITIES:
            raise ValueError("unknown applicability")
        info = FixInfo(fix["applicability"], tuple(TextEdit(**checked(edit, _EDIT_TYPES)) for edit in fix["edits"]))
    return Diagnostic(fix=info, **fields)


class ProjectFacts(NamedTuple):
    """What a file's findings depended on beyond its own bytes (see the module docstring)."""

    module: str  # the file's module name
    is_package: bool
    state: str  # project_state() of the project when the file was linted
    questions: Sequence[Any]  # memlint.index.Question: [method, args, kwargs, answer]


class Entry(NamedTuple):
    """One file's cached lint result."""

    diagnostics: List[Diagnostic]
    facts: ProjectFacts


_ENTRY_TYPES = {"format": int, "diagnostics": list, "project": dict}
_FACTS_TYPES = {"module": str, "package": bool, "state": str, "questions": list}


def _entry_from(data: Any) -> Entry:
    """Raises ValueError on anything not written by us."""
    entry = checked(data, _ENTRY_TYPES)
    if entry["format"] != ENTRY_FORMAT:
        raise ValueError("not a memlint cache entry")
    facts = entry["project"]
    if set(facts) != set(_FACTS_TYPES) or any(type(facts[k]) is not kind for k, kind in _FACTS_TYPES.items()):
        raise ValueError("unexpected project facts")
    return Entry(
        [_diagnostic_from(item) for item in entry["diagnostics"]],
        ProjectFacts(facts["module"], facts["package"], facts["state"], facts["questions"]),
    )


def content_digest(data: bytes) -> str:
    """sha256 of a file's bytes: the one hash of its content a run computes."""
    return hashlib.sha256(data).hexdigest()


def project_state(files: Iterable[Tuple[str, bool, Optional[str], str]], complete: bool) -> str:
    """A digest of a project as its index sees it: each file's (module name,
    is a package, alias, content digest), and whether those are all of its files."""
    digest = hashlib.sha256(b"complete" if complete else b"partial")
    for name, is_package, alias, content in sorted(files, key=lambda item: (item[0], item[3])):
        digest.update(f"\0{name}\0{is_package:d}\0{alias or ''}\0{content}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


# -- the cache ----------------------------------------------------------------------------


class Cache:
    """One run's view of the cache directory. Never raises for I/O problems."""

    def __init__(self, directory: str, fingerprint: Optional[str] = None, read_only: bool = False) -> None:
        self.directory = directory
        self.fingerprint = fingerprint or code_fingerprint()
        self.version_dir = os.path.join(directory, __version__)
        self.writable = not read_only
        self.refused: Optional[str] = None  # why the directory is not used, for a warning
        self._owned: Optional[bool] = None  # memlint's directory? (known once it exists)
        self._real_dirs: Set[str] = set()  # directories below it checked or created this run
        self._settings_dirs: Dict[int, Tuple[object, str]] = {}
        self.hits = 0
        self.misses = 0
        self.outdated = 0  # entries found but no longer the answer: another file changed an answer

    # keys

    def _settings_name(self, settings: object) -> str:
        """The directory name of one Settings' entries (memoised per object)."""
        known = self._settings_dirs.get(id(settings))
        if known is not None and known[0] is settings:
            return known[1]
        data = {k: v for k, v in asdict(settings).items() if k != "source"}  # type: ignore[call-overload]
        text = json.dumps([self.fingerprint, data], sort_keys=True, default=repr)
        name = hashlib.sha256(text.encode()).hexdigest()[:20]
        self._settings_dirs[id(settings)] = (settings, name)
        return name

    @staticmethod
    def key(path: str, content: str) -> str:
        """An entry's key: the file's path (as printed) and its :func:`content_digest`."""
        return hashlib.sha256(f"{content}\0".encode() + path.encode("utf-8", "surrogateescape")).hexdigest()

    def _entry_parts(self, settings: object, key: str) -> Tuple[str, ...]:
        return (__version__, self._settings_name(settings), key[:2], key)

    # entries

    def get(self, settings: object, key: str) -> Optional[Entry]:
        """The entry stored as ``key`` (counted as a hit; see :meth:`outdated_entry`)."""
        data = self._read(self._entry_parts(settings, key))
        try:
            entry = _entry_from(json.loads(data)) if data is not None else None
        except (ValueError, RecursionError):  # JSON or types: not an entry memlint wrote
            entry = None
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def outdated_entry(self) -> None:
        """The entry :meth:`get` returned is not the answer (its project facts changed): a miss."""
        self.hits -= 1
        self.misses += 1
        self.outdated += 1

    def put(self, settings: object, key: str, diagnostics: Sequence[Diagnostic], facts: ProjectFacts) -> None:
        project = {"module": facts.module, "package": facts.is_package, "state": facts.state,
                   "questions": list(facts.questions)}
        entry = {"format": ENTRY_FORMAT, "diagnostics": [asdict(d) for d in diagnostics], "project": project}
        self._write(self._entry_parts(settings, key), json.dumps(entry, separators=(",", ":")).encode())

    # the rule catalog

    def _catalog_parts(self) -> Tuple[str, ...]:
        return (__version__, f"rules-{self.fingerprint}.json")

    def load_registry(self) -> Optional[Registry]:
        """The rules described by the catalog, if there is a sound one for this code."""
        data = self._read(self._catalog_parts())
        if data is None:
            return None
        try:
            stubs = rule_stubs(json.loads(data))
            return Registry(RuleSource(stub, "the rule catalog in the cache") for stub in stubs)
        except (ValueError, RegistryError):  # not written by memlint: read the real rules
            return None

    def store_rule_catalog(self, rules: Sequence[type]) -> None:
        described = describe_rules(rules)
        if described is not None:
            self._write(self._catalog_parts(), json.dumps(described, sort_keys=True).encode())

    # the directory

    def _ours(self, create: bool) -> bool:
        """Is the cache directory memlint's? With ``create``, make it if it does not exist."""
        if self._owned is None:
            try:
                problem = _directory_problem(self.directory)
            except FileNotFoundError:
                if not create:
                    return False
                problem = _create_directory(self.directory)
            except OSError as exc:
                problem = f"cannot be read ({exc.strerror or exc})"
            self._owned = problem is None
            if problem is not None:
                self.writable = False
                self.refused = f"{self.directory}: {problem}; results are not cached"
        return self._owned

    def _directory(self, parts: Sequence[str], create: bool) -> Optional[str]:
        """The directory ``parts`` below the cache directory if every component
        is a real directory (never a symbolic link), created where missing
        with ``create``; else None."""
        if not self._ours(create):
            return None
        path = self.directory
        for part in parts:
            path = os.path.join(path, part)
            if path in self._real_dirs:
                continue
            try:
                if create:
                    os.mkdir(path)
            except FileExistsError:
                pass
            except OSError:
                return None
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    return None
            except OSError:
                return None
            self._real_dirs.add(path)
        return path

    def _read(self, parts: Sequence[str]) -> Optional[bytes]:
        """A file's bytes, touched (for pruning) at most once a day; None when
        it is missing or not a regular file in real directories."""
        directory = self._directory(parts[:-1], create=False)
        if directory is None:
            return None
        return _read_regular(os.path.join(directory, parts[-1]), touch=self.writable)

    def _write(self, parts: Sequence[str], data: bytes) -> None:
        if not self.writable:
            return
        directory = self._directory(parts[:-1], create=True)
        if directory is None:
            self.writable = False
            return
        try:
            _write_atomic(os.path.join(directory, parts[-1]), data)
        except OSError:
            self.writable = False  # read-only or full: lint on, without storing

    def prune(self, now: Optional[float] = None) -> int:
        """Remove entries not used for MAX_AGE, at most once a day; returns
        how many files were removed."""
        now = time.time() if now is None else now
        if not self.writable or not self._ours(create=False):
            return 0
        marker = os.path.join(self.directory, LAST_PRUNE)
        try:
            if now - os.lstat(marker).st_mtime < TOUCH_AFTER:
                return 0
        except OSError:
            pass
        removed = _remove_entries(self.directory, now - MAX_AGE)
        try:
            _write_atomic(marker, b"")
        except OSError:
            pass
        return removed


def _directory_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a memlint cache directory; None when it is.
    FileNotFoundError when nothing is there."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link, not a memlint cache directory"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if _read_regular(os.path.join(path, MARKER)) != CACHEDIR_TAG.encode():
        return f"not a memlint cache directory (no {MARKER} written by memlint); memlint only uses one it created"
    return None


def _create_directory(path: str) -> Optional[str]:
    """Create the cache directory with its marker inside: built under a
    temporary name beside it, then renamed into place, so that no run ever
    sees it without its marker. Returns the problem if what is there in the
    end (another run's directory, or something else) is not memlint's."""
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        temp = tempfile.mkdtemp(prefix=os.path.basename(os.path.abspath(path)) + ".tmp-", dir=parent)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc})"
    made = [os.path.join(temp, name) for name in (".gitignore", MARKER)]
    try:
        for name, content in zip(made, (GITIGNORE, CACHEDIR_TAG)):
            with open(name, "x", encoding="utf-8") as handle:
                handle.write(content)
        if not os.path.lexists(path):
            os.rename(temp, path)  # fails if another run's directory is there now
    except OSError:
        pass
    if os.path.isdir(temp):
        for name in made:
            _unlink(name)
        _rmdir(temp)
    try:
        return _directory_problem(path)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc})"


def _read_regular(path: str, touch: bool = False) -> Optional[bytes]:
    """The bytes of a regular file, without following a symbolic link or
    blocking on a FIFO; None for anything else. With ``touch``, its mtime is
    refreshed when older than TOUCH_AFTER (the file is in use)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_READ:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_READ + 1)
        if touch and time.time() - info.st_mtime > TOUCH_AFTER and os.utime in os.supports_fd:
            os.utime(fd)
        return data if len(data) <= MAX_READ else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _write_atomic(path: str, data: bytes) -> None:
    """Write through a temporary file and ``os.replace``: readers see the old
    or the new bytes, and a symbolic link at ``path`` is replaced, not followed."""
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        _unlink(temp)
        raise


def _remove_entries(directory: str, cutoff: float, depth: int = 0, kept: Optional[List[str]] = None) -> int:
    """Remove memlint's files below ``directory`` (named as in _LAYOUT, regular
    files in real directories) last used before ``cutoff``, and its
    directories left empty; returns how many files were removed. Anything
    else, symbolic links included, stays (and is listed in ``kept``)."""
    files, subdirs = _LAYOUT[depth]
    removed = 0
    for name, info in _children(directory):
        path = os.path.join(directory, name)
        if stat.S_ISDIR(info.st_mode) and subdirs is not None and subdirs.fullmatch(name):
            removed += _remove_entries(path, cutoff, depth + 1, kept)
            _rmdir(path)  # only succeeds when now empty
        elif stat.S_ISREG(info.st_mode) and files is not None and files.fullmatch(name):
            if info.st_mtime < cutoff:
                removed += _unlink(path)
        elif kept is not None and (depth > 0 or not _is_own_root_file(directory, name, info)):
            kept.append(path)
    return removed


def _children(directory: str) -> List[Tuple[str, os.stat_result]]:
    """The names in a directory with their lstat (symbolic links not followed)."""
    try:
        with os.scandir(directory) as entries:
            return [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
    except OSError:
        return []


def _is_own_root_file(directory: str, name: str, info: os.stat_result) -> bool:
    """One of the files memlint writes at the top of its cache directory
    (the ``.gitignore`` only as memlint wrote it)."""
    if not stat.S_ISREG(info.st_mode) or not _ROOT_FILES.fullmatch(name):
        return False
    return name != ".gitignore" or _read_regular(os.path.join(directory, name)) == GITIGNORE.encode()


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
    except OSError:
        return 0
    return 1


def _rmdir(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass


def clean(directory: str) -> Optional[List[str]]:
    """``memlint clean``: remove memlint's entries from the cache directory,
    and the directory itself when nothing else is left in it. Returns None
    when there is no cache directory, else the paths (relative to it) of
    what memlint did not write, left in place with the marker."""
    try:
        problem = _directory_problem(directory)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{directory}: cannot be read ({exc.strerror or exc}); not removed") from exc
    if problem is not None:
        raise UsageError(f"{directory}: {problem}; not removed")
    kept: List[str] = []
    _remove_entries(directory, math.inf, kept=kept)
    if kept:
        return sorted(os.path.relpath(path, directory) for path in kept)
    names = sorted(os.listdir(directory), key=lambda name: name == MARKER)  # the marker last
    for name in names:
        _unlink(os.path.join(directory, name))
    _rmdir(directory)
    return []


# -- entries of other kinds (the project index: memlint.index) -------------------------------------


def load_entry(cache: Cache, kind: str, key: str) -> Any:
    """The JSON value stored as ``key`` of ``kind``, or None when there is none
    or it is not JSON; the caller validates what it gets."""
    data = cache._read(_kind_parts(kind, key))
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than memlint writes
        return None


def store_entry(cache: Cache, kind: str, key: str, value: Any) -> None:
    """Store a JSON value as ``key`` of ``kind`` (atomically; never raises for I/O)."""
    cache._write(_kind_parts(kind, key), json.dumps(value, separators=(",", ":")).encode())


def _kind_parts(kind: str, key: str) -> Tuple[str, ...]:
    """``<memlint version>/<kind>/<key[:2]>/<key>``: a kind is a directory beside
    the settings directories, named as _LAYOUT allows (so pruned and cleaned
    like them), and a key a sha256 hex digest."""
    if not _KIND.fullmatch(kind) or not _KEY.fullmatch(key):
        raise ValueError(f"not a cache entry name: {kind}/{key}")
    return (__version__, kind, key[:2], key)
