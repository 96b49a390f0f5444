"""What people read: the full and concise formats, colour, the summary line,
statistics in every format, diffs git applies, pipes that close early."""
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview
SARIF_SCHEMA = json.loads((Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json").read_text())


def out(result):
    return result.stdout.decode()


def err(result):
    return result.stderr.decode()


def test_full_format_shows_the_line_a_caret_and_fixability(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "--output-format", "full", "pkg/a.py", cwd=project)
    assert out(result) == (
        "pkg/a.py:2:10: MEM202 [*] list(range(...)) is only iterated: iterate the range directly\n"
        "  |\n"
        "2 | for i in list(range(n)):\n"
        "  |          ^^^^^^^^^^^^^^\n"
        "\n"
        "pkg/a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap\n"
        "  |\n"
        "3 |     gc.collect()\n"
        "  |     ^^^^^^^^^^^^\n"
        "\n"
    )


def test_full_format_keeps_tabs_and_neutralises_control_characters(tmp_path, run_memlint):
    (tmp_path / "t.py").write_bytes(b"import gc\nif x:\n\tfor i in list(range(n)):\n\t\tgc.collect('\x1b[2J')\n")
    lines = out(run_memlint("--output-format", "full", "--select", "MEM602", "t.py", cwd=tmp_path)).splitlines()
    assert lines[2:4] == ["4 | \t\tgc.collect('\ufffd[2J')", "  | \t\t^^^^^^^^^^^^^^^^^^"]


def test_concise_is_the_default_when_piped_and_text_is_its_old_name(project, run_memlint):
    default = run_memlint(*WITH_MEM202, "pkg/a.py", cwd=project)
    assert out(default).splitlines()[0] == "pkg/a.py:2:10: MEM202 list(range(...)) is only iterated: iterate the range directly"
    assert run_memlint(*WITH_MEM202, "--format", "concise", "pkg/a.py", cwd=project).stdout == default.stdout
    assert run_memlint(*WITH_MEM202, "--format", "text", "pkg/a.py", cwd=project).stdout == default.stdout


def test_a_rule_page_on_a_terminal_is_in_colour_unless_no_color(project, on_a_terminal):
    coloured = on_a_terminal(["rule", "MEM602"], project, {"NO_COLOR": ""})
    assert coloured.startswith("\x1b[1mMEM602: gc-collect-in-loop\x1b[0m\n\nMessage: \x1b[36mgc.collect() inside a loop")
    assert "\n\x1b[1mWhat it does\x1b[0m\nReports \x1b[36mgc.collect()\x1b[0m called" in coloured
    assert "\n    \x1b[36mimport gc\x1b[0m\n" in coloured
    plain = on_a_terminal(["rule", "MEM602"], project, {"NO_COLOR": "1"})
    assert "\x1b" not in plain and plain.startswith("MEM602: gc-collect-in-loop\n===")


def test_a_terminal_gets_the_full_format_in_colour_unless_no_color(project, on_a_terminal):
    env = {k: "" for k in ("NO_COLOR",)}
    coloured = on_a_terminal([*WITH_MEM202, "pkg/a.py"], project, env)
    assert coloured.startswith("\x1b[1mpkg/a.py:2:10:\x1b[0m \x1b[1;31mMEM202\x1b[0m \x1b[36m[*]\x1b[0m list(range(...))")
    plain = on_a_terminal([*WITH_MEM202, "pkg/a.py"], project, {"NO_COLOR": "1"})
    assert "\x1b" not in plain
    assert plain.splitlines()[:4] == [
        "pkg/a.py:2:10: MEM202 [*] list(range(...)) is only iterated: iterate the range directly",
        "  |",
        "2 | for i in list(range(n)):",
        "  |          ^^^^^^^^^^^^^^",
    ]


@pytest.mark.parametrize(
    "source, args, summary",
    [
        ("x = 1\n", [], "All checks passed!"),
        (LOOP, [], "Found 2 problems (1 fixable with --fix)"),
        (LOOP + "gc.disable()\nwork()\ngc.enable()\n", [], "Found 3 problems (1 fixable; 1 more with --unsafe-fixes)"),
        (LOOP + "gc.disable()\nwork()\ngc.enable()\n", ["--unsafe-fixes"], "Found 3 problems (2 fixable with --fix)"),
        (LOOP, ["--fix"], "Fixed 1 problem in 1 file; 1 remaining"),
        (LOOP, ["--diff"], "Would fix 1 problem in 1 file"),
        ("x = 1\n", ["--diff"], "Nothing to fix"),
    ],
)
def test_summary_line(tmp_path, run_memlint, source, args, summary):
    (tmp_path / "x.py").write_text(source)
    assert err(run_memlint(*WITH_MEM202, *args, "x.py", cwd=tmp_path)).splitlines() == [summary]
    assert err(run_memlint("-q", *WITH_MEM202, *args, "x.py", cwd=tmp_path)) == ""


def test_statistics_in_every_format(project, run_memlint):
    text = run_memlint(*WITH_MEM202, "--statistics", "pkg", cwd=project)
    assert out(text).splitlines() == [
        "1     MEM202 list(range(...)) is only iterated: iterate the range directly",
        "1     MEM602 gc.collect() inside a loop: each call walks the whole heap",
    ]
    data = json.loads(out(run_memlint(*WITH_MEM202, "--statistics", "--format", "json", "pkg", cwd=project)))
    assert [(c["code"], c["name"], c["count"], c["fixable"], c["url"]) for c in data] == [
        ("MEM202", "list-of-range-iterated", 1, 1, "https://memlint.invalid/docs/rules/MEM202"),
        ("MEM602", "gc-collect-in-loop", 1, 0, "https://memlint.invalid/docs/rules/MEM602"),
    ]
    github = out(run_memlint(*WITH_MEM202, "--statistics", "--format", "github", "pkg", cwd=project)).splitlines()
    assert github[0] == "::notice title=memlint statistics::1 MEM202 list(range(...)) is only iterated: iterate the range directly"
    sarif = json.loads(out(run_memlint(*WITH_MEM202, "--statistics", "--format", "sarif", "pkg", cwd=project)))
    jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(sarif)
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["MEM202", "MEM602"]
    assert [(c["code"], c["count"]) for c in run["properties"]["statistics"]] == [("MEM202", 1), ("MEM602", 1)]


def test_diff_applies_with_git(tmp_path, run_memlint):
    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True)

    git("init", "-q")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\nfor i in list(range(n)): pass")  # no final newline
    diff = out(run_memlint(*WITH_MEM202, "--diff", ".", cwd=tmp_path))
    assert diff == (
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,2 +1,2 @@\n x = 1\n"
        "-for i in list(range(n)): pass\n\\ No newline at end of file\n"
        "+for i in range(n): pass\n\\ No newline at end of file\n"
    )
    (tmp_path / "fix.diff").write_text(diff)
    applied = git("apply", "fix.diff")
    assert applied.returncode == 0, applied.stderr
    assert (tmp_path / "pkg" / "a.py").read_text() == "x = 1\nfor i in range(n): pass"


def test_a_closed_pipe_ends_the_run_quietly(project):
    process = subprocess.Popen(
        [sys.executable, "-m", "memlint", "rule", "--all"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # the reader is gone before memlint writes
    stderr = process.stderr.read()
    assert (process.wait(), stderr) == (141, b"")


def test_repeated_select_adds_up(project, run_memlint):
    result = run_memlint("--preview", "--select", "MEM2", "--select", "MEM6", "pkg/a.py", cwd=project)
    assert [line.split()[1] for line in out(result).splitlines()] == ["MEM202", "MEM602"]


def test_warnings_for_an_excluded_file_and_for_no_python_file(project, run_memlint):
    (project / "pyproject.toml").write_text('[tool.memlint]\nextend-exclude = ["legacy"]\n')
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(LOOP)
    (project / "build").mkdir()
    (project / "build" / "x.py").write_text(LOOP)
    (project / "empty").mkdir()
    excluded = run_memlint("build/x.py", "legacy/old.py", "pkg/clean.py", cwd=project)
    assert err(excluded).splitlines() == [
        "memlint: warning: build/x.py: excluded by the pattern 'build'; not linted",
        "memlint: warning: legacy/old.py: excluded by the pattern 'legacy'; not linted",
        "All checks passed!",
    ]
    nothing = run_memlint("empty", cwd=project)
    assert (nothing.returncode, err(nothing).splitlines()) == (
        0, ["memlint: warning: no Python files found in empty", "All checks passed!"]
    )
