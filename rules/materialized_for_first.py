from typing import Optional

import libcst as cst

from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.analysis.scopes import SCOPE_TYPES
from memlint.edits import replace_keeping_comments

from ._bounded import bounded
from ._length_guards import length_guarded
from ._rewrite import (
    as_generator,
    builtin_available,
    awaits_per_item,
    list_call_argument,
    sole_argument_call,
)

# Handlers that would catch the IndexError of an empty list.
_CATCHES_INDEX_ERROR = frozenset(
    {"builtins.IndexError", "builtins.LookupError", "builtins.Exception", "builtins.BaseException"}
)
_TARGET_PARENTS = (cst.AssignTarget, cst.Del, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.WithItem)


class MaterializedForFirst(Rule):
    """
    ## What it does
    Reports taking the first item of a list built only for that:
    `[... for ...][0]`, `list(it)[0]` and `list(it).pop(0)`.

    Not reported where the code bounds the list (RULES.md, "Bounded by the
    code"): inputs of fixed size (a literal display, `range(3)`), or a test
    of their length around the use: inside `if len(it) == 1:`, in the `else`
    of `if len(it) > 1:`, after `if len(it) > 1: return`, right of
    `len(it) == 1 and`, or in the matching branch of a conditional
    expression. A test of `len(d)` bounds `d.keys()`, `d.values()` and
    `d.items()` as well, and a length kept in a name counts when neither the
    name nor the collection is bound again or changed (`n = len(found)`, then
    `if n == 1:`); a test of `len(self.xs)` bounds a name bound once to
    `self.xs`.

    ## Why is this bad?
    The whole list is built (every element computed and stored) to keep one
    element. `next(iter(it))` computes and holds only the first.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, 10^6 items,
    `[str(i) for i in range(n)][0]`): peak traced memory 63 MB with the
    list, 0.0 MB with `next(...)`; time 0.29-0.31 s vs under 0.1 ms.

    ## Example
    ```python
    first = [row for row in rows if row.ok][0]
    head = list(items)[0]
    ```

    ## Use instead
    ```python
    first = next(row for row in rows if row.ok)
    head = next(iter(items))
    ```

    ## Fix safety
    The fix writes `next(<generator>)` for a comprehension and
    `next(iter(it))` for `list(it)`. It is unsafe: on an empty input the
    code raises `StopIteration` instead of `IndexError` (inside a generator
    that becomes a `RuntimeError`), `it`, when it is an iterator, is no
    longer exhausted, and the element expressions of the items after the
    first are no longer evaluated (their side effects disappear). No fix is
    offered inside a `try` whose handler catches `IndexError` (or
    `LookupError`, `Exception`, a bare `except`), where `next` shadowed,
    for an `async` comprehension, or when a comment would be lost.

    ## References
    - [next](https://docs.python.org/3/library/functions.html#next)
    """

    code = "MEM205"
    name = "materialized-for-first"
    message = "a whole list is built to take its first item: use next(...)"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # No trigger words: `[x for x in xs][0]` spells no name.

    VALID = [
        Valid("last = list(items)[-1]\n"),
        Valid("second = [x for x in xs][1]\n"),
        Valid("head = list(items).pop()\n"),
        Valid("if len(items) == 1:\n    head = list(items)[0]\n"),
        Valid("def list(x):\n    return [x]\n\nhead = list(items)[0]\n"),
    ]
    INVALID = [
        Invalid(
            "first = [row for row in rows if row.ok][0]\n",
            line=1,
            column=9,
            fixed="first = next(row for row in rows if row.ok)\n",
        ),
        Invalid(
            "head = list(items)[0]\n",
            line=1,
            column=8,
            fixed="head = next(iter(items))\n",
        ),
        Invalid(
            "head = list(d.values()).pop(0)\n",
            line=1,
            column=8,
            fixed="head = next(iter(d.values()))\n",
        ),
        Invalid(
            """
            def first(rows):
                try:
                    return list(rows)[0]
                except IndexError:
                    return None
            """,
            line=3,
            column=16,
        ),
    ]

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) != 1 or not _is_zero(node.slice[0].slice):
            return
        value = node.value
        if not isinstance(value, (cst.ListComp, cst.Call)) or isinstance(self.context.parent, _TARGET_PARENTS):
            return
        self._check(node, value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "pop" and len(node.args) == 1):
            return
        arg = node.args[0]
        if arg.keyword is None and not arg.star and _is_zero(cst.Index(arg.value)) and isinstance(func.value, cst.Call):
            self._check(node, func.value)

    def _check(self, node: cst.CSTNode, materialized: cst.BaseExpression) -> None:
        if isinstance(materialized, cst.ListComp):
            inputs = None if materialized.for_in.inner_for_in else materialized.for_in.iter
            if not self._few(materialized, inputs):
                self.report(node, self._fix(node, materialized))
            return
        source = list_call_argument(self.context, materialized)
        if source is not None and not self._few(source, source):
            self.report(node, self._fix(node, source))

    def _few(self, materialized: cst.BaseExpression, inputs: Optional[cst.BaseExpression]) -> bool:
        """The code bounds the list: bounded inputs, or a length test on them around this use."""
        if bounded(self.context, materialized):
            return True
        return inputs is not None and length_guarded(self.context, inputs)

    def _fix(self, node: cst.CSTNode, source: cst.BaseExpression) -> Optional[Replace]:
        if self._catches_index_error() or not builtin_available(self.context, "next", "iter"):
            return None
        if isinstance(source, cst.ListComp):
            if awaits_per_item(source):
                return None
            bare = cst.Call(cst.Name("next"), [cst.Arg(source)])
            call = sole_argument_call(bare, source, as_generator(source, sole_argument=True))
        else:
            call = cst.Call(cst.Name("next"), [cst.Arg(cst.Call(cst.Name("iter"), [cst.Arg(source)]))])
        return replace_keeping_comments(node, call)

    def _catches_index_error(self) -> bool:
        """Whether an enclosing ``try`` of this scope handles an empty list's IndexError."""
        path = self.context.ancestors
        for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
            if isinstance(parent, SCOPE_TYPES):
                return False
            if isinstance(parent, cst.Try) and child is parent.body:
                if any(_catches(self.context, handler) for handler in parent.handlers):
                    return True
        return False


def _catches(context: Context, handler: cst.ExceptHandler) -> bool:
    """A bare ``except``, or one naming IndexError, a base of it, or a name
    we cannot resolve (a tuple of exceptions in a variable, say)."""
    if handler.type is None:
        return True
    types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return any(context.qualified_name(t) in _CATCHES_INDEX_ERROR | {None} for t in types)


def _is_zero(index: cst.BaseSlice) -> bool:
    return isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) and index.value.value == "0"
