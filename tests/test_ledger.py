"""The precision ledger decides which built-in rules are in preview (memlint/ledger.py)."""
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from memlint import ledger
from memlint.config import Settings
from memlint.ledger import RuleRecord, preview_reason_of
from memlint.registry import Registry, RuleSource, get_registry, preview_reason
from memlint.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
PRECISION = ROOT / "benchmarks" / "precision"


def _report_module():
    sys.path.insert(0, str(PRECISION))
    try:
        spec = importlib.util.spec_from_file_location("precision_report", PRECISION / "report.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PRECISION))


REPORT = _report_module()


def _ledger_records():
    return REPORT.records(REPORT.read_rows("findings"), REPORT.read_rows("verdicts"))


def test_generated_ledger_is_current():
    found = _ledger_records()
    assert ledger.LEDGER == {code: record for code, (record, _) in found.items()}, (
        "memlint/ledger.py is stale: run python benchmarks/precision/report.py --write"
    )
    assert "\n".join(REPORT.table(found)) in (ROOT / "docs" / "precision.md").read_text(encoding="utf-8")


def test_every_verdict_is_well_formed_and_filed_by_family():
    codes = {rule.code for rule in get_registry().rules}
    for path in sorted((PRECISION / "verdicts").glob("MEM*.tsv")):
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file, delimiter="\t"):
                where = f"{path.name}: {row['project']} {row['path']}:{row['line']}"
                assert row["verdict"] in ("TP", "FP", "debatable"), where
                assert row["reason"].strip(), f"{where}: a verdict needs its reason"
                assert row["code"] in codes and row["code"].startswith(path.stem), where


def test_default_on_rules_meet_the_bar_together():
    """Issue 13: the default-on rules together reach 0.93 on the ledger."""
    judged = true = 0
    for code, (record, _) in _ledger_records().items():
        if preview_reason_of(record) is None:
            judged, true = judged + record.judged, true + record.true
    assert judged == 0 or true / judged >= 0.93, f"default-on rules: {true}/{judged}"


@pytest.mark.parametrize(
    "record, in_preview",
    [
        (None, False),  # not on the ledger
        (RuleRecord(0, 0, 0), False),  # no finding on the corpus
        (RuleRecord(5, 5, 5), False),  # all of few findings judged, all right
        (RuleRecord(5, 4, 4), True),  # not all of them judged
        (RuleRecord(40, 9, 9), True),  # fewer than 10 judged
        (RuleRecord(40, 10, 9), False),  # 0.90
        (RuleRecord(40, 20, 17), True),  # 0.85
    ],
)
def test_preview_threshold(record, in_preview):
    assert (preview_reason_of(record) is not None) is in_preview


def test_reason_says_why():
    assert preview_reason_of(RuleRecord(139, 35, 2)) == (
        "its precision on the ledger's real projects is 0.06 (2 right of 35 judged findings; 0.90 needed)"
    )
    assert preview_reason_of(RuleRecord(40, 3, 3)) == (
        "only 3 of its 40 findings on the precision ledger are judged (10 needed)"
    )


@pytest.fixture
def mem101_in_preview(monkeypatch):
    monkeypatch.setitem(ledger.LEDGER, "MEM101", RuleRecord(139, 35, 2))
    monkeypatch.setitem(ledger.LEDGER, "MEM104", RuleRecord(8, 8, 8))


@pytest.mark.parametrize(
    "settings, enabled",
    [
        (Settings(), False),
        (Settings(select=("MEM1",)), False),
        (Settings(preview=True), True),
        (Settings(select=("MEM1",), preview=True), True),
        (Settings(select=("MEM101",)), True),
        (Settings(select=("missing-slots",)), True),
        (Settings(select=("MEM",), extend_select=("mem101",)), True),
        (Settings(select=("MEM101",), ignore=("MEM101",)), False),
    ],
)
def test_selection_of_a_preview_rule(mem101_in_preview, settings, enabled):
    codes = [rule.code for rule in settings.enabled_rules(get_registry())]
    assert ("MEM101" in codes) is enabled


def test_preview_does_not_change_what_is_fixable(mem101_in_preview):
    assert Settings().is_fixable("MEM101", get_registry())


def test_rule_pack_rules_are_never_preview(mem101_in_preview):
    class Packed(Rule):
        code, name, message = "MEM101", "packed", "m"

    assert preview_reason(Packed) is None
    registry = Registry([RuleSource(Packed, "pack")])
    assert Settings().enabled_rules(registry) == [Packed]


def test_cli_preview_flag_and_config(tmp_path, mem101_in_preview):
    source = tmp_path / "m.py"
    source.write_text(
        "class Point:\n    def __init__(self, x):\n        self.x = x\n\n\npoints = [Point(x) for x in range(9)]\n",
        encoding="utf-8",
    )

    def codes(*args):
        done = subprocess.run(
            [sys.executable, "-m", "memlint", "--no-cache", "--exit-zero", "-q", "--select", "MEM1", *args, str(source)],
            capture_output=True, text=True, cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        return [line.split()[1] for line in done.stdout.splitlines()]

    # The subprocess reads the real ledger; only test what holds whatever it says.
    real = preview_reason(get_registry().get("MEM101")) is not None
    assert codes("--preview") == ["MEM101"]
    assert codes() == ([] if real else ["MEM101"])
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\npreview = true\n", encoding="utf-8")
    assert codes() == ["MEM101"]
    assert codes("--no-preview") == ([] if real else ["MEM101"])
