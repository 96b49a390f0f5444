"""``[tool.memlint]`` discovery, validation and per-directory caching.

The configuration of a file comes from the nearest ``pyproject.toml`` above it
that has a ``[tool.memlint]`` table (``--config`` overrides the search). The
target Python version is ``--target-version``, else ``target-version``, else
the oldest Python the project supports: the lower bound of ``[project]
requires-python`` of that file (or of the nearest ``pyproject.toml`` when none
has a memlint table), else of ``[options] python_requires`` in the
``setup.cfg`` beside it (or the nearest one, without a ``pyproject.toml``),
else the oldest Python memlint supports. Never the running interpreter: a fix
must not use syntax or library features the project's users do not have.
"""
from __future__ import annotations

import configparser
import fnmatch
import math
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on the oldest supported Python
    import tomli as tomllib

from memlint.errors import ConfigError
from memlint.limits import DEFAULT_FILE_TIMEOUT

if TYPE_CHECKING:  # not at run time: a fully cached run must not import libcst
    from memlint.registry import Registry
    from memlint.rule import Rule

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", ".eggs", "*.egg-info",
    "__pycache__", "build", "dist", "node_modules", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".memlint_cache", "__pypackages__", "site-packages",
)

Version = Tuple[int, int]
OLDEST_SUPPORTED: Version = (3, 9)  # memlint's own requires-python: the default target
DEFAULT_LINE_LENGTH = 88  # black's and ruff's default


@dataclass(frozen=True)
class Settings:
    """The effective settings for the files under one configuration."""

    select: Tuple[str, ...] = ("ALL",)
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    target_version: Version = OLDEST_SUPPORTED
    # The longest line a fix writes: ``line-length``, else ruff's or black's in the same pyproject.toml.
    line_length: int = DEFAULT_LINE_LENGTH
    unsafe_fixes: bool = False
    fixable: Tuple[str, ...] = ("ALL",)
    unfixable: Tuple[str, ...] = ()
    enable_inference: bool = False
    preview: bool = False  # run the rules the precision ledger keeps in preview (memlint.ledger)
    report_unknown: bool = False
    file_timeout: float = DEFAULT_FILE_TIMEOUT  # seconds per file; 0: no limit
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    baseline: Optional[str] = None  # the baseline file (absolute): its findings are not reported
    root: str = "."  # directory that relative patterns are relative to
    source: Optional[str] = None  # the pyproject.toml these came from

    def enabled_rules(self, registry: Registry, filename: Optional[str] = None) -> List[Type[Rule]]:
        ignore = list(self.ignore)
        if filename is not None:
            ignore.extend(self.ignores_for(filename))
        return registry.select(list(self.select) + list(self.extend_select), ignore, self.preview)

    def ignores_for(self, filename: str) -> List[str]:
        relative = _relative(filename, self.root)
        return [
            code
            for pattern, codes in self.per_file_ignores
            if _glob_match(relative, pattern)
            for code in codes
        ]

    def is_excluded(self, path: str) -> bool:
        return self.excluded_by(path) is not None

    def excluded_by(self, path: str) -> Optional[str]:
        """The first exclude pattern that matches ``path``, if any."""
        relative = _relative(path, self.root)
        return next((p for p in self.exclude + self.extend_exclude if _glob_match(relative, p)), None)

    def is_fixable(self, code: str, registry: Registry) -> bool:
        rule = registry.get(code)
        return rule is not None and rule in registry.select(list(self.fixable), list(self.unfixable), preview=True)

    def options_for(self, rule: Type[Rule]) -> Mapping[str, Any]:
        return self.rule_options.get(rule.code, {})


