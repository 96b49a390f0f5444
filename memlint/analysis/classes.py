"""What the classes of a module are, built from the engine's single walk.

For every class: where it stands (its path, whether it is defined in a
function), what its bases and decorators resolve to *where the class is
written*, the names its body binds, its ``__slots__`` declaration, its
methods (each with its :class:`FunctionSite`) and what they store on the
instance, and the signs that instances need a ``__dict__`` or that the class
owns resources. For the module: the module-level classes by name, which of
them are weakly referenced, which attribute names any code stores.

Rules read it with ``requires = (CLASSES,)`` and decide in ``leave_Module``:
only then has the walk seen every class and every use of one.

How a name is read:

- the instance inside a method is its ``FunctionSite.instance_parameter``
  (scope and resolved decorators, never spelling); a def or lambda nested in
  the method sees the method's instance under the same name;
- a variable holds an instance of a module-level class from the point of the
  walk where it is bound to ``Cls(...)`` in the same function (or module);
- a class is a *module-level* class when no class or function encloses it;
  when a name is defined twice the later class wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, AbstractSet, Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Set, Tuple, Union

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis import Collector, WalkFact
from memlint.analysis.blocks import class_statements
from memlint.analysis.functions import FunctionKind, FunctionSite, function_site, named_params
from memlint.analysis.names import assignment_targets, dotted_name, last_name, target_elements, target_names

if TYPE_CHECKING:
    from memlint.context import Context

# Methods whose presence means instances need a __dict__ (attribute hooks, pickling).
INSTANCE_DICT_METHODS = frozenset({
    "__getattr__", "__getattribute__", "__setattr__", "__delattr__",
    "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__",
})
# Attributes whose use on an object means it needs a __dict__.
INSTANCE_DICT_ATTRIBUTES = frozenset({"__dict__", "__setattr__", "__delattr__"})
# Methods of objects that hold a resource or run something.
RESOURCE_METHODS = frozenset({
    "close", "__enter__", "__aenter__", "__exit__", "__aexit__", "__del__", "shutdown",
    "start", "stop", "run", "connect", "disconnect", "serve_forever",
})
# Constructors whose result is a resource or a concurrency primitive.
RESOURCE_MODULES = (
    "threading.", "_thread.", "multiprocessing.", "concurrent.futures.", "asyncio.", "queue.", "socket.",
    "selectors.", "select.", "subprocess.", "ssl.", "sqlite3.", "mmap.", "tempfile.", "http.client.",
    "urllib.request.", "ftplib.", "smtplib.", "imaplib.", "poplib.", "telnetlib.", "socketserver.",
    "logging.", "sched.", "signal.", "zipfile.", "tarfile.", "shelve.", "dbm.", "tkinter.", "zlib.", "bz2.",
    "lzma.", "curses.", "readline.", "pty.", "fcntl.",
)
RESOURCE_CALLS = frozenset({"builtins.open", "io.open", "os.open", "os.fdopen", "os.popen", "io.FileIO",
                            "open", "gzip.open", "bz2.open", "lzma.open", "codecs.open"})
# Constructors recognised by name alone (also when the module defines them itself).
RESOURCE_CLASS_NAMES = frozenset({
    "Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Thread", "Event", "Barrier", "Queue",
    "Popen", "socket", "Timer", "Process", "Pool", "ThreadPoolExecutor", "ProcessPoolExecutor",
})
# Method decorators that never store anything on the instance.
PLAIN_METHOD_DECORATORS = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "abc.abstractmethod", "typing.overload",
    "typing.final", "typing_extensions.override", "typing.override", "functools.wraps",
    "functools.singledispatchmethod", "contextlib.contextmanager", "contextlib.asynccontextmanager",
})
WEAKREF_CALLS = frozenset({"weakref.ref", "weakref.proxy", "weakref.finalize", "weakref.WeakMethod"})
WEAK_CONTAINERS = frozenset({"weakref.WeakSet", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary"})
# Calls that put their last argument into the container they are called on.
FILL_METHODS = frozenset({"append", "add", "insert", "appendleft", "setdefault"})
CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__"})
# Calls that take items out of the container they are called on.
EMPTYING_METHODS = frozenset({"pop", "popitem", "popleft", "remove", "discard", "clear"})
_DICT_CALLS = {"builtins.setattr": "setattr", "builtins.delattr": "delattr", "builtins.vars": "vars"}
# Calls that tell something about instances wherever they are made.
_WATCHED_CALLS = (*_DICT_CALLS, "copyreg.pickle", *WEAKREF_CALLS)
# Annotations: containers whose items are instances, and wrappers to look through.
CONTAINERS = frozenset({
    "list", "List", "dict", "Dict", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "deque", "Deque",
    "defaultdict", "DefaultDict", "OrderedDict", "Sequence", "MutableSequence", "Mapping", "MutableMapping",
    "MutableSet", "AbstractSet", "Collection", "Iterable",
})
WRAPPERS = frozenset({"Optional", "Union", "ClassVar", "Final", "Annotated"})

Store = Union[cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Del]
# Where an instance is passed to a constructor: position (after the instance) or keyword.
ArgumentSlot = Union[int, str]


class SlotName(NamedTuple):
    name: str
    element: cst.CSTNode  # the string, or the element or dict entry that holds it


class Slots(NamedTuple):
    """A class's ``__slots__ = ...`` (the last one of its body)."""

    statement: Union[cst.Assign, cst.AnnAssign]
    value: cst.BaseExpression
    names: Optional[List[SlotName]]  # in order; None when the value is not a literal that can be read

    @property
    def name_set(self) -> Set[str]:
        return {name for name, _ in self.names or ()}


