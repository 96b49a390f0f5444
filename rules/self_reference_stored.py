from typing import Optional, Tuple

import libcst as cst
import libcst.matchers as m

from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid
from memlint.analysis.scopes import ScopeInfo

from ._classfacts import ClassFacts, class_facts, self_attribute, self_name

PARTIALS = ("functools.partial",)
# Mutating methods that put a callback into a container held by ``self``.
STORE_METHODS = frozenset({"append", "add", "insert", "appendleft", "setdefault", "extend"})


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
    deletes somewhere (the author breaks the cycle explicitly).

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
            import weakref

            class C:
                def __init__(self):
                    self.cb = weakref.WeakMethod(self.m)

                def m(self):
                    pass
            """
        ),
        Valid(
            """
            import threading

            class Worker:
                def __init__(self):
                    self.thread = threading.Thread(target=self.run)

                def run(self):
                    pass
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
            import functools as ft

            class Job:
                def start(self):
                    self.done = ft.partial(self.finish, 1)

                def finish(self, code):
                    pass
            """,
            line=5,
            column=9,
            message="functools.partial",
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

    def visit_Assign(self, node: cst.Assign) -> None:
        targets = [t.target for t in node.targets]
        if not any(isinstance(t, (cst.Attribute, cst.Subscript)) for t in targets):
            return
        self._check(node, targets, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Attribute):
            self._check(node, [node.target], node.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in STORE_METHODS and node.args:
            self._check(node, [func.value], node.args[-1].value)

    def _check(self, node: cst.CSTNode, holders: list, value: cst.BaseExpression) -> None:
        found = self._method()
        if found is None:
            return
        facts, function, var = found
        for holder in holders:
            attr = _held_attribute(holder, var)
            if attr is None or attr in facts.resets:
                continue
            what = self._capture(value, facts, function, var)
            if what is not None:
                self.report(node, what=what)
                return

    def _method(self) -> Optional[Tuple[ClassFacts, cst.FunctionDef, str]]:
        found = self.context.enclosing_method_class()
        if found is None:
            return None
        cls, function = found
        var = self_name(function)
        facts = class_facts(self.context).get(cls.name.value)
        if var is None or facts is None or facts.node is not cls:
            return None
        return facts, function, var

    def _capture(self, value: cst.BaseExpression, facts: ClassFacts, function: cst.FunctionDef,
                 var: str) -> Optional[str]:
        """What in ``value`` keeps ``self`` alive, described for the message."""
        method = self_attribute(value, var)
        if method is not None:
            return f"bound method self.{method}" if method in facts.methods else None
        if isinstance(value, cst.Lambda):
            return "a lambda using self" if _uses(value, var) else None
        if isinstance(value, cst.Name):
            return self._nested_function(value.value, function, var)
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            elements = [e.value for e in value.elements]
        elif isinstance(value, cst.Dict):
            elements = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
        elif isinstance(value, cst.Call) and self.context.matches(value, *PARTIALS):
            if any(m.matches(a.value, m.Name(var)) for a in value.args):
                return "functools.partial(..., self)"
            captured = [self._capture(a.value, facts, function, var) for a in value.args[:1]]
            return f"functools.partial of {captured[0]}" if captured and captured[0] else None
        else:
            return None
        for element in elements:
            what = self._capture(element, facts, function, var)
            if what is not None:
                return what
        return None

    def _nested_function(self, name: str, function: cst.FunctionDef, var: str) -> Optional[str]:
        bindings = self.context.scope_info(function).bindings_of(name)
        if bindings and all(b.kind == "def" for b in bindings):
            if all(_uses(b.statement, var) for b in bindings):
                return f"nested function {name} using self"
        return None


def _held_attribute(holder: cst.CSTNode, var: str) -> Optional[str]:
    """The attribute of ``self`` that ends up holding the value: ``self.x``,
    ``self.x[k]``, ``self.x.y``."""
    if isinstance(holder, cst.Subscript):
        holder = holder.value
    attr = None
    while isinstance(holder, cst.Attribute):
        attr = holder.attr.value
        holder = holder.value
    return attr if m.matches(holder, m.Name(var)) else None


def _uses(node: cst.CSTNode, var: str) -> bool:
    """Whether a lambda or nested def keeps ``var`` of the enclosing method
    alive: as a default value, or read as a free variable. A parameter of the
    same name shadows it, and so does a local binding (the weak-reference
    idiom ``def _remove(item, selfref=ref(self)): self = selfref()``)."""
    params = node.params
    own = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if any(m.matches(p.default, m.Name(var)) for p in own if p.default is not None):
        return True
    if any(p.name.value == var for p in own):
        return False
    if isinstance(node, cst.FunctionDef) and ScopeInfo(node).binds(var):
        return False
    return bool(m.findall(node.body, m.Name(var)))
