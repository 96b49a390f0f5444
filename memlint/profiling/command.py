"""``memlint profile [PATHS] [--top N] [--format text|json|html] [-o FILE] -- COMMAND ARGS...``

Lints PATHS (the result cache as usual), runs COMMAND with the probe on
``PYTHONPATH`` (as ``sitecustomize``), and ranks the findings by what the
run spent on them. The command's standard streams and exit status pass
through unchanged; the report goes to stderr, or to FILE with ``-o``.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from memlint.errors import UsageError

PROBE_DIRECTORY = os.path.dirname(os.path.abspath(__file__))  # holds the probe's sitecustomize.py


def _parser() -> argparse.ArgumentParser:
    from memlint.cli import _Parser

    parser = _Parser(prog="memlint profile", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="the code to lint (default .)")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="how many findings to show (0: all)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here (a new file) instead of stderr")
    parser.add_argument("--preview", action="store_true", default=None, help="measure the preview rules' findings too")
    parser.add_argument("--allocations", action="store_true",
                        help="trace allocations (tracemalloc): bytes per flagged line, at several times the cost")
    parser.add_argument("--overhead", action="store_true",
                        help="run the command once more without measurement and report both run times")
    parser.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml, no search")
    return parser


def split_command(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """(memlint's arguments, the command after ``--``)."""
    argv = list(argv)
    if "--" not in argv:
        raise UsageError("memlint profile: give the command to run after --, e.g. memlint profile src/ -- python -m app")
    at = argv.index("--")
    command = argv[at + 1:]
    if not command:
        raise UsageError("memlint profile: no command after --")
    return argv[:at], command


def main(argv: Sequence[str]) -> int:
    if "--" not in argv:
        _parser().parse_args(argv)  # --help prints the help and exits 0 with no command to run
    own, command = split_command(argv)
    args = _parser().parse_args(own)
    if args.top < 0:
        raise UsageError("--top must be at least 0")
    if args.output and os.path.lexists(args.output):
        raise UsageError(f"{args.output}: already exists; memlint profile writes only a new file")
    from memlint.profiling.ranking import RENDERERS, ranked
    from memlint.profiling.targets import targets

    diagnostics = _lint(args)
    found = targets(diagnostics, _source_line)
    run, measured = _run_measured(command, {"targets": [t.to_json() for t in found], "allocations": args.allocations})
    if args.overhead:
        run["plain_seconds"] = _run_plain(command)
    items = ranked(found, measured)
    report = RENDERERS[args.format](items[: args.top] if args.top else items, run)
    if args.output:
        with open(args.output, "x", encoding="utf-8") as handle:
            handle.write(report)
    else:
        sys.stderr.write(report)
    return int(run["exit_status"])


def _lint(args: argparse.Namespace) -> List[Any]:
    from memlint.cache import Cache, default_cache_dir
    from memlint.config import ConfigResolver
    from memlint.registry import registry_for
    from memlint.runner import Mode, discover_files, run_files

    cache = Cache(default_cache_dir())
    registry = registry_for(cache)
    resolver = ConfigResolver(registry, config_path=args.config, overrides={"preview": args.preview})
    files = discover_files(args.paths, resolver)
    reports = run_files(files, resolver, Mode(), os.cpu_count() or 1, cache, registry)
    for report in reports:
        for error in report.errors:
            print(f"memlint: error: {error}", file=sys.stderr)
    return [d for report in reports for d in report.diagnostics]


def _source_line(path: str, number: int) -> str:
    lines = _lines_of(path)
    return lines[number - 1] if 0 < number <= len(lines) else ""


@functools.lru_cache(maxsize=256)
def _lines_of(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.readlines()
    except OSError:
        return []


def _run_measured(command: List[str], spec_data: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Run the command with the probe; (run facts, measurements per finding id)."""
    work = tempfile.mkdtemp(prefix="memlint-profile-")
    try:
        spec = os.path.join(work, "targets.json")
        with open(spec, "w", encoding="utf-8") as handle:
            json.dump(spec_data, handle)
        env = dict(os.environ, MEMLINT_PROFILE=spec)
        env["PYTHONPATH"] = os.pathsep.join([PROBE_DIRECTORY] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        start = time.perf_counter()
        status = _run(command, env)
        seconds = time.perf_counter() - start
        results = _read_results(spec + ".out")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if results is None:
        print("memlint: warning: the program ended without the probe's report (os._exit, a crash, "
              "or not a Python program): nothing measured", file=sys.stderr)
        results = {}
    run = {
        "exit_status": status, "seconds": seconds,
        "peak_bytes": results.get("peak_bytes"), "peak_is": "traced memory" if spec_data["allocations"] else "resident size",
        "observed_at": results.get("observed_at_bytes"),
        "observed_in": "bytes traced" if spec_data["allocations"] else "memory blocks in use",
    }
    return run, dict(results.get("findings", {}))


def _run_plain(command: List[str]) -> float:
    start = time.perf_counter()
    _run(command, dict(os.environ))
    return time.perf_counter() - start


def _run(command: List[str], env: Dict[str, str]) -> int:
    try:
        completed = subprocess.run(command, env=env)
    except FileNotFoundError:
        raise UsageError(f"memlint profile: command not found: {command[0]}") from None
    return completed.returncode if completed.returncode >= 0 else 128 - completed.returncode


def _read_results(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
