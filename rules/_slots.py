"""What the MEM1 rules share beyond the class facts (memlint.analysis.classes):
the layout the bases give instances (``base_layout``: do they carry a
``__dict__``, a ``__weakref__``, which slots?), what class decorators do to
slots, the attributes instances get, and the edit that writes a
``__slots__`` tuple.
"""
from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Set

import libcst as cst

from memlint.analysis.classes import CLASSES, ClassIndex, ClassInfo
from memlint.context import Context
from memlint.rule import Rule


class LayoutState(enum.Enum):
    SLOTTED = "slotted"  # no ancestor gives instances a __dict__
    HAS_DICT = "dict"  # some ancestor gives instances a __dict__
    UNKNOWN = "unknown"  # cannot tell without looking at another module


# memlint.inference builds layouts with these names.
SLOTTED, HAS_DICT, UNKNOWN = LayoutState.SLOTTED, LayoutState.HAS_DICT, LayoutState.UNKNOWN


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
# Class names of one-per-process service objects and other few-instance classes.
SERVICE_SUFFIXES = (
    "Client", "Server", "Service", "Manager", "Scheduler", "Runner", "Repository", "Registry", "Host",
    "Bus", "Follower", "Controller", "Application", "App", "Session", "Connection", "Engine", "Pool",
    "Executor", "Worker", "Daemon", "Handler", "Loop", "Monitor", "Watcher", "Listener", "Dispatcher",
    "Supervisor", "Agent", "Driver", "Parser", "Compiler", "Formatter", "Builder", "Visitor",
    "Transformer", "Generator", "Reader", "Writer", "Loader", "Finder", "Importer", "Checker",
    "Debugger", "Profiler", "Tracer", "Interpreter", "Printer", "Encoder", "Decoder", "Factory",
    "Config", "Configuration", "Options", "Settings", "Cache", "Context", "Logger", "Stream", "Socket",
    "File", "Thread", "Process", "Queue", "Lock", "Tester", "Test", "Suite", "Result", "Window",
    "Pickler", "Framer", "Unframer", "Tokenizer", "Lexer", "Scanner", "Wrapper", "Expander", "Helper",
    "Timer", "Filterer", "Differ", "Closer", "Authenticator", "Accumulator", "Adapter", "Proxy", "Popen",
    "Flavour", "Selector", "Mixin", "Base", "Memoize", "Mock", "Stub", "Fake", "Dialog", "Widget",
)

# Descriptors and callable objects: a handful per program, not records.
NOT_RECORD_METHODS = frozenset({"__get__", "__set__", "__delete__", "__set_name__", "__call__"})
TEST_DOUBLES = ("Mock", "Fake", "Stub", "Dummy", "Test", "Example")


def not_a_record(index: ClassIndex, info: ClassInfo) -> bool:
    """Signs that a class has few instances or does work rather than hold
    data, so that slots would not pay off (MEM101's record-likeness)."""
    name = info.name
    bare = name.lstrip("_")
    return (
        (name in index.calls_at_top and name not in index.calls_in_functions)  # made once, at import: a singleton
        or bool(NOT_RECORD_METHODS.intersection(info.bindings))  # a descriptor or a callable object
        or any(_handles_events(method.site.node) for method in info.methods)  # one per window or connection
        or _is_processor(info)  # an object that does work (an analysis, a scanner)
        or info.owns_resources
        or bare.endswith(SERVICE_SUFFIXES)
        or bare.startswith(TEST_DOUBLES)
        or bare[:1].islower()  # `partial`-style lowercase classes are function-like helpers
    )


def _handles_events(function: cst.FunctionDef) -> bool:
    """An event callback: ``def zoom_event(self, event)``, ``def on_click(...)``."""
    name = function.name.value
    return name.endswith("_event") or name.startswith("on_") or any(
        p.name.value in ("event", "evt") for p in function.params.params
    )


def _is_processor(info: ClassInfo) -> bool:
    """A class that does work rather than hold data: ``__init__`` calls the
    class's own methods (``self._scan(...)``), or it has three or more private
    helper methods. Records compute from their fields in a few public methods."""
    methods = {method.name: method for method in info.methods}
    helpers = [name for name in methods if name.startswith("_") and not name.endswith("__")]
    init = methods.get("__init__")
    return len(helpers) >= 3 or (init is not None and bool(init.calls_on_instance & set(methods)))


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


def string_tuple(names: List[str]) -> cst.Tuple:
    elements = [cst.Element(cst.SimpleString(f'"{name}"')) for name in names]
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


# -- base classes ----------------------------------------------------------------------


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
        layout = _base(context, index, arg.value, qualified, seen)
        result.state = _worst(result.state, layout.state)
        result.weakref = result.weakref or layout.weakref
        result.exception = result.exception or layout.exception
        for name, owner in layout.slots.items():
            result.slots.setdefault(name, owner)
        if result.dict_attributes is not None and layout.dict_attributes is not None:
            result.dict_attributes |= layout.dict_attributes
        else:
            result.dict_attributes = None
    return result


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
        return _named_base(qualified)
    if isinstance(expression, cst.Name):
        name = expression.value
        value = index.assigned.get(name)
        if isinstance(value, cst.Call) and context.qualified_name(value.func) in NAMEDTUPLE_FACTORIES:
            return Layout(SLOTTED, dict_attributes=set())
        base = index.by_name.get(name)
        if base is not None and base.node not in seen and name not in index.assigned and name not in index.redefined:
            return _module_class(context, index, base, seen | {base.node})
    return Layout(UNKNOWN, weakref=True)


def _named_base(qualified: str) -> Layout:
    if qualified.startswith("builtins."):
        kind = getattr(builtins, qualified[9:], None)
        if isinstance(kind, type):
            # Nothing the builtin itself does fills the `__dict__` of an exception or a class.
            state = HAS_DICT if kind.__dictoffset__ else SLOTTED
            return Layout(state, bool(kind.__weakrefoffset__), {}, set(), issubclass(kind, BaseException))
    if qualified in KNOWN_SLOTTED or qualified.startswith(KNOWN_SLOTTED_PREFIXES):
        return Layout(SLOTTED, dict_attributes=set())
    return Layout(UNKNOWN, weakref=True)


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
        state = HAS_DICT if above.state is not UNKNOWN else UNKNOWN
        return Layout(state, True, {}, _dict_attributes(base, above), above.exception)
    if base.slots.names is None:
        return Layout(_worst(above.state, UNKNOWN), weakref=True, exception=above.exception)
    names = base.slots.name_set
    state = HAS_DICT if "__dict__" in names else above.state
    slots = dict(above.slots)
    for name in names:
        slots.setdefault(mangle(node.name.value, name), node.name.value)
    # A `__dict__` slotted on purpose holds what the author meant it to.
    dict_attributes = set() if "__dict__" in names else above.dict_attributes
    return Layout(state, above.weakref or "__weakref__" in names, slots, dict_attributes, above.exception)


def _dict_attributes(base: ClassInfo, above: Layout) -> Optional[Set[str]]:
    """What instances of a class without ``__slots__`` of this module may
    store in their ``__dict__``: its bases', and its own attribute stores
    that no slot of its bases takes."""
    if above.dict_attributes is None or base.dynamic:
        return None
    attributes = instance_attributes(base)
    own = {mangle(base.name, name) for name in [*attributes.in_init, *attributes.later]}
    return above.dict_attributes | (own - set(above.slots))
