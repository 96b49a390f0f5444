"""Module-level flow facts shared by the growth and lifetime rules (MEM303, MEM406).

Read it as ``context.fact(MODULE_CONTAINERS)`` from a rule that lists
``MODULE_CONTAINERS`` in ``requires``. The definitions come from a scan of the
top-level statements and class bodies; the uses are collected from the
engine's single walk (its Names and Attributes) and resolved in
``leave_Module``, and only when the module defines a container at module level
or in a class body:

- which module-level names and class attributes hold a container (a dict, list
  or set literal, ``dict()``/``list()``/``set()``, ``defaultdict``,
  ``OrderedDict``, ``Counter``, ``deque``), and which hold a bounded or weak one
  (``deque(maxlen=...)``, ``WeakSet``, ``WeakValueDictionary``,
  ``WeakKeyDictionary``), which are never reported;
- every place a function writes into each container (``c[k] = v``, ``append``,
  ``add``, ``setdefault``, ``update``, ``extend``, ``insert``, writes into its
  values such as ``c[k].append(v)``), with what is stored;
- whether anything anywhere in the module removes from it (``pop``, ``del``,
  ``clear``, ``popitem``, ``remove``, ``discard``, ``-=``, a reassignment inside
  a function) or lets another name hold it (an alias could remove from it);
- whether a write runs only at import time: in a registration decorator
  (a function that stores its parameter and returns it), in a function that the
  module only calls or applies at import time, in a function named for
  registering (``register_codec``), or in ``__init_subclass__``.
"""
from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

import libcst as cst

from memlint.analysis import Collector, WalkFact
from memlint.analysis.blocks import blocks, small_statements
from memlint.analysis.functions import FunctionKind, FunctionSite, function_site, positional_params
from memlint.analysis.names import dotted_name, target_names
from memlint.analysis.scopes import SCOPE_TYPES, Binding, ScopeInfo, names_variable
from memlint.context import Context
from memlint.nodes import children

