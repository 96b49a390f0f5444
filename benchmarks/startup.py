"""Startup: what a user waits for before any real work, beside flake8 and ruff.

    .venv/bin/python benchmarks/startup.py [--peers VENV] [--repeat 9]

Times, in fresh processes with bytecode caching on (as for users):
``memlint --version``, ``memlint rule MEM101``, one small file cold (no cache
at all: every rule is imported, libcst parses), the same file with only the
rule catalog cached and ``--select MEM6`` or ``MEM602`` (only the selected
rules are imported), and warm (answered from the cache). Beside them: ``ruff`` (from
this environment's PATH or ``--peers``) and ``flake8`` from ``--peers``, an
environment without memlint (flake8 here would load memlint's plugin). Prints
a Markdown table of the median and best wall and CPU seconds.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

SMALL_FILE = "import gc\n\n\ndef work(items):\n    for i in list(range(3)):\n        gc.collect()\n    return sum([x for x in items])\n"


def run_once(command: Sequence[str], cwd: str, env: Dict[str, str]) -> Tuple[float, float]:
    """Wall and CPU (user + system of the child) seconds of one run."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def measure(command: Sequence[str], cwd: str, env: Dict[str, str], repeat: int, reset: Optional[str] = None) -> List[Tuple[float, float]]:
    """``repeat`` runs after one warm-up; ``reset`` (a directory) is removed before each."""
    times = []
    for run in range(repeat + 1):
        if reset is not None:
            shutil.rmtree(reset, ignore_errors=True)
        result = run_once(command, cwd, env)
        if run:
            times.append(result)
    return times


def drop_results(cache: str) -> None:
    """Remove the cached results, keep the rule catalogs (``rules-*.json``)."""
    for version in os.scandir(cache):
        if version.is_dir():
            for entry in os.scandir(version.path):
                if entry.is_dir():
                    shutil.rmtree(entry.path)


def tool(peers: Optional[str], name: str) -> Optional[str]:
    candidates = [os.path.join(peers, "bin", name)] if peers else []
    candidates.append(os.path.join(os.path.dirname(sys.executable), name))
    return next((c for c in candidates if os.path.exists(c)), shutil.which(name))


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", help="a virtualenv with flake8 (and ruff), without memlint")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)

    work = tempfile.mkdtemp(prefix="memlint-startup-")
    with open(os.path.join(work, "small.py"), "w") as handle:
        handle.write(SMALL_FILE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cache = os.path.join(work, "cache")
    memlint = [sys.executable, "-m", "memlint"]
    runs: List[Tuple[str, Sequence[str], Optional[str]]] = [
        ("`memlint --version`", [*memlint, "--version"], None),
        ("`memlint rule MEM101`", [*memlint, "rule", "MEM101"], None),
        ("`memlint small.py`, cold: no cache at all", [*memlint, "--cache-dir", cache, "small.py"], cache),
        ("`memlint --no-cache small.py`", [*memlint, "--no-cache", "small.py"], None),
    ]
    ruff = tool(args.peers, "ruff")
    if ruff:
        runs += [
            ("`ruff --version`", [ruff, "--version"], None),
            ("`ruff rule B006`", [ruff, "rule", "B006"], None),
            ("`ruff check --no-cache small.py`", [ruff, "check", "--no-cache", "--select", "B,C4", "small.py"], None),
        ]
    flake8 = tool(args.peers, "flake8") if args.peers else None
    if flake8:
        runs += [
            ("`flake8 --version` (without memlint)", [flake8, "--version"], None),
            ("`flake8 small.py` (without memlint)", [flake8, "small.py"], None),
        ]
    results = {name: measure(command, work, env, args.repeat, reset) for name, command, reset in runs}

    # Selected rules only: the rule catalog is cached, the file's result is not.
    # MEM6's rules import libcst.matchers (gc_debug_saveall), MEM602's does not.
    subprocess.run([*memlint, "--cache-dir", cache, "small.py"], cwd=work, env=env, capture_output=True)
    for selection in ("MEM6", "MEM602"):
        command = [*memlint, "--cache-dir", cache, "--select", selection, "small.py"]
        selected = []
        for run in range(args.repeat + 1):
            drop_results(cache)
            result = run_once(command, work, env)
            if run:
                selected.append(result)
        results[f"`memlint --select {selection} small.py`, only the rule catalog cached"] = selected
    results["`memlint small.py`, warm"] = measure([*memlint, "--cache-dir", cache, "small.py"], work, env, args.repeat)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.repeat} runs each (after one warm-up)")
    print()
    print("| command | wall median s | wall best s | CPU median s | CPU best s |")
    print("|---|---:|---:|---:|---:|")
    for name, values in results.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(
            f"| {name} | {statistics.median(walls):.3f} | {min(walls):.3f} "
            f"| {statistics.median(cpus):.3f} | {min(cpus):.3f} |"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