class AttributeStore(NamedTuple):
    """``<instance>.name = ...`` (also annotated, augmented or ``del``) in a method."""

    name: str
    statement: Store
    target: cst.Attribute
    nested: bool  # in a def or lambda nested in the method

    @property
    def resets(self) -> bool:
        """Deletes the attribute or sets it to None or to an empty container
        (``self.x = None``, ``self.x = []``, ``old, self.x = self.x, []``)."""
        if isinstance(self.statement, cst.Del):
            return True
        if isinstance(self.statement, cst.AugAssign):
            return False
        for target in assignment_targets(self.statement):
            if target is self.target:
                return _is_empty_value(self.statement.value)
            value = self.statement.value
            if isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple):
                values = [item.value for item in value.elements]
                for element, item in zip(target.elements, values if len(values) == len(target.elements) else []):
                    if element.value is self.target:
                        return _is_empty_value(item)
        return False


class Fill(NamedTuple):
    """A value a method puts into an instance attribute: into a container held
    there (``self.kids.append(v)``, ``self.kids[k] = v``) or the attribute itself."""

    attribute: str
    value: cst.BaseExpression
    into_container: bool


class ParameterStore(NamedTuple):
    """``self.<attribute> = <parameter>``: a method keeps an argument it received."""

    statement: cst.Assign
    attribute: str
    parameter: cst.Param


class NameCall(NamedTuple):
    """``Name(...)``, with the instance parameter of the method around (None: not in a method)."""

    call: cst.Call
    instance: Optional[str]


class BackReference(NamedTuple):
    """``<holder>.<attribute> = self``: a method gives another object a reference to the instance."""

    statement: cst.Assign
    holder: str
    attribute: str


@dataclass
class Method:
    """A def whose scope is a class body, and what its code does with the instance."""

    site: FunctionSite
    stores: List[AttributeStore] = field(default_factory=list)
    calls_on_instance: Set[str] = field(default_factory=set)  # m of `self.m(...)`, nested defs included
    emptied: Set[str] = field(default_factory=set)  # x of `self.x.pop(...)`, `del self.x[k]`, nested defs included
    # In the method's own scope (nested defs and lambdas excluded):
    fills: List[Fill] = field(default_factory=list)
    constructions: List[Tuple[str, cst.Call]] = field(default_factory=list)  # `name = Call(...)`, in order
    kept_names: Set[str] = field(default_factory=set)  # locals kept in (or iterated from) instance attributes
    stored_parameters: List[ParameterStore] = field(default_factory=list)
    back_references: List[BackReference] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.site.node.name.value

    @property
    def is_setter(self) -> bool:
        """A ``@<property>.setter``."""
        decorators = [d.decorator for d in self.site.node.decorators]
        return any(isinstance(d, cst.Attribute) and d.attr.value == "setter" for d in decorators)


@dataclass
class ClassInfo:
    node: cst.ClassDef
    path: Tuple[str, ...]  # class and function names from the module down, this class last
    in_function: bool
    base_names: Tuple[Optional[str], ...]  # what each base resolves to (``Generic[T]`` -> typing.Generic)
    decorator_names: Tuple[Optional[str], ...]  # what each decorator resolves to
    bindings: Dict[str, cst.CSTNode] = field(default_factory=dict)  # names the body binds to a value, first binding
    annotated: List[cst.AnnAssign] = field(default_factory=list)  # `name: T` / `name: T = v` in the body
    slots: Optional[Slots] = None
    properties: Set[str] = field(default_factory=set)
    plain_methods: Set[str] = field(default_factory=set)  # undecorated defs the body does not rebind
    methods: List[Method] = field(default_factory=list)  # in source order
    foreign_attrs: Set[str] = field(default_factory=set)  # set on other objects by its methods, or on its instances
    dynamic: List[str] = field(default_factory=list)  # why instances need a __dict__
    owns_resources: bool = False
    zero_arg_super: bool = False

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def annotations(self) -> Set[str]:
        return {statement.target.value for statement in self.annotated if isinstance(statement.target, cst.Name)}

    @property
    def names(self) -> Set[str]:
        """Every name the class body binds or annotates."""
        return set(self.bindings) | self.annotations

    def method(self, name: str) -> Optional[Method]:
        """The last def called ``name`` (the one the class keeps)."""
        return next((method for method in reversed(self.methods) if method.name == name), None)

    def instance_stores(self) -> Iterator[AttributeStore]:
        """Stores on the instance in the own scope of the class's instance methods."""
        for method in self.methods:
            yield from (store for store in method.stores if not store.nested)

    @property
    def stores(self) -> Dict[str, List[Store]]:
        """Attribute name -> the statements of the methods that store or delete it."""
        result: Dict[str, List[Store]] = {}
        for store in self.instance_stores():
            result.setdefault(store.name, []).append(store.statement)
        return result

    @property
    def resets(self) -> Set[str]:
        """Attributes some method sets to None or deletes: the class breaks what they hold itself."""
        return {store.name for store in self.instance_stores() if store.resets}

    @property
    def releases(self) -> Set[str]:
        """Attributes whose content the class lets go of itself outside its
        constructor (where a ``None`` only declares the attribute): set to
        None or deleted, or a container there emptied (``self.x.pop(k)``,
        ``self.x.clear()``, ``del self.x[k]``)."""
        found: Set[str] = set()
        for method in self.methods:
            if method.name not in CONSTRUCTORS:
                found.update(store.name for store in method.stores if not store.nested and store.resets)
                found.update(method.emptied)
        return found


