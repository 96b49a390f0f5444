"""A line a fix writes longer than the project's line length is wrapped one
item per line, as black would; the line length comes from the project."""
import textwrap

import libcst as cst
import pytest

from memlint import testing
from memlint.analysis.project import single_file_project
from memlint.config import DEFAULT_LINE_LENGTH, ConfigResolver, Settings
from memlint.errors import ConfigError
from memlint.fixes import fix_allowed, fix_text, parses
from memlint.long_lines import wrap_long_lines
from memlint.registry import Registry, RuleSource, get_registry
from memlint.rule import Applicability, EnsureImport, FixAvailability, Replace, Rule


def wrapped(before, after, line_length=40):
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    result = wrap_long_lines(before, cst.parse_module(after), line_length).code
    assert parses(result)
    return result


@pytest.mark.parametrize(
    "before, after, expected",
    [
        pytest.param(
            "x = 1\n",
            "x = ('alpha', 'beta', 'gamma', 'delta', 'epsilon')\n",
            """\
            x = (
                'alpha',
                'beta',
                'gamma',
                'delta',
                'epsilon',
            )
            """,
            id="tuple",
        ),
        pytest.param(
            "class A:\n\tdef f(self):\n\t\tpass\n",
            "class A:\n\tdef f(self):\n\t\tself.r = make(self, 'callback', 'more')\n",
            "class A:\n\tdef f(self):\n\t\tself.r = make(\n\t\t\tself,\n\t\t\t'callback',\n\t\t\t'more',\n\t\t)\n",
            id="tabs-nested-call",
        ),
        pytest.param(
            "class A:\r\n    pass\r\n",
            "class A:\r\n    x = ('alpha', 'beta', 'gamma', 'delta')\r\n",
            "class A:\r\n    x = (\r\n        'alpha',\r\n        'beta',\r\n        'gamma',\r\n        'delta',\r\n    )\r\n",
            id="crlf",
        ),
        pytest.param(
            """\
            class A:
              x = 1
            """,
            """\
            class A:
              __slots__ = ['first_name', 'last_name']
            """,
            """\
            class A:
              __slots__ = [
                'first_name',
                'last_name',
              ]
            """,
            id="two-space-list",
        ),
        pytest.param(
            """\
            class A:
                @dataclass
                def f(self): ...
            """,
            """\
            class A:
                @dataclass(slots=True, frozen=True, eq=False)
                def f(self): ...
            """,
            """\
            class A:
                @dataclass(
                    slots=True,
                    frozen=True,
                    eq=False,
                )
                def f(self): ...
            """,
            id="decorator",
        ),
        pytest.param(
            "from functools import partial\n",
            "from functools import lru_cache, partial, wraps\n",
            """\
            from functools import (
                lru_cache,
                partial,
                wraps,
            )
            """,
            id="from-import",
        ),
        pytest.param(
            "x = 1\n",
            "x = f(g('alphabet', 'betamax'), 'gammaray')\n",
            """\
            x = f(
                g('alphabet', 'betamax'),
                'gammaray',
            )
            """,
            id="outermost-bracket",
        ),
        pytest.param(
            "x = 1\n",
            "x = {'alpha': 1, 'beta': 2, **others, 'delta': 4}\n",
            """\
            x = {
                'alpha': 1,
                'beta': 2,
                **others,
                'delta': 4,
            }
            """,
            id="dict",
        ),
    ],
)
def test_a_long_line_the_fix_wrote_is_wrapped(before, after, expected):
    assert wrapped(before, after) == textwrap.dedent(expected)


@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param("x = 1\n", "x = ('alpha', 'beta', 'gamma')\n", id="fits"),
        pytest.param(
            "x = ('alpha', 'beta', 'gamma', 'delta', 'epsilon')\ny = 1\n",
            "x = ('alpha', 'beta', 'gamma', 'delta', 'epsilon')\ny = 2\n",
            id="already-in-the-file",
        ),
        pytest.param("x = 1\n", "x = total(item.size for item in the_items_here)\n", id="bare-generator"),
        pytest.param("x = 1\n", "x = 'alpha', 'beta', 'gamma', 'delta', 'epsilon'\n", id="tuple-without-brackets"),
        pytest.param("x = 1\n", "x = f('a_string_that_alone_is_longer_than_forty')\n", id="nothing-makes-it-fit"),
        pytest.param("x = 1\n", "x = 1  # a comment that makes the line long\n", id="no-bracket"),
        pytest.param("x = 1\n", "x = ref(parent) if parent is not None else None\n", id="bracket-not-last"),
        pytest.param("x = 1\n", "x = table[key_of('alpha', 'beta', 'gamma')]\n", id="inside-subscript"),
    ],
)
def test_lines_that_fit_were_there_or_cannot_fit_stay(before, after):
    assert wrapped(before, after) == after


