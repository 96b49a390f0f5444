"""MEM3 and MEM406 together: shared facts, findings on one line, the issue's negatives."""
import textwrap

import pytest

import memlint.analysis.flow
from memlint.analysis.project import single_file_project
from memlint.config import Settings
from memlint.engine import lint_bytes
from memlint.registry import get_registry

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
