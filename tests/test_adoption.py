"""Adopting memlint on existing code: MEM003 for suppressions that suppress
nothing, --add-noqa, and baselines."""
import json
from pathlib import Path

import pytest

from memlint.config import Settings
from memlint.docs import rule_url
from memlint.engine import lint_text
from memlint.registry import get_registry
from memlint.rule import Rule

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview


def findings(result):
    return [(line.split(":")[1], line.split(":")[2], line.split()[1]) for line in result.stdout.decode().splitlines()]


# -- MEM003 unused-noqa -----------------------------------------------------------


@pytest.mark.parametrize(
    "source, args, expected",
    [
        ("for i in range(n):  # noqa: MEM202\n    pass\n", WITH_MEM202, [("1", "21", "MEM003")]),
        ("for i in range(n):  # noqa: MEM202\n    pass\n", ["--select", "MEM6,MEM003"], []),  # MEM202 did not run
        ("for i in list(range(n)):  # noqa: MEM202\n    pass\n", WITH_MEM202, []),
        ("for i in list(range(n)):  # noqa: MEM2\n    pass\n", WITH_MEM202, []),
        ("x = 1  # noqa: E501\n", [], []),
        ("x = '# noqa: MEM202'\n", WITH_MEM202, []),
        ("x = 1  # noqa: MEM202, MEM003\n", WITH_MEM202, []),
        ("# memlint: noqa: MEM601\nx = 1\n", [], [("1", "1", "MEM003")]),
        ("# memlint: noqa: MEM202\nfor i in list(range(n)):\n    pass\n", WITH_MEM202, []),
    ],
)
def test_unused_noqa(tmp_path, run_memlint, source, args, expected):
    (tmp_path / "x.py").write_text(source)
    assert findings(run_memlint("--no-cache", *args, "x.py", cwd=tmp_path)) == expected


def test_unused_noqa_message_names_only_the_unused_codes(tmp_path, run_memlint):
    (tmp_path / "x.py").write_text("import gc\nwhile True:\n    gc.collect()  # noqa: MEM602, E501, MEM202, MEM999\n")
    result = run_memlint("--no-cache", *WITH_MEM202, "x.py", cwd=tmp_path)
    assert result.stdout.decode().splitlines() == [
        "x.py:3:19: MEM003 unused noqa: nothing here is reported as MEM202, MEM999"
    ]


def test_no_unused_noqa_when_a_rule_crashed():
    class Crashes(Rule):
        code, name, message = "TST901", "crashes", "never"

        def visit_Name(self, node):
            raise RuntimeError("boom")

    mem003 = get_registry().get("MEM003")
    result = lint_text("x = 1  # noqa: TST901\ny = 2  # noqa: MEM999\n", "x.py", Settings(), [Crashes, mem003])
    assert [d.code for d in result.diagnostics] == [] and len(result.errors) == 1


# -- --add-noqa ---------------------------------------------------------------------


