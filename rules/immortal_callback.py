from typing import Any, List, Mapping, NamedTuple, Optional, Set

import libcst as cst

from memlint.analysis.classes import CLASSES, ClassIndex
from memlint.analysis.functions import FunctionSite, enclosing_function
from memlint.analysis.names import last_name
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._lifetime_callbacks import Capture, callback_reference

ATEXIT_REGISTER = "atexit.register"
ATEXIT_UNREGISTER = "atexit.unregister"
FINALIZE = "weakref.finalize"
ATEXIT_CONSEQUENCE = "atexit keeps it and everything it references alive until the interpreter exits"
FINALIZE_CONSEQUENCE = "the finalizer keeps the object alive, so it never runs before exit"


class _Found(NamedTuple):
    """A registration referencing its object, decided once the module's
    classes are known (bound methods, ``atexit.unregister``)."""

    call: cst.Call
    method: Optional[FunctionSite]  # the function around the call
    obj: str
    callback: Capture
    atexit: bool


class ImmortalCallback(Rule):
    """
    ## What it does
    Reports exit and finalizer callbacks that keep their object alive:

    - `atexit.register(self.close)`, `atexit.register(lambda: self.flush())`,
      `atexit.register(cleanup, self)`, `atexit.register(partial(f, self))` in
      a method, unless the class also calls `atexit.unregister`;
    - `weakref.finalize(obj, obj.close)` (also with `self`), or a finalizer
      whose callback is a lambda or `functools.partial` using `obj`, or that
      gets `obj` among its arguments.

    Not reported: module-level functions (`atexit.register(_cleanup)`,
    `weakref.finalize(self, _release, self._handle)`); callbacks bound to other
    objects (`weakref.finalize(self, client.delete, key)`); attributes of
    `self` the class assigns itself (a stored plain function).

    ## Why is this bad?
    `atexit` keeps every registered callable, with its bound instance and
    arguments, until the interpreter exits: each object registered this way
    can never be freed, so creating many of them grows memory without bound.
    `weakref.finalize` keeps its callback and arguments alive until the
    object dies; when they reference the object, it never dies, and the
    finalizer only runs at exit.

    ## Example
    ```python
    import atexit

    class TempDir:
        def __init__(self, path):
            self.path = path
            atexit.register(self.cleanup)

        def cleanup(self):
            remove_tree(self.path)
    ```

    ## Use instead
    ```python
    import weakref

    class TempDir:
        def __init__(self, path):
            self.path = path
            self._finalizer = weakref.finalize(self, remove_tree, path)

        def cleanup(self):
            self._finalizer()
    ```

    ## Fix safety
    No fix: the callback has to be rewritten as a function of the state it
    needs (not of the object), which only the author can do.

    ## References
    - [weakref.finalize](https://docs.python.org/3/library/weakref.html#weakref.finalize)
    - [atexit](https://docs.python.org/3/library/atexit.html)
    """

    code = "MEM405"
    name = "immortal-callback"
    triggers = ("register", "finalize")
    message = "{callback} references {obj}: {consequence}; pass a module-level function and only the state it needs"
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        Valid(
            """
            import atexit

            def _cleanup():
                pass

            atexit.register(_cleanup)

            class Pool:
                def __init__(self):
                    atexit.register(_cleanup)
            """
        ),
        Valid(
            """
            import weakref

            class Entry:
                def __init__(self, client, key):
                    self._finalizer = weakref.finalize(self, client.delete, key)
                    self._other = weakref.finalize(self, _release, self.handle)
            """
        ),
        Valid(
            """
            import atexit

            class Service:
                def start(self):
                    atexit.register(self.stop)

                def close(self):
                    atexit.unregister(self.stop)

                def stop(self):
                    pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import atexit

            class TempDir:
                def __init__(self, path):
                    self.path = path
                    atexit.register(self.cleanup)

                def cleanup(self):
                    pass
            """,
            line=6,
            column=9,
            message="self.cleanup references self",
        ),
        Invalid(
            """
            import weakref as wr

            class Conn:
                def __init__(self):
                    self._fin = wr.finalize(self, self.close)

                def close(self):
                    pass
            """,
            line=5,
            column=21,
            message="never runs before exit",
        ),
        Invalid(
            """
            from atexit import register
            from functools import partial

            class Cache:
                def __init__(self):
                    register(partial(save, self))
            """,
            line=6,
            column=9,
        ),
        Invalid(
            """
            import weakref

            class Buffer:
                def __init__(self):
                    weakref.finalize(self, release, self)
            """,
            line=5,
            column=9,
            message="argument self references self",
        ),
    ]

    requires = (CLASSES,)

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._found: List[_Found] = []
        self._unregistering: Set[cst.ClassDef] = set()  # classes calling atexit.unregister

    def visit_Call(self, node: cst.Call) -> None:
        name = last_name(node.func)
        if name == "unregister" and self.context.matches(node, ATEXIT_UNREGISTER):
            self._unregistering.update(n for n in self.context.ancestors if isinstance(n, cst.ClassDef))
        elif not node.args:
            return
        elif name == "register" and self.context.matches(node, ATEXIT_REGISTER):
            self._check_atexit(node)
        elif name == "finalize" and len(node.args) >= 2 and self.context.matches(node, FINALIZE):
            self._check_finalize(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        index = self.context.fact(CLASSES)
        for found in self._found:
            if found.atexit and found.method is not None and found.method.owner in self._unregistering:
                continue
            if found.callback.bound_method is None or _bound_method(index, found):
                consequence = ATEXIT_CONSEQUENCE if found.atexit else FINALIZE_CONSEQUENCE
                self.report(found.call, callback=found.callback.what, obj=found.obj, consequence=consequence)

    def _check_atexit(self, node: cst.Call) -> None:
        function = enclosing_function(self.context)
        if function is None or function.owner is None or function.instance_parameter is None:
            return  # not a method: no instance to keep alive
        instance = function.instance_parameter
        callback = callback_reference(self.context, node.args[0].value, node.args[1:], instance)
        if callback is not None:
            self._found.append(_Found(node, function, instance, callback, atexit=True))

    def _check_finalize(self, node: cst.Call) -> None:
        target = node.args[0].value
        if not isinstance(target, cst.Name):
            return
        callback = callback_reference(self.context, node.args[1].value, node.args[2:], target.value)
        if callback is not None:
            self._found.append(_Found(node, enclosing_function(self.context), target.value, callback, atexit=False))


def _bound_method(index: ClassIndex, found: _Found) -> bool:
    """``obj.attr``, the callback, is a bound method, not a function stored on the instance."""
    method = found.method
    attribute = found.callback.bound_method
    if method is None or method.owner is None or method.instance_parameter != found.obj:
        return True  # another object's attribute: take it as a method
    info = index.module_class(method.owner)
    if info is None or attribute is None:
        return False
    return attribute in info.plain_methods or (attribute not in info.stores and attribute not in info.names)
