"""Shared by MEM301/MEM302: which decorators are memoizing caches, whether a
cache is unbounded, whether the code clears it, and whether a method
receives a class rather than an instance."""
from typing import List, Optional, Set

import libcst as cst

from memlint.analysis import Collector, WalkFact
from memlint.analysis.flow import module_level_name
from memlint.analysis.functions import FunctionSite
from memlint.analysis.names import callee
from memlint.context import Context
from memlint.rule import Edit, EnsureImport, Replace

UNBOUNDED_BY_DEFAULT = "functools.cache"
SIZED_CACHES = frozenset({"functools.lru_cache", "async_lru.alru_cache"})
CACHE_DECORATORS = SIZED_CACHES | {UNBOUNDED_BY_DEFAULT}
_CACHE_ATTRIBUTES = frozenset({"cache", "lru_cache", "alru_cache"})
ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})
_FINITE_ANNOTATIONS = frozenset({"builtins.bool", "typing.Literal", "typing_extensions.Literal"})
_OPTIONAL = frozenset({"typing.Optional"})


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


def takes_few_values(context: Context, param: cst.Param) -> bool:
    """A parameter with finitely many values: annotated bool, Literal[...], an
    Enum of the module (also Optional of those), or an unannotated flag with a
    `True`/`False` default."""
    if param.annotation is not None:
        return _finite_type(context, param.annotation.annotation)
    default = param.default
    return isinstance(default, cst.Name) and default.value in ("True", "False")


def _finite_type(context: Context, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _finite_type(context, node.left) and _finite_type(context, node.right)
    if isinstance(node, cst.Name) and node.value == "None":
        return True
    if isinstance(node, cst.Subscript):
        head = context.qualified_name(node.value)
        if head in _FINITE_ANNOTATIONS:
            return True
        if head in _OPTIONAL and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return _finite_type(context, node.slice[0].slice.value)
        return False
    if context.qualified_name(node) in _FINITE_ANNOTATIONS:
        return True
    classes = context.symbols.classes
    return isinstance(node, cst.Name) and node.value in classes and is_enum_class(context, classes[node.value])


def bounding_fix(
    context: Context, decorator: cst.Decorator, kind: str, unbounded: cst.CSTNode, size: int
) -> Optional[List[Edit]]:
    """Edits that bound an unbounded cache to `size` entries: `maxsize=None`
    becomes the number, `@cache` becomes `@lru_cache(maxsize=size)` in the
    module's spelling; None when the name `lru_cache` is taken."""
    bound = cst.Integer(str(size))
    if kind != UNBOUNDED_BY_DEFAULT:
        return [Replace(unbounded, bound)]
    maxsize = cst.Arg(
        value=bound,
        keyword=cst.Name("maxsize"),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if isinstance(unbounded, cst.Attribute):  # functools.cache, ft.cache: keep the module's spelling
        func: cst.BaseExpression = unbounded.with_changes(attr=cst.Name("lru_cache"))
        return [Replace(unbounded, cst.Call(func, args=[maxsize]))]
    local = context.symbols.spelling("functools.lru_cache", "lru_cache")
    if local is None:
        return None
    edits: List[Edit] = [Replace(unbounded, cst.Call(cst.Name(local), args=[maxsize]))]
    if local not in context.symbols.imports:
        edits.append(EnsureImport("functools", "lru_cache"))
    return edits


