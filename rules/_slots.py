"""Shared by the MEM1 rules: what a module's classes look like, computed once per file.

One recursive scan of the module collects, per class: its `__slots__` (tuple,
list, single string or dict form), the names its body binds, the attributes
its methods assign on `self`, and the signs that instances need a `__dict__`
(`setattr`, `vars`, `__dict__`, `__getattr__`, pickling hooks,
`cached_property`) or that the class is a service object rather than a record
(threads, locks, files, sockets, executors). Module-wide it collects which
classes' instances are weakly referenced. `base_layout` answers the base-class
question: do instances of the bases carry a `__dict__`?
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from memlint.analysis import Fact
from memlint.context import Context
from memlint.analysis.names import dotted_name
from memlint.rule import Replace
from memlint.nodes import children

SLOTTED = "slotted"  # no ancestor gives instances a __dict__
HAS_DICT = "dict"  # some ancestor gives instances a __dict__
UNKNOWN = "unknown"  # cannot tell without looking at another module

# Standard-library bases whose classes declare `__slots__ = ()` all the way up.
KNOWN_SLOTTED = frozenset({"abc.ABC", "typing.Generic", "typing_extensions.Generic"})
KNOWN_SLOTTED_PREFIXES = ("collections.abc.", "numbers.")
# Special forms: their "subclasses" are not ordinary classes.
SPECIAL_BASES = frozenset({
    "typing.NamedTuple", "typing.TypedDict", "typing_extensions.TypedDict", "typing_extensions.NamedTuple",
    "typing.Protocol", "typing_extensions.Protocol", "mypy_extensions.TypedDict",
})
NAMEDTUPLE_FACTORIES = frozenset({"collections.namedtuple", "typing.NamedTuple"})
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})
# attrs: decorators that make slotted classes unless told `slots=False`.
ATTRS_SLOTTED = frozenset({
    "attr.define", "attr.frozen", "attr.mutable", "attrs.define", "attrs.frozen", "attrs.mutable",
})
# attrs: the classic API, slotted only with `slots=True`.
ATTRS_CLASSIC = frozenset({"attr.s", "attr.attrs", "attr.dataclass", "attrs.attrs"})
# Decorators known to return the class they were given, unchanged in layout.
NEUTRAL_DECORATORS = frozenset({
    "functools.total_ordering", "typing.final", "typing_extensions.final", "typing.runtime_checkable",
    "enum.unique",
})
# Decorators that give the class a metaclass or replace it.
CLASS_REPLACING_DECORATORS = frozenset({"six.add_metaclass", "future.utils.with_metaclass"})

INSTANCE_DICT_METHODS = frozenset({
    "__getattr__", "__getattribute__", "__setattr__", "__delattr__",
    "__getstate__", "__setstate__", "__reduce__", "__reduce_ex__",
})
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
# Method decorators that never store anything on the instance.
PLAIN_METHOD_DECORATORS = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "abc.abstractmethod", "typing.overload",
    "typing.final", "typing_extensions.override", "typing.override", "functools.wraps",
    "functools.singledispatchmethod", "contextlib.contextmanager", "contextlib.asynccontextmanager",
})
WEAKREF_CALLS = frozenset({"weakref.ref", "weakref.proxy", "weakref.finalize", "weakref.WeakMethod"})
WEAK_CONTAINERS = frozenset({"weakref.WeakSet", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary"})


@dataclass
class Slots:
    """A class's `__slots__` declaration."""

    statement: cst.CSTNode  # the Assign/AnnAssign
    value: cst.BaseExpression
    # (name, element) in order; None when the value is not a literal we can read
    names: Optional[List[Tuple[str, cst.CSTNode]]]

    @property
    def name_set(self) -> Set[str]:
        return {name for name, _ in self.names or ()}


@dataclass
class ClassFacts:
    node: cst.ClassDef
    path: Tuple[str, ...]  # class and function names from the module down
    in_function: bool
    slots: Optional[Slots] = None
    class_attrs: Dict[str, cst.CSTNode] = field(default_factory=dict)  # names the body binds
    properties: Set[str] = field(default_factory=set)
    init_attrs: Dict[str, None] = field(default_factory=dict)  # self.x set in __init__, in order (as written)
    later_attrs: Set[str] = field(default_factory=set)  # self.x set in other methods
    setter_attrs: Dict[str, List[str]] = field(default_factory=dict)  # property -> self.x its setter sets
    foreign_attrs: Set[str] = field(default_factory=set)  # other.x set in methods
    annotations: Set[str] = field(default_factory=set)  # names annotated in the class body
    has_init: bool = False
    dynamic: List[str] = field(default_factory=list)  # why instances need a __dict__
    owns_resources: bool = False
    zero_arg_super: bool = False


