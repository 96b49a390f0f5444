"""MEM401 advice when the parent cannot be weakly referenced, and MEM402 names by scope."""
from memlint.testing import fix_project, lint_project
from rules.parent_child_cycle import ParentChildCycle
from rules.self_reference_stored import SelfReferenceStored

TOKENS = """\
class TokenType(tuple):
    def __getattr__(self, name):
        new = TokenType(self + (name,))
        self.subtypes.add(new)
        new.parent = self
        return new
"""

TREE = """\
class Tree:
    __slots__ = ("children",)

    def add(self, child: "Node"):
        self.children.append(child)


class Node:
    def __init__(self, tree: Tree):
        self.tree = tree
"""


def test_a_tuple_subclass_parent_gets_unlink_advice_not_a_weakref() -> None:
    found = lint_project(ParentChildCycle, {"tokens.py": TOKENS}, "tokens.py")
    assert [(d.line, d.column) for d in found] == [(5, 9)]
    assert found[0].message.endswith(
        "TokenType instances cannot be weakly referenced: set new.parent to None when the child is done"
    )


def test_a_slotted_parent_without_weakref_withholds_the_fix() -> None:
    found = lint_project(ParentChildCycle, {"tree.py": TREE}, "tree.py")
    assert [(d.line, d.column) for d in found] == [(10, 9)]
    assert found[0].message.endswith(
        "Tree instances cannot be weakly referenced: set self.tree to None when the child is done"
    )
    assert fix_project(ParentChildCycle, {"tree.py": TREE}, "tree.py") == TREE


def test_a_parent_that_can_be_weakly_referenced_keeps_the_weakref_advice() -> None:
    source = TREE.replace('    __slots__ = ("children",)\n\n', "")
    found = lint_project(ParentChildCycle, {"tree.py": source}, "tree.py")
    assert found[0].message.endswith("store weakref.ref(tree) and read it through a property")


def test_a_lambda_whose_own_nested_def_binds_self_captures_nothing() -> None:
    source = """\
class Op:
    def __init__(self, f):
        self.apply = lambda obj: (lambda self: f(self))(obj)
"""
    assert lint_project(SelfReferenceStored, {"op.py": source}, "op.py") == []
