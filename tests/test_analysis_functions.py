"""memlint.analysis.functions: function kinds, instance and class parameters, parameter lists."""
import textwrap

import libcst as cst
import pytest

from memlint.analysis.functions import FunctionKind, all_params, enclosing_function, named_params, positional_params
from memlint.config import Settings
from memlint.engine import lint_text
from memlint.rule import Rule

SOURCE = '''
import builtins
from builtins import classmethod as cm

def top(a): pass

class C:
    def method(this, x): pass
    @staticmethod
    def static(conn): pass
    @classmethod
    def klass(cls): pass
    @cm
    def aliased(kls): pass
    @builtins.staticmethod
    def dotted(x): pass
    @property
    def prop(self): pass
    def __new__(cls): pass
    def __init_subclass__(cls, **kw): pass
    def noargs(): pass
    if True:
        def conditional(self): pass

    def outer(self):
        def inner(self): pass
'''


def sites(source):
    """(function name, kind, instance parameter, class parameter, owner) for every def."""
    seen = []

    class Probe(Rule):
        code, name, message = "TST020", "probe", "never"

        def visit_Pass(self, node):
            site = enclosing_function(self.context)
            owner = site.owner.name.value if site.owner else None
            seen.append((site.node.name.value, site.kind, site.instance_parameter, site.class_parameter, owner))

    lint_text(textwrap.dedent(source), "x.py", Settings(), [Probe])
    return seen


def test_kinds_follow_scope_and_resolved_decorators():
    assert sites(SOURCE) == [
        ("top", FunctionKind.FUNCTION, None, None, None),
        ("method", FunctionKind.METHOD, "this", None, "C"),
        ("static", FunctionKind.STATICMETHOD, None, None, "C"),
        ("klass", FunctionKind.CLASSMETHOD, None, "cls", "C"),
        ("aliased", FunctionKind.CLASSMETHOD, None, "kls", "C"),
        ("dotted", FunctionKind.STATICMETHOD, None, None, "C"),
        ("prop", FunctionKind.METHOD, "self", None, "C"),
        ("__new__", FunctionKind.CLASSMETHOD, None, "cls", "C"),
        ("__init_subclass__", FunctionKind.CLASSMETHOD, None, "cls", "C"),
        ("noargs", FunctionKind.METHOD, None, None, "C"),
        ("conditional", FunctionKind.METHOD, "self", None, "C"),
        ("inner", FunctionKind.NESTED, None, None, None),
    ]


def test_a_module_of_its_own_staticmethod_is_not_the_builtin():
    source = "def staticmethod(f): return f\nclass C:\n    @staticmethod\n    def m(self): pass\n"
    assert sites(source) == [("m", FunctionKind.METHOD, "self", None, "C")]


def test_no_enclosing_function_at_module_level():
    seen = []

    class Probe(Rule):
        code, name, message = "TST021", "probe", "never"

        def visit_Pass(self, node):
            seen.append(enclosing_function(self.context))

    lint_text("pass\nclass C:\n    pass\n", "x.py", Settings(), [Probe])
    assert seen == [None, None]


@pytest.mark.parametrize(
    "signature, positional, named, every",
    [
        ("a, /, b, *c, d, **e", "a b", "a b d", "a b d c e"),
        ("*, k", "", "k", "k"),
        ("self", "self", "self", "self"),
        ("", "", "", ""),
    ],
)
def test_parameter_lists(signature, positional, named, every):
    params = cst.parse_statement(f"def f({signature}): pass").params
    assert " ".join(p.name.value for p in positional_params(params)) == positional
    assert " ".join(p.name.value for p in named_params(params)) == named
    assert " ".join(p.name.value for p in all_params(params)) == every