class _Frame(NamedTuple):
    """The walk's position: the innermost class, def or lambda (None: the module)."""

    node: Optional[cst.CSTNode]
    cls: Optional[ClassInfo]  # the class whose body or methods enclose the position
    method: Optional[Method]  # the method around, nested defs and lambdas included
    nested: bool  # inside a def or lambda nested in the method
    in_function: bool
    path: Tuple[str, ...]
    instances: Dict[str, str]  # variable -> module-level class it holds an instance of (per def or module)


class ClassIndex(Collector):
    """The module's classes (see the module docstring); complete at ``leave_Module``."""

    __slots__ = (
        "classes", "by_name", "redefined", "assigned", "weak_classes", "weak_unknown", "multi_base",
        "bases_of_unslotted", "calls_in_functions", "calls_at_top", "attribute_stores", "calls_by_name", "_methods",
        "_frames", "_weak_uses", "_weak_containers", "_children", "_names", "_keepers",
    )

    def __init__(self, context: "Context") -> None:
        super().__init__(context)
        self.classes: Dict[cst.ClassDef, ClassInfo] = {}  # every class, in source order
        self.by_name: Dict[str, ClassInfo] = {}  # module-level classes
        self.redefined: Set[str] = set()  # module-level class names defined twice
        self.assigned: Dict[str, cst.BaseExpression] = {}  # `name = value` statements of the module body
        self.weak_classes: Set[str] = set()  # module-level classes whose instances are weakly referenced
        self.weak_unknown = False  # something the module cannot name is weakly referenced
        self.multi_base: Set[str] = set()  # classes used beside another base
        self.bases_of_unslotted: Set[str] = set()  # classes that a class without __slots__ extends
        self.calls_in_functions: Set[str] = set()  # names called inside a def or lambda
        self.calls_at_top: Set[str] = set()  # names called at module or class level
        self.attribute_stores: Dict[str, List[Store]] = {}  # attribute name -> statements storing/deleting it
        self.calls_by_name: Dict[str, List[NameCall]] = {}  # `Name(...)` calls: constructions of a class
        self._methods: Dict[cst.FunctionDef, Method] = {}
        self._frames: List[_Frame] = [_Frame(None, None, None, False, False, (), {})]
        self._weak_uses: List[Tuple[str, Optional[str]]] = []  # (container name, class stored in it)
        self._weak_containers: Set[str] = set()  # variables bound to a weakref.Weak* container
        self._children: Dict[cst.ClassDef, "_Children"] = {}
        # Computed once, after the walk: per-class questions must not rescan every class.
        self._names: Optional[FrozenSet[str]] = None
        self._keepers: Optional[Dict[str, List[Tuple[ClassInfo, Set[ArgumentSlot]]]]] = None

    # -- questions ---------------------------------------------------------------

    def module_class(self, node: cst.ClassDef) -> Optional[ClassInfo]:
        """The facts of ``node`` when it is the module-level class of its name."""
        info = self.by_name.get(node.name.value)
        return info if info is not None and info.node is node else None

    def method_of(self, function: cst.FunctionDef) -> Optional[Method]:
        return self._methods.get(function)

    def weakly_referenced(self, info: ClassInfo) -> bool:
        """The module weakly references instances of the class, or something it cannot name."""
        return info.name in self.weak_classes or self.weak_unknown

    def child_attributes(self, info: ClassInfo) -> Dict[str, Set[str]]:
        """Instance attribute -> module-level classes whose instances it holds:
        annotated ``list[Child]``/``dict[K, Child]``, or filled with them."""
        return self._children_of(info).attributes

    def keeps_with_instance(self, info: ClassInfo) -> Dict[str, Set[ArgumentSlot]]:
        """Module-level class -> where the instance is passed when the class
        builds one of those and keeps it: ``self.kids.append(Child(self))``."""
        return self._children_of(info).kept

    def attributes_holding(self, info: ClassInfo, child: str) -> Set[str]:
        """The instance attributes of ``info`` that hold instances of the
        module-level class ``child``: containers of them, or one of them."""
        children = self._children_of(info)
        tables = (children.attributes, children.single)
        return {name for table in tables for name, classes in table.items() if child in classes}

    def holds(self, info: ClassInfo, child: str) -> bool:
        """Instances of ``info`` keep instances of the module-level class ``child``."""
        return any(child in names for names in self.child_attributes(info).values())

    # -- the walk ----------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        outer = self._frames[-1]
        info = ClassInfo(
            node,
            outer.path + (node.name.value,),
            outer.in_function,
            tuple(self.context.qualified_name(_unsubscripted(arg.value)) for arg in node.bases),
            tuple(self.context.qualified_name(decorator) for decorator in node.decorators),
        )
        self.classes[node] = info
        if outer.node is None:
            if node.name.value in self.by_name:
                self.redefined.add(node.name.value)
            self.by_name[node.name.value] = info
        self._read_body(info)
        for base in node.bases:
            if isinstance(base.value, cst.Name):
                if len(node.bases) > 1:
                    self.multi_base.add(base.value.value)
                if info.slots is None:
                    self.bases_of_unslotted.add(base.value.value)
        self._frames.append(_Frame(node, info, None, False, outer.in_function, info.path, outer.instances))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._frames.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self._frames[-1]
        path = outer.path + (node.name.value,)
        if isinstance(outer.node, cst.ClassDef) and outer.cls is not None:
            method = Method(function_site(self.context, node, outer.node))
            outer.cls.methods.append(method)
            self._methods[node] = method
            self._frames.append(_Frame(node, outer.cls, method, False, True, path, {}))
        else:
            self._frames.append(_Frame(node, outer.cls, outer.method, outer.method is not None, True, path, {}))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        outer = self._frames[-1]
        self._frames.append(_Frame(node, outer.cls, outer.method, outer.method is not None, True, outer.path, {}))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._frames.pop()

    def visit_Decorator(self, node: cst.Decorator) -> None:
        # A decorator runs where its def or class stands, not inside it.
        self._frames.append(self._frames[-2])

    def leave_Decorator(self, node: cst.Decorator) -> None:
        self._frames.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node, [target.target for target in node.targets], node.value)
        if len(node.targets) == 1 and len(self.context.ancestors) == 3:  # Module > SimpleStatementLine > Assign
            target = node.targets[0].target
            if isinstance(target, cst.Name):
                self.assigned[target.value] = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node, [node.target], node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assignment(node, [node.target], node.value)

    def visit_Del(self, node: cst.Del) -> None:
        targets = assignment_targets(node)
        self._note_attribute_stores(node, targets)
        frame = self._frames[-1]
        for target in targets:
            if isinstance(target, cst.Attribute) and self._is_instance(target.value, frame):
                assert frame.method is not None
                frame.method.stores.append(AttributeStore(target.attr.value, node, target, frame.nested))
            elif isinstance(target, cst.Subscript) and frame.method is not None:
                emptied = _attribute_of(target.value, frame.method)
                if emptied is not None:
                    frame.method.emptied.add(emptied)

    def visit_Call(self, node: cst.Call) -> None:
        frame = self._frames[-1]
        func = node.func
        if isinstance(func, cst.Name):
            (self.calls_in_functions if frame.in_function else self.calls_at_top).add(func.value)
            instance = frame.method.site.instance_parameter if frame.method is not None else None
            self.calls_by_name.setdefault(func.value, []).append(NameCall(node, instance))
            if func.value == "super" and not node.args and frame.cls is not None:
                frame.cls.zero_arg_super = True
        elif isinstance(func, cst.Attribute):
            self._method_call(node, func, frame)
        if self.context.matches(func, *_WATCHED_CALLS):
            self._watched_call(node, self.context.qualified_name(func), frame)
        if frame.method is not None and frame.cls is not None:
            self._resource_call(node, frame)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in INSTANCE_DICT_ATTRIBUTES:
            self._mark_dynamic(node.value, f"uses {node.attr.value}", self._frames[-1])

    def visit_For(self, node: cst.For) -> None:
        frame = self._frames[-1]
        if isinstance(node.target, cst.Name) and self._in_own_method(frame) and frame.method is not None:
            if self._rooted_at_instance(node.iter, frame):
                frame.method.kept_names.add(node.target.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        for container, class_name in self._weak_uses:
            if container in self._weak_containers:
                self._weak(class_name)

    # -- the class body ------------------------------------------------------------

    def _read_body(self, info: ClassInfo) -> None:
        methods: Dict[str, cst.FunctionDef] = {}
        rebound: Set[str] = set()
        for statement in class_statements(info.node):
            if isinstance(statement, cst.FunctionDef):
                name = statement.name.value
                info.bindings.setdefault(name, statement)
                self._method_header(info, statement)
                if not statement.decorators:
                    methods[name] = statement
            elif isinstance(statement, cst.ClassDef):
                info.bindings.setdefault(statement.name.value, statement)
            elif isinstance(statement, (cst.Assign, cst.AnnAssign)):
                rebound.update(self._class_assignment(info, statement))
        info.plain_methods = set(methods) - rebound

    def _method_header(self, info: ClassInfo, function: cst.FunctionDef) -> None:
        name = function.name.value
        if name in INSTANCE_DICT_METHODS:
            info.dynamic.append(f"defines {name}")
        if name in RESOURCE_METHODS:
            info.owns_resources = True
        for decorator in function.decorators:
            qualified = self.context.qualified_name(decorator) or ""
            expression = decorator.decorator
            if qualified == "builtins.property" or (
                isinstance(expression, cst.Attribute) and expression.attr.value in ("setter", "getter", "deleter")
            ):
                info.properties.add(name)
            elif qualified.endswith("cached_property") or (dotted_name(expression) or "").endswith("cached_property"):
                info.dynamic.append("uses cached_property")
            elif qualified not in PLAIN_METHOD_DECORATORS:
                info.dynamic.append("a method decorator that may store on the instance")

    def _class_assignment(self, info: ClassInfo, statement: Union[cst.Assign, cst.AnnAssign]) -> Set[str]:
        """Record what a class-level assignment binds; returns the names it assigns."""
        targets = assignment_targets(statement)
        if isinstance(statement, cst.AnnAssign):
            info.annotated.append(statement)
        value = statement.value
        if value is None:
            return set()  # a bare annotation binds nothing
        names = {name.value for target in targets for name in target_names(target)}
        for name in names:
            if name == "__slots__":
                if len(targets) == 1:
                    info.slots = Slots(statement, value, parse_slots(value))
                continue
            info.bindings.setdefault(name, statement)
            if isinstance(value, cst.Call) and self.context.matches(value, "builtins.property"):
                info.properties.add(name)
        return names if isinstance(statement, cst.Assign) else set()

    # -- assignments -----------------------------------------------------------------

    def _assignment(self, node: Store, targets: List[cst.BaseExpression], value: Optional[cst.BaseExpression]) -> None:
        self._note_attribute_stores(node, targets)
        frame = self._frames[-1]
        for target in targets:
            for attribute in target_elements(target):
                if isinstance(attribute, cst.Attribute):
                    self._attribute_store(node, attribute, frame)
            if isinstance(target, cst.Name) and isinstance(value, cst.Call):
                self._note_binding(target.value, value, frame)
            elif isinstance(target, cst.Subscript) and isinstance(node, cst.Assign):
                self._weak_setitem(target, value, frame)
        if frame.method is not None and not frame.nested:
            self._own_scope_assignment(node, targets, value, frame, frame.method)

    def _own_scope_assignment(
        self, node: Store, targets: List[cst.BaseExpression], value: Optional[cst.BaseExpression], frame: _Frame,
        method: Method,
    ) -> None:
        """What a method's own code builds and keeps: ``child = Child(...)``,
        ``self.kids[key] = child``, ``self.first = child``."""
        if isinstance(node, cst.Assign) and len(targets) == 1 and isinstance(value, cst.Call):
            if isinstance(targets[0], cst.Name):
                method.constructions.append((targets[0].value, value))
        if method.site.kind is not FunctionKind.METHOD:
            return
        if isinstance(node, cst.Assign) and len(targets) == 1 and isinstance(value, cst.Name):
            self._link(node, targets[0], value.value, method)
        for target in targets:
            holder = target.value if isinstance(target, cst.Subscript) else target
            attribute = _attribute_of(holder, method)
            if isinstance(target, cst.Subscript) and attribute is not None and value is not None:
                method.fills.append(Fill(attribute, value, True))
            if isinstance(node, cst.Assign) and isinstance(value, cst.Name) and self._rooted_at_instance(holder, frame):
                method.kept_names.add(value.value)

    @staticmethod
    def _link(node: cst.Assign, target: cst.BaseExpression, value: str, method: Method) -> None:
        """``self.x = parameter`` and ``other.x = self``."""
        instance = method.site.instance_parameter
        if not isinstance(target, cst.Attribute) or not isinstance(target.value, cst.Name) or instance is None:
            return
        holder, attribute = target.value.value, target.attr.value
        if holder == instance and value != instance:
            parameter = next((p for p in named_params(method.site.node.params) if p.name.value == value), None)
            if parameter is not None:
                method.stored_parameters.append(ParameterStore(node, attribute, parameter))
        elif holder != instance and value == instance:
            method.back_references.append(BackReference(node, holder, attribute))

    def _note_attribute_stores(self, node: Store, targets: List[cst.BaseExpression]) -> None:
        for target in targets:
            if isinstance(target, cst.Attribute):
                self.attribute_stores.setdefault(target.attr.value, []).append(node)

    def _attribute_store(self, node: Store, attribute: cst.Attribute, frame: _Frame) -> None:
        owner, name = attribute.value, attribute.attr.value
        if self._is_instance(owner, frame):
            assert frame.method is not None
            frame.method.stores.append(AttributeStore(name, node, attribute, frame.nested))
            value = None if isinstance(node, cst.Del) else node.value
            if value is not None and not frame.nested and any(attribute is t for t in assignment_targets(node)):
                frame.method.fills.append(Fill(name, value, False))
        elif isinstance(owner, cst.Name):
            if frame.method is not None and frame.cls is not None:
                frame.cls.foreign_attrs.add(name)
            known = self._instance_class(owner, frame)
            if known is not None:
                known.foreign_attrs.add(name)

    def _note_binding(self, variable: str, call: cst.Call, frame: _Frame) -> None:
        func = call.func
        if isinstance(func, cst.Name) and func.value in self.by_name:
            frame.instances[variable] = func.value
        if self.context.matches(func, *WEAK_CONTAINERS):
            self._weak_containers.add(variable)

    # -- calls -------------------------------------------------------------------------

    def _method_call(self, node: cst.Call, func: cst.Attribute, frame: _Frame) -> None:
        """``x.add(v)``, ``self.kids.append(v)``, ``self.m(...)``."""
        method = frame.method
        if method is not None and self._is_instance(func.value, frame):
            method.calls_on_instance.add(func.attr.value)
        if method is not None and func.attr.value in EMPTYING_METHODS:
            emptied = _attribute_of(func.value, method)
            if emptied is not None:
                method.emptied.add(emptied)
        if not node.args:
            return
        item = node.args[-1].value
        if func.attr.value in ("add", "setdefault") and isinstance(func.value, (cst.Name, cst.Attribute)):
            self._weak_uses.append((_last_part(func.value), self._class_name(self._self_class(item, frame))))
        if func.attr.value in FILL_METHODS and self._in_own_method(frame):
            assert method is not None
            holder = _attribute_of(func.value, method)
            if holder is not None:
                method.fills.append(Fill(holder, item, True))
            if isinstance(item, cst.Name) and self._rooted_at_instance(func.value, frame):
                method.kept_names.add(item.value)

    def _watched_call(self, node: cst.Call, qualified: Optional[str], frame: _Frame) -> None:
        first = node.args[0].value if node.args else None
        if first is None:
            return
        if qualified in _DICT_CALLS:
            self._mark_dynamic(first, f"calls {_DICT_CALLS[qualified]}()", frame)
        elif qualified == "copyreg.pickle" and isinstance(first, cst.Name) and first.value in self.by_name:
            self.by_name[first.value].dynamic.append("custom pickling")
        elif qualified in WEAKREF_CALLS:
            self._weak(self._class_name(self._self_class(first, frame)))

    def _resource_call(self, node: cst.Call, frame: _Frame) -> None:
        """A method that opens, starts or locks something, or builds objects
        that point back at the instance (a registry): a service object."""
        info, method = frame.cls, frame.method
        assert info is not None and method is not None
        dotted = dotted_name(node.func)
        qualified = self.context.qualified_name(node.func) if dotted and self._may_name_resource(dotted) else None
        name = qualified or dotted  # `lzma` bound by a guarded import is still lzma
        callee = last_name(node.func)
        if _is_resource(name) or callee in RESOURCE_CLASS_NAMES:
            info.owns_resources = True
        elif callee and callee[:1].isupper() and callee != info.name:
            instance = method.site.instance_parameter
            if any(isinstance(arg.value, cst.Name) and arg.value.value == instance for arg in node.args):
                info.owns_resources = True

    def _may_name_resource(self, dotted: str) -> bool:
        """Whether resolving ``dotted`` through the imports can give a resource
        constructor: resolution computes scope facts, spared for ``len(x)``,
        ``self.m()`` and the like."""
        symbols = self.context.symbols
        head, _, rest = dotted.partition(".")
        imported = symbols.imports.get(head)
        guess = f"{imported}.{rest}" if imported and rest else imported
        return head in symbols.nested_imports or head == "open" or _is_resource(dotted) or _is_resource(guess)

    # -- whose instance ----------------------------------------------------------------

    def _is_instance(self, expression: cst.BaseExpression, frame: _Frame) -> bool:
        """``expression`` is the instance parameter of the method around."""
        return (
            frame.method is not None
            and isinstance(expression, cst.Name)
            and expression.value == frame.method.site.instance_parameter
        )

    def _in_own_method(self, frame: _Frame) -> bool:
        """In an instance method's own scope (not in a def or lambda nested in it)."""
        return frame.method is not None and not frame.nested and frame.method.site.kind is FunctionKind.METHOD

    def _rooted_at_instance(self, expression: cst.BaseExpression, frame: _Frame) -> bool:
        """``self.x`` or ``self.x.y`` (not ``self`` itself)."""
        if not isinstance(expression, cst.Attribute):
            return False
        while isinstance(expression, cst.Attribute):
            expression = expression.value
        return self._is_instance(expression, frame)

    def _instance_class(self, expression: cst.BaseExpression, frame: _Frame) -> Optional[ClassInfo]:
        """The module-level class ``expression`` is an instance of, when the code says so."""
        name: Optional[str] = None
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Name):
            name = expression.func.value
        elif isinstance(expression, cst.Name):
            name = frame.instances.get(expression.value)
        return self.by_name.get(name) if name else None

    def _self_class(self, expression: cst.BaseExpression, frame: _Frame) -> Optional[ClassInfo]:
        """Like :meth:`_instance_class`, also for the instance (and its bound methods) in a method."""
        if self._is_instance(expression, frame):
            return frame.cls
        if isinstance(expression, cst.Attribute):  # a bound method keeps its instance
            return self._self_class(expression.value, frame)
        return self._instance_class(expression, frame)

    @staticmethod
    def _class_name(info: Optional[ClassInfo]) -> Optional[str]:
        return info.name if info is not None else None

    def _mark_dynamic(self, owner: cst.BaseExpression, why: str, frame: _Frame) -> None:
        if frame.cls is not None:
            frame.cls.dynamic.append(why)
        known = self._instance_class(owner, frame)
        if known is not None:
            known.dynamic.append(why)

    # -- weak references ------------------------------------------------------------------

    def _weak_setitem(self, target: cst.Subscript, value: Optional[cst.BaseExpression], frame: _Frame) -> None:
        """``container[key] = value``: a weak container would reference both."""
        if value is None or not isinstance(target.value, (cst.Name, cst.Attribute)):
            return
        container = _last_part(target.value)
        self._weak_uses.append((container, self._class_name(self._self_class(value, frame))))
        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = self._self_class(target.slice[0].slice.value, frame)
            self._weak_uses.append((container, self._class_name(key)))

    def _weak(self, class_name: Optional[str]) -> None:
        if class_name is None:
            self.weak_unknown = True
        else:
            self.weak_classes.add(class_name)

    # -- children ------------------------------------------------------------------------

    @property
    def names(self) -> FrozenSet[str]:
        """The names of the module-level classes (ask after the walk)."""
        if self._names is None:
            self._names = frozenset(self.by_name)
        return self._names

    def keepers_of(self, child: str) -> List[Tuple[ClassInfo, Set[ArgumentSlot]]]:
        """The module-level classes, by name, that build and keep instances of
        ``child``, each with where it passes its own instance to them."""
        if self._keepers is None:
            table: Dict[str, List[Tuple[ClassInfo, Set[ArgumentSlot]]]] = {}
            for name in sorted(self.by_name):
                holder = self.by_name[name]
                for kept, slots in self.keeps_with_instance(holder).items():
                    table.setdefault(kept, []).append((holder, slots))
            self._keepers = table
        return self._keepers.get(child, [])

    def _children_of(self, info: ClassInfo) -> "_Children":
        found = self._children.get(info.node)
        if found is None:
            found = self._children[info.node] = _children(info, self.names)
        return found


