"""The runner: pool ordering, Ctrl-C, --timings, lazy positions."""
import os
import signal
import subprocess
import sys
import time

import pytest

import memlint.engine
from memlint.config import ConfigResolver, Settings
from memlint.registry import get_registry
from memlint.runner import Mode, discover_files, process_source, run_files

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview


def test_pool_reports_in_path_order_with_chunks(tmp_path):
    for i in range(50):
        (tmp_path / f"m{i:02}.py").write_text(LOOP if i % 3 else "x = 1\n")
    resolver = ConfigResolver(get_registry())
    files = discover_files([str(tmp_path)], resolver)
    reports = run_files(files, resolver, Mode(), jobs=2)
    assert [r.path for r in reports] == files
    serial = run_files(files, resolver, Mode(), jobs=1)
    assert [r.diagnostics for r in reports] == [r.diagnostics for r in serial]


def test_positions_are_computed_only_for_files_with_findings(monkeypatch):
    def no_positions(*args, **kwargs):
        raise AssertionError("positions resolved for a clean file")

    monkeypatch.setattr(memlint.engine, "positions_of", no_positions)
    report = process_source(b"import gc\nfor i in range(n):\n    pass\n", "x.py", Settings(), Mode())
    assert report.diagnostics == [] and report.errors == []


def test_timings_go_to_stderr_and_leave_stdout_alone(tmp_path, run_memlint):
    (tmp_path / "a.py").write_text(LOOP)
    plain = run_memlint("--no-cache", *WITH_MEM202, "a.py", cwd=tmp_path)
    timed = run_memlint("--no-cache", *WITH_MEM202, "--timings", "a.py", cwd=tmp_path)
    assert timed.stdout == plain.stdout and timed.returncode == plain.returncode == 1
    err = timed.stderr.decode().splitlines()
    assert err[0].startswith("memlint: timings, seconds summed over 1 files")
    assert [line.split()[0] for line in err[1:6]] == ["read", "parse", "walk", "positions", "fix"]
    rules = {line.split()[0]: line.split()[-1] for line in err[6:-1]}
    assert rules["MEM602"] == "gc-collect-in-loop" and rules["MEM202"] == "list-of-range-iterated"
    assert err[-1] == "Found 2 problems (1 fixable with --fix)"


def test_rules_are_wrapped_for_timing_only_when_asked(tmp_path, monkeypatch):
    from memlint.rule import Rule

    overridden = []
    real = Rule.get_visitors

    def spy(self):
        overridden.append("get_visitors" in vars(self))  # the timing wrapper sets it per instance
        return real(self)

    monkeypatch.setattr(Rule, "get_visitors", spy)
    (tmp_path / "a.py").write_text(LOOP)
    resolver = ConfigResolver(get_registry(), overrides={"extend_select": ("MEM202",)})
    [plain] = run_files([str(tmp_path / "a.py")], resolver, Mode(), jobs=1)
    assert overridden and not any(overridden) and plain.timings == {}
    [timed] = run_files([str(tmp_path / "a.py")], resolver, Mode(timings=True), jobs=1)
    assert {"read", "parse", "walk", "positions", "MEM602", "MEM202"} <= set(timed.timings)
    assert memlint.engine.TIMINGS is None and timed.diagnostics == plain.diagnostics


