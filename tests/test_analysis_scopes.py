"""memlint.analysis.scopes: paths inside a scope, fresh names."""
import libcst as cst

from memlint.analysis.scopes import ScopeInfo, free_name, path_in_scope


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
