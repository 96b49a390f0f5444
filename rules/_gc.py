"""What MEM601 needs to know about a module's `gc` calls: where the collector
is enabled again, whether a `try` restores it on every path, and the fix
that restores the state saved before `gc.disable()`."""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence, Set, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import StatementSite, following_statements, small_statements, statements, statements_after
from memlint.analysis.scopes import free_name
from memlint.context import Context
from memlint.rule import Edit, EnsureImport, Replace

_TRIES = (cst.Try, cst.TryStar)


class Call(NamedTuple):
    """A `gc` call with the ids of its ancestors (to ask which blocks hold it)."""

    node: cst.Call
    ancestors: Set[int]


def first_in(calls: Sequence[Call], nodes: Sequence[cst.CSTNode]) -> Optional[cst.Call]:
    """The first of ``calls`` inside one of ``nodes``, in source order."""
    inside = {id(node) for node in nodes}
    return next((call.node for call in calls if not inside.isdisjoint(call.ancestors)), None)


def restores_on_error(enables: Sequence[Call], statement: cst.CSTNode, path: Tuple[cst.CSTNode, ...]) -> bool:
    """``statement`` (a `try` at the end of ``path``) re-enables the collector
    on every path: in its `finally`, or in an `except BaseException:` (or bare
    `except:`) that re-raises while the normal path also enables it (in the
    `try` body, its `else`, or a statement after it)."""
    if not isinstance(statement, _TRIES):
        return False
    if statement.finalbody is not None and first_in(enables, [statement.finalbody]) is not None:
        return True
    if not any(_reenables_and_raises(enables, handler) for handler in statement.handlers):
        return False
    normal: List[cst.CSTNode] = [statement.body, *following_statements(path)]
    if statement.orelse is not None:
        normal.append(statement.orelse)
    return first_in(enables, normal) is not None


def _reenables_and_raises(enables: Sequence[Call], handler: cst.CSTNode) -> bool:
    if not isinstance(handler, (cst.ExceptHandler, cst.ExceptStarHandler)):
        return False
    broad = handler.type is None or m.matches(handler.type, m.Name("BaseException"))
    raises = any(isinstance(small, cst.Raise) for small in small_statements(statements(handler.body)))
    return broad and raises and first_in(enables, [handler]) is not None


def restore_fix(context: Context, site: StatementSite, enable: cst.Call, saves: Sequence[Call]) -> Optional[List[Edit]]:
    """Wrap the statements after `gc.disable()` (the statement of ``site``) in
    `try/finally` restoring the state saved before it: `if <saved>:
    gc.enable()`, saving it first (`was_enabled = gc.isenabled()`) when the
    code does not. None when the code reads `gc.isenabled()` otherwise (what
    it means to restore is then unclear) or no name is free."""
    before = list(site.block.body[:_position(site.block.body, site.line)])
    rest = statements_after(site.block, site.line)
    saved = _saved_state(before, saves)
    in_scope = first_in(saves, [site.scope])
    lines: List[cst.BaseStatement] = []
    edits: List[Edit] = []
    if saved is None:
        if in_scope is not None:
            return None
        saved = free_name(context.scope_info(site.scope), "was_enabled")  # type: ignore[arg-type]
        isenabled = _isenabled(context, enable)
        if saved is None or isenabled is None:
            return None
        save = cst.Assign([cst.AssignTarget(cst.Name(saved))], cst.Call(isenabled))
        lines.append(cst.SimpleStatementLine([save], leading_lines=site.line.leading_lines))
        lines.append(site.line.with_changes(leading_lines=()))
        if isinstance(isenabled, cst.Name) and isenabled.value not in context.symbols.imports:
            edits.append(EnsureImport("gc", "isenabled"))
    else:
        lines.append(site.line)
    restore = cst.If(
        test=cst.Name(saved),
        body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(cst.Call(func=enable.func))])]),
    )
    guarded = cst.Try(
        body=cst.IndentedBlock(body=rest),  # type: ignore[arg-type]
        finalbody=cst.Finally(body=cst.IndentedBlock(body=[restore])),
    )
    return [Replace(site.block, site.block.with_changes(body=before + lines + [guarded])), *edits]


def _position(body: Sequence[cst.CSTNode], node: cst.CSTNode) -> int:
    return next(index for index, item in enumerate(body) if item is node)


def _saved_state(before: Sequence[cst.CSTNode], saves: Sequence[Call]) -> Optional[str]:
    """The name a statement before the disable binds to `gc.isenabled()`."""
    for statement in reversed(before):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if (
            isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
            and any(call.node is small.value for call in saves)
        ):
            return small.targets[0].target.value
    return None


def _isenabled(context: Context, enable: cst.Call) -> Optional[cst.BaseExpression]:
    """`gc.isenabled` spelled like ``enable``: `X.isenabled` for `X.enable`, and
    for a bare `enable` a name imported from `gc` (added when nothing else
    binds `isenabled`)."""
    if isinstance(enable.func, cst.Attribute):
        return enable.func.with_changes(attr=cst.Name("isenabled"))
    imported = [local for local, name in context.symbols.imports.items() if name == "gc.isenabled"]
    if imported:
        return cst.Name(imported[0])
    if "isenabled" in context.symbols.defined or "isenabled" in context.symbols.imports:
        return None
    return cst.Name("isenabled")
