"""The engine's single walk: every code node once, in source order, each
dispatched only to the visitors (analyses first, then rules) that define a
``visit_<Type>`` or ``leave_<Type>`` method for its type.

libcst's own ``visit_batched`` rebuilds every node it leaves and visits the
layout nodes (whitespace, commas, brackets: about half of the tree) that no
rule asks about; this walk does neither. It is iterative, so nesting depth
costs no Python stack. A visitor that raises is reported through
``on_crash`` and removed; the walk goes on with the others.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

import libcst as cst

from memlint.nodes import children

Method = Callable[[Any], None]
# node type -> ((owner, method), ...) in visitor order
Table = Dict[Type[cst.CSTNode], Tuple[Tuple[object, Method], ...]]


class VisitorError(Exception):
    """A visitor's method name does not name a libcst node type."""


def node_type(method_name: str) -> Type[cst.CSTNode]:
    """``visit_Call`` -> ``cst.Call``; attribute visitors (``visit_Call_func``) are not supported."""
    type_name = method_name.partition("_")[2]
    node_class = getattr(cst, type_name, None)
    if not (isinstance(node_class, type) and issubclass(node_class, cst.CSTNode)):
        raise VisitorError(f"{method_name}: {type_name!r} is not a libcst node type")
    return node_class


class Dispatch:
    """Which visitor methods run for which node type."""

    def __init__(self, visitors: Sequence[Tuple[object, Dict[str, Method]]]) -> None:
        self._visitors = list(visitors)
        self.dropped: List[object] = []
        self.visit: Table = {}
        self.leave: Table = {}
        self._build()

    def _build(self) -> None:
        visit: Dict[Type[cst.CSTNode], List[Tuple[object, Method]]] = {}
        leave: Dict[Type[cst.CSTNode], List[Tuple[object, Method]]] = {}
        for owner, methods in self._visitors:
            for name, method in methods.items():
                table = visit if name.startswith("visit_") else leave
                table.setdefault(node_type(name), []).append((owner, method))
        self.visit = {key: tuple(value) for key, value in visit.items()}
        self.leave = {key: tuple(value) for key, value in leave.items()}

    def remove(self, owners: Sequence[object]) -> None:
        self.dropped.extend(owners)
        self._visitors = [(owner, methods) for owner, methods in self._visitors if owner not in self.dropped]
        self._build()


CrashHandler = Callable[[object, Exception], Sequence[object]]


def walk(
    root: cst.CSTNode,
    dispatch: Dispatch,
    enter: Callable[[cst.CSTNode], None],
    exit: Callable[[cst.CSTNode], None],
    on_crash: CrashHandler,
) -> None:
    """Walk ``root``; ``enter``/``exit`` bracket each node (the context's path).
    When a method raises, ``on_crash(owner, error)`` names the visitors to drop."""
    stack: List[Tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            _call(dispatch, dispatch.leave.get(type(node)), node, on_crash)
            exit(node)
            continue
        enter(node)
        _call(dispatch, dispatch.visit.get(type(node)), node, on_crash)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children(node)))


def _call(
    dispatch: Dispatch,
    methods: Optional[Tuple[Tuple[object, Method], ...]],
    node: cst.CSTNode,
    on_crash: CrashHandler,
) -> None:
    if not methods:
        return
    for owner, method in methods:
        if owner in dispatch.dropped:  # dropped earlier on this very node
            continue
        try:
            method(node)
        except (RecursionError, MemoryError):  # the file's, not the visitor's: see lint_module
            raise
        except Exception as error:
            dispatch.remove(on_crash(owner, error))
