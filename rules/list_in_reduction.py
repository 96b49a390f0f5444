from typing import Optional

import libcst as cst

from memlint.analysis.names import last_name
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.edits import replace_keeping_comments

from ._rewrite import as_generator, is_async, sole_argument_call

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
    "tuple": 1,
    "dict": 1,
}


class ListInReduction(Rule):
    """
    ## What it does
    Reports a list comprehension passed to a builtin that consumes it in one
    pass: `sum`, `any`, `all`, `min`, `max`, `set`, `frozenset`, `tuple`,
    `dict`.

    Not reported: `str.join` (it builds a list from a generator anyway),
    `sorted`, `list`, `statistics.*` and other calls that need a sequence;
    list displays (`min([a, b])`); `min`/`max` with several positional
    arguments (the list is then one of the values compared); comprehensions
    that use `async for` or `await` (a generator would become an async
    generator); a module that defines or imports its own `sum`, `min`, ...

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
        Valid("ordered = sorted([x.key for x in items])\n"),
        Valid("smallest = min([a, b])\n"),
        Valid("def sum(values):\n    return 0\n\ntotal = sum([x for x in items])\n"),
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
            "found = any([  # a\n    x for x in xs  # b\n    ]  # c\n)\n",
            line=1,
            column=9,
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
        if is_async(first.value) or not self.context.matches(node, f"builtins.{short}"):
            return
        self.report(node, self._fix(node, first.value), func=short)

    def _fix(self, call: cst.Call, comp: cst.ListComp) -> Optional[Replace]:
        if len(call.args) == 1 and not comp.lpar:
            new_call = sole_argument_call(call, comp, as_generator(comp, sole_argument=True))
        else:
            first = call.args[0].with_changes(value=as_generator(comp, sole_argument=False))
            new_call = call.with_changes(args=[first, *call.args[1:]])
        return replace_keeping_comments(call, new_call)
