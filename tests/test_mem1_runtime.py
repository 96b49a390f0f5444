"""Proof that the MEM101 fix does what it claims: exec the fixture and its fixed
golden, build instances, and measure them with tracemalloc."""
import tracemalloc
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COUNT = 20000


def _load(name):
    namespace = {"__name__": "mem1_fixture"}
    exec(compile((FIXTURES / name).read_text(encoding="utf-8"), name, "exec"), namespace)
    return namespace


def _bytes_per_instance(cls, *args):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        instances = [cls(*args) for _ in range(COUNT)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(instances) == COUNT
    return (after - before) / COUNT


@pytest.mark.parametrize("name, args", [("Vector", (1, 2, 3)), ("Event", (1, "tick"))])
def test_fixed_class_has_no_dict_and_uses_less_memory(name, args):
    original, fixed = _load("MEM101.py")[name], _load("MEM101.fixed.py")[name]
    assert hasattr(original(*args), "__dict__")
    assert not hasattr(fixed(*args), "__dict__")
    before, after = _bytes_per_instance(original, *args), _bytes_per_instance(fixed, *args)
    print(f"{name}: {before:.0f} -> {after:.0f} bytes per instance")
    assert after < before - 16


def test_fixed_tree_keeps_weak_references():
    tree = _load("MEM101.fixed.py")["TreeNode"]
    root = tree("root")
    child = root.add("leaf")
    assert not hasattr(root, "__dict__")
    assert child.parent() is root
