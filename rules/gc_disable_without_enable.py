from typing import List, Optional, Sequence, Union

import libcst as cst
import libcst.matchers as m

from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid

Block = Union[cst.Module, cst.IndentedBlock]


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
            from contextlib import contextmanager

            @contextmanager
            def no_gc():
                gc.disable()
                try:
                    yield
                finally:
                    gc.enable()
            """
        ),
        Valid(
            """
            import gc

            def f():
                try:
                    gc.disable()
                    work()
                finally:
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
                if fast:
                    disable()
                work()
            """,
            line=5,
            column=9,
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

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.matches(node, "gc.disable"):
            return
        if self._enabled_in_finally() or self._paired_exit():
            return
        self.report(node, self._fix(node))

    def _enabled_in_finally(self) -> bool:
        """An enclosing try, or a try after the statement in any enclosing
        block (up to the function), re-enables in its finally."""
        path = self.context.ancestors
        for index in range(len(path) - 2, -1, -1):
            ancestor, child = path[index], path[index + 1]
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and child is ancestor.body:
                if ancestor.finalbody is not None and self._has_enable(ancestor.finalbody):
                    return True
            if isinstance(ancestor, (cst.Module, cst.IndentedBlock)):
                if any(self._is_enabling_try(s) for s in _statements_after(ancestor, child)):
                    return True
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
        return False

    def _is_enabling_try(self, statement: cst.CSTNode) -> bool:
        return (
            isinstance(statement, (cst.Try, cst.TryStar))
            and statement.finalbody is not None
            and self._has_enable(statement.finalbody)
        )

    def _has_enable(self, tree: cst.CSTNode) -> bool:
        return any(
            self.context.matches(call, "gc.enable")
            for call in m.findall(tree, m.Call())
        )

    def _paired_exit(self) -> bool:
        found = self.context.enclosing_method_class()
        if found is None or found[1].name.value != "__enter__":
            return False
        return any(
            isinstance(statement, cst.FunctionDef)
            and statement.name.value == "__exit__"
            and self._has_enable(statement)
            for statement in found[0].body.body
        )

    def _fix(self, call: cst.Call) -> Optional[Replace]:
        path = self.context.ancestors
        # Call <- Expr <- SimpleStatementLine <- block <- function or module
        if len(path) < 4 or not m.matches(path[-2], m.Expr()) or len(path[-3].body) != 1:
            return None
        line, block = path[-3], path[-4]
        owner = path[-5] if len(path) >= 5 else None
        if not (isinstance(block, cst.Module) or isinstance(owner, cst.FunctionDef)):
            return None
        rest = _statements_after(block, line)
        enable = next((c for s in rest for c in m.findall(s, m.Call()) if self.context.matches(c, "gc.enable")), None)
        if enable is None:
            return None  # no enable follows: the code may mean to leave it off
        before = list(block.body[: len(block.body) - len(rest)])
        guarded = cst.Try(
            body=cst.IndentedBlock(body=rest),
            finalbody=cst.Finally(
                body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Call(func=enable.func))])])
            ),
        )
        return Replace(block, block.with_changes(body=before + [guarded]))


def _statements_after(block: cst.CSTNode, statement: cst.CSTNode) -> List[cst.CSTNode]:
    body: Sequence[cst.CSTNode] = getattr(block, "body", ())
    for index, item in enumerate(body):
        if item is statement:
            return list(body[index + 1:])
    return []