GROW_METHODS = frozenset(
    {"append", "add", "setdefault", "update", "extend", "insert", "appendleft", "extendleft", "__setitem__"}
)
REMOVE_METHODS = frozenset(
    {"pop", "popitem", "clear", "remove", "discard", "popleft", "__delitem__",
     "difference_update", "intersection_update", "symmetric_difference_update"}
)
_GROW_AUGMENTED = (cst.AddAssign, cst.BitOrAssign)
_CONTAINER_CALLS = {
    "builtins.dict": "dict",
    "builtins.list": "list",
    "builtins.set": "set",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
    "collections.deque": "deque",
}
_WEAK_CALLS = frozenset({"weakref.WeakSet", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary"})
_LITERALS = {cst.Dict: "dict", cst.DictComp: "dict", cst.List: "list", cst.ListComp: "list",
             cst.Set: "set", cst.SetComp: "set"}
_FUNCTIONS = (cst.FunctionDef, cst.Lambda)
_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
_BUILTIN_NAMES = frozenset(dir(builtins))


class Effect(enum.Enum):
    """What one reference does to the container it names."""

    NONE = "none"  # a read, or a write that cannot change its size (`lst[i] = x`)
    GROW = "grow"  # inserts into it
    REMOVE = "remove"  # removes from it, empties or replaces its contents
    ALIAS = "alias"  # another name now holds it: it may be emptied there


class Use(NamedTuple):
    """A reference classified by :func:`classify`; for a write, what it stores."""

    effect: Effect
    stored: Sequence[cst.BaseExpression] = ()  # what is appended, the value of `c[k] = v`
    method: Optional[cst.Name] = None  # the `append` of `c.append(x)`, None for other shapes
    into_values: bool = False  # a write into a value (`c[k].append(x)`), not into the container itself


_NO_EFFECT = Use(Effect.NONE)
_REMOVES = Use(Effect.REMOVE)
_ALIASES = Use(Effect.ALIAS)


@dataclass
class Write:
    """A function inserting into a container."""

    statement: cst.CSTNode  # the statement to report
    stored: Sequence[cst.BaseExpression]  # the values put in (what is appended, the value of `c[k] = v`)
    method: Optional[cst.Name]  # the `append` of `c.append(x)`, None for other shapes
    into_values: bool  # a write into a value (`c[k].append(x)`), not into the container itself
    functions: Tuple[cst.CSTNode, ...]  # the enclosing functions, outermost first
    at_import: bool = False  # runs only while the module is imported
    finite_keys: bool = False  # the keys come from a fixed set or from the callers' choice
    method_class: Optional[cst.ClassDef] = None  # when the innermost function is a method
    instance_names: FrozenSet[str] = frozenset()  # names of the instance in that method (`self`)
    key: Optional[cst.BaseExpression] = None  # the key written: `c[key] = v`, `c.add(key)`
    path: Tuple[cst.CSTNode, ...] = ()  # from the module down to the container's name

    @property
    def stores_instance(self) -> bool:
        """The method stores its own instance: `_all.append(self)`."""
        return any(isinstance(v, cst.Name) and v.value in self.instance_names for v in self.stored)


@dataclass
class Container:
    """A module-level name or a class attribute bound to a container."""

    name: str
    kind: str  # dict, list, set, defaultdict, OrderedDict, Counter, deque
    value: cst.BaseExpression  # the container expression of the definition
    owner: Optional[cst.ClassDef] = None  # the class of a class attribute
    definitions: int = 1
    writes: List[Write] = field(default_factory=list)
    removed: bool = False  # something in the module removes from it
    escapes: bool = False  # bound to another name or attribute: it may be emptied there
    uses: List[Tuple[cst.CSTNode, ...]] = field(default_factory=list)  # paths of the other references

    @property
    def label(self) -> str:
        return self.name if self.owner is None else f"{self.owner.name.value}.{self.name}"

    @property
    def ever_shrinks(self) -> bool:
        return self.removed or self.escapes


class ModuleFacts(Collector):
    """The containers of one module and how its functions use them."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.globals: Dict[str, Container] = {}
        self.class_attrs: Dict[Tuple[cst.ClassDef, str], Container] = {}
        self._classes: Dict[str, cst.ClassDef] = dict(context.symbols.classes)
        self._excluded: Set[str] = set()
        self._scan_definitions(context.module.body, owner=None)
        symbols = context.symbols
        self._excluded.update(symbols.imports, symbols.functions, symbols.classes)
        for name in self._excluded:
            self.globals.pop(name, None)
        self._class_attr_names = {name for _, name in self.class_attrs}
        self._shrunk_attrs: Set[str] = set()
        # Filled by one walk, used after it (a binding may follow a use):
        self._pending: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = []
        self._bound: Set[Tuple[cst.CSTNode, str]] = set()  # (scope, tracked name) bound there
        self._declared_global: Set[Tuple[cst.CSTNode, str]] = set()
        self._function_loads: Dict[str, List[Tuple[cst.CSTNode, ...]]] = {}  # module functions' uses
        self._needed = bool(self.globals or self.class_attrs)
        self._functions = symbols.functions

    def visit_Name(self, node: cst.Name) -> None:
        if self._needed:
            self._name(node, self.context.ancestors)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._needed and node.attr.value in self._class_attr_names:
            self._pending.append((node, tuple(self.context.ancestors)))

    def leave_Module(self, original_node: cst.Module) -> None:
        """Resolve what the walk saw (a binding may follow a use)."""
        for node, path in self._pending:
            if isinstance(node, cst.Name):
                self._global_reference(node, path)
            elif isinstance(node, cst.Attribute):
                self._attribute_reference(node, path)
        for container in self.class_attrs.values():
            container.removed = container.removed or container.name in self._shrunk_attrs
        # Keys are judged once every write is known: a constant is a module-level name nothing writes to.
        for container in [*self.globals.values(), *self.class_attrs.values()]:
            for write in container.writes:
                write.finite_keys = self._finite_keys(write, container)

    # -- definitions ------------------------------------------------------------

    def _scan_definitions(self, body: Sequence[cst.CSTNode], owner: Optional[cst.ClassDef]) -> None:
        """Top-level statements (through if/try/with blocks), and class bodies."""
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._definition(small, owner)
            elif isinstance(statement, cst.ClassDef) and owner is None:
                self._scan_definitions(statement.body.body, owner=statement)
            elif not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                for block in blocks(statement):
                    self._scan_definitions(block, owner)

    def _definition(self, small: cst.BaseSmallStatement, owner: Optional[cst.ClassDef]) -> None:
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
            value: Optional[cst.BaseExpression] = small.value
        elif isinstance(small, cst.AnnAssign):
            targets, value = [small.target], small.value
        else:
            return  # `__all__ += [...]` grows an existing binding while importing
        kind = container_kind(self.context, value) if len(targets) == 1 else None
        for target in targets:
            if isinstance(target, cst.Name) and target.value.startswith("__") and target.value.endswith("__"):
                continue  # `__all__`, `__path__`: module metadata, not data
            if isinstance(target, cst.Name) and kind is not None and value is not None:
                self._define(target.value, kind, value, owner)
            else:
                for name in (n.value for n in target_names(target)):
                    self._exclude(name, owner)

    def _define(self, name: str, kind: str, value: cst.BaseExpression, owner: Optional[cst.ClassDef]) -> None:
        known = self.globals.get(name) if owner is None else self.class_attrs.get((owner, name))
        if known is not None:
            known.definitions += 1
        elif owner is None:
            self.globals[name] = Container(name, kind, value)
        else:
            self.class_attrs[(owner, name)] = Container(name, kind, value, owner)

    def _exclude(self, name: str, owner: Optional[cst.ClassDef]) -> None:
        if owner is None:
            self._excluded.add(name)
        else:
            self.class_attrs.pop((owner, name), None)

    # -- references -----------------------------------------------------------

    def _name(self, node: cst.Name, path: Sequence[cst.CSTNode]) -> None:
        name = node.value
        if name in self._functions:
            if _is_variable(node, path[-2]):
                self._function_loads.setdefault(name, []).append(tuple(path))
            return
        if name not in self.globals:
            return
        parent = path[-2]
        if _is_variable(node, parent):
            self._pending.append((node, tuple(path)))
            if _binds(path):
                self._bound.add((_scope(path, 1), name))
        elif isinstance(parent, cst.NameItem):
            table = self._declared_global if isinstance(path[-3], cst.Global) else self._bound
            table.add((_scope(path, 1), name))
        elif isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
            self._bound.add((_scope(path, 2), name))
        else:  # a parameter, an import
            self._bound.add((_scope(path, 1), name))

    def _global_reference(self, name: cst.Name, path: Sequence[cst.CSTNode]) -> None:
        if not self._refers_to_module(name.value, path):
            return
        container = self.globals[name.value]
        if _rebinds(path) is not None:
            if _in_function(path):
                container.removed = True  # a function resets it
            return
        self._record(container, path)

    def _attribute_reference(self, node: cst.Attribute, path: Sequence[cst.CSTNode]) -> None:
        name = node.attr.value
        use = classify(path)
        if use.effect is Effect.REMOVE or (_rebinds(path) is not None and _in_function(path)):
            self._shrunk_attrs.add(name)
            return
        container = self._owning_container(node, path)
        if container is not None:
            self._record(container, path)

    def _record(self, container: Container, path: Sequence[cst.CSTNode]) -> None:
        use = classify(path, container.kind)
        if use.effect is Effect.REMOVE:
            container.removed = True
        elif use.effect is Effect.ALIAS:
            container.escapes = True
        elif use.effect is Effect.GROW:
            functions = tuple(n for n in path if isinstance(n, _FUNCTIONS))
            if not functions:
                return  # filled while the module is imported
            write = Write(statement_of(path), use.stored, use.method, use.into_values, functions,
                          key=_key_of(path), path=tuple(path))
            write.at_import = self._runs_at_import(write)
            self._describe_method(write, path)
            container.writes.append(write)
        else:
            container.uses.append(tuple(path))

    def _refers_to_module(self, name: str, path: Sequence[cst.CSTNode]) -> bool:
        """Whether a Name at the end of ``path`` reads the module-level binding."""
        innermost = True
        for node in reversed(path[:-1]):
            if isinstance(node, cst.ClassDef):
                if innermost and self._binds_locally(node, name):
                    return False
            elif isinstance(node, _FUNCTIONS):
                if self._declares_global(node, name):
                    return True
                if self._binds_locally(node, name):
                    return False
            else:
                continue
            innermost = False
        return True

    def _binds_locally(self, scope: cst.CSTNode, name: str) -> bool:
        if name in self.globals:  # tracked names: from the walk, no scope analysis
            return (scope, name) in self._bound
        info = self.context.scope_info(scope)  # type: ignore[arg-type]
        return info.binds(name) or name in info.nonlocal_names

    def _declares_global(self, scope: cst.CSTNode, name: str) -> bool:
        if name in self.globals:
            return (scope, name) in self._declared_global
        return name in self.context.scope_info(scope).global_names  # type: ignore[arg-type]

    def _owning_container(self, node: cst.Attribute, path: Sequence[cst.CSTNode]) -> Optional[Container]:
        """The class-level container that ``X.attr`` names: ``Cls.attr`` for a
        class of the module, or ``self.attr``/``cls.attr``/``type(self).attr``/
        ``self.__class__.attr`` inside a method of the class (or a subclass)."""
        base = node.value
        owner: Optional[cst.ClassDef] = None
        if isinstance(base, cst.Name) and base.value in self._classes:
            owner = self._classes[base.value]
        else:
            method = self._method(path)
            if method is not None and _is_instance_or_class(base, method):
                owner = method.owner
        if owner is None:
            return None
        return self._class_attr(owner, node.attr.value, set())

    def _class_attr(self, owner: cst.ClassDef, name: str, seen: Set[str]) -> Optional[Container]:
        found = self.class_attrs.get((owner, name))
        if found is not None or owner.name.value in seen:
            return found
        seen.add(owner.name.value)
        for base in owner.bases:
            if isinstance(base.value, cst.Name) and base.value.value in self._classes:
                found = self._class_attr(self._classes[base.value.value], name, seen)
                if found is not None:
                    return found
        return None

    # -- import-time writes -------------------------------------------------------

    def _describe_method(self, write: Write, path: Sequence[cst.CSTNode]) -> None:
        """Which class the write's function is a method of, and what names the instance there."""
        function = write.functions[-1]
        if not isinstance(function, cst.FunctionDef):
            return
        site = self._site(function, path)
        if site.owner is None:
            return
        write.method_class = site.owner
        info = self.context.scope_info(function)
        # A name holds the instance only if nothing rebinds it (``self = wrap(self)``).
        if function.name.value == "__new__" and site.kind is not FunctionKind.STATICMETHOD:
            write.instance_names = frozenset(
                name for name, bindings in info.bindings.items()
                if all(_is_new_call(b.value) for b in bindings)
            )
        elif site.instance_parameter is not None and len(info.bindings_of(site.instance_parameter)) == 1:
            write.instance_names = frozenset({site.instance_parameter})

    def _site(self, function: cst.FunctionDef, path: Sequence[cst.CSTNode]) -> FunctionSite:
        """The kind of a ``def`` on ``path``, from the scope around it there."""
        index = next(i for i, node in enumerate(path) if node is function)
        scope = next((node for node in reversed(path[:index]) if isinstance(node, SCOPE_TYPES)), None)
        return function_site(self.context, function, scope)

    def _method(self, path: Sequence[cst.CSTNode]) -> Optional[FunctionSite]:
        """The outermost method (a ``def`` whose scope is a class) around the end of ``path``."""
        for node in path:
            if isinstance(node, cst.FunctionDef):
                site = self._site(node, path)
                if site.owner is not None:
                    return site
        return None

    def _finite_keys(self, write: Write, container: Container) -> bool:
        """The key written (``c[key] = v``, ``c.add(key)``, ``c.setdefault(key, v)``) can
        take only a fixed set of values (RULES.md, "Bounded by the code"):

        - it is made of literals, module-level constants (names nothing in the
          module writes to, enum members, classes) and loop variables over them
          (``for a, b in _PAIRS: c[ord(a)] = b``);
        - the function checks it against such a collection first
          (``if name not in _BACKENDS: raise ...``), or refuses a key already
          present (``if name in c: raise KeyError(name)``: a registry of definitions);
        - it is a parameter of a private function that the module only calls with
          module-level names or literals for it (``_encode(_ALPHABET, data)``);
        - it is a parameter of a public function that stores its parameters as they are
          (``def add_alias(alias, name): ALIASES[alias] = name``): a registration
          or configuration API whose callers decide what goes in.
        """
        function, key = write.functions[-1], write.key
        if write.into_values or key is None or not isinstance(function, cst.FunctionDef):
            return False  # a value list keeps growing under a finite set of keys
        if self._constant_expression(key, write.path) or self._checked_key(key, container, write.path):
            return True
        if not isinstance(key, cst.Name):
            return False
        params = [p.name.value for p in positional_params(function.params)]
        if key.value not in params or self.context.symbols.functions.get(function.name.value) is not function:
            return False
        if function.name.value.startswith("_"):
            return self._only_called_with_constants(function, params.index(key.value), key.value)
        return all(_made_of(value, set(params)) for value in write.stored) and bool(write.stored)

    def _constant_expression(self, value: cst.BaseExpression, path: Sequence[cst.CSTNode]) -> bool:
        """A value the code draws from a fixed set (see :func:`fixed_value`),
        where a module-level name nothing in the module writes to is a constant."""
        return fixed_value(value, path, self._constant_global)

    def _constant_global(self, name: str, path: Sequence[cst.CSTNode]) -> bool:
        if name in self.context.symbols.imports or not self._refers_to_module(name, [*path, cst.Name(name)]):
            return False  # an import may be mutable state (`sys.modules`, `os.environ`)
        container = self.globals.get(name)
        return container is None or not (container.writes or container.ever_shrinks)

    def _checked_key(self, key: cst.BaseExpression, container: Container, path: Sequence[cst.CSTNode]) -> bool:
        """Before the write, the function leaves unless the key is in a constant
        collection (``if k not in _KNOWN: raise``), or when the container already
        has it (``if k in c: raise``); or the write runs only under ``if k in _KNOWN:``."""
        for index in range(len(path) - 2, -1, -1):
            node, child = path[index], path[index + 1]
            if isinstance(node, _FUNCTIONS):
                return False
            here = path[: index + 1]
            if isinstance(node, cst.If) and child is node.body and self._in_constant(node.test, key, cst.In, here):
                return True
            if isinstance(node, cst.IndentedBlock):
                for statement in node.body[: node.body.index(child)]:
                    if self._imports_module_named(statement, key):
                        return True  # a key that names no installed module raised ImportError
                    if not isinstance(statement, cst.If) or not _leaves(statement.body):
                        continue
                    if self._in_constant(statement.test, key, cst.NotIn, here):
                        return True
                    if _membership(statement.test, key, cst.In) == container.name and _leaves(statement.body, (cst.Raise,)):
                        return True  # a duplicate is an error, not a cache miss
        return False

    def _imports_module_named(self, statement: cst.CSTNode, key: cst.BaseExpression) -> bool:
        """``module = importlib.import_module(f"pkg.backends.{key}")``: the key names an installed module."""
        if not isinstance(statement, cst.SimpleStatementLine) or not isinstance(key, cst.Name):
            return False
        for small in statement.body:
            value = small.value if isinstance(small, (cst.Assign, cst.Expr)) else None
            if (
                isinstance(value, cst.Call) and value.args
                and self.context.matches(value, "importlib.import_module")
                and any(isinstance(n, cst.Name) and n.value == key.value for n in _names_in(value.args[0].value))
            ):
                return True
        return False

    def _in_constant(
        self, test: cst.BaseExpression, key: cst.BaseExpression, operator: type, path: Sequence[cst.CSTNode]
    ) -> bool:
        """``key in C`` / ``key not in C`` with ``C`` a constant collection."""
        if _membership(test, key, operator) is None:
            return False
        return self._constant_expression(test.comparisons[0].comparator, path)  # type: ignore[attr-defined]

    def _only_called_with_constants(self, function: cst.FunctionDef, position: int, param: str) -> bool:
        loads = self._function_loads.get(function.name.value, [])
        for path in loads:
            call = path[-2]
            if not isinstance(call, cst.Call) or call.func is not path[-1]:
                return False  # handed out: called from elsewhere
            arg = _argument(call, position, param)
            if arg is None or not self._constant_expression(arg, path[:-1]):
                return False
        return bool(loads)

    def _runs_at_import(self, write: Write) -> bool:
        innermost, outermost = write.functions[-1], write.functions[0]
        if any(isinstance(f, cst.FunctionDef) and f.name.value in ("__init_subclass__", "__set_name__")
               for f in write.functions):
            return True
        if any(isinstance(f, cst.FunctionDef) and "register" in f.name.value.lower() for f in write.functions):
            return True  # a registration API: its callers register while they are imported
        if isinstance(innermost, cst.FunctionDef) and _registers_its_argument(innermost, write):
            return True
        if isinstance(innermost, cst.FunctionDef) and self._is_decorator(innermost):
            return True  # runs where it is applied, as functions are defined
        # A function the module only calls or applies while importing; not a
        # function nested in it, which may be handed out and called later,
        # unless it is the decorator a decorator factory returns.
        if not isinstance(outermost, cst.FunctionDef) or not self._only_used_at_import(outermost):
            return False
        return innermost is outermost or (len(write.functions) == 2 and _returns_inner(outermost, innermost))

    def _is_decorator(self, function: cst.FunctionDef) -> bool:
        """A function of one parameter that returns it, or a wrapper made by
        ``functools.wraps`` of it (``def decorator(func): ...; return wrapper``)."""
        params = function.params
        positional = positional_params(params)
        if len(positional) != 1 or isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
            return False
        parameter, info = positional[0].name.value, self.context.scope_info(function)
        for small in small_statements(function.body.body):
            returned = small.value if isinstance(small, cst.Return) else None
            if isinstance(returned, cst.Name) and (
                returned.value == parameter
                or any(self._wraps(b, parameter) for b in info.bindings_of(returned.value))
            ):
                return True
        return False

    def _wraps(self, binding: Binding, parameter: str) -> bool:
        """``name = parameter``, or ``@functools.wraps(parameter) def name``."""
        if binding.kind == "assign":
            return isinstance(binding.value, cst.Name) and binding.value.value == parameter
        statement = binding.statement
        return binding.kind == "def" and isinstance(statement, cst.FunctionDef) and any(
            isinstance(d.decorator, cst.Call) and self.context.matches(d.decorator, "functools.wraps")
            and any(isinstance(a.value, cst.Name) and a.value.value == parameter for a in d.decorator.args)
            for d in statement.decorators
        )

    def _only_used_at_import(self, function: cst.FunctionDef, seen: Optional[Set[str]] = None) -> bool:
        """A module-level function that the module applies as a decorator or
        calls, only outside function bodies or from functions that are
        themselves only used at import (``def_op`` called by ``name_op``)."""
        name = function.name.value
        seen = set() if seen is None else seen
        if self.context.symbols.functions.get(name) is not function or name in seen:
            return False
        seen.add(name)
        loads = self._function_loads.get(name, [])
        for path in loads:
            caller = _calling_function(path)
            if caller is None:
                continue
            if not isinstance(caller, cst.FunctionDef) or not self._only_used_at_import(caller, seen):
                return False
        return bool(loads)


MODULE_CONTAINERS: WalkFact[ModuleFacts] = WalkFact("module containers", ModuleFacts)


def container_kind(context: Context, value: Optional[cst.BaseExpression]) -> Optional[str]:
    """The kind of a growable container expression evaluated at module level
    (a default argument, a module or class attribute); None for anything else,
    including bounded and weak containers."""
    for literal, literal_kind in _LITERALS.items():
        if isinstance(value, literal):
            return literal_kind
    if not isinstance(value, cst.Call):
        return None
    kind = _CONTAINER_CALLS.get(module_level_name(context, value.func) or "")
    if kind == "deque" and (len(value.args) >= 2 or any(_keyword(a) == "maxlen" for a in value.args)):
        return None  # bounded
    return kind


def module_level_name(context: Context, node: cst.CSTNode) -> Optional[str]:
    """What a name means at module level, through the module's imports."""
    dotted = dotted_name(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    symbols = context.symbols
    if head in symbols.imports:
        resolved = symbols.imports[head]
    elif head in _BUILTIN_NAMES and head not in symbols.defined:
        resolved = f"builtins.{head}"
    else:
        return None
    return f"{resolved}.{rest}" if rest else resolved


def local_uses(info: ScopeInfo, name: str) -> Iterator[List[cst.CSTNode]]:
    """Paths from the function of ``info`` down to every read of ``name`` in
    its body, nested scopes included (not in its decorators or defaults), from
    the scope's facts: nothing is walked again. Assignments to the bare name
    are not reads: callers learn about those from the bindings."""
    body = info.node.body
    for load in info.loads_of(name):
        path = [load, *info.ancestors(load)]
        path.reverse()
        if len(path) > 2 and path[1] is body:
            yield path


# -- classifying one reference --------------------------------------------------


def classify(path: Sequence[cst.CSTNode], kind: Optional[str] = None) -> Use:
    """What the reference at the end of ``path`` does to a container of
    ``kind``. Writes that cannot grow it (``lst[i] = x``, ``d["key"] = x``)
    and writes guarded by its size (``if len(c) < 100: c.add(x)``) have no effect."""
    use = _use(path, kind)
    if use.effect is Effect.GROW and _size_guarded(path):
        return _NO_EFFECT
    return use


def _use(path: Sequence[cst.CSTNode], kind: Optional[str]) -> Use:
    ref, index = path[-1], len(path) - 1
    parent = path[index - 1]
    if isinstance(parent, cst.Attribute) and parent.value is ref:
        return _method_use(path, index - 1)
    depth = 0
    while _subscripted(path, index):
        index, depth = index - 1, depth + 1
    if depth:
        return _subscript_use(path, index, depth, kind)
    if isinstance(parent, cst.AugAssign) and parent.target is ref:
        if isinstance(parent.operator, _GROW_AUGMENTED):
            return Use(Effect.GROW, [parent.value])
        return _REMOVES
    if _deleted(path, index):
        return _REMOVES
    if _assigned_elsewhere(path, index):
        return _ALIASES
    return _NO_EFFECT


def _subscripted(path: Sequence[cst.CSTNode], index: int) -> bool:
    """``path[index]`` is the value of the subscript above it: ``c`` in ``c[k]``."""
    above = path[index - 1]
    return isinstance(above, cst.Subscript) and above.value is path[index]


def _method_use(path: Sequence[cst.CSTNode], index: int) -> Use:
    """``c.method`` at ``path[index]``: a removal (also uncalled, as a callback),
    a growing call, or a read."""
    attribute = path[index]
    method = attribute.attr.value  # type: ignore[attr-defined]
    if method in REMOVE_METHODS:
        return _REMOVES
    call = path[index - 1]
    if method not in GROW_METHODS or not (isinstance(call, cst.Call) and call.func is attribute):
        return _NO_EFFECT
    if method == "update" and call.args and all(a.keyword is not None for a in call.args):
        return _NO_EFFECT  # `c.update(mode=m, cache=c)`: fixed keys, overwritten each time
    stored = [a.value for a in call.args if a.keyword is None and not a.star]
    stored = stored[1:] if method in ("setdefault", "insert", "__setitem__") else stored
    chained = _chained_store(path, index - 1)
    return Use(Effect.GROW, chained or stored, attribute.attr, into_values=bool(chained))  # type: ignore[attr-defined]


def _subscript_use(path: Sequence[cst.CSTNode], index: int, depth: int, kind: Optional[str]) -> Use:
    """``c[k]`` (``depth`` subscripts deep) at ``path[index]``."""
    subscript, above = path[index], path[index - 1]
    if _assigned(subscript, above):
        if depth == 1 and _is_slice(subscript):
            return _REMOVES  # `c[:] = []` replaces the contents
        if depth == 1 and (kind in ("list", "deque") or _constant_key(subscript)):
            return _NO_EFFECT  # replaces an item, or fills one fixed slot
        statement = path[index - 2] if isinstance(above, cst.AssignTarget) else above
        value = getattr(statement, "value", None)
        return Use(Effect.GROW, [value] if value is not None else [], into_values=depth > 1)
    if _deleted(path, index):
        return _REMOVES if depth == 1 else _NO_EFFECT
    if isinstance(above, cst.Attribute) and above.value is subscript and above.attr.value in GROW_METHODS:
        call = path[index - 2]
        if isinstance(call, cst.Call) and call.func is above:
            return Use(Effect.GROW, [a.value for a in call.args if a.keyword is None and not a.star], into_values=True)
    return _NO_EFFECT


def _chained_store(path: Sequence[cst.CSTNode], index: int) -> List[cst.BaseExpression]:
    """The argument of ``c.setdefault(k, []).append(x)``: what ends up stored."""
    call = path[index]
    above = path[index - 1] if index >= 1 else None
    if isinstance(above, cst.Attribute) and above.value is call and above.attr.value in GROW_METHODS:
        outer = path[index - 2]
        if isinstance(outer, cst.Call) and outer.func is above:
            return [a.value for a in outer.args if a.keyword is None and not a.star]
    return []


def _assigned_elsewhere(path: Sequence[cst.CSTNode], index: int) -> bool:
    """``x = c``, ``x, y = c, d``, ``self.c = c``: another name now holds it."""
    node = path[index]
    for ancestor in reversed(path[:index]):
        if isinstance(ancestor, (cst.Assign, cst.AnnAssign, cst.NamedExpr)):
            return ancestor.value is node
        if not isinstance(ancestor, (cst.Tuple, cst.List, cst.Element)):
            return False
        node = ancestor
    return False


def _assigned(target: cst.CSTNode, parent: cst.CSTNode) -> bool:
    if isinstance(parent, cst.AssignTarget):
        return parent.target is target
    return isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.target is target


def _deleted(path: Sequence[cst.CSTNode], index: int) -> bool:
    """``del <path[index]>``, also as one of several targets."""
    for ancestor in reversed(path[:index]):
        if isinstance(ancestor, cst.Del):
            return True
        if not isinstance(ancestor, (cst.Tuple, cst.List, cst.Element)):
            return False
    return False


def _rebinds(path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    """The statement when the reference at the end of ``path`` is assigned to as a whole."""
    ref, parent = path[-1], path[-2]
    if isinstance(parent, cst.AssignTarget) and parent.target is ref:
        return path[-3]
    if isinstance(parent, (cst.AnnAssign, cst.For, cst.WithItem)) and getattr(parent, "target", None) is ref:
        return parent
    if isinstance(parent, cst.AsName) and parent.name is ref:
        return parent
    return None


def _constant_key(subscript: cst.CSTNode) -> bool:
    """``c["name"]``, ``c[0]``: a key written again and again stays one entry."""
    if not isinstance(subscript, cst.Subscript) or len(subscript.slice) != 1:
        return False
    index = subscript.slice[0].slice
    return isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.Integer, cst.Float))


def _size_guarded(path: Sequence[cst.CSTNode]) -> bool:
    """The write only runs while the container is small: it sits in the body
    of an ``if``/``while`` whose test measures ``len()`` of the same container
    or checks that it is still empty (``if not c:``, a one-time fill), or of an
    ``if not other:`` whose body fills ``other`` (a lazy initialisation that
    fills several tables at once)."""
    target = dotted_name(path[-1])
    if target is None:
        return False
    for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
        if isinstance(parent, _FUNCTIONS):
            return False
        if isinstance(parent, (cst.If, cst.While)) and child is parent.body and _measures(parent.test, target):
            return True
        if isinstance(parent, cst.If) and child is parent.body and _fills_what_it_tests(parent):
            return True
    return False


def _fills_what_it_tests(node: cst.If) -> bool:
    """``if not c:`` whose body fills ``c`` in one of its own statements (not
    under a further condition): the body runs once."""
    test = node.test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return False
    tested = dotted_name(test.expression)
    lines = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    return tested is not None and any(
        _fills(small, tested)
        for line in lines if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
        for small in line.body
    )


def _fills(small: cst.CSTNode, name: str) -> bool:
    """``name.append(...)``-like calls and ``name[k] = v``."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        return isinstance(func, cst.Attribute) and func.attr.value in GROW_METHODS and dotted_name(func.value) == name
    if isinstance(small, cst.Assign):
        return any(
            isinstance(t.target, cst.Subscript) and dotted_name(t.target.value) == name for t in small.targets
        )
    return False


def _measures(test: cst.CSTNode, target: str) -> bool:
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "len":
        return len(test.args) == 1 and dotted_name(test.args[0].value) == target
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return dotted_name(test.expression) == target or _measures(test.expression, target)
    return any(_measures(child, target) for child in children(test))


def _is_slice(subscript: cst.CSTNode) -> bool:
    if not isinstance(subscript, cst.Subscript):
        return False
    return len(subscript.slice) == 1 and isinstance(subscript.slice[0].slice, cst.Slice)


def _keyword(arg: cst.Arg) -> Optional[str]:
    return arg.keyword.value if arg.keyword is not None else None


def statement_of(path: Sequence[cst.CSTNode]) -> cst.CSTNode:
    for node in reversed(path):
        if isinstance(node, _STATEMENTS):
            return node
    return path[0]


def _key_of(path: Sequence[cst.CSTNode]) -> Optional[cst.BaseExpression]:
    """The key a write at the end of ``path`` uses: ``c[key]``, ``c.add(key)``, ``c.setdefault(key, ...)``."""
    ref, parent = path[-1], path[-2]
    if isinstance(parent, cst.Subscript) and parent.value is ref:
        indexes = [e.slice.value for e in parent.slice if isinstance(e.slice, cst.Index)]
        if len(indexes) != len(parent.slice):
            return None
        return indexes[0] if len(indexes) == 1 else cst.Tuple([cst.Element(i) for i in indexes])  # `c[a, b]`
    if isinstance(parent, cst.Attribute) and parent.attr.value in ("add", "setdefault", "__setitem__"):
        call = path[-3]
        if isinstance(call, cst.Call) and call.args and call.args[0].keyword is None:
            return call.args[0].value
    return None


def _argument(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    """The argument a call passes for the parameter at ``position`` named ``keyword``."""
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
        if arg.keyword is None and index == position:
            return arg.value
    return None


def _made_of(value: cst.BaseExpression, names: Set[str]) -> bool:
    """A parameter as it is, or a tuple of them."""
    if isinstance(value, cst.Name):
        return value.value in names
    if isinstance(value, cst.Tuple):
        return all(_made_of(e.value, names) for e in value.elements)
    return False


def _returns_inner(outer: cst.FunctionDef, inner: cst.CSTNode) -> bool:
    """``outer`` is a decorator factory: it returns ``inner`` (or ``inner(func)``)."""
    if not isinstance(inner, cst.FunctionDef) or inner not in outer.body.body:
        return False
    name = inner.name.value
    for node in small_statements(outer.body.body):
        value = node.value if isinstance(node, cst.Return) else None
        if isinstance(value, cst.Call):
            value = value.func
        if isinstance(value, cst.Name) and value.value == name:
            return True
    return False


def _is_new_call(value: Optional[cst.BaseExpression]) -> bool:
    """``super().__new__(cls)`` / ``object.__new__(cls)``: a new instance."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "__new__"
    )


def _is_variable(name: cst.Name, parent: cst.CSTNode) -> bool:
    """A Name that refers to a variable (not an attribute, keyword or
    definition name); unlike a scope's loads, the names a binding introduces
    (``as f``, ``except E as e``, ``global g``) count."""
    return names_variable(name, parent, (cst.Param, cst.ImportAlias, cst.NameItem, cst.ImportFrom))


def _in_function(path: Sequence[cst.CSTNode]) -> bool:
    return any(isinstance(node, _FUNCTIONS) for node in path)


def _registers_its_argument(function: cst.FunctionDef, write: Write) -> bool:
    """A registration decorator: stores one of its parameters and returns it
    (``def register(fn): _handlers[fn.__name__] = fn; return fn``)."""
    params = {p.name.value for p in positional_params(function.params)}
    stored = {v.value for v in write.stored if isinstance(v, cst.Name)} & params
    if not stored:
        return False
    return any(
        isinstance(small, cst.Return) and isinstance(small.value, cst.Name) and small.value.value in stored
        for line in function.body.body if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
    )


def _calling_function(path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    """The function or lambda whose body contains the end of ``path`` (it runs
    when that function is called; decorators and defaults run where it is defined)."""
    for index in range(len(path) - 2, -1, -1):
        node = path[index]
        if isinstance(node, _FUNCTIONS) and path[index + 1] is node.body:
            return node
    return None


def _scope(path: Sequence[cst.CSTNode], skip: int) -> cst.CSTNode:
    """The innermost function, lambda, class or module above ``path[-1 - skip]``, inclusive."""
    for node in reversed(path[: len(path) - skip]):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return node
    return path[0]


def _binds(path: Sequence[cst.CSTNode]) -> bool:
    """A variable Name in a binding position: an assignment, ``for``, ``with``/
    ``except`` ``as``, walrus, ``del`` or augmented assignment target."""
    if _rebinds(path) is not None or _deleted(path, len(path) - 1):
        return True
    ref, parent = path[-1], path[-2]
    if isinstance(parent, (cst.AugAssign, cst.NamedExpr, cst.CompFor)) and parent.target is ref:
        return True
    node = ref
    for ancestor in reversed(path[:-1]):  # unpacking: `a, _cache = ...`
        if isinstance(ancestor, (cst.AssignTarget, cst.For)) and getattr(ancestor, "target", None) is node:
            return True
        if not isinstance(ancestor, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
            return False
        node = ancestor
    return False


def _is_instance_or_class(base: cst.BaseExpression, method: FunctionSite) -> bool:
    """``self``, ``type(self)``, ``self.__class__`` in a method; ``cls`` in a classmethod."""
    if isinstance(base, cst.Name):
        return base.value in (method.instance_parameter, method.class_parameter)
    first = method.instance_parameter
    if first is None:
        return False
    if isinstance(base, cst.Attribute):
        return base.attr.value == "__class__" and isinstance(base.value, cst.Name) and base.value.value == first
    if isinstance(base, cst.Call) and len(base.args) == 1:
        arg = base.args[0].value
        return (
            isinstance(base.func, cst.Name) and base.func.value == "type"
            and isinstance(arg, cst.Name) and arg.value == first
        )
    return False


# -- values drawn from a fixed set (appended for MEM303's "Bounded by the code") --

# Facts of the running platform: one value per process.
_FIXED_ATTRIBUTES = frozenset({"sys.platform", "sys.byteorder", "os.name", "os.sep"})
# Builtins whose result depends only on their arguments.
_PURE_BUILTINS = frozenset({
    "abs", "bool", "chr", "enumerate", "float", "frozenset", "hash", "int", "len", "max", "min", "ord",
    "range", "repr", "reversed", "sorted", "str", "tuple", "zip",
})


def _constant_parts(value: cst.BaseExpression) -> Optional[List[cst.BaseExpression]]:
    """The parts a compound value is computed from, when it is computed from
    nothing else (no call of an unknown function); None otherwise."""
    if isinstance(value, (cst.Tuple, cst.List, cst.Set)):
        elements = value.elements
        return None if any(isinstance(e, cst.StarredElement) for e in elements) else [e.value for e in elements]
    if isinstance(value, cst.ConcatenatedString):
        return [value.left, value.right]
    if isinstance(value, cst.FormattedString):
        return [p.expression for p in value.parts if isinstance(p, cst.FormattedStringExpression)]
    if isinstance(value, cst.Attribute):
        return [value.value]  # `Color.RED`, `_TABLE.items`
    if isinstance(value, cst.BinaryOperation):
        return [value.left, value.right]
    if isinstance(value, cst.UnaryOperation):
        return [value.expression]
    if isinstance(value, cst.Subscript):
        indexes = [e.slice.value for e in value.slice if isinstance(e.slice, cst.Index)]
        return None if len(indexes) != len(value.slice) else [value.value, *indexes]
    if isinstance(value, cst.Call) and not any(a.star for a in value.args):
        pure = isinstance(value.func, cst.Name) and value.func.value in _PURE_BUILTINS
        receiver = [value.func.value] if isinstance(value.func, cst.Attribute) else None  # `name.lower()`
        if pure or receiver is not None:
            return [*(receiver or []), *(a.value for a in value.args)]
    return None


def fixed_value(
    value: cst.BaseExpression,
    path: Sequence[cst.CSTNode],
    constant_name: Callable[[str, Sequence[cst.CSTNode]], bool] = lambda name, path: False,
) -> bool:
    """A value the code draws from a fixed set (RULES.md, "Bounded by the
    code"): a literal, a loop variable over such a value (``for a, b in
    _PAIRS:``, ``for i in range(4):``), a name ``constant_name`` accepts, and
    tuples, attributes, operations and pure calls (``ord(a)``,
    ``name.lower()``) of those. ``path`` leads from the module (or a
    function) down to ``value``."""
    if isinstance(value, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(value, cst.Attribute) and dotted_name(value) in _FIXED_ATTRIBUTES:
        return True
    if isinstance(value, cst.Name):
        loop = _loop_over(value.value, path)
        if loop is not None:
            return fixed_value(loop.iter, path[: path.index(loop)], constant_name)
        return constant_name(value.value, path)
    parts = _constant_parts(value)
    return parts is not None and all(fixed_value(part, path, constant_name) for part in parts)


def _loop_over(name: str, path: Sequence[cst.CSTNode]) -> Optional[cst.For]:
    """The ``for`` of the innermost function on ``path`` whose body holds the
    end of ``path`` and whose target binds ``name``."""
    for index in range(len(path) - 2, -1, -1):
        node = path[index]
        if isinstance(node, _FUNCTIONS):
            return None
        if isinstance(node, cst.For) and path[index + 1] is node.body and name in _target_names(node.target):
            return node
    return None


def grows_without_bound(use: Use, path: Sequence[cst.CSTNode]) -> bool:
    """A write (``use`` of the reference at the end of ``path``) that adds an
    entry whose key is not drawn from a fixed set (:func:`fixed_value`)."""
    if use.effect is not Effect.GROW:
        return False
    key = None if use.into_values else _key_of(path)
    return key is None or not fixed_value(key, path)


def _target_names(target: cst.BaseExpression) -> Set[str]:
    return {n.value for n in target_names(target)}


def _leaves(body: cst.BaseSuite, how: Tuple[type, ...] = (cst.Raise, cst.Return)) -> bool:
    """A block that ends with ``raise`` or ``return`` (or only the kinds in ``how``)."""
    statements = body.body
    last = statements[-1] if statements else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, how)


def _membership(test: cst.BaseExpression, key: cst.BaseExpression, operator: type) -> Optional[str]:
    """For ``key in C`` (``operator`` In or NotIn): the dotted name of ``C``, or
    ``""`` when it has none; None when the test is something else."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    comparison = test.comparisons[0]
    if not isinstance(comparison.operator, operator) or not test.left.deep_equals(key):
        return None
    return dotted_name(comparison.comparator) or ""


def _names_in(value: cst.BaseExpression) -> List[cst.BaseExpression]:
    """The Names an f-string, concatenation or name is made of."""
    if isinstance(value, cst.FormattedString):
        return [p.expression for p in value.parts if isinstance(p, cst.FormattedStringExpression)]
    if isinstance(value, cst.BinaryOperation):
        return [*_names_in(value.left), *_names_in(value.right)]
    return [value]
