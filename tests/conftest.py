import pty
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"


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


@pytest.fixture
def project(tmp_path):
    """pkg/a.py with MEM202 (fixable) and MEM602 on lines 2 and 3, pkg/clean.py clean.

    MEM202 runs by default only while the precision ledger (memlint/ledger.py) keeps it out
    of preview: a test that needs its finding or its fix selects it by its code, as a user
    would (``--extend-select MEM202``)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(LOOP)
    (tmp_path / "pkg" / "clean.py").write_text("x = 1\n")
    return tmp_path


@pytest.fixture
def on_a_terminal():
    """``on_a_terminal(args, cwd, env, stream="stdout")``: run memlint with ``stream`` on a
    pseudo-terminal (the other discarded); what it wrote there (for colour and progress)."""
    return _on_a_terminal


def _on_a_terminal(args, cwd, env, stream="stdout"):
    """Run memlint with ``stream`` on a pseudo-terminal (the other one discarded); what it wrote there."""
    controller, terminal = pty.openpty()
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: terminal}
    process = subprocess.Popen([sys.executable, "-m", "memlint", *args], cwd=cwd, env=dict(os.environ, **env), **streams)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    os.close(controller)
    return b"".join(chunks).decode().replace("\r\n", "\n")
