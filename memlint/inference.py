"""Tier 2: ask astroid about base classes that live in other modules.

Imported only when ``enable-inference`` is on, and astroid itself only on the
first question. Every question is guarded: an inference error, an MRO error,
a recursion error or a blown time budget makes the answer "unknown" and is
counted in :data:`STATS`, never raised.

The answer never trusts ``ClassDef.slots()`` (``None`` for ``tuple``
subclasses, ``[]`` for unknown bases): it walks the bases itself and checks
each class's own ``__slots__``; builtin classes are checked on the running
interpreter (``__dictoffset__``/``__weakrefoffset__``).
"""
from __future__ import annotations

import builtins
import importlib.abc
import os
import sys
import sysconfig
import time
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from memlint.analysis import Fact

STATS: Dict[str, int] = {"questions": 0, "answered": 0, "unknown": 0, "failures": 0, "timeouts": 0}
TIME_BUDGET = 2.0  # seconds per class
MAX_DEPTH = 40


class _Unknown(Exception):
    """The layout cannot be told: an uninferable or ambiguous base."""


class _OutOfTime(Exception):
    pass


# class path -> its bases' layout (None: unknown), per file
_ANSWERS: Fact[Dict[Tuple[str, ...], Optional[Any]]] = Fact("astroid answers", lambda context: {})


def bases_layout(context: Any, path: Tuple[str, ...]) -> Optional[Any]:
    """The `rules._slots_layout.Layout` the bases of the class at `path` give its
    instances, or None when astroid cannot tell (counted in STATS)."""
    answers = context.fact(_ANSWERS)
    if path not in answers:
        answers[path] = _answer(context, path)
    return answers[path]


def _answer(context: Any, path: Tuple[str, ...]) -> Optional[Any]:
    STATS["questions"] += 1
    try:
        with _project(context.filename):
            module = context.fact(_MODULE)
            if module is None:
                raise _Unknown()
            klass = _find(module, path)
            deadline = time.monotonic() + TIME_BUDGET
            layout = _bases(klass, deadline, set(), 0)
    except _Unknown:
        STATS["unknown"] += 1
        return None
    except _OutOfTime:
        STATS["timeouts"] += 1
        STATS["failures"] += 1
        return None
    except Exception:  # InferenceError, MroError, RecursionError, ...: never crash the run
        STATS["failures"] += 1
        return None
    STATS["answered"] += 1
    return layout


def _load(context: Any) -> Any:
    """The file's astroid module (asked for inside ``_project``)."""
    import astroid  # type: ignore[import-untyped]  # astroid ships no type information

    module_name = _package_root(os.path.abspath(context.filename))[1] if os.path.isfile(context.filename) else ""
    try:
        return astroid.parse(context.module.code, module_name=module_name, path=context.filename)
    except Exception:
        STATS["failures"] += 1
        return None


_MODULE: Fact[Any] = Fact("astroid module", _load)


# -- never run the linted code -----------------------------------------------------------
#
# astroid reads modules from source, but imports some to introspect them: C
# extensions it takes for the standard library's (any `winreg.*.so` in the
# linted tree), the parents of dotted standard-library names, gi's modules.
# Nothing the linted tree ships may be imported, even when it is on sys.path
# (`python -m` puts the working directory there; astroid changes into the
# linted file's directory while it resolves imports): while astroid works
# for memlint, an import hook refuses every module that is not built in, the
# interpreter's standard library, astroid's or memlint's. sys.path is never
# changed; the linted project's own modules are found from source by a
# failed-import hook under the file's package root.

_ROOT: Dict[str, Optional[str]] = {"project": None}  # the package root of the file being answered


@contextmanager
def _project(filename: str) -> Iterator[None]:
    """astroid may read the project's modules (source only) and import nothing foreign."""
    import astroid

    if not _HOOKED:
        astroid.MANAGER.register_failed_import_hook(_from_project)
        _HOOKED.append(True)
    previous = _ROOT["project"]
    _ROOT["project"] = _package_root(os.path.abspath(filename))[0] if os.path.isfile(filename) else None
    guard = _ImportGuard()
    sys.meta_path.insert(0, guard)
    try:
        yield
    finally:
        sys.meta_path.remove(guard)
        _ROOT["project"] = previous


_HOOKED: List[bool] = []


