"""Runtime proof for MEM401: the fixed fixture frees a tree by reference counting
alone, the original needs the cyclic garbage collector."""
import gc
import weakref
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> ModuleType:
    module = ModuleType(name.replace(".", "_"))
    exec(compile((FIXTURES / name).read_text(encoding="utf-8"), name, "exec"), module.__dict__)
    return module


def build_document(module: ModuleType) -> object:
    document = module.Document("manual")
    for title in ("intro", "usage", "faq"):
        document.add(title)
    return document


def build_tree(module: ModuleType) -> object:
    root = module.TreeNode("root")
    for value in range(3):
        root.add_child(value).add_child(value * 10)
    return root


def freed_without_collection(build, module: ModuleType) -> bool:
    """Build a parent with its children, drop it, and tell whether it is gone
    while the cyclic collector is off."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        parent = build(module)
        alive = weakref.ref(parent)
        del parent
        return alive() is None
    finally:
        gc.collect()
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("build", [build_document, build_tree], ids=["document", "tree"])
def test_fix_frees_the_parent_without_a_collection(build):
    original, fixed = load("MEM401.py"), load("MEM401.fixed.py")
    assert not freed_without_collection(build, original), "the original should be kept alive by its cycle"
    assert freed_without_collection(build, fixed), "the fixed version should be freed by reference counting"


def test_fixed_children_still_reach_their_parent():
    fixed = load("MEM401.fixed.py")
    document = build_document(fixed)
    assert [s.path() for s in document.sections] == ["manual/intro", "manual/usage", "manual/faq"]
    root = build_tree(fixed)
    grandchild = root.children[2].children[0]
    assert grandchild.depth() == 2 and grandchild.parent.parent is root
    assert root.parent is None


def test_mem406_fix_keeps_registries_of_unreferenceable_instances_working():
    """The fix never gives a weak container instances `weakref.ref` refuses
    (an int or tuple subclass, slots without __weakref__): the fixed module
    still builds every kind of instance, and the one registry it turned weak
    (a str subclass, weakly referenceable on CPython) drops dead instances."""
    fixed = load("MEM406_registries.fixed.py")
    assert fixed.Code(7, "seven") == 7 and fixed.Code._by_name["seven"] == 7
    assert fixed.Point(1).x == 1 and len(fixed.Point._seen) == 1
    assert fixed.Pair((1, 2)) == (1, 2) and len(fixed.Base._made) == 1
    label = fixed.Label("a")
    assert list(fixed.Label._all) == [label]
    del label
    gc.collect()
    assert list(fixed.Label._all) == []
