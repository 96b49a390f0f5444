"""MEM401's family logic: where an argument reaches a constructor's
parameter, whether the code breaks a parent-child cycle itself, and the
fix that makes the child's reference weak."""
from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from memlint.analysis.classes import ArgumentSlot, ClassIndex, ClassInfo, Method, ParameterStore, instance_slots
from memlint.analysis.functions import positional_params
from memlint.analysis.scopes import ScopeInfo
from memlint.rule import Edit, EnsureImport, Replace

from ._lifetime_flow import is_name

# Attributes that only class objects have: a receiver read for one of them is a class.
_CLASS_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__mro__", "__bases__", "__subclasses__"})


def weak_parent_fix(
    index: ClassIndex, child: ClassInfo, method: Method, stored: ParameterStore, parent: ClassInfo
) -> Optional[List[Edit]]:
    """``self._<attr> = weakref.ref(<param>)`` and a ``<attr>`` property (see MEM401's fix safety)."""
    node, attr, backing = stored.statement, stored.attribute, f"_{stored.attribute}"
    if method.name != "__init__" or attr.startswith("_") or child.slots is not None:
        return None
    if parent.slots is not None and "__weakref__" not in parent.slots.name_set:
        return None  # weakref.ref(parent) would raise TypeError
    stores = child.stores
    if stores.get(attr, []) != [node] or backing in stores or {attr, backing} & child.names:
        return None
    if any(store is not node for store in index.attribute_stores.get(attr, [])):
        return None  # assigned or deleted elsewhere in the module: a setter would be needed
    optional = stored.parameter.default is not None or _mentions_none(stored.parameter.annotation)
    name = stored.parameter.name.value
    reference = f"weakref.ref({name})" + (f" if {name} is not None else None" if optional else "")
    weak = node.with_changes(
        targets=[node.targets[0].with_changes(target=node.targets[0].target.with_changes(attr=cst.Name(backing)))],
        value=cst.parse_expression(reference),
    )
    dereference = f"self.{backing}()" + (f" if self.{backing} is not None else None" if optional else "")
    prop = cst.parse_statement(f"@property\ndef {attr}(self):\n    return {dereference}\n")
    prop = prop.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    body = child.node.body.body
    at = next((i for i, statement in enumerate(body) if statement is method.site.node), None)
    if at is None:
        return None  # defined under an `if` of the class body
    new_body = [*body[:at], method.site.node.deep_replace(node, weak), prop, *body[at + 1:]]
    return [Replace(child.node.body, child.node.body.with_changes(body=new_body)), EnsureImport("weakref")]


def reaching(function: cst.FunctionDef, parameter: cst.Param) -> Set[ArgumentSlot]:
    """Where an argument of a call of the class reaches ``parameter`` of
    ``__init__``: its position after the instance, its keyword."""
    params = function.params
    for position, candidate in enumerate(positional_params(params)[1:]):
        if candidate is parameter:
            positional_only = any(p is parameter for p in params.posonly_params)
            return {position} if positional_only else {position, parameter.name.value}
    return {parameter.name.value} if any(p is parameter for p in params.kwonly_params) else set()


def broken(index: ClassIndex, child: ClassInfo, parent: ClassInfo, attribute: str) -> bool:
    """The code breaks the cycle itself, outside the constructors: the child
    unlinks its parent (``self.parent = None``, ``del self.parent``), or the
    parent drops the children (resets or empties each attribute holding them),
    also in a method inherited from a class of the module."""
    if attribute in _releases_with_bases(index, child):
        return True
    holding = index.attributes_holding(parent, child.name)
    return bool(holding) and holding <= _releases_with_bases(index, parent)


def drops_kept(index: ClassIndex, parent: ClassInfo, method: Method, child: str) -> bool:
    """The attributes where ``method`` keeps the local ``child``
    (``self.current = child``, ``self.kids[k] = child``,
    ``self.kids.append(child)``) are all ones the parent resets or empties
    itself outside its constructors, also in a method inherited from a
    class of the module: the parent drops the child."""
    kept = {fill.attribute for fill in method.fills if is_name(fill.value, child)}
    return bool(kept) and kept <= _releases_with_bases(index, parent)


def _releases_with_bases(index: ClassIndex, info: ClassInfo) -> Set[str]:
    """``releases`` of the class and of its bases defined in the module."""
    found: Set[str] = set()
    pending, seen = [info], {info.node}
    while pending:
        current = pending.pop()
        found |= current.releases
        for arg in current.node.bases:
            base = index.by_name.get(arg.value.value) if isinstance(arg.value, cst.Name) else None
            if base is not None and base.node not in seen:
                seen.add(base.node)
                pending.append(base)
    return found


def passed_elsewhere(index: ClassIndex, child: ClassInfo, method: Method, parameter: cst.Param) -> bool:
    """The module builds the child, but never with a keeper's own instance for
    ``parameter`` of ``__init__``: the parameter gets some other object of
    the annotated class (a graph's next state, not the state holding it)."""
    calls = index.calls_by_name.get(child.name, []) if method.name == "__init__" else []
    slots = reaching(method.site.node, parameter)
    return bool(calls) and not any(
        call.instance is not None and slots & set(instance_slots(call.call, call.instance)) for call in calls
    )


def used_as_class(info: ScopeInfo, name: str) -> bool:
    """The method reads ``name.__name__`` (or another attribute only classes
    have) or passes it to ``issubclass``: it holds a class object."""
    for load in info.loads_of(name):
        parent = info.parent(load)
        if isinstance(parent, cst.Attribute) and parent.value is load and parent.attr.value in _CLASS_ATTRIBUTES:
            return True
        call = info.parent(parent) if isinstance(parent, cst.Arg) else None
        is_subclass_call = isinstance(call, cst.Call) and is_name(call.func, "issubclass")
        if is_subclass_call and isinstance(call, cst.Call) and call.args[0] is parent:
            return True
    return False


def _mentions_none(annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    text = cst.Module([]).code_for_node(annotation.annotation)
    return "Optional" in text or "None" in text
