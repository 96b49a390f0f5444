"""The running interpreter's whole standard library (site-packages excluded),
all rules: no crash and no error line; ``--fix --unsafe-fixes`` on a copy
leaves every file that compiled compiling, and a second run fixes nothing.
The counts it prints are the ones in docs/fix-safety.md."""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path

import pytest

# Every directory counts, even those memlint skips by default (``venv``).
COMMON = ["--no-cache", "--preview", "-j2", "--exclude", "site-packages,dist-packages", "--file-timeout", "600"]


def stdlib_copy(destination):
    source = Path(sysconfig.get_paths()["stdlib"])
    ignore = shutil.ignore_patterns("site-packages", "dist-packages", "__pycache__")
    shutil.copytree(source, destination, ignore=ignore, symlinks=True)
    return sorted(path for path in destination.rglob("*.py") if path.is_file() and not path.is_symlink())


def compiles(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def memlint(*args, cwd):
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "memlint", *COMMON, *args], cwd=cwd, capture_output=True)
    return result, time.monotonic() - start


def unexplained_errors(lines, cwd):
    """memlint's error lines, less those for a file libcst itself cannot parse
    although CPython can (3.9's ``test/ann_module.py``: ``(pars): bool = True``):
    memlint must report those as libcst's limit (issue 14), and does."""
    import libcst

    unexplained = []
    for line in lines:
        limit = re.match(r"memlint: error: (.+?): libcst cannot parse this file, which CPython accepts", line)
        if limit:
            try:
                libcst.parse_module((cwd / limit[1]).read_bytes())
            except libcst.ParserSyntaxError:
                continue
        if line.startswith("memlint: error"):
            unexplained.append(line)
    return unexplained


def digests(files):
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


@pytest.mark.slow
@pytest.mark.soak
def test_the_standard_library_lints_and_fixes_cleanly(tmp_path):
    files = stdlib_copy(tmp_path / "stdlib")
    compiled = [path for path in files if compiles(path)]

    lint, lint_seconds = memlint("--exit-zero", "--format", "json", "stdlib", cwd=tmp_path)
    lint_err = lint.stderr.decode().splitlines()
    limits = [line for line in lint_err if line.startswith("memlint: error")]
    assert lint.returncode == (2 if limits else 0) and unexplained_errors(lint_err, tmp_path) == [], lint_err[:20]
    findings = json.loads(lint.stdout)

    fix, fix_seconds = memlint("--fix", "--unsafe-fixes", "stdlib", cwd=tmp_path)
    fix_err = fix.stderr.decode().splitlines()
    assert fix.returncode in ((2,) if limits else (0, 1)) and unexplained_errors(fix_err, tmp_path) == [], fix_err[:20]
    summary = re.match(r"Fixed (\d+) problems? in (\d+) files?", fix_err[-1])
    assert summary, fix_err[-1]
    broken = [str(path) for path in compiled if not compiles(path)]
    assert broken == []

    before = digests(files)
    again, again_seconds = memlint("--fix", "--unsafe-fixes", "stdlib", cwd=tmp_path)
    again_err = again.stderr.decode().splitlines()
    assert again.returncode in ((2,) if limits else (0, 1)) and not again_err[-1].startswith("Fixed"), again_err
    assert digests(files) == before

    warned = [line for line in fix_err if line.startswith("memlint: warning:")]
    print(
        f"\nPython {sys.version.split()[0]}: {len(files)} files ({len(compiled)} compile), "
        f"{len(findings)} findings, lint {lint_seconds:.0f} s; --fix --unsafe-fixes: "
        f"{summary[1]} fixes in {summary[2]} files, {len(warned)} warnings, {fix_seconds:.0f} s; "
        f"second --fix: {again_seconds:.0f} s"
    )
    print("\n".join(warned))
