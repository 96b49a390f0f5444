"""The release artifacts: an sdist and a wheel built offline from a copy of
this tree (``python -m build --no-isolation``), checked as the package index
would check them, and the wheel installed and run."""
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

import memlint
from memlint.docs import render_rule
from memlint.registry import get_registry

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ["3.9", "3.10", "3.11", "3.12", "3.13"]
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", ".ci-venv*", "__pycache__", "*.egg-info", "build", "dist", ".memlint_cache", ".pytest_cache"
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    source = tmp_path_factory.mktemp("source") / "memlint"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return sdist, wheel


def _packages(directory, package):
    """Import names of every package (a directory with __init__.py) below ``directory``."""
    return {
        ".".join([package, *Path(path).relative_to(directory).parts])
        for path, _, files in os.walk(directory)
        if "__init__.py" in files and "__pycache__" not in path
    }


def test_twine_check_passes(dist):
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_wheel_holds_every_package_the_rule_pages_and_the_license(dist):
    _, wheel = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = _packages(ROOT / "memlint", "memlint") | _packages(ROOT / "rules", "memlint.rules")
    assert {p.replace(".", "/") + "/__init__.py" for p in packages} <= names
    assert {f"memlint/rules/{p.name}" for p in (ROOT / "rules").glob("*.py")} <= names
    assert {f"memlint/ruledocs/{p.name}" for p in (ROOT / "docs" / "rules").glob("*.md")} <= names
    assert "memlint/py.typed" in names
    assert "memlint/profiling/sitecustomize.py" in names  # memlint profile's probe, run in the profiled program
    assert f"pymemlint-{memlint.__version__}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.split("/")[0] in ("rules", "tests", "docs", "fixtures", "benchmarks")]


def test_metadata(dist):
    _, wheel = dist
    with zipfile.ZipFile(wheel) as archive:
        metadata = HeaderParser().parsestr(archive.read(f"pymemlint-{memlint.__version__}.dist-info/METADATA").decode())
    from trove_classifiers import classifiers as known

    assert metadata["Version"] == memlint.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.9"
    classifiers = metadata.get_all("Classifier")
    assert [c for c in classifiers if c not in known] == []
    assert [c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")] == SUPPORTED
    assert {"Operating System :: OS Independent", "Typing :: Typed"} <= set(classifiers)
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Homepage", "Source", "Changelog", "Issues"}


def test_sdist_holds_what_the_wheel_is_built_from(dist):
    sdist, _ = dist
    prefix = f"pymemlint-{memlint.__version__}/"
    names = {name[len(prefix):] for name in tarfile.open(sdist).getnames()}
    assert {"LICENSE", "README.md", "pyproject.toml", "memlint/__init__.py", "rules/__init__.py", "docs/rules/MEM101.md"} <= names


def test_installed_wheel_runs(dist, tmp_path):
    _, wheel = dist
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    (tmp_path / "x.py").write_text("import gc\nwhile True:\n    gc.collect()\n")
    env = dict(os.environ, PYTHONPATH=str(target))

    def run(*args):
        return subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, env=env)

    where = run("-c", "import memlint, memlint.rules, memlint.analysis; print(memlint.__file__, memlint.rules.__file__)")
    assert where.stdout.split() == [str(target / "memlint" / "__init__.py"), str(target / "memlint" / "rules" / "__init__.py")]
    assert run("-m", "memlint", "--version").stdout == f"memlint {memlint.__version__}\n"
    assert run("-m", "memlint", "rule", "MEM602", "--format", "markdown").stdout == render_rule(get_registry().get("MEM602")) + "\n"
    lint = run("-m", "memlint", "--no-cache", "x.py")
    assert lint.stdout.splitlines() == ["x.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]
