"""MEM406 across the modules of a project: the weak-container fix only when
every instance the registry can receive can be weakly referenced."""
from memlint.testing import fix_project, lint_project
from rules.self_registration import SelfRegistration

BASE = """\
class Registered:
    _all = []

    def __init__(self):
        self._all.append(self)
"""


def test_a_subclass_of_int_in_another_module_withholds_the_fix():
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": BASE,
        "pkg/codes.py": "from pkg.base import Registered\n\n\nclass Code(int, Registered):\n    pass\n",
    }
    found = lint_project(SelfRegistration, files, "pkg/base.py")
    assert [(d.line, d.column) for d in found] == [(5, 9)]
    assert found[0].message.endswith("its instances cannot be weakly referenced: remove each one when it is done")
    assert fix_project(SelfRegistration, files, "pkg/base.py") == BASE


def test_subclasses_that_can_be_weakly_referenced_keep_the_fix():
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": BASE,
        "pkg/labels.py": "from pkg.base import Registered\n\n\nclass Label(str, Registered):\n    pass\n",
    }
    found = lint_project(SelfRegistration, files, "pkg/base.py")
    assert found[0].message.endswith("use a weakref.WeakSet")
    assert fix_project(SelfRegistration, files, "pkg/base.py") == (
        "import weakref\n\n" + BASE.replace("_all = []", "_all = weakref.WeakSet()").replace("append", "add")
    )


def test_a_base_from_outside_the_project_is_unknown_and_withholds_the_fix():
    source = "from outside import Base\n\n\n" + BASE.replace("class Registered:", "class Registered(Base):")
    found = lint_project(SelfRegistration, {"mod.py": source}, "mod.py")
    assert found[0].message.endswith("if the instances can be weakly referenced, else remove each one when it is done")
    assert fix_project(SelfRegistration, {"mod.py": source}, "mod.py") == source
