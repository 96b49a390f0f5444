"""memlint.analysis.names: dotted names, callees, assignment targets."""
import libcst as cst
import pytest

from memlint.analysis.names import assignment_targets, callee, dotted_name, last_name, target_names


@pytest.mark.parametrize("source, expected", [("a", "a"), ("a.b.c", "a.b.c"), ("a().b", None), ("a[0].b", None)])
def test_dotted_name(source, expected):
    assert dotted_name(cst.parse_expression(source)) == expected


@pytest.mark.parametrize(
    "source, expected",
    [("io.open(p)", "open"), ("x.append(1)", "append"), ("f()", "f"), ("fs[0]()", None), ("g", "g")],
)
def test_last_name_of_calls_and_names(source, expected):
    assert last_name(cst.parse_expression(source)) == expected


def test_callee_of_decorators():
    function = cst.parse_statement("@functools.lru_cache(maxsize=1)\n@cache\ndef f(): pass\n")
    assert [dotted_name(callee(d)) for d in function.decorators] == ["functools.lru_cache", "cache"]
    assert [last_name(d) for d in function.decorators] == ["lru_cache", "cache"]


def test_target_names_through_unpacking():
    target = cst.parse_statement("(a, [b, *c]), d.e = v").body[0].targets[0].target
    assert [n.value for n in target_names(target)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("a = b = v", ["a", "b"]),
        ("x: int = 1", ["x"]),
        ("self.n += 1", ["self.n"]),
        ("del a, b.c", ["a", "b.c"]),
        ("del a", ["a"]),
        ("f()", []),
    ],
)
def test_assignment_targets(source, expected):
    statement = cst.parse_statement(source).body[0]
    assert [dotted_name(t) for t in assignment_targets(statement)] == expected


def test_target_elements_go_through_tuples_lists_and_stars():
    from memlint.analysis.names import target_elements

    target = cst.parse_statement("a, (self.b, *c[0]) = v").body[0].targets[0].target
    assert [cst.Module([]).code_for_node(e) for e in target_elements(target)] == ["a", "self.b", "c[0]"]
