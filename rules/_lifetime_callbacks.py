"""Shared by MEM402 and MEM405: what in a callback keeps an object alive.

A bound method keeps its instance, a lambda or nested def the variables it
reads from the scope around it (names resolve by scope: a parameter of the
same name is another object), a ``functools.partial`` its function and
arguments.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence, Union

import libcst as cst

from memlint.analysis.functions import all_params, named_params
from memlint.analysis.scopes import ScopeInfo
from memlint.context import Context

from ._lifetime_flow import is_name, within

PARTIALS = ("functools.partial",)


class Capture(NamedTuple):
    """Something in a callback that keeps an object alive."""

    what: str  # for the message
    bound_method: Optional[str]  # `obj.<name>`: counts only when <name> is a method, not a stored function


def uses(context: Context, node: Union[cst.Lambda, cst.FunctionDef], name: str) -> bool:
    """Whether a lambda or nested def keeps the variable ``name`` of the
    scope around it alive: as a default value, or read as a free variable
    of its body.
    A parameter or local of the same name is another object (the
    weak-reference idiom ``def _remove(item, selfref=ref(self)): self = selfref()``)."""
    if any(p.default is not None and is_name(p.default, name) for p in named_params(node.params)):
        return True
    info = context.scope_info(node)
    # Defaults and annotations run once, in the scope around: `app=self.app` keeps the app, not `self`.
    in_body = [load for load in info.loads_of(name) if not within(info, load, node.params)]
    return not info.binds(name) and any(not _bound_inside(context, info, load, node, name) for load in in_body)


def _bound_inside(
    context: Context, info: ScopeInfo, load: cst.Name, outer: Union[cst.Lambda, cst.FunctionDef], name: str
) -> bool:
    """Whether a def or lambda nested in ``outer`` around ``load`` binds
    ``name`` itself (``def i_op(self, other): ... self ...``): the read is
    of that scope's own variable, not of the one ``outer`` closes over."""
    for scope in info.ancestors_of_type(load, (cst.FunctionDef, cst.Lambda)):
        if scope is outer:
            return False
        assert isinstance(scope, (cst.FunctionDef, cst.Lambda))
        if context.scope_info(scope).binds(name) and not within(info, load, scope.params):
            return True
    return False


def instance_captures(
    context: Context, value: cst.BaseExpression, function: cst.FunctionDef, instance: str
) -> List[Capture]:
    """What in ``value``, stored by a method, may keep its instance alive, in order (MEM402)."""
    if isinstance(value, cst.Attribute) and is_name(value.value, instance):
        return [Capture(f"bound method self.{value.attr.value}", value.attr.value)]
    if isinstance(value, cst.Lambda):
        return [Capture("a lambda using self", None)] if uses(context, value, instance) else []
    if isinstance(value, cst.Name):
        return _nested_function(context, value.value, function, instance)
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        elements = [e.value for e in value.elements]
    elif isinstance(value, cst.Dict):
        elements = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
    elif isinstance(value, cst.Call) and context.matches(value, *PARTIALS):
        if any(is_name(a.value, instance) for a in value.args):
            return [Capture("functools.partial(..., self)", None)]
        inner = instance_captures(context, value.args[0].value, function, instance) if value.args else []
        return [Capture(f"functools.partial of {c.what}", c.bound_method) for c in inner]
    else:
        return []
    return [capture for element in elements for capture in instance_captures(context, element, function, instance)]


def _nested_function(context: Context, name: str, function: cst.FunctionDef, instance: str) -> List[Capture]:
    """A local def that uses the instance (every def of ``name``, and nothing else bound to it)."""
    if any(param.name.value == name for param in all_params(function.params)):
        return []  # a parameter: a callable received, not a closure made here
    bindings = context.scope_info(function).bindings_of(name)
    defs = [b.statement for b in bindings if isinstance(b.statement, cst.FunctionDef)]
    if bindings and len(defs) == len(bindings) and all(uses(context, d, instance) for d in defs):
        return [Capture(f"nested function {name} using self", None)]
    return []


def callback_reference(
    context: Context, callback: cst.BaseExpression, args: Sequence[cst.Arg], var: str
) -> Optional[Capture]:
    """How an exit or finalizer callback, or its arguments, reference the
    variable ``var`` (MEM405)."""
    for arg in args:
        if is_name(arg.value, var):
            return Capture(f"argument {var}", None)
    if isinstance(callback, cst.Attribute) and is_name(callback.value, var):
        return Capture(f"{var}.{callback.attr.value}", callback.attr.value)
    if isinstance(callback, cst.Lambda):
        return Capture("a lambda", None) if uses(context, callback, var) else None
    if isinstance(callback, cst.Call) and context.matches(callback, *PARTIALS) and callback.args:
        inner = callback_reference(context, callback.args[0].value, callback.args[1:], var)
        return inner._replace(what="functools.partial") if inner is not None else None
    return None


def held_attribute(holder: cst.BaseExpression, instance: str) -> Optional[str]:
    """The attribute of the instance that ends up holding a value stored
    through ``holder``: ``self.x`` or a container there, ``self.x[k]``.
    (``self.x.y`` is stored on another object, which the instance may not own.)"""
    if isinstance(holder, cst.Subscript):
        holder = holder.value
    if isinstance(holder, cst.Attribute) and is_name(holder.value, instance):
        return holder.attr.value
    return None
