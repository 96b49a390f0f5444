"""MEM1 with Tier 2 (astroid) and --report-unknown: bases in other modules."""
import json
import subprocess
import sys
import textwrap

import pytest

from memlint import inference
from memlint.config import Settings
from memlint.engine import lint_bytes
from memlint.registry import get_registry

BASES = """
    class SlottedBase:
        __slots__ = ("id",)

    class DictBase:
        def __init__(self):
            self.anything = 1

    class Deep(SlottedBase):
        __slots__ = ()

    class TupleBase(tuple):
        __slots__ = ()
"""


def _lint(tmp_path, code, source, **settings):
    (tmp_path / "bases.py").write_text(textwrap.dedent(BASES).lstrip("\n"))
    path = tmp_path / "user.py"
    path.write_text(textwrap.dedent(source).lstrip("\n"))
    rule = get_registry().get(code)
    result, _ = lint_bytes(path.read_bytes(), str(path), Settings(select=(code,), **settings), [rule])
    assert result.errors == []
    return [(d.code, d.line, d.message) for d in result.diagnostics]


SUBCLASS = """
    from bases import {base}

    class Point({base}):
        def __init__(self, x):
            self.x = x
"""


@pytest.mark.parametrize("base, reported", [("SlottedBase", True), ("Deep", True), ("DictBase", False)])
def test_missing_slots_asks_astroid_about_the_base(tmp_path, base, reported):
    source = SUBCLASS.format(base=base)
    assert _lint(tmp_path, "MEM101", source) == []  # Tier 0: another module means "don't know"
    found = _lint(tmp_path, "MEM101", source, enable_inference=True)
    assert [line for _, line, _ in found] == ([3] if reported else [])


def test_ineffective_slots_under_a_dict_base_in_another_module(tmp_path):
    source = """
        from bases import DictBase, SlottedBase

        class A(DictBase):
            __slots__ = ("a",)

        class B(SlottedBase):
            __slots__ = ("b",)
    """
    assert _lint(tmp_path, "MEM105", source) == []
    found = _lint(tmp_path, "MEM105", source, enable_inference=True)
    assert [(code, line) for code, line, _ in found] == [("MEM105", 3)]


def test_uninferable_base_is_reported_only_with_report_unknown(tmp_path):
    source = """
        from nowhere_to_be_found import Base

        class A(Base):
            __slots__ = ("a",)
    """
    assert _lint(tmp_path, "MEM105", source, enable_inference=True) == []
    found = _lint(tmp_path, "MEM105", source, enable_inference=True, report_unknown=True)
    assert [(line, "unknown" in message) for _, line, message in found] == [(3, True)]
    found = _lint(tmp_path, "MEM101", SUBCLASS.format(base="Base").replace("bases", "nowhere"), report_unknown=True)
    assert [(line, "unknown" in message) for _, line, message in found] == [(3, True)]


def test_inference_failures_are_counted_not_raised(tmp_path, monkeypatch):
    import astroid

    def broken(*args, **kwargs):
        raise RecursionError("astroid blew up")

    monkeypatch.setattr(astroid, "parse", broken)
    before = inference.STATS["failures"]
    assert _lint(tmp_path, "MEM101", SUBCLASS.format(base="SlottedBase"), enable_inference=True) == []
    assert inference.STATS["failures"] == before + 1


def test_astroid_is_not_imported_without_inference(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(textwrap.dedent(SUBCLASS.format(base="SlottedBase")))
    script = (
        "import sys\n"
        "from memlint.config import Settings\n"
        "from memlint.engine import lint_bytes\n"
        "from memlint.registry import get_registry\n"
        "rules = [get_registry().get(c) for c in ('MEM101', 'MEM102', 'MEM105', 'MEM106')]\n"
        f"lint_bytes(open({str(path)!r}, 'rb').read(), 'user.py', Settings(), rules)\n"
        "print('astroid' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_project_modules_resolve_from_the_package_root_without_sys_path(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for init in (tmp_path / "pkg" / "__init__.py", tmp_path / "pkg" / "sub" / "__init__.py"):
        init.write_text("")
    (tmp_path / "pkg" / "bases.py").write_text(textwrap.dedent(BASES))
    user = tmp_path / "pkg" / "sub" / "user.py"
    user.write_text(textwrap.dedent(SUBCLASS.format(base="SlottedBase")).lstrip("\n").replace("from bases", "from pkg.bases"))
    path_before = list(sys.path)
    rule = get_registry().get("MEM101")
    result, _ = lint_bytes(user.read_bytes(), str(user), Settings(select=("MEM101",), enable_inference=True), [rule])
    assert [(d.code, d.line) for d in result.diagnostics] == [("MEM101", 3)]
    assert sys.path == path_before


# Run memlint or flake8 with an audit hook that records every module loaded
# from the linted tree (the "import" event names the file of an extension).
HOSTILE_PROBE = """
import json, os, sys
tree = os.path.realpath(sys.argv[1])
loaded = []
def hook(event, args):
    if event == "import" and args[1] and os.path.realpath(str(args[1])).startswith(tree + os.sep):
        loaded.append(os.path.relpath(args[1], tree))
sys.addaudithook(hook)
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
if sys.argv[2] == "tree-on-sys-path":  # as under `python -m`, and worse: first
    sys.path.insert(0, tree)
if sys.argv[3] == "memlint":
    from memlint.cli import main
    code = main(["--no-cache", "-j1", "user.py", "pkg/user2.py"])
else:
    from flake8.main.cli import main
    code = main(["--select", "MEM", "--jobs", "1", "user.py", "pkg/user2.py"])
print(json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.mark.parametrize("front_end", ["memlint", "flake8"])
@pytest.mark.parametrize("sys_path", ["tree-off-sys-path", "tree-on-sys-path"])
def test_a_hostile_repository_cannot_run_code_through_inference(tmp_path, front_end, sys_path):
    """The repository enables inference in its own pyproject.toml and ships a
    C extension named like a standard-library module (any bytes: a load is
    seen by the audit hook) and a module that writes a file when imported."""
    import importlib.machinery

    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[tool.memlint]\nenable-inference = true\npreview = true\n")
    (repo / f"winreg{suffix}").write_bytes(b"\x7fELF not really a shared object")
    (repo / "pkg" / f"winsound{suffix}").write_bytes(b"\x7fELF not really a shared object")
    marker = tmp_path / "side-effect-ran"
    (repo / "winsound.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\nclass Base: pass\n")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "user.py").write_text("from winreg import Base\n\nclass A(Base):\n    __slots__ = ('a',)\n")
    (repo / "pkg" / "user2.py").write_text("from winsound import Base\n\nclass B(Base):\n    __slots__ = ('b',)\n")
    run = subprocess.run(
        [sys.executable, "-c", HOSTILE_PROBE, str(repo), sys_path, front_end], cwd=repo, capture_output=True, text=True
    )
    *output, outcome = run.stdout.splitlines()
    assert json.loads(outcome) == {"code": 1, "loaded": []}, run.stderr
    assert not marker.exists()
    # winsound.py was read from source, not imported: its Base gives instances a __dict__
    assert output == ["pkg/user2.py:3:7: MEM105 `__slots__` of `B` saves nothing: a base class gives instances a `__dict__`"]
