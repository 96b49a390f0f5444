"""The engine's walk: source order, dispatch by node type, walk-fed analyses,
trigger words, and crash isolation of rules and analyses."""
import sysconfig
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from memlint.analysis import Collector, Fact, WalkFact
from memlint.config import Settings
from memlint.engine import lint_text
from memlint.nodes import children
from memlint.registry import RegistryError, check_rule_class
from memlint.rule import Rule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


class _LibcstOrder(cst.CSTVisitor):
    """Each node's children in the order libcst's own visitor reaches them."""

    def __init__(self) -> None:
        self.stack: list = []
        self.kids: dict = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.kids.setdefault(id(self.stack[-1]), []).append(node)
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


SOURCES = sorted(FIXTURES.glob("MEM[1-6]*.py")) + [STDLIB / name for name in ("typing.py", "dataclasses.py", "argparse.py", "asyncio/base_events.py", "asyncio/tasks.py")]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_children_come_in_libcst_visit_order(path):
    module = cst.parse_module(path.read_bytes())
    libcst_order = _LibcstOrder()
    module.visit(libcst_order)
    pending = [module]
    while pending:
        node = pending.pop()
        ours = children(node)
        theirs = [k for k in libcst_order.kids.get(id(node), []) if any(k is o for o in ours)]
        assert [id(k) for k in ours] == [id(k) for k in theirs], type(node).__name__
        pending.extend(ours)


def test_source_order_of_reordered_fields():
    source = "@d\nclass C(B, metaclass=M):\n    x = 1\n"
    classdef = cst.parse_module(source).body[0]
    assert [type(c).__name__ for c in children(classdef)] == ["Decorator", "Name", "Arg", "Arg", "IndentedBlock"]
    call = cst.parse_expression("f(key=value)")
    arg = call.args[0]
    assert [c.value for c in children(arg)] == ["key", "value"]
    params = cst.parse_expression("lambda a, /, b, *c, d, **e: 0").params
    assert [p.name.value for p in children(params) if isinstance(p, cst.Param)] == ["a", "b", "c", "d", "e"]


class _Events(Rule):
    code, name, message = "TST010", "events", "never"
    log: list = []

    def visit_FunctionDef(self, node):
        self.log.append(("visit", node.name.value, len(self.context.ancestors)))

    def leave_FunctionDef(self, original_node):
        self.log.append(("leave", original_node.name.value, len(self.context.ancestors)))


def test_visit_and_leave_bracket_nested_nodes_with_the_context_path():
    _Events.log = []
    lint_text("def f():\n    def g():\n        pass\n", "x.py", Settings(), [_Events])
    # The module, its def, the def's block, the inner def: depth 2 and 4.
    assert _Events.log == [("visit", "f", 2), ("visit", "g", 4), ("leave", "g", 4), ("leave", "f", 2)]


class _CountNames(Collector):
    __slots__ = ("names", "finished")

    def __init__(self, context):
        super().__init__(context)
        self.names = []
        self.finished = False

    def visit_Name(self, node):
        self.names.append(node.value)

    def leave_Module(self, original_node):
        self.finished = True


NAMES = WalkFact("names", _CountNames)


class _ReadsNames(Rule):
    code, name, message = "TST011", "reads-names", "{names}"
    requires = (NAMES,)

    def leave_Module(self, original_node):
        facts = self.context.fact(NAMES)
        assert facts.finished  # the collector's own leave_Module ran first
        self.report(original_node, names=",".join(facts.names))


def test_walk_fed_analysis_sees_the_whole_module_before_the_rules_leave_it():
    result = lint_text("a = b\nc(d)\n", "x.py", Settings(), [_ReadsNames])
    assert [d.message for d in result.diagnostics] == ["a,b,c,d"]


class _ReadsUndeclared(Rule):
    code, name, message = "TST012", "reads-undeclared", "never"

    def leave_Module(self, original_node):
        self.context.fact(NAMES)


def test_reading_an_undeclared_walk_fact_is_an_error_naming_it():
    result = lint_text("a = 1\n", "x.py", Settings(), [_ReadsUndeclared])
    assert result.errors == [
        "x.py: rule TST012 (reads-undeclared) crashed: LookupError: names is fed by the engine's walk: "
        "list it in the rule's `requires`"
    ]


def test_a_lazy_fact_is_computed_once_per_file():
    calls = []
    counted = Fact("counted", lambda context: calls.append(context.filename) or len(calls))

    class Twice(Rule):
        code, name, message = "TST013", "twice", "{n}"

        def visit_Name(self, node):
            self.report(node, n=self.context.fact(counted))

    result = lint_text("a\nb\n", "x.py", Settings(), [Twice])
    assert [d.message for d in result.diagnostics] == ["1", "1"] and calls == ["x.py"]


class _BrokenCollector(Collector):
    __slots__ = ()

    def visit_Name(self, node):
        raise KeyError("oops")


BROKEN = WalkFact("broken", _BrokenCollector)


class _NeedsBroken(Rule):
    code, name, message = "TST014", "needs-broken", "never"
    requires = (BROKEN,)

    def visit_Name(self, node):
        self.report(node)


class _Independent(Rule):
    code, name, message = "TST015", "independent", "name {value}"

    def visit_Name(self, node):
        self.report(node, value=node.value)


def test_a_crashing_analysis_skips_only_the_rules_that_need_it():
    result = lint_text("x = 1\n", "x.py", Settings(), [_NeedsBroken, _Independent])
    assert result.errors == ["x.py: analysis _BrokenCollector crashed: KeyError: 'oops'; skipped TST014"]
    assert [(d.code, d.message) for d in result.diagnostics] == [("TST015", "name x")]


class _Triggered(Rule):
    code, name, message = "TST016", "triggered", "call"
    triggers = ("collect",)
    created = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).created += 1

    def visit_Call(self, node):
        self.report(node)


def test_a_rule_is_not_created_for_a_file_without_its_trigger_words():
    _Triggered.created = 0
    assert lint_text("f()\n", "x.py", Settings(), [_Triggered]).diagnostics == []
    assert _Triggered.created == 0
    assert len(lint_text("import gc as g\ng.collect()\n", "x.py", Settings(), [_Triggered]).diagnostics) == 1
    assert _Triggered.created == 1


def test_attribute_visitors_are_rejected_by_the_registry():
    class FieldVisitor(Rule):
        code, name, message = "TST017", "field-visitor", "never"

        def visit_Call_func(self, node):
            pass

    with pytest.raises(RegistryError, match=r"visit_Call_func: 'Call_func' is not a libcst node type"):
        check_rule_class(FieldVisitor)
