"""Rule discovery and selection.

Rule packs register under the entry-point group ``memlint.rules``; an entry
point names a module or package (every Rule subclass defined in it or its
submodules is loaded), a Rule subclass, or a list of them. The built-in rules
are the package ``memlint.rules``, loaded even when entry-point metadata is
missing (a source checkout run without installing).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from memlint import ledger
from memlint.errors import UsageError

if TYPE_CHECKING:  # imported where needed: a Registry of cached rule descriptions needs no libcst
    from importlib import metadata

    from memlint.cache import Cache
    from memlint.rule import Rule

BUILTIN_PACKAGE = "memlint.rules"
ENTRY_POINT_GROUP = "memlint.rules"
CODE_RE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(UsageError):
    """A rule pack is broken: duplicate codes, malformed rules."""


@dataclass(frozen=True)
class RuleSource:
    rule: Type[Rule]
    origin: str  # "builtin" or the entry point, for error messages


class Registry:
    """All known rules, by code, with the selection logic."""

    def __init__(self, sources: Iterable[RuleSource]) -> None:
        self.by_code: Dict[str, RuleSource] = {}
        self.by_name: Dict[str, RuleSource] = {}
        for source in sources:
            self._add(source)
        self.rules: Tuple[Type[Rule], ...] = tuple(
            self.by_code[code].rule for code in sorted(self.by_code)
        )

    def _add(self, source: RuleSource) -> None:
        rule = source.rule
        check_rule_class(rule)
        for table, key, what in ((self.by_code, rule.code, "code"), (self.by_name, rule.name, "name")):
            other = table.get(key)
            if other is not None and other.rule is not rule:
                raise RegistryError(
                    f"duplicate rule {what} {key!r}: {_describe(other)} and {_describe(source)}"
                )
            table[key] = source

    def get(self, code_or_name: str) -> Optional[Type[Rule]]:
        source = self.by_code.get(code_or_name.upper()) or self.by_name.get(code_or_name)
        return source.rule if source else None

    def expand(self, selector: str) -> List[Type[Rule]]:
        """The rules a selector names: a rule name, ``ALL``, or a code prefix.
        An empty selector names nothing (as a prefix it would name every rule)."""
        if not selector.strip():
            return []
        by_name = self.by_name.get(selector)
        if by_name is not None:
            return [by_name.rule]
        prefix = selector.upper()
        if prefix == "ALL":
            return list(self.rules)
        return [rule for rule in self.rules if rule.code.startswith(prefix)]

    def check_selectors(self, selectors: Iterable[str], where: str, error: Type[UsageError] = UsageError) -> None:
        for selector in selectors:
            if not self.expand(selector):
                raise error(f"{where}: unknown rule code or name {selector!r}")

    def select(
        self, select: Sequence[str], ignore: Sequence[str], preview: bool = False
    ) -> List[Type[Rule]]:
        """Rules enabled by ``select`` minus ``ignore``; the more specific
        selector wins (``--select MEM1 --ignore MEM`` keeps MEM1xx), as in ruff.
        A preview rule needs ``preview`` or a selector naming it exactly
        (its code or its name): a prefix or ``ALL`` does not enable it."""
        return [
            rule for rule in self.rules
            if _specificity(rule, select) > _specificity(rule, ignore) and may_run(rule, preview, select)
        ]


def may_run(rule: Type[Rule], preview: bool, selectors: Sequence[str]) -> bool:
    """Whether the ledger lets a selected rule run: it is on by default,
    preview rules are on, or a selector names it exactly (code or name)."""
    return preview or preview_reason(rule) is None or _named_exactly(rule, selectors)


def preview_reason(rule: type) -> Optional[str]:
    """Why a built-in rule is in preview (see :mod:`memlint.ledger`); None for
    rules on by default and for rule packs' rules (the ledger measures only
    memlint's own)."""
    if not rule.__module__.startswith(BUILTIN_PACKAGE + "."):
        return None
    return ledger.preview_reason(getattr(rule, "code", ""))


def _named_exactly(rule: Type[Rule], selectors: Sequence[str]) -> bool:
    return any(selector == rule.name or selector.upper() == rule.code for selector in selectors)


def _specificity(rule: Type[Rule], selectors: Sequence[str]) -> int:
    best = 0
    for selector in selectors:
        if selector == rule.name:
            return 100
        upper = selector.upper()
        if upper == "ALL":
            best = max(best, 1)
        elif rule.code.startswith(upper):
            best = max(best, 1 + len(upper))
    return best


def _describe(source: RuleSource) -> str:
    rule = source.rule
    return f"{rule.__module__}.{rule.__qualname__} (from {source.origin})"


def check_rule_class(rule: Type[Rule]) -> None:
    """Reject rule classes the engine cannot run correctly."""
    where = f"{rule.__module__}.{rule.__qualname__}"
    if not CODE_RE.match(rule.code or ""):
        raise RegistryError(f"{where}: malformed rule code {rule.code!r} (expected e.g. 'MEM101')")
    if not NAME_RE.match(rule.name or ""):
        raise RegistryError(f"{where}: rule name {rule.name!r} is not kebab-case")
    if not rule.message:
        raise RegistryError(f"{where}: rule {rule.code} has no message")
    methods = visitor_methods(rule)
    if methods:
        from memlint.walk import VisitorError, node_type  # only real rule classes have visitors

        for attr, member in methods.items():
            try:
                node_type(attr)
            except VisitorError as error:
                raise RegistryError(f"{where}.{error}") from None
            if any("matcher" in key.lower() for key in getattr(member, "__dict__", {})):
                raise RegistryError(
                    f"{where}.{attr}: libcst matcher decorators are ignored by batched visitors; "
                    "use libcst.matchers.matches() inside the method instead"
                )


