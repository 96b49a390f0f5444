from typing import List, Optional, Sequence

import libcst as cst

from memlint.analysis.blocks import class_statements
from memlint.analysis.flow import Container, MODULE_CONTAINERS, Write
from memlint.analysis.names import assignment_targets, dotted_name
from memlint.rule import Applicability, Edit, EnsureImport, FixAvailability, Invalid, Replace, Rule, Valid

# Reads a weak container supports just like the original one.
_WHOLE_READERS = frozenset({"len", "list", "tuple", "sorted", "set", "frozenset", "iter", "any", "all"})
_MAPPING_READS = frozenset({"get", "keys", "values", "items", "copy"})
_SIMPLE_EMPTY = {"list": "WeakSet", "set": "WeakSet", "dict": "WeakValueDictionary"}
_SIMPLE_WRITE = {"list": "append", "set": "add", "dict": None}


class SelfRegistration(Rule):
    """
    ## What it does
    Reports a method that adds its own instance (`self`, or the new instance
    in `__new__`) to a module-level or class-level list, set or dict
    (`_all.append(self)`, `Registry._instances.add(self)`,
    `type(self)._by_name[name] = self`, `_by_kind.setdefault(k, []).append(self)`)
    when nothing in the module ever removes from that container.

    Not reported: `weakref.WeakSet`, `WeakValueDictionary` and
    `WeakKeyDictionary` registries; containers that the module removes from
    (`remove`, `discard`, `pop`, `del`, `clear`, a reset); class attributes
    that instances shadow with their own (`self._instances = []`).

    ## Why is this bad?
    The registry holds a strong reference to every instance ever created, so
    none of them is ever freed, nor anything they reference. Objects meant to
    be short-lived (connections, widgets, requests) pile up for the life of
    the process.

    ## Example
    ```python
    class Connection:
        _instances = []

        def __init__(self, host):
            self.host = host
            self._instances.append(self)
    ```

    ## Use instead
    ```python
    import weakref

    class Connection:
        _instances = weakref.WeakSet()

        def __init__(self, host):
            self.host = host
            self._instances.add(self)
    ```

    ## Fix safety
    The fix turns the registry into a `weakref.WeakSet` (from a list or a
    set) or a `weakref.WeakValueDictionary` (from a dict), rewrites
    `append(self)` into `add(self)`, and imports `weakref`. It is offered only
    when the registry is defined once as an empty `[]`, `list()`, `set()`,
    `{}` or `dict()`, every write stores the instance itself, and every other
    use is one a weak container supports (iteration, `len`, `in`, `list()`,
    `sorted()`, and for mappings `[k]`, `get`, `keys`, `values`, `items`),
    and when the class does not define `__eq__` without `__hash__`, is not
    decorated (a dataclass is unhashable) and has no `__slots__`. It is unsafe:
    instances nobody else references disappear from the registry (that is the
    point, but code may have relied on the registry to keep them alive), and a
    `WeakSet` neither keeps insertion order nor duplicates.

    ## Known problems
    Only this module is seen: a registry that another module empties
    (`Conn._instances.clear()` in a test helper) is still reported. Removal is
    recognised by the attribute name for class attributes (any
    `x._instances.remove(...)` counts), so a registry emptied through another
    class of the same attribute name is taken as bounded.

    ## References
    - [weakref.WeakSet](https://docs.python.org/3/library/weakref.html#weakref.WeakSet)
    - [weakref.WeakValueDictionary](https://docs.python.org/3/library/weakref.html#weakref.WeakValueDictionary)
    """

    code = "MEM406"
    requires = (MODULE_CONTAINERS,)
    name = "self-registration"
    message = (
        "the instance adds itself to `{where}` and nothing removes it: every instance stays alive "
        "for the life of the process; use a {weak}"
    )
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid(
            """
            import weakref

            _live = weakref.WeakSet()

            class Conn:
                def __init__(self):
                    _live.add(self)
            """
        ),
        Valid(
            """
            _open = []

            class Conn:
                def __init__(self):
                    _open.append(self)

                def close(self):
                    _open.remove(self)
            """
        ),
        # a classmethod stores the class, not an instance
        Valid(
            """
            _kinds = []

            class Base:
                @classmethod
                def register(cls):
                    _kinds.append(cls)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            class Connection:
                _instances = []

                def __init__(self, host):
                    self.host = host
                    self._instances.append(self)
            """,
            line=6,
            column=9,
            message="adds itself to `Connection._instances`",
            fixed="""
            import weakref

            class Connection:
                _instances = weakref.WeakSet()

                def __init__(self, host):
                    self.host = host
                    self._instances.add(self)
            """,
        ),
        Invalid(
            """
            import weakref as wr

            _by_name = {}

            class Service:
                def __init__(self, name):
                    _by_name[name] = self

            def find(name):
                return _by_name.get(name)
            """,
            line=7,
            column=9,
            fixed="""
            import weakref as wr

            _by_name = wr.WeakValueDictionary()

            class Service:
                def __init__(self, name):
                    _by_name[name] = self

            def find(name):
                return _by_name.get(name)
            """,
        ),
        Invalid(
            """
            class Singleton:
                _made = set()

                def __new__(cls, *args):
                    instance = super().__new__(cls)
                    cls._made.add(instance)
                    return instance
            """,
            line=6,
            column=9,
            fixed="""
            import weakref

            class Singleton:
                _made = weakref.WeakSet()

                def __new__(cls, *args):
                    instance = super().__new__(cls)
                    cls._made.add(instance)
                    return instance
            """,
        ),
    ]

    def leave_Module(self, original_node: cst.Module) -> None:
        facts = self.context.fact(MODULE_CONTAINERS)
        for container in list(facts.globals.values()) + list(facts.class_attrs.values()):
            if container.ever_shrinks:
                continue
            for write in container.writes:
                if write.stores_instance:
                    weak = "weakref.WeakValueDictionary" if _is_mapping_store(container, write) else "weakref.WeakSet"
                    self.report(write.statement, self._fix(container), where=container.label, weak=weak)

    def _fix(self, container: Container) -> Optional[List[Edit]]:
        weak_type = _SIMPLE_EMPTY.get(container.kind)
        if weak_type is None or container.definitions != 1 or not _is_empty(container.value):
            return None
        write_method = _SIMPLE_WRITE[container.kind]
        if not all(w.stores_instance and _method_name(w) == write_method and _hashable(w.method_class) for w in container.writes):
            return None
        if not all(_weak_compatible(path, container.kind) for path in container.uses):
            return None
        module_name = self._weakref_name()
        if module_name is None:
            return None
        edits: List[Edit] = [Replace(container.value, cst.Call(cst.Attribute(cst.Name(module_name), cst.Name(weak_type))))]
        if write_method == "append":
            edits += [Replace(w.method, cst.Name("add")) for w in container.writes if w.method is not None]
        if module_name == "weakref" and "weakref" not in self.context.symbols.imports:
            edits.append(EnsureImport("weakref"))
        return edits

    def _weakref_name(self) -> Optional[str]:
        """How the module spells `weakref`: its alias, or `weakref` once imported."""
        symbols = self.context.symbols
        for local, qualified in symbols.imports.items():
            if qualified == "weakref":
                return local
        if "weakref" in symbols.defined or "weakref" in symbols.imports:
            return None
        return "weakref"


def _is_mapping_store(container: Container, write: Write) -> bool:
    """`registry[key] = self`: the instance is a value of the mapping itself."""
    return container.kind not in ("list", "set") and write.method is None and not write.into_values


def _method_name(write: Write) -> Optional[str]:
    return write.method.value if write.method is not None else None


def _is_empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Dict)):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and dotted_name(value.func) in ("list", "set", "dict")


def _hashable(cls: Optional[cst.ClassDef]) -> bool:
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


def _weak_compatible(path: Sequence[cst.CSTNode], kind: str) -> bool:
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