CLASSES: WalkFact[ClassIndex] = WalkFact("classes", ClassIndex)


# -- slots literals ------------------------------------------------------------------------


def parse_slots(value: cst.BaseExpression) -> Optional[List[SlotName]]:
    """Names of a ``__slots__`` value given as a string, tuple, list or dict literal."""
    if isinstance(value, cst.SimpleString):
        name = _identifier(value)
        return None if name is None else [SlotName(name, value)]
    items: List[Tuple[cst.BaseExpression, cst.CSTNode]]
    if isinstance(value, (cst.Tuple, cst.List)):
        items = [(element.value, element) for element in value.elements]
    elif isinstance(value, cst.Dict):
        items = [(element.key, element) for element in value.elements if isinstance(element, cst.DictElement)]
        if len(items) != len(value.elements):
            return None
    else:
        return None
    result = []
    for expression, element in items:
        name = _identifier(expression) if isinstance(expression, cst.SimpleString) else None
        if name is None or isinstance(element, cst.StarredElement):
            return None
        result.append(SlotName(name, element))
    return result


def _identifier(node: cst.SimpleString) -> Optional[str]:
    value = node.evaluated_value
    return value.strip() if isinstance(value, str) and value.strip().isidentifier() else None


# -- annotations -----------------------------------------------------------------------------


