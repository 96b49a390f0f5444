import libcst as cst
from memlint.lazy_matchers import m

from memlint.rule import Invalid, Rule, Valid


class GcDebugSaveall(Rule):
    """
    ## What it does
    Reports `gc.set_debug(...)` whose flags include `gc.DEBUG_SAVEALL` (alone,
    or-ed with other flags, or through `gc.DEBUG_LEAK`, which includes it),
    outside test files.

    ## Why is this bad?
    With `DEBUG_SAVEALL` the collector never frees the unreachable objects it
    finds: it appends every one of them to `gc.garbage`, which only grows. It is
    a debugging aid; left in production code it turns every reference cycle
    into a permanent leak.

    ## Example
    ```python
    import gc

    gc.set_debug(gc.DEBUG_SAVEALL)
    ```

    ## Use instead
    Remove the call, or keep it in a test or a debugging script:
    ```python
    import gc

    gc.set_debug(gc.DEBUG_STATS)
    ```

    ## Fix safety
    There is no fix: whether the debugging flag is still wanted is for a person
    to decide.

    ## References
    - [gc.set_debug](https://docs.python.org/3/library/gc.html#gc.set_debug)
    """

    code = "MEM603"
    name = "gc-debug-saveall"
    triggers = ("gc",)
    message = "gc.set_debug() with DEBUG_SAVEALL keeps every unreachable object in gc.garbage"

    VALID = [
        Valid("import gc\ngc.set_debug(gc.DEBUG_STATS)\n"),
        Valid("import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n", filename="tests/test_leaks.py"),
        Valid("import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n", filename="test_leaks.py"),
        Valid("import gc\ngc.set_debug(0)\n"),
    ]
    INVALID = [
        Invalid("import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n", line=2, column=1),
        Invalid(
            """
            import gc
            from gc import DEBUG_SAVEALL

            def enable_debugging():
                gc.set_debug(gc.DEBUG_STATS |
                             DEBUG_SAVEALL)
            """,
            line=5,
            column=5,
        ),
        Invalid("import gc as g\ng.set_debug(g.DEBUG_LEAK)\n", line=2, column=1),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file or not self.context.matches(node, "gc.set_debug"):
            return
        if any(self._saves_all(flag) for arg in node.args for flag in m.findall(arg.value, m.Name() | m.Attribute())):
            self.report(node)

    def _saves_all(self, flag: cst.CSTNode) -> bool:
        return self.context.matches(flag, "gc.DEBUG_SAVEALL", "gc.DEBUG_LEAK")
