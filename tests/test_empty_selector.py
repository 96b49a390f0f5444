"""An empty selector is an error naming where it came from: as a prefix it
would name every rule, so ``ignore = [""]`` silently turned memlint off."""
import pytest

from memlint.config import ConfigResolver
from memlint.errors import UsageError
from memlint.registry import get_registry


@pytest.mark.parametrize("selector", ["", "  "])
def test_an_empty_selector_names_no_rule(selector):
    assert get_registry().expand(selector) == []
    with pytest.raises(UsageError) as error:
        get_registry().check_selectors([selector], "--ignore")
    assert str(error.value) == f"--ignore: unknown rule code or name {selector!r}"


@pytest.mark.parametrize("key", ["ignore", "select", "extend-select"])
def test_an_empty_selector_in_the_config_names_the_file_and_key(tmp_path, key):
    (tmp_path / "pyproject.toml").write_text(f'[tool.memlint]\n{key} = [""]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    with pytest.raises(UsageError) as error:
        ConfigResolver(get_registry()).for_path(str(tmp_path / "a.py"))
    assert str(tmp_path / "pyproject.toml") in str(error.value) and "''" in str(error.value)

