"""Shared by the MEM2 rules: a test of ``len(x)`` that bounds ``x`` where it
is used (RULES.md, "Bounded by the code"): ``len(x) == 1`` around the use (an
``if``, the left side of an ``and``, a conditional expression), or ``if len(x) > 1:
return`` before it. ``len(d)`` bounds ``d.keys()``, ``d.values()`` and ``d.items()`` too,
a name bound once to ``len(x)`` of a name bound once stands for the call, and
a guard on ``len(self.xs)`` bounds a name bound once to ``self.xs``."""
from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from memlint.analysis.scopes import SCOPE_TYPES
from memlint.context import Context

from ._bounded import SMALL, VIEWS, integer_literal
from ._known_values import sole_value


def length_guarded(context: Context, collection: cst.BaseExpression) -> bool:
    """Whether a test on ``len(collection)`` bounds it where the current node
    runs: in the body of ``if len(c) == k`` (or ``< k``, ``<= k``, in an
    ``and``), in the ``else`` of ``if len(c) > k``, right of ``len(c) == k and``
    or ``len(c) != k or``, in a branch of ``... if len(c) == k else ...``, or
    after ``if len(c) > k: return`` (a body that always leaves) in the same block."""
    path = context.ancestors
    for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
        if isinstance(parent, SCOPE_TYPES):
            return False
        if isinstance(parent, (cst.If, cst.IfExp)) and _in_branch(context, parent, child, collection):
            return True
        if isinstance(parent, cst.BooleanOperation) and child is parent.right:
            # The right side runs only when the left side is true (and) or false (or).
            if _caps(context, parent.left, collection, upper=isinstance(parent.operator, cst.And)):
                return True
        if isinstance(parent, cst.IndentedBlock) and _left_when_long(context, parent, child, collection):
            return True
    return False


def _in_branch(
    context: Context, test_holder: Union[cst.If, cst.IfExp], child: cst.CSTNode, collection: cst.BaseExpression
) -> bool:
    """Whether ``child`` is the branch of an ``if`` statement or expression
    that runs only while its test bounds ``collection``."""
    if child is test_holder.body and _caps(context, test_holder.test, collection, upper=True):
        return True
    return child is test_holder.orelse and _caps(context, test_holder.test, collection, upper=False)


def _left_when_long(
    context: Context, block: cst.IndentedBlock, statement: cst.CSTNode, collection: cst.BaseExpression
) -> bool:
    for earlier in block.body:
        if earlier is statement:
            return False
        if (
            isinstance(earlier, cst.If)
            and earlier.orelse is None
            and _caps(context, earlier.test, collection, upper=False)
            and _always_leaves(earlier.body)
        ):
            return True
    return False


def _always_leaves(body: cst.BaseSuite) -> bool:
    statements = list(body.body)
    last = statements[-1] if statements else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, (cst.Return, cst.Raise, cst.Break, cst.Continue))


_UPPER = {cst.Equal: 0, cst.LessThan: -1, cst.LessThanEqual: 0}  # len(c) OP k bounds c by k + offset
_LOWER = {cst.GreaterThan: 0, cst.GreaterThanEqual: -1, cst.NotEqual: 0}  # failing len(c) OP k bounds it


def _caps(context: Context, test: cst.BaseExpression, collection: cst.BaseExpression, upper: bool) -> bool:
    """Whether ``test`` being true (``upper``) or false bounds ``len(collection)``
    by a small constant."""
    if isinstance(test, cst.BooleanOperation):
        both = isinstance(test.operator, cst.And) if upper else isinstance(test.operator, cst.Or)
        return both and (_caps(context, test.left, collection, upper) or _caps(context, test.right, collection, upper))
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    comparison = test.comparisons[0]
    table = _UPPER if upper else _LOWER
    offset = table.get(type(comparison.operator))
    limit = integer_literal(comparison.comparator)
    if offset is None or limit is None or not 0 <= limit + offset <= SMALL:
        return False
    measured = _measured(context, test.left)
    if measured is None:
        return False
    return _same_items(measured, collection) or _same_items(measured, _aliased(context, collection))


def _aliased(context: Context, collection: cst.BaseExpression) -> cst.BaseExpression:
    """What a name bound once to another name or attribute refers to
    (``rv = self.symbols``), else ``collection`` itself."""
    if isinstance(collection, cst.Name):
        value = sole_value(context, collection.value)
        if isinstance(value, (cst.Name, cst.Attribute)):
            return value
    return collection


def _measured(context: Context, length: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """What ``length`` is the ``len()`` of: ``x`` for ``len(x)``, and for a name
    bound once to ``len(x)`` when ``x`` is a name bound once and never changed
    (``n = len(found)`` then ``if n == 1:``)."""
    if isinstance(length, cst.Name):
        value = sole_value(context, length.value)
        measured = _measured(context, value) if isinstance(value, cst.Call) else None
        if isinstance(measured, cst.Name) and sole_value(context, measured.value) is not None:
            return measured
        return None
    if (
        isinstance(length, cst.Call)
        and isinstance(length.func, cst.Name)
        and length.func.value == "len"
        and len(length.args) == 1
    ):
        return length.args[0].value
    return None


def _same_items(measured: cst.BaseExpression, collection: cst.BaseExpression) -> bool:
    """Whether ``collection`` has as many items as ``measured``: the same
    expression, or a view of it (``len(d)`` counts ``d.keys()``, ``d.items()``)."""
    if collection.deep_equals(measured):
        return True
    return (
        isinstance(collection, cst.Call)
        and not collection.args
        and isinstance(collection.func, cst.Attribute)
        and collection.func.attr.value in VIEWS
        and collection.func.value.deep_equals(measured)
    )
