"""MEM5 with facts from other modules (the project index) and trigger words
that depend on the rules' options."""
import textwrap

from memlint.engine import lint_bytes
from memlint.rules.close_not_in_finally import CloseNotInFinally
from memlint.rules.unclosed_resource import UnclosedResource
from memlint.testing import fix_project, lint, lint_project, settings_for

READERS = textwrap.dedent(
    """
    def decode(stream):
        return stream.read().decode("utf-8")


    def consume(stream):
        stream.close()


    def parse(stream, *rest):
        return stream
    """
)
USER = textwrap.dedent(
    """
    from pkg.readers import consume, decode, parse


    def load(path):
        return decode(open(path, "rb"))


    def load_bound(path):
        f = open(path, "rb")
        return decode(stream=f)


    def load_closed(path):
        consume(open(path, "rb"))


    def load_returned(path):
        return parse(open(path, "rb"))
    """
)
PROJECT = {"pkg/__init__.py": "", "pkg/readers.py": READERS, "pkg/user.py": USER}


def _found(diagnostics):
    return [(d.code, d.line, d.column) for d in diagnostics]


def test_a_resource_passed_to_an_imported_function_that_drops_it_is_reported():
    found = lint_project(UnclosedResource, PROJECT, "pkg/user.py")
    assert _found(found) == [("MEM501", 6, 19), ("MEM501", 10, 9)]
    assert "passed to a call that does not close it" in found[0].message
    assert "no path closes it" in found[1].message


def test_no_fix_when_the_reader_is_a_project_function():
    # `decode` could be a generator reading the file later: closing it at
    # the end of the statement might break the program
    assert fix_project(UnclosedResource, PROJECT, "pkg/user.py") == USER


def test_a_function_outside_the_index_is_unknown():
    # the same file alone: `pkg.readers` is not in the project, so silent
    assert lint(UnclosedResource, USER, "pkg/user.py") == []


def test_a_function_that_closes_it_leaves_mem502_silent_too():
    assert lint_project(CloseNotInFinally, PROJECT, "pkg/user.py") == []


EXTRA = textwrap.dedent(
    """
    import mylib


    def query(q):
        session = mylib.session()
        return session.run(q)
    """
)
OPTIONS = {"extra-resources": ["mylib.session"]}


def test_trigger_words_come_from_the_options():
    assert not UnclosedResource.may_report(EXTRA)
    assert UnclosedResource.may_report(EXTRA, OPTIONS)
    assert CloseNotInFinally.may_report(EXTRA, OPTIONS)
    assert UnclosedResource.may_report("import subprocess as sp\nsp.Popen(cmd)\n")


def test_an_ignored_constructor_keeps_the_words_of_the_others():
    options = {"ignore-resources": ["socket.socket", "socket.create_connection"]}
    assert not UnclosedResource.may_report("import socket\nsocket.socket().bind(a)\n", options)
    assert UnclosedResource.may_report("import socket\nsocket.socket().bind(a)\n")
    assert UnclosedResource.may_report("open(p).read()\n", options)


def test_an_extra_resource_is_still_reported_through_the_engine():
    found = lint(UnclosedResource, EXTRA, options=OPTIONS)
    assert _found(found) == [("MEM501", 6, 15)]
    result, _ = lint_bytes(EXTRA.encode(), "example.py", settings_for(UnclosedResource), [UnclosedResource])
    assert result.diagnostics == []  # without the option, `mylib.session` is no resource
