"""Rule documentation generated from the rule classes.

``python -m memlint.docs [DIR]`` writes ``DIR/MEMxxx.md`` for every rule and an
index (default ``docs/rules``); a test fails when the committed files differ.
The wheel installs these pages as ``memlint/ruledocs``, so that ``memlint rule
CODE`` prints a built-in rule's page without importing libcst or any rule.
"""
from __future__ import annotations

import inspect
import os
import re
import sys
from typing import TYPE_CHECKING, Dict, List, Optional, Type

if TYPE_CHECKING:  # reading a generated page must not import libcst
    from memlint.rule import Rule

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")


def docstring_sections(rule: Type[Rule]) -> List[str]:
    doc = inspect.cleandoc(rule.__doc__ or "")
    return [line[3:].strip() for line in doc.splitlines() if line.startswith("## ")]


def missing_sections(rule: Type[Rule]) -> List[str]:
    present = docstring_sections(rule)
    required = list(REQUIRED_SECTIONS)
    if rule.options:
        required.append("Options")
    return [s for s in required if s not in present]


def _fix_line(rule: Type[Rule]) -> str:
    from memlint.rule import FixAvailability

    if rule.fix_availability is FixAvailability.NONE:
        return "no fix"
    return f"fix {rule.fix_availability.value}, {rule.applicability.value}"


def _printable(source: str) -> str:
    """Case sources may carry raw bytes as surrogates; show them as escapes."""
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").rstrip()


def render_rule(rule: Type[Rule]) -> str:
    lines = [
        f"# {rule.code}: {rule.name}",
        "",
        f"*Message:* `{rule.message}`  ",
        f"*Fix:* {_fix_line(rule)}  ",
        f"*Status:* {_status_line(rule)}",
        "",
        inspect.cleandoc(rule.__doc__ or "").strip(),
    ]
    if rule.options:
        lines += ["", "## Option defaults", ""]
        lines += [f"- `{name}` = `{value!r}`" for name, value in rule.options.items()]
    lines += ["", "## Examples from the tests", "", "Reported:"]
    for case in rule.INVALID:
        lines += ["", "```python", _printable(case.source), "```"]
        if case.expected_fixed is not None:
            lines += ["", "Fixed:", "", "```python", _printable(case.expected_fixed), "```"]
    lines += ["", "Not reported:"]
    for valid in rule.VALID:
        lines += ["", "```python", _printable(valid.source), "```"]
    return "\n".join(lines) + "\n"


def _status_line(rule: Type[Rule]) -> str:
    from memlint.registry import preview_reason

    reason = preview_reason(rule)
    return "on by default" if reason is None else f"preview (runs with `--preview`): {reason}"


def _status_word(rule: Type[Rule]) -> str:
    from memlint.registry import preview_reason

    return "on" if preview_reason(rule) is None else "preview"


def render_index(rules: List[Type[Rule]]) -> str:
    lines = ["# memlint rules", "", "| code | name | fix | status |", "|---|---|---|---|"]
    lines += [
        f"| [{r.code}]({r.code}.md) | {r.name} | {_fix_line(r)} | {_status_word(r)} |"
        for r in rules
    ]
    return "\n".join(lines) + "\n"


def expected_files(rules: List[Type[Rule]]) -> Dict[str, str]:
    files = {f"{rule.code}.md": render_rule(rule) for rule in rules}
    files["README.md"] = render_index(rules)
    return files


def rule_url(rule: Optional[type]) -> Optional[str]:
    """The page of a built-in rule; a rule pack's rules have none here."""
    if rule is None or not rule.__module__.startswith("memlint.rules."):
        return None
    from memlint.urls import RULE_PAGES

    return f"{RULE_PAGES}{getattr(rule, 'code')}"


# The first line of a rule's page, as render_rule writes it.
_PAGE_TITLE = re.compile(r"# ([A-Z]{1,3}[0-9]{3}): ([a-z0-9-]+)")


def _page_directories() -> List[str]:
    """Where the generated pages are: installed beside the package (the wheel
    maps docs/rules to memlint/ruledocs) or, in a source tree (an editable
    install), docs/rules itself."""
    package = os.path.dirname(os.path.abspath(__file__))
    directories = [os.path.join(package, "ruledocs")]
    tree = os.path.dirname(package)
    if os.path.isfile(os.path.join(tree, "pyproject.toml")):
        directories.append(os.path.join(tree, "docs", "rules"))
    return directories


def generated_page(code_or_name: str) -> Optional[str]:
    """The generated page of a built-in rule, by code or name (matched as the
    registry matches them), or None: a rule pack's rule must be rendered."""
    for directory in _page_directories():
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                text = handle.read()
            title = _PAGE_TITLE.fullmatch(text.partition("\n")[0])
            if title and (title.group(1) == code_or_name.upper() or title.group(2) == code_or_name):
                return text
        return None
    return None


def main(argv: List[str]) -> int:
    from memlint.registry import get_registry

    directory = argv[0] if argv else os.path.join("docs", "rules")
    os.makedirs(directory, exist_ok=True)
    builtin = [r for r in get_registry().rules if r.__module__.startswith("memlint.rules.")]
    for name, text in expected_files(builtin).items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    print(f"wrote {len(builtin) + 1} files to {directory}")
    if not argv:  # the schema and configuration reference list the rules too
        from memlint import config_schema

        config_schema.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
