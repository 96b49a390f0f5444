"""Shared by the MEM2 rules: collections whose size the code itself fixes
(RULES.md, "Bounded by the code"). Materializing one of those costs a few
references, so MEM2 stays silent on it.

Bounded: a literal display (``(a, b)``, ``[x, y]``, ``{...}``), a string
literal, ``range(k)`` with constants and at most :data:`SMALL` items, a range
over numbers read from a table written in the source, ``islice(it, k)``,
``x[:k]``, ``s.split(sep, k)`` (also ``s.split(sep, n - 1)``), what a
single-pass wrapper or a copy makes of a bounded input (``enumerate``,
``zip``, ``sorted``, ``list``, ...), a comprehension over bounded inputs, a name bound once to one of those and never
mutated, and an attribute assigned one of those by the statement just before.
Guards on a length are in :mod:`._length_guards`.
"""
from __future__ import annotations

from typing import FrozenSet, List, Optional, Sequence, Union

import libcst as cst

from memlint.context import Context

from ._known_values import assigned_just_before, sole_value

SMALL = 1000  # items of a constant range that we call small: 8 KB of references

# Wrappers whose result has at most as many items as these positional arguments:
# the index of the argument, or None for "any positional argument" (zip, map stop at the shortest).
_SIZE_OF_ARGUMENT = {
    "builtins.list": 0,
    "builtins.tuple": 0,
    "builtins.set": 0,
    "builtins.frozenset": 0,
    "builtins.sorted": 0,
    "builtins.reversed": 0,
    "builtins.enumerate": 0,
    "builtins.iter": 0,
    "builtins.filter": 1,
    "builtins.dict": 0,
    "builtins.zip": None,
    "builtins.map": None,
    "itertools.islice": 0,
    "itertools.chain.from_iterable": 0,
}
# Calls whose items are the items of their first argument, in some order.
_ROW_KEEPING = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed", "builtins.iter"})
VIEWS = ("items", "keys", "values")  # dict views: as many items as the dict
_SPLITS = ("split", "rsplit")
_DISPLAYS = (cst.List, cst.Tuple, cst.Set)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class _Fixed:
    """A number the source fixes without our computing it (a value of a table)."""


FIXED = _Fixed()
Number = Union[int, _Fixed, None]
_NO_TABLES: FrozenSet[str] = frozenset()


def bounded(context: Context, node: cst.BaseExpression) -> bool:
    """Whether the code itself fixes how many items iterating ``node`` gives.
    ``node`` is the node being visited or lies in the statement around it."""
    return _Sizes(context).bounded(node, _NO_TABLES, 0)