def _wait_for_a_worker(session: int, seconds: float = 60) -> None:
    """Until a process other than the session's leader runs in ``session``
    (the pool's first worker: -j1 too, as files are linted under budgets)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != session:
                try:
                    if os.getsid(int(entry)) == session:
                        return
                except OSError:  # gone meanwhile
                    continue
        time.sleep(0.1)
    raise AssertionError("no worker started")


@pytest.mark.parametrize("jobs", ["-j1", "-j2"])
def test_ctrl_c_stops_the_pool_cleanly(tmp_path, jobs):
    # Enough work that the run is still linting well after its first worker starts, on a fast machine too.
    for n in range(600):
        body = "".join(f"def f{n}_{i}(x):\n    return [y for y in list(range(x))]\n" for i in range(200))
        (tmp_path / f"m{n:03}.py").write_text(body)
    with subprocess.Popen(
        [sys.executable, "-m", "memlint", jobs, "--no-cache", "."],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        # A terminal's memlint starts with Ctrl-C at its default; a test run started in the
        # background (`cmd &` in a script) ignores SIGINT, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as run:
        _wait_for_a_worker(run.pid)  # past interpreter start-up, whose Ctrl-C is Python's, not memlint's
        time.sleep(0.5)
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        out, err = run.communicate(timeout=60)
        with pytest.raises(ProcessLookupError):  # no worker left in the session
            os.killpg(run.pid, 0)
    assert run.returncode == 130, err
    assert err.decode().strip() == "memlint: interrupted"
    assert out == b""


def test_matches_precheck_agrees_with_name_resolution():
    """Context.matches skips resolution when a name cannot match; it must
    answer exactly as resolving would, for every call and every target."""
    from memlint.engine import lint_text
    from memlint.rule import Rule

    source = (
        "import gc\nimport gc as g\nfrom gc import disable as d, enable\nimport os.path\n"
        "def f(len):\n    from gc import collect as c\n    c(); len(); gc.disable(); g.enable(); d()\n"
        "    os.path.join(); enable(); print(); list(range(n)); x.disable()\n"
        "def h():\n    gc = 1\n    gc.disable()\n"
    )
    targets = [("gc.disable",), ("gc.enable", "gc.collect"), ("builtins.len",), ("builtins.print",),
               ("os.path.join",), ("builtins.range", "builtins.list"), ("x.disable",)]
    answers = []

    class Probe(Rule):
        code, name, message = "TST002", "probe", "probe"

        def visit_Call(self, node):
            for names in targets:
                resolved = self.context.qualified_name(node) in names
                answers.append((resolved, self.context.matches(node, *names)))

    lint_text(source, "x.py", Settings(), [Probe])
    assert len(answers) == 12 * len(targets)
    assert all(resolved == matched for resolved, matched in answers)
    assert sum(resolved for resolved, _ in answers) == 9  # not: len (a parameter), x.disable, the local gc


# -- the project index in the runner (phase 1: summaries; phase 2: lint with the project) --------

import libcst as cst  # noqa: E402

import memlint.registry  # noqa: E402
import memlint.runner  # noqa: E402
from memlint.cache import Cache  # noqa: E402
from memlint.registry import Registry, RuleSource  # noqa: E402
from memlint.rule import Replace, Rule  # noqa: E402
from memlint.runner import CachedProjects  # noqa: E402


class OutsideAttributes(Rule):
    """Test-only: reports each class with what the project index says other modules assign on it."""

    code, name, message = "TST901", "outside-attributes", "{name}: {attributes}"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        project = self.context.project
        qualname = project.qualify(node.name.value)
        found = project.index.attributes_assigned_outside(qualname)
        attributes = "unknown" if found is None else ",".join(sorted(found)) or "none"
        self.report(node.name, name=qualname, attributes=attributes)


class SlotsWhenNothingOutside(Rule):
    """Test-only: a class the project assigns nothing on from outside gets
    ``__slots__ = ()`` (a fix that changes what the index says of the class)."""

    code, name, message = "TST902", "slots-when-nothing-outside", "{name}"

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        project = self.context.project
        qualname = project.qualify(node.name.value)
        if project.index.attributes_assigned_outside(qualname) != frozenset():
            return
        summary = project.index.class_summary(qualname)
        if summary is None or summary.slots is not None or not isinstance(node.body, cst.IndentedBlock):
            return
        slots = cst.parse_statement("__slots__ = ()\n")
        self.report(node.name, Replace(node.body, node.body.with_changes(body=[slots, *node.body.body])), name=qualname)


class WeakReferenceable(Rule):
    """Test-only: reports each name imported from the project with whether its instances are weakly referenceable."""

    code, name, message = "TST903", "weakly-referenceable", "{name}: {answer}"

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        project = self.context.project
        if isinstance(node.names, cst.ImportStar) or node.module is None:
            return
        for alias in node.names:
            dotted = f"{cst.Module([]).code_for_node(node.module)}.{alias.name.value}"
            answer = project.index.weakly_referenceable(dotted)
            self.report(alias, name=dotted, answer="unknown" if answer is None else str(answer))


TEST_RULES = (OutsideAttributes, SlotsWhenNothingOutside, WeakReferenceable)


@pytest.fixture
def test_rules(monkeypatch):
    """The test rules as the process's registry (what the runner selects from)."""
    builtin = [RuleSource(rule, "builtin") for rule in get_registry().rules]
    registry = Registry(builtin + [RuleSource(rule, "test") for rule in TEST_RULES])
    monkeypatch.setattr(memlint.registry, "_INDEX", registry)
    return registry


