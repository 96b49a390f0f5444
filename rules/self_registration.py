
import libcst as cst

from memlint.analysis.classes import CLASSES
from memlint.analysis.flow import MODULE_CONTAINERS
from memlint.rule import Applicability, FixAvailability, Invalid, Rule, Valid

from ._lifetime_weak import is_mapping_store, is_metaclass, weak_container_fix, weakly_referenceable

# By whether the instances can be weakly referenced (None: the project index cannot tell).
_SUGGESTIONS = {
    True: "use a {weak}",
    None: "use a {weak} if the instances can be weakly referenced, else remove each one when it is done",
    False: "its instances cannot be weakly referenced: remove each one when it is done",
}


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
    that instances shadow with their own (`self._instances = []`);
    registries filled at class creation, which hold classes, not instances:
    `__init_subclass__`, the methods of a metaclass (a class deriving from
    `type`), class decorators; a name rebound before it is stored
    (`self = wrap(self)` in `__new__`).

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
    decorated (a dataclass is unhashable) and has no `__slots__`, and the
    project index shows that `weakref.ref` accepts instances of the class and
    of every subclass in the project: not for subclasses of `int`, `bytes` or
    `tuple`, nor slotted classes without `__weakref__` (a weak container of
    those raises `TypeError`, at import for a registry filled then); when the
    index cannot tell (a base from outside the project), the fix is withheld
    and the message says so. Subclasses of `str` can be weakly referenced on
    CPython (unlike `int`, `str` has no variable-size item layout), so their
    registries are fixed, although older versions of RULES.md listed them
    with `int`. It is unsafe:
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
    requires = (MODULE_CONTAINERS, CLASSES)
    name = "self-registration"
    message = (
        "the instance adds itself to `{where}` and nothing removes it: every instance stays alive "
        "for the life of the process; {suggestion}"
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
        classes = self.context.fact(CLASSES)
        for container in list(facts.globals.values()) + list(facts.class_attrs.values()):
            if container.ever_shrinks:
                continue
            for write in container.writes:
                info = classes.classes.get(write.method_class) if write.method_class is not None else None
                if not write.stores_instance or (info is not None and is_metaclass(info, classes)):
                    continue  # a metaclass registers classes, at class creation
                weak = "weakref.WeakValueDictionary" if is_mapping_store(container, write) else "weakref.WeakSet"
                referenceable = weakly_referenceable(self.context.project, info)
                fix = weak_container_fix(self.context, container, classes) if referenceable else None
                suggestion = _SUGGESTIONS[referenceable].format(weak=weak)
                self.report(write.statement, fix, where=container.label, suggestion=suggestion)
