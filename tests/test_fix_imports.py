"""A fix that makes an import unused removes it, and only such imports."""
import textwrap

import libcst as cst
import pytest

from memlint import testing

from memlint.analysis.project import single_file_project
from memlint.config import Settings
from memlint.fixes import fix_allowed, fix_text, parses
from memlint.imports_cleanup import remove_unused_imports
from memlint.registry import Registry, RuleSource, get_registry
from memlint.rule import Applicability, EnsureImport, FixAvailability, Replace, Rule


def cleaned(before, after, filename="example.py", project=None):
    """The text of ``after`` (a fixed ``before``) once the cleanup ran; by
    default the file is the whole project."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    project = project or single_file_project(before)
    result = remove_unused_imports(cst.parse_module(before), cst.parse_module(after), filename, project).code
    assert parses(result)
    return result


@pytest.mark.parametrize(
    "before, after, expected",
    [
        pytest.param(
            """\
            from functools import cache, partial
            f = cache(partial(len))
            """,
            """\
            from functools import cache, partial
            f = partial(len)
            """,
            """\
            from functools import partial
            f = partial(len)
            """,
            id="first-alias",
        ),
        pytest.param(
            """\
            from functools import partial, cache
            f = cache(partial(len))
            """,
            """\
            from functools import partial, cache
            f = partial(len)
            """,
            """\
            from functools import partial
            f = partial(len)
            """,
            id="last-alias",
        ),
        pytest.param(
            """\
            from functools import (
                partial,
                cache,
            )
            f = cache(partial(len))
            """,
            """\
            from functools import (
                partial,
                cache,
            )
            f = partial(len)
            """,
            """\
            from functools import (
                partial,
            )
            f = partial(len)
            """,
            id="bracketed-last-alias-keeps-trailing-comma",
        ),
        pytest.param(
            """\
            import os, sys
            print(os.sep, sys.argv)
            """,
            """\
            import os, sys
            print(os.sep)
            """,
            """\
            import os
            print(os.sep)
            """,
            id="import-list",
        ),
        pytest.param(
            """\
            import os; import sys
            print(os.sep, sys.argv)
            """,
            """\
            import os; import sys
            print(os.sep)
            """,
            """\
            import os
            print(os.sep)
            """,
            id="semicolons",
        ),
        pytest.param(
            """\
            import os.path
            print(os.path.sep)
            """,
            """\
            import os.path
            print("/")
            """,
            """\
            print("/")
            """,
            id="dotted-import",
        ),
        pytest.param(
            """\
            import os

            # caching
            from functools import cache
            from functools import partial


            @cache
            def f(x):
                return partial(os.path.join, x)
            """,
            """\
            import os

            # caching
            from functools import cache
            from functools import partial


            def f(x):
                return partial(os.path.join, x)
            """,
            """\
            import os

            # caching
            from functools import partial


            def f(x):
                return partial(os.path.join, x)
            """,
            id="line-goes-its-comment-and-blank-line-stay",
        ),
        pytest.param(
            """\
            import os

            from functools import cache


            @cache
            def f(x):
                return os.sep
            """,
            """\
            import os

            from functools import cache


            def f(x):
                return os.sep
            """,
            """\
            import os


            def f(x):
                return os.sep
            """,
            id="no-third-blank-line",
        ),
        pytest.param(
            """\
            x = cache(1)
            from functools import cache  # late
            from functools import cache
            """,
            """\
            x = 1
            from functools import cache  # late
            from functools import cache
            """,
            """\
            x = 1
            from functools import cache  # late
            """,
            id="own-comment-keeps-line-last-line-goes",
        ),
        pytest.param(
            """\
            from functools import (  # the caches
                cache,
            )
            x = cache(1)
            """,
            """\
            from functools import (  # the caches
                cache,
            )
            x = 1
            """,
            """\
            from functools import (  # the caches
                cache,
            )
            x = 1
            """,
            id="comment-inside-keeps-statement",
        ),
        pytest.param(
            """\
            from functools import cache, partial  # noqa: F401
            x = cache(1)
            """,
            """\
            from functools import cache, partial  # noqa: F401
            x = 1
            """,
            """\
            from functools import partial  # noqa: F401
            x = 1
            """,
            id="alias-of-commented-line",
        ),
    ],
)
def test_the_imports_a_fix_made_unused_go(before, after, expected):
    assert cleaned(before, after) == textwrap.dedent(expected)


@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param(
            "import os\nx = os.sep\n", "import os\nx = os.name\n", id="still-used"
        ),
        pytest.param("import os\nimport sys\nx = os.sep\n", "import os\nimport sys\nx = os.name\n", id="sys-was-unused"),
        pytest.param(
            "from __future__ import annotations\nx = annotations\n",
            "from __future__ import annotations\nx = 1\n",
            id="future",
        ),
        pytest.param(
            "from functools import cache\n__all__ = ['cache']\nx = cache(1)\n",
            "from functools import cache\n__all__ = ['cache']\nx = 1\n",
            id="in-__all__",
        ),
        pytest.param(
            "from functools import cache as cache\nx = cache(1)\n",
            "from functools import cache as cache\nx = 1\n",
            id="explicit-re-export",
        ),
        pytest.param(
            "from typing import Optional\ndef f(x: Optional[int]): ...\n",
            "from typing import Optional\ndef f(x: 'Optional[int]'): ...\n",
            id="string-annotation",
        ),
        pytest.param(
            "from typing import List\nx = []  # type: List[int]\ny: List[int] = []\n",
            "from typing import List\nx = []  # type: List[int]\ny = []\n",
            id="type-comment",
        ),
        pytest.param(
            'import os\ndef f():\n    """\n    >>> os.sep\n    """\n    return os.sep\n',
            'import os\ndef f():\n    """\n    >>> os.sep\n    """\n    return "/"\n',
            id="doctest",
        ),
        pytest.param(
            "import os\nx = os.sep\ny = globals()\n",
            "import os\nx = 1\ny = globals()\n",
            id="dynamic-lookup",
        ),
        pytest.param(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\nx: os.PathLike\n",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\nx = 1\n",
            id="type-checking-block",
        ),
        pytest.param(
            "def f():\n    import os\n    return os.sep\n",
            "def f():\n    import os\n    return '/'\n",
            id="not-module-level",
        ),
        pytest.param("from m import *\nx = a\n", "from m import *\nx = 1\n", id="star"),
    ],
)
def test_imports_the_fix_did_not_make_unused_stay(before, after):
    assert cleaned(before, after) == after


def test_a_prose_string_naming_the_import_does_not_keep_it():
    before = '"""Helpers that cache."""\nfrom functools import cache\nx = cache(1)\n'
    after = '"""Helpers that cache."""\nfrom functools import cache\nx = 1\n'
    assert cleaned(before, after) == '"""Helpers that cache."""\nx = 1\n'


def test_an_init_module_keeps_its_imports():
    before, after = "from .m import f\nx = f()\n", "from .m import f\nx = 1\n"
    assert cleaned(before, after, "pkg/__init__.py") == after
    assert cleaned(before, after, "pkg/m.py") == "x = 1\n"


def test_a_name_another_module_imports_stays():
    before, after = "from functools import cache\nx = cache(1)\n", "from functools import cache\nx = 1\n"
    files = {"pkg/__init__.py": "", "pkg/a.py": before, "pkg/b.py": "from .a import cache\n"}
    assert cleaned(before, after, "pkg/a.py", testing.project_of(files, "pkg/a.py")) == after
    files["pkg/b.py"] = "from .a import x\n"
    assert cleaned(before, after, "pkg/a.py", testing.project_of(files, "pkg/a.py")) == "x = 1\n"


def test_without_the_whole_project_every_import_stays():
    before, after = "from functools import cache\nx = cache(1)\n", "from functools import cache\nx = 1\n"
    assert cleaned(before, after, project=single_file_project(before, complete=False)) == after


class DecorateWithLruCache(Rule):
    """A stand-in for MEM301's fix: ``@cache`` becomes ``@lru_cache(maxsize=8)``."""

    code, name, message = "TST101", "cache-decorator", "cache"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE

    def visit_Decorator(self, node):
        if isinstance(node.decorator, cst.Name) and node.decorator.value == "cache":
            bounded = cst.parse_expression("lru_cache(maxsize=8)")
            self.report(node, [Replace(node.decorator, bounded), EnsureImport("functools", "lru_cache")])


