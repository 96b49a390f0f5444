"""Class-level facts shared by the MEM4 rules, computed once per file.

For every class of the module: its plain methods, which attributes of ``self``
hold children (annotated ``list[Child]``/``dict[K, Child]``, or filled by
``append``/``add``/``[k] =`` with instances of a class of the module), which
classes it constructs with ``self`` as an argument and keeps (the parent side
of a parent/child pair), which attributes it assigns, resets or weakly
references. Rules get them with :func:`class_facts`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple, Union

import libcst as cst
import libcst.matchers as m

from memlint.analysis import Fact
from memlint.context import Context
from memlint.analysis.names import dotted_name
from memlint.nodes import children

WEAK_REFERENCES = frozenset({"weakref.ref", "weakref.proxy", "weakref.WeakMethod", "_weakref.ref", "_weakref.proxy"})
METHOD_DECORATORS_THAT_UNBIND = frozenset({"staticmethod", "classmethod"})
FILL_METHODS = frozenset({"append", "add", "insert", "appendleft", "setdefault"})
CONTAINERS = frozenset({
    "list", "List", "dict", "Dict", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "deque", "Deque",
    "defaultdict", "DefaultDict", "OrderedDict", "Sequence", "MutableSequence", "Mapping", "MutableMapping",
    "MutableSet", "AbstractSet", "Collection", "Iterable",
})
WRAPPERS = frozenset({"Optional", "Union", "ClassVar", "Final", "Annotated"})
SLOT = Union[int, str]  # where ``self`` is passed to a constructor: position (after self) or keyword


@dataclass
class ClassFacts:
    node: cst.ClassDef
    methods: Dict[str, cst.FunctionDef] = field(default_factory=dict)  # undecorated defs
    class_names: Set[str] = field(default_factory=set)  # every name bound in the class body
    slots: Optional[Set[str]] = None  # names in __slots__, when the class declares it
    child_attrs: Dict[str, Set[str]] = field(default_factory=dict)  # self attr -> child class names
    keeps_with_self: Dict[str, Set[SLOT]] = field(default_factory=dict)  # child class -> where self is passed
    stores: Dict[str, List[cst.CSTNode]] = field(default_factory=dict)  # self attr -> Assign/AugAssign/Del nodes
    resets: Set[str] = field(default_factory=set)  # self attrs set to None or deleted somewhere
    weak_attrs: Set[str] = field(default_factory=set)  # self attrs holding weakref.ref/proxy/WeakMethod

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def stores_weakref(self) -> bool:
        return bool(self.weak_attrs)

    def holds(self, child: str) -> bool:
        """Whether instances of this class keep instances of class ``child``."""
        return any(child in names for names in self.child_attrs.values())


def class_facts(context: Context) -> Dict[str, ClassFacts]:
    """Facts of the module's top-level classes, by class name (computed once per file)."""
    return context.fact(CLASS_FACTS)


CLASS_FACTS: Fact[Dict[str, ClassFacts]] = Fact("class facts", lambda context: _compute(context))


def self_name(function: cst.FunctionDef) -> Optional[str]:
    """The name of the instance parameter of a method (None for static and class methods)."""
    if any(_decorator_name(d) in METHOD_DECORATORS_THAT_UNBIND for d in function.decorators):
        return None
    params = list(function.params.posonly_params) + list(function.params.params)
    return params[0].name.value if params else None


def self_attribute(node: cst.CSTNode, self_var: str) -> Optional[str]:
    """``attr`` when ``node`` is ``<self_var>.attr``."""
    if isinstance(node, cst.Attribute) and m.matches(node.value, m.Name(self_var)):
        return node.attr.value
    return None


def annotation_classes(annotation: Optional[cst.CSTNode], known: Set[str]) -> Set[str]:
    """Names of ``known`` classes mentioned in an annotation, also inside strings
    (``"Parent"``, ``Optional["Parent"]``, ``list[Child]``)."""
    if annotation is None:
        return set()
    found = {n.value for n in m.findall(annotation, m.Name()) if n.value in known}
    for string in m.findall(annotation, m.SimpleString()):
        text = string.evaluated_value if isinstance(string.evaluated_value, str) else ""
        found.update(word for word in _words(text) if word in known)
    return found


def container_classes(annotation: cst.BaseExpression, known: Set[str]) -> Set[str]:
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
    if head in WRAPPERS:
        return set().union(*(container_classes(e, known) for e in elements)) if elements else set()
    if head in CONTAINERS:
        return set().union(*(annotation_classes(e, known) for e in elements)) if elements else set()
    return set()


