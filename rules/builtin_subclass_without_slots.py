from typing import Optional

import libcst as cst

from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.edits import insert_statement
from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._slots import ClassRule, DecoratorKind, decorator_kind
from ._slots_layout import SLOTTED, base_layout
from ._slots_records import project_view

BUILTINS = frozenset({"builtins.str", "builtins.bytes", "builtins.int", "builtins.tuple"})


class BuiltinSubclassWithoutSlots(ClassRule):
    """
    ## What it does
    Reports a subclass of `str`, `bytes`, `int` or `tuple`, or of a
    `collections.namedtuple(...)` class, that does not declare
    `__slots__ = ()`, when its instances need no `__dict__`: the class sets no
    attributes on its instances and does not use `setattr`/`__dict__`.

    Not reported: `Enum` mixins (`class Color(str, Enum)`) and any class with
    a base the rule cannot see, `class X(NamedTuple)` (typing's form already
    has no `__dict__`), classes with a metaclass or a class-replacing
    decorator, classes defined inside functions, and test files; classes
    that the project index shows are made a few times only: no construction
    in a loop, a comprehension or into a container anywhere in the project
    (import-time constants such as `FIRST = Item(1)`, one per call, or
    never by name in the project); classes that a subclass without
    `__slots__` extends (its instances keep a `__dict__` anyway). Without
    the index, only import-time constants of the module are left out.

    ## Why is this bad?
    The builtin base stores the value compactly, but the subclass adds a
    `__dict__` and a `__weakref__` pointer to every instance (16 bytes on
    CPython 3.11 for a `str`, measured with `sys.getsizeof`), and a dictionary
    once anything sets an attribute; for a namedtuple this undoes the reason
    to use one.

    ## Example
    ```python
    from collections import namedtuple

    class Point(namedtuple("Point", "x y")):
        def norm(self):
            return (self.x ** 2 + self.y ** 2) ** 0.5

    path = [Point(x, x * x) for x in range(1000)]
    ```

    ## Use instead
    ```python
    from collections import namedtuple

    class Point(namedtuple("Point", "x y")):
        __slots__ = ()

        def norm(self):
            return (self.x ** 2 + self.y ** 2) ** 0.5
    ```

    ## Fix safety
    The fix inserts `__slots__ = ()` as the first statement after the
    docstring. It is unsafe: code outside the project may set attributes on
    instances or weakly reference them. No fix is offered when this module
    weakly references instances, or when the project index cannot prove that
    no other module sets attributes on them or combines the class with
    another base; another module that does set one silences the finding. An
    empty `__slots__` cannot clash with class attributes.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    - [collections.namedtuple](https://docs.python.org/3/library/collections.html#collections.namedtuple)
    """

    code = "MEM107"
    name = "builtin-subclass-without-slots"
    message = "subclass `{name}` of `{base}` without `__slots__ = ()`: every instance keeps room for a `__dict__`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid("""
            class Name(str):
                __slots__ = ()
            """),
        Valid("""
            from enum import Enum

            class Color(str, Enum):
                RED = "red"
            """),
        Valid("""
            from typing import NamedTuple

            class P(NamedTuple):
                x: int
            """),
        Valid("""
            def test_subclass():
                class MyString(str):
                    pass
            """),
    ]
    INVALID = [
        Invalid(
            """
            from collections import namedtuple

            class Point(namedtuple("Point", "x y")):
                \"\"\"A point.\"\"\"

                def norm(self):
                    return (self.x ** 2 + self.y ** 2) ** 0.5

            path = [Point(x, x) for x in range(9)]
            """,
            line=3,
            column=7,
            message="subclass `Point` of `namedtuple`",
            fixed="""
            from collections import namedtuple

            class Point(namedtuple("Point", "x y")):
                \"\"\"A point.\"\"\"
                __slots__ = ()

                def norm(self):
                    return (self.x ** 2 + self.y ** 2) ** 0.5

            path = [Point(x, x) for x in range(9)]
            """,
        ),
        Invalid(
            """
            class Name(str):
                def upper_first(self):
                    return self[:1].upper() + self[1:]

            names = [Name(word) for word in "a b c".split()]
            """,
            line=1,
            column=7,
            message="subclass `Name` of `str`",
            fixed="""
            class Name(str):
                __slots__ = ()

                def upper_first(self):
                    return self[:1].upper() + self[1:]

            names = [Name(word) for word in "a b c".split()]
            """,
        ),
        Invalid(
            """
            import weakref

            class Key(bytes):
                def ref(self):
                    return weakref.ref(self)

            keys = [Key(b"k%d" % i) for i in range(9)]
            """,
            line=3,
            column=7,
        ),
    ]

    def applies(self) -> bool:
        return not self.context.is_test_file

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        if info.node.keywords or info.in_function:
            return
        base = self._builtin_base(index, info)
        if base is None or info.slots is not None or info.dynamic:
            return
        view = project_view(self.context, info)
        if view.made_few_times(index, info) or view.subclassed_without_slots:
            return  # a fixed handful of instances, or subclasses that keep a __dict__ anyway
        stores = (store for method in info.methods for store in method.stores)
        if info.foreign_attrs or view.extended_outside([]) or any(not isinstance(s.statement, cst.Del) for s in stores):
            return  # sets attributes on instances (here or in another module): it needs the __dict__
        if any(decorator_kind(name) not in (DecoratorKind.NEUTRAL, None) for name in info.decorator_names):
            return
        if base_layout(self.context, index, info, infer=False).state is not SLOTTED:
            return  # an Enum mixin, or a base we cannot see
        fix = None if index.weakly_referenced(info) or not view.safe_to_slot else insert_statement(
            info.node, cst.Assign([cst.AssignTarget(cst.Name("__slots__"))], cst.Tuple([]))
        )
        self.report(info.node.name, fix, name=info.name, base=base)

    def _builtin_base(self, index: ClassIndex, info: ClassInfo) -> Optional[str]:
        """`str`, `bytes`, `int`, `tuple` or `namedtuple` when the class extends one of them."""
        for arg, qualified in zip(info.node.bases, info.base_names):
            value = arg.value
            if isinstance(value, cst.Subscript):
                continue  # `tuple[int, ...]` and the like
            if qualified is not None and qualified in BUILTINS:
                return qualified[len("builtins."):]
            if isinstance(value, cst.Call) and qualified == "collections.namedtuple":
                return "namedtuple"
            if isinstance(value, cst.Name) and qualified is None:  # a name the module binds: `Base = namedtuple(...)`
                assigned = index.assigned.get(value.value)
                if isinstance(assigned, cst.Call) and self.context.matches(assigned, "collections.namedtuple"):
                    return "namedtuple"
        return None
