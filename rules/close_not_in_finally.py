from memlint.analysis.blocks import in_finally
from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._resources_fix import with_fix
from ._resources_flow import Creation
from ._resources_paths import closed_next, swallowed_then_released
from ._resources_rule import ResourceRule, exempt

ADVICE = "an exception before it leaks the resource; use a `with` block"


class CloseNotInFinally(ResourceRule):
    """
    ## What it does
    Reports a resource (the constructors of MEM501) that a function creates
    and releases itself with an explicit `.close()`, `.shutdown()` or
    `.terminate()` (for a `Popen` also `.wait()`, `.communicate()` and
    `.kill()`), when the release is not in a `finally` block and not the very
    next statement: an exception raised between creation and release skips it.

    Not reported: everything MEM501 exempts (a resource returned or yielded,
    also by a factory that closes it and re-raises in an `except`; a `Popen`
    followed by `os._exit()`; stored where it may be released later; passed to
    `contextlib.closing` or `ExitStack.enter_context`; entered by `with`;
    script code under `if __name__ == "__main__":`), a
    release in a `finally` block, a release by the statement right after the
    creation (bare annotations such as `out: bytes` in between run nothing),
    and a resource created in a `try` whose `except Exception:` (or bare
    `except:`) handlers all fall through to a release after the `try`. A
    resource that is never released, or returned on some paths only, is
    MEM501's business.

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
        # script code: an exception ends the process, which releases the file
        Valid(
            """
            import sys

            if __name__ == "__main__":
                out = open(sys.argv[1], "w")
                out.write(render())
                out.close()
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
        if flow is None or not flow.releases or flow.returns:
            return  # not a local name, never released (MEM501), or a factory
        if any(in_finally(flow.info, release) for release in flow.releases) or closed_next(flow):
            return
        if swallowed_then_released(flow) or exempt(creation, self.context):
            return
        self.report(creation.call, with_fix(creation, flow), resource=creation.resource.label, advice=ADVICE)
