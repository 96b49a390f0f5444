from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Set

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.functions import enclosing_function, named_params
from memlint.analysis.names import last_name
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._classfacts import class_facts

ATEXIT_REGISTER = "atexit.register"
ATEXIT_UNREGISTER = "atexit.unregister"
FINALIZE = "weakref.finalize"
PARTIALS = ("functools.partial",)
ATEXIT_CONSEQUENCE = "atexit keeps it and everything it references alive until the interpreter exits"


class Registration(NamedTuple):
    """`atexit.register(...)` in a method referencing the instance, reported
    once the module is seen unless its class calls `atexit.unregister`."""

    call: cst.Call
    owner: cst.ClassDef
    callback: str  # how the callback references the instance, for the message
    instance: str


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
            import weakref

            def track(conn):
                weakref.finalize(conn, lambda: conn.close())
            """,
            line=4,
            column=5,
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

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._registrations: List[Registration] = []
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
        for registration in self._registrations:
            if registration.owner not in self._unregistering:
                self.report(registration.call, callback=registration.callback, obj=registration.instance,
                            consequence=ATEXIT_CONSEQUENCE)

    def _check_atexit(self, node: cst.Call) -> None:
        function = enclosing_function(self.context)
        if function is None or function.owner is None or function.instance_parameter is None:
            return  # not a method: no instance to keep alive
        instance = function.instance_parameter
        what = self._reference(node.args[0].value, node.args[1:], instance)
        if what is not None:
            self._registrations.append(Registration(node, function.owner, what, instance))

    def _check_finalize(self, node: cst.Call) -> None:
        target = node.args[0].value
        if not isinstance(target, cst.Name):
            return
        what = self._reference(node.args[1].value, node.args[2:], target.value)
        if what is not None:
            self.report(node, callback=what, obj=target.value,
                        consequence="the finalizer keeps the object alive, so it never runs before exit")

    def _reference(self, callback: cst.BaseExpression, args: Sequence[cst.Arg], var: str) -> Optional[str]:
        """How the callback or its arguments reference ``var``, for the message."""
        for arg in args:
            if m.matches(arg.value, m.Name(var)):
                return f"argument {var}"
        if isinstance(callback, cst.Attribute) and m.matches(callback.value, m.Name(var)):
            return f"{var}.{callback.attr.value}" if self._bound_method(callback.attr.value, var) else None
        if isinstance(callback, cst.Lambda):
            shadowed = any(p.name.value == var for p in named_params(callback.params))
            return "a lambda" if not shadowed and m.findall(callback.body, m.Name(var)) else None
        if isinstance(callback, cst.Call) and self.context.matches(callback, *PARTIALS) and callback.args:
            return self._reference(callback.args[0].value, callback.args[1:], var) and "functools.partial"
        return None

    def _bound_method(self, attr: str, var: str) -> bool:
        """``var.attr`` is a bound method, not a function stored on ``self``."""
        function = enclosing_function(self.context)
        if function is None or function.owner is None or function.instance_parameter != var:
            return True  # another object's attribute: take it as a method
        facts = class_facts(self.context).get(function.owner.name.value)
        if facts is None or facts.node is not function.owner:
            return False
        return attr in facts.methods or (attr not in facts.stores and attr not in facts.class_names)
