"""Per-rule precision from the judged ledger, as the Markdown table of docs/precision.md.

    python benchmarks/precision/report.py CORPUS/findings.json benchmarks/precision/verdicts.tsv

Findings are counted outside test code (as sample.py draws them); precision is
TP / judged, a debatable verdict counting as wrong.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from typing import Dict, List

from sample import _path, is_test_path

VERDICTS = ("TP", "FP", "debatable")


def table(findings: Counter[str], verdicts: Dict[str, Counter[str]]) -> List[str]:
    lines = [
        "| rule | findings | judged | TP | FP | debatable | precision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals: Counter[str] = Counter()
    for code in sorted(set(findings) | set(verdicts)):
        counts = verdicts.get(code, Counter())
        judged = sum(counts[v] for v in VERDICTS)
        totals.update(counts)
        precision = f"{counts['TP'] / judged:.2f}" if judged else "–"
        lines.append(f"| {code} | {findings[code]} | {judged} | " + " | ".join(str(counts[v]) for v in VERDICTS) + f" | {precision} |")
    judged = sum(totals[v] for v in VERDICTS)
    lines.append(
        f"| **all** | {sum(findings.values())} | {judged} | " + " | ".join(str(totals[v]) for v in VERDICTS)
        + f" | {totals['TP'] / judged:.3f} |"
    )
    return lines


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as file:
        findings = Counter(str(f["code"]) for f in json.load(file) if not is_test_path(_path(f)))
    verdicts: Dict[str, Counter[str]] = {}
    with open(argv[1], encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            verdicts.setdefault(row["code"], Counter())[row["verdict"]] += 1
    print("\n".join(table(findings, verdicts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
