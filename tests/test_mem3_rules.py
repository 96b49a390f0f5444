"""MEM3 and MEM406 together: shared facts, findings on one line, the issue's negatives."""
import textwrap

import pytest

import memlint.analysis.flow
from memlint.analysis.project import single_file_project
from memlint.config import Settings
from memlint.engine import lint_bytes
from memlint.registry import get_registry
from memlint.testing import lint_project

CODES = ("MEM301", "MEM302", "MEM303", "MEM304", "MEM305", "MEM306", "MEM406")
RULES = [get_registry().get(code) for code in CODES]


def lint_all(source):
    settings = Settings(select=CODES, target_version=(3, 12), rule_options={}, unsafe_fixes=True)
    text = textwrap.dedent(source).lstrip("\n")
    result, _ = lint_bytes(text.encode(), "example.py", settings, RULES, single_file_project(text.encode()))
    assert result.errors == []
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def test_self_registration_in_a_module_list_is_both_growth_and_a_lifetime_leak():
    found = lint_all(
        """
        _all = []

        class Conn:
            def __init__(self):
                _all.append(self)
        """
    )
    assert found == [("MEM303", 5, 9), ("MEM406", 5, 9)]


def test_module_facts_are_computed_once_per_file(monkeypatch):
    calls = []
    original = memlint.analysis.flow.ModuleFacts.__init__

    def counting(self, context):
        calls.append(context.filename)
        original(self, context)

    monkeypatch.setattr(memlint.analysis.flow.ModuleFacts, "__init__", counting)
    lint_all("_all = []\nclass C:\n    def __init__(self):\n        _all.append(self)\n")
    assert calls == ["example.py"]


ISSUE_NEGATIVES = {
    "cache on a zero-argument function": """
        from functools import cache

        @cache
        def settings():
            return {}
        """,
    "lru_cache(maxsize=128)": """
        import functools as ft

        @ft.lru_cache(maxsize=128)
        def parse(text):
            return text.split()
        """,
    "getLogger(__name__)": """
        import logging

        def handler():
            return logging.getLogger(__name__)
        """,
    "a module dict filled at import by a decorator registry": """
        COMMANDS = {}

        def command(fn):
            COMMANDS[fn.__name__] = fn
            return fn

        @command
        def status():
            return "ok"
        """,
    "atexit.register(module_function) (MEM405's business, not MEM3's)": """
        import atexit

        _resources = []

        def _cleanup():
            for resource in _resources:
                resource.close()
            _resources.clear()

        def track(resource):
            _resources.append(resource)

        atexit.register(_cleanup)
        """,
}


@pytest.mark.parametrize("source", ISSUE_NEGATIVES.values(), ids=list(ISSUE_NEGATIVES))
def test_issue_negatives_report_nothing(source):
    assert lint_all(source) == []


# -- the project's other modules (RULES.md, "Project-wide facts") -------------------

TRANSLATIONS = """
_translations = {}

def translation(language):
    if language not in _translations:
        _translations[language] = load(language)
    return _translations[language]
"""


def growth_in_trans(other_module=None):
    """MEM303's findings in pkg/trans.py, alone or beside another module (path, source)."""
    files = {"pkg/__init__.py": "", "pkg/trans.py": TRANSLATIONS}
    if other_module is not None:
        files[other_module[0]] = other_module[1]
    found = lint_project(get_registry().get("MEM303"), files, "pkg/trans.py")
    return [(d.code, d.line, d.column) for d in found]


@pytest.mark.parametrize(
    "other",
    [
        ("pkg/reloader.py", "from pkg import trans\n\ndef reset(**kw):\n    trans._translations = {}\n"),
        ("pkg/support.py", "from pkg.trans import _translations\n\ndef reset():\n    _translations.clear()\n"),
    ],
    ids=["rebinds", "clears"],
)
def test_a_container_another_module_empties_is_not_reported(other):
    assert growth_in_trans() == [("MEM303", 6, 9)]
    assert growth_in_trans(other) == []


@pytest.mark.parametrize("code, lines", [("MEM301", [6, 11]), ("MEM302", [11]), ("MEM303", [8])])
def test_unknown_other_modules_mean_silence(code, lines):
    source = textwrap.dedent(
        """
        import functools

        _cache = {}

        @functools.cache
        def load(name):
            _cache[name] = compute(name)

        class Report:
            @functools.cache
            def total(self, year):
                return year
        """
    ).encode()
    rule = get_registry().get(code)
    settings = Settings(select=(code,), rule_options={}, unsafe_fixes=True)
    for project in (None, single_file_project(source, complete=False)):
        result, _ = lint_bytes(source, "example.py", settings, [rule], project)
        assert (result.errors, result.diagnostics) == ([], [])
    result, _ = lint_bytes(source, "example.py", settings, [rule], single_file_project(source))
    assert [(d.code, d.line) for d in result.diagnostics] == [(code, line) for line in lines]
