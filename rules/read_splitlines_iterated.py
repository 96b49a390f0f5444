import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._iteration import iterated_after_with, only_iterated

_READERS = frozenset({"read", "read_text"})


class ReadSplitlinesIterated(Rule):
    """
    ## What it does
    Reports `f.read().splitlines()` and `path.read_text().splitlines()` whose
    list is only iterated once: the iterable of a `for` loop or
    comprehension, directly or through a single-pass wrapper, or bound to a
    local name whose only use is one such loop later in the function.

    Not reported when the list is used for more than one pass, indexed,
    measured, returned, sorted or reversed, nor for `read(n)` with a size,
    nor when it is iterated after the `with` block around the read has
    closed the file.

    ## Why is this bad?
    The whole file is held twice: once as one big string, once as a list of
    line strings, before the first line is processed. Iterating the open
    file holds one line at a time.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, a 50 MB file of
    10^6 lines, summing line lengths): peak traced memory 156 MB with
    `read().splitlines()`, 0.02 MB iterating the file; time 0.55-0.59 s vs
    0.24-0.26 s over two runs (the loop over the file keeps its line
    endings, so the work is not quite the same).

    ## Example
    ```python
    with open(path) as f:
        for line in f.read().splitlines():
            handle(line)
    ```

    ## Use instead
    ```python
    with open(path) as f:
        for line in f:
            handle(line.rstrip("\\n"))
    ```

    ## Fix safety
    No fix is offered: `splitlines()` drops the line endings that iterating
    a file keeps, and it also splits on characters a file does not treat as
    line breaks (`\\x0b`, `\\x0c`, `\\x1c`-`\\x1e`, `\\x85`, `\\u2028`,
    `\\u2029`), so the loop body must be adapted by hand. `read_text()` has
    no streaming counterpart short of `path.open()` in a `with` block.

    ## References
    - [str.splitlines](https://docs.python.org/3/library/stdtypes.html#str.splitlines)
    - [Reading and writing files](https://docs.python.org/3/tutorial/inputoutput.html#methods-of-file-objects)
    """

    code = "MEM204"
    name = "read-splitlines-iterated"
    message = "{reader}().splitlines() holds the whole file twice only to iterate it once: iterate the file"
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    triggers = ("splitlines",)  # the method name is spelled in every reported call

    VALID = [
        Valid("with open(p) as f:\n    lines = f.read().splitlines()\nprint(lines[-1])\n"),
        Valid("header = f.read().splitlines()[0]\n"),
        Valid("for line in f.read(1024).splitlines():\n    print(line)\n"),
        Valid("for line in text.splitlines():\n    print(line)\n"),
        Valid(
            """
            def lines(p):
                rows = p.read_text().splitlines()
                for row in rows:
                    print(row)
                return rows
            """
        ),
    ]
    INVALID = [
        Invalid(
            "with open(p) as f:\n    for line in f.read().splitlines():\n        print(line)\n",
            line=2,
            column=17,
            message="read().splitlines()",
        ),
        Invalid(
            "names = {n.strip() for n in path.read_text(encoding='utf-8').splitlines()}\n",
            line=1,
            column=29,
            message="read_text().splitlines()",
        ),
        Invalid(
            """
            def load(path):
                rows = path.read_text().splitlines(keepends=True)
                for number, row in enumerate(rows, 1):
                    print(number, row)
            """,
            line=2,
            column=12,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "splitlines":
            return
        reader = func.value
        if not (isinstance(reader, cst.Call) and isinstance(reader.func, cst.Attribute)):
            return
        name = reader.func.attr.value
        if name not in _READERS or (name == "read" and reader.args):
            return
        iteration = only_iterated(self.context, self.context.ancestors)
        if iteration is not None and not iterated_after_with(self.context, self.context.ancestors, iteration):
            self.report(node, reader=name)
