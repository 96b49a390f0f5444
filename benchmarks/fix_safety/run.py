"""Fix safety on real code: apply every memlint fix to real projects and check that
they still import and pass their own tests.

    python benchmarks/fix_safety/run.py WORKDIR [--project NAME ...] [--memlint PATH]

For each project of projects.tsv (pinned sdists of projects of the precision ledger
that ship a test suite which runs offline), in WORKDIR/<project>-<version>/:

1. download the sdist with pip (the package index only), refuse it unless its sha256
   is the pinned one, unpack it twice: `pristine/` (never changed) and `tree/`;
2. make `venv/`, install `tree/` in editable mode and the pinned test requirements;
3. before: import every module of the package (one process, `__main__` left out) and
   run the documented test selection (`pytest -p no:cacheprovider -q -rA`, no `-x`:
   every test's outcome is compared, and no `-n`); kept in baseline.json and reused by
   later runs with the same selection (they do not depend on memlint; --fresh);
4. `memlint check --fix --unsafe-fixes --preview` (all rules, preview included when the
   memlint has it) on the package's sources, not its tests; the fixable findings per rule
   before and after give the fixes applied per rule;
5. after: the same imports and tests; a module that imported before and no longer does,
   or a test that passed before and no longer does, is a breakage; kept under the digest
   of the fixed sources (after-<digest>.json) and reused when a later run's fixes are the
   same byte for byte;
6. each breakage is traced to its fix: every changed file alone on the pristine tree,
   then in a guilty file every rule's fixes alone (`--select CODE`), re-running only the
   broken imports and tests; the record names rule, file:line, the fix's diff and the error;
7. cosmetics: pycodestyle (indentation, blank lines, line length) on each changed file
   before and after, and `pass` statements the fix made redundant.

Results: WORKDIR/<project>-<version>/result.json and fix.diff, WORKDIR/summary.md.
The project's code runs only inside its own venv, as its own test suite; memlint
never imports it. This is a benchmark, not part of the test run: it needs the network.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import outcomes

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects.tsv"
PYCODESTYLE = "pycodestyle==2.12.1"
# Indentation, blank lines, line length, trailing whitespace: what a formatter repairs.
STYLE_CODES = "E1,E3,E501,W291,W293"
TEST_TIMEOUT = 1800
ISOLATION_TESTS = 25  # broken tests re-run while tracing a breakage to its fix

IMPORT_ALL = """
import importlib, json, sys
results = {}
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
        results[name] = "ok"
    except BaseException as error:
        results[name] = (type(error).__name__ + ": " + str(error))[:500]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(results, out)
