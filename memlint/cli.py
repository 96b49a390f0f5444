"""``memlint`` command line: ``check`` (the default), ``rule``, ``config``,
``clean``.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal
error, 130 interrupted. Errors are one line on stderr; a traceback only with
``--verbose`` or ``MEMLINT_DEBUG=1``.

Nothing here imports libcst or the rules up front: a run answered entirely
from the cache (:mod:`memlint.cache`) never loads them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Sequence

from memlint import __version__
from memlint.cache import CACHE_DIR_ENV, DEFAULT_CACHE_DIR, Cache, clean, default_cache_dir
from memlint.config import ConfigResolver, parse_timeout, parse_version
from memlint.diagnostics import Diagnostic, format_github, format_json, format_sarif, format_statistics, format_text
from memlint.errors import UsageError
from memlint.limits import DEFAULT_FILE_TIMEOUT, default_memory_limit_mb
from memlint.registry import Registry, RuleSource, get_registry
from memlint.runner import FileReport, Mode, discover_files, process_source, run_files

SUBCOMMANDS = ("check", "rule", "config", "clean")
FORMATS = ("text", "json", "github", "sarif")
PHASES = ("read", "parse", "walk", "positions", "fix")


def _comma_list(value: str) -> List[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="memlint", description="Find memory anti-patterns in Python code and fix them.")
    parser.add_argument("--version", action="version", version=f"memlint {__version__}")
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="lint files and directories (the default)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories; - for stdin")
    selection = check.add_argument_group("rule selection")
    selection.add_argument("--select", type=_comma_list, help="only these codes, prefixes or rule names")
    selection.add_argument("--extend-select", type=_comma_list, action="extend", help="add to the selection")
    selection.add_argument("--ignore", type=_comma_list, action="extend", help="codes, prefixes or names to skip")
    selection.add_argument("--exclude", type=_comma_list, help="file patterns to skip (replaces the defaults)")
    selection.add_argument("--extend-exclude", type=_comma_list, action="extend", help="more file patterns to skip")
    out = check.add_argument_group("output")
    out.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default="text")
    out.add_argument("--statistics", action="store_true", help="count findings per code")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    out.add_argument("-q", "--quiet", action="store_true", help="no summary lines on stderr")
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=None,
                        help="also apply unsafe fixes")
    fixing.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    conf = check.add_argument_group("configuration")
    conf.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml, no search")
    conf.add_argument("--target-version", help="Python version the code targets, e.g. py310 or 3.10")
    conf.add_argument("--stdin-filename", help="the file name of source given as -")
    conf.add_argument("--enable-inference", action="store_true", default=None,
                      help="let rules ask astroid about other modules")
    conf.add_argument("--report-unknown", action="store_true", default=None,
                      help="report when a base class's layout cannot be known")
    run = check.add_argument_group("running")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (1: in-process)")
    run.add_argument("-v", "--verbose", action="store_true", help="tracebacks for internal errors")
    run.add_argument("--cache-dir", help=f"result cache directory (default: ${CACHE_DIR_ENV} or {DEFAULT_CACHE_DIR})")
    run.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    run.add_argument("--timings", action="store_true", help="time per phase and per rule, on stderr")
    run.add_argument("--file-timeout", type=float, metavar="SECONDS",
                     help=f"give up on a file after this long (default {DEFAULT_FILE_TIMEOUT:g}; 0: no limit)")
    run.add_argument("--max-memory", type=int, metavar="MB",
                     help="address space per worker process (default: a share of physical memory; 0: no limit)")

    rule = sub.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", nargs="?", help="a rule code or name")
    rule.add_argument("--all", action="store_true", help="every rule")

    config = sub.add_parser("config", help="show the effective settings for a path")
    config.add_argument("path", nargs="?", default=".")
    config.add_argument("--config", metavar="PYPROJECT")

    clean_cmd = sub.add_parser("clean", help="remove the result cache")
    clean_cmd.add_argument("--cache-dir", help=f"default: ${CACHE_DIR_ENV} or {DEFAULT_CACHE_DIR}")
    return parser


def normalize_argv(argv: Sequence[str]) -> List[str]:
    """``memlint PATH`` means ``memlint check PATH``."""
    argv = list(argv)
    first = next((a for a in argv if not a.startswith("-") or a == "-"), None)
    if first in SUBCOMMANDS or any(a in ("-h", "--help", "--version") for a in argv[:1]):
        return argv
    return ["check", *argv]


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--verbose" in argv or "-v" in argv or os.environ.get("MEMLINT_DEBUG")
    try:
        args = build_parser().parse_args(normalize_argv(argv))
        if args.command == "rule":
            return _rule_command(args)
        if args.command == "config":
            return _config_command(args)
        if args.command == "clean":
            return _clean_command(args)
        return _check_command(args)
    except UsageError as exc:
        print(f"memlint: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("memlint: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in memlint: one line unless debugging
        if debug:
            traceback.print_exc()
        print(f"memlint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def _overrides(args: argparse.Namespace, registry: Registry) -> Dict[str, Any]:
    for flag in ("select", "extend_select", "ignore"):
        registry.check_selectors(getattr(args, flag) or (), f"--{flag.replace('_', '-')}")
    return {
        "select": tuple(args.select) if args.select is not None else None,
        "extend_select": tuple(args.extend_select or ()),
        "ignore": tuple(args.ignore or ()),
        "exclude": tuple(args.exclude) if args.exclude is not None else None,
        "extend_exclude": tuple(args.extend_exclude or ()),
        "target_version": parse_version(args.target_version, "--target-version") if args.target_version else None,
        "enable_inference": args.enable_inference,
        "report_unknown": args.report_unknown,
        "file_timeout": parse_timeout(args.file_timeout, "--file-timeout") if args.file_timeout is not None else None,
    }


def _check_command(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    stdin = "-" in args.paths
    cache = None if args.no_cache or stdin else Cache(args.cache_dir or default_cache_dir())
    registry = _registry(cache)
    resolver = ConfigResolver(registry, config_path=args.config, overrides=_overrides(args, registry))
    mode = Mode(
        fix=args.fix, diff=args.diff, unsafe_fixes=args.unsafe_fixes, timings=args.timings,
        supervised=not (args.file_timeout == 0 and args.max_memory == 0), max_memory=_max_memory(args),
    )
    start = time.perf_counter()
    if stdin:
        if len(args.paths) > 1:
            raise UsageError("- (stdin) cannot be combined with other paths")
        reports = [_check_stdin(args, resolver, mode)]
    else:
        files = discover_files(args.paths, resolver)
        reports = run_files(files, resolver, mode, args.jobs, cache, registry)
    if args.timings:
        _print_timings(reports, registry, time.perf_counter() - start)
    return _emit(reports, args, mode, registry)


def _max_memory(args: argparse.Namespace) -> Optional[int]:
    """MB per worker: ``--max-memory``, else a share of physical memory."""
    if args.max_memory is None:
        return default_memory_limit_mb(args.jobs)
    if args.max_memory < 0:
        raise UsageError("--max-memory must be a number of MB >= 0 (0: no limit)")
    return args.max_memory or None


def _registry(cache: Optional[Cache]) -> Registry:
    """The rules to validate selections and configuration against: from the
    cache's rule catalog when it has one for this code (no rule is imported),
    else the real registry, whose catalog is then stored for the next run."""
    if cache is not None:
        stubs = cache.load_rule_stubs()
        if stubs is not None:
            return Registry(RuleSource(stub, "the rule catalog in the cache") for stub in stubs)
    registry = get_registry()
    if cache is not None:
        cache.store_rule_catalog(registry.rules)
    return registry


def _print_timings(reports: List[FileReport], registry: Registry, wall: float) -> None:
    """Seconds per phase and per rule, summed over files (and workers).
    Phases nest: ``fix`` includes the re-lints' parse/walk/positions, ``walk``
    includes the rules' own time."""
    totals: Dict[str, float] = {}
    for report in reports:
        for key, seconds in report.timings.items():
            totals[key] = totals.get(key, 0.0) + seconds
    out = [f"memlint: timings, seconds summed over {len(reports)} files ({wall:.3f} s wall)"]
    out.extend(f"  {phase:<10} {totals.get(phase, 0.0):9.3f}" for phase in PHASES)
    rules = sorted((k for k in totals if k not in PHASES), key=lambda k: (-totals[k], k))
    for code in rules:
        rule = registry.get(code)
        out.append(f"  {code:<10} {totals[code]:9.3f}  {rule.name if rule else ''}")
    print("\n".join(out), file=sys.stderr)


