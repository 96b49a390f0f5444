from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.rule import FixAvailability, Invalid, Valid

from ._slots import ClassRule

# Names `type()` takes out of the class namespace itself: no class attribute is left to clash.
NAMESPACE_SPECIALS = frozenset({"__qualname__", "__classcell__"})


class SlotsConflictClassAttribute(ClassRule):
    """
    ## What it does
    Reports a name listed in `__slots__` that the class body also binds as a
    class attribute: an assignment with a value, a method, a property or a
    nested class. Slots may be given as a tuple, a list, a single string or a
    dict. A bare annotation (`x: int`) binds nothing and is fine.

    ## Why is this bad?
    Class creation fails: `ValueError: 'x' in __slots__ conflicts with class
    variable`. The module cannot be imported. A default value for a slot has
    to be set in `__init__` instead.

    ## Example
    ```python
    class Point:
        __slots__ = ("x", "y")
        x = 0

        def __init__(self, y):
            self.y = y
    ```

    ## Use instead
    ```python
    class Point:
        __slots__ = ("x", "y")

        def __init__(self, y, x=0):
            self.x = x
            self.y = y
    ```

    ## Fix safety
    No fix: whether the class attribute or the slot is meant is a decision for
    the author.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    """

    code = "MEM103"
    name = "slots-conflict-class-attribute"
    message = "`{slot}` is in `__slots__` of `{name}` and also a class attribute: class creation raises ValueError"
    fix_availability = FixAvailability.NONE

    VALID = [
        Valid("""
            class P:
                __slots__ = ("x",)
                x: int

                def __init__(self, x):
                    self.x = x
            """),
        Valid("""
            class P:
                __slots__ = {"x": "the x coordinate"}
                y = 0
            """),
        Valid("""
            class Q:
                __qualname__ = "Renamed"
                __slots__ = ["__qualname__"]
            """),
        Valid("""
            class P:
                __slots__ = names()
                x = 0
            """),
    ]
    INVALID = [
        Invalid(
            """
            class Point:
                __slots__ = ("x", "y")
                x = 0
            """,
            line=1,
            column=7,
            message="`x` is in `__slots__` of `Point`",
        ),
        Invalid(
            """
            class Point:
                __slots__ = "size"

                @property
                def size(self):
                    return 1
            """,
            line=1,
            column=7,
        ),
        Invalid(
            """
            class Point:
                __slots__ = ["a", "b"]
                b: int = 2
            """,
            line=1,
            column=7,
            message="`b`",
        ),
        Invalid(
            """
            class Point:
                __slots__ = {"a": "doc"}
                a = None
            """,
            line=1,
            column=7,
        ),
    ]

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        names = info.slots.names if info.slots is not None else None
        for name, _ in names or ():
            if name in info.bindings and name not in NAMESPACE_SPECIALS:
                self.report(info.node.name, slot=name, name=info.name)
