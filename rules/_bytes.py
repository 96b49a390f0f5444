"""Shared by MEM207/MEM208: does a local name certainly hold ``bytes``?

Without a type checker we trust only what the scope says about every binding
of the name: a bytes literal (or a module constant bound to one), ``bytes(...)``,
``str.encode(...)``, ``sock.recv(n)``, ``.read()`` of a file opened in binary
mode, ``b"".join(...)``, an annotation ``bytes`` on the parameter or variable.
Bindings that keep the type (``buf += x``, ``data = data[n:]``,
``buf = buf + x``) add nothing. Anything else (a ``bytearray``, a
``memoryview``, a call we do not know) makes the answer "unsure": no finding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import libcst as cst

from memlint.analysis import Fact
from memlint.context import Context
from memlint.analysis.scopes import Binding, ScopeInfo, ScopeNode

from ._bounded import bounded

_BINARY_OPENERS = ("builtins.open", "io.open")
_BINARY_BY_DEFAULT = ("gzip.open", "bz2.open", "lzma.open")


def local_scope(context: Context) -> ScopeNode:
    """The scope the current statement binds names in."""
    scopes = context.enclosing_scopes()
    return scopes[0] if scopes else context.module  # type: ignore[return-value]


@dataclass(frozen=True)
class GrowingBytes:
    """A bytes name rebuilt by a statement that a loop repeats."""

    info: ScopeInfo
    loop: cst.CSTNode  # the innermost loop repeating the statement
    sources: List[Binding]  # the bindings that make it bytes, all outside that loop


def bytes_rebuilt_in_loop(context: Context, name: str) -> Optional[GrowingBytes]:
    """When the current statement (``buf += x``, ``data = data[n:]``) sits in
    a ``for``/``while`` body and ``name`` is bytes bound outside that loop,
    so each pass copies the value the previous pass built."""
    loop = context.enclosing_loop()
    if not isinstance(loop, (cst.For, cst.While)):
        return None
    info = context.scope_info(local_scope(context))
    sources = bytes_bindings(context, info, name)
    if sources is None or any(a is loop for b in sources for a in info.ancestors(b.statement)):
        return None
    if _runs_once_per_loop(context, loop) or (isinstance(loop, cst.For) and bounded(context, loop.iter)):
        return None  # the code bounds the copies: one pass, or a loop over a few items
    return GrowingBytes(info, loop, sources)


# block -> (position of each statement, position of the last that always leaves the loop)
_LEAVING: Fact[Dict[int, Tuple[Dict[int, int], int]]] = Fact("statements leaving a loop", lambda context: {})


def _runs_once_per_loop(context: Context, loop: cst.CSTNode) -> bool:
    """Whether a statement after the current one, in its block or a block
    around it inside ``loop``, always leaves the loop (``break``, ``return``,
    ``raise``): the current statement then runs at most once per loop."""
    path = context.ancestors
    memo = context.fact(_LEAVING)
    for block, child in zip(reversed(path[:-1]), reversed(path[1:])):
        if block is loop:
            return False
        if not isinstance(block, cst.IndentedBlock):
            continue
        if id(block) not in memo:
            statements = list(block.body)
            leaving = [i for i, statement in enumerate(statements) if _leaves(statement)]
            memo[id(block)] = ({id(s): i for i, s in enumerate(statements)}, leaving[-1] if leaving else -1)
        positions, last_leaving = memo[id(block)]
        if positions[id(child)] < last_leaving:
            return True
    return False


def _leaves(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Break, cst.Return, cst.Raise)) for small in statement.body
    )


# (loop, name) -> whether the loop cuts the name down to a remainder
_DRAINED: Fact[Dict[Tuple[int, str], bool]] = Fact("bytes drained in a loop", lambda context: {})


def drained_in_loop(context: Context, growing: GrowingBytes, name: str) -> bool:
    """Whether the loop also cuts ``name`` down to a remainder (``buf =
    buf[pos + 1:]``): it then holds a partial record, not everything so far."""
    memo = context.fact(_DRAINED)
    key = (id(growing.loop), name)
    if key not in memo:
        memo[key] = any(
            _keeps_type(b) and isinstance(b.value, cst.Subscript) and _inside(growing.info, b.statement, growing.loop)
            for b in growing.info.bindings_of(name)
        )
    return memo[key]


def _inside(info: ScopeInfo, statement: cst.CSTNode, loop: cst.CSTNode) -> bool:
    return any(outer is loop for outer in info.ancestors_of_type(statement, (cst.For, cst.While)))


# (scope, name) -> its bytes sources: a function with thousands of `buf +=`
# asks once per statement, and each answer looks at every binding.
_BYTES_BINDINGS: Fact[Dict[Tuple[cst.CSTNode, str], Optional[List[Binding]]]] = Fact(
    "bytes bindings", lambda context: {}
)


def bytes_bindings(context: Context, info: ScopeInfo, name: str) -> Optional[List[Binding]]:
    """The bindings that make ``name`` bytes in this scope, or None when some
    binding does not (or when the name is not local to the scope)."""
    memo = context.fact(_BYTES_BINDINGS)
    key = (info.node, name)
    if key not in memo:
        memo[key] = _bytes_bindings(context, info, name)
    return memo[key]


def _bytes_bindings(context: Context, info: ScopeInfo, name: str) -> Optional[List[Binding]]:
    if not info.binds(name):
        return None
    sources = [b for b in info.bindings_of(name) if not _keeps_type(b)]
    if not sources or not all(_gives_bytes(context, info, b) for b in sources):
        return None
    return sources


def is_bytes_literal(node: Optional[cst.BaseExpression]) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return is_bytes_literal(node.left)
    return isinstance(node, cst.SimpleString) and "b" in node.prefix.lower()


def _keeps_type(binding: Binding) -> bool:
    """``buf += x``, ``data = data[n:]``, ``buf = buf + x``: bytes stay bytes."""
    if binding.kind == "augassign":
        return True
    value = binding.value
    if binding.kind != "assign" or binding.unpacked:
        return False
    if isinstance(value, cst.Subscript):
        same = isinstance(value.value, cst.Name) and value.value.value == binding.name
        return same and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Slice)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return isinstance(value.left, cst.Name) and value.left.value == binding.name
    return False


def _gives_bytes(context: Context, info: ScopeInfo, binding: Binding) -> bool:
    if binding.unpacked:
        return False
    if binding.kind in ("param", "annassign") and _is_bytes_annotation(context, binding.annotation):
        return True
    if binding.kind not in ("assign", "annassign", "walrus"):
        return False
    return _bytes_expression(context, info, binding.value)


def _is_bytes_annotation(context: Context, annotation: Optional[cst.BaseExpression]) -> bool:
    if isinstance(annotation, cst.SimpleString):
        return annotation.value[1:-1] == "bytes" and "b" not in annotation.prefix.lower()
    return annotation is not None and context.matches(annotation, "builtins.bytes")


def _bytes_expression(context: Context, info: ScopeInfo, value: Optional[cst.BaseExpression]) -> bool:
    if value is None:
        return False
    if is_bytes_literal(value):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return is_bytes_literal(value.left) or is_bytes_literal(value.right)
    if isinstance(value, cst.Name):
        return _module_bytes_constant(context, info, value.value)
    if not isinstance(value, cst.Call):
        return False
    if context.matches(value, "builtins.bytes"):
        return True
    func = value.func
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method == "join":
        return is_bytes_literal(func.value)
    if method == "encode":
        return all(isinstance(a.value, cst.SimpleString) and not a.star for a in value.args)
    if method == "recv":
        return any(a.keyword is None and not a.star for a in value.args)  # socket.recv(bufsize)
    if method == "read":
        return isinstance(func.value, cst.Name) and _binary_file(context, info, func.value.value)
    return False


def _module_bytes_constant(context: Context, info: ScopeInfo, name: str) -> bool:
    """A module-level name bound once, to a bytes literal, and not rebound locally."""
    if info.binds(name) and info.node is not context.module:
        return False
    module_info = context.scope_info(context.module)
    bindings = module_info.bindings_of(name)
    return len(bindings) == 1 and bindings[0].kind in ("assign", "annassign") and is_bytes_literal(bindings[0].value)


def _binary_file(context: Context, info: ScopeInfo, name: str) -> bool:
    """A local name bound once to ``open(..., "rb")`` (or ``gzip.open(p)``)."""
    bindings = info.bindings_of(name)
    if len(bindings) != 1 or bindings[0].kind not in ("with", "assign") or bindings[0].unpacked:
        return False
    opener = bindings[0].value
    if not isinstance(opener, cst.Call) or any(a.star for a in opener.args):
        return False
    mode = _mode_argument(opener)
    if context.matches(opener, *_BINARY_BY_DEFAULT):
        return mode is None or _binary_mode(mode)
    return context.matches(opener, *_BINARY_OPENERS) and mode is not None and _binary_mode(mode)


def _mode_argument(call: cst.Call) -> Optional[cst.BaseExpression]:
    for index, arg in enumerate(call.args):
        if (arg.keyword is None and index == 1) or (arg.keyword is not None and arg.keyword.value == "mode"):
            return arg.value
    return None


def _binary_mode(mode: cst.BaseExpression) -> bool:
    text = mode.evaluated_value if isinstance(mode, cst.SimpleString) else None
    return isinstance(text, str) and "b" in text
