from typing import Optional

import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.edits import replace_keeping_comments
from memlint.analysis.types import type_inference

from ._iteration import Iteration, iterated_after_with, only_iterated

# Where file classes come from: a receiver of another known class has its own readlines().
_FILE_MODULES = ("io", "_io", "codecs", "gzip", "bz2", "lzma", "tempfile", "zipfile", "tarfile")
_FILE_TYPES = ("typing.IO", "typing.TextIO", "typing.BinaryIO", "builtins.open")


class ReadlinesIterated(Rule):
    """
    ## What it does
    Reports `f.readlines()` (without a size hint) whose list is only iterated
    once: the iterable of a `for` loop or comprehension, directly or through
    a single-pass wrapper (`enumerate(f.readlines(), 1)`), or bound to a
    local name whose only use is one such loop later in the function
    (`lines = f.readlines()` then `for line in lines:`).

    Not reported when the list is used for more than one pass, indexed,
    measured, returned, sorted or reversed; when it is iterated after the
    `with` block around the read has closed the file; when the receiver's
    type is known (a constructor, an annotation) and is not a file class
    (`stream: InventoryFileReader` has its own `readlines()`).

    ## Why is this bad?
    `readlines()` reads the whole file into a list of strings before the
    first line is processed; a file object is itself an iterator over its
    lines and holds one line (plus a buffer) at a time.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, a 50 MB file of
    10^6 lines, summing line lengths): peak traced memory 107 MB with
    `readlines()`, 0.02 MB iterating the file; time 0.44-0.54 s vs
    0.23-0.24 s over two runs.

    ## Example
    ```python
    with open(path) as f:
        for line in f.readlines():
            handle(line)
    ```

    ## Use instead
    ```python
    with open(path) as f:
        for line in f:
            handle(line)
    ```

    ## Fix safety
    The fix iterates the file instead (`f.readlines()` -> `f`), which yields
    exactly the lines `readlines()` returns (`IOBase.readlines()` is
    `list(self)`), so it is safe. It is offered only where nothing else can
    observe the difference: the receiver is a plain name (or an `open(...)`
    call) that the loop body never mentions (a body that reads, seeks or
    writes the same file would see a different position), and, when the list
    was bound to a name first, the loop is the very next statement.

    ## References
    - [io.IOBase.readlines](https://docs.python.org/3/library/io.html#io.IOBase.readlines)
    - [Reading and writing files](https://docs.python.org/3/tutorial/inputoutput.html#methods-of-file-objects)
    """

    code = "MEM203"
    name = "readlines-iterated"
    message = "readlines() builds a list only to iterate it once: iterate the file"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = ("readlines",)  # the method name is spelled in every reported call

    VALID = [
        Valid("with open(p) as f:\n    lines = f.readlines()\nprint(lines[0])\n"),
        Valid(
            """
            def f(path):
                with open(path) as f:
                    lines = f.readlines()
                for line in lines:
                    print(line)
                for line in lines:
                    print(line)
            """
        ),
        Valid("for line in f.readlines(4096):\n    print(line)\n"),
        Valid("def f(fh):\n    lines = fh.readlines()\n    return lines\n"),
    ]
    INVALID = [
        Invalid(
            "with open(p) as f:\n    for line in f.readlines():\n        print(line)\n",
            line=2,
            column=17,
            fixed="with open(p) as f:\n    for line in f:\n        print(line)\n",
        ),
        Invalid(
            "for number, line in enumerate(open(p).readlines(), 1):\n    print(number, line)\n",
            line=1,
            column=31,
            fixed="for number, line in enumerate(open(p), 1):\n    print(number, line)\n",
        ),
        # The body reads the same file: iterating it directly would interleave.
        Invalid(
            "for line in f.readlines():\n    extra = f.readline()\n",
            line=1,
            column=13,
        ),
        Invalid(
            """
            def count(fh):
                lines = fh.readlines()
                return sum(len(line) for line in lines)
            """,
            line=2,
            column=13,
            fixed="""
            def count(fh):
                lines = fh
                return sum(len(line) for line in lines)
            """,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if node.args or not isinstance(func, cst.Attribute) or func.attr.value != "readlines":
            return
        iteration = only_iterated(self.context, self.context.ancestors)
        if iteration is None or iterated_after_with(self.context, self.context.ancestors, iteration):
            return
        if not _may_be_a_file(type_inference(self.context).type_of(func.value)):
            return
        self.report(node, self._fix(node, func.value, iteration))

    def _fix(self, call: cst.Call, receiver: cst.BaseExpression, iteration: Iteration) -> Optional[Replace]:
        if not iteration.adjacent:
            return None
        if isinstance(receiver, cst.Name):
            if iteration.mentions(receiver.value):
                return None
        elif not (isinstance(receiver, cst.Call) and self.context.matches(receiver, "builtins.open", "io.open")):
            return None
        return replace_keeping_comments(call, receiver)


def _may_be_a_file(receiver_type: Optional[str]) -> bool:
    """Unknown, or a file class: a receiver of another known class
    (``stream: InventoryFileReader``) has its own ``readlines``."""
    if receiver_type is None or receiver_type in _FILE_TYPES:
        return True
    return receiver_type.split(".", 1)[0] in _FILE_MODULES