@dataclass
class ModuleFacts:
    classes: Dict[cst.ClassDef, ClassFacts] = field(default_factory=dict)
    by_name: Dict[str, ClassFacts] = field(default_factory=dict)  # module-level classes
    redefined: Set[str] = field(default_factory=set)  # module-level class names defined twice
    assigned: Dict[str, cst.BaseExpression] = field(default_factory=dict)  # module-level `x = value`
    weak_classes: Set[str] = field(default_factory=set)  # classes whose instances are weakly referenced
    weak_unknown: bool = False  # something else is weakly referenced
    multi_base: Set[str] = field(default_factory=set)  # classes used beside another base
    bases_of_unslotted: Set[str] = field(default_factory=set)  # classes a class without __slots__ extends
    calls_in_functions: Set[str] = field(default_factory=set)  # names called inside a def or lambda
    calls_at_top: Set[str] = field(default_factory=set)  # names called at module or class level


def module_facts(context: Context) -> ModuleFacts:
    return context.fact(SLOTS_MODULE_FACTS)


SLOTS_MODULE_FACTS: Fact[ModuleFacts] = Fact("slots facts", lambda context: _Scanner(context).scan())


def class_facts(context: Context, node: cst.ClassDef) -> ClassFacts:
    return module_facts(context).classes[node]


# -- slots literals -------------------------------------------------------------------


def parse_slots(value: cst.BaseExpression) -> Optional[List[Tuple[str, cst.CSTNode]]]:
    """Names of a `__slots__` value given as a string, tuple, list or dict literal."""
    if isinstance(value, cst.SimpleString):
        name = _string(value)
        return None if name is None else [(name, value)]
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
        name = _string(expression) if isinstance(expression, cst.SimpleString) else None
        if name is None or isinstance(element, cst.StarredElement):
            return None
        result.append((name, element))
    return result


def _string(node: cst.SimpleString) -> Optional[str]:
    value = node.evaluated_value
    return value.strip() if isinstance(value, str) and value.strip().isidentifier() else None


def mangle(class_name: str, name: str) -> str:
    """The name Python stores for `name` written inside class `class_name`."""
    if name.startswith("__") and not name.endswith("__"):
        return "_" + class_name.lstrip("_") + name
    return name


# -- the scan ------------------------------------------------------------------------


@dataclass
class _Method:
    facts: ClassFacts
    name: str
    self_name: Optional[str]
    setter: bool = False


