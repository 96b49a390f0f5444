from typing import List, Optional, Set, Union

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.classes import ClassIndex, ClassInfo, Slots
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from ._slots import ClassRule, base_layout, mangle


class DuplicateSlot(ClassRule):
    """
    ## What it does
    Reports a name that appears twice in a class's `__slots__` (tuple, list or
    dict form), or that repeats a slot of a base class defined in the same
    module.

    ## Why is this bad?
    A repeated name in the same `__slots__` is a mistake that Python accepts
    for some forms and rejects for others; a slot that repeats a base's slot
    creates a second, shadowing descriptor: each instance reserves memory for
    both and the base's slot becomes unreachable from the subclass.

    ## Example
    ```python
    class Base:
        __slots__ = ("id",)

    class Row(Base):
        __slots__ = ("id", "value")
    ```

    ## Use instead
    ```python
    class Base:
        __slots__ = ("id",)

    class Row(Base):
        __slots__ = ("value",)
    ```

    ## Fix safety
    The fix removes the repeated element, keeping the first occurrence (or the
    base's slot). It is safe: the attribute stays a slot of every instance,
    stored once. No fix is offered when a comment sits on the element that
    would be removed.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    """

    code = "MEM104"
    name = "duplicate-slot"
    message = "`{slot}` appears twice in `__slots__` of `{name}`{where}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE

    VALID = [
        Valid("""
            class P:
                __slots__ = ("x", "y")
            """),
        Valid("""
            from base import Base

            class P(Base):
                __slots__ = ("x",)
            """),
        Valid("""
            class Base:
                __slots__ = ("__x",)

            class P(Base):
                __slots__ = ("__x",)
            """),
    ]
    INVALID = [
        Invalid(
            """
            class P:
                __slots__ = ("x", "y", "x")
            """,
            line=1,
            column=7,
            message="`x` appears twice in `__slots__` of `P`",
            fixed="""
            class P:
                __slots__ = ("x", "y")
            """,
        ),
        Invalid(
            """
            class Base:
                __slots__ = ("id",)

            class Row(Base):
                __slots__ = ("id", "value")
            """,
            line=4,
            column=7,
            message="(already a slot of base `Base`)",
            fixed="""
            class Base:
                __slots__ = ("id",)

            class Row(Base):
                __slots__ = ("value",)
            """,
        ),
        Invalid(
            """
            class Base:
                __slots__ = "id"

            class Mid(Base):
                __slots__ = ()

            class Row(Mid):
                __slots__ = "id"
            """,
            line=7,
            column=7,
            fixed="""
            class Base:
                __slots__ = "id"

            class Mid(Base):
                __slots__ = ()

            class Row(Mid):
                __slots__ = ()
            """,
        ),
        Invalid(
            """
            class P:
                __slots__ = (
                    "a",
                    "a",  # a comment here would be lost
                    "b",
                )
            """,
            line=1,
            column=7,
        ),
    ]

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        slots = info.slots
        if slots is None or slots.names is None:
            return
        inherited = base_layout(self.context, index, info, infer=False).slots
        seen: Set[str] = set()
        for name, element in slots.names:
            owner = inherited.get(mangle(info.name, name))
            if name in seen or owner is not None:
                where = f" (already a slot of base `{owner}`)" if owner and name not in seen else ""
                self.report(info.node.name, _remove(slots, element), slot=name, name=info.name, where=where)
            seen.add(name)


def _remove(slots: Slots, element: cst.CSTNode) -> Optional[Replace]:
    """Drop one element of the `__slots__` literal, keeping the others' commas."""
    value = slots.value
    if element is value:  # `__slots__ = "x"`
        return Replace(value, cst.Tuple([]))
    if m.findall(element, m.Comment()) or not isinstance(value, (cst.Tuple, cst.List, cst.Dict)):
        return None
    elements: List[Union[cst.BaseElement, cst.BaseDictElement]] = list(value.elements)
    index = next(i for i, e in enumerate(elements) if e is element)
    removed = elements.pop(index)
    if elements and index == len(elements):  # removed the last: the new last takes its comma
        elements[-1] = elements[-1].with_changes(comma=removed.comma)
    if isinstance(value, cst.Tuple) and len(elements) == 1 and not isinstance(elements[0].comma, cst.Comma):
        elements[0] = elements[0].with_changes(comma=cst.Comma())
    return Replace(value, value.with_changes(elements=elements))


