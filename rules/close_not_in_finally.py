from typing import Optional, Sequence

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import following_statements, in_finally, next_statement, statement_site
from memlint.analysis.scopes import SCOPE_TYPES
from memlint.edits import comments
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from ._resources import Creation, LocalFlow, ResourceRule, exempt, with_statement

ADVICE = "an exception before it leaks the resource; use a `with` block"


class CloseNotInFinally(ResourceRule):
    """
    ## What it does
    Reports a resource (the constructors of MEM501) that a function creates
    and releases itself with an explicit `.close()`, `.shutdown()`,
    `.terminate()`, `.wait()` or `.communicate()`, when the release is not in
    a `finally` block and not the very next statement: an exception raised
    between creation and release skips it.

    Not reported: everything MEM501 exempts (a resource returned or yielded,
    also by a factory that closes it and re-raises in an `except`; stored
    where it may be released later; passed to `contextlib.closing` or
    `ExitStack.enter_context`; entered by `with`), a release in a `finally`
    block, a release by the statement right after the creation, and a
    resource created in a `try` whose `except Exception:` (or bare `except:`)
    handlers all fall through to a release after the `try`. A resource that
    is never released is MEM501's business.

    ## Why is this bad?
    When a statement between `open()` and `close()` raises, the file stays
    open until the garbage collector finalizes it: at once in CPython if no
    traceback or cycle keeps it alive, much later under PyPy, never while a
    logged exception's frames hold it. Long-running services leak file
    descriptors, sockets, threads or child processes on every failure.

    ## Example
    ```python
    def checksum(path):
        f = open(path, "rb")
        digest = hashlib.sha256(f.read()).hexdigest()
        f.close()
        return digest
    ```

    ## Use instead
    ```python
    def checksum(path):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return digest
    ```

    ## Options
    - `extra-resources` (list of qualified names, default `[]`): more
      constructors, as for MEM501.
    - `ignore-resources` (list of qualified names, default `[]`): built-in
      constructors not to report.

    ## Fix safety
    The fix turns `x = <constructor>(...)`, the statements after it and a
    later `x.close()` of the same block into `with <constructor>(...) as x:`
    around exactly those statements, removing the `close()`. It is offered
    only when `x` is bound nowhere else in the function, is not used after the
    `close()` (nor before the creation), the `close()` line carries no
    comment, and the resource's `__exit__` does exactly what `close()` does
    (files, sockets, archives, temporary files, URL responses; not processes,
    executors, pools or `sqlite3` connections). It is unsafe: the resource is
    now also closed when the block is left early by `return`, `break`,
    `continue` or an exception, which code that meant to keep it open on
    those paths would notice.

    ## Known problems
    A release in a `finally` block anywhere in the function counts, even when
    statements between the creation and that `try` could raise. A resource
    closed both in an `except` handler that re-raises and after the `try`
    (closed on every path, but not in a `finally`) is reported.

    ## References
    - [The with statement](https://docs.python.org/3/reference/compound_stmts.html#the-with-statement)
    - [io.IOBase.close](https://docs.python.org/3/library/io.html#io.IOBase.close)
    """

    code = "MEM502"
    name = "close-not-in-finally"
    message = "{resource} is released outside a finally block: {advice}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        Valid(
            """
            def read(p):
                f = open(p)
                try:
                    return f.read()
                finally:
                    f.close()
            """
        ),
        # released by the very next statement
        Valid(
            """
            import subprocess

            def output(cmd):
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
                out, _ = proc.communicate()
                return out
            """
        ),
        # a factory that closes on failure, re-raises, and returns it
        Valid(
            """
            import socket

            def connect(address):
                sock = socket.socket()
                try:
                    sock.connect(address)
                except OSError:
                    sock.close()
                    raise
                return sock
            """
        ),
        # never released at all: MEM501, not MEM502
        Valid(
            """
            def first(p):
                f = open(p)
                return f.readline()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import hashlib

            def checksum(path):
                f = open(path, "rb")  # binary
                digest = hashlib.sha256(f.read()).hexdigest()
                f.close()
                return digest
            """,
            line=4,
            column=9,
            fixed="""
            import hashlib

            def checksum(path):
                with open(path, "rb") as f:  # binary
                    digest = hashlib.sha256(f.read()).hexdigest()
                return digest
            """,
        ),
        # the except returns: that path skips the close
        Invalid(
            """
            import socket

            def has_ipv6(host):
                try:
                    sock = socket.socket(socket.AF_INET6)
                    sock.bind((host, 0))
                except OSError:
                    return False
                sock.close()
                return True
            """,
            line=5,
            column=16,
        ),
        # used after the close: no fix
        Invalid(
            """
            def write(p, text):
                f = open(p, "w")
                f.write(text)
                f.close()
                return f.closed
            """,
            line=2,
            column=9,
        ),
        Invalid(
            """
            from subprocess import PIPE, Popen

            def lines(cmd):
                proc = Popen(cmd, stdout=PIPE)
                data = proc.stdout.read()
                proc.wait()
                return data.splitlines()
            """,
            line=4,
            column=12,
            message="subprocess.Popen() is released outside a finally block",
        ),
    ]

    def check(self, creation: Creation) -> None:
        flow = creation.flow
        if flow is None or not flow.releases:
            return  # not a local name, or never released (MEM501)
        if any(in_finally(flow.info, release) for release in flow.releases) or _closed_next(flow):
            return
        if _swallowed_then_released(flow) or exempt(creation, self.context):
            return
        self.report(creation.call, _with_fix(creation, flow), resource=creation.resource.label, advice=ADVICE)



