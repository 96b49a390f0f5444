from typing import Any, List, Mapping, Optional, Tuple

import libcst as cst
from memlint.lazy_matchers import m

from memlint.analysis.blocks import statement_site
from memlint.analysis.functions import enclosing_function
from memlint.analysis.names import assignment_targets, last_name
from memlint.context import Context
from memlint.rule import Applicability, FixAvailability, Invalid, Replace, Valid

from ._resources import CLASS_RELEASES, Creation, Fate, ResourceRule, class_may_release, exempt, inline_fix

# Context managers of tests that expect their body to raise.
EXPECTING_RAISE = frozenset({"assertRaises", "assertRaisesRegex", "raises"})
NEVER_CLOSED = "no path closes it; use a `with` block"
ADVICE = {
    Fate.USED_ONCE: "the object is used once and dropped unclosed; use a `with` block",
    Fate.PASSED_ON: "it is passed to a call that does not close it; use a `with` block",
    Fate.DROPPED: "the object is dropped unclosed",
}


class UnclosedResource(ResourceRule):
    """
    ## What it does
    Reports a resource that no path of the function creating it closes: a
    file, socket, subprocess, database connection, archive, temporary file,
    URL response or executor created outside a `with` block and never closed,
    used inline and dropped (`open(p).read()`, `json.load(open(p))`,
    `Popen(cmd).wait()`), or stored on `self` in a class that never releases
    it. Also `with sqlite3.connect(p) as conn:`, whose context manager commits
    or rolls back but does not close the connection.

    The constructors are `open`, `io.open`, `codecs.open`, `Path.open`,
    `gzip/bz2/lzma.open`, `tarfile.open`, `zipfile.ZipFile`, `socket.socket`,
    `socket.create_connection`, `subprocess.Popen`, `sqlite3.connect`,
    `tempfile.TemporaryFile`/`NamedTemporaryFile`/`SpooledTemporaryFile`,
    `urllib.request.urlopen`, `OpenerDirector.open`,
    `concurrent.futures.ThreadPoolExecutor`/`ProcessPoolExecutor` and
    `multiprocessing.Pool`, resolved through imports (`from subprocess import
    Popen`, `import sqlite3 as db`). Method constructors are recognised on
    receivers whose type the module states: `Path(p).open()`, a parameter
    annotated `Path`, `opener.open(url)` where `opener` comes from
    `urllib.request.build_opener()` or is annotated `OpenerDirector`.

    `OpenerDirector.open` is not reported on an opener the function gives
    hand-made handlers (`o.add_handler(...)`): what it returns is theirs.

    Not reported: a resource closed right away (`open(p, "a").close()`, or by
    the very next statement), entered by `with` (also `try: f = open(p)` /
    `except OSError: return` / `with f:`), closed in a `finally`, returned or
    yielded (a factory), stored anywhere it may be closed later (on `self` in
    a class that releases it, in a container, on another object), passed to
    `contextlib.closing`, `ExitStack.enter_context`/`callback`, a class that
    may take it over (`io.TextIOWrapper(open(p, "rb"))`) or any function
    that is not a known reader such as `json.load`. Names that are not the
    stdlib constructor (`from webbrowser import open`, the module's own
    `def open`, `os.open`) are not resources, nor is `open(fd,
    closefd=False)`, which does not own the descriptor. Code that expects the
    constructor to fail is not reported either: a resource used inline
    inside `with self.assertRaises(...)`/`pytest.raises(...)`, or
    created in a `try` with `except` handlers and never used; nor is a function
    that mentions `ResourceWarning` (it tests the leak) or code where
    the constructor is mocked (`with patch("...open")`, `@patch.object(m,
    "Popen")`). A resource released
    on some paths only is MEM502's business.

    ## Why is this bad?
    An unclosed resource holds its buffer, file descriptor, socket, child
    process or worker threads until the garbage collector finalizes it: at
    once in CPython when the last reference goes away, much later under PyPy
    or when it sits in a reference cycle, never when something keeps a
    reference. Buffered writes may be lost, and processes run out of file
    descriptors. CPython warns about it with `ResourceWarning` (visible with
    `python -X dev`). A resource that CPython happens to close when collected
    still counts.

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
    json.load(open(p))`, `open(p, "w").write(s)`) into a `with` block
    binding the resource to a fresh name (`f`, or `f2`... when `f` is used in
    the scope). It is offered for files, sockets, archives, temporary files
    and URL responses, whose `__exit__` does exactly what `close()` does; not
    for processes, executors and pools (their `__exit__` also waits or
    terminates) nor for `sqlite3` connections, and not in class bodies. It is
    unsafe: the resource is now closed at the end of the statement, so code
    that relied on the garbage collector closing it later (or never), or that
    reached the object through another reference, behaves differently; at
    module level the fix also leaves a new global name behind.

    ## Known problems
    Only the function that creates the resource is examined. A resource
    passed to a function of the project that closes it is not reported, nor
    is one passed to a function that does not; a resource kept in a
    container is assumed to be closed by whoever empties it. A module-level
    resource read by a function is assumed to live as long as the process.

    `Popen(cmd).wait()` and `Popen(cmd, stdout=PIPE).communicate()` are
    reported (the `Popen` object is dropped without `with`), although they
    release the child and its pipes unless the wait is interrupted; a
    process reaped by `poll()` in a loop and never waited is reported too.
    Fire-and-forget processes (`subprocess.Popen(["xdg-open", url])`) are
    reported: CPython warns about them, but they may be intended.

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
        # a context-manager class stores it on self and closes it in __exit__
        Valid(
            """
            class Log:
                def __init__(self, path):
                    self.path = path

                def __enter__(self):
                    self.f = open(self.path, "a")
                    return self

                def __exit__(self, *exc):
                    self.f.close()
            """
        ),
        # not an attribute of the method's own instance: a class method's class,
        # a static method's argument
        Valid(
            """
            import socket

            class Pool:
                @classmethod
                def listen(cls):
                    cls.spare = socket.socket()

                @staticmethod
                def attach(conn, address):
                    conn.sock = socket.create_connection(address)
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
        Invalid(
            """
            def first_line(p):
                f = open(p)
                return f.readline()
            """,
            line=2,
            column=9,
            message="unclosed open(): no path closes it",
        ),
        Invalid(
            """
            import sqlite3

            def insert(p, row):
                with sqlite3.connect(p) as conn:
                    conn.execute("insert into t values (?)", row)
            """,
            line=4,
            column=10,
            message="contextlib.closing()",
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
            # Released on some path: MEM502's business. Created in a `try` with
            # handlers and never used (`except OSError:`): expected to fail.
            if flow is not None and not flow.releases and (flow.loads or not _in_try_body(flow.path)):
                self._report(creation, NEVER_CLOSED)
        elif fate is Fate.STORED:
            self._stored(creation)
        elif not _expected_to_raise(creation):
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


def _expected_to_raise(creation: Creation) -> bool:
    """A statement in `with self.assertRaises(...)` / `pytest.raises(...)`,
    or a resource dropped at once in a `try` with handlers: the code expects
    the constructor (or the use) to fail."""
    path = creation.path
    site = statement_site(path)
    if site is None:
        return False
    index = path.index(site.block)
    owner = path[index - 1] if index > 0 else None
    if isinstance(owner, cst.Try) and isinstance(creation.consumer, cst.Expr):
        return bool(owner.handlers) and site.block is owner.body
    withs = [n for n in path[:index] if isinstance(n, cst.With)]
    return any(
        isinstance(item.item, cst.Call) and last_name(item.item) in EXPECTING_RAISE
        for with_node in withs for item in with_node.items
    )


def _in_try_body(path: Tuple[cst.CSTNode, ...]) -> bool:
    """The statement at the end of ``path`` is in the body of a `try` with handlers."""
    site = statement_site(path)
    if site is None:
        return False
    owner = path[path.index(site.block) - 1]
    return isinstance(owner, cst.Try) and bool(owner.handlers) and owner.body is site.block
