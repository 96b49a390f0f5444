"""`flake8 --select MEM` and `memlint` agree line for line on every fixture."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# flake8 reports unparsable/undecodable files itself (E999/E902); its plugins never see them.
ENGINE_ONLY = ("MEM001", "MEM002")
# flake8 chooses which codes memlint reports, but preview rules (memlint/ledger.py) run only with
# memlint's `preview = true`: this runs MEM202 (LOOP's finding) even while it is in preview.
PREVIEW_CONFIG = "[tool.memlint]\npreview = true\n"


def _copy_fixtures(tmp_path):
    for path in FIXTURES.glob("*.py"):
        if not path.name.startswith(ENGINE_ONLY):
            shutil.copy(path, tmp_path / path.name)
    return sorted(p.name for p in tmp_path.glob("*.py"))


def _run(args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True)


def test_flake8_and_memlint_agree_on_fixtures(tmp_path):
    files = _copy_fixtures(tmp_path)
    flake8 = _run(["flake8", "--select", "MEM", "--jobs", "1", *files], tmp_path)
    memlint = _run(["memlint", "-j1", "--output-format", "concise", *files], tmp_path)
    assert flake8.stderr == "" and memlint.returncode in (0, 1), memlint.stderr
    assert flake8.stdout.splitlines() != []
    assert sorted(flake8.stdout.splitlines()) == sorted(memlint.stdout.splitlines())


def test_flake8_reads_rule_options_and_noqa(tmp_path):
    source = "import gc\nfor i in list(range(n)):  # noqa: MEM202\n    gc.collect()\n"
    (tmp_path / "pyproject.toml").write_text(PREVIEW_CONFIG)
    (tmp_path / "x.py").write_text(source)
    result = _run(["flake8", "--select", "MEM", "x.py"], tmp_path)
    assert result.stdout.splitlines() == ["x.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]


def test_flake8_memlint_config_option(tmp_path):
    (tmp_path / "conf.toml").write_text("[tool.memlint]\nselct = 1\n")
    (tmp_path / "x.py").write_text("x = 1\n")
    result = _run(["flake8", "--select", "MEM", "--memlint-config", "conf.toml", "x.py"], tmp_path)
    assert result.stdout.startswith("x.py:1:1: MEM000 memlint configuration error: conf.toml: unknown key 'tool.memlint.selct'")
    assert "Traceback" not in result.stderr


LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
# Runs flake8 in this process, then names the heavy modules it imported.
PROBE = """
import sys
from flake8.main.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = {"libcst", "memlint.config", "memlint.flake8_run", "memlint.engine", "memlint.rules"}
print("heavy:", sorted(heavy & set(sys.modules)))
"""


def _flake8_in_process(args, cwd):
    result = subprocess.run([sys.executable, "-c", PROBE, "-j1", *args], cwd=cwd, capture_output=True, text=True)
    *lines, heavy = result.stdout.splitlines()
    return lines, heavy, result.stderr


@pytest.mark.parametrize("args", [["--select", "E,W,F"], ["--select", "B"], ["--extend-ignore", "MEM"]])
def test_unselected_plugin_costs_nothing_and_reads_no_config(tmp_path, args):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")  # never read: no MEM000
    (tmp_path / "x.py").write_text(LOOP)
    lines, heavy, stderr = _flake8_in_process([*args, "x.py"], tmp_path)
    assert [line for line in lines if ": MEM" in line] == []
    assert (heavy, stderr) == ("heavy: []", "")


def test_plain_flake8_reports_mem_codes_as_flake8_does_for_plugins(tmp_path):
    # flake8 >= 6 selects every installed plugin's codes by default.
    (tmp_path / "x.py").write_text("import gc\nfor i in range(n):\n    gc.collect()\n")
    result = _run(["flake8", "x.py"], tmp_path)
    assert mem_codes(result) == ["MEM602"]
    # Preview rules too, when memlint's configuration turns preview on.
    (tmp_path / "x.py").write_text(LOOP)
    (tmp_path / "pyproject.toml").write_text(PREVIEW_CONFIG)
    assert mem_codes(_run(["flake8", "x.py"], tmp_path)) == ["MEM202", "MEM602"]


def mem_codes(result):
    return [code for code in (line.split()[1] for line in result.stdout.splitlines()) if code.startswith("MEM")]


def test_extend_select_adds_mem_codes_to_a_selection(tmp_path):
    (tmp_path / "x.py").write_text(LOOP)
    result = _run(["flake8", "--select", "E", "--extend-select", "MEM6", "x.py"], tmp_path)
    assert result.stdout.splitlines() == ["x.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]


@pytest.mark.parametrize(
    "content, message",
    [(b"tool = 5\n", "'tool' must be a table, not int"), (b"[tool.memlint]\n# caf\xe9\n", "invalid TOML: not UTF-8")],
)
def test_config_errors_name_the_file_without_a_traceback(tmp_path, content, message):
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "x.py").write_text("x = 1\n")
    result = _run(["flake8", "--select", "MEM", "x.py"], tmp_path)
    assert result.stdout.startswith(f"x.py:1:1: MEM000 memlint configuration error: {tmp_path / 'pyproject.toml'}: {message}")
    assert result.returncode == 1 and result.stderr == ""


def test_flake8_reads_the_result_cache_of_the_memlint_command(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PREVIEW_CONFIG)
    (tmp_path / "x.py").write_text(LOOP)
    assert _run(["memlint", "-j1", "x.py"], tmp_path).returncode == 1
    [entry] = [
        p for p in (tmp_path / ".memlint_cache").rglob("*")
        if p.is_file() and len(p.name) == 64 and not p.parent.parent.name.startswith("index-")
    ]
    entry.write_text(entry.read_text().replace("iterate the range directly", "told by the cache"))
    result = _run(["flake8", "--select", "MEM", "x.py"], tmp_path)
    assert result.stdout.splitlines()[0] == "x.py:2:10: MEM202 list(range(...)) is only iterated: told by the cache"
