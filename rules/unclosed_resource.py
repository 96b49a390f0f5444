from typing import Any, List, Mapping, Optional, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.functions import enclosing_function
from memlint.analysis.names import assignment_targets
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from ._resources_class import CLASS_RELEASES, class_may_release
from ._resources_fix import inline_fix
from ._resources_flow import Creation, Fate
from ._resources_rule import ResourceRule, exempt, expected_to_raise, in_try_body

NEVER_CLOSED = "no path closes it; use a `with` block"
DROPPED_BY_RETURN = "it is returned on some paths, but a `return` after it leaves it open; close it before that return"
ADVICE = {
    Fate.USED_ONCE: "the object is used once and dropped unclosed; use a `with` block",
    Fate.PASSED_ON: "it is passed to a call that does not close it; use a `with` block",
    Fate.DROPPED: "the object is dropped unclosed",
}


class UnclosedResource(ResourceRule):
    """
    ## What it does
    Reports a resource that some path of the function creating it leaves
    unclosed: a file, socket, subprocess, database connection, archive,
    temporary file, URL response or executor created outside a `with` block
    and never closed, used inline and dropped (`open(p).read()`,
    `json.load(open(p))`), returned on some paths but dropped by a `return`
    on another, or stored on `self` in a class that never releases it. Also
    `with sqlite3.connect(p) as conn:`, whose context manager commits or rolls
    back but does not close the connection.

    The constructors are `open`, `io/codecs/gzip/bz2/lzma.open`, `Path.open`,
    `tarfile.open`, `zipfile.ZipFile`, `socket.socket`/`create_connection`,
    `subprocess.Popen`, `sqlite3.connect`, `tempfile.TemporaryFile`/
    `NamedTemporaryFile`/`SpooledTemporaryFile`, `urllib.request.urlopen`,
    `OpenerDirector.open`, `concurrent.futures` executors and
    `multiprocessing.Pool`, resolved through imports and receiver types
    (`Path(p).open()`, `opener.open(url)` on a `build_opener()` result). A name
    rebound to a resource (`path = open(path)`) is tracked like a new one. A
    resource passed to a function of the same project that neither closes,
    returns, stores nor passes it on (the project index says so) is reported
    like one passed to `json.load`.

    Not reported: a resource closed right away (`open(p, "a").close()`, or by
    the very next statement), a `Popen` waited for at once
    (`Popen(cmd).wait()`, `Popen(cmd).communicate()`) or followed by
    `os._exit()`/`os.exec*()` (the child outlives the process on purpose),
    one entered by `with` (also `try: f = open(p)` / `except OSError:
    return` / `with f:`), closed in a `finally`, returned or yielded on every
    path that does not close it (a factory; an `except` of a `try` whose body
    ends with the creation returns nothing to close), stored where it may be
    closed later (on `self` in a class that releases it, in a container, on
    another object), passed to `contextlib.closing`, `ExitStack`, a class
    that may take it over or a function that may close or keep it (unknown
    functions included), or handed over as a bound method
    (`tracer.setwriter(f.write)`). Names that are not the stdlib constructor
    (`from webbrowser import open`, `os.open`) are not resources, nor is
    `open(fd, closefd=False)`. Code that expects the constructor to fail
    (inside `assertRaises`/`pytest.raises`, or a `try` whose handlers expect
    it), mentions `ResourceWarning` or mocks the constructor (`patch("...open")`)
    is not reported either, nor code that runs only when the module is run
    as a script (in its `if __name__ == "__main__":` block, functions defined
    there included): the process ends with it. A resource released on some paths only is
    MEM502's business.

    ## Why is this bad?
    An unclosed resource holds its buffer, descriptor, socket, child process
    or threads until the garbage collector finalizes it: at once in CPython
    when the last reference goes away, much later under PyPy or in a
    reference cycle, never while something keeps it. Buffered writes may be
    lost and processes run out of descriptors; CPython warns with
    `ResourceWarning` (`python -X dev`). It still counts when CPython happens
    to close it on collection.

    ## Example
    ```python
    import json

    def load(path):
        return json.load(open(path))
    ```

    ## Use instead
    ```python
    import json

    def load(path):
        with open(path) as f:
            return json.load(f)
    ```

    ## Options
    - `extra-resources` (list of qualified names, default `[]`): more
      constructors, e.g. `["mylib.connect", "mylib.Client.session"]` (a
      `Type.method` entry matches `x.method()` on a receiver of that type).
    - `ignore-resources` (list of qualified names, default `[]`): built-in
      constructors not to report, e.g. `["subprocess.Popen"]`.

    ## Fix safety
    The fix rewrites one statement that uses the resource inline and is the
    only statement on its line (`x = open(p).read()`, `return
    json.load(open(p))`, `open(p, "w").write(s)`) into a `with` block binding
    the resource to a fresh name (`f`, or `f2`...). It is offered for files,
    sockets, archives, temporary files and URL responses, whose `__exit__`
    does exactly what `close()` does; not for processes, executors, pools or
    `sqlite3` connections, not in class bodies, and not when the resource is
    passed to a function of the project (it may return a generator that reads
    it later). It is unsafe: the resource is now closed at the end of the
    statement, so code that reached the object through another reference
    behaves differently; at module level the fix leaves a new global behind.

    ## Known problems
    Other functions are known only through the project index. A resource in a
    container is assumed closed by whoever empties it, a module-level one to
    live as long as the process. Of a factory's paths only `return`s are
    checked (not a `raise` or the end of the function). Fire-and-forget
    processes (`subprocess.Popen(["xdg-open", url])`) are reported.

    ## References
    - [open](https://docs.python.org/3/library/functions.html#open)
    - [ResourceWarning and the development mode](https://docs.python.org/3/library/devmode.html)
    - [contextlib.closing](https://docs.python.org/3/library/contextlib.html#contextlib.closing)
    - [sqlite3 connection context manager](https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager)
    """

    code = "MEM501"
    requires = (CLASS_RELEASES,)
    name = "unclosed-resource"
    message = "unclosed {resource}: {advice}"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE

    VALID = [
        # a factory returns the resource to its caller
        Valid(
            """
            import socket

            def connect(address):
                sock = socket.socket()
                sock.connect(address)
                return sock
            """
        ),
        # communicate() waits for the child and closes its pipes
        Valid(
            """
            from subprocess import PIPE, Popen

            def head_commit():
                return Popen(["git", "rev-parse", "HEAD"], stdout=PIPE).communicate()[0]
            """
        ),
        # script code: the process ends with the main block (also functions defined in it)
        Valid(
            """
            import sys
            from urllib.request import urlopen

            if __name__ == "__main__":
                def newest_version():
                    for line in urlopen("https://example.org/manual/"):
                        return line

                print(open(sys.argv[1]).read())
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            def read(p):
                return open(p).read()
            """,
            line=2,
            column=12,
            fixed="""
            def read(p):
                with open(p) as f:
                    return f.read()
            """,
        ),
        # returned on one path, dropped by `return None` on the other
        Invalid(
            """
            import socket

            def connect(address):
                sock = socket.create_connection(address)
                try:
                    sock.sendall(b"hello")
                except OSError:
                    return None
                return sock
            """,
            line=4,
            column=12,
            message="a `return` after it leaves it open",
        ),
        Invalid(
            """
            import socket

            class Client:
                def __init__(self, address):
                    self.sock = socket.create_connection(address)

                def send(self, data):
                    self.sock.sendall(data)
            """,
            line=5,
            column=21,
            message="`Client` never releases self.sock",
        ),
    ]

    def __init__(self, context: Context, options: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(context, options)
        self._on_self: List[Tuple[Creation, cst.ClassDef, str]] = []  # decided once every class is seen

    def check(self, creation: Creation) -> None:
        fate = creation.fate
        if fate is Fate.ENTERED:
            if not creation.resource.kind.with_closes:
                self._report(creation, "its `with` block commits but does not close; use contextlib.closing()")
        elif fate is Fate.BOUND:
            flow = creation.flow
            if flow is not None and flow.drops:
                self._report(creation, DROPPED_BY_RETURN)
            # Released on some path: MEM502's business. Created in a `try` with
            # handlers and never used (`except OSError:`): expected to fail.
            elif flow is not None and not flow.releases and (flow.loads or not in_try_body(flow.path)):
                self._report(creation, NEVER_CLOSED)
        elif fate is Fate.STORED:
            self._stored(creation)
        elif not expected_to_raise(creation):
            self._report(creation, ADVICE[fate], None if fate is Fate.DROPPED else inline_fix(self.context, creation))

    def _report(self, creation: Creation, advice: str, fix: Optional[Replace] = None) -> None:
        if not exempt(creation, self.context):
            self.report(creation.call, fix, resource=creation.resource.label, advice=advice)

    def _stored(self, creation: Creation) -> None:
        """`self.x = R()` in a method: the class must release `self.x` somewhere."""
        target = assignment_targets(creation.consumer)[0]
        function = enclosing_function(self.context)
        if function is None or function.owner is None or function.instance_parameter is None:
            return  # not a method: no instance of its own (`cls.x`, `conn.x` in a static method)
        if not isinstance(target, cst.Attribute) or not m.matches(target.value, m.Name(function.instance_parameter)):
            return
        if not exempt(creation, self.context):
            self._on_self.append((creation, function.owner, target.attr.value))

    def leave_Module(self, original_node: cst.Module) -> None:
        for creation, cls, attribute in self._on_self:
            if not class_may_release(self.context, cls, attribute):
                advice = f"`{cls.name.value}` never releases self.{attribute}; close it in close() or __exit__()"
                self.report(creation.call, resource=creation.resource.label, advice=advice)
