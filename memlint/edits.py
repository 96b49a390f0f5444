"""Code edits that fixes share: insert a statement into a class body, append
an argument or element keeping the list's layout, add a keyword argument,
replace a node unless that would drop a comment."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import libcst as cst
from memlint.lazy_matchers import m

from memlint.rule import Replace


def docstring_index(body: cst.IndentedBlock) -> int:
    """Where a statement goes to be the first after the class docstring."""
    first = body.body[0] if body.body else None
    if (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    ):
        return 1
    return 0


def insert_statement(node: cst.ClassDef, statement: cst.BaseSmallStatement) -> Optional[Replace]:
    """An edit making `statement` the first statement after the class docstring
    (the class body's comments and blank lines stay where they are)."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    line = cst.SimpleStatementLine(body=[statement])
    index = docstring_index(body)
    if index == len(body.body):  # only a docstring: the statement follows it
        docstring = body.body[0]
        return Replace(docstring, cst.FlattenSentinel([docstring, line]))
    following = body.body[index]
    return Replace(following, cst.FlattenSentinel([line, following]))


def add_keyword(call: cst.BaseExpression, name: str) -> cst.Call:
    """`deco` -> `deco(name=True)`; `deco(a)` -> `deco(a, name=True)`."""
    new = cst.Arg(
        keyword=cst.Name(name), value=cst.Name("True"),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    if not isinstance(call, cst.Call):
        return cst.Call(func=call, args=[new])
    return call.with_changes(args=append_item(call.args, new, call.whitespace_before_args))


def append_item(items: Sequence[Any], new: Any, opening: Any) -> List[Any]:
    """`items` (arguments or elements, which own their commas) with `new` at the end.
    `opening` is the whitespace after the opening bracket: when it breaks the
    line and the last item has a trailing comma, `new` goes on a line of its own."""
    result = list(items)
    if result:
        last = result[-1]
        after: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        if isinstance(last.comma, cst.Comma) and isinstance(opening, cst.ParenthesizedWhitespace):
            new = new.with_changes(comma=last.comma)
            after = opening
        result[-1] = last.with_changes(comma=cst.Comma(whitespace_after=after))
    return [*result, new]


def comments(node: cst.CSTNode) -> List[str]:
    return sorted(c.value for c in m.findall(node, m.Comment()) if isinstance(c, cst.Comment))


def replace_keeping_comments(old: cst.CSTNode, new: cst.CSTNode) -> Optional[Replace]:
    """A Replace edit, or None when ``new`` would drop a comment of ``old``."""
    return Replace(old, new) if comments(old) == comments(new) else None
