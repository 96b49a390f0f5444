from typing import Any, List, Mapping, Optional

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.classes import CLASSES
from memlint.analysis.functions import enclosing_function
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._lifetime_flow import cleared, handed_on, within
from ._retained import Handler, Held, HeldValues, OnInstance, first_attribute, read_outside, root_name

CONTAINER_METHODS = frozenset({"append", "add", "insert", "appendleft", "extend", "setdefault", "update"})
KEEP_A_STRING = "keep a string instead (repr(e), traceback.format_exception(e)) or drop it when done"


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
    as the module anyway). What the code hands on or drops itself: a local
    or local container that every path from the store raises or returns
    (`raise ExceptionGroup("...", errors)`, `return Result(exception=exc)`;
    not `len(errors)` or `str(e)`) or deletes or rebinds first (a loop's next
    round starting with `error = None`); an attribute of `self` the class
    resets, deletes or empties (`pop`, `clear`) outside its constructor.

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
        # raised on every path from the store: kept on purpose, it dies with the raise
        Valid(
            """
            def validate(items, check):
                errors = []
                for item in items:
                    try:
                        check(item)
                    except ValueError as e:
                        errors.append(e)
                if errors:
                    raise ExceptionGroup("invalid", errors)
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
            class Connection:
                def received(self, data):
                    try:
                        parse(data)
                    except ValueError as e:
                        self.lost_errors.append(e)
            """,
            line=6,
            column=13,
            message="exception e kept in container self.lost_errors",
        ),
    ]

    requires = (CLASSES,)

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._values = HeldValues(context)
        self._on_instance: List[OnInstance] = []  # decided once the class is known

    def visit_ExceptHandler(self, node: Handler) -> None:
        self._values.enter(node)

    def leave_ExceptHandler(self, original_node: Handler) -> None:
        self._values.leave()

    visit_ExceptStarHandler = visit_ExceptHandler
    leave_ExceptStarHandler = leave_ExceptHandler

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
            self._into_container(node, func.value, self._values.held(node.args[-1].value))

    def _store(self, node: cst.CSTNode, target: cst.CSTNode, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript):
            self._into_container(node, target.value, self._values.held(value))
        elif isinstance(target, cst.Attribute):
            self._on_self(node, target, value)
        elif isinstance(target, cst.Name):
            self._in_variable(node, target.value, value)
        elif isinstance(target, cst.Tuple) and self._values.is_exc_info(value):
            for element in target.elements[1:3]:  # (type, value, traceback): the type is harmless
                if isinstance(element.value, cst.Name) and self._in_variable(node, element.value.value, value):
                    return

    def _on_self(self, node: cst.CSTNode, target: cst.Attribute, value: cst.BaseExpression) -> None:
        function = enclosing_function(self.context)
        instance = function.instance_parameter if function is not None else None
        if function is None or instance is None or not m.matches(target.value, m.Name(instance)):
            return  # another object's attribute, or no instance (a static or class method, a function)
        held = self._values.held(value)
        if held is not None:
            stored = OnInstance(node, held.what, f"self.{target.attr.value}", function.owner, target.attr.value)
            self._on_instance.append(stored)

    def _in_variable(self, node: cst.CSTNode, name: str, value: cst.BaseExpression) -> bool:
        function = self.context.enclosing_function()
        held = self._values.held(value) if function is not None else None
        if function is None or held is None:
            return False
        info = self.context.scope_info(function)
        if name in info.global_names or name in info.nonlocal_names:
            kind = "global" if name in info.global_names else "closure variable"
            self._report(node, held.what, f"{kind} {name}")
            return True
        # A frame kept in a local (handler None): the caller's frame makes no cycle (MEM404).
        handler = held.handler
        if handler is None or cleared(info, name) or not read_outside(info, name, handler) or handed_on(info, node, name):
            return False
        self._report(node, held.what, f"local {name}", f"`del {name}` when done (in a finally)")
        return True

    def _into_container(self, node: cst.CSTNode, holder: cst.CSTNode, held: Optional[Held]) -> None:
        site = enclosing_function(self.context)
        root = root_name(holder)
        if held is None or site is None or root is None:
            return
        info = self.context.scope_info(site.node)
        if site.instance_parameter == root:
            attribute = first_attribute(holder)
            where = f"container {root}.{attribute}" if attribute is not None else f"container {root}"
            self._on_instance.append(OnInstance(node, held.what, where, site.owner, attribute))
        elif not info.binds(root) or any(b.kind == "param" for b in info.bindings_of(root)):
            self._report(node, held.what, f"container {root}")  # outlives the function
        elif held.handler is not None:  # (a frame in a local container dies with the function)
            inside = all(within(info, b.statement, held.handler) for b in info.bindings_of(root))
            if not inside and not cleared(info, root) and not handed_on(info, node, root):
                self._report(node, held.what, f"container {root}", f"clear {root} (in a finally) when done")

    def leave_Module(self, original_node: cst.Module) -> None:
        classes = self.context.fact(CLASSES).classes
        for stored in self._on_instance:
            info = classes.get(stored.owner) if stored.owner is not None else None
            if info is None or stored.attribute not in info.releases:  # else the class drops it itself
                self._report(stored.node, stored.what, stored.where)

    def _report(self, node: cst.CSTNode, what: str, where: str, suggestion: str = KEEP_A_STRING) -> None:
        self.report(node, what=what, where=where, suggestion=suggestion)
