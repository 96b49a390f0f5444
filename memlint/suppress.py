"""``# noqa`` handling, parsed exactly as flake8 parses it so that the CLI and
the flake8 plugin suppress the same findings."""
from __future__ import annotations

import re
from typing import FrozenSet, List, Optional, Sequence

# flake8.defaults.NOQA_INLINE_REGEXP, verbatim.
NOQA_INLINE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
# A line of its own: ``# memlint: noqa``, optionally ``: CODES`` for just those.
MEMLINT_NOQA_FILE = re.compile(
    r"\s*#\s*memlint[:=]\s*noqa(?::\s?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?\s*$",
    re.IGNORECASE,
)
# flake8.defaults.NOQA_FILE, verbatim: flake8 skips such a file whole.
FLAKE8_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)
_SEPARATORS = re.compile(r"[,\s]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_AFTER_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")

ALL_CODES: FrozenSet[str] = frozenset({"*"})


def split_lines(text: str) -> List[str]:
    """Physical lines as Python's tokenizer counts them (not str.splitlines,
    which also breaks on form feeds and other separators)."""
    return _LINE_BREAK.split(text)


def lines_with_breaks(text: str) -> List[str]:
    """Physical lines, each with its line break (as split_lines counts them)."""
    lines = _AFTER_LINE_BREAK.split(text)
    return lines[:-1] if lines[-1] == "" else lines


def _codes(text: Optional[str]) -> FrozenSet[str]:
    if text is None:
        return ALL_CODES
    return frozenset(c.strip() for c in _SEPARATORS.split(text) if c.strip())


def _matches(code: str, codes: FrozenSet[str]) -> bool:
    return codes is ALL_CODES or code in codes or code.startswith(tuple(codes))


class Suppressions:
    """Answers "is this code suppressed on this line?" for one file."""
    __slots__ = ("lines", "file_codes")

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.file_codes: Optional[FrozenSet[str]] = _file_level(lines)

    def suppressed(self, code: str, line: int) -> bool:
        if self.file_codes is not None and _matches(code, self.file_codes):
            return True
        if not 1 <= line <= len(self.lines):
            return False
        match = NOQA_INLINE.search(self.lines[line - 1])
        return match is not None and _matches(code, _codes(match.group("codes")))


def _file_level(lines: Sequence[str]) -> Optional[FrozenSet[str]]:
    """Codes disabled for the whole file: all of them, some, or None."""
    found: Optional[FrozenSet[str]] = None
    for line in lines:
        if "noqa" not in line.lower():
            continue
        if FLAKE8_NOQA_FILE.match(line):
            return ALL_CODES
        match = MEMLINT_NOQA_FILE.match(line)
        if match is None:
            continue
        codes = _codes(match.group("codes"))
        if codes is ALL_CODES:
            return ALL_CODES
        found = codes if found is None else found | codes
    return found