def annotation_classes(annotation: Optional[cst.CSTNode], known: AbstractSet[str]) -> Set[str]:
    """Names of ``known`` classes an annotation mentions, also inside strings
    (``"Parent"``, ``Optional["Parent"]``, ``list[Child]``)."""
    if annotation is None:
        return set()
    found: Set[str] = set()
    for node in m.findall(annotation, m.Name() | m.SimpleString()):
        if isinstance(node, cst.Name) and node.value in known:
            found.add(node.value)
        elif isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            found.update(word for word in _words(node.evaluated_value) if word in known)
    return found


def container_classes(annotation: cst.BaseExpression, known: AbstractSet[str]) -> Set[str]:
    """Classes of ``known`` whose instances a container annotation holds
    (``list[Child]``, ``dict[str, "Child"]``, ``Optional[Deque[Child]]``);
    not ``type[Child]`` or ``Callable[..., Child]``."""
    if isinstance(annotation, cst.SimpleString):
        try:
            parsed = cst.parse_expression(annotation.evaluated_value)  # type: ignore[arg-type]
        except (cst.ParserSyntaxError, TypeError):
            return set()
        return container_classes(parsed, known)
    if isinstance(annotation, cst.BinaryOperation):  # X | None
        return container_classes(annotation.left, known) | container_classes(annotation.right, known)
    if not isinstance(annotation, cst.Subscript):
        return set()
    head = (dotted_name(annotation.value) or "").rsplit(".", 1)[-1]
    elements = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
    found: Set[str] = set()
    for element in elements:
        if head in WRAPPERS:
            found |= container_classes(element, known)
        elif head in CONTAINERS:
            found |= annotation_classes(element, known)
    return found


