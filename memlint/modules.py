"""Which module each file of a project is: project roots and module names.

Light on purpose (no ``ast``): a warm run names the modules of its projects
to check its cached findings, and must not pay for :mod:`memlint.index`.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, NamedTuple, Optional, Sequence, Tuple


# -- module names -------------------------------------------------------------------------------


class ModuleName(NamedTuple):
    """How a file is imported: ``name`` from its path under the project root
    (``src/`` dropped, ``__init__.py`` naming its package); ``alias`` from the
    chain of ``__init__.py`` directories above it when that differs (a
    ``lib/pkg`` layout, or a root inside the package), so that both
    ``from .msg import Message`` and ``from pkg.msg import Message`` resolve."""

    name: str
    is_package: bool
    alias: Optional[str] = None


def project_root(paths: Sequence[str]) -> str:
    """The directory of the nearest ``pyproject.toml`` at or above the common
    directory of ``paths``, else that directory; never inside a package (its
    modules would lose their package's name)."""
    directories = [os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in paths]
    common = os.path.commonpath(directories) if directories else os.path.abspath(".")
    found = PyprojectRoots()(common)
    if found is not None:
        return found
    while os.path.isfile(os.path.join(common, "__init__.py")) and os.path.dirname(common) != common:
        common = os.path.dirname(common)
    return common


class PyprojectRoots:
    """Memoised: the nearest directory at or above an absolute directory
    that holds a ``pyproject.toml`` (None when there is none)."""

    def __init__(self) -> None:
        self.known: Dict[str, Optional[str]] = {}

    def __call__(self, directory: str) -> Optional[str]:
        climbed = []
        current = directory
        while current not in self.known:
            climbed.append(current)
            if os.path.isfile(os.path.join(current, "pyproject.toml")):
                self.known[current] = current
                break
            parent = os.path.dirname(current)
            if parent == current:
                self.known[current] = None
                break
            current = parent
        found = self.known[current]
        for below in climbed:
            self.known[below] = found
        return found


def module_names(files: Sequence[str], root: str) -> Dict[str, ModuleName]:
    """The module name of each Python source file of ``files`` (stubs and
    ``-`` are left out: their code never runs). When two files claim a
    name, the package wins (as at import time) and the other is left out;
    an alias two files share is dropped."""
    packages = _PackageDirectories()
    named: Dict[str, Tuple[str, ModuleName]] = {}
    for path in sorted(files):
        if not path.endswith(".py"):
            continue
        name = module_name(path, root, packages)
        if name is None:
            continue
        known = named.get(name.name)
        if known is None or (name.is_package and not known[1].is_package):
            named[name.name] = (path, name)
    aliases: Dict[str, int] = {}
    for _, name in named.values():
        if name.alias is not None:
            aliases[name.alias] = aliases.get(name.alias, 0) + 1
    result = {}
    for path, name in named.values():
        if name.alias is not None and (aliases[name.alias] > 1 or name.alias in named):
            name = name._replace(alias=None)
        result[path] = name
    return result


class _PackageDirectories:
    """Memoised: the names of the packages a directory is nested in
    (``a/b`` with ``__init__.py`` in both: ``("a", "b")``)."""

    def __init__(self) -> None:
        self.known: Dict[str, Tuple[str, ...]] = {}

    def __call__(self, directory: str) -> Tuple[str, ...]:
        known = self.known.get(directory)
        if known is None:
            parent = os.path.dirname(directory)
            is_package = parent != directory and os.path.isfile(os.path.join(directory, "__init__.py"))
            known = self.known[directory] = (*self(parent), os.path.basename(directory)) if is_package else ()
        return known


def module_name(path: str, root: str, packages: Optional[Callable[[str], Tuple[str, ...]]] = None) -> Optional[ModuleName]:
    """The module name of one file (``.py`` or a ``.pyi`` stub, named as its
    module) under ``root``; None when it has none (outside ``root`` and not
    in a package)."""
    absolute = path if os.path.isabs(path) else os.path.abspath(path)  # the runner's paths are absolute already
    directory, base = os.path.split(absolute)
    stem = os.path.splitext(base)[0]
    is_package = stem == "__init__"
    chain = list((packages or _PackageDirectories())(directory)) + ([] if is_package else [stem])
    by_chain = ".".join(chain)
    prefix = os.path.join(os.path.abspath(root), "")
    if absolute.startswith(prefix):  # os.path.relpath costs more than all the rest
        relative = absolute[len(prefix):].replace(os.sep, "/")
    else:
        relative = os.path.relpath(absolute, prefix).replace(os.sep, "/")
    parts = os.path.splitext(relative)[0].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if len(parts) > 1 and parts[0] == "src":
        parts.pop(0)
    if ".." in parts or not parts:
        if not by_chain:
            return None
        return ModuleName(by_chain, is_package)
    name = ".".join(parts)
    return ModuleName(name, is_package, by_chain if by_chain and by_chain != name else None)