def _check_stdin(args: argparse.Namespace, resolver: ConfigResolver, mode: Mode) -> FileReport:
    filename = args.stdin_filename or "-"
    settings = resolver.for_path(filename if args.stdin_filename else os.getcwd())
    data = sys.stdin.buffer.read()
    report = process_source(data, filename, settings, mode)
    if mode.fix and not mode.diff:
        # Fixed source goes to stdout, findings to stderr (editor integrations).
        sys.stdout.buffer.write(report.output if report.output is not None else data)
        sys.stdout.flush()
    return report


def _emit(reports: List[FileReport], args: argparse.Namespace, mode: Mode, registry: Registry) -> int:
    diagnostics = sorted((d for r in reports for d in r.diagnostics), key=lambda d: d.sort_key)
    errors = [e for r in reports for e in r.errors]
    stdin_fix = args.paths == ["-"] and mode.fix and not mode.diff
    stream = sys.stderr if stdin_fix else sys.stdout
    if mode.diff:
        stream.write("".join(r.diff for r in reports))
    elif args.format == "json":
        stream.write(format_json(diagnostics))
    elif args.format == "github":
        stream.write(format_github(diagnostics))
    elif args.format == "sarif":
        stream.write(format_sarif(diagnostics, registry.rules, __version__))
    else:
        stream.write(format_text(diagnostics))
    if args.statistics and not mode.diff:
        stream.write(format_statistics(diagnostics))
    for line in [w for r in reports for w in r.warnings]:
        print(f"memlint: warning: {line}", file=sys.stderr)
    for line in errors:
        print(f"memlint: error: {line}", file=sys.stderr)
    if not args.quiet:
        _summary(reports, diagnostics, mode)
    if errors:
        return 2
    if mode.diff:
        return 1 if any(r.diff for r in reports) else 0
    return 1 if diagnostics and not args.exit_zero else 0


