"""The documentation site (mkdocs.yml, docs/): it builds with `mkdocs build
--strict` offline, and what it tells users is true of the code: every
memlint and flake8 flag it names exists, every [tool.memlint] example is a
valid configuration, the pre-commit and GitHub Actions snippets name real
hooks, URLs and files, and the rule pack it builds works."""
import os
import re
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest
import yaml

from memlint import __version__, urls
from memlint.cache import DEFAULT_CACHE_DIR
from memlint.config import settings_from_table
from memlint.config_schema import builtin_rules, config_schema
from memlint.registry import ENTRY_POINT_GROUP, get_registry

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Every page of the site, and the README, which says much of the same.
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
# Pages whose inline code also names other programs' flags (pytest's, python's, the benchmark's).
OTHER_PROGRAMS_FLAGS = {"fix-safety.md", "profile.md"}

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SUBCOMMANDS = ("check", "rule", "config", "clean", "server", "profile")


def fenced_blocks(text, *languages):
    return [body for language, body in FENCE.findall(text) if language in languages]


def mkdocs_config():
    # mkdocs.yml is plain YAML (no !!python tags): the safe loader reads it.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


# -- the build --------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return site


def nav_pages(nav):
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            yield from nav_pages(value)
        else:
            yield value


def built_page(page):
    """Where mkdocs writes a page (directory URLs): a/b.md -> a/b/index.html; an
    index.md or README.md -> its directory's index.html."""
    stem = Path(page).with_suffix("")
    directory = stem.parent if stem.name in ("index", "README") else stem
    return directory / "index.html"


def test_the_site_builds_strictly_with_every_page_and_the_schema(site):
    for page in nav_pages(mkdocs_config()["nav"]):
        assert (site / built_page(page)).is_file(), page
    # A finding's URL (JSON `url`, SARIF `helpUri`) is RULE_PAGES + code: a page of this site.
    for rule in builtin_rules():
        assert (site / "rules" / rule.code / "index.html").is_file(), rule.code
    assert (site / "schema" / "memlint.schema.json").read_bytes() == (DOCS / "schema" / "memlint.schema.json").read_bytes()


def test_the_built_site_loads_nothing_from_another_host(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        loaded = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"((?:https?:)?//[^\"]*)", text)
        assert [url for url in loaded if not url.startswith(urls.HOMEPAGE)] == [], page


def test_the_site_is_where_memlint_says_it_is():
    config = mkdocs_config()
    assert config["site_url"] == urls.DOCUMENTATION
    assert config["repo_url"] == urls.SOURCE
    assert urls.RULE_PAGES == f"{urls.DOCUMENTATION}rules/"
    assert config_schema(builtin_rules())["$id"] == f"{urls.DOCUMENTATION}schema/memlint.schema.json"


# -- flags --------------------------------------------------------------------------


