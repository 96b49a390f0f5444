"""``memlint`` command line: ``check`` (the default), ``rule``, ``config``,
``clean``, ``server`` (the language server, :mod:`memlint.lsp`).

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal
error, 130 interrupted. Errors are one line on stderr; a traceback only with
``--verbose`` or ``MEMLINT_DEBUG=1``.

Startup is what a user waits for on every run, so this module imports almost
nothing up front: each command imports what it needs. ``--version`` and
``rule CODE`` (for a built-in rule: its generated page) load neither libcst
nor any rule, and neither does a run answered entirely from the cache
(:mod:`memlint.cache`); a run that lints imports only the selected rules
once the cache holds the rule catalog.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Type

from memlint import __version__
from memlint.errors import UsageError
from memlint.limits import DEFAULT_FILE_TIMEOUT, default_memory_limit_mb

if TYPE_CHECKING:
    from memlint.config import ConfigResolver
    from memlint.diagnostics import Diagnostic
    from memlint.output import SourceLines
    from memlint.registry import Registry
    from memlint.rule import Rule
    from memlint.runner import FileReport, Mode

VERSION = f"memlint {__version__}"
BROKEN_PIPE = 141  # the exit status of a command killed by SIGPIPE, as `yes | head` reports it
SUBCOMMANDS = ("check", "rule", "config", "clean", "server")
PHASES = ("read", "parse", "walk", "positions", "fix")


def _comma_list(value: str) -> List[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from memlint.cache import CACHE_DIR_ENV, DEFAULT_CACHE_DIR
    from memlint.output import FORMATS

    parser = _Parser(prog="memlint", description="Find memory anti-patterns in Python code and fix them.")
    parser.add_argument("--version", action="version", version=VERSION)
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="lint files and directories (the default)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories; - for stdin")
    selection = check.add_argument_group("rule selection")
    selection.add_argument("--select", type=_comma_list, action="extend",
                           help="only these codes, prefixes or rule names (repeatable: they add up)")
    selection.add_argument("--extend-select", type=_comma_list, action="extend", help="add to the selection")
    selection.add_argument("--ignore", type=_comma_list, action="extend", help="codes, prefixes or names to skip")
    selection.add_argument("--exclude", type=_comma_list, help="file patterns to skip (replaces the defaults)")
    selection.add_argument("--extend-exclude", type=_comma_list, action="extend", help="more file patterns to skip")
    selection.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false",
                           help="also lint files that .gitignore files ignore (skipped by default in a git work tree)")
    out = check.add_argument_group("output")
    out.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default=None,
                     help="full (with the source line; the default on a terminal), concise (flake8's line; "
                     "the default otherwise; text is its old name), json, github, sarif")
    out.add_argument("--statistics", action="store_true", help="count findings per code instead of listing them")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    out.add_argument("-q", "--quiet", action="store_true", help="no summary lines on stderr")
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixing.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=None,
                        help="also apply unsafe fixes")
    fixing.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    adopting = check.add_argument_group("adopting memlint on existing code")
    adopting.add_argument("--add-noqa", action="store_true",
                          help="add `# noqa: CODE` to every line with a finding (merged into a `# noqa` already there)")
    adopting.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE")
    adopting.add_argument("--baseline", metavar="FILE",
                          help="do not report the findings FILE records (default: [tool.memlint] baseline)")
    conf = check.add_argument_group("configuration")
    conf.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml, no search")
    conf.add_argument("--target-version", help="Python version the code targets, e.g. py310 or 3.10")
    conf.add_argument("--stdin-filename", help="the file name of source given as -")
    conf.add_argument("--preview", action="store_true", default=None,
                      help="also run the preview rules (below the precision bar on real code: `memlint rule --all`)")
    conf.add_argument("--no-preview", dest="preview", action="store_false")
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
    rule.add_argument("--format", "--output-format", dest="format", choices=("text", "markdown", "json"), default="text",
                      help="text for a terminal (the default), the generated Markdown page, or JSON")

    config = sub.add_parser("config", help="show the effective settings for a path")
    config.add_argument("path", nargs="?", default=".")
    config.add_argument("--config", metavar="PYPROJECT")

    sub.add_parser("server", help="run the language server on stdin/stdout (needs pymemlint[lsp])")

    clean_cmd = sub.add_parser("clean", help="remove the result cache")
    clean_cmd.add_argument("--cache-dir", help=f"default: ${CACHE_DIR_ENV} or {DEFAULT_CACHE_DIR}")
    return parser


def normalize_argv(argv: Sequence[str]) -> List[str]:
    """``memlint PATH`` means ``memlint check PATH``. A subcommand is only
    ever the first argument, and not when a file of that name exists:
    pre-commit passes file names, and a script may be named ``config``.
    ``--`` ends the options (``memlint -- config`` lints the file ``config``)."""
    argv = list(argv)
    first = argv[0] if argv else None
    if first in ("-h", "--help", "--version") or first in SUBCOMMANDS and not os.path.isfile(first):
        return argv
    return ["check", *argv]


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # before the parser, whose help texts import the cache module
        print(VERSION)
        return 0
    _printable_output()
    debug = "--verbose" in argv or "-v" in argv or os.environ.get("MEMLINT_DEBUG")
    try:
        if argv[:1] == ["profile"] and not os.path.isfile("profile"):
            from memlint.profiling.command import main as profile

            return profile(argv[1:])
        args = build_parser().parse_args(normalize_argv(argv))
        if args.command == "rule":
            return _rule_command(args)
        if args.command == "config":
            return _config_command(args)
        if args.command == "clean":
            return _clean_command(args)
        if args.command == "server":
            from memlint.lsp import serve

            return serve()
        return _check_command(args)
    except UsageError as exc:
        print(f"memlint: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `memlint ... | head`: the reader has all it wanted
        _discard_stdout()
        return BROKEN_PIPE
    except KeyboardInterrupt:
        print("memlint: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in memlint: one line unless debugging
        if debug:
            import traceback

            traceback.print_exc()
        print(f"memlint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def _discard_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit does not
    fail (and print) a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _printable_output() -> None:
    """A file name that is not UTF-8 (or any text the terminal cannot
    encode) must not end the run with nothing printed: it is escaped."""
    from memlint.diagnostics import PRINTABLE

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=PRINTABLE)


def _overrides(args: argparse.Namespace, registry: Registry) -> Dict[str, Any]:
    from memlint.config import parse_timeout, parse_version

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
        "preview": args.preview,
        "report_unknown": args.report_unknown,
        "file_timeout": parse_timeout(args.file_timeout, "--file-timeout") if args.file_timeout is not None else None,
        "baseline": os.path.abspath(args.baseline) if args.baseline else None,
    }


def _check_command(args: argparse.Namespace) -> int:
    import time

    from memlint.cache import Cache, default_cache_dir
    from memlint.config import ConfigResolver
    from memlint.output import SourceLines, discovery_warnings
    from memlint.progress import Progress
    from memlint.registry import registry_for
    from memlint.runner import Mode, discover_files, run_files

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    _check_combinations(args)
    stdin = "-" in args.paths
    cache = None if args.no_cache or stdin else Cache(args.cache_dir or default_cache_dir())
    registry = registry_for(cache)
    if cache is not None and cache.refused:
        print(f"memlint: warning: {cache.refused}", file=sys.stderr)
    resolver = ConfigResolver(registry, config_path=args.config, overrides=_overrides(args, registry))
    mode = Mode(
        fix=args.fix, diff=args.diff, unsafe_fixes=args.unsafe_fixes, timings=args.timings,
        supervised=not (args.file_timeout == 0 and args.max_memory == 0), max_memory=_max_memory(args),
    )
    start = time.perf_counter()
    sources = SourceLines()
    if stdin:
        if len(args.paths) > 1:
            raise UsageError("- (stdin) cannot be combined with other paths")
        report, data = _check_stdin(args, resolver, mode)
        reports, sources = [report], SourceLines({report.path: data})
    else:
        unreadable: List[FileReport] = []
        files = discover_files(args.paths, resolver, unreadable)
        if args.respect_gitignore:
            files = _without_gitignored(files, args.paths)
        for warning in discovery_warnings(args.paths, files, resolver):
            print(f"memlint: warning: {warning}", file=sys.stderr)
        progress = Progress(sys.stderr)
        try:
            reports = run_files(files, resolver, mode, args.jobs, cache, registry, progress) + unreadable
        finally:
            progress.finish()
    if args.timings:
        _print_timings(reports, registry, time.perf_counter() - start)
    return _conclude(reports, args, mode, registry, resolver, sources)


def _without_gitignored(files: List[str], paths: Sequence[str]) -> List[str]:
    """The files git does not ignore. A file named on the command line that
    it ignores, or a named directory all of whose files it ignores (the
    standard library under pyenv's git clone), is said, not skipped silently."""
    from memlint.gitignore import GitIgnore, filter_ignored

    kept, ignored = filter_ignored(files, GitIgnore())
    hint = "not linted (--no-respect-gitignore lints {})"
    ignored_files = set(ignored)
    for path in paths:
        if path in ignored_files:
            print(f"memlint: warning: {path}: ignored by .gitignore; {hint.format('it')}", file=sys.stderr)
        elif os.path.isdir(path):
            inside = os.path.join(path, "")
            dropped = sum(1 for f in ignored if f.startswith(inside))
            if dropped and not any(f.startswith(inside) for f in kept):
                print(f"memlint: warning: {path}: every Python file in it ({dropped}) is ignored by .gitignore; "
                      f"{hint.format('them')}", file=sys.stderr)
    return kept


def _max_memory(args: argparse.Namespace) -> Optional[int]:
    """MB per worker: ``--max-memory``, else a share of physical memory."""
    if args.max_memory is None:
        return default_memory_limit_mb(args.jobs)
    if args.max_memory < 0:
        raise UsageError("--max-memory must be a number of MB >= 0 (0: no limit)")
    return args.max_memory or None


def _check_combinations(args: argparse.Namespace) -> None:
    rewriting = [flag for flag, on in (("--add-noqa", args.add_noqa), ("--write-baseline", args.write_baseline)) if on]
    others = [flag for flag, on in (("--fix", args.fix), ("--diff", args.diff), ("- (stdin)", "-" in args.paths)) if on]
    if rewriting and (others or len(rewriting) > 1):
        raise UsageError(f"{rewriting[0]} cannot be combined with {(rewriting[1:] + others)[0]}")


def _conclude(
    reports: List[FileReport], args: argparse.Namespace, mode: Mode, registry: Registry,
    resolver: ConfigResolver, sources: SourceLines,
) -> int:
    """Write a baseline, add noqa comments, or report (minus the baseline)."""
    from memlint import baseline

    diagnostics = sorted((d for r in reports for d in r.diagnostics), key=lambda d: d.sort_key)
    if args.write_baseline:
        count = baseline.write(args.write_baseline, diagnostics, sources)
        print(f"Recorded {count} finding{'s' * (count != 1)} in {args.write_baseline}", file=sys.stderr)
        return _print_problems(reports)
    baselines = {r.path: resolver.for_path(r.path).baseline for r in reports}
    diagnostics, baselined = baseline.without_baselined(diagnostics, baselines, sources)
    if args.add_noqa:
        return _add_noqa(diagnostics, reports)
    return _emit(reports, diagnostics, baselined, args, mode, registry, resolver, sources)


def _print_problems(reports: List[FileReport]) -> int:
    """The runs' warnings and errors on stderr; 2 if there were errors, else 0."""
    for line in [w for r in reports for w in r.warnings]:
        print(f"memlint: warning: {line}", file=sys.stderr)
    errors = [e for r in reports for e in r.errors]
    for line in errors:
        print(f"memlint: error: {line}", file=sys.stderr)
    return 2 if errors else 0


def _add_noqa(diagnostics: List[Diagnostic], reports: List[FileReport]) -> int:
    from memlint.noqa import add_noqa_to_file

    by_file: Dict[str, List[Diagnostic]] = {}
    for d in diagnostics:
        by_file.setdefault(d.filename, []).append(d)
    edited = [add_noqa_to_file(path, found) for path, found in sorted(by_file.items())]
    lines = sum(r.fixed for r in edited)
    files = sum(1 for r in edited if r.fixed)
    status = _print_problems(reports + edited)
    print(f"Added noqa comments to {lines} line{'s' * (lines != 1)} in {files} file{'s' * (files != 1)}", file=sys.stderr)
    return status


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


def _check_stdin(args: argparse.Namespace, resolver: ConfigResolver, mode: Mode) -> Tuple[FileReport, bytes]:
    from memlint.runner import process_source

    filename = args.stdin_filename or "-"
    settings = resolver.for_path(filename if args.stdin_filename else os.getcwd())
    data = sys.stdin.buffer.read()
    report = process_source(data, filename, settings, mode)
    if mode.fix and not mode.diff:
        # Fixed source goes to stdout, findings to stderr (editor integrations).
        sys.stdout.buffer.write(report.output if report.output is not None else data)
        sys.stdout.flush()
    return report, data


def _emit(
    reports: List[FileReport], diagnostics: List[Diagnostic], baselined: int, args: argparse.Namespace,
    mode: Mode, registry: Registry, resolver: ConfigResolver, sources: SourceLines,
) -> int:
    from memlint.output import Tally, findings_text, fixability, resolve_format, statistics_text, summary

    is_fixable = fixability(resolver, registry, mode.unsafe_fixes)
    stdin_fix = args.paths == ["-"] and mode.fix and not mode.diff
    stream = sys.stderr if stdin_fix else sys.stdout
    fmt = resolve_format(args.format, stream)
    if mode.diff:
        stream.write("".join(r.diff for r in reports))
    elif args.statistics:
        stream.write(statistics_text(fmt, diagnostics, registry, is_fixable))
    else:
        stream.write(findings_text(fmt, diagnostics, registry, is_fixable, sources, stream))
    stream.flush()  # a closed pipe shows here, inside main's handler
    status = _print_problems(reports)
    if not args.quiet:
        with_unsafe = fixability(resolver, registry, True)
        fixable = sum(1 for d in diagnostics if is_fixable(d))
        unsafe = sum(1 for d in diagnostics if with_unsafe(d)) - fixable
        print(summary(reports, mode, Tally(len(diagnostics), fixable, unsafe, baselined)), file=sys.stderr)
    if status:
        return status
    if mode.diff:
        return 1 if any(r.diff for r in reports) else 0
    return 1 if diagnostics and not args.exit_zero else 0


def _rule_command(args: argparse.Namespace) -> int:
    """A built-in rule's page is read from the generated docs (no rule is
    imported); a rule pack's is rendered; JSON and ``--all`` need the rules."""
    from memlint.docs import generated_page, render_rule, rule_url
    from memlint.output import wants_colour
    from memlint.output_rule import builtin_page_url, for_terminal, rules_json
    from memlint.registry import get_registry

    if not args.all and not args.code:
        raise UsageError("memlint rule: give a rule code or name, or --all")
    page = generated_page(args.code) if args.code and not args.all and args.format != "json" else None
    pages: List[Tuple[str, Optional[str]]] = []
    if page is not None:
        pages = [(page, builtin_page_url(page))]
    else:
        rules = list(get_registry().rules) if args.all else _one_rule(args.code)
        if args.format == "json":
            sys.stdout.write(rules_json(rules, rule_url))
            return 0
        pages = [(render_rule(rule), rule_url(rule)) for rule in rules]
    if args.format == "markdown":
        print("\n\n".join(text for text, _ in pages))
    else:
        colour = wants_colour(sys.stdout)
        print("\n\n".join(for_terminal(text, url, colour) for text, url in pages), end="")
    return 0


def _one_rule(code_or_name: str) -> List[Type[Rule]]:
    from memlint.registry import get_registry

    rule = get_registry().get(code_or_name)
    if rule is None:
        raise UsageError(f"unknown rule {code_or_name!r}")
    return [rule]


def _config_command(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from memlint.config import ConfigResolver
    from memlint.registry import get_registry

    resolver = ConfigResolver(get_registry(), config_path=args.config)
    if not os.path.exists(args.path):
        raise UsageError(f"{args.path}: no such file or directory")
    settings = resolver.for_path(args.path)
    data = asdict(settings)
    data["enabled_rules"] = [rule.code for rule in settings.enabled_rules(get_registry())]
    print(json.dumps(data, indent=2, default=list))
    return 0


def _clean_command(args: argparse.Namespace) -> int:
    from memlint.cache import clean, default_cache_dir

    directory = args.cache_dir or default_cache_dir()
    kept = clean(directory)
    if kept == []:
        print(f"memlint: removed {directory}", file=sys.stderr)
    elif kept:
        print(
            f"memlint: removed memlint's entries from {directory}; kept what memlint did not write: {', '.join(kept)}",
            file=sys.stderr,
        )
    return 0
