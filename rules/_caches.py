"""Shared by MEM301/MEM302: which decorators are memoizing caches, whether a
cache is unbounded, whether the code clears it, and whether a method
receives a class rather than an instance."""
from typing import Optional, Set

import libcst as cst

from memlint.analysis import Collector, WalkFact
from memlint.analysis.flow import module_level_name
from memlint.analysis.functions import FunctionSite
from memlint.analysis.names import callee
from memlint.context import Context

UNBOUNDED_BY_DEFAULT = "functools.cache"
SIZED_CACHES = frozenset({"functools.lru_cache", "async_lru.alru_cache"})
CACHE_DECORATORS = SIZED_CACHES | {UNBOUNDED_BY_DEFAULT}
_CACHE_ATTRIBUTES = frozenset({"cache", "lru_cache", "alru_cache"})
ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})


def cache_kind(context: Context, decorator: cst.Decorator) -> Optional[str]:
    """The qualified name of a memoizing cache decorator, else None."""
    head = callee(decorator)
    if isinstance(head, cst.Attribute) and head.attr.value not in _CACHE_ATTRIBUTES:
        return None  # cheap precheck: only a bare name can be an alias
    if not isinstance(head, (cst.Name, cst.Attribute)):
        return None
    if not context.matches(head, *CACHE_DECORATORS):  # prechecks before resolving names
        return None
    return context.qualified_name(head)


def unbounded_maxsize(decorator: cst.Decorator, kind: str) -> Optional[cst.CSTNode]:
    """What makes the cache unbounded: the bare `@cache` expression, or the
    `None` given as `maxsize`; None when the cache is bounded."""
    expression = decorator.decorator
    if kind == UNBOUNDED_BY_DEFAULT:
        return None if isinstance(expression, cst.Call) else expression
    if not isinstance(expression, cst.Call):
        return None  # bare @lru_cache: maxsize=128
    for position, arg in enumerate(expression.args):
        is_maxsize = arg.keyword.value == "maxsize" if arg.keyword is not None else position == 0 and not arg.star
        if is_maxsize:
            value = arg.value
            return value if isinstance(value, cst.Name) and value.value == "None" else None
    return None


def is_enum_class(context: Context, cls: cst.ClassDef) -> bool:
    """A class whose base is an enum (directly or through a module class)."""
    return _enum_class(context, cls, set())


def _enum_class(context: Context, cls: cst.ClassDef, seen: Set[str]) -> bool:
    if cls.name.value in seen:
        return False
    seen.add(cls.name.value)
    classes = context.symbols.classes
    for base in cls.bases:
        if base.keyword is not None:
            continue
        if module_level_name(context, base.value) in ENUM_BASES:
            return True
        if isinstance(base.value, cst.Name) and base.value.value in classes:
            if _enum_class(context, classes[base.value.value], seen):
                return True
    return False



# The names PEP 8 gives the first parameter of a method that receives a class
# (`@classproperty`, a metaclass method, a function made a classmethod later).
_CLASS_PARAMETERS = frozenset({"cls", "mcs", "mcls", "metacls"})


def receives_class(context: Context, site: FunctionSite) -> bool:
    """The first parameter of a method is a class: a classmethod, a parameter
    named `cls`, or a function the class body turns into a classmethod
    afterwards (`get_lookups = classmethod(get_lookups)`)."""
    if site.class_parameter is not None:
        return True
    if site.instance_parameter is None or site.owner is None:
        return False
    return site.instance_parameter in _CLASS_PARAMETERS or rewrapped(context, site, "builtins.classmethod")


def rewrapped(context: Context, site: FunctionSite, *wrappers: str) -> bool:
    """The class body rebinds the method's name to `wrapper(method)`."""
    assert site.owner is not None
    name = site.node.name.value
    for line in site.owner.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if (
                isinstance(small, cst.Assign)
                and any(isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets)
                and isinstance(small.value, cst.Call)
                and any(isinstance(a.value, cst.Name) and a.value.value == name for a in small.value.args)
                and context.matches(small.value, *wrappers)
            ):
                return True
    return False


class CacheClears(Collector):
    """The names whose `cache_clear()` the module calls: `get_callable.cache_clear()`,
    `self.get_models.cache_clear()`, `subclass.get_class_lookups.cache_clear()`."""

    __slots__ = ("names",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.names: Set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "cache_clear":
            target = func.value
            if isinstance(target, cst.Name):
                self.names.add(target.value)
            elif isinstance(target, cst.Attribute):
                self.names.add(target.attr.value)


CACHE_CLEARS: WalkFact[CacheClears] = WalkFact("cache clears", CacheClears)


def may_be_cleared(context: Context, function: cst.FunctionDef, qualname: str) -> bool:
    """The code clears the cache of `function` (its `cache_clear()` is called
    in this module, or another module of the project removes from it), or the
    project index cannot tell (unknown: the rule stays silent)."""
    if function.name.value in context.fact(CACHE_CLEARS).names:
        return True
    project = context.project
    if project is None:
        return True
    return project.index.removes_from(project.module.name, qualname) is not False
