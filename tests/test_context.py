"""ModuleSymbols.spelling: how a fix may name an imported object in the module it edits."""
import libcst as cst
import pytest

from memlint.context import ModuleSymbols


@pytest.mark.parametrize(
    "source, expected",
    [
        ("x = 1\n", "weakref"),  # free: the fix imports it
        ("import weakref as wr\n", "wr"),  # the module's own alias
        ("from weakref import ref\nweakref = None\n", None),  # the name is taken
        ("def f():\n    import weakref as weakref_module\n    import weakref\n", None),  # bound inside a function
    ],
)
def test_spelling_of_a_module(source, expected):
    assert ModuleSymbols(cst.parse_module(source)).spelling("weakref", "weakref") == expected


def test_spelling_of_an_imported_function():
    symbols = ModuleSymbols(cst.parse_module("from functools import lru_cache as memo\n"))
    assert symbols.spelling("functools.lru_cache", "lru_cache") == "memo"
    assert ModuleSymbols(cst.parse_module("def lru_cache(): pass\n")).spelling("functools.lru_cache", "lru_cache") is None