def test_add_noqa_adds_and_merges_and_then_all_checks_pass(tmp_path, run_memlint):
    path = tmp_path / "x.py"
    path.write_text(
        "import gc\n"
        "for i in list(range(n)):  # noqa: E501 long line\n"
        "    gc.collect()\n"
        "x = sum([i for i in range(n)]); gc.collect()\n"
    )
    result = run_memlint("--no-cache", "--preview", "--add-noqa", "x.py", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (0, b"", "Added noqa comments to 3 lines in 1 file\n")
    assert path.read_text() == (
        "import gc\n"
        "for i in list(range(n)):  # noqa: E501, MEM202 long line\n"
        "    gc.collect()  # noqa: MEM602\n"
        "x = sum([i for i in range(n)]); gc.collect()  # noqa: MEM201\n"
    )
    again = run_memlint("--no-cache", "--preview", "x.py", cwd=tmp_path)
    assert (again.returncode, again.stderr.decode()) == (0, "All checks passed!\n")


def test_add_noqa_keeps_encoding_bom_and_newlines(tmp_path, run_memlint):
    path = tmp_path / "w.py"
    path.write_bytes("\ufeff# caf\u00e9\r\nfor i in list(range(n)):\r\n    pass\r\n".encode("utf-8"))
    run_memlint("--no-cache", *WITH_MEM202, "--add-noqa", "w.py", cwd=tmp_path)
    assert path.read_bytes() == "\ufeff# caf\u00e9\r\nfor i in list(range(n)):  # noqa: MEM202\r\n    pass\r\n".encode("utf-8")


def test_add_noqa_refuses_lines_a_comment_cannot_end(tmp_path, run_memlint):
    source = 'x = sum([len("""a\nb""") for _ in ab])\ny = sum([i for i in range(n)]) \\\n    + 1\n'
    path = tmp_path / "x.py"
    path.write_text(source)
    result = run_memlint("--no-cache", "--preview", "--add-noqa", "x.py", cwd=tmp_path)
    assert path.read_text() == source
    assert result.stderr.decode().splitlines() == [
        "memlint: warning: x.py:1: the line ends inside a string or with a backslash; no noqa comment added",
        "memlint: warning: x.py:3: the line ends inside a string or with a backslash; no noqa comment added",
        "Added noqa comments to 0 lines in 0 files",
    ]


@pytest.mark.parametrize("flag", ["--fix", "--diff", "--write-baseline=b.json"])
def test_add_noqa_is_alone(tmp_path, run_memlint, flag):
    (tmp_path / "x.py").write_text(LOOP)
    result = run_memlint("--add-noqa", flag, "x.py", cwd=tmp_path)
    assert result.returncode == 2 and "cannot be combined" in result.stderr.decode()


# -- baselines -----------------------------------------------------------------------


def test_baseline_hides_recorded_findings_across_edits_but_not_new_ones(tmp_path, run_memlint):
    path = tmp_path / "pkg" / "a.py"
    path.parent.mkdir()
    path.write_text(LOOP)
    written = run_memlint(*WITH_MEM202, "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert (written.returncode, written.stdout, written.stderr.decode()) == (0, b"", "Recorded 2 findings in baseline.json\n")
    data = json.loads((tmp_path / "baseline.json").read_text())
    assert data["findings"][0] == {"code": "MEM202", "path": "pkg/a.py", "text": "for i in list(range(n)):", "occurrence": 0}

    clean = run_memlint(*WITH_MEM202, "--baseline", "baseline.json", ".", cwd=tmp_path)
    assert (clean.returncode, clean.stdout, clean.stderr.decode()) == (0, b"", "All checks passed! (2 findings in the baseline)\n")
    # Lines above, and re-indentation, do not resurrect a finding; a second identical one is new.
    path.write_text("import gc\n\n\nif True:\n  for i in list(range(n)):\n      gc.collect()\nfor i in list(range(n)):\n    pass\n")
    edited = run_memlint(*WITH_MEM202, "--baseline", "baseline.json", ".", cwd=tmp_path)
    assert findings(edited) == [("7", "10", "MEM202")]
    assert edited.stderr.decode() == "Found 1 problem (1 fixable with --fix); 2 more in the baseline\n"


def test_baseline_from_the_configuration_relative_to_it(tmp_path, run_memlint):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(LOOP)
    run_memlint("--write-baseline", "memlint-baseline.json", "src", cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nbaseline = "memlint-baseline.json"\n')
    result = run_memlint("a.py", cwd=tmp_path / "src")
    assert (result.returncode, result.stdout) == (0, b"")


@pytest.mark.parametrize(
    "content, message",
    [
        ("[tool.memlint]\n", "not a memlint baseline: Expecting value"),
        ('{"findings": []}', 'not a memlint baseline (expected a JSON object with "memlint-baseline": 1)'),
        (None, "baseline file not found (write one with --write-baseline"),
    ],
)
def test_bad_baselines_are_errors_naming_the_file(tmp_path, run_memlint, content, message):
    (tmp_path / "x.py").write_text(LOOP)
    if content is not None:
        (tmp_path / "b.json").write_text(content)
    result = run_memlint("--baseline", "b.json", "x.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"memlint: error: {tmp_path / 'b.json'}: {message}")


def test_write_baseline_never_overwrites_another_file(tmp_path, run_memlint):
    (tmp_path / "x.py").write_text(LOOP)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    result = run_memlint("--write-baseline", "pyproject.toml", "x.py", cwd=tmp_path)
    assert result.returncode == 2 and "pyproject.toml: not a memlint baseline" in result.stderr.decode()
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'p'\n"


def test_the_project_urls_have_one_home():
    # pyproject.toml and the README cannot import memlint.urls: they must repeat it exactly.
    import re

    from memlint import urls

    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    table = pyproject.split("[project.urls]\n", 1)[1].split("\n\n", 1)[0]
    assert dict(re.findall(r'^(\w+) = "([^"]+)"$', table, re.M)) == urls.PROJECT_URLS
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"^\s+- repo: (\S+)", readme, re.M) == [urls.SOURCE]
    rule_pages = [rule_url(rule) for rule in get_registry().rules]
    assert rule_pages == [f"{urls.RULE_PAGES}{rule.code}" for rule in get_registry().rules]
