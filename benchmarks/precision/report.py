"""The precision ledger: per-rule precision, the generated table in memlint/ledger.py, refreshes.

    python benchmarks/precision/report.py                 # the per-rule table (Markdown)
    python benchmarks/precision/report.py --write         # also rewrite memlint/ledger.py and docs/precision.md
    python benchmarks/precision/report.py refresh FINDINGS.json --family 1 [--family 2 ...]

``findings/MEM<N>.tsv`` holds the current findings of rule family N on the
corpus (outside test code), ``verdicts/MEM<N>.tsv`` the verdicts people wrote
by reading them. A verdict counts while its finding (project, path, line,
code) is still reported; the verdicts of findings no longer reported are
shown as "gone" (usually false positives a change removed). ``refresh``
replaces a family's findings with those of a fresh lint (``memlint
--format json --preview``, run in the corpus directory).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

from memlint.ledger import MIN_JUDGED, MIN_PRECISION, RuleRecord, preview_reason_of
from sample import _path, is_test_path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FINDING_COLUMNS = ("project", "version", "path", "line", "code", "message")
VERDICTS = ("TP", "FP", "debatable")
FAMILIES = tuple(str(n) for n in range(1, 7))
Key = Tuple[str, str, str, str]  # project, path, line, code


def family_file(kind: str, family: str) -> str:
    return os.path.join(HERE, kind, f"MEM{family}.tsv")


def read_rows(kind: str) -> List[Dict[str, str]]:
    rows: List[Dict[str, str]] = []
    for family in FAMILIES:
        path = family_file(kind, family)
        if os.path.exists(path):
            with open(path, encoding="utf-8", newline="") as file:
                rows += list(csv.DictReader(file, delimiter="\t"))
    return rows


def key(row: Dict[str, str]) -> Key:
    return row["project"], row["path"], row["line"], row["code"]


def records(findings: Sequence[Dict[str, str]], verdicts: Sequence[Dict[str, str]]) -> Dict[str, Tuple[RuleRecord, Counter[str]]]:
    """Per rule: the record (findings, judged, true) and the verdict counts, incl. "gone"."""
    current = {key(row) for row in findings}
    counts: Dict[str, Counter[str]] = {}
    for row in findings:
        counts.setdefault(row["code"], Counter())["findings"] += 1
    for row in verdicts:
        verdict = row["verdict"] if key(row) in current else "gone"
        counts.setdefault(row["code"], Counter())[verdict] += 1
    return {
        code: (RuleRecord(c["findings"], sum(c[v] for v in VERDICTS), c["TP"]), c)
        for code, c in sorted(counts.items())
    }


def table(found: Dict[str, Tuple[RuleRecord, Counter[str]]]) -> List[str]:
    lines = [
        "| rule | findings | judged | TP | FP | debatable | precision | verdicts gone | default |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    totals: Counter[str] = Counter()
    default_on: Counter[str] = Counter()
    for code, (record, counts) in found.items():
        totals.update(counts)
        on = preview_reason_of(record) is None
        if on:
            default_on.update(counts)
        precision = "–" if record.precision is None else f"{record.precision:.2f}"
        lines.append(
            f"| {code} | {record.findings} | {record.judged} | "
            + " | ".join(str(counts[v]) for v in VERDICTS)
            + f" | {precision} | {counts['gone']} | {'on' if on else 'preview'} |"
        )
    for label, counts in (("all rules", totals), ("default-on rules", default_on)):
        judged = sum(counts[v] for v in VERDICTS)
        precision = f"{counts['TP'] / judged:.3f}" if judged else "–"
        lines.append(
            f"| **{label}** | {counts['findings']} | {judged} | " + " | ".join(str(counts[v]) for v in VERDICTS)
            + f" | {precision} | {counts['gone']} | |"
        )
    return lines


def generated_ledger(found: Dict[str, Tuple[RuleRecord, Counter[str]]]) -> str:
    lines = ["LEDGER: Dict[str, RuleRecord] = {"]
    lines += [f'    "{code}": RuleRecord({r.findings}, {r.judged}, {r.true}),' for code, (r, _) in found.items()]
    return "\n".join(lines + ["}"])


def replace_between(text: str, begin: str, end: str, new: str) -> str:
    pattern = re.compile(re.escape(begin) + r".*?\n" + r"(.*?)" + re.escape(end), re.S)
    match = pattern.search(text)
    if match is None:
        raise SystemExit(f"markers {begin!r} ... {end!r} not found")
    return text[: match.start(1)] + new + "\n" + text[match.end(1):]


def write(found: Dict[str, Tuple[RuleRecord, Counter[str]]]) -> None:
    targets = (
        (os.path.join(REPO, "memlint", "ledger.py"), "# BEGIN GENERATED", "# END GENERATED", generated_ledger(found)),
        (os.path.join(REPO, "docs", "precision.md"), "<!-- BEGIN LEDGER TABLE", "<!-- END LEDGER TABLE -->",
         "\n".join(table(found))),
    )
    for path, begin, end, new in targets:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        with open(path, "w", encoding="utf-8") as file:
            file.write(replace_between(text, begin, end, new))


def finding_rows(findings: Iterable[Dict[str, object]]) -> List[List[str]]:
    rows = []
    for finding in findings:
        path = _path(finding)
        if is_test_path(path):
            continue
        directory, _, inner = path.partition("/")
        project, _, version = directory.rpartition("-")
        rows.append([project, version, inner, str(finding["line"]), str(finding["code"]), str(finding["message"])])
    return sorted(rows, key=lambda r: (r[4], r[0], r[2], int(r[3])))


def refresh(findings_json: str, families: Sequence[str]) -> None:
    with open(findings_json, encoding="utf-8") as file:
        rows = finding_rows(json.load(file))
    for family in families:
        with open(family_file("findings", family), "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, delimiter="\t", lineterminator="\n")
            writer.writerow(FINDING_COLUMNS)
            writer.writerows(r for r in rows if r[4].startswith(f"MEM{family}"))


def main(argv: List[str]) -> int:
    if argv[:1] == ["refresh"]:
        parser = argparse.ArgumentParser(prog="report.py refresh")
        parser.add_argument("findings")
        parser.add_argument("--family", action="append", choices=FAMILIES, required=True)
        args = parser.parse_args(argv[1:])
        refresh(args.findings, args.family)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite memlint/ledger.py and docs/precision.md")
    args = parser.parse_args(argv)
    found = records(read_rows("findings"), read_rows("verdicts"))
    print("\n".join(table(found)))
    print(f"\n(on by default: at least min({MIN_JUDGED}, findings) judged and precision >= {MIN_PRECISION})")
    if args.write:
        write(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
