"""Where the value of a resource constructor call goes (the MEM5 rules).

The analysis is intraprocedural and deliberately one-sided: whenever the code
could hand the resource to somebody else (yield, store, pass it to a call that
may keep it, return it on every path), :func:`creation_of` says so by
returning None and both rules stay silent. Otherwise it describes the
constructor call once per file (a :class:`Creation`: entered by `with`, used
inline, bound to a local name and released by ...), and each rule decides
from that description. Functions of the same project are asked through the
project index (a resource passed to one that only reads it stays here).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from memlint.analysis import Fact
from memlint.analysis.names import assignment_targets
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.context import Context

from ._resources import CALLBACKS, Kind, Resource, borrows
from ._resources_paths import dropping_returns, source_ranks


class Fate(enum.Enum):
    """Where the value of a constructor call goes, when it cannot escape."""

    ENTERED = "entered"  # `with sqlite3.connect(p) as conn:`
    USED_ONCE = "used once"  # `open(p).read()`: one attribute of it, then dropped
    PASSED_ON = "passed on"  # `json.load(open(p))`: passed to a call that only reads it
    DROPPED = "dropped"  # `Popen(cmd)` as a statement
    STORED = "stored"  # `x.attr = open(p)`: an attribute of some object
    BOUND = "bound"  # `f = open(p)`: a local name none of whose uses lets it escape


class Use(enum.Enum):
    """What one read of the local name bound to a resource does with it."""

    ESCAPES = "escapes"  # hands it to code that may keep or close it
    READS = "reads"  # uses it, neither keeping nor releasing it
    RELEASES = "releases"  # `f.close()`, `proc.wait()`, ...
    RETURNS = "returns"  # `return f`: the caller gets it


Assignment = Union[cst.Assign, cst.AnnAssign]
_ASSIGNMENTS = (cst.Assign, cst.AnnAssign)


@dataclass(frozen=True)
class LocalFlow:
    """A local name bound to a new resource, and its reads in the scope."""

    name: str
    statement: Assignment
    path: Tuple[cst.CSTNode, ...]  # module ... the assignment
    info: ScopeInfo  # of the scope binding the name
    loads: Tuple[cst.Name, ...]  # the reads of this binding
    releases: Tuple[cst.Call, ...]  # `f.close()`, `proc.wait()`, in source order
    returns: Tuple[cst.Return, ...] = ()  # `return f`
    drops: Tuple[cst.Return, ...] = ()  # with ``returns``: the returns after it that leave it unclosed

    def inside(self, node: cst.CSTNode, statements: Sequence[cst.CSTNode]) -> bool:
        """``node`` (of the scope) is in one of ``statements``."""
        kept = {id(statement) for statement in statements}
        return any(id(ancestor) in kept for ancestor in self.info.ancestors(node))


@dataclass(frozen=True)
class Creation:
    """A constructor call whose resource does not obviously escape."""

    call: cst.Call
    resource: Resource
    path: Tuple[cst.CSTNode, ...]  # module ... the call
    fate: Fate
    consumer: cst.CSTNode  # the node receiving the value: a WithItem, Attribute, Arg, Expr or assignment
    flow: Optional[LocalFlow] = None  # for Fate.BOUND


# (id of the constructor call, resource) -> its creation: MEM501 and MEM502 share them.
_CREATIONS: Fact[Dict[Tuple[int, str], Optional[Creation]]] = Fact("resource creations", lambda context: {})


def creation_of(context: Context, call: cst.Call, resource: Resource) -> Optional[Creation]:
    """Where the value of ``call`` (the node being visited) goes; None when it
    may escape: yielded, stored in a container, handed to code that may keep
    or close it, returned on every path."""
    memo = context.fact(_CREATIONS)
    key = (id(call), resource.qualified)
    if key not in memo:
        memo[key] = _climb(context, call, resource, tuple(context.ancestors))
    return memo[key]


def _climb(context: Context, call: cst.Call, resource: Resource, path: Tuple[cst.CSTNode, ...]) -> Optional[Creation]:
    """Climb from the call to what consumes its value."""
    node: cst.CSTNode = call
    for index in range(len(path) - 2, 0, -1):
        parent = path[index]
        if isinstance(parent, cst.IfExp) and node is not parent.test:
            node = parent  # `x = open(p) if p else sys.stdin`: follow the value
            continue
        fate = _fate(context, parent, node, path[index - 1], resource.kind)
        if fate is not Fate.BOUND:
            return None if fate is None else Creation(call, resource, path, fate, parent)
        flow = _local_flow(context, path[:index + 1], resource.kind)
        return None if flow is None else Creation(call, resource, path, fate, parent, flow)
    return None


def _fate(context: Context, parent: cst.CSTNode, node: cst.CSTNode, grand: cst.CSTNode, kind: Kind) -> Optional[Fate]:
    if isinstance(parent, cst.WithItem):
        return Fate.ENTERED if parent.item is node else None
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = assignment_targets(parent)
        if len(targets) != 1:
            return None
        if isinstance(targets[0], cst.Attribute):
            return Fate.STORED
        return Fate.BOUND if isinstance(targets[0], cst.Name) else None
    if isinstance(parent, cst.Attribute) and parent.value is node:
        if isinstance(grand, cst.Call) and grand.func is parent and kind.released_at_once(parent.attr.value):
            return None  # open(p, "a").close(), Popen(cmd).wait()
        return Fate.USED_ONCE
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
        # `asyncore.dispatcher(sock)` keeps it, `parser.parse(f)` closes it: only
        # known readers and writers such as `json.load`, and functions of the
        # project that only read it, leave it to this code.
        return Fate.PASSED_ON if borrows(context, grand, parent) else None
    return Fate.DROPPED if isinstance(parent, cst.Expr) else None


def _local_flow(context: Context, path: Tuple[cst.CSTNode, ...], kind: Kind) -> Optional[LocalFlow]:
    """The reads of the local name the assignment at the end of ``path`` binds,
    unless one of them lets the resource escape."""
    statement = path[-1]
    name = assignment_targets(statement)[0]
    scope = next((n for n in reversed(path[:-1]) if isinstance(n, SCOPE_TYPES)), None)
    if not isinstance(name, cst.Name) or scope is None or isinstance(scope, cst.ClassDef):
        return None  # a class attribute lives as long as the class
    info = context.scope_info(scope)
    if not info.binds(name.value):
        return None  # a global or nonlocal: it outlives the function
    loads = _loads_of_binding(context, info, name.value, statement, path)
    releases: List[cst.Call] = []
    returns: List[cst.Return] = []
    for load in loads:
        use = _use(context, info, load, kind)
        if use is Use.ESCAPES:
            return None
        if use is Use.RELEASES:
            releases.append(_call_of_method(info, load))
        elif use is Use.RETURNS:
            returns.append(info.parent(load))  # type: ignore[arg-type]
    flow = LocalFlow(name.value, statement, path, info, loads, tuple(releases), tuple(returns))  # type: ignore[arg-type]
    if not returns:
        return flow
    drops = dropping_returns(flow)
    return replace(flow, drops=drops) if drops else None  # a factory: the caller closes it


def _loads_of_binding(
    context: Context, info: ScopeInfo, name: str, statement: cst.CSTNode, path: Tuple[cst.CSTNode, ...]
) -> Tuple[cst.Name, ...]:
    """The reads of ``name`` that may see the value ``statement`` binds: not
    those in its own value (`path = open(path)`), and, for a name bound more
    than once outside a loop, not those before it (they read the old value)."""
    loads = [load for load in info.loads_of(name) if info.nearest(load, _ASSIGNMENTS) is not statement]
    if len(info.bindings_of(name)) == 1 or any(isinstance(node, (cst.For, cst.While)) for node in path):
        return tuple(loads)
    ranks = source_ranks(context, info)
    return tuple(load for load in loads if ranks[load] > ranks[statement])


def _call_of_method(info: ScopeInfo, receiver: cst.Name) -> cst.Call:
    """`f.close()` for the `f` of a method call."""
    return info.parent(info.parent(receiver))  # type: ignore[arg-type,return-value]


_READING_PARENTS = (
    cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.BooleanOperation, cst.UnaryOperation,
    cst.Assert, cst.FormattedStringExpression, cst.Call,
)


def _use(context: Context, info: ScopeInfo, load: cst.Name, kind: Kind) -> Use:
    parent = info.parent(load)
    if _in_nested_scope(info, load):
        return Use.ESCAPES  # a closure or a function reading a global: it outlives this flow
    if isinstance(parent, cst.Attribute) and parent.value is load:
        grand = info.parent(parent)
        if isinstance(grand, cst.Call) and grand.func is parent:
            return Use.RELEASES if parent.attr.value in kind.releases else Use.READS
        if parent.attr.value not in CALLBACKS:
            return Use.READS  # `f.name`
        holder = info.parent(grand) if isinstance(grand, cst.Arg) else None
        if isinstance(grand, cst.Arg) and isinstance(holder, cst.Call) and borrows(context, holder, grand):
            return Use.READS  # `tokenize.detect_encoding(f.readline)`
        return Use.ESCAPES  # `stack.callback(f.close)`, `tracer.setwriter(f.write)`
    if isinstance(parent, cst.Arg):
        call = info.parent(parent)
        return Use.READS if isinstance(call, cst.Call) and borrows(context, call, parent) else Use.ESCAPES
    if isinstance(parent, cst.WithItem) and parent.item is load:
        return Use.ESCAPES if kind.with_closes else Use.READS
    if isinstance(parent, cst.Return):
        return Use.RETURNS
    reads = (
        isinstance(parent, _READING_PARENTS)
        or (isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is load)
        or (isinstance(parent, cst.IfExp) and parent.test is load)
        or (isinstance(parent, cst.Subscript) and parent.value is load)
    )
    return Use.READS if reads else Use.ESCAPES


def _in_nested_scope(info: ScopeInfo, node: cst.CSTNode) -> bool:
    scope = info.nearest(node, SCOPE_TYPES)
    return scope is not None and scope is not info.node
