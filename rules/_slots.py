"""What the MEM1 rules share beyond the class facts (memlint.analysis.classes):
the rule base class, what class decorators do to slots, the attributes
instances get, and the edit that writes a ``__slots__`` tuple. The layout the
bases give instances is in ``_slots_layout``; what makes a class a record
(MEM101) in ``_slots_records``.
"""
from __future__ import annotations

import enum
from typing import Dict, List, NamedTuple, Optional, Set

import libcst as cst

from memlint.analysis.classes import CLASSES, ClassIndex, ClassInfo
from memlint.rule import Rule


class DecoratorKind(enum.Enum):
    DATACLASS = "dataclass"
    ATTRS_SLOTTED = "attrs, slotted unless slots=False"
    ATTRS_CLASSIC = "attrs, slotted only with slots=True"
    NEUTRAL = "returns the class unchanged"
    REPLACING = "gives the class a metaclass or replaces it"


class ClassRule(Rule):
    """A MEM1 rule: it judges each class once the walk has seen the whole
    module (instances may be made, extended or weakly referenced after the
    class statement)."""

    requires = (CLASSES,)
    triggers = ("class",)  # every finding is about a class

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.applies():
            index = self.context.fact(CLASSES)
            for info in index.classes.values():
                self.check_class(index, info)

    def applies(self) -> bool:
        """Whether the rule looks at this file at all."""
        return True

    def check_class(self, index: ClassIndex, info: ClassInfo) -> None:
        raise NotImplementedError


# Standard-library bases whose classes declare `__slots__ = ()` all the way up.
KNOWN_SLOTTED = frozenset({"abc.ABC", "typing.Generic", "typing_extensions.Generic"})
KNOWN_SLOTTED_PREFIXES = ("collections.abc.", "numbers.")
# Special forms: their "subclasses" are not ordinary classes.
SPECIAL_BASES = frozenset({
    "typing.NamedTuple", "typing.TypedDict", "typing_extensions.TypedDict", "typing_extensions.NamedTuple",
    "typing.Protocol", "typing_extensions.Protocol", "mypy_extensions.TypedDict",
})
NAMEDTUPLE_FACTORIES = frozenset({"collections.namedtuple", "typing.NamedTuple"})
_DECORATOR_KINDS = {
    **dict.fromkeys(("dataclasses.dataclass", "pydantic.dataclasses.dataclass"), DecoratorKind.DATACLASS),
    **dict.fromkeys(
        ("attr.define", "attr.frozen", "attr.mutable", "attrs.define", "attrs.frozen", "attrs.mutable"),
        DecoratorKind.ATTRS_SLOTTED,
    ),
    **dict.fromkeys(("attr.s", "attr.attrs", "attr.dataclass", "attrs.attrs"), DecoratorKind.ATTRS_CLASSIC),
    **dict.fromkeys(
        ("functools.total_ordering", "typing.final", "typing_extensions.final", "typing.runtime_checkable",
         "enum.unique"),
        DecoratorKind.NEUTRAL,
    ),
    **dict.fromkeys(("six.add_metaclass", "future.utils.with_metaclass"), DecoratorKind.REPLACING),
}
def mangle(class_name: str, name: str) -> str:
    """The name Python stores for `name` written inside class `class_name`."""
    if name.startswith("__") and not name.endswith("__"):
        return "_" + class_name.lstrip("_") + name
    return name


# -- instance attributes ---------------------------------------------------------------


class InstanceAttributes(NamedTuple):
    in_init: List[str]  # set by `__init__` (through property setters too), in the order first written
    elsewhere: Set[str]  # set anywhere else: other methods, other objects
    later: Set[str]  # set on the instance by methods other than `__init__` and setters


def instance_attributes(info: ClassInfo) -> InstanceAttributes:
    """The attributes instances of the class get, as this module shows them
    (stores in defs and lambdas nested in a method count for the method)."""
    init: Dict[str, None] = {}
    later: Set[str] = set()
    setters: Dict[str, List[str]] = {}  # property -> attributes its setter sets
    for method in info.methods:
        for store in method.stores:
            if isinstance(store.statement, cst.Del):
                continue
            if method.name == "__init__":
                init.setdefault(store.name, None)
            elif method.is_setter:
                setters.setdefault(method.name, []).append(store.name)
            else:
                later.add(store.name)
    attributes: List[str] = []
    for name in init:
        found = setters.get(name, []) if name in info.properties else [name]
        attributes.extend(a for a in found if a not in attributes)
    elsewhere = later | info.foreign_attrs
    for prop, names in setters.items():
        if prop not in init:
            elsewhere.update(names)
    return InstanceAttributes(attributes, elsewhere - set(attributes), later)


def string_tuple(names: List[str], one_per_line: str = "") -> cst.Tuple:
    """``("a", "b")``; with ``one_per_line`` (the indentation of the items),
    one name per line and a trailing comma, as a formatter leaves a long one."""
    elements = [cst.Element(cst.SimpleString(f'"{name}"')) for name in names]
    if one_per_line and elements:
        def line_break(indent: str) -> cst.ParenthesizedWhitespace:
            return cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(indent))

        elements = [e.with_changes(comma=cst.Comma(whitespace_after=line_break(one_per_line))) for e in elements]
        elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=line_break("")))
        return cst.Tuple(elements, lpar=[cst.LeftParen(whitespace_after=line_break(one_per_line))])
    if len(elements) == 1:
        elements[0] = elements[0].with_changes(comma=cst.Comma())
    return cst.Tuple(elements)


# -- decorators -----------------------------------------------------------------------


def decorator_kind(qualified: Optional[str]) -> Optional[DecoratorKind]:
    """What a class decorator (by its qualified name) does to the class; None: unknown."""
    return _DECORATOR_KINDS.get(qualified or "")


def keyword(call: cst.BaseExpression, name: str) -> Optional[cst.Arg]:
    if not isinstance(call, cst.Call):
        return None
    return next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def is_true(arg: Optional[cst.Arg]) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def makes_slots(decorator: cst.Decorator, qualified: Optional[str]) -> bool:
    """The decorator builds a slotted class (`@dataclass(slots=True)`, `@attrs.define`)."""
    kind = decorator_kind(qualified)
    slots = keyword(decorator.decorator, "slots")
    if kind is DecoratorKind.ATTRS_SLOTTED:
        return slots is None or is_true(slots)
    return kind in (DecoratorKind.DATACLASS, DecoratorKind.ATTRS_CLASSIC) and is_true(slots)
