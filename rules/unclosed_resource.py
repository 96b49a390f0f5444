from memlint.rule import Applicability, FixAvailability, Invalid, Valid

from ._resources import ResourceRule


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
        # a factory that closes on failure and re-raises
        Valid(
            """
            import socket

            def connect(address):
                sock = socket.create_connection(address)
                try:
                    sock.sendall(b"hello")
                except BaseException:
                    sock.close()
                    raise
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
        # released through an alias in close()
        Valid(
            """
            import subprocess

            class Server:
                def start(self):
                    self.proc = subprocess.Popen(["srv"])

                def stop(self):
                    proc, self.proc = self.proc, None
                    proc.terminate()
            """
        ),
        Valid(
            """
            from contextlib import closing
            from urllib.request import urlopen

            def fetch(u):
                with closing(urlopen(u)) as r:
                    return r.read()
            """
        ),
        Valid(
            """
            import contextlib

            def read_all(paths):
                with contextlib.ExitStack() as stack:
                    files = [stack.enter_context(open(p)) for p in paths]
                    return [f.read() for f in files]
            """
        ),
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
        # a generator that yields from inside a with
        Valid(
            """
            def lines(p):
                with open(p) as f:
                    for line in f:
                        yield line.rstrip()
            """
        ),
        Valid(
            """
            def lines(p):
                f = open(p)
                yield f
            """
        ),
        # the try/except/with idiom
        Valid(
            """
            def read(p):
                try:
                    f = open(p)
                except OSError:
                    return None
                with f:
                    return f.read()
            """
        ),
        Valid(
            """
            import gzip

            def reader(p, compressed):
                if compressed:
                    f = gzip.open(p, "rt")
                else:
                    f = open(p)
                with f:
                    return f.read()
            """
        ),
        Valid(
            """
            def touch(p):
                open(p, "a").close()
                f = open(p, "w")
                f.close()
            """
        ),
        Valid(
            """
            import io

            def text(p):
                return io.TextIOWrapper(open(p, "rb"), encoding="utf-8")
            """
        ),
        Valid(
            """
            import contextlib

            def opened(stack: contextlib.ExitStack, p):
                f = open(p)
                stack.callback(f.close)
                return f.read()
            """
        ),
        # an unknown callee whose result is kept may own the socket
        Valid(
            """
            import asyncore
            import socket

            def serve(family):
                return asyncore.dispatcher(socket.socket(family))
            """
        ),
        # an unknown function may close it (xml.sax's parse() does)
        Valid(
            """
            def load(parser, name):
                parser.parse(open(name, "rb"))
            """
        ),
        # the test expects the constructor to raise
        Valid(
            """
            import multiprocessing
            import unittest

            class T(unittest.TestCase):
                def test_invalid(self):
                    with self.assertRaises(ValueError):
                        multiprocessing.Pool(-1)
            """
        ),
        Valid(
            """
            def check_missing(path):
                try:
                    open(path)
                except FileNotFoundError:
                    pass
            """
        ),
        # the leak is what the test is about
        Valid(
            """
            import unittest

            class T(unittest.TestCase):
                def test_dealloc_warn(self):
                    f = open(__file__)
                    r = repr(f)
                    with self.assertWarns(ResourceWarning):
                        del f
            """
        ),
        # open is a mock here
        Valid(
            """
            from unittest.mock import mock_open, patch

            def test_read():
                with patch("%s.open" % __name__, mock_open(read_data="x"), create=True):
                    h = open("bar")
                    assert h.read() == "x"
            """
        ),
        Valid(
            """
            import subprocess
            from unittest import mock

            @mock.patch.object(subprocess, "Popen")
            def test_spawn(popen):
                subprocess.Popen(["x"])
            """
        ),
        Valid(
            """
            import os

            def peek(fd):
                return open(fd, "rb", closefd=False).read(1)
            """
        ),
        Valid(
            """
            import subprocess

            def check_bad_cwd(cmd, missing):
                try:
                    p = subprocess.Popen(cmd, cwd=missing)
                except OSError as e:
                    return e.errno
            """
        ),
        # an opener with hand-made handlers returns whatever they make
        Valid(
            """
            from urllib.request import OpenerDirector

            def test_open(handler):
                o = OpenerDirector()
                o.add_handler(handler)
                o.open("http://example.com/")
            """
        ),
        # detach() hands the descriptor over
        Valid(
            """
            import socket

            def free_fd():
                return socket.socket().detach()
            """
        ),
        Valid(
            """
            import subprocess

            def start(test, cmd):
                proc = subprocess.Popen(cmd)
                test.addCleanup(proc.kill)
            """
        ),
        # not the stdlib resource
        Valid(
            """
            from webbrowser import open

            def show(url):
                open(url)
            """
        ),
        Valid(
            """
            def open(name):
                return name

            def use():
                return open("x").upper()
            """
        ),
        Valid(
            """
            import os

            def fd(p):
                return os.read(os.open(p, os.O_RDONLY), 10)
            """
        ),
        Valid(
            """
            def fetch(opener, url):
                return opener.open(url).read()
            """
        ),
        Valid(
            """
            import subprocess

            def run(cmd):
                proc = subprocess.Popen(cmd)
                proc.wait()
            """
        ),
        Valid(
            """
            import sqlite3
            from contextlib import closing

            def query(p):
                with closing(sqlite3.connect(p)) as conn, conn:
                    return conn.execute("select 1").fetchall()
            """
        ),
        Valid(
            """
            handles = {}

            def remember(name, p):
                handles[name] = open(p)
            """
        ),
        Valid(
            """
            import subprocess

            def start(cmd):
                return subprocess.Popen(cmd)
            """
        ),
        Valid(
            """
            import subprocess

            def run(cmd):
                subprocess.Popen(cmd).wait()
            """,
            options={"ignore-resources": ["subprocess.Popen"]},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sys

            source = open(sys.argv[1], "rb").read()
            """,
            line=3,
            column=10,
            fixed="""
            import sys

            with open(sys.argv[1], "rb") as f:
                source = f.read()
            """,
        ),
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
            import json

            def load(path):
                data = json.load(open(path))
                return data
            """,
            line=4,
            column=22,
            fixed="""
            import json

            def load(path):
                with open(path) as f:
                    data = json.load(f)
                return data
            """,
        ),
        Invalid(
            """
            def save(path, f, text):
                open(path, "w").write(text)  # the file name
                return f
            """,
            line=2,
            column=5,
            fixed="""
            def save(path, f, text):
                with open(path, "w") as f2:  # the file name
                    f2.write(text)
                return f
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
            from subprocess import Popen

            def run(cmd):
                Popen(cmd).wait()
            """,
            line=4,
            column=5,
        ),
        Invalid(
            """
            import subprocess as sp

            def launch(cmd):
                sp.Popen(cmd)
            """,
            line=4,
            column=5,
            message="dropped unclosed",
        ),
        Invalid(
            """
            import sqlite3 as db

            def insert(p, row):
                with db.connect(p) as conn:
                    conn.execute("insert into t values (?)", row)
            """,
            line=4,
            column=10,
            message="contextlib.closing()",
        ),
        Invalid(
            """
            import sqlite3

            def count(p):
                conn = sqlite3.connect(p)
                with conn:
                    return conn.execute("select count(*) from t").fetchone()
            """,
            line=4,
            column=12,
        ),
        Invalid(
            """
            from pathlib import Path

            def head(p: Path) -> str:
                f = p.open()
                return f.readline()
            """,
            line=4,
            column=9,
            message="pathlib.Path.open()",
        ),
        Invalid(
            """
            import pathlib

            def size(name):
                return len(pathlib.Path(name).open("rb").read())
            """,
            line=4,
            column=16,
            fixed=None,
        ),
        Invalid(
            """
            import urllib.request

            def fetch(url):
                opener = urllib.request.build_opener()
                return opener.open(url).read()
            """,
            line=5,
            column=12,
            fixed="""
            import urllib.request

            def fetch(url):
                opener = urllib.request.build_opener()
                with opener.open(url) as response:
                    return response.read()
            """,
        ),
        Invalid(
            """
            from typing import Optional
            from urllib.request import OpenerDirector

            def fetch(opener: "Optional[OpenerDirector]", url):
                response = opener.open(url)
                return response.status
            """,
            line=5,
            column=16,
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
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor

            def run_all(jobs):
                pool = ThreadPoolExecutor(4)
                return [f.result() for f in [pool.submit(j) for j in jobs]]
            """,
            line=4,
            column=12,
        ),
        Invalid(
            """
            import mylib

            def query():
                return mylib.connect().fetch()
            """,
            line=4,
            column=12,
            options={"extra-resources": ["mylib.connect"]},
        ),
        Invalid(
            """
            from mylib import Client

            def fetch(client: Client):
                return client.session().get("/")
            """,
            line=4,
            column=12,
            options={"extra-resources": ["mylib.Client.session"]},
            message="mylib.Client.session()",
        ),
    ]