"""


class Project(NamedTuple):
    name: str
    version: str
    sdist: str
    sha256: str
    packages: Tuple[str, ...]  # import roots' packages, relative to the sdist's root
    requirements: Tuple[str, ...]  # pinned test requirements
    test_args: Tuple[str, ...]  # pytest arguments: the test selection
    selection: str  # why this selection

    @property
    def directory(self) -> str:
        return f"{self.name}-{self.version}"


def load_projects() -> List[Project]:
    projects = []
    for line in PROJECTS.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, version, sdist, sha256, packages, requirements, test_args, selection = outcomes.split_tsv_row(line, 8)
        projects.append(Project(
            name, version, sdist, sha256, tuple(packages.split(",")), tuple(requirements.split()),
            tuple(shlex.split(test_args)), selection,
        ))
    return projects


class Log:
    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def __call__(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()


def run(command: Sequence[str], cwd: Path, log: Log, timeout: float = TEST_TIMEOUT,
        env: Optional[Mapping[str, str]] = None) -> subprocess.CompletedProcess[str]:
    shown = ["<import-all>" if part == IMPORT_ALL else part for part in command]
    log("$ " + " ".join(shlex.quote(part) for part in shown)[:600])
    return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=dict(env) if env is not None else None)


# --- set-up ----------------------------------------------------------------------

def fetch(project: Project, home: Path, log: Log) -> None:
    """Unpack the pinned sdist into home/pristine and home/tree (once)."""
    if (home / "pristine").is_dir():
        return
    with tempfile.TemporaryDirectory() as download:
        completed = run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                         "-d", download, f"{project.name}=={project.version}"], home, log)
        if completed.returncode:
            raise SystemExit(f"{project.name}: pip download failed:\n{completed.stderr}")
        archive = Path(download) / project.sdist
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != project.sha256:
            raise SystemExit(f"{project.sdist}: sha256 {digest} does not match the pin {project.sha256}")
        for target in ("pristine", "tree"):
            with tempfile.TemporaryDirectory(dir=home) as unpacked, tarfile.open(archive) as tar:
                tar.extractall(unpacked)
                (Path(unpacked) / project.directory).rename(home / target)


def make_venv(project: Project, home: Path, python: str, log: Log) -> Path:
    """The project's venv; made again when the pinned requirements changed."""
    venv = home / "venv"
    python_path = venv / "bin" / "python"
    installed = venv / "fix-safety-requirements.txt"
    wanted = "\n".join(project.requirements)
    if installed.exists() and read(installed) == wanted:
        return python_path
    if venv.exists():
        shutil.rmtree(venv)
    for command in (
        [python, "-m", "venv", str(venv)],
        [str(python_path), "-m", "pip", "install", "-q", "-e", str(home / "tree")],
        [str(python_path), "-m", "pip", "install", "-q", *project.requirements],
    ):
        completed = run(command, home, log)
        if completed.returncode:
            shutil.rmtree(venv)
            raise SystemExit(f"{project.name}: set-up failed:\n{completed.stdout}\n{completed.stderr}")
    installed.write_text(wanted, encoding="utf-8")
    return python_path


def tools_python(workdir: Path, python: str, log: Log) -> Path:
    """A venv of the runner's own tools (pycodestyle), apart from the projects'."""
    venv = workdir / "_tools"
    tool = venv / "bin" / "python"
    if not tool.exists():
        run([python, "-m", "venv", str(venv)], workdir, log)
        run([str(tool), "-m", "pip", "install", "-q", PYCODESTYLE], workdir, log)
    return tool


# --- the package's files ---------------------------------------------------------

