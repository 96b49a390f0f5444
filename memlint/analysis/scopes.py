"""Per-scope facts computed on demand: which names a scope binds, how, and where
each name is read, plus a parent map of the scope's subtree.

The engine never computes these eagerly; a rule asks ``context.scope_info(node)``
for a function, lambda, class or module once it has a candidate finding, and the
answer is cached per file. This replaces libcst's ScopeProvider, which costs
several times the parse on every file (see DESIGN.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from bisect import bisect_left, bisect_right
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple, TypeVar, Union, cast

import libcst as cst
from memlint.analysis.functions import all_params
from memlint.analysis.names import target_names
from memlint.nodes import children

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef]
SCOPE_TYPES = (cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass(frozen=True)
class Binding:
    """One place where a scope binds ``name``.

    ``kind`` is one of: param, assign, annassign, augassign, for, with, except,
    walrus, import, def, class, del, match. ``value`` is the bound expression
    when the binding binds the whole value to this one name (``x = value``,
    ``x: T = value``, a parameter default, ``with value as x``, the iterable of
    ``for x in value``); ``None`` for unpacking and the like. ``statement`` is the
    node that performs the binding (the Assign, Param, For, ...).
    """

    name: str
    kind: str
    target: cst.CSTNode
    statement: cst.CSTNode
    value: Optional[cst.BaseExpression] = None
    annotation: Optional[cst.BaseExpression] = None
    qualified_name: Optional[str] = None  # for imports: what the name refers to
    unpacked: bool = False


class ScopeInfo:
    """Bindings, reads and parents of one scope's subtree."""
    __slots__ = (
        "node", "bindings", "loads", "global_names", "nonlocal_names", "_parents", "_nearest", "_positions", "_answers",
    )

    def __init__(self, node: ScopeNode) -> None:
        self.node = node
        self.bindings: Dict[str, List[Binding]] = {}
        self.loads: Dict[str, List[cst.Name]] = {}
        self.global_names: Set[str] = set()
        self.nonlocal_names: Set[str] = set()
        self._parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        # types -> id(node) -> the nearest ancestor-or-self of those types
        self._nearest: Dict[Tuple[type, ...], Dict[int, Optional[cst.CSTNode]]] = {}
        self._positions: Optional[Positions] = None
        self._answers: Dict[Tuple[NameQuestion[object], str], object] = {}
        _ScopeCollector(self).collect()

    def binds(self, name: str) -> bool:
        """True when ``name`` is local to this scope (not declared global/nonlocal)."""
        return name in self.bindings and name not in self.global_names and name not in self.nonlocal_names

    def bindings_of(self, name: str) -> List[Binding]:
        return self.bindings.get(name, [])

    def loads_of(self, name: str) -> List[cst.Name]:
        """Every read of ``name`` in the subtree, nested scopes included."""
        return self.loads.get(name, [])

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The parent of a node inside this scope's subtree (None for the scope node)."""
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """Parents of ``node`` from the nearest up to the scope node."""
        parent = self._parents.get(node)
        while parent is not None:
            yield parent
            parent = self._parents.get(parent)

    def nearest(self, node: cst.CSTNode, types: Tuple[type, ...]) -> Optional[cst.CSTNode]:
        """The nearest proper ancestor of ``node`` of one of ``types``.

        Answers are remembered for every node climbed through, so asking it of
        all the statements of a scope costs the size of the scope, not size
        times depth (an ``elif`` chain nests as deep as it is long)."""
        memo = self._nearest.setdefault(types, {})
        climbed: List[int] = []
        current = self._parents.get(node)
        while current is not None and id(current) not in memo and not isinstance(current, types):
            climbed.append(id(current))
            current = self._parents.get(current)
        found = memo[id(current)] if current is not None and id(current) in memo else current
        for key in climbed:
            memo[key] = found
        return found

    def ancestors_of_type(self, node: cst.CSTNode, types: Tuple[type, ...]) -> Iterator[cst.CSTNode]:
        """The ancestors of ``node`` of one of ``types``, nearest first."""
        current = self.nearest(node, types)
        while current is not None:
            yield current
            current = self.nearest(current, types)

    def positions(self) -> "Positions":
        """Where the nodes of the subtree are in the source (built once)."""
        if self._positions is None:
            self._positions = Positions(self)
        return self._positions

    def answer(self, question: "NameQuestion[Answer]", name: str) -> Answer:
        """``question(self, name)``, computed once per name: a rule asking it
        for each binding of a name would scan all the bindings each time."""
        key = (question, name)
        if key not in self._answers:
            self._answers[key] = question(self, name)
        return cast(Answer, self._answers[key])

    def _add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