PACKAGE = {
    "pyproject.toml": "[project]\nname = 'pkg'\n",
    "pkg/__init__.py": "",
    "pkg/msg.py": "class Message:\n    def __init__(self):\n        self.body = b''\n",
    "pkg/conn.py": "from pkg.msg import Message\n\n\ndef send():\n    m = Message()\n    m.seqno = 1\n    return m\n",
}


def write_tree(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def lint_tree(root, registry, select, cache=None, jobs=1, mode=Mode(), paths=None):
    resolver = ConfigResolver(registry, overrides={"select": tuple(select)})
    files = discover_files([str(root / p) for p in (paths or ["."])], resolver)
    reports = run_files(files, resolver, mode, jobs, cache, registry)
    return {
        os.path.relpath(r.path, root): [(d.code, d.line, d.column, d.message) for d in r.diagnostics] + r.errors
        for r in reports
    }


def linted_paths(monkeypatch):
    """The paths the runner lints from now on (not answered by the cache)."""
    seen = []
    real = memlint.runner.process_source
    monkeypatch.setattr(memlint.runner, "process_source", lambda data, path, *a: seen.append(os.path.basename(path)) or real(data, path, *a))
    return seen


def test_a_file_is_linted_with_the_index_of_its_whole_project(tmp_path, test_rules):
    write_tree(tmp_path, PACKAGE)
    found = lint_tree(tmp_path, test_rules, ["TST901"], paths=["pkg/msg.py"])  # one file of the project
    assert found == {"pkg/msg.py": [("TST901", 1, 7, "pkg.msg.Message: seqno")]}


def test_an_edit_that_changes_an_answer_relints_the_file_that_asked(tmp_path, test_rules, monkeypatch):
    write_tree(tmp_path, PACKAGE)
    cold = Cache(str(tmp_path / "cache"))
    assert lint_tree(tmp_path, test_rules, ["TST901"], cold)["pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: seqno")]
    assert (cold.hits, cold.misses) == (0, 3)
    (tmp_path / "pkg/conn.py").write_text(PACKAGE["pkg/conn.py"].replace("m.seqno = 1", "m.flags = 2"))
    linted = linted_paths(monkeypatch)
    warm = Cache(str(tmp_path / "cache"))
    assert lint_tree(tmp_path, test_rules, ["TST901"], warm)["pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: flags")]
    assert (warm.hits, warm.misses, warm.outdated) == (1, 2, 1) and sorted(linted) == ["conn.py", "msg.py"]


def test_an_edit_that_changes_no_answer_keeps_the_other_files_cached(tmp_path, test_rules, monkeypatch):
    write_tree(tmp_path, PACKAGE)
    lint_tree(tmp_path, test_rules, ["TST901"], Cache(str(tmp_path / "cache")))
    (tmp_path / "pkg/conn.py").write_text(PACKAGE["pkg/conn.py"] + "\n\ndef unrelated():\n    return 2\n")
    linted = linted_paths(monkeypatch)
    warm = Cache(str(tmp_path / "cache"))
    assert lint_tree(tmp_path, test_rules, ["TST901"], warm)["pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: seqno")]
    assert (warm.hits, warm.misses, warm.outdated) == (2, 1, 0) and linted == ["conn.py"]
    again = Cache(str(tmp_path / "cache"))
    lint_tree(tmp_path, test_rules, ["TST901"], again)  # nothing changed: the project's state matches
    assert (again.hits, again.misses) == (3, 0) and linted == ["conn.py"]


