"""The engine: name resolution, context, crash isolation, noqa, the fix loop."""
import textwrap

import libcst as cst
import pytest

from memlint.analysis.blocks import enclosing_finally
from memlint.config import Settings
import memlint.engine
from memlint.engine import _may_be_too_deep, lint_bytes, lint_text
from memlint.fixes import apply_fixes, drop_overlapping, fix_allowed, fix_text
from memlint.registry import Registry, RuleSource
from memlint.rule import Applicability, Fix, FixAvailability, Replace, Rule


def names_seen(source, probe):
    """Run a one-off rule that records ``probe(context, node)`` for every Name."""
    seen = []

    class Probe(Rule):
        code, name, message = "TST001", "probe", "probe"

        def visit_Call(self, node):
            seen.append(probe(self.context, node))

    lint_text(textwrap.dedent(source), "x.py", Settings(), [Probe])
    return seen


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import functools\nfunctools.lru_cache()\n", ["functools.lru_cache"]),
        ("import functools as ft\nft.lru_cache()\n", ["functools.lru_cache"]),
        ("from functools import lru_cache as lc\nlc()\n", ["functools.lru_cache"]),
        ("from os import path\npath.join()\n", ["os.path.join"]),
        ("import os.path\nos.path.join()\n", ["os.path.join"]),
        ("import xml.etree.ElementTree as ET\nET.parse()\n", ["xml.etree.ElementTree.parse"]),
        ("from . import sibling\nsibling.f()\n", [".sibling.f"]),
        ("from .pkg import f\nf()\n", [".pkg.f"]),
        ("open()\n", ["builtins.open"]),
        ("def open(): pass\nopen()\n", [None]),
        ("def f(open):\n    open()\n", [None]),
        ("def f():\n    open = 1\n    open()\n", [None]),
        ("def f():\n    import gc\n    gc.collect()\n", ["gc.collect"]),
        ("import gc\ndef f():\n    def g():\n        gc.collect()\n", ["gc.collect"]),
        ("import gc\ndef f(gc):\n    def g():\n        gc.collect()\n", [None]),
        ("class A:\n    open = 1\n    def m(self):\n        open()\n", ["builtins.open"]),
        ("unknown_name()\n", [None]),
        ("x.y()\n", [None]),
        ("try:\n    import json\nexcept ImportError:\n    json = None\njson.loads()\n", [None]),
        ("if True:\n    import gc\ngc.collect()\n", ["gc.collect"]),
        ("(lambda: 1)()\n", [None]),
    ],
)
def test_qualified_name(source, expected):
    assert names_seen(source, lambda ctx, node: ctx.qualified_name(node)) == expected


def test_enclosing_loop_and_finally():
    source = """
    for x in a():
        b()
    try:
        pass
    finally:
        c()
    [d() for y in e() if f()]
    while g():
        def h():
            i()
    """
    got = names_seen(
        source,
        lambda ctx, node: (node.func.value, ctx.enclosing_loop() is not None, enclosing_finally(ctx.ancestors) is not None),
    )
    assert got == [
        ("a", False, False), ("b", True, False), ("c", False, True), ("d", True, False),
        ("e", False, False), ("f", True, False), ("g", False, False), ("i", False, False),
    ]


def test_scope_info_bindings_and_loads():
    class Probe(Rule):
        code, name, message = "TST001", "probe", "probe"
        info = None

        def visit_FunctionDef(self, node):
            type(self).info = self.context.scope_info(node)

    lint_text("def f(a, *b, c: int = 1, **d):\n    x, [y, *z] = a\n    w: int\n    a.attr = 1\n    return x + y\n",
              "x.py", Settings(), [Probe])
    info = Probe.info
    assert sorted(info.bindings) == ["a", "b", "c", "d", "w", "x", "y", "z"]
    assert info.bindings_of("c")[0].annotation.value == "int"
    assert [b.unpacked for b in info.bindings_of("y")] == [True]
    assert sorted(info.loads) == ["a", "int", "x", "y"]  # not attribute names, not targets
    assert len(info.loads_of("a")) == 2


class Crashes(Rule):
    code, name, message = "TST002", "crashes", "never"

    def visit_Name(self, node):
        raise ValueError("boom")


class Reports(Rule):
    code, name, message = "TST003", "reports", "name {value}"

    def visit_Name(self, node):
        self.report(node, value=node.value)


def test_crashing_rule_is_isolated():
    result = lint_text("x = 1\n", "x.py", Settings(), [Crashes, Reports])
    assert result.errors == ["x.py: rule TST002 (crashes) crashed: ValueError: boom"]
    assert [(d.code, d.line, d.column, d.message) for d in result.diagnostics] == [("TST003", 1, 1, "name x")]


