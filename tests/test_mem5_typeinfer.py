"""memlint.analysis.types: what a name or expression holds, without a type checker."""
import textwrap

import libcst as cst
import libcst.matchers as m
import pytest

from memlint.config import Settings
from memlint.context import Context
from memlint.analysis.types import type_inference

PRELUDE = textwrap.dedent(
    """
    import functools
    import pathlib
    import urllib.request as ur
    from pathlib import Path
    from typing import Optional
    from urllib.request import OpenerDirector

    BASE = Path("/srv")
    NAME = "x"

    class Store:
        root: Path

        def __init__(self, cache):
            self.cache = pathlib.Path(cache)
            self.maybe = None
            self.maybe = Path(cache)

        @property
        def config(self) -> Path:
            return self.root / "config"

        @functools.cached_property
        def opener(self) -> "OpenerDirector":
            return ur.build_opener()

        def index(self) -> Optional[Path]:
            return None

        @classmethod
        def default(cls) -> "Store":
            return cls("/tmp")

    def make() -> Path:
        return BASE

    def untyped():
        return BASE
    """
)


def infer(body: str):
    source = PRELUDE + "\ndef probe(p: Path, o: 'OpenerDirector | None', s, store: Store):\n"
    source += textwrap.indent(textwrap.dedent(body), "    ") + "    probe_value = TARGET\n"
    module = cst.parse_module(source)
    context = Context(module, "example.py", Settings())
    target = m.findall(module, m.Assign(targets=[m.AssignTarget(m.Name("probe_value"))]))[0]
    return type_inference(context).type_of(target.value)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("TARGET = p\n", "pathlib.Path"),
        ("TARGET = o\n", "urllib.request.OpenerDirector"),
        ("TARGET = s\n", None),
        ("TARGET = Path('a')\n", "pathlib.Path"),
        ("TARGET = pathlib.PosixPath('a')\n", "pathlib.Path"),
        ("x = Path('a')\nTARGET = x\n", "pathlib.Path"),
        ("x = Path('a')\nx = 'b'\nTARGET = x\n", None),
        ("TARGET = p.parent / 'x'\n", "pathlib.Path"),
        ("TARGET = Path.home().joinpath('x')\n", "pathlib.Path"),
        ("TARGET = BASE\n", "pathlib.Path"),
        ("TARGET = NAME\n", None),
        ("TARGET = make()\n", "pathlib.Path"),
        ("TARGET = untyped()\n", None),
        ("TARGET = ur.build_opener()\n", "urllib.request.OpenerDirector"),
        ("TARGET = store\n", "<module>.Store"),
        ("TARGET = Store('x')\n", "<module>.Store"),
        ("TARGET = Store.default()\n", "<module>.Store"),
        ("TARGET = store.config\n", "pathlib.Path"),
        ("TARGET = store.opener\n", "urllib.request.OpenerDirector"),
        ("TARGET = store.index()\n", "pathlib.Path"),
        ("TARGET = store.root\n", "pathlib.Path"),
        ("TARGET = store.cache\n", "pathlib.Path"),
        ("TARGET = store.maybe\n", "pathlib.Path"),
        ("TARGET = store.config()\n", None),  # a property is not called
        ("TARGET = store.index\n", None),  # a bound method is not its result
        ("TARGET = pathlib\n", None),  # a module, not an instance
        ("TARGET = len(p)\n", None),
        ("Path = str\nTARGET = Path('a')\n", None),  # shadowed locally
    ],
)
def test_type_of(body, expected):
    assert infer(body) == expected
