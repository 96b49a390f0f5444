"""MEM406's weak-container fix: which registries a weak container can
replace without changing what the program does, and whether the instances
can be weakly referenced at all (RULES.md: never a ``WeakSet`` of ``int``
subclasses, whose ``weakref.ref`` raises ``TypeError`` at import)."""
from __future__ import annotations

from typing import List, Optional, Sequence, Set

import libcst as cst

from memlint.analysis.blocks import class_statements
from memlint.analysis.classes import ClassIndex, ClassInfo
from memlint.analysis.flow import Container, Write
from memlint.analysis.names import assignment_targets, dotted_name
from memlint.analysis.project import Project
from memlint.context import Context
from memlint.rule import Edit, EnsureImport, Replace

# Reads a weak container supports just like the original one.
_WHOLE_READERS = frozenset({"len", "list", "tuple", "sorted", "set", "frozenset", "iter", "any", "all"})
_MAPPING_READS = frozenset({"get", "keys", "values", "items", "copy"})
SIMPLE_EMPTY = {"list": "WeakSet", "set": "WeakSet", "dict": "WeakValueDictionary"}
SIMPLE_WRITE = {"list": "append", "set": "add", "dict": None}
# Classes whose instances are classes: what their methods register is made at class creation.
_METACLASSES = frozenset({"builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"})


def is_metaclass(info: ClassInfo, classes: ClassIndex, seen: Optional[Set[str]] = None) -> bool:
    """The class derives from ``type`` (directly, or through a metaclass of the module)."""
    seen = seen if seen is not None else set()
    seen.add(info.name)
    for base, resolved in zip(info.node.bases, info.base_names):
        if resolved in _METACLASSES:
            return True
        name = base.value.value if isinstance(base.value, cst.Name) else None
        parent = classes.by_name.get(name) if name is not None and name not in seen else None
        if parent is not None and is_metaclass(parent, classes, seen):
            return True
    return False


def weakly_referenceable(project: Optional[Project], info: Optional[ClassInfo]) -> Optional[bool]:
    """Whether ``weakref.ref`` accepts every instance a method of the class
    can see: of the class and of each subclass in the project. None when
    unknown (no index, a class in a function, a base from outside)."""
    if project is None or info is None or info.in_function:
        return None
    pending = [project.qualify(".".join(info.path))]
    seen: Set[str] = set()
    answer: Optional[bool] = True
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        own = project.index.weakly_referenceable(name)
        if own is False:
            return False
        below = project.index.subclasses(name)
        if own is None or below is None:
            answer = None
        pending.extend(below or ())
    return answer


def weak_container_fix(context: Context, container: Container, classes: ClassIndex) -> Optional[List[Edit]]:
    """The edits that make ``container`` a weak one, when that is safe (see MEM406's fix safety)."""
    weak_type = SIMPLE_EMPTY.get(container.kind)
    if weak_type is None or container.definitions != 1 or not is_empty(container.value):
        return None
    write_method = SIMPLE_WRITE[container.kind]
    for write in container.writes:
        info = classes.classes.get(write.method_class) if write.method_class is not None else None
        if not write.stores_instance or method_name(write) != write_method or not hashable(write.method_class):
            return None
        if weakly_referenceable(context.project, info) is not True:
            return None  # weakref.ref would raise TypeError, or the index cannot tell
    if not all(weak_compatible(path, container.kind) for path in container.uses):
        return None
    module_name = context.symbols.spelling("weakref", "weakref")
    if module_name is None:
        return None
    edits: List[Edit] = [Replace(container.value, cst.Call(cst.Attribute(cst.Name(module_name), cst.Name(weak_type))))]
    if write_method == "append":
        edits += [Replace(w.method, cst.Name("add")) for w in container.writes if w.method is not None]
    if module_name == "weakref" and "weakref" not in context.symbols.imports:
        edits.append(EnsureImport("weakref"))
    return edits


def is_mapping_store(container: Container, write: Write) -> bool:
    """`registry[key] = self`: the instance is a value of the mapping itself."""
    return container.kind not in ("list", "set") and write.method is None and not write.into_values


def method_name(write: Write) -> Optional[str]:
    return write.method.value if write.method is not None else None


def is_empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Dict)):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and dotted_name(value.func) in ("list", "set", "dict")


def hashable(cls: Optional[cst.ClassDef]) -> bool:
    """The instances can go into a WeakSet: weakly referencable and hashable,
    as far as the class body tells."""
    if cls is None or cls.decorators:
        return False
    defined = set()
    for statement in class_statements(cls):
        if isinstance(statement, cst.FunctionDef):
            defined.add(statement.name.value)
        elif isinstance(statement, (cst.Assign, cst.AnnAssign)):
            defined.update(t.value for t in assignment_targets(statement) if isinstance(t, cst.Name))
    if "__slots__" in defined:
        return False
    return "__eq__" not in defined or "__hash__" in defined


def weak_compatible(path: Sequence[cst.CSTNode], kind: str) -> bool:
    """A use of the container (at the end of ``path``) that a weak container supports."""
    ref, parent = path[-1], path[-2]
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is ref:
        return True
    if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
        return parent.comparator is ref
    if isinstance(parent, cst.Arg) and isinstance(path[-3], cst.Call):
        call = path[-3]
        return len(call.args) == 1 and isinstance(call.func, cst.Name) and call.func.value in _WHOLE_READERS
    if kind != "dict":
        return False
    if isinstance(parent, cst.Subscript) and parent.value is ref:
        return True  # `c[k]` read (writes and deletions are classified elsewhere)
    if isinstance(parent, cst.Attribute) and parent.value is ref:
        return parent.attr.value in _MAPPING_READS
    return False
