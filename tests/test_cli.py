"""The command line, run as a subprocess exactly as users run it."""
import json
import os
import stat

import pytest

from memlint.docs import render_rule
from memlint.registry import get_registry, preview_reason

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview


def lines(result):
    return result.stdout.decode().splitlines()


def test_text_output_and_exit_code(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "pkg", cwd=project)
    assert result.returncode == 1
    assert lines(result) == [
        "pkg/a.py:2:10: MEM202 list(range(...)) is only iterated: iterate the range directly",
        "pkg/a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap",
    ]


def test_check_subcommand_and_clean_exit(project, run_memlint):
    result = run_memlint("check", "pkg/clean.py", cwd=project)
    assert (result.returncode, result.stdout) == (0, b"")


def test_json_output(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "--output-format", "json", "pkg/a.py", cwd=project)
    data = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["column"]) for d in data] == [("MEM202", 2, 10), ("MEM602", 3, 5)]
    first = data[0]
    assert set(first) == {"code", "name", "message", "filename", "line", "column", "end_line", "end_column", "fix", "url"}
    assert first["url"] == "https://memlint.invalid/docs/rules/MEM202"
    assert first["name"] == "list-of-range-iterated"
    assert (first["end_line"], first["end_column"]) == (2, 24)
    assert first["fix"] == {
        "applicability": "safe",
        "edits": [{"line": 2, "column": 10, "end_line": 2, "end_column": 24, "content": "range(n)"}],
    }
    assert data[1]["fix"] is None


def test_github_and_sarif_formats(project, run_memlint):
    github = run_memlint(*WITH_MEM202, "--format", "github", "pkg/a.py", cwd=project)
    assert lines(github)[0].startswith("::warning title=memlint (MEM202),file=pkg/a.py,line=2,col=10,")
    sarif = json.loads(run_memlint(*WITH_MEM202, "--format", "sarif", "pkg/a.py", cwd=project).stdout)
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["MEM202", "MEM602"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startColumn"] == 10


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select", "MEM6"], ["MEM602"]),
        (["--select", "list-of-range-iterated"], ["MEM202"]),
        (["--preview", "--ignore", "MEM602"], ["MEM202"]),
        (["--preview", "--select", "MEM2", "--extend-select", "MEM602"], ["MEM202", "MEM602"]),
        (["--select", "MEM6", "--ignore", "MEM"], ["MEM602"]),  # the more specific selector wins
    ],
)
def test_selection(project, run_memlint, args, codes):
    result = run_memlint(*args, "pkg/a.py", cwd=project)
    assert [line.split()[1] for line in lines(result)] == codes


def test_statistics_and_exit_zero(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "--statistics", "--exit-zero", "pkg", cwd=project)
    assert result.returncode == 0
    assert lines(result)[-2:] == [
        "1     MEM202 list(range(...)) is only iterated: iterate the range directly",
        "1     MEM602 gc.collect() inside a loop: each call walks the whole heap",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing_dir"], "memlint: error: missing_dir: no such file or directory"),
        (["--select", "XYZ9", "pkg"], "memlint: error: --select: unknown rule code or name 'XYZ9'"),
        (["--ignore", "nonsense", "pkg"], "memlint: error: --ignore: unknown rule code or name 'nonsense'"),
        (["--target-version", "python3", "pkg"], "memlint: error: --target-version: invalid target version 'python3'"),
        (["--jobs", "0", "pkg"], "memlint: error: --jobs must be at least 1"),
        (["--config", "nope.toml", "pkg"], "memlint: error: nope.toml: configuration file not found"),
    ],
)
def test_usage_errors_are_one_line_exit_2(project, run_memlint, args, message):
    result = run_memlint(*args, cwd=project)
    assert result.returncode == 2
    err = result.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err
    assert b"Traceback" not in result.stderr


def test_syntax_error_reported_and_run_goes_on(project, run_memlint):
    (project / "pkg" / "bad.py").write_text("def f(:\n    pass\n")
    result = run_memlint("pkg", cwd=project)
    assert result.returncode == 1
    assert "pkg/bad.py:1:7: MEM001 syntax error: invalid syntax" in lines(result)
    assert any("MEM602" in line for line in lines(result))


def test_undecodable_file(project, run_memlint):
    (project / "pkg" / "latin.py").write_bytes(b"x = 1\nname = 'caf\xe9'\n")
    result = run_memlint("pkg/latin.py", cwd=project)
    assert lines(result) == ["pkg/latin.py:2:12: MEM002 cannot decode file: not valid utf-8: byte 0xe9"]


def test_unreadable_directory_entry(project, run_memlint):
    # A dangling symlink named like a Python file (an editor's lock file): skipped with a warning.
    os.symlink(project / "nowhere.py", project / "pkg" / "dangling.py")
    result = run_memlint("pkg", cwd=project)
    assert result.returncode == 1
    assert "memlint: warning: pkg/dangling.py: is a broken symbolic link; skipped" in result.stderr.decode()
    assert any("MEM602" in line for line in lines(result))


