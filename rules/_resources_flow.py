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
from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from memlint.analysis import Fact
from memlint.analysis.names import assignment_targets
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.context import Context

from ._resources import CALLBACKS, Kind, Resource, borrows
from ._resources_paths import dropping_returns


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
        positions = self.info.positions()  # asked for each release: no climb of its ancestors
        return any(positions.below(node, statement) for statement in statements)


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
    # The call being visited is in the assignment's value: the scope and loops
    # around it are the assignment's, and the context finds them without
    # climbing the path (as deep as an elif chain is long).
    scope = context.enclosing(*SCOPE_TYPES)
    if not isinstance(name, cst.Name) or scope is None or isinstance(scope, cst.ClassDef):
        return None  # a class attribute lives as long as the class
    info = context.scope_info(scope)  # type: ignore[arg-type]
    if not info.binds(name.value):
        return None  # a global or nonlocal: it outlives the function
    reads = _classified_reads(context, info, name.value, kind)
    runs = _runs_of_binding(info, name.value, statement, in_loop=context.enclosing(cst.For, cst.While) is not None)
    if reads.seen(Use.ESCAPES, runs):
        return None
    loads = sum((reads.loads[start:stop] for start, stop in runs), ())
    releases, returns = reads.seen(Use.RELEASES, runs), reads.seen(Use.RETURNS, runs)
    flow = LocalFlow(name.value, statement, path, info, loads, releases, returns)  # type: ignore[arg-type]
    if not returns:
        return flow
    drops = dropping_returns(flow)
    return replace(flow, drops=drops) if drops else None  # a factory: the caller closes it


Run = Tuple[int, int]  # reads[start:stop] of a name's reads in source order


@dataclass(frozen=True)
class _Reads:
    """The reads of a local name in source order, each classified once for
    a kind of resource (every binding of the name sees some runs of them)."""

    loads: Tuple[cst.Name, ...]
    # by use: the indexes in ``loads`` of its reads, and the node each stands
    # for (the read, the `f.close()` call, the `return` statement)
    found: Dict[Use, Tuple[List[int], Tuple[cst.CSTNode, ...]]]

    def seen(self, use: Use, runs: Sequence[Run]) -> Tuple[cst.CSTNode, ...]:
        """The nodes of the reads of ``use`` in ``runs``, in source order."""
        indexes, nodes = self.found[use]
        return sum((nodes[bisect_left(indexes, start):bisect_left(indexes, stop)] for start, stop in runs), ())


# (id of the scope node, name, kind) -> the reads of the name
_READS: Fact[Dict[Tuple[int, str, Kind], _Reads]] = Fact("classified reads of resource names", lambda context: {})


def _classified_reads(context: Context, info: ScopeInfo, name: str, kind: Kind) -> _Reads:
    memo = context.fact(_READS)
    key = (id(info.node), name, kind)
    if key not in memo:
        loads = info.positions().reads(name)
        found: Dict[Use, Tuple[List[int], List[cst.CSTNode]]] = {use: ([], []) for use in Use}
        for index, load in enumerate(loads):
            use = _use(context, info, load, kind)
            found[use][0].append(index)
            found[use][1].append(_stands_for(info, load, use))
        memo[key] = _Reads(loads, {use: (indexes, tuple(nodes)) for use, (indexes, nodes) in found.items()})
    return memo[key]


def _stands_for(info: ScopeInfo, load: cst.Name, use: Use) -> cst.CSTNode:
    """What a flow keeps of a read: `f.close()` for a release, the `return`
    statement for a return, else the read itself."""
    if use is Use.RELEASES:
        return _call_of_method(info, load)
    return info.parent(load) if use is Use.RETURNS else load  # type: ignore[return-value]


def _runs_of_binding(info: ScopeInfo, name: str, statement: cst.CSTNode, in_loop: bool) -> List[Run]:
    """The reads of ``name`` that may see the value ``statement`` binds: not
    those in its own value (`path = open(path)`), and, for a name bound more
    than once outside a loop, not those before it (they read the old value)."""
    start, stop = info.positions().reads_around(name, statement)
    after = (stop, len(info.positions().reads(name)))
    if len(info.bindings_of(name)) == 1 or in_loop:
        return [(0, start), after]
    return [after]


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
