from typing import NamedTuple, Optional

import libcst as cst

from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.edits import add_keyword
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from ._slots import ClassRule, DecoratorKind, decorator_kind, instance_attributes, keyword
from ._slots_layout import SLOTTED, base_layout
from ._slots_records import project_view


class _Slottable(NamedTuple):
    decorator: cst.Decorator
    is_dataclass: bool  # else an attrs class (whose slots keep `__weakref__`)


class DataclassWithoutSlots(ClassRule):
    """
    ## What it does
    Reports a `@dataclass` (or `@dataclasses.dataclass(...)`) without
    `slots=True` when the target Python is 3.10 or newer, and an attrs class
    made with the classic `@attr.s` / `@attr.attrs` without `slots=True`
    (any Python version). `@attrs.define`, `@attr.frozen` and
    `@attr.mutable` already make slotted classes and are not reported.

    Not reported: an explicit `slots=...` argument (also `slots=False`), a
    class with a hand-written `__slots__`, with `cached_property`, with
    attributes set outside the fields or through `setattr`/`__dict__`/
    `object.__setattr__`, with a metaclass, with a base that has a `__dict__`
    or lives in another module (Tier 2 with `--enable-inference` checks it),
    a target below 3.10 for `dataclasses`, classes defined inside functions,
    and test files. Like MEM101, it stays silent on service objects (classes
    that own resources or define `__enter__`, `close`, `run`, ...) and reads
    the project index: not reported when another module sets an attribute
    that is not a field on instances, when the project constructs the class
    only outside loops and comprehensions and keeps no instance in a
    container (or never constructs it by name), or when a subclass without
    slots extends it.

    ## Why is this bad?
    A dataclass without slots keeps its fields in a per-instance `__dict__`:
    about 40 extra bytes per three-field instance on CPython 3.11 (105 bytes
    versus 65 with slots, measured with `tracemalloc`, see MEM101). Since Python 3.10
    `@dataclass(slots=True)` makes the class slotted with one keyword.

    ## Example
    ```python
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Point:
        x: float
        y: float

    path = [Point(x, x * x) for x in range(1000)]
    ```

    ## Use instead
    ```python
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True)
    class Point:
        x: float
        y: float
    ```

    ## Fix safety
    The fix adds `slots=True` to the decorator call (a bare `@dataclass`
    becomes `@dataclass(slots=True)`). It is unsafe: instances lose their
    `__dict__`, so code elsewhere that sets extra attributes or reads
    `vars(obj)` breaks, and `dataclass` returns a new class object. No fix is
    offered when a method uses zero-argument `super()` (the new class breaks
    its `__class__` cell before Python 3.14), when the class is a base beside
    another base of a class in the module (layout conflict), or when the
    module weakly references instances and the target is below 3.11 (where
    `weakref_slot=True` does not exist), or when the project index cannot
    prove that no other module sets attributes on instances or combines the
    class with another base; from 3.11 the fix adds `weakref_slot=True` as
    well.

    ## References
    - [dataclasses: slots](https://docs.python.org/3/library/dataclasses.html#dataclasses.dataclass)
    - [attrs: slotted classes](https://www.attrs.org/en/stable/glossary.html#term-slotted-classes)
    """

    code = "MEM102"
    name = "dataclass-without-slots"
    message = "{kind} `{name}` without `slots=True`: every instance carries a `__dict__`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid("""
            from dataclasses import dataclass

            @dataclass(slots=True)
            class P:
                x: int
            """),
        Valid("""
            from dataclasses import dataclass

            @dataclass
            class P:
                x: int
            """, target_version=(3, 9)),
        Valid("""
            from dataclasses import dataclass
            from functools import cached_property

            @dataclass
            class P:
                x: int

                @cached_property
                def double(self):
                    return 2 * self.x
            """),
        Valid("""
            from dataclasses import dataclass

            @dataclass
            class P:
                x: int
            """, filename="tests/test_models.py"),
    ]
    INVALID = [
        Invalid(
            """
            from dataclasses import dataclass

            @dataclass
            class Point:
                x: float
                y: float = 0.0

            def line(n):
                return [Point(x) for x in range(n)]
            """,
            line=4,
            column=7,
            message="dataclass `Point` without `slots=True`",
            fixed="""
            from dataclasses import dataclass

            @dataclass(slots=True)
            class Point:
                x: float
                y: float = 0.0

            def line(n):
                return [Point(x) for x in range(n)]
            """,
        ),
        Invalid(
            """
            from dataclasses import dataclass

            @dataclass
            class Child:
                x: int

                def __repr__(self):
                    return super().__repr__()

            children = [Child(x) for x in range(3)]
            """,
            line=4,
            column=7,
        ),
        Invalid(
            """
            import weakref
            from dataclasses import dataclass

            @dataclass
            class Node:
                x: int

                def ref(self):
                    return weakref.ref(self)

            nodes = [Node(x) for x in range(3)]
            """,
            line=5,
            column=7,
            target_version=(3, 10),
        ),
        Invalid(
            """
            import weakref
            from dataclasses import dataclass

            @dataclass
            class Node:
                x: int

                def ref(self):
                    return weakref.ref(self)

            nodes = [Node(x) for x in range(3)]
            """,
            line=5,
            column=7,
            target_version=(3, 11),
            fixed="""
            import weakref
            from dataclasses import dataclass

            @dataclass(slots=True, weakref_slot=True)
            class Node:
                x: int

                def ref(self):
                    return weakref.ref(self)

            nodes = [Node(x) for x in range(3)]
            """,
        ),
        Invalid(
            """
            import attr

            @attr.s(frozen=True)
            class Row:
                x = attr.ib()

            rows = [Row(x) for x in range(9)]
            """,
            line=4,
            column=7,
            message="attrs class `Row` without `slots=True`",
            target_version=(3, 9),
            fixed="""
            import attr

            @attr.s(frozen=True, slots=True)
            class Row:
                x = attr.ib()

            rows = [Row(x) for x in range(9)]
            """,
        ),
    ]

    def applies(self) -> bool:
        return not self.context.is_test_file  # throwaway classes of a test: slots would not pay off

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        slottable = None if info.in_function else self._slottable_decorator(info)
        if slottable is None or info.slots is not None or info.dynamic or info.node.keywords:
            return
        if not self._fields_only(info) or base_layout(self.context, index, info).state is not SLOTTED:
            return
        view = project_view(self.context, info)
        fields = sorted(info.names | set(instance_attributes(info).in_init))
        few = view.made_few_times(index, info) or view.subclassed_without_slots
        if info.owns_resources or view.extended_outside(fields) or few:
            return  # a service object, or instances that need a __dict__, or few of them
        fix = self._fix(index, info, slottable) if view.safe_to_slot else None
        kind = "dataclass" if slottable.is_dataclass else "attrs class"  # the message names what the class is
        self.report(info.node.name, fix, kind=kind, name=info.name)

    def _slottable_decorator(self, info: ClassInfo) -> Optional[_Slottable]:
        for decorator, qualified in zip(info.node.decorators, info.decorator_names):
            is_dataclass = qualified == "dataclasses.dataclass"
            if is_dataclass and self.context.target_version < (3, 10):
                return None
            slottable = is_dataclass or decorator_kind(qualified) is DecoratorKind.ATTRS_CLASSIC
            if slottable and keyword(decorator.decorator, "slots") is None:
                return _Slottable(decorator, is_dataclass)
        return None

    def _fields_only(self, info: ClassInfo) -> bool:
        """Every attribute the methods set on `self` is a field (annotated in the body,
        or an `attr.ib()` for attrs)."""
        attributes = instance_attributes(info)
        return set(attributes.in_init) | attributes.elsewhere <= info.names

    def _fix(self, index: ClassIndex, info: ClassInfo, slottable: _Slottable) -> Optional[Replace]:
        if info.zero_arg_super or info.name in index.multi_base:
            return None
        decorator = slottable.decorator
        call = add_keyword(decorator.decorator, "slots")
        weak = index.weakly_referenced(info)
        if slottable.is_dataclass and weak and keyword(decorator.decorator, "weakref_slot") is None:
            if self.context.target_version < (3, 11):
                return None
            call = add_keyword(call, "weakref_slot")
        return Replace(decorator, decorator.with_changes(decorator=call))
