"""The JSON schema of ``[tool.memlint]`` and the configuration reference, generated.

Both come from the one table of keys, :data:`memlint.config.OPTIONS` (types,
defaults from :class:`memlint.config.Settings`, descriptions), and from the
built-in rules (their codes and names for the rule selectors, their option
defaults for ``[tool.memlint.rules.X]``). The page is rendered from the schema
alone. ``python -m memlint.config_schema [DOCS_DIR]`` writes
``schema/memlint.schema.json`` and ``configuration.md`` (default ``docs``); a
test fails when the committed files differ.

The schema accepts what memlint accepts, with two exceptions it cannot
express: a rule pack's rules are known by code only (any code outside
``MEM``: the schema cannot know which packs are installed), and a TOML float
with an integral value (``1.0``) is an integer to JSON Schema.
"""
from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Type

from memlint.config import (
    AT_LEAST_ONE, IGNORES, OPTIONS, RULE_OPTIONS, SECONDS, SELECTORS, STRING_LIST, VERSION, Option, Settings,
)
from memlint.urls import DOCUMENTATION

if TYPE_CHECKING:
    from memlint.rule import Rule

SCHEMA_FILE = os.path.join("schema", "memlint.schema.json")
PAGE_FILE = "configuration.md"
SCHEMA_URL = f"{DOCUMENTATION}schema/memlint.schema.json"

# A rule pack's code (registry.CODE_RE) or a prefix of one, outside memlint's MEM.
_PACK_CODE = r"(?![Mm][Ee][Mm])[A-Za-z]{1,3}[0-9]{0,3}"
_PACK_FULL_CODE = r"(?![Mm][Ee][Mm])[A-Za-z]{1,3}[0-9]{3}"
# parse_version: py310, 3.10 or 3.10.2, surrounding white space allowed.
_VERSION_PATTERN = r"^\s*(?:py[0-9][0-9]+|[0-9]+\.[0-9]+(?:\.[0-9]+)?)\s*$"

_JSON_TYPES: Dict[str, Dict[str, Any]] = {
    STRING_LIST: {"type": "array", "items": {"type": "string"}},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "table": {"type": "object"},
}


def _caseless(text: str) -> str:
    """A regex matching ``text`` in any case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


def _prefixes_regex(words: Sequence[str]) -> str:
    """A regex matching every non-empty prefix of ``words``, in any case."""
    trie: Dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
    return _trie_regex(trie)


def _trie_regex(trie: Mapping[str, Any]) -> str:
    branches = [_caseless(char) + (f"(?:{_trie_regex(rest)})?" if rest else "") for char, rest in sorted(trie.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _selector(rules: Sequence[Type[Rule]]) -> Dict[str, Any]:
    """Registry.expand's selectors: ALL, a prefix of a code (any case), a rule's name."""
    names = "|".join(re.escape(rule.name) for rule in rules)
    codes = _prefixes_regex([rule.code for rule in rules])
    return {
        "type": "string",
        "description": "A rule code (`MEM202`), a code prefix (`MEM2`), a rule name or `ALL`; "
        "a rule pack's rules by code.",
        "pattern": f"^(?:{_caseless('ALL')}|{codes}|{names}|{_PACK_CODE})$",
    }


def _option_value(default: Any) -> Dict[str, Any]:
    """The schema of a rule option, typed by its default (validate_rule_options)."""
    if isinstance(default, bool):
        kind: Dict[str, Any] = {"type": "boolean"}
    elif isinstance(default, (list, tuple)):
        kind, default = {"type": "array", "items": {"type": "string"}}, list(default)
    elif isinstance(default, float):
        kind = {"type": "number"}
    elif isinstance(default, int):
        kind = {"type": "integer"}
    elif isinstance(default, str):
        kind = {"type": "string"}
    else:
        raise TypeError(f"no JSON schema for a rule option defaulting to {default!r}")
    return {**kind, "default": default}


def _rule_tables(rules: Sequence[Type[Rule]]) -> Dict[str, Any]:
    tables: Dict[str, Any] = {
        f"^(?:{_caseless(rule.code)}|{re.escape(rule.name)})$": {
            "type": "object",
            "title": rule.code,
            "description": f"Options of {rule.code} ({rule.name}).",
            "properties": {name: _option_value(default) for name, default in rule.options.items()},
            "additionalProperties": False,
        }
        for rule in rules
    }
    tables[f"^{_PACK_FULL_CODE}$"] = {"type": "object", "description": "Options of a rule pack's rule."}
    return tables


def _default(option: Option) -> Optional[Any]:
    """The key's default as TOML writes it (Settings' field), if it has a fixed one."""
    value = getattr(Settings(), option.attr)
    if option.type == STRING_LIST:
        return list(value)
    if option.type == "table":
        return dict(value)
    if option.type == "string":  # target-version's is computed, baseline has none
        return value if isinstance(value, str) else None
    return value


def _property(option: Option, rules: Sequence[Type[Rule]]) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"description": option.help, **_JSON_TYPES[option.type]}
    if option.value == SELECTORS:
        schema["items"] = {"$ref": "#/definitions/selector"}
    elif option.value == IGNORES:
        schema["additionalProperties"] = {"type": "array", "items": {"$ref": "#/definitions/selector"}}
    elif option.value == VERSION:
        schema["pattern"] = _VERSION_PATTERN
    elif option.value == SECONDS:
        schema["minimum"] = 0
    elif option.value == AT_LEAST_ONE:
        schema["minimum"] = 1
    elif option.value == RULE_OPTIONS:
        schema["patternProperties"] = _rule_tables(rules)
        schema["additionalProperties"] = False
    default = _default(option)
    if default is not None:
        schema["default"] = default
    return schema


def config_schema(rules: Sequence[Type[Rule]]) -> Dict[str, Any]:
    """The JSON schema (draft-07, as SchemaStore's pyproject.toml schema) of
    the ``[tool.memlint]`` table, for ``rules`` (the built-in ones)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_URL,
        "title": "[tool.memlint]",
        "description": "memlint's configuration: the [tool.memlint] table of pyproject.toml.",
        "type": "object",
        "properties": {key: _property(option, rules) for key, option in OPTIONS.items()},
        "additionalProperties": False,
        "definitions": {"selector": _selector(rules)},
    }


