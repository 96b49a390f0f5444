"""Shared by the MEM5 rules: which calls create a resource, and where the value
of one goes.

The analysis is intraprocedural and deliberately one-sided: whenever the code
could hand the resource to somebody else (return, yield, store, pass it to a
call that may keep it), :func:`creation_of` says so by returning None and both
rules stay silent. Otherwise it describes the constructor call once per file
(a :class:`Creation`: entered by `with`, used inline, bound to a local name and
released by ...), and each rule decides from that description.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple, Union, cast

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis import Collector, Fact, WalkFact
from memlint.analysis.blocks import statement_site
from memlint.analysis.names import assignment_targets, dotted_name, last_name
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo, free_name
from memlint.analysis.types import LOCAL, looks_like_class, type_inference
from memlint.context import Context
from memlint.rule import Replace, Rule


@dataclass(frozen=True)
class Kind:
    """How a family of resources behaves."""

    var: str  # the name a fix binds the resource to
    fixable: bool = True  # `with R as x:` exits exactly like `x.close()`
    with_closes: bool = True  # entering it in `with` releases it


FILE = Kind("f")
SOCKET = Kind("sock")
ARCHIVE = Kind("archive")
TEMPFILE = Kind("tmp")
RESPONSE = Kind("response")
PROCESS = Kind("proc", fixable=False)  # `with` also waits for the child
EXECUTOR = Kind("executor", fixable=False)  # `with` waits (executors) or terminates (Pool)
CONNECTION = Kind("conn", fixable=False, with_closes=False)  # sqlite3: `with` commits only
OTHER = Kind("resource", fixable=False)  # configured by `extra-resources`

# Constructors by qualified name. `Type.method` entries also match calls of
# `method` on a receiver whose type (memlint.analysis.types) is `Type`.
RESOURCES: Dict[str, Kind] = {
    "builtins.open": FILE,
    "io.open": FILE,
    "codecs.open": FILE,
    "pathlib.Path.open": FILE,
    "gzip.open": FILE,
    "bz2.open": FILE,
    "lzma.open": FILE,
    "tarfile.open": ARCHIVE,
    "tarfile.TarFile.open": ARCHIVE,
    "zipfile.ZipFile": ARCHIVE,
    "socket.socket": SOCKET,
    "socket.create_connection": SOCKET,
    "subprocess.Popen": PROCESS,
    "sqlite3.connect": CONNECTION,
    "tempfile.TemporaryFile": TEMPFILE,
    "tempfile.NamedTemporaryFile": TEMPFILE,
    "tempfile.SpooledTemporaryFile": TEMPFILE,
    "urllib.request.urlopen": RESPONSE,
    "urllib.request.OpenerDirector.open": RESPONSE,
    "concurrent.futures.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.ProcessPoolExecutor": EXECUTOR,
    "multiprocessing.Pool": EXECUTOR,
    "multiprocessing.pool.Pool": EXECUTOR,
}
# Methods that release a resource (files, sockets, executors, pools, processes);
# `detach()` hands the descriptor to the caller.
RELEASES = frozenset({"close", "shutdown", "terminate", "wait", "communicate", "detach"})
# Methods whose bound method, handed to someone (`self.addCleanup(proc.kill)`),
# lets that someone release the resource.
RELEASE_CALLBACKS = RELEASES | {"kill", "__exit__"}
# Calls that only read from or write to a resource passed to them.
BORROWERS = frozenset({
    "json.load", "json.dump", "pickle.load", "pickle.dump", "marshal.load", "marshal.dump",
    "tomllib.load", "plistlib.load", "plistlib.dump", "shutil.copyfileobj", "builtins.print",
    "builtins.len", "builtins.isinstance", "builtins.hasattr", "builtins.getattr", "builtins.id",
    "builtins.repr", "builtins.str", "builtins.list", "builtins.tuple", "builtins.sorted",
    "builtins.next", "builtins.type", "builtins.enumerate", "builtins.zip", "builtins.iter",
    "builtins.set", "builtins.sum", "builtins.any", "builtins.all", "builtins.map", "builtins.exec",
    "builtins.compile", "builtins.eval", "csv.reader", "csv.DictReader", "tokenize.tokenize",
    "tokenize.detect_encoding", "hashlib.file_digest", "email.message_from_file",
    "email.message_from_binary_file",
})


@dataclass(frozen=True)
class Resource:
    qualified: str
    kind: Kind

    @property
    def label(self) -> str:
        name = self.qualified[len("builtins."):] if self.qualified.startswith("builtins.") else self.qualified
        return f"{name}()"


class ResourceTable:
    """The built-in constructors adjusted by `extra-resources` / `ignore-resources`."""
    __slots__ = ("kinds", "candidates", "methods")

    def __init__(self, options: Mapping[str, Any]) -> None:
        kinds = dict(RESOURCES)
        for name in options.get("extra-resources", ()):
            kinds.setdefault(name, OTHER)
        for name in options.get("ignore-resources", ()):
            kinds.pop(name, None)
        self.kinds = kinds
        # Last components: a cheap precheck before any resolution.
        self.candidates = frozenset(name.rsplit(".", 1)[-1] for name in kinds)
        # Methods of a type (`Path.open`): only these need the receiver's type.
        self.methods = frozenset(
            name.rsplit(".", 1)[-1] for name in kinds if looks_like_class(name.rsplit(".", 1)[0])
        )


def find_resource(context: Context, call: cst.Call, table: ResourceTable) -> Optional[Resource]:
    """The resource ``call`` creates, resolved through imports and receiver types."""
    qualified = context.qualified_name(call.func)
    if qualified is not None:
        kind = table.kinds.get(qualified)
        return Resource(qualified, kind) if kind is not None else None
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in table.methods:
        return None
    dotted = dotted_name(call.func)
    if dotted is not None and context.resolve_name(dotted.partition(".")[0]) is not None:
        return None  # an attribute of a module or class that is not a resource
    receiver = type_inference(context).type_of(call.func.value)
    if receiver is None or receiver.startswith(LOCAL):
        return None
    method = f"{receiver}.{call.func.attr.value}"
    kind = table.kinds.get(method)
    if kind is None or _custom_handlers(context, call.func.value):
        return None
    return Resource(method, kind)


def _custom_handlers(context: Context, receiver: cst.BaseExpression) -> bool:
    """An opener given hand-made handlers (`o.add_handler(MockHandler())`):
    what its open() returns is up to them (test doubles, usually)."""
    function = context.enclosing_function()
    if function is None or not isinstance(receiver, cst.Name):
        return False
    info = context.scope_info(function)
    return any(_calls_method(info, load, "add_handler") for load in info.loads_of(receiver.value))


def _calls_method(info: ScopeInfo, load: cst.Name, method: str) -> bool:
    """``load`` is the receiver of a call of ``method``: `load.method(...)`."""
    attribute = info.parent(load)
    if not isinstance(attribute, cst.Attribute) or attribute.attr.value != method:
        return False
    call = info.parent(attribute)
    return isinstance(call, cst.Call) and call.func is attribute


# -- where the value goes ---------------------------------------------------------


class Fate(enum.Enum):
    """Where the value of a constructor call goes, when it cannot escape."""

    ENTERED = "entered"  # `with sqlite3.connect(p) as conn:`
    USED_ONCE = "used once"  # `open(p).read()`: one attribute of it, then dropped
    PASSED_ON = "passed on"  # `json.load(open(p))`: passed to a call that only reads it
    DROPPED = "dropped"  # `Popen(cmd)` as a statement
    STORED = "stored"  # `x.attr = open(p)`: an attribute of some object
    BOUND = "bound"  # `f = open(p)`: a local name none of whose uses lets it escape


class Use(enum.Enum):
    """What one read of the local name bound to a resource does with it."""

    ESCAPES = "escapes"  # hands it to code that may keep or close it
    READS = "reads"  # uses it, neither keeping nor releasing it
    RELEASES = "releases"  # `f.close()`, `proc.wait()`, ...


Assignment = Union[cst.Assign, cst.AnnAssign]


@dataclass(frozen=True)
class LocalFlow:
    """A local name bound to a new resource, and its reads in the scope."""

    name: str
    statement: Assignment
    path: Tuple[cst.CSTNode, ...]  # module ... the assignment
    info: ScopeInfo  # of the scope binding the name
    loads: Tuple[cst.Name, ...]
    releases: Tuple[cst.Call, ...]  # `f.close()`, `proc.wait()`, in source order


@dataclass(frozen=True)
class Creation:
    """A constructor call whose resource does not obviously escape."""

    call: cst.Call
    resource: Resource
    path: Tuple[cst.CSTNode, ...]  # module ... the call
    fate: Fate
    consumer: cst.CSTNode  # the node receiving the value: a WithItem, Attribute, Arg, Expr or assignment
    flow: Optional[LocalFlow] = None  # for Fate.BOUND


# (id of the constructor call, resource) -> its creation: MEM501 and MEM502 share them.
_CREATIONS: Fact[Dict[Tuple[int, str], Optional[Creation]]] = Fact("resource creations", lambda context: {})


def creation_of(context: Context, call: cst.Call, resource: Resource) -> Optional[Creation]:
    """Where the value of ``call`` (the node being visited) goes; None when it
    may escape: returned, yielded, stored in a container, handed to code that
    may keep or close it."""
    memo = context.fact(_CREATIONS)
    key = (id(call), resource.qualified)
    if key not in memo:
        memo[key] = _climb(context, call, resource, tuple(context.ancestors))
    return memo[key]


def _climb(context: Context, call: cst.Call, resource: Resource, path: Tuple[cst.CSTNode, ...]) -> Optional[Creation]:
    """Climb from the call to what consumes its value."""
    node: cst.CSTNode = call
    for index in range(len(path) - 2, 0, -1):
        parent = path[index]
        if isinstance(parent, cst.IfExp) and node is not parent.test:
            node = parent  # `x = open(p) if p else sys.stdin`: follow the value
            continue
        fate = _fate(context, parent, node, path[index - 1])
        if fate is not Fate.BOUND:
            return None if fate is None else Creation(call, resource, path, fate, parent)
        flow = _local_flow(context, path[:index + 1], resource.kind)
        return None if flow is None else Creation(call, resource, path, fate, parent, flow)
    return None


def _fate(context: Context, parent: cst.CSTNode, node: cst.CSTNode, grand: cst.CSTNode) -> Optional[Fate]:
    if isinstance(parent, cst.WithItem):
        return Fate.ENTERED if parent.item is node else None
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
        targets = assignment_targets(parent)
        if len(targets) != 1:
            return None
        if isinstance(targets[0], cst.Attribute):
            return Fate.STORED
        return Fate.BOUND if isinstance(targets[0], cst.Name) else None
    if isinstance(parent, cst.Attribute) and parent.value is node:
        if isinstance(grand, cst.Call) and grand.func is parent and parent.attr.value in ("close", "detach"):
            return None  # open(p, "a").close(), socket.socket().detach()
        return Fate.USED_ONCE
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
        # `asyncore.dispatcher(sock)` keeps it, `parser.parse(f)` closes it: only
        # known readers and writers such as `json.load` leave it to this code.
        return Fate.PASSED_ON if context.qualified_name(grand.func) in BORROWERS else None
    return Fate.DROPPED if isinstance(parent, cst.Expr) else None


def _local_flow(context: Context, path: Tuple[cst.CSTNode, ...], kind: Kind) -> Optional[LocalFlow]:
    """The reads of the local name the assignment at the end of ``path`` binds,
    unless one of them lets the resource escape."""
    statement = path[-1]
    name = assignment_targets(statement)[0]
    scope = next((n for n in reversed(path[:-1]) if isinstance(n, SCOPE_TYPES)), None)
    if not isinstance(name, cst.Name) or scope is None or isinstance(scope, cst.ClassDef):
        return None  # a class attribute lives as long as the class
    info = context.scope_info(scope)
    if not info.binds(name.value):
        return None  # a global or nonlocal: it outlives the function
    loads = tuple(info.loads_of(name.value))
    releases: List[cst.Call] = []
    for load in loads:
        use = _use(context, info, load, kind)
        if use is Use.ESCAPES:
            return None
        if use is Use.RELEASES:
            releases.append(_call_of_method(info, load))
    return LocalFlow(name.value, statement, path, info, loads, tuple(releases))  # type: ignore[arg-type]


def _call_of_method(info: ScopeInfo, receiver: cst.Name) -> cst.Call:
    """`f.close()` for the `f` of a method call."""
    return info.parent(info.parent(receiver))  # type: ignore[arg-type,return-value]


_READING_PARENTS = (
    cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.BooleanOperation, cst.UnaryOperation,
    cst.Assert, cst.FormattedStringExpression, cst.Call,
)


def _use(context: Context, info: ScopeInfo, load: cst.Name, kind: Kind) -> Use:
    parent = info.parent(load)
    if _in_nested_scope(info, load):
        return Use.ESCAPES  # a closure or a function reading a global: it outlives this flow
    if isinstance(parent, cst.Attribute) and parent.value is load:
        grand = info.parent(parent)
        if isinstance(grand, cst.Call) and grand.func is parent:
            return Use.RELEASES if parent.attr.value in RELEASES else Use.READS
        return Use.ESCAPES if parent.attr.value in RELEASE_CALLBACKS else Use.READS  # `stack.callback(f.close)`
    if isinstance(parent, cst.Arg):
        call = info.parent(parent)
        borrowed = isinstance(call, cst.Call) and context.qualified_name(call.func) in BORROWERS
        return Use.READS if borrowed else Use.ESCAPES
    if isinstance(parent, cst.WithItem) and parent.item is load:
        return Use.ESCAPES if kind.with_closes else Use.READS
    reads = (
        isinstance(parent, _READING_PARENTS)
        or (isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is load)
        or (isinstance(parent, cst.IfExp) and parent.test is load)
        or (isinstance(parent, cst.Subscript) and parent.value is load)
    )
    return Use.READS if reads else Use.ESCAPES


def _in_nested_scope(info: ScopeInfo, node: cst.CSTNode) -> bool:
    scope = info.nearest(node, SCOPE_TYPES)
    return scope is not None and scope is not info.node


# -- code that expects the leak -----------------------------------------------------


def exempt(creation: Creation, context: Context) -> bool:
    """The function is about ResourceWarning itself (`assertWarns(ResourceWarning)`:
    the leak is what it tests), or the constructor is a mock here (inside
    `with patch("...open", ...)`, under `@patch.object(m, "Popen")`)."""
    function = next((n for n in reversed(creation.path) if isinstance(n, cst.FunctionDef)), None)
    if function is not None and context.scope_info(function).loads_of("ResourceWarning"):
        return True
    last = creation.resource.qualified.rsplit(".", 1)[-1]
    calls = [item.item for node in creation.path if isinstance(node, cst.With) for item in node.items]
    calls += [d.decorator for node in creation.path if isinstance(node, cst.FunctionDef) for d in node.decorators]
    return any(
        isinstance(call, cst.Call) and last_name(call) in ("patch", "object")
        and (any(_names_target(string, last) for string in m.findall(call, m.SimpleString()))  # type: ignore[arg-type]
             or bool(m.findall(call, m.Name(last))))  # patch.object(subprocess.Popen, "_execute_child")
        for call in calls
    )


def _names_target(string: cst.SimpleString, name: str) -> bool:
    value = string.evaluated_value
    return isinstance(value, str) and (value == name or value.endswith("." + name))


# -- what a class releases (MEM501) ---------------------------------------------------


class ClassReleases(Collector):
    """Per class, the attributes its code (nested functions and classes
    included) may release: `x.<attr>.close()` or any release method, or
    `x.<attr>` handed to something that could close it (`f = self.f`,
    `closing(self.f)`, `with self.f:`)."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.released: Dict[cst.ClassDef, Set[str]] = {}
        self._classes: List[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        self.released[node] = set()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._classes:
            return
        parent = self.context.ancestors[-2]
        if isinstance(parent, cst.Attribute) and parent.attr.value not in RELEASES:
            return  # `self.f.write(...)`: a use
        if isinstance(parent, (cst.AssignTarget, cst.Comparison, cst.ComparisonTarget, cst.If)):
            return  # `self.f = ...`, `self.f is None`, `if self.f:`
        for cls in self._classes:
            self.released[cls].add(node.attr.value)


CLASS_RELEASES: WalkFact[ClassReleases] = WalkFact("attributes a class may release", ClassReleases)


def class_may_release(context: Context, cls: cst.ClassDef, attribute: str, seen: Optional[Set[cst.ClassDef]] = None) -> bool:
    """Whether ``cls`` or a base may release ``self.<attribute>`` (read once the
    walk is over: a release may come after the store). Unknown bases might
    release it, so they count."""
    seen = set() if seen is None else seen
    if cls in seen:
        return False
    seen.add(cls)
    for base in cls.bases:
        local = context.symbols.classes.get(base.value.value) if isinstance(base.value, cst.Name) else None
        if local is not None:
            if class_may_release(context, local, attribute, seen):
                return True
        elif context.qualified_name(base.value) != "builtins.object":
            return True
    return attribute in context.fact(CLASS_RELEASES).released.get(cls, ())


# -- fixes --------------------------------------------------------------------------


def with_statement(call: cst.Call, var: str, body: Iterable[cst.BaseStatement],
                   line: cst.SimpleStatementLine) -> cst.With:
    """`with <call> as <var>:` + body, taking the creation line's comments."""
    return cst.With(
        items=[cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(var)))],
        body=cst.IndentedBlock(body=list(body), header=line.trailing_whitespace),
        leading_lines=line.leading_lines,
    )


