"""The `with` rewrites of the MEM5 fixes."""
from __future__ import annotations

from typing import Iterable, Optional, cast

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import statement_site
from memlint.analysis.names import last_name
from memlint.analysis.scopes import free_name
from memlint.context import Context
from memlint.edits import comments
from memlint.rule import Replace

from ._resources import BORROWERS
from ._resources_flow import Creation, LocalFlow


def with_statement(call: cst.Call, var: str, body: Iterable[cst.BaseStatement],
                   line: cst.SimpleStatementLine) -> cst.With:
    """`with <call> as <var>:` + body, taking the creation line's comments."""
    return cst.With(
        items=[cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(var)))],
        body=cst.IndentedBlock(body=list(body), header=line.trailing_whitespace),
        leading_lines=line.leading_lines,
    )


def inline_fix(context: Context, creation: Creation) -> Optional[Replace]:
    """`x = open(p).read()` / `return json.load(open(p))` / `open(p, "w").write(s)`
    -> a `with` block around the one statement (MEM501)."""
    site = statement_site(creation.path)
    if not creation.resource.kind.fixable or site is None or isinstance(site.scope, cst.ClassDef):
        return None
    value = _statement_value(site.statement)
    if value is None or not _inline_shape(value, creation.call):
        return None
    if isinstance(creation.consumer, cst.Arg) and isinstance(value, cst.Call) and context.qualified_name(value.func) not in BORROWERS:
        return None  # a project function that only reads it may return a generator that reads it later
    var = free_name(context.scope_info(site.scope), creation.resource.kind.var)  # type: ignore[arg-type]
    if var is None:
        return None
    # Replacing a node below the statement keeps its type.
    statement = cast(cst.BaseSmallStatement, site.statement.deep_replace(creation.call, cst.Name(var)))
    inner = cst.SimpleStatementLine(body=[statement])
    return Replace(site.line, with_statement(creation.call, var, [inner], site.line))


def _statement_value(small: cst.BaseSmallStatement) -> Optional[cst.BaseExpression]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.value
    if isinstance(small, (cst.AnnAssign, cst.Return, cst.Expr)):
        return small.value
    return None


def _inline_shape(value: cst.BaseExpression, call: cst.Call) -> bool:
    """`call.method(...)`, or `f(call, <names and literals>)`."""
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.value is call:
        return True  # open(p).read()
    args = list(value.args)
    return (
        last_name(value.func) is not None
        and bool(args) and args[0].value is call and not args[0].keyword and not args[0].star
        and all(_is_simple(a.value) for a in args[1:])
    )


def _is_simple(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.Attribute) and _is_simple(node.value)
    )


def with_fix(creation: Creation, flow: LocalFlow) -> Optional[Replace]:
    """`f = open(p)` ... `f.close()` in one block -> `with open(p) as f:` ..."""
    site = statement_site(flow.path)
    if not creation.resource.kind.fixable or site is None or not isinstance(flow.statement, cst.Assign):
        return None
    if flow.statement.value is not creation.call or len(flow.info.bindings_of(flow.name)) != 1:
        return None
    body = list(site.block.body)
    start = body.index(site.line)
    end = next((i for i in range(start + 1, len(body)) if _is_close_line(body[i], flow.name)), None)
    if end is None or comments(body[end]):
        return None
    if not all(flow.inside(load, body[start:end + 1]) for load in flow.loads):
        return None  # used after the close (or before the creation)
    inner = body[start + 1:end] or [cst.SimpleStatementLine(body=[cst.Pass()])]
    replacement = with_statement(creation.call, flow.name, inner, site.line)
    return Replace(site.block, site.block.with_changes(body=body[:start] + [replacement] + body[end + 1:]))


def _is_close_line(statement: cst.CSTNode, name: str) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("close")), args=[]))]))