def test_fix_writes_safe_fixes_only(project, run_memlint):
    target = project / "pkg" / "a.py"
    result = run_memlint(*WITH_MEM202, "--fix", "pkg/a.py", cwd=project)
    assert target.read_text() == "import gc\nfor i in range(n):\n    gc.collect()\n"
    assert result.returncode == 1  # MEM602 remains
    assert lines(result) == ["pkg/a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]
    assert result.stderr.decode() == "Fixed 1 problem in 1 file; 1 remaining\n"
    again = run_memlint(*WITH_MEM202, "--fix", "pkg/a.py", cwd=project)
    assert again.stderr.decode() == "Found 1 problem\n"


def test_unsafe_fixes_need_the_flag(tmp_path, run_memlint):
    source = "import gc\n\ndef f():\n    gc.disable()\n    work()\n    gc.enable()\n"
    path = tmp_path / "g.py"
    path.write_text(source)
    result = run_memlint("--fix", "g.py", cwd=tmp_path)
    assert path.read_text() == source
    assert result.stderr.decode() == "Found 1 problem (1 fixable with --unsafe-fixes)\n"
    run_memlint("--fix", "--unsafe-fixes", "g.py", cwd=tmp_path)
    assert "finally:\n        if was_enabled:\n            gc.enable()" in path.read_text()


def test_fix_keeps_bom_crlf_encoding_and_mode(tmp_path, run_memlint):
    path = tmp_path / "w.py"
    original = "\ufeff# caf\u00e9\r\nfor i in list(range(n)):\r\n    pass\r\n".encode("utf-8")
    path.write_bytes(original)
    path.chmod(0o751)
    run_memlint(*WITH_MEM202, "--fix", "w.py", cwd=tmp_path)
    assert path.read_bytes() == "\ufeff# caf\u00e9\r\nfor i in range(n):\r\n    pass\r\n".encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    latin = tmp_path / "l.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\nfor i in list(range(n)):\n    pass\n")
    run_memlint(*WITH_MEM202, "--fix", "l.py", cwd=tmp_path)
    assert latin.read_bytes() == b"# -*- coding: latin-1 -*-\n# caf\xe9\nfor i in range(n):\n    pass\n"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".memlint-")]


def test_fix_leaves_clean_files_untouched(project, run_memlint):
    clean = project / "pkg" / "clean.py"
    before = clean.stat().st_mtime_ns
    run_memlint(*WITH_MEM202, "--fix", "pkg", cwd=project)
    assert (project / "pkg" / "a.py").read_text() != LOOP  # a.py was fixed
    assert clean.stat().st_mtime_ns == before


def test_diff_writes_nothing(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "--diff", "pkg/a.py", cwd=project)
    assert result.returncode == 1
    assert lines(result) == [
        "--- a/pkg/a.py",
        "+++ b/pkg/a.py",
        "@@ -1,3 +1,3 @@",
        " import gc",
        "-for i in list(range(n)):",
        "+for i in range(n):",
        "     gc.collect()",
    ]
    assert (project / "pkg" / "a.py").read_text() == LOOP


def test_stdin(project, run_memlint):
    result = run_memlint(*WITH_MEM202, "-", "--stdin-filename", "pkg/x.py", cwd=project, stdin=LOOP.encode())
    assert lines(result)[0] == "pkg/x.py:2:10: MEM202 list(range(...)) is only iterated: iterate the range directly"
    fixed = run_memlint(*WITH_MEM202, "--fix", "-", cwd=project, stdin=LOOP.encode())
    assert fixed.stdout == b"import gc\nfor i in range(n):\n    gc.collect()\n"
    assert "-:3:5: MEM602" in fixed.stderr.decode()


def test_excludes(project, run_memlint):
    for name in (".venv", "build", "__pycache__", "node_modules"):
        (project / name).mkdir()
        (project / name / "x.py").write_text(LOOP)
    (project / "env").mkdir()
    (project / "env" / "pyvenv.cfg").write_text("")
    (project / "env" / "x.py").write_text(LOOP)
    result = run_memlint(".", cwd=project)
    assert {line.split(":")[0] for line in lines(result)} == {"./pkg/a.py"}
    assert run_memlint("--extend-exclude", "a.py", ".", cwd=project).stdout == b""
    everything = run_memlint("--exclude", "", ".", cwd=project)
    assert {line.split(":")[0] for line in lines(everything)} >= {"./.venv/x.py", "./build/x.py", "./pkg/a.py"}
    (project / "pyproject.toml").write_text('[tool.memlint]\nextend-exclude = ["pkg/a.py"]\n')
    assert run_memlint(".", cwd=project).stdout == b""


