import libcst as cst

from memlint.rule import Invalid, Rule, Valid


class GcCollectInLoop(Rule):
    """
    ## What it does
    Reports `gc.collect()` called inside a loop body (a `for`/`while` body or a
    comprehension's per-item part) in the same function.

    ## Why is this bad?
    A full collection walks every container object the process holds; calling
    it per iteration makes the loop quadratic in the size of the heap. It is
    usually a sign of fighting a leak (a reference cycle, an unbounded cache)
    instead of fixing it: find the cycle, or collect once after the loop.

    ## Example
    ```python
    import gc

    for batch in batches:
        process(batch)
        gc.collect()
    ```

    ## Use instead
    ```python
    import gc

    for batch in batches:
        process(batch)
    gc.collect()
    ```

    ## Fix safety
    There is no fix: where the collection belongs depends on the program.

    ## References
    - [gc.collect](https://docs.python.org/3/library/gc.html#gc.collect)
    """

    code = "MEM602"
    name = "gc-collect-in-loop"
    triggers = ("gc",)
    message = "gc.collect() inside a loop: each call walks the whole heap"

    VALID = [
        Valid(
            """
            import gc

            for batch in batches:
                process(batch)
            gc.collect()
            """
        ),
        Valid(
            """
            import gc

            for batch in batches:
                def cleanup():
                    gc.collect()
            """
        ),
        Valid(
            """
            import gc

            for x in gc.collect(), 1:
                pass
            """
        ),
        Valid(
            """
            gc = Collector()
            while busy:
                gc.collect()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import gc

            for batch in batches:
                process(batch)
                gc.collect()
            """,
            line=5,
            column=5,
        ),
        Invalid(
            """
            from gc import collect as full_gc

            def drain(q):
                while q:
                    if q.pop():
                        full_gc(2)
            """,
            line=6,
            column=13,
        ),
        Invalid(
            """
            import gc

            counts = [gc.collect() for _ in range(3)]
            """,
            line=3,
            column=11,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.matches(node, "gc.collect") and self.context.enclosing_loop() is not None:
            self.report(node)
