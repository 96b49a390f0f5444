"""What a class releases (MEM501): `self.x = open(p)` in a method is fine
when the class (or a base) may release `self.x` somewhere."""
from __future__ import annotations

from typing import Dict, List, Optional, Set

import libcst as cst

from memlint.analysis import Collector, WalkFact
from memlint.context import Context

from ._resources import RELEASES


class ClassReleases(Collector):
    """Per class, the attributes its code (nested functions and classes
    included) may release: `x.<attr>.close()` or any release method, or
    `x.<attr>` handed to something that could close it (`f = self.f`,
    `closing(self.f)`, `with self.f:`)."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.released: Dict[cst.ClassDef, Set[str]] = {}
        self._classes: List[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        self.released[node] = set()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._classes:
            return
        parent = self.context.ancestors[-2]
        if isinstance(parent, cst.Attribute) and parent.attr.value not in RELEASES:
            return  # `self.f.write(...)`: a use
        if isinstance(parent, (cst.AssignTarget, cst.Comparison, cst.ComparisonTarget, cst.If)):
            return  # `self.f = ...`, `self.f is None`, `if self.f:`
        for cls in self._classes:
            self.released[cls].add(node.attr.value)


CLASS_RELEASES: WalkFact[ClassReleases] = WalkFact("attributes a class may release", ClassReleases)


def class_may_release(context: Context, cls: cst.ClassDef, attribute: str, seen: Optional[Set[cst.ClassDef]] = None) -> bool:
    """Whether ``cls`` or a base may release ``self.<attribute>`` (read once the
    walk is over: a release may come after the store). Unknown bases might
    release it, so they count."""
    seen = set() if seen is None else seen
    if cls in seen:
        return False
    seen.add(cls)
    for base in cls.bases:
        local = context.symbols.classes.get(base.value.value) if isinstance(base.value, cst.Name) else None
        if local is not None:
            if class_may_release(context, local, attribute, seen):
                return True
        elif context.qualified_name(base.value) != "builtins.object":
            return True
    return attribute in context.fact(CLASS_RELEASES).released.get(cls, ())
