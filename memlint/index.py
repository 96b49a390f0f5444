"""The project index: one small summary per file, merged into answers about the project.

Some facts that decide a finding live in other modules of the project being
linted (RULES.md, "Project-wide facts"): an attribute another
module assigns to instances of a class, where a class is constructed, whether
its instances can be weakly referenced, what a function does with the
resource it receives, whether some module evicts from a registry.

- :func:`summarize` reads one file with CPython's :mod:`ast` (several times
  cheaper than a second libcst parse; nothing is imported or executed) into a
  :class:`ModuleSummary`: plain data that round-trips through JSON and is
  validated when read back (anything malformed is treated as absent).
- :class:`ProjectIndex` merges the summaries and answers the questions rules
  ask. A question about a module it does not cover, or that it cannot answer
  exactly, gets ``None`` ("unknown"), never a guess.
- :func:`build_index` names the modules of a file list, summarises each file
  (a pure function of its bytes and module name, cached by content hash
  beside the findings) and merges the results.

Names in a summary are dotted names as the module's imports resolve them
(``from .msg import Message`` in ``pkg/conn.py`` gives ``pkg.msg.Message``);
the index follows re-exports (``from .msg import Message`` in
``pkg/__init__.py``) so that every spelling reaches the same class.
"""
from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import os
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import (
    Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Mapping, NamedTuple, Optional,
    Sequence, Set, Tuple, Type, TypeVar, Union, cast,
)

from memlint.cache import Cache, load_entry, store_entry
# Re-exported: the index's names of modules (memlint.modules is light, for warm runs).
from memlint.modules import ModuleName as ModuleName, module_names as module_names, project_root as project_root

INDEX_FORMAT = 1  # bump when a summary's content or meaning changes
INDEX_KIND = f"index-{INDEX_FORMAT}"  # the cache's entry kind (a directory beside the findings)

# Method calls that release what they are called on (a parameter's fate "closes"); a ``Popen`` is
# released by ``wait``/``communicate``, not by ``terminate``/``kill`` (RULES.md, MEM502).
CLOSING_METHODS = frozenset({"close", "aclose", "shutdown", "wait", "communicate", "cleanup", "__exit__", "__aexit__"})
# Method calls that keep their argument in the receiver (fate "stores"; a construction "goes into a container").
FILLING_METHODS = frozenset({
    "append", "appendleft", "add", "insert", "extend", "setdefault", "put", "put_nowait", "update", "push",
})
# Method calls that remove from a container (a module-level container "is evicted from").
REMOVING_METHODS = frozenset({"pop", "popitem", "popleft", "clear", "remove", "discard"})
COPIES = frozenset({"copy.copy", "copy.deepcopy"})
NAMEDTUPLES = frozenset({"collections.namedtuple", "typing.NamedTuple", "typing_extensions.NamedTuple"})
CLOSING_WRAPPERS = frozenset({"contextlib.closing"})
OVERLOADS = frozenset({"typing.overload", "typing_extensions.overload"})
# Class decorators that rebuild the class with ``__slots__`` (its layout is then not the class body's).
SLOTTING_DECORATORS = frozenset({
    "attr.define", "attr.mutable", "attr.frozen", "attrs.define", "attrs.mutable", "attrs.frozen",
})
ANNOTATION_WRAPPERS = frozenset({"Optional", "Union", "Final", "ClassVar", "Annotated"})
TYPING_MODULES = frozenset({"typing", "typing_extensions"})

# The layout of classes outside the project, as far as it decides whether
# instances of a subclass can be weakly referenced:
#   "weakref": instances carry ``__weakref__``, so every subclass's do;
#   "never":   variable-size objects (int, bytes, tuple): no subclass gets one;
#   "plain":   neither: a subclass gets one unless its ``__slots__`` leave it out.
# Builtins are read from the running interpreter (``str`` is "plain": its
# subclasses are weakly referenceable); the standard library's classes were
# measured on CPython 3.9, 3.11 and 3.13 (tests/test_index.py checks them
# against the running one); a class in neither table is unknown.
_STANDARD_LAYOUTS = {
    **dict.fromkeys(
        """threading.Thread threading.local logging.Handler logging.Filter logging.Formatter logging.Logger
        logging.StreamHandler logging.handlers.RotatingFileHandler unittest.TestCase unittest.IsolatedAsyncioTestCase
        unittest.TestSuite unittest.TestResult unittest.TextTestResult unittest.TextTestRunner unittest.TestProgram
        types.ModuleType io.StringIO io.BytesIO io.FileIO io.TextIOWrapper io.IOBase io.RawIOBase io.TextIOBase
        io.BufferedIOBase asyncio.Future asyncio.Task json.JSONEncoder json.JSONDecoder argparse.ArgumentParser
        argparse.HelpFormatter argparse.Action argparse.Namespace optparse.Option optparse.OptionParser
        optparse.IndentedHelpFormatter html.parser.HTMLParser zipfile.ZipFile codecs.Codec codecs.StreamWriter
        codecs.StreamReader codecs.IncrementalEncoder codecs.IncrementalDecoder collections.OrderedDict
        collections.deque collections.Counter collections.UserDict collections.UserList collections.UserString
        collections.ChainMap enum.Enum enum.Flag string.Formatter weakref.WeakSet weakref.WeakValueDictionary
        weakref.WeakKeyDictionary contextlib.ContextDecorator queue.Queue xml.sax.ContentHandler
        socketserver.BaseRequestHandler socketserver.TCPServer http.server.BaseHTTPRequestHandler
        importlib.metadata.Distribution xmlrpc.client.Transport array.array functools.partial
        ipaddress.IPv4Address uuid.UUID""".split(),
        "weakref",
    ),
    **dict.fromkeys(
        """types.SimpleNamespace collections.defaultdict weakref.ref pickle.Pickler pickle.Unpickler asyncio.Protocol
        asyncio.BaseProtocol asyncio.DatagramProtocol asyncio.BufferedProtocol ctypes.Structure decimal.Decimal
        fractions.Fraction numbers.Number abc.ABC typing.Generic typing.Protocol collections.abc.Mapping
        collections.abc.MutableMapping collections.abc.Sequence collections.abc.MutableSequence collections.abc.Set
        collections.abc.MutableSet collections.abc.Iterable collections.abc.Iterator collections.abc.Sized
        collections.abc.Container collections.abc.Hashable collections.abc.Callable collections.abc.Collection
        collections.abc.Generator collections.abc.Coroutine collections.abc.AsyncGenerator
        collections.abc.AsyncIterator collections.abc.Awaitable collections.abc.Reversible collections.abc.KeysView
        collections.abc.ItemsView collections.abc.ValuesView collections.abc.MappingView datetime.date
        datetime.datetime datetime.time datetime.timedelta datetime.tzinfo pathlib.Path pathlib.PurePath
        dataclasses.Field""".split(),
        "plain",
    ),
    **dict.fromkeys(["enum.IntEnum", "enum.IntFlag"], "never"),
}
# Not classes at run time: a NamedTuple is a tuple subclass, a TypedDict "instance" a dict.
_SPECIAL_FORM_LAYOUTS = {
    f"{module}.{name}": "never" for module in ("typing", "typing_extensions") for name in ("NamedTuple", "TypedDict")
}
# typing's aliases of builtin and collections classes (``class Row(Dict[str, int])``).
_TYPING_ALIASES = {
    "typing.List": "builtins.list", "typing.Dict": "builtins.dict", "typing.Set": "builtins.set",
    "typing.FrozenSet": "builtins.frozenset", "typing.Tuple": "builtins.tuple", "typing.Type": "builtins.type",
    "typing.Deque": "collections.deque", "typing.DefaultDict": "collections.defaultdict",
    **{f"typing.{name}": f"collections.{name}" for name in ("OrderedDict", "Counter", "ChainMap")},
    **{f"typing.{name}": f"collections.abc.{name}" for name in (
        "Mapping", "MutableMapping", "Sequence", "MutableSequence", "MutableSet", "Iterable", "Iterator", "Sized",
        "Container", "Hashable", "Callable", "Collection", "Generator", "Coroutine", "AsyncGenerator",
        "AsyncIterator", "Awaitable", "Reversible", "KeysView", "ItemsView", "ValuesView", "MappingView",
    )},
    "typing.AbstractSet": "collections.abc.Set",
    "typing_extensions.Protocol": "typing.Protocol",
}


def _builtin_layout(value: type) -> str:
    return "weakref" if value.__weakrefoffset__ else "never" if value.__itemsize__ else "plain"


EXTERNAL_LAYOUTS: Mapping[str, str] = {
    **{f"builtins.{name}": _builtin_layout(value) for name, value in vars(builtins).items() if isinstance(value, type)},
    **_STANDARD_LAYOUTS,
    **_SPECIAL_FORM_LAYOUTS,
}


def external_layout(name: str) -> Optional[str]:
    """"weakref", "never" or "plain" for a class outside the project, None when unknown."""
    return EXTERNAL_LAYOUTS.get(_TYPING_ALIASES.get(name, name))


T = TypeVar("T")
_BUILTIN_NAMES = frozenset(dir(builtins))
_MAX_HOPS = 8  # alias and re-export chains followed before giving up


# -- the summary of one file ---------------------------------------------------------------


