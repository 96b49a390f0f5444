from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Set

import libcst as cst

from memlint.analysis.classes import CLASSES, ClassInfo
from memlint.analysis.functions import enclosing_function
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._lifetime_callbacks import Capture, held_attribute, instance_captures

# Mutating methods that put a callback into a container held by ``self``.
STORE_METHODS = frozenset({"append", "add", "insert", "appendleft", "setdefault", "extend"})


class _Stored(NamedTuple):
    """A value stored on the instance in a method, with what it captures."""

    node: cst.CSTNode
    owner: cst.ClassDef
    attributes: List[str]  # the instance attributes that end up holding it
    captures: List[Capture]


class SelfReferenceStored(Rule):
    """
    ## What it does
    Reports a bound method of `self` (`self.on_data`), a lambda that uses
    `self`, a nested function that uses `self`, or a `functools.partial` of
    either, stored on `self`: directly (`self.cb = self.on_data`), in a dict,
    list, tuple or set literal stored on `self`, or put into a container held
    by `self` (`self.handlers[key] = self.on_data`,
    `self.callbacks.append(lambda: self.refresh())`).

    Not reported: `weakref.WeakMethod(self.m)`; objects built from the method
    such as `threading.Thread(target=self.run)` (the thread drops its target
    when it finishes); bound methods handed to another object
    (`bus.subscribe("x", self.m)`); callables received as parameters
    (`self.on_press = on_press`); attributes the class resets to `None` or
    deletes somewhere (also a stored function that deletes itself when it
    runs: `def insert(b): f(b); del self.insert`), or a container there that
    the class empties (`self.pending.pop(key)`, `.clear()`,
    `del self.pending[key]`): the author breaks the cycle explicitly; values stored on another object
    (`self.machine.on_input = self.handle`), which the instance may not own.

    Names resolve by scope, not by spelling: the instance is the method's
    first parameter whatever it is called (`def watch(this): this.cb =
    this.refresh` is reported), and a nested function or lambda whose own
    parameter is named `self` captures nothing (`self.key = lambda self:
    self.name` is not reported), nor does a `self` read in a def nested
    deeper that binds `self` itself (`def bind(obj): def op(self, other):
    ...`); static and class methods have no instance.

    ## Why is this bad?
    A bound method holds its instance: storing it on the instance makes a
    reference cycle (`self -> self.cb -> self`). The object is no longer freed
    when its last outside reference goes but only when the cyclic garbage
    collector runs, together with everything it references (buffers, sockets,
    caches); with many such objects memory climbs between collections.

    ## Example
    ```python
    class Connection:
        def __init__(self):
            self.on_message = self.default_handler

        def default_handler(self, message):
            print(message)
    ```

    ## Use instead
    ```python
    import weakref

    class Connection:
        def __init__(self):
            self.on_message = weakref.WeakMethod(self.default_handler)

        def default_handler(self, message):
            print(message)
    ```
    or look the handler up when it is needed (`getattr(self, self.handler_name)`),
    or store the plain function (`type(self).default_handler`) and pass `self`
    when calling it.

    ## Fix safety
    No fix: the right change (a `WeakMethod`, a name looked up on demand, an
    explicit reset in `close()`) depends on how the callback is called.

    ## Known problems
    Only methods defined in the class itself count as bound methods:
    `self.cb = self.inherited_method` is not reported. Short-lived objects
    (a builder used once) are reported like long-lived ones.

    ## References
    - [weakref.WeakMethod](https://docs.python.org/3/library/weakref.html#weakref.WeakMethod)
    """

    code = "MEM402"
    name = "self-reference-stored"
    message = (
        "{what} stored on self makes a self -> self cycle freed only by the garbage collector; "
        "store weakref.WeakMethod(...), look the method up when calling, or reset the attribute when done"
    )
    fix_availability = FixAvailability.NONE
    applicability = Applicability.DISPLAY_ONLY

    VALID = [
        # The weak-reference idiom of weakref.WeakSet: `self` is rebound from a weak reference.
        Valid(
            """
            from weakref import ref

            class Registry:
                def __init__(self):
                    def _remove(item, selfref=ref(self)):
                        self = selfref()
                        if self is not None:
                            self.data.discard(item)
                    self._remove = _remove
                    self.data = set()
            """
        ),
        Valid(
            """
            class Button:
                def __init__(self, on_press):
                    self.on_press = on_press
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            class Connection:
                def __init__(self):
                    self.on_message = self.default_handler

                def default_handler(self, message):
                    print(message)
            """,
            line=3,
            column=9,
            message="bound method self.default_handler",
        ),
        Invalid(
            """
            class Model:
                def watch(self):
                    self.callbacks.append(lambda: self.refresh())
            """,
            line=3,
            column=9,
            message="lambda",
        ),
        Invalid(
            """
            class Model:
                def watch(self, key):
                    def changed():
                        self.refresh(key)
                    self.listeners[key] = changed
            """,
            line=5,
            column=9,
            message="nested function changed",
        ),
    ]

    requires = (CLASSES,)
    triggers = ("class",)  # every finding is about a class

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._stored: List[_Stored] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = [t.target for t in node.targets]
        if any(isinstance(t, (cst.Attribute, cst.Subscript)) for t in targets):
            self._check(node, targets, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Attribute):
            self._check(node, [node.target], node.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in STORE_METHODS and node.args:
            self._check(node, [func.value], node.args[-1].value)

    def leave_Module(self, original_node: cst.Module) -> None:
        index = self.context.fact(CLASSES)
        for stored in self._stored:
            info = index.module_class(stored.owner)
            if info is None or all(attribute in _released(info) for attribute in stored.attributes):
                continue  # the class breaks the cycle itself: it resets the attribute or empties it
            plain = info.plain_methods
            what = next((c.what for c in stored.captures if c.bound_method is None or c.bound_method in plain), None)
            if what is not None:
                self.report(stored.node, what=what)

    def _check(self, node: cst.CSTNode, holders: Sequence[cst.BaseExpression], value: cst.BaseExpression) -> None:
        method = enclosing_function(self.context)
        instance = method.instance_parameter if method is not None else None
        if method is None or method.owner is None or instance is None:
            return
        attributes = [a for a in (held_attribute(holder, instance) for holder in holders) if a is not None]
        captures = instance_captures(self.context, value, method.node, instance) if attributes else []
        if captures:
            self._stored.append(_Stored(node, method.owner, attributes, captures))


def _released(info: ClassInfo) -> Set[str]:
    """Attributes the class lets go of itself: its ``releases``, and those a
    def or lambda nested in a method resets when it runs (a one-shot override
    that deletes itself: ``def insert(b): f(b); del self.insert``)."""
    nested = {store.name for method in info.methods for store in method.stores if store.nested and store.resets}
    return info.releases | nested

