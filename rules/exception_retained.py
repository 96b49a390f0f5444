from typing import List, Optional, Tuple, Union

import libcst as cst
import libcst.matchers as m

from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid
from memlint.analysis.scopes import ScopeInfo

from ._classfacts import self_name

Handler = Union[cst.ExceptHandler, cst.ExceptStarHandler]
EXC_INFO = ("sys.exc_info", "sys.exception")
FRAMES = ("inspect.currentframe", "sys._getframe", "inspect.stack", "inspect.trace")
EXCEPTION_ATTRIBUTES = frozenset({"__traceback__", "__cause__", "__context__"})
FRAME_ATTRIBUTES = frozenset({"f_back", "tb_frame"})
CONTAINER_METHODS = frozenset({"append", "add", "insert", "appendleft", "extend", "setdefault", "update"})


class ExceptionRetained(Rule):
    """
    ## What it does
    Inside a function, reports a statement that keeps an exception, its
    `__traceback__`, `sys.exc_info()` (or `sys.exception()`) or a frame beyond
    the `except` block that produced it:

    - stored on `self` (`self.error = e`, `self.exc_info = sys.exc_info()`);
    - stored in a global (`global last_error` then `last_error = e`);
    - put into a container (`errors.append(e)`, `failures[key] = (e, tb)`) that
      is held by `self`, is global, is a parameter, or is a local that lives
      outside the `except` block and is not cleared (`del errors`, or
      `errors.clear()` / `errors = None` in a `finally`);
    - kept in a local variable that is read after the `except` block (the
      retry loop's `last_exc = exc`) and never deleted (`del last_exc`, or
      `last_exc = None` in a `finally`).

    Not reported: an `except E as e:` name used only inside its block;
    strings made from the exception (`str(e)`, `repr(e)`, f-strings,
    `traceback.format_exc()`); `sys.exc_info()` passed straight into a call;
    `sys.exc_info()[0]` (the type only); attributes of other objects
    (`new_error.__cause__ = e`); module-level code (what it keeps lives as long
    as the module anyway).

    ## Why is this bad?
    An exception references its traceback, the traceback every frame it passed
    through, and each frame all of its local variables. Keeping the exception
    keeps all of them alive. When the function handling the exception keeps it
    in one of its own locals, the frame references the exception and the
    exception the frame: a reference cycle only the garbage collector frees.
    This is why Python deletes the `except ... as e` name at the end of the
    block.

    ## Example
    ```python
    def fetch(url, retries=3):
        last_error = None
        for _ in range(retries):
            try:
                return download(url)
            except OSError as exc:
                last_error = exc
        raise RuntimeError(f"giving up on {url}") from last_error
    ```

    ## Use instead
    ```python
    def fetch(url, retries=3):
        last_error = None
        try:
            for _ in range(retries):
                try:
                    return download(url)
                except OSError as exc:
                    last_error = exc
            raise RuntimeError(f"giving up on {url}") from last_error
        finally:
            del last_error
    ```
    or keep what is needed from the exception: `repr(exc)`,
    `traceback.format_exception(exc)`.

    ## Fix safety
    No fix: whether to keep a string, delete the name or clear the container
    depends on what the code does with the exception later.

    ## References
    - [The try statement (why `as e` is deleted)](https://docs.python.org/3/reference/compound_stmts.html#except-clause)
    - [sys.exc_info](https://docs.python.org/3/library/sys.html#sys.exc_info)
    - [traceback.format_exception](https://docs.python.org/3/library/traceback.html#traceback.format_exception)
    """

    code = "MEM403"
    name = "exception-retained"
    message = "{what} kept in {where} keeps its traceback's frames and their locals alive; {suggestion}"
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        Valid(
            """
            def f(log):
                try:
                    work()
                except ValueError as e:
                    log(e)
                    err = e
                    raise RuntimeError(err)
            """
        ),
        Valid(
            """
            import traceback

            class Job:
                def run(self):
                    try:
                        work()
                    except Exception as e:
                        self.error = str(e)
                        self.detail = repr(e)
                        self.text = f"failed: {e}"
                        self.trace = traceback.format_exc()
            """
        ),
        Valid(
            """
            import sys

            class Server:
                def serve(self):
                    try:
                        work()
                    except Exception:
                        self.handle_error(*sys.exc_info())
                        self.log(exc_info=sys.exc_info())
                        self.kind = sys.exc_info()[0]
            """
        ),
        Valid(
            """
            def connect(addresses):
                errors = []
                for address in addresses:
                    try:
                        return open_socket(address)
                    except OSError as exc:
                        errors.append(exc)
                try:
                    raise ExceptionGroup("connect failed", errors)
                finally:
                    errors.clear()
            """
        ),
        Valid(
            """
            def retry(fn):
                last = None
                try:
                    for _ in range(3):
                        try:
                            return fn()
                        except OSError as exc:
                            last = exc
                    raise last
                finally:
                    del last
            """
        ),
        Valid(
            """
            try:
                import numpy
            except ImportError as exc:
                _numpy_error = exc
            """
        ),
        Valid(
            """
            def wrap():
                try:
                    work()
                except KeyError as e:
                    new = LookupError("missing")
                    new.__cause__ = e
                    raise new
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            def fetch(url):
                last_error = None
                for _ in range(3):
                    try:
                        return download(url)
                    except OSError as exc:
                        last_error = exc
                raise RuntimeError(url) from last_error
            """,
            line=7,
            column=13,
            message="exception exc kept in local last_error",
        ),
        Invalid(
            """
            class Task:
                def run(self):
                    try:
                        work()
                    except Exception as e:
                        self.error = e
            """,
            line=6,
            column=13,
            message="exception e kept in self.error",
        ),
        Invalid(
            """
            import sys as _sys

            class Task:
                def run(self):
                    try:
                        work()
                    except Exception:
                        self.exc_info = _sys.exc_info()
            """,
            line=8,
            column=13,
            message="sys.exc_info() kept in self.exc_info",
        ),
        Invalid(
            """
            def check(items, failures):
                for item in items:
                    try:
                        validate(item)
                    except ValueError as e:
                        failures[item] = (item, e.__traceback__)
            """,
            line=6,
            column=13,
            message="e.__traceback__ kept in container failures",
        ),
        Invalid(
            """
            _errors = []

            def record():
                try:
                    work()
                except Exception as e:
                    _errors.append(e)
            """,
            line=7,
            column=9,
            message="kept in container _errors",
        ),
        Invalid(
            """
            def run():
                global LAST
                try:
                    work()
                except Exception as e:
                    LAST = e
            """,
            line=6,
            column=9,
            message="kept in global LAST",
        ),
        Invalid(
            """
            import sys

            def run():
                try:
                    work()
                except Exception:
                    etype, value, tb = sys.exc_info()
                report(value, tb)
            """,
            line=7,
            column=9,
            message="kept in local value",
        ),
        Invalid(
            """
            import inspect

            class Tracker:
                def __init__(self):
                    self.origin = inspect.currentframe().f_back
            """,
            line=5,
            column=9,
            message="a frame kept in self.origin",
        ),
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._handlers: List[Tuple[Handler, Optional[cst.CSTNode]]] = []  # (handler, its function)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append((node, self.context.enclosing_function()))

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._handlers.append((node, self.context.enclosing_function()))

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self._handlers.pop()

    # -- stores ---------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(node, target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._store(node, node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node, node.target, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in CONTAINER_METHODS and node.args:
            value = node.args[-1].value
            self._into_container(node, func.value, value, self._held(value, frames=True))

    def _store(self, node: cst.CSTNode, target: cst.CSTNode, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript):
            self._into_container(node, target.value, value, self._held(value, frames=True))
        elif isinstance(target, cst.Attribute):
            self._on_self(node, target, value)
        elif isinstance(target, cst.Name):
            self._in_variable(node, target.value, value)
        elif isinstance(target, cst.Tuple) and self._is_exc_info(value):
            for element in target.elements[1:3]:  # (type, value, traceback): the type is harmless
                if isinstance(element.value, cst.Name) and self._in_variable(node, element.value.value, value):
                    return

    def _on_self(self, node: cst.CSTNode, target: cst.Attribute, value: cst.BaseExpression) -> None:
        function = self.context.enclosing_function()
        if function is None or not m.matches(target.value, m.Name(self_name(function) or "")):
            return
        what = self._held(value, frames=True)
        if what is not None:
            self._report(node, what[0], f"self.{target.attr.value}")

    def _in_variable(self, node: cst.CSTNode, name: str, value: cst.BaseExpression) -> bool:
        function = self.context.enclosing_function()
        what = self._held(value, frames=True) if function is not None else None
        if what is None:
            return False
        info = self.context.scope_info(function)  # type: ignore[arg-type]
        if name in info.global_names or name in info.nonlocal_names:
            kind = "global" if name in info.global_names else "closure variable"
            self._report(node, what[0], f"{kind} {name}")
            return True
        handler = what[1]  # None for frames: kept in a local, the caller's frame makes no cycle (MEM404)
        if handler is None or self._cleared(info, name) or not _read_outside(info, name, handler):
            return False
        self._report(node, what[0], f"local {name}", f"`del {name}` when done (in a finally)")
        return True

    def _into_container(self, node: cst.CSTNode, holder: cst.CSTNode,
                        value: cst.BaseExpression, what: Optional[Tuple[str, Optional[Handler]]]) -> None:
        function = self.context.enclosing_function()
        if what is None or function is None:
            return
        root = _root(holder)
        if root is None:
            return
        info = self.context.scope_info(function)
        if root == self_name(function) or not info.binds(root) or any(b.kind == "param" for b in info.bindings_of(root)):
            self._report(node, what[0], f"container {root}")
            return
        handler = what[1]
        if handler is None:
            return  # a frame in a local container: no cycle, gone with the function
        inside = all(_within(info, b.statement, handler) for b in info.bindings_of(root))
        if not inside and not self._cleared(info, root):
            self._report(node, what[0], f"container {root}", f"clear {root} (in a finally) when done")

    def _report(self, node: cst.CSTNode, what: str, where: str, suggestion: str = "") -> None:
        if not suggestion:
            suggestion = "keep a string instead (repr(e), traceback.format_exception(e)) or drop it when done"
        self.report(node, what=what, where=where, suggestion=suggestion)

    # -- what a value holds ---------------------------------------------------------

    def _held(self, value: cst.BaseExpression, frames: bool) -> Optional[Tuple[str, Optional[Handler]]]:
        """(description, handler it comes from) when ``value`` holds an
        exception, a traceback, exc_info or (``frames``) a frame."""
        if isinstance(value, cst.Name):
            handler = self._handler_binding(value.value)
            return (f"exception {value.value}", handler) if handler is not None else None
        if isinstance(value, cst.Attribute):
            if isinstance(value.value, cst.Name) and value.attr.value in EXCEPTION_ATTRIBUTES:
                handler = self._handler_binding(value.value.value)
                if handler is not None:
                    return f"{value.value.value}.{value.attr.value}", handler
            if frames and value.attr.value in FRAME_ATTRIBUTES and self._held(value.value, frames):
                return "a frame", None
            return None
        if isinstance(value, cst.Call):
            return self._held_by_call(value, frames)
        if isinstance(value, cst.Subscript) and self._is_exc_info(value.value):
            index = value.slice[0].slice if len(value.slice) == 1 else None
            if isinstance(index, cst.Index) and m.matches(index.value, m.Integer("0")):
                return None
            return self._held(value.value, frames)
        for part in _parts(value):
            found = self._held(part, frames)
            if found is not None:
                return found
        return None

    def _held_by_call(self, call: cst.Call, frames: bool) -> Optional[Tuple[str, Optional[Handler]]]:
        if self._is_exc_info(call):
            return "sys.exc_info()", self._innermost_handler()
        if frames and isinstance(call.func, (cst.Name, cst.Attribute)) and self.context.matches(call, *FRAMES):
            return "a frame", None
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "with_traceback":
            return self._held(call.func.value, frames)
        return None

    def _is_exc_info(self, value: cst.CSTNode) -> bool:
        return isinstance(value, cst.Call) and not value.args and self.context.matches(value, *EXC_INFO)

    def _active_handlers(self) -> List[Handler]:
        if not self._handlers:
            return []
        function = self.context.enclosing_function()
        return [h for h, owner in self._handlers if owner is function and function is not None]

    def _handler_binding(self, name: str) -> Optional[Handler]:
        for handler in reversed(self._active_handlers()):
            if handler.name is not None and m.matches(handler.name.name, m.Name(name)):
                return handler
        return None

    def _innermost_handler(self) -> Optional[Handler]:
        active = self._active_handlers()
        return active[-1] if active else None

    @staticmethod
    def _cleared(info: ScopeInfo, name: str) -> bool:
        """``del name`` anywhere, or ``name = ...`` / ``name.clear()`` in a finally."""
        for binding in info.bindings_of(name):
            if binding.kind == "del":
                return True
            if binding.kind == "assign" and _in_finally(info, binding.statement):
                return True
        return any(
            m.matches(info.parent(load), m.Attribute(attr=m.Name("clear"))) and _in_finally(info, load)
            for load in info.loads_of(name)
        )


def _read_outside(info: ScopeInfo, name: str, handler: Handler) -> bool:
    return any(not _within(info, load, handler) for load in info.loads_of(name))


def _within(info: ScopeInfo, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    return node is ancestor or any(a is ancestor for a in info.ancestors(node))


def _in_finally(info: ScopeInfo, node: cst.CSTNode) -> bool:
    return any(isinstance(a, cst.Finally) for a in info.ancestors(node))


def _root(holder: cst.CSTNode) -> Optional[str]:
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