def _from_project(modname: str) -> Any:
    """A module of the linted project, built from its source under the package root."""
    import astroid

    root = _ROOT["project"]
    if root is not None:
        base = os.path.join(root, *modname.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return astroid.MANAGER.ast_from_file(candidate, modname, fallback=False, source=True)
    raise astroid.AstroidImportError("No project module {modname}", modname=modname)


class _ImportGuard(importlib.abc.MetaPathFinder):
    """Refuses to import a module unless it is built in, or from the
    interpreter's standard library, astroid or memlint."""

    def find_spec(self, name: str, path: Optional[Sequence[str]], target: Any = None) -> Optional[ModuleSpec]:
        if name in sys.builtin_module_names:
            return None
        spec = _find_spec_without(self, name, path, target)
        if spec is None or _trusted(spec):
            return spec
        raise ImportError(f"memlint does not let astroid import {name} from {spec.origin}", name=name)


def _find_spec_without(guard: Any, name: str, path: Optional[Sequence[str]], target: Any) -> Optional[ModuleSpec]:
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if finder is not guard and find is not None:
            spec: Optional[ModuleSpec] = find(name, path, target)
            if spec is not None:
                return spec
    return None


def _trusted(spec: ModuleSpec) -> bool:
    if spec.origin in ("built-in", "frozen"):
        return True
    locations = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    return bool(locations) and all(_trusted_file(location) for location in locations)


def _trusted_file(path: str) -> bool:
    path = os.path.realpath(path)
    if any(_inside(path, directory) for directory in _trusted_packages()):
        return True
    paths = sysconfig.get_paths()
    for directory in {paths["stdlib"], paths["platstdlib"]}:
        if _inside(path, directory):
            relative = os.path.relpath(path, os.path.realpath(directory)).split(os.sep)
            return not {"site-packages", "dist-packages"} & set(relative)
    return False


def _trusted_packages() -> List[str]:
    """The directories of astroid, memlint and the built-in rules (all imported by now)."""
    files = [getattr(sys.modules.get(name), "__file__", None) for name in ("astroid", "memlint", "memlint.rules")]
    return [os.path.dirname(os.path.realpath(file)) for file in files if file]


def _inside(path: str, directory: str) -> bool:
    directory = os.path.realpath(directory)
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _package_root(path: str) -> Tuple[str, str]:
    """The directory above the file's outermost package, and the file's dotted module name."""
    directory, base = os.path.split(path)
    parts = [os.path.splitext(base)[0]]
    if parts[0] == "__init__":
        parts = []
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return directory, ".".join(parts)


def _find(module: Any, path: Tuple[str, ...]) -> Any:
    """The one class definition at `path` (class/function names from the module down)."""
    scope = module
    for name in path:
        found = [node for node in scope.locals.get(name, ()) if type(node).__name__ in ("ClassDef", "FunctionDef")]
        if len(found) != 1:
            raise _Unknown()
        scope = found[0]
    if type(scope).__name__ != "ClassDef":
        raise _Unknown()
    return scope


def _bases(klass: Any, deadline: float, seen: Set[Any], depth: int) -> Any:
    from memlint.rules._slots_layout import HAS_DICT, SLOTTED, Layout  # type: ignore[import-not-found]  # rules/ (package-dir)

    if depth > MAX_DEPTH:
        raise _Unknown()
    result = Layout(SLOTTED)
    for expression in klass.bases:
        base = _infer_class(expression, deadline)
        layout = _class_layout(base, deadline, seen, depth)
        if layout.state == HAS_DICT:
            result.state = HAS_DICT
        result.weakref = result.weakref or layout.weakref
        for name, owner in layout.slots.items():
            result.slots.setdefault(name, owner)
    return result


def _infer_class(expression: Any, deadline: float) -> Any:
    if time.monotonic() > deadline:
        raise _OutOfTime()
    inferred = list(expression.infer())
    classes = {id(node): node for node in inferred if type(node).__name__ == "ClassDef"}
    if len(classes) != 1 or len(inferred) != len(classes):
        raise _Unknown()  # uninferable, ambiguous, or not a class
    return next(iter(classes.values()))


def _class_layout(klass: Any, deadline: float, seen: Set[Any], depth: int) -> Any:
    from memlint.rules._slots import mangle  # type: ignore[import-not-found]  # rules/ (package-dir)
    from memlint.rules._slots_layout import HAS_DICT, SLOTTED, Layout

    root = klass.root()
    if root.name == "builtins":
        kind = getattr(builtins, klass.name, None)
        if not isinstance(kind, type) or kind is type:
            raise _Unknown()  # `type` is also what astroid answers for `type(list[int])`
        return Layout(HAS_DICT if kind.__dictoffset__ else SLOTTED, weakref=bool(kind.__weakrefoffset__))
    if not getattr(root, "pure_python", True) or klass.metaclass() is not None and not _abc_meta(klass):
        raise _Unknown()  # C types and metaclasses: their layout is not written in Python
    if id(klass) in seen:
        raise _Unknown()
    names = _own_slots(klass)
    if names is None:
        return Layout(HAS_DICT, weakref=True)
    above = _bases(klass, deadline, seen | {id(klass)}, depth + 1)
    slots = dict(above.slots)
    for name in names:
        slots.setdefault(mangle(klass.name, name), klass.name)
    state = HAS_DICT if "__dict__" in names else above.state
    return Layout(state, weakref=above.weakref or "__weakref__" in names, slots=slots)


def _abc_meta(klass: Any) -> bool:
    meta = klass.metaclass()
    return meta is not None and meta.qname() in ("abc.ABCMeta", "typing._ProtocolMeta")


def _own_slots(klass: Any) -> Optional[Set[str]]:
    """The names of the class's own `__slots__`, None when it has none; unreadable ones are unknown."""
    assigned = klass.locals.get("__slots__")
    if not assigned:
        return None
    names: Set[str] = set()
    for target in assigned:
        statement = target.parent
        value = getattr(statement, "value", None)
        if value is None:
            raise _Unknown()
        names.update(_literal_names(value))
    return names


def _literal_names(value: Any) -> Set[str]:
    kind = type(value).__name__
    if kind == "Const" and isinstance(value.value, str):
        return {value.value.strip()}
    if kind in ("Tuple", "List"):
        elements = value.elts
    elif kind == "Dict":
        elements = [key for key, _ in value.items]
    else:
        raise _Unknown()
    names = set()
    for element in elements:
        if type(element).__name__ != "Const" or not isinstance(element.value, str):
            raise _Unknown()
        names.add(element.value.strip())
    return names
