"""Types without a type checker: what a name or an expression holds, from what
the module itself says (RULES.md, "Types without a type checker").

Sources, in the order a lookup tries them:

- a constructor call, resolved through the module's import alias table
  (``sock = socket.socket()`` holds a ``socket.socket``);
- a parameter or variable annotation (``p: Path``, ``o: "OpenerDirector | None"``);
- the return annotation of a module function, a method, a ``property`` or a
  ``cached_property`` whose result the expression is;
- module-level constants (a name bound only at module level);
- a small table of stdlib functions and methods whose result type is known
  (``urllib.request.build_opener()``, ``Path.parent``, ``path / "x"``).

A type is a string: the qualified name of a class (``pathlib.Path``), or
``<module>.Name`` for a class defined in the linted module. ``None`` means
unknown; callers must then stay silent. Nothing here is flow-sensitive: a name
has a type only when every binding of it in its scope agrees.

Use :func:`type_inference` to get the per-file instance.
"""
from __future__ import annotations

import builtins
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis import Fact
from memlint.context import Context
from memlint.analysis.blocks import class_statements
from memlint.analysis.functions import function_site
from memlint.analysis.names import dotted_name
from memlint.analysis.scopes import SCOPE_TYPES, Binding, ScopeInfo, ScopeNode

LOCAL = "<module>."  # prefix of names defined by the linted module itself

# Calls whose result type is known although the callee is not a class.
KNOWN_RETURNS: Dict[str, str] = {
    "urllib.request.build_opener": "urllib.request.OpenerDirector",
}
# Concrete classes that behave as the named one for every lookup here.
ALIASES: Dict[str, str] = {
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
}
# Attributes and methods of a type that give back the same type.
SELF_TYPED: Dict[str, FrozenSet[str]] = {
    "pathlib.Path": frozenset({
        "parent", "absolute", "resolve", "expanduser", "with_name", "with_suffix", "with_stem",
        "joinpath", "relative_to", "home", "cwd", "readlink",
    }),
}
# Operators that keep the type of their left operand.
SELF_TYPED_OPERATORS: Dict[str, type] = {"pathlib.Path": cst.Divide}

_PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property"})
_MAX_DEPTH = 8
_BUILTIN_NAMES = frozenset(dir(builtins))


def type_inference(context: Context) -> "TypeInference":
    """The per-file :class:`TypeInference` (created once, shared by all rules)."""
    return context.fact(TYPE_INFERENCE)


def looks_like_class(qualified: str) -> bool:
    """Imported names are classes by convention when capitalised (``Popen``,
    ``ZipFile``), not when they are constants (``SEEK_SET``)."""
    last = qualified.rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()


