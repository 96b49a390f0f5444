"""memlint's benchmark: the same files through bare libcst parsing, memlint
(cold, warm, one file edited, --fix --diff) and, where installed, flake8 and
ruff. Prints a Markdown report (benchmarks/RESULTS.md is its output).

    python benchmarks/run.py [--quick | --corpus pip|stdlib] [--peers DIR] [--jobs N]

Corpora: copies of the installed standard library and the installed pip
package in a temporary directory (copies, so editing a file is harmless and
no pyproject.toml of this repository applies). ``--quick``: pip only.

Every step runs in a fresh subprocess; its wall time, its CPU time (user +
system, the process and its waited-for children: all workers) and the peak
RSS of the largest process of its tree (``wait4``: the maximum of the process
and its children, i.e. the worst worker or the parent) are recorded.
Numbers on a busy machine are noisy: compare ratios within one run. CPU time
is much less sensitive to other load than wall time: on a loaded machine,
"CPU / jobs" estimates the wall time the pool would take on idle cores.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

PARSE_SCRIPT = """
import sys, libcst
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        libcst.parse_module(data)
    except Exception:
        pass
"""
FLAKE8_PLUGINS = ("flake8-bugbear", "flake8-comprehensions", "flake8-simplify")
PEER_SELECT = "E,W,F,C90,B,C4,SIM"  # flake8's defaults plus the three plugins; the same for ruff


@dataclass
class Step:
    name: str
    seconds: float
    cpu: float  # user + system seconds of the whole process tree
    peak_mb: float
    note: str = ""


def run(cmd: Sequence[str], cwd: Optional[str] = None) -> Step:
    """Run a command, discarding its output; wall time and peak RSS."""
    start = time.perf_counter()
    with subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        stderr = process.stderr.read() if process.stderr else b""
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        code = process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if code not in (0, 1, 2):  # 2: memlint reported an internal error for some file; timed all the same
        sys.exit(f"benchmark step failed ({code}): {' '.join(cmd)}\n{stderr.decode()[-2000:]}")
    note = f" (exit 2: {stderr.decode().splitlines()[0][:80]})" if code == 2 and stderr.strip() else ""
    return Step(" ".join(cmd), seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, note)


def copy_corpus(source: str, target: str) -> str:
    """Python files of ``source`` (no site-packages, no caches) under ``target``."""
    def ignore(directory: str, names: List[str]) -> List[str]:
        return [
            n for n in names
            if n in ("site-packages", "__pycache__")
            or (not n.endswith((".py", ".pyi")) and not os.path.isdir(os.path.join(directory, n)))
        ]

    shutil.copytree(source, target, ignore=ignore, symlinks=False, ignore_dangling_symlinks=True)
    return target


def python_files(top: str) -> List[str]:
    found = []
    for directory, subdirs, files in os.walk(top):
        subdirs.sort()
        found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith((".py", ".pyi")))
    return found


def line_count(files: Sequence[str]) -> int:
    total = 0
    for path in files:
        with open(path, "rb") as handle:
            total += handle.read().count(b"\n")
    return total


def pick_edit_target(files: Sequence[str]) -> str:
    """A typical file: the median size."""
    by_size = sorted(files, key=os.path.getsize)
    return by_size[len(by_size) // 2]


def find_tool(name: str, peers: Optional[str]) -> Optional[str]:
    candidates = [os.path.join(peers, "bin", name)] if peers else []
    candidates += [os.path.join(os.path.dirname(sys.executable), name), shutil.which(name) or ""]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def flake8_problem(flake8: str) -> Optional[str]:
    """Why this flake8 cannot be the peer measurement, if it cannot."""
    version = subprocess.run([flake8, "--version"], capture_output=True, text=True).stdout.lower().replace("_", "-")
    if "pymemlint" in version:
        return "this flake8 loads memlint's own plugin (pass --peers DIR, a venv with flake8 and its plugins only)"
    missing = [p for p in FLAKE8_PLUGINS if p not in version]
    return f"plugins missing: {', '.join(missing)}" if missing else None


def memlint(*args: str) -> List[str]:
    # The corpora (an installed pip, the standard library) often sit in a git
    # work tree that ignores them (pyenv's `versions/`): lint them anyway.
    return [sys.executable, "-m", "memlint", "-q", "--exit-zero", "--no-respect-gitignore", *args]


def bench_corpus(label: str, top: str, jobs: int, peers: Optional[str], work: str) -> List[str]:
    files = python_files(top)
    lines = line_count(files)
    cache = os.path.join(work, f"cache-{label}")
    steps: Dict[str, Step] = {}
    print(f"\n## {label}: {len(files)} files, {lines:,} lines\n", flush=True)

    steps["a"] = run([sys.executable, "-c", PARSE_SCRIPT, *files])
    steps["b1"] = run(memlint("--no-cache", "-j1", top))
    steps["bN"] = run(memlint("--no-cache", f"-j{jobs}", top))
    steps["fill"] = run(memlint("--cache-dir", cache, f"-j{jobs}", top))
    steps["c"] = run(memlint("--cache-dir", cache, f"-j{jobs}", top))
    edited = pick_edit_target(files)
    steps["alone"] = run(memlint("--no-cache", "-j1", edited))
    with open(edited, "a", encoding="utf-8") as handle:
        handle.write("\n# edited by the benchmark\n")
    steps["d"] = run(memlint("--cache-dir", cache, f"-j{jobs}", top))
    steps["e"] = run(memlint("--no-cache", f"-j{jobs}", "--fix", "--diff", top))
    flake8 = find_tool("flake8", peers)
    problem = flake8_problem(flake8) if flake8 else "not installed"
    if problem is None:
        steps["f"] = run([flake8, f"-j{jobs}", "--exit-zero", f"--select={PEER_SELECT}", top])
    ruff = find_tool("ruff", peers)
    if ruff:
        steps["g"] = run([ruff, "check", "--no-cache", "--exit-zero", "--quiet", f"--select={PEER_SELECT}", top])

    names = {
        "a": "(a) bare `libcst.parse_module`, 1 process",
        "b1": "(b) memlint cold, `-j1`",
        "bN": f"(b) memlint cold, `-j{jobs}`",
        "fill": f"memlint cold, `-j{jobs}`, writing the cache",
        "c": f"(c) memlint warm, `-j{jobs}`",
        "alone": f"memlint on the edited file alone ({lines_of(edited)} lines)",
        "d": f"(d) memlint warm, one file edited, `-j{jobs}`",
        "e": f"(e) memlint `--fix --diff`, `-j{jobs}`",
        "f": f"(f) flake8 + bugbear + comprehensions + simplify, `-j{jobs}`",
        "g": "(g) ruff, same rule families",
    }
    floor = steps["a"].seconds
    out = ["| step | wall s | × (a) | CPU s | CPU × (a) | peak RSS, MB |", "|---|---:|---:|---:|---:|---:|"]
    for key, step in steps.items():
        out.append(
            f"| {names[key]}{step.note} | {step.seconds:.2f} | {step.seconds / floor:.3f} "
            f"| {step.cpu:.2f} | {step.cpu / steps['a'].cpu:.3f} | {step.peak_mb:.0f} |"
        )
    if "f" not in steps:
        out.append(f"| (f) flake8: skipped ({problem}) | | | |")
    if "g" not in steps:
        out.append("| (g) ruff: skipped (not installed) | | | |")
    out.append("")
    out.extend(targets(steps, jobs))
    print("\n".join(out), flush=True)
    return out


def lines_of(path: str) -> int:
    with open(path, "rb") as handle:
        return handle.read().count(b"\n")


def targets(steps: Dict[str, Step], jobs: int) -> List[str]:
    """The issue's targets, each with its measured figure."""
    a, cold = steps["a"].seconds, steps["bN"].seconds
    rows = [
        (f"cold `-j{jobs}` ≤ 1.0 × (a)", cold / a, 1.0),
        (f"the same from CPU time: (CPU of `-j{jobs}` / {jobs}) / CPU of (a)", steps["bN"].cpu / jobs / steps["a"].cpu, 1.0),
        ("warm ≤ 0.05 × cold", steps["c"].seconds / cold, 0.05),
        ("one edited ≤ 1.5 × (file alone + warm)", steps["d"].seconds / (steps["alone"].seconds + steps["c"].seconds), 1.5),
        ("`--fix --diff` ≤ 2 × cold", steps["e"].seconds / cold, 2.0),
        ("peak RSS per process ≤ 200 MB", max(s.peak_mb for k, s in steps.items() if k not in "fg") / 200, 1.0),
    ]
    if "f" in steps:
        rows.append(("cold faster than flake8 stack", cold / steps["f"].seconds, 1.0))
        rows.append(("the same in CPU time", steps["bN"].cpu / steps["f"].cpu, 1.0))
    out = ["| target | measured ratio | met |", "|---|---:|---|"]
    out.extend(f"| {label} | {value:.3f} | {'yes' if value <= limit else 'no'} |" for label, value, limit in rows)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the pip package only")
    parser.add_argument("--corpus", choices=("pip", "stdlib"), action="append", help="only these corpora")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--peers", metavar="VENV", help="a virtualenv holding flake8 (+ plugins) and ruff")
    args = parser.parse_args(argv)
    from importlib.metadata import version

    import pip

    from memlint import __version__

    print("# memlint benchmark\n")
    print(f"memlint {__version__}, libcst {version('libcst')}, "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"`-j{args.jobs}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    work = tempfile.mkdtemp(prefix="memlint-bench-")
    try:
        sources = {"pip": os.path.dirname(pip.__file__), "stdlib": sysconfig.get_paths()["stdlib"]}
        chosen = args.corpus or (["pip"] if args.quick else ["pip", "stdlib"])
        for label in chosen:
            source = sources[label]
            bench_corpus(label, copy_corpus(source, os.path.join(work, label)), args.jobs, args.peers, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
