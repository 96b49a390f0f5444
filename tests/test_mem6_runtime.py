"""Runtime proof for the MEM601 fix: after an exception the collector is back
in the state it had before `gc.disable()`, and a program that runs with the
collector off keeps it off (issue 13: the old fix turned it back on)."""
import gc
import textwrap

import pytest

from memlint.rules.gc_disable_without_enable import GcDisableWithoutEnable
from memlint.testing import fix

SAVES_STATE = textwrap.dedent(
    """
    import gc


    def build(rows, fail):
        was_on = gc.isenabled()
        gc.disable()
        index = dict(rows)
        if fail:
            raise ValueError(fail)
        if was_on:
            gc.enable()
        return index
    """
)
ENABLES = textwrap.dedent(
    """
    import gc


    def build(rows, fail):
        gc.disable()
        index = dict(rows)
        if fail:
            raise ValueError(fail)
        gc.enable()
        return index
    """
)


def _state_after(source, enabled_before, fail):
    """Whether the collector is on after ``build(..., fail)`` ran with the
    collector on or off before; the test's own state is restored."""
    namespace = {}
    exec(compile(source, "gc_demo.py", "exec"), namespace)
    saved = gc.isenabled()
    try:
        gc.enable() if enabled_before else gc.disable()
        try:
            namespace["build"]([(1, 2)], fail)
        except ValueError:
            pass
        return gc.isenabled()
    finally:
        gc.enable() if saved else gc.disable()


def test_the_fix_uses_the_saved_state():
    fixed = fix(GcDisableWithoutEnable, SAVES_STATE)
    assert "finally:\n        if was_on:\n            gc.enable()" in fixed
    assert "was_enabled" not in fixed


@pytest.mark.parametrize("source", [SAVES_STATE, ENABLES], ids=["saves-state", "enables"])
def test_an_exception_no_longer_leaves_the_collector_off(source):
    assert _state_after(source, enabled_before=True, fail="boom") is False
    assert _state_after(fix(GcDisableWithoutEnable, source), enabled_before=True, fail="boom") is True


@pytest.mark.parametrize("fail", ["", "boom"])
def test_a_program_running_without_the_collector_keeps_it_off(fail):
    fixed = fix(GcDisableWithoutEnable, SAVES_STATE)
    assert _state_after(SAVES_STATE, enabled_before=False, fail=fail) is False
    assert _state_after(fixed, enabled_before=False, fail=fail) is False


def test_code_that_enables_unconditionally_keeps_its_normal_path():
    fixed = fix(GcDisableWithoutEnable, ENABLES)
    assert _state_after(fixed, enabled_before=False, fail="") is True  # as the original does
    assert _state_after(fixed, enabled_before=False, fail="boom") is False  # restored, not forced on
