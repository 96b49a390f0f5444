"""Findings as plain data (picklable, no CST nodes) and their output formats."""
from __future__ import annotations

import codecs
import json
import os
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, Dict, List, Optional, Sequence, Tuple


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


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(d.as_text() + "\n" for d in diagnostics)


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.as_dict() for d in diagnostics], indent=2) + "\n"


# -- output that cannot be injected ------------------------------------------------------

# SARIF wants absolute help URIs: where memlint and its rules are documented.
DOCS_URL = "https://pypi.org/project/pymemlint/"

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


def format_sarif(diagnostics: Sequence[Diagnostic], rules: Sequence[Any], version: str) -> str:
    """SARIF 2.1.0, one run, the enabled rules as the tool's rule table."""
    rule_table = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.message},
            "helpUri": DOCS_URL,
        }
        for rule in rules
    ]
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
            "tool": {"driver": {"name": "memlint", "version": version, "informationUri": DOCS_URL, "rules": rule_table}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def format_statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """flake8's --statistics: count, code, first message, most frequent first."""
    counts = Counter(d.code for d in diagnostics)
    first: Dict[str, str] = {}
    for d in diagnostics:
        first.setdefault(d.code, d.message)
    lines: List[str] = [f"{counts[code]:<5} {code} {first[code]}" for code in sorted(counts, key=lambda c: (-counts[c], c))]
    return "".join(line + "\n" for line in lines)
