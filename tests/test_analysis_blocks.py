"""memlint.analysis.blocks: branches of compound statements, what follows a statement, finally blocks."""
import textwrap

import libcst as cst

from memlint.analysis.blocks import blocks, class_statements, enclosing_finally, following_statements, statements_after
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
