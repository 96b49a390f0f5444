import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid
from memlint.edits import replace_keeping_comments

from ._bounded import bounded
from ._iteration import only_iterated
from ._rewrite import list_call_argument


class ListOfRangeIterated(Rule):
    """
    ## What it does
    Reports `list(range(...))` used only as the iterable of a `for` loop or a
    comprehension, directly or through a single-pass wrapper in the header
    (`enumerate(list(range(n)), 1)`, `zip(list(range(n)), ys)`,
    `itertools.islice(...)`, `itertools.chain(...)`), or bound to a local
    name whose only use is one such loop later in the same block
    (`ids = list(range(n))` then `for i in ids:`).

    It is not reported when the list is kept (used again), indexed,
    measured, or passed to anything that needs a sequence (`reversed`,
    `sorted`, `len`), nor when the module shadows `list` or `range`, nor for
    a range of constants with at most 1,000 items (`list(range(3))`: the code
    fixes its size, RULES.md "Bounded by the code").

    ## Why is this bad?
    A `range` is a lazy sequence of constant size (48 bytes). `list(range(n))`
    allocates a list of `n` integers (about 8 bytes per slot plus the int objects
    beyond the small-int cache): 10^6 items cost about 40 MB, only to be thrown
    away after one pass. Measured by `benchmarks/mem2_memory.py` (CPython
    3.11, `for i in list(range(10**6))`): peak traced memory 40.0 MB with
    the list, 0.0 MB with the `range`; time 0.15 s vs 0.07-0.08 s.

    ## Example
    ```python
    for i in list(range(len(items))):
        process(items[i])
    ```

    ## Use instead
    ```python
    for i in range(len(items)):
        process(items[i])
    ```

    ## Fix safety
    The fix removes the `list(...)` call and is safe: iterating a `range`
    yields exactly the values iterating the list would, and since the list was
    a fresh object used only by the loop header, nothing else could observe or
    mutate it. When the list was bound to a name first, the name now holds the
    `range`; its only use is the one loop, which sees the same values (a
    `range`'s bounds are evaluated once, when it is created). No fix is offered when a comment sits inside the `list(...)`
    call but outside the `range(...)` (it would be lost).

    ## Known problems
    Code that builds the list on purpose so that a later loop allocates
    nothing new (CPython's own `test/libregrtest/refleak.py` pre-allocates
    `rep_range = list(range(repcount))` before counting allocations) is
    reported too: iterating a `range` creates the int objects during the
    loop. Silence such a line with `# noqa: MEM202`.

    ## References
    - [range](https://docs.python.org/3/library/stdtypes.html#range)
    """

    code = "MEM202"
    name = "list-of-range-iterated"
    message = "list(range(...)) is only iterated: iterate the range directly"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    # A reported call's argument resolves to the builtin `range`, which the
    # file spells (`range(...)`, `builtins.range(...)`, or the import of an alias).
    triggers = ("range",)

    VALID = [
        Valid("numbers = list(range(n))\nfor n in numbers:\n    numbers[n] += 1\n"),
        Valid("for n in reversed(list(range(n))):\n    print(n)\n"),
        Valid("for n in list(range(3)):\n    print(n)\n"),
        # Bound to a name used more than once, or iterated more than once.
        Valid(
            """
            def f(n):
                ids = list(range(n))
                for i in ids:
                    print(i)
                return ids
            """
        ),
        # Bound twice: which value the loop sees depends on the branch.
        Valid(
            """
            def f(n, flag):
                if flag:
                    ids = list(range(n))
                else:
                    ids = []
                for i in ids:
                    print(i)
            """
        ),
    ]
    INVALID = [
        Invalid(
            "for i in list(range(len(items))):\n    process(items[i])\n",
            line=1,
            column=10,
            fixed="for i in range(len(items)):\n    process(items[i])\n",
        ),
        Invalid(
            "for n, i in enumerate(list(range(3, n)), 1):\n    pass\n",
            line=1,
            column=23,
            fixed="for n, i in enumerate(range(3, n), 1):\n    pass\n",
        ),
        Invalid(
            """
            def f(n):
                ids = list(range(n))  # all of them
                print("start")
                for i in enumerate(ids, 1):
                    print(i)
            """,
            line=2,
            column=11,
            fixed="""
            def f(n):
                ids = range(n)  # all of them
                print("start")
                for i in enumerate(ids, 1):
                    print(i)
            """,
        ),
        Invalid(
            """
            for i in list(  # a comment here would be lost
                range(size)
            ):
                pass
            """,
            line=1,
            column=10,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Name) and node.func.value == "list"):
            return  # cheap precheck before resolving names
        inner = list_call_argument(self.context, node)
        if not (isinstance(inner, cst.Call) and self.context.matches(inner, "builtins.range")):
            return
        if bounded(self.context, inner):
            return
        if only_iterated(self.context, self.context.ancestors) is None:
            return
        self.report(node, replace_keeping_comments(node, inner))
