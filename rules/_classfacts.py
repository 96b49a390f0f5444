"""What MEM403 and MEM405 (rules/exception_retained.py, rules/immortal_callback.py)
still import from the former MEM4 class facts. The facts themselves live in
memlint.analysis.classes; delete this module once those rules read that
analysis (``requires = (CLASSES,)``) and take the instance parameter from
``FunctionSite``."""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Set

import libcst as cst

from memlint.analysis import Fact
from memlint.analysis.classes import ClassIndex, Store
from memlint.analysis.names import last_name
from memlint.analysis.functions import positional_params
from memlint.context import Context
from memlint.walk import Dispatch, walk


class ClassFacts(NamedTuple):
    node: cst.ClassDef
    methods: Set[str]  # undecorated defs the class body does not rebind
    stores: Dict[str, List[Store]]  # instance attribute -> statements of the methods storing or deleting it
    class_names: Set[str]  # names the class body binds or annotates


def class_facts(context: Context) -> Dict[str, ClassFacts]:
    """Facts of the module-level classes, by name."""
    return context.fact(_CLASS_FACTS)


def self_name(function: cst.FunctionDef) -> Optional[str]:
    """The first parameter of a def not decorated as a static or class method, as spelled."""
    if any(last_name(d) in ("staticmethod", "classmethod") for d in function.decorators):
        return None
    params = positional_params(function.params)
    return params[0].name.value if params else None


def _compute(context: Context) -> Dict[str, ClassFacts]:
    # These rules read the facts during the walk, before it has seen every
    # class: they get a walk of their own, on a context of their own.
    own = Context(context.module, context.filename, context.settings)
    index = ClassIndex(own)
    walk(context.module, Dispatch([(index, index.visitors())]), own.push, own.pop, _reraise)
    return {
        name: ClassFacts(info.node, info.plain_methods, info.stores, info.names) for name, info in index.by_name.items()
    }


def _reraise(owner: object, error: Exception) -> List[object]:
    raise error


_CLASS_FACTS: Fact[Dict[str, ClassFacts]] = Fact("class facts for MEM403/MEM405", _compute)
