"""Draw the findings to judge from a lint of the precision corpus.

    memlint --no-cache --exit-zero --format json -j2 CORPUS_DIR > findings.json   (cwd: CORPUS_DIR)
    python benchmarks/precision/sample.py findings.json --seed 1 --per-rule 15 > to-judge.tsv

A seeded, stratified sample: for each rule, up to --per-rule findings drawn
at random (all of them when there are fewer), spread over the projects
before any project gives a second one. Findings in test code (a `tests/` or
`testing/` directory, `test_*.py`, `*_test.py`, `conftest.py`) are left out:
the ledger measures what users ship. The output has the ledger's columns
with the verdict and reason empty: people fill them in by reading each
finding in its project (verdicts/MEM<N>.tsv), never a script.
``--unjudged`` leaves out findings that already have a verdict.
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import random
import sys
from collections import defaultdict
from typing import Dict, List, Sequence, Set, Tuple

COLUMNS = ("project", "version", "path", "line", "code", "verdict", "reason", "message")
_TEST_DIRS = {"tests", "test", "testing"}


def is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(part in _TEST_DIRS for part in parts[:-1])
        or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


def _path(finding: Dict[str, object]) -> str:
    """The finding's file relative to the corpus directory (``./`` dropped)."""
    path = str(finding["filename"]).replace("\\", "/")
    return path[2:] if path.startswith("./") else path


def stratified(findings: Sequence[Dict[str, object]], per_rule: int, seed: int) -> List[Dict[str, object]]:
    rng = random.Random(seed)
    by_rule: Dict[str, Dict[str, List[Dict[str, object]]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        project = _path(finding).split("/")[0]
        by_rule[str(finding["code"])][project].append(finding)
    chosen: List[Dict[str, object]] = []
    for code in sorted(by_rule):
        pools = [rng.sample(items, len(items)) for _, items in sorted(by_rule[code].items())]
        rng.shuffle(pools)
        taken: List[Dict[str, object]] = []
        while len(taken) < per_rule and any(pools):
            for pool in pools:  # one per project per round
                if pool and len(taken) < per_rule:
                    taken.append(pool.pop())
        chosen += sorted(taken, key=lambda f: (_path(f), int(str(f["line"]))))
    return chosen


def ledger_key(finding: Dict[str, object]) -> Tuple[str, str, str, str]:
    """(project, path inside the project, line, code), as in the ledger's TSV files."""
    directory, _, path = _path(finding).partition("/")
    return directory.rpartition("-")[0], path, str(finding["line"]), str(finding["code"])


def judged_keys() -> Set[Tuple[str, str, str, str]]:
    keys = set()
    for name in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "verdicts", "*.tsv"))):
        with open(name, encoding="utf-8", newline="") as file:
            keys.update((r["project"], r["path"], r["line"], r["code"]) for r in csv.DictReader(file, delimiter="\t"))
    return keys


def row(finding: Dict[str, object]) -> str:
    directory, _, path = _path(finding).partition("/")
    project, _, version = directory.rpartition("-")
    return "\t".join((project, version, path, str(finding["line"]), str(finding["code"]), "", "", str(finding["message"])))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("findings")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-rule", type=int, default=15)
    parser.add_argument("--unjudged", action="store_true", help="leave out findings that have a verdict (verdicts/*.tsv)")
    parser.add_argument("--code", action="append", help="only these rules (repeatable)")
    args = parser.parse_args(argv)
    with open(args.findings, encoding="utf-8") as file:
        findings = [f for f in json.load(file) if not is_test_path(_path(f))]
    if args.code:
        findings = [f for f in findings if f["code"] in args.code]
    if args.unjudged:
        judged = judged_keys()
        findings = [f for f in findings if ledger_key(f) not in judged]
    print("\t".join(COLUMNS))
    for finding in stratified(findings, args.per_rule, args.seed):
        print(row(finding))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
