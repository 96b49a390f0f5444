from typing import Any, List, Mapping, NamedTuple, Optional, Set, Tuple

import libcst as cst

from memlint.analysis.blocks import statement_site, statements_after
from memlint.analysis.functions import enclosing_function
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid


class Disable(NamedTuple):
    """A `gc.disable()` call, decided once the whole module is seen (the
    `gc.enable()` that pairs with it comes later)."""

    call: cst.Call
    path: Tuple[cst.CSTNode, ...]  # module ... the call
    entered: Optional[cst.ClassDef]  # the class, when the call is in its `__enter__`


class GcDisableWithoutEnable(Rule):
    """
    ## What it does
    Reports `gc.disable()` when the code does not re-enable the collector in a
    `finally` block: neither an enclosing `try` nor a `try` later in the same
    block has `gc.enable()` in its `finally` (anywhere in it, also under a
    condition such as `if was_enabled: gc.enable()`). A `gc.disable()` in a
    class's `__enter__` is fine when the same class's `__exit__` calls
    `gc.enable()`.

    ## Why is this bad?
    While the cyclic collector is disabled, every reference cycle the program
    creates is kept until it is enabled again. If an exception skips the
    `gc.enable()`, the collector stays off for the rest of the process and
    memory grows without bound.

    ## Example
    ```python
    import gc

    def build_index(rows):
        gc.disable()
        index = {row.key: row for row in rows}
        gc.enable()
        return index
    ```

    ## Use instead
    ```python
    import gc

    def build_index(rows):
        gc.disable()
        try:
            index = {row.key: row for row in rows}
            gc.enable()
            return index
        finally:
            gc.enable()
    ```

    ## Fix safety
    The fix wraps the statements that follow `gc.disable()` in its function
    (or module) body in `try: ... finally: gc.enable()`, spelling the call like
    the `gc.enable()` those statements already contain. It is offered only when
    `gc.disable()` is a statement of its own directly in a function or module
    body and a later statement of that body re-enables the collector, so the
    code evidently means the collector to be on again when the body ends. It
    is unsafe all the same: the `finally` also runs on early `return`s, which
    the original code may have meant to leave with the collector off.

    ## References
    - [gc.disable](https://docs.python.org/3/library/gc.html#gc.disable)
    """

    code = "MEM601"
    name = "gc-disable-without-enable"
    triggers = ("gc",)
    message = "gc.disable() without gc.enable() in a finally block: an exception leaves the collector off"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid(
            """
            import gc

            def f():
                gc.disable()
                try:
                    work()
                finally:
                    gc.enable()
            """
        ),
        Valid(
            """
            import gc

            def f():
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    work()
                finally:
                    if was_enabled:
                        gc.enable()
            """
        ),
        Valid(
            """
            import gc

            class NoGC:
                def __enter__(self):
                    gc.disable()
                    return self

                def __exit__(self, *exc):
                    gc.enable()
            """
        ),
        Valid(
            """
            def f(gc):
                gc.disable()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import gc

            def build(rows):
                gc.disable()
                index = dict(rows)
                gc.enable()
                return index
            """,
            line=4,
            column=5,
            fixed="""
            import gc

            def build(rows):
                gc.disable()
                try:
                    index = dict(rows)
                    gc.enable()
                    return index
                finally:
                    gc.enable()
            """,
        ),
        Invalid(
            """
            import gc as _gc

            _gc.disable()
            main()
            """,
            line=3,
            column=1,
        ),
        Invalid(
            """
            from gc import disable, enable

            def f():
                disable()
                work()
                enable()
            """,
            line=4,
            column=5,
            fixed="""
            from gc import disable, enable

            def f():
                disable()
                try:
                    work()
                    enable()
                finally:
                    enable()
            """,
        ),
        Invalid(
            """
            import gc

            class NoGC:
                def __enter__(self):
                    gc.disable()
            """,
            line=5,
            column=9,
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._disables: List[Disable] = []
        self._enables: List[Tuple[cst.Call, Set[int]]] = []  # each with the ids of its ancestors

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node, "gc.enable"):
            self._enables.append((node, {id(ancestor) for ancestor in self.context.ancestors}))
        elif self.context.matches(node, "gc.disable"):
            function = enclosing_function(self.context)
            entered = function.owner if function is not None and function.node.name.value == "__enter__" else None
            self._disables.append(Disable(node, tuple(self.context.ancestors), entered))

    def leave_Module(self, original_node: cst.Module) -> None:
        for disable in self._disables:
            if not (self._enabled_in_finally(disable.path) or self._paired_exit(disable.entered)):
                self.report(disable.call, self._fix(disable.path))

    def _enabled_in_finally(self, path: Tuple[cst.CSTNode, ...]) -> bool:
        """An enclosing try, or a try after the statement in any enclosing
        block (up to the function), re-enables in its finally."""
        for index in range(len(path) - 2, -1, -1):
            ancestor, child = path[index], path[index + 1]
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and child is ancestor.body and self._is_enabling_try(ancestor):
                return True
            if any(self._is_enabling_try(statement) for statement in statements_after(ancestor, child)):
                return True
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
        return False

    def _is_enabling_try(self, statement: cst.CSTNode) -> bool:
        return (
            isinstance(statement, (cst.Try, cst.TryStar))
            and statement.finalbody is not None
            and self._first_enable([statement.finalbody]) is not None
        )

    def _first_enable(self, nodes: List[cst.CSTNode]) -> Optional[cst.Call]:
        """The first `gc.enable()` in ``nodes``, in source order."""
        inside = {id(node) for node in nodes}
        return next((call for call, ancestors in self._enables if not inside.isdisjoint(ancestors)), None)

    def _paired_exit(self, cls: Optional[cst.ClassDef]) -> bool:
        """The class whose `__enter__` disables re-enables in its `__exit__`."""
        return cls is not None and any(
            isinstance(statement, cst.FunctionDef)
            and statement.name.value == "__exit__"
            and self._first_enable([statement]) is not None
            for statement in cls.body.body
        )

    def _fix(self, path: Tuple[cst.CSTNode, ...]) -> Optional[Replace]:
        site = statement_site(path)
        if site is None or not isinstance(site.statement, cst.Expr) or site.statement.value is not path[-1]:
            return None  # `gc.disable()` is not a statement of its own
        in_body = isinstance(site.block, cst.Module) or (
            isinstance(site.scope, cst.FunctionDef) and site.block is site.scope.body
        )
        rest = statements_after(site.block, site.line)
        enable = self._first_enable(rest) if in_body else None
        if enable is None:
            return None  # no enable follows: the code may mean to leave it off
        before = list(site.block.body[: len(site.block.body) - len(rest)])
        guarded = cst.Try(
            body=cst.IndentedBlock(body=rest),  # type: ignore[arg-type]
            finalbody=cst.Finally(
                body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Call(func=enable.func))])])
            ),
        )
        return Replace(site.block, site.block.with_changes(body=before + [guarded]))
