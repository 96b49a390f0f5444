"""Code edits that fixes share: insert a statement into a class body, append
an argument or element keeping the list's layout, add a keyword argument,
replace a node unless that would drop a comment."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

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
    """An edit making `statement` the first statement after the class docstring,
    laid out as a formatter would leave it: the class body's comments and
    blank lines stay where they are, a blank line separates it from the rest
    of the body, and a `pass` it makes redundant goes (`class S(str): pass`
    becomes an indented body)."""
    line = cst.SimpleStatementLine(body=[statement])
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        if not all(_is_placeholder(small) for small in body.body):
            return None
        return Replace(body, cst.IndentedBlock(body=[line], header=body.trailing_whitespace))
    if not isinstance(body, cst.IndentedBlock):
        return None
    index = docstring_index(body)
    if index == len(body.body):  # only a docstring: the statement follows it
        docstring = body.body[0]
        return Replace(docstring, cst.FlattenSentinel([docstring, line]))
    following = body.body[index]
    if not isinstance(following, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return None
    if _is_pass_line(following) and index + 1 == len(body.body):
        return Replace(following, line.with_changes(leading_lines=following.leading_lines))
    if not _starts_blank(following):
        following = following.with_changes(leading_lines=[cst.EmptyLine(indent=False), *following.leading_lines])
    return Replace(body.body[index], cst.FlattenSentinel([line, following]))


def _is_placeholder(statement: cst.CSTNode) -> bool:
    """``pass`` or ``...``: a body that says nothing."""
    if isinstance(statement, cst.Pass):
        return True
    return isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Ellipsis)


def _is_pass_line(statement: cst.CSTNode) -> bool:
    """A line holding only ``pass`` (or ``...``) and no comment."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and all(_is_placeholder(small) for small in statement.body)
        and statement.trailing_whitespace.comment is None
    )


def _starts_blank(statement: Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]) -> bool:
    lines = statement.leading_lines
    return bool(lines) and lines[0].comment is None


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


Bracketed = Union[cst.Call, cst.Tuple, cst.List, cst.Set, cst.Dict, cst.ImportFrom]


def one_per_line(node: cst.CSTNode, step: str) -> Optional[Bracketed]:
    """``node``'s bracketed items one per line, each indented by ``step`` more
    than the line the bracket opens on, with a trailing comma, the closing
    bracket on a line of its own (black's layout, which its "magic trailing
    comma" keeps); a ``from`` import gains brackets. None when ``node`` has no
    bracketed items (a tuple needs one pair of parentheses), or a trailing
    comma would not parse (``f(x for x in y)``)."""
    opening, closing = _line_break(step), cst.SimpleWhitespace("")
    if isinstance(node, cst.Call):
        if not node.args or (len(node.args) == 1 and _bare_generator(node.args[0].value)):
            return None
        args = [arg.with_changes(whitespace_after_arg=closing) for arg in node.args]
        return node.with_changes(whitespace_before_args=opening, args=_items_on_lines(args, step))
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return None
        return node.with_changes(
            lpar=cst.LeftParen(whitespace_after=opening),
            names=_items_on_lines(node.names, step),
            rpar=cst.RightParen(whitespace_before=closing),
        )
    if isinstance(node, cst.Tuple) and node.elements and len(node.lpar) == 1:
        return node.with_changes(
            lpar=[cst.LeftParen(whitespace_after=opening)],
            elements=_items_on_lines(node.elements, step),
            rpar=[cst.RightParen(whitespace_before=closing)],
        )
    if isinstance(node, cst.List) and node.elements:
        return node.with_changes(
            lbracket=cst.LeftSquareBracket(whitespace_after=opening),
            elements=_items_on_lines(node.elements, step),
            rbracket=cst.RightSquareBracket(whitespace_before=closing),
        )
    if isinstance(node, (cst.Set, cst.Dict)) and node.elements:
        return node.with_changes(
            lbrace=cst.LeftCurlyBrace(whitespace_after=opening),
            elements=_items_on_lines(node.elements, step),
            rbrace=cst.RightCurlyBrace(whitespace_before=closing),
        )
    return None


def _bare_generator(value: cst.BaseExpression) -> bool:
    """``f(x for x in y)``: the call's brackets are the generator's."""
    return isinstance(value, cst.GeneratorExp) and not value.lpar


def _items_on_lines(items: Sequence[Any], step: str) -> List[Any]:
    """Every item followed by a comma and a line break: indented by ``step``
    before the next item, not indented before the closing bracket."""
    last = len(items) - 1
    return [
        item.with_changes(
            comma=cst.Comma(whitespace_after=_line_break("" if index == last else step))
        )
        for index, item in enumerate(items)
    ]


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, then the line's indentation and ``indent``."""
    return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(indent))
