"""MEM1 with Tier 2 (astroid) and --report-unknown: bases in other modules."""
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
