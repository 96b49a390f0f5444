import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root():
    return ROOT


@pytest.fixture
def run_memlint():
    """Run the installed ``memlint`` command line as a user would."""

    def run(*args, cwd=None, stdin=None, env=None):
        full_env = dict(os.environ, **(env or {}))
        full_env.pop("MEMLINT_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "memlint", *map(str, args)],
            cwd=cwd, input=stdin, capture_output=True, env=full_env,
        )

    return run