def inline_fix(context: Context, creation: Creation) -> Optional[Replace]:
    """`x = open(p).read()` / `return json.load(open(p))` / `open(p, "w").write(s)`
    -> a `with` block around the one statement (MEM501)."""
    site = statement_site(creation.path)
    if not creation.resource.kind.fixable or site is None or isinstance(site.scope, cst.ClassDef):
        return None
    value = _statement_value(site.statement)
    if value is None or not _inline_shape(value, creation.call):
        return None
    var = free_name(context.scope_info(site.scope), creation.resource.kind.var)  # type: ignore[arg-type]
    if var is None:
        return None
    # Replacing a node below the statement keeps its type.
    statement = cast(cst.BaseSmallStatement, site.statement.deep_replace(creation.call, cst.Name(var)))
    inner = cst.SimpleStatementLine(body=[statement])
    return Replace(site.line, with_statement(creation.call, var, [inner], site.line))


def _statement_value(small: cst.BaseSmallStatement) -> Optional[cst.BaseExpression]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.value
    if isinstance(small, (cst.AnnAssign, cst.Return, cst.Expr)):
        return small.value
    return None


def _inline_shape(value: cst.BaseExpression, call: cst.Call) -> bool:
    """`call.method(...)`, or `f(call, <names and literals>)`."""
    if not isinstance(value, cst.Call):
        return False
    if isinstance(value.func, cst.Attribute) and value.func.value is call:
        return True  # open(p).read()
    args = list(value.args)
    return (
        last_name(value.func) is not None
        and bool(args) and args[0].value is call and not args[0].keyword and not args[0].star
        and all(_is_simple(a.value) for a in args[1:])
    )


def _is_simple(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.Attribute) and _is_simple(node.value)
    )


# -- the rules ----------------------------------------------------------------------


def _borrows_descriptor(call: cst.Call) -> bool:
    """`open(fd, closefd=False)` wraps a descriptor it does not own."""
    return any(
        arg.keyword is not None and arg.keyword.value == "closefd" and m.matches(arg.value, m.Name("False"))
        for arg in call.args
    )


class ResourceRule(Rule):
    """The visitor both MEM5 rules share: find constructor calls, hand each
    creation that does not escape to :meth:`check`."""

    options = {"extra-resources": [], "ignore-resources": []}

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._table = ResourceTable(self.options)

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) not in self._table.candidates:
            return
        resource = find_resource(self.context, node, self._table)
        if resource is None or _borrows_descriptor(node):
            return
        creation = creation_of(self.context, node, resource)
        if creation is not None:
            self.check(creation)

    def check(self, creation: Creation) -> None:
        """Report ``creation`` if the rule applies (the call is being visited)."""
        raise NotImplementedError
