"""What a rule can ask about the code around the node it is visiting.

The engine feeds every node of the single batched walk through
:meth:`Context.push` / :meth:`Context.pop`, so the context always holds the
path from the module down to the current node. Everything else (enclosing
class or function, loops, ``finally`` blocks, import aliases, scope facts) is
derived from that path or computed lazily on first use and cached per file.
"""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Type, TypeVar

import libcst as cst

from memlint.analysis import Collector, Fact, WalkFact
from memlint.analysis.imports import import_bindings
from memlint.analysis.names import callee, dotted_name, target_names
from memlint.analysis.scopes import SCOPE_TYPES, ScopeInfo, ScopeNode
from memlint.nodes import children

if TYPE_CHECKING:
    from memlint.analysis.project import Project

N = TypeVar("N", bound=cst.CSTNode)
T = TypeVar("T")

_BUILTIN_NAMES = frozenset(dir(builtins))
_LOOP_TYPES = (cst.For, cst.While)
_COMPREHENSION_TYPES = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_FUNCTION_TYPES = (cst.FunctionDef, cst.Lambda)
_TEST_DIRS = frozenset({"test", "tests", "testing"})
# The ancestors the path questions below are about. The context keeps their
# positions on the path, so that a question costs the number of these around
# the node, not the depth of the path: an ``elif`` chain or a long ``a + b +
# ...`` nests as deep as it is long, and asking about the whole path at every
# node of it would be quadratic. Exact types: libcst never subclasses them,
# and a set lookup is much cheaper than isinstance on libcst's ABCs.
_NESTED_SCOPE_TYPES = frozenset((cst.FunctionDef, cst.Lambda, cst.ClassDef))
_MARKED_TYPES = frozenset((*SCOPE_TYPES, *_LOOP_TYPES, *_COMPREHENSION_TYPES, cst.CompFor, cst.With))


class ModuleSymbols:
    """Names bound at module level, from a scan of top-level statements only
    (including those nested in top-level ``if``/``try``/``with``/loops)."""

    def __init__(self, module: cst.Module) -> None:
        self.imports: Dict[str, str] = {}  # local name -> qualified name
        self.defined: Set[str] = set()  # names bound by def/class/assignment
        self.classes: Dict[str, cst.ClassDef] = {}
        self.functions: Dict[str, cst.FunctionDef] = {}
        self.nested_imports: Set[str] = set()  # local names imported inside defs/classes
        self._scan(module.body)
        self._scan_nested(module.body, top_level=True)

    def spelling(self, qualified: str, plain: str) -> Optional[str]:
        """How new code in this module can name ``qualified`` (``weakref``,
        ``functools.lru_cache``): the local name it is imported as, else
        ``plain`` when nothing in the module binds that name (the fix then
        imports it), else None (no safe spelling: withhold the fix)."""
        for local, imported in self.imports.items():
            if imported == qualified:
                return local
        if plain in self.defined or plain in self.imports or plain in self.nested_imports:
            return None
        return plain

    def _scan(self, body: Any) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._scan_small(small)
            elif isinstance(statement, cst.ClassDef):
                self.classes[statement.name.value] = statement
                self.defined.add(statement.name.value)
            elif isinstance(statement, cst.FunctionDef):
                self.functions[statement.name.value] = statement
                self.defined.add(statement.name.value)
            else:
                self._scan_blocks(statement)

    def _scan_nested(self, body: Any, top_level: bool) -> None:
        """Imports anywhere below top level; statements only, no expressions."""
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                if not top_level:
                    for small in statement.body:
                        if isinstance(small, (cst.Import, cst.ImportFrom)):
                            self.nested_imports.update(local for local, _, _ in import_bindings(small))
                continue
            nested = not top_level or isinstance(statement, (cst.FunctionDef, cst.ClassDef))
            for child in children(statement):
                if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                    self._scan_nested(child.body, top_level=not nested)
                elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.If)):
                    self._scan_nested([child], top_level=not nested)

    def _scan_blocks(self, statement: cst.CSTNode) -> None:
        for child in children(statement):
            if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                self._scan(child.body)
            elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.If)):
                self._scan_blocks(child)

    def _scan_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            for local, qualified, _ in import_bindings(small):
                self.imports[local] = qualified
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                self.defined.update(n.value for n in target_names(target.target))
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)) and small.value is not None:
            self.defined.update(n.value for n in target_names(small.target))


