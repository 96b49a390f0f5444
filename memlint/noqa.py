"""``# noqa`` comments as code: the ones that suppress nothing (MEM003,
unused-noqa) and adding them for every current finding (``--add-noqa``).

Only real comments count here, found with :mod:`tokenize`: ``# noqa`` inside
a string literal still suppresses (flake8 reads physical lines, and so does
:mod:`memlint.suppress`), but it is nobody's directive to report or edit.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from memlint.diagnostics import Diagnostic
from memlint.suppress import MEMLINT_NOQA_FILE, NOQA_INLINE, Suppressions, codes_in, split_lines

if TYPE_CHECKING:
    from memlint.runner import FileReport

UNUSED_NOQA = "MEM003"
# A full code in memlint's own range: if no rule has it, it suppresses nothing.
_MEMLINT_CODE = re.compile(r"MEM[0-9]{3}")


@dataclass(frozen=True)
class Directive:
    """A ``# noqa: CODES`` (or a file-level ``# memlint: noqa: CODES``) comment."""

    line: int
    column: int  # 1-based, of the comment
    end_column: int
    codes: Tuple[str, ...]
    file_level: bool
    codes_span: Tuple[int, int]  # 0-based columns of the code list in the line


def _comments(text: str) -> Iterator[tokenize.TokenInfo]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token
    except (tokenize.TokenError, SyntaxError):  # the rest of the file has no readable comments
        return


def directives(text: str) -> List[Directive]:
    """The directives with a code list, in the file's comments."""
    lines = split_lines(text)
    found = []
    for token in _comments(text):
        line, start = token.start
        own_line = not lines[line - 1][:start].strip()
        file_match = MEMLINT_NOQA_FILE.match(token.string) if own_line else None
        match = file_match or NOQA_INLINE.search(token.string)
        if match is None or match.group("codes") is None:
            continue
        span = (start + match.start("codes"), start + match.end("codes"))
        found.append(
            Directive(
                line, start + 1, token.end[1] + 1, tuple(codes_in(match.group("codes"))), file_match is not None, span
            )
        )
    return found


def unused_noqa(
    text: str, filename: str, suppressions: Suppressions, enabled: Sequence[type]
) -> List[Diagnostic]:
    """MEM003 for each directive naming codes that suppressed nothing: codes
    of rules that ran on this file, and memlint codes no rule has. Codes of
    other tools (``E501``), of rules not selected in this run, prefixes
    (``MEM2``) and bare ``# noqa`` are never judged."""
    rule = next((r for r in enabled if getattr(r, "code") == UNUSED_NOQA), None)
    if rule is None or "noqa" not in text:
        return []
    ran = {getattr(r, "code") for r in enabled}
    found = []
    for directive in directives(text):
        used = suppressions.used_file if directive.file_level else suppressions.used.get(directive.line, set())
        unused = [code for code in directive.codes if code not in used and _judged(code, ran)]
        if unused and not suppressions.suppressed(UNUSED_NOQA, directive.line):
            message = getattr(rule, "message").format(codes=", ".join(unused))
            found.append(
                Diagnostic(
                    filename, directive.line, directive.column, directive.line, directive.end_column,
                    UNUSED_NOQA, getattr(rule, "name"), message,
                )
            )
    return found


def _judged(code: str, ran: Set[str]) -> bool:
    if code == UNUSED_NOQA:  # it suppresses MEM003 itself: used exactly when unused
        return False
    if code in ran:
        return True
    if not _MEMLINT_CODE.fullmatch(code):
        return False
    from memlint.registry import rule_index

    return rule_index().get(code) is None


# -- --add-noqa -------------------------------------------------------------------


@dataclass
class AddedNoqa:
    """What ``--add-noqa`` did to one file's text."""

    text: str
    lines: int = 0  # lines that got a comment or more codes
    refused: List[int] = field(default_factory=list)  # lines that cannot take a comment


def add_noqa(text: str, codes_by_line: Dict[int, Set[str]]) -> AddedNoqa:
    """``# noqa: CODES`` on each line, merged into a directive already there
    (``# noqa: E501`` -> ``# noqa: E501, MEM202``). A line that ends inside a
    string or continues with a backslash cannot take a comment: refused."""
    parts = re.split(r"(\r\n|\r|\n)", text)  # line, newline, line, newline, ..., last line
    lines = parts[0::2]
    existing = {d.line: d for d in directives(text) if not d.file_level}
    open_ends = _lines_that_take_a_comment(text)
    result = AddedNoqa(text)
    for number in sorted(codes_by_line):
        if number not in open_ends:
            result.refused.append(number)
            continue
        edited = _with_codes(lines[number - 1], existing.get(number), sorted(codes_by_line[number]))
        if edited != lines[number - 1]:
            lines[number - 1] = edited
            result.lines += 1
    parts[0::2] = lines
    result.text = "".join(parts)
    return result


def _with_codes(line: str, directive: Optional[Directive], codes: List[str]) -> str:
    if directive is None:
        return line.rstrip(" \t") + "  # noqa: " + ", ".join(codes)
    missing = [code for code in codes if code not in directive.codes]
    if not missing:
        return line
    start, end = directive.codes_span
    listed = line[start:end]
    trailing = listed[len(listed.rstrip()):]  # the space before any text after the codes
    return f"{line[:start]}{', '.join(directive.codes + tuple(missing))}{trailing}{line[end:]}"


def _lines_that_take_a_comment(text: str) -> Set[int]:
    """Line numbers whose end is outside any token and not a backslash
    continuation: a comment appended there is a comment."""
    lines = split_lines(text)
    open_ends = set(range(1, len(lines) + 1))
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            open_ends.difference_update(range(token.start[0], token.end[0]))  # inside a multi-line token
    except (tokenize.TokenError, SyntaxError):
        return set()
    return {number for number in open_ends if not lines[number - 1].rstrip(" \t").endswith("\\")}


def add_noqa_to_file(path: str, diagnostics: Sequence[Diagnostic]) -> FileReport:
    """``--add-noqa`` on one file, written as ``--fix`` writes (its encoding,
    BOM, newlines, owner and mode kept; nothing written if the file changed
    meanwhile). The report's ``fixed`` is the number of lines edited."""
    from memlint.engine import DecodeFailure, decode_source
    from memlint.runner import FileChanged, FileReport, fix_refusal, read_source, write_fixed

    data = read_source(path)
    if isinstance(data, FileReport):
        return data
    report = FileReport(path)
    try:
        decoded = decode_source(data)
    except DecodeFailure:
        report.warnings.append(f"{path}: cannot be decoded; no noqa comment added")
        return report
    codes_by_line: Dict[int, Set[str]] = {}
    for d in diagnostics:
        codes_by_line.setdefault(d.line, set()).add(d.code)
    added = add_noqa(decoded.text, codes_by_line)
    report.warnings.extend(
        f"{path}:{line}: the line ends inside a string or with a backslash; no noqa comment added"
        for line in added.refused
    )
    refusal = fix_refusal(path) if added.lines else None
    if refusal:
        report.warnings.append(refusal)
    elif added.lines:
        try:
            write_fixed(path, data, added.text.encode(decoded.encoding))
            report.fixed = added.lines
        except FileChanged:
            report.warnings.append(f"{path}: changed on disk meanwhile; no noqa comment added (run memlint again)")
        except OSError as exc:
            report.errors.append(f"{path}: cannot write: {exc.strerror or exc}")
    return report
