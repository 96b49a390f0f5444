"""docs/rules is generated from the rule classes and must be up to date."""
from pathlib import Path

from memlint.docs import expected_files
from memlint.registry import get_registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def test_rule_docs_are_generated_and_current():
    builtin = [r for r in get_registry().rules if r.__module__.startswith("memlint.rules.")]
    for name, text in expected_files(builtin).items():
        path = DOCS / name
        assert path.exists(), f"{path} missing: run python -m memlint.docs"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m memlint.docs"
