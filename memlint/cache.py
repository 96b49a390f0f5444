"""The content-hash result cache (``.memlint_cache/``).

Layout::

    .memlint_cache/
      CACHEDIR.TAG, .gitignore          backup tools and git skip the directory
      <memlint version>/
        rules-<fingerprint>.json        the rule catalog (see below)
        <settings hash>/<key[:2]>/<key> one file's diagnostics, JSON

``fingerprint`` identifies the loaded rule code: memlint's version, every
``memlint.rules`` entry point with its distribution's name and version, and
the size and mtime of memlint's own and the built-in rules' source files (so
an edited checkout never reuses stale results). The settings hash covers the
effective settings of the file's directory (selection, per-file ignores,
target version, rule options, fixability, ...) plus the fingerprint. ``key``
is the sha256 of the file's path (as printed) and its bytes: diagnostics name
the file, and path-dependent behaviour (per-file ignores, test-file
detection) is covered.

Only lint results are stored, never fix output: ``--fix`` uses an entry only
to skip a file whose stored findings have no applicable fix, which is exactly
the case where fixing would do nothing. Runs with ``enable-inference`` are not
cached (astroid reads other modules, which the key does not cover).

The rule catalog lets a fully cached run answer ``--select`` and config
validation without importing any rule (rules import libcst): it lists each
rule's code, name, message and option defaults. It is written by a run
that imported the real rules and is read back as plain "stub" classes that
:class:`memlint.registry.Registry` accepts like the real ones.

Every failure to read or write the cache degrades to "no cache": a corrupt or
truncated entry is a miss (and is rewritten), a read-only directory lints
without storing. Writes are atomic (temporary file, then ``os.replace``), so
concurrent runs on one directory are safe. Entries unused for 30 days are
removed (checked at most once a day).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, fields
from typing import Any, Dict, List, Optional, Sequence, Tuple

from memlint import __version__
from memlint.diagnostics import Diagnostic, FixInfo, TextEdit
from memlint.errors import UsageError

CACHE_DIR_ENV = "MEMLINT_CACHE_DIR"
DEFAULT_CACHE_DIR = ".memlint_cache"
ENTRY_FORMAT = 1
MAX_AGE = 30 * 24 * 3600  # entries unused this long are pruned
TOUCH_AFTER = 24 * 3600  # refresh an entry's mtime on use at most once a day
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by memlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
RULE_ATTRIBUTES = ("code", "name", "message", "options")


def default_cache_dir() -> str:
    return os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR


# -- the code fingerprint -----------------------------------------------------------


def code_fingerprint() -> str:
    """Identifies the code that produces diagnostics, without importing it."""
    digest = hashlib.sha256(__version__.encode())
    for item in _rule_pack_versions():
        digest.update(repr(item).encode())
    for directory in _source_directories():
        for name, size, mtime in _source_stats(directory):
            digest.update(f"{name}\0{size}\0{mtime}\0".encode())
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


def _source_directories() -> List[str]:
    import importlib.util

    directories = [os.path.dirname(os.path.abspath(__file__))]
    spec = importlib.util.find_spec("memlint.rules")  # imports `memlint` only, not the rules
    if spec is not None and spec.submodule_search_locations:
        directories.extend(spec.submodule_search_locations)
    return directories


def _source_stats(directory: str) -> List[Tuple[str, int, int]]:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    return sorted(
        (entry.path, entry.stat().st_size, entry.stat().st_mtime_ns)
        for entry in entries
        if entry.name.endswith(".py")
    )


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


def rule_stubs(described: Sequence[Dict[str, Any]]) -> List[type]:
    """Plain classes carrying a rule's data attributes (no visitor methods)."""
    stubs = []
    for data in described:
        attrs = {attr: data[attr] for attr in RULE_ATTRIBUTES}
        attrs.update(__module__=data["module"], __qualname__=data["qualname"])
        stubs.append(type(data["qualname"].rsplit(".", 1)[-1], (), attrs))
    return stubs


# -- diagnostics as JSON ---------------------------------------------------------------


def _diagnostic_from(data: Dict[str, Any]) -> Diagnostic:
    fix = data.pop("fix")
    if fix is not None:
        fix = FixInfo(fix["applicability"], tuple(TextEdit(**edit) for edit in fix["edits"]))
    return Diagnostic(fix=fix, **data)


_DIAGNOSTIC_FIELDS = {f.name for f in fields(Diagnostic)}


def _diagnostics_from(entry: Any) -> List[Diagnostic]:
    """Raises (KeyError, TypeError, ValueError) on anything not written by us."""
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        raise ValueError("not a memlint cache entry")
    result = []
    for item in entry["diagnostics"]:
        if set(item) != _DIAGNOSTIC_FIELDS:
            raise ValueError("unexpected fields")
        result.append(_diagnostic_from(dict(item)))
    return result


# -- the cache ----------------------------------------------------------------------------


