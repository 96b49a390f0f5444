"""Findings as plain data (picklable, no CST nodes) and their output formats.

Text for people: ``concise`` (flake8's line, byte-identical to the flake8
plugin's output) and ``full`` (the line, then the source line with a caret
under the reported span, ``[*]`` on findings ``--fix`` would fix, ANSI colour
when asked). For programs: ``json``, ``github``, ``sarif``. ``--statistics``
has a form in each.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from memlint.urls import HOMEPAGE


@dataclass(frozen=True)
class TextEdit:
    """Replace the text between two 1-based (line, column) positions."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class FixInfo:
    applicability: str  # "safe" | "unsafe" | "display-only"
    edits: Tuple[TextEdit, ...]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Lines and columns are 1-based, as flake8 prints them."""

    filename: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    fix: Optional[FixInfo] = None

    @property
    def sort_key(self) -> Tuple[str, int, int, str]:
        return (self.filename, self.line, self.column, self.code)

    def as_text(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}: {self.code} {self.message}"

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        if self.fix is not None:
            data["fix"] = {"applicability": self.fix.applicability, "edits": [asdict(e) for e in self.fix.edits]}
        return data


UrlFor = Callable[[str], Optional[str]]  # a rule code -> its documentation page, if it has one
IsFixable = Callable[[Diagnostic], bool]  # would --fix (with the run's --unsafe-fixes) fix it?
LinesOf = Callable[[str], Optional[Sequence[str]]]  # a file name -> its lines, if readable


def _no_url(code: str) -> Optional[str]:
    return None


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    """The ``concise`` format: flake8's ``path:line:col: CODE message``."""
    return "".join(d.as_text() + "\n" for d in diagnostics)


def format_json(diagnostics: Sequence[Diagnostic], url_for: UrlFor = _no_url) -> str:
    return json.dumps([dict(d.as_dict(), url=url_for(d.code)) for d in diagnostics], indent=2) + "\n"


@dataclass(frozen=True)
class Palette:
    """ANSI escape sequences for the parts of the ``full`` format."""

    location: str = ""
    code: str = ""
    fixable: str = ""
    gutter: str = ""
    caret: str = ""
    reset: str = ""


PLAIN = Palette()
COLOUR = Palette(
    location="\x1b[1m", code="\x1b[1;31m", fixable="\x1b[36m", gutter="\x1b[34m", caret="\x1b[1;31m", reset="\x1b[0m"
)
# Control characters in a source line (an escape sequence inside a string
# literal of an untrusted file) would drive the terminal: one visible
# character each keeps the caret aligned.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def format_full(
    diagnostics: Sequence[Diagnostic], lines_of: LinesOf, is_fixable: IsFixable, palette: Palette = PLAIN
) -> str:
    """The ``full`` format, ruff's: for each finding ``path:line:col: CODE [*]
    message``, then the reported source line with carets under its span."""
    return "".join(_full(d, lines_of(d.filename), is_fixable(d), palette) for d in diagnostics)


def _full(d: Diagnostic, lines: Optional[Sequence[str]], fixable: bool, p: Palette) -> str:
    marker = f" {p.fixable}[*]{p.reset}" if fixable else ""
    out = [f"{p.location}{d.filename}:{d.line}:{d.column}:{p.reset} {p.code}{d.code}{p.reset}{marker} {d.message}"]
    if lines is not None and 1 <= d.line <= len(lines):
        source = _CONTROL.sub("\ufffd", lines[d.line - 1])
        number = str(d.line)
        gutter = " " * len(number)
        indent = "".join(c if c == "\t" else " " for c in source[: d.column - 1])
        end = d.end_column if d.end_line == d.line else len(source) + 1
        carets = "^" * max(1, end - d.column)
        out += [
            f"{p.gutter}{gutter} |{p.reset}",
            f"{p.gutter}{number} |{p.reset} {source}",
            f"{p.gutter}{gutter} |{p.reset} {indent}{p.caret}{carets}{p.reset}",
        ]
    return "\n".join(out) + "\n\n"


# -- output that cannot be injected ------------------------------------------------------

# A codec error handler for output: a file name's bytes that are not UTF-8
# (the file system's surrogate escapes) are shown as \xNN, any other
# character the stream cannot encode as Python's backslash escape.
PRINTABLE = "memlint-printable"


