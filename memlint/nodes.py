"""Fast structural access to libcst nodes.

``CSTNode.children`` runs a visitor over the node to collect its children,
which made the per-scope analyses cost several times the parse. Nodes are
dataclasses, so their children are simply the node-valued fields, in field
order; the few node types whose fields are not in source order are
reordered, so that analyses that care about order (first assignment, last
import) see source order.

Analyses look at code, not layout: fields that only hold whitespace,
comments, brackets and separators (about half of all nodes) are left out.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Tuple, Type

import libcst as cst

# Fields that come first in the source but later in the dataclass.
_SOURCE_ORDER_FIRST: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {
    cst.FunctionDef: ("decorators",),
    cst.ClassDef: ("decorators",),
    cst.IfExp: ("body",),
}
_FIELDS: Dict[type, Tuple[str, ...]] = {}
_LAYOUT_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header", "footer",
    "trailing_whitespace", "lbracket", "rbracket", "lbrace", "rbrace", "dot", "colon", "equal", "newline",
})


def _is_layout(name: str) -> bool:
    return name in _LAYOUT_FIELDS or name.startswith("whitespace")


def _field_names(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        all_names = [f.name for f in dataclasses.fields(cls) if not _is_layout(f.name)]
        first = [n for n in _SOURCE_ORDER_FIRST.get(cls, ()) if n in all_names]
        # Keyed by node class: bounded by libcst's node types.
        names = _FIELDS[cls] = tuple(first + [n for n in all_names if n not in first])  # noqa: MEM303
    return names


def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The node's code children (``node.children`` without layout), without running a visitor."""
    result: List[cst.CSTNode] = []
    for name in _field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            result.append(value)
        elif isinstance(value, (tuple, list)):
            result.extend(item for item in value if isinstance(item, cst.CSTNode))
    return result