def test_a_new_module_name_relints(tmp_path, test_rules, monkeypatch):
    """A pyproject.toml that moves the project root renames the modules: the findings are not reused."""
    write_tree(tmp_path / "outer", {k: v for k, v in PACKAGE.items() if k != "pyproject.toml"})
    lint_tree(tmp_path / "outer", test_rules, ["TST901"], Cache(str(tmp_path / "cache")))
    (tmp_path / "outer" / "pkg" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    warm = Cache(str(tmp_path / "cache"))
    found = lint_tree(tmp_path / "outer", test_rules, ["TST901"], warm)
    assert found["pkg/msg.py"] == [("TST901", 1, 7, "msg.Message: seqno")]
    assert (warm.hits, warm.misses) == (1, 2)  # pkg/__init__.py is still the package pkg


def test_several_project_roots_in_one_run(tmp_path, test_rules):
    write_tree(tmp_path / "a", PACKAGE)
    write_tree(tmp_path / "b", {
        "pyproject.toml": "[project]\nname = 'other'\n",
        "tool.py": "from pkg.msg import Message\nclass Tool:\n    pass\n\ndef f():\n    m = Message()\n    m.extra = 1\n    t = Tool()\n    t.x = 1\n",
    })
    found = lint_tree(tmp_path, test_rules, ["TST901"], paths=["a", "b"])
    # b's assignment to a Message is another project's: not in a's index (and b does not cover pkg).
    assert found["a/pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: seqno")]
    assert found["b/tool.py"] == [("TST901", 2, 7, "tool.Tool: x")]


@pytest.mark.parametrize("jobs", [1, 2])
def test_unreadable_summaries_lose_no_findings(tmp_path, test_rules, jobs):
    files = dict(PACKAGE, **{f"pkg/m{i}.py": f"class C{i}:\n    pass\n" for i in range(4)})
    files["pkg/broken.py"] = "class Broken:\n    x = (\n"
    files["pkg/latin.py"] = "# -*- coding: ascii -*-\nclass Latin:\n    pass\n"
    write_tree(tmp_path, files)
    (tmp_path / "pkg/latin.py").write_bytes(b"# -*- coding: ascii -*-\nclass Latin:\n    s = '\xe9'\n")
    found = lint_tree(tmp_path, test_rules, ["TST901", "MEM001", "MEM002"], Cache(str(tmp_path / "cache")), jobs,
                      Mode(supervised=jobs > 1))
    assert found["pkg/broken.py"][0][:2] == ("MEM001", 2)
    assert found["pkg/latin.py"][0][0] == "MEM002"
    assert found["pkg/m0.py"] == [("TST901", 1, 7, "pkg.m0.C0: none")]
    assert found["pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: seqno")]


def test_jobs_and_summaries_in_the_pool_give_the_same_findings(tmp_path, test_rules):
    files = dict(PACKAGE, **{f"pkg/m{i}.py": f"from pkg.msg import Message\nm = Message()\nm.f{i} = 1\n" for i in range(6)})
    write_tree(tmp_path, files)
    serial = lint_tree(tmp_path, test_rules, ["TST901"], Cache(str(tmp_path / "serial")), 1)
    pooled = lint_tree(tmp_path, test_rules, ["TST901"], Cache(str(tmp_path / "pooled")), 2, Mode(supervised=True))
    assert pooled == serial
    assert serial["pkg/msg.py"] == [("TST901", 1, 7, "pkg.msg.Message: " + ",".join(["f0", "f1", "f2", "f3", "f4", "f5", "seqno"]))]


def test_a_file_seen_alone_uses_the_cached_index_read_only(tmp_path, test_rules):
    write_tree(tmp_path, PACKAGE)
    resolver = ConfigResolver(test_rules)
    msg = str(tmp_path / "pkg/msg.py")
    data = (tmp_path / "pkg/msg.py").read_bytes()
    fresh = Cache(str(tmp_path / "cache"), read_only=True)
    alone = CachedProjects(resolver, fresh).project(data, msg)
    assert not alone.index.complete and alone.index.attributes_assigned_outside("pkg.msg.Message") is None
    assert not (tmp_path / "cache").exists()  # nothing built, nothing stored
    lint_tree(tmp_path, test_rules, ["TST901"], Cache(str(tmp_path / "cache")))
    cached = CachedProjects(resolver, Cache(str(tmp_path / "cache"), read_only=True))
    project = cached.project(data, msg)
    assert project.module.name == "pkg.msg" and project.index.complete
    assert project.index.attributes_assigned_outside("pkg.msg.Message") == frozenset({"seqno"})
    assert cached.project(data, msg).index is project.index  # the same content: the memoised index
    edited = cached.project(data.replace(b"class Message", b"class Letter"), msg)  # an editor's unsaved buffer
    assert edited.index.class_summary("pkg.msg.Letter") is not None and edited.index.class_summary("pkg.msg.Message") is None
    assert cached.project(data, None).module.name == "stdin" and not cached.project(data, None).index.complete


