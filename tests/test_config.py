"""[tool.memlint] discovery and validation."""

import pytest

from memlint.config import OLDEST_SUPPORTED, ConfigResolver, load_toml, parse_version, requires_python_floor
from memlint.errors import ConfigError
from memlint.registry import get_registry


def resolver(**kw):
    return ConfigResolver(get_registry(), **kw)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "spec, floor",
    [(">=3.9", (3, 9)), ("~=3.10", (3, 10)), (">=3.8, <4", (3, 8)), ("==3.11.*", (3, 11)), (">3.7", (3, 7)), ("<4", None)],
)
def test_requires_python_floor(spec, floor):
    assert requires_python_floor(spec) == floor


@pytest.mark.parametrize("text, version", [("py310", (3, 10)), ("3.9", (3, 9)), ("3.12.1", (3, 12)), ("py39", (3, 9))])
def test_parse_version(text, version):
    assert parse_version(text, "x") == version


def test_nearest_memlint_table_wins(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nignore = ["MEM6"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "sub"\n')  # no memlint table: skipped
    write(tmp_path / "sub" / "deeper" / "x.py", "")
    settings = resolver().for_path(str(tmp_path / "sub" / "deeper" / "x.py"))
    assert settings.ignore == ("MEM6",)
    assert settings.source == str(tmp_path / "pyproject.toml")


def test_target_version_precedence(tmp_path):
    write(tmp_path / "a" / "pyproject.toml", '[project]\nrequires-python = ">=3.8"\n')
    write(tmp_path / "b" / "pyproject.toml", '[project]\nrequires-python = ">=3.8"\n[tool.memlint]\ntarget-version = "py311"\n')
    assert resolver().for_path(str(tmp_path / "a" / "x.py")).target_version == (3, 8)
    assert resolver().for_path(str(tmp_path / "b" / "x.py")).target_version == (3, 11)
    cli = resolver(overrides={"target_version": (3, 12)})
    assert cli.for_path(str(tmp_path / "b" / "x.py")).target_version == (3, 12)
    write(tmp_path / "c" / "x.py", "")
    bare = resolver().for_path(str(tmp_path / "c" / "x.py"))
    assert bare.target_version == OLDEST_SUPPORTED or bare.source is not None


@pytest.mark.parametrize(
    "table, message",
    [
        ("selct = []", "unknown key 'tool.memlint.selct'"),
        ("select = 'MEM1'", "'tool.memlint.select' must be a list of strings, not str"),
        ("ignore = ['BOGUS1']", "'tool.memlint.ignore': unknown rule code or name 'BOGUS1'"),
        ("unsafe-fixes = 'yes'", "'tool.memlint.unsafe-fixes' must be a boolean, not str"),
        ("target-version = 'banana'", "invalid target version 'banana'"),
        ("[tool.memlint.rules.MEM999]\nx = 1", "'tool.memlint.rules.MEM999': unknown rule"),
        ("[tool.memlint.rules.MEM601]\nx = 1", "'tool.memlint.rules.MEM601': unknown option 'x' (known: none)"),
        ("[tool.memlint.per-file-ignores]\n'tests/*' = 'MEM1'", "must be a list of strings"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, table, message):
    path = write(tmp_path / "pyproject.toml", "[tool.memlint]\n" + table + "\n")
    with pytest.raises(ConfigError) as info:
        resolver().for_path(str(tmp_path / "x.py"))
    assert str(info.value).startswith(str(path) + ": ")
    assert message in str(info.value)


def test_invalid_toml(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.memlint\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        resolver().for_path(str(tmp_path / "x.py"))


def test_per_file_ignores_and_selection(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nselect = ["MEM6"]\n[tool.memlint.per-file-ignores]\n"tests/*" = ["MEM602"]\n')
    settings = resolver().for_path(str(tmp_path / "x.py"))
    registry = get_registry()
    codes = lambda f: [r.code for r in settings.enabled_rules(registry, str(tmp_path / f))]  # noqa: E731
    assert codes("src/x.py") == ["MEM601", "MEM602", "MEM603"]
    assert codes("tests/test_x.py") == ["MEM601", "MEM603"]


def test_fixable_unfixable(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nunfixable = ["MEM202"]\n')
    settings = resolver().for_path(str(tmp_path / "x.py"))
    assert not settings.is_fixable("MEM202", get_registry())
    assert settings.is_fixable("MEM601", get_registry())


def test_settings_cached_per_directory(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.memlint]\n")
    r = resolver()
    first = r.for_path(str(tmp_path / "a.py"))
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\nselct = 1\n")  # not re-read
    assert r.for_path(str(tmp_path / "b.py")) is first


def test_explicit_config_overrides_search(tmp_path):
    explicit = write(tmp_path / "conf" / "pyproject.toml", '[tool.memlint]\nselect = ["MEM2"]\n')
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nselect = ["MEM6"]\n')
    settings = resolver(config_path=str(explicit)).for_path(str(tmp_path / "x.py"))
    assert settings.select == ("MEM2",)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"tool = 5\n", "'tool' must be a table, not int"),
        (b"[tool]\nmemlint = 3\n", "'tool.memlint' must be a table"),
        (b"[tool.memlint]\nselect = [\n", "invalid TOML: "),
        (b"[tool.memlint]\nselect = ['caf\xe9']\n", "invalid TOML: not UTF-8 (byte 0xe9 at offset 29)"),
        (b"\xff\xfe[\x00t\x00", "invalid TOML: not UTF-8 (byte 0xff at offset 0)"),
        (b"a = " + b"[" * 100_000, "invalid TOML: nested too deeply"),
    ],
)
def test_malformed_pyproject_names_the_file(tmp_path, content, message, run_memlint):
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        resolver().for_path(str(tmp_path / "x.py"))
    assert str(info.value).startswith(f"{path}: {message}")
    (tmp_path / "x.py").write_text("x = 1\n")
    result = run_memlint("--no-cache", "x.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.decode() == f"memlint: error: {info.value}\n"


SETUP_CFG = "[metadata]\nname = p\n\n[options]\npython_requires = >=3.8, <4\n"


@pytest.mark.parametrize(
    "files, target",
    [
        ({}, OLDEST_SUPPORTED),  # never the running interpreter
        ({"setup.cfg": SETUP_CFG}, (3, 8)),
        ({"pyproject.toml": '[project]\nname = "p"\n', "setup.cfg": SETUP_CFG}, (3, 8)),
        ({"pyproject.toml": '[tool.memlint]\nignore = ["MEM6"]\n', "setup.cfg": SETUP_CFG}, (3, 8)),
        ({"pyproject.toml": '[project]\nrequires-python = ">=3.11"\n', "setup.cfg": SETUP_CFG}, (3, 11)),
        ({"setup.cfg": "[metadata]\nname = p\n"}, OLDEST_SUPPORTED),
    ],
)
def test_default_target_is_the_oldest_python_the_project_supports(tmp_path, files, target):
    project = tmp_path / "project"
    for name, text in files.items():
        write(project / name, text)
    write(project / "src" / "pkg" / "x.py", "")
    assert resolver().for_path(str(project / "src" / "pkg" / "x.py")).target_version == target


def test_unreadable_setup_cfg_is_an_error_naming_it(tmp_path):
    write(tmp_path / "setup.cfg", "python_requires = >=3.8\n")  # no section header
    with pytest.raises(ConfigError, match=f"^{tmp_path / 'setup.cfg'}: cannot read \\[options\\] python_requires"):
        resolver().for_path(str(tmp_path / "x.py"))


def test_oldest_supported_is_memlints_own_requires_python(repo_root):
    spec = load_toml(str(repo_root / "pyproject.toml"))["project"]["requires-python"]
    assert requires_python_floor(spec) == OLDEST_SUPPORTED


def test_mem102_follows_the_projects_oldest_python_not_the_interpreter(tmp_path, run_memlint):
    write(
        tmp_path / "p.py",
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int\n    y: int\n\n\n"
        "points = [Point(x, x) for x in range(9)]\n",
    )
    select = ("--extend-select", "MEM102")  # runs MEM102 even while the ledger keeps it in preview
    assert run_memlint("--no-cache", *select, "p.py", cwd=tmp_path).stdout == b""  # 3.9: no slots=True yet
    write(tmp_path / "setup.cfg", "[options]\npython_requires = >=3.10\n")
    result = run_memlint("--no-cache", *select, "p.py", cwd=tmp_path)
    assert result.stdout.decode().startswith("p.py:5:7: MEM102 dataclass `Point` without `slots=True`")
