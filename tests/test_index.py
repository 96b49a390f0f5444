"""memlint.index: per-file summaries, the merged project index, module names, the cache."""
import importlib
import json
import os
import textwrap
import time

import pytest

import memlint.index
import memlint
from memlint.cache import Cache, clean
from memlint.index import (
    EXTERNAL_LAYOUTS, INDEX_KIND, Construction, ModuleName, ModuleSummary, ParameterFate, ProjectIndex,
    build_index, index_key, module_names, project_root, summarize,
)


def write(root, files):
    for path, source in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    return sorted(str(root / path) for path in files)


def index_of(tmp_path, files, cache=None):
    """The index of a project in ``tmp_path`` (a pyproject.toml marks the root)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("")
    paths = write(tmp_path, files)
    return build_index(paths, project_root(paths), cache)


# -- module names ------------------------------------------------------------------------------


def test_module_names_src_layout_packages_and_roots(tmp_path):
    paths = write(tmp_path, {
        "pyproject.toml": "",
        "src/pkg/__init__.py": "",
        "src/pkg/sub/__init__.py": "",
        "src/pkg/sub/mod.py": "",
        "tools/run.py": "",
        "src/pkg/stub.pyi": "",
    })
    python = [p for p in paths if p.endswith(".py")]
    assert project_root(python) == str(tmp_path)
    names = module_names(paths, str(tmp_path))
    assert names == {
        str(tmp_path / "src/pkg/__init__.py"): ModuleName("pkg", True),
        str(tmp_path / "src/pkg/sub/__init__.py"): ModuleName("pkg.sub", True),
        str(tmp_path / "src/pkg/sub/mod.py"): ModuleName("pkg.sub.mod", False),
        str(tmp_path / "tools/run.py"): ModuleName("tools.run", False, alias="run"),  # tools/ on sys.path
    }


def test_project_root_leaves_the_package_without_pyproject(tmp_path):
    paths = write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "", "pkg/b.py": ""})
    assert project_root([str(tmp_path / "pkg")]) == str(tmp_path)
    assert module_names(paths, project_root(paths))[str(tmp_path / "pkg/a.py")] == ModuleName("pkg.a", False)


def test_lib_layout_gets_the_import_name_as_alias(tmp_path):
    index = index_of(tmp_path, {
        "lib/pkg/__init__.py": "",
        "lib/pkg/msg.py": "class Message:\n    pass\n",
        "lib/pkg/conn.py": """\
            from pkg.msg import Message
            from .msg import Message as Same
            def send():
                m = Message()
                m.seqno = 1
                s = Same()
                s.other = 2
        """,
    })
    assert sorted(index.modules) == ["lib.pkg", "lib.pkg.conn", "lib.pkg.msg"]
    assert index.resolve("pkg.msg.Message") == "lib.pkg.msg.Message"
    assert index.attributes_assigned_outside("lib.pkg.msg.Message") == {"seqno", "other"}


def test_a_file_claimed_twice_goes_to_the_package(tmp_path):
    paths = write(tmp_path, {"m.py": "", "m/__init__.py": ""})
    assert module_names(paths, str(tmp_path)) == {str(tmp_path / "m/__init__.py"): ModuleName("m", True)}


@pytest.mark.parametrize("module, is_package, level, name, expected", [
    ("pkg.sub.mod", False, 1, "x", "pkg.sub.x"),
    ("pkg.sub.mod", False, 2, None, "pkg"),
    ("pkg.sub", True, 1, "x", "pkg.sub.x"),
    ("pkg.sub", True, 2, "y", "pkg.y"),
    ("pkg", True, 3, "x", None),
    ("pkg.mod", False, 0, "os.path", "os.path"),
])
def test_relative_imports(module, is_package, level, name, expected):
    assert memlint.index._absolute_module(module, is_package, level, name) == expected


# -- classes ----------------------------------------------------------------------------------------

MESSAGES = {
    "src/pkg/__init__.py": "from .msg import Message as Message\n",
    "src/pkg/msg.py": """\
        class Message:
            kind = "plain"

            def __init__(self, body):
                self.body = body
                setattr(self, "flags", 0)

            @classmethod
            def make(cls):
                cls.made = True
                return cls(b"")

            def copy(self):
                other = Message(self.body)
                other.copied_from = self
                return other
    """,
    "src/pkg/conn.py": """\
        import copy
        from copy import deepcopy as dc
        from typing import Optional

        import pkg.msg as pm
        from pkg import Message
        from .msg import Message as M

        def send(n):
            msg = Message(b"x")
            msg.seqno = n

        def resend(m: "M"):
            m.retries = 1

        def clone(msg: Optional[pm.Message], other: "pm.Message | None"):
            c = copy.copy(msg)
            c.copied = True
            d = dc(Message(b""))
            d.deep = 1
            other.union = 1
            setattr(msg, name_of(), 1)

        def nested():
            msg = M(b"")
            def inner():
                msg.inner = 1
            return inner

        def unknown(msg, text: str):
            msg.nope = 1
            text.nope = 1
            msg = Message(b"")

        class Conn:
            def __init__(self):
                self.msg = Message(b"")
                self.open = True

            def reset(self):
                self.closed = True
                self.msg.deeper = 1
    """,
}


def test_attributes_assigned_outside_through_every_spelling(tmp_path):
    index = index_of(tmp_path, MESSAGES)
    expected = {"seqno", "retries", "copied", "deep", "union", "*", "inner", "copied_from", "nope"}
    assert index.attributes_assigned_outside("pkg.msg.Message") == expected
    assert index.attributes_assigned_outside("pkg.Message") == expected
    assert index.where_assigned("pkg.Message", "seqno") == ("pkg.conn", 11)
    assert index.where_assigned("pkg.Message", "copied_from") == ("pkg.msg", 15)
    assert index.attributes_assigned_outside("pkg.conn.Conn") == frozenset()


def test_instances_from_factories(tmp_path):
    index = index_of(tmp_path, {
        "src/pkg/__init__.py": "from .msg import make\n",
        "src/pkg/msg.py": """\
            from typing import Optional
            class Message:
                @classmethod
                def parse(cls, data):
                    return cls()
            def make():
                return Message()
            def annotated(data) -> "Optional[Message]":
                return decode(data)
            def chained():
                m = make()
                return m
            def looping():
                return looping()
            def local_use():
                m = chained()
                m.local = 1
        """,
        "src/pkg/conn.py": """\
            import pkg
            from pkg.msg import Message, annotated
            def use(data):
                a = pkg.make()
                a.one = 1
                b = annotated(data)
                b.two = 2
                c = Message.parse(data)
                c.three = 3
                d = pkg.msg.looping()
                d.nothing = 4
        """,
    })
    summary = index.modules["pkg.msg"]
    assert dict(summary.factories) == {
        "Message.parse": ("pkg.msg.Message",), "annotated": ("pkg.msg.Message",),
        "chained": ("pkg.msg.Message",), "make": ("pkg.msg.Message",),
    }
    assert index.attributes_assigned_outside("pkg.msg.Message") == {"local", "one", "two", "three"}


def test_unknown_receivers_assign_nothing(tmp_path):
    summary = summarize(textwrap.dedent(MESSAGES["src/pkg/conn.py"]), "pkg.conn")
    # `msg.nope` in unknown(): the parameter is rebound to a Message, so the store counts;
    # `text.nope` (a str) and `self.msg.deeper` (an attribute chain) are not class stores.
    assert set(summary.stores) == {"pkg.Message", "pkg.msg.Message"}
    assert dict(summary.stores["pkg.Message"]) == {"seqno": 11, "deep": 20, "nope": 31}


def test_class_fields_bases_and_names(tmp_path):
    index = index_of(tmp_path, MESSAGES)
    message = index.class_summary("pkg.Message")
    assert message is not None
    assert message.fields == ("body", "flags")
    assert message.class_names == ("__init__", "copy", "kind", "made", "make")
    assert message.bases == () and message.slots is None and not message.opaque_layout
    conn = index.class_summary("pkg.conn.Conn")
    assert conn.fields == ("closed", "msg", "open")


def test_nested_classes_and_functions_get_qualified_names():
    summary = summarize(textwrap.dedent("""\
        class Outer:
            class Inner(Outer):
                def __init__(self):
                    self.x = 1
        def factory():
            class Local:
                def set(self, value):
                    self.value = value
            def helper(a):
                return a
            return Local
    """), "m")
    assert sorted(summary.classes) == ["Outer", "Outer.Inner", "factory.<locals>.Local"]
    assert summary.classes["Outer.Inner"].fields == ("x",)
    assert summary.classes["Outer.Inner"].bases == ("m.Outer",)
    assert summary.classes["factory.<locals>.Local"].fields == ("value",)
    # functions that take no argument (beyond self) have nothing to say about parameters
    assert sorted(summary.functions) == ["factory.<locals>.Local.set", "factory.<locals>.helper"]


def test_literal_slots_and_layouts_that_are_not_the_class_body():
    summary = summarize(textwrap.dedent("""\
        import attrs
        from dataclasses import dataclass
        class Tuple_:
            __slots__ = ("a", "b")
        class One:
            __slots__ = "a"
        class Keys:
            __slots__ = {"a": "doc"}
        class Computed:
            __slots__ = tuple(NAMES)
        @dataclass(slots=True)
        class Data:
            a: int
        @attrs.define
        class Attrs:
            a: int
        @dataclass(slots=False)
        class Plain:
            a: int
        class Twice:
            pass
        class Twice:
            pass
    """), "m")
    classes = summary.classes
    assert [classes[n].slots for n in ("Tuple_", "One", "Keys", "Plain")] == [("a", "b"), ("a",), ("a",), None]
    assert [n for n, c in classes.items() if c.opaque_layout] == ["Computed", "Data", "Attrs", "Twice"]


WEAK = {
    "src/pkg/__init__.py": "",
    "src/pkg/base.py": """\
        class Slotted:
            __slots__ = ("a",)
        class WithWeak:
            __slots__ = ("a", "__weakref__")
    """,
    "src/pkg/kinds.py": """\
        import enum
        import typing
        from collections import namedtuple
        from dataclasses import dataclass
        from typing import Dict, NamedTuple
        from somelib import Base
        from .base import Slotted, WithWeak

        class Plain: pass
        class Code(int): pass
        class SubCode(Code): pass
        class Text(str): pass
        class SlottedText(str):
            __slots__ = ()
        class Color(enum.IntEnum):
            RED = 1
        class Shade(enum.Enum):
            DARK = 1
        class Row(NamedTuple):
            a: int
        Pair = namedtuple("Pair", "a b")
        class Triple(Pair):
            __slots__ = ()
        class Inline(namedtuple("Inline", "a")):
            pass
        class ChildOfSlotted(Slotted): pass
        class SlottedChildOfSlotted(Slotted):
            __slots__ = ("b",)
        class SlottedChildOfWeak(WithWeak):
            __slots__ = ("b",)
        class SlottedChildOfPlain(Plain):
            __slots__ = ("b",)
        class Mapping(Dict[str, int]):
            __slots__ = ()
        class Group(set):
            __slots__ = ()
        class CodeWithMixin(int, Plain): pass
        class External(Base): pass
        class SlottedExternal(Base):
            __slots__ = ()
        @dataclass(slots=True)
        class Data:
            a: int
        try:
            from fast import Node
        except ImportError:
            class Node: pass
    """,
}


@pytest.mark.parametrize("name, expected", [
    ("pkg.kinds.Plain", True),
    ("pkg.kinds.Code", False),
    ("pkg.kinds.SubCode", False),
    ("pkg.kinds.Text", True),
    ("pkg.kinds.SlottedText", False),
    ("pkg.kinds.Color", False),
    ("pkg.kinds.Shade", True),
    ("pkg.kinds.Row", False),
    ("pkg.kinds.Pair", False),
    ("pkg.kinds.Triple", False),
    ("pkg.kinds.Inline", False),
    ("pkg.base.Slotted", False),
    ("pkg.base.WithWeak", True),
    ("pkg.kinds.ChildOfSlotted", True),
    ("pkg.kinds.SlottedChildOfSlotted", False),
    ("pkg.kinds.SlottedChildOfWeak", True),
    ("pkg.kinds.SlottedChildOfPlain", True),
    ("pkg.kinds.Mapping", False),
    ("pkg.kinds.Group", True),
    ("pkg.kinds.CodeWithMixin", False),
    ("pkg.kinds.External", None),
    ("pkg.kinds.SlottedExternal", None),
    ("pkg.kinds.Data", None),
    ("pkg.kinds.Node", None),
    ("pkg.kinds.Missing", None),
    ("elsewhere.Plain", None),
])
def test_weakly_referenceable(tmp_path, name, expected):
    assert index_of(tmp_path, WEAK).weakly_referenceable(name) is expected


def test_weak_reference_answers_match_cpython(tmp_path):
    """The same classes, created by CPython (only the ones the index decides)."""
    import weakref

    index = index_of(tmp_path, WEAK)
    # A module name of its own: without one the classes claim to live in `builtins`,
    # which confuses astroid's later answers in this process (seen on 3.9).
    namespace = {"__name__": "index_weak_check", "Base": type("Base", (), {})}
    source = "\n".join(
        textwrap.dedent(WEAK[path]).replace("from somelib import Base\n", "").replace("from .base import", "#")
        .replace("(slots=True)", "")  # Python 3.9; the index does not decide that class
        for path in ("src/pkg/base.py", "src/pkg/kinds.py")
    )
    exec(compile(source, "kinds", "exec"), namespace)  # our own test source, not linted code
    samples = {"Code": (1,), "SubCode": (1,), "Text": ("a",), "SlottedText": ("a",), "Row": (1,), "Pair": (1, 2),
               "Triple": (1, 2, 3)[:2], "Inline": (1,), "Mapping": (), "Group": ()}
    checked = 0
    for name, value in namespace.items():
        module = "pkg.base" if name in ("Slotted", "WithWeak") else "pkg.kinds"
        expected = index.weakly_referenceable(f"{module}.{name}")
        if not isinstance(value, type) or expected is None or name in ("Base", "Color", "Shade"):
            continue
        instance = value(*samples.get(name, ()))
        try:
            weakref.ref(instance)
            actual = True
        except TypeError:
            actual = False
        assert (name, actual) == (name, expected)
        checked += 1
    assert checked == 18


def test_standard_library_layouts_match_the_running_python():
    for name, layout in EXTERNAL_LAYOUTS.items():
        module, _, attribute = name.rpartition(".")
        if module in ("typing", "typing_extensions") and attribute in ("NamedTuple", "TypedDict"):
            continue
        cls = getattr(importlib.import_module(module), attribute)
        measured = "weakref" if cls.__weakrefoffset__ else "never" if cls.__itemsize__ else "plain"
        assert (name, measured) == (name, layout)


def test_subclasses(tmp_path):
    index = index_of(tmp_path, WEAK)
    assert index.subclasses("pkg.base.Slotted") == {"pkg.kinds.ChildOfSlotted", "pkg.kinds.SlottedChildOfSlotted"}
    assert index.subclasses("pkg.kinds.Code") == {"pkg.kinds.SubCode"}
    assert index.subclasses("elsewhere.X") is None


# -- construction sites ---------------------------------------------------------------------------------

BUILDERS = {
    "src/pkg/__init__.py": "",
    "src/pkg/node.py": """\
        class Node:
            @classmethod
            def leaf(cls):
                return cls()
        class Service:
            pass
    """,
    "src/pkg/build.py": """\
        from pkg.node import Node, Service as S
        from pkg import node

        SERVICE = S()

        def many(n):
            out = []
            for i in range(n):
                out.append(Node())
            while len(out) < 2 * n:
                out += [node.Node()]
            return out

        def comprehension(n):
            first = [Node() for _ in range(n)]
            return {k: Node() for k in first}

        def keyed(d, k):
            d[k] = Node()
            d.setdefault(k, Node())

        def bound(xs):
            made = Node()
            xs.append(made)
            other = Node()
            return other

        def main():
            service = S()
            service.run()
            for item in [Node(), Node()]:
                pass
    """,
}


def test_construction_sites_and_evidence(tmp_path):
    index = index_of(tmp_path, BUILDERS)
    # many: 2 (loops, one into a container); comprehension: 2; keyed: 2 (containers);
    # bound: 2 (one via a name put into a list); main: 2 (a display, evaluated once); leaf: cls()
    assert index.constructions("pkg.node.Node") == Construction(
        sites=11, in_loop=2, in_comprehension=2, in_container=4,
    )
    assert index.construction_evidence("pkg.node.Node") == (True, 11)
    assert index.construction_evidence("pkg.node.Service") == (False, 2)
    assert index.construction_evidence("pkg.build.Missing") is None
    assert index.construction_evidence("other.Node") is None


def test_functions_and_standard_library_calls_are_not_constructions(tmp_path):
    summary = summarize("import os\nfrom pkg import thing\ndef f():\n    os.getcwd()\n    thing()\n    len([])\n", "m")
    assert dict(summary.constructions) == {"pkg.thing": Construction(1, 0, 0, 0)}


# -- parameter fates -----------------------------------------------------------------------------------

FATES = {
    "src/pkg/__init__.py": "from .files import consume\n",
    "src/pkg/files.py": """\
        import contextlib
        from typing import overload

        def consume(f, g, h, k, *rest, key=None, **options):
            f.close()
            with g:
                pass
            return h

        def keep(item, registry, pair, mapping):
            registry.append(item)
            mapping[pair] = {"x": pair}

        class Holder:
            def __init__(self, stream, other):
                self.stream = stream
                self.pair = (other, 1)

            def use(self, a, b, c):
                helper(a)
                def inner():
                    return b
                values = [c for _ in range(2)]
                return inner

        def rebinds(p):
            p = open(p)
            p.close()

        def alias(p, q):
            r = p
            r.close()
            yield q

        def closing(p, q):
            with contextlib.closing(p):
                pass
            with q.lock:
                pass

        def captured(p):
            return lambda: p.close()

        @overload
        def over(p: int) -> int: ...
        @overload
        def over(p: str) -> str: ...
        def over(p):
            return p

        if FLAG:
            def twice(p): return p
        else:
            def twice(p): p.close()
    """,
}

NOTHING = ParameterFate(False, False, False, False)


@pytest.mark.parametrize("function, parameter, bound, expected", [
    ("pkg.files.consume", 0, False, ParameterFate(True, False, False, False)),
    ("pkg.consume", "g", False, ParameterFate(True, False, False, False)),
    ("pkg.files.consume", 2, False, ParameterFate(False, True, False, False)),
    ("pkg.files.consume", "k", False, NOTHING),
    ("pkg.files.consume", 4, False, None),  # *rest
    ("pkg.files.consume", "key", False, NOTHING),
    ("pkg.files.consume", "missing", False, None),
    ("pkg.files.keep", "item", False, ParameterFate(False, False, True, False)),
    ("pkg.files.keep", "registry", False, NOTHING),
    ("pkg.files.keep", "pair", False, ParameterFate(False, False, True, False)),
    ("pkg.files.Holder.__init__", 0, True, ParameterFate(False, False, True, False)),
    ("pkg.files.Holder.__init__", "other", False, ParameterFate(False, False, True, False)),
    ("pkg.files.Holder.use", "a", False, ParameterFate(False, False, False, True)),
    ("pkg.files.Holder.use", "b", False, ParameterFate(False, False, False, True)),
    ("pkg.files.Holder.use", "c", False, NOTHING),
    ("pkg.files.rebinds", 0, False, None),
    ("pkg.files.alias", "p", False, ParameterFate(True, False, False, False)),
    ("pkg.files.alias", "q", False, ParameterFate(False, True, False, False)),
    ("pkg.files.closing", "p", False, ParameterFate(True, False, False, True)),
    ("pkg.files.closing", "q", False, NOTHING),
    ("pkg.files.captured", "p", False, ParameterFate(True, False, False, True)),
    ("pkg.files.over", "p", False, ParameterFate(False, True, False, False)),
    ("pkg.files.twice", "p", False, None),
    ("pkg.files.missing", 0, False, None),
    ("elsewhere.consume", 0, False, None),
])
def test_parameter_fate(tmp_path, function, parameter, bound, expected):
    assert index_of(tmp_path, FATES).parameter_fate(function, parameter, bound=bound) == expected


def test_nonlocal_rebinding_makes_a_fate_unknown():
    summary = summarize(textwrap.dedent("""\
        def outer(p, q):
            def reset():
                nonlocal p, r
                p = None
                r = q
            r = None
            reset()
            p.close()
            r.close()
    """), "m")
    assert summary.functions["outer"].fate("p") is None
    # r is bound to q by the inner function (bound after it, in source order); q is also captured
    assert summary.functions["outer"].fate("q") == ParameterFate(False, False, False, True)


def test_cyclic_aliases_collect_every_class():
    summary = summarize(textwrap.dedent("""\
        from pkg import A, B
        def f(flag):
            x = A()
            y = B()
            for _ in range(3):
                x, y = y, x
                x = y
                y = x
            x.one = 1
            y.two = 2
    """), "m")
    assert {name: dict(attrs) for name, attrs in summary.stores.items()} == {
        "pkg.A": {"one": 9, "two": 10}, "pkg.B": {"one": 9, "two": 10},
    }


def test_inner_returns_are_not_the_outer_functions():
    summary = summarize("def outer(p):\n    def inner():\n        return p\n    return inner\n", "m")
    assert summary.functions["outer"].fate("p") == ParameterFate(False, False, False, True)


# -- removals from module-level containers ---------------------------------------------------------------

REGISTRIES = {
    "src/pkg/__init__.py": "from .registry import CACHE\n",
    "src/pkg/registry.py": """\
        REGISTRY = {}
        CACHE = {}
        KEEP = []
        GONE = []
        SHADOWED = set()
        ONLY_GROWS = {}

        def register(k, v):
            REGISTRY[k] = v
            ONLY_GROWS.setdefault(k, []).append(v)

        def reset():
            global GONE
            GONE = []

        def local_only():
            KEEP = []
            KEEP.clear()
            SHADOWED = set()
            SHADOWED.discard(1)
    """,
    "src/pkg/other.py": """\
        import pkg
        from pkg.registry import REGISTRY as R

        def evict(k):
            R.pop(k)

        def drop(k):
            del pkg.CACHE[k]
    """,
}


@pytest.mark.parametrize("container, expected", [
    ("REGISTRY", True), ("CACHE", True), ("GONE", True), ("KEEP", False), ("SHADOWED", False), ("ONLY_GROWS", False),
])
def test_removes_from(tmp_path, container, expected):
    assert index_of(tmp_path, REGISTRIES).removes_from("pkg.registry", container) is expected


def test_removes_from_an_uncovered_module_is_unknown(tmp_path):
    index = index_of(tmp_path, REGISTRIES)
    assert index.removes_from("elsewhere", "REGISTRY") is None
    assert index.covers("pkg.registry") and not index.covers("elsewhere")


def test_re_export_cycles_resolve_to_nothing():
    index = ProjectIndex([summarize("from b import X\n", "a"), summarize("from a import X\n", "b")])
    assert index.resolve("a.X") is None
    assert index.weakly_referenceable("a.X") is None
    assert index.resolve("a") == "a"


def test_aliases_name_the_same_module():
    index = ProjectIndex([summarize("class M: pass\n", "lib.pkg.msg")], aliases={"pkg.msg": "lib.pkg.msg"})
    assert index.resolve("pkg.msg.M") == "lib.pkg.msg.M"
    assert index.covers("pkg.msg") and index.covers("lib.pkg.msg") and not index.covers("pkg")


# -- robustness ------------------------------------------------------------------------------------------


def test_unparsable_files_are_not_covered(tmp_path):
    index = index_of(tmp_path, {"bad.py": "class Broken(:\n", "good.py": "class Fine: pass\n"})
    assert index.failed["bad"].startswith("cannot parse: SyntaxError")
    assert not index.covers("bad")
    assert index.weakly_referenceable("bad.Broken") is None
    assert index.weakly_referenceable("good.Fine") is True


@pytest.mark.parametrize("source", [
    "x = " + " + ".join(["a"] * 20000) + "\n",  # long operator chains: the walk keeps its own stack
    b"\x00",
    b"# coding: latin-1\nclass Caf\xe9: pass\n",
    "def f(:\n",
])
def test_summarize_never_raises(source):
    summary = summarize(source, "m")
    assert summary.error is None or summary.error.startswith("cannot parse")


def test_deep_nesting_is_an_error_not_a_crash():
    source = "x = " + "f(" * 400 + ")" * 400 + "\n"
    summary = summarize(source, "m")
    assert summary.error is not None and summary.module == "m"


def test_the_linted_code_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    index = index_of(tmp_path, {"evil.py": f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\nclass C: pass\n"})
    assert not marker.exists()
    assert index.weakly_referenceable("evil.C") is True


# -- serialisation and the cache -----------------------------------------------------------------------------


def test_json_round_trip(tmp_path):
    for source in list(MESSAGES.values()) + list(FATES.values()) + list(WEAK.values()):
        summary = summarize(textwrap.dedent(source), "pkg.mod")
        assert ModuleSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


@pytest.mark.parametrize("poison", [
    lambda d: d.update(format=0),
    lambda d: d.pop("classes"),
    lambda d: d.update(module=3),
    lambda d: d.update(package="yes"),
    lambda d: d["classes"]["Holder"].update(fields="stream"),
    lambda d: d["classes"]["Holder"].update(opaque=0),
    lambda d: d["functions"]["consume"].update(positional=99),
    lambda d: d["functions"]["consume"].update(fates=[0]),
    lambda d: d["functions"]["consume"].update(fates=[32, 0, 0, 0, 0, 0, 0]),
    lambda d: d["functions"]["consume"].update(fates=[-1, 0, 0, 0, 0, 0, 0]),
    lambda d: d["functions"]["consume"].update(positional=True),
    lambda d: d["constructions"].update(x=[1, 2, 0, 0]),
    lambda d: d["constructions"].update(x=[True, 0, 0, 0]),
    lambda d: d["stores"].update(x={"a": 0}),
    lambda d: d["exports"].update(x=None),
    lambda d: d.update(removals="pkg.x"),
])
def test_malformed_summaries_are_absent(poison):
    data = summarize(textwrap.dedent(FATES["src/pkg/files.py"]), "pkg.files").to_json()
    assert ModuleSummary.from_json(json.loads(json.dumps(data))) is not None
    poison(data)
    assert ModuleSummary.from_json(data) is None
    assert ModuleSummary.from_json([data]) is None


def test_cache_round_trip_and_poisoned_entries(tmp_path, monkeypatch):
    cache = Cache(str(tmp_path / "cache"), fingerprint="f" * 20)
    files = {"src/pkg/__init__.py": "", "src/pkg/msg.py": textwrap.dedent(MESSAGES["src/pkg/msg.py"])}
    first = index_of(tmp_path / "project", files, cache)
    path = tmp_path / "project/src/pkg/msg.py"
    key = index_key(path.read_bytes(), ModuleName("pkg.msg", False), cache.fingerprint)
    entry = os.path.join(cache.directory, memlint.__version__, INDEX_KIND, key[:2], key)
    assert json.loads(open(entry).read()) == first.modules["pkg.msg"].to_json()

    calls = []
    real = memlint.index.summarize
    monkeypatch.setattr(memlint.index, "summarize", lambda *a: calls.append(a[1]) or real(*a))
    warm = build_index([str(path), str(path.parent / "__init__.py")], str(tmp_path / "project"), cache)
    assert calls == [] and warm.modules == first.modules

    stored = json.loads(open(entry).read())
    stored["classes"]["Message"]["fields"] = "body"  # valid JSON, wrong type
    with open(entry, "w") as handle:
        json.dump(stored, handle)
    again = build_index([str(path)], str(tmp_path / "project"), cache)
    assert calls == ["pkg.msg"] and again.modules["pkg.msg"] == first.modules["pkg.msg"]
    assert json.loads(open(entry).read()) == first.modules["pkg.msg"].to_json()  # rewritten

    for poison in (b"\x00not json", b"[" * 100000):
        with open(entry, "wb") as handle:
            handle.write(poison)
        assert build_index([str(path)], str(tmp_path / "project"), cache).modules == {"pkg.msg": first.modules["pkg.msg"]}
    assert calls == ["pkg.msg"] * 3


def test_index_entries_are_pruned_and_cleaned_with_the_findings(tmp_path):
    cache = Cache(str(tmp_path / "cache"), fingerprint="f" * 20)
    index_of(tmp_path / "project", {"a.py": "class A: pass\n", "b.py": "x = 1\n"}, cache)
    entries = [os.path.join(d, f) for d, _, files in os.walk(cache.directory) for f in files if len(f) == 64]
    assert len(entries) == 2 and all(f"{os.sep}{INDEX_KIND}{os.sep}" in e for e in entries)
    old = time.time() - memlint.cache.MAX_AGE - 10
    os.utime(entries[0], (old, old))
    assert cache.prune() == 1
    assert clean(cache.directory) == [] and not os.path.exists(cache.directory)


def test_cached_only_index_answers_no_project_wide_question_when_a_file_is_missing(tmp_path):
    cache = Cache(str(tmp_path / "cache"), fingerprint="f" * 20)
    project = tmp_path / "project"
    full = index_of(project, MESSAGES, cache)
    paths = sorted(str(project / path) for path in MESSAGES)
    warm = build_index(paths, str(project), cache, cached_only=True)
    assert warm.complete and warm.modules == full.modules
    assert warm.attributes_assigned_outside("pkg.Message") == full.attributes_assigned_outside("pkg.Message")

    with open(project / "src/pkg/conn.py", "a") as handle:
        handle.write("# edited, not in the cache\n")
    partial = build_index(paths, str(project), cache, cached_only=True)
    assert not partial.complete and sorted(partial.modules) == ["pkg", "pkg.msg"]
    assert partial.attributes_assigned_outside("pkg.Message") is None
    assert partial.construction_evidence("pkg.Message") is None
    assert partial.subclasses("pkg.Message") is None
    assert partial.removes_from("pkg.msg", "X") is None
    assert partial.weakly_referenceable("pkg.Message") is True  # a fact of the class and its bases
    assert partial.class_summary("pkg.Message").fields == ("body", "flags")
    assert build_index(paths, str(project), None, cached_only=True).modules == {}


def test_cache_key_covers_the_module_name():
    data = b"from . import x\n"
    assert index_key(data, ModuleName("a.b", False), "f") != index_key(data, ModuleName("a.b", True), "f")
    assert index_key(data, ModuleName("a.b", False), "f") != index_key(data, ModuleName("a.c", False), "f")


def test_index_does_not_import_libcst():
    import subprocess
    import sys

    code = "import sys, memlint.index; print('libcst' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_tree_is_not_read_and_has_no_facts(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    summary = memlint.index.summarize_file(str(tmp_path / "pipe.py"), ModuleName("pipe", False))
    assert summary is not None and summary.error == "not a regular file" and summary.classes == {}


def _two_modules():
    msg = summarize("class Message:\n    def __init__(self):\n        self.body = b''\n", "pkg.msg")
    conn = summarize("from pkg.msg import Message\nm = Message()\nm.seqno = 1\n", "pkg.conn")
    return ProjectIndex([msg, conn])


def test_recording_keeps_each_question_once_with_its_latest_answer_and_not_the_inner_ones():
    index = _two_modules()
    with index.recording() as asked:
        assert index.construction_evidence("pkg.msg.Message") == (False, 1)  # asks constructions() in turn
        index.attributes_assigned_outside("pkg.msg.Message")
        index.attributes_assigned_outside("pkg.msg.Message")
        index.parameter_fate("pkg.conn.f", 0, bound=True)
    assert asked == [
        ("construction_evidence", ["pkg.msg.Message"], {}, [False, 1]),
        ("attributes_assigned_outside", ["pkg.msg.Message"], {}, ["seqno"]),
        ("parameter_fate", ["pkg.conn.f", 0], {"bound": True}, None),
    ]
    index.covers("pkg")  # not recording any more
    assert len(asked) == 3 and json.loads(json.dumps(asked)) == [list(q) for q in asked]


def test_recorded_answers_hold_until_another_module_changes_one():
    index = _two_modules()
    with index.recording() as asked:
        index.attributes_assigned_outside("pkg.msg.Message")
    assert index.answers_hold(json.loads(json.dumps(asked)))
    other = summarize("from pkg.msg import Message\nm = Message()\nm.flags = 1\n", "pkg.conn")
    assert not ProjectIndex([index.modules["pkg.msg"], other]).answers_hold(asked)
    unrelated = summarize("from pkg.msg import Message\nm = Message()\nm.seqno = 2\ndef f():\n    pass\n", "pkg.conn")
    assert ProjectIndex([index.modules["pkg.msg"], unrelated]).answers_hold(asked)
    assert not index.answers_hold([["__init__", [], {}, None]])  # not a question
    assert not index.answers_hold([["covers", [1, 2, 3], {}, True]])  # not what recording writes
    assert not index.answers_hold(["nonsense"])


def test_with_source_replaces_one_modules_facts_and_records_into_the_same_questions():
    index = _two_modules()
    name = ModuleName("pkg.msg", False)
    assert index.with_source("class Message:\n    def __init__(self):\n        self.body = b''\n", name) is index
    with index.recording() as asked:
        fixed = index.with_source("class Message:\n    __slots__ = ('body',)\n", name)
        assert fixed.class_summary("pkg.msg.Message").slots == ("body",) and fixed.complete
        assert fixed.attributes_assigned_outside("pkg.msg.Message") == frozenset({"seqno"})  # pkg.conn kept
    assert index.class_summary("pkg.msg.Message").slots is None
    assert [q[0] for q in asked] == ["class_summary", "attributes_assigned_outside"]
