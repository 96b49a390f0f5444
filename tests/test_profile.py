"""memlint profile: findings ranked by what a real run spends on them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from memlint.diagnostics import Diagnostic
from memlint.profiling.command import split_command
from memlint.profiling.ranking import measure, ranked, render_html, render_text
from memlint.profiling.targets import Kind, name_at, targets
from memlint.errors import UsageError

APP = Path(__file__).parent / "data" / "profile_app.py"


def _diagnostic(code, line, column=1, end_line=None):
    return Diagnostic("app.py", line, column, end_line or line, column + 1, code, "name", f"{code} message")


def test_each_rule_gets_what_can_be_measured_for_it():
    lines = {4: "class Point:\n", 9: "    _cache[key] = value\n"}
    found = targets(
        [_diagnostic("MEM101", 4, 7), _diagnostic("MEM303", 9, 5), _diagnostic("MEM301", 1), _diagnostic("MEM501", 2, 1, 3)],
        lambda path, n: lines.get(n, ""),
    )
    assert [(t.kind, t.name) for t in found] == [
        (Kind.CLASS, "Point"), (Kind.CONTAINER, "_cache"), (Kind.CACHE, ""), (Kind.LINE, "")
    ]
    assert found[3].to_json()["end_line"] == 3 and found[0].path == os.path.realpath("app.py")


def test_name_at_reads_the_identifier_at_a_column():
    assert name_at("class Point(Base):", 7) == "Point"
    assert name_at("x = 1", 3) is None


def test_ranking_puts_bytes_first_then_counts_and_unreached_code_last():
    found = targets([_diagnostic("MEM501", 1), _diagnostic("MEM501", 2), _diagnostic("MEM201", 3),
                     _diagnostic("MEM101", 4)], lambda path, n: "class A:" if n == 4 else "")
    data = {
        "f0": {"executions": 1, "resource_warnings": 1},
        "f1": {"executions": 1000, "resource_warnings": 1000},
        "f2": {"executions": 0},
        "f3": {"instances": 10, "saving_per_instance": 100},
    }
    assert [m.target.id for m in ranked(found, data)] == ["f3", "f1", "f0", "f2"]
    assert not measure(found[2], data["f2"]).executed
    text = render_text(ranked(found, data), {"peak_bytes": 2048, "seconds": 1.0})
    assert "not executed  app.py:3:1: MEM201" in text and "1,000 objects allocated here never closed" in text
    assert render_html(ranked(found, data), {}).startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    "argv, message",
    [(["src/"], "give the command to run after --"), (["src/", "--"], "no command after --")],
)
def test_the_command_comes_after_a_double_dash(argv, message):
    with pytest.raises(UsageError, match=message):
        split_command(argv)
    assert split_command(["src", "--", "python", "-m", "app", "--"]) == (["src"], ["python", "-m", "app", "--"])


def _profile(tmp_path, *args, command=None):
    """Profile a copy of the app in tmp_path (MEM101 leaves code under tests/ alone)."""
    (tmp_path / "app.py").write_bytes(APP.read_bytes())
    return subprocess.run(
        [sys.executable, "-m", "memlint", "profile", "--preview", *args, "--",
         *(command or [sys.executable, "app.py"])],
        cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, MEMLINT_CACHE_DIR=str(tmp_path / "cache")),
    )


def test_a_run_ranks_what_it_spent_the_most_on(tmp_path):
    """Issue 16's fixture: 10^5 live instances outrank 10; a cache of 10^4
    entries outranks an unused one; a file leaked 1,000 times outranks one
    leaked once; code that never ran says so. The program's output and exit
    status pass through unchanged."""
    done = _profile(tmp_path, "--format", "json", "-o", "report.json", "app.py")
    assert (done.returncode, done.stdout) == (3, "done 100000 10\n"), done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    order = [(f["code"], f["line"]) for f in report["findings"]]
    assert order.index(("MEM101", 7)) < order.index(("MEM101", 18))
    assert order.index(("MEM301", 29)) < order.index(("MEM301", 34))
    assert order.index(("MEM501", 41)) < order.index(("MEM501", 45))
    by_line = {(f["code"], f["line"]): f for f in report["findings"]}
    # counted at the probe's last observation near the peak: most, not necessarily all, of the 10^5
    assert by_line[("MEM101", 7)]["count"] > 10_000 and by_line[("MEM101", 7)]["bytes"] > 0
    assert by_line[("MEM301", 29)]["count"] == 10_000 and by_line[("MEM301", 34)]["count"] == 0
    assert (by_line[("MEM501", 41)]["count"], by_line[("MEM501", 45)]["count"]) == (1000, 1)
    assert by_line[("MEM201", 49)]["executed"] is False and order[-1] == ("MEM201", 49)
    assert report["run"]["exit_status"] == 3 and report["run"]["peak_bytes"] > 1_000_000


def test_allocations_attributes_live_bytes_to_the_flagged_lines(tmp_path):
    source = (
        "def keep():\n"
        "    return list(range(200000))\n"
        "\n"
        "\n"
        "kept = [sum([i for i in range(int(\"3\"))]) for _ in range(2)]\n"
        "held = keep()\n"
        "for i in list(range(int(\"10\"))):\n"
        "    pass\n"
    )
    (tmp_path / "alloc.py").write_text(source)
    done = _profile(tmp_path, "--allocations", "--format", "json", "-o", "r.json", "alloc.py",
                    command=[sys.executable, "alloc.py"])
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["run"]["peak_is"] == "traced memory"
    by_code = {f["code"]: f for f in report["findings"]}
    # line events: up to 3.11 a comprehension on the line counts each of its iterations too; 3.12+ counts it once
    assert by_code["MEM201"]["count"] >= 1 and "bytes allocated here alive at the peak" in by_code["MEM201"]["evidence"]
    assert by_code["MEM202"]["count"] >= 1


def test_the_text_report_goes_to_stderr_and_respects_top(tmp_path):
    done = _profile(tmp_path, "--top", "2", "app.py")
    assert done.returncode == 3 and done.stdout == "done 100000 10\n"
    ranks = [line for line in done.stderr.splitlines() if line.lstrip()[:3] in ("1. ", "2. ", "3. ")]
    assert len(ranks) == 2 and "MEM101" in ranks[0]


def test_the_report_never_overwrites_a_file(tmp_path):
    (tmp_path / "report.json").write_text("mine")
    done = _profile(tmp_path, "--format", "json", "-o", "report.json", "app.py")
    assert done.returncode == 2 and "already exists" in done.stderr
    assert (tmp_path / "report.json").read_text() == "mine"


def test_a_missing_command_is_a_usage_error(tmp_path):
    done = _profile(tmp_path, "app.py", command=["no-such-program-here"])
    assert done.returncode == 2 and "command not found: no-such-program-here" in done.stderr


def test_the_probe_runs_the_sites_own_sitecustomize_and_never_breaks_the_program(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nos.environ['SITE_RAN'] = 'yes'\n")
    probe = Path(__file__).resolve().parent.parent / "memlint" / "profiling"
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('SITE_RAN'))"],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(probe), str(site)]), MEMLINT_PROFILE=str(tmp_path / "missing.json")),
        capture_output=True, text=True,
    )
    assert done.stdout == "yes\n"
    assert done.stderr.startswith("memlint profile: cannot measure this run: FileNotFoundError")


def test_a_parent_child_cycle_counts_the_instances_only_the_collector_frees(tmp_path):
    source = (
        "class Child:\n"
        "    def __init__(self, parent):\n"
        "        self.parent = parent\n"
        "\n"
        "\n"
        "class Parent:\n"
        "    def __init__(self):\n"
        "        self.children = []\n"
        "\n"
        "    def add(self):\n"
        "        child = Child(self)\n"
        "        self.children.append(child)\n"
        "\n"
        "\n"
        "for _ in range(int('500')):\n"
        "    parent = Parent()\n"
        "    for _ in range(3):\n"
        "        parent.add()\n"
    )
    (tmp_path / "tree.py").write_text(source)
    done = _profile(tmp_path, "--format", "json", "-o", "r.json", "tree.py", command=[sys.executable, "tree.py"])
    assert done.returncode == 0, done.stderr
    [cycle] = [f for f in json.loads((tmp_path / "r.json").read_text())["findings"] if f["code"] == "MEM401"]
    assert cycle["line"] == 3 and cycle["count"] > 0
    assert "of `Child` found in unreachable cycles" in cycle["evidence"]


def test_help_needs_no_command(run_memlint, tmp_path):
    result = run_memlint("profile", "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout.decode().startswith("usage: memlint profile ")
