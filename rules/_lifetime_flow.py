"""Shared by MEM403 and MEM404: what becomes of a local after a statement.

A local that holds an exception or a frame makes a cycle with its own frame
only while it still holds it when the function is left. The code breaks that
itself when it deletes or rebinds the name (in a ``finally``, or on every path
from the store), and hands the value on on purpose when a ``raise`` or
``return`` reads it: ``errors.append(e)`` then ``raise Group("...", errors)``,
``return Result(exception=exc)``. :func:`handed_on` follows the statements
that can run after a store, structurally (no values), and answers True only
when every path reaches such a statement before leaving the function.
"""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from memlint.analysis.blocks import in_finally, statements
from memlint.analysis.scopes import Positions, ScopeInfo

_LOOPS = (cst.For, cst.While)
_TRIES = (cst.Try, cst.TryStar)
# Builtins whose result keeps nothing of their argument.
_MEASURES = frozenset({"len", "str", "repr", "bool", "format", "print", "type", "id", "isinstance", "hash"})
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)


def cleared(info: ScopeInfo, name: str) -> bool:
    """``del name`` anywhere, or ``name = ...`` / ``name.clear()`` in a
    ``finally`` (MEM403: the code drops what the local holds)."""
    for binding in info.bindings_of(name):
        if binding.kind == "del" or (binding.kind == "assign" and in_finally(info, binding.statement)):
            return True
    return any(_is_clear(info.parent(load)) and in_finally(info, load) for load in info.loads_of(name))


def released_in_finally(info: ScopeInfo, name: str) -> bool:
    """``del name`` or ``name = None`` in a ``finally`` (MEM404)."""
    return any(
        (binding.kind == "del" or (binding.kind == "assign" and _is_none(binding.value)))
        and in_finally(info, binding.statement)
        for binding in info.bindings_of(name)
    )