class TypeInference:
    """Answers ``type_of(expression)`` for any expression of one module."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._module_info = context.scope_info(context.module)
        self._active: Set[int] = set()  # ids of expressions being inferred (cycle guard)
        self._attribute_types: Dict[Tuple[str, str], Optional[str]] = {}

    # -- public -----------------------------------------------------------------

    def type_of(self, expression: cst.BaseExpression, scope: Optional[ScopeNode] = None) -> Optional[str]:
        """The type ``expression`` holds, or None when the module does not say.
        ``scope`` is the scope the expression is evaluated in; by default the
        innermost function, lambda, class or module around it."""
        if scope is None:
            scope = self.scope_of(expression)
        if id(expression) in self._active or len(self._active) > _MAX_DEPTH:
            return None
        self._active.add(id(expression))
        try:
            found = self._type_of(expression, scope)
        finally:
            self._active.discard(id(expression))
        return ALIASES.get(found, found) if found else None

    def annotation_type(self, annotation: cst.BaseExpression, scope: ScopeNode) -> Optional[str]:
        """The class an annotation names: ``Optional[X]``, ``X | None``,
        ``Annotated[X, ...]`` and string annotations give X."""
        if isinstance(annotation, cst.SimpleString):
            try:
                parsed = cst.parse_expression(annotation.evaluated_value)  # type: ignore[arg-type]
            except (cst.ParserSyntaxError, TypeError, ValueError):
                return None
            return self.annotation_type(parsed, scope)
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            return self._single_non_none([annotation.left, annotation.right], scope)
        if isinstance(annotation, cst.Subscript):
            container = self.resolve(annotation.value, scope)
            items = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
            if container in ("typing.Optional", "typing.Annotated", "typing_extensions.Annotated") and items:
                return self.annotation_type(items[0], scope)
            if container == "typing.Union":
                return self._single_non_none(items, scope)
            return container
        found = self.resolve(annotation, scope)
        return ALIASES.get(found, found) if found and found != "builtins.None" else None

    def resolve(self, node: cst.CSTNode, scope: ScopeNode) -> Optional[str]:
        """What a Name/Attribute chain refers to when evaluated in ``scope``:
        a qualified name through imports, ``builtins.X``, ``<module>.Name`` for
        a module-level class or function, None for locals and unknowns."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        resolved = self._resolve_head(head, scope)
        if resolved is None:
            return None
        return f"{resolved}.{rest}" if rest else resolved

    def scope_of(self, node: cst.CSTNode) -> ScopeNode:
        """The innermost function, lambda, class or module containing ``node``."""
        scope = self._module_info.nearest(node, SCOPE_TYPES)
        return self.context.module if scope is None else scope  # type: ignore[return-value]

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The parent of any node of the module."""
        return self._module_info.parent(node)

    def local_class(self, type_name: Optional[str]) -> Optional[cst.ClassDef]:
        """The ClassDef of a ``<module>.Name`` type."""
        if not type_name or not type_name.startswith(LOCAL):
            return None
        return self.context.symbols.classes.get(type_name[len(LOCAL):])

    # -- names --------------------------------------------------------------------

    def _scope_chain(self, scope: ScopeNode) -> List[ScopeNode]:
        chain: List[ScopeNode] = [scope]
        chain += self._module_info.ancestors_of_type(scope, SCOPE_TYPES)  # type: ignore[arg-type]
        if chain[-1] is not self.context.module:
            chain.append(self.context.module)
        return chain

    def _binding_scope(self, name: str, scope: ScopeNode) -> Optional[ScopeInfo]:
        """The ScopeInfo of the scope whose binding of ``name`` is visible in ``scope``."""
        for index, candidate in enumerate(self._scope_chain(scope)):
            if isinstance(candidate, cst.ClassDef) and index > 0:
                continue  # class bodies are not visible from their methods
            info = self.context.scope_info(candidate)
            if name in info.global_names:
                module_info = self.context.scope_info(self.context.module)
                return module_info if module_info.binds(name) else None
            if info.binds(name):
                return info
        return None

    def _resolve_head(self, name: str, scope: ScopeNode) -> Optional[str]:
        info = self._binding_scope(name, scope)
        if info is None:
            return f"builtins.{name}" if name in _BUILTIN_NAMES else None
        bindings = [b for b in info.bindings_of(name) if b.kind != "del"]
        if bindings and all(b.kind == "import" for b in bindings):
            return bindings[-1].qualified_name
        if isinstance(info.node, cst.Module) and len(bindings) == 1 and bindings[0].kind in ("def", "class"):
            return LOCAL + name
        return None

    def _name_type(self, name: cst.Name, scope: ScopeNode) -> Optional[str]:
        info = self._binding_scope(name.value, scope)
        if info is None:
            return None
        bindings = [b for b in info.bindings_of(name.value) if b.kind != "del"]
        types = set()
        for binding in bindings:
            if binding.kind in ("assign", "walrus") and _is_none(binding.value):
                continue  # `x = None` before the real binding says nothing
            found = self._binding_type(binding, info.node)
            if found is None:
                return None
            types.add(found)
        return types.pop() if len(types) == 1 else None

    def _binding_type(self, binding: Binding, scope: ScopeNode) -> Optional[str]:
        if binding.unpacked:
            return None
        if binding.annotation is not None:
            return self.annotation_type(binding.annotation, scope)
        if binding.kind == "param":
            return self._self_type(binding, scope)
        if binding.kind in ("assign", "walrus") and binding.value is not None:
            return self.type_of(binding.value, scope)
        return None

    def _self_type(self, binding: Binding, scope: ScopeNode) -> Optional[str]:
        """``self`` (the first parameter of a plain method) holds an instance of its class."""
        if not isinstance(scope, cst.FunctionDef):
            return None
        params = list(scope.params.posonly_params) + list(scope.params.params)
        if not params or params[0] is not binding.statement:
            return None
        owner = self._module_info.parent(self._module_info.parent(scope) or scope)
        if not isinstance(owner, cst.ClassDef) or self.context.symbols.classes.get(owner.name.value) is not owner:
            return None
        decorators = {dotted_name(d.decorator) for d in scope.decorators}
        if decorators & {"staticmethod", "classmethod"}:
            return None
        return LOCAL + owner.name.value

    # -- expressions ----------------------------------------------------------------

    def _type_of(self, expression: cst.BaseExpression, scope: ScopeNode) -> Optional[str]:
        if isinstance(expression, cst.Name):
            return self._name_type(expression, scope)
        if isinstance(expression, cst.Call):
            return self._call_type(expression, scope)
        if isinstance(expression, cst.Attribute):
            return self._attribute_type(expression, scope)
        if isinstance(expression, cst.BinaryOperation):
            left = self.type_of(expression.left, scope)
            operator = SELF_TYPED_OPERATORS.get(left or "")
            return left if operator is not None and isinstance(expression.operator, operator) else None
        return None

    def _call_type(self, call: cst.Call, scope: ScopeNode) -> Optional[str]:
        callee = self.resolve(call.func, scope)
        if callee is not None:
            return self._callee_result(callee)
        if isinstance(call.func, cst.Attribute):
            receiver = self.type_of(call.func.value, scope)
            if receiver is not None:
                return self._member_result(receiver, call.func.attr.value, called=True)
        return None

    def _callee_result(self, callee: str) -> Optional[str]:
        """The type a call of the qualified name ``callee`` returns."""
        if callee in KNOWN_RETURNS:
            return KNOWN_RETURNS[callee]
        if callee.startswith(LOCAL):
            head, _, member = callee[len(LOCAL):].partition(".")
            if head in self.context.symbols.classes:
                if not member:
                    return LOCAL + head
                return self._member_result(LOCAL + head, member, called=True)
            function = self.context.symbols.functions.get(head)
            if function is not None and not member:
                return self._returns(function)
            return None
        owner, _, member = callee.rpartition(".")
        owner = ALIASES.get(owner, owner)
        if member in SELF_TYPED.get(owner, ()):
            return owner  # Path.home(), Path.cwd()
        return callee if looks_like_class(callee) else None

    def _attribute_type(self, attribute: cst.Attribute, scope: ScopeNode) -> Optional[str]:
        if self.resolve(attribute, scope) is not None:
            return None  # a module attribute or a class: not an instance we can type
        receiver = self.type_of(attribute.value, scope)
        if receiver is None:
            return None
        return self._member_result(receiver, attribute.attr.value, called=False)

    def _member_result(self, receiver: str, member: str, called: bool) -> Optional[str]:
        """The type of ``receiver_instance.member`` (``called``: of calling it)."""
        if member in SELF_TYPED.get(receiver, ()):
            return receiver
        cls = self.local_class(receiver)
        if cls is None:
            return None
        function = _method(cls, member)
        if function is not None:
            is_property = any(self.resolve(d.decorator, self.context.module) in _PROPERTY_DECORATORS
                              for d in function.decorators)
            return self._returns(function) if called != is_property else None
        if called:
            return None
        key = (cls.name.value, member)
        if key not in self._attribute_types:
            self._attribute_types[key] = None  # guards recursion through self.x = self.x
            self._attribute_types[key] = self._instance_attribute_type(cls, member)
        return self._attribute_types[key]

    def _instance_attribute_type(self, cls: cst.ClassDef, member: str) -> Optional[str]:
        """A class-level annotation ``member: T``, else the one type every
        ``self.member = value`` in the class's methods agrees on."""
        for statement in class_statements(cls):
            if isinstance(statement, cst.AnnAssign) and dotted_name(statement.target) == member:
                return self.annotation_type(statement.annotation.annotation, cls)
        types = set()
        for function in (s for s in cls.body.body if isinstance(s, cst.FunctionDef)):
            info = self.context.scope_info(function)
            self_name = function_site(self.context, function, cls).instance_parameter
            if self_name is None:
                continue
            for node in _self_attribute_stores(function, self_name, member):
                if isinstance(node, cst.AnnAssign):
                    types.add(self.annotation_type(node.annotation.annotation, function))
                elif not _is_none(node.value):
                    types.add(self.type_of(node.value, info.node))
        return types.pop() if len(types) == 1 else None

    def _returns(self, function: cst.FunctionDef) -> Optional[str]:
        if function.returns is None:
            return None
        return self.annotation_type(function.returns.annotation, self.scope_of(function))

    def _single_non_none(self, options: List[cst.BaseExpression], scope: ScopeNode) -> Optional[str]:
        found = [self.annotation_type(o, scope) for o in options if not _is_none(o)]
        return found[0] if len(found) == 1 else None


def _is_none(node: Optional[cst.CSTNode]) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _method(cls: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None


def _self_attribute_stores(function: cst.FunctionDef, self_name: str, member: str) -> List[Union[cst.Assign, cst.AnnAssign]]:
    """``self.member = ...`` / ``self.member: T = ...`` statements in a method."""
    target = m.Attribute(value=m.Name(self_name), attr=m.Name(member))
    found: List[Union[cst.Assign, cst.AnnAssign]] = []
    for node in m.findall(function, m.Assign() | m.AnnAssign()):
        if isinstance(node, cst.Assign):
            if len(node.targets) == 1 and m.matches(node.targets[0].target, target):
                found.append(node)
        elif isinstance(node, cst.AnnAssign) and node.value is not None and m.matches(node.target, target):
            found.append(node)
    return found


TYPE_INFERENCE: Fact[TypeInference] = Fact("type inference", TypeInference)
