from typing import Any, List, Mapping, NamedTuple, Optional, Tuple

import libcst as cst

from memlint.analysis.blocks import following_statements, statement_site, statements_after
from memlint.analysis.functions import enclosing_function
from memlint.context import Context
from memlint.rule import Applicability, Edit, FixAvailability, Invalid, Rule, Valid

from ._gc import Call, first_in, restore_fix, restores_on_error


class Disable(NamedTuple):
    """A `gc.disable()` call, decided once the whole module is seen (the
    `gc.enable()` that pairs with it comes later)."""

    call: cst.Call
    path: Tuple[cst.CSTNode, ...]  # module ... the call
    entered: Optional[cst.ClassDef]  # the class, when the call is in its `__enter__`


class GcDisableWithoutEnable(Rule):
    """
    ## What it does
    Reports `gc.disable()` when the code does not re-enable the collector on
    every path out of the block: neither an enclosing `try` nor a `try` later
    in the same block has `gc.enable()` in its `finally` (anywhere in it, also
    under a condition such as `if was_enabled: gc.enable()`) or in an `except
    BaseException:` (or bare `except:`) that re-raises, beside an enable on
    the normal path. A `gc.disable()` in a class's `__enter__` is fine when the
    same class's `__exit__` calls `gc.enable()`.

    Not reported: a `gc.disable()` that is the last thing its function does
    (nothing but a bare `return` after it), such as the handler of a
    `--disable-gc` option: switching the collector off is then the function's
    purpose, and no exception can come between it and the return.

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
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            index = {row.key: row for row in rows}
            gc.enable()
            return index
        finally:
            if was_enabled:
                gc.enable()
    ```

    ## Fix safety
    The fix wraps the statements after `gc.disable()` in its function (or
    module) body in `try/finally` restoring the collector's earlier state:
    `if was_enabled: gc.enable()`, with the name the code binds to
    `gc.isenabled()` right before the disable, else saving it first under a
    free name (spelled like the code's `gc.enable()`; `from gc import
    isenabled` is added for a bare `enable()`). It never enables the
    collector unconditionally: a program that runs with it off keeps it off.
    It is offered only when `gc.disable()` is a statement directly in a
    function or module body, a later statement of that body re-enables the
    collector, and the function reads `gc.isenabled()` nowhere else. It is
    unsafe all the same: the `finally` also runs on early `return`s, which the
    code may have meant to leave with the collector off.

    ## References
    - [gc.disable](https://docs.python.org/3/library/gc.html#gc.disable)
    - [gc.isenabled](https://docs.python.org/3/library/gc.html#gc.isenabled)
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
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    work()
                finally:
                    if was_enabled:
                        gc.enable()
            """
        ),
        # the except re-enables and re-raises, the normal path enables after the try
        Valid(
            """
            import gc

            def f():
                gc.disable()
                try:
                    work()
                except BaseException:
                    gc.enable()
                    raise
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
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    index = dict(rows)
                    gc.enable()
                    return index
                finally:
                    if was_enabled:
                        gc.enable()
            """,
        ),
        # the saved state is restored, but not on the exception path
        Invalid(
            """
            import gc

            def build(rows):
                enabled = gc.isenabled()
                gc.disable()
                index = dict(rows)
                if enabled:
                    gc.enable()
                return index
            """,
            line=5,
            column=5,
            fixed="""
            import gc

            def build(rows):
                enabled = gc.isenabled()
                gc.disable()
                try:
                    index = dict(rows)
                    if enabled:
                        gc.enable()
                    return index
                finally:
                    if enabled:
                        gc.enable()
            """,
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._disables: List[Disable] = []
        self._enables: List[Call] = []
        self._saves: List[Call] = []  # `gc.isenabled()`

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node, "gc.enable"):
            self._enables.append(Call(node, {id(ancestor) for ancestor in self.context.ancestors}))
        elif self.context.matches(node, "gc.isenabled"):
            self._saves.append(Call(node, {id(ancestor) for ancestor in self.context.ancestors}))
        elif self.context.matches(node, "gc.disable"):
            function = enclosing_function(self.context)
            entered = function.owner if function is not None and function.node.name.value == "__enter__" else None
            self._disables.append(Disable(node, tuple(self.context.ancestors), entered))

    def leave_Module(self, original_node: cst.Module) -> None:
        for disable in self._disables:
            if disable.entered is None and _last_in_function(disable.path):
                continue  # the function's purpose is to switch the collector off
            if not (self._restored(disable.path) or self._paired_exit(disable.entered)):
                self.report(disable.call, self._fix(disable.path))

    def _restored(self, path: Tuple[cst.CSTNode, ...]) -> bool:
        """An enclosing try, or a try after the statement in any enclosing
        block (up to the function), re-enables on every path."""
        for index in range(len(path) - 2, -1, -1):
            ancestor, child = path[index], path[index + 1]
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and child is ancestor.body:
                if restores_on_error(self._enables, ancestor, path[:index + 1]):
                    return True
            later = statements_after(ancestor, child)
            if any(restores_on_error(self._enables, s, (*path[:index + 1], s)) for s in later):
                return True
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
        return False

    def _paired_exit(self, cls: Optional[cst.ClassDef]) -> bool:
        """The class whose `__enter__` disables re-enables in its `__exit__`."""
        return cls is not None and any(
            isinstance(statement, cst.FunctionDef)
            and statement.name.value == "__exit__"
            and first_in(self._enables, [statement]) is not None
            for statement in cls.body.body
        )

    def _fix(self, path: Tuple[cst.CSTNode, ...]) -> Optional[List[Edit]]:
        site = statement_site(path)
        if site is None or not isinstance(site.statement, cst.Expr) or site.statement.value is not path[-1]:
            return None  # `gc.disable()` is not a statement of its own
        in_body = isinstance(site.block, cst.Module) or (
            isinstance(site.scope, cst.FunctionDef) and site.block is site.scope.body
        )
        enable = first_in(self._enables, statements_after(site.block, site.line)) if in_body else None
        if enable is None:
            return None  # no enable follows: the code may mean to leave it off
        return restore_fix(self.context, site, enable, self._saves)


def _last_in_function(path: Tuple[cst.CSTNode, ...]) -> bool:
    """The call is a statement of its own in a function (not a module) and
    nothing but a bare `return` runs after it there."""
    line = next((index for index in range(len(path) - 1, -1, -1) if isinstance(path[index], cst.SimpleStatementLine)), None)
    if line is None or not any(isinstance(node, cst.FunctionDef) for node in path):
        return False
    statement = path[line]
    assert isinstance(statement, cst.SimpleStatementLine)
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Expr) or statement.body[0].value is not path[-1]:
        return False
    return all(_is_bare_return(after) for after in following_statements(path[:line + 1]))


def _is_bare_return(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Return) and small.value is None for small in statement.body
    )
