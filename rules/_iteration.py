"""Shared by the MEM2 rules: is a materialized value only iterated, once?

"Only iterated" means the value is the iterable of a ``for`` or comprehension,
directly or through single-pass wrappers in the header (``enumerate(x, 1)``,
``zip(x, ys)``), or it is bound to a function-local name whose only use is one
such iteration later in the same block (``lines = f.readlines()`` then
``for line in lines:``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.context import Context
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo

ALL = None  # every positional argument is an iterable
# Single-pass wrappers: iterating the wrapper iterates these arguments once.
SINGLE_PASS_WRAPPERS: Dict[str, Optional[FrozenSet[int]]] = {
    "builtins.enumerate": frozenset({0}),
    "builtins.iter": frozenset({0}),
    "builtins.zip": ALL,
    "builtins.map": frozenset(range(1, 64)),
    "builtins.filter": frozenset({1}),
    "itertools.islice": frozenset({0}),
    "itertools.chain": ALL,
    "itertools.chain.from_iterable": frozenset({0}),
}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Reading any of these makes every local observable by name.
_INTROSPECTION = ("locals", "vars", "eval", "exec")


@dataclass(frozen=True)
class Iteration:
    """How a materialized value is consumed: by one ``for`` or comprehension."""

    loop: cst.CSTNode  # the For or CompFor whose iterable is (or wraps) the value
    body: Tuple[cst.CSTNode, ...]  # what the loop runs per item (body, else, elt, ifs, inner fors)
    name: Optional[cst.Name] = None  # the read of the bound name, when the value was bound first
    adjacent: bool = True  # the loop statement directly follows the binding (always for direct use)

    def mentions(self, name: str) -> List[cst.Name]:
        """Every Name ``name`` in the loop's per-item code."""
        found: List[cst.Name] = []
        for part in self.body:
            found += m.findall(part, m.Name(value=name))  # type: ignore[arg-type]
        return found


def only_iterated(context: Context, path: Sequence[cst.CSTNode]) -> Optional[Iteration]:
    """How the last node of ``path`` (as in ``context.ancestors``) is iterated
    once, or None when it is used in any other way (or we cannot tell)."""
    direct = _iterating_loop(context, path)
    if direct is not None:
        return direct
    return _iterated_through_name(context, path)


def _iterating_loop(context: Context, path: Sequence[cst.CSTNode]) -> Optional[Iteration]:
    node = path[-1]
    index = len(path) - 2
    while index >= 0:
        parent = path[index]
        if isinstance(parent, (cst.For, cst.CompFor)):
            return Iteration(parent, _loop_body(path, index)) if parent.iter is node else None
        call = path[index - 1] if index >= 1 else None
        if not (isinstance(parent, cst.Arg) and isinstance(call, cst.Call) and _wrapped(context, call, parent)):
            return None
        node, index = call, index - 2
    return None


def _loop_body(path: Sequence[cst.CSTNode], index: int) -> Tuple[cst.CSTNode, ...]:
    loop = path[index]
    if isinstance(loop, cst.For):
        return tuple(part for part in (loop.body, loop.orelse) if part is not None)
    assert isinstance(loop, cst.CompFor)
    parts: List[cst.CSTNode] = list(loop.ifs)
    if loop.inner_for_in is not None:
        parts.append(loop.inner_for_in)
    owner = next(n for n in reversed(path[:index]) if isinstance(n, _COMPREHENSIONS))
    if isinstance(owner, cst.DictComp):
        parts += [owner.key, owner.value]
    else:
        parts.append(owner.elt)
    return tuple(parts)


def _wrapped(context: Context, call: cst.Call, arg: cst.Arg) -> bool:
    if arg.keyword is not None or arg.star:
        return False
    name = context.qualified_name(call.func)
    if name not in SINGLE_PASS_WRAPPERS:
        return False
    positions = SINGLE_PASS_WRAPPERS[name]
    position = [a for a in call.args].index(arg)
    return positions is ALL or position in positions


# -- bound to a name first --------------------------------------------------------


