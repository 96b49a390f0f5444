"""Compare two `memlint --format json` outputs: the findings only one of them has.

    memlint --no-cache --exit-zero --format json CORPUS > before.json
    (change memlint)
    memlint --no-cache --exit-zero --format json CORPUS > after.json
    python benchmarks/findings_diff.py before.json after.json

A refactoring that must not change behaviour prints nothing and exits 0;
otherwise each finding that appeared (+) or disappeared (-) is printed and the
exit status is 1.
"""
from __future__ import annotations

import json
import sys
from typing import Dict, List, Set, Tuple

Key = Tuple[str, int, int, str, str, str]


def _load(path: str) -> Set[Key]:
    with open(path, encoding="utf-8") as file:
        findings: List[Dict[str, object]] = json.load(file)
    return {
        (str(f["filename"]), int(f["line"]), int(f["column"]), str(f["code"]), str(f["message"]),  # type: ignore[call-overload]
         json.dumps(f.get("fix"), sort_keys=True))
        for f in findings
    }


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = _load(argv[0]), _load(argv[1])
    for sign, keys in (("-", before - after), ("+", after - before)):
        for filename, line, column, code, message, fix in sorted(keys):
            print(f"{sign} {filename}:{line}:{column}: {code} {message}" + ("" if fix == "null" else " [fix]"))
    return 0 if before == after else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
