"""Property tests on generated programs (hypothesmith): the engine never lets
an exception escape, a fix always gives code that compiles, and fixing the
fixed code changes nothing. The default run tries a few examples of each
(derandomized: the same ones every run); ``-m soak`` tries many, at random."""
import warnings

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from memlint.config import Settings
from memlint.registry import get_registry
from memlint.runner import Mode, process_source

ALL_RULES = Settings()
FIX_MODE = Mode(fix=True, unsafe_fixes=True)
_UNHEALTHY = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
BUDGETS = [
    pytest.param(settings(max_examples=8, deadline=None, database=None, derandomize=True,
                          suppress_health_check=_UNHEALTHY), id="quick"),
    pytest.param(settings(max_examples=400, deadline=None, database=None, suppress_health_check=_UNHEALTHY),
                 id="long", marks=[pytest.mark.slow, pytest.mark.soak]),
]
PROGRAMS = {
    "from_grammar": hypothesmith.from_grammar(),
    "from_node": hypothesmith.from_node(),
}
# Every rule's examples that its fix rewrites: a generated program rarely
# holds a finding, so the fix properties splice one of these into it.
FIXABLE_BY_RULE = {
    rule.code: [case.source for case in rule.INVALID if case.target_version is None and not case.options]
    for rule in get_registry().rules
    if any(case.fixed is not None for case in getattr(rule, "INVALID", ()))
}
FIXABLE = sorted(source for sources in FIXABLE_BY_RULE.values() for source in sources)


def compiles(source):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning on odd generated code
            compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def lint_never_raises(source):
    data = source.encode("utf-8", "surrogatepass")
    report = process_source(data, "fuzz.py", ALL_RULES, Mode())
    assert all(isinstance(line, str) for line in report.errors)  # errors for the file are fine


def fix_compiles_and_converges(program):
    assume(compiles(program))
    data = program.encode("utf-8", "surrogatepass")
    first = process_source(data, "fuzz.py", ALL_RULES, FIX_MODE)
    assert not [w for w in first.warnings if "does not parse" in w or "converge" in w], first.warnings
    fixed = first.output if first.output is not None else data
    assert compiles(fixed.decode("utf-8", "surrogatepass")), fixed
    second = process_source(fixed, "fuzz.py", ALL_RULES, FIX_MODE)
    assert second.fixed == 0 and second.output is None, (program, fixed, second.output)


def spliced(programs):
    """A generated program with a fixable example before or after it."""
    return st.tuples(programs, st.sampled_from(FIXABLE), st.booleans()).map(
        lambda parts: parts[1] + "\n" + parts[0] if parts[2] else parts[0].rstrip("\\") + "\n\n" + parts[1]
    )


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("generator", sorted(PROGRAMS))
def test_the_engine_never_raises_on_generated_programs(generator, budget):
    budget(given(PROGRAMS[generator])(lint_never_raises))()


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("generator", sorted(PROGRAMS))
def test_a_fix_compiles_and_a_second_fix_changes_nothing(generator, budget):
    budget(given(spliced(PROGRAMS[generator]))(fix_compiles_and_converges))()


def test_every_rule_with_a_fix_lends_examples():
    assert len(FIXABLE_BY_RULE) >= 15 and all(FIXABLE_BY_RULE.values()), FIXABLE_BY_RULE.keys()
