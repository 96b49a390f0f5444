"""Shared by the MEM2 rules: is a value only iterated, once?"""
from typing import Dict, FrozenSet, Optional, Sequence

import libcst as cst

from memlint.context import Context

ALL = None  # every positional argument is an iterable
# Single-pass wrappers: iterating the wrapper iterates these arguments once.
SINGLE_PASS_WRAPPERS: Dict[str, Optional[FrozenSet[int]]] = {
    "builtins.enumerate": frozenset({0}),
    "builtins.iter": frozenset({0}),
    "builtins.zip": ALL,
    "builtins.map": frozenset(range(1, 64)),
    "builtins.filter": frozenset({1}),
    "itertools.islice": frozenset({0}),
    "itertools.chain": ALL,
    "itertools.chain.from_iterable": frozenset({0}),
}


def iterated_once(context: Context, path: Sequence[cst.CSTNode]) -> bool:
    """Whether the last node of ``path`` (the path from the module, as in
    ``context.ancestors``) is the iterable of a ``for`` or comprehension,
    directly or through single-pass wrappers in the header
    (``enumerate(x, 1)``, ``zip(x, ys)``, ``itertools.islice(x, 10)``)."""
    node = path[-1]
    index = len(path) - 2
    while index >= 0:
        parent = path[index]
        if isinstance(parent, (cst.For, cst.CompFor)):
            return parent.iter is node
        call = path[index - 1] if index >= 1 else None
        if not (isinstance(parent, cst.Arg) and isinstance(call, cst.Call) and _wrapped(context, call, parent)):
            return False
        node, index = call, index - 2
    return False


def _wrapped(context: Context, call: cst.Call, arg: cst.Arg) -> bool:
    if arg.keyword is not None or arg.star:
        return False
    name = context.qualified_name(call.func)
    if name not in SINGLE_PASS_WRAPPERS:
        return False
    positions = SINGLE_PASS_WRAPPERS[name]
    position = [a for a in call.args].index(arg)
    return positions is ALL or position in positions