class ClassSummary(NamedTuple):
    """One class, as its module defines it."""

    bases: Tuple[str, ...]  # dotted names through the module's imports; "" for a base that has none
    fields: Tuple[str, ...]  # attributes assigned on the instance parameter in its methods
    class_names: Tuple[str, ...]  # names bound in the class body, and on ``cls`` in its class methods
    slots: Optional[Tuple[str, ...]]  # a literal ``__slots__``; None when the class has none
    opaque_layout: bool  # a non-literal ``__slots__``, a decorator that rebuilds the class, or defined twice


# What a function does with a parameter: bits of FunctionSummary.fates.
CLOSES = 1  # ``p.close()`` (CLOSING_METHODS), ``with p:``, ``with contextlib.closing(p):``
RETURNS = 2  # ``return p`` / ``yield p``, also inside a tuple, list or dict display
STORES = 4  # ``self.x = p``, ``d[k] = p``, ``xs.append(p)`` (FILLING_METHODS), a global
PASSES = 8  # an argument of another call, or captured by a nested function
REBOUND = 16  # assigned in the body: what happens to the name is not the argument's fate
_ALL_FATES = 31
_CAPTURED = 32  # (while scanning) read by a nested function: PASSES for the enclosing function's parameter


class ParameterFate(NamedTuple):
    closes: bool
    returns: bool
    stores: bool
    passes: bool


class FunctionSummary(NamedTuple):
    """What one function does with each of its parameters."""

    params: Tuple[str, ...]  # positional ones first (self included), then *args, keyword-only, **kwargs
    positional: int  # how many of ``params`` can be passed by position
    fates: Tuple[int, ...]  # per parameter: CLOSES | RETURNS | STORES | PASSES | REBOUND

    def fate(self, name: str) -> Optional[ParameterFate]:
        """The fate of parameter ``name``; None when there is no such parameter or it is rebound."""
        if name not in self.params:
            return None
        flags = self.fates[self.params.index(name)]
        if flags & REBOUND:
            return None
        return ParameterFate(bool(flags & CLOSES), bool(flags & RETURNS), bool(flags & STORES), bool(flags & PASSES))


class Construction(NamedTuple):
    """Where a class is constructed: call sites, and how many of them repeat."""

    sites: int
    in_loop: int  # in a ``for``/``while`` body of its own function
    in_comprehension: int  # in the per-item part of a comprehension
    in_container: int  # passed to ``.append`` & co., stored as ``d[k] = C()``, or a name that is


@dataclass(frozen=True)
class ModuleSummary:
    """The facts of one file other modules may need. Keys of ``classes``,
    ``functions`` and ``factories`` are qualified names within the module
    (``Outer.Inner``, ``f.<locals>.g``); the other names are dotted names as
    resolved by this module's imports (the index maps them to the defining
    module, and an imported function to the classes it returns)."""

    module: str
    is_package: bool
    error: Optional[str]  # why the file has no facts (cannot be parsed); None when it has them
    exports: Mapping[str, str]  # module-level name -> what it refers to (imports, ``Alias = Name``)
    classes: Mapping[str, ClassSummary]
    functions: Mapping[str, FunctionSummary]  # those that take an argument (beyond self or cls)
    factories: Mapping[str, Tuple[str, ...]]  # function -> the classes it returns instances of
    stores: Mapping[str, Mapping[str, int]]  # receiver's class (or factory) -> attribute -> first line
    constructions: Mapping[str, Construction]  # callee -> its call sites here
    removals: Tuple[str, ...]  # module-level containers removed from (sorted)

    @classmethod
    def failed(cls, module: str, is_package: bool, error: str) -> "ModuleSummary":
        return cls(module, is_package, error, {}, {}, {}, {}, {}, {}, ())

    def to_json(self) -> Dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "module": self.module,
            "package": self.is_package,
            "error": self.error,
            "exports": dict(self.exports),
            "classes": {name: _class_to_json(c) for name, c in self.classes.items()},
            "functions": {name: _function_to_json(f) for name, f in self.functions.items()},
            "factories": {name: list(classes) for name, classes in self.factories.items()},
            "stores": {name: dict(attrs) for name, attrs in self.stores.items()},
            "constructions": {name: list(counts) for name, counts in self.constructions.items()},
            "removals": list(self.removals),
        }

    @classmethod
    def from_json(cls, data: Any) -> Optional["ModuleSummary"]:
        """The summary ``data`` holds, or None when it is not exactly what
        :meth:`to_json` writes (a wrong type anywhere makes it absent)."""
        try:
            if type(data) is not dict or data.get("format") != INDEX_FORMAT:
                return None
            error = data["error"]
            return cls(
                module=_string(data["module"]),
                is_package=_boolean(data["package"]),
                error=None if error is None else _string(error),
                exports=_mapping(data["exports"], _string),
                classes=_mapping(data["classes"], _class_from_json),
                functions=_mapping(data["functions"], _function_from_json),
                factories=_mapping(data["factories"], _strings),
                stores=_mapping(data["stores"], lambda v: _mapping(v, _line)),
                constructions=_mapping(data["constructions"], _construction_from_json),
                removals=_strings(data["removals"]),
            )
        except (_Invalid, KeyError, TypeError):
            return None


class _Invalid(ValueError):
    """A summary read back that :meth:`ModuleSummary.to_json` did not write."""


# The checks run on every summary a warm run reads: plain type tests, no per-item calls.


def _string(value: Any) -> str:
    if type(value) is not str:
        raise _Invalid(value)
    return str(value)


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise _Invalid(value)
    return bool(value)


def _counts(value: Any, size: int, below: int) -> Tuple[int, ...]:
    """A list of ``size`` ints in ``range(below)``."""
    if type(value) is not list or len(value) != size or not all(type(n) is int and 0 <= n < below for n in value):
        raise _Invalid(value)
    return tuple(value)


