"""The shared facts rules ask about, one module per kind of fact.

A fact is computed at most once per file and asked for through a typed key:
``context.fact(TYPE_INFERENCE)`` returns a ``TypeInference``, and the type
checker knows it. Two kinds of key:

- :class:`Fact`: computed lazily, on the first request, from the context
  (the module, the import table, per-scope bindings).
- :class:`WalkFact`: a :class:`Collector` fed by the engine's single walk. A
  rule that reads one declares it in ``Rule.requires``; the engine creates the
  collector before the walk and dispatches each node to it *before* the rules
  see that node, so by a rule's ``leave_Module`` the collector has seen the
  whole module (its own ``leave_Module`` has run). No analysis walks the tree
  a second time, and what a collector records never depends on which rules
  are enabled.

Keys are compared by identity; ``name`` is for error messages only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, TypeVar

if TYPE_CHECKING:
    from memlint.context import Context

T = TypeVar("T")
C = TypeVar("C", bound="Collector")


class Fact(Generic[T]):
    """A per-file analysis, computed on first request by ``compute(context)``."""

    __slots__ = ("name", "compute")

    def __init__(self, name: str, compute: Callable[["Context"], T]) -> None:
        self.name = name
        self.compute = compute

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Collector:
    """Base of the analyses fed by the walk: ``visit_<Node>`` / ``leave_<Node>``
    methods, named as on a rule, receive the nodes of that type."""

    __slots__ = ("context",)

    def __init__(self, context: "Context") -> None:
        self.context = context

    def visitors(self) -> Dict[str, Callable[[Any], None]]:
        """The ``visit_*``/``leave_*`` methods this collector defines."""
        return {
            name: getattr(self, name)
            for name in dir(type(self))
            if name.startswith(("visit_", "leave_")) and callable(getattr(self, name))
        }


class WalkFact(Fact[C]):
    """A fact built by a :class:`Collector` that the engine feeds from its walk.
    Reading it is allowed only to rules that list it in ``requires``."""

    __slots__ = ()
