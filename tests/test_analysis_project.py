"""Project facts reach rules: ``context.project`` through the engine, the fix loop and the test helpers."""
import libcst as cst

from memlint.analysis.project import single_file_project
from memlint.rule import Replace, Rule
from memlint.testing import fix, fix_project, lint, lint_project, project_of


class OutsideAttributes(Rule):
    """Reports each class with the attributes other modules assign on its instances."""

    code, name, message = "TST101", "outside-attributes", "{name}: {attributes}"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        project = self.context.project
        if project is None:
            self.report(node.name, name=node.name.value, attributes="no project")
            return
        found = project.index.attributes_assigned_outside(project.qualify(node.name.value))
        attributes = "unknown" if found is None else ",".join(sorted(found)) or "none"
        self.report(node.name, name=project.qualify(node.name.value), attributes=attributes)


PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/msg.py": "class Message:\n    def __init__(self):\n        self.body = b''\n",
    "pkg/conn.py": "from .msg import Message\n\ndef send():\n    m = Message()\n    m.seqno = 1\n    return m\n",
}


def test_a_file_of_a_project_sees_what_other_modules_assign():
    [found] = lint_project(OutsideAttributes, PACKAGE, "pkg/msg.py")
    assert (found.code, found.line, found.column) == ("TST101", 1, 7)
    assert found.message == "pkg.msg.Message: seqno"


def test_project_of_names_the_target_module():
    project = project_of(PACKAGE, "pkg/conn.py")
    assert project.module.name == "pkg.conn" and not project.module.is_package
    assert project.index.covers("pkg.msg") and project.index.complete


def test_a_source_alone_is_a_one_file_project_named_after_the_file():
    [found] = lint(OutsideAttributes, "class Point:\n    pass\n", "geometry.py")
    assert found.message == "geometry.Point: none"


def test_an_incomplete_index_answers_project_wide_questions_with_unknown():
    project = single_file_project("class Point:\n    pass\n", "geometry", complete=False)
    [found] = lint(OutsideAttributes, "class Point:\n    pass\n", "geometry.py", project=project)
    assert found.message == "geometry.Point: unknown"


def test_a_source_the_index_cannot_read_has_no_facts():
    project = single_file_project(b"class Point:\n    x = (\n", "broken")
    assert not project.index.covers("broken") and "broken" in project.index.failed


class EllipsisWhenMessageKnown(Rule):
    """Replaces `pass` by `...`, but only in a project whose index covers pkg.msg."""

    code, name, message = "TST102", "ellipsis-when-known", "pass"

    def visit_Pass(self, node: cst.Pass) -> None:
        project = self.context.project
        if project is not None and project.index.covers("pkg.msg"):
            self.report(node, Replace(node, cst.Expr(cst.Ellipsis())))


def test_every_round_of_the_fix_loop_sees_the_project():
    files = dict(PACKAGE, **{"pkg/stub.py": "def f():\n    pass\n\ndef g():\n    pass\n"})
    assert fix_project(EllipsisWhenMessageKnown, files, "pkg/stub.py") == "def f():\n    ...\n\ndef g():\n    ...\n"
    assert fix(EllipsisWhenMessageKnown, files["pkg/stub.py"], "stub.py") == files["pkg/stub.py"]