class Cache:
    """One run's view of the cache directory. Never raises for I/O problems."""

    def __init__(self, directory: str, fingerprint: Optional[str] = None) -> None:
        self.directory = directory
        self.fingerprint = fingerprint or code_fingerprint()
        self.version_dir = os.path.join(directory, __version__)
        self.writable = True
        self._settings_dirs: Dict[int, Tuple[object, str]] = {}
        self.hits = 0
        self.misses = 0

    # keys

    def settings_dir(self, settings: object) -> str:
        """The directory of one Settings' entries (memoised per object)."""
        known = self._settings_dirs.get(id(settings))
        if known is not None and known[0] is settings:
            return known[1]
        data = {k: v for k, v in asdict(settings).items() if k != "source"}  # type: ignore[call-overload]
        text = json.dumps([self.fingerprint, data], sort_keys=True, default=repr)
        path = os.path.join(self.version_dir, hashlib.sha256(text.encode()).hexdigest()[:20])
        self._settings_dirs[id(settings)] = (settings, path)
        return path

    @staticmethod
    def key(path: str, data: bytes) -> str:
        digest = hashlib.sha256(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def entry_path(self, settings: object, key: str) -> str:
        return os.path.join(self.settings_dir(settings), key[:2], key)

    # entries

    def get(self, settings: object, key: str) -> Optional[List[Diagnostic]]:
        path = self.entry_path(settings, key)
        try:
            with open(path, "rb") as handle:
                entry = json.loads(handle.read())
            diagnostics = _diagnostics_from(entry)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        self._touch(path)
        return diagnostics

    def put(self, settings: object, key: str, diagnostics: Sequence[Diagnostic]) -> None:
        entry = {"format": ENTRY_FORMAT, "diagnostics": [asdict(d) for d in diagnostics]}
        self._write(self.entry_path(settings, key), json.dumps(entry, separators=(",", ":")).encode())

    # the rule catalog

    def _catalog_path(self) -> str:
        return os.path.join(self.version_dir, f"rules-{self.fingerprint}.json")

    def load_rule_stubs(self) -> Optional[List[type]]:
        path = self._catalog_path()
        try:
            with open(path, "rb") as handle:
                stubs = rule_stubs(json.loads(handle.read()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        self._touch(path)
        return stubs

    def store_rule_catalog(self, rules: Sequence[type]) -> None:
        described = describe_rules(rules)
        if described is not None:
            self._write(self._catalog_path(), json.dumps(described, sort_keys=True).encode())

    # files

    def _write(self, path: str, data: bytes) -> None:
        if not self.writable:
            return
        try:
            self._ensure_layout()
            directory = os.path.dirname(path)
            os.makedirs(directory, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temp, path)
            except BaseException:
                _unlink(temp)
                raise
        except OSError:
            self.writable = False  # read-only or full: lint on, without storing

    def _ensure_layout(self) -> None:
        tag = os.path.join(self.directory, "CACHEDIR.TAG")
        if os.path.exists(tag):
            return
        os.makedirs(self.directory, exist_ok=True)
        for name, content in ((".gitignore", "# Created by memlint.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            with open(os.path.join(self.directory, name), "w", encoding="utf-8") as handle:
                handle.write(content)

    def _touch(self, path: str) -> None:
        """Mark an entry as used (for pruning), cheaply: at most once a day."""
        if not self.writable:
            return
        try:
            if time.time() - os.stat(path).st_mtime > TOUCH_AFTER:
                os.utime(path)
        except OSError:
            pass

    def prune(self, now: Optional[float] = None) -> int:
        """Remove entries not used for MAX_AGE, at most once a day; returns
        how many files were removed."""
        now = time.time() if now is None else now
        marker = os.path.join(self.directory, ".last-prune")
        try:
            if now - os.stat(marker).st_mtime < TOUCH_AFTER:
                return 0
        except OSError:
            pass
        if not self.writable or not os.path.isdir(self.directory):
            return 0
        removed = _remove_older_than(self.directory, now - MAX_AGE)
        try:
            with open(marker, "w"):
                pass
        except OSError:
            pass
        return removed


def _remove_older_than(top: str, cutoff: float) -> int:
    removed = 0
    for directory, subdirs, files in os.walk(top, topdown=False):
        if directory == top:
            continue  # CACHEDIR.TAG, .gitignore and the marker stay
        for name in files:
            path = os.path.join(directory, name)
            try:
                if os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except OSError:
                pass
        try:
            os.rmdir(directory)  # only succeeds when now empty
        except OSError:
            pass
    return removed


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def clean(directory: str) -> bool:
    """``memlint clean``: remove the cache directory; False if there was none."""
    if not os.path.isdir(directory):
        return False
    if not os.path.exists(os.path.join(directory, "CACHEDIR.TAG")):
        raise UsageError(f"{directory}: not a memlint cache directory (no CACHEDIR.TAG); not removed")
    shutil.rmtree(directory)
    return True



# -- entries of other kinds (the project index: memlint.index) -------------------------------------


def kind_entry_path(cache: Cache, kind: str, key: str) -> str:
    """Where an entry of ``kind`` lives: ``<memlint version>/<kind>/<key[:2]>/<key>``,
    beside the findings' settings directories (pruned and cleaned with them)."""
    return os.path.join(cache.version_dir, kind, key[:2], key)


def load_entry(cache: Cache, kind: str, key: str) -> Any:
    """The JSON value stored as ``key`` of ``kind``, or None when there is none
    or it cannot be read; the caller validates what it gets."""
    path = kind_entry_path(cache, kind, key)
    try:
        with open(path, "rb") as handle:
            value = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    cache._touch(path)
    return value


def store_entry(cache: Cache, kind: str, key: str, value: Any) -> None:
    """Store a JSON value as ``key`` of ``kind`` (atomically; never raises)."""
    cache._write(kind_entry_path(cache, kind, key), json.dumps(value, separators=(",", ":")).encode())
