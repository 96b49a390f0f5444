from typing import Iterator, List, Optional

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.names import dotted_name
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid
from memlint.edits import replace_keeping_comments

from ._bounded import bounded
from ._iteration import Iteration, only_iterated
from ._rewrite import list_call_argument

_LAZY = ("builtins.map", "builtins.filter", "builtins.zip")
# What could change the source of a lazy iterator inside the loop body.
_CHANGES = m.Del() | m.AssignTarget() | m.AugAssign() | m.AnnAssign() | m.Call()


class ListOfIteratorIterated(Rule):
    """
    ## What it does
    Reports `list(map(...))`, `list(filter(...))` and `list(zip(...))` whose
    list is only iterated once: the iterable of a `for` loop or
    comprehension, directly or through a single-pass wrapper, or bound to a
    local name that the very next statement iterates (and nothing else
    uses).

    Not reported when the loop body may change what is mapped: it deletes
    from, assigns into, calls a method of, or passes on an iterable the
    `map`/`filter`/`zip` reads (`for k in list(filter(None, d)): del d[k]`
    needs the copy); nor when the list is kept, indexed, measured, sorted or
    reversed; nor when `list`, `map`, `filter` or `zip` is shadowed; nor
    where the code bounds the list (RULES.md, "Bounded by the code"): a
    transposition `zip(*rows)` of rows of a known width yields one tuple per
    column (`zip(*d.items())` yields two, and the `*` holds every row anyway).

    ## Why is this bad?
    `map`, `filter` and `zip` are already lazy iterators; wrapping them in
    `list(...)` computes and stores every result before the first iteration.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, 10^6 items,
    `for s in list(map(str, range(n)))`): peak traced memory 63 MB with the
    list, 0.0 MB without; time 0.49-0.91 s vs 0.30-0.63 s over two runs on
    a busy machine.

    ## Example
    ```python
    for name, size in list(zip(names, sizes)):
        report(name, size)
    ```

    ## Use instead
    ```python
    for name, size in zip(names, sizes):
        report(name, size)
    ```

    ## Fix safety
    The fix drops the `list(...)` call. It is unsafe: the mapped function now
    runs while the loop runs, one item at a time, so its side effects
    interleave with the body's, and a `break` (or an exception) leaves the
    remaining items unmapped. A body that visibly changes the mapped
    iterables is not reported at all; one that changes them through another
    reference is not detected. When the list was bound to a name, the fix is
    offered only when the loop is the next statement. No fix is offered when
    a comment would be lost.

    ## References
    - [map](https://docs.python.org/3/library/functions.html#map)
    - [zip](https://docs.python.org/3/library/functions.html#zip)
    """

    code = "MEM206"
    name = "list-of-iterator-iterated"
    message = "list({func}(...)) is only iterated: iterate the {func} object directly"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # The lazy call is reported only when it spells `map`, `filter` or `zip`.
    triggers = ("map", "filter", "zip")

    VALID = [
        Valid("for k in list(filter(None, d)):\n    del d[k]\n"),
        Valid("pairs = list(zip(a, b))\nfor p in pairs:\n    print(p)\nprint(pairs)\n"),
        Valid("def map(f, xs):\n    return xs\n\nfor x in list(map(str, items)):\n    print(x)\n"),
        Valid(
            """
            def f(items):
                names = list(map(str, items))
                items.clear()
                for n in names:
                    print(n)
            """
        ),
    ]
    INVALID = [
        Invalid(
            "for name, size in list(zip(names, sizes)):\n    print(name, size)\n",
            line=1,
            column=19,
            message="list(zip(...))",
            fixed="for name, size in zip(names, sizes):\n    print(name, size)\n",
        ),
        Invalid(
            "for x in list(map(str, items)):\n    print(items[0], x)\n",
            line=1,
            column=10,
            fixed="for x in map(str, items):\n    print(items[0], x)\n",
        ),
        Invalid(
            """
            def show(items):
                names = list(map(str, items))
                for n in names:
                    print(n)
            """,
            line=2,
            column=13,
            fixed="""
            def show(items):
                names = map(str, items)
                for n in names:
                    print(n)
            """,
        ),
        Invalid(
            """
            for x in list(  # keep this comment
                map(str, items)
            ):
                print(x)
            """,
            line=1,
            column=10,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Name) and node.func.value == "list"):
            return  # cheap precheck before resolving names
        inner = list_call_argument(self.context, node)
        if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name)):
            return
        if inner.func.value not in ("map", "filter", "zip") or not self.context.matches(inner, *_LAZY):
            return
        if bounded(self.context, inner):
            return
        iteration = only_iterated(self.context, self.context.ancestors)
        if iteration is None or not iteration.adjacent or _changes_sources(iteration, inner):
            return
        self.report(node, replace_keeping_comments(node, inner), func=inner.func.value)


def _changes_sources(iteration: Iteration, lazy: cst.Call) -> bool:
    """Whether the loop body may change an iterable the lazy call reads."""
    sources = [name for name in _source_names(lazy) if name is not None]
    if len(sources) != len(_iterable_args(lazy)):
        return True  # an iterable we cannot name (a call result is fine, see below)
    for part in iteration.body:
        for node in m.findall(part, _CHANGES):
            if any(dotted_name(expr) in sources for expr in _changed_exprs(node)):
                return True
    return False


def _iterable_args(lazy: cst.Call) -> List[cst.Arg]:
    positional = [a for a in lazy.args if a.keyword is None]
    skip = 0 if dotted_name(lazy.func) == "zip" else 1
    return positional[skip:]


def _source_names(lazy: cst.Call) -> Iterator[Optional[str]]:
    """The dotted name each iterable argument reads (``d`` for ``d.items()``);
    an iterable that is a fresh call result (``range(n)``) reads nothing
    the body could name, so it gets a placeholder that matches nothing."""
    for arg in _iterable_args(lazy):
        value = arg.value
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            value = value.func.value  # a view or method result of its receiver
        if isinstance(value, cst.Call):
            yield "()"
        else:
            yield dotted_name(value)


def _changed_exprs(node: cst.CSTNode) -> List[cst.CSTNode]:
    """What a statement or call may change: a target and everything in it,
    a method's receiver, an argument passed as a whole (not ``f(d[k])``)."""
    if isinstance(node, (cst.Del, cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
        return [node.target, *m.findall(node.target, m.Name() | m.Attribute())]
    if not isinstance(node, cst.Call):
        return []
    changed: List[cst.CSTNode] = [a.value for a in node.args]
    receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
    while isinstance(receiver, (cst.Attribute, cst.Subscript)):
        changed.append(receiver)
        receiver = receiver.value
    return changed + ([receiver] if receiver is not None else [])