def _words(text: str) -> Iterator[str]:
    word = ""
    for char in text + " ":
        if char.isalnum() or char == "_":
            word += char
        elif word:
            yield word
            word = ""


# -- children -----------------------------------------------------------------------------------


class _Children(NamedTuple):
    attributes: Dict[str, Set[str]]  # instance attribute -> child classes
    single: Dict[str, Set[str]]  # instance attribute -> classes of the one instance it is set to
    kept: Dict[str, Set[ArgumentSlot]]  # child class -> where the instance is passed to it


def _children(info: ClassInfo, known: AbstractSet[str]) -> _Children:
    result = _Children({}, {}, {})
    for statement in info.annotated:
        if isinstance(statement.target, cst.Name):
            _add(result.attributes, statement.target.value, container_classes(statement.annotation.annotation, known))
    first_constructions: Dict[str, cst.Call] = {}
    for method in info.methods:
        for name, construction in method.constructions:
            first_constructions.setdefault(name, construction)
    for method in info.methods:
        instance = method.site.instance_parameter
        if instance is None:
            continue
        local = _local_classes(method, known)
        for store in method.stores:
            if not store.nested and isinstance(store.statement, cst.AnnAssign):
                _add(result.attributes, store.name, container_classes(store.statement.annotation.annotation, known))
        for fill in method.fills:
            _add(result.attributes if fill.into_container else result.single, fill.attribute,
                 _classes_of(fill.value, local, known))
            call: Optional[cst.Call] = fill.value if isinstance(fill.value, cst.Call) else None
            if call is None and isinstance(fill.value, cst.Name):
                call = first_constructions.get(fill.value.value)
            if call is not None and isinstance(call.func, cst.Name) and call.func.value in known:
                slots = set(instance_slots(call, instance))
                if slots:
                    result.kept.setdefault(call.func.value, set()).update(slots)
    return result


