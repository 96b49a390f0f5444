"""The JSON schema of [tool.memlint] (docs/schema/memlint.schema.json) and the
configuration reference (docs/configuration.md) are generated from
memlint.config.OPTIONS; the schema accepts what memlint accepts and rejects
what it rejects."""
import json
import sys
from pathlib import Path

import jsonschema
import pytest

from memlint.config import OPTIONS, STRING_LIST, settings_from_table
from memlint.config_schema import builtin_rules, config_schema, expected_files, render_page
from memlint.errors import ConfigError
from memlint.registry import get_registry

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def schema():
    return config_schema(builtin_rules())


def test_schema_and_reference_are_generated_and_current():
    for name, text in expected_files(builtin_rules()).items():
        path = DOCS / name
        assert path.exists(), f"{path} missing: run python -m memlint.config_schema"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m memlint.config_schema"


def test_the_schema_is_valid_draft_07_with_every_key_of_the_option_table(schema):
    jsonschema.Draft7Validator.check_schema(schema)
    assert list(schema["properties"]) == list(OPTIONS)
    assert schema["additionalProperties"] is False


def memlint_accepts(table, tmp_path):
    try:
        settings_from_table(table, str(tmp_path / "pyproject.toml"), get_registry())
    except ConfigError:
        return False
    return True


def schema_accepts(table, schema):
    return jsonschema.Draft7Validator(schema).is_valid(table)


def memlint_table(text):
    return tomllib.loads("[tool.memlint]\n" + text)["tool"]["memlint"]


VALID = [
    "",
    'select = ["MEM"]\nignore = ["MEM603"]\nextend-select = ["MEM101"]',
    'select = ["ALL", "mem2", "M", "MEM10", "missing-slots", "all"]',  # codes in any case, prefixes, names
    'fixable = ["MEM2"]\nunfixable = ["MEM101", "unbounded-cache"]',
    'exclude = ["build"]\nextend-exclude = ["migrations", "*.pyi"]',
    'per-file-ignores = { "tests/*" = ["MEM5", "gc-collect-in-loop"], "x.py" = [] }',
    'target-version = "py310"',
    'target-version = "3.9"',
    'target-version = " 3.12.1 "',
    "file-timeout = 0",
    "file-timeout = 2.5",
    "unsafe-fixes = true\npreview = false\nenable-inference = true\nreport-unknown = true",
    'baseline = "memlint-baseline.json"',
    "[tool.memlint.rules.MEM301]\nmaxsize = 4096",
    "[tool.memlint.rules.mem301]\nmaxsize = -1",  # memlint checks the type only
    '[tool.memlint.rules.missing-slots]\nmin-attributes = 3\nignore-bases = ["Base"]\nignore-decorators = []',
    '[tool.memlint.rules.MEM501]\nextra-resources = ["mylib.Connection"]\nignore-resources = []',
    "[tool.memlint.rules.MEM601]",  # a rule without options: an empty table
]


@pytest.mark.parametrize("text", VALID)
def test_valid_configurations_pass_memlint_and_the_schema(text, schema, tmp_path):
    table = memlint_table(text)
    assert memlint_accepts(table, tmp_path)
    assert schema_accepts(table, schema)


INVALID = [
    "selct = []",  # an unknown key
    'select = ["BOGUS1"]',
    'select = ["MEM9"]',  # not a prefix of any built-in code
    'ignore = ["missing-slot"]',  # not a rule's name
    'extend-select = ["MEM1x"]',
    'fixable = ["Missing-Slots"]',  # names are case-sensitive
    'per-file-ignores = { "tests/*" = "MEM5" }',
    'per-file-ignores = { "tests/*" = ["MEM999"] }',
    'per-file-ignores = { "tests/*" = [5] }',
    'target-version = "banana"',
    'target-version = "py3"',
    'target-version = "3"',
    "file-timeout = -1",
    "line-length = 0",
    "[tool.memlint.rules.MEM999]",
    "[tool.memlint.rules.missing-slot]",
    "[tool.memlint.rules.MEM601]\nx = 1",
    '[tool.memlint.rules.MEM301]\nmaxsize = "big"',
    "[tool.memlint.rules.MEM301]\nmaxsize = true",
    "[tool.memlint.rules.MEM301]\nmaxsize = 1.5",
    '[tool.memlint.rules.MEM101]\nignore-bases = "Base"',
    "[tool.memlint.rules.MEM101]\nignore-bases = [1]",
    "[tool.memlint.rules]\nMEM301 = 5",  # not a table
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_configurations_fail_memlint_and_the_schema(text, schema, tmp_path):
    table = memlint_table(text)
    assert not memlint_accepts(table, tmp_path)
    assert not schema_accepts(table, schema)


# A value of each TOML type; every key is given each value that is not of its type.
VALUES_BY_TYPE = {
    STRING_LIST: ["MEM"],
    "boolean": True,
    "string": "x",
    "number": 2.5,  # not an integer either
    "table": {},
}


@pytest.mark.parametrize("key", list(OPTIONS))
def test_every_key_with_a_value_of_another_type_fails_memlint_and_the_schema(key, schema, tmp_path):
    wrong = [value for kind, value in VALUES_BY_TYPE.items() if kind != OPTIONS[key].type]
    wrong += [["MEM", 1], 1.5 if OPTIONS[key].type != "number" else "1.5"]
    for value in wrong:
        table = {key: value}
        assert not memlint_accepts(table, tmp_path), table
        assert not schema_accepts(table, schema), table


def test_the_documented_exceptions(schema, tmp_path):
    # A rule pack's code may name rules the schema cannot know: accepted by code only.
    pack = {"select": ["XYZ1"], "rules": {"XYZ100": {"anything": 1}}}
    assert schema_accepts(pack, schema) and not memlint_accepts(pack, tmp_path)
    # JSON Schema counts 1024.0 as an integer; TOML and memlint do not.
    integral_float = memlint_table("[tool.memlint.rules.MEM301]\nmaxsize = 1024.0")
    assert schema_accepts(integral_float, schema) and not memlint_accepts(integral_float, tmp_path)


def test_the_reference_shows_every_key_its_default_and_every_rule_option(schema):
    page = render_page(schema)
    for key, option in OPTIONS.items():
        assert f"### `{key}`\n\n{option.help}\n" in page
    assert "*Default:* `[\"ALL\"]`" in page.split("### `select`", 1)[1]
    assert "| [MEM301](rules/MEM301.md) | `maxsize` | integer | `1024` |" in page
    for rule in builtin_rules():
        for option in rule.options:
            assert f"| [{rule.code}](rules/{rule.code}.md) | `{option}` |" in page


def test_the_checked_in_schema_validates_a_real_pyproject(repo_root):
    # memlint's own [tool.memlint], through the checked-in file as a user would read it.
    schema = json.loads((DOCS / "schema" / "memlint.schema.json").read_text(encoding="utf-8"))
    with open(repo_root / "pyproject.toml", "rb") as handle:
        jsonschema.validate(tomllib.load(handle)["tool"]["memlint"], schema)
