"""Line/column positions of just the reported nodes.

libcst's ``PositionProvider`` generates the code of the whole module to find
every node's position. Code generation runs in source order, so once the last
node we need has been generated, the rest of the module is skipped. The
result is the same ``CodeRange`` PositionProvider would give (same code
generation, same rules); if libcst's internals change shape, this falls back
to the full provider.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, Set, cast

import libcst as cst
from libcst._position import CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


class _AllFound(Exception):
    """Raised out of code generation once every wanted node has a position."""


class _WantedPositions(PositionProvider):
    def __init__(self, wanted: Set[cst.CSTNode]) -> None:
        super().__init__()
        self.pending = set(wanted)
        self.stopped = False


class _StoppingState(PositionProvidingCodegenState):
    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        provider = self.provider
        if node in provider.pending:  # type: ignore[attr-defined]
            provider.pending.discard(node)  # type: ignore[attr-defined]
            if not provider.pending:  # type: ignore[attr-defined]
                provider.stopped = True  # type: ignore[attr-defined]
                raise _AllFound()

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, **kwargs: Any) -> Iterator[None]:
        # Enclosing nodes still being generated when we stop would look up
        # positions of children never generated: that is the stop, not an error.
        try:
            with super().record_syntactic_position(node, **kwargs):
                yield
        except KeyError:
            if self.provider.stopped:  # type: ignore[attr-defined]
                raise _AllFound() from None
            raise


def positions_of(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[cst.CSTNode, CodeRange]:
    """CodeRanges (as PositionProvider computes them) covering at least ``nodes``."""
    wanted = set(nodes)
    try:
        provider = _WantedPositions(wanted)
        state = _StoppingState(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=provider
        )
        try:
            module._codegen(state)
        except _AllFound:
            pass
        computed = cast(Dict[cst.CSTNode, CodeRange], provider._computed)  # PositionProvider stores CodeRanges
        if all(node in computed for node in wanted):
            return computed
    except (AttributeError, TypeError):  # libcst's private codegen API changed
        pass
    return dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
