"""memlint.analysis.scopes: paths inside a scope, fresh names."""
import libcst as cst

from memlint.analysis.scopes import ScopeInfo, free_name, path_in_scope, source_order


def test_path_in_scope_runs_from_the_scope_down_to_the_node():
    function = cst.parse_statement("def f():\n    if x:\n        g()\n")
    call = function.body.body[0].body.body[0].body[0].value
    path = path_in_scope(ScopeInfo(function), call)
    assert path[0] is function and path[-1] is call
    assert [type(n).__name__ for n in path] == [
        "FunctionDef", "IndentedBlock", "If", "IndentedBlock", "SimpleStatementLine", "Expr", "Call",
    ]


def test_free_name_skips_names_the_scope_binds_or_reads():
    function = cst.parse_statement("def f(f2):\n    f = 1\n    return f3 + (lambda: f4)()\n")
    info = ScopeInfo(function)
    assert free_name(info, "f") == "f5"  # bound, a parameter, read, read in a nested scope
    assert free_name(info, "g") == "g"
    crowded = cst.parse_statement("def h():\n    " + "; ".join(f"g{n} = 0" for n in ["", *range(2, 10)]) + "\n")
    assert free_name(ScopeInfo(crowded), "g") is None


def test_names_variable_counts_only_names_that_stand_for_variables():
    from memlint.analysis.scopes import names_variable

    call = cst.parse_expression("f(key=value).attr")
    inner = call.value
    assert names_variable(inner.func, inner, ())
    assert not names_variable(inner.args[0].keyword, inner.args[0], ())
    assert names_variable(inner.args[0].value, inner.args[0], ())
    assert not names_variable(call.attr, call, ())
    handler = cst.parse_module("try:\n    pass\nexcept E as e:\n    pass\n").body[0].handlers[0]
    assert names_variable(handler.name.name, handler.name, ())
    assert not names_variable(handler.name.name, handler.name, (cst.AsName,))


def test_source_order_ranks_nodes_as_they_start_in_the_source():
    function = cst.parse_statement("def f(a):\n    a = open(a)\n    if a:\n        g(a)\n    return a\n")
    info = ScopeInfo(function)
    order = source_order(info)
    loads = info.loads_of("a")
    assert [type(info.parent(load)).__name__ for load in loads] == ["Arg", "If", "Arg", "Return"]
    assert [order[load] for load in loads] == sorted(order[load] for load in loads)
    assignment = function.body.body[0].body[0]
    assert order[assignment] < order[loads[0]] < order[loads[1]]  # an ancestor first, then its descendants
    assert function not in order


def test_positions_tell_what_is_below_a_node_and_where_it_falls_among_the_reads_of_a_name():
    function = cst.parse_statement(
        "def f(x):\n    h = open(x)\n    h.read()\n    if x:\n        h = open(h.name)\n        g(h)\n    return h\n"
    )
    info = ScopeInfo(function)
    positions = info.positions()
    reads = positions.reads("h")
    assert [type(info.parent(read)).__name__ for read in reads] == ["Attribute", "Attribute", "Arg", "Return"]
    first, second = [binding.statement for binding in info.bindings_of("h")]
    assert positions.reads_around("h", first) == (0, 0)  # no read before it, none in it
    assert positions.reads_around("h", second) == (1, 2)  # `h.read()` before it, `h.name` in its own value
    assert positions.reads("y") == () and positions.reads_around("y", second) == (0, 0)
    branch = function.body.body[2]
    assert positions.below(second, branch) and positions.below(reads[2], branch)
    assert not positions.below(reads[0], branch) and not positions.below(reads[3], branch)
    assert not positions.below(branch, branch) and not positions.below(branch, second)
    assert not positions.below(function, branch) and not positions.below(branch, cst.Name("elsewhere"))
    assert info.positions() is positions


def test_answer_asks_a_question_once_per_name():
    info = ScopeInfo(cst.parse_statement("def f(a, b):\n    return a\n"))
    asked = []

    def is_read(info, name):
        asked.append(name)
        return bool(info.loads_of(name))

    assert [info.answer(is_read, name) for name in ["a", "b", "a", "b"]] == [True, False, True, False]
    assert asked == ["a", "b"]