def _iterated_through_name(context: Context, path: Sequence[cst.CSTNode]) -> Optional[Iteration]:
    """``name = value`` in a function, and the name's only use is iterating it
    once in a later statement of the same block or of a block around it (the
    loop after the ``with`` whose body read the file)."""
    if len(path) < 4:
        return None
    value, assign, line = path[-1], path[-2], path[-3]
    if not (
        isinstance(assign, cst.Assign)
        and assign.value is value
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        return None
    scopes = context.enclosing_scopes()
    if not scopes or not isinstance(scopes[0], cst.FunctionDef):
        return None
    info = context.scope_info(scopes[0])
    load = _single_local_use(info, assign.targets[0].target.value)
    if load is None:
        return None
    statement: cst.CSTNode = line
    for block in reversed(path[:-3]):
        if isinstance(block, (cst.For, cst.While) + SCOPE_TYPES + _COMPREHENSIONS):
            return None  # the binding may run several times (or never before the loop)
        if not isinstance(block, cst.IndentedBlock):
            continue
        found = _later_iteration(context, info, load, block, statement)
        if found is not None:
            return found
        statement = block
    return None


def _later_iteration(
    context: Context, info: ScopeInfo, load: cst.Name, block: cst.IndentedBlock, binding: cst.CSTNode
) -> Optional[Iteration]:
    """The iteration of ``load`` when it sits in a statement of ``block`` after
    the one holding the binding, run once per run of that statement."""
    load_path = _path_within_block(info, load, block)
    if load_path is None:
        return None
    statements = list(block.body)
    holder = next(s for s in statements if s is binding or _contains(info, s, binding))
    distance = statements.index(load_path[0]) - statements.index(holder)  # type: ignore[arg-type]
    if distance <= 0 or _repeated(load_path):
        return None
    found = _iterating_loop(context, load_path)
    if found is None:
        return None
    return Iteration(found.loop, found.body, load, adjacent=distance == 1 and holder is binding)


def _contains(info: ScopeInfo, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    return any(ancestor is outer for ancestor in info.ancestors(inner))


def _single_local_use(info: ScopeInfo, name: str) -> Optional[cst.Name]:
    """The one read of a name bound once in this scope, if it has exactly one."""
    if not info.binds(name) or len(info.bindings_of(name)) != 1:
        return None
    if any(info.loads_of(spy) for spy in _INTROSPECTION):
        return None
    loads = info.loads_of(name)
    return loads[0] if len(loads) == 1 else None


def _path_within_block(info: ScopeInfo, node: cst.CSTNode, block: cst.CSTNode) -> Optional[List[cst.CSTNode]]:
    """The path from a statement of ``block`` down to ``node``; None when
    ``node`` is elsewhere or inside a nested function, lambda or class."""
    path = [node]
    for ancestor in info.ancestors(node):
        if ancestor is block:
            path.reverse()
            return path
        if isinstance(ancestor, SCOPE_TYPES):
            return None
        path.append(ancestor)
    return None


def _repeated(path: Sequence[cst.CSTNode]) -> bool:
    """Whether the last node of ``path`` runs more than once per run of the
    path's first node: inside a loop body, a ``while`` test, or the per-item
    part of a comprehension."""
    for parent, child in zip(path, path[1:]):
        if isinstance(parent, (cst.For, cst.While)) and child is not getattr(parent, "iter", None):
            if child is not parent.orelse:
                return True
        if isinstance(parent, _COMPREHENSIONS) and child is not parent.for_in:
            return True
        if isinstance(parent, cst.CompFor) and (child is not parent.iter or isinstance(_before(path, parent), cst.CompFor)):
            return True
    return False


def _before(path: Sequence[cst.CSTNode], node: cst.CSTNode) -> Optional[cst.CSTNode]:
    index = list(path).index(node)
    return path[index - 1] if index > 0 else None


def iterated_after_with(context: Context, path: Sequence[cst.CSTNode], iteration: Iteration) -> bool:
    """Whether the loop runs after a ``with`` around the read has ended (the
    list outlives the file: iterating the file there is not possible)."""
    scope_at = max(i for i, node in enumerate(path) if isinstance(node, SCOPE_TYPES))
    withs = [node for node in path[scope_at:] if isinstance(node, cst.With)]
    if not withs or iteration.name is None:
        return False
    scopes = context.enclosing_scopes()
    info = context.scope_info(scopes[0] if scopes else context.module)  # type: ignore[arg-type]
    around_loop = {id(node) for node in info.ancestors_of_type(iteration.loop, (cst.With,))}
    return any(id(node) not in around_loop for node in withs)
