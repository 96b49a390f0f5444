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
Guards count too: ``len(x) == 1`` around the use, or ``if len(x) > 1: return``
before it (:func:`length_guarded`).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

import libcst as cst
import libcst.matchers as m

from memlint.analysis import Fact
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.context import Context

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
_VIEWS = ("items", "keys", "values")
_SPLITS = ("split", "rsplit")
# Method calls that change a collection bound to a name.
_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "__setitem__", "__iadd__", "fromkeys"}
)
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
            value = _sole_value(self.context, node.value)
            return value is not None and self.bounded(value, _NO_TABLES, depth)
        if isinstance(node, cst.Attribute):
            value = _assigned_just_before(self.context, node)
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
            return False
        func = call.func
        if isinstance(func, cst.Attribute) and not positional and func.attr.value in _VIEWS:
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
        literal = _literal(node)
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
            value = _sole_value(self.context, node.value)
            return _literal(value) if value is not None else None
        return None

    def _literal_table(self, node: cst.BaseExpression) -> bool:
        """A display of literals (or of displays of literals), or a name bound to one."""
        if isinstance(node, cst.Name):
            value = _sole_value(self.context, node.value)
            return value is not None and not isinstance(value, cst.Name) and self._literal_table(value)
        if not isinstance(node, _DISPLAYS):
            return False
        return all(_literal(e.value) is not None or self._literal_table(e.value) for e in node.elements)


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
            limit = _literal(arg.value)
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
    lower, upper = _literal(part.lower), _literal(part.upper)
    if part.upper is not None and upper is not None and upper >= 0 and (part.lower is None or lower is not None):
        return upper - max(lower or 0, 0) <= SMALL
    return part.upper is None and lower is not None and -SMALL <= lower < 0


def _literal(node: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal(node.expression)
        return None if inner is None else -inner
    return None


# (scope, name) -> the value of its one binding: asked once per name, not per use.
_SOLE_VALUES: Fact[Dict[Tuple[cst.CSTNode, str], Optional[cst.BaseExpression]]] = Fact(
    "sole values", lambda context: {}
)


def _sole_value(context: Context, name: str) -> Optional[cst.BaseExpression]:
    """The value of the one binding of ``name`` in the function around the
    current node, else in the module, when nothing mutates it."""
    scopes = [s for s in context.enclosing_scopes()[:1] if isinstance(s, (cst.FunctionDef, cst.Lambda))]
    memo = context.fact(_SOLE_VALUES)
    for node in [*scopes, context.module]:
        info = context.scope_info(node)
        if info.binds(name):
            key = (node, name)
            if key not in memo:
                memo[key] = _unchanged_value(info, name)
            return memo[key]
    return None


def _unchanged_value(info: ScopeInfo, name: str) -> Optional[cst.BaseExpression]:
    bindings = info.bindings_of(name)
    if len(bindings) != 1 or bindings[0].kind not in ("assign", "annassign") or bindings[0].unpacked:
        return None
    if any(_mutated(info, load) for load in info.loads_of(name)):
        return None
    return bindings[0].value


def _mutated(info: ScopeInfo, load: cst.Name) -> bool:
    """``name.append(...)``, ``name[k] = v``: the collection changes after its binding."""
    parent = info.parent(load)
    if isinstance(parent, cst.Attribute) and parent.value is load:
        return parent.attr.value in _MUTATORS
    if isinstance(parent, cst.Subscript) and parent.value is load:
        return isinstance(info.parent(parent), (cst.AssignTarget, cst.Del, cst.AugAssign))
    return False


def _assigned_just_before(context: Context, node: cst.Attribute) -> Optional[cst.BaseExpression]:
    """``value`` when the statement right before the current one is
    ``<node> = value`` (``self.history = [n] + self.history[:49]``)."""
    path = context.ancestors
    at = next((i for i in range(len(path) - 1, 0, -1) if isinstance(path[i], cst.SimpleStatementLine)), None)
    block = path[at - 1] if at is not None else None
    if at is None or not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return None
    if not any(found is node for found in m.findall(path[at], m.Attribute())):
        return None  # not in the current statement (a loop header above it)
    body = list(block.body)
    index = next(i for i, s in enumerate(body) if s is path[at])
    previous = body[index - 1] if index > 0 else None
    if not (isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1):
        return None
    assign = previous.body[0]
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and assign.targets[0].target.deep_equals(node):
        return assign.value
    return None


# -- guards -----------------------------------------------------------------------


def length_guarded(context: Context, collection: cst.BaseExpression, path: Sequence[cst.CSTNode]) -> bool:
    """Whether a test on ``len(collection)`` bounds it where the last node of
    ``path`` runs: in the body of ``if len(c) == k`` (or ``< k``, ``<= k``, in an
    ``and``), in the ``else`` of ``if len(c) > k``, or after ``if len(c) > k:
    return`` (a body that always leaves) in the same block."""
    for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
        if isinstance(parent, SCOPE_TYPES):
            return False
        if isinstance(parent, cst.If):
            if child is parent.body and _caps(parent.test, collection, upper=True):
                return True
            if child is parent.orelse and _caps(parent.test, collection, upper=False):
                return True
        if isinstance(parent, cst.IndentedBlock) and _left_when_long(parent, child, collection):
            return True
    return False


def _left_when_long(block: cst.IndentedBlock, statement: cst.CSTNode, collection: cst.BaseExpression) -> bool:
    for earlier in block.body:
        if earlier is statement:
            return False
        if (
            isinstance(earlier, cst.If)
            and earlier.orelse is None
            and _caps(earlier.test, collection, upper=False)
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


def _caps(test: cst.BaseExpression, collection: cst.BaseExpression, upper: bool) -> bool:
    """Whether ``test`` being true (``upper``) or false bounds ``len(collection)``
    by a small constant."""
    if isinstance(test, cst.BooleanOperation):
        both = isinstance(test.operator, cst.And) if upper else isinstance(test.operator, cst.Or)
        return both and (_caps(test.left, collection, upper) or _caps(test.right, collection, upper))
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    comparison = test.comparisons[0]
    table = _UPPER if upper else _LOWER
    offset = table.get(type(comparison.operator))
    limit = _literal(comparison.comparator)
    if offset is None or limit is None or not 0 <= limit + offset <= SMALL:
        return False
    left = test.left
    return (
        isinstance(left, cst.Call)
        and isinstance(left.func, cst.Name)
        and left.func.value == "len"
        and len(left.args) == 1
        and left.args[0].value.deep_equals(collection)
    )