def _inside(flow: LocalFlow, node: cst.CSTNode, statements: Sequence[cst.CSTNode]) -> bool:
    """``node`` is in one of ``statements``."""
    kept = {id(statement) for statement in statements}
    return any(id(ancestor) in kept for ancestor in flow.info.ancestors(node))


def _closed_next(flow: LocalFlow) -> bool:
    """The statement right after the creation releases it (`f.close()`,
    `out, err = proc.communicate()`)."""
    following = next_statement(flow.path)
    return following is not None and any(_inside(flow, release, [following]) for release in flow.releases)


def _swallowed_then_released(flow: LocalFlow) -> bool:
    """Created in a `try` whose broad `except` blocks fall through, and
    released after that `try` (`try: s = socket(); s.bind(a)` /
    `except Exception: pass` / `s.close()`): every path reaches the release."""
    path = flow.path
    for index in range(len(path) - 2, 0, -1):
        node, child = path[index], path[index + 1]
        if isinstance(node, SCOPE_TYPES):
            return False
        if isinstance(node, cst.Try) and child is node.body:
            if not node.handlers or not all(_falls_through(h) for h in node.handlers):
                return False
            if not any(_is_broad(h) for h in node.handlers):
                return False
            later = following_statements(path[:index + 1])
            return any(_inside(flow, release, later) for release in flow.releases)
    return False


def _falls_through(handler: cst.ExceptHandler) -> bool:
    return not m.findall(handler, m.Return() | m.Raise() | m.Break() | m.Continue())


def _is_broad(handler: cst.ExceptHandler) -> bool:
    return handler.type is None or m.matches(handler.type, m.Name("Exception") | m.Name("BaseException"))


def _with_fix(creation: Creation, flow: LocalFlow) -> Optional[Replace]:
    """`f = open(p)` ... `f.close()` in one block -> `with open(p) as f:` ..."""
    site = statement_site(flow.path)
    if not creation.resource.kind.fixable or site is None or not isinstance(flow.statement, cst.Assign):
        return None
    if flow.statement.value is not creation.call or len(flow.info.bindings_of(flow.name)) != 1:
        return None
    body = list(site.block.body)
    start = body.index(site.line)
    end = next((i for i in range(start + 1, len(body)) if _is_close_line(body[i], flow.name)), None)
    if end is None or comments(body[end]):
        return None
    if not all(_inside(flow, load, body[start:end + 1]) for load in flow.loads):
        return None  # used after the close (or before the creation)
    inner = body[start + 1:end] or [cst.SimpleStatementLine(body=[cst.Pass()])]
    replacement = with_statement(creation.call, flow.name, inner, site.line)
    return Replace(site.block, site.block.with_changes(body=body[:start] + [replacement] + body[end + 1:]))


def _is_close_line(statement: cst.CSTNode, name: str) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("close")), args=[]))]))