def test_fix_rounds_see_their_own_fixes_and_the_next_run_rechecks_the_other_files(tmp_path, test_rules, monkeypatch):
    """--fix lints each file with the index of the tree as it was before the
    run, except for the file's own facts, which every fix round reads from
    its current text (else the fix would add `__slots__` again and again);
    what a fix changes in the index reaches the other files' findings on the
    next run, which re-lints each file whose recorded answers the fixed
    tree's index no longer gives."""
    write_tree(tmp_path, dict(PACKAGE, **{
        "pkg/conn.py": "def send():\n    return 1\n",
        "pkg/refs.py": "from pkg.msg import Message\n",
    }))
    select = ["TST902", "TST903"]
    fixing = Mode(fix=True, unsafe_fixes=True)
    first = lint_tree(tmp_path, test_rules, select, Cache(str(tmp_path / "cache")), mode=fixing)
    assert (tmp_path / "pkg/msg.py").read_text() == (
        "class Message:\n    __slots__ = ()\n    def __init__(self):\n        self.body = b''\n"
    )
    assert first["pkg/msg.py"] == []  # the fixed class has slots now: its own file sees that
    assert first["pkg/refs.py"] == [("TST903", 1, 21, "pkg.msg.Message: True")]  # the index of the tree before the fix
    linted = linted_paths(monkeypatch)
    warm = Cache(str(tmp_path / "cache"))
    second = lint_tree(tmp_path, test_rules, select, warm)
    assert second["pkg/refs.py"] == [("TST903", 1, 21, "pkg.msg.Message: False")]  # the fixed tree's index
    # msg.py's entry holds the answers of its last fix round: it stays cached, as does conn.py (no question)
    assert (linted, warm.hits, warm.misses, warm.outdated) == (["refs.py"], 3, 1, 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_file_once_cached_or_linted(tmp_path, jobs):
    for i in range(4):
        (tmp_path / f"m{i}.py").write_text(LOOP)
    resolver = ConfigResolver(get_registry())
    files = discover_files([str(tmp_path)], resolver)
    cache = Cache(str(tmp_path / "cache"))
    run_files(files[:2], resolver, Mode(supervised=jobs > 1), jobs, cache)  # two of them cached
    calls = []
    run_files(files, resolver, Mode(supervised=jobs > 1), jobs, Cache(str(tmp_path / "cache")),
              progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_stdin_reads_the_project_index_a_previous_run_cached(tmp_path, run_memlint):
    """`memlint -` (an editor's buffer) sees what other modules do once a run has cached the index."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    message = 'class Message:\n    """A message."""\n\n    def __init__(self, body):\n        self.body = body\n\n    def size(self):\n        return len(self.body)\n'
    (tmp_path / "pkg" / "msg.py").write_text(message)
    (tmp_path / "pkg" / "conn.py").write_text(
        "from pkg.msg import Message\n\n\ndef send(bodies):\n    sent = []\n    for b in bodies:\n"
        "        m = Message(b)\n        m.seqno = 1\n        sent.append(m)\n    return sent\n"
    )
    stdin = ("--select", "MEM101", "--stdin-filename", "pkg/msg.py", "-")
    alone = run_memlint("--no-cache", *stdin, cwd=tmp_path, stdin=message.encode())
    assert alone.stdout.decode().startswith("pkg/msg.py:1:7: MEM101") and alone.returncode == 1
    assert "fixable" not in alone.stderr.decode()  # unknown: reported, but no fix
    assert run_memlint("--select", "MEM101", "pkg", cwd=tmp_path).returncode == 0  # fills the cache
    cached = run_memlint(*stdin, cwd=tmp_path, stdin=message.encode())
    assert (cached.returncode, cached.stdout) == (0, b"")