class _Scanner:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.result = ModuleFacts()
        self.path: List[str] = []
        self.classes: List[ClassFacts] = []
        self.methods: List[Optional[_Method]] = []  # the method around the current node, per scope
        self.in_function = 0
        self.weak_uses: List[Tuple[str, str, Optional[str]]] = []  # (container, how, class)
        self.weak_container_names: Set[str] = set()
        self.ctor_vars: Dict[Tuple[int, str], str] = {}  # (scope id, variable) -> class name
        self.scope_ids: List[int] = [0]

    def scan(self) -> ModuleFacts:
        module = self.context.module
        for statement in module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                        if isinstance(target, cst.Name):
                            self.result.assigned[target.value] = small.value
        self.methods.append(None)
        self._walk(module)
        for container, how, class_name in self.weak_uses:
            if container in self.weak_container_names:
                self._weak(class_name)
        return self.result

    # walking

    def _walk(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.ClassDef):
            self._class(node)
            return
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            self._function(node)
            return
        self._inspect(node)
        for child in children(node):
            self._walk(child)

    def _class(self, node: cst.ClassDef) -> None:
        facts = ClassFacts(node, tuple(self.path) + (node.name.value,), self.in_function > 0)
        self.result.classes[node] = facts
        if not self.path:
            if node.name.value in self.result.by_name:
                self.result.redefined.add(node.name.value)
            self.result.by_name[node.name.value] = facts
        self._class_body(facts)
        for base in node.bases:
            self._walk(base)
        for base in node.bases:
            if isinstance(base.value, cst.Name):
                if len(node.bases) > 1:
                    self.result.multi_base.add(base.value.value)
                if facts.slots is None:
                    self.result.bases_of_unslotted.add(base.value.value)
        for decorator in node.decorators:
            self._walk(decorator)
        self.path.append(node.name.value)
        self.classes.append(facts)
        self.methods.append(None)
        self._walk(node.body)
        self.methods.pop()
        self.classes.pop()
        self.path.pop()

    def _class_body(self, facts: ClassFacts) -> None:
        for statement in _class_statements(facts.node):
            if isinstance(statement, cst.FunctionDef):
                name = statement.name.value
                facts.class_attrs.setdefault(name, statement)
                if name == "__init__":
                    facts.has_init = True
                if name in INSTANCE_DICT_METHODS:
                    facts.dynamic.append(f"defines {name}")
                if name in RESOURCE_METHODS:
                    facts.owns_resources = True
                for decorator in statement.decorators:
                    self._method_decorator(facts, name, decorator.decorator)
            elif isinstance(statement, cst.ClassDef):
                facts.class_attrs.setdefault(statement.name.value, statement)
            elif isinstance(statement, (cst.Assign, cst.AnnAssign)):
                self._class_assignment(facts, statement)
                if isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
                    facts.annotations.add(statement.target.value)

    def _method_decorator(self, facts: ClassFacts, name: str, decorator: cst.BaseExpression) -> None:
        qualified = self.context.qualified_name(decorator) or ""
        if qualified == "builtins.property" or (
            isinstance(decorator, cst.Attribute) and decorator.attr.value in ("setter", "getter", "deleter")
        ):
            facts.properties.add(name)
        elif qualified.endswith("cached_property") or (dotted_name(decorator) or "").endswith("cached_property"):
            facts.dynamic.append("uses cached_property")
        elif qualified not in PLAIN_METHOD_DECORATORS:
            facts.dynamic.append("a method decorator that may store on the instance")

    def _class_assignment(self, facts: ClassFacts, statement: cst.CSTNode) -> None:
        if isinstance(statement, cst.Assign):
            targets = [t.target for t in statement.targets]
            value: Optional[cst.BaseExpression] = statement.value
        else:
            assert isinstance(statement, cst.AnnAssign)
            targets, value = [statement.target], statement.value
        if value is None:
            return  # a bare annotation binds nothing
        for target in targets:
            for name in _names(target):
                if name == "__slots__" and len(targets) == 1:
                    facts.slots = Slots(statement, value, parse_slots(value))
                elif name != "__slots__":
                    facts.class_attrs.setdefault(name, statement)
                    if isinstance(value, cst.Call) and self.context.matches(value, "builtins.property"):
                        facts.properties.add(name)

    def _function(self, node: cst.CSTNode) -> None:
        method = self.methods[-1]
        if isinstance(node, cst.FunctionDef) and self.classes and method is None and self._directly_in_class(node):
            method = _Method(self.classes[-1], node.name.value, self._self_name(node), _is_setter(node))
        if isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                self._walk(decorator)
            self.path.append(node.name.value)
        self.in_function += 1
        self.scope_ids.append(id(node))
        self.methods.append(method)
        for child in children(node):
            if not isinstance(child, cst.Decorator):
                self._walk(child)
        self.methods.pop()
        self.scope_ids.pop()
        self.in_function -= 1
        if isinstance(node, cst.FunctionDef):
            self.path.pop()

    def _directly_in_class(self, node: cst.FunctionDef) -> bool:
        return any(statement is node for statement in _class_statements(self.classes[-1].node))

    def _self_name(self, node: cst.FunctionDef) -> Optional[str]:
        for decorator in node.decorators:
            if self.context.qualified_name(decorator.decorator) in ("builtins.staticmethod", "builtins.classmethod"):
                return None
        params = list(node.params.posonly_params) + list(node.params.params)
        return params[0].name.value if params else None

    # what each node tells

    def _inspect(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            self._assignment(node)
        elif isinstance(node, cst.Call):
            self._call(node)
        elif isinstance(node, cst.Attribute) and node.attr.value in ("__dict__", "__setattr__", "__delattr__"):
            self._mark_dynamic(node.value, f"uses {node.attr.value}")

    def _assignment(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        else:
            targets = [node.target]  # type: ignore[attr-defined]
        value = getattr(node, "value", None)
        method = self.methods[-1]
        for target in targets:
            for attribute in _attribute_targets(target):
                self._attribute_store(method, attribute)
            if isinstance(target, cst.Name) and isinstance(value, cst.Call):
                self._note_binding(target.value, value)
            if isinstance(target, cst.Subscript) and isinstance(node, cst.Assign):
                self._weak_setitem(target, value)

    def _attribute_store(self, method: Optional[_Method], attribute: cst.Attribute) -> None:
        owner = attribute.value
        name = attribute.attr.value
        if method is not None and isinstance(owner, cst.Name) and owner.value == method.self_name:
            facts = method.facts
            if method.name == "__init__":
                facts.init_attrs.setdefault(name, None)
            elif method.setter:
                facts.setter_attrs.setdefault(method.name, []).append(name)
            else:
                facts.later_attrs.add(name)
        elif isinstance(owner, cst.Name):
            if method is not None:
                method.facts.foreign_attrs.add(name)
            known = self._instance_class(owner)
            if known is not None:
                known.foreign_attrs.add(name)

    def _note_binding(self, variable: str, call: cst.Call) -> None:
        func = call.func
        if isinstance(func, cst.Name) and func.value in self.result.by_name:
            self.ctor_vars[(self.scope_ids[-1], variable)] = func.value
        if self.context.qualified_name(func) in WEAK_CONTAINERS:
            self.weak_container_names.add(variable)

    def _instance_class(self, expression: cst.BaseExpression) -> Optional[ClassFacts]:
        """The module class `expression` is an instance of, when the code says so."""
        name: Optional[str] = None
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Name):
            name = expression.func.value
        elif isinstance(expression, cst.Name):
            name = self.ctor_vars.get((self.scope_ids[-1], expression.value))
        return self.result.by_name.get(name) if name else None

    def _self_class(self, expression: cst.BaseExpression) -> Optional[ClassFacts]:
        method = self.methods[-1]
        if method is not None and isinstance(expression, cst.Name) and expression.value == method.self_name:
            return method.facts
        if isinstance(expression, cst.Attribute):  # a bound method keeps its instance
            return self._self_class(expression.value)
        return self._instance_class(expression)

    def _mark_dynamic(self, owner: cst.BaseExpression, why: str) -> None:
        if self.classes:
            self.classes[-1].dynamic.append(why)
        known = self._instance_class(owner)
        if known is not None:
            known.dynamic.append(why)

    def _call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            calls = self.result.calls_in_functions if self.in_function else self.result.calls_at_top
            calls.add(node.func.value)
        qualified = self.context.qualified_name(node.func)
        first = node.args[0].value if node.args else None
        if qualified in ("builtins.setattr", "builtins.delattr", "builtins.vars") and first is not None:
            self._mark_dynamic(first, f"calls {qualified[9:]}()")
        elif qualified == "copyreg.pickle" and isinstance(first, cst.Name) and first.value in self.result.by_name:
            self.result.by_name[first.value].dynamic.append("custom pickling")
        elif qualified in WEAKREF_CALLS and first is not None:
            self._weak_target(first)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("add", "setdefault") and node.args:
            container = _last_name(node.func.value)
            target = node.args[-1].value
            if container is not None:
                found = self._self_class(target)
                self.weak_uses.append((container, "call", found.node.name.value if found else None))
        elif (
            isinstance(node.func, cst.Name) and node.func.value == "super" and not node.args and self.classes
        ):
            self.classes[-1].zero_arg_super = True
        if self.classes and self.methods[-1] is not None:
            self._resource_call(node, qualified)

    def _resource_call(self, node: cst.Call, qualified: Optional[str]) -> None:
        facts = self.methods[-1].facts  # type: ignore[union-attr]
        qualified = qualified or dotted_name(node.func)  # `lzma` bound by a guarded import is still lzma
        if qualified and (qualified in RESOURCE_CALLS or qualified.startswith(RESOURCE_MODULES)):
            facts.owns_resources = True
            return
        callee = _last_name(node.func)
        if callee in RESOURCE_CLASS_NAMES:
            facts.owns_resources = True
            return
        self_name = self.methods[-1].self_name  # type: ignore[union-attr]
        if callee and callee[:1].isupper() and callee != facts.node.name.value and any(
            isinstance(arg.value, cst.Name) and arg.value.value == self_name for arg in node.args
        ):
            facts.owns_resources = True  # builds objects that point back at it: a registry

    def _weak_target(self, target: cst.BaseExpression) -> None:
        found = self._self_class(target)
        self._weak(found.node.name.value if found else None)

    def _weak_setitem(self, target: cst.Subscript, value: Optional[cst.BaseExpression]) -> None:
        container = _last_name(target.value)
        if container is None or value is None:
            return
        found = self._self_class(value)
        self.weak_uses.append((container, "setitem", found.node.name.value if found else None))
        if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = self._self_class(target.slice[0].slice.value)
            self.weak_uses.append((container, "setitem", key.node.name.value if key else None))

    def _weak(self, class_name: Optional[str]) -> None:
        if class_name is None:
            self.result.weak_unknown = True
        else:
            self.result.weak_classes.add(class_name)


def _is_setter(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Attribute) and d.decorator.attr.value == "setter" for d in node.decorators
    )


