"""memlint.analysis.blocks: branches of compound statements, what follows a statement, finally blocks."""
import textwrap

import libcst as cst

from memlint.analysis.blocks import (
    blocks,
    class_statements,
    enclosing_finally,
    following_statements,
    in_finally,
    next_statement,
    small_statements,
    statement_site,
    statements_after,
)
from memlint.analysis.scopes import ScopeInfo
from memlint.config import Settings
from memlint.engine import lint_text
from memlint.rule import Rule


def code(nodes):
    module = cst.Module(body=[])
    return [module.code_for_node(node).strip() for node in nodes]


def test_every_branch_of_a_compound_statement_in_source_order():
    statement = cst.parse_statement(textwrap.dedent("""\
        try:
            a()
        except E:
            b()
        else:
            c()
        finally:
            d()
        """))
    assert [code(block) for block in blocks(statement)] == [["a()"], ["b()"], ["c()"], ["d()"]]
    chain = cst.parse_statement("if x:\n    a()\nelif y:\n    b()\nelse:\n    c()\n")
    assert [code(block) for block in blocks(chain)] == [["a()"], ["b()"], ["c()"]]
    loop = cst.parse_statement("for x in y: a(); b()\nelse:\n    c()\n")
    assert [code(block) for block in blocks(loop)] == [["a();", "b()"], ["c()"]]  # small statements keep their ";"


def test_statements_after_in_one_block():
    function = cst.parse_statement("def f():\n    a()\n    b()\n    c()\n")
    first = function.body.body[0]
    assert code(statements_after(function.body, first)) == ["b()", "c()"]
    assert statements_after(function.body, function) == []


def probe(source, on_call):
    seen = []

    class Probe(Rule):
        code, name, message = "TST030", "probe", "never"

        def visit_Call(self, node):
            seen.append(on_call(self.context, node))

    lint_text(textwrap.dedent(source), "x.py", Settings(), [Probe])
    return seen


def test_following_statements_climb_blocks_up_to_the_scope():
    source = """
    def f():
        a()
        if x:
            b()
            c()
        d()
    e()
    """
    after = probe(source, lambda ctx, node: (node.func.value, code(following_statements(ctx.ancestors))))
    assert after[1] == ("b", ["c()", "d()"])
    assert after[0][0] == "a" and after[0][1][1] == "d()"
    assert after[-1] == ("e", [])  # module level: nothing in an IndentedBlock after it


def test_enclosing_finally_stops_at_the_scope():
    source = """
    try:
        a()
    finally:
        b()
        def g():
            c()
    """
    assert probe(source, lambda ctx, node: (node.func.value, enclosing_finally(ctx.ancestors) is not None)) == [
        ("a", False), ("b", True), ("c", False),
    ]


def test_in_finally_answers_as_enclosing_finally_for_any_node_of_a_scope():
    module = cst.parse_module(textwrap.dedent("""\
        try:
            a()
            try:
                b()
            finally:
                c()
        except E:
            d()
        finally:
            e()
            if x:
                f()
            def g():
                h()
            lambda: i()
        j()
        """))
    info = ScopeInfo(module)
    calls = [node for name in "abcdefhij" for node in info.loads_of(name)]
    assert [(call.value, in_finally(info, call)) for call in calls] == [
        ("a", False), ("b", False), ("c", True), ("d", False), ("e", True), ("f", True), ("h", False),
        ("i", False), ("j", False),
    ]


def test_class_statements_enter_conditional_blocks_but_not_methods():
    cls = cst.parse_statement(textwrap.dedent("""\
        class C:
            x = 1; y = 2
            if T:
                z = 3
            else:
                def m(self):
                    w = 4
            try:
                import q
            except ImportError:
                q = None
        """))
    assert [type(s).__name__ for s in class_statements(cls)] == ["Assign", "Assign", "Assign", "FunctionDef", "Import", "Assign"]


def test_small_statements_through_every_branch_but_not_nested_scopes():
    function = cst.parse_statement(textwrap.dedent("""\
        def f():
            a = 1
            if x: return a
            elif y:
                pass
            else:
                return b
            try:
                c()
            except E:
                return d
            finally:
                e()
            def inner():
                return inner_value
            class K:
                attribute = 1
            with m:
                return g
        """))
    found = code(small_statements(function.body.body))
    assert found == ["a = 1", "return a", "pass", "return b", "c()", "return d", "e()", "return g"]


def test_statement_site_only_for_a_statement_alone_on_its_line_in_a_block():
    source = """
    def f():
        x = g(a())
        y = 1; h()
        if c: k()
        z = lambda: q()
    m()
    """
    sites = dict(probe(source, lambda ctx, node: (node.func.value, statement_site(ctx.ancestors))))
    g = sites["g"]
    assert code([g.line]) == ["x = g(a())"] and isinstance(g.statement, cst.Assign)
    assert isinstance(g.scope, cst.FunctionDef) and g.block is g.scope.body
    assert sites["a"] == g  # every node of the statement has the same site
    assert sites["h"] is None and sites["k"] is None  # behind a `;`, in a one-line suite
    assert sites["q"] is None  # in a lambda
    assert isinstance(sites["m"].block, cst.Module) and sites["m"].scope is sites["m"].block


def test_next_statement_when_nothing_raises():
    source = """
    def f():
        a()
        b(); c()
        try:
            d()
        except E:
            pass
        else:
            e()
        for x in y:
            g()
        if z:
            h()
        i()
    """

    def after(ctx, node):
        following = next_statement(ctx.ancestors[:-1])  # from the expression statement
        return node.func.value, None if following is None else code([following])[0].splitlines()[0]

    assert probe(source, after) == [
        ("a", "b(); c()"), ("b", "c()"), ("c", "try:"), ("d", "e()"), ("e", "for x in y:"),
        ("g", None), ("h", "i()"), ("i", None),
    ]
