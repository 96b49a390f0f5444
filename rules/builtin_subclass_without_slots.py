from typing import Optional

import libcst as cst

from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Rule, Valid

from ._slots import (
    NAMEDTUPLE_FACTORIES, SLOTTED, base_layout, class_facts, decorator_kind, module_facts, weakly_referenced,
)
from memlint.edits import insert_statement

BUILTINS = frozenset({"builtins.str", "builtins.bytes", "builtins.int", "builtins.tuple"})


class BuiltinSubclassWithoutSlots(Rule):
    """
    ## What it does
    Reports a subclass of `str`, `bytes`, `int` or `tuple`, or of a
    `collections.namedtuple(...)` class, that does not declare
    `__slots__ = ()`, when its instances need no `__dict__`: the class sets no
    attributes on its instances and does not use `setattr`/`__dict__`.

    Not reported: `Enum` mixins (`class Color(str, Enum)`) and any class with
    a base the rule cannot see, `class X(NamedTuple)` (typing's form already
    has no `__dict__`), classes with a metaclass or a class-replacing
    decorator, classes defined inside functions, and test files.

    ## Why is this bad?
    The builtin base stores the value compactly, but the subclass adds a
    `__dict__` pointer and, on first use, a dictionary to every instance; for
    a namedtuple this undoes the reason to use one.

    ## Example
    ```python
    from collections import namedtuple

    class Point(namedtuple("Point", "x y")):
        def norm(self):
            return (self.x ** 2 + self.y ** 2) ** 0.5
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
    docstring. It is unsafe: code elsewhere may set attributes on instances
    or weakly reference them (no fix is offered when this module does). An
    empty `__slots__` cannot clash with class attributes.

    ## References
    - [Python data model: `__slots__`](https://docs.python.org/3/reference/datamodel.html#slots)
    - [collections.namedtuple](https://docs.python.org/3/library/collections.html#collections.namedtuple)
    """

    code = "MEM107"
    name = "builtin-subclass-without-slots"
    message = "subclass `{name}` of `{base}` without `__slots__ = ()`: every instance gets a `__dict__`"
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
            """,
        ),
        Invalid(
            """
            class Name(str):
                def upper_first(self):
                    return self[:1].upper() + self[1:]
            """,
            line=1,
            column=7,
            message="subclass `Name` of `str`",
            fixed="""
            class Name(str):
                __slots__ = ()
                def upper_first(self):
                    return self[:1].upper() + self[1:]
            """,
        ),
        Invalid(
            """
            import weakref

            class Key(bytes):
                def ref(self):
                    return weakref.ref(self)
            """,
            line=3,
            column=7,
        ),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not node.bases or node.keywords:
            return
        base = self._builtin_base(node)
        if base is None:
            return
        facts = class_facts(self.context, node)
        if facts.slots is not None or facts.dynamic or facts.in_function or self.context.is_test_file:
            return
        if facts.init_attrs or facts.later_attrs or facts.setter_attrs or facts.foreign_attrs:
            return  # sets attributes on instances: it needs the __dict__
        if any(decorator_kind(self.context, d) not in ("neutral", None) for d in node.decorators):
            return
        if base_layout(self.context, node, infer=False).state != SLOTTED:
            return  # an Enum mixin, or a base we cannot see
        self.report(node.name, self._fix(facts), name=node.name.value, base=base)

    def _builtin_base(self, node: cst.ClassDef) -> Optional[str]:
        for arg in node.bases:
            value = arg.value
            qualified = self.context.qualified_name(value)
            if qualified in BUILTINS:
                return qualified[9:]
            if isinstance(value, cst.Name) and qualified is None:
                value = module_facts(self.context).assigned.get(value.value, value)
            if isinstance(value, cst.Call) and self.context.qualified_name(value.func) == "collections.namedtuple":
                return "namedtuple"
        return None

    def _fix(self, facts) -> Optional[Replace]:
        if weakly_referenced(self.context, facts):
            return None
        return insert_statement(facts.node, cst.Assign([cst.AssignTarget(cst.Name("__slots__"))], cst.Tuple([])))
