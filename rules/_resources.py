"""Shared by the MEM5 rules: which calls create a resource, and whether the
function that creates one releases it on every path.

The analysis is intraprocedural and deliberately one-sided: whenever the code
could hand the resource to somebody else (return, yield, store, pass it to a
call that may keep it), the rules stay silent. :func:`analyze` returns the one
verdict both rules read, computed once per constructor call and file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import libcst as cst
import libcst.matchers as m

from memlint.analysis import Fact
from memlint.context import Context
from memlint.analysis.names import dotted_name
from memlint.rule import Replace, Rule
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo
from memlint.analysis.types import LOCAL, looks_like_class, type_inference


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
# Context managers of tests that expect their body to raise.
EXPECTING_RAISE = frozenset({"assertRaises", "assertRaisesRegex", "raises"})
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


@dataclass(frozen=True)
class Verdict:
    """A finding of one MEM5 code on a constructor call."""

    code: str  # MEM501 or MEM502
    advice: str
    fix: Optional[Replace] = None


class ResourceTable:
    """The built-in constructors adjusted by `extra-resources` / `ignore-resources`."""
    __slots__ = ("kinds", "candidates", "methods")

    def __init__(self, options: dict) -> None:
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
    if dotted_name(call.func) is not None and context.resolve_name(_head(call.func)) is not None:
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
    return bool(m.findall(function, m.Call(func=m.Attribute(value=m.Name(receiver.value), attr=m.Name("add_handler")))))


def _head(node: cst.BaseExpression) -> str:
    while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else ""


# (id of the constructor call, resource) -> verdict: MEM501 and MEM502 share them.
_VERDICTS: Fact[Dict[Tuple[int, str], Optional[Verdict]]] = Fact("resource verdicts", lambda context: {})


def analyze(context: Context, call: cst.Call, resource: Resource) -> Optional[Verdict]:
    """The verdict on one constructor call (shared by MEM501 and MEM502)."""
    memo = context.fact(_VERDICTS)
    key = (id(call), resource.qualified)
    if key not in memo:
        memo[key] = _Analysis(context, call, resource, list(context.ancestors)).verdict()
    return memo[key]


# -- the analysis -------------------------------------------------------------------

Block = Union[cst.Module, cst.IndentedBlock]
NEVER_CLOSED = "no path closes it; use a `with` block"
USED_ONCE = "the object is used once and dropped unclosed; use a `with` block"
PASSED_ON = "it is passed to a call that does not close it; use a `with` block"


class _Analysis:
    def __init__(self, context: Context, call: cst.Call, resource: Resource, path: List[cst.CSTNode]) -> None:
        self.context = context
        self.call = call
        self.resource = resource
        self.kind = resource.kind
        self.path = path  # module ... call

    def verdict(self) -> Optional[Verdict]:
        """Climb from the call to what consumes its value."""
        node = self.call
        for index in range(len(self.path) - 2, 0, -1):
            parent = self.path[index]
            if isinstance(parent, cst.IfExp) and node is not parent.test:
                node = parent  # `x = open(p) if p else sys.stdin`: follow the value
                continue
            verdict = self._consumer(parent, node, index)
            return None if verdict is None or self._tests_the_warning() or self._mocked() else verdict
        return None

    def _mocked(self) -> bool:
        """Inside `with patch("...open", ...)` or under `@patch.object(m, "Popen")`:
        the constructor is a mock there."""
        last = self.resource.qualified.rsplit(".", 1)[-1]
        calls = [item.item for node in self.path if isinstance(node, cst.With) for item in node.items]
        calls += [d.decorator for node in self.path if isinstance(node, cst.FunctionDef) for d in node.decorators]
        return any(
            isinstance(call, cst.Call) and _dotted_last(call.func) in ("patch", "object")
            and (any(_names_target(string, last) for string in m.findall(call, m.SimpleString()))
                 or bool(m.findall(call, m.Name(last))))  # patch.object(subprocess.Popen, "_execute_child")
            for call in calls
        )

    def _tests_the_warning(self) -> bool:
        """The function is about ResourceWarning itself (`assertWarns(ResourceWarning)`):
        the leak is what it tests."""
        scope = next((n for n in reversed(self.path) if isinstance(n, cst.FunctionDef)), None)
        return scope is not None and bool(m.findall(scope, m.Name("ResourceWarning")))

    def _consumer(self, parent: cst.CSTNode, node: cst.CSTNode, index: int) -> Optional[Verdict]:
        if isinstance(parent, cst.WithItem) and parent.item is node:
            if self.kind.with_closes:
                return None
            return Verdict("MEM501", "its `with` block commits but does not close; use contextlib.closing()")
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is node:
            return self._bound(parent, index)
        if not isinstance(parent, (cst.Attribute, cst.Arg, cst.Expr)) or self._expected_to_raise(parent):
            return None  # returned, yielded, stored in a container, ...: it escapes
        grand = self.path[index - 1]
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if isinstance(grand, cst.Call) and grand.func is parent and parent.attr.value in ("close", "detach"):
                return None  # open(p, "a").close(), socket.socket().detach()
            return Verdict("MEM501", USED_ONCE, self._inline_fix())
        if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
            if self._passed_on(grand):
                return None
            return Verdict("MEM501", PASSED_ON, self._inline_fix())
        if isinstance(parent, cst.Expr):
            return Verdict("MEM501", "the object is dropped unclosed")
        return None

    def _expected_to_raise(self, parent: cst.CSTNode) -> bool:
        """A statement in `with self.assertRaises(...)` / `pytest.raises(...)`,
        or a resource dropped at once in a `try` with handlers: the code expects
        the constructor (or the use) to fail."""
        found = _statement_of(self.path)
        if found is None:
            return False
        index = self.path.index(found[2])
        owner = self.path[index - 1] if index > 0 else None
        if isinstance(owner, cst.Try) and isinstance(parent, cst.Expr):
            return bool(owner.handlers) and found[2] is owner.body
        withs = [n for n in self.path[:index] if isinstance(n, cst.With)]
        return any(
            isinstance(item.item, cst.Call) and _dotted_last(item.item.func) in EXPECTING_RAISE
            for with_node in withs for item in with_node.items
        )

    def _passed_on(self, call: cst.Call) -> bool:
        """Whether the callee may take over or close the resource (so we stay
        silent): anything but a known reader or writer such as `json.load`.
        (`asyncore.dispatcher(sock)` keeps it; `parser.parse(f)` closes it.)"""
        return self.context.qualified_name(call.func) not in BORROWERS

    # -- bound to a name -----------------------------------------------------------

    def _bound(self, statement: Union[cst.Assign, cst.AnnAssign], index: int) -> Optional[Verdict]:
        targets = [t.target for t in statement.targets] if isinstance(statement, cst.Assign) else [statement.target]
        if len(targets) != 1:
            return None
        target = targets[0]
        if isinstance(target, cst.Attribute):
            return self._stored_on_self(target)
        if not isinstance(target, cst.Name):
            return None
        scope = next((n for n in reversed(self.path[:index]) if isinstance(n, SCOPE_TYPES)), None)
        if scope is None or isinstance(scope, cst.ClassDef):
            return None  # a class attribute lives as long as the class
        info = self.context.scope_info(scope)  # type: ignore[arg-type]
        if not info.binds(target.value):
            return None  # a global or nonlocal: it outlives the function
        return _NameFlow(self, info, target.value, statement, index).verdict()

    def _stored_on_self(self, target: cst.Attribute) -> Optional[Verdict]:
        found = self.context.enclosing_method_class()
        if found is None or not isinstance(target.value, cst.Name):
            return None
        cls, method = found
        params = list(method.params.posonly_params) + list(method.params.params)
        if not params or params[0].name.value != target.value.value:
            return None
        if _class_may_release(self.context, cls, target.attr.value, set()):
            return None
        return Verdict("MEM501", f"`{cls.name.value}` never releases self.{target.attr.value}; "
                                 "close it in close() or __exit__()")

    # -- fixes -----------------------------------------------------------------------

    def _inline_fix(self) -> Optional[Replace]:
        """`x = open(p).read()` / `return json.load(open(p))` / `open(p, "w").write(s)`
        -> a `with` block around the one statement."""
        if not self.kind.fixable:
            return None
        found = _statement_of(self.path)
        if found is None:
            return None
        line, small, block, scope = found
        value = _statement_value(small)
        if value is None or not self._inline_shape(value) or isinstance(scope, cst.ClassDef):
            return None
        var = _free_name(self.context, scope, self.kind.var)
        if var is None:
            return None
        inner = cst.SimpleStatementLine(body=[small.deep_replace(self.call, cst.Name(var))])
        return Replace(line, _with_statement(self.call, var, [inner], line))

    def _inline_shape(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call):
            return False
        if isinstance(value.func, cst.Attribute) and value.func.value is self.call:
            return True  # open(p).read()
        args = list(value.args)
        return (
            _dotted_last(value.func) != ""
            and bool(args) and args[0].value is self.call and not args[0].keyword and not args[0].star
            and all(_is_simple(a.value) for a in args[1:])
        )


class _NameFlow:
    """The uses of a local name bound to a new resource, in its scope."""

    def __init__(self, analysis: _Analysis, info: ScopeInfo, name: str,
                 statement: Union[cst.Assign, cst.AnnAssign], index: int) -> None:
        self.analysis = analysis
        self.context = analysis.context
        self.kind = analysis.kind
        self.info = info
        self.name = name
        self.statement = statement
        self.index = index  # position of the statement in analysis.path

    def verdict(self) -> Optional[Verdict]:
        loads = self.info.loads_of(self.name)
        releases: List[cst.Call] = []
        for load in loads:
            use = self._use(load)
            if use == "escape":
                return None
            if isinstance(use, cst.Call):
                releases.append(use)
        if not releases:
            if not loads and self._in_try_body():
                return None  # `try: p = Popen(bad)` / `except OSError:`: it is expected to fail
            return Verdict("MEM501", NEVER_CLOSED)
        if any(self._in_finally(release) for release in releases) or self._closed_next():
            return None
        if self._swallowed_then_released(releases):
            return None
        return Verdict("MEM502", "an exception before it leaks the resource; use a `with` block",
                       self._with_fix(loads))

    def _use(self, load: cst.Name) -> Union[str, cst.Call]:
        """"escape", "use", or the release call."""
        parent = self.info.parent(load)
        if self._in_nested_scope(load):
            return "escape"  # a closure or a function reading a global: it outlives this flow
        if isinstance(parent, cst.Attribute) and parent.value is load:
            grand = self.info.parent(parent)
            called = isinstance(grand, cst.Call) and grand.func is parent
            if called:
                return grand if parent.attr.value in RELEASES else "use"
            return "escape" if parent.attr.value in RELEASE_CALLBACKS else "use"  # `stack.callback(f.close)`
        if isinstance(parent, cst.Arg):
            call = self.info.parent(parent)
            borrowed = isinstance(call, cst.Call) and self.context.qualified_name(call.func) in BORROWERS
            return "use" if borrowed else "escape"
        if isinstance(parent, cst.WithItem) and parent.item is load:
            return "escape" if self.kind.with_closes else "use"
        if isinstance(parent, _USE_PARENTS):
            return "use"
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is load:
            return "use"
        if isinstance(parent, cst.IfExp) and parent.test is load:
            return "use"
        if isinstance(parent, cst.Subscript) and parent.value is load:
            return "use"
        return "escape"

    def _in_nested_scope(self, node: cst.CSTNode) -> bool:
        for ancestor in self.info.ancestors(node):
            if ancestor is self.info.node:
                return False
            if isinstance(ancestor, SCOPE_TYPES):
                return True
        return False

    def _swallowed_then_released(self, releases: Sequence[cst.Call]) -> bool:
        """Created in a `try` whose broad `except` blocks fall through, and
        released after that `try` (`try: s = socket(); s.bind(a)` /
        `except Exception: pass` / `s.close()`): every path reaches the release."""
        path = self.analysis.path[: self.index + 1]
        for index in range(len(path) - 2, 0, -1):
            node, child = path[index], path[index + 1]
            if isinstance(node, SCOPE_TYPES):
                return False
            if isinstance(node, cst.Try) and child is node.body:
                if not node.handlers or not all(_falls_through(h) for h in node.handlers):
                    return False
                if not any(_is_broad(h) for h in node.handlers):
                    return False
                later_ids = {id(statement) for statement in _statements_after(path[:index + 1])}
                return any(any(id(a) in later_ids for a in self.info.ancestors(r)) for r in releases)
        return False

    def _in_try_body(self) -> bool:
        found = _statement_of(self.analysis.path[: self.index + 1])
        if found is None:
            return False
        index = self.analysis.path.index(found[2])
        owner = self.analysis.path[index - 1]
        return isinstance(owner, cst.Try) and bool(owner.handlers) and owner.body is found[2]

    def _in_finally(self, node: cst.CSTNode) -> bool:
        return any(isinstance(a, cst.Finally) for a in self.info.ancestors(node))

    def _closed_next(self) -> bool:
        """The statement right after the creation releases it (`f.close()`,
        `out, err = proc.communicate()`)."""
        following = _next_statement(self.analysis.path[: self.index + 1])
        if following is None:
            return False
        release = m.Call(func=m.Attribute(value=m.Name(self.name), attr=m.Name()))
        return any(
            c.func.attr.value in RELEASES  # type: ignore[attr-defined]
            for c in m.findall(following, release)
        )

    def _with_fix(self, loads: Sequence[cst.Name]) -> Optional[Replace]:
        """`f = open(p)` ... `f.close()` in one block -> `with open(p) as f:` ..."""
        found = _statement_of(self.analysis.path[: self.index + 1])
        if not self.kind.fixable or found is None or not isinstance(self.statement, cst.Assign):
            return None
        line, _, block, _ = found
        if self.statement.value is not self.analysis.call or len(self.info.bindings_of(self.name)) != 1:
            return None
        body = list(block.body)
        start = body.index(line)
        end = next((i for i in range(start + 1, len(body)) if _is_close_line(body[i], self.name)), None)
        if end is None or _has_comment(body[end]):
            return None
        kept = {id(statement) for statement in body[start:end + 1]}
        if not all(any(id(a) in kept for a in self.info.ancestors(load)) for load in loads):
            return None  # used after the close (or before the creation)
        inner = body[start + 1:end] or [cst.SimpleStatementLine(body=[cst.Pass()])]
        return Replace(block, block.with_changes(
            body=body[:start] + [_with_statement(self.analysis.call, self.name, inner, line)] + body[end + 1:]
        ))


_USE_PARENTS = (
    cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.BooleanOperation, cst.UnaryOperation,
    cst.Assert, cst.FormattedStringExpression, cst.Call,
)


def _class_may_release(context: Context, cls: cst.ClassDef, attribute: str, seen: set) -> bool:
    """Whether ``cls`` (or a base we cannot see) may release ``self.<attribute>``:
    a release method called on it anywhere in the class, or the attribute
    handed to something that could close it (`f = self.f`, `closing(self.f)`,
    `with self.f:`). Unknown bases might release it, so they count."""
    if id(cls) in seen:
        return False
    seen.add(id(cls))
    for base in cls.bases:
        local = context.symbols.classes.get(base.value.value) if isinstance(base.value, cst.Name) else None
        if local is not None:
            if _class_may_release(context, local, attribute, seen):
                return True
        elif context.qualified_name(base.value) != "builtins.object":
            return True
    info = context.scope_info(cls)
    for node in m.findall(cls, m.Attribute(attr=m.Name(attribute))):
        parent = info.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value in RELEASES:
                return True
        elif not isinstance(parent, (cst.AssignTarget, cst.Comparison, cst.ComparisonTarget, cst.If)):
            return True
    return False


StatementSite = Tuple[cst.SimpleStatementLine, cst.BaseSmallStatement, Block, cst.CSTNode]


def _statement_of(path: Sequence[cst.CSTNode]) -> Optional[StatementSite]:
    """(line, small statement, block, scope) of the statement the last node of
    ``path`` is in, when that line holds one statement directly in a block."""
    for index in range(len(path) - 1, 0, -1):
        node = path[index]
        if isinstance(node, SCOPE_TYPES):
            return None
        if isinstance(node, cst.SimpleStatementLine):
            block = path[index - 1]
            if len(node.body) != 1 or not isinstance(block, (cst.Module, cst.IndentedBlock)):
                return None
            scope = next(n for n in reversed(path[:index]) if isinstance(n, SCOPE_TYPES))
            return node, node.body[0], block, scope
    return None


def _statement_value(small: cst.BaseSmallStatement) -> Optional[cst.BaseExpression]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.value
    if isinstance(small, (cst.AnnAssign, cst.Return, cst.Expr)):
        return small.value
    return None


def _next_statement(path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    """The statement that runs right after the last node of ``path`` (a small
    statement) when nothing raises; None at the end of a loop body or function."""
    node = path[-1]
    for index in range(len(path) - 2, -1, -1):
        parent = path[index]
        if isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.IndentedBlock, cst.Module)):
            siblings = list(parent.body)
            position = siblings.index(node)  # type: ignore[arg-type]
            if position + 1 < len(siblings):
                return siblings[position + 1]
        elif isinstance(parent, (cst.Try, cst.TryStar)) and node is parent.body and parent.orelse is not None:
            return parent.orelse.body.body[0]  # type: ignore[union-attr]
        elif isinstance(parent, (cst.For, cst.While, *SCOPE_TYPES)):
            return None
        node = parent
    return None


def _statements_after(path: Sequence[cst.CSTNode]) -> List[cst.CSTNode]:
    """Statements after the last node of ``path`` in its block and in every
    enclosing block up to the scope (what may run after it)."""
    found: List[cst.CSTNode] = []
    for index in range(len(path) - 2, 0, -1):
        parent, child = path[index], path[index + 1]
        if isinstance(parent, SCOPE_TYPES):
            break
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            siblings = list(parent.body)
            found += siblings[siblings.index(child) + 1:]  # type: ignore[arg-type]
    return found


def _falls_through(handler: cst.ExceptHandler) -> bool:
    return not m.findall(handler, m.Return() | m.Raise() | m.Break() | m.Continue())


def _is_broad(handler: cst.ExceptHandler) -> bool:
    return handler.type is None or m.matches(handler.type, m.Name("Exception") | m.Name("BaseException"))


def _is_close_line(statement: cst.CSTNode, name: str) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("close")), args=[]))]))


def _has_comment(line: cst.SimpleStatementLine) -> bool:  # type: ignore[valid-type]
    return line.trailing_whitespace.comment is not None or any(e.comment is not None for e in line.leading_lines)


def _with_statement(call: cst.Call, var: str, body: Iterable[cst.BaseStatement],
                    line: cst.SimpleStatementLine) -> cst.With:
    """`with <call> as <var>:` + body, taking the creation line's comments."""
    return cst.With(
        items=[cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(var)))],
        body=cst.IndentedBlock(body=list(body), header=line.trailing_whitespace),
        leading_lines=line.leading_lines,
    )


