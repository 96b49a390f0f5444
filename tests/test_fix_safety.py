"""The pure parts of the fix-safety benchmark (benchmarks/fix_safety/outcomes.py):
reading pytest's summary, comparing outcomes, counting fixes, finding cosmetic damage.
The benchmark itself needs the network and is not run here."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIX_SAFETY = ROOT / "benchmarks" / "fix_safety"


def _load_outcomes() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fix_safety_outcomes", FIX_SAFETY / "outcomes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


outcomes = _load_outcomes()

PYTEST_OUTPUT = """\
..F.sx                                                                   [100%]
=================================== FAILURES ===================================
___________________________________ test_two ___________________________________

    def test_two():
>       assert 1 == 2
E       assert 1 == 2

tests/test_a.py:5: AssertionError
=========================== short test summary info ============================
PASSED tests/test_a.py::test_one
PASSED tests/test_a.py::TestK::test_p[a - b]
PASSED tests/test_a.py::test_teardown
FAILED tests/test_a.py::test_two - assert 1 == 2
ERROR tests/test_a.py::test_teardown - RuntimeError: boom
SKIPPED [1] tests/test_a.py:9: no network
XFAIL tests/test_a.py::test_known - reason: bug 12
ERROR tests/test_b.py - ImportError: cannot import name 'x'
1 failed, 3 passed, 1 skipped, 1 xfailed, 2 errors in 0.12s
"""


def test_summary_lines_give_each_test_its_outcome_and_message() -> None:
    run = outcomes.parse_pytest_summary(PYTEST_OUTPUT)
    assert run.outcomes == {
        "tests/test_a.py::test_one": "PASSED",
        "tests/test_a.py::TestK::test_p[a - b]": "PASSED",
        "tests/test_a.py::test_teardown": "ERROR",  # passed its call, failed its teardown
        "tests/test_a.py::test_two": "FAILED",
        "tests/test_a.py::test_known": "XFAIL",
        "tests/test_b.py": "ERROR",  # a collection error
    }
    assert run.messages["tests/test_a.py::test_two"] == "assert 1 == 2"
    assert run.messages["tests/test_b.py"] == "ImportError: cannot import name 'x'"
    assert run.totals == {"failed": 1, "passed": 3, "skipped": 1, "xfailed": 1, "error": 2}


def test_only_the_last_summary_counts() -> None:
    # pytest's own tests print the summaries of the sessions they run
    inner = "==== short test summary info ====\nFAILED test_foo.py::test - assert 0\n1 failed in 0.01s\n"
    output = "PASSED\n---- Captured stdout call ----\n" + inner + PYTEST_OUTPUT
    assert "test_foo.py::test" not in outcomes.parse_pytest_summary(output).outcomes
    assert outcomes.parse_pytest_summary(output) == outcomes.parse_pytest_summary(PYTEST_OUTPUT)


def test_lines_before_the_summary_are_not_outcomes() -> None:
    output = "PASSED is what we want\n1 passed in 0.01s\n"
    assert outcomes.parse_pytest_summary(output).outcomes == {}


def test_a_crashed_run_has_no_totals() -> None:
    assert outcomes.pytest_totals("ImportError while loading conftest 'tests/conftest.py'.\n") == {}


def _run(**outcome_by_test: str) -> object:
    return outcomes.TestRun(dict(outcome_by_test), {}, {})


def test_broken_tests_are_those_that_passed_before_and_not_after() -> None:
    before = _run(a="PASSED", b="PASSED", c="FAILED", d="XFAIL", e="PASSED")
    after = _run(a="PASSED", b="FAILED", c="PASSED", d="XPASS")  # e is gone
    comparison = outcomes.compare_tests(before, after)
    assert comparison.broken == ["b", "d", "e"]
    assert comparison.repaired == ["c"]
    assert (comparison.before, comparison.after) == (4, 2)


def test_broken_imports_ignore_modules_that_failed_before() -> None:
    before = {"pkg": "ok", "pkg.win": "ImportError: no msvcrt", "pkg.core": "ok"}
    after = {"pkg": "ok", "pkg.win": "ImportError: no msvcrt", "pkg.core": "TypeError: cannot create weak reference"}
    assert outcomes.compare_imports(before, after) == {"pkg.core": "TypeError: cannot create weak reference"}
    assert outcomes.compare_imports(before, {"pkg": "ok"}) == {"pkg.core": "not imported"}


def test_fixes_applied_per_rule_are_the_findings_of_fixable_rules_that_went_away() -> None:
    findings = [
        {"code": "MEM101", "fix": {"applicability": "unsafe"}},
        {"code": "MEM101", "fix": {"applicability": "unsafe"}},
        {"code": "MEM203", "fix": {"applicability": "safe"}},
        {"code": "MEM401", "fix": {"applicability": "unsafe"}},
        {"code": "MEM403", "fix": None},
    ]
    fixable = outcomes.fixable_per_rule(findings)
    assert fixable == {"MEM101": 2, "MEM203": 1, "MEM401": 1}
    before = outcomes.findings_per_rule(findings)
    # MEM401's fix was withheld once MEM101 had slotted the class: its finding stays, without a fix
    remaining = [{"code": "MEM101", "fix": {"applicability": "unsafe"}}, {"code": "MEM401", "fix": None},
                 {"code": "MEM403", "fix": None}]
    assert outcomes.fixes_applied(fixable, before, outcomes.findings_per_rule(remaining)) == {"MEM101": 1, "MEM203": 1}
    assert outcomes.fixes_applied(fixable, before, before) == {}


def test_fixed_total_is_memlints_own_count() -> None:
    assert outcomes.fixed_total("Fixed 11 problems in 6 files; 2 remaining") == 11
    assert outcomes.fixed_total("Fixed 1 problem in 1 file") == 1
    assert outcomes.fixed_total("No problems found") == 0


def test_module_names_and_test_files() -> None:
    assert outcomes.module_names(["click/core.py", "click/__init__.py", "nx/algo/__init__.py"]) == [
        "click", "click.core", "nx.algo"]
    assert outcomes.is_test_file("networkx/algorithms/tests/test_dag.py")
    assert outcomes.is_test_file("parso/conftest.py")
    assert not outcomes.is_test_file("_pytest/pytester.py")
    assert not outcomes.is_test_file("click/testing.py")


def test_new_style_warnings_are_counted_as_a_multiset_of_lines() -> None:
    original = "class A:\n    def f(self):\n        pass\n"
    fixed = 'class A:\n    __slots__ = ("x",)\n    def f(self):\n        pass\n'
    before = outcomes.parse_pycodestyle("", original)
    after = outcomes.parse_pycodestyle("a.py:3:5: E301 expected 1 blank line, found 0\n", fixed)
    assert after == [outcomes.StyleWarning("E301", "def f(self):")]
    assert outcomes.new_warnings(before, after) == after
    assert outcomes.new_warnings(after, after) == []


def test_a_pass_next_to_other_statements_is_redundant() -> None:
    assert outcomes.redundant_passes("class A:\n    pass\n") == 0
    assert outcomes.redundant_passes('class A:\n    __slots__ = ()\n    pass\n') == 1
    assert outcomes.redundant_passes("try:\n    f()\nfinally:\n    g()\n    pass\n") == 1


def test_line_limit_is_the_longest_existing_line_and_at_least_88() -> None:
    assert outcomes.line_limit("x = 1\n") == 88
    assert outcomes.line_limit("x = " + "1" * 100 + "\n") == 104


def test_first_error_lines_come_from_pytest_failure_reports() -> None:
    assert outcomes.first_error_lines(PYTEST_OUTPUT) == "E       assert 1 == 2"
    assert outcomes.first_error_lines("1 passed in 0.01s") is None


def test_tsv_rows_must_have_every_column() -> None:
    assert outcomes.split_tsv_row("a\tb", 2) == ("a", "b")
    with pytest.raises(ValueError, match="expected 3 tab-separated columns, got 2"):
        outcomes.split_tsv_row("a\tb", 3)


def test_the_project_pins_are_well_formed() -> None:
    rows = [line for line in (FIX_SAFETY / "projects.tsv").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    assert len(rows) >= 4
    for row in rows:
        name, version, sdist, sha256, packages, requirements, _args, _why = outcomes.split_tsv_row(row, 8)
        assert sdist == f"{name}-{version}.tar.gz"
        assert len(sha256) == 64 and int(sha256, 16) >= 0
        assert packages and all("==" in requirement for requirement in requirements.split())
