"""Output that cannot be injected: GitHub workflow commands escaped, SARIF
valid against the 2.1.0 schema, any file name printable in every format."""
import json
import os
import urllib.parse
from pathlib import Path

import jsonschema
import pytest

from memlint import urls
from memlint.diagnostics import Diagnostic, format_github, format_sarif, printable
from memlint.output import rule_urls
from memlint.registry import get_registry

LOOP = "import gc\nfor i in list(range(n)):\n    gc.collect()\n"
WITH_MEM202 = ("--extend-select", "MEM202")  # runs MEM202 even while the ledger keeps it in preview
URL_FOR = rule_urls(get_registry())
SCHEMA = json.loads((Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json").read_text())
HOSTILE_NAMES = [
    "a,line=99.py",  # would override the line property
    "b:c.py",
    "d::error::pwned.py",
    "100%0A.py",  # an escape sequence of its own
    "new\nline.py",  # would start a new workflow command
    "carriage\rreturn.py",
    "space # and ?.py",
    os.fsdecode(b"caf\xe9.py"),  # not UTF-8: a surrogate escape
]


def diagnostic(filename, message="gc.collect() inside a loop: each call walks the whole heap"):
    return Diagnostic(filename, 3, 5, 3, 17, "MEM602", "gc-collect-in-loop", message)


def parse_workflow_command(line):
    """(command, properties, data) as GitHub's runner parses a `::` line."""
    assert line.startswith("::")
    command, _, rest = line[2:].partition(" ")
    properties, _, data = rest.partition("::")

    def unescape(text, extra=()):
        for escaped, char in (("%0D", "\r"), ("%0A", "\n"), *extra, ("%25", "%")):
            text = text.replace(escaped, char)
        return text

    pairs = [item.split("=", 1) for item in properties.split(",")]
    return command, {key: unescape(value, (("%3A", ":"), ("%2C", ","))) for key, value in pairs}, unescape(data)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_github_commands_escape_hostile_file_names_and_messages(name):
    output = format_github([diagnostic(name, "100% bad: a,b\nsecond line\r")])
    [line] = output.splitlines()  # one command, whatever the name holds
    command, properties, data = parse_workflow_command(line)
    assert command == "warning"
    assert properties == {
        "title": "memlint (MEM602)", "file": printable(name), "line": "3", "col": "5", "endLine": "3", "endColumn": "17",
    }
    assert data == "MEM602 100% bad: a,b\nsecond line\r"


def test_github_escaping_follows_the_toolkit():
    [line] = format_github([diagnostic("x%,:\r\n.py", "%\r\n:,")]).splitlines()
    assert line == (
        "::warning title=memlint (MEM602),file=x%25%2C%3A%0D%0A.py,line=3,col=5,endLine=3,endColumn=17"
        "::MEM602 %25%0D%0A:,"
    )


def test_printable_shows_undecodable_bytes():
    assert printable(os.fsdecode(b"caf\xe9-\xff.py")) == "caf\\xe9-\\xff.py"
    assert printable("café.py") == "café.py"


def validate_sarif(text):
    log = json.loads(text)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    return log


def test_sarif_is_valid_for_hostile_names_and_uris_keep_every_byte(tmp_path):
    names = HOSTILE_NAMES + [str(tmp_path / "abs path" / "x.py"), os.path.join("sub", "c:d.py")]
    log = validate_sarif(format_sarif([diagnostic(name) for name in names], get_registry().rules, "1.0", URL_FOR))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    for name, uri in zip(names, uris):
        if os.path.isabs(name):
            assert uri.startswith("file:///") and urllib.parse.unquote_to_bytes(uri[len("file://"):]) == os.fsencode(name)
        else:
            assert urllib.parse.unquote_to_bytes(uri) == os.fsencode(name)
            assert ":" not in uri  # not read as a scheme ("c:" or "d:")
    assert [(rule["id"], rule["helpUri"]) for rule in log["runs"][0]["tool"]["driver"]["rules"]] == [
        (rule.code, f"{urls.RULE_PAGES}{rule.code}") for rule in get_registry().rules
    ]
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == urls.HOMEPAGE


def test_sarif_rules_without_a_page_have_no_help_uri():
    rules = get_registry().rules[:2]
    log = validate_sarif(format_sarif([], rules, "1.0", lambda code: None if code == rules[0].code else "https://x.invalid/"))
    assert [rule.get("helpUri") for rule in log["runs"][0]["tool"]["driver"]["rules"]] == [None, "https://x.invalid/"]


def test_sarif_schema_catches_what_it_must():
    """The vendored schema and the format checker do reject what was wrong."""
    log = json.loads(format_sarif([diagnostic("a b.py")], get_registry().rules[:1], "1.0", URL_FOR))
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/rules/MEM001.md"  # relative: not a "uri"
    with pytest.raises(jsonschema.ValidationError, match="is not a 'uri'"):
        validate_sarif(json.dumps(log))
    log = json.loads(format_sarif([diagnostic("a b.py")], [], "1.0", URL_FOR))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.py"
    with pytest.raises(jsonschema.ValidationError, match="is not a 'uri-reference'"):
        validate_sarif(json.dumps(log))


@pytest.mark.parametrize("output_format", ["full", "concise", "text", "json", "github", "sarif"])
def test_a_file_name_that_is_not_utf8_prints_in_every_format(tmp_path, run_memlint, output_format):
    directory = os.fsencode(tmp_path)
    with open(os.path.join(directory, b"caf\xe9.py"), "w") as handle:
        handle.write(LOOP)
    (tmp_path / "plain.py").write_text(LOOP)
    result = run_memlint(
        "--no-cache", *WITH_MEM202, "--format", output_format, ".", cwd=tmp_path, env={"PYTHONIOENCODING": "utf-8:strict"}
    )
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode("utf-8")  # strict: valid UTF-8
    if output_format == "json":
        assert sorted({d["filename"] for d in json.loads(out)}) == ["./caf\udce9.py", "./plain.py"]
    elif output_format == "sarif":
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in validate_sarif(out)["runs"][0]["results"]}
        assert uris == {"./caf%E9.py", "./plain.py"}
    else:
        assert out.count("caf\\xe9.py") == 2 and out.count("plain.py") == 2