def _show_unencodable(error: UnicodeError) -> Tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    shown = "".join(
        f"\\x{ord(char) - 0xDC00:02x}" if 0xDC80 <= ord(char) <= 0xDCFF else char.encode("ascii", "backslashreplace").decode()
        for char in error.object[error.start:error.end]
    )
    return shown, error.end


codecs.register_error(PRINTABLE, _show_unencodable)


def printable(text: str) -> str:
    """``text`` as valid UTF-8: a file name's undecodable bytes shown as \\xNN."""
    return text.encode("utf-8", PRINTABLE).decode("utf-8")


def _github_data(text: str) -> str:
    """The message of a workflow command, escaped as GitHub's toolkit does."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A property value: ``:`` and ``,`` would end it, so they are escaped too."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    return "".join(
        f"::warning title={_github_property(f'memlint ({d.code})')},file={_github_property(d.filename)},"
        f"line={d.line},col={d.column},endLine={d.end_line},endColumn={d.end_column}"
        f"::{_github_data(d.code + ' ' + d.message)}\n"
        for d in diagnostics
    )


def artifact_uri(path: str) -> str:
    """A file name as a URI reference: an absolute path as a ``file:`` URI, a
    relative one relative, every byte outside RFC 3986's unreserved
    characters and ``/`` percent-encoded (the file name's own bytes)."""
    if os.path.isabs(path):
        return PurePath(path).as_uri()
    return urllib.parse.quote_from_bytes(os.fsencode(path.replace(os.sep, "/")), safe="/")


def format_sarif(
    diagnostics: Sequence[Diagnostic], rules: Sequence[Any], version: str, url_for: Callable[[str], Optional[str]],
) -> str:
    """SARIF 2.1.0, one run, the rules as the tool's rule table, each with
    its page (``url_for(code)``; a rule without one has no ``helpUri``)."""
    rule_table = []
    for rule in rules:
        entry: Dict[str, Any] = {"id": rule.code, "name": rule.name, "shortDescription": {"text": rule.message}}
        url = url_for(rule.code)
        if url is not None:
            entry["helpUri"] = url
        rule_table.append(entry)
    results = [
        {
            "ruleId": d.code,
            "level": "warning",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(d.filename)},
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column,
                        },
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "memlint", "version": version, "informationUri": HOMEPAGE, "rules": rule_table}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


@dataclass(frozen=True)
class CodeCount:
    """``--statistics``: the findings of one code."""

    code: str
    name: str
    count: int
    fixable: int  # how many --fix (with the run's --unsafe-fixes) would fix
    message: str  # the first finding's


def count_codes(diagnostics: Sequence[Diagnostic], is_fixable: IsFixable) -> List[CodeCount]:
    """One count per code, most frequent first."""
    by_code: Dict[str, List[Diagnostic]] = {}
    for d in diagnostics:
        by_code.setdefault(d.code, []).append(d)
    counts = [
        CodeCount(code, found[0].name, len(found), sum(1 for d in found if is_fixable(d)), found[0].message)
        for code, found in by_code.items()
    ]
    return sorted(counts, key=lambda c: (-c.count, c.code))


def format_statistics(counts: Sequence[CodeCount]) -> str:
    """flake8's --statistics: count, code, first message, most frequent first."""
    return "".join(f"{c.count:<5} {c.code} {c.message}\n" for c in counts)


def format_statistics_json(counts: Sequence[CodeCount], url_for: UrlFor = _no_url) -> str:
    return json.dumps([dict(asdict(c), url=url_for(c.code)) for c in counts], indent=2) + "\n"


def format_statistics_github(counts: Sequence[CodeCount]) -> str:
    """One workflow notice per code."""
    return "".join(
        f"::notice title=memlint statistics::{_github_data(f'{c.count} {c.code} {c.message}')}\n" for c in counts
    )


def sarif_with_statistics(sarif: str, counts: Sequence[CodeCount]) -> str:
    """The SARIF log with the counts in its run's property bag (SARIF has no
    place of its own for them; results stay, as uploads need them)."""
    log = json.loads(sarif)
    log["runs"][0].setdefault("properties", {})["statistics"] = [asdict(c) for c in counts]
    return json.dumps(log, indent=2) + "\n"