def _words(text: str) -> Iterator[str]:
    word = ""
    for char in text + " ":
        if char.isalnum() or char == "_":
            word += char
        elif word:
            yield word
            word = ""


def _decorator_name(decorator: cst.Decorator) -> Optional[str]:
    target = decorator.decorator
    if isinstance(target, cst.Call):
        target = target.func
    dotted = dotted_name(target)
    return dotted.rsplit(".", 1)[-1] if dotted else None


def _compute(context: Context) -> Dict[str, ClassFacts]:
    classes = context.symbols.classes
    known = set(classes)
    facts = {name: ClassFacts(node) for name, node in classes.items()}
    for item in facts.values():
        _ClassScan(item, known, context.symbols.imports).scan()
    return facts


class _ClassScan:
    def __init__(self, facts: ClassFacts, known: Set[str], imports: Dict[str, str]) -> None:
        self.facts = facts
        self.known = known
        self.imports = imports
        self._constructions: Optional[Dict[str, cst.Call]] = None

    def scan(self) -> None:
        for statement in self.facts.node.body.body:
            self._scan_class_statement(statement)
        for function in self._functions():
            var = self_name(function)
            if var is not None:
                self._scan_method(function, var)

    def _functions(self) -> Iterator[cst.FunctionDef]:
        for statement in self.facts.node.body.body:
            if isinstance(statement, cst.FunctionDef):
                yield statement

    # -- the class body ------------------------------------------------------

    def _scan_class_statement(self, statement: cst.CSTNode) -> None:
        facts = self.facts
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            facts.class_names.add(statement.name.value)
            if isinstance(statement, cst.FunctionDef) and not statement.decorators:
                facts.methods[statement.name.value] = statement
            return
        if not isinstance(statement, cst.SimpleStatementLine):
            return
        for small in statement.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    facts.class_names.update(n.value for n in _bound_names(target.target))
                    if m.matches(target.target, m.Name("__slots__")):
                        facts.slots = _slot_names(small.value)
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                facts.class_names.add(small.target.value)
                self._note_child_annotation(small.target.value, small.annotation.annotation)
        # a method name rebound in the class body (``f = property(f)``) is no longer a plain method
        for name in list(facts.methods):
            if name in facts.class_names and any(self._rebinds(s, name) for s in facts.node.body.body):
                del facts.methods[name]

    @staticmethod
    def _rebinds(statement: cst.CSTNode, name: str) -> bool:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        return any(
            isinstance(small, cst.Assign) and any(m.matches(t.target, m.Name(name)) for t in small.targets)
            for small in statement.body
        )

    def _note_child_annotation(self, attr: str, annotation: cst.BaseExpression) -> None:
        """``list[Child]``, ``Dict[str, Child]``, ``Optional[set[Child]]``: a container of children."""
        children = container_classes(annotation, self.known)
        if children:
            self.facts.child_attrs.setdefault(attr, set()).update(children)

    # -- methods ---------------------------------------------------------------

    def _scan_method(self, function: cst.FunctionDef, var: str) -> None:
        local_classes = self._local_classes(function)
        for node in walk_own_scope(function.body):
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                self._scan_assignment(node, var, local_classes)
            elif isinstance(node, cst.Del):
                for target in _del_targets(node.target):
                    attr = self_attribute(target, var)
                    if attr is not None:
                        self.facts.stores.setdefault(attr, []).append(node)
                        self.facts.resets.add(attr)
            elif isinstance(node, cst.Call):
                self._scan_fill_call(node, var, local_classes)

    def _local_classes(self, function: cst.FunctionDef) -> Dict[str, Set[str]]:
        """Local names and parameters whose class is a class of the module,
        from annotations and from ``x = Child(...)``; also where each was
        constructed with ``self`` as an argument."""
        result: Dict[str, Set[str]] = {}
        params = function.params
        for param in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
            if param.annotation is not None:
                found = annotation_classes(param.annotation.annotation, self.known)
                if found:
                    result[param.name.value] = found
        for node in walk_own_scope(function.body):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                made = self._constructed_class(node.value)
                if made is not None:
                    result[node.targets[0].target.value] = {made}
        return result

    def _constructed_class(self, value: cst.CSTNode) -> Optional[str]:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.known:
            return value.func.value
        return None

    def _classes_of(self, value: cst.CSTNode, local_classes: Dict[str, Set[str]]) -> Set[str]:
        made = self._constructed_class(value)
        if made is not None:
            return {made}
        if isinstance(value, cst.Name):
            return local_classes.get(value.value, set())
        return set()

    def _scan_assignment(self, node: Union[cst.Assign, cst.AnnAssign, cst.AugAssign], var: str,
                         local_classes: Dict[str, Set[str]]) -> None:
        facts = self.facts
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        value = node.value
        for target in targets:
            attr = self_attribute(target, var)
            if attr is not None:
                facts.stores.setdefault(attr, []).append(node)
                if m.matches(value, m.Name("None")):
                    facts.resets.add(attr)
                if isinstance(value, cst.Call) and self._is_weak_reference(value):
                    facts.weak_attrs.add(attr)
                if isinstance(node, cst.AnnAssign):
                    self._note_child_annotation(attr, node.annotation.annotation)
                if value is not None:
                    self._note_kept(value, var, local_classes, container=False)
            elif isinstance(target, cst.Subscript) and value is not None:
                owner = self_attribute(target.value, var)
                if owner is not None:
                    self._note_fill(owner, value, var, local_classes)

    def _scan_fill_call(self, call: cst.Call, var: str, local_classes: Dict[str, Set[str]]) -> None:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in FILL_METHODS and call.args):
            return
        owner = self_attribute(func.value, var)
        if owner is not None:
            self._note_fill(owner, call.args[-1].value, var, local_classes)

    def _note_fill(self, attr: str, value: cst.CSTNode, var: str, local_classes: Dict[str, Set[str]]) -> None:
        children = self._classes_of(value, local_classes)
        if children:
            self.facts.child_attrs.setdefault(attr, set()).update(children)
        self._note_kept(value, var, local_classes, container=True)

    def _note_kept(self, value: cst.CSTNode, var: str, local_classes: Dict[str, Set[str]], container: bool) -> None:
        """The parent keeps a child it built with ``self`` as an argument:
        ``self.children.append(Child(self))``, ``child = Child(parent=self)``
        followed by ``self.kids[k] = child``, ``self.left = Node(self)``."""
        call = value if isinstance(value, cst.Call) else None
        if call is None and isinstance(value, cst.Name):
            call = self._construction_of(value.value)
        if call is None or self._constructed_class(call) is None:
            return
        for slot in _self_slots(call, var):
            self.facts.keeps_with_self.setdefault(call.func.value, set()).add(slot)  # type: ignore[attr-defined]

    def _construction_of(self, name: str) -> Optional[cst.Call]:
        """The first ``name = Call(...)`` in the class's methods (one walk per class)."""
        if self._constructions is None:
            self._constructions = {}
            for function in self._functions():
                for node in walk_own_scope(function.body):
                    if (
                        isinstance(node, cst.Assign)
                        and len(node.targets) == 1
                        and isinstance(node.targets[0].target, cst.Name)
                        and isinstance(node.value, cst.Call)
                    ):
                        self._constructions.setdefault(node.targets[0].target.value, node.value)
        return self._constructions.get(name)

    def _is_weak_reference(self, call: cst.Call) -> bool:
        dotted = dotted_name(call.func)
        if dotted is None:
            return False
        head, _, rest = dotted.partition(".")
        resolved = self.imports.get(head)
        if resolved is None:
            return False
        return (f"{resolved}.{rest}" if rest else resolved) in WEAK_REFERENCES


