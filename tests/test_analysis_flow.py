"""memlint.analysis.flow: what a reference does to a container, reads of a
local container from the scope's facts, and the module containers fed by the walk."""
import textwrap

import libcst as cst
import pytest

from memlint.analysis.flow import MODULE_CONTAINERS, Effect, classify, local_uses
from memlint.analysis.scopes import ScopeInfo
from memlint.config import Settings
from memlint.engine import lint_text
from memlint.nodes import children
from memlint.rule import Rule


def path_to(source, name):
    """The path from the module down to the first variable Name ``name``."""
    module = cst.parse_module(textwrap.dedent(source))
    stack = [[module]]
    while stack:
        path = stack.pop()
        node = path[-1]
        if isinstance(node, cst.Name) and node.value == name and not isinstance(path[-2], cst.AssignTarget):
            return path
        stack.extend(path + [child] for child in reversed(children(node)))
    raise AssertionError(f"no {name} in {source!r}")


@pytest.mark.parametrize(
    "source, kind, effect",
    [
        ("c.append(x)", "list", Effect.GROW),
        ("c[k] = v", "dict", Effect.GROW),
        ("c[k].append(v)", "dict", Effect.GROW),
        ("c.setdefault(k, []).append(v)", "dict", Effect.GROW),
        ("c |= other", "set", Effect.GROW),
        ("c[i] = v", "list", Effect.NONE),  # replaces an item
        ('c["last"] = v', "dict", Effect.NONE),  # one fixed key
        ("c.update(mode=m)", "dict", Effect.NONE),  # fixed keys
        ("if len(c) < 100:\n    c.add(x)", "set", Effect.NONE),  # only while small
        ("c.get(k)", "dict", Effect.NONE),
        ("c.pop(k)", "dict", Effect.REMOVE),
        ("del c[k]", "dict", Effect.REMOVE),
        ("c[:] = []", "list", Effect.REMOVE),
        ("c -= other", "set", Effect.REMOVE),
        ("callbacks.append(c.clear)", "dict", Effect.REMOVE),  # handed out as a callback
        ("alias = c", "dict", Effect.ALIAS),
        ("a, b = c, d", "dict", Effect.ALIAS),
    ],
)
def test_classify_one_reference(source, kind, effect):
    assert classify(path_to(source, "c"), kind).effect is effect


def test_a_write_says_what_it_stores():
    use = classify(path_to("c.setdefault(k, []).append(v)", "c"), "dict")
    assert use.effect is Effect.GROW and use.into_values
    assert [n.value for n in use.stored] == ["v"]
    use = classify(path_to("c.append(item)", "c"), "list")
    assert use.method.value == "append" and not use.into_values


def test_local_uses_read_the_body_and_nested_scopes_from_the_scope_facts():
    function = cst.parse_statement(textwrap.dedent("""\
        @register(memo)
        def f(x, memo={}, other=memo):
            memo[x] = 1
            def inner():
                return memo.get(x)
            memo = None
        """))
    info = ScopeInfo(function)
    paths = list(local_uses(info, "memo"))
    # the decorator and the default are not in the body; `memo = None` is a binding, not a read
    assert [type(path[-2]).__name__ for path in paths] == ["Subscript", "Attribute"]
    assert all(path[0] is function and path[1] is function.body for path in paths)
    assert [classify(path, "dict").effect for path in paths] == [Effect.GROW, Effect.NONE]


def module_containers(source):
    """The MODULE_CONTAINERS of a source, read by a probe rule at the end of the walk."""
    found = []

    class Probe(Rule):
        code, name, message = "TST040", "probe", "never"
        requires = (MODULE_CONTAINERS,)

        def leave_Module(self, original_node):
            found.append(self.context.fact(MODULE_CONTAINERS))

    lint_text(textwrap.dedent(source), "x.py", Settings(), [Probe])
    return found[0]


def test_class_attributes_are_reached_through_the_instance_or_class_parameter():
    facts = module_containers("""
        class Registry:
            _all = []

            def add(self):
                type(self)._all.append(self)

            @classmethod
            def add_class(cls, item):
                cls._all.append(item)

            @staticmethod
            def add_static(registry, item):
                registry._all.append(item)  # `registry` is not an instance of the class
        """)
    (container,) = facts.class_attrs.values()
    assert [w.stored[0].value for w in container.writes] == ["self", "item"]
    method, class_method = container.writes
    assert method.instance_names == {"self"} and method.stores_instance
    assert class_method.instance_names == frozenset() and class_method.method_class is not None


