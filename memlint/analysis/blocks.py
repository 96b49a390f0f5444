"""Compound statements as blocks of statements: the branches of an
``if``/``try``/loop/``with``/``match``, what follows a statement, whether a
node sits in a ``finally``.

A *path* is a list of nodes from an ancestor down to a node, as
``Context.ancestors`` holds it for the node being visited.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Union

import libcst as cst

from memlint.analysis.scopes import SCOPE_TYPES
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