def _summary(reports: List[FileReport], diagnostics: List[Diagnostic], mode: Mode) -> None:
    fixed = sum(r.fixed for r in reports)
    unsafe = sum(r.unsafe_fixable for r in reports)
    parts = []
    if mode.fix and not mode.diff:
        files = sum(1 for r in reports if r.fixed)
        parts.append(f"fixed {fixed} finding{'s' * (fixed != 1)} in {files} file{'s' * (files != 1)}")
    if diagnostics:
        parts.append(f"{len(diagnostics)} remaining" if mode.fix else f"found {len(diagnostics)}")
    if unsafe:
        parts.append(f"{unsafe} more fixable with --unsafe-fixes")
    if parts:
        print(f"memlint: {'; '.join(parts)}", file=sys.stderr)


def _rule_command(args: argparse.Namespace) -> int:
    from memlint.docs import render_rule

    registry = get_registry()
    if args.all:
        print("\n\n".join(render_rule(rule) for rule in registry.rules))
        return 0
    if not args.code:
        raise UsageError("memlint rule: give a rule code or name, or --all")
    rule = registry.get(args.code)
    if rule is None:
        raise UsageError(f"unknown rule {args.code!r}")
    print(render_rule(rule))
    return 0


def _config_command(args: argparse.Namespace) -> int:
    resolver = ConfigResolver(get_registry(), config_path=args.config)
    if not os.path.exists(args.path):
        raise UsageError(f"{args.path}: no such file or directory")
    settings = resolver.for_path(args.path)
    data = asdict(settings)
    data["enabled_rules"] = [rule.code for rule in settings.enabled_rules(get_registry())]
    print(json.dumps(data, indent=2, default=list))
    return 0


def _clean_command(args: argparse.Namespace) -> int:
    directory = args.cache_dir or default_cache_dir()
    if clean(directory):
        print(f"memlint: removed {directory}", file=sys.stderr)
    return 0