def fixed(source, filename="example.py"):
    registry = Registry([RuleSource(DecorateWithLruCache, "test")])
    settings = Settings()
    allowed = fix_allowed(settings, registry, unsafe=False)
    outcome = fix_text(source, filename, settings, [DecorateWithLruCache], allowed, single_file_project(source))
    assert outcome.warnings == []
    return outcome.text


def test_fix_loop_removes_the_import_its_fix_made_unused_and_is_idempotent():
    source = textwrap.dedent(
        """\
        import os
        from functools import cache, partial


        @cache
        def f(x):
            return partial(os.path.join, x)
        """
    )
    expected = textwrap.dedent(
        """\
        import os
        from functools import lru_cache, partial


        @lru_cache(maxsize=8)
        def f(x):
            return partial(os.path.join, x)
        """
    )
    assert fixed(source) == expected
    assert fixed(expected) == expected


def test_fix_loop_keeps_an_import_that_was_unused_before():
    source = "import os\nfrom functools import cache\n\n\n@cache\ndef f(x):\n    return x\n"
    # `os` was unused before the fix: not the fix's doing.
    assert fixed(source) == "import os\nfrom functools import lru_cache\n\n\n@lru_cache(maxsize=8)\ndef f(x):\n    return x\n"


def test_mem301_fix_leaves_no_unused_cache_import():
    source = "from functools import cache, partial\n\n\n@cache\ndef f(x):\n    return partial(len, x)\n"
    assert testing.fix(get_registry().get("MEM301"), source) == (
        "from functools import lru_cache, partial\n\n\n@lru_cache(maxsize=1024)\ndef f(x):\n    return partial(len, x)\n"
    )
