"""MEM2 across rules: the issue's negatives under every MEM2 rule at once, and
the bytes-ness evidence MEM207/MEM208 trust (rules/_bytes.py)."""
import textwrap

import pytest

from memlint.config import Settings
from memlint.engine import lint_text
from memlint.fixes import fix_allowed, fix_text
from memlint.registry import get_registry
from memlint.testing import lint

from memlint.rules.bytes_concat_in_loop import BytesConcatInLoop
from memlint.rules.bytes_reslice_in_loop import BytesResliceInLoop
from memlint.rules.readlines_iterated import ReadlinesIterated

MEM2 = [r for r in get_registry().rules if r.code.startswith("MEM2")]


def lint_and_fix_all(source):
    settings = Settings(select=("MEM2",), target_version=(3, 12), unsafe_fixes=True)
    result = lint_text(source, "example.py", settings, MEM2)
    outcome = fix_text(source, "example.py", settings, MEM2, fix_allowed(settings, get_registry(), unsafe=True))
    return [d.code for d in result.diagnostics], outcome.text


def test_all_nine_rules_are_registered():
    assert sorted(r.code for r in MEM2) == [f"MEM20{i}" for i in range(1, 10)]


NEGATIVES = {
    "join": 'text = ", ".join([str(x) for x in items])\n',
    "sorted": "ordered = sorted([x.size for x in items])\n",
    "list reused after the loop": """
        def f(n):
            ids = list(range(n))
            for i in ids:
                print(i)
            return sum(ids)
        """,
    "copy of a dict mutated in the loop": "for k in list(d):\n    del d[k]\n",
    "filtered copy mutated in the loop": "for k in list(filter(None, d)):\n    del d[k]\n",
    "str +=": 'def f(words):\n    out = ""\n    for w in words:\n        out += w\n    return out\n',
    "bytearray +=": "def f(cs):\n    out = bytearray()\n    for c in cs:\n        out += c\n    return out\n",
    "user-defined sum": "def sum(xs, start=0):\n    return start\n\ntotal = sum([x for x in xs])\n",
    "imported list": "from mylib import list\nfor i in list(range(3)):\n    print(i)\n",
    "shadowed open": """
        from webbrowser import open

        def f(path, chunks):
            with open(path, "rb") as fh:
                buf = fh.read()
            for c in chunks:
                buf += c
        """,
}


@pytest.mark.parametrize("source", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_negatives_untouched_by_every_mem2_rule(source):
    source = textwrap.dedent(source).lstrip("\n")
    codes, fixed = lint_and_fix_all(source)
    assert codes == []
    assert fixed == source


def test_fixes_of_all_rules_together_compose():
    source = textwrap.dedent(
        """
        def f(fh, rows, n):
            total = sum([len(line) for line in fh.readlines()])
            first = [r for r in rows][0]
            count = len(list(range(n)))
            for i in list(range(n)):
                total += i
            return total, first, count
        """
    ).lstrip("\n")
    codes, fixed = lint_and_fix_all(source)
    assert sorted(codes) == ["MEM201", "MEM202", "MEM203", "MEM205", "MEM209"]
    assert fixed == textwrap.dedent(
        """
        def f(fh, rows, n):
            total = sum(len(line) for line in fh)
            first = next(r for r in rows)
            count = sum(1 for _ in range(n))
            for i in range(n):
                total += i
            return total, first, count
        """
    ).lstrip("\n")
    assert lint_and_fix_all(fixed) == ([], fixed)


# -- bytes-ness: what makes `buf` bytes for MEM207 ----------------------------------

LOOP = """
{header}
def f(chunks, {params}):
    {binding}
    for c in chunks:
        buf += c
"""

EVIDENCE = [
    ("", "", 'buf = b""', True),
    ("", "", "buf = B'abc' b'def'", True),
    ("", "", "buf = bytes(16)", True),
    ("", "", 'buf = b"".join(chunks)', True),
    ("", "", "buf = text.encode()", True),
    ("", "", 'buf = text.encode("utf-8", errors="strict")', True),
    ("", "", "buf = sock.recv(4096)", True),
    ("", "", "buf: bytes = make()", True),
    ("", "buf: bytes", "pass", True),
    ("", "buf: 'bytes'", "pass", True),
    ('EMPTY = b""', "", "buf = EMPTY", True),
    ("", "", 'with open(path, "rb") as fh:\n        buf = fh.read()', True),
    ("", "", 'with open(path, mode="rb") as fh:\n        buf = fh.read()', True),
    ("import gzip", "", "with gzip.open(path) as fh:\n        buf = fh.read()", True),
    ("", "", "buf = bytearray()", False),
    ("", "", 'buf = memoryview(b"")', False),
    ("", "", 'buf = ""', False),
    ("", "", "buf = make()", False),
    ("", "", "buf = encoder.encode(obj)", False),
    ("", "", "buf = conn.recv()", False),
    ("", "", "with open(path) as fh:\n        buf = fh.read()", False),
    ("", "", 'with open(path, "rb") as fh:\n        buf = fh.read(); fh = other', False),
    ("import gzip", "", 'with gzip.open(path, "rt") as fh:\n        buf = fh.read()', False),
    ("EMPTY = b''\nEMPTY = ''", "", "buf = EMPTY", False),
    ("from mylib import bytes", "", "buf = bytes(16)", False),
    ("", "buf: bytearray", "pass", False),
    ("", "buf: Optional[bytes]", "pass", False),
    ("", "", 'buf = b""\n    if chunks:\n        buf = make()', False),
    ("", "", 'global buf\n    buf = b""', False),
]


@pytest.mark.parametrize("header, params, binding, is_bytes", EVIDENCE)
def test_bytes_evidence(header, params, binding, is_bytes):
    source = LOOP.format(header=header, params=params or "path=None", binding=binding)
    codes = [d.code for d in lint(BytesConcatInLoop, source)]
    assert codes == (["MEM207"] if is_bytes else [])


def test_reslice_uses_the_same_evidence():
    source = "def f(sock, path):\n    with open(path, 'rb') as fh:\n        data = fh.read()\n    while data:\n        data = data[sock.send(data):]\n"
    assert [(d.code, d.line) for d in lint(BytesResliceInLoop, source)] == [("MEM208", 5)]
    assert lint(BytesResliceInLoop, source.replace("'rb'", "'r'")) == []


def test_readlines_iterated_after_its_with_block_is_not_reported():
    """The file is closed when the loop runs: it cannot be iterated instead."""
    source = "def f(p):\n    with open(p) as fh:\n        lines = fh.readlines()\n    for line in lines:\n        print(line)\n"
    assert lint(ReadlinesIterated, source) == []
    inside = source.replace("\n    for line in lines:\n        print", "\n        for line in lines:\n            print")
    assert [(d.code, d.line, d.column) for d in lint(ReadlinesIterated, inside)] == [("MEM203", 3, 17)]
