"""Names in code: dotted names, the callee of a call or decorator, and the
names an assignment binds. Pure functions of a node; qualified names through
the module's imports are :meth:`memlint.context.Context.qualified_name`."""
from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst


def dotted_name(node: cst.CSTNode) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def callee(node: cst.CSTNode) -> cst.CSTNode:
    """The name part of a call or decorator: ``f`` of ``f()``, ``@f`` and ``@f()``;
    any other node is returned as it is."""
    if isinstance(node, cst.Decorator):
        node = node.decorator
    if isinstance(node, cst.Call):
        node = node.func
    return node


def last_name(node: cst.CSTNode) -> Optional[str]:
    """The last part of what a call or decorator names, as spelled:
    ``open`` of ``io.open(p)``, ``append`` of ``x.append``, ``cache`` of
    ``@functools.cache``; None for computed callees (``fs[0]()``)."""
    node = callee(node)
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def target_names(target: cst.CSTNode) -> Iterator[cst.Name]:
    """Names bound by an assignment target (through tuples, lists and stars)."""
    return (element for element in target_elements(target) if isinstance(element, cst.Name))


def assignment_targets(statement: cst.CSTNode) -> List[cst.BaseExpression]:
    """What an assignment or ``del`` stores to or deletes: each target of
    ``a = b = v``, the target of ``x: T = v`` / ``x += v``, each element of
    ``del a, b``; nothing for other statements."""
    if isinstance(statement, cst.Assign):
        return [target.target for target in statement.targets]
    if isinstance(statement, (cst.AnnAssign, cst.AugAssign)):
        return [statement.target]
    if isinstance(statement, cst.Del):
        target = statement.target
        if isinstance(target, (cst.Tuple, cst.List)):
            return [element.value for element in target.elements]
        return [target]
    return []


def target_elements(target: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """What an assignment target stores to, through tuples, lists and stars:
    ``a``, ``self.b`` and ``c[0]`` of ``a, (self.b, *c[0]) = ...``."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_elements(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_elements(target.value)
    else:
        yield target
