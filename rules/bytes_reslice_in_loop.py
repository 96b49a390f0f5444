import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._bytes import GrowingBytes, bytes_rebuilt_in_loop

# Methods that keep their argument: the remainder is then output, not waste.
_KEEPERS = frozenset({"append", "appendleft", "extend", "add", "insert", "put", "put_nowait", "send_bytes"})


class BytesResliceInLoop(Rule):
    """
    ## What it does
    Reports `data = data[n:]` in a `for`/`while` loop when `data` certainly
    holds `bytes` (bytes-ness as in MEM207: every binding outside the loop is
    a bytes literal, `bytes(...)`, `.encode(...)`, `.recv(n)`, a binary
    `.read()`, or annotated `bytes`) and was bound outside that loop.

    Not reported: `memoryview` and `bytearray` values (unknown to the rule,
    so silent); a remainder that is the loop's output (yielded, appended,
    stored under another name each pass); a single slice outside a loop; a
    value re-created in the same loop body; a slice followed in its loop body
    by an unconditional `break`/`return`/`raise`, or in a `for` over a few
    items the code fixes (`for n in (2, 4):`).

    ## Why is this bad?
    Slicing `bytes` copies: consuming an n-byte buffer in steps of k copies
    the whole remainder each time, O(n^2/k) bytes in all. Slicing a
    `memoryview` copies nothing; keeping an offset copies nothing either.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, a 10 MB payload
    consumed in 10^4 steps of 1 KiB): 4.5-7.0 s re-slicing `bytes` (about
    50 GB copied), 1 ms with a `memoryview`; peak traced memory 20.5 MB
    (two remainders alive during each copy) vs 0.0 MB (views share the
    payload).

    ## Example
    ```python
    def send_all(sock, data: bytes):
        while data:
            sent = sock.send(data)
            data = data[sent:]
    ```

    ## Use instead
    ```python
    def send_all(sock, data: bytes):
        view = memoryview(data)
        while view:
            sent = sock.send(view)
            view = view[sent:]
    ```

    ## Fix safety
    No fix is offered (display only): a `memoryview` keeps the underlying
    buffer alive and must be released, and the slices it gives are
    `memoryview` objects, which code expecting `bytes` (`.decode()`,
    `.startswith()`, hashing, `==` against a `str`) does not accept; the
    rewrite needs a person to look at every use.

    ## References
    - [memoryview](https://docs.python.org/3/library/stdtypes.html#memoryview)
    - [socket.sendall](https://docs.python.org/3/library/socket.html#socket.socket.sendall)
    """

    code = "MEM208"
    name = "bytes-reslice-in-loop"
    message = "re-slicing bytes in a loop copies the remainder on every pass: slice a memoryview or keep an offset"
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY
    # No trigger words: a bytes literal (`b""`) spells no name.

    VALID = [
        Valid("def f(data: bytes):\n    data = data[4:]\n    return data\n"),
        Valid(
            """
            def f(data: bytearray, sock):
                while data:
                    data = data[sock.send(data):]
            """
        ),
        Valid(
            """
            def f(payload: bytes, sock):
                data = memoryview(payload)
                while data:
                    data = data[sock.send(data):]
            """
        ),
        Valid(
            """
            def suffixes(data: bytes):
                while data:
                    yield data
                    data = data[1:]
            """
        ),
        Valid("def f(data: bytes):\n    while data:\n        data = data[:-1]\n"),
    ]
    INVALID = [
        Invalid(
            """
            def send_all(sock, data: bytes):
                while data:
                    sent = sock.send(data)
                    data = data[sent:]
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            def records(sock):
                data = sock.recv(65536)
                while len(data) >= 4:
                    size = int.from_bytes(data[:4], "big")
                    yield data[4:4 + size]
                    data = data[4 + size:]
            """,
            line=6,
            column=9,
        ),
        Invalid(
            """
            def parse(text: str):
                data = text.encode()
                for _ in range(data[0]):
                    data = data[1:]
                return data
            """,
            line=4,
            column=9,
        ),
    ]

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        value = node.value
        if not (isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name) and value.value.value == name):
            return
        if len(value.slice) != 1 or not _remainder_slice(value.slice[0].slice):
            return
        growing = bytes_rebuilt_in_loop(self.context, name)
        if growing is not None and not _remainder_is_output(growing, name):
            self.report(node)


def _remainder_slice(index: cst.BaseSlice) -> bool:
    """``[n:]``: everything after a start, the shape that consumes a buffer."""
    return isinstance(index, cst.Slice) and index.lower is not None and index.upper is None and index.step is None


def _remainder_is_output(growing: GrowingBytes, name: str) -> bool:
    """Whether the loop yields, stores or keeps the whole remainder: then
    every slice is wanted and no view would save anything."""
    info = growing.info
    for load in info.loads_of(name):
        path = list(info.ancestors(load))
        if not any(a is growing.loop for a in path):
            continue
        parent = path[0]
        if isinstance(parent, (cst.Yield, cst.Element, cst.Assign)):
            return True
        call = path[1] if len(path) > 1 else None
        if isinstance(parent, cst.Arg) and isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
            if call.func.attr.value in _KEEPERS:
                return True
    return False
