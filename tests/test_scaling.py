"""Linear cost in file size: no rule or analysis may be quadratic in the
statements, methods or nodes of a file. Each shape is linted at 1x, 4x and 16x
a base size, in a worker process as the command line runs it; the CPU time of
the 16x file may be at most 20x that of the 1x file (ratios within one run,
never absolute times)."""
import gc
import time

import pytest

from memlint.config import Settings
from memlint.engine import lint_text
from memlint.registry import get_registry
from memlint.workers import Job, run_supervised

HEADER = "import functools\nimport gc\nfrom dataclasses import dataclass\nCACHE = {}\n"


def many_methods(n):
    return "class Big:\n" + "".join(
        f"    def m{i}(self, x, path):\n        self.a{i} = [y for y in list(range(x))]\n"
        f"        return open(path).read()\n"
        for i in range(n)
    )


def many_functions(n):
    return HEADER + "".join(
        f"@functools.lru_cache(maxsize=None)\ndef f{i}(x, path):\n"
        f"    for y in list(range(x)):\n        CACHE[y] = x\n"
        f"    gc.collect()\n    with open(path) as h:\n        return [l for l in h.readlines()]\n"
        for i in range(n)
    )


def elif_chain(n):
    arms = "".join(f"    elif x == {i}:\n        out = [y for y in list(range(x + {i}))]\n        buf += b'{i}'\n" for i in range(1, n))
    return "def f(x):\n    buf = b''\n    out = None\n    if x == 0:\n        out = []\n" + arms + (
        "    for i in list(range(x)):\n        buf += b'.'\n    return out, buf\n"
    )


def resources_in_an_elif_chain(n):
    """Each arm binds the same names again (a file, an exception, a frame):
    every binding is asked about, deep in the chain, against all the others."""
    arm = (
        "    elif x == {i}:\n        h = open(path)\n        data = h.read()\n"
        "        try:\n            v = int(data)\n        except ValueError as e:\n            saved = e\n"
        "        finally:\n            frame = sys._getframe()\n        SEEN.append(v)\n"
    )
    return "import sys\nSEEN = []\ndef f(x, path):\n    saved = None\n    if x == 0:\n        pass\n" + "".join(
        arm.format(i=i) for i in range(1, n)
    )


def exceptions_kept_in_an_elif_chain(n):
    """Each arm keeps an exception in the same local and reads it later: each
    store asks what every path after it does with the value."""
    arm = (
        "    elif x == {i}:\n        try:\n            v = int(x)\n        except ValueError as e:\n"
        "            saved = e\n        log(saved)\n"
    )
    return "def f(x, log):\n    saved = None\n    if x == 0:\n        pass\n" + "".join(
        arm.format(i=i) for i in range(1, n)
    ) + "    return v\n"


def concatenations(n):
    body = "".join(f"        s = s + 'v{i}' + str(x) + \"w\"\n        b += b'{i}'\n" for i in range(n))
    return "def f(xs):\n    s = ''\n    b = b''\n    for x in xs:\n" + body + "    return s, b\n"


def small_classes(n):
    return HEADER + "".join(
        f"@dataclass\nclass D{i}:\n    a: int\n    b: str = ''\n\n"
        f"class C{i}:\n    __slots__ = ('x', 'parent')\n"
        f"    def __init__(self, parent):\n        self.x = [p for p in list(range(parent.n))]\n"
        f"        self.parent = parent\n        parent.children.append(self)\n\n"
        for i in range(n)
    )


# shape -> (generator, base size: ~0.1-0.3 s of CPU at 1x)
SHAPES = {
    "methods in one class": (many_methods, 300),
    "top-level functions": (many_functions, 100),
    "if/elif chain": (elif_chain, 150),
    "resources in an if/elif chain": (resources_in_an_elif_chain, 60),
    "exceptions kept in an if/elif chain": (exceptions_kept_in_an_elif_chain, 120),
    "string and bytes concatenations": (concatenations, 150),
    "small classes": (small_classes, 100),
}
FACTORS = (1, 4, 16)
REPEATS = 3


def lint_cpu_seconds(text, _):
    """The CPU time of linting ``text`` with every rule, the cyclic garbage
    collector off: when and how long it collects depends on the whole heap
    of the process, not on the rules and analyses this test is about."""
    settings = Settings(preview=True)  # every rule: preview rules cost the same under --preview
    rules = settings.enabled_rules(get_registry())
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        result = lint_text(text, "big.py", settings, rules)
        seconds = time.process_time() - start
    finally:
        gc.enable()
    assert not result.errors, result.errors[:3]
    return seconds, len(result.findings)


def warm_up():
    lint_cpu_seconds("".join(generate(2) for generate, _ in SHAPES.values()), None)


@pytest.mark.slow
@pytest.mark.parametrize("shape", [
    "methods in one class",
    "top-level functions",
    "if/elif chain",
    "resources in an if/elif chain",
    "exceptions kept in an if/elif chain",
    "string and bytes concatenations",
    "small classes",
])
def test_cost_grows_linearly_with_file_size(shape):
    generate, base = SHAPES[shape]
    texts = [generate(base * factor) for factor in FACTORS]
    seconds, found = fastest_of(REPEATS, texts)
    if seconds[-1] / seconds[0] > 20:
        # Linear code measures 17-19x here (libcst's own parser is superlinear:
        # caches and nesting), so one load spike on a shared machine can cross
        # the bound: measure REPEATS more times, the fastest of all still counts.
        more, _ = fastest_of(REPEATS, texts)
        seconds = [min(pair) for pair in zip(seconds, more)]
    assert found[1] > found[0] and found[2] - found[0] == 5 * (found[1] - found[0])  # findings per item: the rules ran
    assert seconds[-1] / seconds[0] <= 20, seconds


def fastest_of(repeats, texts):
    """The fastest CPU seconds of linting each text ``repeats`` times (the runs
    interleaved: on a busy machine one slow run would otherwise decide the
    ratio), and the findings of each."""
    jobs = [Job(text, None) for _ in range(repeats) for text in texts]
    results = run_supervised(jobs, lint_cpu_seconds, 1, warm_up=warm_up)
    seconds = [min(results[i + k * len(texts)][0] for k in range(repeats)) for i in range(len(texts))]
    return seconds, [count for _, count in results[: len(texts)]]


def test_fixes_apply_in_an_elif_chain_deeper_than_the_python_stack():
    """libcst's transformer and code generation recurse once per nesting level."""
    from memlint.runner import Mode, process_source

    arms = 400
    source = elif_chain(arms)
    report = process_source(source.encode(), "chain.py", Settings(preview=True), Mode(fix=True, unsafe_fixes=True))
    assert report.warnings == [] and report.errors == []
    assert report.fixed == arms + 1  # each arm's list(range(...)), the loop's, and buf becomes a bytearray
    expected = (
        source.replace("in list(range(", "in range(").replace("))]", ")]").replace("(x)):", "(x):")
        .replace("buf = b''", "buf = bytearray()").replace("return out, buf", "return out, bytes(buf)")
    )
    assert report.output.decode() == expected
