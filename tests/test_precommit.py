"""The pre-commit hooks, in a real pre-commit run against this repository."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"

# pre-commit is a test dependency, installed next to this interpreter.
PRE_COMMIT = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A throwaway repository whose config points at this repository's HEAD."""
    rev = _git("rev-parse", "HEAD", cwd=ROOT)
    repo = tmp_path_factory.mktemp("user-repo")
    _git("init", "-q", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: memlint\n      - id: memlint-fix\n        stages: [manual]\n"
    )
    return repo


def _run_hook(repo, *args):
    env = dict(os.environ, PRE_COMMIT_HOME=str(repo.parent / "pre-commit-home"))
    assert PRE_COMMIT, "pre-commit is not installed (pip install -e '.[test]')"
    return subprocess.run([PRE_COMMIT, "run", *args], cwd=repo, capture_output=True, text=True, env=env)


def test_hook_fails_on_bad_file_and_fix_hook_rewrites(hook_repo):
    # MEM202 by its code, in the project's configuration: it may be a preview rule (memlint/ledger.py).
    (hook_repo / "pyproject.toml").write_text('[tool.memlint]\nextend-select = ["MEM202"]\n')
    (hook_repo / "bad.py").write_text(BAD)
    (hook_repo / "good.py").write_text("x = 1\n")
    _git("add", ".", cwd=hook_repo)
    check = _run_hook(hook_repo, "memlint", "--all-files")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "bad.py:2:10: MEM202" in check.stdout
    assert "good.py" not in check.stdout
    fix = _run_hook(hook_repo, "memlint-fix", "--all-files", "--hook-stage", "manual")
    assert fix.returncode == 1  # files were modified (and MEM602 remains)
    assert (hook_repo / "bad.py").read_text() == "import gc\nfor i in range(n):\n    gc.collect()\n"


def test_hook_lints_files_named_like_a_subcommand_or_an_option(hook_repo):
    """pre-commit appends file names after the hook's args (`--`)."""
    (hook_repo / "config").write_text("#!/usr/bin/env python3\n" + BAD)
    (hook_repo / "config").chmod(0o755)  # identify reads the shebang of an executable: a python script
    (hook_repo / "-x.py").write_text(BAD)
    _git("add", "--", "config", "-x.py", cwd=hook_repo)
    check = _run_hook(hook_repo, "memlint", "--all-files")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "config:4:5: MEM602" in check.stdout and "-x.py:3:5: MEM602" in check.stdout