def _add(table: Dict[str, Set[str]], key: str, names: Set[str]) -> None:
    if names:
        table.setdefault(key, set()).update(names)


def _local_classes(method: Method, known: AbstractSet[str]) -> Dict[str, Set[str]]:
    """Parameters and locals of ``method`` whose class is a module-level class:
    from annotations and from ``x = Child(...)``."""
    result: Dict[str, Set[str]] = {}
    for param in named_params(method.site.node.params):
        found = annotation_classes(param.annotation.annotation if param.annotation else None, known)
        if found:
            result[param.name.value] = found
    for name, call in method.constructions:
        if isinstance(call.func, cst.Name) and call.func.value in known:
            result[name] = {call.func.value}
    return result


def _classes_of(value: cst.BaseExpression, local: Dict[str, Set[str]], known: AbstractSet[str]) -> Set[str]:
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in known:
        return {value.func.value}
    if isinstance(value, cst.Name):
        return local.get(value.value, set())
    return set()


def instance_slots(call: cst.Call, instance: str) -> Iterator[ArgumentSlot]:
    """Where ``call`` passes ``instance``: its position among the positional
    arguments, or its keyword (nothing after a ``*args``)."""
    position = 0
    for arg in call.args:
        if arg.star:
            return
        is_instance = isinstance(arg.value, cst.Name) and arg.value.value == instance
        if arg.keyword is not None:
            if is_instance:
                yield arg.keyword.value
        else:
            if is_instance:
                yield position
            position += 1


# -- small helpers ----------------------------------------------------------------------------------


def _is_resource(name: Optional[str]) -> bool:
    """``name`` (qualified) constructs a resource or a concurrency primitive."""
    return name is not None and (name in RESOURCE_CALLS or name.startswith(RESOURCE_MODULES))


def _unsubscripted(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``Generic[T]`` -> ``Generic``."""
    return expression.value if isinstance(expression, cst.Subscript) else expression


def _attribute_of(expression: cst.BaseExpression, method: Method) -> Optional[str]:
    """``attr`` when ``expression`` is ``<instance>.attr`` in ``method``."""
    if isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Name):
        if expression.value.value == method.site.instance_parameter:
            return expression.attr.value
    return None


def _is_empty_value(value: Optional[cst.BaseExpression]) -> bool:
    """``None``, or an empty ``[]``, ``{}``, ``()``, ``list()``, ``dict()``, ``set()``."""
    if isinstance(value, cst.Name):
        return value.value == "None"
    if isinstance(value, (cst.List, cst.Dict, cst.Tuple)):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and dotted_name(value.func) in ("list", "dict", "set")


def _last_part(expression: Union[cst.Name, cst.Attribute]) -> str:
    return expression.value if isinstance(expression, cst.Name) else expression.attr.value
