"""`flake8 --select MEM` and `memlint` agree line for line on every fixture."""
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# flake8 reports unparsable/undecodable files itself (E999/E902); its plugins never see them.
ENGINE_ONLY = ("MEM001", "MEM002")


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
    memlint = _run(["memlint", "-j1", *files], tmp_path)
    assert flake8.stderr == "" and memlint.returncode in (0, 1), memlint.stderr
    assert flake8.stdout.splitlines() != []
    assert sorted(flake8.stdout.splitlines()) == sorted(memlint.stdout.splitlines())


def test_flake8_reads_rule_options_and_noqa(tmp_path):
    source = "import gc\nfor i in list(range(3)):  # noqa: MEM202\n    gc.collect()\n"
    (tmp_path / "x.py").write_text(source)
    result = _run(["flake8", "--select", "MEM", "x.py"], tmp_path)
    assert result.stdout.splitlines() == ["x.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]


def test_flake8_memlint_config_option(tmp_path):
    (tmp_path / "conf.toml").write_text("[tool.memlint]\nselct = 1\n")
    (tmp_path / "x.py").write_text("x = 1\n")
    result = _run(["flake8", "--select", "MEM", "--memlint-config", "conf.toml", "x.py"], tmp_path)
    assert result.stdout.startswith("x.py:1:1: MEM000 memlint configuration error: conf.toml: unknown key 'tool.memlint.selct'")
    assert "Traceback" not in result.stderr