def _relative(path: str, root: str) -> str:
    """The path below the configuration's directory. A path outside it keeps
    only its last component: the directories above it (``site-packages`` of
    ``memlint /venv/lib/python3.11/site-packages/pip``) are not the user's to
    exclude, and the directory walk checks every component below as it goes."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return Path(path).name


def _glob_match(relative: str, pattern: str) -> bool:
    """Patterns match a whole relative path, any path component, or a prefix
    directory (``build`` excludes ``build/x.py``; ``*.egg-info`` any component)."""
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatch(relative, pattern) or relative == pattern or relative.startswith(pattern + "/"):
        return True
    if "/" in pattern:
        return False
    return any(fnmatch.fnmatch(part, pattern) for part in relative.split("/"))


# -- parsing --------------------------------------------------------------------

STRING_LIST = "list of strings"


def _check_type(value: Any, expected: str) -> bool:
    if expected == STRING_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "table":
        return isinstance(value, dict)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise AssertionError(expected)


# What an option's value must be beyond its TOML type (Option.value).
SELECTORS = "rule selectors"  # codes, code prefixes, rule names or ALL, each known
VERSION = "Python version"  # py310 or 3.10 (parse_version)
SECONDS = "seconds"  # a finite number >= 0 (parse_timeout)
PATH = "path"  # a file name relative to the pyproject.toml
IGNORES = "per-file ignores"  # file pattern -> rule selectors
RULE_OPTIONS = "rule options"  # rule code or name -> its options (validate_rule_options)
AT_LEAST_ONE = "integer >= 1"


@dataclass(frozen=True)
class Option:
    """One key of ``[tool.memlint]``. This table is the one list of the keys:
    validation reads it, and so do the JSON schema and the configuration
    reference generated from it (:mod:`memlint.config_schema`)."""

    type: str  # the expected TOML type, as errors name it (see _check_type)
    attr: str  # the Settings attribute it sets; its default is the key's
    help: str  # what it does, for the schema's description and the reference page
    value: str = ""  # what a value must be beyond its type (the constants below); "": anything


OPTIONS: Dict[str, Option] = {
    "select": Option(STRING_LIST, "select", (
        "The rules to run: codes (`MEM202`), code prefixes (`MEM2`, `MEM`), rule names "
        "(`list-of-range-iterated`) or `ALL`. A prefix or `ALL` does not enable preview rules "
        "(see `preview`); an exact code or name does. `--select` replaces it."), SELECTORS),
    "extend-select": Option(STRING_LIST, "extend_select", (
        "More rules to run, added to `select` (same forms); `--extend-select` adds to it."), SELECTORS),
    "ignore": Option(STRING_LIST, "ignore", (
        "Rules not to run (same forms as `select`). The more specific selector wins: "
        "`select = [\"MEM1\"]` with `ignore = [\"MEM\"]` still runs the MEM1 rules. "
        "`--ignore` adds to it."), SELECTORS),
    "per-file-ignores": Option("table", "per_file_ignores", (
        "Rules not to run on some files: a table from a file pattern to a list of selectors, "
        "`{ \"tests/*\" = [\"MEM5\"] }`. Patterns are relative to the directory of the "
        "`pyproject.toml`; a pattern matches the whole path, a leading directory, or (without "
        "a `/`) any one path component."), IGNORES),
    "exclude": Option(STRING_LIST, "exclude", (
        "File patterns not to lint (matched like `per-file-ignores` patterns). Setting it "
        "replaces the defaults; `extend-exclude` keeps them. `--exclude` replaces it.")),
    "extend-exclude": Option(STRING_LIST, "extend_exclude", (
        "More file patterns not to lint, added to `exclude`; `--extend-exclude` adds to it.")),
    "target-version": Option("string", "target_version", (
        "The oldest Python the code must run on, `py310` or `3.10`: fixes use no syntax or "
        "library feature newer than it. Default: the lower bound of `[project] requires-python` "
        "of the `pyproject.toml`, else of `[options] python_requires` of the `setup.cfg` beside "
        f"it, else py{OLDEST_SUPPORTED[0]}{OLDEST_SUPPORTED[1]} (the oldest Python memlint "
        "supports), never the running interpreter. `--target-version` overrides it."), VERSION),
    "line-length": Option("integer", "line_length", (
        "The longest line a fix writes: a line a fix makes longer is wrapped one item per "
        "line with a trailing comma, as black would. Default: `line-length` of `[tool.ruff]`, "
        "else of `[tool.black]`, in the same `pyproject.toml`, else 88. It changes no finding."),
        AT_LEAST_ONE),
    "unsafe-fixes": Option("boolean", "unsafe_fixes", (
        "Let `--fix` apply unsafe fixes too (those that can change behaviour in code memlint "
        "cannot see), as `--unsafe-fixes` does; `--no-unsafe-fixes` overrides it.")),
    "fixable": Option(STRING_LIST, "fixable", (
        "The rules whose fixes `--fix` may apply (same forms as `select`)."), SELECTORS),
    "unfixable": Option(STRING_LIST, "unfixable", (
        "Rules whose fixes `--fix` never applies; their findings are still reported."), SELECTORS),
    "enable-inference": Option("boolean", "enable_inference", (
        "Let the `__slots__` rules ask astroid about base classes defined in other modules. "
        "Slower, and such runs are not cached. Same as `--enable-inference`.")),
    "preview": Option("boolean", "preview", (
        "Also run the preview rules, those below the precision bar on real code "
        "(`memlint rule --all` lists them). Same as `--preview`; `--no-preview` overrides it.")),
    "report-unknown": Option("boolean", "report_unknown", (
        "MEM101 and MEM105 also report a class when the `__slots__` layout of a base class "
        "cannot be known. Same as `--report-unknown`.")),
    "file-timeout": Option("number", "file_timeout", (
        "Seconds memlint may spend on one file; a file over it is an error naming the file, "
        "and the other files are still reported. 0: no limit. `--file-timeout` overrides it."), SECONDS),
    "rules": Option("table", "rule_options", (
        "Options of single rules, one table per rule by code or name: "
        "`[tool.memlint.rules.MEM301]` with `maxsize = 1024`. Unknown rules, unknown options "
        "and values of another type than the option's default are errors."), RULE_OPTIONS),
    "baseline": Option("string", "baseline", (
        "A baseline file written by `--write-baseline`, relative to the `pyproject.toml`: "
        "the findings it records are not reported. `--baseline FILE` overrides it."), PATH),
}


def parse_version(text: str, where: str) -> Version:
    """``py310``, ``3.10`` or ``3.10.2`` -> (3, 10)."""
    match = re.fullmatch(r"py(\d)(\d+)|(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    if not match:
        raise ConfigError(f"{where}: invalid target version {text!r} (expected e.g. 'py310' or '3.10')")
    major, minor = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return int(major), int(minor)


def parse_timeout(value: float, where: str) -> float:
    """Seconds allowed per file; 0 means no limit."""
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"{where}: the file timeout must be a number of seconds >= 0 (0: no limit), not {value!r}")
    return float(value)


def requires_python_floor(spec: str) -> Optional[Version]:
    """The lowest Python a ``requires-python`` specifier admits, if it says."""
    floors = []
    for op, major, minor in re.findall(r"(>=|~=|==|>)\s*(\d+)(?:\.(\d+))?", spec):
        floors.append((int(major), int(minor or 0)))
    return max(floors) if floors else None


def load_toml(path: str) -> Dict[str, Any]:
    """A TOML file's data; any reason it cannot be read is a ConfigError naming it."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from exc


