"""Rule discovery, validation and packaging."""
import subprocess
import sys

import libcst.matchers as m
import pytest

from memlint.registry import Registry, RegistryError, RuleSource, get_registry, load_rules, visitor_methods
from memlint.rule import Rule


def make(code="TST001", name="a-rule", **attrs):
    return type("R" + code, (Rule,), dict(code=code, name=name, message="m", **attrs))


def test_duplicate_code_names_both_sources():
    first, second = make("TST001", "one"), make("TST001", "two")
    with pytest.raises(RegistryError) as info:
        Registry([RuleSource(first, "pack-a"), RuleSource(second, "pack-b")])
    assert "duplicate rule code 'TST001'" in str(info.value)
    assert "pack-a" in str(info.value) and "pack-b" in str(info.value)


def test_duplicate_name():
    with pytest.raises(RegistryError, match="duplicate rule name 'same'"):
        Registry([RuleSource(make("TST001", "same"), "a"), RuleSource(make("TST002", "same"), "b")])


@pytest.mark.parametrize(
    "code, name, message",
    [("MEM1", "ok-name", "malformed rule code"), ("mem101", "ok-name", "malformed rule code"),
     ("MEM101", "Bad_Name", "not kebab-case")],
)
def test_malformed_rules(code, name, message):
    with pytest.raises(RegistryError, match=message):
        Registry([RuleSource(make(code, name), "x")])


def test_matcher_decorators_rejected():
    class Decorated(Rule):
        code, name, message = "TST009", "decorated", "m"

        @m.visit(m.Name())
        def visit_Name(self, node):
            pass

    with pytest.raises(RegistryError, match="matcher decorators are ignored"):
        Registry([RuleSource(Decorated, "x")])


def test_builtins_registered_through_entry_point():
    from importlib import metadata

    points = metadata.entry_points(group="memlint.rules") if sys.version_info >= (3, 10) else metadata.entry_points()["memlint.rules"]
    assert "memlint.rules" in [p.value for p in points]
    assert get_registry().get("MEM601").__module__ == "memlint.rules.gc_disable_without_enable"


def test_flake8_entry_point():
    from importlib import metadata

    points = metadata.entry_points(group="flake8.extension") if sys.version_info >= (3, 10) else metadata.entry_points()["flake8.extension"]
    assert {p.value for p in points if p.name == "MEM"} == {"memlint.flake8_plugin:MemlintChecker"}


def test_no_top_level_rules_package_installed(tmp_path):
    # `rules/` is installed as memlint.rules only; a top-level `rules` belongs to another project.
    result = subprocess.run([sys.executable, "-c", "import rules"], cwd=tmp_path, capture_output=True)
    assert result.returncode != 0
    assert b"No module named 'rules'" in result.stderr


def test_selection_by_prefix_name_and_all():
    registry = get_registry()
    assert [r.code for r in registry.expand("MEM60")] == ["MEM601", "MEM602", "MEM603"]
    assert [r.code for r in registry.expand("gc-debug-saveall")] == ["MEM603"]
    assert len(registry.expand("ALL")) == len(registry.rules)
    assert registry.expand("XYZ") == []


def test_visitor_methods_are_own_and_inherited_without_libcst_stubs():
    class Helper(Rule):
        def visit_Call(self, node):
            pass

        def leave_Call(self, node):
            pass

    class Derived(Helper):
        code, name, message = "TST010", "derived", "m"

        def visit_Name(self, node):
            pass

        def leave_Call(self, node):  # overrides the helper's
            pass

    methods = visitor_methods(Derived)
    assert sorted(methods) == ["leave_Call", "visit_Call", "visit_Name"]
    assert methods["leave_Call"] is Derived.__dict__["leave_Call"]
    assert sorted(make().get_visitors(make().__new__(make()))) == []


def test_load_rules_imports_a_stubs_module_or_falls_back_to_the_registry():
    real = get_registry().get("MEM602")
    described = {"code": real.code, "name": real.name, "message": real.message, "options": {}}
    found = type("GcCollectInLoop", (), dict(described, __module__=real.__module__, __qualname__=real.__qualname__))
    lost = type("Gone", (), dict(described, __module__="nowhere.at_all", __qualname__="Gone"))
    assert load_rules([found, lost, real]) == [real, real, real]