class _ScopeCollector:
    """One recursive walk over a scope: parents everywhere, bindings only in the
    scope itself (nested functions and classes bind in their own scope), reads
    everywhere (a nested function reading a name is a use of it)."""

    def __init__(self, info: ScopeInfo) -> None:
        self.info = info
        self.root = info.node
        self.stores: Set[cst.Name] = set()  # Name nodes written (assignment targets)

    def collect(self) -> None:
        root = self.root
        if isinstance(root, (cst.FunctionDef, cst.Lambda)):
            for param in all_params(root.params):
                self._bind(param.name, "param", param, value=param.default,
                           annotation=param.annotation.annotation if param.annotation else None)
        self._walk(root, own_scope=True)

    def _walk(self, node: cst.CSTNode, own_scope: bool, in_import: bool = False) -> None:
        parents = self.info._parents
        self._mark_stores(node)
        in_import = in_import or isinstance(node, (cst.Import, cst.ImportFrom))
        for child in children(node):
            parents[child] = node
            child_own = own_scope and not (isinstance(child, SCOPE_TYPES) and child is not self.root)
            if own_scope:
                self._record_binding(child)
            self._walk(child, child_own, in_import)
        if isinstance(node, cst.Name) and not in_import:
            self._maybe_load(node)

    def _mark_stores(self, node: cst.CSTNode) -> None:
        targets: List[cst.CSTNode] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [node.asname.name]
        elif isinstance(node, cst.Del):
            targets = [node.target]
        for target in targets:
            self.stores.update(target_names(target))

    def _maybe_load(self, name: cst.Name) -> None:
        if name in self.stores:
            return
        parent = self.info._parents.get(name)
        if _is_load(name, parent):
            self.info.loads.setdefault(name.value, []).append(name)

    # -- bindings -------------------------------------------------------------

    def _bind(self, target: cst.CSTNode, kind: str, statement: cst.CSTNode, **kw: object) -> None:
        """Bind every name of ``target``; the value belongs to a lone name only."""
        for name in target_names(target):
            extra = kw if name is target else {"unpacked": True}
            self.info._add(Binding(name.value, kind, name, statement, **extra))

    def _record_binding(self, node: cst.CSTNode) -> None:
        if node is self.root:
            return
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._bind(target.target, "assign", node, value=node.value)
        elif isinstance(node, cst.AnnAssign):
            self._bind(node.target, "annassign", node, value=node.value, annotation=node.annotation.annotation)
        elif isinstance(node, cst.AugAssign):
            self._bind(node.target, "augassign", node, value=node.value)
        elif isinstance(node, cst.For):
            self._bind(node.target, "for", node, value=node.iter)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            self._bind(node.asname.name, "with", node, value=node.item)
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            self._bind(node.name.name, "except", node)
        elif isinstance(node, cst.NamedExpr):
            self._bind(node.target, "walrus", node, value=node.value)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self._bind(node.name, "def" if isinstance(node, cst.FunctionDef) else "class", node)
        elif isinstance(node, cst.Del):
            self._bind_del(node.target, node)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self._bind_import(node)
        elif isinstance(node, cst.Global):
            self.info.global_names.update(n.name.value for n in node.names)
        elif isinstance(node, cst.Nonlocal):
            self.info.nonlocal_names.update(n.name.value for n in node.names)
        elif isinstance(node, cst.MatchAs) and node.name is not None:
            self._bind(node.name, "match", node)
        elif isinstance(node, cst.MatchStar) and node.name is not None:
            self._bind(node.name, "match", node)

    def _bind_del(self, target: cst.BaseExpression, statement: cst.Del) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_del(element.value, statement)
        elif isinstance(target, cst.Name):
            self._bind(target, "del", statement)

    def _bind_import(self, node: Union[cst.Import, cst.ImportFrom]) -> None:
        from memlint.analysis.imports import import_bindings

        for local, qualified, alias in import_bindings(node):
            self.info._add(Binding(local, "import", alias, node, qualified_name=qualified))


def _is_load(name: cst.Name, parent: Optional[cst.CSTNode]) -> bool:
    """Whether a Name node (not an assignment target) reads a variable, rather
    than naming an attribute, a keyword, a definition or an import."""
    return names_variable(name, parent, _NON_VARIABLE_PARENTS)


def names_variable(name: cst.Name, parent: Optional[cst.CSTNode], other_parents: Tuple[type, ...]) -> bool:
    """Whether ``name`` stands for a variable: not an attribute's name, a
    keyword argument's keyword, or the name of a def or class, and its parent
    is none of ``other_parents`` (the parents whose names the caller does not
    count as variables: parameters, imports, ...)."""
    if isinstance(parent, cst.Attribute):
        return parent.value is name
    if isinstance(parent, cst.Arg):
        return parent.keyword is not name
    if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
        return parent.name is not name
    return not isinstance(parent, other_parents)


