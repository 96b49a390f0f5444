from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.rule import FixAvailability, Invalid, Valid

from ._slots import ClassRule, mangle
from ._slots_layout import UNKNOWN, base_layout


class IneffectiveSlots(ClassRule):
    """
    ## What it does
    Reports `__slots__` on a class whose base without `__slots__` stores
    instance attributes (`self.x = ...` in its methods, `setattr(self, ...)`):
    every instance still fills a `__dict__`. The base is a class of the same
    module (directly or further up) or, with `--enable-inference`, a class in
    another module whose MRO has a class without its own `__slots__`
    (checked with astroid).

    Not reported:

    - bases that store no attribute, or only attributes that a slot of the
      MRO takes: CPython allocates the `__dict__` lazily, so the slots save
      (an empty marker `class ViewABC(ABC): pass`);
    - exception classes: slots save there on every version;
    - metaclasses (`class Meta(type)`): their instances are classes;
    - bases whose layout cannot be told (another module without inference,
      an uninferable base, a metaclass), unless `--report-unknown` is given.

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
            class ParseError(ValueError):
                __slots__ = ("pos",)
            """),
        Valid("""
            import abc

            class View(abc.ABC):
                pass

            class EdgeView(View):
                __slots__ = ("graph",)
            """),
        Valid("""
            class Query:
                __slots__ = ("_db",)

            class Select(Query):
                def __init__(self, db):
                    self._db = db

            class Values(Select):
                __slots__ = ("fields",)
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
    ]

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        if info.slots is None:
            return
        layout = base_layout(self.context, index, info)
        if layout.exception:
            return  # slots save on exceptions on every version (RULES.md, MEM105)
        own = {mangle(info.name, name) for name in info.slots.name_set}
        if layout.fills_dict(own):
            self.report(info.node.name, name=info.name, why="saves nothing: a base class gives instances a `__dict__`")
        elif layout.state is UNKNOWN and self.context.settings.report_unknown:
            self.report(info.node.name, name=info.name, why="may save nothing: the layout of a base class is unknown")