def memlint_table(data: Mapping[str, Any], path: str) -> Optional[Any]:
    """The ``[tool.memlint]`` value of a pyproject.toml's data, None when there
    is none; a ``tool`` that is not a table is an error naming the file."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, not {type(tool).__name__}")
    return tool.get("memlint")


def settings_from_table(
    table: Mapping[str, Any],
    path: str,
    registry: Registry,
    requires_python: Optional[str] = None,
    formatter_line_length: Optional[int] = None,
) -> Settings:
    """Validate a ``[tool.memlint]`` table into Settings; errors name file and key."""
    values: Dict[str, Any] = {"root": os.path.dirname(os.path.abspath(path)), "source": path}
    if formatter_line_length is not None:
        values["line_length"] = formatter_line_length
    floor = requires_python_floor(requires_python) if requires_python else None
    if floor is not None:
        values["target_version"] = floor
    for key, value in table.items():
        option = OPTIONS.get(key)
        if option is None:
            raise ConfigError(f"{path}: unknown key 'tool.memlint.{key}' (known: {', '.join(sorted(OPTIONS))})")
        if not _check_type(value, option.type):
            raise ConfigError(f"{path}: 'tool.memlint.{key}' must be a {option.type}, not {type(value).__name__}")
        values[option.attr] = _convert(key, option, value, path, registry)
    return Settings(**values)


def _convert(key: str, option: Option, value: Any, path: str, registry: Registry) -> Any:
    """A value of the right TOML type checked as its option's ``value`` says."""
    where = f"{path}: 'tool.memlint.{key}'"
    if option.value == SELECTORS:
        registry.check_selectors(value, where, ConfigError)
        return tuple(value)
    if option.value == VERSION:
        return parse_version(value, where)
    if option.value == SECONDS:
        return parse_timeout(value, where)
    if option.value == AT_LEAST_ONE and value < 1:
        raise ConfigError(f"{where}: the line length must be at least 1, not {value}")
    if option.value == PATH:  # relative to the configuration file
        return os.path.join(os.path.dirname(os.path.abspath(path)), value)
    if option.value == IGNORES:
        result = []
        for pattern, codes in value.items():
            if not _check_type(codes, STRING_LIST):
                raise ConfigError(f"{where}.{pattern!r} must be a list of strings")
            registry.check_selectors(codes, f"{where}.{pattern!r}", ConfigError)
            result.append((pattern, tuple(codes)))
        return tuple(result)
    if option.value == RULE_OPTIONS:
        return dict(validate_rule_options(code, options, path, registry) for code, options in value.items())
    return tuple(value) if option.type == STRING_LIST else value


