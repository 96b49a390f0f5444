"""Wrapping the long lines a fix wrote.

A fix builds its code without knowing where it lands: MEM101's
``__slots__ = (...)`` with twenty fields, a decorator with one more
argument, an import that ``EnsureImport`` merged into a ``from`` import.
After a round of fixes, every statement or decorator line that is longer
than the project's line length and was not in the file before is wrapped
the way black leaves a bracket with a trailing comma: one item per line, in
the indentation the block uses, the closing bracket on a line of its own.
The bracket wrapped is the one that ends the line (black's right-hand
split: ``__slots__ = (...)``, ``@dataclass(...)``), and only when every
line then fits; any other long line stays as the fix wrote it.
"""
from __future__ import annotations

from typing import List, Optional, Set, TypeVar, Union, cast

import libcst as cst

from memlint.edits import Bracketed, one_per_line
from memlint.nodes import children

_Line = TypeVar("_Line", cst.SimpleStatementLine, cst.Decorator)


def wrap_long_lines(before: str, after: cst.Module, line_length: int) -> cst.Module:
    """``after`` with the lines longer than ``line_length`` that are not in
    ``before`` (the text before the fix) wrapped."""
    old_lines = set(before.splitlines())
    long_lines = {line for line in after.code.splitlines() if len(line) > line_length and line not in old_lines}
    if not long_lines:
        return after
    return after.visit(_Wrapper(after, long_lines, line_length))


class _Wrapper(cst.CSTTransformer):
    def __init__(self, module: cst.Module, long_lines: Set[str], line_length: int) -> None:
        super().__init__()
        self.module = module
        self.long_lines = long_lines
        self.line_length = line_length
        self.indents: List[str] = []  # the indentation of each block around the node

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        self.indents.append(self.module.default_indent if node.indent is None else node.indent)
        return True

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        self.indents.pop()
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        return self._wrapped(updated_node)

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator) -> cst.Decorator:
        return self._wrapped(updated_node)

    def _wrapped(self, line: _Line) -> _Line:
        indent = "".join(self.indents)
        if indent + self._code(line) not in self.long_lines:
            return line
        # One level deeper, in the indentation this block uses (a form feed does not indent).
        step = (self.indents[-1] if self.indents else self.module.default_indent).replace("\f", "") or "    "
        bracket = _right_hand_bracket(line)
        wrapped = one_per_line(bracket, step) if bracket is not None else None
        if wrapped is None:
            return line
        candidate = cast(_Line, line.deep_replace(cast(cst.CSTNode, bracket), wrapped))
        if any(len(indent + text) > self.line_length for text in self._code(candidate).splitlines()):
            return line
        return candidate

    def _code(self, line: Union[cst.SimpleStatementLine, cst.Decorator]) -> str:
        """The line's code without the lines above it, its line break and the block's indentation."""
        return self.module.code_for_node(line.with_changes(leading_lines=())).rstrip("\r\n")


def _right_hand_bracket(line: cst.CSTNode) -> Optional[Bracketed]:
    """The outermost bracket whose closing bracket ends the line's code (what
    black's right-hand split takes): down the last child of each node, until
    a bracket, or a node that closes after its last child (a subscript, a
    parenthesized expression)."""
    node = line
    while True:
        if isinstance(node, (cst.Call, cst.Tuple, cst.List, cst.Set, cst.Dict, cst.ImportFrom)):
            return node
        below = children(node)
        if not below or isinstance(node, cst.Subscript) or getattr(node, "rpar", None):
            return None
        node = below[-1]