def flags_in_help(*command):
    """The options a ``--help`` lists: its lines that start with one, up to the
    description (two spaces on), not the flags the descriptions mention."""
    output = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, check=True).stdout
    invocations = [line.strip().split("  ")[0] for line in output.splitlines() if re.match(r"\s+-", line)]
    return {flag for text in invocations for flag in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", text)}


@lru_cache(maxsize=None)
def memlint_flags(subcommand):
    if subcommand == "profile":  # its parser reads the options before `--`
        return frozenset(flags_in_help("memlint", "profile", "--help", "--", "true"))
    return frozenset(flags_in_help("memlint", subcommand, "--help") | flags_in_help("memlint", "--help"))


@lru_cache(maxsize=None)
def flake8_flags():
    return frozenset(flags_in_help("flake8", "--help"))


def commands(line):
    """The memlint and flake8 commands of a shell line (``$ ``, a YAML ``run:`` or
    list item stripped), as token lists; other lines (output, prose) give none."""
    line = re.sub(r"^\s*(?:-\s+)?(?:run:\s*)?(?:\$\s+)?", "", line)
    if not re.search(r"(?:^|[|;&]\s*)(?:memlint|flake8)(?:\s|$)", line):
        return
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    command = []
    for token in lexer:
        if token and set(token) <= set("();<>|&"):
            yield command
            command = []
        else:
            command.append(token)
    yield command


def options_of(tokens):
    """The options before ``--`` (the rest is files, or profile's command)."""
    for token in tokens:
        if token == "--":
            return
        if token.startswith("--"):
            yield token.split("=", 1)[0]
        elif token.startswith("-") and len(token) > 1:
            yield token[:2]  # -j4 is -j


def documented_commands():
    """(page, program, tokens) for each memlint or flake8 command in a code block or inline code."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        lines = [line for body in fenced_blocks(text, "", "sh", "shell", "console", "text", "yaml", "ini")
                 for line in body.splitlines()]
        lines += INLINE.findall(FENCE.sub("", text))
        for line in lines:
            for tokens in commands(line):
                if tokens and tokens[0] in ("memlint", "flake8"):
                    yield page.name, tokens[0], tokens[1:]


def test_every_documented_command_line_flag_exists():
    checked = 0
    for page, program, arguments in documented_commands():
        if program == "flake8":
            known = flake8_flags()
        else:
            subcommand = arguments[0] if arguments and arguments[0] in SUBCOMMANDS else "check"
            known = memlint_flags(subcommand)
        for option in options_of(arguments):
            assert option in known, f"{page}: {program} {' '.join(arguments)}: no option {option}"
            checked += 1
    assert checked > 60  # the pages name many: the search found them


def test_every_flag_named_alone_is_memlints_or_flake8s():
    known = flake8_flags().union(*(memlint_flags(sub) for sub in SUBCOMMANDS if sub != "server"))
    for page in PAGES:
        # A rule's page is about the linted code, whose own flags (`--disable-gc`) it may name.
        if page.name in OTHER_PROGRAMS_FLAGS or page.parent == DOCS / "rules":
            continue
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        for span in INLINE.findall(text):
            if re.match(r"--?[a-zA-Z]", span):
                assert next(options_of(span.split())) in known, f"{page.name}: `{span}`"


# -- configuration, pre-commit and CI snippets --------------------------------------


def memlint_tables():
    for page in PAGES:
        if page.name == "rule-packs.md":  # a rule pack's options: test_the_rule_pack_page_works
            continue
        for body in fenced_blocks(page.read_text(encoding="utf-8"), "toml"):
            data = tomllib.loads(body)
            if "memlint" in data.get("tool", {}):
                yield page.name, data["tool"]["memlint"]


def test_every_documented_configuration_is_valid(tmp_path):
    schema = config_schema(builtin_rules())
    tables = list(memlint_tables())
    assert {page for page, _ in tables} >= {"README.md", "configuration.md", "getting-started.md"}
    for page, table in tables:
        settings_from_table(table, str(tmp_path / "pyproject.toml"), get_registry())  # raises on an error
        jsonschema.validate(table, schema)


def yaml_blocks():
    for page in PAGES:
        for body in fenced_blocks(page.read_text(encoding="utf-8"), "yaml"):
            yield page.name, yaml.safe_load(body)


def test_pre_commit_snippets_name_the_repository_a_release_and_real_hooks():
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    configs = [(page, data) for page, data in yaml_blocks() if isinstance(data, dict) and "repos" in data]
    assert {page for page, _ in configs} >= {"README.md", "pre-commit.md"}
    for page, data in configs:
        for repo in data["repos"]:
            assert repo["repo"] == urls.SOURCE, page
            assert repo["rev"] == f"v{__version__}", page
            assert {hook["id"] for hook in repo["hooks"]} <= hooks, page
    snippets = [hook for _, data in yaml_blocks() if isinstance(data, list) for hook in data if "args" in hook]
    assert snippets
    for hook in snippets:  # the hooks' args must end with `--`, and name real options
        assert hook["id"] in hooks and hook["args"][-1] == "--"
        assert set(options_of(hook["args"])) <= memlint_flags("check")


def workflow_steps():
    workflows = [data for page, data in yaml_blocks() if page == "ci.md" and isinstance(data, dict)]
    assert len(workflows) == 2
    return [step for workflow in workflows for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_ci_recipes_cache_memlints_directory_and_upload_the_sarif_it_writes():
    steps = workflow_steps()
    caches = [step for step in steps if step.get("uses", "").startswith("actions/cache/")]
    assert len(caches) == 4
    assert {step["with"]["path"] for step in caches} == {DEFAULT_CACHE_DIR}
    uploads = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    sarif_runs = [step["run"] for step in steps if "--format sarif" in step.get("run", "")]
    assert len(uploads) == 1 and sarif_runs == [f"memlint --format sarif --exit-zero src/ > {uploads[0]['with']['sarif_file']}"]


# -- the rule pack ------------------------------------------------------------------


def files_of_the_rule_pack_page():
    """The code blocks introduced by a line naming their file, `path`:, by path."""
    text = (DOCS / "rule-packs.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^`([\w./-]+)`:\n\n```\w+\n(.*?)^```", text, re.M | re.S))


def install_as_metadata(pack, pyproject):
    """What pip would make of the pack for memlint's entry point lookup: a
    .dist-info beside the package on the path (no build, no network)."""
    project = pyproject["project"]
    info = pack / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    points = project["entry-points"][ENTRY_POINT_GROUP]
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
    )


def test_the_rule_pack_page_works(tmp_path):
    files = files_of_the_rule_pack_page()
    assert set(files) == {"pyproject.toml", "memlint_deques/__init__.py", "tests/test_deques.py"}
    pack = tmp_path / "pack"
    for path, text in files.items():
        (pack / path).parent.mkdir(parents=True, exist_ok=True)
        (pack / path).write_text(text)
    install_as_metadata(pack, tomllib.loads(files["pyproject.toml"]))
    env = dict(os.environ, PYTHONPATH=str(pack))
    env.pop("MEMLINT_DEBUG", None)

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                           cwd=pack, env=env, capture_output=True, text=True)
    assert tests.returncode == 0 and "5 passed" in tests.stdout, tests.stdout + tests.stderr

    # The page's configuration, with the pack installed: its option reaches the fix.
    project = tmp_path / "project"
    project.mkdir()
    config = next(body for body in fenced_blocks((DOCS / "rule-packs.md").read_text(encoding="utf-8"), "toml")
                  if "tool.memlint" in body)
    (project / "pyproject.toml").write_text(config)
    (project / "app.py").write_text("from collections import deque\n\nrecent = deque()\n")

    def memlint(*args):
        return subprocess.run([sys.executable, "-m", "memlint", *args], cwd=project, env=env, capture_output=True,
                              text=True)

    found = memlint("--no-cache", "app.py")
    assert found.returncode == 1
    assert found.stdout == "app.py:3:10: XMP001 deque() without maxlen outside a function: it keeps everything appended to it\n"
    fixed = memlint("--no-cache", "--fix", "--unsafe-fixes", "--select", "XMP001", "app.py")
    assert fixed.returncode == 0, fixed.stderr
    assert (project / "app.py").read_text() == "from collections import deque\n\nrecent = deque(maxlen=10000)\n"
    page = memlint("rule", "XMP001")
    assert page.returncode == 0 and page.stdout.startswith("XMP001: deque-without-maxlen\n")
