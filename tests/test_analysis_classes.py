"""memlint.analysis.classes: the class facts the MEM1 and MEM4 rules share, built from the engine's walk."""
import textwrap
import time

import libcst as cst
import pytest

from memlint.analysis.classes import CLASSES, ClassIndex, container_classes, parse_slots
from memlint.analysis.functions import FunctionKind
from memlint.config import Settings
from memlint.engine import lint_text, run_rules
from memlint.registry import get_registry
from memlint.rule import Rule


def index_of(source: str) -> ClassIndex:
    """The class facts of ``source`` as a rule sees them in ``leave_Module``."""
    found = []

    class Probe(Rule):
        code, name, message = "TST030", "probe", "never"
        requires = (CLASSES,)

        def leave_Module(self, node):
            found.append(self.context.fact(CLASSES))

    lint_text(textwrap.dedent(source), "x.py", Settings(), [Probe])
    return found[0]


def test_methods_carry_their_function_site_and_instance_stores():
    index = index_of('''
        from builtins import classmethod as cm

        class Point:
            def __init__(this, x):
                this.x = x
                this.a, this.b = 1, 2
                def later():
                    this.y = 0

            @cm
            def make(cls):
                cls.count = 0

            def __new__(cls):
                return super().__new__(cls)

            if True:
                def reset(self):
                    del self.x
    ''')
    (info,) = index.classes.values()
    assert [(m.name, m.site.kind) for m in info.methods] == [
        ("__init__", FunctionKind.METHOD),
        ("make", FunctionKind.CLASSMETHOD),
        ("__new__", FunctionKind.CLASSMETHOD),
        ("reset", FunctionKind.METHOD),
    ]
    init, make, _, reset = info.methods
    assert [(s.name, s.nested) for s in init.stores] == [("x", False), ("a", False), ("b", False), ("y", True)]
    assert make.stores == [] and info.foreign_attrs == {"count"}  # `cls` is the class, not an instance
    assert [(s.name, s.resets) for s in reset.stores] == [("x", True)]
    assert set(info.stores) == {"x", "a", "b"}  # own scope only: the closure's store is not a method's
    assert info.resets == {"x"}
    assert info.zero_arg_super


def test_class_body_bindings_slots_and_plain_methods():
    index = index_of('''
        class C:
            __slots__ = ("a", "b")
            size: int
            limit: int = 3
            x = y = 0

            def run(self): pass
            def helper(self): pass
            helper = staticmethod(helper)

            @property
            def area(self): return 0

            try:
                def fallback(self): pass
            except ImportError:
                pass
    ''')
    (info,) = index.classes.values()
    assert info.slots is not None and info.slots.name_set == {"a", "b"}
    assert set(info.bindings) == {"limit", "x", "y", "run", "helper", "area", "fallback"}
    assert info.annotations == {"size", "limit"}
    assert info.names == set(info.bindings) | {"size"}
    assert info.plain_methods == {"run", "fallback"}  # `helper` is rebound, `area` decorated
    assert info.properties == {"area"}


def test_bases_and_decorators_resolve_where_the_class_stands():
    index = index_of('''
        import typing as t
        import dataclasses

        def build():
            from collections import namedtuple as nt

            @dataclasses.dataclass
            class Row(nt("Row", "a b"), t.Generic[T], Unknown):
                pass
    ''')
    (info,) = index.classes.values()
    assert info.base_names == ("collections.namedtuple", "typing.Generic", None)
    assert info.decorator_names == ("dataclasses.dataclass",)
    assert info.path == ("build", "Row") and info.in_function
    assert index.by_name == {}  # defined in a function: not a module-level class


def test_module_level_classes_last_definition_wins():
    index = index_of('''
        class A: pass
        class B(A): pass
        class A(B, C):
            __slots__ = ()
        Alias = A
    ''')
    first, b, second = index.classes.values()
    assert index.by_name == {"A": second, "B": b}
    assert index.module_class(second.node) is second and index.module_class(first.node) is None
    assert index.redefined == {"A"}
    assert index.multi_base == {"B", "C"}
    assert index.bases_of_unslotted == {"A"}  # B has no __slots__; the second A has
    assert set(index.assigned) == {"Alias"}


def test_weakly_referenced_classes():
    index = index_of('''
        import weakref

        class Node:
            def ref(self):
                return weakref.ref(self)

        class Leaf: pass
        class Other: pass

        live = weakref.WeakSet()
        live.add(Leaf())
        strong = set()
        strong.add(Other())
    ''')
    assert index.weak_classes == {"Node", "Leaf"} and not index.weak_unknown
    node, leaf, other = index.classes.values()
    assert index.weakly_referenced(node) and not index.weakly_referenced(other)
    assert index_of("import weakref\nclass A: pass\nr = weakref.ref(thing)\n").weak_unknown


