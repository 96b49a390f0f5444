"""Paths through a function after a resource is created (the MEM5 rules):
which `return`s leave a factory's resource unclosed, whether the process
ends (`os._exit`, `os.exec*`) after a child process starts, whether the
next statement or every path out of a `try` reaches a release."""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Set, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import following_statements, next_statement, small_statements, statements
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.context import Context

if TYPE_CHECKING:
    from ._resources_flow import LocalFlow

_TRIES = (cst.Try, cst.TryStar)
# Calls that end the process: a child started before them outlives it on purpose.
PROCESS_ENDS = frozenset({
    "os._exit", "os.execl", "os.execle", "os.execlp", "os.execlpe", "os.execv", "os.execve", "os.execvp",
    "os.execvpe",
})


def _position(nodes: Sequence[cst.CSTNode], node: cst.CSTNode) -> int:
    return next(index for index, item in enumerate(nodes) if item is node)


def process_ends_after(context: Context, path: Tuple[cst.CSTNode, ...]) -> bool:
    """A statement that runs after the node at the end of ``path`` calls
    `os._exit()` or an `os.exec*()` function (the statement `os._exit(0)`)."""
    return any(
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
        and context.qualified_name(small.value.func) in PROCESS_ENDS
        for small in small_statements(following_statements(path))
    )


def dropping_returns(flow: "LocalFlow") -> Tuple[cst.Return, ...]:
    """The `return` statements of a function that returns the resource on some
    path (`return f`) which run after its creation, do not return it and do
    not follow a release of it: on those paths nobody closes it. A `return`
    under a test of the name (`if f is None: return`) is left out, and so is an
    `except` of a `try` whose body ends with the creation (the constructor
    failed: there is nothing to close)."""
    scope = flow.info.node
    if not isinstance(scope, cst.FunctionDef):
        return ()
    after = {id(statement) for statement in _runs_after(flow.path)}
    guards = _guards(flow)
    released = [{id(node) for node in flow.info.ancestors(release)} for release in flow.releases]
    found: List[cst.Return] = []
    for small in small_statements(statements(scope.body)):
        if not isinstance(small, cst.Return) or any(small is returned for returned in flow.returns):
            continue
        ancestors = {id(node) for node in flow.info.ancestors(small)}
        if after.isdisjoint(ancestors) or not guards.isdisjoint(ancestors):
            continue
        if not any(_released_before(flow.info, small, ids) for ids in released):
            found.append(small)
    return tuple(found)


def _runs_after(path: Tuple[cst.CSTNode, ...]) -> List[cst.CSTNode]:
    """Statements that may run after the statement at the end of ``path``:
    those after it in every enclosing block, and the `else` and `except`
    blocks of a `try` around it (the handlers only when more statements of
    the `try` body follow it)."""
    found = following_statements(path)
    for index in range(len(path) - 2, 0, -1):
        node = path[index]
        if isinstance(node, SCOPE_TYPES):
            break
        if not isinstance(node, _TRIES) or path[index + 1] is not node.body:
            continue
        if node.orelse is not None:
            found += statements(node.orelse.body)
        if following_statements(path[index:]):
            found += [statement for handler in node.handlers for statement in statements(handler.body)]
    return found


_TESTING = (cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation, cst.BooleanOperation)


def _guards(flow: "LocalFlow") -> Set[int]:
    """The ids of the `if`/`while` statements that test the name itself
    (`if f is None:`, `if not f:`): the value may not be a resource there."""
    found: Set[int] = set()
    for load in flow.loads:
        child: cst.CSTNode = load
        for ancestor in flow.info.ancestors(load):
            if isinstance(ancestor, (cst.If, cst.While)) and child is ancestor.test:
                found.add(id(ancestor))
            if not isinstance(ancestor, _TESTING):
                break
            child = ancestor
    return found


def _released_before(info: ScopeInfo, node: cst.CSTNode, release: Set[int]) -> bool:
    """A release (given by the ids of its ancestors) runs on every path to
    ``node``: in a statement before it in one of its enclosing blocks, or in
    the `finally` of a `try` around it."""
    child: cst.CSTNode = node
    for ancestor in info.ancestors(node):
        if isinstance(ancestor, SCOPE_TYPES):
            return False
        body = _body(ancestor)
        if body and any(id(statement) in release for statement in body[:_position(body, child)]):
            return True
        if isinstance(ancestor, _TRIES) and child is ancestor.body and ancestor.finalbody is not None:
            if id(ancestor.finalbody) in release:
                return True
        child = ancestor
    return False


def _body(node: cst.CSTNode) -> Optional[Sequence[cst.CSTNode]]:
    """The statements of a block, or the small statements of a line."""
    return node.body if isinstance(node, cst.SimpleStatementLine) else statements(node)


def closed_next(flow: "LocalFlow") -> bool:
    """The statement right after the creation releases it (`f.close()`,
    `out, err = proc.communicate()`); bare annotations (`out: bytes`) in
    between run nothing."""
    path = flow.path
    following = next_statement(path)
    while following is not None and _bare_annotation(following):
        block = next(index for index in range(len(path) - 1, -1, -1) if _holds(path[index], following))
        path = (*path[:block + 1], following)
        following = next_statement(path)
    return following is not None and any(flow.inside(release, [following]) for release in flow.releases)


def _bare_annotation(statement: cst.CSTNode) -> bool:
    """`x: int`, alone on its line or behind a `;`."""
    smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else [statement]
    return all(isinstance(small, cst.AnnAssign) and small.value is None for small in smalls)


def _holds(node: cst.CSTNode, statement: cst.CSTNode) -> bool:
    """``statement`` is one of the statements of ``node`` (a block or a line)."""
    body = node.body if isinstance(node, cst.SimpleStatementLine) else statements(node)
    return any(item is statement for item in body)


def swallowed_then_released(flow: "LocalFlow") -> bool:
    """Created in a `try` whose broad `except` blocks fall through, and
    released after that `try` (`try: s = socket(); s.bind(a)` /
    `except Exception: pass` / `s.close()`): every path reaches the release."""
    path = flow.path
    for index in range(len(path) - 2, 0, -1):
        node, child = path[index], path[index + 1]
        if isinstance(node, SCOPE_TYPES):
            return False
        if isinstance(node, cst.Try) and child is node.body:
            if not node.handlers or not all(_falls_through(h) for h in node.handlers):
                return False
            if not any(_is_broad(h) for h in node.handlers):
                return False
            later = following_statements(path[:index + 1])
            return any(flow.inside(release, later) for release in flow.releases)
    return False


def _falls_through(handler: cst.ExceptHandler) -> bool:
    return not m.findall(handler, m.Return() | m.Raise() | m.Break() | m.Continue())


def _is_broad(handler: cst.ExceptHandler) -> bool:
    return handler.type is None or m.matches(handler.type, m.Name("Exception") | m.Name("BaseException"))
