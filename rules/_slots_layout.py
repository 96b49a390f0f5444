"""The layout the bases of a class give its instances (MEM1): do they carry a
``__dict__`` (and does anything fill it), a ``__weakref__``, which slots?
Read from the classes of this module, the builtins and a few known slotted
standard-library bases; astroid answers for other modules when inference is
enabled (memlint.inference builds these layouts too).
"""
from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Set

import libcst as cst

from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.analysis.project import Project
from memlint.context import Context
from memlint.index import _absolute_module  # how `from ..x import y` names a module (the index's one home)

from ._slots import (
    KNOWN_SLOTTED, KNOWN_SLOTTED_PREFIXES, NAMEDTUPLE_FACTORIES, SPECIAL_BASES, DecoratorKind, decorator_kind,
    instance_attributes, makes_slots, mangle,
)


class LayoutState(enum.Enum):
    SLOTTED = "slotted"  # no ancestor gives instances a __dict__
    HAS_DICT = "dict"  # some ancestor gives instances a __dict__
    UNKNOWN = "unknown"  # cannot tell without looking at another module


# memlint.inference builds layouts with these names.
SLOTTED, HAS_DICT, UNKNOWN = LayoutState.SLOTTED, LayoutState.HAS_DICT, LayoutState.UNKNOWN



@dataclass
class Layout:
    """What the bases of a class give its instances."""

    state: LayoutState
    weakref: bool = False  # some base (maybe) provides __weakref__
    slots: Dict[str, str] = field(default_factory=dict)  # slot name -> base class that declares it
    # Attributes (mangled) that classes with a `__dict__` assign on instances; None: unknown
    # (another module, or `setattr`/`__dict__` use). CPython allocates the `__dict__` lazily:
    # when nothing lands in it, slots below still save (RULES.md, MEM105).
    dict_attributes: Optional[Set[str]] = None
    exception: bool = False  # an exception class: slots save there on every version

    def fills_dict(self, own_slots: Set[str]) -> bool:
        """Instances of a class with this layout and ``own_slots`` (mangled)
        store something in a ``__dict__``: an attribute no slot of the MRO takes."""
        if self.state is not HAS_DICT:
            return False
        return self.dict_attributes is None or bool(self.dict_attributes - set(self.slots) - own_slots)


def base_layout(context: Context, index: ClassIndex, info: ClassInfo, infer: bool = True) -> Layout:
    """The layout the bases of the class give its instances (astroid, when
    enabled, answers for bases this module cannot see)."""
    layout = _bases(context, index, info, set())
    if layout.state is UNKNOWN and infer and context.settings.enable_inference:
        from memlint import inference

        inferred = inference.bases_layout(context, info.path)
        if inferred is not None:
            return inferred  # type: ignore[no-any-return]
    return layout


def _bases(context: Context, index: ClassIndex, info: ClassInfo, seen: Set[cst.ClassDef]) -> Layout:
    result = Layout(SLOTTED, dict_attributes=set())
    for arg, qualified in zip(info.node.bases, info.base_names):
        if arg.keyword is not None or arg.star:
            result.state = _worst(result.state, UNKNOWN)
            result.weakref = True
            result.dict_attributes = None
            continue
        _merge(result, _base(context, index, arg.value, qualified, seen))
    return result


def _merge(result: Layout, layout: Layout) -> None:
    """Add what one more base gives instances to ``result``."""
    result.state = _worst(result.state, layout.state)
    result.weakref = result.weakref or layout.weakref
    result.exception = result.exception or layout.exception
    for name, owner in layout.slots.items():
        result.slots.setdefault(name, owner)
    if result.dict_attributes is not None and layout.dict_attributes is not None:
        result.dict_attributes |= layout.dict_attributes
    else:
        result.dict_attributes = None


def _worst(a: LayoutState, b: LayoutState) -> LayoutState:
    for state in (HAS_DICT, UNKNOWN):
        if state in (a, b):
            return state
    return SLOTTED


def _base(
    context: Context, index: ClassIndex, expression: cst.BaseExpression, qualified: Optional[str],
    seen: Set[cst.ClassDef],
) -> Layout:
    """``qualified``: what ``expression`` (its callee for a call, its value for ``Base[T]``) resolves to."""
    if isinstance(expression, cst.Subscript):  # Generic[T], Base[int]
        expression = expression.value
    if isinstance(expression, cst.Call):
        return Layout(SLOTTED, dict_attributes=set()) if qualified in NAMEDTUPLE_FACTORIES else Layout(UNKNOWN, weakref=True)
    if qualified is not None:
        return _named_base(context, qualified, frozenset())
    if isinstance(expression, cst.Name):
        name = expression.value
        value = index.assigned.get(name)
        if isinstance(value, cst.Call) and context.qualified_name(value.func) in NAMEDTUPLE_FACTORIES:
            return Layout(SLOTTED, dict_attributes=set())
        base = index.by_name.get(name)
        if base is not None and base.node not in seen and name not in index.assigned and name not in index.redefined:
            return _module_class(context, index, base, seen | {base.node})
    return Layout(UNKNOWN, weakref=True)


