"""Under flake8, preview rules run exactly as under ``memlint``: a prefix such
as ``--select MEM2`` leaves them out, a code named exactly or ``preview =
true`` turns them on (memlint/flake8_run.py ``flake8_settings``)."""
from argparse import Namespace

import pytest

from memlint.config import Settings
from memlint.flake8_plugin import Flake8Selection
from memlint.flake8_run import flake8_settings
from memlint.registry import get_registry, preview_reason

pytest.importorskip("flake8")


def enabled_codes(settings, **options):
    selection = Flake8Selection(Namespace(
        select=options.get("select"), extend_select=options.get("extend_select"),
        ignore=None, extend_ignore=None, extended_default_select=["MEM"], extended_default_ignore=[],
        enable_extensions=None, disable_noqa=False,
    ))
    registry = get_registry()
    flake8 = flake8_settings(settings, selection, registry)
    return flake8.select, {rule.code for rule in flake8.enabled_rules(registry)}


# The ledger decides which rules are in preview: take one of each kind in MEM2.
MEM2 = [rule for rule in get_registry().rules if rule.code.startswith("MEM2")]
PREVIEW = next(rule.code for rule in MEM2 if preview_reason(rule) is not None)
ON = next(rule.code for rule in MEM2 if preview_reason(rule) is None)


def test_plain_flake8_runs_memlints_default_and_shares_its_cache_entries():
    select, codes = enabled_codes(Settings())
    assert select == ("ALL",)
    assert PREVIEW not in codes and "MEM602" in codes


def test_a_prefix_leaves_preview_rules_out_as_memlint_does():
    select, codes = enabled_codes(Settings(), select=["MEM2"])
    assert codes == {rule.code for rule in Settings(select=("MEM2",)).enabled_rules(get_registry())}
    assert PREVIEW not in codes and ON in codes and "MEM602" not in codes


def test_a_code_named_exactly_turns_a_preview_rule_on():
    _, codes = enabled_codes(Settings(), select=["E", PREVIEW])
    assert codes == {PREVIEW}
    _, codes = enabled_codes(Settings(), extend_select=[PREVIEW])
    assert PREVIEW in codes and "MEM602" in codes


def test_preview_in_the_config_turns_every_selected_preview_rule_on():
    select, codes = enabled_codes(Settings(preview=True))
    assert select == ("ALL",) and PREVIEW in codes and "MEM101" in codes
    _, codes = enabled_codes(Settings(preview=True), select=["MEM2"])
    assert PREVIEW in codes and "MEM101" not in codes
