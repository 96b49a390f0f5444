"""Shared by MEM403 and MEM404: values that keep frames alive.

An exception references its traceback, the traceback every frame it passed
through, and each frame all of its locals; ``sys.exc_info()`` holds the
exception, and a frame holds its locals and its callers. :class:`HeldValues`
tells whether an expression holds one of them, and which ``except`` block an
exception comes from.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple, Union

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.scopes import ScopeInfo
from memlint.context import Context

from ._lifetime_flow import within

# Calls that return the calling function's own frame (MEM404), and every call returning frames.
CURRENT_FRAME = ("inspect.currentframe", "sys._getframe")
FRAMES = CURRENT_FRAME + ("inspect.stack", "inspect.trace")
EXC_INFO = ("sys.exc_info", "sys.exception")
EXCEPTION_ATTRIBUTES = frozenset({"__traceback__", "__cause__", "__context__"})
FRAME_ATTRIBUTES = frozenset({"f_back", "tb_frame"})

Handler = Union[cst.ExceptHandler, cst.ExceptStarHandler]


class Held(NamedTuple):
    """What a value holds, for a message, and the ``except`` block it comes from."""

    what: str  # "exception e", "e.__traceback__", "sys.exc_info()", "a frame"
    handler: Optional[Handler]  # None for frames: they come from no handler


class HeldValues:
    """Answers for the node being visited; the rule feeds the ``except``
    blocks around it with :meth:`enter` / :meth:`leave`."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._handlers: List[Tuple[Handler, Optional[cst.FunctionDef]]] = []  # each with its function

    def enter(self, handler: Handler) -> None:
        self._handlers.append((handler, self.context.enclosing_function()))

    def leave(self) -> None:
        self._handlers.pop()

    def held(self, value: cst.BaseExpression) -> Optional[Held]:
        """What ``value`` holds: an exception, a traceback, exc_info or a frame."""
        if isinstance(value, cst.Name):
            handler = self._binding(value.value)
            return Held(f"exception {value.value}", handler) if handler is not None else None
        if isinstance(value, cst.Attribute):
            if isinstance(value.value, cst.Name) and value.attr.value in EXCEPTION_ATTRIBUTES:
                handler = self._binding(value.value.value)
                if handler is not None:
                    return Held(f"{value.value.value}.{value.attr.value}", handler)
            if value.attr.value in FRAME_ATTRIBUTES and self.held(value.value):
                return Held("a frame", None)
            return None
        if isinstance(value, cst.Call):
            return self._held_by_call(value)
        if isinstance(value, cst.Subscript) and self.is_exc_info(value.value):
            index = value.slice[0].slice if len(value.slice) == 1 else None
            if isinstance(index, cst.Index) and m.matches(index.value, m.Integer("0")):
                return None  # the type alone keeps nothing alive
            return self.held(value.value)
        for part in _parts(value):
            found = self.held(part)
            if found is not None:
                return found
        return None

    def is_exc_info(self, value: cst.CSTNode) -> bool:
        return isinstance(value, cst.Call) and not value.args and self.context.matches(value, *EXC_INFO)

    def _held_by_call(self, call: cst.Call) -> Optional[Held]:
        if self.is_exc_info(call):
            active = self._active()
            return Held("sys.exc_info()", active[-1] if active else None)
        if isinstance(call.func, (cst.Name, cst.Attribute)) and self.context.matches(call, *FRAMES):
            return Held("a frame", None)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "with_traceback":
            return self.held(call.func.value)
        return None

    def _active(self) -> List[Handler]:
        """The ``except`` blocks around the current node, in its function."""
        if not self._handlers:
            return []
        function = self.context.enclosing_function()
        return [h for h, owner in self._handlers if owner is function and function is not None]

    def _binding(self, name: str) -> Optional[Handler]:
        """The innermost ``except ... as name`` block around the current node."""
        for handler in reversed(self._active()):
            if handler.name is not None and m.matches(handler.name.name, m.Name(name)):
                return handler
        return None


class OnInstance(NamedTuple):
    """A value stored on the method's instance: not reported when the class
    lets go of that attribute itself (resets or empties it)."""

    node: cst.CSTNode
    what: str
    where: str
    owner: Optional[cst.ClassDef]
    attribute: Optional[str]


def read_outside(info: ScopeInfo, name: str, handler: Handler) -> bool:
    """``name`` is read outside the ``except`` block ``handler``."""
    return any(not within(info, load, handler) for load in info.loads_of(name))


def first_attribute(holder: cst.CSTNode) -> Optional[str]:
    """``x`` of ``self.x[k].y``: the instance attribute at the root."""
    attribute = None
    while isinstance(holder, (cst.Attribute, cst.Subscript)):
        attribute = holder.attr.value if isinstance(holder, cst.Attribute) else attribute
        holder = holder.value
    return attribute


def root_name(holder: cst.CSTNode) -> Optional[str]:
    """The variable at the root of ``a.b[c].d``."""
    while isinstance(holder, (cst.Attribute, cst.Subscript)):
        holder = holder.value
    return holder.value if isinstance(holder, cst.Name) else None


def _parts(value: cst.BaseExpression) -> List[cst.BaseExpression]:
    """Sub-expressions whose values end up in ``value`` itself."""
    if isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        return [e.value for e in value.elements]
    if isinstance(value, cst.Dict):
        return [e.value for e in value.elements if isinstance(e, cst.DictElement)]
    if isinstance(value, cst.IfExp):
        return [value.body, value.orelse]
    if isinstance(value, cst.BooleanOperation):
        return [value.left, value.right]
    return []