def _free_name(context: Context, scope: cst.CSTNode, preferred: str) -> Optional[str]:
    """``preferred`` (or ``preferred2``...) when the scope neither binds nor reads it
    (a read of a global of that name would be shadowed by the new binding)."""
    info = context.scope_info(scope)  # type: ignore[arg-type]
    for candidate in [preferred] + [f"{preferred}{n}" for n in range(2, 10)]:
        if not (info.bindings_of(candidate) or info.loads_of(candidate)):
            return candidate
    return None


def _borrows_descriptor(call: cst.Call) -> bool:
    """`open(fd, closefd=False)` wraps a descriptor it does not own."""
    return any(
        arg.keyword is not None and arg.keyword.value == "closefd" and m.matches(arg.value, m.Name("False"))
        for arg in call.args
    )


def _names_target(string: cst.SimpleString, name: str) -> bool:
    value = string.evaluated_value
    return isinstance(value, str) and (value == name or value.endswith("." + name))


def _is_simple(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(node, cst.Attribute) and _is_simple(node.value)
    )


def _dotted_last(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


class ResourceRule(Rule):
    """The visitor both MEM5 rules share: find constructor calls, report the
    verdicts of this rule's code."""

    options = {"extra-resources": [], "ignore-resources": []}

    def __init__(self, context: Context, options: Optional[dict] = None) -> None:
        super().__init__(context, options)
        self._table = ResourceTable(self.options)

    def visit_Call(self, node: cst.Call) -> None:
        if _dotted_last(node.func) not in self._table.candidates:
            return
        resource = find_resource(self.context, node, self._table)
        if resource is None or _borrows_descriptor(node):
            return
        verdict = analyze(self.context, node, resource)
        if verdict is not None and verdict.code == self.code:
            self.report(node, verdict.fix, resource=resource.label, advice=verdict.advice)
