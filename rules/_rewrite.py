"""Shared by the MEM2 rules and their fixes: the builtin `list(X)`, a list
comprehension rewritten as a generator, builtins a fix may spell."""
from __future__ import annotations

from typing import Any, Dict, Optional

import libcst as cst
from memlint.lazy_matchers import m

from memlint.context import Context

def awaits_per_item(comp: cst.ListComp) -> bool:
    """A comprehension with ``async for`` or an ``await`` in its per-item part:
    as a generator it would become an async generator, which ``sum``/``len``/
    ``next`` cannot consume. The outermost iterable does not count: a
    generator evaluates it at once, in the enclosing (async) function."""
    outermost = comp.for_in
    if outermost.asynchronous is not None:
        return True
    per_item = [comp.elt, *outermost.ifs] + ([outermost.inner_for_in] if outermost.inner_for_in else [])
    awaits = m.CompFor(asynchronous=m.Asynchronous()) | m.Await()
    return any(m.findall(part, awaits) for part in per_item)


def as_generator(comp: cst.ListComp, sole_argument: bool) -> cst.GeneratorExp:
    """``[x for x in y]`` as ``(x for x in y)``; the brackets' whitespace (and
    comments) move onto the parentheses. As the sole argument of a call the
    generator needs no parentheses of its own (``sum(x for x in y)``)."""
    parens = not sole_argument or bool(comp.lpar)
    whitespace_after = comp.lbracket.whitespace_after
    whitespace_before = comp.rbracket.whitespace_before
    return cst.GeneratorExp(
        elt=comp.elt,
        for_in=comp.for_in,
        lpar=[cst.LeftParen(whitespace_after=whitespace_after)] if parens else [],
        rpar=[cst.RightParen(whitespace_before=whitespace_before)] if parens else [],
    )


def sole_argument_call(call: cst.Call, comp: cst.ListComp, value: cst.BaseExpression) -> cst.Call:
    """``call`` with its only argument replaced by ``value``; the whitespace
    inside the list's brackets moves inside the call's parentheses, where
    the call has none of its own."""
    arg = call.args[0]
    changes: Dict[str, Any] = {}
    if _blank(call.whitespace_before_args):
        changes["whitespace_before_args"] = comp.lbracket.whitespace_after
    else:
        value = _dedented(value, _extra_indent(call.whitespace_before_args, comp.lbracket.whitespace_after))
    arg_changes: Dict[str, Any] = {"value": value}
    if _blank(arg.whitespace_after_arg) and arg.comma is cst.MaybeSentinel.DEFAULT:
        arg_changes["whitespace_after_arg"] = comp.rbracket.whitespace_before
    return call.with_changes(args=[arg.with_changes(**arg_changes)], **changes)


def _extra_indent(outer: cst.BaseParenthesizableWhitespace, inner: cst.BaseParenthesizableWhitespace) -> int:
    """How much deeper the list's lines are indented than the call's argument
    line: the brackets' own lines go, so the lines inside move left by that."""
    if not (isinstance(outer, cst.ParenthesizedWhitespace) and isinstance(inner, cst.ParenthesizedWhitespace)):
        return 0
    return max(len(inner.last_line.value) - len(outer.last_line.value), 0)


class _Dedent(cst.CSTTransformer):
    """Removes ``width`` leading spaces from every continuation line (never from
    a string: multi-line strings are tokens, not whitespace nodes)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.prefix = " " * width

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        return updated_node.with_changes(last_line=self._cut(updated_node.last_line))

    def leave_EmptyLine(self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine) -> cst.EmptyLine:
        return updated_node.with_changes(whitespace=self._cut(updated_node.whitespace))

    def _cut(self, whitespace: cst.SimpleWhitespace) -> cst.SimpleWhitespace:
        value = whitespace.value
        return cst.SimpleWhitespace(value[len(self.prefix):]) if value.startswith(self.prefix) else whitespace


def _dedented(value: cst.BaseExpression, width: int) -> cst.BaseExpression:
    return value.visit(_Dedent(width)) if width else value  # type: ignore[return-value]


def _blank(whitespace: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(whitespace, cst.SimpleWhitespace) and whitespace.value == ""


def builtin_available(context: Context, *names: str) -> bool:
    """Whether the fix may spell these builtins: none is shadowed here."""
    return all(context.resolve_name(name) == f"builtins.{name}" for name in names)


def list_call_argument(context: Context, node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """``X`` when ``node`` is the builtin ``list(X)`` with one plain argument."""
    if not (isinstance(node, cst.Call) and len(node.args) == 1 and isinstance(node.func, cst.Name)):
        return None
    arg = node.args[0]
    if node.func.value != "list" or arg.keyword is not None or arg.star:
        return None
    return arg.value if context.matches(node, "builtins.list") else None


def iterable_operand(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` fit to follow ``for _ in``: parenthesized if the grammar needs it."""
    bare = isinstance(expr, (cst.Lambda, cst.IfExp, cst.NamedExpr, cst.Yield, cst.GeneratorExp)) and not expr.lpar
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if bare else expr
