"""What ``memlint check`` prints after linting: the findings in the chosen
format (or their counts, with ``--statistics``), warnings about what was not
linted, and the summary line.

The formats themselves are in :mod:`memlint.diagnostics`; this module decides
which one, gathers what they need (the source lines for ``full``, whether
each finding is fixable, documentation URLs) and words the summary.
"""
from __future__ import annotations

import io
import os
import tokenize
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

from memlint import __version__
from memlint import diagnostics as formats
from memlint.diagnostics import COLOUR, PLAIN, Diagnostic, IsFixable
from memlint.docs import rule_url
from memlint.suppress import split_lines

if TYPE_CHECKING:
    from memlint.config import ConfigResolver
    from memlint.registry import Registry
    from memlint.runner import FileReport, Mode

# `text` is the name older versions gave `concise`.
FORMATS = ("full", "concise", "json", "github", "sarif", "text")


def resolve_format(requested: Optional[str], stream: IO[str]) -> str:
    """The format to print: the one asked for, else ``full`` for a person at
    a terminal and ``concise`` for everything else (pipes, files, CI logs,
    editors and pre-commit), whose tools parse flake8's one-line format."""
    if requested == "text":
        return "concise"
    if requested is not None:
        return requested
    return "full" if stream.isatty() else "concise"


def wants_colour(stream: IO[str]) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class SourceLines:
    """The lines of each reported file, read once, decoded for display (a
    byte that does not decode shows as U+FFFD; nothing here can fail)."""

    def __init__(self, given: Optional[Dict[str, bytes]] = None) -> None:
        self._given = dict(given or {})  # files not on disk: stdin
        self._lines: Dict[str, Optional[List[str]]] = {}

    def __call__(self, filename: str) -> Optional[List[str]]:
        if filename not in self._lines:
            data = self._given.get(filename)
            if data is None:
                try:
                    with open(filename, "rb") as handle:
                        data = handle.read()
                except OSError:
                    data = None
            self._lines[filename] = None if data is None else split_lines(_display_text(data))
        return self._lines[filename]


def _display_text(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding, "replace")
    except (SyntaxError, LookupError):  # a bad coding cookie: MEM002 says so
        return data.decode("utf-8", "replace")


def fixability(resolver: ConfigResolver, registry: Registry, unsafe_fixes: Optional[bool]) -> IsFixable:
    """Whether ``--fix`` (with ``--unsafe-fixes`` as given; None: as
    configured) would fix a finding: the test the runner applies to cached
    findings."""
    from memlint.runner import Mode, has_applicable_fix

    lint = Mode(unsafe_fixes=unsafe_fixes)
    return lambda d: has_applicable_fix([d], resolver.for_path(d.filename), registry, lint)


def rule_urls(registry: Registry) -> Callable[[str], Optional[str]]:
    """A rule's page by its code, for the formats that link to it."""
    return lambda code: rule_url(registry.get(code))


def findings_text(
    fmt: str, diagnostics: Sequence[Diagnostic], registry: Registry, is_fixable: IsFixable,
    lines_of: SourceLines, stream: IO[str],
) -> str:
    url_for = rule_urls(registry)
    if fmt == "json":
        return formats.format_json(diagnostics, url_for)
    if fmt == "github":
        return formats.format_github(diagnostics)
    if fmt == "sarif":
        return formats.format_sarif(diagnostics, registry.rules, __version__, url_for)
    if fmt == "full":
        return formats.format_full(diagnostics, lines_of, is_fixable, COLOUR if wants_colour(stream) else PLAIN)
    return formats.format_text(diagnostics)


def statistics_text(fmt: str, diagnostics: Sequence[Diagnostic], registry: Registry, is_fixable: IsFixable) -> str:
    """``--statistics``: the counts per code instead of the findings, in the
    format's own syntax; SARIF keeps its results and carries the counts in
    the run's property bag."""
    counts = formats.count_codes(diagnostics, is_fixable)
    url_for = rule_urls(registry)
    if fmt == "json":
        return formats.format_statistics_json(counts, url_for)
    if fmt == "github":
        return formats.format_statistics_github(counts)
    if fmt == "sarif":
        return formats.sarif_with_statistics(formats.format_sarif(diagnostics, registry.rules, __version__, url_for), counts)
    return formats.format_statistics(counts)


def discovery_warnings(paths: Sequence[str], files: Sequence[str], resolver: ConfigResolver) -> List[str]:
    """A file named on the command line that the exclude patterns skip, and
    a run that found no Python file at all, are said rather than silent."""
    found = set(files)
    warnings = []
    for path in paths:
        pattern = resolver.for_path(path).excluded_by(path) if os.path.isfile(path) and path not in found else None
        if pattern is not None:
            warnings.append(f"{path}: excluded by the pattern {pattern!r}; not linted")
    if not files:
        warnings.append(f"no Python files found in {', '.join(paths)}")
    return warnings


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


@dataclass(frozen=True)
class Tally:
    """The numbers the summary line reports."""

    found: int
    fixable: int  # by --fix as run (with --unsafe-fixes if given or configured)
    unsafe: int  # more that --unsafe-fixes would fix
    baselined: int  # found, but recorded in a baseline


def summary(reports: Sequence[FileReport], mode: Mode, tally: Tally) -> str:
    """One line for stderr: "Found 12 problems (4 fixable; 3 more with
    --unsafe-fixes)", "All checks passed!", "Fixed 3 problems in 2 files; ..."."""
    fixed = sum(r.fixed for r in reports)
    files = sum(1 for r in reports if r.fixed)
    if mode.diff:
        return f"Would fix {_count(fixed, 'problem')} in {_count(files, 'file')}" if fixed else "Nothing to fix"
    if mode.fix and fixed:
        left = f"; {tally.found} remaining{_fixable(tally)}" if tally.found else ""
        line = f"Fixed {_count(fixed, 'problem')} in {_count(files, 'file')}{left}"
    elif tally.found:
        line = f"Found {_count(tally.found, 'problem')}{_fixable(tally)}"
    else:
        line = "All checks passed!"
    if tally.baselined:
        return f"{line}; {tally.baselined} more in the baseline" if tally.found else f"{line} ({_count(tally.baselined, 'finding')} in the baseline)"
    return line


def _fixable(tally: Tally) -> str:
    if tally.fixable and tally.unsafe:
        return f" ({tally.fixable} fixable; {tally.unsafe} more with --unsafe-fixes)"
    if tally.fixable:
        return f" ({tally.fixable} fixable with --fix)"
    if tally.unsafe:
        return f" ({tally.unsafe} fixable with --unsafe-fixes)"
    return ""