def _line(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise _Invalid(value)
    return int(value)


def _strings(value: Any) -> Tuple[str, ...]:
    if type(value) is not list or not all(type(item) is str for item in value):
        raise _Invalid(value)
    return tuple(value)


def _mapping(value: Any, item: Callable[[Any], Any]) -> Dict[str, Any]:
    if type(value) is not dict or not all(type(key) is str for key in value):
        raise _Invalid(value)
    return {key: item(v) for key, v in value.items()}


def _class_to_json(summary: ClassSummary) -> Dict[str, Any]:
    return {
        "bases": list(summary.bases),
        "fields": list(summary.fields),
        "names": list(summary.class_names),
        "slots": None if summary.slots is None else list(summary.slots),
        "opaque": summary.opaque_layout,
    }


def _class_from_json(data: Any) -> ClassSummary:
    if type(data) is not dict:
        raise _Invalid(data)
    slots = data["slots"]
    return ClassSummary(
        bases=_strings(data["bases"]),
        fields=_strings(data["fields"]),
        class_names=_strings(data["names"]),
        slots=None if slots is None else _strings(slots),
        opaque_layout=_boolean(data["opaque"]),
    )


def _function_to_json(summary: FunctionSummary) -> Dict[str, Any]:
    return {"params": list(summary.params), "positional": summary.positional, "fates": list(summary.fates)}


def _function_from_json(data: Any) -> FunctionSummary:
    if type(data) is not dict:
        raise _Invalid(data)
    params = _strings(data["params"])
    positional = data["positional"]
    if type(positional) is not int or not 0 <= positional <= len(params):
        raise _Invalid(data)
    return FunctionSummary(params, positional, _counts(data["fates"], len(params), _ALL_FATES + 1))


def _construction_from_json(data: Any) -> Construction:
    counts = Construction(*_counts(data, len(Construction._fields), 1 << 62))
    if max(counts[1:]) > counts.sites:
        raise _Invalid(data)
    return counts


# -- summarising one file with `ast` ---------------------------------------------------------


def summarize(source: Union[str, bytes], module_name: str, is_package: bool = False) -> ModuleSummary:
    """The summary of one file's source. ``module_name`` is its module's
    dotted name (the package's for an ``__init__.py``, with ``is_package``):
    relative imports resolve against it. Never raises for bad input: a file
    that cannot be parsed (or nests deeper than the walk allows) gets a
    summary with ``error`` set and no facts."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return ModuleSummary.failed(module_name, is_package, f"cannot parse: {type(exc).__name__}: {exc}")
    scanner = _Scanner(module_name, is_package)
    try:
        scanner.scan(tree)
        return scanner.summary()
    except RecursionError:
        return ModuleSummary.failed(module_name, is_package, "nested too deeply to summarise")


# Kinds of binding of a name in a scope.
_IMPORT, _CLASS, _DEF, _SELF, _CLS, _PARAM, _VALUE, _ANNOTATION, _OTHER = range(9)


class _Binding:
    """One way a name gets bound: ``kind`` and what it says, and the scope
    in which that value is evaluated (for ``_VALUE``/``_ANNOTATION``)."""

    __slots__ = ("kind", "value", "scope")

    def __init__(self, kind: int, value: Any, scope: "_Scope") -> None:
        self.kind = kind
        self.scope = scope
        self.value = value  # _IMPORT: qualified name; _CLASS/_DEF/_SELF/_CLS: qualname in the module;
        # _PARAM: (_FunctionInfo, name, annotation); _VALUE/_ANNOTATION: the expression; _OTHER: None


class _Scope:
    """A module, class, function, lambda or comprehension body. Its bindings
    are kept by the scanner (a binding refers to its scope: no cycles)."""

    __slots__ = ("kind", "parent", "globals", "nonlocals", "prefix", "function", "captures")

    def __init__(self, kind: str, parent: Optional["_Scope"], prefix: str,
                 function: Optional["_FunctionInfo"] = None) -> None:
        self.kind = kind  # module, class, function, lambda, comprehension
        self.parent = parent
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        self.prefix = prefix  # qualname prefix of what is defined inside
        self.function = function
        self.captures: bool
        # names read here may be an enclosing function's parameters, captured by a closure
        self.captures = parent is not None and (
            parent.captures if kind == "comprehension" else kind != "class" and parent.inside_function()
        )

    def inside_function(self) -> bool:
        scope: Optional[_Scope] = self
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                return True
            scope = scope.parent
        return False


class _FunctionInfo:
    __slots__ = ("qualname", "params", "positional", "bound", "fates", "decorators", "annotation", "returned")

    def __init__(self, qualname: str, params: List[str], positional: int, bound: bool,
                 node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> None:
        self.qualname = qualname
        self.params = params
        self.positional = positional
        self.bound = bound  # the first parameter is the instance or the class
        self.fates: Dict[str, int] = dict.fromkeys(params, 0)  # parameter -> CLOSES | RETURNS | ...
        self.decorators = node.decorator_list
        self.annotation = node.returns
        self.returned: List[ast.expr] = []  # the values of its ``return`` statements


class _ClassInfo:
    __slots__ = ("qualname", "bases", "decorators", "fields", "class_names", "slots", "opaque", "scopes")

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname
        self.bases: List[Tuple[ast.expr, "_Scope"]] = []
        self.decorators: List[Tuple[ast.expr, "_Scope"]] = []
        self.fields: Set[str] = set()
        self.class_names: Set[str] = set()
        self.slots: Optional[Tuple[str, ...]] = None
        self.opaque = False
        self.scopes: List[_Scope] = []


class _Site:
    """A call that may construct a class (resolved when the module is done)."""

    __slots__ = ("scope", "func", "loop", "comprehension", "container", "bound")

    def __init__(self, scope: _Scope, func: ast.expr, loop: bool, comprehension: bool, container: bool,
                 bound: Optional[str]) -> None:
        self.scope = scope
        self.func = func
        self.loop = loop
        self.comprehension = comprehension
        self.container = container
        self.bound = bound  # the local name the result is assigned to


_Handler = Callable[["_Scanner", Any], None]


class _Scanner:
    """One walk over a module's tree recording bindings and events per scope;
    :meth:`summary` resolves the events once every binding is known (Python
    scoping is flow-insensitive: a name bound anywhere in a function is local
    everywhere in it)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.bindings: Dict[_Scope, Dict[str, List[_Binding]]] = {}  # scope -> name -> bindings
        self.module_scope = self.new_scope("module", None, "")
        self.scope = self.module_scope
        self.loop = False  # in a loop body of the current scope
        self.comprehension = False  # in the per-item part of a comprehension
        self.classes: Dict[str, _ClassInfo] = {}
        self.functions: List[Tuple[_FunctionInfo, _Scope]] = []
        # events, resolved by summary()
        self.attribute_stores: List[Tuple[_Scope, str, str, int]] = []  # scope, receiver name, attribute, line
        self.setattr_calls: List[Tuple[_Scope, ast.expr, str, str, int]] = []  # scope, func, receiver, attr, line
        self.sites: List[_Site] = []
        self.fills: List[Tuple[_Scope, str]] = []  # a name put into a container
        self.fates: List[Tuple[_Scope, str, int]] = []  # scope, name, fate (a bit, or _CAPTURED)
        self.closing_withs: List[Tuple[_Scope, ast.expr, str]] = []  # `with closing(name):`
        self.removals: List[Tuple[_Scope, ast.expr]] = []
        self.namedtuples: List[Tuple[_Scope, str, ast.Call]] = []
        self.nonlocal_bindings: List[Tuple[_Scope, str, _Binding]] = []
        self.in_container: Set[int] = set()  # ids of calls whose result goes into a container
        self.bound_calls: Dict[int, str] = {}  # id of a call -> the name its result is assigned to
        self.namedtuple_calls: Dict[int, str] = {}  # id of a namedtuple(...) call -> its class qualname
        # memoised answers, by the id of a (scope, name)'s binding list
        self.qualified: Dict[int, Optional[str]] = {}
        self.instance_classes: Dict[int, Set[str]] = {}
        self.implementations: Dict[str, Tuple[_FunctionInfo, _Scope]] = {}  # set by summary()
        self.returned_classes: Dict[int, Set[str]] = {}  # by the id of a function's _FunctionInfo

    # -- the walk ---------------------------------------------------------------------------

    def scan(self, tree: ast.Module) -> None:
        self.visit_all(tree.body)

    def visit(self, node: ast.AST) -> None:
        """Handlers change the walk's context; nodes without one do not, so
        their subtrees are walked with an explicit stack (long operator
        chains do not recurse)."""
        stack = [node]
        handlers = _HANDLERS
        while stack:
            node = stack.pop()
            handler = handlers.get(type(node))
            if handler is not None:
                handler(self, node)
                continue
            for field in _child_fields(type(node)):  # ast.iter_child_nodes, without its generators
                value = getattr(node, field, None)
                if isinstance(value, list):
                    stack.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    stack.append(value)

    def visit_all(self, nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            self.visit(node)

    def enter(self, scope: _Scope, body: Callable[[], None], loop: bool = False, comprehension: bool = False) -> None:
        saved = self.scope, self.loop, self.comprehension
        self.scope, self.loop, self.comprehension = scope, loop, comprehension
        body()
        self.scope, self.loop, self.comprehension = saved

    def bind(self, name: str, kind: int, value: Any = None) -> None:
        scope = self.scope
        if scope.kind == "comprehension" and kind == _VALUE:  # a walrus binds in the enclosing function
            while scope.kind == "comprehension" and scope.parent is not None:
                scope = scope.parent
        binding = _Binding(kind, value, self.scope)
        if name in scope.nonlocals:  # the enclosing function may bind it further down
            self.nonlocal_bindings.append((scope, name, binding))
            return
        if name in scope.globals:
            scope = self.module_scope
        self.bindings[scope].setdefault(name, []).append(binding)

    def new_scope(self, kind: str, parent: Optional[_Scope], prefix: str,
                  function: Optional[_FunctionInfo] = None) -> _Scope:
        scope = _Scope(kind, parent, prefix, function)
        self.bindings[scope] = {}
        return scope

    def bind_nonlocals(self) -> None:
        """Add each ``nonlocal`` name's bindings to the enclosing function that binds it."""
        for scope, name, binding in self.nonlocal_bindings:
            current = scope.parent
            while current is not None and current.kind != "module":
                if current.kind != "class" and name not in current.nonlocals and name in self.bindings[current]:
                    self.bindings[current][name].append(binding)
                    break
                current = current.parent

    # definitions

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.visit_all(node.decorator_list)
        self.visit_all(node.bases)
        self.visit_all(node.keywords)
        qualname = self.scope.prefix + node.name
        self.bind(node.name, _CLASS, qualname)
        info = self.classes.get(qualname)
        if info is None:
            info = self.classes[qualname] = _ClassInfo(qualname)
        elif info.scopes:
            info.opaque = True  # defined twice: which definition runs is not ours to guess
        info.bases.extend((base, self.scope) for base in node.bases)
        info.decorators.extend((decorator, self.scope) for decorator in node.decorator_list)
        scope = self.new_scope("class", self.scope, qualname + ".")
        info.scopes.append(scope)
        self.enter(scope, lambda: self.visit_all(node.body))

    def visit_FunctionDef(self, node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> None:
        self.visit_all(node.decorator_list)
        arguments = node.args
        self.visit_all(arguments.defaults)
        self.visit_all(d for d in arguments.kw_defaults if d is not None)
        qualname = self.scope.prefix + node.name
        self.bind(node.name, _DEF, qualname)
        positional = arguments.posonlyargs + arguments.args
        every = list(positional)
        every.extend(a for a in (arguments.vararg,) if a is not None)
        every.extend(arguments.kwonlyargs)
        every.extend(a for a in (arguments.kwarg,) if a is not None)
        outer = self.scope
        instance = _instance_kind(node) if outer.kind == "class" and positional else None
        info = _FunctionInfo(qualname, [a.arg for a in every], len(positional), instance is not None, node)
        scope = self.new_scope("function", outer, qualname + ".<locals>.", info)
        self.functions.append((info, scope))
        for index, argument in enumerate(every):
            if index == 0 and instance is not None:
                binding = _Binding(instance, outer.prefix[:-1], scope)
            else:
                binding = _Binding(_PARAM, (info, argument.arg, argument.annotation), scope)
            self.bindings[scope].setdefault(argument.arg, []).append(binding)
        self.enter(scope, lambda: self.visit_all(node.body))

    def visit_Lambda(self, node: ast.Lambda) -> None:
        arguments = node.args
        self.visit_all(arguments.defaults)
        self.visit_all(d for d in arguments.kw_defaults if d is not None)
        scope = self.new_scope("lambda", self.scope, self.scope.prefix + "<lambda>.<locals>.")
        for argument in _all_arguments(arguments):
            self.bindings[scope].setdefault(argument.arg, []).append(_Binding(_OTHER, None, scope))
        self.enter(scope, lambda: self.visit(node.body))

    def visit_comprehension(self, node: Union[ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp]) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated once, in the enclosing scope
        scope = self.new_scope("comprehension", self.scope, self.scope.prefix)

        def body() -> None:
            for index, generator in enumerate(generators):
                if index:
                    self.visit(generator.iter)
                self.assign(generator.target, None, generator.target.lineno)
                self.visit_all(generator.ifs)
            if isinstance(node, ast.DictComp):
                self.visit(node.key)
                self.visit(node.value)
            else:
                self.visit(node.elt)

        self.enter(scope, body, loop=self.loop, comprehension=True)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.bind(alias.asname, _IMPORT, alias.name)
            else:
                head = alias.name.partition(".")[0]
                self.bind(head, _IMPORT, head)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = _absolute_module(self.module, self.is_package, node.level, node.module)
        if source is None:
            return  # a relative import above the project root
        for alias in node.names:
            if alias.name != "*":
                self.bind(alias.asname or alias.name, _IMPORT, f"{source}.{alias.name}" if source else alias.name)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    # assignments

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        targets = node.targets
        if isinstance(value, ast.Call):
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                self.bound_calls[id(value)] = targets[0].id
            if any(isinstance(t, ast.Subscript) for t in targets):
                self.in_container.add(id(value))
        self.visit(value)
        for target in targets:
            self.assign(target, value, node.lineno)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        target = node.target
        if node.value is not None:
            self.visit(node.value)
        if isinstance(target, ast.Name):
            if self.scope.kind != "class" or node.value is not None:  # a bare class annotation binds nothing
                self.bind(target.id, _ANNOTATION, node.annotation)
            if node.value is not None:
                self.assign(target, node.value, node.lineno)
        elif node.value is not None:
            self.assign(target, node.value, node.lineno)
        else:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            self.bind(target.id, _OTHER)
            self.note_class_name(target.id, opaque_slots=target.id == "__slots__")
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, node.value, node.lineno, rebinds=False)
        else:
            self.visit(target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                self.removals.append((self.scope, target.value))
            elif isinstance(target, ast.Name):
                self.bind(target.id, _OTHER)
                self.note_global_reassignment(target)
            self.visit(target)

    def assign(self, target: ast.expr, value: Optional[ast.expr], line: int) -> None:
        """Record what assigning ``value`` (None: unknown) to ``target`` binds or stores."""
        if isinstance(target, ast.Name):
            self.bind(target.id, _OTHER if value is None else _VALUE, value)
            self.note_global_reassignment(target, value)
            if isinstance(value, ast.Call):
                self.namedtuples.append((self.scope, target.id, value))
            self.note_class_name(target.id, slots_value=value if target.id == "__slots__" else None)
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, value, line)
        elif isinstance(target, ast.Subscript):
            if value is not None:
                self.note_escape(value, STORES)
                if isinstance(value, ast.Name):
                    self.fills.append((self.scope, value.id))
            if isinstance(target.slice, ast.Slice):  # xs[:] = ... replaces the contents
                self.removals.append((self.scope, target.value))
            self.visit(target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values: Sequence[Optional[ast.expr]] = [None] * len(target.elts)
            if (isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
                    and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)):
                values = value.elts
            for element, element_value in zip(target.elts, values):
                self.assign(element, element_value, line)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, None, line)
        else:
            self.visit(target)

    def store_attribute(self, target: ast.Attribute, value: Optional[ast.expr], line: int,
                        rebinds: bool = True) -> None:
        receiver = target.value
        if isinstance(receiver, ast.Name):
            self.attribute_stores.append((self.scope, receiver.id, target.attr, line))
        else:
            self.visit(receiver)
        if rebinds:
            self.removals.append((self.scope, target))  # ``module.REGISTRY = {}`` (kept only for imported modules)
        if value is not None:
            self.note_escape(value, STORES)

    def note_global_reassignment(self, target: ast.Name, value: Optional[ast.expr] = None) -> None:
        scope = self.scope
        if target.id in scope.globals and scope.kind != "module":
            self.removals.append((self.module_scope, ast.Name(id=target.id)))
            if value is not None:
                self.note_escape(value, STORES)

    def note_class_name(self, name: str, slots_value: Optional[ast.expr] = None, opaque_slots: bool = False) -> None:
        if self.scope.kind != "class" or name != "__slots__":
            return
        info = self.classes[self.scope.prefix[:-1]]
        slots = None if slots_value is None else _literal_slots(slots_value)
        if slots is None or opaque_slots:
            info.opaque = True
        else:
            info.slots = slots

    # control flow

    def visit_For(self, node: Union[ast.For, ast.AsyncFor]) -> None:
        self.visit(node.iter)
        self.assign(node.target, None, node.lineno)
        saved = self.loop
        self.loop = True
        self.visit_all(node.body)
        self.loop = saved
        self.visit_all(node.orelse)

    def visit_While(self, node: ast.While) -> None:
        saved = self.loop
        self.loop = True
        self.visit(node.test)
        self.visit_all(node.body)
        self.loop = saved
        self.visit_all(node.orelse)

    def visit_With(self, node: Union[ast.With, ast.AsyncWith]) -> None:
        for item in node.items:
            context = item.context_expr
            self.visit(context)
            if isinstance(context, ast.Name):
                self.fates.append((self.scope, context.id, CLOSES))
            elif isinstance(context, ast.Call) and len(context.args) == 1 and isinstance(context.args[0], ast.Name):
                self.closing_withs.append((self.scope, context.func, context.args[0].id))
            if item.optional_vars is not None:
                self.assign(item.optional_vars, None, node.lineno)
        self.visit_all(node.body)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name is not None:
            self.bind(node.name, _OTHER)
        self.visit_all(node.body)

    def visit_Return(self, node: Union[ast.Return, ast.Yield, ast.YieldFrom]) -> None:
        if node.value is not None:
            self.note_escape(node.value, RETURNS)
            function = _function_of(self.scope)
            if isinstance(node, ast.Return) and function is not None:
                function.returned.append(node.value)
            self.visit(node.value)

    def visit_pattern_name(self, node: ast.AST) -> None:
        """``case Point(x=px)``, ``case [*rest]``, ``case {**rest}`` (Python 3.10+) bind names."""
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if isinstance(name, str):
            self.bind(name, _OTHER)
        self.visit_all(ast.iter_child_nodes(node))

    # expressions

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        call_id = id(node)
        self.sites.append(_Site(self.scope, func, self.loop, self.comprehension, call_id in self.in_container,
                                self.bound_calls.pop(call_id, None)))
        fate = PASSES
        if isinstance(func, ast.Attribute):
            method, receiver = func.attr, func.value
            if method in CLOSING_METHODS and isinstance(receiver, ast.Name):
                self.fates.append((self.scope, receiver.id, CLOSES))
            elif method in REMOVING_METHODS:
                self.removals.append((self.scope, receiver))
            elif method in FILLING_METHODS:
                fate = STORES
                for argument in node.args:
                    if isinstance(argument, ast.Call):
                        self.in_container.add(id(argument))
                    elif isinstance(argument, ast.Name):
                        self.fills.append((self.scope, argument.id))
        elif isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
            receiver, name = node.args[0], node.args[1]
            if isinstance(receiver, ast.Name):
                attribute = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else "*"
                self.setattr_calls.append((self.scope, func, receiver.id, attribute, node.lineno))
        for argument in node.args:
            self.note_escape(argument, fate)
        for keyword in node.keywords:
            self.note_escape(keyword.value, fate)
        self.visit(func)
        self.visit_all(node.args)
        self.visit_all(node.keywords)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.bind(node.target.id, _VALUE, node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if self.scope.captures and isinstance(node.ctx, ast.Load):
            self.fates.append((self.scope, node.id, _CAPTURED))

    def skip(self, node: ast.AST) -> None:
        """Leaves without names or calls (also annotations' contexts)."""

    def note_escape(self, value: ast.expr, fate: int) -> None:
        """The names ``value`` hands on as they are: ``p``, ``(p, q)``, ``[p]``, ``{k: p}``, ``a or p``."""
        if self.scope.kind == "module":
            return  # module code has no parameters
        for name in _escaping_names(value):
            self.fates.append((self.scope, name, fate))

    # -- resolution ---------------------------------------------------------------------------

    def summary(self) -> ModuleSummary:
        self.bind_nonlocals()
        self.resolve_namedtuples()
        self.implementations = self.unique_functions()
        factories = self.factories()
        stores = self.stores()  # before the classes: ``setattr(self, "x", v)`` adds a field
        return ModuleSummary(
            module=self.module,
            is_package=self.is_package,
            error=None,
            exports=self.exports(),
            classes=self.class_summaries(),
            functions=self.function_summaries(),
            factories=factories,
            stores=stores,
            constructions=self.constructions(),
            removals=tuple(sorted(self.removed_containers())),
        )

    def lookup(self, name: str, scope: _Scope) -> Optional[List[_Binding]]:
        """The bindings ``name`` refers to in ``scope`` (Python's rules: class
        bodies are not visible from inside their functions)."""
        current: Optional[_Scope] = scope
        innermost = True
        while current is not None:
            if current.kind == "class" and not innermost:
                current = current.parent
                continue
            if name in current.globals:
                return self.bindings[self.module_scope].get(name)
            names = self.bindings[current]
            if name not in current.nonlocals and name in names:
                return names[name]
            innermost = False
            current = current.parent
        return None

    # Names are resolved by following bindings (``x = y``, ``x = copy.copy(y)``,
    # ``x = factory()``), which may form cycles (``node = node.parent``): see _visit_once.

    def qualify(self, expr: ast.expr, scope: _Scope, visited: Optional[Set[int]] = None) -> Optional[str]:
        """The dotted name a ``Name``/``Attribute`` chain refers to: through
        imports, to a class or function of this module, or ``builtins.X``;
        None for anything local or ambiguous."""
        parts: List[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        head = self.qualify_name(expr.id, scope, visited)
        if head is None:
            return None
        parts.append(head)
        return ".".join(reversed(parts))

    def qualify_name(self, name: str, scope: _Scope, visited: Optional[Set[int]] = None) -> Optional[str]:
        bindings = self.lookup(name, scope)
        if bindings is None:
            return f"builtins.{name}" if name in _BUILTIN_NAMES else None

        def target(visited: Set[int]) -> Optional[str]:
            targets = {self.binding_target(binding, visited) for binding in bindings}
            return targets.pop() if len(targets) == 1 else None

        return _visit_once(self.qualified, id(bindings), visited, None, target)  # a cycle names nothing

    def binding_target(self, binding: _Binding, visited: Set[int]) -> Optional[str]:
        kind, value = binding.kind, binding.value
        if kind == _IMPORT:
            return str(value)
        if kind in (_CLASS, _DEF, _CLS):
            return f"{self.module}.{value}"
        if kind == _VALUE:
            if isinstance(value, (ast.Name, ast.Attribute)):
                return self.qualify(value, binding.scope, visited)
            if isinstance(value, ast.Call) and id(value) in self.namedtuple_calls:
                return f"{self.module}.{self.namedtuple_calls[id(value)]}"
        return None

    def name_classes(self, name: str, scope: _Scope, visited: Optional[Set[int]] = None) -> Set[str]:
        """The classes whose instances a name may hold (see :meth:`classes_of`)."""
        bindings = self.lookup(name, scope)
        if not bindings:
            return set()

        def classes(visited: Set[int]) -> Set[str]:
            return set().union(*(self.binding_classes(binding, visited) for binding in bindings))

        return _visit_once(self.instance_classes, id(bindings), visited, set(), classes)

    def classes_of(self, expr: ast.expr, scope: _Scope, visited: Set[int]) -> Set[str]:
        """The classes an expression's value may be an instance of, as far as
        the module shows: a constructor call, ``copy.copy``/``copy.deepcopy``
        of such a value, a name bound to one or annotated with one."""
        if isinstance(expr, ast.Call):
            target = self.qualify(expr.func, scope)
            if target in COPIES and expr.args:
                return self.classes_of(expr.args[0], scope, visited)
            if target is None or _in_standard_library(target):
                return set()
            own = self.module + "."
            if not target.startswith(own):
                return {target}  # a class, or a function the index knows the factories of
            local = target[len(own):]
            return {target} if local in self.classes else self.function_classes(local, visited)
        if isinstance(expr, ast.Name):
            return self.name_classes(expr.id, scope, visited)
        if isinstance(expr, ast.IfExp):
            return self.classes_of(expr.body, scope, visited) | self.classes_of(expr.orelse, scope, visited)
        if isinstance(expr, ast.BoolOp):
            return set().union(*(self.classes_of(v, scope, visited) for v in expr.values))
        if isinstance(expr, ast.NamedExpr):
            return self.classes_of(expr.value, scope, visited)
        return set()

    def function_classes(self, qualname: str, visited: Optional[Set[int]] = None) -> Set[str]:
        """The classes a function of this module returns instances of: its
        return annotation, what its ``return`` statements return (``cls(...)``
        in a class method: its class)."""
        implementation = self.implementations.get(qualname)
        if implementation is None:
            return set()
        info, scope = implementation

        def classes(visited: Set[int]) -> Set[str]:
            found = set() if info.annotation is None else self.annotation_classes(info.annotation, scope.parent or scope)
            return found.union(*(self.classes_of(value, scope, visited) for value in info.returned))

        return _visit_once(self.returned_classes, id(info), visited, set(), classes)

    def binding_classes(self, binding: _Binding, visited: Set[int]) -> Set[str]:
        if binding.kind == _VALUE:
            return self.classes_of(binding.value, binding.scope, visited)
        if binding.kind == _ANNOTATION:
            return self.annotation_classes(binding.value, binding.scope)
        if binding.kind == _PARAM and binding.value[2] is not None:
            return self.annotation_classes(binding.value[2], binding.scope.parent or binding.scope)
        if binding.kind == _SELF:
            return {f"{self.module}.{binding.value}"}
        return set()

    def annotation_classes(self, annotation: ast.expr, scope: _Scope) -> Set[str]:
        """Classes an annotation admits: ``C``, ``"C"``, ``Optional[C]``, ``Union[C, D]``, ``C | None``."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            parsed = _parse_annotation(annotation.value)
            return set() if parsed is None else self.annotation_classes(parsed, scope)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self.annotation_classes(annotation.left, scope) | self.annotation_classes(annotation.right, scope)
        if isinstance(annotation, ast.Subscript):
            wrapper = self.qualify(annotation.value, scope) or ""
            module, _, name = wrapper.rpartition(".")
            if module not in TYPING_MODULES or name not in ANNOTATION_WRAPPERS:
                return set()
            inner = annotation.slice
            members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if name == "Annotated":
                members = members[:1]
            return set().union(*(self.annotation_classes(m, scope) for m in members))
        target = self.qualify(annotation, scope) if isinstance(annotation, (ast.Name, ast.Attribute)) else None
        return {target} if target is not None and self.may_be_class(target) else set()

    def may_be_class(self, target: str) -> bool:
        """The standard library's classes are not the project's; this
        module's names are classes only if it defines them as such; anything
        else imported may be."""
        if _in_standard_library(target):
            return False
        own = self.module + "."
        return not target.startswith(own) or target[len(own):] in self.classes

    def resolve_namedtuples(self) -> None:
        for scope, name, call in self.namedtuples:
            if self.qualify(call.func, scope) in NAMEDTUPLES:
                qualname = scope.prefix + name
                self.namedtuple_calls[id(call)] = qualname
                info = self.classes.setdefault(qualname, _ClassInfo(qualname))
                info.slots = ()
                info.bases.append((ast.Name(id="tuple"), self.module_scope))

    def class_summaries(self) -> Dict[str, ClassSummary]:
        for scope, receiver, attribute, _ in self.attribute_stores:
            for binding in self.lookup(receiver, scope) or ():
                if binding.kind == _SELF:
                    self.classes[binding.value].fields.add(attribute)
                elif binding.kind == _CLS:
                    self.classes[binding.value].class_names.add(attribute)
        summaries = {}
        for qualname, info in self.classes.items():
            if self.rebound_class(info):
                info.opaque = True
            names = set(info.class_names)
            for scope in info.scopes:
                names.update(n for n, bs in self.bindings[scope].items() if any(b.kind != _ANNOTATION for b in bs))
            summaries[qualname] = ClassSummary(
                bases=tuple(self.base_name(base, scope) for base, scope in info.bases),
                fields=tuple(sorted(info.fields)),
                class_names=tuple(sorted(names)),
                slots=info.slots,
                opaque_layout=info.opaque or any(self.slotting(d, scope) for d, scope in info.decorators),
            )
        return summaries

    def rebound_class(self, info: _ClassInfo) -> bool:
        """Whether the class's name is also bound to something else where it is
        defined (``try: from x import C`` / ``except ImportError: class C:``)."""
        for scope in info.scopes:
            owner = scope.parent
            name = info.qualname.rpartition(".")[2]
            if owner is not None and any(
                b.kind != _CLASS or b.value != info.qualname for b in self.bindings[owner].get(name, ())
            ):
                return True
        return False

    def base_name(self, base: ast.expr, scope: _Scope) -> str:
        if isinstance(base, ast.Subscript):  # Generic[T], Base[int]
            base = base.value
        if isinstance(base, ast.Call):
            return "builtins.tuple" if self.qualify(base.func, scope) in NAMEDTUPLES else ""
        return self.qualify(base, scope) or ""

    def slotting(self, decorator: ast.expr, scope: _Scope) -> bool:
        """``@dataclass(slots=True)``, ``@attrs.define`` and the like rebuild the class with slots."""
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "slots" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    return True
            decorator = decorator.func
        return self.qualify(decorator, scope) in SLOTTING_DECORATORS

    def stores(self) -> Dict[str, Dict[str, int]]:
        found: Dict[str, Dict[str, int]] = {}

        def note(receiver: str, scope: _Scope, attribute: str, line: int) -> None:
            bindings = self.lookup(receiver, scope) or []
            if any(b.kind in (_SELF, _CLS) for b in bindings):
                return  # a field or a class attribute, recorded on the class
            for name in self.name_classes(receiver, scope):
                attributes = found.setdefault(name, {})
                attributes[attribute] = min(line, attributes.get(attribute, line))

        for scope, receiver, attribute, line in self.attribute_stores:
            note(receiver, scope, attribute, line)
        for scope, func, receiver, attribute, line in self.setattr_calls:
            if self.qualify(func, scope) == "builtins.setattr":
                note(receiver, scope, attribute, line)
                if attribute != "*":
                    for binding in self.lookup(receiver, scope) or ():
                        if binding.kind == _SELF:
                            self.classes[binding.value].fields.add(attribute)
        return found

    def constructions(self) -> Dict[str, Construction]:
        filled = {(id(scope), name) for scope, name in self.fills}
        counts: Dict[str, List[int]] = {}
        for site in self.sites:
            if not isinstance(site.func, (ast.Name, ast.Attribute)):
                continue
            target = self.qualify(site.func, site.scope)
            if target is None or not self.may_be_class(target):
                continue
            container = site.container or (site.bound is not None and (id(site.scope), site.bound) in filled)
            totals = counts.setdefault(target, [0, 0, 0, 0])
            totals[0] += 1
            totals[1] += site.loop
            totals[2] += site.comprehension
            totals[3] += container
        return {name: Construction(*totals) for name, totals in counts.items()}

    def function_summaries(self) -> Dict[str, FunctionSummary]:
        for scope, name, fate in self.fates:
            self.note_fate(scope, name, fate)
        for scope, func, name in self.closing_withs:
            if self.qualify(func, scope) in CLOSING_WRAPPERS:
                self.note_fate(scope, name, CLOSES)
        summaries = {}
        for info, scope in self.implementations.values():
            if len(info.params) == info.bound:
                continue  # no argument to ask about
            names = self.bindings[scope]
            fates = tuple(
                info.fates[p] | (REBOUND if len(names.get(p, ())) > 1 else 0) for p in info.params
            )
            summaries[info.qualname] = FunctionSummary(tuple(info.params), info.positional, fates)
        return summaries

    def unique_functions(self) -> Dict[str, Tuple[_FunctionInfo, _Scope]]:
        """Functions by qualname, leaving out ``@overload`` stubs and names defined
        more than once (property setters, conditional definitions: which one runs
        is unknown)."""
        implementations = [
            (info, scope) for info, scope in self.functions
            if not any(self.qualify(d, scope.parent or scope) in OVERLOADS for d in info.decorators)
        ]
        seen: Dict[str, int] = {}
        for info, _ in implementations:
            seen[info.qualname] = seen.get(info.qualname, 0) + 1
        return {info.qualname: (info, scope) for info, scope in implementations if seen[info.qualname] == 1}

    def factories(self) -> Dict[str, Tuple[str, ...]]:
        found = {}
        for qualname in self.implementations:
            classes = self.function_classes(qualname)
            if classes:
                found[qualname] = tuple(sorted(classes))
        return found

    def note_fate(self, scope: _Scope, name: str, fate: int) -> None:
        found = self.parameter(name, scope)
        if found is None:
            return
        info, param = found
        if fate == _CAPTURED:
            if _function_of(scope) is not info:
                info.fates[param] |= PASSES
        elif fate != RETURNS or _function_of(scope) is info:  # an inner function's return is not this one's
            info.fates[param] |= fate

    def parameter(self, name: str, scope: _Scope) -> Optional[Tuple[_FunctionInfo, str]]:
        """The parameter ``name`` is, directly or through ``alias = param``."""
        for _ in range(_MAX_HOPS):
            bindings = self.lookup(name, scope)
            if not bindings or len(bindings) != 1:
                return None
            binding = bindings[0]
            if binding.kind in (_PARAM, _SELF, _CLS):
                function = binding.scope.function
                return None if function is None else (function, name)
            if binding.kind != _VALUE or not isinstance(binding.value, ast.Name):
                return None
            name, scope = binding.value.id, binding.scope
        return None

    def removed_containers(self) -> Set[str]:
        found = set()
        for scope, expr in self.removals:
            if isinstance(expr, ast.Name):
                name = self.container_name(expr.id, scope)
            elif isinstance(expr, ast.Attribute) and isinstance(expr.ctx, ast.Load):
                name = self.qualify(expr, scope)
            elif isinstance(expr, ast.Attribute):  # ``module.NAME = ...``: only through an imported module
                owner = self.qualify(expr.value, scope)
                name = None if owner is None or self.lookup_is_local(expr.value, scope) else f"{owner}.{expr.attr}"
            else:
                name = None
            if name is not None and not _in_standard_library(name):
                found.add(name)
        return found

    def container_name(self, name: str, scope: _Scope) -> Optional[str]:
        """A module-level name as ``module.NAME`` (an imported one as what it imports)."""
        bindings = self.lookup(name, scope)
        if bindings is None:
            return None
        if bindings is self.bindings[self.module_scope].get(name):
            if all(b.kind == _IMPORT for b in bindings):
                return self.qualify_name(name, scope)
            return f"{self.module}.{name}"
        return None

    def lookup_is_local(self, expr: ast.expr, scope: _Scope) -> bool:
        """Whether an attribute chain's head is a class or function of this module (not a module)."""
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return True
        return any(b.kind != _IMPORT for b in self.lookup(expr.id, scope) or ())

    def exports(self) -> Dict[str, str]:
        """Module-level names bound only to an import or to another name (``Alias = Message``)."""
        found = {}
        for name, bindings in self.bindings[self.module_scope].items():
            if all(b.kind == _IMPORT or (b.kind == _VALUE and isinstance(b.value, (ast.Name, ast.Attribute)))
                   for b in bindings):
                target = self.qualify_name(name, self.module_scope)
                if target is not None and not _in_standard_library(target):
                    found[name] = target
        return found


def _standard_library() -> FrozenSet[str]:
    """Top-level module names of the running Python's standard library (the
    project cannot define classes there). Python 3.9 has no
    ``sys.stdlib_module_names``: list its library directory instead."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    import sysconfig

    found = set(sys.builtin_module_names)
    library = sysconfig.get_paths()["stdlib"]
    for directory in (library, os.path.join(library, "lib-dynload")):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        found.update(entry.split(".")[0] for entry in entries if entry.endswith((".py", ".so", ".pyd")))
        found.update(e for e in entries if os.path.isfile(os.path.join(directory, e, "__init__.py")))
    return frozenset(name for name in found if name.isidentifier()) - {"test"}


_STANDARD_LIBRARY = _standard_library() | {"builtins"}


def _in_standard_library(dotted: str) -> bool:
    return dotted.partition(".")[0] in _STANDARD_LIBRARY


def _visit_once(memo: Dict[int, T], key: int, visited: Optional[Set[int]], again: T,
                compute: Callable[[Set[int]], T]) -> T:
    """One step of a query that follows bindings: ``compute(visited)``, or
    ``again`` when this query has been here already (the first visit collects
    what this one would), or an earlier query's answer. ``visited`` is None
    for the query's first step; only that step's answer is complete (a later
    step skips what earlier ones visit), so only it is memoised."""
    if key in memo:
        return memo[key]
    first = visited is None
    visited = set() if visited is None else visited
    if key in visited:
        return again
    visited.add(key)
    answer = compute(visited)
    if first:
        memo[key] = answer
    return answer


def _function_of(scope: _Scope) -> Optional[_FunctionInfo]:
    """The function whose body ``scope`` is (comprehensions belong to theirs)."""
    current: Optional[_Scope] = scope
    while current is not None and current.kind == "comprehension":
        current = current.parent
    return None if current is None else current.function


def _instance_kind(node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> Optional[int]:
    """What the first parameter of a method is: the instance, the class, or
    neither (a static method). Decorators are read by spelling: a class body
    that rebinds ``staticmethod`` is not worth a resolution pass."""
    for decorator in node.decorator_list:
        name = decorator.id if isinstance(decorator, ast.Name) else getattr(decorator, "attr", None)
        if name == "staticmethod":
            return None
        if name == "classmethod":
            return _CLS
    return _SELF


def _all_arguments(arguments: ast.arguments) -> Iterator[ast.arg]:
    yield from arguments.posonlyargs
    yield from arguments.args
    if arguments.vararg is not None:
        yield arguments.vararg
    yield from arguments.kwonlyargs
    if arguments.kwarg is not None:
        yield arguments.kwarg


def _absolute_module(module: str, is_package: bool, level: int, name: Optional[str]) -> Optional[str]:
    """The module ``from <dots><name> import ...`` reads, seen from ``module``."""
    if level == 0:
        return name or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts) or (level - 1 == len(parts) and not name):
        return None
    base = parts[:len(parts) - (level - 1)]
    if name:
        base.append(name)
    return ".".join(base)


def _literal_slots(value: ast.expr) -> Optional[Tuple[str, ...]]:
    """The names of a literal ``__slots__`` (a string, or a tuple/list/set of
    strings, or a dict with string keys), else None."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return (value.value,)
    items: Optional[Sequence[Optional[ast.expr]]] = None
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        items = value.elts
    elif isinstance(value, ast.Dict):
        items = value.keys
    if items is None:
        return None
    names = []
    for item in items:
        if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
            return None
        names.append(item.value)
    return tuple(names)


def _escaping_names(value: ast.expr) -> Iterator[str]:
    if isinstance(value, ast.Name):
        yield value.id
    elif isinstance(value, ast.Starred):
        yield from _escaping_names(value.value)
    elif isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        for element in value.elts:
            yield from _escaping_names(element)
    elif isinstance(value, ast.Dict):
        for item in value.values:
            yield from _escaping_names(item)
    elif isinstance(value, ast.IfExp):
        yield from _escaping_names(value.body)
        yield from _escaping_names(value.orelse)
    elif isinstance(value, ast.BoolOp):
        for item in value.values:
            yield from _escaping_names(item)


def _parse_annotation(text: str) -> Optional[ast.expr]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_SCALAR_FIELDS = frozenset({"ctx", "id", "attr", "arg", "type_comment", "kind", "level", "module", "conversion",
                            "is_async", "simple", "lineno", "col_offset", "end_lineno", "end_col_offset"})


def _node_fields(node_type: Type[ast.AST]) -> Tuple[str, ...]:
    """The fields of a node type that may hold nodes."""
    return tuple(f for f in node_type._fields if f not in _SCALAR_FIELDS)


_CHILD_FIELDS = {
    value: _node_fields(value) for value in vars(ast).values() if isinstance(value, type) and issubclass(value, ast.AST)
}


def _child_fields(node_type: Type[ast.AST]) -> Tuple[str, ...]:
    return _CHILD_FIELDS.get(node_type) or _node_fields(node_type)


def _build_handlers() -> Dict[type, _Handler]:
    handlers: Dict[type, _Handler] = {
        ast.ClassDef: _Scanner.visit_ClassDef,
        ast.FunctionDef: _Scanner.visit_FunctionDef,
        ast.AsyncFunctionDef: _Scanner.visit_FunctionDef,
        ast.Lambda: _Scanner.visit_Lambda,
        ast.ListComp: _Scanner.visit_comprehension,
        ast.SetComp: _Scanner.visit_comprehension,
        ast.GeneratorExp: _Scanner.visit_comprehension,
        ast.DictComp: _Scanner.visit_comprehension,
        ast.Import: _Scanner.visit_Import,
        ast.ImportFrom: _Scanner.visit_ImportFrom,
        ast.Global: _Scanner.visit_Global,
        ast.Nonlocal: _Scanner.visit_Nonlocal,
        ast.Assign: _Scanner.visit_Assign,
        ast.AnnAssign: _Scanner.visit_AnnAssign,
        ast.AugAssign: _Scanner.visit_AugAssign,
        ast.Delete: _Scanner.visit_Delete,
        ast.For: _Scanner.visit_For,
        ast.AsyncFor: _Scanner.visit_For,
        ast.While: _Scanner.visit_While,
        ast.With: _Scanner.visit_With,
        ast.AsyncWith: _Scanner.visit_With,
        ast.ExceptHandler: _Scanner.visit_ExceptHandler,
        ast.Return: _Scanner.visit_Return,
        ast.Yield: _Scanner.visit_Return,
        ast.YieldFrom: _Scanner.visit_Return,
        ast.Call: _Scanner.visit_Call,
        ast.NamedExpr: _Scanner.visit_NamedExpr,
        ast.Name: _Scanner.visit_Name,
    }
    for leaf in (ast.Constant, ast.Load, ast.Store, ast.Del):
        handlers[leaf] = _Scanner.skip
    for pattern in ("MatchAs", "MatchStar", "MatchMapping"):  # Python 3.10+
        if hasattr(ast, pattern):
            handlers[getattr(ast, pattern)] = _Scanner.visit_pattern_name
    return handlers


_HANDLERS = _build_handlers()


# -- the merged index ---------------------------------------------------------------------------


# A question a rule asked the index, as a cache entry records it: the method's
# name, its arguments and its answer in JSON's terms (see :func:`plain`).
Question = Tuple[str, List[Any], Dict[str, Any], Any]
_Method = TypeVar("_Method", bound=Callable[..., Any])
QUESTIONS: Set[str] = set()  # the names of the methods rules ask (recorded, and replayed by name)


def question(method: _Method) -> _Method:
    """Mark a :class:`ProjectIndex` method as a question: while the index
    records (:meth:`ProjectIndex.recording`), each call that is not made by
    another question is kept with its answer. A file's findings depend on
    exactly these answers, so its cached findings stay valid while they do."""
    QUESTIONS.add(method.__name__)

    @functools.wraps(method)
    def asked(self: "ProjectIndex", *args: Any, **kwargs: Any) -> Any:
        if self._asked is None or self._inside:
            return method(self, *args, **kwargs)
        self._inside = True
        try:
            answer = method(self, *args, **kwargs)
        finally:
            self._inside = False
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        self._asked[key] = (method.__name__, list(args), dict(kwargs), plain(answer))  # the latest answer
        return answer

    return cast(_Method, asked)


def plain(answer: Any) -> Any:
    """An answer as JSON holds it (sets sorted, tuples and named tuples as
    lists), so that a recorded answer and a new one compare equal exactly
    when they are the same."""
    if isinstance(answer, (set, frozenset)):
        return sorted(plain(item) for item in answer)
    if isinstance(answer, (tuple, list)):
        return [plain(item) for item in answer]
    return answer


class ProjectIndex:
    """The summaries of a project's modules, merged, and the questions rules
    ask about them. Every answer is exact for the code the index covers;
    ``None`` means "unknown": a module it does not cover (outside the
    project, unparsable), a name it cannot resolve, a fact it cannot decide.
    Questions about the whole project (who assigns, constructs, subclasses,
    removes) need every file: an index that is not ``complete`` (built from
    a partial cache) answers them with None."""

    def __init__(self, summaries: Iterable[ModuleSummary], aliases: Optional[Mapping[str, str]] = None,
                 complete: bool = True) -> None:
        self.complete = complete
        self.modules: Dict[str, ModuleSummary] = {}  # parsed modules by name
        self.failed: Dict[str, str] = {}  # module -> why it has no facts
        for summary in summaries:
            if summary.error is None:
                self.modules[summary.module] = summary
            else:
                self.failed[summary.module] = summary.error
        self._aliases = dict(aliases or {})
        self._module_names = {name: name for name in self.modules}  # a name or alias -> the module
        for alias, name in self._aliases.items():
            if name in self.modules:
                self._module_names.setdefault(alias, name)
        self._classes = {
            f"{module}.{qualname}": cls
            for module, summary in self.modules.items()
            for qualname, cls in summary.classes.items()
        }
        self._resolved: Dict[str, Optional[str]] = {}
        self._stores: Optional[Dict[str, Dict[str, Tuple[str, int]]]] = None
        self._constructions: Optional[Dict[str, Construction]] = None
        self._removals: Optional[Set[str]] = None
        self._subclasses: Optional[Dict[str, Set[str]]] = None
        self._asked: Optional[Dict[Tuple[Any, ...], Question]] = None  # while recording
        self._inside = False  # in a question: the questions it asks in turn are not recorded

    # -- what a lint asked ----------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[List[Question]]:
        """Record the questions asked inside the ``with`` block (each once,
        with its latest answer) into the list it gives, when it ends."""
        outer = self._asked
        self._asked = {}
        asked: List[Question] = []
        try:
            yield asked
        finally:
            asked.extend(self._asked.values())
            self._asked = outer

    def with_source(self, source: Union[str, bytes], module: ModuleName) -> "ProjectIndex":
        """The index with ``module``'s facts read from ``source``: what a fix
        round sees after changing its file (MEM101's fix adds ``__slots__``,
        which changes the class's layout). Itself when the facts are the same;
        a new index records into the same questions as this one."""
        summary = summarize(source, module.name, module.is_package)
        if self.modules.get(module.name) == summary:
            return self
        others = [known for name, known in self.modules.items() if name != module.name]
        failed = [ModuleSummary.failed(name, False, error) for name, error in self.failed.items() if name != module.name]
        index = ProjectIndex(others + failed + [summary], self._aliases, self.complete)
        index._asked = self._asked
        return index

    def answers_hold(self, questions: Iterable[Any]) -> bool:
        """Whether this index answers every recorded question as recorded
        (anything that is not a recorded question of a known method: no)."""
        for item in questions:
            try:
                name, args, kwargs, answer = item
                if name not in QUESTIONS or plain(getattr(self, name)(*args, **kwargs)) != answer:
                    return False
            except (TypeError, ValueError, AttributeError):  # not what recording wrote
                return False
        return True

    # -- names ------------------------------------------------------------------------------

    @question
    def covers(self, module: str) -> bool:
        """Whether the index has the facts of ``module`` (a name or an alias)."""
        return module in self._module_names

    @question
    def resolve(self, dotted: str) -> Optional[str]:
        """The canonical name of what ``dotted`` names in the project: through
        module aliases and re-exports (``pkg.Message`` -> ``pkg.msg.Message``);
        None outside the project."""
        if dotted not in self._resolved:
            self._resolved[dotted] = self._resolve(dotted)
        return self._resolved[dotted]

    def _resolve(self, dotted: str) -> Optional[str]:
        for _ in range(_MAX_HOPS):
            located = self._locate(dotted)
            if located is None:
                return None
            module, rest = located
            if not rest:
                return module
            target = self.modules[module].exports.get(rest[0])
            if target is None:
                return ".".join([module] + rest)
            dotted = ".".join([target] + rest[1:])
        return None

    def _locate(self, dotted: str) -> Optional[Tuple[str, List[str]]]:
        """(module, the rest of the name) for the longest module prefix of ``dotted``."""
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            module = self._module_names.get(".".join(parts[:end]))
            if module is not None:
                return module, parts[end:]
        return None

    def _class_key(self, qualname: str) -> Optional[str]:
        key = self.resolve(qualname)
        return key if key in self._classes else None

    def _project_wide_key(self, qualname: str) -> Optional[str]:
        """The class a project-wide question is about, when the index can answer one."""
        return self._class_key(qualname) if self.complete else None

    @question
    def class_summary(self, qualname: str) -> Optional[ClassSummary]:
        key = self._class_key(qualname)
        return None if key is None else self._classes[key]

    # -- classes ----------------------------------------------------------------------------

    @question
    def attributes_assigned_outside(self, class_qualname: str) -> Optional[FrozenSet[str]]:
        """Attributes the project assigns on instances of the class through a
        receiver other than the instance parameter of its methods (``msg.seqno
        = n`` where ``msg = Message()``, a factory's result, ``copy.copy`` of
        one, or annotated ``Message``); ``"*"`` for a ``setattr`` with a
        computed name. Receivers the index cannot type are not counted."""
        key = self._project_wide_key(class_qualname)
        return None if key is None else frozenset(self._store_map().get(key, ()))

    @question
    def where_assigned(self, class_qualname: str, attribute: str) -> Optional[Tuple[str, int]]:
        """(module, line) of the first such assignment in the first module that makes one."""
        key = self._project_wide_key(class_qualname)
        return None if key is None else self._store_map().get(key, {}).get(attribute)

    def _store_map(self) -> Dict[str, Dict[str, Tuple[str, int]]]:
        if self._stores is None:
            stores: Dict[str, Dict[str, Tuple[str, int]]] = {}
            for module, summary in sorted(self.modules.items()):
                for receiver, attributes in summary.stores.items():
                    for key in self._instance_classes(receiver, frozenset()):
                        known = stores.setdefault(key, {})
                        for attribute, line in attributes.items():
                            known.setdefault(attribute, (module, line))
            self._stores = stores
        return self._stores

    def _instance_classes(self, name: str, seen: FrozenSet[str]) -> Set[str]:
        """The project classes whose instances ``name`` stands for in a summary:
        the class itself, or the classes a factory function returns."""
        key = self._class_key(name)
        if key is not None:
            return {key}
        resolved = self.resolve(name)
        if resolved is None or resolved in seen or len(seen) > _MAX_HOPS:
            return set()
        located = self._locate(resolved)
        if located is None:
            return set()
        module, rest = located
        found: Set[str] = set()
        for returned in self.modules[module].factories.get(".".join(rest), ()):
            found |= self._instance_classes(returned, seen | {resolved})
        return found

    @question
    def constructions(self, class_qualname: str) -> Optional[Construction]:
        """The call sites of the class in the project (``cls(...)`` in its class methods included)."""
        key = self._project_wide_key(class_qualname)
        if key is None:
            return None
        if self._constructions is None:
            totals: Dict[str, List[int]] = {}
            for summary in self.modules.values():
                for callee, counts in summary.constructions.items():
                    callee_key = self._class_key(callee)
                    if callee_key is not None:
                        known = totals.setdefault(callee_key, [0, 0, 0, 0])
                        for index, count in enumerate(counts):
                            known[index] += count
            self._constructions = {name: Construction(*counts) for name, counts in totals.items()}
        return self._constructions.get(key, Construction(0, 0, 0, 0))

    @question
    def construction_evidence(self, class_qualname: str) -> Optional[Tuple[bool, int]]:
        """(whether some construction repeats: in a loop, a comprehension or
        into a container; how many construction sites there are)."""
        counts = self.constructions(class_qualname)
        if counts is None:
            return None
        return bool(counts.in_loop or counts.in_comprehension or counts.in_container), counts.sites

    @question
    def subclasses(self, class_qualname: str) -> Optional[FrozenSet[str]]:
        """The project's classes that name it as a direct base."""
        key = self._project_wide_key(class_qualname)
        if key is None:
            return None
        if self._subclasses is None:
            found: Dict[str, Set[str]] = {}
            for name, summary in self._classes.items():
                for base in summary.bases:
                    base_key = self._class_key(base) if base else None
                    if base_key is not None:
                        found.setdefault(base_key, set()).add(name)
            self._subclasses = found
        return frozenset(self._subclasses.get(key, ()))

    @question
    def weakly_referenceable(self, class_qualname: str) -> Optional[bool]:
        """Whether ``weakref.ref`` accepts instances of the class: no when it
        derives from ``int``/``bytes``/``tuple`` (``IntEnum``, ``NamedTuple``,
        ...) or its ``__slots__`` (and every base's) leave out ``__weakref__``."""
        key = self._class_key(class_qualname)
        layout = None if key is None else self._layout(key, frozenset())
        return None if layout is None else layout == "weakref"

    def _layout(self, name: str, seen: FrozenSet[str]) -> Optional[str]:
        """The layout of a project class in :data:`EXTERNAL_LAYOUTS`' terms, or an outside class's."""
        cls = self._classes.get(name)
        if cls is None:
            return external_layout(name)
        if cls.opaque_layout or name in seen:
            return None
        layouts = [self._layout(self._base_key(base), seen | {name}) for base in cls.bases] or ["plain"]
        if "never" in layouts:  # a variable-size layout gets no __weakref__, whatever a mixin has
            return "never"
        if "weakref" in layouts:
            return "weakref"
        if None in layouts:
            return None
        if cls.slots is None:  # CPython adds __weakref__ (and __dict__)
            return "weakref"
        return "weakref" if "__weakref__" in cls.slots else "plain"

    def _base_key(self, base: str) -> str:
        """A base as the index knows it: a project class, else its dotted name ("" unknown)."""
        return (self._class_key(base) or base) if base else ""

    # -- functions and containers -------------------------------------------------------------

    @question
    def function_summary(self, function_qualname: str) -> Optional[FunctionSummary]:
        resolved = self.resolve(function_qualname)
        located = None if resolved is None else self._locate(resolved)
        if located is None:
            return None
        module, rest = located
        return self.modules[module].functions.get(".".join(rest))

    @question
    def parameter_fate(self, function_qualname: str, parameter: Union[int, str],
                       bound: bool = False) -> Optional[ParameterFate]:
        """What the function does with a parameter, by name or by position
        (``bound``: the position of an argument of a bound method call, after
        ``self``). None when the function is unknown (outside the index,
        defined more than once), the position falls on ``*args``, or the body
        rebinds the parameter."""
        function = self.function_summary(function_qualname)
        if function is None:
            return None
        if isinstance(parameter, int):
            position = parameter + (1 if bound else 0)
            if not 0 <= position < function.positional:
                return None
            parameter = function.params[position]
        return function.fate(parameter)

    @question
    def removes_from(self, module: str, container: str) -> Optional[bool]:
        """Whether some module of the project removes from ``module.container``
        (``pop``, ``del c[k]``, ``clear``, ``remove``, ``discard``,
        ``popitem``, or rebinds it in a function)."""
        if not self.covers(module) or not self.complete:
            return None
        if self._removals is None:
            found = set()
            for summary in self.modules.values():
                for name in summary.removals:
                    resolved = self.resolve(name)
                    if resolved is not None:
                        found.add(resolved)
            self._removals = found
        return self.resolve(f"{module}.{container}") in self._removals


# -- building -------------------------------------------------------------------------------------


def index_key(data: bytes, name: ModuleName, fingerprint: str) -> str:
    """A summary's cache key: its content, its module name (relative imports
    resolve against it), the summary format, memlint's code (the cache's
    fingerprint) and the Python version (``ast`` parses what it runs)."""
    digest = hashlib.sha256(
        f"{INDEX_FORMAT}\0{fingerprint}\0{sys.version_info[0]}.{sys.version_info[1]}\0"
        f"{name.name}\0{name.is_package}\0".encode("utf-8", "surrogateescape")
    )
    digest.update(data)
    return digest.hexdigest()


def summarize_file(path: str, name: ModuleName, cache: Optional[Cache] = None,
                   cached_only: bool = False) -> Optional[ModuleSummary]:
    """One file's summary (see :func:`cached_summarize`); safe to run in a worker."""
    try:
        # Without blocking: a FIFO in the project's tree must not hang the run.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return ModuleSummary.failed(name.name, name.is_package, "not a regular file")
            data = handle.read()
    except OSError as exc:
        return ModuleSummary.failed(name.name, name.is_package, f"cannot read: {exc.strerror or exc}")
    return cached_summarize(data, name, cache, cached_only)


def cached_summarize(data: bytes, name: ModuleName, cache: Optional[Cache] = None,
                     cached_only: bool = False) -> Optional[ModuleSummary]:
    """The summary of a file's bytes (a file already read, or stdin): from
    the cache when it holds a valid one, else computed and stored. With
    ``cached_only``, None instead of computing."""
    key = None if cache is None else index_key(data, name, cache.fingerprint)
    if cache is not None and key is not None:
        stored = ModuleSummary.from_json(load_entry(cache, INDEX_KIND, key))
        if stored is not None and stored.module == name.name and stored.is_package == name.is_package:
            return stored
    if cached_only:
        return None
    summary = summarize(data, name.name, name.is_package)
    if cache is not None and key is not None:
        store_entry(cache, INDEX_KIND, key, summary.to_json())
    return summary


def build_index(files: Sequence[str], root: str, cache: Optional[Cache] = None,
                cached_only: bool = False) -> ProjectIndex:
    """The index of ``files`` (the project's Python files; stubs are skipped)
    under ``root`` (see :func:`project_root`). Each file is summarised by
    :func:`summarize_file`, which a process pool can run per file; the merge
    is :class:`ProjectIndex`. ``cached_only`` is for front ends that see one
    file at a time (flake8, stdin): what the cache lacks is left out, and an
    index that lacks a file answers no question about the whole project."""
    names = module_names(files, root)
    return merged_index(names, [summarize_file(path, name, cache, cached_only) for path, name in sorted(names.items())])


def merged_index(names: Mapping[str, ModuleName], found: Sequence[Optional[ModuleSummary]],
                 complete: bool = True) -> ProjectIndex:
    """The index of the files ``names`` maps to their modules, from their
    summaries (None for one not at hand: then the index is not complete)."""
    summaries = [summary for summary in found if summary is not None]
    aliases = {name.alias: name.name for name in names.values() if name.alias is not None}
    return ProjectIndex(summaries, aliases, complete=complete and len(summaries) == len(found))
