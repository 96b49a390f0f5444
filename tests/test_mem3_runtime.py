"""Runtime proofs for the MEM3/MEM406 fixes: the fixture code is executed before
and after `--fix --unsafe-fixes` (the committed goldens, which test_fixtures
checks are exactly what the fixer writes)."""
import gc
import weakref
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name):
    """Execute a fixture file as a module and return its namespace."""
    path = FIXTURES / name
    namespace = {"__name__": path.stem.replace(".", "_")}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def survives_without_collection(namespace, make):
    """Whether an object made by ``make`` outlives its last local reference
    while the cyclic collector is off (only reference counting can free it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        obj = make(namespace)
        ref = weakref.ref(obj)
        del obj
        return ref() is not None
    finally:
        if was_enabled:
            gc.enable()


SELF_REGISTERING = {
    "Connection": lambda ns: ns["Connection"]("db.example"),
    "Widget": lambda ns: ns["Widget"]("button"),
    "Service": lambda ns: ns["Service"]("billing"),
}


@pytest.mark.parametrize("make", SELF_REGISTERING.values(), ids=SELF_REGISTERING.keys())
def test_mem406_fix_frees_self_registered_instances(make):
    assert survives_without_collection(load("MEM406.py"), make), "the original keeps the instance alive"
    assert not survives_without_collection(load("MEM406.fixed.py"), make), "the fixed registry must not"


def test_mem406_fixed_registry_still_finds_live_instances():
    fixed = load("MEM406.fixed.py")
    service = fixed["Service"]("billing")
    assert fixed["Service"].find("billing") is service
    conn = fixed["Connection"]("db.example")
    assert fixed["open_hosts"]() == ["db.example"]
    del conn, service


CACHED = {
    "user_profile": lambda ns, i: ns["user_profile"](i),
    "parse_query": lambda ns, i: ns["parse_query"](f"a={i}"),
    "tokenize": lambda ns, i: ns["tokenize"](f"word {i}"),
    "area": lambda ns, i: ns["Geometry"].area(i, 2),
}
CALLS = 5000


def cache_size(namespace, name, call):
    for i in range(CALLS):
        call(namespace, i)
    function = namespace["Geometry"].area if name == "area" else namespace[name]
    return function.cache_info()


@pytest.mark.parametrize("name", CACHED, ids=list(CACHED))
def test_mem301_fixed_cache_stays_bounded(name):
    original = cache_size(load("MEM301.py"), name, CACHED[name])
    assert original.maxsize is None and original.currsize == CALLS
    fixed = cache_size(load("MEM301.fixed.py"), name, CACHED[name])
    assert fixed.maxsize == 1024
    assert fixed.currsize <= fixed.maxsize