def test_pyi_files_are_linted(tmp_path, run_memlint):
    (tmp_path / "stub.pyi").write_text("import gc\nwhile True:\n    gc.collect()\n")
    (tmp_path / "notes.txt").write_text(LOOP)
    result = run_memlint(".", cwd=tmp_path)
    assert lines(result) == ["./stub.pyi:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]


def test_rule_subcommand(run_memlint):
    result = run_memlint("rule", "MEM601")
    assert result.returncode == 0
    text = result.stdout.decode()
    title = "MEM601: gc-disable-without-enable"
    assert text.startswith(f"{title}\n{'=' * len(title)}\n\nMessage: `gc.disable()")
    assert "\nFix safety\n----------\n" in text
    assert "Examples from the tests" not in text and "```" not in text
    assert text.endswith("\nDocumentation: https://memlint.invalid/docs/rules/MEM601\n")
    by_name = run_memlint("rule", "gc-collect-in-loop")
    assert by_name.stdout.decode().startswith("MEM602: gc-collect-in-loop\n")
    markdown = run_memlint("rule", "MEM602", "--format", "markdown").stdout.decode()
    assert markdown == render_rule(get_registry().get("MEM602")) + "\n"
    everything = run_memlint("rule", "--all").stdout.decode()
    assert [line.partition(":")[0] for line in everything.splitlines() if line.startswith("MEM") and ": " in line
            and not line.startswith("Message")] == [rule.code for rule in get_registry().rules]
    unknown = run_memlint("rule", "MEM999")
    assert unknown.returncode == 2 and unknown.stderr.decode().strip() == "memlint: error: unknown rule 'MEM999'"
    nothing = run_memlint("rule")
    assert nothing.stderr.decode().strip() == "memlint: error: memlint rule: give a rule code or name, or --all"


def test_rule_all_as_json(run_memlint):
    result = run_memlint("rule", "--all", "--format", "json")
    data = json.loads(result.stdout)
    rules = get_registry().rules
    assert [(r["code"], r["name"], r["message"]) for r in data] == [(r.code, r.name, r.message) for r in rules]
    by_code = {r["code"]: r for r in data}
    assert {k: v for k, v in by_code["MEM602"].items() if k != "explanation"} == {
        "code": "MEM602", "name": "gc-collect-in-loop", "message": rules_by_code()["MEM602"].message,
        "fix": "none", "fix_applicability": None, "options": {}, "url": "https://memlint.invalid/docs/rules/MEM602",
        "preview": preview_reason(rules_by_code()["MEM602"]),
    }
    assert [r["code"] for r in data if r["preview"] is None] == [r.code for r in rules if preview_reason(r) is None]
    assert by_code["MEM602"]["explanation"].startswith("## What it does\nReports `gc.collect()` called inside a loop")
    assert (by_code["MEM202"]["fix"], by_code["MEM202"]["fix_applicability"]) == ("sometimes", "safe")
    one = json.loads(run_memlint("rule", "MEM202", "--format", "json").stdout)
    assert one == [by_code["MEM202"]]


def rules_by_code():
    return {rule.code: rule for rule in get_registry().rules}


def test_version(run_memlint):
    from memlint import __version__

    assert run_memlint("--version").stdout.decode().strip() == f"memlint {__version__}"


def test_config_subcommand(project, run_memlint):
    (project / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.9"\n[tool.memlint]\nextend-select = ["MEM202"]\nignore = ["MEM6"]\n'
    )
    data = json.loads(run_memlint("config", "pkg", cwd=project).stdout)
    assert data["target_version"] == [3, 9]
    assert "MEM602" not in data["enabled_rules"] and "MEM202" in data["enabled_rules"]


def test_internal_error_without_traceback_unless_verbose(tmp_path, run_memlint):
    # A config whose rule options table has a wrong type reports cleanly.
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nselect = 3\n")
    (tmp_path / "x.py").write_text("x = 1\n")
    result = run_memlint("x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        f"memlint: error: {tmp_path / 'pyproject.toml'}: 'tool.memlint.select' must be a list of strings, not int"
    )


def test_jobs_give_the_same_output(tmp_path, run_memlint):
    for i in range(12):
        (tmp_path / f"m{i:02}.py").write_text(LOOP)
    serial = run_memlint(*WITH_MEM202, "-j1", ".", cwd=tmp_path)
    parallel = run_memlint(*WITH_MEM202, "-j2", ".", cwd=tmp_path)
    assert serial.stdout == parallel.stdout and len(lines(serial)) == 24


def test_a_file_named_like_a_subcommand_is_linted(project, run_memlint):
    script = project / "config"
    script.write_text("#!/usr/bin/env python3\n" + LOOP)
    for args in (["--", "config"], ["config"], ["--fix", "--", "config"]):
        result = run_memlint("--no-cache", *WITH_MEM202, *args, cwd=project)
        assert result.returncode == 1 and lines(result)[-1].startswith("config:4:5: MEM602"), (args, result.stderr)
    assert script.read_text() == "#!/usr/bin/env python3\n" + LOOP.replace("list(range(n))", "range(n)")
    (project / "-x.py").write_text(LOOP)
    dash = run_memlint("--no-cache", *WITH_MEM202, "--", "-x.py", cwd=project)
    assert dash.returncode == 1 and lines(dash)[0].startswith("-x.py:2:10: MEM202")
    script.unlink()
    subcommand = run_memlint("config", cwd=project)  # no such file: the subcommand
    assert subcommand.returncode == 0 and "enabled_rules" in json.loads(subcommand.stdout)
