from typing import Optional, Union

import libcst as cst

from memlint.analysis.blocks import statements_after
from memlint.analysis.scopes import ScopeInfo
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid

from ._lifetime_flow import current_frame_args, deleted_right_after, deletes, released_in_finally, walks_up
from ._retained import CURRENT_FRAME


class FrameRetained(Rule):
    """
    ## What it does
    Reports a function that keeps its own frame in a local variable
    (`frame = inspect.currentframe()`, `frame = sys._getframe()`) without
    deleting the variable in a `finally` block (`del frame`, or
    `frame = None`).

    Not reported: `sys._getframe(1)` and other callers' frames (a frame does
    not reference the frames it calls, so no cycle forms); a variable that
    walks up the stack (`frame = frame.f_back`), which leaves it on an outer
    frame or `None`; a `del frame` later in the same block with no call,
    `return`, `raise`, `yield`, `await`, `break` or `continue` before it (it
    always runs); frames kept on
    `self`, in globals or containers (reported by MEM403); module-level code.

    ## Why is this bad?
    The frame references its local variables, and the variable references the
    frame: a reference cycle. The frame, every local of the function and
    everything they reference stay in memory after the function returns (or
    raises) until the cyclic garbage collector runs. The `inspect` documentation
    asks for `del frame` in a `finally` clause for exactly this reason.

    ## Example
    ```python
    import inspect

    def caller_name():
        frame = inspect.currentframe()
        return frame.f_back.f_code.co_name
    ```

    ## Use instead
    ```python
    import inspect

    def caller_name():
        frame = inspect.currentframe()
        try:
            return frame.f_back.f_code.co_name
        finally:
            del frame
    ```

    ## Fix safety
    The fix wraps the statements that follow the assignment in its function
    body in `try: ... finally: del frame`. It is offered when the assignment
    is a statement of its own directly in the function body, some statement
    follows it, and none of them deletes the variable already. It is unsafe:
    code after the `finally` (none, since the whole rest of the body moves
    into the `try`) or a closure that reads the variable after the function
    returned would find it deleted.

    ## Known problems
    A variable that walks up the stack only under a condition
    (`while offset: frame = frame.f_back`) may still point at the current
    frame when the function returns; it is not reported.

    ## References
    - [inspect: the interpreter stack](https://docs.python.org/3/library/inspect.html#the-interpreter-stack)
    """

    code = "MEM404"
    name = "frame-retained"
    triggers = ("currentframe", "_getframe")
    message = (
        "{name} keeps the current frame: frame -> locals -> frame is a cycle only the garbage collector frees; "
        "`del {name}` in a finally block"
    )
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid(
            """
            import inspect

            def caller_globals():
                frame = inspect.currentframe()
                caller = frame.f_back if frame is not None else None
                del frame
                return caller.f_globals
            """
        ),
        Valid(
            """
            import inspect

            def caller_name():
                frame = inspect.currentframe()
                try:
                    return frame.f_back.f_code.co_name
                finally:
                    del frame
            """
        ),
        Valid(
            """
            import sys

            def caller_module():
                frame = sys._getframe(1)
                return frame.f_globals.get("__name__")
            """
        ),
        Valid(
            """
            import inspect

            frame = inspect.currentframe()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import inspect

            def caller_name():
                frame = inspect.currentframe()
                return frame.f_back.f_code.co_name
            """,
            line=4,
            column=5,
            fixed="""
            import inspect

            def caller_name():
                frame = inspect.currentframe()
                try:
                    return frame.f_back.f_code.co_name
                finally:
                    del frame
            """,
        ),
        Invalid(
            """
            from sys import _getframe as getframe

            def local_names():
                f = getframe(0)
                names = sorted(f.f_locals)
                return names
            """,
            line=4,
            column=5,
            message="f keeps the current frame",
            fixed="""
            from sys import _getframe as getframe

            def local_names():
                f = getframe(0)
                try:
                    names = sorted(f.f_locals)
                    return names
                finally:
                    del f
            """,
        ),
        Invalid(
            """
            import inspect

            def f(debug):
                if debug:
                    frame = inspect.currentframe()
                    print(frame.f_lineno)
            """,
            line=5,
            column=9,
        ),
        Invalid(
            """
            import inspect

            def f():
                frame = inspect.currentframe()
                use(frame)
                del frame
            """,
            line=4,
            column=5,
        ),
    ]

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._check(node, node.targets[0].target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name):
            self._check(node, node.target.value, node.value)

    def _check(self, node: Union[cst.Assign, cst.AnnAssign], name: str, value: cst.BaseExpression) -> None:
        if not (isinstance(value, cst.Call) and current_frame_args(value)):
            return
        function = self.context.enclosing_function()
        if function is None or not self.context.matches(value, *CURRENT_FRAME):
            return
        info = self.context.scope_info(function)
        if not info.binds(name) or info.answer(released_in_finally, name) or info.answer(walks_up, name):
            return
        path = self.context.ancestors  # ... block, line, assignment
        if deleted_right_after(info, name, statements_after(path[-3], path[-2])):
            return
        self.report(node, self._fix(info, name), name=name)

    def _fix(self, info: ScopeInfo, name: str) -> Optional[Replace]:
        """The statements after the assignment, when it is directly in the
        function body, in `try: ... finally: del name`."""
        # Only the last four nodes of the path: it is as deep as the function
        # (an elif chain nests as deep as it is long), and this runs per finding.
        function, block, line = self.context.ancestors[-4:-1]
        if not (isinstance(function, cst.FunctionDef) and block is function.body and _alone_on_its_line(line)):
            return None
        body = function.body
        rest = statements_after(body, line)
        if not rest or any(deletes(info, statement, name) for statement in rest):
            return None
        guarded = cst.Try(
            body=cst.IndentedBlock(body=rest),  # type: ignore[arg-type]
            finalbody=cst.Finally(body=cst.IndentedBlock(body=[cst.parse_statement(f"del {name}")])),
        )
        return Replace(body, body.with_changes(body=[*body.body[: -len(rest)], guarded]))


def _alone_on_its_line(line: cst.CSTNode) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
