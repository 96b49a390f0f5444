"""What installing memlint costs a flake8 run that does not select MEM codes.

flake8 loads every installed plugin whatever is selected; memlint's plugin must
then cost nothing. This times ``flake8 --select B DIR`` (any selection
without MEM) from this environment, where memlint is installed, and from a
peers environment with the same flake8 and plugins but without memlint:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install flake8 flake8-bugbear
    .venv/bin/python benchmarks/flake8_overhead.py --peers /tmp/peers [DIR]

DIR defaults to the standard library's ``email`` package. Runs alternate
between the two environments (after one warm-up run each, with bytecode
caching on, as for users) so that machine noise hits both alike; the output
is a Markdown table of the median and best wall times and their ratio.

A second table shows the plugin at work, one process each, cold (a fresh
result cache per run): ``flake8 --select MEM -j1`` here, the same in the peers
environment (flake8's own cost: it runs pycodestyle and pyflakes whatever is
selected), and ``memlint -j1``. The plugin's share is the difference of the
first two; it should not exceed the third.
"""
from __future__ import annotations

import argparse
import email
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Sequence


# `python -m` puts the working directory on sys.path, and a checkout's
# pymemlint.egg-info there would make memlint visible to the peers too.
NEUTRAL_CWD = tempfile.mkdtemp(prefix="flake8-overhead-")


def flake8_version(python: str) -> str:
    command = [python, "-m", "flake8", "--version"]
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd=NEUTRAL_CWD).stdout


def timed(command: Sequence[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=NEUTRAL_CWD)
    return time.perf_counter() - start


def alternate(commands: Dict[str, List[str]], env: Dict[str, str], repeat: int, fresh_cache: bool = False) -> Dict[str, List[float]]:
    """Seconds per run of each command, the commands taking turns, after one
    warm-up run each (bytecode, file system cache)."""
    times: Dict[str, List[float]] = {name: [] for name in commands}
    for run in range(repeat + 1):
        for name, command in commands.items():
            if fresh_cache:
                env = dict(env, MEMLINT_CACHE_DIR=tempfile.mkdtemp(prefix="cache-", dir=NEUTRAL_CWD))
            seconds = timed(command, env)
            if run:
                times[name].append(seconds)
    return times


def table(times: Dict[str, List[float]]) -> None:
    print("| run | median s | best s |")
    print("|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} |")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default=os.path.dirname(email.__file__))
    parser.add_argument("--peers", required=True, help="a virtualenv with the same flake8 plugins, without memlint")
    parser.add_argument("--select", default="B", help="flake8's --select (default: B, flake8-bugbear)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--jobs", default=None, help="flake8's --jobs (default: flake8's own)")
    args = parser.parse_args(argv)

    environments = {"with memlint": sys.executable, "without memlint": os.path.join(args.peers, "bin", "python")}
    versions = {name: flake8_version(python) for name, python in environments.items()}
    if "pymemlint" not in versions["with memlint"] or "pymemlint" in versions["without memlint"]:
        print("memlint must be installed here and not in --peers:", versions, file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    flags = ["--select", args.select] + (["--jobs", args.jobs] if args.jobs else [])
    unused = {name: [python, "-m", "flake8", *flags, args.directory] for name, python in environments.items()}
    directory = os.path.abspath(args.directory)
    at_work = {
        "`flake8 --select MEM -j1`, with memlint": [sys.executable, "-m", "flake8", "--select", "MEM", "-j1", directory],
        "the same without memlint (flake8's own share)": [
            environments["without memlint"], "-m", "flake8", "--select", "MEM", "-j1", directory,
        ],
        # --no-respect-gitignore: the standard library may sit in a git work tree that ignores it (pyenv's).
        "`memlint -j1`": [sys.executable, "-m", "memlint", "-j1", "-q", "--no-respect-gitignore", directory],
    }
    unused_times = alternate(unused, env, args.repeat)
    at_work_times = alternate(at_work, env, max(3, args.repeat // 3), fresh_cache=True)

    files = sum(name.endswith(".py") for _, _, names in os.walk(args.directory) for name in names)
    print(f"`flake8 {' '.join(flags)}` on {args.directory} ({files} files), {args.repeat} runs each, alternating")
    print(f"flake8 {versions['without memlint'].split()[0]}; plugins here: {' '.join(versions['with memlint'].split()[1:])}")
    print()
    table(unused_times)
    ratio = statistics.median(unused_times["with memlint"]) / statistics.median(unused_times["without memlint"])
    best = min(unused_times["with memlint"]) / min(unused_times["without memlint"])
    print(f"| ratio | {ratio:.3f} | {best:.3f} |")
    print()
    print(f"With MEM selected, cold, {len(next(iter(at_work_times.values())))} runs each:")
    print()
    table(at_work_times)
    with_memlint, flake8_alone, memlint = (statistics.median(v) for v in at_work_times.values())
    share = with_memlint - flake8_alone
    print(f"| the plugin's share (first minus second) | {share:.3f} | |")
    print(f"| the plugin's share / `memlint -j1` | {share / memlint:.3f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