class AddSlots(Rule):
    """A stand-in for MEM101's fix: ``__slots__`` naming every method of the class."""

    code, name, message = "TST201", "add-slots", "slots"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE

    def visit_ClassDef(self, node):
        body = node.body.body
        if any(isinstance(s, cst.SimpleStatementLine) for s in body):
            return
        names = ", ".join(repr(s.name.value) for s in body if isinstance(s, cst.FunctionDef))
        line = cst.parse_statement(f"__slots__ = ({names},)\n")
        self.report(node, [Replace(body[0], cst.FlattenSentinel([line, body[0]])), EnsureImport("functools", "wraps")])


def fixed(source, settings):
    registry = Registry([RuleSource(AddSlots, "test")])
    allowed = fix_allowed(settings, registry, unsafe=False)
    outcome = fix_text(source, "example.py", settings, [AddSlots], allowed, single_file_project(source))
    assert outcome.warnings == []
    return outcome.text


SOURCE = """\
from functools import lru_cache, partial, reduce, singledispatch, total_ordering, update_wrapper


class Shape:
    def area(self): ...
    def perimeter(self): ...
    def centre(self): ...
"""


def test_fix_loop_wraps_at_the_settings_line_length_and_is_idempotent():
    expected = textwrap.dedent(
        """\
        from functools import (
            wraps,
            lru_cache,
            partial,
            reduce,
            singledispatch,
            total_ordering,
            update_wrapper,
        )


        class Shape:
            __slots__ = (
                'area',
                'perimeter',
                'centre',
            )
            def area(self): ...
            def perimeter(self): ...
            def centre(self): ...
        """
    )
    settings = Settings(line_length=40)
    assert fixed(SOURCE, settings) == expected
    assert fixed(expected, settings) == expected


def test_fix_loop_default_line_length_keeps_lines_up_to_88():
    assert DEFAULT_LINE_LENGTH == 88
    text = fixed(SOURCE, Settings())
    assert "    __slots__ = ('area', 'perimeter', 'centre',)\n" in text
    assert text.startswith("from functools import (\n    wraps,\n    lru_cache,\n")  # 102 characters on one line


RECORD_INIT = """\
    def __init__(self, identifier, created_at, updated_at, owner_name, description):
        self.identifier = identifier
        self.created_at = created_at
        self.updated_at = updated_at
        self.owner_name = owner_name
        self.description = description


def load(rows):
    return [Record(*row) for row in rows]  # many records: MEM101 wants __slots__
"""


def test_mem101_fix_wraps_a_long_slots_line():
    source = "class Record:\n" + RECORD_INIT
    slots = textwrap.dedent(
        """\
        class Record:
            __slots__ = (
                "identifier",
                "created_at",
                "updated_at",
                "owner_name",
                "description",
            )

        """
    )
    assert testing.fix(get_registry().get("MEM101"), source) == slots + RECORD_INIT


def line_length_of(tmp_path, pyproject):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    return ConfigResolver(get_registry()).for_path(str(tmp_path / "x.py")).line_length


@pytest.mark.parametrize(
    "pyproject, line_length",
    [
        pytest.param("[project]\nname = 'x'\n", 88, id="default"),
        pytest.param("[tool.black]\nline-length = 100\n", 100, id="black"),
        pytest.param("[tool.ruff]\nline-length = 120\n[tool.black]\nline-length = 100\n", 120, id="ruff-before-black"),
        pytest.param("[tool.memlint]\nline-length = 79\n[tool.ruff]\nline-length = 120\n", 79, id="memlint-first"),
        pytest.param("[tool.ruff]\nline-length = 'long'\n[tool.black]\nline-length = 99\n", 99, id="not-ruffs-int"),
        pytest.param("[tool.ruff]\nline-length = 0\n", 88, id="not-positive"),
    ],
)
def test_line_length_comes_from_the_project(tmp_path, pyproject, line_length):
    assert line_length_of(tmp_path, pyproject) == line_length


@pytest.mark.parametrize(
    "value, message",
    [
        ("'long'", "'tool.memlint.line-length' must be a integer, not str"),
        ("true", "'tool.memlint.line-length' must be a integer, not bool"),
        ("0", "'tool.memlint.line-length': the line length must be at least 1, not 0"),
    ],
)
def test_an_invalid_memlint_line_length_is_an_error(tmp_path, value, message):
    with pytest.raises(ConfigError) as error:
        line_length_of(tmp_path, f"[tool.memlint]\nline-length = {value}\n")
    assert str(error.value) == f"{tmp_path / 'pyproject.toml'}: {message}"
