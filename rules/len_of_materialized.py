from typing import Optional

import libcst as cst
from memlint.lazy_matchers import m

from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.edits import replace_keeping_comments

from ._bounded import bounded
from ._rewrite import builtin_available, awaits_per_item, iterable_operand, list_call_argument, sole_argument_call

# Element expressions that may do something: dropping them changes behaviour.
_EFFECTS = m.Call() | m.Await() | m.Yield() | m.NamedExpr()


class LenOfMaterialized(Rule):
    """
    ## What it does
    Reports counting items by building a list: `len(list(it))` and
    `len([... for ...])`.

    Not reported when the code bounds what is counted (RULES.md, "Bounded by
    the code"): a literal display, a range of constants, `islice(it, 2)`,
    `s.split(sep, 2)`, `x[:49]`, or an attribute assigned one of those by the
    statement just before (`self.history = [n] + self.history[:49]`).

    ## Why is this bad?
    Every item is stored only to be counted. `sum(1 for _ in it)` counts in
    constant memory (and when `it` is a sequence or a dict, `len(it)` needs
    no pass at all).

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, 10^6 strings of
    which a third are empty, `len([s for s in strings if s])`): peak traced
    memory 5.9 MB with the list, 0.0 MB with `sum(1 for ...)`; time
    0.03-0.08 s vs 0.05-0.15 s over two runs: counting with a generator is
    about 1.5-2x *slower*. This rule sells memory, not speed.

    ## Example
    ```python
    matches = len([line for line in lines if "ERROR" in line])
    n = len(list(reader))
    ```

    ## Use instead
    ```python
    matches = sum(1 for line in lines if "ERROR" in line)
    n = sum(1 for _ in reader)
    ```

    ## Fix safety
    The fix counts with `sum(1 for ...)`, keeping the comprehension's `for`
    and `if` clauses. It is offered only when the comprehension's element
    expression has no call, `await`, `yield` or `:=` (it is no longer
    evaluated), when the comprehension is not `async`, when `sum` is not
    shadowed, and when no comment would be lost. It is unsafe: for a sized
    container the count is now a full pass (slower), and an element
    expression that raises (an attribute error, say) no longer does.

    ## Known problems
    Tests that check what `list(x)` produces (`assertEqual(len(list(r)), 0)`
    in CPython's `test_range.py`) are reported, and the fix would stop them
    exercising `list()`; keep such lines with `# noqa: MEM209`.

    ## References
    - [len](https://docs.python.org/3/library/functions.html#len)
    - [sum](https://docs.python.org/3/library/functions.html#sum)
    """

    code = "MEM209"
    name = "len-of-materialized"
    message = "a list is built only to be counted: count with sum(1 for ...)"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # Only a call spelled `len(...)` is reported (an alias such as
    # `from builtins import len as size` is not), so `len` is in the file.
    triggers = ("len",)

    VALID = [
        Valid("n = len(items)\n"),
        Valid("n = len(sorted(items))\n"),
        Valid("from itertools import islice\n\nat_most_one = len(list(islice(groups, 2))) <= 1\n"),
        Valid("def len(x):\n    return 0\n\nn = len(list(items))\n"),
    ]
    INVALID = [
        Invalid(
            'matches = len([line for line in lines if "ERROR" in line])\n',
            line=1,
            column=11,
            fixed='matches = sum(1 for line in lines if "ERROR" in line)\n',
        ),
        Invalid(
            "n = len(list(reader))\n",
            line=1,
            column=5,
            fixed="n = sum(1 for _ in reader)\n",
        ),
        Invalid("n = len([f(x) for x in xs])\n", line=1, column=5),
        Invalid("def f(sum):\n    return len(list(xs))\n", line=2, column=12),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Name) and node.func.value == "len" and len(node.args) == 1):
            return
        arg = node.args[0]
        if arg.keyword is not None or arg.star:
            return
        value = arg.value
        if isinstance(value, cst.ListComp):
            counted: Optional[cst.BaseExpression] = value
        else:
            counted = list_call_argument(self.context, value)
        if counted is None or bounded(self.context, counted) or not self.context.matches(node, "builtins.len"):
            return
        self.report(node, self._fix(node, counted))

    def _fix(self, node: cst.Call, counted: cst.BaseExpression) -> Optional[Replace]:
        if not builtin_available(self.context, "sum"):
            return None
        if isinstance(counted, cst.ListComp):
            if awaits_per_item(counted) or m.findall(counted.elt, _EFFECTS):
                return None
            for_in = counted.for_in
        else:
            for_in = cst.CompFor(target=cst.Name("_"), iter=iterable_operand(counted))
        generator = cst.GeneratorExp(elt=cst.Integer("1"), for_in=for_in, lpar=[], rpar=[])
        if isinstance(counted, cst.ListComp):  # the count keeps the list's layout
            counting = sole_argument_call(node, counted, generator).with_changes(func=cst.Name("sum"))
            return replace_keeping_comments(node, counting)
        return replace_keeping_comments(node, cst.Call(cst.Name("sum"), [cst.Arg(generator)]))