def source_files(project: Project, tree: Path) -> List[str]:
    """The package's Python files (not its tests), relative to the sdist's root."""
    files = []
    for package in project.packages:
        root = tree / package
        candidates = [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
        for path in candidates:
            relative = path.relative_to(tree).as_posix()
            if not outcomes.is_test_file(path.relative_to(root.parent).as_posix()):
                files.append(relative)
    return files


def importable_modules(project: Project, files: Sequence[str]) -> List[str]:
    by_root = []
    for package in project.packages:
        parent = str(Path(package).parent)
        prefix = "" if parent == "." else parent + "/"
        by_root += [
            path[len(prefix):] for path in files
            if path.startswith(prefix) and path[len(prefix):].split("/")[0] == Path(package).name
            and not path.endswith("/__main__.py")
        ]
    return outcomes.module_names(by_root)


def restore(home: Path, files: Sequence[str]) -> None:
    for path in files:
        shutil.copyfile(home / "pristine" / path, home / "tree" / path)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def file_diff(home: Path, path: str) -> str:
    before, after = read(home / "pristine" / path), read(home / "tree" / path)
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"))


def changed_files(home: Path, files: Sequence[str]) -> List[str]:
    return [path for path in files if read(home / "pristine" / path) != read(home / "tree" / path)]


# --- checks ----------------------------------------------------------------------

class Checker:
    """Imports and tests of one project, in its venv, on its working tree."""

    def __init__(self, project: Project, home: Path, python: Path, modules: Sequence[str], log: Log) -> None:
        self.project, self.home, self.python, self.modules, self.log = project, home, python, modules, log
        self.env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.env.pop("PYTHONPATH", None)

    def imports(self, modules: Optional[Sequence[str]] = None) -> Dict[str, str]:
        with tempfile.NamedTemporaryFile(suffix=".json", dir=self.home) as out:
            run([str(self.python), "-c", IMPORT_ALL, out.name, *(modules or self.modules)],
                self.home / "tree", self.log, timeout=600, env=self.env)
            text = Path(out.name).read_text(encoding="utf-8")
        return dict(json.loads(text)) if text else {}

    def tests(self, selection: Optional[Sequence[str]] = None, name: str = "") -> Tuple[outcomes.TestRun, str]:
        args = list(selection) if selection is not None else list(self.project.test_args)
        completed = run([str(self.python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args],
                        self.home / "tree", self.log, env=self.env)
        output = completed.stdout + completed.stderr
        if name:
            (self.home / f"pytest-{name}.txt").write_text(output, encoding="utf-8")
        return outcomes.parse_pytest_summary(output), output


def memlint_json(memlint: str, flags: Sequence[str], cwd: Path, files: Sequence[str], log: Log) -> List[Dict[str, object]]:
    completed = run([memlint, "check", "--no-cache", "-j1", "--exit-zero", "-q", "--format", "json", *flags, *files],
                    cwd, log)
    if completed.returncode:
        raise SystemExit(f"memlint failed:\n{completed.stderr}")
    findings: List[Dict[str, object]] = json.loads(completed.stdout)
    return findings


def memlint_fix(memlint: str, flags: Sequence[str], cwd: Path, files: Sequence[str], log: Log) -> str:
    completed = run([memlint, "check", "--no-cache", "-j1", "--exit-zero", "--fix", "--unsafe-fixes", *flags, *files],
                    cwd, log)
    if completed.returncode:
        raise SystemExit(f"memlint --fix failed:\n{completed.stderr}")
    return completed.stderr.strip()


def memlint_source(memlint: str) -> str:
    """The git commit of the checkout the memlint command runs from (its venv's
    interpreter is on the script's `#!` line), "+ local changes" when it has some."""
    shebang = Path(memlint).read_text(encoding="utf-8").splitlines()[0]
    # cwd="/": `python -c` would import a memlint package from the current directory first
    where = subprocess.run([shebang[2:].strip(), "-c", "import memlint, os; print(os.path.dirname(memlint.__file__))"],
                           capture_output=True, text=True, cwd="/").stdout.strip()
    commit = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if not where or commit.returncode:
        return "unknown"
    dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return commit.stdout.strip() + (" + local changes" if dirty else "")


def preview_flags(memlint: str) -> List[str]:
    help_text = subprocess.run([memlint, "check", "--help"], capture_output=True, text=True).stdout
    return ["--preview"] if "--preview" in help_text else []


# --- tracing a breakage to its fix -----------------------------------------------

class Symptoms(NamedTuple):
    imports: Dict[str, str]  # module -> error after the fix
    tests: List[str]  # test ids that passed before and not after

    def check(self, checker: Checker) -> Optional[str]:
        """The error if the current tree still shows one of the symptoms, else None."""
        if self.imports:
            broken = {module: error for module, error in checker.imports(sorted(self.imports)).items() if error != "ok"}
            if broken:
                return "\n".join(f"import {module}: {error}" for module, error in broken.items())
        if self.tests:
            run_, output = checker.tests(self.tests[:ISOLATION_TESTS])
            failing = [test for test in self.tests[:ISOLATION_TESTS] if test not in outcomes.passing(run_)]
            if failing:
                detail = outcomes.first_error_lines(output) or output[-2000:]
                messages = [f"{test}: {run_.messages.get(test, run_.outcomes.get(test, 'not run'))}" for test in failing[:5]]
                return f"{len(failing)} test(s) fail, e.g.\n" + "\n".join(messages) + "\n" + detail
        return None


def trace(memlint: str, flags: Sequence[str], checker: Checker, symptoms: Symptoms, changed: Sequence[str],
          findings: Sequence[Mapping[str, object]]) -> List[Dict[str, object]]:
    home, log = checker.home, checker.log
    fixed_text = {path: read(home / "tree" / path) for path in changed}
    breakages: List[Dict[str, object]] = []
    guilty = []
    for path in changed:
        restore(home, changed)
        (home / "tree" / path).write_text(fixed_text[path], encoding="utf-8")
        if symptoms.check(checker) is not None:
            guilty.append(path)
    for path in guilty:
        rules = sorted({str(f["code"]) for f in findings if f["filename"] == path and f.get("fix")})
        found = False
        for rule in rules:
            restore(home, changed)
            memlint_fix(memlint, [*flags, "--select", rule], home / "tree", [path], log)
            error = symptoms.check(checker)
            if error is not None:
                found = True
                breakages.append(breakage(rule, path, findings, file_diff(home, path), error))
        if not found:
            restore(home, changed)
            (home / "tree" / path).write_text(fixed_text[path], encoding="utf-8")
            error = symptoms.check(checker) or ""
            breakages.append(breakage(",".join(rules) + " (together)", path, findings, file_diff(home, path), error))
    if not guilty:
        breakages.append({"rule": "?", "file": "(several files together)", "lines": [], "diff": "",
                          "error": "no single file's fixes reproduce the breakage"})
    for path in changed:
        (home / "tree" / path).write_text(fixed_text[path], encoding="utf-8")
    return breakages


def breakage(rule: str, path: str, findings: Sequence[Mapping[str, object]], diff: str, error: str) -> Dict[str, object]:
    codes = set(rule.split(" ")[0].split(","))
    lines = sorted({int(str(f["line"])) for f in findings if f["filename"] == path and f["code"] in codes and f.get("fix")})
    return {"rule": rule, "file": path, "lines": lines, "diff": diff, "error": error}


# --- cosmetics -------------------------------------------------------------------

def cosmetics(tool: Path, home: Path, changed: Sequence[str], log: Log) -> List[Dict[str, object]]:
    problems: List[Dict[str, object]] = []
    for path in changed:
        original, fixed = read(home / "pristine" / path), read(home / "tree" / path)
        limit = outcomes.line_limit(original)
        warnings = {}
        for side in ("pristine", "tree"):
            completed = run([str(tool), "-m", "pycodestyle", f"--select={STYLE_CODES}", f"--max-line-length={limit}",
                             str(home / side / path)], home, log)
            warnings[side] = outcomes.parse_pycodestyle(completed.stdout, read(home / side / path))
        for warning in outcomes.new_warnings(warnings["pristine"], warnings["tree"]):
            problems.append({"file": path, "code": warning.code, "line": warning.text})
        extra_passes = outcomes.redundant_passes(fixed) - outcomes.redundant_passes(original)
        if extra_passes > 0:
            problems.append({"file": path, "code": "redundant-pass", "line": f"{extra_passes} `pass` made redundant"})
    return problems


# --- one project -----------------------------------------------------------------

def baseline(checker: Checker, fresh: bool) -> Tuple[Dict[str, str], outcomes.TestRun]:
    """Imports and tests of the unfixed package. They depend on the pinned sdist, its
    venv and the test selection, not on memlint: a later run reuses them (baseline.json)
    unless the selection or the requirements changed, or --fresh asks."""
    path = checker.home / "baseline.json"
    key = {"modules": list(checker.modules), "test_args": list(checker.project.test_args),
           "requirements": list(checker.project.requirements)}
    if path.exists() and not fresh:
        saved = json.loads(read(path))
        if saved["key"] == key:
            checker.log("before: reused from baseline.json")
            return saved["imports"], outcomes.TestRun(*saved["tests"])
    imports = checker.imports()
    tests, _ = checker.tests(name="before")
    path.write_text(json.dumps({"key": key, "imports": imports, "tests": tests}), encoding="utf-8")
    return imports, tests


def after_fix(checker: Checker, changed: Sequence[str], fresh: bool) -> Tuple[Dict[str, str], outcomes.TestRun]:
    """Imports and tests of the fixed package. Like the baseline they depend only on the
    sources (and venv and selection): a later run whose fixes are byte for byte the same
    reuses them (after-<digest>.json), e.g. when a new memlint changed nothing here."""
    digest = hashlib.sha256(json.dumps({
        "files": {path: read(checker.home / "tree" / path) for path in changed},
        "modules": list(checker.modules), "test_args": list(checker.project.test_args),
        "requirements": list(checker.project.requirements),
    }, sort_keys=True).encode()).hexdigest()[:16]
    path = checker.home / f"after-{digest}.json"
    if path.exists() and not fresh:
        checker.log(f"after: the same fixed sources as a previous run, reused from {path.name}")
        saved = json.loads(read(path))
        return saved["imports"], outcomes.TestRun(*saved["tests"])
    imports = checker.imports()
    tests, _ = checker.tests(name="after")
    path.write_text(json.dumps({"imports": imports, "tests": tests}), encoding="utf-8")
    return imports, tests


def check_project(project: Project, workdir: Path, memlint: str, python: str, fresh: bool) -> Dict[str, object]:
    home = workdir / project.directory
    home.mkdir(parents=True, exist_ok=True)
    log = Log(home / "log.txt")
    started = time.time()
    fetch(project, home, log)
    files = source_files(project, home / "pristine")
    venv_python = make_venv(project, home, python, log)
    # A previous run's fixes are undone, and so is what the editable install generated
    # (setuptools_scm rewrites _version.py): the run starts from the sdist's own sources.
    restore(home, files)
    checker = Checker(project, home, venv_python, importable_modules(project, files), log)
    flags = preview_flags(memlint)

    imports_before, tests_before = baseline(checker, fresh)
    log(f"before: {sum(r == 'ok' for r in imports_before.values())}/{len(imports_before)} modules import, "
        f"{tests_before.totals}")

    memlint_commit = memlint_source(memlint)  # now: the checkout may move while the tests run
    findings = memlint_json(memlint, flags, home / "tree", files, log)
    summary = memlint_fix(memlint, flags, home / "tree", files, log)
    remaining = memlint_json(memlint, flags, home / "tree", files, log)
    changed = changed_files(home, files)
    (home / "fix.diff").write_text("".join(file_diff(home, path) for path in changed), encoding="utf-8")
    fixable_before = outcomes.fixable_per_rule(findings)
    applied = outcomes.fixes_applied(
        fixable_before, outcomes.findings_per_rule(findings), outcomes.findings_per_rule(remaining))
    log(f"memlint: {summary}; {len(changed)} files changed")

    if changed:
        imports_after, tests_after = after_fix(checker, changed, fresh)
    else:  # the same sources as before: nothing to run again
        imports_after, tests_after = imports_before, tests_before
    broken_imports = outcomes.compare_imports(imports_before, imports_after)
    comparison = outcomes.compare_tests(tests_before, tests_after)
    log(f"after: {len(broken_imports)} imports broken, {len(comparison.broken)} tests broken; {tests_after.totals}")

    breakages: List[Dict[str, object]] = []
    if broken_imports or comparison.broken:
        symptoms = Symptoms(broken_imports, comparison.broken)
        breakages = trace(memlint, flags, checker, symptoms, changed, findings)
    return {
        "project": project.name,
        "version": project.version,
        "memlint": memlint,
        "memlint_version": subprocess.run([memlint, "--version"], capture_output=True, text=True).stdout.strip(),
        "memlint_commit": memlint_commit,
        "flags": ["--fix", "--unsafe-fixes", *flags],
        "test_selection": " ".join(project.test_args),
        "source_files": len(files),
        "files_changed": len(changed),
        "memlint_summary": summary,
        "fixable_before": fixable_before,
        "fixable_after": outcomes.fixable_per_rule(remaining),
        "fixes_applied": applied,
        # memlint's own total; differs from the per-rule sum when a fix makes findings appear
        "fixes_applied_total": outcomes.fixed_total(summary),
        "modules": len(imports_before),
        "imports_failing_before": {m: e for m, e in imports_before.items() if e != "ok"},
        "imports_broken": broken_imports,
        "tests_before": tests_before.totals,
        "tests_after": tests_after.totals,
        "tests_passing_before": comparison.before,
        "tests_passing_after": comparison.after,
        "tests_broken": comparison.broken,
        "tests_repaired": comparison.repaired,
        "breakages": breakages,
        "cosmetics": cosmetics(tools_python(workdir, python, log), home, changed, log),
        "seconds": round(time.time() - started),
    }


def summary_markdown(results: Sequence[Mapping[str, object]]) -> str:
    lines = [
        "| project | files fixed | fixes applied (per rule) | modules import (before → after) "
        "| tests passing before → after | breakages | cosmetic problems | memlint |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        applied = result["fixes_applied"]
        assert isinstance(applied, dict)
        modules = int(str(result["modules"]))
        failing = len(result["imports_failing_before"])  # type: ignore[arg-type]
        broken = len(result["imports_broken"])  # type: ignore[arg-type]
        lines.append(
            f"| {result['project']} {result['version']} | {result['files_changed']}/{result['source_files']} "
            f"| {sum(applied.values())} ({', '.join(f'{k} {v}' for k, v in applied.items())}) "
            f"| {modules - failing} → {modules - failing - broken} "
            f"| {result['tests_passing_before']} → {result['tests_passing_after']} "
            f"| {len(result['breakages'])} | {len(result['cosmetics'])} "  # type: ignore[arg-type]
            f"| {result.get('memlint_commit', 'unknown')} |"
        )
    per_rule: Dict[str, int] = {}
    for result in results:
        for rule, count in result["fixes_applied"].items():  # type: ignore[attr-defined]
            per_rule[rule] = per_rule.get(rule, 0) + count
    lines += ["", "| rule | fixes applied | projects |", "|---|---:|---|"]
    for rule in sorted(per_rule):
        where = [str(r["project"]) for r in results if rule in r["fixes_applied"]]  # type: ignore[operator]
        lines.append(f"| {rule} | {per_rule[rule]} | {', '.join(where)} |")
    for result in results:
        for item in result["breakages"]:  # type: ignore[attr-defined]
            lines += ["", f"### {result['project']}: {item['rule']} at {item['file']}:{item['lines']}", "",
                      "```", str(item["error"]).strip(), "```", "", "```diff", str(item["diff"]).strip(), "```"]
    cosmetic = [f"- {r['project']} {c['file']}: {c['code']} `{c['line']}`"
                for r in results for c in r["cosmetics"]]  # type: ignore[attr-defined]
    if cosmetic:
        lines += ["", "Cosmetic problems (pycodestyle warnings the fix added; `pass` made redundant):", "", *cosmetic]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--memlint", default=shutil.which("memlint") or "memlint", help="the memlint to test")
    parser.add_argument("--python", default=sys.executable, help="the Python of the projects' venvs")
    parser.add_argument("--fresh", action="store_true",
                        help="run the imports and tests again instead of reusing those of the same sources "
                             "(baseline.json, after-<digest>.json)")
    args = parser.parse_args(argv)
    projects = [p for p in load_projects() if not args.project or p.name in args.project]
    if not projects:
        parser.error(f"no such project: {args.project}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for project in projects:
        result = check_project(project, args.workdir.resolve(), str(Path(args.memlint).resolve()), args.python,
                               args.fresh)
        (args.workdir / project.directory / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        results.append(result)
    every = [json.loads(read(path)) for path in sorted(args.workdir.glob("*/result.json"))]
    (args.workdir / "summary.md").write_text(summary_markdown(every), encoding="utf-8")
    print(summary_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
