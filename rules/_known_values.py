"""Shared by the MEM2 rules: the one value a name or an attribute is known
to hold where it is read (for "Bounded by the code", rules/_bounded.py)."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis import Fact
from memlint.analysis.scopes import ScopeInfo
from memlint.context import Context

# Method calls that change a collection bound to a name.
_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "__setitem__", "__iadd__", "fromkeys"}
)


# (scope, name) -> the value of its one binding: asked once per name, not per use.
_SOLE_VALUES: Fact[Dict[Tuple[cst.CSTNode, str], Optional[cst.BaseExpression]]] = Fact(
    "sole values", lambda context: {}
)


def sole_value(context: Context, name: str) -> Optional[cst.BaseExpression]:
    """The value of the one binding of ``name`` in the function around the
    current node, else in the module, when nothing mutates it."""
    scopes = [s for s in context.enclosing_scopes()[:1] if isinstance(s, (cst.FunctionDef, cst.Lambda))]
    memo = context.fact(_SOLE_VALUES)
    for node in [*scopes, context.module]:
        info = context.scope_info(node)
        if info.binds(name):
            key = (node, name)
            if key not in memo:
                memo[key] = _unchanged_value(info, name)
            return memo[key]
    return None


def _unchanged_value(info: ScopeInfo, name: str) -> Optional[cst.BaseExpression]:
    bindings = info.bindings_of(name)
    if len(bindings) != 1 or bindings[0].kind not in ("assign", "annassign") or bindings[0].unpacked:
        return None
    if any(_mutated(info, load) for load in info.loads_of(name)):
        return None
    return bindings[0].value


def _mutated(info: ScopeInfo, load: cst.Name) -> bool:
    """``name.append(...)``, ``name[k] = v``: the collection changes after its binding."""
    parent = info.parent(load)
    if isinstance(parent, cst.Attribute) and parent.value is load:
        return parent.attr.value in _MUTATORS
    if isinstance(parent, cst.Subscript) and parent.value is load:
        return isinstance(info.parent(parent), (cst.AssignTarget, cst.Del, cst.AugAssign))
    return False


def assigned_just_before(context: Context, node: cst.Attribute) -> Optional[cst.BaseExpression]:
    """``value`` when the statement right before the current one is
    ``<node> = value`` (``self.history = [n] + self.history[:49]``)."""
    path = context.ancestors
    at = next((i for i in range(len(path) - 1, 0, -1) if isinstance(path[i], cst.SimpleStatementLine)), None)
    block = path[at - 1] if at is not None else None
    if at is None or not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return None
    if not any(found is node for found in m.findall(path[at], m.Attribute())):
        return None  # not in the current statement (a loop header above it)
    body = list(block.body)
    index = next(i for i, s in enumerate(body) if s is path[at])
    previous = body[index - 1] if index > 0 else None
    if not (isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1):
        return None
    assign = previous.body[0]
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.targets[0].target.deep_equals(node):
        return assign.value
    return None