def _named_base(context: Context, qualified: str, seen: FrozenSet[str]) -> Layout:
    if qualified.startswith("builtins."):
        kind = getattr(builtins, qualified[9:], None)
        if isinstance(kind, type):
            # Nothing the builtin itself does fills the `__dict__` of an exception or a class.
            state = HAS_DICT if kind.__dictoffset__ else SLOTTED
            return Layout(state, bool(kind.__weakrefoffset__), {}, set(), issubclass(kind, BaseException))
    if qualified in KNOWN_SLOTTED or qualified.startswith(KNOWN_SLOTTED_PREFIXES):
        return Layout(SLOTTED, dict_attributes=set())
    return _project_class(context, qualified, seen)


def _project_class(context: Context, qualified: str, seen: FrozenSet[str]) -> Layout:
    """A class of another module of the project, as the project index summarises it."""
    project = context.project
    absolute = None if project is None or qualified in seen else _absolute(project, qualified)
    summary = None if project is None or absolute is None else project.index.class_summary(absolute)
    if summary is None or summary.opaque_layout:
        return Layout(UNKNOWN, weakref=True)
    above = Layout(SLOTTED, dict_attributes=set())
    for base in summary.bases:
        _merge(above, _named_base(context, base, seen | {qualified}) if base else Layout(UNKNOWN, weakref=True))
    name = qualified.rsplit(".", 1)[-1]
    if summary.slots is None:
        own = {mangle(name, field) for field in summary.fields}
        return _unslotted(above, None if above.dict_attributes is None else above.dict_attributes | own)
    return _slotted(name, set(summary.slots), above)


def _absolute(project: Project, qualified: str) -> Optional[str]:
    """``qualified`` as the index names it: ``.base.Base`` seen from ``pkg.row`` is ``pkg.base.Base``."""
    level = len(qualified) - len(qualified.lstrip("."))
    if not level:
        return qualified
    module, _, name = qualified[level:].rpartition(".")
    package = _absolute_module(project.module.name, project.module.is_package, level, module or None)
    return None if package is None else f"{package}.{name}" if package else name


def _module_class(context: Context, index: ClassIndex, base: ClassInfo, seen: Set[cst.ClassDef]) -> Layout:
    node = base.node
    if node.keywords or any(decorator_kind(name) is DecoratorKind.REPLACING for name in base.decorator_names):
        return Layout(UNKNOWN, weakref=True)
    written = (name for arg, name in zip(node.bases, base.base_names) if not isinstance(arg.value, cst.Subscript))
    if any(name in SPECIAL_BASES for name in written):
        return Layout(UNKNOWN, weakref=True)  # (`Protocol[T]` is an ordinary base: looked at below)
    above = _bases(context, index, base, seen)
    if any(makes_slots(d, name) for d, name in zip(node.decorators, base.decorator_names)):
        # its slot names are not written out
        return Layout(above.state, True, above.slots, above.dict_attributes, above.exception)
    if base.slots is None:
        return _unslotted(above, _dict_attributes(base, above))
    if base.slots.names is None:
        return Layout(_worst(above.state, UNKNOWN), weakref=True, exception=above.exception)
    return _slotted(node.name.value, base.slots.name_set, above)


def _unslotted(above: Layout, dict_attributes: Optional[Set[str]]) -> Layout:
    """A class without ``__slots__`` whose instances may store ``dict_attributes``."""
    state = HAS_DICT if above.state is not UNKNOWN else UNKNOWN
    attributes = None if dict_attributes is None else dict_attributes - set(above.slots)
    return Layout(state, True, {}, attributes, above.exception)


def _slotted(name: str, names: Set[str], above: Layout) -> Layout:
    """Class ``name`` declaring ``__slots__`` ``names`` under bases that give ``above``."""
    state = HAS_DICT if "__dict__" in names else above.state
    slots = dict(above.slots)
    for slot in names:
        slots.setdefault(mangle(name, slot), name)
    # A `__dict__` slotted on purpose holds what the author meant it to.
    dict_attributes = set() if "__dict__" in names else above.dict_attributes
    return Layout(state, above.weakref or "__weakref__" in names, slots, dict_attributes, above.exception)


def _dict_attributes(base: ClassInfo, above: Layout) -> Optional[Set[str]]:
    """What instances of a class without ``__slots__`` of this module may
    store in their ``__dict__``: its bases', and its own attribute stores."""
    if above.dict_attributes is None or base.dynamic:
        return None
    attributes = instance_attributes(base)
    return above.dict_attributes | {mangle(base.name, name) for name in [*attributes.in_init, *attributes.later]}
