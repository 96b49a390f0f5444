"""Findings as plain data (picklable, no CST nodes) and their output formats."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
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


def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    return "".join(
        f"::warning title=memlint ({d.code}),file={d.filename},line={d.line},col={d.column},"
        f"endLine={d.end_line},endColumn={d.end_column}::{_github_escape(d.code + ' ' + d.message)}\n"
        for d in diagnostics
    )


def format_sarif(diagnostics: Sequence[Diagnostic], rules: Sequence[Any], version: str) -> str:
    """SARIF 2.1.0, one run, the enabled rules as the tool's rule table."""
    rule_table = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.message},
            "helpUri": f"docs/rules/{rule.code}.md",
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
                        "artifactLocation": {"uri": d.filename.replace("\\", "/")},
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
        "runs": [{"tool": {"driver": {"name": "memlint", "version": version, "rules": rule_table}}, "results": results}],
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
