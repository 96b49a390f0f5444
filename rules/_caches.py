"""Shared by MEM301/MEM302: which decorators are memoizing caches, and whether
a cache is unbounded."""
from typing import Optional, Set

import libcst as cst

from memlint.analysis.flow import module_level_name
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