def visitor_methods(cls: type) -> Dict[str, Any]:
    """The ``visit_*``/``leave_*`` functions of a class, its own and inherited
    (the most derived wins), without libcst's no-op stubs. Read from the class
    dictionaries: ``inspect.getmembers`` over the hundreds of stubs of a libcst
    visitor cost more than importing the rules."""
    found: Dict[str, Any] = {}
    # libcst's visitor base classes define only no-op stubs: skip them whole.
    for klass in reversed([k for k in cls.__mro__ if not k.__module__.startswith("libcst.")]):
        found.update((name, value) for name, value in vars(klass).items() if name.startswith(("visit_", "leave_")))
    return {name: value for name, value in found.items() if callable(value) and not getattr(value, "_is_no_op", False)}


def rules_in(obj: object) -> List[Type[Rule]]:
    """Rule classes from an entry point's object: module/package, class or list."""
    from memlint.rule import Rule

    if isinstance(obj, ModuleType):
        return _rules_in_module(obj)
    if inspect.isclass(obj) and issubclass(obj, Rule):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [r for item in obj for r in rules_in(item)]
    raise RegistryError(f"rule pack object {obj!r} is not a module, a Rule subclass or a list of them")


def _rules_in_module(module: ModuleType) -> List[Type[Rule]]:
    from memlint.rule import Rule

    modules = [module]
    for info in pkgutil.iter_modules(getattr(module, "__path__", []) or []):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{module.__name__}.{info.name}"))
    found = []
    for mod in modules:
        for value in vars(mod).values():
            if inspect.isclass(value) and issubclass(value, Rule) and value.__module__ == mod.__name__ and value.code:
                found.append(value)
    return found


def _entry_points() -> List["metadata.EntryPoint"]:
    from importlib import metadata

    if sys.version_info >= (3, 10):
        points = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    else:
        points = list(metadata.entry_points().get(ENTRY_POINT_GROUP, []))
    # The same distribution can be visible twice (an egg-info in the working
    # directory beside the installed metadata): load each entry point once.
    unique = {(p.name, p.value): p for p in points}
    return list(unique.values())


def discover() -> List[RuleSource]:
    sources = [RuleSource(rule, "builtin") for rule in rules_in(importlib.import_module(BUILTIN_PACKAGE))]
    for entry_point in _entry_points():
        if entry_point.value == BUILTIN_PACKAGE:
            continue
        try:
            obj = entry_point.load()
        except Exception as exc:  # a broken third-party pack must say which one
            raise RegistryError(f"cannot load rule pack {entry_point.name!r} ({entry_point.value}): {exc}") from exc
        sources.extend(RuleSource(rule, f"entry point {entry_point.name}={entry_point.value}") for rule in rules_in(obj))
    return sources


_REGISTRY: Optional[Registry] = None
# The registry this process selects rules from: the cache's rule catalog when
# registry_for() found one (set before a process pool forks, so workers
# inherit it), else the real registry.
_INDEX: Optional[Registry] = None
# stub -> its real class, imported on first use
_LOADED: Dict[type, Type[Rule]] = {}


def get_registry() -> Registry:
    """The process-wide registry of the real rule classes (discovered once:
    every rule module is imported)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry(discover())
    return _REGISTRY


def registry_for(cache: Optional[Cache]) -> Registry:
    """The rules to validate selections and configuration against: from the
    cache's rule catalog when it has one for this code (no rule is imported),
    else the real registry, whose catalog is then stored for the next run.
    Either becomes this process's :func:`rule_index`."""
    global _INDEX
    if cache is not None:
        cached = cache.load_registry()
        if cached is not None:
            _INDEX = cached
            return _INDEX
    _INDEX = get_registry()
    if cache is not None:
        cache.store_rule_catalog(_INDEX.rules)
    return _INDEX


def rule_index() -> Registry:
    """The registry to select rules from: select there, then :func:`load_rules`."""
    return _INDEX if _INDEX is not None else get_registry()


def load_rules(rules: Sequence[type]) -> List[Type[Rule]]:
    """The real classes of selected rules, some of which may be the catalog's
    stubs: each stub's own module is imported, not every rule's. A stub whose
    class cannot be found that way comes from the real registry."""
    return [_load(rule) for rule in rules]


def _load(rule: type) -> Type[Rule]:
    if hasattr(rule, "get_visitors"):  # a real rule class
        return rule
    loaded = _LOADED.get(rule)
    if loaded is None:
        found: Any = sys.modules.get(rule.__module__) or _import_quietly(rule.__module__)
        for part in rule.__qualname__.split("."):
            found = getattr(found, part, None)
        if not (inspect.isclass(found) and getattr(found, "code", None) == getattr(rule, "code")):
            found = get_registry().get(getattr(rule, "code"))
        loaded = _LOADED[rule] = found  # keyed by the catalog's stubs: bounded by the installed rules
    return loaded


def _import_quietly(module: str) -> Optional[ModuleType]:
    try:
        return importlib.import_module(module)
    except Exception:  # the real registry reports a broken rule pack properly
        return None
