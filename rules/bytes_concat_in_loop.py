from itertools import islice
from typing import Any, Dict, List, Mapping, Optional, Tuple

import libcst as cst

from memlint.context import Context
from memlint.rule import Applicability, Edit, FixAvailability, Invalid, Replace, Rule, Valid
from memlint.analysis.scopes import SCOPE_TYPES

from ._bytes import GrowingBytes, bytes_rebuilt_in_loop, drained_in_loop
from ._rewrite import builtin_available

_LOOPS = (cst.For, cst.While)


class BytesConcatInLoop(Rule):
    """
    ## What it does
    Reports `buf += chunk` in a `for`/`while` loop when `buf` certainly holds
    `bytes` and was bound outside that loop. `buf` is bytes when every
    binding of it in the function (or module) says so: a bytes literal
    (`b""`), a module constant bound to one, `bytes(...)`, `b"".join(...)`,
    `s.encode(...)`, `sock.recv(n)`, `.read()` of a file opened in binary
    mode, or an annotation `bytes` on the parameter or variable.

    Not reported: `bytearray` buffers (their `+=` extends in place), `str`
    (CPython often resizes those in place; pylint covers it), names whose
    type is unknown, a buffer re-created or cut down to a remainder
    (`buf = buf[pos + 1:]`) in the same loop, a `+=` followed in its loop
    body by an unconditional `break`/`return`/`raise` (it runs once), and a
    `for` over a few items the code fixes (`for field in (a, b, c):`).

    ## Why is this bad?
    `bytes` are immutable: `buf += chunk` allocates a new object and copies
    the whole buffer on every pass, so building n bytes in k chunks copies
    O(n*k) bytes and keeps two buffers alive at each step. A `bytearray`
    grows in place with amortized O(1) appends.

    Measured by `benchmarks/mem2_memory.py` (CPython 3.11, 10^4 chunks of
    1 KiB, a 10 MB result): 7.0-15.6 s with `bytes +=` (it copies about
    50 GB in all), 2-3 ms with a `bytearray`. The peak does not improve:
    20.5 MB with `bytes` (the last buffer and its copy), 21.5 MB with the
    `bytearray` (its over-allocation plus the final `bytes(buf)` copy),
    because each old `bytes` buffer is freed right away. This rule sells
    time and allocator churn, not the peak.

    ## Example
    ```python
    def read_all(sock):
        buf = b""
        while chunk := sock.recv(4096):
            buf += chunk
        return buf
    ```

    ## Use instead
    ```python
    def read_all(sock):
        buf = bytearray()
        while chunk := sock.recv(4096):
            buf += chunk
        return bytes(buf)
    ```

    ## Fix safety
    The fix binds a `bytearray` instead of the bytes literal and converts it
    back with `bytes(buf)` wherever the value escapes (returned, passed,
    stored, compared, sliced...), so the rest of the code still sees
    `bytes`. `len(buf)`, truth tests and `x in buf` work on the `bytearray`
    as they are. It is offered only in a function whose one bytes binding is
    `buf = b"..."` and whose other bindings are `buf += ...`, with no use
    in a nested function and no conversion needed inside the loop that
    appends (a `bytes(buf)` there would copy on every pass again). It is
    unsafe: code that relied on `buf` being hashable or immutable between
    the appends, or on the exact type inside the loop, sees a `bytearray`.

    ## References
    - [bytearray](https://docs.python.org/3/library/stdtypes.html#bytearray)
    - [Python FAQ: concatenate many strings](https://docs.python.org/3/faq/programming.html#what-is-the-most-efficient-way-to-concatenate-many-strings-together)
    """

    code = "MEM207"
    name = "bytes-concat-in-loop"
    message = "bytes += in a loop copies the whole buffer on every pass: build a bytearray"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # No trigger words: a bytes literal (`b""`) spells no name.

    VALID = [
        Valid("def f(chunks):\n    buf = bytearray()\n    for c in chunks:\n        buf += c\n    return bytes(buf)\n"),
        Valid('def f(words):\n    text = ""\n    for w in words:\n        text += w\n    return text\n'),
        Valid('def f(chunks):\n    buf = b""\n    buf += chunks[0]\n    return buf\n'),
        Valid(
            """
            def f(frames):
                for frame in frames:
                    buf = b""
                    buf += frame.header
                    send(buf)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            def read_all(sock):
                buf = b""
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                return buf
            """,
            line=7,
            column=9,
            fixed="""
            def read_all(sock):
                buf = bytearray()
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                return bytes(buf)
            """,
        ),
        Invalid(
            """
            def frame(parts, limit):
                out = b"HDR"
                for part in parts:
                    if len(out) > limit or b"\\0" in out:
                        break
                    out += part
                log(len(out))
                return out.hex()
            """,
            line=6,
            column=9,
            fixed="""
            def frame(parts, limit):
                out = bytearray(b"HDR")
                for part in parts:
                    if len(out) > limit or b"\\0" in out:
                        break
                    out += part
                log(len(out))
                return bytes(out).hex()
            """,
        ),
        # A use inside the loop would need a copy on every pass: no fix.
        Invalid(
            """
            def lines(sock):
                buf = b""
                while True:
                    buf += sock.recv(1024)
                    if buf.endswith(b"\\n"):
                        return buf
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            def dump(items: list, data: bytes):
                for item in items:
                    data += item.encode("utf-8")
                return data
            """,
            line=3,
            column=9,
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._fixes: Dict[Tuple[cst.CSTNode, str], Optional[List[Edit]]] = {}

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not (isinstance(node.operator, cst.AddAssign) and isinstance(node.target, cst.Name)):
            return
        growing = bytes_rebuilt_in_loop(self.context, node.target.value)
        if growing is not None and not drained_in_loop(self.context, growing, node.target.value):
            self.report(node, self._fix_of(node.target.value, growing))

    def _fix_of(self, name: str, growing: GrowingBytes) -> Optional[List[Edit]]:
        """Every ``name +=`` of a function has the same fix: computed once (a
        long function has thousands, and each fix looks at all of them)."""
        key = (growing.info.node, name)
        if key not in self._fixes:
            self._fixes[key] = self._fix(name, growing)
        return self._fixes[key]

    def _fix(self, name: str, growing: GrowingBytes) -> Optional[List[Edit]]:
        info = growing.info
        if not isinstance(info.node, cst.FunctionDef) or not builtin_available(self.context, "bytes", "bytearray"):
            return None
        literal = _initial_literal(growing)
        appends = [b for b in info.bindings_of(name) if b.kind == "augassign"]
        if literal is None or len(appends) + 1 != len(info.bindings_of(name)):
            return None
        if not all(isinstance(b.statement.operator, cst.AddAssign) for b in appends):  # type: ignore[attr-defined]
            return None
        hot_loops = {id(info.nearest(b.statement, _LOOPS)) for b in appends}
        targets = {id(b.target) for b in appends}
        edits: List[Edit] = [Replace(literal, _bytearray_of(literal))]
        for load in info.loads_of(name):
            if id(load) in targets:
                continue
            if info.nearest(load, SCOPE_TYPES) is not info.node:
                return None  # read by a nested function
            if self._works_on_bytearray(load, list(islice(info.ancestors(load), 2))):
                continue
            if any(id(loop) in hot_loops for loop in info.ancestors_of_type(load, _LOOPS)):
                return None  # bytes(buf) in the appending loop would copy on every pass
            edits.append(Replace(load, cst.Call(cst.Name("bytes"), [cst.Arg(load)])))
        return edits

    def _works_on_bytearray(self, load: cst.Name, path: List[cst.CSTNode]) -> bool:
        """``len(buf)``, ``if buf:``, ``not buf``, ``x in buf``: same result on a bytearray."""
        parent = path[0]
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)):
            return parent.test is load
        if isinstance(parent, cst.UnaryOperation):
            return isinstance(parent.operator, cst.Not)
        if isinstance(parent, cst.ComparisonTarget):
            return isinstance(parent.operator, (cst.In, cst.NotIn)) and parent.comparator is load
        call = path[1] if len(path) > 1 else None
        return isinstance(parent, cst.Arg) and isinstance(call, cst.Call) and len(call.args) == 1 and (
            self.context.matches(call, "builtins.len")
        )


def _initial_literal(growing: GrowingBytes) -> Optional[cst.SimpleString]:
    """The ``b"..."`` of ``buf = b"..."`` when that is the one bytes binding."""
    if len(growing.sources) != 1:
        return None
    source = growing.sources[0]
    statement = source.statement
    if not (isinstance(statement, cst.Assign) and len(statement.targets) == 1):
        return None
    value = source.value
    return value if isinstance(value, cst.SimpleString) and "b" in value.prefix.lower() else None


def _bytearray_of(literal: cst.SimpleString) -> cst.Call:
    args = [] if literal.evaluated_value == b"" else [cst.Arg(literal)]
    return cst.Call(cst.Name("bytearray"), args)
