from typing import Optional

import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from memlint.analysis.classes import ClassIndex, ClassInfo, Slots
from memlint.edits import append_item

from ._slots import ClassRule
from ._slots_layout import SLOTTED, base_layout


class SlotsWithoutWeakref(ClassRule):
    """
    ## What it does
    Reports a slotted class without `"__weakref__"` in its `__slots__` when
    the same module weakly references its instances: `weakref.ref(self)`,
    `weakref.proxy`, `weakref.finalize`, `weakref.WeakMethod(self.m)`, or
    storing an instance (`self`, `Cls(...)`, a variable bound to `Cls(...)`)
    in a `WeakSet`, `WeakValueDictionary` (as a value) or
    `WeakKeyDictionary` (as a key).

    The containers can be held by a variable or an attribute
    (`self.refs = WeakKeyDictionary()`). Only the weak side of a weak mapping
    counts: a `WeakValueDictionary` holds its keys strongly and a
    `WeakKeyDictionary` its values, so instances used there need no
    `__weakref__`.

    Not reported when `__weakref__` is among the slots or a base provides it
    (a base with a `__dict__`, a base whose layout is unknown, a builtin
    base that supports weak references).

    ## Why is this bad?
    Instances of a slotted class without a `__weakref__` slot cannot be weakly
    referenced: the call raises `TypeError: cannot create weak reference to
    'X' object` at run time.

    ## Example
    ```python
    import weakref

    class Node:
        __slots__ = ("parent",)

        def __init__(self, parent):
            self.parent = parent

        def ref(self):
            return weakref.ref(self)
    ```

    ## Use instead
    ```python
    import weakref

    class Node:
        __slots__ = ("parent", "__weakref__")

        def __init__(self, parent):
            self.parent = parent

        def ref(self):
            return weakref.ref(self)
    ```

    ## Fix safety
    The fix adds `"__weakref__"` to the tuple or list (a single-string
    `__slots__` becomes a tuple). It is safe: it adds one pointer per instance
    and changes nothing else; no base provides `__weakref__` (else nothing is
    reported), so the name cannot clash. No fix for the dict form.

    ## References
    - [Python data model: `__weakref__`](https://docs.python.org/3/reference/datamodel.html#slots)
    - [weakref](https://docs.python.org/3/library/weakref.html)
    """

    code = "MEM106"
    name = "slots-without-weakref"
    message = "instances of `{name}` are weakly referenced but its `__slots__` lacks `\"__weakref__\"`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE

    VALID = [
        Valid("""
            import weakref

            class Node:
                __slots__ = ("a", "__weakref__")

                def ref(self):
                    return weakref.ref(self)
            """),
        Valid("""
            import weakref

            class Base:
                pass

            class Node(Base):
                __slots__ = ("a",)

                def ref(self):
                    return weakref.ref(self)
            """),
        Valid("""
            import weakref
            from models import Base

            class Node(Base):
                __slots__ = ("a",)

            n = Node()
            r = weakref.ref(n)
            """),
        Valid("""
            import weakref

            class Node:
                __slots__ = ("a",)

            r = weakref.ref(other)
            """),
    ]
    INVALID = [
        Invalid(
            """
            import weakref

            class Node:
                __slots__ = ("parent",)

                def __init__(self, parent):
                    self.parent = parent

                def ref(self):
                    return weakref.ref(self)
            """,
            line=3,
            column=7,
            fixed="""
            import weakref

            class Node:
                __slots__ = ("parent", "__weakref__")

                def __init__(self, parent):
                    self.parent = parent

                def ref(self):
                    return weakref.ref(self)
            """,
        ),
        Invalid(
            """
            from weakref import WeakValueDictionary

            _cache = WeakValueDictionary()

            class Token:
                __slots__ = "text"

            def intern(text):
                token = Token(text)
                _cache[text] = token
                return token
            """,
            line=5,
            column=7,
            fixed="""
            from weakref import WeakValueDictionary

            _cache = WeakValueDictionary()

            class Token:
                __slots__ = ("text", "__weakref__")

            def intern(text):
                token = Token(text)
                _cache[text] = token
                return token
            """,
        ),
        Invalid(
            """
            import weakref as w

            class Listener:
                __slots__ = ["cb"]

            live = w.WeakSet()
            live.add(Listener())
            """,
            line=3,
            column=7,
            fixed="""
            import weakref as w

            class Listener:
                __slots__ = ["cb", "__weakref__"]

            live = w.WeakSet()
            live.add(Listener())
            """,
        ),
        Invalid(
            """
            import weakref

            class Node:
                __slots__ = {"a": "doc"}

                def ref(self):
                    return weakref.proxy(self)
            """,
            line=3,
            column=7,
        ),
    ]

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        slots = info.slots
        if slots is None or slots.names is None or info.name not in index.weak_classes:
            return
        if info.in_function or "__weakref__" in slots.name_set or "__dict__" in slots.name_set:
            return
        layout = base_layout(self.context, index, info)
        if layout.state is not SLOTTED or layout.weakref:
            return
        self.report(info.node.name, _add_weakref(slots), name=info.name)


def _add_weakref(slots: Slots) -> Optional[Replace]:
    value = slots.value
    weak = cst.Element(cst.SimpleString('"__weakref__"'))
    if isinstance(value, cst.SimpleString):
        first = cst.Element(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return Replace(value, cst.Tuple([first, weak]))
    if not isinstance(value, (cst.Tuple, cst.List)):
        return None
    if not value.elements and isinstance(value, cst.Tuple):
        weak = weak.with_changes(comma=cst.Comma())
    opening = value.lbracket.whitespace_after if isinstance(value, cst.List) else (
        value.lpar[0].whitespace_after if value.lpar else None
    )
    return Replace(value, value.with_changes(elements=append_item(value.elements, weak, opening)))
