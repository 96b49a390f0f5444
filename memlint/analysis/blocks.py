"""Compound statements as blocks of statements: the branches of an
``if``/``try``/loop/``with``/``match``, what follows a statement, whether a
node sits in a ``finally``.

A *path* is a list of nodes from an ancestor down to a node, as
``Context.ancestors`` holds it for the node being visited.
"""
from __future__ import annotations

from typing import Iterator, List, NamedTuple, Optional, Sequence, Union

import libcst as cst

from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.nodes import children

Block = Union[cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module]
_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite)
# Parts of a compound statement that hold blocks of their own.
_CLAUSES = (cst.If, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)
_TRIES = (cst.Try, cst.TryStar)


def statements(block: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of a block, a module or a one-line suite (small statements there)."""
    if isinstance(block, (*_BLOCKS, cst.Module)):
        return block.body
    return ()


def blocks(statement: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    """The statement lists of a compound statement, every branch in source
    order: the body, each ``elif`` and ``else``, each ``except``, ``finally``,
    the ``else`` of a loop, each ``case``. The body of a ``def`` or ``class``
    is one block too; callers that stay in one scope skip those."""
    for child in children(statement):
        if isinstance(child, _BLOCKS):
            yield child.body
        elif isinstance(child, _CLAUSES):
            yield from blocks(child)


def statements_after(block: cst.CSTNode, statement: cst.CSTNode) -> List[cst.CSTNode]:
    """The statements that follow ``statement`` in ``block`` (none if it is not there)."""
    body = statements(block)
    for index, item in enumerate(body):
        if item is statement:
            return list(body[index + 1:])
    return []


def following_statements(path: Sequence[cst.CSTNode]) -> List[cst.CSTNode]:
    """Statements after the last node of ``path`` in its block and in every
    enclosing block up to its scope, innermost first: what may run after it."""
    found: List[cst.CSTNode] = []
    for index in range(len(path) - 2, 0, -1):
        parent, child = path[index], path[index + 1]
        if isinstance(parent, SCOPE_TYPES):
            break
        if isinstance(parent, cst.IndentedBlock):
            found += statements_after(parent, child)
    return found


def enclosing_finally(path: Sequence[cst.CSTNode]) -> Optional[Union[cst.Try, cst.TryStar]]:
    """The ``try`` whose ``finally`` block holds the last node of ``path``,
    within its scope (a ``finally`` around a nested ``def`` does not count)."""
    for index in range(len(path) - 2, -1, -1):
        ancestor, child = path[index], path[index + 1]
        if isinstance(ancestor, _TRIES) and child is ancestor.finalbody:
            return ancestor
        if isinstance(ancestor, SCOPE_TYPES):
            return None
    return None


_FINALLY_OR_SCOPE = (cst.Finally, *SCOPE_TYPES)


def in_finally(info: ScopeInfo, node: cst.CSTNode) -> bool:
    """Whether ``node``, of ``info``'s subtree, is in a ``finally`` block
    within its scope: :func:`enclosing_finally` without building the path
    (asked of every binding of a name, that would cost the depth each time)."""
    return isinstance(info.nearest(node, _FINALLY_OR_SCOPE), cst.Finally)


def class_statements(node: cst.ClassDef) -> List[cst.CSTNode]:
    """The statements of a class body, small statements unpacked, also those
    under a class-level ``if``/``try``/``with`` (conditional definitions)."""
    result: List[cst.CSTNode] = []
    _collect(statements(node.body), result)
    return result


def _collect(body: Sequence[cst.CSTNode], result: List[cst.CSTNode]) -> None:
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            result.extend(statement.body)
        elif isinstance(statement, (cst.If, *_TRIES, cst.With)):
            for branch in blocks(statement):
                _collect(branch, result)
        else:  # a def, a class, a loop, or a small statement of a one-line suite
            result.append(statement)


def small_statements(body: Sequence[cst.CSTNode]) -> Iterator[cst.BaseSmallStatement]:
    """The small statements (``return``, assignments, expressions, ...) of a
    body and of every branch of its compound statements, in source order;
    not those of nested ``def``s and classes, which run in another scope."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.BaseSmallStatement):  # in a one-line suite
            yield statement
        elif not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            for block in blocks(statement):
                yield from small_statements(block)


class StatementSite(NamedTuple):
    """A small statement alone on its line, directly in a block."""

    line: cst.SimpleStatementLine
    statement: cst.BaseSmallStatement  # the line's only statement
    block: Union[cst.Module, cst.IndentedBlock]
    scope: cst.CSTNode  # the def, lambda, class or module around it


def statement_site(path: Sequence[cst.CSTNode]) -> Optional[StatementSite]:
    """Where the statement holding the last node of ``path`` sits, when that
    statement is alone on its line directly in a block (not in a one-line
    suite such as ``if x: y()``, not behind a ``;``); None otherwise, and for a
    node in a lambda or at the top of a scope."""
    for index in range(len(path) - 1, 0, -1):
        node = path[index]
        if isinstance(node, SCOPE_TYPES):
            return None
        if isinstance(node, cst.SimpleStatementLine):
            block = path[index - 1]
            if len(node.body) != 1 or not isinstance(block, (cst.Module, cst.IndentedBlock)):
                return None
            scope = next(n for n in reversed(path[:index]) if isinstance(n, SCOPE_TYPES))
            return StatementSite(node, node.body[0], block, scope)
    return None


def next_statement(path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    """The statement that runs right after the last node of ``path`` (a
    statement) when nothing raises: the next one in its block or line, the
    first of a ``try``'s ``else``, or the next one after the enclosing
    compound statement; None at the end of a loop body or a scope."""
    node = path[-1]
    for index in range(len(path) - 2, -1, -1):
        parent = path[index]
        if isinstance(parent, (cst.SimpleStatementLine, *_BLOCKS, cst.Module)):
            siblings = list(parent.body)
            position = siblings.index(node)
            if position + 1 < len(siblings):
                return siblings[position + 1]
        elif isinstance(parent, _TRIES) and node is parent.body and parent.orelse is not None:
            return statements(parent.orelse.body)[0]
        elif isinstance(parent, (cst.For, cst.While, *SCOPE_TYPES)):
            return None
        node = parent
    return None
