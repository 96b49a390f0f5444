"""Annotated fixture files (``# expect: CODE:COL``) and fix goldens."""
from pathlib import Path

import pytest

from memlint.fixes import parses
from memlint.testing import fixtures

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ALL = fixtures(FIXTURES)
WITH_GOLDEN = [f for f in ALL if f.golden.exists()]


@pytest.mark.parametrize("fixture", ALL, ids=lambda f: f.path.name)
def test_fixture_findings(fixture):
    expected = fixture.expected()
    assert expected, f"{fixture.path.name} marks no expected finding"
    assert fixture.lint() == expected


@pytest.mark.parametrize("fixture", WITH_GOLDEN, ids=lambda f: f.path.name)
def test_fix_golden(fixture):
    fixed = fixture.fix()
    assert fixed == fixture.golden.read_text(encoding="utf-8")
    assert parses(fixed)
    assert fixture.fix(fixed) == fixed, "a second --fix must change nothing"


def test_every_rule_has_a_fixture():
    from memlint.registry import get_registry

    covered = {f.rule.code for f in ALL}
    builtin = {r.code for r in get_registry().rules if r.__module__.startswith("memlint.rules.")}
    assert builtin - covered == set()
