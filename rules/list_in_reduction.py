from typing import Optional

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.names import last_name
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.edits import replace_keeping_comments

from ._bounded import bounded
from ._rewrite import as_generator, awaits_per_item, sole_argument_call

# Consumers that iterate their argument once, and how many positional
# arguments they may have for the first one to be that iterable.
_REDUCERS = {
    "sum": 2,
    "min": 1,
    "max": 1,
    "any": 1,
    "all": 1,
    "set": 1,
    "frozenset": 1,
    "dict": 1,
}
# Under `any`/`all` a list forces every element's call to run, which code may
# want (validate every form to collect every error); calls to these builtins
# cannot be wanted for their effects.
_SHORT_CIRCUITING = ("any", "all")
_PURE_BUILTINS = frozenset(
    f"builtins.{name}"
    for name in (
        "isinstance", "issubclass", "len", "hasattr", "callable", "bool", "int", "float", "str", "abs",
        "ord", "chr", "type", "id", "min", "max", "round", "repr",
    )
)
# Methods of str and dict that only read their receiver.
_PURE_METHODS = frozenset({
    "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isidentifier",
    "isnumeric", "isdecimal", "lower", "upper", "strip", "lstrip", "rstrip", "casefold", "find", "count", "get",
})


class ListInReduction(Rule):
    """
    ## What it does
    Reports a list comprehension passed to a builtin that consumes it in one
    pass: `sum`, `any`, `all`, `min`, `max`, `set`, `frozenset`, `dict`. In
    an `async` function a comprehension over an awaited iterable is reported
    too (`any([f(x) for x in await g()])`): a generator evaluates its
    outermost iterable at once, so it stays a plain generator.

    Not reported: `tuple(...)` (the list is the size of the result, and
    `tuple(list)` is faster than `tuple(genexpr)`); `str.join` (it builds a
    list from a generator anyway), `sorted`, `list`, `statistics.*` and other
    calls that need a sequence; list displays (`min([a, b])`); `min`/`max`
    with several positional arguments (the list is then one of the values
    compared); comprehensions with `async for` or an `await` per item (a
    generator would become an async generator); comprehensions over inputs
    whose size the code fixes (a literal display, `range(3)`, a table of
    constants: RULES.md, "Bounded by the code"); `any`/`all` over elements
    that call anything but a pure builtin or a reading `str` method
    (`all([form.is_valid() for form in forms])` runs every validation on
    purpose, a generator would stop at the first failure); a module that
    defines or imports its own `sum`, `min`, ...

    ## Why is this bad?
    The list holds every element at once only to be reduced to one value:
    `sum([row.size for row in rows])` over 10^6 rows allocates a list of 10^6
    references (8 MB) plus the element objects, all alive together. A
    generator expression hands one element at a time to the consumer.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, 10^6 items,
    `sum([i * 2 for i in range(n)])`): peak traced memory 40.4 MB with the
    list, 0.0 MB with the generator; time 0.14 s vs 0.10-0.13 s over two
    runs on a busy 2-core machine. That the generator won here is not the
    rule: a generator is often *slower* than a list comprehension, notably
    on small inputs (`len` of a comprehension, MEM209, measured 0.03 s vs
    0.05 s), while `any`/`all` can be much faster because they stop early.
    This rule sells memory, not speed.

    ## Example
    ```python
    total = sum([row.size for row in rows])
    biggest = max([len(line) for line in lines], default=0)
    ```

    ## Use instead
    ```python
    total = sum(row.size for row in rows)
    biggest = max((len(line) for line in lines), default=0)
    ```

    ## Fix safety
    The fix turns the list comprehension into a generator expression, with
    parentheses when the call has other arguments
    (`sum((x for x in y), start)`). Comments inside the brackets move with
    them; when one cannot be kept, no fix is offered. It is unsafe: the
    elements are now computed while the consumer runs, so side effects of
    the element expression interleave differently, and `any`/`all`/`min`
    with a short-circuit or an exception stop evaluating the remaining
    elements, whose side effects then never happen.

    ## References
    - [Generator expressions](https://docs.python.org/3/reference/expressions.html#generator-expressions)
    - [PEP 289](https://peps.python.org/pep-0289/)
    """

    code = "MEM201"
    name = "list-in-reduction"
    message = "list comprehension passed to {func}(): pass a generator expression instead"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # Only a call that spells the builtin's name is reported (`sum(...)`,
    # `builtins.max(...)`; not an alias such as `from builtins import sum as s`),
    # so a file without any of these words has nothing to report.
    triggers = tuple(_REDUCERS)

    VALID = [
        Valid('text = ", ".join([str(x) for x in items])\n'),
        Valid("smallest = min([a, b])\n"),
        Valid("keys = tuple([row.key for row in rows])\n"),
        Valid("total = sum([size(k) for k in (1, 2, 4)])\n"),
        Valid("ok = all([form.is_valid() for form in forms])\n"),
        Valid("async def f(g):\n    return any([await h(x) for x in g])\n"),
    ]
    INVALID = [
        Invalid(
            "total = sum([row.size for row in rows])\n",
            line=1,
            column=9,
            message="sum()",
            fixed="total = sum(row.size for row in rows)\n",
        ),
        Invalid(
            "total = sum([row.size for row in rows], 10)\n",
            line=1,
            column=9,
            fixed="total = sum((row.size for row in rows), 10)\n",
        ),
        Invalid(
            """
            def check(rows):
                if all([  # every row must be valid
                    row.ok for row in rows
                ]):
                    return rows
            """,
            line=2,
            column=8,
            fixed="""
            def check(rows):
                if all(  # every row must be valid
                    row.ok for row in rows
                ):
                    return rows
            """,
        ),
        Invalid(
            "async def f(g):\n    return any([x.startswith('a') for x in await g()])\n",
            line=2,
            column=12,
            fixed="async def f(g):\n    return any(x.startswith('a') for x in await g())\n",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        short = last_name(node)
        if short not in _REDUCERS or not node.args:
            return
        first = node.args[0]
        if not isinstance(first.value, cst.ListComp) or first.keyword is not None or first.star:
            return
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) > _REDUCERS[short] or any(a.star for a in node.args):
            return
        comp = first.value
        if awaits_per_item(comp) or bounded(self.context, comp) or not self.context.matches(node, f"builtins.{short}"):
            return
        if short in _SHORT_CIRCUITING and self._calls_for_effect(comp):
            return
        self.report(node, self._fix(node, comp), func=short)

    def _calls_for_effect(self, comp: cst.ListComp) -> bool:
        """Whether the element calls something other than a pure builtin: the
        list may be there to make every call run (a generator under ``any``/
        ``all`` stops at the first decisive element)."""
        calls = m.findall(comp.elt, m.Call())
        return not all(self._pure(call.func) for call in calls)  # type: ignore[attr-defined]

    def _pure(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute):
            return func.attr.value in _PURE_METHODS
        return self.context.qualified_name(func) in _PURE_BUILTINS

    def _fix(self, call: cst.Call, comp: cst.ListComp) -> Optional[Replace]:
        if len(call.args) == 1 and not comp.lpar:
            new_call = sole_argument_call(call, comp, as_generator(comp, sole_argument=True))
        else:
            first = call.args[0].with_changes(value=as_generator(comp, sole_argument=False))
            new_call = call.with_changes(args=[first, *call.args[1:]])
        return replace_keeping_comments(call, new_call)
