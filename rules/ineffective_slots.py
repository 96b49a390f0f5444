from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.rule import FixAvailability, Invalid, Valid

from ._slots import HAS_DICT, UNKNOWN, ClassRule, base_layout


class IneffectiveSlots(ClassRule):
    """
    ## What it does
    Reports `__slots__` on a class whose base gives instances a `__dict__`
    anyway: a class without `__slots__` defined in the same module (directly
    or further up), an exception class (`Exception` and every builtin with a
    `__dict__`), or, with `--enable-inference`, a class in another module
    whose MRO has a class without its own `__slots__` (checked with astroid).

    A base whose layout cannot be told (another module without inference, an
    uninferable base, a metaclass) is not reported unless `--report-unknown`
    is given.

    ## Why is this bad?
    Slots save memory only when no class in the MRO has a `__dict__`. Under a
    non-slotted base each instance still carries its dictionary, and the
    `__slots__` only adds descriptors: the memory the author meant to save is
    not saved.

    ## Example
    ```python
    class Base:
        def __init__(self, id):
            self.id = id

    class Row(Base):
        __slots__ = ("value",)
    ```

    ## Use instead
    ```python
    class Base:
        __slots__ = ("id",)

        def __init__(self, id):
            self.id = id

    class Row(Base):
        __slots__ = ("value",)
    ```

    ## Fix safety
    No fix: slotting the base changes every class that derives from it.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    """

    code = "MEM105"
    name = "ineffective-slots"
    message = "`__slots__` of `{name}` {why}"
    fix_availability = FixAvailability.NONE

    VALID = [
        Valid("""
            class Base:
                __slots__ = ()

            class Row(Base):
                __slots__ = ("value",)
            """),
        Valid("""
            from models import Base

            class Row(Base):
                __slots__ = ("value",)
            """),
        Valid("""
            import abc

            class Row(abc.ABC):
                __slots__ = ("value",)
            """),
        Valid("""
            from collections import namedtuple

            class Row(namedtuple("Row", "a b")):
                __slots__ = ()
            """),
        Valid("""
            class Row(int):
                __slots__ = ()
            """),
    ]
    INVALID = [
        Invalid(
            """
            class Base:
                def __init__(self, id):
                    self.id = id

            class Row(Base):
                __slots__ = ("value",)
            """,
            line=5,
            column=7,
            message="`__slots__` of `Row` saves nothing: a base class gives instances a `__dict__`",
        ),
        Invalid(
            """
            class ParseError(ValueError):
                __slots__ = ("pos",)
            """,
            line=1,
            column=7,
        ),
    ]

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        if info.slots is None:
            return
        state = base_layout(self.context, index, info).state
        if state is HAS_DICT:
            self.report(info.node.name, name=info.name, why="saves nothing: a base class gives instances a `__dict__`")
        elif state is UNKNOWN and self.context.settings.report_unknown:
            self.report(info.node.name, name=info.name, why="may save nothing: the layout of a base class is unknown")
