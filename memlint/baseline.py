"""Baselines: adopting memlint on a legacy codebase by recording today's
findings (``--write-baseline FILE``) and reporting only the others
(``--baseline FILE`` or ``[tool.memlint] baseline``).

A finding is recognised by its fingerprint, not its line number: its code,
its file (relative to the baseline file's directory), the text of its line
with runs of whitespace made one space, and its occurrence index among the
findings sharing those three, in file order. An edit above a finding does
not resurrect it; a second identical finding added later is reported.

The file is JSON, sorted, one finding per line, so that it reviews and
merges like code::

    {"memlint-baseline": 1, "findings": [
      {"code": "MEM202", "path": "pkg/a.py", "text": "for i in list(range(3)):", "occurrence": 0},
      ...
    ]}
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from memlint.diagnostics import Diagnostic, LinesOf
from memlint.errors import UsageError

FORMAT = 1
MARKER = "memlint-baseline"
Fingerprint = Tuple[str, str, str, int]  # code, path, normalised line text, occurrence


def fingerprints(diagnostics: Sequence[Diagnostic], lines_of: LinesOf, directory: str) -> List[Fingerprint]:
    """The fingerprint of each diagnostic, in the order given."""
    order = sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key)
    seen: Counter[Tuple[str, str, str]] = Counter()
    result: Dict[int, Fingerprint] = {}
    for index in order:
        d = diagnostics[index]
        lines = lines_of(d.filename)
        text = " ".join(lines[d.line - 1].split()) if lines is not None and 1 <= d.line <= len(lines) else ""
        key = (d.code, _relative(d.filename, directory), text)
        result[index] = (*key, seen[key])
        seen[key] += 1
    return [result[i] for i in range(len(diagnostics))]


def _relative(filename: str, directory: str) -> str:
    if filename == "-":
        return filename
    try:
        return os.path.relpath(os.path.abspath(filename), directory).replace(os.sep, "/")
    except ValueError:  # Windows: another drive
        return os.path.abspath(filename).replace(os.sep, "/")


def write(path: str, diagnostics: Sequence[Diagnostic], lines_of: LinesOf) -> int:
    """Record the findings in ``path``; returns how many. An existing file is
    replaced only if it is a memlint baseline (never ``pyproject.toml`` by a
    slip of the finger)."""
    if os.path.exists(path):
        load(path)  # raises unless it is a baseline
    entries = sorted(fingerprints(diagnostics, lines_of, _directory(path)), key=lambda f: (f[1], f[0], f[2], f[3]))
    lines = [
        json.dumps({"code": c, "path": p, "text": t, "occurrence": o}, ensure_ascii=False) for c, p, t, o in entries
    ]
    body = "".join(f"\n  {line}{',' * (i < len(lines) - 1)}" for i, line in enumerate(lines))
    _write_atomic(path, f'{{"{MARKER}": {FORMAT}, "findings": [{body}\n]}}\n')
    return len(entries)


def _directory(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _write_atomic(path: str, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=".memlint-baseline-", dir=_directory(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def load(path: str) -> Set[Fingerprint]:
    """The fingerprints in a baseline file; errors name the file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data: Any = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"{path}: baseline file not found (write one with --write-baseline {path})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from exc
    except ValueError as exc:  # not JSON, not UTF-8
        raise UsageError(f"{path}: not a memlint baseline: {exc}") from exc
    if not isinstance(data, dict) or data.get(MARKER) != FORMAT or not isinstance(data.get("findings"), list):
        raise UsageError(f"{path}: not a memlint baseline (expected a JSON object with \"{MARKER}\": {FORMAT})")
    try:
        return {(e["code"], e["path"], e["text"], e["occurrence"]) for e in data["findings"]}
    except (TypeError, KeyError) as exc:
        raise UsageError(f"{path}: malformed baseline entry: {exc}") from exc


def without_baselined(
    diagnostics: Sequence[Diagnostic], baseline_of: Dict[str, Optional[str]], lines_of: LinesOf
) -> Tuple[List[Diagnostic], int]:
    """The diagnostics no baseline records, and how many were hidden.
    ``baseline_of`` maps each file name to its baseline file, if any."""
    by_baseline: Dict[Optional[str], List[Diagnostic]] = {}
    for d in diagnostics:
        by_baseline.setdefault(baseline_of.get(d.filename), []).append(d)
    kept = list(by_baseline.pop(None, []))
    hidden = 0
    for path, group in by_baseline.items():
        assert path is not None
        recorded = load(path)
        for d, fingerprint in zip(group, fingerprints(group, lines_of, _directory(path))):
            if fingerprint in recorded:
                hidden += 1
            else:
                kept.append(d)
    return sorted(kept, key=lambda d: d.sort_key), hidden