def test_instances_need_a_dict_or_own_resources():
    index = index_of('''
        import threading

        class Bag:
            def __init__(self, **kw):
                setattr(self, "k", 1)

        class Row:
            def __init__(self, a):
                self.a = a

        class Worker:
            def __init__(self):
                self.lock = threading.Lock()

        row = Row(1)
        row.extra = 2
        vars(row)
    ''')
    bag, row, worker = index.classes.values()
    assert bag.dynamic == ["calls setattr()"]
    assert row.dynamic == ["calls vars()"] and row.foreign_attrs == {"extra"}
    assert worker.owns_resources and not row.owns_resources
    assert index.calls_at_top == {"Row", "vars"}


def test_children_and_where_the_instance_is_passed():
    index = index_of('''
        from typing import List

        class Child:
            def __init__(self, parent):
                self.parent = parent

        class Parent:
            kids: List[Child]

            def __init__(self):
                self.first = Child(self)
                self.named = {}

            def add(self, name, child: Child):
                self.named[name] = child
                other = Child(parent=self)
                self.extra.append(other)
                for item in self.kids:
                    item.owner = self
    ''')
    child, parent = index.classes.values()
    assert index.child_attributes(parent) == {"kids": {"Child"}, "named": {"Child"}, "extra": {"Child"}}
    assert index.keeps_with_instance(parent) == {"Child": {0, "parent"}}
    assert index.holds(parent, "Child") and not index.holds(child, "Parent")
    add = index.method_of(parent.methods[1].site.node)
    assert add is not None and add.kept_names == {"child", "other", "item"}
    assert [type(s).__name__ for s in index.attribute_stores["owner"]] == ["Assign"]


def test_container_annotations_and_slots_literals():
    known = {"Child"}
    assert container_classes(cst.parse_expression('Optional["list[Child]"]'), known) == {"Child"}
    assert container_classes(cst.parse_expression("type[Child]"), known) == set()
    assert container_classes(cst.parse_expression("dict[str, Child] | None"), known) == {"Child"}
    assert [name for name, _ in parse_slots(cst.parse_expression('{"a": "doc", "b": ""}'))] == ["a", "b"]
    assert parse_slots(cst.parse_expression('("a",) + BASE')) is None


def _cost(rules, text: str) -> float:
    """CPU seconds of the engine's walk with ``rules`` on an already parsed module (best of two)."""
    module = cst.parse_module(text)
    settings = Settings(select=tuple(rule.code for rule in rules))
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        run_rules(module, text, "big.py", settings, rules)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.slow
def test_a_class_with_many_methods_costs_linear_time():
    def big_class(methods: int) -> str:
        body = "".join(
            f"    def m{i}(self, a):\n        self.v{i % 7} = a\n        return self.m{(i + 1) % methods}(a)\n\n"
            for i in range(methods)
        )
        return f"class Big:\n    def __init__(self, a):\n        self.a = a\n\n{body}"

    registry = get_registry()
    rules = [rule for rule in registry.rules if CLASSES in rule.requires]
    assert {rule.code for rule in rules} >= {"MEM101", "MEM401", "MEM402"}
    small, large = _cost(rules, big_class(200)), _cost(rules, big_class(16 * 200))
    assert large / small <= 20, f"16x the methods cost {large / small:.1f}x the time"
    assert len(index_of(big_class(300)).by_name["Big"].methods) == 301


def test_releases_are_resets_and_emptied_containers_outside_the_constructors():
    index = index_of('''
        class Holder:
            def __init__(self):
                self.declared = None
                self.cache.clear()

            def close(self):
                self.callback = None
                del self.handle
                self.pending.pop(0)
                del self.by_key["k"]
                self.items.copy()

                def later():
                    self.queue.clear()
        ''')
    info = index.by_name["Holder"]
    assert info.releases == {"callback", "handle", "pending", "by_key", "queue"}
    assert "declared" in info.resets  # the constructor's None is a reset, not a release


def test_name_calls_carry_the_instance_of_the_method_around():
    index = index_of('''
        class Tree:
            def add(self):
                self.nodes.append(Node(self))

        def build(tree):
            return Node(tree)
        ''')
    calls = index.calls_by_name["Node"]
    assert [(call.call.func.value, call.instance) for call in calls] == [("Node", "self"), ("Node", None)]


def test_attributes_holding_a_class_count_containers_and_single_instances():
    index = index_of('''
        class Child:
            pass

        class Parent:
            def __init__(self):
                self.kids: list[Child] = []
                self.first = Child()
                self.name = "x"
        ''')
    parent = index.by_name["Parent"]
    assert index.attributes_holding(parent, "Child") == {"kids", "first"}
    assert index.holds(parent, "Child")  # through the container only
    assert index.child_attributes(parent) == {"kids": {"Child"}}


def test_a_reset_is_none_an_empty_container_or_a_swap_for_one():
    index = index_of('''
        class Runner:
            def drain(self):
                errors, self.errors = self.errors, []
                self.queue = list()
                self.seen = {}
                self.name = "x"
                self.items = [1]
        ''')
    assert index.by_name["Runner"].releases == {"errors", "queue", "seen"}
