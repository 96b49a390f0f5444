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
    plain = run_memlint("--no-cache", "a.py", cwd=tmp_path)
    timed = run_memlint("--no-cache", "--timings", "a.py", cwd=tmp_path)
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
    resolver = ConfigResolver(get_registry())
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
    body = "".join(f"def f{i}(x):\n    return [y for y in list(range(x))]\n" for i in range(200))
    for i in range(200):
        (tmp_path / f"m{i:03}.py").write_text(body)
    with subprocess.Popen(
        [sys.executable, "-m", "memlint", jobs, "--no-cache", "."],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    ) as run:
        _wait_for_a_worker(run.pid)  # past interpreter start-up, whose Ctrl-C is Python's, not memlint's
        time.sleep(1)
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
