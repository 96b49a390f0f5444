"""What kind of function a ``def`` is and what its parameters are.

The kind decides what the first parameter means: ``self`` of a method,
``cls`` of a classmethod (also the implicit ones: ``__new__``,
``__init_subclass__``, ``__class_getitem__``), nothing for a staticmethod, a
module-level function or a function nested in another function. Decorators
resolve through the module's imports, so ``@builtins.staticmethod`` counts and
a module's own ``def staticmethod`` does not.
"""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING, List, NamedTuple, Optional

import libcst as cst

if TYPE_CHECKING:
    from memlint.context import Context

# Methods Python makes class methods without a decorator; `__new__` is a
# static method that receives the class first, which is what matters here.
_IMPLICIT_CLASS_METHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


class FunctionKind(enum.Enum):
    FUNCTION = "function"  # defined at module level
    NESTED = "nested"  # defined inside another function or lambda
    METHOD = "method"  # defined in a class body: the first parameter is the instance
    CLASSMETHOD = "classmethod"  # the first parameter is the class
    STATICMETHOD = "staticmethod"  # no implicit first parameter


class FunctionSite(NamedTuple):
    """A ``def``, its kind and, for the three method kinds, its class."""

    node: cst.FunctionDef
    kind: FunctionKind
    owner: Optional[cst.ClassDef]

    @property
    def instance_parameter(self) -> Optional[str]:
        """The name the instance has inside a method (``self``); None otherwise."""
        return _first_name(self.node) if self.kind is FunctionKind.METHOD else None

    @property
    def class_parameter(self) -> Optional[str]:
        """The name the class has inside a classmethod (``cls``); None otherwise."""
        return _first_name(self.node) if self.kind is FunctionKind.CLASSMETHOD else None


def function_site(context: "Context", function: cst.FunctionDef, scope: Optional[cst.CSTNode]) -> FunctionSite:
    """The kind of ``function`` given ``scope``, the innermost def, lambda,
    class or module around it (None: module level)."""
    if isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        return FunctionSite(function, FunctionKind.NESTED, None)
    if not isinstance(scope, cst.ClassDef):
        return FunctionSite(function, FunctionKind.FUNCTION, None)
    for decorator in function.decorators:
        if context.matches(decorator, "builtins.staticmethod"):
            return FunctionSite(function, FunctionKind.STATICMETHOD, scope)
        if context.matches(decorator, "builtins.classmethod"):
            return FunctionSite(function, FunctionKind.CLASSMETHOD, scope)
    if function.name.value in _IMPLICIT_CLASS_METHODS:
        return FunctionSite(function, FunctionKind.CLASSMETHOD, scope)
    return FunctionSite(function, FunctionKind.METHOD, scope)


def enclosing_function(context: "Context") -> Optional[FunctionSite]:
    """The innermost ``def`` around the node being visited (lambdas skipped), with its kind."""
    function = context.enclosing_function()
    if function is None:
        return None
    return function_site(context, function, context.scope_around(function))


def positional_params(params: cst.Parameters) -> List[cst.Param]:
    """Parameters that can be passed by position, in order (``/``-only ones first)."""
    return [*params.posonly_params, *params.params]


def named_params(params: cst.Parameters) -> List[cst.Param]:
    """Every parameter with a name of its own: positional and keyword-only (not ``*args``/``**kwargs``)."""
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def all_params(params: cst.Parameters) -> List[cst.Param]:
    """Every parameter, ``*args`` and ``**kwargs`` included."""
    result = named_params(params)
    if isinstance(params.star_arg, cst.Param):
        result.append(params.star_arg)
    if params.star_kwarg is not None:
        result.append(params.star_kwarg)
    return result


def _first_name(function: cst.FunctionDef) -> Optional[str]:
    positional = positional_params(function.params)
    return positional[0].name.value if positional else None