def within(info: ScopeInfo, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    """``node`` is ``ancestor`` or inside it."""
    return node is ancestor or any(a is ancestor for a in info.ancestors(node))


def handed_on(info: ScopeInfo, store: cst.CSTNode, name: str) -> bool:
    """Whether every path from ``store`` (a statement of ``info``'s function,
    or a node in one) hands the value of ``name`` on (a ``raise`` or
    ``return`` reading it) or drops it (``del name``, a rebinding) before
    the function is left."""
    statement = store if isinstance(store, cst.BaseSmallStatement) else info.nearest(store, _SMALL)
    return statement is not None and _Paths(info, name, statement).after(statement) is True


_SMALL = (cst.BaseSmallStatement,)
# The nodes whose part holding a statement decides what runs after it.
_DECIDING = (*_SCOPES, *_BLOCKS, cst.Module, *_LOOPS, *_TRIES)
Fate = Optional[bool]  # True: handed on or dropped; False: may leave the function held; None: passes


class _Paths:
    """The fate of one local's value, statement by statement, from a store."""

    def __init__(self, info: ScopeInfo, name: str, store: cst.CSTNode) -> None:
        self.info = info
        # Facts of the name, not of this store: each store of the name asks again.
        self._reading, self._handing = info.answer(_holding_reads, name)
        self._rebinding = info.answer(_rebinding_statements, name)
        self._store = store  # storing again is the same state, not a drop
        self._looping: Set[cst.CSTNode] = set()  # loops whose next round is being followed

    def after(self, node: cst.CSTNode) -> Fate:
        """Along the statements that run once ``node`` completes.

        Only the enclosing blocks, loops and ``try`` statements decide
        anything: the others (an ``if``, each ``elif`` of a chain) pass, so
        the climb goes from one of those to the next (ScopeInfo.nearest
        remembers it: the stores of an ``elif`` chain do not each climb
        the chain), and asks which of its parts holds ``node``."""
        positions = self.info.positions()
        while True:
            parent = self.info.nearest(node, _DECIDING)
            if parent is None or isinstance(parent, _SCOPES):
                return False  # the end of the function: it returns still holding the value
            fate: Fate = None
            if isinstance(parent, (*_BLOCKS, cst.Module)):
                fate = self._sequence(_following(positions, parent, node))
            elif isinstance(parent, _LOOPS) and positions.holds(parent.body, node):
                return self._loop_back(parent)
            elif isinstance(parent, _TRIES):
                in_body = positions.holds(parent.body, node)
                if in_body and parent.orelse is not None:
                    fate = self._sequence(statements(parent.orelse.body))
                if fate is None and parent.finalbody is not None and not positions.holds(parent.finalbody, node):
                    fate = self._sequence(statements(parent.finalbody.body))
            if fate is not None:
                return fate
            node = parent

    def _loop_back(self, loop: Union[cst.For, cst.While]) -> Fate:
        """The end of a loop body: the next round runs from the top (where a
        rebinding drops the value), or the loop ends."""
        self._looping.add(loop)
        fate = self._sequence(statements(loop.body))
        if fate is not None:
            return fate
        endless = isinstance(loop, cst.While) and _always_true(loop.test)
        return None if endless and not _breaks(loop) else self.after(loop)

    def _sequence(self, body: Sequence[cst.CSTNode]) -> Fate:
        for statement in body:
            fate = self._statement(statement)
            if fate is not None:
                return fate
        return None

    def _ends_handing(self, block: Optional[Sequence[cst.CSTNode]]) -> bool:
        last = block[-1] if block else None
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1]
        return isinstance(last, (cst.Raise, cst.Return)) and id(last) in self._handing

    def _statement(self, statement: cst.CSTNode) -> Fate:
        if isinstance(statement, cst.SimpleStatementLine):
            return self._sequence(statement.body)
        if isinstance(statement, (cst.Raise, cst.Return)):
            return id(statement) in self._handing
        if isinstance(statement, (cst.Break, cst.Continue)):
            loop = self.info.nearest(statement, _LOOPS)
            if not isinstance(loop, _LOOPS) or loop in self._looping:
                return None  # back where the analysis of that loop started
            return self.after(loop) if isinstance(statement, cst.Break) else self._loop_back(loop)
        if id(statement) in self._rebinding and statement is not self._store:
            value = statement.value if isinstance(statement, cst.Assign) else None
            return None if value is not None and id(value) in self._reading else True
        if isinstance(statement, cst.BaseCompoundStatement) and not isinstance(statement, _SCOPES):
            exits = _exits(statement)
            if isinstance(statement, cst.If) and id(statement.test) in self._reading:
                if any(id(node) in self._handing for node in exits):
                    return True  # `if errors: raise Group(errors)`: the other branches find it empty
            if isinstance(statement, cst.If) and all(self._ends_handing(branch) for branch in _branches(statement)):
                return True  # every branch, an `else` included, ends by raising or returning it
            return False if any(id(node) not in self._handing for node in exits) else None
        return None


def _holding_reads(info: ScopeInfo, name: str) -> Tuple[FrozenSet[int], FrozenSet[int]]:
    """The ids of the nodes that hold a read of ``name`` (the reads and their
    ancestors), and of those that hold a read passing the value itself on
    (one not :func:`_consumed`). A climb stops at a node already marked, whose
    ancestors are too: all the reads cost the size of the scope, not reads
    times depth (an ``elif`` chain nests as deep as it is long)."""
    reading: Set[int] = set()
    handing: Set[int] = set()
    for load in info.loads_of(name):
        _mark_up(info, load, reading)
        if not _consumed(info, load):
            _mark_up(info, load, handing)
    return frozenset(reading), frozenset(handing)


def _mark_up(info: ScopeInfo, node: cst.CSTNode, marked: Set[int]) -> None:
    """Add ``node`` and its ancestors to ``marked``."""
    current: Optional[cst.CSTNode] = node
    while current is not None and id(current) not in marked:
        marked.add(id(current))
        current = info.parent(current)


def _rebinding_statements(info: ScopeInfo, name: str) -> FrozenSet[int]:
    """The ids of the statements that assign or delete ``name``."""
    return frozenset(id(b.statement) for b in info.bindings_of(name) if b.kind in ("assign", "del"))