class _Sizes:
    """The questions of :func:`bounded`, asked of one expression. ``tables``
    are the names an enclosing comprehension unpacks from a table of literals."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def bounded(self, node: cst.BaseExpression, tables: FrozenSet[str], depth: int) -> bool:
        if depth > 8:
            return False
        depth += 1
        if isinstance(node, _DISPLAYS):
            return all(
                not isinstance(e, cst.StarredElement) or self.bounded(e.value, tables, depth) for e in node.elements
            )
        if isinstance(node, cst.Dict):
            return all(
                not isinstance(e, cst.StarredDictElement) or self.bounded(e.value, tables, depth) for e in node.elements
            )
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return True
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.bounded(node.left, tables, depth) and self.bounded(node.right, tables, depth)
        if isinstance(node, _COMPREHENSIONS):
            return self._comprehension(node.for_in, tables, depth)
        if isinstance(node, cst.Call):
            return self._call(node, tables, depth)
        if isinstance(node, cst.Subscript):
            return _slice_bounded(node) or (_is_slice(node) and self.bounded(node.value, tables, depth))
        if isinstance(node, cst.Name):
            value = sole_value(self.context, node.value)
            return value is not None and self.bounded(value, _NO_TABLES, depth)
        if isinstance(node, cst.Attribute):
            value = assigned_just_before(self.context, node)
            return value is not None and self.bounded(value, _NO_TABLES, depth)
        return False

    def _comprehension(self, for_in: cst.CompFor, tables: FrozenSet[str], depth: int) -> bool:
        current: Optional[cst.CompFor] = for_in
        while current is not None:
            if not self.bounded(current.iter, tables, depth):
                return False
            if self._literal_table(current.iter):
                tables = tables | frozenset(_target_names(current.target))
            current = current.inner_for_in
        return True

    def _call(self, call: cst.Call, tables: FrozenSet[str], depth: int) -> bool:
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if any(a.star for a in call.args):
            return self._transposition(call, depth)
        func = call.func
        if isinstance(func, cst.Attribute) and not positional and func.attr.value in VIEWS:
            return self.bounded(func.value, tables, depth)
        if isinstance(func, cst.Attribute) and func.attr.value in _SPLITS:
            return _split_bounded(call)
        name = self.context.qualified_name(func)
        if name == "builtins.range":
            return self._range(positional, tables)
        if name == "itertools.islice" and len(positional) >= 2:
            stop = self._number(positional[1 if len(positional) == 2 else 2], tables)
            if isinstance(stop, int) and 0 <= stop <= SMALL:
                return True
        if name not in _SIZE_OF_ARGUMENT:
            return False
        index = _SIZE_OF_ARGUMENT[name]
        if index is None:
            inputs = positional[1:] if name == "builtins.map" else positional
            return any(self.bounded(value, tables, depth) for value in inputs)
        return len(positional) > index and self.bounded(positional[index], tables, depth)

    def _transposition(self, call: cst.Call, depth: int) -> bool:
        """``zip(*rows)`` yields one tuple per column: bounded when every row has
        the same small, known width (``zip(*d.items())`` yields two)."""
        if len(call.args) != 1 or call.args[0].star != "*" or self.context.qualified_name(call.func) != "builtins.zip":
            return False
        width = self._row_width(call.args[0].value, depth)
        return width is not None and width <= SMALL

    def _row_width(self, rows: cst.BaseExpression, depth: int) -> Optional[int]:
        """How many items each row of ``rows`` has, when the code fixes it: the
        pairs of ``d.items()`` or ``enumerate(...)``, the tuples of ``zip(a, b)``,
        a comprehension or display of tuples written with that many items."""
        if depth > 8:
            return None
        if isinstance(rows, cst.Name):
            value = sole_value(self.context, rows.value)
            return None if value is None else self._row_width(value, depth + 1)
        if isinstance(rows, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return _tuple_width(rows.elt)
        if isinstance(rows, _DISPLAYS):
            widths = {_tuple_width(e.value) if isinstance(e, cst.Element) else None for e in rows.elements}
            return widths.pop() if len(widths) == 1 else None
        if not isinstance(rows, cst.Call) or any(a.star or a.keyword for a in rows.args):
            return None
        if isinstance(rows.func, cst.Attribute) and rows.func.attr.value == "items" and not rows.args:
            return 2
        name = self.context.qualified_name(rows.func)
        if name == "builtins.enumerate":
            return 2
        if name == "builtins.zip":
            return len(rows.args)
        if name in _ROW_KEEPING and rows.args:
            return self._row_width(rows.args[0].value, depth + 1)
        return None

    def _range(self, args: Sequence[cst.BaseExpression], tables: FrozenSet[str]) -> bool:
        numbers = [self._number(a, tables) for a in args]
        if not numbers or len(numbers) > 3 or any(n is None for n in numbers):
            return False
        if any(isinstance(n, _Fixed) for n in numbers):
            return True  # read from a table written in the source: its size is the code's
        try:
            return len(range(*numbers)) <= SMALL  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    def _number(self, node: cst.BaseExpression, tables: FrozenSet[str]) -> Number:
        """An integer the source fixes: a literal, arithmetic on such, a
        constant, or a value unpacked from a table of literals in the source."""
        literal = integer_literal(node)
        if literal is not None:
            return literal
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply)):
            left, right = self._number(node.left, tables), self._number(node.right, tables)
            if left is None or right is None:
                return None
            if isinstance(left, _Fixed) or isinstance(right, _Fixed):
                return FIXED
            return left + right if isinstance(node.operator, cst.Add) else (
                left - right if isinstance(node.operator, cst.Subtract) else left * right
            )
        if isinstance(node, cst.Name):
            if node.value in tables:
                return FIXED
            value = sole_value(self.context, node.value)
            return integer_literal(value) if value is not None else None
        return None

    def _literal_table(self, node: cst.BaseExpression) -> bool:
        """A display of literals (or of displays of literals), or a name bound to one."""
        if isinstance(node, cst.Name):
            value = sole_value(self.context, node.value)
            return value is not None and not isinstance(value, cst.Name) and self._literal_table(value)
        if not isinstance(node, _DISPLAYS):
            return False
        return all(integer_literal(e.value) is not None or self._literal_table(e.value) for e in node.elements)


def _tuple_width(node: cst.BaseExpression) -> Optional[int]:
    """The number of items of a tuple display without ``*`` parts."""
    if isinstance(node, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in node.elements):
        return len(node.elements)
    return None


def _target_names(target: cst.BaseExpression) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for e in target.elements for name in _target_names(e.value)]
    return []


def _split_bounded(call: cst.Call) -> bool:
    """``s.split(sep, k)``: at most k + 1 parts, a limit the code states (a
    small constant, or an expression such as ``n - 1``; not ``-1``)."""
    for index, arg in enumerate(call.args):
        is_maxsplit = (arg.keyword is None and index == 1) or (arg.keyword is not None and arg.keyword.value == "maxsplit")
        if is_maxsplit:
            limit = integer_literal(arg.value)
            return 0 <= limit < SMALL if limit is not None else not isinstance(arg.value, (cst.Float, cst.Name))
    return False


def _is_slice(node: cst.Subscript) -> bool:
    return len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice)


def _slice_bounded(node: cst.Subscript) -> bool:
    """``x[:k]``, ``x[i:k]``, ``x[-k:]`` with constants: at most k items."""
    if not _is_slice(node):
        return False
    part = node.slice[0].slice
    assert isinstance(part, cst.Slice)
    lower, upper = integer_literal(part.lower), integer_literal(part.upper)
    if part.upper is not None and upper is not None and upper >= 0 and (part.lower is None or lower is not None):
        return upper - max(lower or 0, 0) <= SMALL
    return part.upper is None and lower is not None and -SMALL <= lower < 0


def integer_literal(node: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = integer_literal(node.expression)
        return None if inner is None else -inner
    return None