def validate_rule_options(code: str, options: Any, path: str, registry: Registry) -> Tuple[str, Dict[str, Any]]:
    """Check one ``[tool.memlint.rules.X]`` table (X a code or a rule name)."""
    where = f"{path}: 'tool.memlint.rules.{code}'"
    rule = registry.get(code)
    if rule is None:
        raise ConfigError(f"{where}: unknown rule")
    if not isinstance(options, dict):
        raise ConfigError(f"{where} must be a table")
    for name, value in options.items():
        if name not in rule.options:
            known = ", ".join(sorted(rule.options)) or "none"
            raise ConfigError(f"{where}: unknown option {name!r} (known: {known})")
        default = rule.options[name]
        if not _same_type(default, value):
            raise ConfigError(
                f"{where}.{name} must be {_type_label(default)}, not {type(value).__name__}"
            )
    return rule.code, dict(options)


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _type_label(default: Any) -> str:
    if isinstance(default, bool):
        return "a boolean"
    if isinstance(default, (list, tuple)):
        return "a list of strings"
    return f"a {type(default).__name__}"


# -- discovery --------------------------------------------------------------------


@dataclass
class ConfigResolver:
    """Finds the settings of each directory once; CLI overrides apply on top."""

    registry: Registry
    config_path: Optional[str] = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    _by_dir: Dict[str, Settings] = field(default_factory=dict)
    _fixed: Optional[Settings] = None

    def __post_init__(self) -> None:
        if self.config_path is not None:
            self._fixed = self._from_file(self.config_path, explicit=True)

    def for_path(self, path: str) -> Settings:
        if self._fixed is not None:
            return self._fixed
        directory = os.path.dirname(os.path.abspath(path)) if not os.path.isdir(path) else os.path.abspath(path)
        settings = self._by_dir.get(directory)
        if settings is None:
            settings = self._by_dir[directory] = self._discover(directory)
        return settings

    def _discover(self, directory: str) -> Settings:
        nearest_project: Optional[str] = None
        nearest_setup_cfg: Optional[str] = None
        current = directory
        while True:
            candidate = os.path.join(current, "pyproject.toml")
            if os.path.isfile(candidate):
                data = load_toml(candidate)
                if memlint_table(data, candidate) is not None:
                    return self._from_file(candidate, data=data)
                nearest_project = nearest_project or candidate
            if nearest_setup_cfg is None and os.path.isfile(os.path.join(current, "setup.cfg")):
                nearest_setup_cfg = os.path.join(current, "setup.cfg")
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        return self._defaults(nearest_project, nearest_setup_cfg, directory)

    def _defaults(self, pyproject: Optional[str], setup_cfg: Optional[str], directory: str) -> Settings:
        if pyproject is None:
            spec = python_requires(setup_cfg) if setup_cfg else None
            floor = requires_python_floor(spec) if spec else None
            return self._apply_overrides(Settings(root=directory, target_version=floor or OLDEST_SUPPORTED))
        data = load_toml(pyproject)
        return self._apply_overrides(settings_from_table({}, pyproject, self.registry, *_project_facts(data, pyproject)))

    def _from_file(self, path: str, data: Optional[Dict[str, Any]] = None, explicit: bool = False) -> Settings:
        if explicit and not os.path.isfile(path):
            raise ConfigError(f"{path}: configuration file not found")
        data = data if data is not None else load_toml(path)
        table = memlint_table(data, path)
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: 'tool.memlint' must be a table")
        return self._apply_overrides(settings_from_table(table, path, self.registry, *_project_facts(data, path)))

    def _apply_overrides(self, settings: Settings) -> Settings:
        return apply_overrides(settings, self.overrides)