def test_noqa_variants():
    source = "a\nb  # noqa\nc  # noqa: TST003\nd  # NOQA:TST0\ne  # noqa: MEM101\nf  # noqa:E501,TST003\n"
    result = lint_text(source, "x.py", Settings(), [Reports])
    assert [d.message for d in result.diagnostics] == ["name a", "name e"]


@pytest.mark.parametrize(
    "header, remaining",
    [
        ("# memlint: noqa\n", []),
        ("# flake8: noqa\n", []),
        ("# memlint: noqa: TST003\n", []),
        ("# memlint: noqa: MEM1\n", ["name a"]),
        ("x = 1  # memlint: noqa\n", ["name x", "name a"]),  # not on a line of its own
    ],
)
def test_file_level_noqa(header, remaining):
    result = lint_text(header + "a\n", "x.py", Settings(), [Reports])
    assert [d.message for d in result.diagnostics] == remaining


def test_bom_and_cookie_decoding():
    result, decoded = lint_bytes(b"\xef\xbb\xbfa\n", "x.py", Settings(), [Reports])
    assert decoded.encoding == "utf-8-sig" and result.diagnostics[0].column == 1
    result, decoded = lint_bytes(b"# coding: cp1252\na = '\x80'\n", "x.py", Settings(), [Reports])
    assert decoded.encoding == "cp1252" and decoded.text.endswith("'\u20ac'\n")
    result, _ = lint_bytes(b"# coding: klingon\n", "x.py", Settings(), [Reports])
    assert result.diagnostics == []  # MEM002 is not enabled in this rule list


class RenameToY(Rule):
    code, name, message = "TST004", "rename", "rename"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE

    def visit_Name(self, node):
        if node.value != "y":
            self.report(node, Replace(node, cst.Name("y")))


class WrapCall(Rule):
    code, name, message = "TST005", "wrap", "wrap"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE

    def visit_Call(self, node):
        if not (isinstance(node.func, cst.Name) and node.func.value == "w"):
            self.report(node, Replace(node, cst.Call(cst.Name("w"), args=[cst.Arg(node)])))


def _fix(source, rules):
    registry = Registry(RuleSource(r, "test") for r in rules)
    settings = Settings()
    return fix_text(source, "x.py", settings, rules, fix_allowed(settings, registry, unsafe=False))


def test_fix_loop_converges_and_counts():
    outcome = _fix("a = b\n", [RenameToY])
    assert outcome.text == "y = y\n" and outcome.fixed == 2 and outcome.warnings == []


def test_overlapping_fixes_resolve_over_rounds():
    module = cst.parse_module("f(a)\n")
    call = module.body[0].body[0].value
    inner = call.args[0].value
    outer_fix = Fix((Replace(call, cst.Name("z")),), Applicability.SAFE)
    inner_fix = Fix((Replace(inner, cst.Name("q")),), Applicability.SAFE)
    assert drop_overlapping(module, [outer_fix, inner_fix]) == [outer_fix]
    assert apply_fixes(module, [inner_fix]).code == "f(q)\n"


def test_non_converging_fix_is_reported():
    outcome = _fix("f()\n", [WrapCall])
    assert outcome.warnings == ["x.py: fixes failed to converge after 10 rounds"]
    assert outcome.text.startswith("w(" * 10)


class BreaksSyntax(Rule):
    code, name, message = "TST006", "breaks", "breaks"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.SAFE

    def visit_Return(self, node):
        self.report(node, Replace(node, cst.Return(cst.Name("pass"))))


def test_fix_that_does_not_parse_is_discarded():
    outcome = _fix("def f():\n    return 1\n", [BreaksSyntax])
    assert outcome.text == "def f():\n    return 1\n"
    assert outcome.warnings == ["x.py: fixes for TST006 produced code that does not parse; they were not applied (please report this)"]