_NON_VARIABLE_PARENTS = (
    cst.Param, cst.ImportAlias, cst.AsName, cst.ImportFrom, cst.Global, cst.Nonlocal,
    cst.NameItem, cst.ExceptHandler, cst.MatchAs, cst.MatchStar, cst.MatchKeywordElement,
    cst.MatchMapping,
)


def path_in_scope(info: ScopeInfo, node: cst.CSTNode) -> List[cst.CSTNode]:
    """The nodes from the scope node down to ``node`` (a node of its subtree),
    the shape of ``Context.ancestors``: what the helpers of
    :mod:`memlint.analysis.blocks` take for nodes other than the visited one."""
    path = [node, *info.ancestors(node)]
    path.reverse()
    return path


def free_name(info: ScopeInfo, preferred: str) -> Optional[str]:
    """``preferred``, else ``preferred2`` ... ``preferred9``: the first name the
    scope neither binds nor reads (binding a name the scope reads as a global
    would shadow it); None when all are taken."""
    for candidate in [preferred] + [f"{preferred}{n}" for n in range(2, 10)]:
        if not (info.bindings_of(candidate) or info.loads_of(candidate)):
            return candidate
    return None


def source_order(info: ScopeInfo) -> Dict[cst.CSTNode, int]:
    """Every node of the scope's subtree (the scope node aside) with its rank
    in the source: ``order[a] < order[b]`` when ``a`` starts before ``b``, an
    ancestor before its descendants. The parent map is filled by a walk in
    source order, parents first, so its order is the answer."""
    return {node: rank for rank, node in enumerate(info._parents)}


# A question about one name of a scope that does not depend on where it is
# asked (``del name`` somewhere in a ``finally``, the nodes that hold a read of
# the name): ScopeInfo.answer asks it once.
Answer = TypeVar("Answer")
NameQuestion = Callable[[ScopeInfo, str], Answer]


class Positions:
    """Where each node of a scope's subtree starts and ends in the source, and
    the reads of each name in that order.

    Asked of every binding of a name, "which reads come after this statement"
    would otherwise scan all the reads each time: in an ``if``/``elif`` chain
    that binds one name in each of N arms, N bindings times N reads. Here it
    is a bisect, and "is this node inside that one" two comparisons, not a
    climb as deep as the chain is long."""

    __slots__ = ("_loads", "_rank", "_last", "_reads")

    def __init__(self, info: ScopeInfo) -> None:
        self._loads = info.loads  # not the ScopeInfo, which keeps this: no reference cycle
        self._rank = source_order(info)
        self._last = _last_descendants(info, self._rank)
        self._reads: Dict[str, Tuple[Tuple[cst.Name, ...], List[int]]] = {}

    def below(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        """``node`` is a descendant of ``ancestor`` (False for a node outside the scope)."""
        start, rank = self._rank.get(ancestor), self._rank.get(node)
        return start is not None and rank is not None and start < rank <= self._last[ancestor]

    def holds(self, ancestor: cst.CSTNode, node: cst.CSTNode) -> bool:
        """``node`` is ``ancestor`` or one of its descendants."""
        return node is ancestor or self.below(node, ancestor)

    def reads(self, name: str) -> Tuple[cst.Name, ...]:
        """The reads of ``name`` (ScopeInfo.loads_of) in source order."""
        return self._reads_of(name)[0]

    def reads_around(self, name: str, node: cst.CSTNode) -> Tuple[int, int]:
        """Where ``node`` falls among the reads of ``name`` (:meth:`reads`):
        the index of the first read inside or after it and of the first read
        after it, so ``reads[:start]`` come before it and ``reads[stop:]`` after."""
        ranks = self._reads_of(name)[1]
        return bisect_left(ranks, self._rank[node]), bisect_right(ranks, self._last[node])

    def _reads_of(self, name: str) -> Tuple[Tuple[cst.Name, ...], List[int]]:
        if name not in self._reads:
            reads = tuple(sorted(self._loads.get(name, ()), key=self._rank.__getitem__))
            self._reads[name] = reads, [self._rank[read] for read in reads]
        return self._reads[name]


def _last_descendants(info: ScopeInfo, rank: Dict[cst.CSTNode, int]) -> Dict[cst.CSTNode, int]:
    """Each node with the rank of its last descendant (its own for a leaf).
    Ranks are given parents first, so going backwards every node is done
    before its parent is."""
    last = dict(rank)
    for node, parent in reversed(list(info._parents.items())):
        if parent in last and last[node] > last[parent]:
            last[parent] = last[node]
    return last