def test_the_instance_of_a_method_comes_from_its_kind_not_its_position():
    facts = module_containers("""
        import builtins

        _all = []

        class Thing:
            def __init_subclass__(cls, **kw):
                _all.append(cls)  # a class, not an instance

            @builtins.staticmethod
            def make(item):
                _all.append(item)

            def __new__(cls):
                obj = super().__new__(cls)
                _all.append(obj)
                return obj
        """)
    writes = facts.globals["_all"].writes
    assert [sorted(w.instance_names) for w in writes] == [[], [], ["obj"]]
    assert [w.stores_instance for w in writes] == [False, False, True]


def test_definitions_in_every_branch_of_a_module_level_statement():
    facts = module_containers("""
        try:
            _a = {}
        except ImportError:
            _b = []
        else:
            _c = set()
        finally:
            _d = {}
        """)
    assert sorted(facts.globals) == ["_a", "_b", "_c", "_d"]


# -- values drawn from a fixed set ---------------------------------------------------------

from memlint.analysis.flow import fixed_value, grows_without_bound  # noqa: E402


@pytest.mark.parametrize(
    "source, fixed",
    [
        ('c["name"] = v', True),
        ("c[ord('-')] = v", True),
        ("for a, b in (('x', 1), ('y', 2)):\n    c[ord(a)] = b", True),
        ("for i in range(4):\n    c[i * 2, -i] = i", True),
        ("for i in range(4):\n    c[i, k] = i", False),
        ("for name in ('a', 'b'):\n    c[name.upper()] = 1", True),
        ("c[k] = v", False),
        ("c[next(counter)] = v", False),  # not a pure builtin
        ("for a in items:\n    c[a] = 1", False),  # a loop over something unknown
        ("for a in ('x',):\n    a = other\n    c[f(a)] = 1", False),  # an unknown call
    ],
)
def test_fixed_value_of_a_key(source, fixed):
    path = path_to(source, "c")
    key = cst.Tuple([cst.Element(e.slice.value) for e in path[-2].slice])
    assert fixed_value(key, path) is fixed
    assert grows_without_bound(classify(path, "dict"), path) is (not fixed and 'c["name"]' not in source)


def test_fixed_value_asks_about_other_names():
    path = path_to("c[TABLE] = v", "c")
    key = path[-2].slice[0].slice.value
    assert fixed_value(key, path) is False
    assert fixed_value(key, path, lambda name, _: name == "TABLE") is True


def test_a_write_into_values_grows_under_fixed_keys():
    path = path_to("for k in ('a', 'b'):\n    c[k].append(v)", "c")
    assert grows_without_bound(classify(path, "dict"), path)


def test_size_guards_shared_by_the_references_of_a_file_answer_as_one_climb_each():
    from memlint.analysis.flow import _SizeGuards

    module = cst.parse_module(textwrap.dedent("""
        def f(x):
            if x == 0:
                c.add(x)
            elif len(c) < 10:
                c.add(x)
            elif x == 2:
                if not c:
                    c.add(x)
                c.add(x)
        if len(c) < 10:
            def h():
                c.add(1)
        """))
    receivers, stack = [], [[module]]
    while stack:  # the paths to each `c` of `c.add(...)`, in source order
        path = stack.pop()
        if isinstance(path[-1], cst.Name) and path[-1].value == "c" and isinstance(path[-2], cst.Attribute):
            receivers.append(path)
        stack.extend(path + [child] for child in reversed(children(path[-1])))
    shared = _SizeGuards()
    expected = [Effect.GROW, Effect.NONE, Effect.NONE, Effect.GROW, Effect.GROW]  # h's: the guard is outside h
    assert [classify(path, "set", shared).effect for path in receivers] == expected
    assert [classify(path, "set").effect for path in receivers] == expected
    assert [classify(path, "set", shared).effect for path in reversed(receivers)] == expected[::-1]