class Context:
    """Per-file state shared by all rules of one walk."""

    def __init__(self, module: cst.Module, filename: str, settings: Any, project: Optional[Project] = None) -> None:
        self.module = module
        self.filename = filename
        self.settings = settings
        self.project = project  # the project index and this file's module; None: unknown
        self.ancestors: List[cst.CSTNode] = []  # module ... current node
        self._marks: List[int] = []  # positions in ancestors of the _MARKED_TYPES nodes
        self._symbols: Optional[ModuleSymbols] = None
        self._scopes: Dict[cst.CSTNode, ScopeInfo] = {}
        self._facts: Dict[Fact[Any], Any] = {}
        self._fed: Set[WalkFact[Any]] = set()  # walk-fed facts the engine is feeding

    # -- fed by the engine ----------------------------------------------------

    def push(self, node: cst.CSTNode) -> None:
        if type(node) in _MARKED_TYPES:
            self._marks.append(len(self.ancestors))
        self.ancestors.append(node)

    def pop(self, node: cst.CSTNode) -> None:
        self.ancestors.pop()
        if self._marks and self._marks[-1] == len(self.ancestors):
            self._marks.pop()

    # -- settings -------------------------------------------------------------

    @property
    def target_version(self) -> Tuple[int, int]:
        version: Tuple[int, int] = self.settings.target_version
        return version

    @property
    def is_test_file(self) -> bool:
        """Test modules by pytest/unittest conventions, or under a tests/ folder."""
        parts = self.filename.replace("\\", "/").split("/")
        base = parts[-1]
        return (
            base.startswith("test_")
            or base.endswith("_test.py")
            or base == "conftest.py"
            or any(part in _TEST_DIRS for part in parts[:-1])
        )

    def fact(self, key: Fact[T]) -> T:
        """The value of a shared analysis for this file, computed once."""
        try:
            return self._facts[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if isinstance(key, WalkFact) and key not in self._fed:
            raise LookupError(f"{key.name} is fed by the engine's walk: list it in the rule's `requires`")
        value = self._facts[key] = key.compute(self)
        return value

    def start_collectors(self, keys: Iterable[WalkFact[Any]]) -> List[Collector]:
        """Create the walk-fed analyses (called by the engine before its walk)."""
        collectors: List[Collector] = []
        for key in keys:
            if key not in self._fed:
                self._fed.add(key)
                collectors.append(self.fact(key))
        return collectors

    # -- the path to the current node -----------------------------------------

    @property
    def node(self) -> cst.CSTNode:
        return self.ancestors[-1]

    @property
    def parent(self) -> Optional[cst.CSTNode]:
        """The parent of the node being visited."""
        return self.ancestors[-2] if len(self.ancestors) > 1 else None

    def _marked_ancestors(self) -> Iterator[int]:
        """Positions of the marked proper ancestors of the current node, innermost first."""
        current = len(self.ancestors) - 1
        return (index for index in reversed(self._marks) if index != current)

    def _candidates(self, types: Tuple[Type[cst.CSTNode], ...]) -> Iterable[cst.CSTNode]:
        """The proper ancestors of the current node that may be of ``types``,
        innermost first: only the marked ones when all ``types`` are marked."""
        if all(t in _MARKED_TYPES for t in types):
            return (self.ancestors[i] for i in self._marked_ancestors())
        return reversed(self.ancestors[:-1])

    def enclosing(self, *types: Type[cst.CSTNode]) -> Optional[cst.CSTNode]:
        """The innermost proper ancestor of the current node of one of ``types``."""
        return next((node for node in self._candidates(types) if isinstance(node, types)), None)

    def all_enclosing(self, *types: Type[N]) -> List[N]:
        """Every proper ancestor of the current node of one of ``types``, innermost first."""
        return [node for node in self._candidates(types) if isinstance(node, types)]

    def enclosing_function(self) -> Optional[cst.FunctionDef]:
        """The innermost ``def`` around the current node (lambdas are skipped)."""
        return self.enclosing(cst.FunctionDef)  # type: ignore[return-value]

    def enclosing_method_class(self) -> Optional[Tuple[cst.ClassDef, cst.FunctionDef]]:
        """(class, method) when the current node is inside a method defined
        directly in a class body (not in a nested function)."""
        scopes = [self.ancestors[i] for i in self._marked_ancestors() if type(self.ancestors[i]) in SCOPE_TYPES]
        function = next((i for i, scope in enumerate(scopes) if isinstance(scope, cst.FunctionDef)), None)
        if function is None or function + 1 == len(scopes):
            return None
        owner = scopes[function + 1]
        return (owner, scopes[function]) if isinstance(owner, cst.ClassDef) else None  # type: ignore[return-value]

    def scope_around(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The innermost def, lambda, class or module around ``node``, an
        ancestor of the node being visited (None for the module itself)."""
        index = next(i for i in range(len(self.ancestors) - 1, -1, -1) if self.ancestors[i] is node)
        for mark in reversed(self._marks):
            if mark < index and isinstance(self.ancestors[mark], SCOPE_TYPES):
                return self.ancestors[mark]
        return None

    def enclosing_loop(self) -> Optional[cst.CSTNode]:
        """The loop that repeats the current node, within the current scope: a
        ``for``/``while`` body, or the parts of a comprehension evaluated per
        item (everything but the outermost iterable)."""
        path = self.ancestors
        for index in self._marked_ancestors():
            ancestor, child = path[index], path[index + 1]
            if isinstance(ancestor, _LOOP_TYPES) and child is ancestor.body:
                return ancestor
            if isinstance(ancestor, _COMPREHENSION_TYPES) and child is not ancestor.for_in:
                return ancestor
            if isinstance(ancestor, cst.CompFor):
                outermost = not isinstance(path[index - 1], cst.CompFor)
                if child is not ancestor.iter or not outermost:
                    return ancestor
            if isinstance(ancestor, SCOPE_TYPES):
                return None
        return None

    # -- names ------------------------------------------------------------------

    @property
    def symbols(self) -> ModuleSymbols:
        if self._symbols is None:
            self._symbols = ModuleSymbols(self.module)
        return self._symbols

    def scope_info(self, node: ScopeNode) -> ScopeInfo:
        """Bindings, reads and parents of a function, lambda, class or module (cached)."""
        info = self._scopes.get(node)
        if info is None:
            info = self._scopes[node] = ScopeInfo(node)
        return info

    def enclosing_scopes(self) -> List[cst.CSTNode]:
        """Function/lambda/class scopes around the current node, innermost first."""
        path = self.ancestors
        return [path[i] for i in self._marked_ancestors() if type(path[i]) in _NESTED_SCOPE_TYPES]

    def resolve_name(self, name: str) -> Optional[str]:
        """What a bare name refers to at the current node: an imported name's
        qualified name, ``builtins.X`` for an unshadowed builtin, else None
        (a local variable, a parameter, or something the module defines)."""
        innermost = True
        for scope in self.enclosing_scopes():
            if isinstance(scope, cst.ClassDef) and not innermost:
                continue  # class bodies are not visible from their methods
            innermost = False
            info = self.scope_info(scope)  # type: ignore[arg-type]
            if name in info.global_names:
                break
            if info.binds(name):
                return _imported_only(info, name)
        symbols = self.symbols
        if name in symbols.defined:
            return None
        if name in symbols.imports:
            return symbols.imports[name]
        if name in _BUILTIN_NAMES:
            return f"builtins.{name}"
        return None

    def qualified_name(self, node: cst.CSTNode) -> Optional[str]:
        """The qualified name a Name/Attribute chain refers to, through the
        module's imports: ``ft.lru_cache`` -> ``functools.lru_cache``; a Call
        resolves its function. None when unknown or locally defined."""
        dotted = dotted_name(callee(node))
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        symbols = self.symbols
        if head not in symbols.imports and head not in symbols.nested_imports and head not in _BUILTIN_NAMES:
            return None  # cheap exit: cannot refer to anything outside the module
        resolved = self.resolve_name(head)
        if resolved is None:
            return None
        if resolved.startswith("builtins.") and rest:
            return None if head not in _BUILTIN_NAMES else f"{resolved}.{rest}"
        return f"{resolved}.{rest}" if rest else resolved

    def matches(self, node: cst.CSTNode, *qualified_names: str) -> bool:
        """True when ``node`` (a name, attribute, call or decorator) refers to one of ``qualified_names``."""
        return self._could_match(node, qualified_names) and self.qualified_name(node) in qualified_names

    def _could_match(self, node: cst.CSTNode, qualified_names: Sequence[str]) -> bool:
        """A syntactic precheck that never rejects a node :meth:`qualified_name`
        would resolve to one of ``qualified_names``, so most calls skip name
        resolution (which computes scope information). Resolution replaces only
        the head of ``a.b.c``: with an attribute, the last part is kept; a bare
        name is an import or a builtin."""
        dotted = dotted_name(callee(node))
        if dotted is None:
            return False
        head, _, rest = dotted.partition(".")
        if rest:
            last = dotted.rpartition(".")[2]
            return any(name.rpartition(".")[2] == last for name in qualified_names)
        symbols = self.symbols
        return (
            head in symbols.nested_imports
            or symbols.imports.get(head) in qualified_names
            or f"builtins.{head}" in qualified_names
        )


def _imported_only(info: ScopeInfo, name: str) -> Optional[str]:
    """A local name refers to an import only if every binding of it is that import."""
    bindings = [b for b in info.bindings_of(name) if b.kind != "del"]
    if bindings and all(b.kind == "import" for b in bindings):
        return bindings[-1].qualified_name
    return None

