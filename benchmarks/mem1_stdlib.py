"""Run the MEM1 rules over the standard library in-process and count findings
per code, crashes, and (with --enable-inference) astroid's answers and failures.

    python benchmarks/mem1_stdlib.py [--enable-inference] [--codes MEM101,MEM105] > findings.txt
"""
import argparse
import collections
import os
import sys
import sysconfig
import time
import traceback

from memlint.config import Settings
from memlint.engine import lint_bytes
from memlint.registry import get_registry

ALL = "MEM101,MEM102,MEM103,MEM104,MEM105,MEM106,MEM107"


def stdlib_files(root):
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ("site-packages", "__pycache__"))
        yield from (os.path.join(directory, name) for name in sorted(names) if name.endswith(".py"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", default=ALL)
    parser.add_argument("--enable-inference", action="store_true")
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    args = parser.parse_args()
    codes = tuple(args.codes.split(","))
    rules = [get_registry().get(code) for code in codes]
    settings = Settings(select=codes, enable_inference=args.enable_inference)
    counts, files, errors, start = collections.Counter(), 0, 0, time.monotonic()
    for path in stdlib_files(args.root):
        files += 1
        try:
            with open(path, "rb") as handle:
                result, _ = lint_bytes(handle.read(), path, settings, rules)
        except Exception:  # an engine failure on one file must not hide the others
            errors += 1
            print("CRASH", path, traceback.format_exc(limit=1).splitlines()[-1])
            continue
        errors += len(result.errors)
        for error in result.errors:
            print("ERROR", error)
        for diagnostic in result.diagnostics:
            counts[diagnostic.code] += 1
            print(diagnostic.as_text())
    seconds = time.monotonic() - start
    print(f"files {files}, errors {errors}, seconds {seconds:.0f}, findings {dict(sorted(counts.items()))}")
    if args.enable_inference:
        from memlint import inference

        print("inference", inference.STATS)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