def _consumed(info: ScopeInfo, load: cst.Name) -> bool:
    """A read that only measures or formats the value (``len(errors)``,
    ``str(e)``, an f-string): it does not pass the value itself on."""
    if info.nearest(load, (cst.FormattedString,)) is not None:
        return True
    arg = info.parent(load)
    call = info.parent(arg) if isinstance(arg, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in _MEASURES


def _always_true(test: cst.BaseExpression) -> bool:
    """``True`` or a non-zero integer: ``while True:``, ``while 1:``."""
    return is_name(test, "True") or (isinstance(test, cst.Integer) and test.evaluated_value != 0)


def _branches(statement: cst.If) -> List[Optional[Sequence[cst.CSTNode]]]:
    """The blocks of an ``if``/``elif``/``else`` chain; None for a missing ``else``."""
    found: List[Optional[Sequence[cst.CSTNode]]] = []
    node: Union[cst.If, cst.Else, None] = statement
    while isinstance(node, cst.If):
        found.append(statements(node.body))
        node = node.orelse
    found.append(statements(node.body) if isinstance(node, cst.Else) else None)
    return found


def _exits(statement: cst.CSTNode) -> List[cst.CSTNode]:
    """The ``return`` and ``raise`` statements in ``statement``, not those of
    nested scopes. (A ``break`` or ``continue`` stays in the function: its
    loop's end or top is followed on its own.)"""
    found: List[cst.CSTNode] = []
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Return, cst.Raise)):
            found.append(node)
        elif node is statement or not isinstance(node, _SCOPES):
            stack.extend(node.children)
    return found


def _breaks(loop: cst.CSTNode) -> bool:
    """A ``break`` that leaves ``loop`` (not one of an inner loop or scope)."""
    stack = list(loop.children)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            return True
        if not isinstance(node, (*_LOOPS, *_SCOPES)):
            stack.extend(node.children)
    return False


def _following(positions: Positions, block: cst.CSTNode, node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of ``block`` after the one that holds ``node``."""
    body = list(getattr(block, "body", ()))
    position = next((i for i, statement in enumerate(body) if positions.holds(statement, node)), len(body))
    return body[position + 1:]


def _is_none(value: Optional[cst.BaseExpression]) -> bool:
    return is_name(value, "None")


def is_name(node: Optional[cst.CSTNode], name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _is_clear(node: Optional[cst.CSTNode]) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == "clear"


# -- MEM404: the current frame in a local ---------------------------------------------------


def current_frame_args(call: cst.Call) -> bool:
    """No argument, or depth 0: the calling function's own frame."""
    args = list(call.args)
    if not args:
        return True
    value = args[0].value
    return len(args) == 1 and args[0].keyword is None and isinstance(value, cst.Integer) and value.value == "0"


def walks_up(info: ScopeInfo, name: str) -> bool:
    """``frame = frame.f_back`` somewhere: the variable moves to outer frames,
    which do not reference this one, before the function is done with it."""
    return any(b.kind == "assign" and _steps_back(b.value, name) for b in info.bindings_of(name))


def deleted_right_after(info: ScopeInfo, name: str, following: List[cst.CSTNode]) -> bool:
    """``del name`` later in the same block, with nothing in between that
    could leave the block early (a call, return, raise, yield, await, break
    or continue): the deletion always runs."""
    for statement in following:
        if isinstance(statement, cst.SimpleStatementLine) and deletes(info, statement, name):
            return True
        if _contains(statement, _MAY_LEAVE):
            return False
    return False


def deletes(info: ScopeInfo, statement: cst.CSTNode, name: str) -> bool:
    """``statement`` deletes the variable (`del name`, `del a, name`)."""
    return any(
        binding.kind == "del" and any(ancestor is statement for ancestor in info.ancestors(binding.statement))
        for binding in info.bindings_of(name)
    )


_MAY_LEAVE = (cst.Call, cst.Return, cst.Raise, cst.Yield, cst.Await, cst.Break, cst.Continue)


def _steps_back(value: Optional[cst.BaseExpression], name: str) -> bool:
    """``name.f_back``."""
    return isinstance(value, cst.Attribute) and value.attr.value == "f_back" and is_name(value.value, name)


def _contains(node: cst.CSTNode, types: Tuple[type, ...]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, types):
            return True
        stack.extend(current.children)
    return False