def _project_facts(data: Mapping[str, Any], pyproject: str) -> Tuple[Optional[str], Optional[int]]:
    """What the rest of a pyproject.toml says about the project: its
    ``requires-python`` and its formatter's line length."""
    return _requires_python(data, pyproject), _formatter_line_length(data)


def _formatter_line_length(data: Mapping[str, Any]) -> Optional[int]:
    """``line-length`` of ``[tool.ruff]``, else of ``[tool.black]``; a value
    that is not a positive integer is theirs to report, and ignored."""
    tool = data.get("tool", {})
    for name in ("ruff", "black"):
        table = tool.get(name) if isinstance(tool, dict) else None
        value = table.get("line-length") if isinstance(table, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return None


def _requires_python(data: Mapping[str, Any], pyproject: str) -> Optional[str]:
    """``[project] requires-python``, else ``python_requires`` of the
    ``setup.cfg`` beside the ``pyproject.toml``."""
    project = data.get("project", {})
    value = project.get("requires-python") if isinstance(project, dict) else None
    if isinstance(value, str):
        return value
    return python_requires(os.path.join(os.path.dirname(os.path.abspath(pyproject)), "setup.cfg"))


def python_requires(setup_cfg: str) -> Optional[str]:
    """``[options] python_requires`` of a ``setup.cfg``, if it has one."""
    if not os.path.isfile(setup_cfg):
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(setup_cfg, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ConfigError(f"{setup_cfg}: cannot read [options] python_requires: {exc}") from exc
    value = parser.get("options", "python_requires", fallback="").strip()
    return value or None


def apply_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """Command-line values: ``select``/``target_version``/... replace, the
    ``extend_*`` and ``ignore`` lists add to the file's values."""
    changes: Dict[str, Any] = {}
    for attr, value in overrides.items():
        if value is None:
            continue
        if attr in ("extend_select", "ignore", "extend_exclude"):
            changes[attr] = tuple(getattr(settings, attr)) + tuple(value)
        else:
            changes[attr] = value
    return replace(settings, **changes) if changes else settings