def _self_slots(call: cst.Call, var: str) -> Iterator[SLOT]:
    position = 0
    for arg in call.args:
        if arg.star:
            return
        is_self = m.matches(arg.value, m.Name(var))
        if arg.keyword is not None:
            if is_self:
                yield arg.keyword.value
        else:
            if is_self:
                yield position
            position += 1


def walk_own_scope(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node``, in source order, except inside nested
    functions, lambdas and classes. Iterative: nested ``yield from`` costs a
    frame per level for every node yielded."""
    stack = children(node)[::-1]
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            stack.extend(children(child)[::-1])


def _bound_names(target: cst.CSTNode) -> Iterator[cst.Name]:
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _bound_names(element.value)


def _del_targets(target: cst.CSTNode) -> Iterator[cst.CSTNode]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _del_targets(element.value)
    else:
        yield target


def _slot_names(value: cst.BaseExpression) -> Set[str]:
    names: Set[str] = set()
    for string in m.findall(value, m.SimpleString()):
        if isinstance(string.evaluated_value, str):
            names.add(string.evaluated_value)
    return names


def slot_position_of(function: cst.FunctionDef, param: str) -> Tuple[Optional[int], bool]:
    """(position after ``self``, keyword-passable) of a parameter of ``__init__``."""
    params = list(function.params.posonly_params) + list(function.params.params)
    for index, candidate in enumerate(params[1:]):
        if candidate.name.value == param:
            return index, candidate not in function.params.posonly_params
    if any(p.name.value == param for p in function.params.kwonly_params):
        return None, True
    return None, False