def _class_statements(node: cst.ClassDef) -> List[cst.CSTNode]:
    """Statements of a class body, small statements unpacked, also those under
    a class-level `if`/`try`/`with` (conditional method definitions)."""
    result: List[cst.CSTNode] = []
    _collect_statements(node.body, result)
    return result


def _collect_statements(block: cst.CSTNode, result: List[cst.CSTNode]) -> None:
    for statement in getattr(block, "body", ()):
        if isinstance(statement, cst.SimpleStatementLine):
            result.extend(statement.body)
        elif isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With)):
            _collect_branches(statement, result)
        else:  # a compound statement, or a small statement of a one-line suite
            result.append(statement)


def _collect_branches(node: cst.CSTNode, result: List[cst.CSTNode]) -> None:
    _collect_statements(getattr(node, "body", None), result)
    for child in children(node):
        if isinstance(child, (cst.If, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
            _collect_branches(child, result)


def _names(target: cst.BaseExpression) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


def _attribute_targets(target: cst.BaseExpression) -> List[cst.Attribute]:
    if isinstance(target, cst.Attribute):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [a for element in target.elements for a in _attribute_targets(element.value)]
    if isinstance(target, cst.StarredElement):
        return _attribute_targets(target.value)
    return []


def _last_name(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def instance_attributes(facts: ClassFacts) -> Tuple[List[str], Set[str]]:
    """(attributes `__init__` sets, in order, through property setters too;
    attributes set anywhere else)."""
    attributes: List[str] = []
    for name in facts.init_attrs:
        if name in facts.properties:
            attributes.extend(a for a in facts.setter_attrs.get(name, ()) if a not in attributes)
        elif name not in attributes:
            attributes.append(name)
    elsewhere = set(facts.later_attrs) | facts.foreign_attrs
    for prop, names in facts.setter_attrs.items():
        if prop not in facts.init_attrs:
            elsewhere.update(names)
    return attributes, elsewhere - set(attributes)



def string_tuple(names: List[str]) -> cst.Tuple:
    elements = [cst.Element(cst.SimpleString(f'"{name}"')) for name in names]
    if len(elements) == 1:
        elements[0] = elements[0].with_changes(comma=cst.Comma())
    return cst.Tuple(elements)


# -- decorators -----------------------------------------------------------------------


def keyword(call: cst.BaseExpression, name: str) -> Optional[cst.Arg]:
    if not isinstance(call, cst.Call):
        return None
    return next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == name), None)


def is_true(arg: Optional[cst.Arg]) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def decorator_kind(context: Context, decorator: cst.Decorator) -> Optional[str]:
    """'dataclass', 'attrs-slotted', 'attrs-classic', 'neutral', 'replacing' or None (unknown)."""
    qualified = context.qualified_name(decorator)
    if qualified in DATACLASS_DECORATORS:
        return "dataclass"
    if qualified in ATTRS_SLOTTED:
        return "attrs-slotted"
    if qualified in ATTRS_CLASSIC:
        return "attrs-classic"
    if qualified in NEUTRAL_DECORATORS:
        return "neutral"
    if qualified in CLASS_REPLACING_DECORATORS:
        return "replacing"
    return None


def makes_slots(context: Context, decorator: cst.Decorator) -> bool:
    """The decorator builds a slotted class (`@dataclass(slots=True)`, `@attrs.define`)."""
    kind = decorator_kind(context, decorator)
    slots = keyword(decorator.decorator, "slots")
    if kind == "attrs-slotted":
        return slots is None or is_true(slots)
    return kind in ("dataclass", "attrs-classic") and is_true(slots)


# -- base classes ----------------------------------------------------------------------


@dataclass
class Layout:
    """What the bases of a class give its instances."""

    state: str  # SLOTTED, HAS_DICT or UNKNOWN
    weakref: bool = False  # some base (maybe) provides __weakref__
    slots: Dict[str, str] = field(default_factory=dict)  # slot name -> base class that declares it


def base_layout(context: Context, node: cst.ClassDef, infer: bool = True) -> Layout:
    """The layout the bases of `node` give its instances (Tier 2 when enabled and needed)."""
    layout = _bases(context, node, set())
    if layout.state == UNKNOWN and infer and context.settings.enable_inference:
        from memlint import inference

        inferred = inference.bases_layout(context, class_facts(context, node).path)
        if inferred is not None:
            return inferred
    return layout


def _bases(context: Context, node: cst.ClassDef, seen: Set[cst.ClassDef]) -> Layout:
    result = Layout(SLOTTED)
    for arg in node.bases:
        if arg.keyword is not None or arg.star:
            result.state = _worst(result.state, UNKNOWN)
            result.weakref = True
            continue
        layout = _base(context, arg.value, seen)
        result.state = _worst(result.state, layout.state)
        result.weakref = result.weakref or layout.weakref
        for name, owner in layout.slots.items():
            result.slots.setdefault(name, owner)
    return result


def _worst(a: str, b: str) -> str:
    for state in (HAS_DICT, UNKNOWN):
        if state in (a, b):
            return state
    return SLOTTED


def _base(context: Context, expression: cst.BaseExpression, seen: Set[cst.ClassDef]) -> Layout:
    if isinstance(expression, cst.Subscript):  # Generic[T], Base[int]
        expression = expression.value
    if isinstance(expression, cst.Call):
        return Layout(SLOTTED) if _namedtuple_call(context, expression) else Layout(UNKNOWN, weakref=True)
    qualified = context.qualified_name(expression)
    if qualified is not None:
        return _named_base(qualified)
    facts = module_facts(context)
    if isinstance(expression, cst.Name):
        value = facts.assigned.get(expression.value)
        if value is not None and _namedtuple_call(context, value):
            return Layout(SLOTTED)
        base = facts.by_name.get(expression.value)
        name = expression.value
        if base is not None and base.node not in seen and name not in facts.assigned and name not in facts.redefined:
            return _module_class(context, base, seen | {base.node})
    return Layout(UNKNOWN, weakref=True)


def _namedtuple_call(context: Context, expression: cst.BaseExpression) -> bool:
    return isinstance(expression, cst.Call) and context.qualified_name(expression.func) in NAMEDTUPLE_FACTORIES


def _named_base(qualified: str) -> Layout:
    if qualified.startswith("builtins."):
        kind = getattr(builtins, qualified[9:], None)
        if isinstance(kind, type):
            return Layout(HAS_DICT if kind.__dictoffset__ else SLOTTED, weakref=bool(kind.__weakrefoffset__))
    if qualified in KNOWN_SLOTTED or qualified.startswith(KNOWN_SLOTTED_PREFIXES):
        return Layout(SLOTTED)
    return Layout(UNKNOWN, weakref=True)


def _module_class(context: Context, base: ClassFacts, seen: Set[cst.ClassDef]) -> Layout:
    node = base.node
    if node.keywords or any(decorator_kind(context, d) == "replacing" for d in node.decorators):
        return Layout(UNKNOWN, weakref=True)
    if any(context.qualified_name(arg.value) in SPECIAL_BASES for arg in node.bases):
        return Layout(UNKNOWN, weakref=True)
    above = _bases(context, node, seen)
    if any(makes_slots(context, d) for d in node.decorators):
        return Layout(above.state, weakref=True, slots=above.slots)  # its slot names are not written out
    if base.slots is None:
        return Layout(HAS_DICT if above.state != UNKNOWN else UNKNOWN, weakref=True)
    if base.slots.names is None:
        return Layout(_worst(above.state, UNKNOWN), weakref=True)
    names = base.slots.name_set
    state = HAS_DICT if "__dict__" in names else above.state
    slots = dict(above.slots)
    for name in names:
        slots.setdefault(mangle(node.name.value, name), node.name.value)
    return Layout(state, weakref=above.weakref or "__weakref__" in names, slots=slots)


def weakly_referenced(context: Context, facts: ClassFacts) -> bool:
    """The module weakly references instances of the class, or something it cannot name."""
    found = module_facts(context)
    return facts.node.name.value in found.weak_classes or found.weak_unknown
