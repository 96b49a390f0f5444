"""Inputs that have crashed parsers or linters: memlint reports, never crashes."""
import shutil
import sys
from pathlib import Path

import pytest

CRASHERS = Path(__file__).resolve().parent.parent / "fixtures" / "crashers"

# CPython's wording of syntax errors varies between versions: MEM001 lines are
# compared up to the message.
EXPECTED = {
    "nested_brackets.py": ["nested_brackets.py:1:205: MEM001 syntax error:"],
    "nested_blocks.py": ["nested_blocks.py:101:1: MEM001 syntax error:"],
    "null_byte.py": ["null_byte.py:1:1: MEM001 syntax error:"],
    "unknown_coding.py": ["unknown_coding.py:1:1: MEM002 cannot decode file: unknown encoding: klingon"],
    # CPython 3.10 moved this error from the end of the file to the opening quotes.
    "unterminated.py": [f"unterminated.py:1:{5 if sys.version_info >= (3, 10) else 20}: MEM001 syntax error:"],
    "form_feed_and_crlf.py": [
        "form_feed_and_crlf.py:4:11: MEM202 list(range(...)) is only iterated: iterate the range directly",
        "form_feed_and_crlf.py:5:3: MEM602 gc.collect() inside a loop: each call walks the whole heap",
    ],
    "lone_cr.py": ["lone_cr.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"],
}
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview


@pytest.mark.parametrize("path", sorted(CRASHERS.glob("*.py")), ids=lambda p: p.name)
def test_crasher_is_reported_not_crashed(path, run_memlint, tmp_path):
    shutil.copy(path, tmp_path / path.name)  # away from this repository's excludes
    result = run_memlint("-j1", *WITH_MEM202, path.name, cwd=tmp_path)
    assert b"error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1)
    lines = result.stdout.decode().splitlines()
    if path.name in EXPECTED:
        expected = EXPECTED[path.name]
        assert len(lines) == len(expected) and all(a.startswith(b) for a, b in zip(lines, expected)), lines
    else:
        assert lines == []
