"""Every built-in rule's inline VALID/INVALID cases, and its documentation."""
import pytest

from memlint.docs import missing_sections
from memlint.registry import get_registry
from memlint.rule import FixAvailability, Invalid
from memlint.testing import check_invalid, check_valid, rule_cases

BUILTIN = [r for r in get_registry().rules if r.__module__.startswith("memlint.rules.")]
CASES = rule_cases(BUILTIN)


@pytest.mark.parametrize("rule, case", [pytest.param(r, c, id=i) for i, r, c in CASES])
def test_inline_case(rule, case):
    if isinstance(case, Invalid):
        check_invalid(rule, case)
    else:
        check_valid(rule, case)


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.code)
def test_rule_is_complete(rule):
    assert rule.VALID, f"{rule.code} has no VALID cases"
    assert rule.INVALID, f"{rule.code} has no INVALID cases"
    assert missing_sections(rule) == [], f"{rule.code} docstring lacks sections"
    module = rule.__module__.rsplit(".", 1)[-1]
    assert module == rule.name.replace("-", "_"), "one rule per module, named after the rule"
    if rule.fix_availability is not FixAvailability.NONE:
        assert any(c.fixed is not None for c in rule.INVALID), f"{rule.code} fixes but no case shows a fix"


def test_builtin_rules_present():
    codes = {r.code for r in BUILTIN}
    assert {"MEM001", "MEM002", "MEM202", "MEM601", "MEM602", "MEM603"} <= codes