def schema_text(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# -- the reference page, from the schema --------------------------------------------

_TYPE_WORDS = {"array": "list of strings", "boolean": "boolean", "number": "number", "integer": "integer",
               "string": "string", "object": "table"}

_INTRO = """\
# Configuration

memlint reads the `[tool.memlint]` table of the nearest `pyproject.toml` above each
file that has one (`--config PYPROJECT` names the file instead; `memlint config PATH`
prints the settings that apply to a path). Command-line options override it: `--select`,
`--exclude` and `--target-version` replace its values, `--extend-select`, `--ignore` and
`--extend-exclude` add to them. Unknown keys, unknown rule options and values of the
wrong type are errors naming the file and the key.

```toml
[tool.memlint]
select = ["MEM"]
ignore = ["MEM603"]
extend-exclude = ["migrations"]
per-file-ignores = { "tests/*" = ["MEM5"] }
target-version = "py310"

[tool.memlint.rules.MEM301]
maxsize = 4096
```

## JSON schema

[`schema/memlint.schema.json`](schema/memlint.schema.json) is the JSON schema (draft-07)
of the `[tool.memlint]` table, generated from the same table of keys as this page. Editors
that validate TOML against a JSON schema can use it, and so can a check in CI:

```python
import json, tomllib  # Python 3.11+; tomli before
import jsonschema

with open("memlint.schema.json", encoding="utf-8") as handle:
    schema = json.load(handle)
with open("pyproject.toml", "rb") as handle:
    jsonschema.validate(tomllib.load(handle)["tool"]["memlint"], schema)
```

It accepts what memlint accepts, with two exceptions: it knows the built-in rules only, so
a rule pack's rules are accepted by code (any code outside `MEM`), and a float with an
integral value (`maxsize = 1024.0`) passes for an integer, as JSON Schema counts it.

## Keys
"""


def _type_word(schema: Mapping[str, Any]) -> str:
    return _TYPE_WORDS[schema["type"]]


def _toml(value: Any) -> str:
    """A default as TOML would write it (JSON's literals are TOML's for these)."""
    if isinstance(value, dict) and not value:
        return "{}"
    return json.dumps(value)


def _key_section(key: str, schema: Mapping[str, Any]) -> List[str]:
    lines = [f"### `{key}`", "", schema["description"], "", f"*Type:* {_type_word(schema)}  "]
    if "default" in schema:
        lines.append(f"*Default:* `{_toml(schema['default'])}`")
    else:
        lines.append("*Default:* none (see above)")
    return lines + [""]


def _rule_rows(tables: Mapping[str, Any]) -> List[str]:
    """A row per option of each built-in rule (titled by its code; a rule pack's entry has no title)."""
    return [
        f"| [{table['title']}](rules/{table['title']}.md) | `{option}` | {_type_word(value)} | `{_toml(value['default'])}` |"
        for table in tables.values() if "title" in table
        for option, value in table["properties"].items()
    ]


def render_page(schema: Mapping[str, Any]) -> str:
    lines = [_INTRO]
    for key, prop in schema["properties"].items():
        lines += _key_section(key, prop)
    rule_tables = schema["properties"]["rules"]["patternProperties"]
    lines += [
        "## Rule options",
        "",
        "A `[tool.memlint.rules.CODE]` table (the rule's code or name) sets the options of one "
        "rule; each option is explained on its rule's page. The rules not listed have no options.",
        "",
        "| rule | option | type | default |",
        "|---|---|---|---|",
        *_rule_rows(rule_tables),
    ]
    return "\n".join(lines) + "\n"


# -- writing ------------------------------------------------------------------------


def builtin_rules() -> List[Type[Rule]]:
    from memlint.registry import BUILTIN_PACKAGE, get_registry

    return [rule for rule in get_registry().rules if rule.__module__.startswith(BUILTIN_PACKAGE + ".")]


def expected_files(rules: Sequence[Type[Rule]]) -> Dict[str, str]:
    """Relative path below the docs directory -> its generated text."""
    schema = config_schema(rules)
    return {SCHEMA_FILE: schema_text(schema), PAGE_FILE: render_page(schema)}


def main(argv: List[str]) -> int:
    directory = argv[0] if argv else "docs"
    for name, text in expected_files(builtin_rules()).items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
