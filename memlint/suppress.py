"""``# noqa`` handling, parsed exactly as flake8 parses it so that the CLI and
the flake8 plugin suppress the same findings."""
from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Sequence, Set

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


def codes_in(text: str) -> List[str]:
    """The codes of a directive's list, in order, each once."""
    return list(dict.fromkeys(c for c in _SEPARATORS.split(text) if c))


def lines_with_breaks(text: str) -> List[str]:
    """Physical lines, each with its line break (as split_lines counts them)."""
    lines = _AFTER_LINE_BREAK.split(text)
    return lines[:-1] if lines[-1] == "" else lines


def _codes(text: Optional[str]) -> FrozenSet[str]:
    if text is None:
        return ALL_CODES
    return frozenset(codes_in(text))


def _matching(code: str, codes: FrozenSet[str]) -> List[str]:
    """The entries of a directive that suppress ``code`` (``*`` for all)."""
    if codes is ALL_CODES:
        return ["*"]
    return [entry for entry in codes if code.startswith(entry)]


class Suppressions:
    """Answers "is this code suppressed on this line?" for one file, and
    remembers which directive entries suppressed something (for MEM003)."""
    __slots__ = ("lines", "file_codes", "used", "used_file")

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.file_codes: Optional[FrozenSet[str]] = _file_level(lines)
        self.used: Dict[int, Set[str]] = {}  # line -> entries of its `# noqa` that suppressed a finding
        self.used_file: Set[str] = set()  # entries of `# memlint: noqa: ...` that did

    def suppressed(self, code: str, line: int) -> bool:
        if self.file_codes is not None:
            entries = _matching(code, self.file_codes)
            if entries:
                self.used_file.update(entries)
                return True
        if not 1 <= line <= len(self.lines):
            return False
        match = NOQA_INLINE.search(self.lines[line - 1])
        entries = _matching(code, _codes(match.group("codes"))) if match else []
        if entries:
            self.used.setdefault(line, set()).update(entries)
        return bool(entries)


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
