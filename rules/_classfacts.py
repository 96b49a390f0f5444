"""What MEM405 (rules/immortal_callback.py) still imports from the former
MEM4 class facts. The facts themselves live in memlint.analysis.classes;
delete this module once that rule reads the analysis (``requires =
(CLASSES,)``, deciding in ``leave_Module``)."""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Set

import libcst as cst

from memlint.analysis import Fact
from memlint.analysis.classes import ClassIndex, Store
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


def _compute(context: Context) -> Dict[str, ClassFacts]:
    # The rule reads the facts during the walk, before it has seen every
    # class: it gets a walk of its own, on a context of its own.
    own = Context(context.module, context.filename, context.settings)
    index = ClassIndex(own)
    walk(context.module, Dispatch([(index, index.visitors())]), own.push, own.pop, _reraise)
    return {
        name: ClassFacts(info.node, info.plain_methods, info.stores, info.names) for name, info in index.by_name.items()
    }


def _reraise(owner: object, error: Exception) -> List[object]:
    raise error


_CLASS_FACTS: Fact[Dict[str, ClassFacts]] = Fact("class facts for MEM405", _compute)
