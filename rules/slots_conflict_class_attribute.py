from typing import Sequence, Set

import libcst as cst

from memlint.analysis.blocks import statements
from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.analysis.names import assignment_targets, target_names
from memlint.rule import FixAvailability, Invalid, Valid

from ._slots import ClassRule

# Names `type()` takes out of the class namespace itself: no class attribute is left to clash;
# and slots CPython leaves out of the clash check (a `__dict__` property beside them is fine).
NOT_CHECKED = frozenset({"__qualname__", "__classcell__", "__dict__", "__weakref__"})


class SlotsConflictClassAttribute(ClassRule):
    """
    ## What it does
    Reports a name listed in `__slots__` that the class body also binds as a
    class attribute: an assignment with a value, a method, a property or a
    nested class. Slots may be given as a tuple, a list, a single string or a
    dict. A bare annotation (`x: int`) binds nothing and is fine.

    Only bindings that certainly run count: a class attribute defined under
    an `if` (`if TYPE_CHECKING:`, `if cython.compiled:`) or in a `try` is
    reported only when every branch of an `if`/`else` binds it. `__dict__`
    and `__weakref__` in `__slots__` are never reported: CPython leaves them
    out of the clash check.

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
            from typing import TYPE_CHECKING

            class Node:
                __slots__ = ("parent",)
                if TYPE_CHECKING:
                    parent = None
            """),
        Valid("""
            class Lazy:
                __slots__ = ("__dict__", "__weakref__")

                @property
                def __dict__(self):
                    return {}
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
        if not names:
            return
        bound = certain_bindings(statements(info.node.body))
        for name, _ in names:
            if name in bound and name in info.bindings and name not in NOT_CHECKED:
                self.report(info.node.name, slot=name, name=info.name)


def certain_bindings(body: Sequence[cst.CSTNode]) -> Set[str]:
    """Names a class body certainly binds to a value: not those bound only
    under an ``if`` without a binding ``else``, in a ``try`` or a loop."""
    bound: Set[str] = set()
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            bound |= certain_bindings(statement.body)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            bound.add(statement.name.value)
        elif isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is not None:
            bound.update(name.value for target in assignment_targets(statement) for name in target_names(target))
        elif isinstance(statement, cst.With):
            bound |= certain_bindings(statements(statement.body))
        elif isinstance(statement, cst.If):
            bound |= _if_bindings(statement)
    return bound


def _if_bindings(statement: cst.If) -> Set[str]:
    """Names every branch of an ``if``/``elif``/``else`` chain binds."""
    orelse = statement.orelse
    if orelse is None:
        return set()
    rest = _if_bindings(orelse) if isinstance(orelse, cst.If) else certain_bindings(statements(orelse.body))
    return certain_bindings(statements(statement.body)) & rest
