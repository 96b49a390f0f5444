"""``memlint rule``: a rule's page for a terminal, or all rules as JSON.

The page is the generated Markdown (:func:`memlint.docs.render_rule`). A
reader at a terminal wants its prose and its chosen examples, not the test
cases appended for the docs site, and no Markdown punctuation: headings are
underlined (bold on a colour terminal), code blocks indented, links spelled
out, and the rule's page URL ends it.
"""
from __future__ import annotations

import inspect
import json
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Type

if TYPE_CHECKING:
    from memlint.rule import Rule

# Where the generated page's dump of the rule's test cases starts.
TEST_CASES_HEADING = "## Examples from the tests"

_BOLD, _CODE, _RESET = "\x1b[1m", "\x1b[36m", "\x1b[0m"
_INLINE_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def for_terminal(page: str, url: Optional[str], colour: bool) -> str:
    """A generated rule page as text for a terminal (``colour``: ANSI bold
    headings and coloured code, else plain underlines and backticks)."""
    prose = page.split(f"\n{TEST_CASES_HEADING}\n", 1)[0].rstrip("\n")
    out: List[str] = []
    in_code = False
    for line in prose.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            out.append(f"    {_CODE}{line}{_RESET}" if colour and line else f"    {line}".rstrip())
        elif line.startswith("#"):
            out.extend(_heading(line, colour))
        else:
            out.append(_inline(line.rstrip(), colour))
    if url is not None:
        out += ["", f"Documentation: {url}"]
    return "\n".join(out) + "\n"


def builtin_page_url(page: str) -> str:
    """The URL of a built-in rule's generated page, from its title line."""
    from memlint.urls import RULE_PAGES

    code = page.partition("\n")[0].lstrip("# ").partition(":")[0]
    return f"{RULE_PAGES}{code}"


def _heading(line: str, colour: bool) -> List[str]:
    level = len(line) - len(line.lstrip("#"))
    text = _inline(line[level:].strip(), False)
    if colour:
        return [f"{_BOLD}{text}{_RESET}"]
    return [text, ("=" if level == 1 else "-") * len(text)]


def _inline(text: str, colour: bool) -> str:
    text = _LINK.sub(r"\1 <\2>", text)
    text = _EMPHASIS.sub(r"\1", text)
    if colour:
        text = _INLINE_CODE.sub(lambda match: f"{_CODE}{match.group(1)}{_RESET}", text)
    return text


def rules_json(rules: Sequence[Type[Rule]], url_for: Callable[[Type[Rule]], Optional[str]]) -> str:
    """Every rule's facts and explanation, as ``ruff rule --all --output-format json``."""
    return json.dumps([_rule_data(rule, url_for(rule)) for rule in rules], indent=2) + "\n"


def _rule_data(rule: Type[Rule], url: Optional[str]) -> Dict[str, Any]:
    from memlint.registry import preview_reason
    from memlint.rule import FixAvailability

    fixable = rule.fix_availability is not FixAvailability.NONE
    return {
        "code": rule.code,
        "name": rule.name,
        "message": rule.message,
        "fix": rule.fix_availability.value,
        "fix_applicability": rule.applicability.value if fixable else None,
        "options": {name: _jsonable(value) for name, value in rule.options.items()},
        "preview": preview_reason(rule),  # why the rule runs only with --preview; null: on by default
        "explanation": inspect.cleandoc(rule.__doc__ or "") + "\n",  # the Markdown of the rule's docstring
        "url": url,
    }


def _jsonable(value: Any) -> Any:
    """An option default as JSON has it (tuples and sets as lists)."""
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return value
