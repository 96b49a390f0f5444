"""Shared by the MEM5 rules: which calls create a resource, and which calls
only borrow one passed to them.

The MEM5 helpers, by what they hold: this module (the constructors, extended
by `extra-resources`), :mod:`._resources_flow` (where the value of one goes),
:mod:`._resources_paths` (paths that drop a returned resource, exits that end
the process), :mod:`._resources_class` (what a class releases),
:mod:`._resources_fix` (the `with` rewrites) and :mod:`._resources_rule` (the
visitor both rules share).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Mapping, Optional, Union

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.names import dotted_name
from memlint.analysis.scopes import ScopeInfo
from memlint.analysis.types import LOCAL, looks_like_class, type_inference
from memlint.context import Context


@dataclass(frozen=True)
class Kind:
    """How a family of resources behaves."""

    var: str  # the name a fix binds the resource to
    fixable: bool = True  # `with R as x:` exits exactly like `x.close()`
    with_closes: bool = True  # entering it in `with` releases it
    process: bool = False  # a child process: `wait()`/`communicate()` reap it, `kill()` ends it

    @property
    def releases(self) -> FrozenSet[str]:
        """The methods that release it."""
        return PROCESS_RELEASES if self.process else RELEASES

    def released_at_once(self, method: str) -> bool:
        """``R(...).method()`` releases the new object: `open(p, "a").close()`,
        `socket.socket().detach()`, `Popen(cmd).wait()`, `Popen(cmd).communicate()`."""
        return method in ("close", "detach") or (self.process and method in ("wait", "communicate"))


FILE = Kind("f")
SOCKET = Kind("sock")
ARCHIVE = Kind("archive")
TEMPFILE = Kind("tmp")
RESPONSE = Kind("response")
PROCESS = Kind("proc", fixable=False, process=True)  # `with` also waits for the child
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
PROCESS_RELEASES = RELEASES | {"kill"}  # MEM502: `proc.kill()` ends the child
# Methods whose bound method, handed to someone, lets that someone release the
# resource (`self.addCleanup(proc.kill)`) or keeps it alive with them
# (`trace.setwriter(f.write)`: the writer outlives this function).
CALLBACKS = PROCESS_RELEASES | {"__exit__", "write", "writelines", "read", "readline", "flush", "send", "sendall", "recv"}
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


def borrows_descriptor(call: cst.Call) -> bool:
    """`open(fd, closefd=False)` wraps a descriptor it does not own."""
    return any(
        arg.keyword is not None and arg.keyword.value == "closefd" and m.matches(arg.value, m.Name("False"))
        for arg in call.args
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


def borrows(context: Context, call: cst.Call, arg: cst.Arg) -> bool:
    """``call`` only reads the resource passed as ``arg``: a known reader
    (`json.load`), or a function of the project that neither closes,
    returns, stores nor passes on that parameter (from the project index)."""
    return context.qualified_name(call.func) in BORROWERS or project_function_drops(context, call, arg)


def project_function_drops(context: Context, call: cst.Call, arg: cst.Arg) -> bool:
    """``call`` is a function of the project that drops the argument ``arg``."""
    project = context.project
    function = _project_function(context, call.func)
    if project is None or function is None or arg.star:
        return False
    positional = [a for a in call.args if a.keyword is None]
    if arg.keyword is not None:
        parameter: Union[int, str] = arg.keyword.value
    elif any(a.star for a in positional[:positional.index(arg) + 1]):
        return False  # `f(*xs, r)`: the position is unknown
    else:
        parameter = positional.index(arg)
    fate = project.index.parameter_fate(function, parameter)
    return fate is not None and not (fate.closes or fate.returns or fate.stores or fate.passes)


def _project_function(context: Context, func: cst.BaseExpression) -> Optional[str]:
    """The index's name of a function called by a bare name: imported, or
    defined at the top of this module and not shadowed where it is called."""
    project = context.project
    if project is None or not isinstance(func, cst.Name):
        return None
    qualified = context.qualified_name(func)
    if qualified is not None:
        return None if qualified.startswith("builtins.") else qualified
    name = func.value
    if name not in context.symbols.functions:
        return None
    scopes = [scope for scope in context.enclosing_scopes() if not isinstance(scope, cst.ClassDef)]
    if any(context.scope_info(scope).binds(name) for scope in scopes):  # type: ignore[arg-type]
        return None
    return project.qualify(name)
