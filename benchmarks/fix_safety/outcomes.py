"""The pure parts of the fix-safety run (run.py): reading pytest's summary, comparing
test and import outcomes before and after the fixes, counting fixes per rule and
finding the cosmetic damage a fix did. Nothing here runs a process or touches files.
"""
from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

# `pytest -rA` ends with one line per test: "PASSED id", "FAILED id - message", ...
# SKIPPED lines name a location, not a test id, so they are counted, not keyed.
_SUMMARY_START = re.compile(r"^=+ short test summary info =+$")
# A test id is a path and names, then maybe a parameter id in brackets, which may hold
# spaces and " - " itself.
_OUTCOME_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) ([^\s\[]+(?:\[.*?\])?)(?: - (.*))?$")
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)\b")
# A test that passed its call but failed its teardown gets two lines; the worse one counts.
_SEVERITY = {"PASSED": 0, "XFAIL": 0, "XPASS": 0, "FAILED": 1, "ERROR": 2}


class TestRun(NamedTuple):
    """One pytest run: the outcome of each test id, pytest's own totals, and the
    message of each test that did not pass."""

    outcomes: Dict[str, str]
    totals: Dict[str, int]
    messages: Dict[str, str]


def parse_pytest_summary(output: str) -> TestRun:
    """Read the outcomes from the output of `pytest -rA`: its last summary section (the
    captured output of a test that runs pytest itself has summaries of its own)."""
    outcomes: Dict[str, str] = {}
    messages: Dict[str, str] = {}
    lines = output.splitlines()
    starts = [index for index, line in enumerate(lines) if _SUMMARY_START.match(line)]
    for line in lines[starts[-1] + 1:] if starts else ():
        match = _OUTCOME_LINE.match(line)
        if match is None:
            continue
        outcome, test_id, message = match.groups()
        previous = outcomes.get(test_id)
        if previous is None or _SEVERITY[outcome] > _SEVERITY[previous]:
            outcomes[test_id] = outcome
            if message:
                messages[test_id] = message
    return TestRun(outcomes, pytest_totals(output), messages)


def pytest_totals(output: str) -> Dict[str, int]:
    """The counts of pytest's last line ("3 failed, 120 passed, 2 skipped in 4.1s")."""
    for line in reversed(output.splitlines()):
        if " in " in line and _COUNT.search(line):
            totals: Dict[str, int] = {}
            for number, word in _COUNT.findall(line):
                totals[word.rstrip("s") if word in ("errors", "warnings") else word] = int(number)
            return totals
    return {}


def passing(run: TestRun) -> Set[str]:
    """The ids of the tests that ran as expected (passed, or failed where marked xfail)."""
    return {test_id for test_id, outcome in run.outcomes.items() if outcome in ("PASSED", "XFAIL")}


class TestComparison(NamedTuple):
    broken: List[str]  # passed before the fixes, not after (failed, errored, gone)
    repaired: List[str]  # did not pass before, passed after
    before: int
    after: int


def compare_tests(before: TestRun, after: TestRun) -> TestComparison:
    passed_before, passed_after = passing(before), passing(after)
    return TestComparison(
        sorted(passed_before - passed_after), sorted(passed_after - passed_before),
        len(passed_before), len(passed_after),
    )


def compare_imports(before: Mapping[str, str], after: Mapping[str, str]) -> Dict[str, str]:
    """Modules that imported before the fixes and not after, with the error after."""
    return {
        module: after.get(module, "not imported")
        for module, result in sorted(before.items())
        if result == "ok" and after.get(module) != "ok"
    }


def fixable_per_rule(findings: Iterable[Mapping[str, object]]) -> Dict[str, int]:
    """How many findings of each rule carry a fix (memlint's JSON output)."""
    counts = Counter(str(finding["code"]) for finding in findings if finding.get("fix"))
    return dict(sorted(counts.items()))


def findings_per_rule(findings: Iterable[Mapping[str, object]]) -> Dict[str, int]:
    counts = Counter(str(finding["code"]) for finding in findings)
    return dict(sorted(counts.items()))


def fixes_applied(fixable_before: Mapping[str, int], before: Mapping[str, int], after: Mapping[str, int]) -> Dict[str, int]:
    """Fixes applied per rule: of a rule with fixable findings, the findings that the
    fix run made go away. A fixable finding whose fix was withheld in the end stays
    reported (with or without a fix), so it does not count."""
    applied = {rule: before[rule] - after.get(rule, 0) for rule in sorted(fixable_before)}
    return {rule: count for rule, count in applied.items() if count > 0}


_FIXED = re.compile(r"\bFixed (\d+) problems?\b")


def fixed_total(memlint_summary: str) -> int:
    """memlint's own count of the fixes it applied ("Fixed 11 problems in 6 files")."""
    match = _FIXED.search(memlint_summary)
    return int(match.group(1)) if match else 0


def module_names(relative_paths: Iterable[str]) -> List[str]:
    """Dotted module names of source files given relative to their import root
    ("click/core.py" -> "click.core", "click/__init__.py" -> "click")."""
    names = []
    for path in relative_paths:
        parts = path[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return sorted(names)


TEST_DIRECTORIES = frozenset({"test", "tests", "testing"})


def is_test_file(relative_path: str) -> bool:
    """A file of the project's test suite rather than of the package itself."""
    parts = relative_path.split("/")
    name = parts[-1]
    return (
        any(part in TEST_DIRECTORIES for part in parts[:-1])
        or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


# --- cosmetics: what a formatter would have to repair after the fix --------------

class StyleWarning(NamedTuple):
    code: str  # pycodestyle's code (E111, E301, E501, ...)
    text: str  # the line it is about, stripped (line numbers move with the fix)


_PYCODESTYLE_LINE = re.compile(r"^.*?:(\d+):\d+: ([EW]\d+) ")


def parse_pycodestyle(output: str, source: str) -> List[StyleWarning]:
    lines = source.splitlines()
    warnings = []
    for line in output.splitlines():
        match = _PYCODESTYLE_LINE.match(line)
        if match:
            number = int(match.group(1))
            text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
            warnings.append(StyleWarning(match.group(2), text))
    return warnings


def new_warnings(before: Sequence[StyleWarning], after: Sequence[StyleWarning]) -> List[StyleWarning]:
    """The warnings the fixed file has and the original did not (as a multiset)."""
    return sorted((Counter(after) - Counter(before)).elements())


def redundant_passes(source: str) -> int:
    """`pass` statements in a block that has other statements too (an inserted
    `__slots__` makes a class's `pass` redundant). SyntaxError if it does not parse."""
    tree = ast.parse(source)
    count = 0
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and len(block) > 1:
                count += sum(isinstance(statement, ast.Pass) for statement in block)
    return count


def line_limit(original: str, floor: int = 88) -> int:
    """The longest line a fixed file may have without a formatter's help: the longest
    line the file already had, and at least `floor` (black's default)."""
    return max([floor] + [len(line) for line in original.splitlines()])


def first_error_lines(output: str, limit: int = 12) -> Optional[str]:
    """The `E   ` lines of pytest's first failure report: what actually went wrong."""
    errors = [line for line in output.splitlines() if line.startswith("E   ")]
    return "\n".join(errors[:limit]) if errors else None


def split_tsv_row(line: str, columns: int) -> Tuple[str, ...]:
    cells = tuple(line.split("\t"))
    if len(cells) != columns:
        raise ValueError(f"expected {columns} tab-separated columns, got {len(cells)}: {line!r}")
    return cells
