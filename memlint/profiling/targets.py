"""What the probe measures for each finding.

- ``class`` (the finding names a class: the slots rules): live instances at
  the peak and the bytes ``__slots__`` would save on each;
- ``cache`` (a cache decorator): entries, hits and the retained size of the
  cache;
- ``container`` (a module-level container that only grows): its entries and
  size at the peak;
- ``cycle`` (a reference cycle through instances of a class: MEM401, MEM402):
  how many instances of the enclosing class only the cycle collector freed;
- ``line`` (everything else: an expression or statement): how often the
  flagged lines ran, the bytes allocated there still alive at the peak, and
  the ``ResourceWarning``s of objects allocated there.
"""
from __future__ import annotations

import os
import re
from enum import Enum
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence

from memlint.diagnostics import Diagnostic


class Kind(Enum):
    CLASS = "class"
    CACHE = "cache"
    CONTAINER = "container"
    CYCLE = "cycle"
    LINE = "line"


_KIND_BY_CODE = {
    "MEM101": Kind.CLASS, "MEM102": Kind.CLASS, "MEM105": Kind.CLASS, "MEM107": Kind.CLASS,
    "MEM301": Kind.CACHE, "MEM302": Kind.CACHE,
    "MEM303": Kind.CONTAINER,
    "MEM401": Kind.CYCLE, "MEM402": Kind.CYCLE,
}
_CLASS_LINE = re.compile(r"(\s*)class\s+([A-Za-z_][A-Za-z0-9_]*)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


class Target(NamedTuple):
    id: str
    kind: Kind
    diagnostic: Diagnostic
    path: str  # absolute: how the program's code objects name the file
    name: str  # the class or container; "" for lines and caches

    def to_json(self) -> Dict[str, Any]:
        d = self.diagnostic
        return {
            "id": self.id, "kind": self.kind.value, "path": self.path, "name": self.name,
            "line": d.line, "end_line": max(d.line, d.end_line),
        }


def kind_of(code: str) -> Kind:
    return _KIND_BY_CODE.get(code, Kind.LINE)


def name_at(line_text: str, column: int) -> Optional[str]:
    """The identifier that starts at ``column`` (1-based) of a source line."""
    match = _IDENTIFIER.match(line_text, max(column - 1, 0))
    return match.group(0) if match else None


def enclosing_class(path: str, line: int, source_line: Callable[[str, int], str]) -> Optional[str]:
    """The class whose body holds ``line``: the nearest ``class`` line above
    it, indented less than the line itself."""
    text = source_line(path, line)
    indent = len(text) - len(text.lstrip())
    for number in range(line - 1, 0, -1):
        above = source_line(path, number)
        match = _CLASS_LINE.match(above)
        if match and len(match.group(1)) < indent:
            return match.group(2)
        if above.strip() and len(above) - len(above.lstrip()) < indent:
            indent = len(above) - len(above.lstrip())  # climbed out of a def: its class is less indented still
    return None


def targets(diagnostics: Sequence[Diagnostic], source_line: Callable[[str, int], str]) -> List[Target]:
    """One target per finding; ``source_line(path, n)`` reads line n of a file."""
    found = []
    for number, diagnostic in enumerate(diagnostics):
        kind = kind_of(diagnostic.code)
        name = ""
        if kind is Kind.CYCLE:
            name = enclosing_class(diagnostic.filename, diagnostic.line, source_line) or ""
        if kind in (Kind.CLASS, Kind.CONTAINER):
            name = name_at(source_line(diagnostic.filename, diagnostic.line), diagnostic.column) or ""
            if kind is Kind.CONTAINER and not name:
                quoted = _QUOTED.search(diagnostic.message)
                name = quoted.group(1) if quoted else ""
        path = os.path.realpath(diagnostic.filename)
        found.append(Target(f"f{number}", kind, diagnostic, path, name))
    return found
