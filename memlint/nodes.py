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

# Node types whose dataclass fields are not in source order: their code
# fields in the order libcst itself visits them (tests/test_nodes.py checks
# the walk against libcst's on real code); other fields keep dataclass order.
_SOURCE_ORDER: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {
    cst.Arg: ("keyword", "value"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.CompFor: ("asynchronous", "target", "iter", "ifs", "inner_for_in"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.For: ("asynchronous", "target", "iter", "body", "orelse"),
    cst.FunctionDef: ("decorators", "asynchronous", "name", "type_parameters", "params", "returns", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.With: ("asynchronous", "items", "body"),
}
_FIELDS: Dict[type, Tuple[str, ...]] = {}
_LAYOUT_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header", "footer",
    "trailing_whitespace", "lbracket", "rbracket", "lbrace", "rbrace", "dot", "colon", "equal", "newline",
    "first_colon", "second_colon", "leading_whitespace", "relative",
})


def _is_layout(name: str) -> bool:
    return name in _LAYOUT_FIELDS or name.startswith("whitespace")


def _field_names(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        all_names = [f.name for f in dataclasses.fields(cls) if not _is_layout(f.name)]
        first = [n for n in _SOURCE_ORDER.get(cls, ()) if n in all_names]
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
