"""memlint.lazy_matchers agrees with libcst.matchers on every pattern rules use."""
from pathlib import Path

import libcst as cst
import libcst.matchers as lm
import pytest

from memlint import lazy_matchers
from memlint.lazy_matchers import m

ROOT = Path(__file__).resolve().parent.parent

# The patterns memlint's rules and analyses use, spelled in both notations.
PATTERNS = [
    lambda n: n.Name(value="self"),
    lambda n: n.Name("items"),
    lambda n: n.Name(),
    lambda n: n.Name("False"),
    lambda n: n.Integer("0"),
    lambda n: n.SimpleString(),
    lambda n: n.Comment(),
    lambda n: n.CompFor(asynchronous=n.Asynchronous()) | n.Await(),
    lambda n: n.Return() | n.Raise() | n.Break() | n.Continue(),
    lambda n: n.Name("Exception") | n.Name("BaseException"),
    lambda n: n.SimpleStatementLine(body=[n.Expr(n.Call(func=n.Attribute(value=n.Name("f"), attr=n.Name("close")), args=[]))]),
    lambda n: n.Attribute(value=n.Name("self"), attr=n.Name("items")),
    lambda n: n.Call() | n.Return() | n.Raise() | n.Yield() | n.Await() | n.Break() | n.Continue(),
    lambda n: n.Name() | n.Attribute(),
    lambda n: n.Call() | n.Await() | n.Yield() | n.NamedExpr(),
    lambda n: n.Del() | n.AssignTarget() | n.AugAssign() | n.AnnAssign() | n.Call(),
    lambda n: n.Name() | n.SimpleString(),
    lambda n: n.Assign() | n.AnnAssign(),
    lambda n: n.FunctionDef(asynchronous=None),
    lambda n: n.Param(default=None, star=""),
    lambda n: n.Call(args=[n.Arg(keyword=None)]),
]

SOURCE = '''\
import gc, functools  # comment
class C:
    items = []
    def __init__(self, f, items: "List[int]" = None):
        self.items = items  # keep
        self.f = f
        f.close()
        del self.items[0]
        x: int = 0
        x += 1
        print(f"{x}")
    async def run(self, *a, **k):
        try:
            return [y async for y in self.f if (z := y)]
        except (Exception, BaseException) as e:
            raise
        finally:
            await self.f
    def gen(self):
        for i in range(3):
            if i:
                break
            continue
        yield sum(1 for _ in self.items), len(list(map(str, self.items)))
def f(f):
    f.close()
    closefd = False
    return lambda: f
'''


def sources():
    yield SOURCE
    for path in sorted((ROOT / "rules").glob("*.py"))[:4]:
        yield path.read_text(encoding="utf-8")


@pytest.mark.parametrize("index", range(len(PATTERNS)))
def test_findall_and_matches_agree_with_libcst(index):
    ours, theirs = PATTERNS[index](m), PATTERNS[index](lm)
    assert isinstance(ours, (lazy_matchers.Pattern, lazy_matchers.OneOf))  # matched here, not by libcst
    compared = 0
    for source in sources():
        module = cst.parse_module(source)
        assert [id(n) for n in m.findall(module, ours)] == [id(n) for n in lm.findall(module, theirs)]
        for node in lm.findall(module, lm.MatchIfTrue(lambda node: True)):
            assert m.matches(node, ours) == lm.matches(node, theirs)
            compared += 1
    assert compared > 3_000


def test_every_pattern_finds_something_in_the_sample():
    module = cst.parse_module(SOURCE)  # else agreeing on "nothing" would prove little
    assert [len(m.findall(module, pattern(m))) > 0 for pattern in PATTERNS] == [True] * len(PATTERNS)


def test_positional_fields_follow_the_node_field_order():
    pattern = m.Attribute(m.Name("a"), m.Name("b"))
    assert (sorted(pattern.fields), repr(pattern)) == (
        ["attr", "value"], "m.Attribute(value=m.Name(value='a'), attr=m.Name(value='b'))"
    )


def test_what_is_not_a_plain_pattern_is_libcst_matchers_own():
    module = cst.parse_module("x = foo_bar + foo\n")
    starts_with_foo = m.Name(value=m.MatchIfTrue(lambda value: value.startswith("foo_")))
    assert isinstance(starts_with_foo, lm.Name)
    assert [n.value for n in m.findall(module, starts_with_foo)] == ["foo_bar"]
    # Ours inside libcst's own combinators and functions are converted.
    assert [n.value for n in m.findall(module, m.OneOf(m.Name("foo"), m.Name("x")))] == ["x", "foo"]
    assert m.matches(module.body[0].body[0].value.right, m.Name("x") | starts_with_foo) is False
    with pytest.raises(TypeError):
        m.Name(no_such_field="x")  # libcst's own error


def test_findall_on_a_missing_node_is_empty():
    assert m.findall(cst.MaybeSentinel.DEFAULT, m.Name()) == []