def test_positions_of_agrees_with_position_provider():
    """Positions computed up to the last wanted node equal libcst's full provider."""
    from pathlib import Path

    from libcst.metadata import MetadataWrapper, PositionProvider

    from memlint.positions import positions_of

    fixtures = sorted((Path(__file__).resolve().parent.parent / "fixtures").glob("MEM[1-6]*.py"))
    assert fixtures
    for path in fixtures:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = list(full)
        for wanted in (nodes[::7], nodes[: len(nodes) // 3 : 5], [nodes[len(nodes) // 2]]):
            found = positions_of(module, wanted)
            assert {n: found[n] for n in wanted} == {n: full[n] for n in wanted}, path.name


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "(" * 300 + "1" + ")" * 300 + "\n",  # one long line
        "x = (\n" + "(\n" * 250 + "1" + ")" * 251 + "\n",  # brackets open across lines
        "x = (\n" + "-\n" * 400 + "1)\n",  # prefix operators in one logical line
        "x = \\\n" + "not \\\n" * 400 + "y\n",  # the same through backslashes
        's = ")"\n' + "x = (\n" + "-\n" * 10 + "1)\n",  # a closer in a string: the count is off
    ],
    ids=["long-line", "open-brackets", "prefixes", "backslashes", "stray-closer"],
)
def test_inputs_that_could_nest_deeply_go_through_cpython_first(text):
    assert _may_be_too_deep(text)


def test_ordinary_code_is_parsed_by_libcst_alone(monkeypatch):
    text = "def f(a, b=-1):\n    return [x ** 2 for x in range(a) if not x] + list(\n        g(- b)\n    )\n"
    assert not _may_be_too_deep(text)
    calls = []
    monkeypatch.setattr(memlint.engine, "_cpython_syntax_error", lambda *args: calls.append(args) or (None, False))
    assert memlint.engine.parse(text, "x.py")[0] is not None and calls == []


def test_a_syntax_error_still_gets_cpythons_message_and_position():
    module, error = memlint.engine.parse("def f(:\n    pass\n", "x.py")
    assert module is None and (error.code, error.line, error.column, error.message) == (
        "MEM001", 1, 7, "syntax error: invalid syntax"
    )


def _all_rules():
    from memlint.registry import get_registry

    return list(get_registry().rules)


def test_a_limit_of_libcst_is_an_error_for_the_file_not_a_syntax_error(tmp_path, run_memlint):
    """Thousands of implicitly concatenated strings: valid Python that libcst cannot parse."""
    text = "X = (\n" + "".join(f"    'line {i}\\n'\n" for i in range(10000)) + ")\n"
    compile(text, "c.py", "exec")
    result = lint_text(text, "c.py", Settings(), _all_rules())
    assert result.findings == [] and len(result.errors) == 1
    assert result.errors[0].startswith("c.py: libcst cannot parse this file, which CPython accepts: Syntax Error @ ")
    (tmp_path / "c.py").write_text(text)
    (tmp_path / "a.py").write_text("import gc\nwhile True:\n    gc.collect()\n")
    run = run_memlint("--no-cache", "-j1", "a.py", "c.py", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout.decode().splitlines() == ["a.py:3:5: MEM602 gc.collect() inside a loop: each call walks the whole heap"]
    assert f"memlint: error: {result.errors[0]}\n" in run.stderr.decode()


def test_cpython_parser_giving_up_says_why():
    text = "x = " + "-" * 20000 + "1\n"
    with pytest.raises(MemoryError) as raised:
        compile(text, "u.py", "exec")
    [finding] = lint_text(text, "u.py", Settings(), _all_rules()).findings
    detail = f"MemoryError: {raised.value}" if str(raised.value) else "MemoryError"
    assert finding.diagnostic.message == f"CPython's parser gives up on this file, nested too deeply or too large ({detail})"


def test_a_recursion_error_in_cpython_parser_says_so(monkeypatch):
    def deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded during ast construction")

    monkeypatch.setattr(memlint.engine, "compile", deep, raising=False)
    long_line = "x = [" + "1, " * 200 + "]\n"  # long enough for the scan to ask CPython first
    [finding] = lint_text(long_line, "u.py", Settings(), _all_rules()).findings
    assert (finding.diagnostic.code, finding.diagnostic.message) == (
        "MEM001",
        "CPython's parser gives up on this file, nested too deeply or too large "
        "(RecursionError: maximum recursion depth exceeded during ast construction)",
    )


def test_all_enclosing_lists_the_ancestors_of_some_types_innermost_first():
    source = """
    with a() as x:
        def f():
            with b(), c():
                def g():
                    d(e())
    """
    got = names_seen(source, lambda ctx, node: (
        node.func.value,
        [type(n).__name__ for n in ctx.all_enclosing(cst.With, cst.FunctionDef)],  # marked: no climb of the path
        [n.func.value for n in ctx.all_enclosing(cst.Call)],  # not marked: the path
    ))
    assert got == [
        ("a", ["With"], []),
        ("b", ["With", "FunctionDef", "With"], []),
        ("c", ["With", "FunctionDef", "With"], []),
        ("d", ["FunctionDef", "With", "FunctionDef", "With"], []),
        ("e", ["FunctionDef", "With", "FunctionDef", "With"], ["d"]),
    ]
